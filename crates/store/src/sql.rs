//! A small builder for SQL text with `$n` placeholders, which both SQLite and PostgreSQL accept.

use sqlx::any::AnyArguments;
use sqlx::{Any, Arguments, AssertSqlSafe};

#[derive(Debug, Clone)]
pub enum Val {
    Int(i64),
    Text(String),
    NullInt,
    NullText,
    Blob(Option<Vec<u8>>),
}

impl From<i64> for Val {
    fn from(v: i64) -> Self {
        Val::Int(v)
    }
}
impl From<&str> for Val {
    fn from(v: &str) -> Self {
        Val::Text(v.to_string())
    }
}
impl From<String> for Val {
    fn from(v: String) -> Self {
        Val::Text(v)
    }
}
impl From<Option<i64>> for Val {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Val::NullInt, Val::Int)
    }
}
impl From<Option<Vec<u8>>> for Val {
    fn from(v: Option<Vec<u8>>) -> Self {
        Val::Blob(v)
    }
}
impl From<Option<String>> for Val {
    fn from(v: Option<String>) -> Self {
        v.map_or(Val::NullText, Val::Text)
    }
}

#[derive(Debug, Default, Clone)]
pub struct Sql {
    pub text: String,
    pub vals: Vec<Val>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_string(),
            vals: Vec::new(),
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `v`.
    pub fn bind(&mut self, v: impl Into<Val>) -> &mut Self {
        self.vals.push(v.into());
        self.text.push('$');
        self.text.push_str(&self.vals.len().to_string());
        self
    }

    pub fn args(&self) -> AnyArguments {
        let mut a = AnyArguments::default();
        for v in &self.vals {
            // `add` only fails when a value's encoder fails; these are plain integers and strings.
            let _ = match v {
                Val::Int(i) => a.add(*i),
                Val::Text(s) => a.add(s.clone()),
                Val::NullInt => a.add(None::<i64>),
                Val::NullText => a.add(None::<String>),
                Val::Blob(b) => a.add(b.clone()),
            };
        }
        a
    }

    pub fn query(&self) -> sqlx::query::Query<'_, Any, AnyArguments> {
        sqlx::query_with(AssertSqlSafe(self.text.clone()), self.args())
    }

    pub fn query_as<T>(&self) -> sqlx::query::QueryAs<'_, Any, T, AnyArguments>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        sqlx::query_as_with(AssertSqlSafe(self.text.clone()), self.args())
    }

    pub fn scalar<T>(&self) -> sqlx::query::QueryScalar<'_, Any, T, AnyArguments>
    where
        T: sqlx::Type<Any> + for<'r> sqlx::Decode<'r, Any>,
        (T,): for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        sqlx::query_scalar_with(AssertSqlSafe(self.text.clone()), self.args())
    }
}

impl Sql {
    /// One page of what `self` (a `FROM … WHERE …` clause) selects as `cols` in `order`, and how
    /// many rows there are in all: the count-then-page of every list.
    pub async fn paged<T>(
        self,
        cols: &str,
        order: &str,
        page: Page,
        pool: &sqlx::AnyPool,
    ) -> Result<(Vec<T>, i64), sqlx::Error>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
    {
        let count = Sql {
            text: format!("SELECT COUNT(*){}", self.text),
            vals: self.vals.clone(),
        };
        let total: i64 = count.scalar().fetch_one(pool).await?;
        let mut rows = Sql {
            text: format!("SELECT {cols}{} {order}", self.text),
            vals: self.vals,
        };
        page.limit_offset(&mut rows);
        Ok((rows.query_as().fetch_all(pool).await?, total))
    }
}

/// Page of a list: 1-based page number and size.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub number: i64,
    pub size: i64,
}

impl Page {
    pub fn new(number: Option<i64>, size: Option<i64>) -> Self {
        Self {
            // Far past any real list; keeps the offset arithmetic from overflowing.
            number: number.unwrap_or(1).clamp(1, 10_000_000),
            size: size.unwrap_or(50).clamp(1, 500),
        }
    }

    pub fn limit_offset(&self, sql: &mut Sql) {
        sql.push(" LIMIT ")
            .bind(self.size)
            .push(" OFFSET ")
            .bind((self.number - 1) * self.size);
    }
}

/// Escapes `%`, `_` and `\` so user input matches literally in a LIKE pattern (`ESCAPE '\'`).
fn like_escape(q: &str) -> String {
    let mut s = String::new();
    for c in q.chars() {
        if matches!(c, '%' | '_' | '\\') {
            s.push('\\');
        }
        s.push(c);
    }
    s
}

/// `%q%`: contains `q` literally.
pub fn like_contains(q: &str) -> String {
    format!("%{}%", like_escape(q))
}

/// `q%`: starts with `q` literally.
pub fn like_prefix(q: &str) -> String {
    format!("{}%", like_escape(q))
}
