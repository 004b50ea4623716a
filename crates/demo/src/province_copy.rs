//! The rows of the province's voice demo and how they reach the database: one town's tables at
//! a time, in one transaction — `COPY … FROM STDIN` (text format) on a PostgreSQL connection of
//! its own, multi-row INSERTs on SQLite — followed by the town's audit entry.

use jiceng_store::audit::{self, Change};
use jiceng_store::{Actor, Backend, Store, StoreError};
use sqlx::Connection;
use sqlx::postgres::PgConnection;

/// A value of a generated row.
pub(crate) enum V {
    N,
    I(i64),
    T(String),
    B(Vec<u8>),
}

impl From<i64> for V {
    fn from(v: i64) -> Self {
        V::I(v)
    }
}
impl From<String> for V {
    fn from(v: String) -> Self {
        V::T(v)
    }
}
impl From<&str> for V {
    fn from(v: &str) -> Self {
        V::T(v.to_string())
    }
}
impl<T: Into<V>> From<Option<T>> for V {
    fn from(v: Option<T>) -> Self {
        v.map_or(V::N, Into::into)
    }
}

/// One table's rows of a town.
pub(crate) struct Rows {
    pub table: &'static str,
    pub cols: &'static [&'static str],
    pub rows: Vec<Vec<V>>,
}

impl Rows {
    pub fn new(table: &'static str, cols: &'static [&'static str]) -> Self {
        Rows {
            table,
            cols,
            rows: Vec::new(),
        }
    }

    /// The rows in `COPY … FROM STDIN` text format.
    fn copy_text(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.rows.len() * 64);
        for row in &self.rows {
            for (i, v) in row.iter().enumerate() {
                if i > 0 {
                    out.push(b'\t');
                }
                match v {
                    V::N => out.extend_from_slice(b"\\N"),
                    V::I(n) => out.extend_from_slice(n.to_string().as_bytes()),
                    V::T(s) => {
                        for b in s.bytes() {
                            match b {
                                b'\\' => out.extend_from_slice(b"\\\\"),
                                b'\n' => out.extend_from_slice(b"\\n"),
                                b'\r' => out.extend_from_slice(b"\\r"),
                                b'\t' => out.extend_from_slice(b"\\t"),
                                _ => out.push(b),
                            }
                        }
                    }
                    V::B(bytes) => {
                        out.extend_from_slice(b"\\\\x");
                        for b in bytes {
                            out.extend_from_slice(format!("{b:02x}").as_bytes());
                        }
                    }
                }
            }
            out.push(b'\n');
        }
        out
    }
}

/// Where the rows go: a PostgreSQL connection of its own for `COPY`, or the store's writer.
pub(crate) enum Out {
    Pg(Box<PgConnection>),
    Lite,
}

/// Writes a town's tables in one transaction, then its audit entry.
pub(crate) async fn write(
    store: &Store,
    out: &mut Out,
    tables: &[Rows],
    change: Change<'_>,
    now: i64,
) -> Result<(), StoreError> {
    let actor = Actor::cli("demo");
    match out {
        Out::Pg(conn) => {
            let mut tx = conn.begin().await?;
            for t in tables.iter().filter(|t| !t.rows.is_empty()) {
                let stmt = format!("COPY {} ({}) FROM STDIN", t.table, t.cols.join(", "));
                let mut copy = tx.copy_in_raw(&stmt).await?;
                for chunk in t.copy_text().chunks(1 << 20) {
                    copy.send(chunk).await?;
                }
                copy.finish().await?;
            }
            tx.commit().await?;
            // The audit chain is written through the store; the rows are committed just before.
            audit::commit(store.writer.begin().await?, &actor, change, now).await?;
        }
        Out::Lite => {
            let mut tx = store.writer.begin().await?;
            for t in tables {
                // SQLite takes up to 32,766 parameters a statement.
                let per = (30_000 / t.cols.len()).max(1);
                for chunk in t.rows.chunks(per) {
                    let one = format!("({})", vec!["?"; t.cols.len()].join(", "));
                    let text = format!(
                        "INSERT INTO {} ({}) VALUES {}",
                        t.table,
                        t.cols.join(", "),
                        vec![one; chunk.len()].join(", ")
                    );
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(text));
                    for v in chunk.iter().flatten() {
                        q = match v {
                            V::N => q.bind(None::<String>),
                            V::I(n) => q.bind(*n),
                            V::T(s) => q.bind(s.clone()),
                            V::B(b) => q.bind(b.clone()),
                        };
                    }
                    q.execute(&mut *tx).await?;
                }
            }
            audit::append(&mut tx, &actor, change, now).await?;
            tx.commit().await?;
        }
    }
    Ok(())
}

/// A town's tables, in the order they are written (households before their visits).
pub(crate) struct TownRows {
    pub problems: Rows,
    pub events: Rows,
    pub fts: Rows,
    pub households: Rows,
    pub assignments: Rows,
    pub visits: Rows,
}

impl TownRows {
    pub fn new() -> Self {
        TownRows {
            problems: Rows::new(
                "problems",
                &[
                    "id",
                    "place_id",
                    "code_hash",
                    "source",
                    "category",
                    "body",
                    "location",
                    "contact_sealed",
                    "status",
                    "owner",
                    "deadline",
                    "resolved_on",
                    "escalated",
                    "score",
                    "merged_into",
                    "filed_on",
                    "closed_on",
                    "created_at",
                    "updated_at",
                    "tokens",
                ],
            ),
            events: Rows::new(
                "problem_events",
                &[
                    "problem_id",
                    "seq",
                    "event",
                    "detail_json",
                    "on_date",
                    "actor",
                    "created_at",
                ],
            ),
            fts: Rows::new("problems_fts", &["rowid", "tokens"]),
            households: Rows::new(
                "households",
                &[
                    "id",
                    "place_id",
                    "head_name",
                    "people",
                    "address_sealed",
                    "address_masked",
                    "phone_sealed",
                    "phone_index",
                    "phone_masked",
                    "since_on",
                    "closed_on",
                    "closed_reason",
                    "created_at",
                    "updated_at",
                ],
            ),
            assignments: Rows::new(
                "household_assignments",
                &["household_id", "member_id", "from_on", "created_at"],
            ),
            visits: Rows::new(
                "household_visits",
                &[
                    "household_id",
                    "member_id",
                    "visited_on",
                    "mode",
                    "raised",
                    "created_at",
                ],
            ),
        }
    }

    pub fn into_tables(self, backend: Backend) -> Vec<Rows> {
        let mut v = vec![self.problems, self.events];
        if backend == Backend::Sqlite {
            v.push(self.fts);
        }
        v.extend([self.households, self.assignments, self.visits]);
        v
    }
}
