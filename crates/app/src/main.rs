//! The `jiceng` binary: serve, demo, migrate, accounts, backup/restore, audit verification.

mod cli;
mod open311;
mod ops;
mod settings;

use clap::Parser;
use std::process::ExitCode;

/// mimalloc rather than the system allocator: a filing or an import row allocates many small
/// strings across threads, where glibc's malloc spent a tenth of the server's time.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
