//! The service catalogue for staff (issue 5 item 4): what a node's centre offers (the items of the
//! places above it and its own) and the items of the places under it, by group (党务/政务/村务/
//! 公共服务), with materials and time limits; the form to add an item at the node; an item's page
//! to edit it and to stop or resume offering it; the .xlsx export. Items of a place above the
//! caller's scope are read-only here (the district's catalogue is the district's to change).

use super::problems::handles;
use super::{FormData, Id, ListPage, Q, RecordPage, saved};
use crate::AppState;
use crate::auth::{Ctx, PageCtx};
use crate::error::{AppError, PageError};
use crate::ui::{Cell, Chrome, Feedback, Field, FieldKind, Form, Pager, Table, query};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use jiceng_domain::service::{GROUPS, group_zh};
use jiceng_store::places::Place;
use jiceng_store::services::{Item, ItemInput};
use jiceng_store::sql::Page;
use serde::Deserialize;

#[derive(Debug, Deserialize, Default, Clone)]
pub struct CatalogueQuery {
    pub under: Option<String>,
    pub group: Option<String>,
    /// `on`: include items no longer offered.
    pub all: Option<String>,
    pub page: Option<String>,
}

impl CatalogueQuery {
    fn qs(&self) -> String {
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        let (u, g, a) = (o(&self.under), o(&self.group), o(&self.all));
        query(&[("under", &u), ("group", &g), ("all", &a)])
    }
    fn group(&self) -> Option<&str> {
        self.group.as_deref().filter(|g| group_zh(g).is_some())
    }
}

async fn node(state: &AppState, ctx: &Ctx, q: &CatalogueQuery) -> Result<Place, AppError> {
    let id = q
        .under
        .as_deref()
        .and_then(|u| u.parse().ok())
        .unwrap_or(ctx.user.place_id);
    Ok(state.store.place(&ctx.scope, id).await?)
}

fn limit_zh(days: i64) -> String {
    if days == 0 {
        "即办".into()
    } else {
        format!("{days}个工作日")
    }
}

fn items_table(ctx: &Ctx, rows: &[Item], caption: String) -> Table {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let editable = |i: &Item| ctx.role.manages_members() && ctx.scope.contains_code(&i.place_code);
    Table {
        caption,
        headers: vec![
            l("编码", "Code"),
            l("类别", "Group"),
            l("事项", "Item"),
            l("所需材料", "Materials"),
            l("办理时限", "Time limit"),
            l("网上申请", "Online"),
            l("设立单位", "Set by"),
            l("状态", "Status"),
        ],
        rows: rows
            .iter()
            .map(|i| {
                let name = if editable(i) {
                    Cell::link(&i.name, format!("/services/{}", i.id))
                } else {
                    Cell::text(i.name.clone())
                };
                vec![
                    Cell::text(i.code.clone()),
                    Cell::text(group_zh(&i.grp).unwrap_or("")),
                    name,
                    Cell::text(i.materials_list().join("；")),
                    Cell::text(limit_zh(i.limit_days)),
                    Cell::text(if i.online == 1 {
                        l("可网上申请", "Yes")
                    } else {
                        l("现场办理", "Desk only")
                    }),
                    Cell::text(i.place_name.clone()),
                    Cell::text(if i.active == 1 {
                        l("在办", "Offered")
                    } else {
                        l("已停办", "Withdrawn")
                    }),
                ]
            })
            .collect(),
        empty: l("尚无服务事项", "No items yet"),
    }
}

fn groups(ctx: &Ctx, any: bool) -> Vec<(String, String)> {
    let mut v = Vec::new();
    if any {
        v.push((String::new(), ctx.lang.pick("全部", "All").to_string()));
    }
    v.extend(GROUPS.iter().map(|(c, z)| (c.to_string(), z.to_string())));
    v
}

fn item_form(
    ctx: &Ctx,
    id: &'static str,
    action: String,
    title: String,
    item: Option<&Item>,
) -> Form {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let mut f = Form::new(id, action, title, l("保存", "Save"));
    if item.is_none() {
        f = f.field(
            Field::new("code", l("事项编码（字母、数字）", "Code"), FieldKind::Text).required(),
        );
    }
    let v = |get: fn(&Item) -> String| item.map(get).unwrap_or_default();
    f.field(
        Field::new("name", l("事项名称", "Name"), FieldKind::Text)
            .value(v(|i| i.name.clone()))
            .required(),
    )
    .field(
        Field::new(
            "group",
            l("类别", "Group"),
            FieldKind::Select(groups(ctx, false)),
        )
        .value(v(|i| i.grp.clone()))
        .required(),
    )
    .field(
        Field::new(
            "materials",
            l("所需材料（每行一项）", "Materials (one a line)"),
            FieldKind::LongText,
        )
        .value(v(|i| i.materials.clone())),
    )
    .field(
        Field::new(
            "limit_days",
            l(
                "办理时限（工作日，0为即办）",
                "Time limit (working days; 0 = on the day)",
            ),
            FieldKind::Number,
        )
        .value(item.map_or("5".to_string(), |i| i.limit_days.to_string()))
        .required(),
    )
    .field(
        Field::new(
            "online",
            l("可网上申请", "May be applied for online"),
            FieldKind::Checkbox,
        )
        .value(if item.is_some_and(|i| i.online == 1) {
            "on"
        } else {
            ""
        }),
    )
    .field(
        Field::new("sort", l("排序", "Order"), FieldKind::Number).value(v(|i| i.sort.to_string())),
    )
}

fn input(data: &FormData, place_id: i64) -> Result<ItemInput, AppError> {
    Ok(ItemInput {
        place_id,
        code: data.get("code").into(),
        name: data.get("name").into(),
        group: data.get("group").into(),
        materials: data.get("materials").into(),
        limit_days: data.int("limit_days", "办理时限", "Time limit")?,
        online: data.flag("online"),
        sort: data
            .opt("sort")
            .map_or(Ok(0), |_| data.int("sort", "排序", "Order"))?,
    })
}

pub async fn list(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<CatalogueQuery>,
) -> Result<Response, PageError> {
    ctx.require(handles(ctx.role))?;
    list_page(&state, &ctx, &q, None).await
}

async fn list_page(
    state: &AppState,
    ctx: &Ctx,
    q: &CatalogueQuery,
    fb: Option<Feedback>,
) -> Result<Response, PageError> {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let node = node(state, ctx, q).await?;
    let number = q.page.as_deref().and_then(|p| p.parse().ok()).unwrap_or(1);
    let page = Page::new(Some(number), Some(100));
    let (rows, total) = state
        .store
        .service_catalogue(
            &node.code,
            &node.prefix(),
            q.group(),
            q.all.as_deref() == Some("on"),
            page,
        )
        .await?;
    let mut forms = Vec::new();
    if ctx.role.manages_members() {
        forms.push(
            item_form(
                ctx,
                "item",
                format!("/services?under={}", node.id),
                format!("{}{}", l("新增服务事项：", "New item at "), node.name),
                None,
            )
            .note(l(
                "事项在本级及下级各党群服务中心提供。",
                "Offered at this place's centre and every centre below it.",
            )),
        );
    }
    let status = match fb {
        Some(fb) => {
            fb.apply(&mut forms);
            StatusCode::UNPROCESSABLE_ENTITY
        }
        None => StatusCode::OK,
    };
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    let filters = vec![
        Field::new("under", "", FieldKind::Hidden).value(node.id.to_string()),
        Field::new(
            "group",
            l("类别", "Group"),
            FieldKind::Select(groups(ctx, true)),
        )
        .value(o(&q.group)),
        Field::new(
            "all",
            l("含已停办", "Include withdrawn"),
            FieldKind::Checkbox,
        )
        .value(o(&q.all)),
    ];
    let qs = q.qs();
    let title = format!("{} · {}", node.name, l("服务事项目录", "Service catalogue"));
    let mut c = Chrome::new(
        ctx,
        title.clone(),
        "nav.services",
        &format!("/services?{qs}"),
    );
    c.crumbs = super::places::crumbs(state, ctx, &node).await?;
    super::render(
        status,
        &ListPage {
            c,
            action: "/services".into(),
            filters,
            table: items_table(ctx, &rows, title),
            pager: Pager::new(&format!("/services?{qs}"), page.number, page.size, total),
            export: Some(format!("/services/export.xlsx?{qs}")),
            links: vec![
                (
                    l("服务办件", "Requests"),
                    format!("/service-requests?under={}", node.id),
                ),
                (
                    l("群众办事页面", "Residents' page"),
                    format!("/service/{}", node.code),
                ),
                (
                    l("办理时限日历", "Working-day calendar"),
                    "/services/calendar".into(),
                ),
            ],
            forms,
        },
    )
}

/// `POST /services?under=`: a new item at the node (in scope).
pub async fn create(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<CatalogueQuery>,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let r = async {
        let node = node(&state, &ctx, &q).await?;
        let n = input(&data, node.id)?;
        state
            .store
            .create_service_item(&ctx.actor, &ctx.scope, &n, state.now())
            .await?;
        Ok::<_, AppError>(format!("/services?under={}", node.id))
    }
    .await;
    saved(r, "item", data, ctx.lang, |fb| {
        list_page(&state, &ctx, &q, Some(fb))
    })
    .await
}

async fn item_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    fb: Option<Feedback>,
) -> Result<Response, PageError> {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let i = state.store.service_item(&ctx.scope, id).await?;
    let mut forms = vec![item_form(
        ctx,
        "edit",
        format!("/services/{id}/edit"),
        l("修改事项", "Edit"),
        Some(&i),
    )];
    let (label, to) = if i.active == 1 {
        (
            l(
                "停办此事项（已受理的办件照常办理）",
                "Withdraw (requests taken go on)",
            ),
            "",
        )
    } else {
        (l("恢复办理此事项", "Offer again"), "on")
    };
    let mut toggle = Form::new(
        "active",
        format!("/services/{id}/active"),
        label,
        l("确认", "Confirm"),
    )
    .field(Field::new("active", "", FieldKind::Hidden).value(to));
    if i.active == 1 {
        toggle = toggle.danger();
    }
    forms.push(toggle);
    if let Some(fb) = fb {
        fb.apply(&mut forms);
    }
    let c = Chrome::new(
        ctx,
        format!("{}（{}）", i.name, i.code),
        "nav.services",
        &format!("/services/{id}"),
    );
    super::render_record(&RecordPage {
        c,
        facts: vec![
            (l("类别", "Group"), group_zh(&i.grp).unwrap_or("").into()),
            (l("设立单位", "Set by"), i.place_name.clone()),
            (l("办理时限", "Time limit"), limit_zh(i.limit_days)),
            (l("所需材料", "Materials"), i.materials_list().join("；")),
            (
                l("状态", "Status"),
                if i.active == 1 {
                    l("在办", "Offered")
                } else {
                    l("已停办", "Withdrawn")
                },
            ),
        ],
        stats: vec![],
        tables: vec![],
        links: vec![
            (
                l("服务事项目录", "Catalogue"),
                format!("/services?under={}", i.place_id),
            ),
            (
                l("此事项的办件", "Its requests"),
                format!("/service-requests?under={}&item={id}", i.place_id),
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
    item_page(&state, &ctx, id, None).await
}

pub async fn edit(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let r = async {
        let n = input(&data, 0)?;
        state
            .store
            .update_service_item(&ctx.actor, &ctx.scope, id, &n, state.now())
            .await?;
        Ok::<_, AppError>(format!("/services/{id}"))
    }
    .await;
    saved(r, "edit", data, ctx.lang, |fb| {
        item_page(&state, &ctx, id, Some(fb))
    })
    .await
}

pub async fn set_active(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    data: FormData,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    state
        .store
        .set_service_item_active(&ctx.actor, &ctx.scope, id, data.flag("active"), state.now())
        .await?;
    Ok(super::done(&format!("/services/{id}")))
}

pub async fn export(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Q(q): Q<CatalogueQuery>,
) -> Result<Response, PageError> {
    ctx.require(handles(ctx.role))?;
    let node = node(&state, &ctx, &q).await?;
    let mut all = Vec::new();
    for n in 1.. {
        let (rows, _) = state
            .store
            .service_catalogue(
                &node.code,
                &node.prefix(),
                q.group(),
                q.all.as_deref() == Some("on"),
                crate::xlsx::batch(n),
            )
            .await?;
        let more = crate::xlsx::more(n, rows.len());
        all.extend(rows);
        if !more {
            break;
        }
    }
    crate::xlsx::tables(
        "services",
        &[items_table(
            &ctx,
            &all,
            format!("{} 服务事项目录", node.name),
        )],
    )
}
