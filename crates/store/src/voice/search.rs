//! Finding problems by their words in Chinese (issue 5): a report's text is cut into words with
//! jieba (search mode, so 路灯不亮 also yields 路灯), kept as `problems.tokens`, and indexed on
//! both backends — an FTS5 table on SQLite, a GIN index on `to_tsvector('simple', tokens)` on
//! PostgreSQL. Similar open reports of the same village are what staff see beside a new one.

use super::{COLS, FROM, ProblemRow};
use crate::error::StoreResult;
use crate::scope::Scope;
use crate::sql::Sql;
use crate::{Backend, Store};
use jieba_rs::Jieba;
use sqlx::AnyConnection;
use std::sync::LazyLock;

/// Building the dictionary takes a moment: once per process.
static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// Words too common in reports to tell two apart.
const STOP: &[&str] = &[
    "我们", "你们", "他们", "这个", "那个", "一个", "没有", "什么", "怎么", "已经", "现在", "希望",
    "问题", "反映", "情况", "请求", "帮忙", "解决", "处理", "一下", "还是", "可以", "因为", "所以",
];

/// At most this many words of one text (a report is short; a long one needs no more to match).
const MAX_WORDS: usize = 200;

/// The distinct words of `text` worth matching on: jieba's words of two characters or more, and
/// every two adjacent Chinese characters (jieba may cut 路灯不亮 as 路/灯不亮; the pair 路灯
/// still matches); letters and digits only (so neither backend's query syntax ever sees an
/// operator), lower case.
pub fn tokens(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |w: String| {
        if out.len() < MAX_WORDS
            && w.chars().count() >= 2
            && !STOP.contains(&w.as_str())
            && !out.contains(&w)
        {
            out.push(w);
        }
    };
    for w in JIEBA.cut_for_search(text, true) {
        push(
            w.word
                .chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect(),
        );
    }
    let han: Vec<char> = text.chars().collect();
    for pair in han.windows(2) {
        if pair.iter().all(|c| is_han(*c)) {
            push(pair.iter().collect());
        }
    }
    out
}

/// A CJK unified ideograph (the basic block and extension A).
fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}')
}

/// Indexes a problem's words, in the transaction that filed it.
pub(crate) async fn index(
    conn: &mut AnyConnection,
    backend: Backend,
    id: i64,
    text: &str,
) -> StoreResult<()> {
    let words = tokens(text).join(" ");
    sqlx::query("UPDATE problems SET tokens = $1 WHERE id = $2")
        .bind(&words)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    if backend == Backend::Sqlite {
        sqlx::query("INSERT INTO problems_fts (rowid, tokens) VALUES ($1, $2)")
            .bind(id)
            .bind(&words)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Indexes on SQLite the words of the problems filed since the last run (their words are in
/// `problems.tokens` already). A filing does not write its FTS5 row in its own commit — FTS5
/// would flush a new index segment at every commit, a quarter of a filing's cost — the writer
/// runs this after the writes instead (`group::Chore`, every `CATCH_UP_EVERY` while reports come
/// and once they stop); until then `similar_problems` finds them by their words in the table.
/// Rows are indexed in order of id, so the index's highest rowid is how far it has got.
pub const CATCH_UP: &str = "INSERT INTO problems_fts (rowid, tokens) \
     SELECT id, tokens FROM problems WHERE id > coalesce(( \
     SELECT rowid FROM problems_fts ORDER BY rowid DESC LIMIT 1), 0) AND tokens IS NOT NULL ORDER BY id";

/// How long the words of a new report may wait for the index at most while reports come.
pub const CATCH_UP_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// The match condition for any of `words` (caller adds it after WHERE/AND), and the order.
fn push_match(sql: &mut Sql, backend: Backend, words: &[String]) -> &'static str {
    match backend {
        Backend::Sqlite => {
            let q: Vec<String> = words.iter().map(|w| format!("\"{w}\"")).collect();
            sql.push("(pr.id IN (SELECT rowid FROM problems_fts WHERE problems_fts MATCH ")
                .bind(q.join(" OR "))
                // The reports not yet indexed (`CATCH_UP`), by their words in the table.
                .push(
                    ") OR pr.id > coalesce((SELECT rowid FROM problems_fts ORDER BY rowid DESC LIMIT 1), 0) \
                     AND (",
                );
            for (i, w) in words.iter().enumerate() {
                if i > 0 {
                    sql.push(" OR ");
                }
                sql.push("instr(' ' || pr.tokens || ' ', ")
                    .bind(format!(" {w} "))
                    .push(") > 0");
            }
            sql.push("))");
            // FTS5's rank for the same MATCH, best first; those not yet indexed after them.
            " ORDER BY coalesce((SELECT rank FROM problems_fts WHERE problems_fts MATCH $1 AND rowid = pr.id), 0), pr.id DESC"
        }
        Backend::Postgres => {
            sql.push("to_tsvector('simple', COALESCE(pr.tokens, '')) @@ to_tsquery('simple', ")
                .bind(words.join(" | "))
                .push(")");
            " ORDER BY ts_rank(to_tsvector('simple', COALESCE(pr.tokens, '')), to_tsquery('simple', $1)) DESC, pr.id DESC"
        }
    }
}

impl Store {
    /// Open problems of the same village whose words overlap `text`'s, best first (at most 5),
    /// leaving out `except` (the problem being looked at).
    pub async fn similar_problems(
        &self,
        scope: &Scope,
        place_id: i64,
        text: &str,
        except: Option<i64>,
    ) -> StoreResult<Vec<ProblemRow>> {
        let words = tokens(text);
        if words.is_empty() {
            return Ok(Vec::new());
        }
        // The match comes first so that its text is bound as $1, which the order reuses.
        let mut sql = Sql::new(&format!("SELECT {COLS}{FROM} WHERE "));
        let order = push_match(&mut sql, self.backend, &words);
        sql.push(" AND pr.place_id = ")
            .bind(place_id)
            .push(" AND pr.status NOT IN ('closed', 'merged') AND pr.id <> ")
            .bind(except.unwrap_or(0))
            .push(" AND ");
        scope.predicate(&mut sql, "p.code");
        sql.push(order).push(" LIMIT 5");
        Ok(sql.query_as().fetch_all(&self.reader).await?)
    }

    /// Indexes problems filed before the index existed, and on SQLite those whose words were
    /// not indexed yet when the server stopped (run at start; a no-op once done).
    pub(crate) async fn index_unindexed_problems(&self) -> StoreResult<()> {
        if self.backend == Backend::Sqlite {
            // First: `index` below puts rows in at their ids, past which `CATCH_UP` never looks.
            sqlx::raw_sql(CATCH_UP).execute(&self.writer).await?;
        }
        loop {
            let rows: Vec<(i64, String)> = sqlx::query_as(
                "SELECT id, body FROM problems WHERE tokens IS NULL ORDER BY id LIMIT 500",
            )
            .fetch_all(&self.writer)
            .await?;
            if rows.is_empty() {
                return Ok(());
            }
            let mut tx = self.writer.begin().await?;
            for (id, body) in rows {
                index(&mut tx, self.backend, id, &body).await?;
            }
            tx.commit().await?;
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn reports_are_cut_into_words() {
        let t = super::tokens("村口路灯不亮，晚上出行不便！请尽快解决");
        assert!(t.contains(&"路灯".to_string()), "{t:?}");
        assert!(t.contains(&"村口".to_string()), "{t:?}");
        assert!(!t.iter().any(|w| w.contains('，') || w == "解决"), "{t:?}");
        // A pair across punctuation is not a word.
        assert!(!t.contains(&"亮晚".to_string()), "{t:?}");
        assert!(super::tokens("！！ ?").is_empty());
    }
}
