//! The measurement: accounts bound to the busiest node of each level (most problems filed), and
//! every query sent through the router as that account's browser would, with the page checked.

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use jiceng_domain::life::Every;
use jiceng_domain::life::period::Period;
use jiceng_store::coverage::day_of;
use jiceng_store::users::NewUser;
use jiceng_store::{Actor, Scope, Store};
use jiceng_web::clock::Clock;
use jiceng_web::{AppState, WebConfig};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tower::ServiceExt;

const PASSWORD: &str = "Bench#2026voice";
const HOST: &str = "jiceng.bench";
/// The target: p95 under 100 ms for every node and query.
const TARGET: Duration = Duration::from_millis(100);
/// Requests per (node, query) before measuring: the first ones fill the caches.
const WARMUP: usize = 3;
/// Rows on a page of the problem list (`pages::listing::PER_PAGE`).
const PER_PAGE: i64 = 50;
/// The deep page asked for (or the node's last page when it has fewer).
const DEEP_PAGE: i64 = 20;

const CATEGORIES: [&str; 8] = [
    "road",
    "sanitation",
    "water",
    "safety",
    "livelihood",
    "policy",
    "dispute",
    "party",
];
const WORDS: [&str; 10] = [
    "路灯", "垃圾", "漏水", "纠纷", "低保", "井盖", "消防", "排水", "噪音", "护栏",
];

/// A node of the tree and the account that browses it.
struct Node {
    level: &'static str,
    place_id: i64,
    name: String,
    role: &'static str,
    /// Problems filed under it (its roll-up).
    problems: i64,
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// The place of a level with the most problems filed (its roll-up): the worst case of the level.
async fn busiest(store: &Store, kinds: &str) -> Result<(i64, String, i64), String> {
    let sql = format!(
        "SELECT p.id, p.name, CAST(r.n AS BIGINT) FROM places p JOIN (SELECT place_id, SUM(value) AS n \
         FROM rollups WHERE metric = 'voice.collected' GROUP BY place_id) r ON r.place_id = p.id \
         WHERE p.kind IN ({kinds}) ORDER BY r.n DESC, p.code LIMIT 1"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_one(&store.reader)
        .await
        .map_err(err)
}

async fn nodes(store: &Store) -> Result<Vec<Node>, String> {
    let mut out = Vec::new();
    for (level, kinds, role) in [
        ("province", "'province'", "district_org"),
        ("city", "'city'", "district_org"),
        ("county", "'county'", "district_org"),
        (
            "town",
            "'town', 'subdistrict', 'township'",
            "town_committee",
        ),
        ("village", "'village', 'community'", "village_committee"),
    ] {
        let (place_id, name, problems) = busiest(store, kinds).await?;
        out.push(Node {
            level,
            place_id,
            name,
            role,
            problems,
        });
    }
    Ok(out)
}

/// The node's account (created on the first run), signed in: its session cookie.
async fn sign_in(store: &Store, node: &Node, now: i64) -> Result<String, String> {
    let username = format!("bench_voice_{}", node.level);
    let user = match store.user_by_name(&username).await.map_err(err)? {
        Some(u) => u,
        None => {
            let new = NewUser {
                username: username.clone(),
                display_name: format!("基准测试 {}", node.level),
                password: PASSWORD.into(),
                role: node.role.into(),
                place_id: node.place_id,
            };
            store
                .create_user(&Actor::cli("bench"), &Scope::All, new, now)
                .await
                .map_err(err)?
        }
    };
    let (token, _) = store
        .create_session(user.id, true, "127.0.0.1", now)
        .await
        .map_err(err)?;
    Ok(format!("{}={token}", jiceng_web::auth::SESSION_COOKIE))
}

fn encode(q: &str) -> String {
    let mut s = String::new();
    for b in q.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            s.push(char::from(b));
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

/// One page fetched as the account: its time, and whether it answered 200 showing `expect`.
async fn get(router: &Router, cookie: &str, uri: &str, expect: &str) -> Result<Duration, String> {
    let mut req = Request::get(uri)
        .header(header::HOST, HOST)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .map_err(err)?;
    let addr: SocketAddr = ([127, 0, 0, 1], 50_000).into();
    req.extensions_mut().insert(ConnectInfo(addr));
    let t = Instant::now();
    let res = router.clone().oneshot(req).await.map_err(err)?;
    let status = res.status();
    let body = res.into_body().collect().await.map_err(err)?.to_bytes();
    let took = t.elapsed();
    let text = String::from_utf8_lossy(&body);
    if status != StatusCode::OK || !text.contains(expect) {
        return Err(format!("{uri}: {status}, {expect:?} not on the page"));
    }
    Ok(took)
}

fn quantile(sorted: &[Duration], q: f64) -> Duration {
    let i = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len().max(1)) - 1;
    sorted.get(i).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

/// The queries: (name, the k-th sample's URI, what the page must show).
fn query(name: &str, node: &Node, k: usize, periods: &[String]) -> (String, &'static str) {
    let id = node.place_id;
    let pages = (node.problems + PER_PAGE - 1) / PER_PAGE;
    let period = &periods[k % periods.len()];
    match name {
        "list" => (format!("/problems?under={id}"), "</table>"),
        "deep page" => (
            format!("/problems?under={id}&page={}", DEEP_PAGE.min(pages.max(1))),
            "</table>",
        ),
        "open" => (format!("/problems?under={id}&status=open"), "</table>"),
        "overdue" => (format!("/problems?under={id}&flag=overdue"), "</table>"),
        "category" => (
            format!(
                "/problems?under={id}&category={}",
                CATEGORIES[k % CATEGORIES.len()]
            ),
            "</table>",
        ),
        "search" => (
            format!("/problems?under={id}&q={}", encode(WORDS[k % WORDS.len()])),
            "</table>",
        ),
        "figures" => (
            format!("/problems/figures?under={id}&period={period}"),
            "解决率",
        ),
        _ => (
            format!("/household-figures?under={id}&period={period}"),
            "入户率",
        ),
    }
}

const QUERIES: [&str; 8] = [
    "list",
    "deep page",
    "open",
    "overdue",
    "category",
    "search",
    "figures",
    "入户率",
];

/// Measures every node and query; Ok(false) when `--strict` and a p95 misses the target.
pub async fn run(store: Store, args: &[String]) -> Result<bool, String> {
    let n: usize = match args.iter().position(|a| a == "--samples") {
        Some(i) => args
            .get(i + 1)
            .and_then(|s| s.parse().ok())
            .ok_or("--samples N")?,
        None => 40,
    };
    let strict = args.iter().any(|a| a == "--strict");
    let clock = Clock::System;
    let now = clock.now_ms();
    let today = day_of(now);
    let mut periods = Vec::new();
    for every in [Every::Year, Every::Quarter, Every::Month] {
        let p = Period::of(every, &today).map_err(|e| e.zh.clone())?;
        periods.push(p.label());
    }
    let last_year = format!("{}", today[..4].parse::<i32>().map_err(err)? - 1);
    periods.push(last_year);
    let (problems, visits): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM problems), (SELECT COUNT(*) FROM household_visits)",
    )
    .fetch_one(&store.reader)
    .await
    .map_err(err)?;
    println!(
        "{problems} problems, {visits} visits; {n} samples per node and query (after {WARMUP} warm-up); periods {}",
        periods.join(", ")
    );
    let nodes = nodes(&store).await?;
    let router = jiceng_web::router(AppState::new(store.clone(), WebConfig::default(), clock));
    let mut rows = Vec::new();
    let mut met = true;
    for node in &nodes {
        println!(
            "{}: {} ({} problems filed)",
            node.level, node.name, node.problems
        );
        let cookie = sign_in(&store, node, now).await?;
        for name in QUERIES {
            let mut times = Vec::with_capacity(n);
            for k in 0..n + WARMUP {
                let (uri, expect) = query(name, node, k, &periods);
                let took = get(&router, &cookie, &uri, expect).await?;
                if k >= WARMUP {
                    times.push(took);
                }
            }
            times.sort();
            let p95 = quantile(&times, 0.95);
            met &= p95 < TARGET;
            rows.push(format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                node.level,
                node.name,
                name,
                ms(quantile(&times, 0.5)),
                ms(p95),
                ms(quantile(&times, 0.99)),
                ms(times.last().copied().unwrap_or_default()),
                if p95 < TARGET { "met" } else { "**missed**" }
            ));
        }
    }
    println!("\n| node | name | query | p50 ms | p95 ms | p99 ms | max ms | p95 < 100 ms |");
    println!("|---|---|---|---:|---:|---:|---:|---|");
    for r in &rows {
        println!("{r}");
    }
    println!("\npeak memory {:.0} MiB", crate::peak_mib());
    Ok(met || !strict)
}
