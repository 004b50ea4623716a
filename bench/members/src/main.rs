//! Member list and search on the province-scale demo (issue 4, Members, Performance): the member
//! list page (`GET /members`) and its search (a name, pinyin initials such as `zs`, an exact ID
//! number, an exact phone) through the real router in-process, as accounts bound to a node of
//! every level (province, city, county, town, village) and for one organisation; p50/p95/max per
//! node and query against the target p95 < 100 ms.
//!
//! `generate URL` fills an empty database with `jiceng_demo::generate_province` (streamed; it
//! prints the time and the peak memory); `run URL` measures. See bench/README.md.

mod measure;

use jiceng_store::{Sealer, Store, StoreOptions};
use std::time::Instant;

/// The key the benchmark's database is sealed with (generate and run must agree; bench data only).
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
    if let Some(c) = args.first() {
        size.cities = c.parse().map_err(|_| format!("cities: {c}"))?;
    }
    if let Some(m) = args.get(1) {
        size.members_per_village = m.parse().map_err(|_| format!("members per 村居: {m}"))?;
    }
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
    let sum = jiceng_demo::generate_province_sized(&store, now, size, &mut progress)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "generated {} members, {} 村居 in {:.1} s; peak memory {:.0} MiB",
        sum.members,
        sum.villages,
        start.elapsed().as_secs_f64(),
        peak_mib()
    );
    store.close().await;
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: jiceng-bench-members generate URL [CITIES [MEMBERS_PER_VILLAGE]] | run URL [--samples N] [--strict]";
    let (Some(what), Some(url)) = (args.first(), args.get(1)) else {
        eprintln!("{usage}");
        return std::process::ExitCode::from(2);
    };
    let result = match what.as_str() {
        "generate" => generate(url, &args[2..]).await.map(|()| true),
        "run" => match open(url).await {
            // Migrations first: a database generated before the search indexes gets them.
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
