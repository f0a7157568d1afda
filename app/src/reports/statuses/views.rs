//! Customers over time: each month's active, silent and former customers as stacked columns
//! (each part a link to its customers), the same figures and each month's new customers and
//! turns as a table, and the customers behind any figure. Filters live in the address.

use super::{
    api::{get_status_report, list_status_customers},
    model::{
        StatusCursor, StatusCustomer, StatusFigure, StatusFilter, StatusMonth, StatusReport,
        TimelineStatus,
    },
};
use crate::{
    events::{Topic, use_server_events},
    i18n::{ReportText, Text, fill, use_i18n},
    money::Money,
    reports::{
        cohorts::views::month_label,
        model::{RangeQuery, query_string},
        saved::{model::ReportQuery, views::SaveToDashboard},
        views::{
            ExportLink, NarrowingFields, NarrowingSelects, RangePresets, ReportTabs, dated_query,
            keep_in_address, refused_at,
        },
    },
    ui::{Column, PagedList, PagedTable, ResourceView, TextField, Timestamp},
};
use chrono::{Datelike, NaiveDate};
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_query_map};

/// The customers behind a figure.
pub(crate) fn customers_href(filter: &StatusFilter) -> String {
    format!("/reports/statuses/customers?{}", query_string(&filter.query_pairs()))
}

pub(crate) fn figure_href(query: &RangeQuery, month: NaiveDate, figure: StatusFigure) -> String {
    customers_href(&StatusFilter { query: query.clone(), month: Some(month), figure })
}

pub(crate) fn status_label(status: TimelineStatus) -> ReportText {
    match status {
        TimelineStatus::Active => ReportText::ActiveCustomers,
        TimelineStatus::Silent => ReportText::SilentCustomers,
        TimelineStatus::Former => ReportText::FormerCustomers,
    }
}

pub(crate) fn turned_label(status: TimelineStatus) -> ReportText {
    match status {
        TimelineStatus::Active => ReportText::TurnedActive,
        TimelineStatus::Silent => ReportText::TurnedSilent,
        TimelineStatus::Former => ReportText::TurnedFormer,
    }
}

fn figure_label(figure: StatusFigure) -> ReportText {
    match figure {
        StatusFigure::New => ReportText::NewCustomers,
        StatusFigure::In(status) => status_label(status),
        StatusFigure::Turned(status) => turned_label(status),
    }
}

/// Stacked bottom to top.
const STACKED: [(TimelineStatus, &str); 3] = [
    (TimelineStatus::Active, "bar-active"),
    (TimelineStatus::Silent, "bar-silent"),
    (TimelineStatus::Former, "bar-former"),
];

/// The customers-over-time report.
#[component]
pub fn StatusReportPage() -> impl IntoView {
    let i18n = use_i18n();
    let url = use_query_map();
    let initial = url.with_untracked(|q| RangeQuery::from_query(|key| q.get(key)));
    let text = |value: Option<String>| RwSignal::new(value.unwrap_or_default());
    let from = text(initial.from.map(|d| d.to_string()));
    let to = text(initial.to.map(|d| d.to_string()));
    let narrowing = NarrowingFields::new(&initial.narrowing);
    let query = dated_query(from, to, narrowing, |get| RangeQuery::from_query(get));
    keep_in_address("/reports/statuses", move || query.get().query_pairs());
    let changes = use_server_events().changes(Topic::Customer);
    let report = Resource::new(move || (query.get(), changes.get()), |(q, _)| get_status_report(q));
    let to_error = refused_at(report, "to");
    view! {
        <section class="page report-page">
            <div class="page-head">
                <h1>{i18n.t(ReportText::CustomerStatuses)}</h1>
                <div class="actions">
                    <SaveToDashboard query=Signal::derive(move || ReportQuery::Statuses(query.get()))/>
                    <ExportLink file="statuses.xlsx" pairs=Signal::derive(move || query.get().query_pairs())/>
                </div>
            </div>
            <ReportTabs/>
            <Transition fallback=|| ()>
            <div class="card report-filters" data-testid="statuses-filters">
                <RangePresets from to/>
                <div class="filter-grid">
                    <TextField label=i18n.t(ReportText::From) name="from" value=from input_type="date"/>
                    <TextField label=i18n.t(ReportText::To) name="to" value=to input_type="date" error=to_error/>
                    <NarrowingSelects fields=narrowing/>
                </div>
            </div>
            </Transition>
            <ResourceView resource=report children=move |report: StatusReport| {
                let asked = query.get_untracked();
                view! {
                    <p class="muted">{move || fill(ReportText::CustomerStatusesIntro.text(i18n.locale()), &[("days", &report.window_days)])}</p>
                    <StatusMonths report=report.clone() query=asked/>
                }
            }/>
        </section>
    }
}

/// Where the range ends, the months as stacked columns and the table of every figure.
#[component]
fn StatusMonths(report: StatusReport, query: RangeQuery) -> impl IntoView {
    let i18n = use_i18n();
    let Some(&latest) = report.months.last() else {
        return view! { <div class="card"><p class="empty">{i18n.t(ReportText::NoStatusMonths)}</p></div> }
            .into_any();
    };
    let new_customers = report.new_customers();
    let at_end = move || {
        let day = if latest.to_date {
            report.today
        } else {
            crate::reports::cohorts::model::month_days(latest.month).1
        };
        fill(ReportText::StatusAsOf.text(i18n.locale()), &[("day", &day)])
    };
    let fact = {
        let query = query.clone();
        move |status: TimelineStatus, testid: &'static str| {
            view! {
                <div>
                    <dt>{i18n.t(status_label(status))}</dt>
                    <dd><A href=figure_href(&query, latest.month, StatusFigure::In(status))><span data-testid=testid>{latest.in_status(status)}</span></A></dd>
                </div>
            }
        }
    };
    let facts = view! {
        <div class="card">
            <p class="muted" data-testid="statuses-as-of">{at_end}</p>
            <dl class="facts key-facts" data-testid="statuses-figures">
                {fact(TimelineStatus::Active, "active-now")}
                {fact(TimelineStatus::Silent, "silent-now")}
                {fact(TimelineStatus::Former, "former-now")}
                <div>
                    <dt>{i18n.t(ReportText::NewInRange)}</dt>
                    <dd data-testid="new-in-range">{new_customers}</dd>
                </div>
            </dl>
        </div>
    };
    let most =
        report.months.iter().map(|m| m.active + m.silent + m.former).max().unwrap_or(1).max(1)
            as f64;
    let slot = 1000.0 / report.months.len().max(1) as f64;
    let every = if report.months.len() > 12 { 3 } else { 1 };
    let columns = report
        .months
        .iter()
        .enumerate()
        .flat_map(|(n, &month)| {
            let x = n as f64 * slot;
            let query = query.clone();
            let mut below = 0.0;
            STACKED
                .into_iter()
                .map(move |(status, class)| {
                    let count = month.in_status(status);
                    let height = count as f64 / most * 220.0;
                    let y = 220.0 - below - height;
                    below += height;
                    let at = month.month;
                    let label = move || {
                        fill(
                            ReportText::StatusMonthLabel.text(i18n.locale()),
                            &[
                                ("month", &month_label(at, i18n.locale())),
                                ("status", &status_label(status).text(i18n.locale())),
                                ("count", &count),
                            ],
                        )
                    };
                    let href = figure_href(&query, at, StatusFigure::In(status));
                    // A part too thin to tap still gets a strip of the column to be tapped.
                    let (hit_y, hit_height) = (y.min(220.0 - 12.0), height.max(12.0));
                    view! {
                        <g class="chart-bar" data-testid="status-part" data-status=status.as_str() role="listitem">
                            // The link is the only child of its group: `view!` makes an `<a>`
                            // among siblings an HTML anchor, which draws nothing in an SVG.
                            <g>
                                <a href=href aria-label=label>
                                    <rect class="hit" x=x y=hit_y width=slot height=hit_height/>
                                </a>
                            </g>
                            <rect class=class x=x + slot * 0.15 y=y width=slot * 0.7 height=height pointer-events="none"/>
                        </g>
                    }
                })
                .collect::<Vec<_>>()
        })
        .collect_view();
    let ticks = report
        .months
        .iter()
        .enumerate()
        .filter(|(n, _)| n % every == 0)
        .map(|(n, month)| {
            let at = month.month;
            let text = if at.month() == 1 || n == 0 {
                format!("{}-{:02}", at.year(), at.month())
            } else {
                format!("{:02}", at.month())
            };
            view! { <text class="axis" x=n as f64 * slot + slot / 2.0 y="238" text-anchor="middle">{text}</text> }
        })
        .collect_view();
    let rows = report.months.iter().rev().map(|&month| status_row(month, &query)).collect_view();
    let legend = STACKED
        .into_iter()
        .map(|(status, class)| {
            view! { <span class=format!("swatch {class}")></span>{i18n.t(status_label(status))} }
        })
        .collect_view();
    let mut columns_titles = vec![
        Column::new(i18n.t(ReportText::Month)),
        Column::new(i18n.t(ReportText::NewCustomers)).numeric(),
    ];
    for &status in TimelineStatus::ALL {
        columns_titles.push(Column::new(i18n.t(status_label(status))).numeric());
    }
    for &status in TimelineStatus::ALL {
        columns_titles.push(Column::new(i18n.t(turned_label(status))).numeric());
    }
    view! {
        {facts}
        <div class="card chart-card" data-testid="statuses-chart">
            <h2>{i18n.t(ReportText::StatusesByMonth)}</h2>
            <p class="legend">{legend}</p>
            <svg class="sales-chart statuses-chart" viewBox="0 0 1000 245" role="list"
                aria-label=move || i18n.text(ReportText::StatusesByMonth)>
                {columns}
                {ticks}
            </svg>
        </div>
        <div class="card table-wrap">
            <crate::ui::Table columns=columns_titles>
                {rows}
            </crate::ui::Table>
        </div>
    }
    .into_any()
}

/// One month's figures, each opening its customers.
fn status_row(month: StatusMonth, query: &RangeQuery) -> impl IntoView + use<> {
    let i18n = use_i18n();
    let at = month.month;
    let link = |figure: StatusFigure, count: i64| {
        let testid = match figure {
            StatusFigure::New => "new".to_owned(),
            StatusFigure::In(status) => status.as_str().to_owned(),
            StatusFigure::Turned(status) => format!("turned-{}", status.as_str()),
        };
        view! { <td class="num" data-testid=testid><A href=figure_href(query, at, figure)>{count}</A></td> }
    };
    let cells = [StatusFigure::New]
        .into_iter()
        .chain(TimelineStatus::ALL.iter().map(|&s| StatusFigure::In(s)))
        .chain(TimelineStatus::ALL.iter().map(|&s| StatusFigure::Turned(s)))
        .map(|figure| {
            let count = match figure {
                StatusFigure::New => month.new,
                StatusFigure::In(status) => month.in_status(status),
                StatusFigure::Turned(status) => month.turned(status),
            };
            link(figure, count)
        })
        .collect_view();
    view! {
        <tr data-testid="status-month-row" data-month=at.format("%Y-%m").to_string()>
            <th scope="row">
                {move || month_label(at, i18n.locale())}
                {month.to_date.then(|| view! { <span class="muted">" "{i18n.t(ReportText::ToDate)}</span> })}
            </th>
            {cells}
        </tr>
    }
}

/// The customers behind a figure.
#[component]
pub fn StatusCustomersPage() -> impl IntoView {
    let i18n = use_i18n();
    let url = use_query_map();
    let filter = Memo::new(move |_| url.with(|q| StatusFilter::from_query(|key| q.get(key))));
    let customers = PagedList::new(
        move || filter.get(),
        |filter, after: Option<StatusCursor>| list_status_customers(filter, after),
    );
    let back =
        move || format!("/reports/statuses?{}", query_string(&filter.get().query.query_pairs()));
    let heading = move || {
        let filter = filter.get();
        let month = filter.month.map(|m| month_label(m, i18n.locale())).unwrap_or_default();
        fill(
            ReportText::StatusBehind.text(i18n.locale()),
            &[("figure", &figure_label(filter.figure).text(i18n.locale())), ("month", &month)],
        )
    };
    view! {
        <section class="page">
            <div class="page-head">
                <h1 data-testid="status-customers-title">{heading}</h1>
                <div class="actions">
                    <A href=back attr:class="button ghost">{i18n.t(ReportText::BackToReport)}</A>
                </div>
            </div>
            <div class="card table-wrap">
                <PagedTable list=customers testid="status-customers" columns=vec![
                    Column::new(i18n.t(ReportText::Customer)),
                    Column::new(i18n.t(ReportText::Owner)),
                    Column::new(i18n.t(ReportText::Region)),
                    Column::new(i18n.t(ReportText::StatusSince)),
                    Column::new(i18n.t(ReportText::LastOrder)),
                    Column::new(i18n.t(ReportText::Orders)).numeric(),
                    Column::new(i18n.t(ReportText::TheirSpend)).numeric(),
                ] row=move |c: StatusCustomer| view! {
                    <tr data-testid="status-customer">
                        <td><A href=format!("/customers/{}", c.id)>{c.name.clone()}</A></td>
                        <td>{c.owner_name.clone().unwrap_or_else(|| "—".into())}</td>
                        <td>{c.region.clone().unwrap_or_default()}</td>
                        <td>{c.since.to_string()}</td>
                        <td>{c.last_order_at.map(|at| view! { <Timestamp at/> })}</td>
                        <td class="num">{c.order_count}</td>
                        <td class="num">{Money { minor: c.spent_minor, currency: c.currency.clone() }.display()}</td>
                    </tr>
                }/>
            </div>
        </section>
    }
}
