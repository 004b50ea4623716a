//! Settings: a TOML file plus `JICENG_*` environment variables (which win). Unknown keys in
//! either are an error, so a typo never silently falls back to a default.

use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// `sqlite://jiceng.db` or `postgres://user@host/db`.
    pub database_url: String,
    pub listen: String,
    /// 64 hex characters; or use `key_file`. Never commit either.
    pub key: Option<String>,
    pub key_file: Option<PathBuf>,
    pub idle_timeout_minutes: i64,
    pub secure_cookies: bool,
    pub trust_proxy: bool,
    /// `text` or `json`.
    pub log_format: String,
    pub log_level: String,
    pub body_limit_bytes: usize,
    pub request_timeout_secs: u64,
    pub import_timeout_secs: u64,
    pub readers: u32,
    pub pg_writers: u32,
    /// Residents' reports one client address may file per hour without an account.
    pub voice_reports_per_hour: u32,
    /// Tracking-code look-ups and answers one client address may make per hour.
    pub voice_lookups_per_hour: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: "sqlite://jiceng.db".into(),
            listen: "127.0.0.1:8080".into(),
            key: None,
            key_file: None,
            idle_timeout_minutes: 30,
            secure_cookies: false,
            trust_proxy: false,
            log_format: "text".into(),
            log_level: "info".into(),
            body_limit_bytes: 1024 * 1024,
            request_timeout_secs: 30,
            import_timeout_secs: 600,
            readers: 4,
            pg_writers: 8,
            voice_reports_per_hour: 10,
            voice_lookups_per_hour: 60,
        }
    }
}

/// Environment variables with the prefix that are not settings.
const NOT_SETTINGS: [&str; 3] = [
    "JICENG_TEST_PG",
    "JICENG_CONFIG",
    "JICENG_DEMO_VOICE_PERCENT",
];

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("读取文件 {0} 失败 / cannot read {0}: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("配置无效 / invalid settings: {0}")]
    Invalid(String),
}

impl Settings {
    /// Loads the file (if given) then applies `JICENG_*` variables from `env`.
    pub fn load(
        file: Option<&Path>,
        env: impl Iterator<Item = (String, String)>,
    ) -> Result<Self, SettingsError> {
        let mut table = match file {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| SettingsError::Read(p.to_path_buf(), e))?;
                text.parse::<toml::Table>()
                    .map_err(|e| SettingsError::Invalid(format!("{}: {e}", p.display())))?
            }
            None => toml::Table::new(),
        };
        for (k, v) in env {
            let Some(name) = k.strip_prefix("JICENG_") else {
                continue;
            };
            if NOT_SETTINGS.contains(&k.as_str()) {
                continue;
            }
            // Numbers and booleans keep their type; anything else is a string.
            let value = format!("v = {v}")
                .parse::<toml::Table>()
                .ok()
                .and_then(|mut t| t.remove("v"))
                .unwrap_or(toml::Value::String(v));
            table.insert(name.to_ascii_lowercase(), value);
        }
        let s: Settings = table.try_into().map_err(|e: toml::de::Error| {
            let msg = e.message().to_string();
            match msg.strip_prefix("unknown field ") {
                // Name the key in both languages; serde lists the accepted ones after it.
                Some(rest) => {
                    SettingsError::Invalid(format!("未知配置项 / unknown setting {rest}"))
                }
                None => SettingsError::Invalid(msg),
            }
        })?;
        s.check()?;
        Ok(s)
    }

    fn check(&self) -> Result<(), SettingsError> {
        if !(10..=30).contains(&self.idle_timeout_minutes) {
            return Err(SettingsError::Invalid(
                "idle_timeout_minutes 须在10到30之间（等保三级）/ must be 10–30".into(),
            ));
        }
        if !matches!(self.log_format.as_str(), "text" | "json") {
            return Err(SettingsError::Invalid(
                "log_format 须为 text 或 json / must be text or json".into(),
            ));
        }
        jiceng_store::backend_of(&self.database_url)
            .map_err(|e| SettingsError::Invalid(e.to_string()))?;
        Ok(())
    }

    /// The master key, from `key` or `key_file`.
    pub fn master_key(&self) -> Result<String, SettingsError> {
        match (&self.key, &self.key_file) {
            (Some(k), _) => Ok(k.clone()),
            (None, Some(f)) => std::fs::read_to_string(f).map(|s| s.trim().to_string()).map_err(|e| SettingsError::Read(f.clone(), e)),
            (None, None) => Err(SettingsError::Invalid(
                "缺少加密密钥：请设置 key 或 key_file（用 `jiceng keygen > /etc/jiceng/key` 生成，妥善备份；丢失后已加密的个人信息无法恢复）/ no encryption key: set key or key_file (see docs/OPERATIONS.md)".into(),
            )),
        }
    }

    pub fn web(&self) -> jiceng_web::WebConfig {
        jiceng_web::WebConfig {
            idle_timeout_minutes: self.idle_timeout_minutes,
            secure_cookies: self.secure_cookies,
            body_limit: self.body_limit_bytes,
            request_timeout_secs: self.request_timeout_secs,
            import_timeout_secs: self.import_timeout_secs,
            trust_proxy: self.trust_proxy,
            voice_reports_per_hour: self.voice_reports_per_hour,
            voice_lookups_per_hour: self.voice_lookups_per_hour,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Iterator<Item = (String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn env_overrides_and_types() {
        let s = Settings::load(
            None,
            env(&[
                ("JICENG_LISTEN", "0.0.0.0:9000"),
                ("JICENG_IDLE_TIMEOUT_MINUTES", "15"),
                ("JICENG_SECURE_COOKIES", "true"),
                ("PATH", "/bin"),
            ]),
        )
        .unwrap();
        assert_eq!(s.listen, "0.0.0.0:9000");
        assert_eq!(s.idle_timeout_minutes, 15);
        assert!(s.secure_cookies);
    }

    #[test]
    fn unknown_keys_are_errors() {
        let e = Settings::load(None, env(&[("JICENG_LISTN", "x")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("listn"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("jiceng.toml");
        std::fs::write(
            &p,
            "database_url = \"sqlite://x.db\"\nidle_timout_minutes = 5\n",
        )
        .unwrap();
        assert!(
            Settings::load(Some(&p), env(&[]))
                .unwrap_err()
                .to_string()
                .contains("idle_timout_minutes")
        );
        std::fs::write(&p, "database_url = \"mysql://x\"\n").unwrap();
        assert!(Settings::load(Some(&p), env(&[])).is_err());
        std::fs::write(&p, "idle_timeout_minutes = 60\n").unwrap();
        assert!(
            Settings::load(Some(&p), env(&[])).is_err(),
            "等保: at most 30 minutes"
        );
    }
}
