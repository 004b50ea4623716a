//! What the subcommands do.

use crate::cli::{CliResult, Scale, UserAction};
use crate::settings::Settings;
use jiceng_store::audit::Verdict;
use jiceng_store::users::{NewUser, random_token};
use jiceng_store::{Actor, Backend, Scope, Sealer, Store, StoreOptions};
use jiceng_web::clock::Clock;
use jiceng_web::{AppState, WebConfig};
use std::io::BufRead;
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;

pub fn init_tracing(s: &Settings) {
    let filter = tracing_subscriber::EnvFilter::try_new(&s.log_level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    // A second init (tests) is harmless; ignore its error.
    let _ = if s.log_format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

pub async fn open(s: &Settings) -> Result<Store, Box<dyn std::error::Error>> {
    let sealer = Sealer::from_hex(&s.master_key()?)?;
    let mut opts = StoreOptions::new(&s.database_url);
    opts.readers = s.readers;
    opts.pg_writers = s.pg_writers;
    Ok(Store::connect(&opts, sealer).await?)
}

/// Computes each month's coverage figures once the month is over: at start, then hourly.
fn spawn_monthly_figures(store: Store) {
    tokio::spawn(async move {
        let actor = Actor::cli("monthly-figures");
        loop {
            match store.coverage_catch_up(&actor, now(), false).await {
                Ok(months) if !months.is_empty() => {
                    tracing::info!(months = months.len(), "coverage figures computed");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "coverage figures not computed"),
            }
            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        }
    });
}

/// Residents' voice: closes problems whose objection window has passed and escalates those past
/// their deadline to the town, at start and then every ten minutes (idempotent).
fn spawn_voice_sweep(store: Store) {
    tokio::spawn(async move {
        loop {
            if let Err(e) = voice_sweep(&store).await {
                tracing::warn!(error = %e, "voice sweep failed");
            }
            tokio::time::sleep(std::time::Duration::from_secs(600)).await;
        }
    });
}

async fn voice_sweep(store: &Store) -> Result<(u64, u64), jiceng_store::StoreError> {
    let now = now();
    let (closed, escalated) = store
        .voice_sweep(&jiceng_web::clock::day_of(now), now)
        .await?;
    if closed + escalated > 0 {
        tracing::info!(closed, escalated, "voice sweep");
    }
    // The service centre's requests past their due date are marked by the same timer.
    let marked = store
        .service_sweep(&jiceng_web::clock::day_of(now), now)
        .await?;
    if marked > 0 {
        tracing::info!(marked, "service sweep");
    }
    Ok((closed, escalated))
}

/// `jiceng voice sweep`: the server's sweep, once, now.
pub async fn voice_sweep_once(s: &Settings) -> CliResult {
    let store = open(s).await?;
    let (closed, escalated) = voice_sweep(&store).await?;
    println!("已销号 / closed: {closed}；已上报 / escalated: {escalated}");
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// `jiceng voice window`: files a new objection window (if `days` is given), then lists them.
pub async fn voice_window(
    s: &Settings,
    days: Option<i64>,
    from: Option<String>,
    basis: Option<String>,
) -> CliResult {
    let store = open(s).await?;
    if let Some(days) = days {
        let rule = jiceng_domain::voice::VoiceRule {
            effective_from: from.unwrap_or_else(|| jiceng_web::clock::day_of(now())),
            basis: basis.unwrap_or_default(),
            objection_days: days,
        };
        if let Err(e) = store
            .add_voice_rule(&cli_actor("voice-window"), &rule, now())
            .await
        {
            store.close().await;
            return Err(e.into());
        }
    }
    println!("异议期 / objection windows:");
    for r in store.voice_rules().await? {
        println!(
            "  {} 起 {} 天 — {}",
            r.effective_from, r.objection_days, r.basis
        );
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

async fn serve_store(store: Store, web: WebConfig, listen: &str) -> CliResult {
    spawn_monthly_figures(store.clone());
    spawn_voice_sweep(store.clone());
    let state = AppState::new(store.clone(), web, Clock::System);
    let app = jiceng_web::router(state);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("无法监听 {listen}：{e}"))?;
    tracing::info!(%listen, "jiceng listening");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

pub async fn serve(s: &Settings) -> CliResult {
    let store = open(s).await?;
    for m in store.migrate().await? {
        tracing::info!(migration = %m, "applied");
    }
    serve_store(store, s.web(), &s.listen).await
}

fn now() -> i64 {
    Clock::System.now_ms()
}

fn cli_actor(what: &str) -> Actor {
    Actor::cli(what)
}

/// Creates the demo database on first run (with its own key file beside it), then serves it.
pub async fn demo(scale: Scale, db: &Path, listen: &str, no_serve: bool) -> CliResult {
    let settings = Settings {
        log_level: "info,sqlx=warn".into(),
        ..Settings::default()
    };
    init_tracing(&settings);
    let key_path = db.with_extension("key");
    let fresh = !db.exists();
    if !key_path.exists() {
        if !fresh {
            return Err(format!(
                "{} 存在但缺少密钥文件 {}；请删除数据库后重试",
                db.display(),
                key_path.display()
            )
            .into());
        }
        std::fs::write(&key_path, random_token())?;
    }
    let key = std::fs::read_to_string(&key_path)?;
    let store = Store::connect(
        &StoreOptions::new(format!("sqlite://{}", db.display())),
        Sealer::from_hex(&key)?,
    )
    .await?;
    store.migrate().await?;
    if fresh {
        println!(
            "正在生成演示数据 / generating the demo ({scale:?}) into {} …",
            db.display()
        );
        let mut progress = |msg: &str| println!("  {msg}");
        let summary = match scale {
            Scale::District => jiceng_demo::generate_district(&store, now(), &mut progress).await?,
            Scale::Province => jiceng_demo::generate_province(&store, now(), &mut progress).await?,
        };
        println!(
            "完成 / done: {} places ({} villages, {} grids), {} organisations, {} units, {} accounts",
            summary.places,
            summary.villages,
            summary.grids,
            summary.orgs,
            summary.units,
            summary.accounts
        );
        if summary.members > 0 {
            println!("党员名册 / member register: {} members", summary.members);
        }
        if matches!(scale, Scale::Province) {
            // JICENG_DEMO_VOICE_PERCENT scales the ~20 million voice records (0 leaves them out).
            let percent: u32 = std::env::var("JICENG_DEMO_VOICE_PERCENT")
                .ok()
                .and_then(|p| p.parse().ok())
                .unwrap_or(100);
            if percent > 0 {
                let size = jiceng_demo::VoiceSize::percent(percent);
                let v =
                    jiceng_demo::generate_province_voice(&store, None, now(), size, &mut progress)
                        .await?;
                println!(
                    "问题清单与联系户 / problems and households: {} problems ({} events), {} households, {} visits",
                    v.problems, v.events, v.households, v.visits
                );
            }
        }
        if matches!(scale, Scale::District) {
            let members = jiceng_demo::generate_members(&store, now(), &mut progress).await?;
            println!("党员名册 / member register: {members} members");
            let flows = jiceng_demo::generate_flows(&store, now()).await?;
            println!("流动党员 / flowing members: {flows}");
            let files = jiceng_demo::generate_recruitment(&store, now()).await?;
            println!("发展党员档案 / recruitment files: {files}");
            let transfers = jiceng_demo::generate_transfers(&store, now()).await?;
            println!("组织关系转接 / transfers: {transfers}");
            let v = jiceng_demo::generate_village_governance(&store, now()).await?;
            println!(
                "村级组织与四议两公开 / village bodies and decisions: {} villages, {} people, {} meetings, {} matters, {} publications",
                v.villages, v.people, v.meetings, v.matters, v.publications
            );
            let st = jiceng_demo::generate_studios(&store, now()).await?;
            println!(
                "党代表工作室 / representative studios: {} studios, {} representatives, {} receptions ({} residents, {} problems filed)",
                st.studios, st.representatives, st.receptions, st.residents, st.problems
            );
            let tm = jiceng_demo::generate_teams(&store, now()).await?;
            println!(
                "驻点工作队 / stationed teams: {} teams, {} checklist items ({} done, {} overdue)",
                tm.teams, tm.items, tm.done, tm.overdue
            );
            let sv = jiceng_demo::generate_services(&store, now()).await?;
            println!(
                "党群服务中心 / service centre: {} items, {} requests ({} completed, {} refused, {} overdue)",
                sv.items, sv.requests, sv.completed, sv.rejected, sv.overdue
            );
            let life = jiceng_demo::generate_life(&store, now(), &mut progress).await?;
            println!(
                "三会一课 / organisational life: {} branches, {} meetings ({} without quorum), {} attendance records, {} red-observer visits",
                life.branches,
                life.meetings,
                life.without_quorum,
                life.attendance,
                life.observations
            );
            let voice = jiceng_demo::generate_voice(&store, now()).await?;
            let rate = voice.solve_rate_bp();
            println!(
                "群众心声 / residents' voice: {} problems filed, {} escalated; district 收集 {}, 解决 {}, 解决率 {}.{:02}%",
                voice.problems,
                voice.escalated,
                voice.collected,
                voice.solved,
                rate / 100,
                rate % 100
            );
            let h = jiceng_demo::generate_households(&store, now()).await?;
            println!(
                "党员联系户 / household contact: {} households, {} assignments, {} visits in a year; {} ({} members) 入户率 {}%",
                h.households,
                h.assignments,
                h.visits,
                h.xiqiao_town,
                h.xiqiao_members,
                h.xiqiao_rate_percent
            );
            let months = store
                .coverage_catch_up(&cli_actor("demo"), now(), false)
                .await?;
            println!(
                "两新覆盖月度统计 / monthly coverage: {} months",
                months.len()
            );
        }
    }
    if no_serve {
        store.close().await;
        return Ok(ExitCode::SUCCESS);
    }
    println!("\njiceng 演示区已就绪 / demo ready: http://{listen}/\n");
    println!("{:<14} {:<12} {:<24} 绑定地点", "用户名", "密码", "角色");
    for a in jiceng_demo::demo_accounts() {
        println!(
            "{:<14} {:<12} {:<24} {}",
            a.username,
            a.password,
            a.role.zh(),
            a.place_name
        );
    }
    println!("\n管理员账号（系统/安全/审计）首次登录须绑定动态口令（TOTP）。按 Ctrl+C 停止。\n");
    serve_store(store, WebConfig::default(), listen).await
}

fn read_password(from_stdin: bool) -> Result<(String, bool), Box<dyn std::error::Error>> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        return Ok((line.trim_end_matches(['\r', '\n']).to_string(), false));
    }
    // Generated: 16 hex chars plus fixed classes so the policy (3 of 4 classes) always holds.
    Ok((format!("Jc-{}A", &random_token()[..16]), true))
}

pub async fn user(s: &Settings, action: UserAction) -> CliResult {
    let store = open(s).await?;
    let actor = cli_actor("user");
    match action {
        UserAction::Add {
            username,
            name,
            role,
            place,
            password_stdin,
        } => {
            let place = store
                .place_by_code(&Scope::All, &place)
                .await
                .map_err(|_| format!("找不到代码为 {place} 的地点"))?;
            let (password, generated) = read_password(password_stdin)?;
            let u = store
                .create_user(
                    &actor,
                    &Scope::All,
                    NewUser {
                        username,
                        display_name: name,
                        password: password.clone(),
                        role,
                        place_id: place.id,
                    },
                    now(),
                )
                .await?;
            println!("已创建账号 / created: {} ({})", u.username, u.role);
            if generated {
                println!("初始密码 / initial password (shown once): {password}");
            }
        }
        UserAction::Passwd {
            username,
            password_stdin,
        } => {
            let u = store
                .user_by_name(&username)
                .await?
                .ok_or_else(|| format!("找不到账号 {username}"))?;
            let (password, generated) = read_password(password_stdin)?;
            store
                .set_password(&actor, &Scope::All, u.id, &password, now())
                .await?;
            println!("已设置新密码 / password set for {username}");
            if generated {
                println!("新密码 / new password (shown once): {password}");
            }
        }
        UserAction::Lock { username } | UserAction::Unlock { username }
            if store.user_by_name(&username).await?.is_none() =>
        {
            return Err(format!("找不到账号 {username}").into());
        }
        UserAction::Lock { username } => {
            let u = store
                .user_by_name(&username)
                .await?
                .ok_or("no such account")?;
            store
                .set_locked(&actor, &Scope::All, u.id, true, now())
                .await?;
            println!("已停用 / locked: {username}");
        }
        UserAction::Unlock { username } => {
            let u = store
                .user_by_name(&username)
                .await?
                .ok_or("no such account")?;
            store
                .set_locked(&actor, &Scope::All, u.id, false, now())
                .await?;
            println!("已启用 / unlocked: {username}");
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

fn sqlite_path(url: &str) -> Option<&str> {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .map(|p| p.split('?').next().unwrap_or(p))
}

const PG_BACKUP_HINT: &str =
    "PostgreSQL 请使用 pg_dump / pg_restore 备份与恢复（见 docs/OPERATIONS.md）";

pub async fn backup(s: &Settings, file: &Path) -> CliResult {
    if jiceng_store::backend_of(&s.database_url)? == Backend::Postgres {
        return Err(PG_BACKUP_HINT.into());
    }
    if file.exists() {
        return Err(format!("{} 已存在；请换一个文件名", file.display()).into());
    }
    let store = open(s).await?;
    let target = file
        .to_str()
        .ok_or("备份文件路径须为 UTF-8")?
        .replace('\'', "''");
    // VACUUM INTO makes a consistent, compact copy while the server keeps running.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("VACUUM INTO '{target}'")))
        .execute(&store.writer)
        .await?;
    store.close().await;
    println!("已备份 / backed up to {}", file.display());
    Ok(ExitCode::SUCCESS)
}

pub async fn restore(s: &Settings, file: &Path, force: bool) -> CliResult {
    let Some(db) = sqlite_path(&s.database_url) else {
        return Err(PG_BACKUP_HINT.into());
    };
    if !file.exists() {
        return Err(format!("找不到备份文件 {}", file.display()).into());
    }
    if Path::new(db).exists() && !force {
        return Err(format!("数据库 {db} 已存在；确认覆盖请加 --force（请先停止服务）").into());
    }
    // Check a copy of the backup before touching the database: it opens, it is intact, its audit
    // chain holds. Only then does the copy replace the database, by a rename.
    let tmp = format!("{db}.restoring");
    std::fs::copy(file, &tmp)?;
    let checked = check_backup(&tmp, &s.master_key()?).await;
    for ext in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{tmp}{ext}"));
    }
    if let Err(e) = checked {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    for ext in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{db}{ext}"));
    }
    std::fs::rename(&tmp, db)?;
    println!("已从 {} 恢复 / restored into {db}", file.display());
    Ok(ExitCode::SUCCESS)
}

async fn check_backup(path: &str, key: &str) -> Result<(), Box<dyn std::error::Error>> {
    let backup = Store::connect(
        &StoreOptions::new(format!("sqlite://{path}")),
        Sealer::from_hex(key)?,
    )
    .await?;
    let ok: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&backup.reader)
        .await?;
    let verdict = backup.audit_verify().await;
    // Back to a single file so the rename carries everything.
    let _ = sqlx::raw_sql("PRAGMA journal_mode=DELETE")
        .execute(&backup.writer)
        .await;
    backup.close().await;
    if ok != "ok" {
        return Err(format!("备份文件已损坏：{ok}").into());
    }
    if let Verdict::Broken { seq, reason } = verdict? {
        return Err(format!("备份中的审计链在第 {seq} 条断开（{reason}），拒绝恢复").into());
    }
    Ok(())
}

pub async fn audit_verify(s: &Settings) -> CliResult {
    let store = open(s).await?;
    let v = store.audit_verify().await?;
    store.close().await;
    match v {
        Verdict::Intact { entries } => {
            println!("审计链完整 / audit chain intact: {entries} entries");
            Ok(ExitCode::SUCCESS)
        }
        Verdict::Broken { seq, reason } => {
            println!("审计链断开 / audit chain BROKEN at entry {seq}: {reason}");
            Ok(ExitCode::from(2))
        }
    }
}
