//! Deterministic names and identifiers: place names from fixed syllable lists, Chinese numerals,
//! unified social credit codes with valid check characters, and number formatting for progress.

use rand::Rng;
use std::collections::HashSet;

/// First syllables of place names (common in the Pearl River Delta's toponyms).
const FIRST: &[&str] = &[
    "东", "西", "南", "北", "上", "下", "新", "大", "小", "石", "沙", "莲", "荔", "竹", "松", "龙",
    "凤", "马", "鹤", "白", "黄", "青", "红", "金", "长", "平", "安", "和", "兴", "富", "福", "永",
    "泰", "乐", "德", "仁", "文", "光", "明", "华", "庆", "丰", "盛", "茂", "云", "海", "湖", "江",
    "桥", "林", "梅", "桂", "榕", "柏", "三", "五", "八", "横", "高", "良",
];

/// Second syllables: landforms and waterways that villages are named after.
const SECOND: &[&str] = &[
    "山", "湾", "涌", "坑", "围", "岗", "塘", "洲", "沙", "头", "尾", "坪", "岭", "田", "基", "埠",
    "墩", "滘", "沥", "环", "溪", "桥", "堡", "冲", "垅", "寨", "口", "园", "坳", "圩", "浦", "湖",
    "港", "滩", "峰", "岸", "陂", "庄", "屋", "朗",
];

const INDUSTRIES: &[&str] = &[
    "五金制品",
    "电子科技",
    "农业发展",
    "水产养殖",
    "食品",
    "家具",
    "建材",
    "物流",
    "服装",
    "塑料制品",
    "机械设备",
    "生物科技",
    "新材料",
    "环保科技",
    "包装材料",
    "精密模具",
    "照明电器",
    "建筑工程",
    "旅游开发",
    "餐饮管理",
];

const SOCIAL: &[&str] = &[
    "老年人协会",
    "志愿者协会",
    "商会",
    "青年创业协会",
    "慈善会",
    "社工服务中心",
    "文体协会",
    "龙舟协会",
    "醒狮协会",
    "禾虾养殖协会",
    "家庭综合服务中心",
    "乡贤理事会",
];

/// A two-syllable stem not yet in `used` (which it joins). Rerolls are bounded: the lists give
/// 2,400 combinations and a scope never needs more than a few hundred.
pub(crate) fn stem(rng: &mut impl Rng, used: &mut HashSet<String>) -> String {
    let mut last = String::new();
    for _ in 0..64 {
        let (a, b) = (
            FIRST[rng.gen_range(0..FIRST.len())],
            SECOND[rng.gen_range(0..SECOND.len())],
        );
        let s = format!("{a}{b}");
        // 桥桥, 沙沙: a doubled syllable is not a place name.
        if a != b && used.insert(s.clone()) {
            return s;
        }
        last = s;
    }
    // Practically unreachable; a numbered stem keeps names unique without looping forever.
    let s = format!("{last}{}", used.len());
    used.insert(s.clone());
    s
}

/// An enterprise name, e.g. 珠海莲湾五金制品有限公司.
pub(crate) fn enterprise(rng: &mut impl Rng, city: &str, stem: &str) -> String {
    format!(
        "{city}{stem}{}有限公司",
        INDUSTRIES[rng.gen_range(0..INDUSTRIES.len())]
    )
}

/// A social organisation's name, e.g. 乾西村醒狮协会.
pub(crate) fn social(rng: &mut impl Rng, at: &str) -> String {
    format!("{at}{}", SOCIAL[rng.gen_range(0..SOCIAL.len())])
}

/// A unit name not yet in `used` (unit names are unique per batch): an enterprise, or a social
/// organisation named after its place.
pub(crate) fn unit_name(
    rng: &mut impl Rng,
    is_enterprise: bool,
    city: &str,
    place: &str,
    stems: &mut HashSet<String>,
    used: &mut HashSet<String>,
) -> String {
    for attempt in 0..8 {
        let name = if is_enterprise {
            let s = stem(rng, stems);
            enterprise(rng, city, &s)
        } else if attempt < 4 {
            social(rng, place)
        } else {
            let s = stem(rng, stems);
            social(rng, &format!("{place}{s}"))
        };
        if used.insert(name.clone()) {
            return name;
        }
    }
    let name = format!("{place}第{}社会组织", used.len() + 1);
    used.insert(name.clone());
    name
}

/// 1 → 一, 12 → 十二, 40 → 四十 (ordinals of grids, branches and groups).
pub(crate) fn zh_num(n: u32) -> String {
    const D: [&str; 10] = ["〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    let d = |i: u32| D[(i % 10) as usize];
    match n {
        0..=9 => d(n).to_string(),
        10 => "十".into(),
        11..=19 => format!("十{}", d(n % 10)),
        20..=99 if n.is_multiple_of(10) => format!("{}十", d(n / 10)),
        20..=99 => format!("{}十{}", d(n / 10), d(n % 10)),
        _ => n.to_string(),
    }
}

/// 26000 → "26,000".
pub(crate) fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Characters of a unified social credit code (GB 32100), in the order that gives their values.
const CREDIT_CHARS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// GB 11714 check character of an 8-character organisation code body (digits only here).
fn org_code_check(body: &[u8; 8]) -> u8 {
    const W: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .iter()
        .zip(W)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    match 11 - sum % 11 {
        10 => b'X',
        11 => b'0',
        n => b'0' + n as u8,
    }
}

/// GB 32100 check character of the first 17 characters.
fn credit_check(first17: &[u8]) -> u8 {
    const W: [usize; 17] = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    let sum: usize = first17
        .iter()
        .zip(W)
        .map(|(c, w)| CREDIT_CHARS.iter().position(|x| x == c).unwrap_or(0) * w)
        .sum();
    CREDIT_CHARS[(31 - sum % 31) % 31]
}

/// A valid-looking 18-character credit code: registering authority and type (e.g. `91` enterprise,
/// `51` social group), the 6-digit county code, a GB 11714 organisation code and the check character.
pub(crate) fn credit_code(rng: &mut impl Rng, kind: &str, county6: &str) -> String {
    let mut body = [0u8; 8];
    for b in &mut body {
        *b = b'0' + rng.gen_range(0..10u8);
    }
    let mut s: Vec<u8> = Vec::with_capacity(18);
    s.extend_from_slice(kind.as_bytes());
    s.extend_from_slice(county6.as_bytes());
    s.extend_from_slice(&body);
    s.push(org_code_check(&body));
    let check = credit_check(&s);
    s.push(check);
    String::from_utf8_lossy(&s).into_owned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn numerals() {
        let got: Vec<String> = [1, 5, 10, 11, 20, 23, 99].map(zh_num).to_vec();
        assert_eq!(got, ["一", "五", "十", "十一", "二十", "二十三", "九十九"]);
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(3712), "3,712");
        assert_eq!(thousands(26000), "26,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn credit_code_checks_match_the_standard_sample() {
        // The sample code of GB 32100: 91350100M000100Y43.
        assert_eq!(credit_check(b"91350100M000100Y4"), b'3');
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for _ in 0..100 {
            let c = credit_code(&mut rng, "91", "440403");
            assert_eq!(c.len(), 18);
            assert!(c.bytes().all(|b| CREDIT_CHARS.contains(&b)), "{c}");
            assert_eq!(credit_check(&c.as_bytes()[..17]), c.as_bytes()[17]);
        }
    }

    #[test]
    fn stems_are_unique() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let mut used = HashSet::new();
        for _ in 0..500 {
            stem(&mut rng, &mut used);
        }
        assert_eq!(used.len(), 500);
    }
}
