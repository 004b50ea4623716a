//! Times the generators on a database of your choice:
//! `cargo run --release -p jiceng-demo --example generate -- district|province [URL] [CITIES] [MEMBERS_PER_VILLAGE]`
//! (URL defaults to a fresh SQLite file in a temporary directory; the database must be empty).
//! `… --example generate -- life URL` times the two years of 三会一课 alone, on a database that
//! holds the district and its register but no meetings of the Party's life yet.

use jiceng_store::{Sealer, Store, StoreOptions};
use std::time::Instant;

/// 2026-01-01T00:00:00Z: demo data does not depend on the clock.
const NOW: i64 = 1_767_225_600_000;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let what = args.first().map_or("district", String::as_str).to_string();
    let dir = tempfile::tempdir()?;
    let url = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("demo.db").display()));
    let cities: usize = args
        .get(2)
        .map_or(Ok(jiceng_demo::PROVINCE_CITIES), |s| s.parse())?;
    let members_per_village: u32 = args
        .get(3)
        .map_or(Ok(jiceng_demo::MEMBERS_PER_VILLAGE), |s| s.parse())?;
    let size = jiceng_demo::ProvinceSize {
        cities,
        members_per_village,
    };
    let store = Store::connect(&StoreOptions::new(url), Sealer::new(&[7u8; 32])).await?;
    store.migrate().await?;
    let start = Instant::now();
    let mut progress = |m: &str| eprintln!("[{:>7.2}s] {m}", start.elapsed().as_secs_f64());
    if what == "life" {
        let life = jiceng_demo::generate_life(&store, NOW, &mut progress).await?;
        println!("life: {life:?} in {:.2?}", start.elapsed());
        store.close().await;
        return Ok(());
    }
    let sum = match what.as_str() {
        "province" => {
            jiceng_demo::generate_province_sized(&store, NOW, size, &mut progress).await?
        }
        _ => jiceng_demo::generate_district(&store, NOW, &mut progress).await?,
    };
    println!("{what}: {sum:?} in {:.2?}", start.elapsed());
    store.close().await;
    Ok(())
}
