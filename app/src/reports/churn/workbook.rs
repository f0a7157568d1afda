//! Churn as a workbook: the customers lost each month of the range with what they had spent,
//! charted as columns like the page, and the reasons below.

use super::model::ChurnReport;
use crate::{
    error::AppError,
    i18n::{Locale, ReportText, Text},
    reports::{
        cohorts::views::month_label,
        workbook::{AskedLine, SHEET, one_sheet, write_head, write_reasons, write_titles, yuan},
    },
};
use rust_xlsxwriter::{Chart, ChartType};

pub fn churn_workbook(
    report: &ChurnReport,
    asked: &[AskedLine],
    locale: Locale,
) -> Result<Vec<u8>, AppError> {
    let text = |label: ReportText| label.text(locale);
    one_sheet(|sheet, formats| {
        let head = write_head(sheet, formats, text(ReportText::Churn), asked)?;
        let titles =
            [ReportText::Month, ReportText::ChurnedCustomers, ReportText::TheirSpend].map(text);
        write_titles(sheet, formats, head, &titles)?;
        let mut row = head;
        for month in &report.months {
            row += 1;
            sheet.write_string(row, 0, month_label(month.month, locale))?;
            sheet.write_number(row, 1, month.customers as f64)?;
            sheet.write_number_with_format(row, 2, yuan(month.spent_minor), &formats.money)?;
        }
        let last_month = row;
        row += 1;
        sheet.write_string_with_format(row, 0, text(ReportText::Total), &formats.bold)?;
        sheet.write_number_with_format(row, 1, report.customers as f64, &formats.bold)?;
        sheet.write_number_with_format(row, 2, yuan(report.spent_minor), &formats.bold_money)?;

        row += 2;
        write_reasons(
            sheet,
            formats,
            row,
            ReportText::ChurnReasons,
            [ReportText::ChurnedCustomers, ReportText::TheirSpend, ReportText::ShareOfChurned],
            &report.reasons,
            report.customers,
            locale,
        )?;
        sheet.set_freeze_panes(head + 1, 0)?;

        if last_month > head {
            let mut chart = Chart::new(ChartType::Column);
            chart.title().set_name(text(ReportText::ChurnByMonth));
            chart
                .add_series()
                .set_name((SHEET, head, 1))
                .set_categories((SHEET, head + 1, 0, last_month, 0))
                .set_values((SHEET, head + 1, 1, last_month, 1));
            chart.legend().set_hidden();
            sheet.insert_chart(head, titles.len() as u16 + 1, &chart)?;
        }
        Ok(())
    })
}
