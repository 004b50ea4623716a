//! Statistical division codes (统计用区划代码): 6 digits county + 3 town + 3 village.
//! Town part: 001–099 街道, 100–199 镇, 200–399 乡. Village part: 001–199 居委会, 200–399 村委会.
//! Below a village, jiceng numbers grids with 3 more digits (a 15-digit code of its own making).

use crate::error::{DomainError, Rule};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum PlaceKind {
    Province,
    City,
    County,
    Subdistrict,
    Town,
    Township,
    Community,
    Village,
    Grid,
}

impl PlaceKind {
    pub const ALL: [PlaceKind; 9] = [
        PlaceKind::Province,
        PlaceKind::City,
        PlaceKind::County,
        PlaceKind::Subdistrict,
        PlaceKind::Town,
        PlaceKind::Township,
        PlaceKind::Community,
        PlaceKind::Village,
        PlaceKind::Grid,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PlaceKind::Province => "province",
            PlaceKind::City => "city",
            PlaceKind::County => "county",
            PlaceKind::Subdistrict => "subdistrict",
            PlaceKind::Town => "town",
            PlaceKind::Township => "township",
            PlaceKind::Community => "community",
            PlaceKind::Village => "village",
            PlaceKind::Grid => "grid",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn zh(self) -> &'static str {
        match self {
            PlaceKind::Province => "省",
            PlaceKind::City => "地市",
            PlaceKind::County => "区县",
            PlaceKind::Subdistrict => "街道",
            PlaceKind::Town => "镇",
            PlaceKind::Township => "乡",
            PlaceKind::Community => "社区",
            PlaceKind::Village => "村",
            PlaceKind::Grid => "网格",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            PlaceKind::Province => "Province",
            PlaceKind::City => "City",
            PlaceKind::County => "County",
            PlaceKind::Subdistrict => "Sub-district",
            PlaceKind::Town => "Town",
            PlaceKind::Township => "Township",
            PlaceKind::Community => "Community",
            PlaceKind::Village => "Village",
            PlaceKind::Grid => "Grid",
        }
    }

    /// Level in the tree: 0 province, 1 city, 2 county, 3 town level, 4 village level, 5 grid.
    pub fn level(self) -> u8 {
        match self {
            PlaceKind::Province => 0,
            PlaceKind::City => 1,
            PlaceKind::County => 2,
            PlaceKind::Subdistrict | PlaceKind::Town | PlaceKind::Township => 3,
            PlaceKind::Community | PlaceKind::Village => 4,
            PlaceKind::Grid => 5,
        }
    }

    /// How many leading digits of the code identify the place (and prefix its whole subtree).
    pub fn prefix_len(self) -> usize {
        [2, 4, 6, 9, 12, 15][usize::from(self.level())]
    }

    /// The roll-up metric that counts places of this kind.
    pub fn metric(self) -> &'static str {
        match self {
            PlaceKind::Province => "places.province",
            PlaceKind::City => "places.city",
            PlaceKind::County => "places.county",
            PlaceKind::Subdistrict | PlaceKind::Town | PlaceKind::Township => "places.town",
            PlaceKind::Community | PlaceKind::Village => "places.village",
            PlaceKind::Grid => "places.grid",
        }
    }
}

/// A validated division code; the kind is derived from the digits, never chosen.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DivisionCode(String);

impl TryFrom<String> for DivisionCode {
    type Error = DomainError;
    fn try_from(s: String) -> Rule<Self> {
        Self::parse(&s)
    }
}

impl From<DivisionCode> for String {
    fn from(c: DivisionCode) -> String {
        c.0
    }
}

fn bad(zh: &str, en: &str) -> DomainError {
    DomainError::new("place.code_invalid", zh, en).on("code")
}

fn num(s: &str) -> u32 {
    // Callers pass ASCII digits only (checked in `parse`), so the fold cannot overflow for 3 digits.
    s.bytes().fold(0, |acc, b| acc * 10 + u32::from(b - b'0'))
}

impl DivisionCode {
    pub fn parse(raw: &str) -> Rule<Self> {
        let s = raw.trim();
        if !(s.len() == 12 || s.len() == 15) || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(
                &format!("区划代码须为12位数字（网格为15位），收到“{s}”"),
                &format!("a division code has 12 digits (15 for a grid), got \"{s}\""),
            ));
        }
        if num(&s[0..2]) < 11 || (s[2..4] == *"00" && s[4..6] != *"00") {
            return Err(bad(
                "区划代码的省、市、县部分无效",
                "the province, city or county part of the code is invalid",
            ));
        }
        if s[4..6] == *"00" && s[6..12] != *"000000" {
            return Err(bad(
                "乡镇、村须属于一个区县（代码第5–6位不能为00）",
                "a town or village belongs to a county (digits 5–6 cannot be 00)",
            ));
        }
        let town = num(&s[6..9]);
        let village = num(&s[9..12]);
        if town > 399 {
            return Err(bad(
                "乡级代码须在001–399之间（001–099街道，100–199镇，200–399乡）",
                "the town part must be 001–399 (001–099 sub-district, 100–199 town, 200–399 township)",
            ));
        }
        if village > 399 {
            return Err(bad(
                "村级代码须在001–399之间（001–199社区，200–399村）",
                "the village part must be 001–399 (001–199 community, 200–399 village)",
            ));
        }
        if town == 0 && village != 0 {
            return Err(bad(
                "县级代码的村级部分须为000",
                "a county code ends in 000000",
            ));
        }
        if s.len() == 15 && (village == 0 || num(&s[12..15]) == 0) {
            return Err(bad(
                "网格代码须在村（社区）代码后加001–999",
                "a grid code is a village code plus 001–999",
            ));
        }
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The leading digits shared by this place and everything under it.
    pub fn subtree_prefix(&self) -> &str {
        &self.0[..self.kind().prefix_len()]
    }

    pub fn kind(&self) -> PlaceKind {
        let s = &self.0;
        if s.len() == 15 {
            return PlaceKind::Grid;
        }
        let town = num(&s[6..9]);
        let village = num(&s[9..12]);
        match (town, village) {
            (0, _) if s[2..6] == *"0000" => PlaceKind::Province,
            (0, _) if s[4..6] == *"00" => PlaceKind::City,
            (0, _) => PlaceKind::County,
            (1..=99, 0) => PlaceKind::Subdistrict,
            (100..=199, 0) => PlaceKind::Town,
            (_, 0) => PlaceKind::Township,
            (_, 1..=199) => PlaceKind::Community,
            _ => PlaceKind::Village,
        }
    }

    /// The code this one must sit under, if any.
    pub fn parent_code(&self) -> Option<String> {
        match self.kind() {
            PlaceKind::Province => None,
            PlaceKind::City => Some(format!("{}0000000000", &self.0[0..2])),
            PlaceKind::County => Some(format!("{}00000000", &self.0[0..4])),
            PlaceKind::Subdistrict | PlaceKind::Town | PlaceKind::Township => {
                Some(format!("{}000000", &self.0[0..6]))
            }
            PlaceKind::Community | PlaceKind::Village => Some(format!("{}000", &self.0[0..9])),
            PlaceKind::Grid => Some(self.0[0..12].to_string()),
        }
    }

    /// Checks that this code may sit under a parent with `parent_code`; a grid under a village and so on.
    pub fn check_parent(&self, parent_code: Option<&str>) -> Rule<()> {
        let want = self.parent_code();
        // A city or county may be the root of an installation (one district runs alone).
        let may_be_root = matches!(self.kind(), PlaceKind::City | PlaceKind::County);
        if want.as_deref() == parent_code || (parent_code.is_none() && may_be_root) {
            return Ok(());
        }
        let kind = self.kind();
        Err(match (want, parent_code) {
            (None, Some(_)) => DomainError::new(
                "place.parent_mismatch",
                "省是树的根，不能放在其他地方之下",
                "a province is a root and cannot sit under another place",
            ),
            (Some(w), None) => DomainError::new(
                "place.parent_mismatch",
                format!("{}须放在代码为{w}的上级之下", kind.zh()),
                format!("a {} must sit under the place coded {w}", kind.en()),
            ),
            (Some(w), Some(p)) => DomainError::new(
                "place.parent_mismatch",
                format!(
                    "代码与上级不符：{}的上级代码应为{w}，所选上级为{p}",
                    kind.zh()
                ),
                format!(
                    "the code does not fit the parent: a {} belongs under {w}, the parent is {p}",
                    kind.en()
                ),
            ),
            (None, None) => {
                DomainError::new("place.parent_mismatch", "上级不符", "parent mismatch")
            }
        }
        .on("code"))
    }

    /// The code of a grid numbered `n` under this village.
    pub fn grid(&self, n: u32) -> Rule<Self> {
        Self::parse(&format!("{}{:03}", self.0, n))
    }

    /// The same place under a new parent code (a move): the parent's digits are replaced.
    pub fn rebase(&self, new_parent: &str) -> Option<String> {
        let prefix_len = match self.kind() {
            PlaceKind::Province => return None,
            PlaceKind::City => 2,
            PlaceKind::County => 4,
            PlaceKind::Subdistrict | PlaceKind::Town | PlaceKind::Township => 6,
            PlaceKind::Community | PlaceKind::Village => 9,
            PlaceKind::Grid => 12,
        };
        let new_prefix = &new_parent.get(0..prefix_len)?;
        Some(format!("{new_prefix}{}", &self.0[prefix_len..]))
    }
}

impl std::fmt::Display for DivisionCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_the_digits() {
        let k = |s: &str| DivisionCode::parse(s).unwrap().kind();
        assert_eq!(k("440000000000"), PlaceKind::Province);
        assert_eq!(k("440400000000"), PlaceKind::City);
        assert_eq!(k("440403000000"), PlaceKind::County);
        assert_eq!(k("440403001000"), PlaceKind::Subdistrict); // 白藤街道
        assert_eq!(k("440403099000"), PlaceKind::Subdistrict);
        assert_eq!(k("440403100000"), PlaceKind::Town); // 莲洲镇
        assert_eq!(k("440403199000"), PlaceKind::Town);
        assert_eq!(k("440403200000"), PlaceKind::Township);
        assert_eq!(k("440403105201"), PlaceKind::Village); // 乾西村
        assert_eq!(k("440403105199"), PlaceKind::Community);
        assert_eq!(k("440403001001"), PlaceKind::Community);
        assert_eq!(k("440403001200"), PlaceKind::Village);
        assert_eq!(k("440403105201003"), PlaceKind::Grid);
        let p = |s: &str| DivisionCode::parse(s).unwrap().subtree_prefix().to_string();
        assert_eq!(p("440000000000"), "44");
        assert_eq!(p("440400000000"), "4404");
        assert_eq!(p("440403000000"), "440403");
        assert_eq!(p("440403105000"), "440403105");
        assert_eq!(p("440403105201"), "440403105201");
        assert_eq!(p("440403105201003"), "440403105201003");
    }

    #[test]
    fn malformed_codes_are_refused() {
        for bad in [
            "",
            "44040310520",
            "4404031052011",
            "44040310520a",
            "440403400000",
            "440403105400",
            "440403000201",
            "000000000000",
            "440005000000",
            "440400105000",
            "440403105000000",
            "440403105201000",
        ] {
            let e = DivisionCode::parse(bad).unwrap_err();
            assert_eq!(e.code, "place.code_invalid", "{bad}");
        }
    }

    #[test]
    fn children_sit_under_the_parent_their_code_names() {
        let v = DivisionCode::parse("440403105201").unwrap();
        assert!(v.check_parent(Some("440403105000")).is_ok());
        assert_eq!(
            v.check_parent(Some("440403106000")).unwrap_err().code,
            "place.parent_mismatch"
        );
        assert!(v.check_parent(None).is_err());
        let c = DivisionCode::parse("440403000000").unwrap();
        assert!(c.check_parent(None).is_ok());
        assert!(c.check_parent(Some("440400000000")).is_ok());
        assert!(c.check_parent(Some("440500000000")).is_err());
        let p = DivisionCode::parse("440000000000").unwrap();
        assert!(p.check_parent(Some("450000000000")).is_err());
        assert!(
            DivisionCode::parse("440403105000")
                .unwrap()
                .check_parent(None)
                .is_err()
        );
        // A 街道's child: community or village, as its own code says.
        let under_street = DivisionCode::parse("440403001201").unwrap();
        assert_eq!(under_street.kind(), PlaceKind::Village);
        assert!(under_street.check_parent(Some("440403001000")).is_ok());
    }

    #[test]
    fn rebase_moves_the_code_under_the_new_parent() {
        let v = DivisionCode::parse("440403105201").unwrap();
        assert_eq!(v.rebase("440403106000").as_deref(), Some("440403106201"));
        let g = DivisionCode::parse("440403105201007").unwrap();
        assert_eq!(g.rebase("440403106203").as_deref(), Some("440403106203007"));
    }

    proptest::proptest! {
        #[test]
        fn any_valid_code_roundtrips(t in 0u32..400, v in 0u32..400) {
            let s = format!("440403{t:03}{v:03}");
            match DivisionCode::parse(&s) {
                Ok(c) => {
                    proptest::prop_assert_eq!(c.as_str(), s.as_str());
                    if let Some(p) = c.parent_code() { proptest::prop_assert!(c.check_parent(Some(&p)).is_ok()); }
                }
                Err(_) => proptest::prop_assert!(t == 0 && v != 0),
            }
        }

        #[test]
        fn parse_never_panics(s in "[0-9a-z]{0,16}") {
            let _ = DivisionCode::parse(&s);
        }
    }
}
