//! A village's bodies (issue 6): who sits on the 村党组织委员会, 村民委员会, 村民代表 and 村务监督委员会
//! today, its people and their near relatives, its adult and household counts, and any sitting
//! supervisor a later fact has made ineligible; and the bodies' meetings, each recorded with the
//! roll its kind takes (the seats held on the meeting's date, or the 村民会议's head counts).

use super::{FormData, Id, Q, RecordPage, done};
use crate::AppState;
use crate::auth::{Ctx, PageCtx};
use crate::clock::day_of;
use crate::error::{AppError, PageError};
use crate::ui::{Cell, Chrome, Feedback, Field, FieldKind, Form, Pager, Table};
use axum::extract::State;
use axum::response::Response;
use jiceng_domain::meeting::MeetingKind;
use jiceng_domain::village::{Body, Kinship};
use jiceng_store::sql::Page;
use jiceng_store::village::{Counts, NewSeat};
use jiceng_store::village_meetings::{BODY_KINDS, NewBodyMeeting};
use serde::Deserialize;

pub fn body_zh(b: &str) -> &'static str {
    Body::parse(b).map_or("—", Body::zh)
}

/// The links every village page carries.
pub fn village_links(ctx: &Ctx, id: i64, code: &str) -> Vec<(String, String)> {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    vec![
        (
            l("村级组织", "Village bodies"),
            format!("/places/{id}/village"),
        ),
        (
            l("村级会议", "Body meetings"),
            format!("/places/{id}/meetings"),
        ),
        (
            l("四议两公开", "Decisions"),
            format!("/places/{id}/matters"),
        ),
        (l("村务公开", "Public board"), format!("/places/{id}/board")),
        (
            l("公开栏（群众查看）", "Board as residents see it"),
            format!("/board/{code}"),
        ),
        (
            l("住户与走访", "Households and visits"),
            format!("/places/{id}/households"),
        ),
        (l("返回", "Back"), format!("/places/{id}")),
    ]
}

async fn hub(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    fb: Option<Feedback>,
) -> Result<Response, PageError> {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let s = &state.store;
    let place = s.place(&ctx.scope, id).await?;
    let today = day_of(state.now());
    let people = s.village_people(&ctx.scope, id).await?;
    let mut seats = s.seats_on(&ctx.scope, id, &today).await?;
    // Bodies in the order the village runs them, heads first.
    let body_rank = |b: &str| {
        [
            Body::PartyCommittee,
            Body::VillagersCommittee,
            Body::Supervision,
            Body::Representatives,
            Body::Accountant,
            Body::Cashier,
        ]
        .iter()
        .position(|x| x.as_str() == b)
    };
    let title_rank = |t: &Option<String>| match t.as_deref() {
        Some("书记" | "主任") => 0,
        Some(t) if t.starts_with('副') => 1,
        _ => 2,
    };
    seats.sort_by_key(|r| (body_rank(&r.body), title_rank(&r.title), r.name.clone()));
    let kin = s.kinships(&ctx.scope, id).await?;
    let counts = s.village_counts_on(&ctx.scope, id, &today).await?;
    let conflicts = s.supervision_conflicts(&ctx.scope, id, &today).await?;
    let c = Chrome::new(
        ctx,
        format!("{} · {}", place.name, l("村级组织", "Village bodies")),
        "nav.home",
        &format!("/places/{id}/village"),
    );
    let mut facts = vec![(l("村（社区）", "Village"), place.name.clone())];
    facts.push(match &counts {
        Some((as_of, c)) => (
            l("十八周岁以上村民 / 户数", "Adults / households"),
            format!("{} / {}（{}）", c.adults, c.households, as_of),
        ),
        None => (
            l("十八周岁以上村民 / 户数", "Adults / households"),
            l("尚未登记（村民会议的法定人数以此计算）", "not set yet"),
        ),
    });
    for (name, why) in &conflicts {
        facts.push((
            l("任职资格冲突", "Ineligible supervisor"),
            format!("{name}：{why}"),
        ));
    }
    let seats_table = Table {
        caption: l("现任成员", "Seats held today"),
        headers: vec![
            l("组织", "Body"),
            l("姓名", "Name"),
            l("职务", "Title"),
            l("任职日期", "Since"),
        ],
        rows: seats
            .iter()
            .map(|r| {
                vec![
                    Cell::text(body_zh(&r.body)),
                    Cell::text(r.name.clone()),
                    Cell::text(r.title.clone().unwrap_or_else(|| "—".into())),
                    Cell::text(r.from_on.clone()),
                ]
            })
            .collect(),
        empty: l(
            "尚无任职记录，请先登记人员再登记任职",
            "No seats yet: add people, then their seats",
        ),
    };
    let kin_table = Table {
        caption: l("近亲属关系", "Near relatives"),
        headers: vec![l("甲", "Person"), l("关系", "Relation"), l("乙", "Person")],
        rows: kin
            .iter()
            .map(|k| {
                vec![
                    Cell::text(k.name_a.clone()),
                    Cell::text(Kinship::parse(&k.kind).map_or("—", Kinship::zh)),
                    Cell::text(k.name_b.clone()),
                ]
            })
            .collect(),
        empty: l("尚无登记", "None recorded"),
    };
    let who: Vec<(String, String)> = people
        .iter()
        .map(|p| (p.id.to_string(), p.name.clone()))
        .collect();
    let bodies = Body::ALL
        .iter()
        .map(|b| (b.as_str().to_string(), b.zh().to_string()))
        .collect();
    let kinds = Kinship::ALL
        .iter()
        .map(|k| (k.as_str().to_string(), k.zh().to_string()))
        .collect();
    let held = seats
        .iter()
        .map(|r| {
            (
                r.id.to_string(),
                format!("{} · {}", body_zh(&r.body), r.name),
            )
        })
        .collect();
    let base = format!("/places/{id}/village");
    let mut forms = vec![
        Form::new("person", format!("{base}/people"), l("登记人员", "Add a person"), l("登记", "Add"))
            .field(Field::new("name", l("姓名", "Name"), FieldKind::Text).required()),
        Form::new("seat", format!("{base}/seats"), l("登记任职", "Add a seat"), l("登记", "Add"))
            .field(Field::new("person_id", l("人员", "Person"), FieldKind::Select(who.clone())).required())
            .field(Field::new("body", l("组织", "Body"), FieldKind::Select(bodies)).required())
            .field(Field::new("title", l("职务（如书记、主任、委员）", "Title"), FieldKind::Text))
            .field(Field::new("from_on", l("任职日期", "From"), FieldKind::Date).value(today.clone()).required())
            .note(l(
                "村务监督委员会成员不得由村民委员会成员及其近亲属、村会计、村出纳担任，系统登记时核查。",
                "Supervision seats are checked: no villagers' committee member, near relative of one, accountant or cashier.",
            )),
        Form::new("seat-end", format!("{base}/seats/end"), l("登记离任", "End a seat"), l("登记", "End"))
            .field(Field::new("seat_id", l("任职", "Seat"), FieldKind::Select(held)).required())
            .field(Field::new("to_on", l("离任日期", "Last day"), FieldKind::Date).value(today.clone()).required()),
        Form::new("kin", format!("{base}/kinships"), l("登记近亲属关系", "Record near relatives"), l("登记", "Record"))
            .field(Field::new("person_a", l("甲", "Person"), FieldKind::Select(who.clone())).required())
            .field(Field::new("kind", l("关系（甲是乙的）", "Relation"), FieldKind::Select(kinds)).required())
            .field(Field::new("person_b", l("乙", "Person"), FieldKind::Select(who)).required())
            .note(l(
                "近亲属：配偶、父母、子女、兄弟姐妹、祖父母、外祖父母、孙子女、外孙子女（《民法典》第一千零四十五条）。",
                "Near relatives as the Civil Code art. 1045 defines them.",
            )),
        Form::new("counts", format!("{base}/counts"), l("登记村民人数和户数", "Set adults and households"), l("保存", "Save"))
            .field(Field::new("as_of", l("截至日期", "As of"), FieldKind::Date).value(today).required())
            .field(Field::new("adults", l("十八周岁以上村民人数", "Adult villagers"), FieldKind::Number).required())
            .field(Field::new("households", l("户数", "Households"), FieldKind::Number).required()),
    ];
    if let Some(fb) = fb {
        fb.apply(&mut forms);
    }
    super::render_record(&RecordPage {
        c,
        facts,
        stats: vec![],
        tables: vec![seats_table, kin_table],
        links: village_links(ctx, id, &place.code),
        forms,
    })
}

pub async fn show(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    hub(&state, &ctx, id, None).await
}

/// Runs one of the hub's forms and comes back to the hub, with the refusal beside its field.
async fn hub_write<F, Fut>(
    state: AppState,
    ctx: Ctx,
    id: i64,
    form: &'static str,
    data: FormData,
    write: F,
) -> Result<Response, PageError>
where
    F: FnOnce(AppState, Ctx, FormData) -> Fut,
    Fut: std::future::Future<Output = Result<(), AppError>>,
{
    ctx.require(ctx.role.manages_members())?;
    let values = data.0.clone();
    match write(state.clone(), ctx.clone(), data).await {
        Ok(()) => Ok(done(&format!("/places/{id}/village"))),
        Err(e) => {
            let fb = Feedback::refusal(form, values, e, ctx.lang)?;
            hub(&state, &ctx, id, Some(fb)).await
        }
    }
}

fn pick(data: &FormData, k: &'static str, zh: &str) -> Result<i64, AppError> {
    data.int(k, zh, k)
}

pub async fn add_person(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    hub_write(
        state,
        ctx,
        id,
        "person",
        data,
        |state, ctx, data| async move {
            state
                .store
                .add_person(
                    &ctx.actor,
                    &ctx.scope,
                    id,
                    data.get("name"),
                    None,
                    state.now(),
                )
                .await?;
            Ok(())
        },
    )
    .await
}

pub async fn add_seat(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    hub_write(
        state,
        ctx,
        id,
        "seat",
        data,
        |state, ctx, data| async move {
            let seat = NewSeat {
                person_id: pick(&data, "person_id", "人员")?,
                body: data.get("body").into(),
                title: data.opt("title"),
                from_on: data.get("from_on").into(),
            };
            // The person must be of this village: checked against the page's place.
            let person = state.store.village_people(&ctx.scope, id).await?;
            if !person.iter().any(|p| p.id == seat.person_id) {
                return Err(AppError::NotFound);
            }
            state
                .store
                .add_seat(&ctx.actor, &ctx.scope, &seat, state.now())
                .await?;
            Ok(())
        },
    )
    .await
}

pub async fn end_seat(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    hub_write(
        state,
        ctx,
        id,
        "seat-end",
        data,
        |state, ctx, data| async move {
            let seat = pick(&data, "seat_id", "任职")?;
            state
                .store
                .end_seat(
                    &ctx.actor,
                    &ctx.scope,
                    id,
                    seat,
                    data.get("to_on"),
                    state.now(),
                )
                .await?;
            Ok(())
        },
    )
    .await
}

pub async fn add_kinship(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    hub_write(state, ctx, id, "kin", data, |state, ctx, data| async move {
        let (a, b) = (
            pick(&data, "person_a", "甲")?,
            pick(&data, "person_b", "乙")?,
        );
        state
            .store
            .add_kinship(
                &ctx.actor,
                &ctx.scope,
                id,
                (a, b),
                data.get("kind"),
                state.now(),
            )
            .await?;
        Ok(())
    })
    .await
}

pub async fn set_counts(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    hub_write(
        state,
        ctx,
        id,
        "counts",
        data,
        |state, ctx, data| async move {
            let c = Counts {
                adults: data.int("adults", "村民人数", "Adults")?,
                households: data.int("households", "户数", "Households")?,
            };
            state
                .store
                .set_village_counts(
                    &ctx.actor,
                    &ctx.scope,
                    id,
                    data.get("as_of"),
                    c,
                    state.now(),
                )
                .await?;
            Ok(())
        },
    )
    .await
}

#[derive(Debug, Deserialize, Default)]
pub struct KindQuery {
    pub kind: Option<String>,
    /// The meeting's day: the roll offered is the seats held then (default today).
    pub on: Option<String>,
    pub page: Option<i64>,
}

async fn meetings_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    kind: Option<MeetingKind>,
    (on, page): (Option<String>, i64),
    fb: Option<Feedback>,
) -> Result<Response, PageError> {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let s = &state.store;
    let place = s.place(&ctx.scope, id).await?;
    let (list, total) = s
        .body_meetings(&ctx.scope, id, kind, Page::new(Some(page), Some(50)))
        .await?;
    let base = match kind {
        Some(k) => format!("/places/{id}/meetings?kind={}", k.as_str()),
        None => format!("/places/{id}/meetings"),
    };
    let pager = Pager::new(&base, page, 50, total);
    let today = day_of(state.now());
    let day = on
        .filter(|d| jiceng_domain::member::parse_date(d, "on").is_ok() && *d <= today)
        .unwrap_or_else(|| today.clone());
    let c = Chrome::new(
        ctx,
        format!("{} · {}", place.name, l("村级会议", "Body meetings")),
        "nav.home",
        &format!("/places/{id}/meetings"),
    );
    let yes = |v: bool| l(if v { "是" } else { "否" }, if v { "yes" } else { "no" });
    let table = Table {
        caption: format!(
            "{}（{} {} · {}/{}）",
            l("会议记录", "Meetings held"),
            l("共", "total"),
            pager.total,
            pager.page,
            pager.pages
        ),
        headers: vec![
            l("日期", "Date"),
            l("类型", "Kind"),
            l("议题", "Title"),
            l("应到", "Should attend"),
            l("实到", "Present"),
            l("达到法定人数", "Quorum"),
        ],
        rows: list
            .iter()
            .map(|m| {
                vec![
                    Cell::text(m.held_on.clone()),
                    Cell::text(MeetingKind::parse(&m.kind).map_or("—", MeetingKind::zh)),
                    Cell::link(&m.title, format!("/meetings/{}", m.id)),
                    Cell::text(m.should_attend.to_string()),
                    Cell::text(m.present.to_string()),
                    Cell::text(yes(m.quorate == 1)),
                ]
            })
            .collect(),
        empty: l("尚无会议记录", "No meetings recorded yet"),
    };
    let mut links: Vec<(String, String)> = BODY_KINDS
        .iter()
        .map(|k| {
            (
                format!("{}{}", l("登记", "Record "), k.zh()),
                format!("/places/{id}/meetings?kind={}", k.as_str()),
            )
        })
        .collect();
    links.extend(pager.links(ctx.lang));
    links.extend(village_links(ctx, id, &place.code));
    let mut forms = Vec::new();
    if let Some(kind) = kind {
        let mut form = Form::new(
            "body-meeting",
            format!("/places/{id}/meetings"),
            format!("{}{}", l("登记", "Record "), kind.zh()),
            l("登记", "Record"),
        )
        .field(Field::new("kind", "", FieldKind::Hidden).value(kind.as_str()))
        .field(Field::new("title", l("议题", "Title"), FieldKind::Text).required())
        .field(
            Field::new("held_on", l("召开日期", "Held on"), FieldKind::Date)
                .value(day.clone())
                .required(),
        )
        .field(Field::new(
            "notice_sent_on",
            l("通知日期", "Notice sent on"),
            FieldKind::Date,
        ))
        .field(Field::new(
            "agenda",
            l("议程", "Agenda"),
            FieldKind::LongText,
        ));
        if kind == MeetingKind::VillagersAssembly {
            form = form
                .field(Field::new("present", l("到会十八周岁以上村民人数（签到）", "Adults present"), FieldKind::Number).required())
                .field(Field::new("households_present", l("到会户代表户数（签到）", "Households represented"), FieldKind::Number).value("0"))
                .note(l(
                    "村民会议须提前10天通知；有本村十八周岁以上村民过半数，或本村三分之二以上的户的代表参加方可召开。",
                    "10 days' notice; more than half of the adults or two thirds of the households.",
                ));
        } else {
            let roll = s.body_roll(&ctx.scope, id, kind, &day).await?;
            let people: Vec<(String, String, bool)> = roll
                .iter()
                .map(|(pid, name)| (pid.to_string(), name.clone(), false))
                .collect();
            form = form
                .field(Field::new("present", l("出席", "Present"), FieldKind::Checks(people.clone())))
                .field(Field::new("leave", l("请假", "On leave"), FieldKind::Checks(people)))
                .field(Field::new("leave_reason", l("请假事由", "Reason for leave"), FieldKind::Text))
                .note(l(
                    "应到人员为召开当日在任的成员，此处列出的是所填召开日期当天的名单（日期与名单不符时，提交后会按所填日期重新列出）；未勾选的记为缺席；是否达到法定人数由系统计算。",
                    "Who should attend are the seat holders on the meeting's date; the quorum is computed.",
                ));
        }
        forms.push(form);
    }
    if let Some(fb) = fb {
        fb.apply(&mut forms);
    }
    super::render_record(&RecordPage {
        c,
        facts: vec![(l("村（社区）", "Village"), place.name.clone())],
        stats: vec![],
        tables: vec![table],
        links,
        forms,
    })
}

pub async fn meetings(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    Q(q): Q<KindQuery>,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let kind = q
        .kind
        .as_deref()
        .and_then(MeetingKind::parse)
        .filter(|k| BODY_KINDS.contains(k));
    let page = q.page.unwrap_or(1).max(1);
    meetings_page(&state, &ctx, id, kind, (q.on, page), None).await
}

pub async fn record_meeting(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let kind = MeetingKind::parse(data.get("kind")).filter(|k| BODY_KINDS.contains(k));
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
        let villagers = kind == Some(MeetingKind::VillagersAssembly);
        let m = NewBodyMeeting {
            place_id: id,
            kind: data.get("kind").to_string(),
            title: data.get("title").to_string(),
            held_on: data.get("held_on").to_string(),
            notice_sent_on: data.opt("notice_sent_on"),
            agenda: data.opt("agenda"),
            attendance,
            present: if villagers {
                data.int("present", "到会人数", "Present")?
            } else {
                0
            },
            households_present: if villagers && !data.get("households_present").is_empty() {
                data.int("households_present", "到会户数", "Households")?
            } else {
                0
            },
        };
        Ok::<_, AppError>(
            state
                .store
                .record_body_meeting(&ctx.actor, &ctx.scope, &m, state.now())
                .await?,
        )
    }
    .await;
    match r {
        Ok(m) => Ok(done(&format!("/meetings/{}", m.id))),
        Err(e) => {
            let on = data.opt("held_on");
            let fb = Feedback::refusal("body-meeting", data.0, e, ctx.lang)?;
            meetings_page(&state, &ctx, id, kind, (on, 1), Some(fb)).await
        }
    }
}
