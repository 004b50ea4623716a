//! calamine on its own: open the file and visit every cell, nothing else. Two ways, because both
//! are "calamine's raw read": the whole sheet as a `Range`, and the streaming cell reader.

use calamine::{Data, DataRef, Reader, Xlsx, XlsxError, open_workbook};
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

fn open(path: &Path) -> Result<Xlsx<BufReader<File>>, String> {
    open_workbook(path).map_err(|e: XlsxError| e.to_string())
}

/// What a read saw, so the work cannot be optimised away and both ways can be compared.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Seen {
    pub cells: u64,
    pub text_bytes: u64,
}

fn len_of(d: &Data) -> u64 {
    match d {
        Data::String(s) => s.len() as u64,
        Data::Empty => 0,
        _ => 8,
    }
}

/// `worksheet_range_at(0)`, then every cell of every row.
pub fn range(path: &Path) -> Result<Seen, String> {
    let mut wb = open(path)?;
    let range = wb
        .worksheet_range_at(0)
        .ok_or("no sheet")?
        .map_err(|e| e.to_string())?;
    let mut seen = Seen::default();
    for row in range.rows() {
        for c in row {
            if !matches!(c, Data::Empty) {
                seen.cells += 1;
                seen.text_bytes += len_of(c);
            }
        }
    }
    Ok(seen)
}

/// `worksheet_cells_reader` on the first sheet, every cell in file order.
pub fn cells(path: &Path) -> Result<Seen, String> {
    let mut wb = open(path)?;
    let name = wb.sheet_names().first().cloned().ok_or("no sheet")?;
    let mut reader = wb
        .worksheet_cells_reader(&name)
        .map_err(|e| e.to_string())?;
    let mut seen = Seen::default();
    while let Some(cell) = reader.next_cell().map_err(|e| e.to_string())? {
        let v = cell.get_value();
        if !matches!(v, DataRef::Empty) {
            seen.cells += 1;
            seen.text_bytes += match v {
                DataRef::String(s) => s.len() as u64,
                DataRef::SharedString(s) => s.len() as u64,
                _ => 8,
            };
        }
    }
    Ok(seen)
}
