//! Around a meeting (issue 6): the red observers' records on its page (a table and a form), its
//! printable notice, the iCalendar feeds of an organisation's and a member's meetings, and the
//! lapse watch's section on months without organisational life.

use super::{FormData, Id, done};
use crate::AppState;
use crate::auth::{Ctx, PageCtx};
use crate::clock::day_of;
use crate::error::{AppError, PageError};
use crate::ui::{Cell, Feedback, Field, FieldKind, Form, Table};
use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use icalendar::{Calendar, Component, EventLike, Property};
use jiceng_domain::life::LAPSE_MONTHS_WITHOUT_LIFE;
use jiceng_domain::meeting::MeetingKind;
use jiceng_store::meetings::Meeting;
use jiceng_store::observations::NewObservation;
use jiceng_store::places::Place;

fn kind_zh(kind: &str) -> &'static str {
    MeetingKind::parse(kind).map_or("会议", MeetingKind::zh)
}

/// The observations of a meeting and the form to add one (the observer is the signed-in user or
/// a person named).
pub async fn observations(
    state: &AppState,
    ctx: &Ctx,
    m: &Meeting,
) -> Result<(Table, Option<Form>), AppError> {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let rows = state.store.observations(&ctx.scope, m.id).await?;
    let table = Table {
        caption: l("红色观察员观察记录", "Red observers' records"),
        headers: vec![
            l("观察员", "Observer"),
            l("观察发现", "Findings"),
            l("意见建议", "Suggestions"),
            l("登记时间", "Recorded"),
        ],
        rows: rows
            .iter()
            .map(|o| {
                vec![
                    Cell::text(o.observer_name.clone()),
                    Cell::text(o.findings.clone()),
                    Cell::text(o.suggestions.clone().unwrap_or_default()),
                    Cell::text(crate::clock::format_ms(o.created_at)),
                ]
            })
            .collect(),
        empty: l("尚无观察记录", "No observations recorded"),
    };
    let party_life = MeetingKind::parse(&m.kind).is_some_and(MeetingKind::is_party_life);
    let form = party_life.then(|| {
        let who = vec![
            (
                "self".to_string(),
                format!("{}（{}）", l("我本人", "Myself"), ctx.user.display_name),
            ),
            (
                "named".to_string(),
                l("其他人员（填写姓名）", "Someone else (name below)"),
            ),
        ];
        Form::new(
            "observation",
            format!("/meetings/{}/observations", m.id),
            l("登记观察记录", "Record an observation"),
            l("登记", "Record"),
        )
        .field(
            Field::new("observer", l("观察员", "Observer"), FieldKind::Select(who)).value("self"),
        )
        .field(Field::new(
            "observer_name",
            l(
                "观察员姓名（其他人员时填写）",
                "Observer's name (someone else)",
            ),
            FieldKind::Text,
        ))
        .field(Field::new("findings", l("观察发现", "Findings"), FieldKind::LongText).required())
        .field(Field::new(
            "suggestions",
            l("意见建议", "Suggestions"),
            FieldKind::LongText,
        ))
        .note(l(
            "红色观察员列席组织生活后登记；会议召开之前不能登记。",
            "Recorded by the observer after attending; not before the meeting.",
        ))
    });
    Ok((table, form))
}

/// `POST /meetings/{id}/observations`.
pub async fn observe(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let mine = data.get("observer") != "named";
    let o = NewObservation {
        meeting_id: id,
        observer_user_id: mine.then_some(ctx.user.id),
        observer_name: if mine {
            String::new()
        } else {
            data.get("observer_name").to_string()
        },
        findings: data.get("findings").to_string(),
        suggestions: data.opt("suggestions"),
    };
    match state
        .store
        .record_observation(&ctx.actor, &ctx.scope, &o, state.now())
        .await
    {
        Ok(_) => Ok(done(&format!("/meetings/{id}"))),
        Err(e) => {
            let fb = Feedback::refusal("observation", data.0, e.into(), ctx.lang)?;
            super::org_meetings::meeting_page(&state, &ctx, id, Some(fb)).await
        }
    }
}

#[derive(Template)]
#[template(path = "notice.html")]
pub struct NoticePage {
    pub lang: &'static str,
    pub id: i64,
    pub back: String,
    pub print_hint: String,
    pub heading: String,
    pub salutation: String,
    pub body: String,
    pub facts: Vec<(String, String)>,
    pub org: String,
    pub signed_on: String,
}

/// `2025年11月20日` from `2025-11-20`.
fn date_zh(d: &str) -> String {
    match (d.get(..4), d.get(5..7), d.get(8..10)) {
        (Some(y), Some(m), Some(day)) => format!(
            "{y}年{}月{}日",
            m.trim_start_matches('0'),
            day.trim_start_matches('0')
        ),
        _ => d.to_string(),
    }
}

/// `GET /meetings/{id}/notice`: the meeting's notice, plain and print-friendly.
pub async fn notice(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let m = state.store.meeting(&ctx.scope, id).await?;
    let roll = state.store.attendance(&ctx.scope, id).await?;
    let kind = kind_zh(&m.kind);
    let names: Vec<&str> = roll.iter().map(|r| r.name.as_str()).collect();
    let page = NoticePage {
        lang: "zh-CN",
        id,
        back: "返回会议".into(),
        print_hint: "使用浏览器的“打印”即可打印本通知".into(),
        heading: format!("关于召开{kind}的通知"),
        salutation: format!("{}全体应到会人员：", m.org_name),
        body: format!(
            "定于{}召开{kind}，议题：{}。请准时参加，因故不能参加的请事先向党组织请假。",
            date_zh(&m.held_on),
            m.title
        ),
        facts: vec![
            ("党组织".into(), m.org_name.clone()),
            ("会议类型".into(), kind.into()),
            ("召开日期".into(), date_zh(&m.held_on)),
            ("议题".into(), m.title.clone()),
            (
                "议程".into(),
                m.agenda.clone().unwrap_or_else(|| "（未登记）".into()),
            ),
            (
                format!("应到人员（{}人）", names.len()),
                if names.is_empty() {
                    "—".into()
                } else {
                    names.join("、")
                },
            ),
        ],
        org: m.org_name.clone(),
        signed_on: m
            .notice_sent_on
            .as_deref()
            .map_or_else(|| "通知日期：（未登记）".into(), date_zh),
    };
    super::ok(&page)
}

/// The meetings as an RFC 5545 calendar: one all-day event each (a meeting has a date only),
/// its UID from its id, its DTSTAMP the last change of its record.
async fn calendar(
    state: &AppState,
    ctx: &Ctx,
    name: &str,
    meetings: &[Meeting],
) -> Result<Response, AppError> {
    let ids: Vec<i64> = meetings.iter().map(|m| m.id).collect();
    let stamps = state.store.meeting_stamps(&ctx.scope, &ids).await?;
    let mut cal = Calendar::empty();
    cal.append_property(Property::new("VERSION", "2.0"));
    cal.append_property(Property::new(
        "PRODID",
        "-//jiceng//organisational life//ZH",
    ));
    cal.append_property(Property::new("CALSCALE", "GREGORIAN"));
    cal.name(name);
    for m in meetings {
        let (Ok(day), Some(stamp)) = (
            chrono::NaiveDate::parse_from_str(&m.held_on, "%Y-%m-%d"),
            stamps
                .get(&m.id)
                .and_then(|ms| chrono::DateTime::from_timestamp_millis(*ms)),
        ) else {
            continue;
        };
        // DTEND is exclusive (RFC 5545 3.6.1): the day after, for a one-day event.
        let Some(next) = day.succ_opt() else { continue };
        let mut description = format!("{}\n{}", m.org_name, m.title);
        if let Some(a) = &m.agenda {
            description.push_str("\n议程：");
            description.push_str(a);
        }
        let event = icalendar::Event::new()
            .uid(&format!("meeting-{}@jiceng", m.id))
            .timestamp(stamp)
            .starts(day)
            .ends(next)
            .summary(&format!("{}：{}", kind_zh(&m.kind), m.title))
            .description(&description)
            .done();
        cal.push(event);
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "inline; filename=\"meetings.ics\"",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        cal.to_string(),
    )
        .into_response())
}

/// `GET /orgs/{id}/meetings.ics`.
pub async fn org_ics(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let org = state.store.org(&ctx.scope, id).await?;
    let meetings = state.store.meetings(&ctx.scope, id).await?;
    Ok(calendar(&state, &ctx, &format!("{}·组织生活", org.name), &meetings).await?)
}

/// `GET /members/{id}/meetings.ics`: the meetings the member should attend.
pub async fn member_ics(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let member = state.store.member(&ctx.scope, id).await?;
    let today = day_of(state.now());
    let meetings = state.store.member_meetings(&ctx.scope, id, &today).await?;
    Ok(calendar(
        &state,
        &ctx,
        &format!("{}·组织生活", member.name),
        &meetings,
    )
    .await?)
}

/// The lapse watch's second half: members without organisational life for three whole months or
/// more (six flagged), with a fact for each count.
pub async fn lapse_section(
    state: &AppState,
    ctx: &Ctx,
    under: Option<&Place>,
) -> Result<(Vec<(String, String)>, Table), AppError> {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let rows = state
        .store
        .life_lapse(
            &ctx.scope,
            under.map(Place::prefix).as_deref(),
            &day_of(state.now()),
        )
        .await?;
    let flagged = rows.iter().filter(|r| r.flagged()).count();
    let facts = vec![
        (
            l(
                "连续3个月未参加组织生活（提醒）",
                "3+ months without organisational life (warned)",
            ),
            (rows.len() - flagged).to_string(),
        ),
        (
            format!(
                "{}{LAPSE_MONTHS_WITHOUT_LIFE}{}",
                l("连续", "For "),
                l(
                    "个月未参加组织生活（由支部研究决定）",
                    " months or more without organisational life (for the branch to decide)"
                )
            ),
            flagged.to_string(),
        ),
    ];
    let table = Table {
        caption: l(
            "未参加组织生活的党员",
            "Members without organisational life",
        ),
        headers: vec![
            l("姓名", "Name"),
            l("党组织", "Organisation"),
            l("最近一次参加", "Last present"),
            l("起算日期", "Counted from"),
            l("连续月数", "Months"),
            l("状态", "Status"),
        ],
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    Cell::link(&r.name, format!("/members/{}", r.member_id)),
                    Cell::link(&r.org_name, format!("/orgs/{}/life", r.org_id)),
                    Cell::text(r.last_present.clone().unwrap_or_else(|| l("从未", "never"))),
                    Cell::text(r.counted_from.clone()),
                    Cell::text(r.months.to_string()),
                    Cell::text(if r.flagged() {
                        l("自行脱党候选", "自行脱党 candidate")
                    } else {
                        l("提醒", "Warned")
                    }),
                ]
            })
            .collect(),
        empty: l(
            "没有连续3个月以上未参加组织生活的党员",
            "Nobody has gone three months without organisational life",
        ),
    };
    Ok((facts, table))
}
