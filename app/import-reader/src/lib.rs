//! Reading an uploaded file as rows of text cells: CSV in UTF-8 (with or without BOM), GBK or
//! UTF-16 (Excel's "Unicode text"), and `.xlsx` workbooks (any sheet), one row at a time, so a
//! million-line file never sits in memory as a million rows.
//!
//! Pure: bytes in, rows or a [`ReadError`] out. The app maps the errors to the fields of its
//! upload form and feeds the rows to its import jobs; `./guanxi fuzz` feeds it arbitrary bytes.

use std::{
    io::{Read, Seek},
    ops::ControlFlow,
};

/// The largest file accepted.
pub const MAX_FILE_BYTES: usize = 200 * 1024 * 1024;

/// How a file's bytes are read.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    Utf8,
    /// What Excel saves as CSV on Chinese Windows.
    Gbk,
    /// Excel's "Unicode text" (tab-separated).
    Utf16Le,
    Utf16Be,
    /// An `.xlsx` workbook (one sheet of it).
    Xlsx,
}

/// Why a file could not be read. `NoSuchSheet` concerns the sheet asked for; the rest, the file.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("the file has no rows")]
    Empty,
    #[error("the file is larger than {max} bytes")]
    TooBig { max: usize },
    /// Not readable in the chosen format (not UTF-8, not a workbook, a broken CSV quote...).
    #[error("the file cannot be read in the chosen format")]
    Unreadable,
    #[error("the workbook has no such sheet")]
    NoSuchSheet,
    #[error("the file has more than {max} rows")]
    TooManyRows { max: usize },
    /// The file could not be opened or re-read (a job's temporary copy).
    #[error("reading the file: {0}")]
    Io(#[source] std::io::Error),
}

/// What a file turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shape {
    /// How it was read.
    pub format: Format,
    pub headers: Vec<String>,
    /// A workbook's sheets, in order (empty for CSV).
    pub sheets: Vec<String>,
    /// The sheet read.
    pub sheet: Option<String>,
}

/// The format these bytes are in: a workbook when the file is one; else UTF-16 when it starts
/// with a UTF-16 byte order mark or looks like UTF-16, UTF-8 when the bytes are valid UTF-8,
/// and GBK otherwise.
pub fn detect(bytes: &[u8]) -> Format {
    if bytes.starts_with(b"PK\x03\x04") {
        return Format::Xlsx;
    }
    if bytes.starts_with(b"\xFF\xFE") {
        return Format::Utf16Le;
    }
    if bytes.starts_with(b"\xFE\xFF") {
        return Format::Utf16Be;
    }
    // Text of ASCII headers in UTF-16 without a byte order mark: every other byte is zero.
    let head = &bytes[..bytes.len().min(64) & !1];
    let zeros = |offset: usize| head.iter().skip(offset).step_by(2).filter(|b| **b == 0).count();
    if head.len() >= 8 {
        if zeros(1) * 2 >= head.len() / 2 && zeros(0) == 0 {
            return Format::Utf16Le;
        }
        if zeros(0) * 2 >= head.len() / 2 && zeros(1) == 0 {
            return Format::Utf16Be;
        }
    }
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if std::str::from_utf8(text).is_ok() { Format::Utf8 } else { Format::Gbk }
}

/// Reads every row of the file in `format` (detected when `None`), calling `on_shape` once
/// with the headers and then `on_row` for each data row (rows with nothing in them are
/// skipped) until it breaks. Runs on the caller's thread.
///
/// Errors: empty, too big, not readable as chosen, no such sheet.
pub fn visit(
    bytes: &[u8],
    format: Option<Format>,
    sheet: Option<&str>,
    on_shape: &mut dyn FnMut(&Shape),
    on_row: &mut dyn FnMut(Vec<String>) -> ControlFlow<()>,
) -> Result<Shape, ReadError> {
    if bytes.is_empty() {
        return Err(ReadError::Empty);
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err(ReadError::TooBig { max: MAX_FILE_BYTES });
    }
    let format = format.unwrap_or_else(|| detect(bytes));
    if format == Format::Utf8
        && std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)).is_err()
    {
        return Err(ReadError::Unreadable);
    }
    visit_source(std::io::Cursor::new(bytes), format, sheet, on_shape, on_row)
}

/// `visit` over a file already read once (a job's copy of an upload): its format is the one
/// the upload found, and its rows are read without holding the file in memory.
///
/// Errors: as `visit`.
pub fn visit_file(
    path: &std::path::Path,
    format: Format,
    sheet: Option<&str>,
    on_shape: &mut dyn FnMut(&Shape),
    on_row: &mut dyn FnMut(Vec<String>) -> ControlFlow<()>,
) -> Result<Shape, ReadError> {
    let file = std::fs::File::open(path).map_err(ReadError::Io)?;
    visit_source(std::io::BufReader::new(file), format, sheet, on_shape, on_row)
}

fn visit_source<R: Read + Seek>(
    source: R,
    format: Format,
    sheet: Option<&str>,
    on_shape: &mut dyn FnMut(&Shape),
    on_row: &mut dyn FnMut(Vec<String>) -> ControlFlow<()>,
) -> Result<Shape, ReadError> {
    match format {
        Format::Xlsx => visit_xlsx(source, sheet, on_shape, on_row),
        format => visit_csv(source, format, on_shape, on_row),
    }
}

fn visit_csv<R: Read + Seek>(
    mut source: R,
    format: Format,
    on_shape: &mut dyn FnMut(&Shape),
    on_row: &mut dyn FnMut(Vec<String>) -> ControlFlow<()>,
) -> Result<Shape, ReadError> {
    let label = match format {
        Format::Gbk => encoding_rs::GBK,
        Format::Utf16Le => encoding_rs::UTF_16LE,
        Format::Utf16Be => encoding_rs::UTF_16BE,
        _ => encoding_rs::UTF_8,
    };
    fn decoder<S: Read>(
        label: &'static encoding_rs::Encoding,
        source: S,
    ) -> encoding_rs_io::DecodeReaderBytes<S, Vec<u8>> {
        encoding_rs_io::DecodeReaderBytesBuilder::new()
            .encoding(Some(label))
            // A byte order mark, when present, is dropped (and wins over the choice).
            .bom_override(true)
            .build(source)
    }
    // The delimiter: a comma unless the header line has more tabs (Excel's "Unicode text") or
    // semicolons (European Excel).
    let mut head = String::new();
    let _ = decoder(label, (&mut source).take(64 * 1024)).read_to_string(&mut head);
    source.rewind().map_err(ReadError::Io)?;
    let first_line = head.lines().next().unwrap_or_default();
    let count = |c| first_line.matches(c).count();
    let delimiter = if count('\t') > count(',') {
        b'\t'
    } else if count(';') > count(',') {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(decoder(label, source));
    let headers: Vec<String> = reader
        .headers()
        .map_err(|_| ReadError::Unreadable)?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_owned())
        .collect();
    let shape = Shape { format, headers, sheets: Vec::new(), sheet: None };
    on_shape(&shape);
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(_) => return Err(ReadError::Unreadable),
        }
        if record.iter().all(str::is_empty) {
            continue;
        }
        if on_row(record.iter().map(str::to_owned).collect()).is_break() {
            break;
        }
    }
    Ok(shape)
}

/// A cell as the text a person sees in Excel: whole numbers without `.0` (phones, quantities),
/// dates as `2026-03-01` or `2026-03-01 14:30:00`, errors as their code (which no field takes).
fn cell_text(value: &calamine::DataRef<'_>) -> String {
    use calamine::DataRef;
    match value {
        DataRef::Empty => String::new(),
        DataRef::String(text) => text.trim().to_owned(),
        DataRef::SharedString(text) => text.trim().to_owned(),
        DataRef::Int(n) => n.to_string(),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        // Rust prints the shortest text that reads back as the same double: 1280.55, not
        // 1280.5499999999999545.
        DataRef::Float(f) => f.to_string(),
        DataRef::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        DataRef::DateTime(at) => match at.as_datetime() {
            Some(at) if at.time() == chrono::NaiveTime::MIN => at.format("%Y-%m-%d").to_string(),
            Some(at) => at.format("%Y-%m-%d %H:%M:%S").to_string(),
            None => at.as_f64().to_string(),
        },
        DataRef::DateTimeIso(text) | DataRef::DurationIso(text) => text.clone(),
        DataRef::Error(error) => format!("#{error:?}"),
    }
}

fn visit_xlsx<R: Read + Seek>(
    source: R,
    sheet: Option<&str>,
    on_shape: &mut dyn FnMut(&Shape),
    on_row: &mut dyn FnMut(Vec<String>) -> ControlFlow<()>,
) -> Result<Shape, ReadError> {
    use calamine::Reader;
    let mut workbook: calamine::Xlsx<_> =
        calamine::Xlsx::new(source).map_err(|_| ReadError::Unreadable)?;
    let sheets = workbook.sheet_names();
    let chosen = match sheet {
        Some(name) => {
            sheets.iter().find(|s| s.as_str() == name).cloned().ok_or(ReadError::NoSuchSheet)?
        }
        None => sheets.first().cloned().ok_or(ReadError::Empty)?,
    };
    let mut cells = workbook.worksheet_cells_reader(&chosen).map_err(|_| ReadError::Unreadable)?;
    let mut shape = None::<Shape>;
    let mut row: Vec<String> = Vec::new();
    let mut row_index = None::<u32>;
    // Cells arrive row by row, left to right, and only where something is written.
    let mut finish = |row: &mut Vec<String>, shape: &mut Option<Shape>| -> ControlFlow<()> {
        let cells = std::mem::take(row);
        if cells.iter().all(String::is_empty) {
            return ControlFlow::Continue(());
        }
        match shape {
            None => {
                let found = Shape {
                    format: Format::Xlsx,
                    headers: cells,
                    sheets: sheets.clone(),
                    sheet: Some(chosen.clone()),
                };
                on_shape(&found);
                *shape = Some(found);
                ControlFlow::Continue(())
            }
            Some(_) => on_row(cells),
        }
    };
    loop {
        let cell = cells.next_cell().map_err(|_| ReadError::Unreadable)?;
        let Some(cell) = cell else { break };
        let (r, c) = cell.get_position();
        if row_index != Some(r) {
            if row_index.is_some() && finish(&mut row, &mut shape).is_break() {
                return shape.ok_or(ReadError::Empty);
            }
            row_index = Some(r);
        }
        let column = c as usize;
        if row.len() <= column {
            row.resize(column + 1, String::new());
        }
        row[column] = cell_text(cell.get_value());
    }
    let _ = finish(&mut row, &mut shape);
    shape.ok_or(ReadError::Empty)
}

/// A whole file read into memory: headers and every data row (the upload's preview, lead
/// imports, tests). Jobs read large files row by row through [`visit_file`] instead.
pub struct Table {
    pub shape: Shape,
    pub rows: Vec<Vec<String>>,
}

/// Reads all rows, refusing files with more than `max_rows`.
///
/// Errors: as [`visit`], and too many rows.
pub fn read_all(
    bytes: &[u8],
    format: Option<Format>,
    sheet: Option<&str>,
    max_rows: usize,
) -> Result<Table, ReadError> {
    let mut rows = Vec::new();
    let mut too_many = false;
    let shape = visit(bytes, format, sheet, &mut |_| {}, &mut |row| {
        if rows.len() >= max_rows {
            too_many = true;
            return ControlFlow::Break(());
        }
        rows.push(row);
        ControlFlow::Continue(())
    })?;
    if too_many {
        return Err(ReadError::TooManyRows { max: max_rows });
    }
    Ok(Table { shape, rows })
}

/// The headers, the first `sample` rows and the number of data rows.
pub fn preview(
    bytes: &[u8],
    format: Option<Format>,
    sheet: Option<&str>,
    sample: usize,
) -> Result<(Shape, Vec<Vec<String>>, usize), ReadError> {
    let mut first = Vec::new();
    let mut count = 0;
    let shape = visit(bytes, format, sheet, &mut |_| {}, &mut |row| {
        if first.len() < sample {
            first.push(row);
        }
        count += 1;
        ControlFlow::Continue(())
    })?;
    Ok((shape, first, count))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(bytes: &[u8]) -> Table {
        read_all(bytes, None, None, 100).unwrap()
    }

    #[test]
    fn gbk_utf8_and_utf16_files_are_detected_and_read() {
        let text = "客户名称,电话\n上海华信科技有限公司,13800138000\n";
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        let table = all(&gbk);
        assert_eq!(table.shape.format, Format::Gbk);
        assert_eq!(table.shape.headers, vec!["客户名称", "电话"]);
        assert_eq!(table.rows[0][0], "上海华信科技有限公司");
        assert!(read_all(&gbk, Some(Format::Utf8), None, 10).is_err(), "GBK bytes are not UTF-8");

        let utf8 = all("\u{feff}name;phone\n李娜;138\n".as_bytes());
        assert_eq!(utf8.shape.format, Format::Utf8);
        assert_eq!(utf8.shape.headers, vec!["name", "phone"], "BOM dropped, semicolons detected");

        // Excel's "Unicode text": UTF-16LE with a byte order mark, tab-separated.
        let tabbed = "客户名称\t电话\n王秀英\t139-1234-5678\n";
        let mut le = vec![0xFF, 0xFE];
        le.extend(tabbed.encode_utf16().flat_map(u16::to_le_bytes));
        let table = all(&le);
        assert_eq!(table.shape.format, Format::Utf16Le);
        assert_eq!(table.shape.headers, vec!["客户名称", "电话"]);
        assert_eq!(table.rows, vec![vec!["王秀英".to_owned(), "139-1234-5678".to_owned()]]);

        // Big-endian, and little-endian without a mark.
        let mut be = vec![0xFE, 0xFF];
        be.extend(tabbed.encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(all(&be).rows, table.rows);
        let bare: Vec<u8> =
            "name,phone\nLi Na,138\n".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let read = all(&bare);
        assert_eq!((read.shape.format, read.rows[0][0].as_str()), (Format::Utf16Le, "Li Na"));
    }

    #[test]
    fn blank_rows_are_skipped_and_row_limits_hold() {
        let table = all(b"a,b\n1,2\n,\n\n3,4\n");
        assert_eq!(table.rows.len(), 2);
        assert!(read_all(b"a\n1\n2\n3\n", None, None, 2).is_err());
        let (shape, sample, count) = preview(b"a\n1\n2\n3\n", None, None, 2).unwrap();
        assert_eq!((shape.headers.len(), sample.len(), count), (1, 2, 3));
        assert!(read_all(b"", None, None, 2).is_err());
    }

    #[test]
    fn workbooks_are_read_sheet_by_sheet_with_cells_as_people_see_them() {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let orders = workbook.add_worksheet().set_name("订单").unwrap();
        orders.write_row(0, 0, ["订单号", "手机", "日期", "金额"]).unwrap();
        orders.write_string(1, 0, "SO-1").unwrap();
        orders.write_number(1, 1, 13800138000.0).unwrap();
        let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2026, 3, 1).unwrap();
        let format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
        orders.write_datetime_with_format(1, 2, &date, &format).unwrap();
        orders.write_number(1, 3, 1280.55).unwrap();
        // A blank row, then a row with a gap.
        orders.write_string(3, 0, "SO-2").unwrap();
        orders.write_number(3, 3, 12.0).unwrap();
        let other = workbook.add_worksheet().set_name("说明").unwrap();
        other.write_string(0, 0, "只是说明").unwrap();
        let bytes = workbook.save_to_buffer().unwrap();

        let table = all(&bytes);
        assert_eq!(table.shape.format, Format::Xlsx);
        assert_eq!(table.shape.sheets, vec!["订单", "说明"]);
        assert_eq!(table.shape.headers, vec!["订单号", "手机", "日期", "金额"]);
        assert_eq!(table.rows[0], vec!["SO-1", "13800138000", "2026-03-01", "1280.55"]);
        assert_eq!(table.rows[1], vec!["SO-2", "", "", "12"]);
        let notes = read_all(&bytes, None, Some("说明"), 10).unwrap();
        assert_eq!((notes.shape.headers.len(), notes.rows.len()), (1, 0));
        assert!(read_all(&bytes, None, Some("nope"), 10).is_err());
    }
}
