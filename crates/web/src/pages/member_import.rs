//! Roster import from Excel: a template to download; an upload that is checked row by row and
//! previewed (counts, every problem with its row, column, value and reason, also as a sheet);
//! nothing is written until the user accepts, and then all of it in one transaction.

use super::{Id, RecordPage, done, render};
use crate::auth::{Ctx, PageCtx};
use crate::error::{AppError, PageError};
use crate::i18n::T;
use crate::ui::{Cell, Chrome, Field, FieldKind, Form, Table};
use crate::{AppState, xlsx};
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use jiceng_domain::member::{Choice, EDUCATION, OCCUPATIONS, STATUSES};
use jiceng_store::audit::Change;
use jiceng_store::members::MemberInput;
use jiceng_store::roster::{ImportOptions, RowError};
use std::io::Cursor;

/// The largest roster file accepted.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

/// Template columns: (header, required).
const COLUMNS: [(&str, bool); 12] = [
    ("党组织编号", true),
    ("姓名", true),
    ("身份证号", true),
    ("民族", false),
    ("学历", true),
    ("职业类别", true),
    ("党员状态", true),
    ("入党日期", false),
    ("转正日期", false),
    ("工作单位", false),
    ("联系电话", false),
    ("家庭住址", false),
];

const SAMPLE: [&str; 12] = [
    "1",
    "张三",
    "11010519491231002X",
    "汉族",
    "大专",
    "农民",
    "正式党员",
    "1975-07-01",
    "1976-07-01",
    "乾西村",
    "13800135678",
    "广东省珠海市斗门区乾务镇乾西村12号",
];

/// One problem in the file, as the user sees it.
#[derive(Debug, Clone)]
struct Problem {
    row: usize,
    column: String,
    value: String,
    reason: String,
}

fn choice(choices: &[Choice], v: &str) -> Option<&'static str> {
    choices
        .iter()
        .find(|(code, zh, en)| *code == v || *zh == v || en.eq_ignore_ascii_case(v))
        .map(|c| c.0)
}

fn text(cell: Option<&Data>) -> String {
    match cell {
        None | Some(Data::Empty) => String::new(),
        Some(Data::String(s)) => s.trim().to_string(),
        Some(Data::Int(i)) => i.to_string(),
        // Numbers typed into text columns (IDs, phones) come back as floats: print them whole.
        Some(Data::Float(f)) if f.fract() == 0.0 && f.abs() < 1e17 => format!("{}", *f as i64),
        Some(Data::Float(f)) => f.to_string(),
        Some(Data::DateTime(d)) => excel_date(d.as_f64()).unwrap_or_default(),
        Some(Data::DateTimeIso(s)) => s.chars().take(10).collect(),
        Some(other) => other.to_string(),
    }
}

/// An Excel serial date (days since 1899-12-30) as `YYYY-MM-DD`.
fn excel_date(serial: f64) -> Option<String> {
    let base = time::Date::from_calendar_date(1899, time::Month::December, 30).ok()?;
    let d = base.checked_add(time::Duration::days(serial.floor() as i64))?;
    Some(format!(
        "{:04}-{:02}-{:02}",
        d.year(),
        u8::from(d.month()),
        d.day()
    ))
}

fn file_error(zh: &str, en: &str) -> AppError {
    AppError::Rule(jiceng_domain::DomainError::new("import.file_invalid", zh, en).on("file"))
}

/// Reads the first sheet into member rows; problems are collected per cell, never fatal per row.
fn parse(bytes: &[u8]) -> Result<(Vec<MemberInput>, Vec<Problem>), AppError> {
    // A password-protected workbook is an OLE container, not a zip; so is the old .xls format.
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(file_error(
            "文件已加密或为旧版 .xls 格式：请在Excel中取消密码并另存为 .xlsx",
            "the file is encrypted or an old .xls: save it as an unprotected .xlsx",
        ));
    }
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).map_err(|_| {
        file_error(
            "无法读取该文件：请上传用模板填写的 .xlsx 文件",
            "the file cannot be read: upload an .xlsx made from the template",
        )
    })?;
    let range = wb
        .worksheet_range_at(0)
        .ok_or_else(|| file_error("文件中没有工作表", "the file has no sheet"))?
        .map_err(|_| file_error("第一个工作表无法读取", "the first sheet cannot be read"))?;
    let mut rows = range.rows();
    let header: Vec<String> = rows
        .next()
        .map(|r| r.iter().map(|c| text(Some(c))).collect())
        .unwrap_or_default();
    let missing: Vec<&str> = COLUMNS
        .iter()
        .filter(|(h, req)| *req && !header.iter().any(|x| x == h))
        .map(|(h, _)| *h)
        .collect();
    if !missing.is_empty() {
        return Err(file_error(
            &format!("缺少列：{}（请使用模板）", missing.join("、")),
            &format!("missing columns: {}", missing.join(", ")),
        ));
    }
    let extra: Vec<&str> = header
        .iter()
        .filter(|h| !h.is_empty() && !COLUMNS.iter().any(|(c, _)| c == h))
        .map(String::as_str)
        .collect();
    if !extra.is_empty() {
        return Err(file_error(
            &format!("多余的列：{}（请使用模板）", extra.join("、")),
            &format!("unknown columns: {}", extra.join(", ")),
        ));
    }
    let col = |name: &str| header.iter().position(|h| h == name);
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (i, r) in rows.enumerate() {
        let get = |name: &str| text(col(name).and_then(|c| r.get(c)));
        if r.iter().all(|c| matches!(c, Data::Empty)) {
            continue;
        }
        let row = i + 2;
        let mut bad = |column: &str, value: String, reason: &str| {
            problems.push(Problem {
                row,
                column: column.into(),
                value,
                reason: reason.into(),
            })
        };
        let org_id = match get("党组织编号").parse::<i64>() {
            Ok(v) => v,
            Err(_) => {
                bad("党组织编号", get("党组织编号"), "须为党组织编号（整数）");
                0
            }
        };
        let mut pick =
            |column: &str, choices: &[Choice], what: &str| match choice(choices, &get(column)) {
                Some(code) => code.to_string(),
                None => {
                    let allowed: Vec<&str> = choices.iter().map(|c| c.1).collect();
                    bad(
                        column,
                        get(column),
                        &format!("{what}须为：{}", allowed.join("、")),
                    );
                    String::new()
                }
            };
        let education = pick("学历", &EDUCATION, "学历");
        let occupation = pick("职业类别", &OCCUPATIONS, "职业类别");
        let status = pick("党员状态", &STATUSES, "党员状态");
        let opt = |s: String| Some(s).filter(|s| !s.is_empty());
        out.push(MemberInput {
            org_id,
            name: get("姓名"),
            id_number: get("身份证号"),
            ethnicity: get("民族"),
            education,
            occupation,
            status,
            join_date: opt(get("入党日期")),
            full_date: opt(get("转正日期")),
            workplace: opt(get("工作单位")),
            phone: opt(get("联系电话")),
            address: opt(get("家庭住址")),
        });
    }
    if out.is_empty() && problems.is_empty() {
        return Err(file_error("文件中没有数据行", "the file has no data rows"));
    }
    Ok((out, problems))
}

/// The column a store rule refers to, by its field name.
fn column_of(field: Option<&str>) -> &'static str {
    match field {
        Some("org_id") => "党组织编号",
        Some("name") => "姓名",
        Some("id_number") => "身份证号",
        Some("status") => "党员状态",
        Some("occupation") => "职业类别",
        Some("education") => "学历",
        Some("join_date") => "入党日期",
        Some("full_date") => "转正日期",
        Some("phone") => "联系电话",
        Some("address") => "家庭住址",
        _ => "",
    }
}

fn value_of(r: &MemberInput, column: &str) -> String {
    match column {
        "党组织编号" => r.org_id.to_string(),
        "姓名" => r.name.clone(),
        "身份证号" => r.id_number.clone(),
        "入党日期" => r.join_date.clone().unwrap_or_default(),
        "转正日期" => r.full_date.clone().unwrap_or_default(),
        "联系电话" => r.phone.clone().unwrap_or_default(),
        "家庭住址" => r.address.clone().unwrap_or_default(),
        _ => String::new(),
    }
}

fn store_problems(rows: &[MemberInput], errors: Vec<RowError>) -> Vec<Problem> {
    errors
        .into_iter()
        .map(|e| {
            let column = column_of(e.error.field);
            let value = rows
                .get(e.row)
                .map(|r| value_of(r, column))
                .unwrap_or_default();
            Problem {
                row: e.row + 2,
                column: column.into(),
                value,
                reason: e.error.zh,
            }
        })
        .collect()
}

/// Cell problems first; when the cells are fine, the store's checks (ID numbers, scope, dates…).
async fn check(
    state: &AppState,
    ctx: &Ctx,
    bytes: &[u8],
    name: &str,
) -> Result<(Vec<MemberInput>, Vec<Problem>, usize, usize), AppError> {
    let (rows, mut problems) = parse(bytes)?;
    let opts = ImportOptions {
        label: name,
        row_base: 2,
        preview: true,
    };
    let (mut new_rows, mut existing) = (0, 0);
    match state
        .store
        .import_members(&ctx.actor, &ctx.scope, &rows, &opts, state.now())
        .await?
    {
        Ok(p) => {
            new_rows = p.new_rows;
            existing = p.existing.len();
        }
        Err(errors) => problems.extend(store_problems(&rows, errors)),
    }
    problems.sort_by_key(|p| p.row);
    Ok((rows, problems, new_rows, existing))
}

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
            t.lang()
                .pick("名册文件（不超过10MB）", "Roster file (at most 10 MB)"),
            FieldKind::File,
        )
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
    let headers: Vec<String> = COLUMNS.iter().map(|(h, _)| h.to_string()).collect();
    let sample: Vec<String> = SAMPLE.iter().map(|s| s.to_string()).collect();
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
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(field) = multipart.next_field().await.map_err(|_| too_large())? {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("roster.xlsx").to_string();
            let bytes = field.bytes().await.map_err(|_| too_large())?;
            file = Some((name, bytes.to_vec()));
        }
    }
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return Err(PageError(file_error(
            "请选择要上传的 .xlsx 文件",
            "choose an .xlsx file",
        )));
    };
    let (rows, problems, new_rows, existing) = match check(&state, &ctx, &bytes, &name).await {
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
            return Err(PageError(e));
        }
        Err(e) => return Err(PageError(e)),
    };
    let id = state
        .store
        .save_upload(ctx.user.id, "members", &name, &bytes, state.now())
        .await?;
    if !problems.is_empty() {
        let after =
            serde_json::json!({"file": name, "rows": rows.len(), "problems": problems.len()});
        state
            .store
            .record(
                &ctx.actor,
                Change::new("import_refused", "member", &name, None, Some(after)),
                state.now(),
            )
            .await?;
    }
    preview(&ctx, id, &name, rows.len(), new_rows, existing, &problems)
}

fn preview(
    ctx: &Ctx,
    id: i64,
    name: &str,
    total: usize,
    new_rows: usize,
    existing: usize,
    problems: &[Problem],
) -> Result<Response, PageError> {
    let t = ctx.t();
    let l = |zh: &'static str, en: &'static str| t.lang().pick(zh, en).to_string();
    let facts = vec![
        (l("文件", "File"), name.to_string()),
        (l("数据行", "Rows"), total.to_string()),
        (l("新党员", "New members"), new_rows.to_string()),
        (
            l("已在名册中（不重复导入）", "Already registered (skipped)"),
            existing.to_string(),
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
            tables: vec![table],
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
    let (_, problems, _, _) = check(&state, &ctx, &up.bytes, &up.name).await?;
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
    let (rows, problems, _, _) = check(&state, &ctx, &up.bytes, &up.name).await?;
    if !problems.is_empty() {
        return Err(PageError(file_error(
            "文件有问题，未导入；请修改后重新上传",
            "the file has problems and was not imported",
        )));
    }
    let opts = ImportOptions {
        label: &up.name,
        row_base: 2,
        preview: false,
    };
    let done_rows = match state
        .store
        .import_members(&ctx.actor, &ctx.scope, &rows, &opts, state.now())
        .await?
    {
        Ok(r) => r.inserted.len(),
        Err(_) => {
            return Err(PageError(file_error(
                "数据在预览后发生变化，未导入；请重新上传",
                "the data changed since the preview; upload again",
            )));
        }
    };
    state.store.drop_upload(id).await?;
    Ok(done(&format!("/members?notice=imported&count={done_rows}")))
}
