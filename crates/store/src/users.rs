//! Accounts, logins (with lockout), sessions, API tokens and the administrators' second factor.

use crate::audit::{self, Change};
use crate::error::{StoreError, StoreResult};
use crate::places::{check_name, place_in};
use crate::rollups;
use crate::scope::Scope;
use crate::sql::{Page, Sql, like_contains};
use crate::{Actor, Store};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Version};
use jiceng_domain::{DomainError, Role, password};
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// 等保 level 3: lock after 5 failures, for 15 minutes.
pub const MAX_FAILURES: i64 = 5;
pub const LOCK_MS: i64 = 15 * 60 * 1000;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    #[serde(skip)]
    pub password_hash: String,
    pub role: String,
    pub place_id: i64,
    pub failed_logins: i64,
    pub locked_until: i64,
    pub disabled: i64,
    pub totp_confirmed: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub place_code: String,
    pub place_name: String,
}

impl User {
    pub fn role(&self) -> Option<Role> {
        Role::parse(&self.role)
    }

    /// What this account may see: administrators and the root's department see everything below
    /// their place; everybody else their place's subtree.
    pub fn scope(&self) -> Scope {
        match self.role() {
            Some(r) if r.is_admin() => Scope::All,
            Some(_) => match jiceng_domain::DivisionCode::parse(&self.place_code) {
                Ok(c) => Scope::prefix(c.subtree_prefix()),
                Err(_) => Scope::Prefixes(vec![]),
            },
            None => Scope::Prefixes(vec![]),
        }
    }

    fn json(&self) -> serde_json::Value {
        serde_json::json!({"username": self.username, "display_name": self.display_name, "role": self.role,
            "place_id": self.place_id, "disabled": self.disabled, "locked_until": self.locked_until})
    }
}

const COLS: &str = "u.id, u.username, u.display_name, u.password_hash, u.role, u.place_id, u.failed_logins, u.locked_until, \
                    u.disabled, u.totp_confirmed, u.created_at, u.updated_at, p.code AS place_code, p.name AS place_name";

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub password: String,
    pub role: String,
    pub place_id: i64,
}

#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub q: Option<String>,
    pub role: Option<String>,
    pub under_prefix: Option<String>,
}

/// Why a login was refused; the web layer shows one message for unknown user and wrong password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginError {
    BadCredentials,
    Locked { until: i64 },
    Disabled,
}

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

fn check_username(u: &str) -> StoreResult<String> {
    let u = u.trim().to_ascii_lowercase();
    let ok = (3..=32).contains(&u.len())
        && u.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
    if !ok {
        return Err(DomainError::new(
            "account.username_invalid",
            "用户名为3–32位字母、数字或 _ . -",
            "a username is 3–32 letters, digits or _ . -",
        )
        .on("username")
        .into());
    }
    Ok(u)
}

/// Which level of place a role may be bound to (0 province … 5 grid).
fn check_binding(role: Role, level: u8) -> StoreResult<()> {
    let ok = match role {
        Role::DistrictOrg => level <= 2,
        Role::TownCommittee => level == 3,
        Role::VillageCommittee | Role::ServiceStaff => level == 4,
        Role::GridWorker => level >= 4,
        Role::Member | Role::Resident => level >= 3,
        Role::SysAdmin | Role::SecAdmin | Role::AuditAdmin => true,
    };
    if ok {
        return Ok(());
    }
    Err(DomainError::new(
        "account.place_level",
        format!(
            "{}须绑定到相应层级的地点（如镇街党委绑定镇或街道）",
            role.zh()
        ),
        format!(
            "a {} account must be bound to a place of the matching level",
            role.en()
        ),
    )
    .on("place_id")
    .into())
}

impl Store {
    fn argon(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.argon.clone())
    }

    pub async fn hash_password(&self, pw: &str) -> StoreResult<String> {
        let argon = self.argon();
        let pw = pw.to_string();
        tokio::task::spawn_blocking(move || {
            let salt = SaltString::generate(&mut rand::rngs::OsRng);
            argon
                .hash_password(pw.as_bytes(), &salt)
                .map(|h| h.to_string())
        })
        .await
        .map_err(|e| StoreError::Internal(e.to_string()))?
        .map_err(|e| StoreError::Internal(e.to_string()))
    }

    async fn verify_password(&self, pw: &str, hash: &str) -> bool {
        let argon = self.argon();
        let (pw, hash) = (pw.to_string(), hash.to_string());
        tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash).is_ok_and(|h| argon.verify_password(pw.as_bytes(), &h).is_ok())
        })
        .await
        .unwrap_or(false)
    }

    pub async fn user(&self, scope: &Scope, id: i64) -> StoreResult<User> {
        let mut sql = Sql::new(&format!(
            "SELECT {COLS} FROM users u JOIN places p ON p.id = u.place_id WHERE u.id = "
        ));
        sql.bind(id).push(" AND ");
        scope.predicate(&mut sql, "p.code");
        sql.query_as()
            .fetch_optional(&self.reader)
            .await?
            .ok_or(StoreError::NotFound)
    }

    pub async fn user_by_name(&self, username: &str) -> StoreResult<Option<User>> {
        let sql = format!(
            "SELECT {COLS} FROM users u JOIN places p ON p.id = u.place_id WHERE u.username = $1"
        );
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(username.trim().to_ascii_lowercase())
            .fetch_optional(&self.reader)
            .await?)
    }

    pub async fn users(
        &self,
        scope: &Scope,
        f: &UserFilter,
        page: Page,
    ) -> StoreResult<(Vec<User>, i64)> {
        let mut w = Sql::new(" FROM users u JOIN places p ON p.id = u.place_id WHERE ");
        scope.predicate(&mut w, "p.code");
        if let Some(pre) = &f.under_prefix {
            w.push(" AND ");
            Scope::prefix(pre.clone()).predicate(&mut w, "p.code");
        }
        if let Some(r) = f.role.as_deref().filter(|r| !r.is_empty()) {
            w.push(" AND u.role = ").bind(r);
        }
        if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            let pat = like_contains(q);
            w.push(" AND (u.username LIKE ")
                .bind(pat.clone())
                .push(" ESCAPE '\\' OR u.display_name LIKE ")
                .bind(pat)
                .push(" ESCAPE '\\')");
        }
        Ok(w.paged(COLS, "ORDER BY u.username", page, &self.reader)
            .await?)
    }

    pub async fn create_user(
        &self,
        actor: &Actor,
        scope: &Scope,
        new: NewUser,
        now: i64,
    ) -> StoreResult<User> {
        let username = check_username(&new.username)?;
        let display = check_name(&new.display_name, "display_name")?;
        let role = Role::parse(&new.role).ok_or_else(|| {
            StoreError::Rule(
                DomainError::new("account.role_invalid", "请选择角色", "choose a role").on("role"),
            )
        })?;
        password::check_policy(&new.password)?;
        let hash = self.hash_password(&new.password).await?;
        let mut tx = self.writer.begin().await?;
        let place = place_in(&mut tx, scope, new.place_id).await?;
        check_binding(role, place.kind().map_or(9, |k| k.level()))?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (username, display_name, password_hash, role, place_id, password_changed_at, created_at, updated_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$6,$6) RETURNING id",
        )
        .bind(&username)
        .bind(&display)
        .bind(&hash)
        .bind(role.as_str())
        .bind(place.id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| StoreError::from(e).unique("account.username_taken", "username", "用户名已被使用", "the username is taken"))?;
        rollups::bump(&mut tx, &place.code, rollups::ACCOUNTS, 1).await?;
        let sql = format!(
            "SELECT {COLS} FROM users u JOIN places p ON p.id = u.place_id WHERE u.id = $1"
        );
        let user: User = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        audit::commit(
            tx,
            actor,
            Change::new("create", "user", id, None, Some(user.json())),
            now,
        )
        .await?;
        Ok(user)
    }

    /// Checks a password; counts failures and locks the account after the fifth.
    pub async fn authenticate(
        &self,
        actor: &Actor,
        username: &str,
        pw: &str,
        now: i64,
    ) -> StoreResult<Result<User, LoginError>> {
        let Some(user) = self.user_by_name(username).await? else {
            // Same work as a real check, so response time does not tell which usernames exist.
            let _ = self.hash_password(pw).await;
            return Ok(Err(LoginError::BadCredentials));
        };
        if user.disabled != 0 {
            return Ok(Err(LoginError::Disabled));
        }
        if user.locked_until > now {
            return Ok(Err(LoginError::Locked {
                until: user.locked_until,
            }));
        }
        let ok = self.verify_password(pw, &user.password_hash).await;
        let mut tx = self.writer.begin().await?;
        let who = Actor {
            user_id: Some(user.id),
            username: user.username.clone(),
            ..actor.clone()
        };
        let outcome = if ok {
            sqlx::query("UPDATE users SET failed_logins = 0 WHERE id = $1")
                .bind(user.id)
                .execute(&mut *tx)
                .await?;
            audit::append(
                &mut tx,
                &who,
                Change {
                    action: "login",
                    entity: "user",
                    entity_id: user.id.to_string(),
                    before: None,
                    after: None,
                },
                now,
            )
            .await?;
            Ok(user)
        } else {
            let failures: i64 = sqlx::query_scalar("UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins")
                .bind(user.id)
                .fetch_one(&mut *tx)
                .await?;
            let mut after = serde_json::json!({"failed_logins": failures});
            let res = if failures >= MAX_FAILURES {
                let until = now + LOCK_MS;
                sqlx::query("UPDATE users SET failed_logins = 0, locked_until = $1 WHERE id = $2")
                    .bind(until)
                    .bind(user.id)
                    .execute(&mut *tx)
                    .await?;
                after["locked_until"] = until.into();
                Err(LoginError::Locked { until })
            } else {
                Err(LoginError::BadCredentials)
            };
            audit::append(
                &mut tx,
                &who,
                Change {
                    action: "login_failed",
                    entity: "user",
                    entity_id: user.id.to_string(),
                    before: None,
                    after: Some(after),
                },
                now,
            )
            .await?;
            res
        };
        tx.commit().await?;
        Ok(outcome)
    }

    pub async fn set_password(
        &self,
        actor: &Actor,
        scope: &Scope,
        user_id: i64,
        pw: &str,
        now: i64,
    ) -> StoreResult<()> {
        password::check_policy(pw)?;
        let user = self.user(scope, user_id).await?;
        let hash = self.hash_password(pw).await?;
        let mut tx = self.writer.begin().await?;
        sqlx::query("UPDATE users SET password_hash = $1, password_changed_at = $2, updated_at = $2, failed_logins = 0 WHERE id = $3")
            .bind(&hash)
            .bind(now)
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        // Other sessions of this account end with the old password.
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        audit::commit(
            tx,
            actor,
            Change::new("set_password", "user", user.id, None, None),
            now,
        )
        .await?;
        Ok(())
    }

    /// Locks (disables) or unlocks an account; unlocking also clears a failure lockout.
    pub async fn set_locked(
        &self,
        actor: &Actor,
        scope: &Scope,
        user_id: i64,
        locked: bool,
        now: i64,
    ) -> StoreResult<User> {
        let before = self.user(scope, user_id).await?;
        let mut tx = self.writer.begin().await?;
        if locked {
            sqlx::query("UPDATE users SET disabled = 1, updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        } else {
            sqlx::query("UPDATE users SET disabled = 0, locked_until = 0, failed_logins = 0, updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        let action = if locked { "lock" } else { "unlock" };
        let sql = format!(
            "SELECT {COLS} FROM users u JOIN places p ON p.id = u.place_id WHERE u.id = $1"
        );
        let after: User = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .fetch_one(&mut *tx)
            .await?;
        let change = Change::new(
            action,
            "user",
            user_id,
            Some(before.json()),
            Some(after.json()),
        );
        audit::commit(tx, actor, change, now).await?;
        Ok(after)
    }

    // ---- sessions -------------------------------------------------------------------------------

    /// Starts a session; returns (cookie token, CSRF token). Only hashes are stored.
    pub async fn create_session(
        &self,
        user_id: i64,
        second_factor: bool,
        ip: &str,
        now: i64,
    ) -> StoreResult<(String, String)> {
        let token = random_token();
        let csrf = random_token();
        // Sessions idle for a day are long dead (the timeout is at most 30 minutes): sweep them here
        // so the table stays small without a background job.
        sqlx::query("DELETE FROM sessions WHERE last_seen < $1")
            .bind(now - 24 * 3600 * 1000)
            .execute(&self.writer)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf, second_factor, ip, created_at, last_seen) VALUES ($1,$2,$3,$4,$5,$6,$6)",
        )
        .bind(sha256_hex(&token))
        .bind(user_id)
        .bind(&csrf)
        .bind(i64::from(second_factor))
        .bind(ip)
        .bind(now)
        .execute(&self.writer)
        .await?;
        Ok((token, csrf))
    }

    /// The live session for a cookie token, or None when unknown or idle longer than `idle_ms`.
    pub async fn session(
        &self,
        token: &str,
        now: i64,
        idle_ms: i64,
    ) -> StoreResult<Option<(Session, User)>> {
        let hash = sha256_hex(token);
        // One round trip: the session with its account (every signed-in request pays this).
        let sql = format!(
            "SELECT s.token_hash, s.user_id, s.csrf, s.second_factor, s.last_seen, {COLS} FROM sessions s \
             JOIN users u ON u.id = s.user_id JOIN places p ON p.id = u.place_id WHERE s.token_hash = $1"
        );
        let row: Option<SessionRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(&hash)
            .fetch_optional(&self.reader)
            .await?;
        let Some(SessionRow { session: s, user }) = row else {
            return Ok(None);
        };
        if s.last_seen + idle_ms < now {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(&hash)
                .execute(&self.writer)
                .await?;
            return Ok(None);
        }
        if user.disabled != 0 {
            return Ok(None);
        }
        // Touch at most once a minute: a read should rarely cost a write.
        if now - s.last_seen > 60_000 {
            sqlx::query("UPDATE sessions SET last_seen = $1 WHERE token_hash = $2")
                .bind(now)
                .bind(&hash)
                .execute(&self.writer)
                .await?;
        }
        Ok(Some((s, user)))
    }

    pub async fn end_session(&self, token: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(sha256_hex(token))
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    pub async fn pass_second_factor(&self, token: &str) -> StoreResult<()> {
        sqlx::query("UPDATE sessions SET second_factor = 1 WHERE token_hash = $1")
            .bind(sha256_hex(token))
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    // ---- API tokens ------------------------------------------------------------------------------

    /// Creates a personal API token; the clear token is returned once and never stored.
    pub async fn create_token(
        &self,
        actor: &Actor,
        user_id: i64,
        name: &str,
        now: i64,
    ) -> StoreResult<String> {
        let name = check_name(name, "name")?;
        let token = format!("jct_{}", random_token());
        let mut tx = self.writer.begin().await?;
        let id: i64 = sqlx::query_scalar("INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1,$2,$3,$4) RETURNING id")
            .bind(user_id)
            .bind(&name)
            .bind(sha256_hex(&token))
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
        audit::commit(
            tx,
            actor,
            Change::new(
                "create",
                "api_token",
                id,
                None,
                Some(serde_json::json!({"name": name, "user_id": user_id})),
            ),
            now,
        )
        .await?;
        Ok(token)
    }

    pub async fn tokens(&self, user_id: i64) -> StoreResult<Vec<ApiToken>> {
        Ok(sqlx::query_as("SELECT id, name, created_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY id DESC")
            .bind(user_id)
            .fetch_all(&self.reader)
            .await?)
    }

    pub async fn revoke_token(
        &self,
        actor: &Actor,
        user_id: i64,
        token_id: i64,
        now: i64,
    ) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        let n = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
            .bind(now)
            .bind(token_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        audit::commit(
            tx,
            actor,
            Change::new("revoke", "api_token", token_id, None, None),
            now,
        )
        .await?;
        Ok(())
    }

    /// The account behind a bearer token, if the token is live and the account usable.
    pub async fn token_user(&self, token: &str) -> StoreResult<Option<User>> {
        let sql = format!(
            "SELECT {COLS} FROM api_tokens t JOIN users u ON u.id = t.user_id JOIN places p ON p.id = u.place_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.disabled = 0"
        );
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(sha256_hex(token))
            .fetch_optional(&self.reader)
            .await?)
    }
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    #[sqlx(flatten)]
    session: Session,
    #[sqlx(flatten)]
    user: User,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Session {
    pub token_hash: String,
    pub user_id: i64,
    pub csrf: String,
    pub second_factor: i64,
    pub last_seen: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert_eq!(check_username(" Town.Admin ").unwrap(), "town.admin");
        assert!(check_username("ab").is_err());
        assert!(check_username("乾西").is_err());
    }

    #[test]
    fn bindings() {
        assert!(check_binding(Role::TownCommittee, 3).is_ok());
        assert!(check_binding(Role::TownCommittee, 4).is_err());
        assert!(check_binding(Role::DistrictOrg, 2).is_ok());
        assert!(check_binding(Role::DistrictOrg, 3).is_err());
        assert!(check_binding(Role::VillageCommittee, 4).is_ok());
    }
}
