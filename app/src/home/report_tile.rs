//! A saved report's tile: its headline figures and a small chart or its largest bars, each bar
//! opening the orders, deals, leads or customers behind it, and its heading opening the full
//! report with the same question.

use crate::{
    home::model::TileId,
    i18n::{DashboardText, I18n, ReportText, Text, fill, use_i18n},
    reports::{
        churn::{
            model::{ChurnFilter, ChurnReport},
            views::customers_href,
        },
        cohorts::model::CohortReport,
        deals::{
            model::{DealFilter, DealQuery, DealReport, Outcome},
            views::deals_href,
        },
        funnel::{
            model::{FunnelQuery, FunnelReport, FunnelStep},
            views::{leads_href, step_label},
        },
        model::{RangeQuery, SalesReport, compact_money},
        moves::{
            model::{Direction, MovesFilter, MovesReport},
            views::{moves_href, net},
        },
        saved::{
            api::get_report_tile,
            model::{ReportFigures, ReportQuery, ReportTile},
            views::{dates_label, range_text},
        },
        statuses::{
            model::{StatusFigure, StatusReport, TimelineStatus},
            views::{figure_href, status_label},
        },
        views::{bar_label, orders_href},
    },
    ui::{FillBar, ResourceView},
};
use leptos::prelude::*;
use leptos_router::components::A;

/// Bars a category report's tile lists (the largest).
const TILE_BARS: usize = 5;
/// Months after the first order a cohort tile reports retention for, where reached.
const RETENTION_MONTHS: [usize; 4] = [1, 3, 6, 12];

#[component]
pub fn ReportTileCard(id: i64) -> impl IntoView {
    let i18n = use_i18n();
    let tile = Resource::new(move || id, get_report_tile);
    view! {
        <article class="card tile report-tile" data-testid=format!("tile-{}", TileId::Report(id).key())>
            <ResourceView resource=tile children=move |tile: ReportTile| {
                let kind = tile.saved.report;
                let (from, to) = range_text(kind, tile.figures.range());
                let rolling = dates_label(tile.saved.dates);
                view! {
                    <h2 class="tile-title"><A href=tile.query.href()>{tile.saved.title.clone()}</A></h2>
                    <p class="muted small" data-testid="tile-report-range">
                        {format!("{from} – {to}")}
                        {rolling.map(|label| view! { " · " {i18n.t(label)} })}
                    </p>
                    {match (tile.figures, tile.query) {
                        (ReportFigures::Sales(report), _) => sales_body(report, i18n),
                        (ReportFigures::Cohorts(report), _) => cohorts_body(report, i18n),
                        (ReportFigures::Deals(report), ReportQuery::Deals(query)) => deals_body(report, query, i18n),
                        (ReportFigures::Funnel(report), ReportQuery::Funnel(query)) => funnel_body(report, query, i18n),
                        (ReportFigures::Churn(report), ReportQuery::Churn(query)) => churn_body(report, query, i18n),
                        (ReportFigures::Moves(report), ReportQuery::Moves(query)) => moves_body(report, query, i18n),
                        (ReportFigures::Statuses(report), ReportQuery::Statuses(query)) => statuses_body(report, query, i18n),
                        // The service reads each question into its own report's figures.
                        _ => ().into_any(),
                    }}
                }
            }/>
        </article>
    }
}

fn sales_body(report: SalesReport, i18n: I18n) -> AnyView {
    let total = report.total;
    let compared = report.compared_total;
    let compared_range = report.compared_range;
    let change = compared.and_then(|before| total.change_percent(before));
    view! {
        <p class="tile-figure" data-testid="tile-report-revenue">{move || compact_money(total.revenue_minor, i18n.locale())}</p>
        <p class="muted">{move || fill(i18n.text(DashboardText::Orders), &[("count", &total.orders)])}</p>
        {compared_range.map(|(from, to)| view! {
            <p class="small">
                {move || fill(ReportText::ComparedWith.text(i18n.locale()), &[("from", &from), ("to", &to)])}": "
                {match change {
                    Some(p) => view! { <span class:up={p >= 0.0} class:down={p < 0.0}>{format!("{p:+.1}%")}</span> }.into_any(),
                    None => view! { <span class="muted">{i18n.t(DashboardText::NoComparison)}</span> }.into_any(),
                }}
            </p>
        })}
        {if report.grouping.is_period() { trend(&report, i18n) } else { largest_bars(&report, i18n) }}
    }
    .into_any()
}

/// The periods as small columns: the shape of the range at a glance (the full report has the
/// axis, the links and the table).
fn trend(report: &SalesReport, i18n: I18n) -> AnyView {
    let bars = &report.bars;
    if bars.iter().all(|bar| bar.figures.revenue_minor <= 0) {
        return view! { <p class="muted">{i18n.t(ReportText::NoSales)}</p> }.into_any();
    }
    let max = bars.iter().map(|bar| bar.figures.revenue_minor).max().unwrap_or(1).max(1);
    let slot = 300.0 / bars.len() as f64;
    let columns = bars
        .iter()
        .enumerate()
        .map(|(n, bar)| {
            let height = bar.figures.revenue_minor.max(0) as f64 / max as f64 * 48.0;
            view! {
                <rect class="bar-fill" x=n as f64 * slot + slot * 0.1 y=50.0 - height
                    width=slot * 0.8 height=height/>
            }
        })
        .collect_view();
    let (from, to, count) = (report.from, report.to, bars.len());
    let label = move || {
        fill(
            DashboardText::SalesTrend.text(i18n.locale()),
            &[
                ("from", &from),
                ("to", &to),
                ("count", &count),
                ("max", &compact_money(max, i18n.locale())),
            ],
        )
    };
    view! {
        <svg class="tile-trend" viewBox="0 0 300 50" preserveAspectRatio="none" role="img"
            aria-label=label data-testid="tile-report-trend">
            {columns}
        </svg>
    }
    .into_any()
}

/// The largest categories, each opening its orders.
fn largest_bars(report: &SalesReport, i18n: I18n) -> AnyView {
    let mut bars = report.bars.clone();
    bars.sort_by_key(|bar| std::cmp::Reverse(bar.figures.revenue_minor));
    bars.truncate(TILE_BARS);
    if bars.is_empty() {
        return view! { <p class="muted">{i18n.t(ReportText::NoSales)}</p> }.into_any();
    }
    let largest = bars.iter().map(|bar| bar.figures.revenue_minor).max().unwrap_or(1).max(1);
    let grouping = report.grouping;
    view! {
        <ul class="tile-bars">
            {bars.into_iter().map(|bar| {
                let percent = bar.figures.revenue_minor.max(0) * 100 / largest;
                let revenue = bar.figures.revenue_minor;
                let key = bar.key.clone();
                view! {
                    <li data-testid="tile-bar">
                        <A href=orders_href(&bar.drill)>
                            <span class="tile-bar-name">{move || bar_label(&key, grouping, i18n.locale())}</span>
                            <FillBar percent/>
                            <span class="tile-bar-value">{move || compact_money(revenue, i18n.locale())}</span>
                        </A>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

fn cohorts_body(report: CohortReport, i18n: I18n) -> AnyView {
    let customers = report.customers();
    let shares: Vec<(usize, f64)> = RETENTION_MONTHS
        .iter()
        .filter_map(|months| Some((*months, report.overall_percent(*months)?)))
        .collect();
    view! {
        <p class="tile-figure" data-testid="tile-report-customers">{customers}</p>
        <p class="muted">{move || fill(i18n.text(DashboardText::CohortSize), &[("count", &customers)])}</p>
        <dl class="tile-figures">
            {shares.into_iter().map(|(months, percent)| view! {
                <div data-testid=format!("tile-retention-{months}")>
                    <dt>{move || fill(i18n.text(DashboardText::RetentionAfter), &[("months", &months)])}</dt>
                    <dd>{format!("{percent:.1}%")}</dd>
                </div>
            }).collect_view()}
        </dl>
    }
    .into_any()
}

/// A bar of a tile's list: a name, a share of the largest, a value, opening what is behind it.
fn tile_bar(
    href: String,
    name: impl Fn() -> String + Send + Sync + 'static,
    percent: i64,
    value: impl Fn() -> String + Send + Sync + 'static,
) -> impl IntoView {
    view! {
        <li data-testid="tile-bar">
            <A href=href>
                <span class="tile-bar-name">{name}</span>
                <FillBar percent/>
                <span class="tile-bar-value">{value}</span>
            </A>
        </li>
    }
}

/// The win rate, won against lost (each opening its deals), and the amount won.
fn deals_body(report: DealReport, query: DealQuery, i18n: I18n) -> AnyView {
    let total = report.total;
    let rate = total.win_rate();
    let outcome = |outcome: Outcome| {
        deals_href(&DealFilter { query: query.clone(), outcome: Some(outcome), reason: None })
    };
    let closed = (total.won.count + total.lost.count).max(1);
    view! {
        <p class="tile-figure" data-testid="tile-report-win-rate">
            {rate.map(|p| format!("{p:.1}%")).unwrap_or_else(|| "—".into())}
        </p>
        <p class="muted">{i18n.t(ReportText::WinRate)}</p>
        <ul class="tile-bars">
            {tile_bar(outcome(Outcome::Won), move || i18n.text(ReportText::Won).to_owned(),
                total.won.count * 100 / closed, move || format!("{} · {}", total.won.count, compact_money(total.won.amount_minor, i18n.locale())))}
            {tile_bar(outcome(Outcome::Lost), move || i18n.text(ReportText::Lost).to_owned(),
                total.lost.count * 100 / closed, move || format!("{} · {}", total.lost.count, compact_money(total.lost.amount_minor, i18n.locale())))}
        </ul>
    }
    .into_any()
}

/// The leads created, and how many reached each later step (each opening its leads).
fn funnel_body(report: FunnelReport, query: FunnelQuery, i18n: I18n) -> AnyView {
    let total = report.total;
    let created = total.created.max(1);
    view! {
        <p class="tile-figure" data-testid="tile-report-leads">{total.created}</p>
        <p class="muted">{i18n.t(ReportText::StepCreated)}</p>
        <ul class="tile-bars">
            {FunnelStep::STEPS[1..].iter().map(|&step| {
                let reached = total.reached(step);
                let rate = total.overall_rate(step);
                tile_bar(leads_href(&query, step), move || i18n.text(step_label(step)).to_owned(),
                    reached * 100 / created,
                    move || format!("{reached} · {}", rate.map(|p| format!("{p:.1}%")).unwrap_or_default()))
            }).collect_view()}
        </ul>
    }
    .into_any()
}

/// The customers lost, what they had spent, and the most frequent reasons (each opening its
/// customers).
fn churn_body(report: ChurnReport, query: RangeQuery, i18n: I18n) -> AnyView {
    let (customers, spent) = (report.customers, report.spent_minor);
    let most = report.reasons.first().map(|r| r.count).unwrap_or(1).max(1);
    view! {
        <p class="tile-figure" data-testid="tile-report-churned">{customers}</p>
        <p class="muted">{move || format!("{} · {} {}", i18n.text(ReportText::ChurnedCustomers),
            i18n.text(ReportText::TheirSpend), compact_money(spent, i18n.locale()))}</p>
        <ul class="tile-bars">
            {report.reasons.into_iter().filter_map(|reason| {
                // The summed "other reasons" row has nothing single behind it.
                let written = reason.reason?;
                let filter = ChurnFilter { query: query.clone(), reason: Some(written.clone()), month: None };
                let count = reason.count;
                Some(tile_bar(customers_href(&filter),
                    move || if written.is_empty() { i18n.text(ReportText::NoReason).to_owned() } else { written.clone() },
                    count * 100 / most, move || count.to_string()))
            }).take(TILE_BARS).collect_view()}
        </ul>
    }
    .into_any()
}

/// The customers active where the range ends, with active, silent and former as bars opening
/// their customers, and the new customers of the range.
fn statuses_body(report: StatusReport, query: RangeQuery, i18n: I18n) -> AnyView {
    let new_customers = report.new_customers();
    let Some(latest) = report.months.last().copied() else {
        return view! { <p class="muted">{i18n.t(ReportText::NoStatusMonths)}</p> }.into_any();
    };
    let most = TimelineStatus::ALL.iter().map(|s| latest.in_status(*s)).max().unwrap_or(1).max(1);
    view! {
        <p class="tile-figure" data-testid="tile-report-active">{latest.active}</p>
        <p class="muted">{move || format!("{} · {} {new_customers}", i18n.text(ReportText::ActiveCustomers),
            i18n.text(ReportText::NewInRange))}</p>
        <ul class="tile-bars">
            {TimelineStatus::ALL.iter().map(|&status| {
                let count = latest.in_status(status);
                tile_bar(figure_href(&query, latest.month, StatusFigure::In(status)),
                    move || i18n.text(status_label(status)).to_owned(),
                    count * 100 / most, move || count.to_string())
            }).collect_view()}
        </ul>
    }
    .into_any()
}

/// The net of moves up less moves down, with each direction as a bar opening its moves.
fn moves_body(report: MovesReport, query: RangeQuery, i18n: I18n) -> AnyView {
    let (up, down) = (report.up, report.down);
    let most = up.max(down).max(1);
    let href = |direction: Direction| {
        moves_href(&MovesFilter {
            query: query.clone(),
            direction: Some(direction),
            ..Default::default()
        })
    };
    view! {
        <p class="tile-figure" data-testid="tile-report-net-moves">{net(up - down)}</p>
        <p class="muted">{i18n.t(ReportText::NetMoves)}</p>
        <ul class="tile-bars">
            {tile_bar(href(Direction::Up), move || i18n.text(ReportText::MovedUp).to_owned(), up * 100 / most, move || up.to_string())}
            {tile_bar(href(Direction::Down), move || i18n.text(ReportText::MovedDown).to_owned(), down * 100 / most, move || down.to_string())}
        </ul>
    }
    .into_any()
}
