//! The measurement: accounts bound to the busiest node of each level, members sampled in each
//! node's scope, and every query sent through the router as that account's browser would.

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use jiceng_domain::DivisionCode;
use jiceng_store::sql::Sql;
use jiceng_store::users::NewUser;
use jiceng_store::{Actor, Scope, Store};
use jiceng_web::clock::Clock;
use jiceng_web::{AppState, WebConfig};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tower::ServiceExt;

const PASSWORD: &str = "Bench#2026members";
const HOST: &str = "jiceng.bench";
/// The target: p95 under 100 ms for every node and query.
const TARGET: Duration = Duration::from_millis(100);
/// Requests per (node, query) before measuring: the first ones fill the caches.
const WARMUP: usize = 3;

/// A node of the tree and the account that browses it.
struct Node {
    level: &'static str,
    /// The place the account is bound to (the organisation's place for `org`).
    place_id: i64,
    code: String,
    name: String,
    /// The organisation filter (`/members?org=`) for the organisation node.
    org: Option<i64>,
    role: &'static str,
}

/// A member sampled in a node's scope, with the clear values a user would type.
struct Sample {
    name: String,
    initials: String,
    id_number: String,
    phone: String,
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// The busiest place of a level (most members in its roll-up): the worst case of the level.
async fn busiest(store: &Store, kinds: &str) -> Result<(i64, String, String), String> {
    let sql = format!(
        "SELECT p.id, p.code, p.name FROM places p JOIN rollups r ON r.place_id = p.id \
         AND r.metric = 'members' AND r.period = 'current' WHERE p.kind IN ({kinds}) \
         ORDER BY r.value DESC, p.code LIMIT 1"
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
        let (place_id, code, name) = busiest(store, kinds).await?;
        out.push(Node {
            level,
            place_id,
            code,
            name,
            org: None,
            role,
        });
    }
    // The organisation with the most members, browsed by the province's account.
    let (org, name): (i64, String) = sqlx::query_as(
        "SELECT o.id, o.name FROM orgs o JOIN (SELECT org_id, COUNT(*) AS n FROM members GROUP BY org_id \
         ORDER BY n DESC, org_id LIMIT 1) b ON b.org_id = o.id",
    )
    .fetch_one(&store.reader)
    .await
    .map_err(err)?;
    let province = out.first().ok_or("no province")?;
    out.push(Node {
        level: "organisation",
        place_id: province.place_id,
        code: province.code.clone(),
        name,
        org: Some(org),
        role: "district_org",
    });
    Ok(out)
}

/// The node's account (created on the first run), signed in: its session cookie.
async fn sign_in(store: &Store, node: &Node, now: i64) -> Result<String, String> {
    let username = format!("bench_{}", node.level);
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

/// `n` members spread over the node's scope (random ids between its first and last member).
async fn samples(
    store: &Store,
    node: &Node,
    n: usize,
    rng: &mut ChaCha8Rng,
) -> Result<Vec<Sample>, String> {
    let scoped = |select: &str| {
        let mut sql = Sql::new(select);
        sql.push(" FROM members m JOIN orgs o ON o.id = m.org_id JOIN places p ON p.id = o.place_id WHERE ");
        match node.org {
            Some(o) => {
                sql.push("m.org_id = ").bind(o);
            }
            None => {
                let prefix = DivisionCode::parse(&node.code)
                    .map(|c| c.subtree_prefix().to_string())
                    .unwrap_or_default();
                Scope::prefix(prefix).predicate(&mut sql, "p.code");
            }
        }
        sql
    };
    let (min, max): (i64, i64) = scoped("SELECT MIN(m.id), MAX(m.id)")
        .query_as()
        .fetch_one(&store.reader)
        .await
        .map_err(err)?;
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let mut one = scoped("SELECT m.name, m.name_initials, m.id_sealed, m.phone_sealed");
        one.push(" AND m.id >= ")
            .bind(rng.gen_range(min..=max))
            .push(" ORDER BY m.id LIMIT 1");
        type Row = (String, String, Vec<u8>, Option<Vec<u8>>);
        let row: Option<Row> = one
            .query_as()
            .fetch_optional(&store.reader)
            .await
            .map_err(err)?;
        let Some((name, initials, id_sealed, Some(phone_sealed))) = row else {
            continue;
        };
        let open = |b: &[u8]| {
            store
                .sealer
                .open(b)
                .map_err(err)
                .and_then(|v| String::from_utf8(v).map_err(err))
        };
        out.push(Sample {
            name,
            initials: initials.chars().take(2).collect(),
            id_number: open(&id_sealed)?,
            phone: open(&phone_sealed)?,
        });
    }
    Ok(out)
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
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM members")
        .fetch_one(&store.reader)
        .await
        .map_err(err)?;
    println!(
        "{total} members in the register; {n} samples per node and query (after {WARMUP} warm-up)"
    );
    let nodes = nodes(&store).await?;
    let router = jiceng_web::router(AppState::new(store.clone(), WebConfig::default(), clock));
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut rows = Vec::new();
    let mut met = true;
    for node in &nodes {
        let cookie = sign_in(&store, node, now).await?;
        let people = samples(&store, node, n + WARMUP, &mut rng).await?;
        let org = node.org.map(|o| format!("org={o}&")).unwrap_or_default();
        let mut in_scope = 0i64;
        for query in ["list", "name", "initials", "id_number", "phone"] {
            let mut times = Vec::with_capacity(n);
            for (k, p) in people.iter().enumerate() {
                let (q, expect) = match query {
                    "list" => (String::new(), "</table>"),
                    "name" => (p.name.clone(), p.name.as_str()),
                    "initials" => (p.initials.clone(), "</table>"),
                    "id_number" => (p.id_number.clone(), p.name.as_str()),
                    _ => (p.phone.clone(), p.name.as_str()),
                };
                let uri = format!("/members?{org}q={}", encode(&q));
                let took = get(&router, &cookie, &uri, expect).await?;
                if k >= WARMUP {
                    times.push(took);
                }
            }
            times.sort();
            let p95 = quantile(&times, 0.95);
            met &= p95 < TARGET;
            rows.push(format!(
                "| {} | {} | {} | {} | {} | {} | {} |",
                node.level,
                node.name,
                query,
                ms(quantile(&times, 0.5)),
                ms(p95),
                ms(times.last().copied().unwrap_or_default()),
                if p95 < TARGET { "met" } else { "**missed**" }
            ));
            if query == "list" {
                in_scope = members_in(&store, node).await?;
            }
        }
        println!("{}: {} ({in_scope} current members)", node.level, node.name);
    }
    println!("\n| node | name | query | p50 ms | p95 ms | max ms | p95 < 100 ms |");
    println!("|---|---|---|---:|---:|---:|---|");
    for r in &rows {
        println!("{r}");
    }
    println!("\npeak memory {:.0} MiB", crate::peak_mib());
    Ok(met || !strict)
}

/// Current members the node's list counts (its roll-up; the organisation's own count).
async fn members_in(store: &Store, node: &Node) -> Result<i64, String> {
    match node.org {
        Some(o) => sqlx::query_scalar(
            "SELECT COUNT(*) FROM members WHERE org_id = $1 AND status NOT IN ('left', 'deceased')",
        )
        .bind(o)
        .fetch_one(&store.reader)
        .await
        .map_err(err),
        None => Ok(store
            .rollup_values(node.place_id)
            .await
            .map_err(err)?
            .get("members")
            .copied()
            .unwrap_or_default()),
    }
}
