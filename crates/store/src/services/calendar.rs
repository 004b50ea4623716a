//! The district's calendar for time limits: the public holidays (放假) and the weekend days worked
//! in their place (调休上班) that the State Council publishes each year, entered by the district
//! (one row a day, audited). Read whole into `domain::service::Calendar` by each write that counts
//! working days (a few dozen rows a year). A change applies to due dates set from then on; dates
//! already set stay as they were.

use crate::audit::{self, Change};
use crate::error::StoreResult;
use crate::{Actor, Store};
use jiceng_domain::DomainError;
use jiceng_domain::service::Calendar;
use serde::Serialize;
use sqlx::AnyConnection;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq, Eq)]
pub struct CalendarDay {
    pub day: String,
    pub working: i64,
    pub note: String,
}

pub(crate) async fn load(conn: &mut AnyConnection) -> StoreResult<Calendar> {
    let rows: Vec<(String, i64)> = sqlx::query_as("SELECT day, working FROM service_calendar")
        .fetch_all(&mut *conn)
        .await?;
    Ok(Calendar::new(rows.into_iter().map(|(d, w)| (d, w == 1))))
}

impl Store {
    /// The calendar's days from `from` on, in order.
    pub async fn service_calendar(&self, from: &str) -> StoreResult<Vec<CalendarDay>> {
        Ok(sqlx::query_as(
            "SELECT day, working, note FROM service_calendar WHERE day >= $1 ORDER BY day",
        )
        .bind(from)
        .fetch_all(&self.reader)
        .await?)
    }

    /// Sets a day: a holiday (`working` false, on a weekday) or a weekend day worked (`working`
    /// true, on a Saturday or Sunday); a day already set is replaced.
    pub async fn set_service_day(
        &self,
        actor: &Actor,
        day: &str,
        working: bool,
        note: &str,
        now: i64,
    ) -> StoreResult<()> {
        let day = jiceng_domain::member::parse_date(day, "day")?;
        let weekday = Calendar::default().is_working_day(&day)?;
        if weekday == working {
            let zh = if working {
                format!("{day}本是工作日，调休上班只登记周六、周日")
            } else {
                format!("{day}本是周末，放假只登记工作日")
            };
            return Err(DomainError::new(
                "service.calendar_pointless",
                zh,
                "the day already is so",
            )
            .on("working")
            .into());
        }
        let note = note.trim();
        if note.is_empty() || note.chars().count() > 60 {
            return Err(DomainError::new(
                "service.calendar_note",
                "请写明节日名称或依据，不超过60字",
                "name the holiday, at most 60 characters",
            )
            .on("note")
            .into());
        }
        let mut tx = self.writer.begin().await?;
        let before: Option<(String, i64, String)> =
            sqlx::query_as("SELECT day, working, note FROM service_calendar WHERE day = $1")
                .bind(&day)
                .fetch_optional(&mut *tx)
                .await?;
        sqlx::query("DELETE FROM service_calendar WHERE day = $1")
            .bind(&day)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO service_calendar (day, working, note, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&day)
        .bind(i64::from(working))
        .bind(note)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let before =
            before.map(|(d, w, n)| serde_json::json!({"day": d, "working": w == 1, "note": n}));
        let after = serde_json::json!({"day": day, "working": working, "note": note});
        audit::commit(
            tx,
            actor,
            Change::new("set", "service_calendar", &day, before, Some(after)),
            now,
        )
        .await
    }

    /// Removes a day from the calendar (it follows the week again).
    pub async fn remove_service_day(&self, actor: &Actor, day: &str, now: i64) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        let before: Option<(String, i64, String)> =
            sqlx::query_as("SELECT day, working, note FROM service_calendar WHERE day = $1")
                .bind(day)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((d, w, n)) = before else {
            return Err(crate::StoreError::NotFound);
        };
        sqlx::query("DELETE FROM service_calendar WHERE day = $1")
            .bind(&d)
            .execute(&mut *tx)
            .await?;
        let before = serde_json::json!({"day": d, "working": w == 1, "note": n});
        audit::commit(
            tx,
            actor,
            Change::new("remove", "service_calendar", day, Some(before), None),
            now,
        )
        .await
    }
}
