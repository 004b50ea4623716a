//! The clock is a value passed around, so tests can move time (lockouts, idle sessions).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

#[derive(Clone, Debug)]
pub enum Clock {
    System,
    /// A settable clock for tests.
    Manual(Arc<AtomicI64>),
}

impl Clock {
    pub fn manual(start_ms: i64) -> Self {
        Clock::Manual(Arc::new(AtomicI64::new(start_ms)))
    }

    /// Milliseconds since the Unix epoch.
    #[allow(clippy::disallowed_methods)] // the one place that reads the system clock
    pub fn now_ms(&self) -> i64 {
        match self {
            Clock::System => {
                let now = time::OffsetDateTime::now_utc();
                (now.unix_timestamp_nanos() / 1_000_000) as i64
            }
            Clock::Manual(t) => t.load(Ordering::SeqCst),
        }
    }

    pub fn advance(&self, ms: i64) {
        if let Clock::Manual(t) = self {
            t.fetch_add(ms, Ordering::SeqCst);
        }
    }
}

/// `2026-11-23 17:30` in Beijing time (UTC+8), for pages and exports.
pub fn format_ms(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(time::macros::offset!(+8));
    let f = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    t.format(&f).unwrap_or_default()
}

/// The Beijing-time day of `ms`: `2026-11-23`.
pub fn day_of(ms: i64) -> String {
    format_ms(ms).chars().take(10).collect()
}

/// The Beijing-time month of `ms`: `2026-11`.
pub fn month_of(ms: i64) -> String {
    format_ms(ms).chars().take(7).collect()
}

/// Parses `YYYY-MM-DD` as midnight Beijing time, in ms.
pub fn parse_date_ms(s: &str) -> Option<i64> {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::Date::parse(s.trim(), &f).ok()?;
    let t = d.midnight().assume_offset(time::macros::offset!(+8));
    Some(t.unix_timestamp() * 1000)
}

#[cfg(test)]
mod tests {
    #[test]
    fn beijing_time() {
        assert_eq!(super::format_ms(0), "1970-01-01 08:00:00");
        assert_eq!(super::parse_date_ms("1970-01-02"), Some(16 * 3600 * 1000));
        assert_eq!(super::parse_date_ms("x"), None);
    }
}
