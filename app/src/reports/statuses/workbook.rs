//! Customers over time as a workbook: each month's new customers, the customers in each status
//! at its end and the turns during it, charted as stacked columns like the page.

use super::{
    model::{StatusReport, TimelineStatus},
    views::{status_label, turned_label},
};
use crate::{
    error::AppError,
    i18n::{Locale, ReportText, Text},
    reports::{
        cohorts::views::month_label,
        workbook::{AskedLine, SHEET, one_sheet, write_head, write_titles},
    },
};
use rust_xlsxwriter::{Chart, ChartType};

pub fn statuses_workbook(
    report: &StatusReport,
    asked: &[AskedLine],
    locale: Locale,
) -> Result<Vec<u8>, AppError> {
    let text = |label: ReportText| label.text(locale);
    one_sheet(|sheet, formats| {
        let head = write_head(sheet, formats, text(ReportText::CustomerStatuses), asked)?;
        let mut titles = vec![text(ReportText::Month), text(ReportText::NewCustomers)];
        titles.extend(TimelineStatus::ALL.iter().map(|s| text(status_label(*s))));
        titles.extend(TimelineStatus::ALL.iter().map(|s| text(turned_label(*s))));
        write_titles(sheet, formats, head, &titles)?;
        let mut row = head;
        for month in &report.months {
            row += 1;
            let mut name = month_label(month.month, locale);
            if month.to_date {
                name = format!("{name} {}", text(ReportText::ToDate));
            }
            sheet.write_string(row, 0, name)?;
            sheet.write_number(row, 1, month.new as f64)?;
            for (n, &status) in TimelineStatus::ALL.iter().enumerate() {
                sheet.write_number(row, 2 + n as u16, month.in_status(status) as f64)?;
                sheet.write_number(row, 5 + n as u16, month.turned(status) as f64)?;
            }
        }
        let last_month = row;
        sheet.set_freeze_panes(head + 1, 0)?;

        if last_month > head {
            let mut chart = Chart::new(ChartType::ColumnStacked);
            chart.title().set_name(text(ReportText::StatusesByMonth));
            for column in 2..5u16 {
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
