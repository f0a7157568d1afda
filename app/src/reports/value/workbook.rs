//! Customer value as a workbook: the R by F grid (customers, and mean M beside it), revenue in
//! the scoring window by tier with a stacked bar, and the top customers.

use super::model::{SCORES, ValueReport, score_label};
use crate::{
    error::AppError,
    i18n::{Locale, ReportText, Text, TierText},
    reports::moves::views::tier_label,
    reports::workbook::{AskedLine, SHEET, one_sheet, write_head, write_titles, yuan},
};
use rust_xlsxwriter::{Chart, ChartType};

pub fn value_workbook(
    report: &ValueReport,
    asked: &[AskedLine],
    locale: Locale,
) -> Result<Vec<u8>, AppError> {
    let text = |label: ReportText| label.text(locale);
    one_sheet(|sheet, formats| {
        let head = write_head(sheet, formats, text(ReportText::CustomerValue), asked)?;
        // The grid twice side by side: customers per cell, then each cell's mean M.
        let mut row = head;
        sheet.write_string_with_format(row, 0, text(ReportText::RfmGrid), &formats.bold)?;
        row += 1;
        let width = SCORES.len() as u16 + 1;
        let mut titles = vec![text(ReportText::GradedCustomers).to_owned()];
        titles.extend(SCORES.iter().rev().map(|f| format!("F {}", score_label(*f))));
        titles.push(String::new());
        titles.push(text(ReportText::MeanM).to_owned());
        titles.extend(SCORES.iter().rev().map(|f| format!("F {}", score_label(*f))));
        let titles: Vec<&str> = titles.iter().map(String::as_str).collect();
        write_titles(sheet, formats, row, &titles)?;
        for r in SCORES {
            row += 1;
            sheet.write_string_with_format(
                row,
                0,
                format!("R {}", score_label(r)),
                &formats.bold,
            )?;
            sheet.write_string_with_format(
                row,
                width + 1,
                format!("R {}", score_label(r)),
                &formats.bold,
            )?;
            for (n, f) in SCORES.iter().rev().enumerate() {
                let cell = report.cell(r, *f);
                let customers = cell.map(|c| c.customers).unwrap_or(0);
                sheet.write_number(row, n as u16 + 1, customers as f64)?;
                if let Some(cell) = cell {
                    sheet.write_number_with_format(
                        row,
                        width + 2 + n as u16,
                        cell.mean_m(),
                        &formats.days,
                    )?;
                }
            }
        }

        row += 2;
        sheet.write_string_with_format(row, 0, text(ReportText::RevenueByTier), &formats.bold)?;
        row += 1;
        let tier_titles = [
            TierText::Tier.text(locale),
            text(ReportText::GradedCustomers),
            text(ReportText::WindowSpend),
            text(ReportText::ShareOfSpend),
        ];
        write_titles(sheet, formats, row, &tier_titles)?;
        let tiers_head = row;
        let whole = report.tiers.iter().map(|t| t.monetary_minor.max(0)).sum::<i64>().max(1) as f64;
        for tier in &report.tiers {
            row += 1;
            sheet.write_string(row, 0, tier_label(tier.tier.as_ref(), locale))?;
            sheet.write_number(row, 1, tier.customers as f64)?;
            sheet.write_number_with_format(row, 2, yuan(tier.monetary_minor), &formats.money)?;
            let share = tier.monetary_minor.max(0) as f64 / whole;
            sheet.write_number_with_format(row, 3, share, &formats.percent)?;
        }
        let last_tier = row;
        row += 1;
        sheet.write_string_with_format(row, 0, text(ReportText::Total), &formats.bold)?;
        sheet.write_number_with_format(row, 1, report.customers as f64, &formats.bold)?;
        sheet.write_number_with_format(row, 2, yuan(report.monetary_minor), &formats.bold_money)?;

        row += 2;
        sheet.write_string_with_format(row, 0, text(ReportText::TopCustomers), &formats.bold)?;
        row += 1;
        let top_titles = [
            text(ReportText::Customer),
            text(ReportText::Owner),
            TierText::Tier.text(locale),
            text(ReportText::LifetimeSpend),
            text(ReportText::Orders),
            "R",
            "F",
            "M",
        ];
        write_titles(sheet, formats, row, &top_titles)?;
        for customer in &report.top {
            row += 1;
            sheet.write_string(row, 0, &customer.name)?;
            sheet.write_string(row, 1, customer.owner_name.as_deref().unwrap_or(""))?;
            sheet.write_string(row, 2, tier_label(customer.tier.as_ref(), locale))?;
            sheet.write_number_with_format(
                row,
                3,
                yuan(customer.total_spend_minor),
                &formats.money,
            )?;
            sheet.write_number(row, 4, customer.order_count as f64)?;
            if let Some((r, f, m)) = customer.scores {
                for (n, score) in [r, f, m].into_iter().enumerate() {
                    sheet.write_number(row, 5 + n as u16, score as f64)?;
                }
            }
        }
        sheet.set_freeze_panes(head + 2, 1)?;

        if last_tier > tiers_head {
            // One bar split by tier: a series per tier, stacked to the whole.
            let mut chart = Chart::new(ChartType::BarPercentStacked);
            chart.title().set_name(text(ReportText::RevenueByTier));
            for tier_row in tiers_head + 1..=last_tier {
                chart
                    .add_series()
                    .set_name((SHEET, tier_row, 0))
                    .set_values((SHEET, tier_row, 2, tier_row, 2));
            }
            sheet.insert_chart(tiers_head, tier_titles.len() as u16 + 1, &chart)?;
        }
        Ok(())
    })
}
