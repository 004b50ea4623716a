//! The administrators' second factor (等保 level 3): TOTP (RFC 6238, 30 s, 6 digits) with a sealed
//! secret, each code usable once, and failures counted with the password's lockout.

use crate::audit::{self, Change};
use crate::error::{StoreError, StoreResult};
use crate::users::{LOCK_MS, MAX_FAILURES};
use crate::{Actor, Store};
use rand::RngCore;
use totp_rs::{Algorithm, TOTP};

pub const STEP_SECS: u64 = 30;

/// The TOTP of a secret, labelled for authenticator apps.
pub fn totp(secret: Vec<u8>, username: &str) -> StoreResult<TOTP> {
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP_SECS,
        secret,
        Some("jiceng".into()),
        username.to_string(),
    )
    .map_err(|e| StoreError::Internal(format!("totp: {e}")))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotpOutcome {
    Accepted,
    Refused,
    /// Too many wrong codes: the account is locked like after five wrong passwords.
    Locked,
}

impl Store {
    /// The account's TOTP secret, creating an unconfirmed one if it has none.
    pub async fn totp_secret(&self, user_id: i64) -> StoreResult<Vec<u8>> {
        let sealed: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT totp_sealed FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_one(&self.reader)
                .await?;
        if let Some(s) = sealed {
            return self.sealer.open(&s);
        }
        let mut secret = vec![0u8; 20];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        sqlx::query("UPDATE users SET totp_sealed = $1, totp_confirmed = 0 WHERE id = $2")
            .bind(self.sealer.seal(&secret)?)
            .bind(user_id)
            .execute(&self.writer)
            .await?;
        Ok(secret)
    }

    /// Checks a code: it must match the current step (±1 for clock drift) and be newer than the last
    /// code used, so a code seen over someone's shoulder cannot be replayed.
    pub async fn totp_verify(
        &self,
        actor: &Actor,
        user_id: i64,
        username: &str,
        code: &str,
        now: i64,
    ) -> StoreResult<TotpOutcome> {
        let tp = totp(self.totp_secret(user_id).await?, username)?;
        let mut tx = self.writer.begin().await?;
        let (last, confirmed): (i64, i64) =
            sqlx::query_as("SELECT totp_last_step, totp_confirmed FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_one(&mut *tx)
                .await?;
        let current = now.max(0) / 1000 / STEP_SECS as i64;
        let step = (current - 1..=current + 1)
            .find(|s| *s > last && tp.generate(*s as u64 * STEP_SECS) == code);
        if let Some(step) = step {
            sqlx::query("UPDATE users SET totp_last_step = $1, totp_confirmed = 1, failed_logins = 0 WHERE id = $2")
                .bind(step)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            let action = if confirmed == 0 {
                "totp_enrol"
            } else {
                "totp_pass"
            };
            audit::commit(
                tx,
                actor,
                Change::new(action, "user", user_id, None, None),
                now,
            )
            .await?;
            return Ok(TotpOutcome::Accepted);
        }
        let failures: i64 = sqlx::query_scalar("UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins")
            .bind(user_id)
            .fetch_one(&mut *tx)
            .await?;
        let locked = failures >= MAX_FAILURES;
        if locked {
            sqlx::query("UPDATE users SET failed_logins = 0, locked_until = $1 WHERE id = $2")
                .bind(now + LOCK_MS)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        let after = serde_json::json!({"failed_logins": failures, "locked": locked});
        audit::commit(
            tx,
            actor,
            Change::new("totp_failed", "user", user_id, None, Some(after)),
            now,
        )
        .await?;
        Ok(if locked {
            TotpOutcome::Locked
        } else {
            TotpOutcome::Refused
        })
    }
}
