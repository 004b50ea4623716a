//! An organisation's meetings (组织生活, issue 6): the list with each meeting's quorum, a form that
//! records a meeting with its attendance ticked from the register, and a meeting's page with its
//! attendance, its resolutions (outcomes computed from the votes) and its minutes (frozen once
//! approved). A meeting without quorum says so, and why, and passes nothing.

use super::{FormData, Id, RecordPage, done};
use crate::AppState;
use crate::auth::{Ctx, PageCtx};
use crate::clock::day_of;
use crate::error::{AppError, PageError};
use crate::ui::{Cell, Chrome, Feedback, Field, FieldKind, Form, Table};
use axum::extract::State;
use axum::response::Response;
use jiceng_domain::meeting::{self, MeetingKind, MeetingRule, Votes};
use jiceng_store::meetings::{Meeting, NewMeeting, NewResolution, RECORDED_KINDS};

fn kind_zh(kind: &str) -> &'static str {
    MeetingKind::parse(kind).map_or("—", MeetingKind::zh)
}

fn yes_no(ctx: &Ctx, v: bool) -> String {
    ctx.lang
        .pick(if v { "是" } else { "否" }, if v { "yes" } else { "no" })
        .to_string()
}

/// How the outcome of a vote at this meeting is computed, in the rule's words.
fn majority_note(ctx: &Ctx, rules: &[MeetingRule], m: &Meeting) -> String {
    let rule =
        MeetingKind::parse(&m.kind).and_then(|k| MeetingRule::in_force(rules, k, &m.held_on));
    match rule.map(|r| r.majority) {
        Some(meeting::Majority::OfShouldAttend(t)) => ctx
            .lang
            .pick(
                &format!(
                    "是否通过由系统计算：赞成票须{}应到会有表决权人数（{}人中至少{}票）。",
                    t.zh(),
                    m.should_attend,
                    t.least(m.should_attend)
                ),
                "The outcome is computed from those who should attend.",
            )
            .to_string(),
        Some(meeting::Majority::OfPresent(t)) => ctx
            .lang
            .pick(
                &format!(
                    "是否通过由系统计算：赞成票须{}到会人数（{}人中至少{}票）。",
                    t.zh(),
                    m.present,
                    t.least(m.present)
                ),
                "The outcome is computed from those present.",
            )
            .to_string(),
        _ => ctx
            .lang
            .pick(
                "此类会议不作表决。",
                "This kind of meeting passes no resolutions.",
            )
            .to_string(),
    }
}

/// Why a meeting had no quorum, in the rule's words (empty when it had one).
fn quorum_reason(rules: &[MeetingRule], m: &Meeting) -> Option<String> {
    let kind = MeetingKind::parse(&m.kind)?;
    let rule = MeetingRule::in_force(rules, kind, &m.held_on)?;
    meeting::quorum(rule, &m.counted(), false)
        .err()
        .map(|e| e.zh)
}

async fn list_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    fb: Option<Feedback>,
) -> Result<Response, PageError> {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let org = state.store.org(&ctx.scope, id).await?;
    let list = state.store.meetings(&ctx.scope, id).await?;
    let roll = state
        .store
        .meeting_roll(&ctx.scope, id, &day_of(state.now()))
        .await?;
    let c = Chrome::new(
        ctx,
        format!("{} · {}", org.name, l("组织生活", "Meetings")),
        "nav.orgs",
        &format!("/orgs/{id}/meetings"),
    );
    let table = Table {
        caption: l("会议记录", "Meetings held"),
        headers: vec![
            l("日期", "Date"),
            l("类型", "Kind"),
            l("议题", "Title"),
            l("应到（有表决权）", "Should attend (voting)"),
            l("实到", "Present"),
            l("达到法定人数", "Quorum"),
        ],
        rows: list
            .iter()
            .map(|m| {
                vec![
                    Cell::text(m.held_on.clone()),
                    Cell::text(kind_zh(&m.kind)),
                    Cell::link(&m.title, format!("/meetings/{}", m.id)),
                    Cell::text(m.should_attend.to_string()),
                    Cell::text(m.present.to_string()),
                    Cell::text(yes_no(ctx, m.quorate == 1)),
                ]
            })
            .collect(),
        empty: l("尚无会议记录", "No meetings recorded yet"),
    };
    let people: Vec<(String, String, bool)> = roll
        .iter()
        .map(|(mid, name, votes)| {
            let tag = if *votes {
                ""
            } else {
                "（预备党员，无表决权）"
            };
            (mid.to_string(), format!("{name}{tag}"), false)
        })
        .collect();
    let kinds = RECORDED_KINDS
        .iter()
        .map(|k| (k.as_str().to_string(), k.zh().to_string()))
        .collect();
    let mut forms = vec![
        Form::new("meeting-new", format!("/orgs/{id}/meetings"), l("登记会议", "Record a meeting"), l("登记", "Record"))
            .field(Field::new("kind", l("会议类型", "Kind"), FieldKind::Select(kinds)).required())
            .field(Field::new("title", l("议题", "Title"), FieldKind::Text).required())
            .field(Field::new("held_on", l("召开日期", "Held on"), FieldKind::Date).value(day_of(state.now())).required())
            .field(Field::new("notice_sent_on", l("通知日期", "Notice sent on"), FieldKind::Date))
            .field(Field::new("agenda", l("议程", "Agenda"), FieldKind::LongText))
            .field(Field::new("present", l("出席", "Present"), FieldKind::Checks(people.clone())))
            .field(Field::new("leave", l("请假", "On leave"), FieldKind::Checks(people)))
            .field(Field::new("leave_reason", l("请假事由", "Reason for leave"), FieldKind::Text))
            .note(l(
                "应到人员取自本组织在册的预备党员和正式党员，未勾选的记为缺席；是否达到法定人数由系统按规定计算。",
                "Who should attend comes from the register; those not ticked were absent; the quorum is computed.",
            )),
    ];
    if let Some(fb) = fb {
        fb.apply(&mut forms);
    }
    super::render_record(&RecordPage {
        c,
        facts: vec![
            (l("党组织", "Organisation"), org.name.clone()),
            (
                l("在册党员（应到）", "Members who should attend"),
                roll.len().to_string(),
            ),
        ],
        stats: vec![],
        tables: vec![table],
        links: vec![
            (
                l("三会一课落实情况", "三会一课 compliance"),
                format!("/orgs/{id}/life"),
            ),
            (
                l("订阅会议日历（iCalendar）", "Calendar feed (iCalendar)"),
                format!("/orgs/{id}/meetings.ics"),
            ),
            (
                l("返回党组织", "Back to the organisation"),
                format!("/orgs/{id}"),
            ),
        ]
        .into_iter()
        // At a village, its bodies' meetings (支委会, 两委, 村民代表会议, 村民会议) are next door.
        .chain(
            (org.place_code.len() == 12 && org.place_code.get(9..12) != Some("000")).then(|| {
                (
                    l(
                        "村级会议（支委会、两委、村民代表会议、村民会议）",
                        "Village bodies' meetings",
                    ),
                    format!("/places/{}/meetings", org.place_id),
                )
            }),
        )
        .collect(),
        forms,
    })
}

pub async fn list(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    list_page(&state, &ctx, id, None).await
}

pub async fn create(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let r = async {
        let reason = data.get("leave_reason").to_string();
        let mut attendance: Vec<(i64, String, Option<String>)> = data
            .ids("present")?
            .into_iter()
            .map(|m| (m, "present".to_string(), None))
            .collect();
        attendance.extend(
            data.ids("leave")?
                .into_iter()
                .map(|m| (m, "leave".to_string(), Some(reason.clone()))),
        );
        let m = NewMeeting {
            org_id: id,
            kind: data.get("kind").to_string(),
            title: data.get("title").to_string(),
            held_on: data.get("held_on").to_string(),
            notice_sent_on: data.opt("notice_sent_on"),
            agenda: data.opt("agenda"),
            attendance,
        };
        Ok::<_, AppError>(
            state
                .store
                .record_meeting(&ctx.actor, &ctx.scope, &m, state.now())
                .await?,
        )
    }
    .await;
    match r {
        Ok(m) => Ok(done(&format!("/meetings/{}", m.id))),
        Err(e) => {
            let fb = Feedback::refusal("meeting-new", data.0, e, ctx.lang)?;
            list_page(&state, &ctx, id, Some(fb)).await
        }
    }
}

pub(super) async fn meeting_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    fb: Option<Feedback>,
) -> Result<Response, PageError> {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let m = state.store.meeting(&ctx.scope, id).await?;
    let roll = state.store.attendance(&ctx.scope, id).await?;
    let seats = state.store.seat_attendance(&ctx.scope, id).await?;
    let rules = state.store.meeting_rules().await?;
    let votes = state.store.resolutions(&ctx.scope, id).await?;
    let c = Chrome::new(
        ctx,
        format!("{} · {}", m.title, m.held_on),
        "nav.orgs",
        &format!("/meetings/{id}"),
    );
    let mut facts = vec![
        (l("党组织", "Organisation"), m.org_name.clone()),
        (l("类型", "Kind"), kind_zh(&m.kind).to_string()),
        (l("召开日期", "Held on"), m.held_on.clone()),
        (
            l("通知日期", "Notice sent on"),
            m.notice_sent_on.clone().unwrap_or_else(|| "—".into()),
        ),
        (
            l("议程", "Agenda"),
            m.agenda.clone().unwrap_or_else(|| "—".into()),
        ),
        (
            l("应到（有表决权）", "Should attend (voting)"),
            m.should_attend.to_string(),
        ),
        (
            l("实到（有表决权）", "Present (voting)"),
            m.present.to_string(),
        ),
        (l("达到法定人数", "Quorum"), yes_no(ctx, m.quorate == 1)),
    ];
    if m.kind == MeetingKind::VillagersAssembly.as_str() {
        facts[5].0 = l("十八周岁以上村民", "Adult villagers");
        facts[6].0 = l("到会村民", "Adults present");
        facts.push((
            l("户数 / 到会户代表", "Households / represented"),
            format!("{} / {}", m.households, m.households_present),
        ));
    }
    if let Some(why) = quorum_reason(&rules, &m).filter(|_| m.quorate == 0) {
        facts.push((l("说明", "Why"), why));
    }
    facts.push((
        l("会议记录", "Minutes"),
        m.minutes.clone().unwrap_or_else(|| "—".into()),
    ));
    facts.push((
        l("记录审定", "Minutes approved"),
        yes_no(ctx, m.minutes_approved_at.is_some()),
    ));
    let status = |s: &str| match s {
        "present" => l("出席", "Present"),
        "leave" => l("请假", "On leave"),
        _ => l("缺席", "Absent"),
    };
    let attendance = Table {
        caption: l("出席情况", "Attendance"),
        headers: vec![
            l("姓名", "Name"),
            l("表决权", "Votes"),
            l("出席情况", "Attendance"),
            l("事由", "Reason"),
        ],
        rows: roll
            .iter()
            .map(|r| {
                vec![
                    Cell::link(&r.name, format!("/members/{}", r.member_id)),
                    Cell::text(yes_no(ctx, r.voting == 1)),
                    Cell::text(status(&r.status)),
                    Cell::text(r.reason.clone().unwrap_or_default()),
                ]
            })
            // A body's meeting lists its seat holders, each with a vote.
            .chain(seats.iter().map(|r| {
                vec![
                    Cell::text(r.name.clone()),
                    Cell::text(yes_no(ctx, true)),
                    Cell::text(status(&r.status)),
                    Cell::text(r.reason.clone().unwrap_or_default()),
                ]
            }))
            .collect(),
        empty: l("本组织没有应到人员", "Nobody should attend"),
    };
    let resolutions = Table {
        caption: l("表决事项", "Resolutions"),
        headers: vec![
            l("事项", "Matter"),
            l("选举", "Election"),
            l("赞成", "Ayes"),
            l("反对", "Nays"),
            l("弃权", "Abstentions"),
            l("结果", "Outcome"),
        ],
        rows: votes
            .iter()
            .map(|r| {
                let outcome = if r.passed == 1 {
                    l("通过", "Passed")
                } else {
                    l("未通过", "Not passed")
                };
                vec![
                    Cell::text(r.title.clone()),
                    Cell::text(yes_no(ctx, r.election == 1)),
                    Cell::text(r.ayes.to_string()),
                    Cell::text(r.nays.to_string()),
                    Cell::text(r.abstentions.to_string()),
                    Cell::text(outcome),
                ]
            })
            .collect(),
        empty: l("尚无表决事项", "No votes recorded"),
    };
    let mut forms = Vec::new();
    // Only a kind of meeting that may hold an election offers the box for one.
    let elects = MeetingKind::parse(&m.kind)
        .and_then(|k| MeetingRule::in_force(&rules, k, &m.held_on))
        .is_some_and(|r| r.election_quorum.is_some());
    // A meeting without quorum offers no vote, except to show why one was refused.
    if m.quorate == 1 || fb.as_ref().is_some_and(|f| f.form == "resolution") {
        let mut vote = Form::new(
            "resolution",
            format!("/meetings/{id}/resolutions"),
            l("登记表决", "Record a vote"),
            l("登记", "Record"),
        )
        .field(Field::new("title", l("表决事项", "Matter"), FieldKind::Text).required())
        .field(Field::new("ayes", l("赞成票", "Ayes"), FieldKind::Number).required())
        .field(Field::new("nays", l("反对票", "Nays"), FieldKind::Number).value("0"))
        .field(Field::new("abstentions", l("弃权票", "Abstentions"), FieldKind::Number).value("0"))
        .note(majority_note(ctx, &rules, &m));
        if elects {
            vote = vote.field(Field::new(
                "election",
                l("选举（须超过五分之四有选举权的党员到会）", "An election"),
                FieldKind::Checkbox,
            ));
        }
        forms.push(vote);
    }
    // Approved minutes have no form, except to show why a late change was refused.
    if m.minutes_approved_at.is_none() || fb.as_ref().is_some_and(|f| f.form == "minutes") {
        forms.push(
            Form::new(
                "minutes",
                format!("/meetings/{id}/minutes"),
                l("会议记录", "Minutes"),
                l("保存", "Save"),
            )
            .field(
                Field::new("minutes", l("记录内容", "Minutes"), FieldKind::LongText)
                    .value(m.minutes.clone().unwrap_or_default())
                    .required(),
            )
            .field(Field::new(
                "approve",
                l("审定（审定后不能再修改）", "Approve (no changes after)"),
                FieldKind::Checkbox,
            )),
        );
    }
    let (observed, observe) = super::meeting_extras::observations(state, ctx, &m).await?;
    forms.extend(observe);
    let (attached, attach) = super::meeting_files::files(state, ctx, &m).await?;
    forms.push(attach);
    if let Some(fb) = fb {
        fb.apply(&mut forms);
    }
    super::render_record(&RecordPage {
        c,
        facts,
        stats: vec![],
        tables: vec![attendance, resolutions, observed, attached],
        links: vec![
            (
                l("打印会议通知", "Printable notice"),
                format!("/meetings/{id}/notice"),
            ),
            (
                l("返回会议列表", "Back to the meetings"),
                format!("/orgs/{}/meetings", m.org_id),
            ),
        ],
        forms,
    })
}

pub async fn show(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    meeting_page(&state, &ctx, id, None).await
}

/// A vote count: blank is none.
fn count(data: &FormData, key: &'static str) -> Result<i64, AppError> {
    if data.get(key).is_empty() {
        return Ok(0);
    }
    data.int(key, "票数", "Votes")
}

pub async fn resolve(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let r = async {
        let votes = Votes {
            ayes: count(&data, "ayes")?,
            nays: count(&data, "nays")?,
            abstentions: count(&data, "abstentions")?,
        };
        let r = NewResolution {
            meeting_id: id,
            title: data.get("title"),
            votes,
            election: data.flag("election"),
        };
        state
            .store
            .record_resolution(&ctx.actor, &ctx.scope, &r, state.now())
            .await?;
        Ok::<_, AppError>(())
    }
    .await;
    match r {
        Ok(()) => Ok(done(&format!("/meetings/{id}"))),
        Err(e) => {
            let fb = Feedback::refusal("resolution", data.0, e, ctx.lang)?;
            meeting_page(&state, &ctx, id, Some(fb)).await
        }
    }
}

pub async fn minutes(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let approve = data.flag("approve");
    let r = state
        .store
        .set_minutes(
            &ctx.actor,
            &ctx.scope,
            id,
            data.get("minutes"),
            approve,
            state.now(),
        )
        .await;
    match r {
        Ok(_) => Ok(done(&format!("/meetings/{id}"))),
        Err(e) => {
            let fb = Feedback::refusal("minutes", data.0, e.into(), ctx.lang)?;
            meeting_page(&state, &ctx, id, Some(fb)).await
        }
    }
}
