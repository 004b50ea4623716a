//! The `jiceng` binary: serve, demo, migrate, accounts, backup/restore, audit verification.

mod cli;
mod open311;
mod ops;
mod settings;

use clap::Parser;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("错误 / error: {e}");
            ExitCode::FAILURE
        }
    }
}
