//! `jiceng open311`: partners' API keys for the Open311 interface. A key is printed once, when
//! it is issued; only its SHA-256 is kept, so a lost key is revoked and a new one issued.

use crate::cli::{CliResult, Open311Action};
use crate::ops::open;
use crate::settings::Settings;
use jiceng_store::Actor;
use jiceng_web::clock::{Clock, format_ms};
use std::process::ExitCode;

pub async fn run(s: &Settings, action: Open311Action) -> CliResult {
    let store = open(s).await?;
    let actor = Actor::cli("open311");
    let now = Clock::System.now_ms();
    match action {
        Open311Action::Key {
            partner,
            place,
            per_hour,
        } => {
            let (key, secret) = store
                .open311_issue_key(&actor, &partner, &place, per_hour, now)
                .await
                .map_err(|e| match e {
                    jiceng_store::StoreError::NotFound => format!("找不到代码为 {place} 的地点"),
                    other => other.to_string(),
                })?;
            println!(
                "已签发 Open311 密钥 / key issued: #{} {}，范围 / scope {}（{}），每小时上限 / per hour {}",
                key.id, key.partner, key.place_name, key.place_code, key.per_hour
            );
            println!("api_key (shown once): {secret}");
        }
        Open311Action::Keys => {
            for k in store.open311_keys().await? {
                let state = k.revoked_at.map_or_else(
                    || "在用 / active".to_string(),
                    |t| format!("已停用 / revoked {}", format_ms(t)),
                );
                println!(
                    "#{}\t{}\t{}（{}）\t{}/h\t{}\t{}",
                    k.id,
                    k.partner,
                    k.place_name,
                    k.place_code,
                    k.per_hour,
                    format_ms(k.created_at),
                    state
                );
            }
        }
        Open311Action::Revoke { id } => {
            store
                .open311_revoke_key(&actor, id, now)
                .await
                .map_err(|e| match e {
                    jiceng_store::StoreError::NotFound => format!("没有在用的密钥 #{id}"),
                    other => other.to_string(),
                })?;
            println!("已停用密钥 / key revoked: #{id}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
