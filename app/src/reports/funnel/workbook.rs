//! The funnel as a workbook: the steps with their rates and median days, charted as bars
//! largest on top (Excel has no funnel chart that every reader opens), and each lead source's
//! funnel and revenue below.

use super::{
    model::{FunnelCounts, FunnelReport, FunnelStep},
    views::step_label,
};
use crate::{
    error::AppError,
    i18n::{Locale, ReportText, Text},
    leads::views::source_label,
    reports::workbook::{AskedLine, Formats, SHEET, one_sheet, write_head, write_titles, yuan},
};
use rust_xlsxwriter::{Chart, ChartType, Worksheet, XlsxError};

fn share(value: Option<f64>) -> Option<f64> {
    value.map(|percent| percent / 100.0)
}

/// A number, or nothing where the page shows a dash.
fn write_optional(
    sheet: &mut Worksheet,
    row: u32,
    column: u16,
    value: Option<f64>,
    format: &rust_xlsxwriter::Format,
) -> Result<(), XlsxError> {
    match value {
        Some(value) => sheet.write_number_with_format(row, column, value, format).map(|_| ()),
        None => Ok(()),
    }
}

fn write_source_row(
    sheet: &mut Worksheet,
    formats: &Formats,
    row: u32,
    counts: &FunnelCounts,
) -> Result<(), XlsxError> {
    for (column, step) in FunnelStep::STEPS.iter().enumerate() {
        sheet.write_number(row, 1 + column as u16, counts.reached(*step) as f64)?;
    }
    write_optional(sheet, row, 5, share(counts.overall_rate(FunnelStep::Won)), &formats.percent)?;
    sheet.write_number_with_format(row, 6, yuan(counts.won_amount_minor), &formats.money)?;
    sheet.write_number(row, 7, counts.orders as f64)?;
    sheet.write_number_with_format(row, 8, yuan(counts.revenue_minor), &formats.money)?;
    Ok(())
}

pub fn funnel_workbook(
    report: &FunnelReport,
    asked: &[AskedLine],
    locale: Locale,
) -> Result<Vec<u8>, AppError> {
    let text = |label: ReportText| label.text(locale);
    one_sheet(|sheet, formats| {
        let head = write_head(sheet, formats, text(ReportText::Funnel), asked)?;
        let titles = [
            ReportText::Step,
            ReportText::Leads,
            ReportText::StepRate,
            ReportText::OfAllLeads,
            ReportText::MedianDays,
        ]
        .map(text);
        write_titles(sheet, formats, head, &titles)?;
        let total = &report.total;
        let mut row = head;
        for step in FunnelStep::STEPS.iter().chain([FunnelStep::Disqualified].iter()) {
            row += 1;
            sheet.write_string(row, 0, text(step_label(*step)))?;
            sheet.write_number(row, 1, total.reached(*step) as f64)?;
            write_optional(sheet, row, 2, share(total.step_rate(*step)), &formats.percent)?;
            write_optional(sheet, row, 3, share(total.overall_rate(*step)), &formats.percent)?;
            write_optional(sheet, row, 4, total.median_days(*step), &formats.days)?;
        }
        let last_step = head + FunnelStep::STEPS.len() as u32;
        row += 1;
        sheet.write_string_with_format(row, 0, text(ReportText::MedianLeadToWin), &formats.bold)?;
        write_optional(sheet, row, 4, total.days_lead_to_win, &formats.days)?;

        row += 2;
        sheet.write_string_with_format(row, 0, text(ReportText::BySource), &formats.bold)?;
        sheet.write_string(row, 1, text(ReportText::SourceRevenueNote))?;
        row += 1;
        let source_titles = [
            ReportText::Source,
            ReportText::StepCreated,
            ReportText::StepContacted,
            ReportText::StepConverted,
            ReportText::Won,
            ReportText::LeadToWinRate,
            ReportText::WonAmount,
            ReportText::OrdersSinceConverting,
            ReportText::RevenueSinceConverting,
        ]
        .map(text);
        write_titles(sheet, formats, row, &source_titles)?;
        for source in &report.sources {
            row += 1;
            sheet.write_string(row, 0, source_label(source.source).text(locale))?;
            write_source_row(sheet, formats, row, &source.counts)?;
        }
        row += 1;
        sheet.write_string_with_format(row, 0, text(ReportText::Total), &formats.bold)?;
        write_source_row(sheet, formats, row, total)?;
        sheet.set_freeze_panes(head + 1, 0)?;

        if total.created > 0 {
            let mut chart = Chart::new(ChartType::Bar);
            chart.title().set_name(text(ReportText::Funnel));
            chart
                .add_series()
                .set_name((SHEET, head, 1))
                .set_categories((SHEET, head + 1, 0, last_step, 0))
                .set_values((SHEET, head + 1, 1, last_step, 1));
            chart.legend().set_hidden();
            // Categories up the side: the first step on top, as on the page.
            chart.y_axis().set_reverse();
            sheet.insert_chart(head, titles.len() as u16 + 1, &chart)?;
        }
        Ok(())
    })
}
