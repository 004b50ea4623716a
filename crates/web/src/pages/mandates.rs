//! The 村民会议's authorisations of the 村民代表会议 (《村民委员会组织法》第二十四条), as a section of
//! a village's 四议两公开 page: what is in force, and the form to record one.

use super::{FormData, Id, saved};
use crate::AppState;
use crate::auth::{Ctx, PageCtx};
use crate::error::{AppError, PageError};
use crate::ui::{Cell, Field, FieldKind, Form, Table};
use axum::extract::State;
use axum::response::Response;
use jiceng_store::mandates::NewMandate;

/// The authorisations table and the form; `options` are the village's list items (id, name).
pub(crate) async fn section(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    options: &[(String, String)],
) -> Result<(Table, Form), PageError> {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let s = &state.store;
    let mandates = s.mandates(&ctx.scope, id).await?;
    let votes = s.mandate_choices(&ctx.scope, id).await?;
    let mandate_table = Table {
        caption: l(
            "村民会议对村民代表会议的授权（《村民委员会组织法》第二十四条）",
            "Authorisations of the representatives by the villagers' assembly",
        ),
        headers: vec![
            l("授权事项", "Matters"),
            l("村民会议决定", "Assembly's resolution"),
            l("开始", "From"),
            l("截止", "Until"),
        ],
        rows: mandates
            .iter()
            .map(|m| {
                vec![
                    Cell::text(
                        m.item_name
                            .clone()
                            .unwrap_or_else(|| l("清单全部事项", "Every item")),
                    ),
                    Cell::text(format!("{} {}", m.held_on, m.resolution_title)),
                    Cell::text(m.from_on.clone()),
                    Cell::text(m.until_on.clone().unwrap_or_else(|| l("未定", "open"))),
                ]
            })
            .collect(),
        empty: l(
            "尚无授权：村民代表会议不能对清单事项作出决议，须由村民会议决定",
            "No authorisation: only the villagers' assembly can decide",
        ),
    };
    let mut mandate_form = Form::new(
        "mandate",
        format!("/places/{id}/mandates"),
        l("登记村民会议的授权", "Record an authorisation"),
        l("登记", "Record"),
    );
    if votes.is_empty() {
        mandate_form = mandate_form.note(l(
            "授权须由达到法定人数的村民会议表决通过，本村尚无这样的表决：请先在“村级会议”中登记村民会议及其表决。",
            "An authorisation rests on a passed vote of a quorate villagers' assembly; record one first.",
        ));
    } else {
        let mut scope = vec![(String::new(), l("清单全部事项", "Every item"))];
        scope.extend(options.iter().cloned());
        let votes = votes.into_iter().map(|(v, t)| (v.to_string(), t)).collect();
        mandate_form = mandate_form
            .field(
                Field::new(
                    "resolution_id",
                    l("村民会议的决定", "Assembly's resolution"),
                    FieldKind::Select(votes),
                )
                .required(),
            )
            .field(Field::new(
                "item_id",
                l("授权事项", "Matters"),
                FieldKind::Select(scope),
            ))
            .field(Field::new("from_on", l("开始日期", "From"), FieldKind::Date).required())
            .field(Field::new(
                "until_on",
                l("截止日期（可不填）", "Until (optional)"),
                FieldKind::Date,
            ));
    }
    Ok((mandate_table, mandate_form))
}

/// Records the 村民会议's authorisation of the 村民代表会议.
pub async fn grant_mandate(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let r = async {
        let item = match data.get("item_id").trim() {
            "" => None,
            _ => Some(data.int("item_id", "授权事项", "Matters")?),
        };
        let m = NewMandate {
            place_id: id,
            resolution_id: data.int("resolution_id", "村民会议的决定", "Assembly's resolution")?,
            item_id: item,
            from_on: data.get("from_on").into(),
            until_on: Some(data.get("until_on").into()),
        };
        state
            .store
            .grant_mandate(&ctx.actor, &ctx.scope, &m, state.now())
            .await?;
        Ok::<_, AppError>(format!("/places/{id}/matters"))
    }
    .await;
    saved(r, "mandate", data, ctx.lang, |fb| {
        super::matters::village_page(&state, &ctx, id, 1, Some(fb))
    })
    .await
}
