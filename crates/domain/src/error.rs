//! Domain errors name the rule that was broken; the web layer renders them in zh-CN or English.

/// A broken rule: a stable code plus the message in both languages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {zh}")]
pub struct DomainError {
    pub code: &'static str,
    pub zh: String,
    pub en: String,
    /// The form field the error belongs to, when there is one.
    pub field: Option<&'static str>,
}

/// Shorthand used by rule functions.
pub type Rule<T> = Result<T, DomainError>;

impl DomainError {
    pub fn new(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            code,
            zh: zh.into(),
            en: en.into(),
            field: None,
        }
    }

    pub fn on(mut self, field: &'static str) -> Self {
        self.field = Some(field);
        self
    }

    pub fn message(&self, english: bool) -> &str {
        if english { &self.en } else { &self.zh }
    }
}
