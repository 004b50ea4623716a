//! The benchmark baseline: what bare axum + sqlx can do on this machine with the same SQLite
//! settings as jiceng's store (WAL, synchronous=FULL, foreign keys, busy_timeout, exactly one
//! writer connection and a small reader pool). `POST /insert` inserts one row in a transaction,
//! `GET /row/{id}` reads one row. No auth, no audit, no roll-ups: the ceiling jiceng is compared to.
//!
//! Usage: jiceng-bench-baseline ADDR [DB_FILE]

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use sqlx::sqlite::SqlitePoolOptions;
use sqlx::{Executor, SqlitePool};
use std::process::ExitCode;

#[derive(Clone)]
struct Db {
    writer: SqlitePool,
    reader: SqlitePool,
}

#[derive(Deserialize)]
struct NewRow {
    #[serde(default)]
    parent_id: i64,
    #[serde(default)]
    name: String,
}

#[derive(Serialize, sqlx::FromRow)]
struct Row {
    id: i64,
    parent_id: i64,
    name: String,
    created_at: i64,
}

type Res<T> = Result<Json<T>, (StatusCode, String)>;

fn internal(e: sqlx::Error) -> (StatusCode, String) {
    (StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

// The baseline stamps rows like jiceng does (`created_at`); it has no clock module to take `now` from.
#[allow(clippy::disallowed_methods)]
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(0))
}

async fn insert(State(db): State<Db>, Json(body): Json<NewRow>) -> Res<Row> {
    let mut tx = db.writer.begin().await.map_err(internal)?;
    let row: Row = sqlx::query_as(
        "INSERT INTO rows (parent_id, name, created_at) VALUES ($1, $2, $3) \
         RETURNING id, parent_id, name, created_at",
    )
    .bind(body.parent_id)
    .bind(&body.name)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await
    .map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    Ok(Json(row))
}

async fn read(State(db): State<Db>, Path(id): Path<i64>) -> Res<Row> {
    sqlx::query_as("SELECT id, parent_id, name, created_at FROM rows WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.reader)
        .await
        .map_err(internal)?
        .map(Json)
        .ok_or((StatusCode::NOT_FOUND, "no such row".into()))
}

async fn pool(url: &str, max: u32) -> Result<SqlitePool, sqlx::Error> {
    SqlitePoolOptions::new()
        .max_connections(max)
        .after_connect(|conn, _| {
            Box::pin(async move {
                // Same pragmas as crates/store/src/lib.rs.
                conn.execute(
                    "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000; \
                     PRAGMA synchronous=FULL;",
                )
                .await?;
                Ok(())
            })
        })
        .connect(url)
        .await
}

async fn run(addr: &str, file: &str) -> Result<(), Box<dyn std::error::Error>> {
    let url = format!("sqlite://{file}?mode=rwc");
    let writer = pool(&url, 1).await?;
    writer
        .execute(
            "CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL, \
             name TEXT NOT NULL, created_at INTEGER NOT NULL); \
             INSERT INTO rows (parent_id, name, created_at) SELECT 0, 'seed', 0 \
             WHERE NOT EXISTS (SELECT 1 FROM rows);",
        )
        .await?;
    let reader = pool(&url, 4).await?;
    let app = Router::new()
        .route("/insert", post(insert))
        .route("/row/{id}", get(read))
        .with_state(Db { writer, reader });
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("baseline listening on {addr} (db {file})");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(addr) = args.next() else {
        eprintln!("usage: jiceng-bench-baseline ADDR [DB_FILE]");
        return ExitCode::from(2);
    };
    let file = args.next().unwrap_or_else(|| "bench-baseline.db".into());
    match run(&addr, &file).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("baseline: {e}");
            ExitCode::FAILURE
        }
    }
}
