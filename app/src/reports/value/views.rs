//! The customer value report (an R by F heat map shaded by mean M, revenue in the scoring window
//! by tier as one stacked bar, the top spenders), and the customers behind any of its figures.
//! Filters live in the address.

use super::{
    api::{get_value_report, list_value_customers},
    model::{
        RfmCell, SCORES, TierRevenue, ValueCustomer, ValueFilter, ValueQuery, ValueReport,
        score_label,
    },
};
use crate::{
    events::{Topic, use_server_events},
    i18n::{I18n, ReportText, Text, TierText, fill, use_i18n},
    money::Money,
    reports::{
        model::{Narrowing, compact_money, query_string},
        moves::views::tier_label,
        views::{ExportLink, NarrowingFields, NarrowingSelects, ReportTabs, keep_in_address},
    },
    ui::{Column, PagedList, PagedTable, ResourceView, Timestamp},
};
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_query_map};

/// The customers behind a figure.
pub(crate) fn customers_href(filter: &ValueFilter) -> String {
    format!("/reports/value/customers?{}", query_string(&filter.query_pairs()))
}

fn money(minor: i64) -> String {
    Money { minor, currency: "CNY".into() }.display()
}

/// The shade of a cell's mean M: the cohort heat map's six steps.
fn shade(mean_m: f64) -> &'static str {
    match mean_m.round() as i64 {
        i64::MIN..=0 => "heat-0",
        1 => "heat-1",
        2 => "heat-2",
        3 => "heat-3",
        4 => "heat-4",
        _ => "heat-5",
    }
}

/// The customer value report.
#[component]
pub fn ValueReportPage() -> impl IntoView {
    let i18n = use_i18n();
    let url = use_query_map();
    let initial = url.with_untracked(|q| ValueQuery::from_query(|key| q.get(key)));
    let narrowing = NarrowingFields::with_tier(&initial.narrowing);
    let query = Memo::new(move |_| ValueQuery::from_query(|key| narrowing.get(key)));
    keep_in_address("/reports/value", move || query.get().query_pairs());
    let changes = use_server_events().changes(Topic::Customer);
    let report = Resource::new(move || (query.get(), changes.get()), |(q, _)| get_value_report(q));
    view! {
        <section class="page report-page">
            <div class="page-head">
                <h1>{i18n.t(ReportText::CustomerValue)}</h1>
                <div class="actions">
                    <ExportLink file="value.xlsx" pairs=Signal::derive(move || query.get().query_pairs())/>
                </div>
            </div>
            <ReportTabs/>
            <p class="muted">{i18n.t(ReportText::CustomerValueIntro)}</p>
            <Transition fallback=|| ()>
            <div class="card report-filters" data-testid="value-filters">
                <div class="filter-grid">
                    <NarrowingSelects fields=narrowing/>
                </div>
            </div>
            </Transition>
            <ResourceView resource=report children=move |report: ValueReport| {
                let asked = query.get_untracked();
                view! {
                    <ValueFacts report=report.clone()/>
                    <RfmGrid report=report.clone() query=asked.clone()/>
                    <RevenueByTier report=report.clone() query=asked/>
                    <TopCustomers report/>
                }
            }/>
        </section>
    }
}

#[component]
fn ValueFacts(report: ValueReport) -> impl IntoView {
    let i18n = use_i18n();
    let days = report.window_days;
    view! {
        <div class="card">
            <dl class="facts key-facts" data-testid="value-figures">
                <div>
                    <dt>{i18n.t(ReportText::GradedCustomers)}</dt>
                    <dd data-testid="graded-customers">{report.customers}</dd>
                </div>
                <div>
                    <dt>{i18n.t(ReportText::WindowSpend)}</dt>
                    <dd data-testid="window-spend">{move || compact_money(report.monetary_minor, i18n.locale())}</dd>
                </div>
                <div>
                    <dt>{i18n.t(ReportText::ScoringWindow)}</dt>
                    <dd>{move || fill(ReportText::WindowDays.text(i18n.locale()), &[("days", &days)])}</dd>
                </div>
            </dl>
        </div>
    }
}

/// The grid as a table (its readable form) shaded as a heat map: recency down the side (best on
/// top), frequency across, each cell's customers a link to them, its shade the cell's mean M.
#[component]
fn RfmGrid(report: ValueReport, query: ValueQuery) -> impl IntoView {
    let i18n = use_i18n();
    if report.cells.is_empty() {
        return view! { <div class="card"><p class="empty">{i18n.t(ReportText::NoGradedCustomers)}</p></div> }
            .into_any();
    }
    let mut columns = vec![Column::new(i18n.t(ReportText::RecencyByFrequency))];
    // Frequency left to right from nothing to best, as a reader scans towards better customers.
    columns.extend(
        SCORES
            .iter()
            .rev()
            .map(|&f| Column::new(move || format!("F {}", score_label(f))).numeric()),
    );
    let rows = SCORES
        .iter()
        .map(|&r| {
            let cells = SCORES
                .iter()
                .rev()
                .map(|&f| grid_cell(report.cell(r, f).copied(), r, f, &query, i18n))
                .collect_view();
            view! {
                <tr data-testid="rfm-row">
                    <th scope="row">{format!("R {}", score_label(r))}</th>
                    {cells}
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="card table-wrap rfm-card" data-testid="rfm-grid">
            <h2>{i18n.t(ReportText::RfmGrid)}</h2>
            <p class="muted">{i18n.t(ReportText::RfmGridNote)}</p>
            <p class="legend heat-legend">
                {i18n.t(ReportText::MeanM)}
                {(0..=5).map(|m| view! { <span class=format!("heat heat-{m}")>{m}</span> }).collect_view()}
            </p>
            <crate::ui::Table testid="rfm-table" columns>
                {rows}
            </crate::ui::Table>
        </div>
    }
    .into_any()
}

fn grid_cell(cell: Option<RfmCell>, r: i16, f: i16, query: &ValueQuery, i18n: I18n) -> AnyView {
    let Some(cell) = cell else {
        return view! { <td class="num heat heat-none" data-testid="rfm-cell"></td> }.into_any();
    };
    let label = move || {
        fill(
            ReportText::RfmCellLabel.text(i18n.locale()),
            &[
                ("r", &score_label(r)),
                ("f", &score_label(f)),
                ("customers", &cell.customers),
                ("m", &cell.mean_m()),
                ("spend", &compact_money(cell.monetary_minor, i18n.locale())),
            ],
        )
    };
    let href = customers_href(&ValueFilter { query: query.clone(), r: Some(r), f: Some(f) });
    view! {
        <td class=format!("num heat {}", shade(cell.mean_m())) data-testid="rfm-cell">
            <a href=href aria-label=label title=label>{cell.customers}</a>
        </td>
    }
    .into_any()
}

/// Each tier's share of the window's spend as one bar split by tier (each part a link to the
/// tier's customers, in the tier's own colour), above the same figures as a table.
#[component]
fn RevenueByTier(report: ValueReport, query: ValueQuery) -> impl IntoView {
    let i18n = use_i18n();
    if report.tiers.is_empty() {
        return ().into_any();
    }
    let whole = report.tiers.iter().map(|t| t.monetary_minor.max(0)).sum::<i64>().max(1) as f64;
    let tier_href = |tier: &TierRevenue| {
        let tier = Some(tier.tier.as_ref().map(|t| t.id).unwrap_or(0));
        customers_href(&ValueFilter {
            query: ValueQuery { narrowing: Narrowing { tier, ..query.narrowing.clone() } },
            ..Default::default()
        })
    };
    let mut x = 0.0;
    let parts = report
        .tiers
        .iter()
        .enumerate()
        .filter(|(_, t)| t.monetary_minor > 0)
        .map(|(n, t)| {
            let width = t.monetary_minor as f64 / whole * 1000.0;
            let at = x;
            x += width;
            let href = tier_href(t);
            let (named, spent) = (t.tier.clone(), t.monetary_minor);
            let share = (spent as f64 / whole * 1000.0).round() / 10.0;
            let label = move || {
                fill(
                    ReportText::TierShareLabel.text(i18n.locale()),
                    &[
                        ("tier", &tier_label(named.as_ref(), i18n.locale())),
                        ("spend", &compact_money(spent, i18n.locale())),
                        ("share", &share),
                    ],
                )
            };
            let titled = label.clone();
            let colour = t.color.clone();
            // A tier's own colour; customers in no tier in the grey of "the rest".
            let part_class = match t.tier {
                Some(_) => format!("stack-part slice-{n}"),
                None => "stack-part slice-rest".to_owned(),
            };
            view! {
                <g class=part_class data-testid="tier-part">
                    <a href=href aria-label=label>
                        <rect x=at y="0" width=width height="48" fill=colour/>
                        <title>{titled}</title>
                    </a>
                </g>
            }
        })
        .collect_view();
    let rows = report
        .tiers
        .iter()
        .map(|t| {
            let share = (t.monetary_minor.max(0) as f64 / whole * 100.0).round() as i64;
            let named = t.tier.clone();
            let (href, customers) = (tier_href(t), t.customers);
            view! {
                <tr data-testid="tier-revenue-row">
                    <th scope="row">
                        {t.color.clone().map(|color| view! { <crate::ui::ColorDot color/> })}
                        {move || tier_label(named.as_ref(), i18n.locale())}
                    </th>
                    <td class="num"><A href=href>{customers}</A></td>
                    <td class="num">{money(t.monetary_minor)}</td>
                    <td class="share"><crate::ui::FillBar percent=share/>{format!("{share}%")}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="card chart-card" data-testid="tier-revenue">
            <h2>{i18n.t(ReportText::RevenueByTier)}</h2>
            <svg class="sales-chart stacked-bar" viewBox="0 0 1000 48" role="list"
                aria-label=move || i18n.text(ReportText::RevenueByTier)>
                {parts}
            </svg>
            <div class="table-wrap">
                <crate::ui::Table columns=vec![
                    Column::new(i18n.t(TierText::Tier)),
                    Column::new(i18n.t(ReportText::GradedCustomers)).numeric(),
                    Column::new(i18n.t(ReportText::WindowSpend)).numeric(),
                    Column::new(i18n.t(ReportText::ShareOfSpend)),
                ]>
                    {rows}
                </crate::ui::Table>
            </div>
        </div>
    }
    .into_any()
}

/// The customers who spent most, all time, with their tier and scores.
#[component]
fn TopCustomers(report: ValueReport) -> impl IntoView {
    let i18n = use_i18n();
    if report.top.is_empty() {
        return ().into_any();
    }
    let rows = report
        .top
        .into_iter()
        .map(|c| {
            let tier = c.tier.clone();
            let scores = c
                .scores
                .map(|(r, f, m)| {
                    format!("{} / {} / {}", score_label(r), score_label(f), score_label(m))
                })
                .unwrap_or_else(|| "—".into());
            view! {
                <tr data-testid="top-customer">
                    <td><A href=format!("/customers/{}", c.id)>{c.name.clone()}</A></td>
                    <td>{c.owner_name.clone().unwrap_or_else(|| "—".into())}</td>
                    <td>{move || tier_label(tier.as_ref(), i18n.locale())}</td>
                    <td class="num" data-testid="top-spend">{money(c.total_spend_minor)}</td>
                    <td class="num">{c.order_count}</td>
                    <td>{c.last_order_at.map(|at| view! { <Timestamp at/> })}</td>
                    <td class="num">{scores}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="card table-wrap" data-testid="top-customers">
            <h2>{i18n.t(ReportText::TopCustomers)}</h2>
            <crate::ui::Table columns=vec![
                Column::new(i18n.t(ReportText::Customer)),
                Column::new(i18n.t(ReportText::Owner)),
                Column::new(i18n.t(TierText::Tier)),
                Column::new(i18n.t(ReportText::LifetimeSpend)).numeric(),
                Column::new(i18n.t(ReportText::Orders)).numeric(),
                Column::new(i18n.t(ReportText::LastOrder)),
                Column::new("R / F / M").numeric(),
            ]>
                {rows}
            </crate::ui::Table>
        </div>
    }
    .into_any()
}

/// The graded customers behind a figure.
#[component]
pub fn ValueCustomersPage() -> impl IntoView {
    let i18n = use_i18n();
    let url = use_query_map();
    let filter = Memo::new(move |_| url.with(|q| ValueFilter::from_query(|key| q.get(key))));
    let customers = PagedList::new(
        move || filter.get(),
        |filter, after: Option<i64>| list_value_customers(filter, after),
    );
    let back =
        move || format!("/reports/value?{}", query_string(&filter.get().query.query_pairs()));
    let cell = move || {
        let filter = filter.get();
        match (filter.r, filter.f) {
            (Some(r), Some(f)) => fill(
                ReportText::RfmCellIntro.text(i18n.locale()),
                &[("r", &score_label(r)), ("f", &score_label(f))],
            ),
            _ => i18n.text(ReportText::ValueCustomersIntro).to_owned(),
        }
    };
    view! {
        <section class="page">
            <div class="page-head">
                <h1>{i18n.t(ReportText::ValueCustomers)}</h1>
                <div class="actions">
                    <A href=back attr:class="button ghost">{i18n.t(ReportText::BackToReport)}</A>
                </div>
            </div>
            <p class="muted" data-testid="value-cell">{cell}</p>
            <div class="card table-wrap">
                <PagedTable list=customers testid="value-customers" columns=vec![
                    Column::new(i18n.t(ReportText::Customer)),
                    Column::new(i18n.t(ReportText::Owner)),
                    Column::new(i18n.t(ReportText::Region)),
                    Column::new(i18n.t(TierText::Tier)),
                    Column::new("R / F / M").numeric(),
                    Column::new(i18n.t(ReportText::WindowSpend)).numeric(),
                ] row=move |c: ValueCustomer| {
                    let tier = c.tier.clone();
                    view! {
                        <tr data-testid="value-customer">
                            <td><A href=format!("/customers/{}", c.id)>{c.name.clone()}</A></td>
                            <td>{c.owner_name.clone().unwrap_or_else(|| "—".into())}</td>
                            <td>{c.region.clone().unwrap_or_default()}</td>
                            <td>{move || tier_label(tier.as_ref(), i18n.locale())}</td>
                            <td class="num" data-testid="value-scores">{format!("{} / {} / {}", score_label(c.r), score_label(c.f), score_label(c.m))}</td>
                            <td class="num">{money(c.monetary_minor)}</td>
                        </tr>
                    }
                }/>
            </div>
        </section>
    }
}
