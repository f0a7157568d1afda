//! The cohort report (a heat map whose cells are links to the customers behind them, above the
//! overall retention curve), and the customers behind a cell. Filters live in the address.

use super::{
    api::{get_cohort_cell_size, get_cohort_report, list_cohort_customers},
    model::{CohortCell, CohortCustomer, CohortQuery, CohortReport, CohortRow, months_after},
};
use crate::{
    events::{Topic, use_server_events},
    i18n::{I18n, Locale, ReportText, Text, fill, use_i18n},
    reports::{
        model::query_string,
        saved::{model::ReportQuery, views::SaveToDashboard},
        views::{
            ExportLink, NarrowingFields, NarrowingSelects, ReportTabs, dated_query,
            keep_in_address, refused_at,
        },
    },
    ui::{Column, PagedList, PagedTable, ResourceView, TextField},
};
use chrono::{Datelike, NaiveDate};
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_query_map};

pub(crate) fn month_label(month: NaiveDate, locale: Locale) -> String {
    fill(ReportText::MonthOf.text(locale), &[("year", &month.year()), ("month", &month.month())])
}

fn percent(value: Option<f64>) -> String {
    value.map(|p| format!("{p:.0}%")).unwrap_or_default()
}

/// A retention share as one of six shades (the page's style sheet may not be written inline).
fn shade(value: Option<f64>) -> &'static str {
    match value {
        None => "heat-none",
        Some(p) if p <= 0.0 => "heat-0",
        Some(p) if p < 10.0 => "heat-1",
        Some(p) if p < 20.0 => "heat-2",
        Some(p) if p < 35.0 => "heat-3",
        Some(p) if p < 50.0 => "heat-4",
        Some(_) => "heat-5",
    }
}

fn cell_href(cell: &CohortCell) -> String {
    format!("/reports/cohorts/customers?{}", query_string(&cell.query_pairs()))
}

/// The cohort retention report.
#[component]
pub fn CohortReportPage() -> impl IntoView {
    let i18n = use_i18n();
    let url = use_query_map();
    let initial = url.with_untracked(|q| CohortQuery::from_query(|key| q.get(key)));
    let text = |value: Option<String>| RwSignal::new(value.unwrap_or_default());
    let from = text(initial.from.map(|d| d.format("%Y-%m").to_string()));
    let to = text(initial.to.map(|d| d.format("%Y-%m").to_string()));
    let narrowing = NarrowingFields::with_tier(&initial.narrowing);

    let query = dated_query(from, to, narrowing, |get| CohortQuery::from_query(get));
    keep_in_address("/reports/cohorts", move || query.get().query_pairs());

    let changes = use_server_events().changes(Topic::Customer);
    let report = Resource::new(move || (query.get(), changes.get()), |(q, _)| get_cohort_report(q));
    let to_error = refused_at(report, "to");

    view! {
        <section class="page report-page">
            <div class="page-head">
                <h1>{i18n.t(ReportText::Cohorts)}</h1>
                <div class="actions">
                    <SaveToDashboard query=Signal::derive(move || ReportQuery::Cohorts(query.get()))/>
                    <ExportLink file="cohorts.xlsx" pairs=Signal::derive(move || query.get().query_pairs())/>
                </div>
            </div>
            <ReportTabs/>
            <p class="muted">{i18n.t(ReportText::CohortsIntro)}</p>
            <Transition fallback=|| ()>
            <div class="card report-filters" data-testid="cohort-filters">
                <div class="filter-grid">
                    <TextField label=i18n.t(ReportText::FirstCohort) name="from" value=from input_type="month"/>
                    <TextField label=i18n.t(ReportText::LastCohort) name="to" value=to input_type="month" error=to_error/>
                    <NarrowingSelects fields=narrowing/>
                </div>
            </div>
            </Transition>
            <ResourceView resource=report let:report>
                <CohortHeatMap report=report.clone() query=query.get_untracked()/>
                <RetentionCurve report/>
            </ResourceView>
        </section>
    }
}

/// The cohorts as a table (the readable form) shaded as a heat map: a row per cohort, its size,
/// then the share ordering again 1, 2, ... months later. Every figure links to its customers.
#[component]
fn CohortHeatMap(report: CohortReport, query: CohortQuery) -> impl IntoView {
    let i18n = use_i18n();
    if report.customers() == 0 {
        return view! { <div class="card"><p class="empty">{i18n.t(ReportText::NoCohorts)}</p></div> }
            .into_any();
    }
    let offsets = report.offsets;
    let mut columns = vec![
        Column::new(i18n.t(ReportText::Cohort)),
        Column::new(i18n.t(ReportText::NewCustomers)).numeric(),
    ];
    columns.extend((1..=offsets).map(|offset| {
        Column::new(move || fill(ReportText::MonthsLater.text(i18n.locale()), &[("n", &offset)]))
            .numeric()
    }));
    let overall = (1..=offsets).map(|offset| report.overall_percent(offset)).collect::<Vec<_>>();
    let customers = report.customers();
    let rows = report
        .rows
        .into_iter()
        .map(|row| cohort_row(row, &query, offsets, i18n))
        .collect::<Vec<_>>();
    view! {
        <div class="card table-wrap cohort-card">
            <crate::ui::Table testid="cohort-table" columns>
                {rows}
                <tr class="total-row">
                    <th scope="row">{i18n.t(ReportText::AllCohorts)}</th>
                    <td class="num" data-testid="cohort-customers">{customers}</td>
                    {overall.into_iter().map(|p| view! { <td class="num" data-testid="cohort-overall">{percent(p)}</td> }).collect_view()}
                </tr>
            </crate::ui::Table>
        </div>
    }
    .into_any()
}

fn cohort_row(row: CohortRow, query: &CohortQuery, offsets: usize, i18n: I18n) -> AnyView {
    let cohort = row.cohort;
    let size_href = cell_href(&CohortCell::of(query, cohort, 0));
    let cells = (1..=offsets)
        .map(|offset| {
            let share = row.retention_percent(offset);
            let Some(&returning) = row.returning.get(offset - 1) else {
                return view! { <td class="heat heat-none"></td> }.into_any();
            };
            let size = row.size;
            let label = move || {
                fill(
                    ReportText::CohortCellLabel.text(i18n.locale()),
                    &[
                        ("cohort", &month_label(cohort, i18n.locale())),
                        ("month", &month_label(months_after(cohort, offset as u32), i18n.locale())),
                        ("returning", &returning),
                        ("size", &size),
                        ("share", &percent(share)),
                    ],
                )
            };
            let figure = percent(share);
            if returning == 0 {
                return view! { <td class=format!("num heat {}", shade(share)) data-testid="cohort-cell" aria-label=label title=label>{figure}</td> }.into_any();
            }
            let href = cell_href(&CohortCell::of(query, cohort, offset));
            view! {
                <td class=format!("num heat {}", shade(share)) data-testid="cohort-cell">
                    <a href=href aria-label=label title=label>{figure}</a>
                </td>
            }
            .into_any()
        })
        .collect_view();
    view! {
        <tr data-testid="cohort-row">
            <th scope="row">{move || month_label(cohort, i18n.locale())}</th>
            <td class="num" data-testid="cohort-size">
                {if row.size > 0 {
                    view! { <A href=size_href>{row.size}</A> }.into_any()
                } else {
                    view! { <span>"0"</span> }.into_any()
                }}
            </td>
            {cells}
        </tr>
    }
    .into_any()
}

/// Retention over all cohorts, month by month, as a line: how quickly customers stop ordering.
#[component]
fn RetentionCurve(report: CohortReport) -> impl IntoView {
    let i18n = use_i18n();
    let points: Vec<(usize, f64)> = (1..=report.offsets)
        .filter_map(|offset| Some((offset, report.overall_percent(offset)?)))
        .collect();
    if points.len() < 2 {
        return ().into_any();
    }
    let top = points.iter().map(|(_, p)| *p).fold(10.0_f64, f64::max).min(100.0);
    let step = 900.0 / (points.len() - 1) as f64;
    let at = |n: usize, p: f64| (50.0 + n as f64 * step, 180.0 - p / top * 160.0);
    let path = points
        .iter()
        .enumerate()
        .map(|(n, (_, p))| {
            let (x, y) = at(n, *p);
            format!("{}{x:.1},{y:.1}", if n == 0 { "M" } else { "L" })
        })
        .collect::<String>();
    let marks = points
        .iter()
        .enumerate()
        .map(|(n, (offset, p))| {
            let (x, y) = at(n, *p);
            let (offset, p) = (*offset, *p);
            let label = move || {
                fill(
                    ReportText::CurveLabel.text(i18n.locale()),
                    &[("n", &offset), ("share", &format!("{p:.1}%"))],
                )
            };
            view! {
                <g>
                    <circle class="curve-point" cx=x cy=y r="5" role="img" aria-label=label><title>{label}</title></circle>
                    <text class="axis" x=x y="205" text-anchor="middle">{offset}</text>
                </g>
            }
        })
        .collect_view();
    view! {
        <div class="card chart-card" data-testid="retention-curve">
            <h2>{i18n.t(ReportText::RetentionCurve)}</h2>
            <svg class="sales-chart retention" viewBox="0 0 1000 215" role="group"
                aria-label=move || i18n.text(ReportText::RetentionCurve)>
                <text class="axis" x="0" y="24">{format!("{top:.0}%")}</text>
                <text class="axis" x="0" y="184">"0%"</text>
                <line class="baseline" x1="50" y1="180" x2="950" y2="180"/>
                <path class="curve" d=path/>
                {marks}
            </svg>
        </div>
    }
    .into_any()
}

/// The customers behind one cell of the cohort report.
#[component]
pub fn CohortCustomersPage() -> impl IntoView {
    let i18n = use_i18n();
    let url = use_query_map();
    let cell = Memo::new(move |_| url.with(|q| CohortCell::from_query(|key| q.get(key))));
    let size = Resource::new(
        move || cell.get(),
        |cell| async move {
            match cell {
                Some(cell) => get_cohort_cell_size(cell).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let customers = PagedList::new(
        move || cell.get().unwrap_or_default(),
        |cell, after: Option<i64>| list_cohort_customers(cell, after),
    );
    let back = move || {
        let narrowing = cell.get().unwrap_or_default().narrowing;
        let query = CohortQuery { narrowing, ..Default::default() };
        format!("/reports/cohorts?{}", query_string(&query.query_pairs()))
    };
    view! {
        <section class="page">
            <div class="page-head">
                <h1>{i18n.t(ReportText::CohortCustomers)}</h1>
                <A href=back attr:class="button ghost">{i18n.t(ReportText::BackToReport)}</A>
            </div>
            <ResourceView resource=size let:size>
                <div class="card">
                    {match (size, cell.get_untracked()) {
                        (Some(size), Some(cell)) => view! {
                            <p class="muted" data-testid="cohort-cell-intro">{move || fill(
                                ReportText::CohortCustomersIntro.text(i18n.locale()),
                                &[("cohort", &month_label(cell.cohort, i18n.locale())), ("month", &month_label(cell.month, i18n.locale())), ("size", &size)],
                            )}</p>
                        }.into_any(),
                        _ => view! { <p class="empty">{i18n.t(ReportText::NoSuchCell)}</p> }.into_any(),
                    }}
                </div>
            </ResourceView>
            <div class="card table-wrap">
                <PagedTable list=customers testid="cohort-customers" columns=vec![
                    Column::new(i18n.t(ReportText::Customer)),
                    Column::new(i18n.t(ReportText::Owner)),
                    Column::new(i18n.t(ReportText::Region)),
                    Column::new(i18n.t(ReportText::OrdersThatMonth)).numeric(),
                    Column::new(i18n.t(ReportText::OrdersInAll)).numeric(),
                ] row=move |c: CohortCustomer| view! {
                    <tr data-testid="cohort-customer">
                        <td><A href=format!("/customers/{}", c.id)>{c.name.clone()}</A></td>
                        <td>{c.owner_name.clone().unwrap_or_else(|| "—".into())}</td>
                        <td>{c.region.clone().unwrap_or_default()}</td>
                        <td class="num">{c.orders}</td>
                        <td class="num">{c.order_count}</td>
                    </tr>
                }/>
            </div>
        </section>
    }
}
