//! Excel export of a list: the same rows the page shows, every page of them, as one .xlsx.

use crate::error::{AppError, PageError};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use jiceng_store::sql::Page;
use rust_xlsxwriter::{Format, Workbook};

/// The most rows one export writes (an Excel sheet holds 1,048,576).
pub const MAX_ROWS: i64 = 200_000;

/// Rows fetched per round trip while exporting.
/// (`Page` caps a page at 500 rows, so a batch is exactly one page.)
pub const BATCH: i64 = 500;

/// The `number`th batch of an export.
pub fn batch(number: i64) -> Page {
    Page::new(Some(number), Some(BATCH))
}

/// Whether another batch should be fetched after batch `number` returned `got` rows.
pub fn more(number: i64, got: usize) -> bool {
    got as i64 == BATCH && number * BATCH < MAX_ROWS
}

fn xlsx_err(e: rust_xlsxwriter::XlsxError) -> AppError {
    AppError::Internal(format!("xlsx: {e}"))
}

/// One sheet: bold headers, every value as text (codes and ID-like values must not become numbers).
fn write_sheet<'a>(
    wb: &mut Workbook,
    name: &str,
    headers: &[String],
    rows: impl Iterator<Item = Vec<&'a str>>,
) -> Result<(), AppError> {
    let ws = wb.add_worksheet();
    ws.set_name(name).map_err(xlsx_err)?;
    let bold = Format::new().set_bold();
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &bold)
            .map_err(xlsx_err)?;
        ws.set_column_width(c as u16, 18).map_err(xlsx_err)?;
    }
    for (r, row) in rows.enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string((r + 1) as u32, c as u16, *v)
                .map_err(xlsx_err)?;
        }
    }
    ws.set_freeze_panes(1, 0).map_err(xlsx_err)?;
    Ok(())
}

pub fn workbook(
    sheet: &str,
    headers: &[String],
    rows: &[Vec<String>],
) -> Result<Vec<u8>, AppError> {
    let mut wb = Workbook::new();
    let rows = rows.iter().map(|r| r.iter().map(String::as_str).collect());
    write_sheet(&mut wb, sheet, headers, rows)?;
    wb.save_to_buffer().map_err(xlsx_err)
}

/// The tables of a page, one sheet each, as their cells read (links become their text).
pub fn tables(file: &str, tables: &[crate::ui::Table]) -> Result<Response, PageError> {
    let mut wb = Workbook::new();
    for (i, t) in tables.iter().enumerate() {
        let rows = t
            .rows
            .iter()
            .take(MAX_ROWS as usize)
            .map(|r| r.iter().map(|c| c.text.as_str()).collect());
        write_sheet(&mut wb, &sheet_name(&t.caption, i), &t.headers, rows)?;
    }
    send(file, wb.save_to_buffer().map_err(xlsx_err)?)
}

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`, unique by position.
fn sheet_name(caption: &str, i: usize) -> String {
    let clean: String = caption
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(28)
        .collect();
    if clean.trim().is_empty() {
        format!("Sheet{}", i + 1)
    } else {
        format!(
            "{}{clean}",
            if i > 0 {
                format!("{} ", i + 1)
            } else {
                String::new()
            }
        )
    }
}

pub fn download(
    file: &str,
    sheet: &str,
    headers: &[String],
    rows: &[Vec<String>],
) -> Result<Response, PageError> {
    send(file, workbook(sheet, headers, rows)?)
}

fn send(file: &str, bytes: Vec<u8>) -> Result<Response, PageError> {
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}.xlsx\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_batch_is_a_whole_page() {
        // If Page capped below BATCH, `more` would stop after the first batch and cut exports short.
        assert_eq!(super::batch(3).size, super::BATCH);
        assert!(super::more(1, super::BATCH as usize));
        assert!(!super::more(1, 10));
    }
}
