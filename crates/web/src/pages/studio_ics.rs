//! The duty calendars of the Party-representative studios (RFC 5545): `/studios/{id}/duty.ics`
//! and `/members/{id}/duty.ics`, one recurring VEVENT per studio (per seat for a representative)
//! with the studio's RRULE, DTSTART/DTEND at the first duty day with TZID=Asia/Shanghai, and the
//! VTIMEZONE that a TZID asks for.

use super::Id;
use crate::AppState;
use crate::auth::PageCtx;
use crate::error::{AppError, PageError};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use icalendar::{Calendar, CalendarDateTime, Component, EventLike, Property};
use jiceng_domain::studio::TZID;
use jiceng_store::studios::Studio;

/// The Asia/Shanghai zone as RFC 5545 wants it beside a TZID (3.2.19): China keeps +08:00 all
/// year, so one STANDARD part says everything.
const VTIMEZONE: &str = "BEGIN:VTIMEZONE\r\nTZID:Asia/Shanghai\r\nBEGIN:STANDARD\r\n\
    DTSTART:19700101T000000\r\nTZOFFSETFROM:+0800\r\nTZOFFSETTO:+0800\r\nTZNAME:CST\r\n\
    END:STANDARD\r\nEND:VTIMEZONE\r\n";

/// Studios' duty schedules as a calendar: one recurring VEVENT per studio (per seat for a
/// representative, bounded by the seat's dates), DTSTART the first duty day in Asia/Shanghai.
fn calendar(
    name: &str,
    events: &[(String, &Studio, Option<&str>)],
    now: i64,
) -> Result<Response, AppError> {
    let mut cal = Calendar::empty();
    cal.append_property(Property::new("VERSION", "2.0"));
    cal.append_property(Property::new("PRODID", "-//jiceng//studios//ZH"));
    cal.append_property(Property::new("CALSCALE", "GREGORIAN"));
    cal.name(name);
    let stamp = chrono::DateTime::from_timestamp_millis(now).unwrap_or_default();
    for (uid, st, until) in events {
        let duty = st.duty()?;
        let first = duty.first_day()?;
        let at = |t: &str| {
            chrono::NaiveDateTime::parse_from_str(&format!("{first} {t}"), "%Y-%m-%d %H:%M")
                .map(|date_time| CalendarDateTime::WithTimezone {
                    date_time,
                    tzid: TZID.into(),
                })
                .map_err(|e| AppError::Internal(format!("duty time: {e}")))
        };
        let mut rule = duty.rule().to_string();
        if let Some(u) = until {
            // A seat's last day, as UNTIL in UTC (RFC 5545 3.3.10 with a TZID DTSTART).
            rule.push_str(&format!(";UNTIL={}T155959Z", u.replace('-', "")));
        }
        let mut event = icalendar::Event::new();
        event
            .uid(uid)
            .timestamp(stamp)
            .starts(at(&st.starts_at)?)
            .ends(at(&st.ends_at)?)
            .summary(&format!("{}接待日", st.name))
            .location(st.address.as_deref().unwrap_or(&st.place_name))
            .description(&format!("党代表工作室接待群众：{}", st.place_name))
            .add_property("RRULE", &rule);
        cal.push(event.done());
    }
    let mut text = cal.to_string();
    if let Some(i) = text.find("BEGIN:VEVENT\r\n") {
        text.insert_str(i, VTIMEZONE);
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "inline; filename=\"duty.ics\""),
            (header::CACHE_CONTROL, "no-store"),
        ],
        text,
    )
        .into_response())
}

/// `GET /studios/{id}/duty.ics`.
pub async fn studio_ics(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let st = state.store.studio(&ctx.scope, id).await?;
    let events = [(format!("studio-{}@jiceng", st.id), &st, None)];
    Ok(calendar(
        &format!("{}·接待日", st.name),
        &events,
        state.now(),
    )?)
}

/// `GET /members/{id}/duty.ics`: the studios the representative sits in (sat in, to the seat's end).
pub async fn member_ics(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let member = state.store.member(&ctx.scope, id).await?;
    let seats = state.store.member_studios(&ctx.scope, id).await?;
    let events: Vec<(String, &Studio, Option<&str>)> = seats
        .iter()
        .map(|(st, r)| {
            (
                format!("studio-{}-rep-{}@jiceng", st.id, r.id),
                st,
                r.until_on.as_deref(),
            )
        })
        .collect();
    Ok(calendar(
        &format!("{}·党代表接待日", member.name),
        &events,
        state.now(),
    )?)
}
