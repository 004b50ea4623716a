//! Open311 (issue 5, item 9): the rules that decide what a public service request may show.
//! Open311 requests are public by the spec (anyone may GET them), so a resident's words pass
//! through `mask_personal` first: ID numbers, phone numbers and email addresses are masked the
//! way every jiceng page masks them (`4404**********123X`, `138****5678`).

/// A digit, half- or full-width (a Chinese keyboard gives either).
fn digit(c: char) -> Option<char> {
    match c {
        '0'..='9' => Some(c),
        '０'..='９' => char::from_u32(u32::from(c) - u32::from('０') + u32::from('0')),
        _ => None,
    }
}

fn is_check_x(c: char) -> bool {
    matches!(c, 'X' | 'x' | 'Ｘ' | 'ｘ')
}

/// The masked form of a number run of `n` digits (and an ID's check letter): an ID number
/// keeps its first and last four characters, a mobile its first three and last four, anything
/// else of seven digits or more its last two.
fn mask_number(compact: &str) -> String {
    let n = compact.chars().count();
    let keep = |head: usize, tail: usize| {
        let h: String = compact.chars().take(head).collect();
        let t: String = compact.chars().skip(n - tail).collect();
        format!("{h}{}{t}", "*".repeat(n - head - tail))
    };
    if n == 18 {
        keep(4, 4)
    } else if n == 11 && compact.starts_with('1') {
        keep(3, 4)
    } else {
        keep(0, 2)
    }
}

/// Masks what in `text` looks like personal data: a run of at least seven digits (possibly
/// grouped by single spaces or hyphens into groups of three or more, as phones and ID numbers are
/// written; a date's two-digit groups are left alone), with an ID number's trailing X, and the
/// name part of an email address. Everything else is kept as written.
pub fn mask_personal(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        // A number starts at a digit not preceded by one (a letter before it does not make it a
        // code to keep: `Tel13800135678` is a phone).
        if digit(chars[i]).is_none() || (i > 0 && digit(chars[i - 1]).is_some()) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // Groups of digits separated by one space or hyphen.
        let mut j = i;
        let mut groups: Vec<(usize, usize)> = vec![];
        loop {
            let from = j;
            while j < chars.len() && digit(chars[j]).is_some() {
                j += 1;
            }
            groups.push((from, j));
            let sep = j + 1 < chars.len()
                && matches!(chars[j], ' ' | '-')
                && digit(chars[j + 1]).is_some();
            if !sep {
                break;
            }
            j += 1;
        }
        // Grouped as phones and ID numbers are (every group of three or more), the whole run;
        // otherwise (a date, `12-3`) only its first group.
        let whole = groups.iter().all(|(a, b)| b - a >= 3);
        let (from, to) = if whole { (i, j) } else { groups[0] };
        let mut compact: String = chars[from..to].iter().filter_map(|c| digit(*c)).collect();
        let mut end = to;
        if end < chars.len() && is_check_x(chars[end]) && compact.len() == 17 {
            compact.push('X');
            end += 1;
        }
        if compact.chars().filter(char::is_ascii_digit).count() >= 7 {
            out.push_str(&mask_number(&compact));
        } else {
            out.extend(&chars[from..end]);
        }
        i = end;
    }
    mask_emails(&out)
}

fn email_local(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._%+-".contains(c)
}

fn email_domain(c: char) -> bool {
    c.is_ascii_alphanumeric() || ".-".contains(c)
}

/// `z***@example.com`: the first character of the name part kept.
fn mask_emails(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if email_local(chars[i]) && (i == 0 || !email_local(chars[i - 1])) {
            let mut j = i;
            while j < chars.len() && email_local(chars[j]) {
                j += 1;
            }
            let mut k = j + 1;
            while k < chars.len() && email_domain(chars[k]) {
                k += 1;
            }
            let domain: String = chars
                .get(j + 1..k)
                .map(|d| d.iter().collect())
                .unwrap_or_default();
            if j < chars.len() && chars[j] == '@' && domain.contains('.') {
                out.push(chars[i]);
                out.push_str("***@");
                out.push_str(&domain);
                i = k;
                continue;
            }
            out.extend(&chars[i..j]);
            i = j;
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// A WGS84 coordinate as Open311 sends it: a decimal number within `limit` degrees.
pub fn parse_degrees(raw: &str, limit: f64) -> Option<f64> {
    let v: f64 = raw.trim().parse().ok()?;
    (v.is_finite() && v.abs() <= limit).then_some(v)
}

/// A coordinate as published: rounded to three decimals (about 110 m), so that a report made at
/// someone's door does not point at the door.
pub fn public_degrees(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_mobiles_ids_and_landlines() {
        assert_eq!(mask_personal("电话13800135678"), "电话138****5678");
        assert_eq!(
            mask_personal("电话 138-0013-5678 找我"),
            "电话 138****5678 找我"
        );
        assert_eq!(
            mask_personal("身份证11010519491231002X，谢谢"),
            "身份证1101**********002X，谢谢"
        );
        assert_eq!(
            mask_personal("身份证１１０１０５１９４９１２３１００２x"),
            "身份证1101**********002X"
        );
        assert_eq!(mask_personal("座机0756-5512345"), "座机*********45");
        assert_eq!(mask_personal("门牌 7654321"), "门牌 *****21");
        assert_eq!(mask_personal("Tel13800135678"), "Tel138****5678");
        assert_eq!(mask_personal("13800135678-12"), "138****5678-12");
        assert_eq!(mask_personal("2025-11-13800135678"), "2025-11-138****5678");
    }

    #[test]
    fn keeps_dates_amounts_and_short_numbers() {
        for keep in [
            "2025-11-24下午停水",
            "路灯3盏不亮，第12号",
            "花了1,000,000元",
            "G325国道",
        ] {
            assert_eq!(mask_personal(keep), keep);
        }
    }

    #[test]
    fn masks_emails() {
        assert_eq!(
            mask_personal("请回复 zhang.san@example.com 谢谢"),
            "请回复 z***@example.com 谢谢"
        );
        assert_eq!(mask_personal("a@b 不是邮箱"), "a@b 不是邮箱");
    }

    proptest::proptest! {
        /// Any text is taken (no panic on user input), and a mobile number in it never survives,
        /// whatever surrounds it.
        #[test]
        fn any_text_masks_its_mobiles(before in "\\PC{0,20}", tail in 0u64..100_000_000, after in "\\PC{0,20}") {
            let _ = mask_personal(&before);
            let mobile = format!("139{tail:08}");
            let masked = mask_personal(&format!("{before}{mobile}{after}"));
            proptest::prop_assert!(!masked.contains(&mobile), "{}", masked);
        }
    }

    #[test]
    fn coordinates() {
        assert_eq!(parse_degrees(" 22.2301 ", 90.0), Some(22.2301));
        assert_eq!(parse_degrees("91", 90.0), None);
        assert_eq!(parse_degrees("NaN", 90.0), None);
        assert_eq!(parse_degrees("", 90.0), None);
        assert_eq!(public_degrees(22.230_149), 22.23);
        assert_eq!(public_degrees(113.296_8), 113.297);
    }
}
