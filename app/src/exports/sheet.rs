//! Writing rows of typed cells as CSV or `.xlsx`, with flat memory.
//!
//! CSV cells that a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, a tab or a
//! carriage return first) are written with a leading apostrophe, as OWASP's CSV injection
//! guidance says: a lead's company name typed into the public web form must never run in an
//! admin's Excel. Every CSV Guanxi writes goes through [`CsvSheet`]. In `.xlsx`, text is
//! written as text (never a formula), phones and ids stay text (no scientific notation, no
//! lost leading zeros), dates are dates and money a number in its currency's format.

use crate::error::AppError;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use std::{borrow::Cow, io::Write};

/// What a column holds, so the file shows it right.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// Ids, order numbers, SKUs, phones: text, whatever their digits.
    Code,
    Integer,
    Date,
    /// A moment, shown on the company's clock.
    Time,
    Money,
    /// A longer text (notes, reasons): a wider column.
    Long,
}

/// A column: its title in the reader's language and its kind.
#[derive(Clone, Debug)]
pub struct Column {
    pub title: String,
    pub kind: Kind,
}

impl Column {
    pub fn new(title: impl Into<String>, kind: Kind) -> Self {
        Column { title: title.into(), kind }
    }
}

/// One cell's value.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
    Date(NaiveDate),
    Time(DateTime<Utc>),
    Money { minor: i64, currency: String },
}

impl Cell {
    pub fn text(value: impl Into<String>) -> Cell {
        Cell::Text(value.into())
    }

    pub fn opt(value: Option<impl Into<String>>) -> Cell {
        value.map(|v| Cell::Text(v.into())).unwrap_or(Cell::Empty)
    }

    pub fn time(value: Option<DateTime<Utc>>) -> Cell {
        value.map(Cell::Time).unwrap_or(Cell::Empty)
    }

    pub fn date(value: Option<NaiveDate>) -> Cell {
        value.map(Cell::Date).unwrap_or(Cell::Empty)
    }

    pub fn money(minor: i64, currency: &str) -> Cell {
        Cell::Money { minor, currency: currency.to_owned() }
    }
}

/// A text cell a spreadsheet could take for a formula, made plain text with a leading
/// apostrophe. Every text cell is treated so, whatever it looks like (`+86 138…` too), as
/// OWASP advises; amounts and counts Guanxi writes itself are numbers, not text, and stay as
/// they are.
pub fn neutralize(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// How a CSV's text becomes bytes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CsvEncoding {
    /// UTF-8 with a byte order mark, so Excel reads it as UTF-8.
    Utf8,
    /// What Excel on Chinese Windows reads without asking.
    Gbk,
}

/// Where the csv crate writes each record, to be taken out and encoded.
#[derive(Clone, Default)]
struct Line(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Write for Line {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Line {
    fn take(&self) -> Vec<u8> {
        self.0.lock().map(|mut bytes| std::mem::take(&mut *bytes)).unwrap_or_default()
    }
}

/// A CSV being written to `out`: rows are quoted by the csv crate and encoded as they come.
pub struct CsvSheet<W: Write> {
    out: W,
    encoding: CsvEncoding,
    zone: Tz,
    kinds: Vec<Kind>,
    writer: csv::Writer<Line>,
    line: Line,
}

impl<W: Write> CsvSheet<W> {
    /// Starts the file with its header row.
    pub fn new(
        mut out: W,
        encoding: CsvEncoding,
        zone: Tz,
        columns: &[Column],
    ) -> Result<Self, AppError> {
        if encoding == CsvEncoding::Utf8 {
            out.write_all(b"\xEF\xBB\xBF").map_err(AppError::internal)?;
        }
        let line = Line::default();
        let mut sheet = CsvSheet {
            out,
            encoding,
            zone,
            kinds: columns.iter().map(|c| c.kind).collect(),
            writer: csv::Writer::from_writer(line.clone()),
            line,
        };
        let titles: Vec<Cell> = columns.iter().map(|c| Cell::Text(c.title.clone())).collect();
        let kinds = std::mem::replace(&mut sheet.kinds, vec![Kind::Text; columns.len()]);
        sheet.row(&titles)?;
        sheet.kinds = kinds;
        Ok(sheet)
    }

    pub fn row(&mut self, cells: &[Cell]) -> Result<(), AppError> {
        let texts: Vec<Cow<'_, str>> = cells
            .iter()
            .map(|cell| match cell {
                Cell::Empty => Cow::Borrowed(""),
                Cell::Text(text) => neutralize(text),
                Cell::Int(n) => Cow::Owned(n.to_string()),
                Cell::Date(day) => Cow::Owned(day.format("%Y-%m-%d").to_string()),
                Cell::Time(at) => {
                    Cow::Owned(at.with_timezone(&self.zone).format("%Y-%m-%d %H:%M").to_string())
                }
                Cell::Money { minor, .. } => Cow::Owned(crate::money::money_text(*minor)),
            })
            .collect();
        self.writer.write_record(texts.iter().map(|t| t.as_ref())).map_err(AppError::internal)?;
        self.writer.flush().map_err(AppError::internal)?;
        let bytes = self.line.take();
        match self.encoding {
            CsvEncoding::Utf8 => self.out.write_all(&bytes),
            CsvEncoding::Gbk => {
                let text = String::from_utf8_lossy(&bytes);
                self.out.write_all(&encoding_rs::GBK.encode(&text).0)
            }
        }
        .map_err(AppError::internal)
    }

    /// The writer, flushed.
    pub fn finish(mut self) -> Result<W, AppError> {
        self.out.flush().map_err(AppError::internal)?;
        Ok(self.out)
    }
}

/// The Excel number format of an amount in `currency`.
pub(crate) fn money_format(currency: &str) -> String {
    match currency {
        "CNY" | "JPY" => "¥#,##0.00;-¥#,##0.00".into(),
        "USD" => "$#,##0.00;-$#,##0.00".into(),
        "EUR" => "€#,##0.00;-€#,##0.00".into(),
        "HKD" => "HK$#,##0.00;-HK$#,##0.00".into(),
        other => format!("#,##0.00 \"{other}\";-#,##0.00 \"{other}\""),
    }
}

/// An `.xlsx` workbook of one sheet being written in constant memory: rows go to a temporary
/// file as they come, so a million rows cost no more memory than ten.
pub struct XlsxSheet {
    workbook: rust_xlsxwriter::Workbook,
    zone: Tz,
    kinds: Vec<Kind>,
    row: u32,
    date: rust_xlsxwriter::Format,
    time: rust_xlsxwriter::Format,
    money: std::collections::HashMap<String, rust_xlsxwriter::Format>,
}

fn xlsx_error(error: rust_xlsxwriter::XlsxError) -> AppError {
    AppError::internal(format_args!("writing xlsx: {error}"))
}

impl XlsxSheet {
    /// Starts the sheet `name` with its header row (bold, frozen, filterable).
    pub fn new(name: &str, zone: Tz, columns: &[Column]) -> Result<Self, AppError> {
        use rust_xlsxwriter::Format;
        let mut workbook = rust_xlsxwriter::Workbook::new();
        workbook.set_tempdir(std::env::temp_dir()).map_err(xlsx_error)?;
        let sheet = workbook.add_worksheet_with_constant_memory().map_err(xlsx_error)?;
        // Sheet names: at most 31 characters, none of []:*?/\.
        let clean: String = name
            .chars()
            .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\'))
            .take(31)
            .collect();
        sheet.set_name(if clean.is_empty() { "Sheet1" } else { &clean }).map_err(xlsx_error)?;
        let bold = Format::new().set_bold();
        for (n, column) in columns.iter().enumerate() {
            let width = match column.kind {
                Kind::Text => 18.0,
                Kind::Code => 16.0,
                Kind::Integer => 10.0,
                Kind::Date => 12.0,
                Kind::Time => 17.0,
                Kind::Money => 14.0,
                Kind::Long => 40.0,
            };
            sheet.set_column_width(n as u16, width).map_err(xlsx_error)?;
            sheet
                .write_string_with_format(0, n as u16, &column.title, &bold)
                .map_err(xlsx_error)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
        Ok(XlsxSheet {
            workbook,
            zone,
            kinds: columns.iter().map(|c| c.kind).collect(),
            row: 0,
            date: Format::new().set_num_format("yyyy-mm-dd"),
            time: Format::new().set_num_format("yyyy-mm-dd hh:mm"),
            money: Default::default(),
        })
    }

    pub fn row(&mut self, cells: &[Cell]) -> Result<(), AppError> {
        use rust_xlsxwriter::Format;
        self.row += 1;
        let row = self.row;
        for (n, cell) in cells.iter().enumerate() {
            if let Cell::Money { currency, .. } = cell
                && !self.money.contains_key(currency)
            {
                let format = Format::new().set_num_format(money_format(currency));
                self.money.insert(currency.clone(), format);
            }
            let column = n as u16;
            let sheet = self.workbook.worksheet_from_index(0).map_err(xlsx_error)?;
            match cell {
                Cell::Empty => Ok(sheet),
                Cell::Text(text) => sheet.write_string(row, column, text),
                Cell::Int(value) => sheet.write_number(row, column, *value as f64),
                Cell::Date(day) => sheet.write_datetime_with_format(row, column, day, &self.date),
                Cell::Time(at) => {
                    let local = at.with_timezone(&self.zone).naive_local();
                    sheet.write_datetime_with_format(row, column, local, &self.time)
                }
                Cell::Money { minor, currency } => {
                    // An amount to two decimals is exact enough as a double for Excel, which
                    // keeps every number so; the database keeps the exact minor units.
                    let format = &self.money[currency];
                    sheet.write_number_with_format(row, column, *minor as f64 / 100.0, format)
                }
            }
            .map_err(xlsx_error)?;
            let _ = self.kinds.get(n);
        }
        Ok(())
    }

    /// Rows written, the header aside.
    pub fn rows(&self) -> u32 {
        self.row
    }

    /// Finishes the workbook into `out`.
    pub fn finish(mut self, out: impl Write + Send) -> Result<(), AppError> {
        let last_column = self.kinds.len().saturating_sub(1) as u16;
        let last_row = self.row;
        let sheet = self.workbook.worksheet_from_index(0).map_err(xlsx_error)?;
        if !self.kinds.is_empty() {
            sheet.autofilter(0, 0, last_row, last_column).map_err(xlsx_error)?;
        }
        self.workbook.save_to_writer(out).map_err(xlsx_error)
    }
}

/// Either writer, behind one interface.
pub enum Sheet<W: Write> {
    Csv(Box<CsvSheet<W>>),
    Xlsx(Box<XlsxSheet>, W),
}

impl<W: Write + Send> Sheet<W> {
    pub fn row(&mut self, cells: &[Cell]) -> Result<(), AppError> {
        match self {
            Sheet::Csv(sheet) => sheet.row(cells),
            Sheet::Xlsx(sheet, _) => sheet.row(cells),
        }
    }

    pub fn finish(self) -> Result<W, AppError> {
        match self {
            Sheet::Csv(sheet) => sheet.finish(),
            Sheet::Xlsx(sheet, mut out) => {
                (*sheet).finish(&mut out)?;
                Ok(out)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised_and_numbers_left_alone() {
        for risky in
            ["=1+1", "+86 138 0013 8000", "-2+3", "@SUM(A1)", "\tcmd", "\rx", "-35.50", "+12"]
        {
            assert_eq!(neutralize(risky), format!("'{risky}"), "{risky:?}");
        }
        for safe in ["华信科技", "13800138000", "a=b", " =x", ""] {
            assert_eq!(neutralize(safe), safe);
        }
    }

    #[test]
    fn csv_rows_are_encoded_with_a_bom_or_as_gbk() {
        let columns = [Column::new("名称", Kind::Text), Column::new("金额", Kind::Money)];
        let zone = Tz::Asia__Shanghai;
        let mut sheet = CsvSheet::new(Vec::new(), CsvEncoding::Utf8, zone, &columns).unwrap();
        sheet.row(&[Cell::text("=cmd|' /C calc'!A0"), Cell::money(-3550, "CNY")]).unwrap();
        let bytes = sheet.finish().unwrap();
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        assert_eq!(text, "名称,金额\n'=cmd|' /C calc'!A0,-35.50\n");
        let mut gbk = CsvSheet::new(Vec::new(), CsvEncoding::Gbk, zone, &columns).unwrap();
        gbk.row(&[Cell::text("华信"), Cell::money(128_000, "CNY")]).unwrap();
        let bytes = gbk.finish().unwrap();
        assert_eq!(encoding_rs::GBK.decode(&bytes).0, "名称,金额\n华信,1280.00\n");
    }

    #[test]
    fn times_are_written_on_the_company_clock() {
        let columns = [Column::new("at", Kind::Time)];
        let at = DateTime::parse_from_rfc3339("2026-02-28T16:30:00Z").unwrap().to_utc();
        let mut sheet =
            CsvSheet::new(Vec::new(), CsvEncoding::Utf8, Tz::Asia__Shanghai, &columns).unwrap();
        sheet.row(&[Cell::Time(at)]).unwrap();
        let text = String::from_utf8(sheet.finish().unwrap()[3..].to_vec()).unwrap();
        assert_eq!(text, "at\n2026-03-01 00:30\n");
    }
}
