//! The churn report (customers churned each month as columns, the reasons they left and what
//! they had spent), and the customers behind any of its figures. Filters live in the address.

use super::{
    api::{get_churn_report, list_churned_customers},
    model::{ChurnCursor, ChurnFilter, ChurnReport, ChurnedCustomer},
};
use crate::{
    events::{Topic, use_server_events},
    i18n::{ReportText, Text, fill, use_i18n},
    money::Money,
    reports::{
        cohorts::views::month_label,
        model::{RangeQuery, compact_money, percent_change, query_string},
        saved::{model::ReportQuery, views::SaveToDashboard},
        views::{
            ExportLink, NarrowingFields, NarrowingSelects, RangePresets, ReasonsTable, ReportTabs,
            compared_fact, dated_query, keep_in_address, refused_at,
        },
    },
    ui::{Column, PagedList, PagedTable, ResourceView, TextField, Timestamp},
};
use chrono::{Datelike, NaiveDate};
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_query_map};

fn money(minor: i64) -> String {
    Money { minor, currency: "CNY".into() }.display()
}

/// The customers behind a figure.
pub(crate) fn customers_href(filter: &ChurnFilter) -> String {
    format!("/reports/churn/customers?{}", query_string(&filter.query_pairs()))
}

fn month_filter(query: &RangeQuery, month: NaiveDate) -> ChurnFilter {
    ChurnFilter { query: query.clone(), month: Some(month), reason: None }
}

/// The churn report.
#[component]
pub fn ChurnReportPage() -> impl IntoView {
    let i18n = use_i18n();
    let url = use_query_map();
    let initial = url.with_untracked(|q| RangeQuery::from_query(|key| q.get(key)));
    let text = |value: Option<String>| RwSignal::new(value.unwrap_or_default());
    let from = text(initial.from.map(|d| d.to_string()));
    let to = text(initial.to.map(|d| d.to_string()));
    let narrowing = NarrowingFields::with_tier(&initial.narrowing).comparing(initial.comparison);
    let query = dated_query(from, to, narrowing, |get| RangeQuery::from_query(get));
    keep_in_address("/reports/churn", move || query.get().query_pairs());
    let changes = use_server_events().changes(Topic::Customer);
    let report = Resource::new(move || (query.get(), changes.get()), |(q, _)| get_churn_report(q));
    let to_error = refused_at(report, "to");
    view! {
        <section class="page report-page">
            <div class="page-head">
                <h1>{i18n.t(ReportText::Churn)}</h1>
                <div class="actions">
                    <SaveToDashboard query=Signal::derive(move || ReportQuery::Churn(query.get()))/>
                    <ExportLink file="churn.xlsx" pairs=Signal::derive(move || query.get().query_pairs())/>
                </div>
            </div>
            <ReportTabs/>
            <p class="muted">{i18n.t(ReportText::ChurnIntro)}</p>
            <Transition fallback=|| ()>
            <div class="card report-filters" data-testid="churn-filters">
                <RangePresets from to/>
                <div class="filter-grid">
                    <TextField label=i18n.t(ReportText::From) name="from" value=from input_type="date"/>
                    <TextField label=i18n.t(ReportText::To) name="to" value=to input_type="date" error=to_error/>
                    <NarrowingSelects fields=narrowing/>
                </div>
            </div>
            </Transition>
            <ResourceView resource=report children=move |report: ChurnReport| {
                let asked = query.get_untracked();
                view! {
                    <ChurnMonths report=report.clone() query=asked.clone()/>
                    <ChurnReasons report query=asked/>
                }
            }/>
        </section>
    }
}

/// How many churned, what they had spent, and each month as a column opening its customers,
/// above the same figures as a table.
#[component]
fn ChurnMonths(report: ChurnReport, query: RangeQuery) -> impl IntoView {
    let i18n = use_i18n();
    let all = ChurnFilter { query: query.clone(), ..Default::default() };
    let facts = view! {
        <div class="card">
            <dl class="facts key-facts" data-testid="churn-figures">
                <div>
                    <dt>{i18n.t(ReportText::ChurnedCustomers)}</dt>
                    <dd><A href=customers_href(&all)><span data-testid="churned">{report.customers}</span></A></dd>
                </div>
                <div>
                    <dt>{i18n.t(ReportText::TheirSpend)}</dt>
                    <dd>{move || compact_money(report.spent_minor, i18n.locale())}</dd>
                </div>
                {report.compared.map(|before| compared_fact(
                    ReportText::ChurnedCustomers,
                    (before.from, before.to),
                    format!("{} · {}", before.figures.customers, money(before.figures.spent_minor)),
                    percent_change(report.customers, before.figures.customers),
                    "churned-compared",
                ))}
            </dl>
        </div>
    };
    if report.customers == 0 {
        return view! {
            {facts}
            <div class="card"><p class="empty">{i18n.t(ReportText::NoChurn)}</p></div>
        }
        .into_any();
    }
    let most = report.months.iter().map(|m| m.customers).max().unwrap_or(1).max(1) as f64;
    let slot = 1000.0 / report.months.len().max(1) as f64;
    // Every month's name where they fit, else every third (36 months on a tablet).
    let every = if report.months.len() > 12 { 3 } else { 1 };
    let columns = report
        .months
        .iter()
        .enumerate()
        .map(|(n, &month)| {
            let height = month.customers as f64 / most * 200.0;
            let x = n as f64 * slot;
            let at = month.month;
            let label = move || {
                fill(
                    ReportText::ChurnMonthLabel.text(i18n.locale()),
                    &[("month", &month_label(at, i18n.locale())), ("count", &month.customers)],
                )
            };
            let short = (n % every == 0).then(|| {
                if at.month() == 1 || n == 0 {
                    format!("{}-{:02}", at.year(), at.month())
                } else {
                    format!("{:02}", at.month())
                }
            });
            view! {
                <g class="chart-bar" data-testid="churn-month" role="listitem">
                    // The link is the only child of its group: `view!` makes an `<a>` among
                    // siblings an HTML anchor, which draws nothing inside an SVG.
                    <g>
                        <a href=customers_href(&month_filter(&query, at)) aria-label=label>
                            <rect class="hit" x=x y="0" width=slot height="240"/>
                        </a>
                    </g>
                    <rect class="bar-fill" x=x + slot * 0.15 y=220.0 - height width=slot * 0.7 height=height pointer-events="none"/>
                    <text class="axis" x=x + slot / 2.0 y="238" text-anchor="middle">{short}</text>
                </g>
            }
        })
        .collect_view();
    let rows = report
        .months
        .iter()
        .filter(|m| m.customers > 0)
        .map(|&month| {
            let at = month.month;
            view! {
                <tr data-testid="churn-month-row">
                    <th scope="row">{move || month_label(at, i18n.locale())}</th>
                    <td class="num"><A href=customers_href(&month_filter(&query, at))>{month.customers}</A></td>
                    <td class="num">{money(month.spent_minor)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        {facts}
        <div class="card chart-card" data-testid="churn-chart">
            <h2>{i18n.t(ReportText::ChurnByMonth)}</h2>
            <svg class="sales-chart" viewBox="0 0 1000 245" role="list"
                aria-label=move || i18n.text(ReportText::ChurnByMonth)>
                {columns}
            </svg>
        </div>
        <div class="card table-wrap">
            <crate::ui::Table columns=vec![
                Column::new(i18n.t(ReportText::Month)),
                Column::new(i18n.t(ReportText::ChurnedCustomers)).numeric(),
                Column::new(i18n.t(ReportText::TheirSpend)).numeric(),
            ]>
                {rows}
            </crate::ui::Table>
        </div>
    }
    .into_any()
}

/// Why customers left, most frequent first, each opening its customers.
#[component]
fn ChurnReasons(report: ChurnReport, query: RangeQuery) -> impl IntoView {
    if report.customers == 0 {
        return ().into_any();
    }
    let href = Callback::new(move |reason: String| {
        customers_href(&ChurnFilter { query: query.clone(), reason: Some(reason), month: None })
    });
    view! {
        <ReasonsTable reasons=report.reasons total=report.customers href
            title=ReportText::ChurnReasons counted=ReportText::ChurnedCustomers
            amount=ReportText::TheirSpend share=ReportText::ShareOfChurned
            testid="churn-reasons" row_testid="churn-reason-row"/>
    }
    .into_any()
}

/// The churned customers behind a figure.
#[component]
pub fn ChurnedCustomersPage() -> impl IntoView {
    let i18n = use_i18n();
    let url = use_query_map();
    let filter = Memo::new(move |_| url.with(|q| ChurnFilter::from_query(|key| q.get(key))));
    let customers = PagedList::new(
        move || filter.get(),
        |filter, after: Option<ChurnCursor>| list_churned_customers(filter, after),
    );
    let range = Resource::new(move || filter.get().query, get_churn_report);
    let back =
        move || format!("/reports/churn?{}", query_string(&filter.get().query.query_pairs()));
    view! {
        <section class="page">
            <div class="page-head">
                <h1>{i18n.t(ReportText::ChurnedBehind)}</h1>
                <div class="actions">
                    <A href=back attr:class="button ghost">{i18n.t(ReportText::BackToReport)}</A>
                </div>
            </div>
            <ResourceView resource=range let:report>
                <p class="muted" data-testid="churn-range">{move || fill(ReportText::ChurnedIntro.text(i18n.locale()), &[("from", &report.from), ("to", &report.to)])}</p>
            </ResourceView>
            <div class="card table-wrap">
                <PagedTable list=customers testid="churned-customers" columns=vec![
                    Column::new(i18n.t(ReportText::Customer)),
                    Column::new(i18n.t(ReportText::Owner)),
                    Column::new(i18n.t(ReportText::Region)),
                    Column::new(i18n.t(ReportText::Reason)),
                    Column::new(i18n.t(ReportText::ChurnedAt)),
                    Column::new(i18n.t(ReportText::LastOrder)),
                    Column::new(i18n.t(ReportText::Orders)).numeric(),
                    Column::new(i18n.t(ReportText::TheirSpend)).numeric(),
                ] row=move |c: ChurnedCustomer| view! {
                    <tr data-testid="churned-customer">
                        <td><A href=format!("/customers/{}", c.id)>{c.name.clone()}</A></td>
                        <td>{c.owner_name.clone().unwrap_or_else(|| "—".into())}</td>
                        <td>{c.region.clone().unwrap_or_default()}</td>
                        <td data-testid="churn-reason">{c.reason.clone().unwrap_or_default()}</td>
                        <td><Timestamp at=c.churned_at/></td>
                        <td>{c.last_order_at.map(|at| view! { <Timestamp at/> })}</td>
                        <td class="num">{c.order_count}</td>
                        <td class="num">{Money { minor: c.spent_minor, currency: c.currency.clone() }.display()}</td>
                    </tr>
                }/>
            </div>
        </section>
    }
}
