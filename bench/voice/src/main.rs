//! Problem lists and figures on the province-scale demo (issue 5, Performance): "problem lists and
//! figures for any node of the province-scale demo (PostgreSQL, ~20 million records) p95 < 100
//! ms". The problem list (first page, a deep page, open, overdue, a category, a text search),
//! the problem figures and the households' 入户率 figures, through the real router in-process, as
//! accounts bound to the busiest node of every level; p50/p95/p99/max per node and query.
//!
//! `generate URL [CITIES [MEMBERS_PER_VILLAGE [VOICE_PERCENT]]]` fills the database: the province
//! (places, organisations, members) when it is empty, then its problems, households and visits
//! when it has none; `run URL` measures. See bench/README.md.

mod measure;

use jiceng_store::{Sealer, Store, StoreOptions};
use std::time::Instant;

/// The key the benchmark's database is sealed with (the members benchmark's: one database
/// serves both).
pub const KEY: [u8; 32] = [0x6d; 32];

/// Peak resident memory of this process (`VmHWM`), in MiB.
pub fn peak_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

async fn open(url: &str) -> Result<Store, String> {
    let opts = StoreOptions::new(url.to_string());
    Store::connect(&opts, Sealer::new(&KEY))
        .await
        .map_err(|e| format!("{url}: {e}"))
}

async fn generate(url: &str, args: &[String]) -> Result<(), String> {
    let mut size = jiceng_demo::ProvinceSize::FULL;
    let arg = |i: usize, what: &str| -> Result<Option<u32>, String> {
        args.get(i)
            .map(|s| s.parse().map_err(|_| format!("{what}: {s}")))
            .transpose()
    };
    if let Some(c) = arg(0, "cities")? {
        size.cities = c as usize;
    }
    if let Some(m) = arg(1, "members per 村居")? {
        size.members_per_village = m;
    }
    let voice = jiceng_demo::VoiceSize::percent(arg(2, "voice percent")?.unwrap_or(100));
    let store = open(url).await?;
    store.migrate().await.map_err(|e| e.to_string())?;
    let start = Instant::now();
    let mut progress = |m: &str| {
        println!(
            "[{:>8.1}s {:>6.0} MiB] {m}",
            start.elapsed().as_secs_f64(),
            peak_mib()
        );
    };
    let now = jiceng_web::clock::Clock::System.now_ms();
    let places: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM places")
        .fetch_one(&store.reader)
        .await
        .map_err(|e| e.to_string())?;
    if places == 0 {
        let sum = jiceng_demo::generate_province_sized(&store, now, size, &mut progress)
            .await
            .map_err(|e| e.to_string())?;
        println!(
            "province: {} members, {} 村居 in {:.1} s",
            sum.members,
            sum.villages,
            start.elapsed().as_secs_f64()
        );
    }
    let t = Instant::now();
    let v = jiceng_demo::generate_province_voice(&store, Some(url), now, voice, &mut progress)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "voice: {} records ({} problems, {} events, {} households, {} assignments, {} visits; {} roll-up rows) in {:.1} s; peak memory {:.0} MiB",
        v.records(),
        v.problems,
        v.events,
        v.households,
        v.assignments,
        v.visits,
        v.rollups,
        t.elapsed().as_secs_f64(),
        peak_mib()
    );
    store.close().await;
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: jiceng-bench-voice generate URL [CITIES [MEMBERS_PER_VILLAGE [VOICE_PERCENT]]] | run URL [--samples N] [--strict]";
    let (Some(what), Some(url)) = (args.first(), args.get(1)) else {
        eprintln!("{usage}");
        return std::process::ExitCode::from(2);
    };
    let result = match what.as_str() {
        "generate" => generate(url, &args[2..]).await.map(|()| true),
        "run" => match open(url).await {
            // Migrations first: a database generated before the list's indexes gets them.
            Ok(store) => match store.migrate().await {
                Ok(done) => {
                    if !done.is_empty() {
                        println!("applied {}", done.join(", "));
                    }
                    measure::run(store, &args[2..]).await
                }
                Err(e) => Err(e.to_string()),
            },
            Err(e) => Err(e),
        },
        _ => Err(usage.to_string()),
    };
    match result {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(e) => {
            eprintln!("{e}");
            std::process::ExitCode::FAILURE
        }
    }
}
