//! A meeting's attachments (issue 6): the list and the upload form on its page, the upload (a
//! multipart form, its CSRF token in the query string as csrf.rs expects) and the download, each
//! within the caller's scope. A refused file is audited with the rule that refused it.

use super::{Id, done};
use crate::AppState;
use crate::auth::{Ctx, PageCtx};
use crate::error::{AppError, PageError};
use crate::ui::{Cell, Field, FieldKind, Form, Table};
use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiceng_store::meeting_files::{ACCEPT, MAX_FILE_BYTES};
use jiceng_store::meetings::Meeting;

/// The files table and the upload form of a meeting's page.
pub async fn files(state: &AppState, ctx: &Ctx, m: &Meeting) -> Result<(Table, Form), AppError> {
    let l = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_string();
    let rows = state.store.meeting_files(&ctx.scope, m.id).await?;
    let table = Table {
        caption: l("会议附件", "Attachments"),
        headers: vec![
            l("文件", "File"),
            l("大小", "Size"),
            l("上传日期", "Uploaded"),
        ],
        rows: rows
            .iter()
            .map(|f| {
                vec![
                    Cell::link(&f.name, format!("/meetings/{}/files/{}", m.id, f.id)),
                    Cell::text(format!("{} KB", (f.size + 1023) / 1024)),
                    Cell::text(crate::clock::day_of(f.created_at)),
                ]
            })
            .collect(),
        empty: l("尚无附件", "No attachments"),
    };
    let form = Form::new(
        "attach",
        format!("/meetings/{}/files?_csrf={}", m.id, ctx.csrf),
        l("上传附件（签到表、照片、签字的记录）", "Attach a file"),
        l("上传", "Upload"),
    )
    .field(
        Field::new(
            "file",
            format!(
                "{}{}MB{}",
                l(
                    "PDF、图片、Word或Excel，不超过",
                    "PDF, image, Word or Excel, at most "
                ),
                MAX_FILE_BYTES >> 20,
                l("", "")
            ),
            FieldKind::File,
        )
        .value(ACCEPT)
        .required(),
    );
    Ok((table, form))
}

pub async fn upload(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Id(id): Id,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    let too_large = || AppError::Bad {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        code: "meeting.file_too_large",
        zh: format!("文件过大：上限为{}MB", MAX_FILE_BYTES >> 20),
        en: format!("the file is too large: at most {} MB", MAX_FILE_BYTES >> 20),
    };
    let mut file = None;
    while let Some(field) = multipart.next_field().await.map_err(|_| too_large())? {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("附件").to_string();
            file = Some((name, field.bytes().await.map_err(|_| too_large())?));
        }
    }
    let (name, bytes) = file.unwrap_or_default();
    state
        .store
        .attach_file(&ctx.actor, &ctx.scope, id, &name, &bytes, state.now())
        .await?;
    Ok(done(&format!("/meetings/{id}")))
}

pub async fn download(
    State(state): State<AppState>,
    PageCtx(ctx): PageCtx,
    Path((meeting, file)): Path<(String, String)>,
) -> Result<Response, PageError> {
    ctx.require(ctx.role.manages_members())?;
    // A malformed id is a missing record, as elsewhere.
    let (Ok(meeting), Ok(file)) = (meeting.parse::<i64>(), file.parse::<i64>()) else {
        return Err(PageError(AppError::NotFound));
    };
    let (f, bytes) = state.store.meeting_file(&ctx.scope, meeting, file).await?;
    // RFC 6266/5987: the name as UTF-8, percent-encoded; always a download, never shown inline.
    let disposition = format!(
        "attachment; filename=\"file-{}\"; filename*=UTF-8''{}",
        f.id,
        crate::auth::urlencode(&f.name)
    );
    Ok((
        [
            (header::CONTENT_TYPE, f.mime),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}
