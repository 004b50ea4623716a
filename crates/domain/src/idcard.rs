//! Citizen ID numbers (GB 11643): 18 characters, digits 7–14 the birth date, the last a check digit.

use crate::error::{DomainError, Rule};

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: [u8; 11] = *b"10X98765432";

/// A citizen ID number that passed every check; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct CitizenId(String);

impl std::fmt::Debug for CitizenId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CitizenId({})", self.masked())
    }
}

fn invalid(zh: &str, en: &str) -> DomainError {
    DomainError::new("idcard.invalid", zh, en).on("id_number")
}

impl CitizenId {
    pub fn parse(raw: &str) -> Rule<Self> {
        let s = raw.trim().to_ascii_uppercase();
        let b = s.as_bytes();
        if b.len() != 18
            || !b[..17].iter().all(u8::is_ascii_digit)
            || !(b[17].is_ascii_digit() || b[17] == b'X')
        {
            return Err(invalid(
                "身份证号须为18位（最后一位可为X）",
                "an ID number has 18 characters (the last may be X)",
            ));
        }
        let (y, m, d) = (num(&b[6..10]), num(&b[10..12]), num(&b[12..14]));
        if !(1900..=2100).contains(&y)
            || !(1..=12).contains(&m)
            || d == 0
            || d > days_in_month(y, m)
        {
            return Err(invalid(
                "身份证号中的出生日期无效",
                "the birth date in the ID number is invalid",
            ));
        }
        let sum: u32 = b[..17]
            .iter()
            .zip(WEIGHTS)
            .map(|(c, w)| u32::from(c - b'0') * w)
            .sum();
        if CHECK[(sum % 11) as usize] != b[17] {
            return Err(invalid(
                "身份证号校验位不正确",
                "the check digit of the ID number is wrong",
            ));
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Birth date as (year, month, day).
    pub fn birth_date(&self) -> (u32, u32, u32) {
        let b = self.0.as_bytes();
        (num(&b[6..10]), num(&b[10..12]), num(&b[12..14]))
    }

    /// 17th digit odd = male.
    pub fn is_male(&self) -> bool {
        (self.0.as_bytes()[16] - b'0') % 2 == 1
    }

    /// `4404**********123X`: first four and last four shown.
    pub fn masked(&self) -> String {
        format!("{}**********{}", &self.0[..4], &self.0[14..])
    }
}

fn num(b: &[u8]) -> u32 {
    b.iter().fold(0, |a, c| a * 10 + u32::from(c - b'0'))
}

pub fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        2 if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::CitizenId;

    #[test]
    fn gb11643_example_is_valid() {
        let id = CitizenId::parse("11010519491231002x").unwrap();
        assert_eq!(id.birth_date(), (1949, 12, 31));
        assert!(!id.is_male());
        assert_eq!(id.masked(), "1101**********002X");
        assert!(!format!("{id:?}").contains("19491231"));
    }

    #[test]
    fn wrong_check_digit_and_dates_are_refused() {
        assert!(CitizenId::parse("110105194912310021").is_err());
        assert!(CitizenId::parse("110105194902300021").is_err());
        assert!(CitizenId::parse("11010519491231002").is_err());
    }
}
