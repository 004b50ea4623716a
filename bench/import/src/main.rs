//! Roster import benchmark (issue 4, Performance): generates roster files of N rows in the
//! template's format, then measures, each in a child process of its own so that memory peaks do
//! not mix: calamine's raw read of the file; the app's import of it on a fresh SQLite database
//! (the preview behind the upload page, then the write behind its accept button); and the same
//! through the router, as a browser posts it.
//!
//! Usage: jiceng-bench-import [--rows 10000,50000,200000] [--repeat 3] [--dir DIR] [--strict]
//!
//! Each measurement is the best of `--repeat` runs. `--strict` exits 1 when a target is missed.
//! See bench/README.md.

mod app;
mod generate;
mod raw;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

/// Targets of issue 4.
const TARGET_ROWS_PER_S: f64 = 50_000.0;
const TARGET_RATIO: f64 = 0.5;
/// The sizes the targets apply to (smaller files are dominated by fixed costs).
const TARGET_FROM_ROWS: u64 = 50_000;
/// What the import's own peak may grow by per row: the duplicate check keeps a 16-byte key and a
/// row number per ID number in a hash map, 25–50 bytes a row as the map doubles.
const MEMORY_PER_ROW: f64 = 48.0;
/// And regardless of size.
const MEMORY_SLACK_MIB: f64 = 4.0;

#[derive(Debug, Clone)]
struct Args {
    rows: Vec<u64>,
    repeat: u32,
    dir: Option<PathBuf>,
    strict: bool,
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut a = Args {
        rows: vec![10_000, 50_000, 200_000],
        repeat: 3,
        dir: None,
        strict: false,
    };
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--rows" => {
                a.rows = value()?
                    .split(',')
                    .map(|s| s.trim().replace('_', "").parse::<u64>())
                    .collect::<Result<_, _>>()
                    .map_err(|e| format!("--rows: {e}"))?;
            }
            "--repeat" => a.repeat = value()?.parse().map_err(|e| format!("--repeat: {e}"))?,
            "--dir" => a.dir = Some(PathBuf::from(value()?)),
            "--strict" => a.strict = true,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(a)
}

// ---- memory ---------------------------------------------------------------------------------

/// A field of /proc/self/status in KiB (VmHWM: the peak resident set; VmRSS: the current one).
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// CPU time this process has used so far (user + system, all threads), in milliseconds.
fn cpu_ms() -> f64 {
    // Fields 14 and 15 of /proc/self/stat, in clock ticks (100 a second on Linux); the name
    // (field 2) is in parentheses and may hold spaces, so count from the closing one.
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let f: Vec<f64> = after
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|v| v.parse().ok())
        .collect();
    f.iter().sum::<f64>() * 10.0
}

/// CPU milliseconds used so far per thread name (threads of one name summed), for the log.
fn cpu_by_thread() -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return out;
    };
    for t in tasks.flatten() {
        let stat = std::fs::read_to_string(t.path().join("stat")).unwrap_or_default();
        let (Some(open), Some((_, rest))) = (stat.find('('), stat.rsplit_once(')')) else {
            continue;
        };
        let name = stat[open + 1..]
            .split(')')
            .next()
            .unwrap_or_default()
            .to_string();
        let ticks: f64 = rest
            .split_whitespace()
            .skip(11)
            .take(2)
            .filter_map(|v| v.parse::<f64>().ok())
            .sum();
        *out.entry(name).or_default() += ticks * 10.0;
    }
    out
}

/// Resets the peak to the current resident set (Linux `clear_refs` 5), so a phase's peak is its own.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

// ---- children -------------------------------------------------------------------------------

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

/// calamine alone: the cell reader `repeat` times, then the whole-sheet range `repeat` times.
fn child_raw(file: &Path, repeat: u32) -> Result<(), String> {
    let base = status_kib("VmRSS:");
    reset_peak();
    let mut best_cells = Duration::MAX;
    let mut seen = raw::Seen::default();
    let cpu = cpu_ms();
    for _ in 0..repeat {
        let t = Instant::now();
        seen = raw::cells(file)?;
        best_cells = best_cells.min(t.elapsed());
    }
    let cells_cpu = (cpu_ms() - cpu) / f64::from(repeat.max(1));
    let hwm_cells = status_kib("VmHWM:");
    reset_peak();
    let mut best_range = Duration::MAX;
    for _ in 0..repeat {
        let t = Instant::now();
        let r = raw::range(file)?;
        best_range = best_range.min(t.elapsed());
        if r != seen {
            return Err(format!("range saw {r:?}, the cell reader {seen:?}"));
        }
    }
    let hwm_range = status_kib("VmHWM:");
    println!(
        "result cells_ms={} range_ms={} cells_cpu_ms={cells_cpu} cells={} base_kib={base} hwm_cells_kib={hwm_cells} hwm_range_kib={hwm_range}",
        ms(best_cells),
        ms(best_range),
        seen.cells
    );
    Ok(())
}

/// A fresh copy of the template database (SQLite), in a directory that lives as long as the child.
fn fresh_db(template: &Path) -> Result<(tempfile::TempDir, PathBuf), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let db = dir.path().join("import.db");
    std::fs::copy(template, &db).map_err(|e| e.to_string())?;
    Ok((dir, db))
}

fn expect_members(got: i64, rows: i64) -> Result<(), String> {
    if got == rows {
        Ok(())
    } else {
        Err(format!("{got} members after the import, expected {rows}"))
    }
}

/// The app's functions: the preview (check) then accepting it (import), each with its own peak.
fn child_direct(file: &Path, template: &Path, rows: i64) -> Result<(), String> {
    let (_dir, db) = fresh_db(template)?;
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    rt.block_on(async {
        let d = app::Direct::open(&db).await?;
        let base = status_kib("VmRSS:");
        reset_peak();
        let (t, cpu) = (Instant::now(), cpu_ms());
        let (seen, new_rows) = d.check(file).await?;
        let (check, check_cpu) = (t.elapsed(), cpu_ms() - cpu);
        let hwm_check = status_kib("VmHWM:");
        let threads = cpu_by_thread();
        if seen as i64 != rows || new_rows as i64 != rows {
            return Err(format!("the preview saw {seen} rows, {new_rows} new; expected {rows}"));
        }
        reset_peak();
        let (t, cpu) = (Instant::now(), cpu_ms());
        let written = d.import(file).await?;
        let (import, import_cpu) = (t.elapsed(), cpu_ms() - cpu);
        let hwm_import = status_kib("VmHWM:");
        // Where the import's CPU went: SQLite's connection threads, tokio's (the file reader runs
        // on a blocking thread), and the main thread, which runs the import itself here.
        let mut by = [0.0f64; 3];
        for (name, after) in cpu_by_thread() {
            let k = if name.starts_with("sqlx-sqlite") {
                0
            } else if name.starts_with("tokio") {
                1
            } else {
                2
            };
            by[k] += after - threads.get(&name).copied().unwrap_or(0.0);
        }
        expect_members(written as i64, rows)?;
        expect_members(d.members().await?, rows)?;
        println!(
            "result check_ms={} import_ms={} check_cpu_ms={check_cpu} import_cpu_ms={import_cpu} \
             sqlite_cpu_ms={} reader_cpu_ms={} main_cpu_ms={} base_kib={base} hwm_check_kib={hwm_check} \
             hwm_import_kib={hwm_import}",
            ms(check),
            ms(import),
            by[0],
            by[1],
            by[2]
        );
        Ok(())
    })
}

/// Through the router: upload (multipart) then accept, as a browser does.
fn child_http(file: &Path, template: &Path, rows: i64) -> Result<(), String> {
    let (_dir, db) = fresh_db(template)?;
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    rt.block_on(async {
        let b = app::Browser::sign_in(&db).await?;
        let base = status_kib("VmRSS:");
        reset_peak();
        let t = match app::import(&b, file, reset_peak).await {
            Ok(t) => t,
            Err(app::Refused::TooLarge) => {
                println!("result too_large=1");
                return Ok(());
            }
            Err(app::Refused::Other(e)) => return Err(e),
        };
        let hwm = status_kib("VmHWM:");
        expect_members(t.members, rows)?;
        println!(
            "result upload_ms={} accept_ms={} base_kib={base} hwm_accept_kib={hwm}",
            ms(t.upload),
            ms(t.accept)
        );
        Ok(())
    })
}

/// Runs this binary as a child and returns the `key=value` pairs of its `result` line.
fn run_child(args: &[&str]) -> Result<BTreeMap<String, f64>, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = Command::new(exe)
        .args(args)
        .output()
        .map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "{args:?} failed: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let line = stdout
        .lines()
        .find(|l| l.starts_with("result "))
        .ok_or(format!("{args:?}: no result line in {stdout}"))?;
    Ok(line
        .split_whitespace()
        .skip(1)
        .filter_map(|kv| kv.split_once('='))
        .filter_map(|(k, v)| Some((k.to_string(), v.parse().ok()?)))
        .collect())
}

// ---- the run --------------------------------------------------------------------------------

type Fields = BTreeMap<String, f64>;

#[derive(Debug, Clone)]
struct Measured {
    rows: u64,
    file_mib: f64,
    raw: Fields,
    direct: Fields,
    http: Fields,
}

fn get(m: &Fields, k: &str) -> f64 {
    m.get(k).copied().unwrap_or(f64::NAN)
}

fn mib(m: &Fields, k: &str) -> f64 {
    get(m, k) / 1024.0
}

impl Measured {
    /// calamine's faster raw read, in seconds: the stricter denominator.
    fn raw_s(&self) -> f64 {
        get(&self.raw, "cells_ms").min(get(&self.raw, "range_ms")) / 1000.0
    }
    fn import_s(&self) -> f64 {
        get(&self.direct, "import_ms") / 1000.0
    }
    fn rate(&self) -> f64 {
        self.rows as f64 / self.import_s()
    }
    fn ratio(&self) -> f64 {
        self.raw_s() / self.import_s()
    }
    fn http(&self) -> String {
        if self.http.contains_key("too_large") {
            return "over the limit".into();
        }
        if self.http.contains_key("failed") {
            return "failed (see the log)".into();
        }
        format!(
            "{:.3} + {:.3}",
            get(&self.http, "upload_ms") / 1000.0,
            get(&self.http, "accept_ms") / 1000.0
        )
    }
}

/// The allocator of the `jiceng` server (crates/app), so that the import is measured as it runs
/// there; calamine's raw read, in the same binary, gets it too.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let mut argv = std::env::args().skip(1);
    let first = argv.next();
    let result = match first.as_deref() {
        Some("child-raw") => {
            let file = argv.next().map(PathBuf::from).unwrap_or_default();
            let repeat = argv.next().and_then(|r| r.parse().ok()).unwrap_or(1);
            child_raw(&file, repeat).map(|_| true)
        }
        Some(which @ ("child-direct" | "child-http")) => {
            let file = argv.next().map(PathBuf::from).unwrap_or_default();
            let template = argv.next().map(PathBuf::from).unwrap_or_default();
            let rows = argv.next().and_then(|r| r.parse().ok()).unwrap_or(0);
            let run = if which == "child-direct" {
                child_direct
            } else {
                child_http
            };
            run(&file, &template, rows).map(|_| true)
        }
        _ => parse_args(first.into_iter().chain(argv)).and_then(run),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("jiceng-bench-import: {e}");
            ExitCode::from(2)
        }
    }
}

/// Returns false when a target was missed and `--strict` was given.
fn run(args: Args) -> Result<bool, String> {
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let dir = args.dir.clone().unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let template = dir.join("template.db");
    let _ = std::fs::remove_file(&template);
    let now = jiceng_web::clock::Clock::System.now_ms();
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let orgs = rt.block_on(app::template(&template, now))?;
    let load_before = machine_load();
    let tpl = template.to_string_lossy().to_string();
    let mut all = Vec::new();
    for &rows in &args.rows {
        let file = dir.join(format!("roster-{rows}.xlsx"));
        let t = Instant::now();
        generate::roster(&file, rows, &orgs).map_err(|e| e.to_string())?;
        let size = std::fs::metadata(&file).map_err(|e| e.to_string())?.len();
        eprintln!(
            "{rows} rows: generated {:.1} MiB in {:.1} s",
            size as f64 / 1048576.0,
            t.elapsed().as_secs_f64()
        );
        let f = file.to_string_lossy().to_string();
        let n = rows.to_string();
        let raw = run_child(&["child-raw", &f, &args.repeat.to_string()])?;
        eprintln!("{rows} rows: calamine {raw:?}");
        let mut direct = run_child(&["child-direct", &f, &tpl, &n])?;
        for _ in 1..args.repeat {
            let again = run_child(&["child-direct", &f, &tpl, &n])?;
            if get(&again, "import_ms") < get(&direct, "import_ms") {
                direct = again;
            }
        }
        eprintln!("{rows} rows: app {direct:?}");
        // A failure here (say the 30 s request timeout on a busy machine) is reported in the
        // table rather than ending the run: the app's own figures are the ones with targets.
        let http = run_child(&["child-http", &f, &tpl, &n]).unwrap_or_else(|e| {
            eprintln!("{rows} rows: through HTTP failed: {e}");
            Fields::from([("failed".to_string(), 1.0)])
        });
        eprintln!("{rows} rows: through HTTP {http:?}");
        all.push(Measured {
            rows,
            file_mib: size as f64 / 1048576.0,
            raw,
            direct,
            http,
        });
    }
    let ok = report(&all);
    println!(
        "machine: before the run {load_before}; after it {}",
        machine_load()
    );
    Ok(ok || !args.strict)
}

/// The load average and CPU pressure (share of time some task waited for a CPU, last 60 s): other
/// work on the machine shows up here, and the figures drop with it.
fn machine_load() -> String {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    let pressure = std::fs::read_to_string("/proc/pressure/cpu").unwrap_or_default();
    let some60 = pressure
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().find_map(|f| f.strip_prefix("avg60=")))
        .unwrap_or("?");
    format!("load average {}, CPU pressure {some60}%", load.join(" "))
}

/// Prints the tables and the targets; returns whether every target was met.
fn report(all: &[Measured]) -> bool {
    println!();
    println!(
        "| rows | file MiB | calamine cells s | calamine range s | preview s | import s | import rows/s | calamine / import | import CPU s: SQLite, reader, main | HTTP upload + accept s |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for m in all {
        let cpu = |k: &str| get(&m.direct, k) / 1000.0;
        println!(
            "| {} | {:.1} | {:.3} | {:.3} | {:.3} | {:.3} | {:.0} | {:.0}% | {:.2}, {:.2}, {:.2} | {} |",
            m.rows,
            m.file_mib,
            get(&m.raw, "cells_ms") / 1000.0,
            get(&m.raw, "range_ms") / 1000.0,
            get(&m.direct, "check_ms") / 1000.0,
            m.import_s(),
            m.rate(),
            m.ratio() * 100.0,
            cpu("sqlite_cpu_ms"),
            cpu("reader_cpu_ms"),
            cpu("main_cpu_ms"),
            m.http(),
        );
    }
    println!();
    println!(
        "| rows | peak MiB: calamine cells | calamine range | preview | import | HTTP upload + accept | resident before (app) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for m in all {
        let http = if m.http.contains_key("too_large") || m.http.contains_key("failed") {
            "—".to_string()
        } else {
            format!("{:.1}", mib(&m.http, "hwm_accept_kib"))
        };
        println!(
            "| {} | {:.1} | {:.1} | {:.1} | {:.1} | {http} | {:.1} |",
            m.rows,
            mib(&m.raw, "hwm_cells_kib"),
            mib(&m.raw, "hwm_range_kib"),
            mib(&m.direct, "hwm_check_kib"),
            mib(&m.direct, "hwm_import_kib"),
            mib(&m.direct, "base_kib"),
        );
    }
    println!();
    let mut ok = true;
    for m in all.iter().filter(|m| m.rows >= TARGET_FROM_ROWS) {
        let rate_ok = m.rate() >= TARGET_ROWS_PER_S;
        let ratio_ok = m.ratio() >= TARGET_RATIO;
        ok &= rate_ok && ratio_ok;
        println!(
            "{} rows: {:.0} rows/s against {:.0} — {}; {:.0}% of calamine's raw read against {:.0}% — {}",
            m.rows,
            m.rate(),
            TARGET_ROWS_PER_S,
            verdict(rate_ok),
            m.ratio() * 100.0,
            TARGET_RATIO * 100.0,
            verdict(ratio_ok)
        );
    }
    ok &= memory(all);
    ok
}

/// Constant memory: from the smallest size the targets apply to up to the largest, the import's
/// own peak (less the peak of calamine's streaming read of the same file, which holds the file's
/// shared strings) may grow by what the duplicate check needs and no more.
fn memory(all: &[Measured]) -> bool {
    let own = |m: &Measured| mib(&m.direct, "hwm_import_kib") - mib(&m.raw, "hwm_cells_kib");
    let sized: Vec<&Measured> = all.iter().filter(|m| m.rows >= TARGET_FROM_ROWS).collect();
    let (Some(small), Some(large)) = (sized.first(), sized.last()) else {
        return true;
    };
    if small.rows == large.rows {
        return true;
    }
    let growth = own(large) - own(small);
    let allowed = (large.rows - small.rows) as f64 * MEMORY_PER_ROW / 1048576.0 + MEMORY_SLACK_MIB;
    let ok = growth <= allowed;
    println!(
        "memory: the import's peak less calamine's own is {:.1} MiB at {} rows and {:.1} MiB at {} rows, {:+.1} MiB against at most {:+.1} — {}",
        own(small),
        small.rows,
        own(large),
        large.rows,
        growth,
        allowed,
        verdict(ok)
    );
    ok
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT MET" }
}
