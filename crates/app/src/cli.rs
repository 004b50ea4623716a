//! Command-line interface (clap). Every subcommand has `--help`.

use crate::ops;
use crate::settings::Settings;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "jiceng",
    version,
    about = "基层治理平台 jiceng：一个二进制文件，SQLite 或 PostgreSQL"
)]
pub struct Cli {
    /// Settings file (TOML); JICENG_* environment variables override it.
    #[arg(long, global = true, env = "JICENG_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the web server.
    Serve,
    /// Apply pending database migrations.
    Migrate,
    /// Open a demo district on SQLite (created on first run), then serve it.
    Demo {
        #[arg(long, value_enum, default_value_t = Scale::District)]
        scale: Scale,
        /// The demo database file.
        #[arg(long, default_value = "jiceng-demo.db")]
        db: PathBuf,
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Only create the data; do not start the server.
        #[arg(long)]
        no_serve: bool,
    },
    /// Manage accounts from the command line.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Copy the SQLite database to a file while the server runs (VACUUM INTO).
    Backup { file: PathBuf },
    /// Replace the SQLite database with a backup (stop the server first).
    Restore {
        file: PathBuf,
        /// Overwrite an existing database.
        #[arg(long)]
        force: bool,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
    /// Roll-up figures.
    Insight {
        #[command(subcommand)]
        action: InsightAction,
    },
    /// Residents' voice (问题清单).
    Voice {
        #[command(subcommand)]
        action: VoiceAction,
    },
    /// Print a new random encryption key (64 hex characters) for `key_file`.
    Keygen,
    /// Partners' API keys for the Open311 interface (/open311/v2).
    Open311 {
        #[command(subcommand)]
        action: Open311Action,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Scale {
    District,
    Province,
}

#[derive(Debug, Subcommand)]
pub enum UserAction {
    /// Create an account; the password is read from standard input or generated and printed once.
    Add {
        #[arg(long)]
        username: String,
        #[arg(long)]
        name: String,
        /// district_org, town_committee, village_committee, service_staff, grid_worker, member, resident,
        /// sys_admin, sec_admin, audit_admin
        #[arg(long)]
        role: String,
        /// Division code of the place the account is bound to.
        #[arg(long)]
        place: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a new password (from standard input, or generated and printed once).
    Passwd {
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable an account; its sessions end.
    Lock { username: String },
    /// Enable an account and clear a failure lockout.
    Unlock { username: String },
}

#[derive(Debug, Subcommand)]
pub enum Open311Action {
    /// Issue a key for a partner, printed once; it files requests only in the place's subtree.
    Key {
        #[arg(long)]
        partner: String,
        /// Division code of the place whose villages the key may file requests in.
        #[arg(long)]
        place: String,
        /// Requests the key may file in an hour.
        #[arg(long, default_value_t = jiceng_store::open311::DEFAULT_PER_HOUR)]
        per_hour: i64,
    },
    /// List the keys (never the keys themselves: only their hashes are kept).
    Keys,
    /// Stop a key at once.
    Revoke { id: i64 },
}

#[derive(Debug, Subcommand)]
pub enum AuditAction {
    /// Walk the hash chain and report the first broken link.
    Verify,
}

#[derive(Debug, Subcommand)]
pub enum InsightAction {
    /// Recompute every roll-up from the records.
    Rebuild,
}

#[derive(Debug, Subcommand)]
pub enum VoiceAction {
    /// Close problems whose objection window has passed and escalate overdue ones (the server
    /// does this every ten minutes).
    Sweep,
    /// File a new objection window (days after 办结 in which a resident may object) from a day
    /// on; problems resolved before that day keep the window in force then. Lists the windows.
    Window {
        /// Days (1–60); without it, only list the windows on file.
        #[arg(long)]
        days: Option<i64>,
        /// First day it applies (YYYY-MM-DD).
        #[arg(long)]
        from: Option<String>,
        /// The local rule it rests on.
        #[arg(long)]
        basis: Option<String>,
    },
}

pub type CliResult = Result<ExitCode, Box<dyn std::error::Error>>;

pub async fn run(cli: Cli) -> CliResult {
    if let Command::Keygen = cli.command {
        println!("{}", jiceng_store::users::random_token());
        return Ok(ExitCode::SUCCESS);
    }
    if let Command::Demo {
        scale,
        db,
        listen,
        no_serve,
    } = &cli.command
    {
        return ops::demo(*scale, db, listen, *no_serve).await;
    }
    let settings = Settings::load(cli.config.as_deref(), std::env::vars())?;
    ops::init_tracing(&settings);
    match cli.command {
        Command::Serve => ops::serve(&settings).await,
        Command::Migrate => {
            let store = ops::open(&settings).await?;
            let applied = store.migrate().await?;
            println!(
                "已应用迁移 / applied: {}",
                if applied.is_empty() {
                    "(none)".to_string()
                } else {
                    applied.join(", ")
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::User { action } => ops::user(&settings, action).await,
        Command::Open311 { action } => crate::open311::run(&settings, action).await,
        Command::Backup { file } => ops::backup(&settings, &file).await,
        Command::Restore { file, force } => ops::restore(&settings, &file, force).await,
        Command::Audit {
            action: AuditAction::Verify,
        } => ops::audit_verify(&settings).await,
        Command::Insight {
            action: InsightAction::Rebuild,
        } => {
            let store = ops::open(&settings).await?;
            let n = store.rollup_rebuild().await?;
            println!("已重算统计 / roll-ups rebuilt: {n} rows");
            let months = store
                .coverage_catch_up(
                    &jiceng_store::Actor::cli("insight-rebuild"),
                    jiceng_web::clock::Clock::System.now_ms(),
                    true,
                )
                .await?;
            println!(
                "已重算月度覆盖率 / monthly coverage recomputed: {} months",
                months.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Voice {
            action: VoiceAction::Sweep,
        } => ops::voice_sweep_once(&settings).await,
        Command::Voice {
            action: VoiceAction::Window { days, from, basis },
        } => ops::voice_window(&settings, days, from, basis).await,
        Command::Keygen | Command::Demo { .. } => Ok(ExitCode::SUCCESS),
    }
}
