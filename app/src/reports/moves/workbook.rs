//! Tier moves as a workbook: each month's moves up and down with the net, charted as columns
//! side by side, and the paths from tier to tier below.

use super::model::{Direction, MovesReport};
use crate::{
    error::AppError,
    i18n::{Locale, ReportText, Text, TierText},
    reports::{
        cohorts::views::month_label,
        workbook::{AskedLine, SHEET, one_sheet, write_head, write_titles},
    },
};
use rust_xlsxwriter::{Chart, ChartType};

pub fn moves_workbook(
    report: &MovesReport,
    asked: &[AskedLine],
    locale: Locale,
) -> Result<Vec<u8>, AppError> {
    let text = |label: ReportText| label.text(locale);
    one_sheet(|sheet, formats| {
        let head = write_head(sheet, formats, text(ReportText::TierMoves), asked)?;
        let titles =
            [ReportText::Month, ReportText::MovedUp, ReportText::MovedDown, ReportText::NetMoves]
                .map(text);
        write_titles(sheet, formats, head, &titles)?;
        let mut row = head;
        for month in &report.months {
            row += 1;
            sheet.write_string(row, 0, month_label(month.month, locale))?;
            sheet.write_number(row, 1, month.up as f64)?;
            sheet.write_number(row, 2, month.down as f64)?;
            sheet.write_number(row, 3, (month.up - month.down) as f64)?;
        }
        let last_month = row;
        row += 1;
        sheet.write_string_with_format(row, 0, text(ReportText::Total), &formats.bold)?;
        sheet.write_number_with_format(row, 1, report.up as f64, &formats.bold)?;
        sheet.write_number_with_format(row, 2, report.down as f64, &formats.bold)?;
        let net = (report.up - report.down) as f64;
        sheet.write_number_with_format(row, 3, net, &formats.bold)?;

        row += 2;
        sheet.write_string_with_format(row, 0, text(ReportText::TierPaths), &formats.bold)?;
        row += 1;
        let path_titles = [
            ReportText::TierPath,
            ReportText::Direction,
            ReportText::Moves,
            ReportText::ShareOfMoves,
        ]
        .map(text);
        write_titles(sheet, formats, row, &path_titles)?;
        let all = (report.up + report.down).max(1) as f64;
        for path in &report.paths {
            row += 1;
            let to = match &path.to {
                Some(tier) => tier.name(locale).to_owned(),
                None => TierText::NoTier.text(locale).to_owned(),
            };
            sheet.write_string(row, 0, format!("{} → {to}", path.from.name(locale)))?;
            let direction = match path.direction {
                Direction::Up => ReportText::MovedUp,
                Direction::Down => ReportText::MovedDown,
            };
            sheet.write_string(row, 1, text(direction))?;
            sheet.write_number(row, 2, path.moves as f64)?;
            sheet.write_number_with_format(row, 3, path.moves as f64 / all, &formats.change)?;
        }
        sheet.set_freeze_panes(head + 1, 0)?;

        if last_month > head {
            let mut chart = Chart::new(ChartType::Column);
            chart.title().set_name(text(ReportText::TierMovesByMonth));
            for column in [1, 2] {
                chart
                    .add_series()
                    .set_name((SHEET, head, column))
                    .set_categories((SHEET, head + 1, 0, last_month, 0))
                    .set_values((SHEET, head + 1, column, last_month, column));
            }
            sheet.insert_chart(head, titles.len() as u16 + 1, &chart)?;
        }
        Ok(())
    })
}
