//! A report as an `.xlsx` workbook, so its figures travel to a spreadsheet as the caller saw
//! them: what was asked, in words, above the table; the page's table with numbers as numbers
//! (money in yuan with its format, shares as percentages, so they sum and sort); and the page's
//! chart drawn by Excel from those very cells, so it follows when the reader edits them. A report
//! is at most a few hundred rows: written in memory.

use super::{
    cohorts::{model::CohortReport, views::month_label},
    model::{BarKey, Grouping, LostReason, SalesReport},
    views::{bar_label, grouping_heading},
};
use crate::{
    error::AppError,
    exports::sheet::money_format,
    i18n::{Locale, ReportText, Text, fill},
};
use rust_xlsxwriter::{
    Chart, ChartType, ConditionalFormat3ColorScale, Format, Workbook, Worksheet, XlsxError,
};

/// One line of what the report was asked: a label and its value, in the reader's language.
pub type AskedLine = (String, String);

fn xlsx_error(error: XlsxError) -> AppError {
    AppError::internal(format_args!("writing a report workbook: {error}"))
}

pub(crate) const SHEET: &str = "Report";
const PERCENT: &str = "0.0%";
const CHANGE: &str = "+0.0%;-0.0%;0.0%";

/// The formats every report sheet uses.
pub(crate) struct Formats {
    pub(crate) title: Format,
    pub(crate) bold: Format,
    pub(crate) money: Format,
    pub(crate) bold_money: Format,
    pub(crate) percent: Format,
    pub(crate) bold_percent: Format,
    pub(crate) change: Format,
    pub(crate) bold_change: Format,
    pub(crate) date: Format,
    /// Days to one decimal, as the page shows them.
    pub(crate) days: Format,
}

impl Formats {
    fn new() -> Self {
        let money = money_format("CNY");
        Formats {
            title: Format::new().set_bold().set_font_size(14),
            bold: Format::new().set_bold(),
            money: Format::new().set_num_format(&money),
            bold_money: Format::new().set_num_format(&money).set_bold(),
            percent: Format::new().set_num_format(PERCENT),
            bold_percent: Format::new().set_num_format(PERCENT).set_bold(),
            change: Format::new().set_num_format(CHANGE),
            bold_change: Format::new().set_num_format(CHANGE).set_bold(),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            days: Format::new().set_num_format("0.0"),
        }
    }
}

/// Writes the title and what was asked from the first row; returns the first free row after a
/// blank one.
pub(crate) fn write_head(
    sheet: &mut Worksheet,
    formats: &Formats,
    title: &str,
    asked: &[AskedLine],
) -> Result<u32, XlsxError> {
    sheet.write_string_with_format(0, 0, title, &formats.title)?;
    let mut row = 1;
    for (label, value) in asked {
        sheet.write_string_with_format(row, 0, label, &formats.bold)?;
        sheet.write_string(row, 1, value)?;
        row += 1;
    }
    Ok(row + 1)
}

/// A row of bold column titles, the first column wide enough for names.
pub(crate) fn write_titles(
    sheet: &mut Worksheet,
    formats: &Formats,
    row: u32,
    titles: &[&str],
) -> Result<(), XlsxError> {
    for (column, title) in titles.iter().enumerate() {
        sheet.write_string_with_format(row, column as u16, *title, &formats.bold)?;
        sheet.set_column_width(column as u16, if column == 0 { 22 } else { 15 })?;
    }
    Ok(())
}

/// A bold heading at `row`, then the reasons' table (reason, count, amount, share of `total`)
/// under its titles; returns the last row written.
#[allow(clippy::too_many_arguments)]
pub(crate) fn write_reasons(
    sheet: &mut Worksheet,
    formats: &Formats,
    row: u32,
    heading: ReportText,
    titles: [ReportText; 3],
    reasons: &[LostReason],
    total: i64,
    locale: Locale,
) -> Result<u32, XlsxError> {
    let text = |label: ReportText| label.text(locale);
    sheet.write_string_with_format(row, 0, text(heading), &formats.bold)?;
    let [counted, amount, share] = titles;
    let titles = [ReportText::Reason, counted, amount, share].map(text);
    write_titles(sheet, formats, row + 1, &titles)?;
    let mut row = row + 1;
    let whole = total.max(1) as f64;
    for reason in reasons {
        row += 1;
        let name = match reason.reason.as_deref() {
            Some("") => text(ReportText::NoReason),
            Some(written) => written,
            None => text(ReportText::OtherReasons),
        };
        sheet.write_string(row, 0, name)?;
        sheet.write_number(row, 1, reason.count as f64)?;
        sheet.write_number_with_format(row, 2, yuan(reason.amount_minor), &formats.money)?;
        sheet.write_number_with_format(row, 3, reason.count as f64 / whole, &formats.percent)?;
    }
    Ok(row)
}

/// A workbook of one sheet named [`SHEET`], written by `write`, as bytes.
pub(crate) fn one_sheet(
    write: impl FnOnce(&mut Worksheet, &Formats) -> Result<(), XlsxError>,
) -> Result<Vec<u8>, AppError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(SHEET).map_err(xlsx_error)?;
    write(sheet, &Formats::new()).map_err(xlsx_error)?;
    workbook.save_to_buffer().map_err(xlsx_error)
}

pub(crate) fn yuan(minor: i64) -> f64 {
    // An amount to two decimals is exact enough as a double for Excel, which keeps every
    // number so; the database keeps the exact minor units.
    minor as f64 / 100.0
}

/// The sales report: a row per bar (every period of the range, empty ones too, so the series has
/// no gaps), the total, and a column chart of revenue (bars across for categories).
pub fn sales_workbook(
    report: &SalesReport,
    asked: &[AskedLine],
    locale: Locale,
) -> Result<Vec<u8>, AppError> {
    one_sheet(|sheet, formats| {
        let head = write_head(sheet, formats, ReportText::Sales.text(locale), asked)?;
        let grouping = report.grouping;
        // Categories are compared bar by bar; periods by their totals only.
        let comparing = report.compared_total.is_some();
        let mut titles = vec![
            if grouping.is_period() { ReportText::Period } else { grouping_heading(grouping) },
            ReportText::Orders,
            ReportText::Revenue,
            ReportText::AverageOrder,
        ];
        if comparing {
            titles.extend([ReportText::Compared, ReportText::Change]);
        }
        // Of products' order lines, the units sold too, last so the other columns keep their
        // places.
        let units_column = report.by_product.then_some(titles.len() as u16);
        if report.by_product {
            titles.push(ReportText::Units);
        }
        for (column, title) in titles.iter().enumerate() {
            sheet.write_string_with_format(
                head,
                column as u16,
                title.text(locale),
                &formats.bold,
            )?;
        }
        sheet.set_column_width(0, 22)?;
        for column in 1..titles.len() as u16 {
            sheet.set_column_width(column, 15)?;
        }
        let mut row = head;
        for bar in &report.bars {
            row += 1;
            match (&bar.key, grouping) {
                // Days as dates, so they sort and chart as time whatever the year.
                (BarKey::Period(day), Grouping::Day) => {
                    sheet.write_datetime_with_format(row, 0, day, &formats.date)?
                }
                (key, _) => sheet.write_string(row, 0, bar_label(key, grouping, locale))?,
            };
            sheet.write_number(row, 1, bar.figures.orders as f64)?;
            sheet.write_number_with_format(
                row,
                2,
                yuan(bar.figures.revenue_minor),
                &formats.money,
            )?;
            if let Some(average) = bar.figures.average_minor() {
                sheet.write_number_with_format(row, 3, yuan(average), &formats.money)?;
            }
            if let Some(before) = bar.compared {
                sheet.write_number_with_format(
                    row,
                    4,
                    yuan(before.revenue_minor),
                    &formats.money,
                )?;
                if let Some(change) = bar.figures.change_percent(before) {
                    sheet.write_number_with_format(row, 5, change / 100.0, &formats.change)?;
                }
            }
            if let Some(column) = units_column {
                sheet.write_number(row, column, bar.figures.units as f64)?;
            }
        }
        let last_bar = row;
        row += 1;
        let total = report.total;
        sheet.write_string_with_format(row, 0, ReportText::Total.text(locale), &formats.bold)?;
        sheet.write_number_with_format(row, 1, total.orders as f64, &formats.bold)?;
        sheet.write_number_with_format(row, 2, yuan(total.revenue_minor), &formats.bold_money)?;
        if let Some(average) = total.average_minor() {
            sheet.write_number_with_format(row, 3, yuan(average), &formats.bold_money)?;
        }
        if let Some(before) = report.compared_total {
            let money = &formats.bold_money;
            sheet.write_number_with_format(row, 4, yuan(before.revenue_minor), money)?;
            if let Some(change) = total.change_percent(before) {
                sheet.write_number_with_format(row, 5, change / 100.0, &formats.bold_change)?;
            }
        }
        if let Some(column) = units_column {
            sheet.write_number_with_format(row, column, total.units as f64, &formats.bold)?;
        }
        sheet.set_freeze_panes(head + 1, 0)?;
        if last_bar > head && grouping == Grouping::Category {
            // Categories are parts of a whole: a doughnut of their revenue, as on the page.
            let mut chart = Chart::new(ChartType::Doughnut);
            chart.title().set_name(ReportText::CategoryShare.text(locale));
            chart.add_series().set_categories((SHEET, head + 1, 0, last_bar, 0)).set_values((
                SHEET,
                head + 1,
                2,
                last_bar,
                2,
            ));
            sheet.insert_chart(head, titles.len() as u16 + 1, &chart)?;
        } else if last_bar > head {
            let kind = if grouping.is_period() { ChartType::Column } else { ChartType::Bar };
            let mut chart = Chart::new(kind);
            chart.title().set_name(ReportText::Revenue.text(locale));
            let mut series = |column: u16| {
                chart
                    .add_series()
                    .set_name((SHEET, head, column))
                    .set_categories((SHEET, head + 1, 0, last_bar, 0))
                    .set_values((SHEET, head + 1, column, last_bar, column));
            };
            series(2);
            if comparing && !grouping.is_period() {
                series(4);
            } else {
                chart.legend().set_hidden();
            }
            if grouping.is_period() {
                chart.y_axis().set_num_format("¥#,##0");
            } else {
                // A bar chart's axes are the other way round: categories up the side, largest
                // first (on top) as in the table and on the page.
                chart.x_axis().set_num_format("¥#,##0");
                chart.y_axis().set_reverse();
            }
            let column = titles.len() as u16 + 1;
            sheet.insert_chart(head, column, &chart)?;
        }
        Ok(())
    })
}

/// The cohort report: the shares ordering again as a heat map (Excel's own colour scale), the
/// counts behind them below, and the retention curve over all cohorts as a line chart.
pub fn cohort_workbook(
    report: &CohortReport,
    asked: &[AskedLine],
    locale: Locale,
) -> Result<Vec<u8>, AppError> {
    let offsets = report.offsets;
    one_sheet(|sheet, formats| {
        let head = write_head(sheet, formats, ReportText::Cohorts.text(locale), asked)?;
        let last_column = 1 + offsets as u16;
        let header = |sheet: &mut Worksheet, row: u32| -> Result<(), XlsxError> {
            sheet.write_string_with_format(
                row,
                0,
                ReportText::Cohort.text(locale),
                &formats.bold,
            )?;
            let customers = ReportText::NewCustomers.text(locale);
            sheet.write_string_with_format(row, 1, customers, &formats.bold)?;
            for offset in 1..=offsets {
                let title = fill(ReportText::MonthsLater.text(locale), &[("n", &offset)]);
                sheet.write_string_with_format(row, 1 + offset as u16, &title, &formats.bold)?;
            }
            Ok(())
        };
        sheet.set_column_width(0, 18)?;
        sheet.set_column_width(1, 12)?;

        // The shares, one row per cohort, and over all cohorts.
        header(sheet, head)?;
        let mut row = head;
        for cohort in &report.rows {
            row += 1;
            sheet.write_string(row, 0, month_label(cohort.cohort, locale))?;
            sheet.write_number(row, 1, cohort.size as f64)?;
            for offset in 1..=offsets {
                if let Some(share) = cohort.retention_percent(offset) {
                    let column = 1 + offset as u16;
                    sheet.write_number_with_format(row, column, share / 100.0, &formats.percent)?;
                }
            }
        }
        let last_cohort = row;
        row += 1;
        let overall = row;
        sheet.write_string_with_format(
            row,
            0,
            ReportText::AllCohorts.text(locale),
            &formats.bold,
        )?;
        sheet.write_number_with_format(row, 1, report.customers() as f64, &formats.bold)?;
        for offset in 1..=offsets {
            if let Some(share) = report.overall_percent(offset) {
                let column = 1 + offset as u16;
                sheet.write_number_with_format(
                    row,
                    column,
                    share / 100.0,
                    &formats.bold_percent,
                )?;
            }
        }
        if offsets > 0 && last_cohort > head {
            let scale = ConditionalFormat3ColorScale::new()
                .set_minimum_color("FFFFFF")
                .set_midpoint_color("9EC5E8")
                .set_maximum_color("1F5F99");
            sheet.add_conditional_format(head + 1, 2, last_cohort, last_column, &scale)?;
        }

        // The counts behind every share.
        row += 2;
        sheet.write_string_with_format(
            row,
            0,
            ReportText::CountsBehind.text(locale),
            &formats.bold,
        )?;
        row += 1;
        header(sheet, row)?;
        for cohort in &report.rows {
            row += 1;
            sheet.write_string(row, 0, month_label(cohort.cohort, locale))?;
            sheet.write_number(row, 1, cohort.size as f64)?;
            for (n, returning) in cohort.returning.iter().enumerate() {
                sheet.write_number(row, 2 + n as u16, *returning as f64)?;
            }
        }
        sheet.set_freeze_panes(head + 1, 1)?;

        if offsets > 0 {
            let mut chart = Chart::new(ChartType::Line);
            chart.title().set_name(ReportText::RetentionCurve.text(locale));
            chart
                .add_series()
                .set_name((SHEET, overall, 0))
                .set_categories((SHEET, head, 2, head, last_column))
                .set_values((SHEET, overall, 2, overall, last_column));
            chart.legend().set_hidden();
            chart.y_axis().set_num_format("0%");
            sheet.insert_chart(row + 2, 0, &chart)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::{
        cohorts::model::{CohortRow, months_after},
        model::{SalesBar, SalesFigures, SalesFilter},
    };
    use calamine::{Data, Reader};
    use chrono::NaiveDate;

    fn read(bytes: Vec<u8>) -> Vec<Vec<Data>> {
        let mut workbook: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        workbook.worksheet_range(SHEET).unwrap().rows().map(|r| r.to_vec()).collect()
    }

    #[test]
    fn categories_write_their_units_last_beside_a_doughnut() {
        let bar = |name: &str, units: i64, revenue_minor: i64| SalesBar {
            key: BarKey::Category(name.into()),
            figures: SalesFigures { orders: 1, revenue_minor, units },
            compared: None,
            drill: SalesFilter::default(),
        };
        let bars = vec![bar("茶叶", 7, 90_000), bar("", 3, 10_000)];
        let report = SalesReport {
            from: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
            grouping: Grouping::Category,
            by_product: true,
            product: None,
            compared_range: None,
            bars,
            total: SalesFigures { orders: 2, revenue_minor: 100_000, units: 10 },
            compared_total: None,
        };
        let rows = read(sales_workbook(&report, &[], Locale::ZhCn).unwrap());
        let head = &rows[2];
        assert_eq!(head[0], Data::String("品类".into()));
        assert_eq!(head[4], Data::String("销量（件）".into()));
        assert_eq!(rows[3][0], Data::String("茶叶".into()));
        assert_eq!(rows[3][4], Data::Float(7.0));
        assert_eq!(rows[4][0], Data::String("未分品类".into()));
        assert_eq!(rows.last().unwrap()[4], Data::Float(10.0), "the total's units");
    }

    #[test]
    fn the_largest_reports_write_every_figure() {
        let start = NaiveDate::from_ymd_opt(2025, 12, 6).unwrap();
        let bars: Vec<SalesBar> = (0..366)
            .map(|n| SalesBar {
                key: BarKey::Period(start + chrono::Duration::days(n)),
                figures: SalesFigures { orders: n, revenue_minor: n * 12_345, units: 0 },
                compared: None,
                drill: SalesFilter::default(),
            })
            .collect();
        let total = SalesFigures {
            orders: bars.iter().map(|b| b.figures.orders).sum(),
            revenue_minor: bars.iter().map(|b| b.figures.revenue_minor).sum(),
            units: 0,
        };
        let report = SalesReport {
            from: start,
            to: start + chrono::Duration::days(365),
            grouping: Grouping::Day,
            by_product: false,
            product: None,
            compared_range: None,
            bars,
            total,
            compared_total: None,
        };
        let rows = read(sales_workbook(&report, &[], Locale::En).unwrap());
        let last = rows.last().unwrap();
        assert_eq!(last[0], Data::String("Total".into()));
        assert_eq!(last[2], Data::Float(total.revenue_minor as f64 / 100.0));
        assert_eq!(rows.len(), 1 + 1 + 1 + 366 + 1, "title, blank, header, days, total");

        let first = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let cohorts: Vec<CohortRow> = (0..36u32)
            .map(|n| CohortRow {
                cohort: months_after(first, n),
                size: 100 + n as i64,
                returning: (0..35 - n as i64).map(|m| 90 - m).collect(),
            })
            .collect();
        let report =
            CohortReport { from: first, to: months_after(first, 35), rows: cohorts, offsets: 35 };
        let rows = read(cohort_workbook(&report, &[], Locale::ZhCn).unwrap());
        assert_eq!(rows[2].len(), 37, "cohort, size and 35 months");
        // The counts block's first cohort: its size, then each later month's returning count.
        let counts = rows.iter().position(|r| r[0] == Data::String("再次下单的客户数".into()));
        let first_counts = &rows[counts.unwrap() + 2];
        assert_eq!(first_counts[1], Data::Float(100.0));
        assert_eq!(first_counts[36], Data::Float(56.0));
        // The shares: fractions, so Excel's percent format shows 90.0%.
        assert_eq!(rows[3][2], Data::Float(0.9));
    }
}
