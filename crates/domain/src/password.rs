//! Password policy (等保 level 3): at least 8 characters and at least 3 of 4 classes
//! (lower case, upper case, digits, other).

use crate::error::{DomainError, Rule};

pub const MIN_LEN: usize = 8;

pub fn check_policy(pw: &str) -> Rule<()> {
    if pw.chars().count() < MIN_LEN {
        return Err(DomainError::new(
            "password.too_short",
            format!("密码至少{MIN_LEN}个字符"),
            format!("a password has at least {MIN_LEN} characters"),
        )
        .on("password"));
    }
    let classes = [
        pw.chars().any(|c| c.is_lowercase()),
        pw.chars().any(|c| c.is_uppercase()),
        pw.chars().any(|c| c.is_ascii_digit()),
        pw.chars().any(|c| !c.is_alphanumeric()),
    ];
    if classes.iter().filter(|c| **c).count() < 3 {
        return Err(DomainError::new(
            "password.too_simple",
            "密码须包含小写字母、大写字母、数字、符号中的至少三类",
            "a password needs at least three of: lower case, upper case, digits, symbols",
        )
        .on("password"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_policy;

    #[test]
    fn policy_edges() {
        assert_eq!(
            check_policy("Ab1!xyz").unwrap_err().code,
            "password.too_short"
        ); // 7 chars
        assert!(check_policy("Ab1!xyzw").is_ok()); // 8 chars, 4 classes
        assert!(check_policy("abcdef12").is_err()); // 2 classes
        assert!(check_policy("abcdef1!").is_ok()); // lower, digit, symbol
        assert!(check_policy("ABCDEFa1").is_ok());
        assert_eq!(
            check_policy("abcdefgh").unwrap_err().code,
            "password.too_simple"
        );
    }
}
