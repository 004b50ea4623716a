//! Migrations: one SQL text per step for both backends. The few words that differ between the
//! dialects are tokens replaced here: `{id}` (auto primary key), `{int}` (64-bit integer),
//! `{blob}` (bytes), `{code}` (text compared byte-wise, so code-prefix ranges use the index).

use crate::Backend;
use crate::error::StoreResult;
use sqlx::{AnyPool, AssertSqlSafe};

struct Migration {
    version: i64,
    name: &'static str,
    sql: &'static str,
    /// Backend-specific extras (triggers), where the dialects truly differ.
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sql: include_str!("migrations/0001_foundation.sql"),
        sqlite: include_str!("migrations/0001_foundation.sqlite.sql"),
        postgres: include_str!("migrations/0001_foundation.postgres.sql"),
    },
    Migration {
        version: 2,
        name: "members",
        sql: include_str!("migrations/0002_members.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 3,
        name: "uploads",
        sql: include_str!("migrations/0003_uploads.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 4,
        name: "dues",
        sql: include_str!("migrations/0004_dues.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 5,
        name: "transfers",
        sql: include_str!("migrations/0005_transfers.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 6,
        name: "recruitment",
        sql: include_str!("migrations/0006_recruitment.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 7,
        name: "flows",
        sql: include_str!("migrations/0007_flows.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 8,
        name: "coverage",
        sql: include_str!("migrations/0008_coverage.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 9,
        name: "transfers_outside",
        sql: "",
        sqlite: include_str!("migrations/0009_transfers_outside.sqlite.sql"),
        postgres: include_str!("migrations/0009_transfers_outside.postgres.sql"),
    },
    Migration {
        version: 10,
        name: "blind_index_128",
        sql: include_str!("migrations/0010_blind_index_128.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 11,
        name: "member_search",
        sql: "",
        sqlite: "",
        postgres: include_str!("migrations/0011_member_search.postgres.sql"),
    },
    Migration {
        version: 12,
        name: "member_place_code",
        sql: "",
        sqlite: "",
        postgres: include_str!("migrations/0012_member_place_code.postgres.sql"),
    },
    Migration {
        version: 13,
        name: "meetings",
        sql: include_str!("migrations/0013_meetings.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 14,
        name: "village_decisions",
        sql: include_str!("migrations/0014_village_decisions.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 15,
        name: "observations",
        sql: include_str!("migrations/0015_observations.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 16,
        name: "full_members",
        sql: include_str!("migrations/0016_full_members.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 17,
        name: "voice",
        sql: include_str!("migrations/0017_voice.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 18,
        name: "mandates",
        sql: include_str!("migrations/0018_mandates.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 19,
        name: "voice_pages",
        sql: include_str!("migrations/0019_voice_pages.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 20,
        name: "open311",
        sql: include_str!("migrations/0020_open311.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 21,
        name: "households",
        sql: include_str!("migrations/0021_households.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 22,
        name: "studios",
        sql: include_str!("migrations/0022_studios.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 23,
        name: "teams",
        sql: include_str!("migrations/0023_teams.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 24,
        name: "problem_words",
        sql: include_str!("migrations/0024_problem_words.sql"),
        sqlite: include_str!("migrations/0024_problem_words.sqlite.sql"),
        postgres: include_str!("migrations/0024_problem_words.postgres.sql"),
    },
    Migration {
        version: 25,
        name: "service_centre",
        sql: include_str!("migrations/0025_service_centre.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 26,
        name: "problem_lists",
        sql: "",
        sqlite: include_str!("migrations/0026_problem_lists.sqlite.sql"),
        postgres: include_str!("migrations/0026_problem_lists.postgres.sql"),
    },
];

fn render(sql: &str, backend: Backend) -> String {
    let pairs: [(&str, &str); 4] = match backend {
        Backend::Sqlite => [
            ("{id}", "INTEGER PRIMARY KEY AUTOINCREMENT"),
            ("{int}", "INTEGER"),
            ("{blob}", "BLOB"),
            ("{code}", "TEXT"),
        ],
        Backend::Postgres => [
            (
                "{id}",
                "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
            ),
            ("{int}", "BIGINT"),
            ("{blob}", "BYTEA"),
            ("{code}", "TEXT COLLATE \"C\""),
        ],
    };
    pairs
        .iter()
        .fold(sql.to_string(), |s, (k, v)| s.replace(k, v))
}

/// Applies the missing migrations, each in its own transaction; returns the names applied.
pub async fn migrate(pool: &AnyPool, backend: Backend) -> StoreResult<Vec<String>> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL)",
    )
    .execute(pool)
    .await?;
    let done: Vec<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations")
        .fetch_all(pool)
        .await?;
    let mut applied = Vec::new();
    for m in MIGRATIONS.iter().filter(|m| !done.contains(&m.version)) {
        let extra = match backend {
            Backend::Sqlite => m.sqlite,
            Backend::Postgres => m.postgres,
        };
        let mut tx = pool.begin().await?;
        if !m.sql.trim().is_empty() {
            sqlx::raw_sql(AssertSqlSafe(render(m.sql, backend)))
                .execute(&mut *tx)
                .await?;
        }
        if !extra.trim().is_empty() {
            sqlx::raw_sql(AssertSqlSafe(extra.to_string()))
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)")
            .bind(m.version)
            .bind(m.name)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        applied.push(format!("{:04}_{}", m.version, m.name));
    }
    Ok(applied)
}
