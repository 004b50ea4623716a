//! Reading a roster sheet: the template's columns, cells to member rows, problems as the user
//! sees them, and the streamed check and import the pages call.

use crate::AppState;
use crate::error::AppError;
use calamine::{Data, DataRef, Reader, Xlsx};
use jiceng_domain::member::{Choice, EDUCATION, OCCUPATIONS, STATUSES};
use jiceng_store::members::MemberInput;
use jiceng_store::roster::{BATCH_ROWS, ImportOptions, RosterRow, RowError};
use jiceng_store::{Actor, Scope};
use std::io::{Read, Seek, SeekFrom};

/// The largest roster file accepted: a 200,000-row roster in the template's format is about
/// 12.5 MiB, a county's register; a file over this limit (50 MB, say) is refused with a 413
/// naming the limit. The file is held in memory and kept in `uploads` between preview and accept.
pub const MAX_BYTES: usize = 30 * 1024 * 1024;

/// Template columns: header, required, the store's field name (for its refusals), sample value.
pub(super) const COLUMNS: [(&str, bool, &str, &str); 12] = [
    ("党组织编号", true, "org_id", "1"),
    ("姓名", true, "name", "张三"),
    ("身份证号", true, "id_number", "11010519491231002X"),
    ("民族", false, "ethnicity", "汉族"),
    ("学历", true, "education", "大专"),
    ("职业类别", true, "occupation", "农民"),
    ("党员状态", true, "status", "正式党员"),
    ("入党日期", false, "join_date", "1975-07-01"),
    ("转正日期", false, "full_date", "1976-07-01"),
    ("工作单位", false, "workplace", "乾西村"),
    ("联系电话", false, "phone", "13800135678"),
    (
        "家庭住址",
        false,
        "address",
        "广东省珠海市斗门区乾务镇乾西村12号",
    ),
];

/// Batches on their way from the file reader to the store: with `BATCH_ROWS` rows each, what an
/// import holds of the file at any time (besides calamine's shared strings, and the sealed
/// batches waiting for the writer: `roster::WAITING_BATCHES`). Four rather than two, so that
/// the reader goes on while the checker waits for a core.
pub(super) const IN_FLIGHT: usize = 4;

/// One problem in the file, as the user sees it.
#[derive(Debug, Clone)]
pub struct Problem {
    pub row: usize,
    pub column: String,
    pub value: String,
    pub reason: String,
}

/// What checking (or importing) a file found.
#[derive(Debug, Clone, Default)]
pub struct RosterCheck {
    /// Data rows in the file (blank rows are not counted).
    pub rows: usize,
    /// Rows that are (or, once accepted, were) new members; 0 when there are problems.
    pub new_rows: usize,
    /// Rows already in the register (skipped, never merged).
    pub existing: usize,
    /// Members written (an accepted import only).
    pub inserted: usize,
    /// Every problem, in row order; anything here means nothing was written.
    pub problems: Vec<Problem>,
}

pub(super) fn choice(choices: &[Choice], v: &str) -> Option<&'static str> {
    choices
        .iter()
        .find(|(code, zh, en)| *code == v || *zh == v || en.eq_ignore_ascii_case(v))
        .map(|c| c.0)
}

pub(super) fn text(cell: &DataRef<'_>) -> String {
    let mut out = String::new();
    text_into(&mut out, cell);
    out
}

/// A cell's text into `out`, whose buffer is kept: the columns read as numbers or choices
/// (organisation, education, occupation, status) reuse theirs row after row instead of
/// allocating a string per cell.
fn text_into(out: &mut String, cell: &DataRef<'_>) {
    out.clear();
    match cell {
        DataRef::Empty => {}
        DataRef::String(s) => out.push_str(s.trim()),
        DataRef::SharedString(s) => out.push_str(s.trim()),
        DataRef::Int(i) => out.push_str(&i.to_string()),
        // Numbers typed into text columns (IDs, phones) come back as floats: print them whole.
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e17 => {
            out.push_str(&(*f as i64).to_string())
        }
        DataRef::Float(f) => out.push_str(&f.to_string()),
        DataRef::DateTime(d) => out.push_str(&excel_date(d.as_f64()).unwrap_or_default()),
        DataRef::DateTimeIso(s) => out.extend(s.chars().take(10)),
        other => out.push_str(&Data::from(other.clone()).to_string()),
    }
}

/// An Excel serial date (days since 1899-12-30) as `YYYY-MM-DD`.
pub(super) fn excel_date(serial: f64) -> Option<String> {
    let base = time::Date::from_calendar_date(1899, time::Month::December, 30).ok()?;
    let d = base.checked_add(time::Duration::days(serial.floor() as i64))?;
    Some(format!(
        "{:04}-{:02}-{:02}",
        d.year(),
        u8::from(d.month()),
        d.day()
    ))
}

pub(super) fn file_error(zh: &str, en: &str) -> AppError {
    AppError::Rule(jiceng_domain::DomainError::new("import.file_invalid", zh, en).on("file"))
}

/// Rows read from the file, with the problems their cells had.
#[derive(Debug, Default)]
pub(super) struct Batch {
    rows: Vec<RosterRow>,
    problems: Vec<Problem>,
}

/// Where each template column is in the sheet, from the header row.
pub(super) struct Layout {
    /// Sheet column → template column.
    of_column: Vec<Option<usize>>,
}

impl Layout {
    /// Checks the header row (sheet column, text): every required column, nothing unknown.
    fn new(header: &[(u32, String)]) -> Result<Self, AppError> {
        let missing: Vec<&str> = COLUMNS
            .iter()
            .filter(|(h, req, _, _)| *req && !header.iter().any(|(_, x)| x == h))
            .map(|(h, _, _, _)| *h)
            .collect();
        if !missing.is_empty() {
            return Err(file_error(
                &format!("缺少列：{}（请使用模板）", missing.join("、")),
                &format!("missing columns: {}", missing.join(", ")),
            ));
        }
        let extra: Vec<&str> = header
            .iter()
            .map(|(_, h)| h.as_str())
            .filter(|h| !h.is_empty() && !COLUMNS.iter().any(|(c, _, _, _)| c == h))
            .collect();
        if !extra.is_empty() {
            return Err(file_error(
                &format!("多余的列：{}（请使用模板）", extra.join("、")),
                &format!("unknown columns: {}", extra.join(", ")),
            ));
        }
        let width = header
            .iter()
            .map(|(c, _)| *c as usize + 1)
            .max()
            .unwrap_or(0);
        let mut of_column = vec![None; width];
        for (t, (name, _, _, _)) in COLUMNS.iter().enumerate() {
            // The first column with the name counts, as people read a sheet from the left.
            if let Some((c, _)) = header.iter().find(|(_, h)| h == name) {
                of_column[*c as usize] = Some(t);
            }
        }
        Ok(Self { of_column })
    }

    fn template_column(&self, col: u32) -> Option<usize> {
        self.of_column.get(col as usize).copied().flatten()
    }
}

/// One data row: the template columns' texts (by `COLUMNS` index) become a member row; problems
/// are collected per cell, never fatal.
pub(super) fn member_row(
    row: usize,
    values: &mut [String; 12],
    problems: &mut Vec<Problem>,
) -> RosterRow {
    let mut bad = |column: &str, value: &str, reason: String| {
        problems.push(Problem {
            row,
            column: column.into(),
            value: value.into(),
            reason,
        })
    };
    let org_id = match values[0].parse::<i64>() {
        Ok(v) => v,
        Err(_) => {
            bad("党组织编号", &values[0], "须为党组织编号（整数）".into());
            0
        }
    };
    let mut pick = |t: usize, choices: &[Choice], what: &str| match choice(choices, &values[t]) {
        Some(code) => code.to_string(),
        None => {
            let allowed: Vec<&str> = choices.iter().map(|c| c.1).collect();
            bad(
                COLUMNS[t].0,
                &values[t],
                format!("{what}须为：{}", allowed.join("、")),
            );
            String::new()
        }
    };
    let education = pick(4, &EDUCATION, "学历");
    let occupation = pick(5, &OCCUPATIONS, "职业类别");
    let status = pick(6, &STATUSES, "党员状态");
    let mut take = |t: usize| std::mem::take(&mut values[t]);
    let opt = |s: String| Some(s).filter(|s| !s.is_empty());
    RosterRow {
        row,
        input: MemberInput {
            org_id,
            name: take(1),
            id_number: take(2),
            ethnicity: take(3),
            education,
            occupation,
            status,
            join_date: opt(take(7)),
            full_date: opt(take(8)),
            workplace: opt(take(9)),
            phone: opt(take(10)),
            address: opt(take(11)),
        },
    }
}

/// Reads the first sheet cell by cell and hands its rows to `send` in batches (`send` answers
/// false when nobody listens any more). The first row with anything in it is the header; blank
/// rows are skipped; rows are numbered as the sheet shows them. Returns how many data rows there were.
pub(super) fn read<R: Read + Seek>(
    mut file: R,
    mut send: impl FnMut(Batch) -> bool,
) -> Result<usize, AppError> {
    // A password-protected workbook is an OLE container, not a zip; so is the old .xls format.
    let mut magic = [0u8; 4];
    let ole = file.read_exact(&mut magic).is_ok() && magic == [0xD0, 0xCF, 0x11, 0xE0];
    if ole {
        return Err(file_error(
            "文件已加密或为旧版 .xls 格式：请在Excel中取消密码并另存为 .xlsx",
            "the file is encrypted or an old .xls: save it as an unprotected .xlsx",
        ));
    }
    let unreadable = || {
        file_error(
            "无法读取该文件：请上传用模板填写的 .xlsx 文件",
            "the file cannot be read: upload an .xlsx made from the template",
        )
    };
    file.seek(SeekFrom::Start(0)).map_err(|_| unreadable())?;
    let mut wb = Xlsx::new(file).map_err(|_| unreadable())?;
    let sheet = wb
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| file_error("文件中没有工作表", "the file has no sheet"))?;
    let broken = || file_error("第一个工作表无法读取", "the first sheet cannot be read");
    let mut cells = wb.worksheet_cells_reader(&sheet).map_err(|_| broken())?;
    let mut header: Vec<(u32, String)> = Vec::new();
    let mut layout: Option<Layout> = None;
    let mut values: [String; 12] = Default::default();
    // The row being read, and whether it has anything in it.
    let mut current: Option<(u32, bool)> = None;
    let mut batch = Batch::default();
    let mut rows = 0;
    loop {
        let cell = cells.next_cell().map_err(|_| broken())?;
        let at = cell.as_ref().map(|c| c.get_position());
        if let Some((row, filled)) = current
            && at.map(|(r, _)| r) != Some(row)
        {
            // The row is complete: the header, a data row, or a blank row to skip.
            match (&layout, filled) {
                (_, false) => {}
                (None, true) => layout = Some(Layout::new(&header)?),
                (Some(_), true) => {
                    rows += 1;
                    let r = member_row(row as usize + 1, &mut values, &mut batch.problems);
                    batch.rows.push(r);
                    if batch.rows.len() == BATCH_ROWS && !send(std::mem::take(&mut batch)) {
                        return Ok(rows);
                    }
                }
            }
            values.iter_mut().for_each(String::clear);
            current = None;
        }
        let Some(cell) = cell else { break };
        let (row, col) = cell.get_position();
        let value = cell.get_value();
        let filled = !matches!(value, DataRef::Empty);
        let was = current.is_some_and(|(_, f)| f);
        current = Some((row, was || filled));
        match &layout {
            None if filled => header.push((col, text(value))),
            None => {}
            Some(l) => {
                if let Some(t) = l.template_column(col) {
                    text_into(&mut values[t], value);
                }
            }
        }
    }
    if layout.is_none() {
        // Not even a header: the required columns are all missing.
        Layout::new(&header)?;
    }
    if rows == 0 {
        return Err(file_error("文件中没有数据行", "the file has no data rows"));
    }
    if !batch.rows.is_empty() {
        send(batch);
    }
    Ok(rows)
}

/// The column a store rule refers to, by its field name.
pub(super) fn column_of(field: Option<&str>) -> &'static str {
    COLUMNS
        .iter()
        .find(|c| Some(c.2) == field)
        .map_or("", |c| c.0)
}

/// What a row gave for the field a rule refers to (the choice columns are shown as typed, by the
/// reader's own problem; the store sees only codes).
pub(super) fn value_of(r: &MemberInput, field: Option<&str>) -> String {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    match field {
        Some("org_id") => r.org_id.to_string(),
        Some("name") => r.name.clone(),
        Some("id_number") => r.id_number.clone(),
        Some("join_date") => opt(&r.join_date),
        Some("full_date") => opt(&r.full_date),
        Some("phone") => opt(&r.phone),
        Some("address") => opt(&r.address),
        _ => String::new(),
    }
}

/// The store's refusals of a batch as problems, less those a cell problem of the same row and
/// column already reports (a choice the reader could not read, refused again by the store).
pub(super) fn store_problems(batch: &Batch, errors: Vec<RowError>) -> Vec<Problem> {
    errors
        .into_iter()
        .filter_map(|e| {
            let column = column_of(e.error.field);
            let dup = batch
                .problems
                .iter()
                .any(|p| p.row == e.row && p.column == column);
            if dup {
                return None;
            }
            let value = batch
                .rows
                .iter()
                .find(|r| r.row == e.row)
                .map(|r| value_of(&r.input, e.error.field))
                .unwrap_or_default();
            Some(Problem {
                row: e.row,
                column: column.into(),
                value,
                reason: e.error.zh,
            })
        })
        .collect()
}

impl AppState {
    /// Checks every row of a roster file and writes nothing: the upload's preview.
    pub async fn check_roster<R>(
        &self,
        actor: &Actor,
        scope: &Scope,
        file: R,
        name: &str,
    ) -> Result<RosterCheck, AppError>
    where
        R: Read + Seek + Send + 'static,
    {
        self.roster(actor, scope, file, name, true).await
    }

    /// Checks every row again and writes the file, all in one transaction that is committed only
    /// when every row passed: accepting the preview.
    pub async fn import_roster<R>(
        &self,
        actor: &Actor,
        scope: &Scope,
        file: R,
        name: &str,
    ) -> Result<RosterCheck, AppError>
    where
        R: Read + Seek + Send + 'static,
    {
        self.roster(actor, scope, file, name, false).await
    }

    async fn roster<R>(
        &self,
        actor: &Actor,
        scope: &Scope,
        file: R,
        name: &str,
        preview: bool,
    ) -> Result<RosterCheck, AppError>
    where
        R: Read + Seek + Send + 'static,
    {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Batch>(IN_FLIGHT);
        // calamine is synchronous and CPU-bound: it reads on a blocking thread, beside the store.
        let reader =
            tokio::task::spawn_blocking(move || read(file, |b| tx.blocking_send(b).is_ok()));
        let opts = ImportOptions {
            label: name,
            row_base: 0,
            preview,
        };
        let mut import = self.store.begin_import(actor, scope, &opts, self.now());
        let mut out = RosterCheck::default();
        while let Some(batch) = rx.recv().await {
            if !batch.problems.is_empty() {
                import.refuse();
            }
            let added = import.add(&batch.rows).await?;
            let found = store_problems(&batch, added.problems);
            out.problems.extend(batch.problems);
            out.problems.extend(found);
        }
        let read = reader
            .await
            .map_err(|e| AppError::Internal(format!("roster reader: {e}")))?;
        out.rows = match read {
            Ok(rows) => rows,
            Err(e) => {
                // The file broke off: whatever was read is given up.
                import.refuse();
                import.finish().await?;
                return Err(e);
            }
        };
        if let Some(t) = import.finish().await? {
            out.new_rows = t.new_rows;
            out.existing = t.existing;
            out.inserted = t.inserted;
        }
        // Cell problems before the store's for the same row, as the reader found them.
        out.problems.sort_by_key(|p| p.row);
        Ok(out)
    }
}
