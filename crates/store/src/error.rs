use jiceng_domain::DomainError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A rule of the domain refused the change; nothing was written.
    #[error(transparent)]
    Rule(#[from] DomainError),
    /// The record does not exist, or is outside the caller's scope (the two are not told apart).
    #[error("not found")]
    NotFound,
    /// The caller's role does not allow the action.
    #[error("forbidden")]
    Forbidden,
    #[error("configuration: {0}")]
    Config(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("internal: {0}")]
    Internal(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

impl StoreError {
    pub fn rule(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        StoreError::Rule(DomainError::new(code, zh, en))
    }

    /// Maps a unique-constraint violation to a rule error naming the field; other errors pass.
    pub fn unique(self, code: &'static str, field: &'static str, zh: &str, en: &str) -> Self {
        match &self {
            StoreError::Db(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                StoreError::Rule(DomainError::new(code, zh, en).on(field))
            }
            _ => self,
        }
    }
}
