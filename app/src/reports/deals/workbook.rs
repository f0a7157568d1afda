//! Win/loss as a workbook: each rep's record with the total, charted as stacked won and lost
//! bars like the page, the median days, and the lost reasons below.

use super::model::{DealReport, WinLoss};
use crate::{
    error::AppError,
    i18n::{Locale, ReportText, Text},
    reports::workbook::{
        AskedLine, Formats, SHEET, one_sheet, write_head, write_reasons, write_titles, yuan,
    },
};
use rust_xlsxwriter::{Chart, ChartType, Worksheet, XlsxError};

fn write_record(
    sheet: &mut Worksheet,
    formats: &Formats,
    row: u32,
    record: &WinLoss,
) -> Result<(), XlsxError> {
    sheet.write_number(row, 1, record.won.count as f64)?;
    sheet.write_number(row, 2, record.lost.count as f64)?;
    if let Some(rate) = record.win_rate() {
        sheet.write_number_with_format(row, 3, rate / 100.0, &formats.percent)?;
    }
    sheet.write_number_with_format(row, 4, yuan(record.won.amount_minor), &formats.money)?;
    sheet.write_number_with_format(row, 5, yuan(record.lost.amount_minor), &formats.money)?;
    Ok(())
}

pub fn deal_workbook(
    report: &DealReport,
    asked: &[AskedLine],
    locale: Locale,
) -> Result<Vec<u8>, AppError> {
    let text = |label: ReportText| label.text(locale);
    let amount = |outcome: ReportText| format!("{} {}", text(outcome), text(ReportText::Amount));
    one_sheet(|sheet, formats| {
        let head = write_head(sheet, formats, text(ReportText::WinLoss), asked)?;
        let titles = [
            text(ReportText::Owner).to_owned(),
            text(ReportText::Won).to_owned(),
            text(ReportText::Lost).to_owned(),
            text(ReportText::WinRate).to_owned(),
            amount(ReportText::Won),
            amount(ReportText::Lost),
        ];
        let titles: Vec<&str> = titles.iter().map(String::as_str).collect();
        write_titles(sheet, formats, head, &titles)?;
        let mut row = head;
        for rep in &report.reps {
            row += 1;
            let name = rep.name.as_deref().unwrap_or(text(ReportText::NoOwner));
            sheet.write_string(row, 0, name)?;
            write_record(sheet, formats, row, &rep.record)?;
        }
        let last_rep = row;
        row += 1;
        sheet.write_string_with_format(row, 0, text(ReportText::Total), &formats.bold)?;
        write_record(sheet, formats, row, &report.total)?;
        let medians = [
            (ReportText::AmountWinRate, report.total.amount_win_rate().map(|r| r / 100.0)),
            (ReportText::MedianDaysWon, report.total.won.median_days),
            (ReportText::MedianDaysLost, report.total.lost.median_days),
        ];
        for (n, (label, value)) in medians.into_iter().enumerate() {
            row += 1;
            sheet.write_string_with_format(row, 0, text(label), &formats.bold)?;
            let format = if n == 0 { &formats.percent } else { &formats.days };
            if let Some(value) = value {
                sheet.write_number_with_format(row, 1, value, format)?;
            }
        }

        row += 2;
        write_reasons(
            sheet,
            formats,
            row,
            ReportText::LostReasons,
            [ReportText::Lost, ReportText::Amount, ReportText::ShareOfLost],
            &report.reasons,
            report.total.lost.count,
            locale,
        )?;
        sheet.set_freeze_panes(head + 1, 0)?;

        if last_rep > head {
            let mut chart = Chart::new(ChartType::BarStacked);
            chart.title().set_name(text(ReportText::RepRecords));
            for column in [1, 2] {
                chart
                    .add_series()
                    .set_name((SHEET, head, column))
                    .set_categories((SHEET, head + 1, 0, last_rep, 0))
                    .set_values((SHEET, head + 1, column, last_rep, column));
            }
            chart.y_axis().set_reverse();
            sheet.insert_chart(head, titles.len() as u16 + 1, &chart)?;
        }
        Ok(())
    })
}
