//! Roster import from Excel: a template to download; an upload that is checked row by row and
//! previewed (counts, every problem with its row, column, value and reason, also as a sheet);
//! nothing is written until the user accepts, and then all of it in one transaction.
//!
//! The file is streamed: a blocking task reads the first sheet cell by cell (calamine's cell
//! reader) and hands rows over in batches through a small channel, while the store checks them
//! (and, on acceptance, seals and writes them), so neither the sheet nor its rows are ever held
//! whole. The upload reads the file once and writes nothing; accepting reads it once more, checks
//! every row again as it writes inside one transaction, and commits only if every row passed (data
//! may have changed since the preview). `AppState::check_roster` and `AppState::import_roster` are
//! what the pages call, and what `bench/import` measures.

use super::{Id, RecordPage, done, render};
use crate::auth::{Ctx, PageCtx};
use crate::error::{AppError, PageError};
use crate::i18n::T;
use crate::ui::{Cell, Chrome, Field, FieldKind, Form, Table};
use crate::{AppState, xlsx};
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use jiceng_store::audit::Change;
use std::io::Cursor;

mod sheet;
use sheet::*;
pub use sheet::{MAX_BYTES, RosterCheck};

fn page_chrome(ctx: &Ctx, t: T) -> Chrome {
    Chrome::new(
        ctx,
        t.lang().pick("导入党员名册", "Import a member roster"),
        "nav.members",
        "/members/import",
    )
}

fn upload_form(ctx: &Ctx, t: T) -> Form {
    // Multipart forms carry the CSRF token in the query string (see csrf.rs).
    Form::new(
        "upload",
        format!("/members/import?_csrf={}", ctx.csrf),
        t.lang().pick("上传 .xlsx 文件", "Upload an .xlsx file"),
        t.lang().pick("检查文件", "Check the file"),
    )
    .field(
        Field::new(
            "file",
            if t.lang().is_en() {
                format!("Roster file (at most {} MB)", MAX_BYTES >> 20)
            } else {
                format!("名册文件（不超过{}MB）", MAX_BYTES >> 20)
            },
            FieldKind::File,
        )
        .value(".xlsx")
        .required(),
    )
    .note(t.lang().pick(
        "上传后先检查每一行并显示预览，确认前不会写入任何数据。",
        "The file is checked row by row and previewed; nothing is written until you accept.",
    ))
}

pub async fn show(PageCtx(ctx): PageCtx) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let t = ctx.t();
    let links = vec![(
        t.lang()
            .pick("下载模板", "Download the template")
            .to_string(),
        "/members/import/template.xlsx".to_string(),
    )];
    render(
        StatusCode::OK,
        &RecordPage {
            c: page_chrome(&ctx, t),
            facts: vec![],
            stats: vec![],
            tables: vec![],
            links,
            forms: vec![upload_form(&ctx, t)],
        },
    )
}

pub async fn template(PageCtx(ctx): PageCtx) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let headers: Vec<String> = COLUMNS.iter().map(|c| c.0.to_string()).collect();
    let sample: Vec<String> = COLUMNS.iter().map(|c| c.3.to_string()).collect();
    xlsx::download("member-roster-template", "党员名册", &headers, &[sample])
}

/// Checks an upload and shows the preview.
pub async fn upload(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let too_large = || AppError::Bad {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        code: "request.too_large",
        zh: format!("文件过大：上限为{}MB", MAX_BYTES / 1024 / 1024),
        en: format!(
            "the file is too large: at most {} MB",
            MAX_BYTES / 1024 / 1024
        ),
    };
    let mut file: Option<(String, axum::body::Bytes)> = None;
    while let Some(field) = multipart.next_field().await.map_err(|_| too_large())? {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("roster.xlsx").to_string();
            let bytes = field.bytes().await.map_err(|_| too_large())?;
            file = Some((name, bytes));
        }
    }
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return Err(PageError(file_error(
            "请选择要上传的 .xlsx 文件",
            "choose an .xlsx file",
        )));
    };
    let checked = state
        .check_roster(&ctx.actor, &ctx.scope, Cursor::new(bytes.clone()), &name)
        .await;
    let checked = match checked {
        Ok(v) => v,
        Err(e @ AppError::Rule(_)) => {
            // A file that cannot be used is still on record: who tried what.
            let after = serde_json::json!({"file": name, "refused": e.code()});
            state
                .store
                .record(
                    &ctx.actor,
                    Change::new("import_refused", "member", &name, None, Some(after)),
                    state.now(),
                )
                .await?;
            crate::refusals::audited();
            return Err(PageError(e));
        }
        Err(e) => return Err(PageError(e)),
    };
    let id = state
        .store
        .save_upload(ctx.user.id, "members", &name, &bytes, state.now())
        .await?;
    if !checked.problems.is_empty() {
        let after = serde_json::json!({"file": name, "rows": checked.rows, "problems": checked.problems.len()});
        state
            .store
            .record(
                &ctx.actor,
                Change::new("import_refused", "member", &name, None, Some(after)),
                state.now(),
            )
            .await?;
        crate::refusals::audited();
    }
    preview(&ctx, id, &name, &checked)
}

fn preview(ctx: &Ctx, id: i64, name: &str, checked: &RosterCheck) -> Result<Response, PageError> {
    let (new_rows, problems) = (checked.new_rows, &checked.problems);
    let t = ctx.t();
    let l = |zh: &'static str, en: &'static str| t.lang().pick(zh, en).to_string();
    let facts = vec![
        (l("文件", "File"), name.to_string()),
        (l("数据行", "Rows"), checked.rows.to_string()),
        (l("新党员", "New members"), new_rows.to_string()),
        (
            l("已在名册中（不重复导入）", "Already registered (skipped)"),
            checked.existing.to_string(),
        ),
        (l("问题", "Problems"), problems.len().to_string()),
    ];
    let table = Table {
        caption: l(
            "问题清单（修改文件后重新上传）",
            "Problems (fix the file and upload it again)",
        ),
        headers: vec![
            l("行", "Row"),
            l("列", "Column"),
            l("值", "Value"),
            l("原因", "Reason"),
        ],
        rows: problems
            .iter()
            .take(500)
            .map(|p| {
                vec![
                    Cell::text(p.row.to_string()),
                    Cell::text(&p.column),
                    Cell::text(&p.value),
                    Cell::text(&p.reason),
                ]
            })
            .collect(),
        empty: l("没有发现问题", "No problems found"),
    };
    let mut links = vec![(l("重新上传", "Upload again"), "/members/import".to_string())];
    let mut forms = vec![];
    if problems.is_empty() && new_rows > 0 {
        forms.push(Form::new(
            "accept",
            format!("/members/import/{id}/accept"),
            l("确认导入", "Accept the import"),
            format!("{} {new_rows}", l("导入", "Import")),
        ));
    } else if !problems.is_empty() {
        links.insert(
            0,
            (
                l("下载问题清单", "Download the problems"),
                format!("/members/import/{id}/problems.xlsx"),
            ),
        );
    }
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        status,
        &RecordPage {
            c: page_chrome(ctx, t),
            facts,
            stats: vec![],
            // A clean file gets no empty problem table: the facts say 问题 0.
            tables: if problems.is_empty() {
                vec![]
            } else {
                vec![table]
            },
            links,
            forms,
        },
    )
}

pub async fn problems(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let up = state.store.upload(ctx.user.id, id).await?;
    let problems = state
        .check_roster(&ctx.actor, &ctx.scope, Cursor::new(up.bytes), &up.name)
        .await?
        .problems;
    let headers = ["行", "列", "值", "原因"]
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>();
    let rows: Vec<Vec<String>> = problems
        .into_iter()
        .map(|p| vec![p.row.to_string(), p.column, p.value, p.reason])
        .collect();
    xlsx::download("roster-problems", "问题清单", &headers, &rows)
}

/// Writes the previewed file, all of it in one transaction, then forgets the upload.
pub async fn accept(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let up = state.store.upload(ctx.user.id, id).await?;
    let done_rows = state
        .import_roster(&ctx.actor, &ctx.scope, Cursor::new(up.bytes), &up.name)
        .await?;
    if !done_rows.problems.is_empty() {
        // The preview had none (or there would be no accept form): the data changed since.
        return Err(PageError(file_error(
            "文件有问题或数据在预览后发生变化，未导入；请重新上传查看问题清单",
            "the file has problems or the data changed since the preview; upload it again to see them",
        )));
    }
    state.store.drop_upload(id).await?;
    Ok(done(&format!(
        "/members?notice=imported&count={}",
        done_rows.inserted
    )))
}
