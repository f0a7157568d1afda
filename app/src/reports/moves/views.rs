//! The tier moves report (each month's moves up above the line and down below it, and the
//! paths from tier to tier), and the moves behind any of its figures. Filters live in the
//! address.

use super::{
    api::{get_moves_report, list_customer_moves},
    model::{CustomerMove, Direction, MoveCursor, MovesFilter, MovesReport, TierName},
};
use crate::{
    events::{Topic, use_server_events},
    i18n::{Locale, ReportText, Text, TierText, fill, use_i18n},
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

/// The moves behind a figure.
pub(crate) fn moves_href(filter: &MovesFilter) -> String {
    format!("/reports/tiers/customers?{}", query_string(&filter.query_pairs()))
}

pub(crate) fn tier_label(tier: Option<&TierName>, locale: Locale) -> String {
    match tier {
        Some(tier) => tier.name(locale).to_owned(),
        None => TierText::NoTier.text(locale).to_owned(),
    }
}

/// Moves up less moves down, signed ("0" when even).
pub(crate) fn net(moves: i64) -> String {
    if moves == 0 { "0".into() } else { format!("{moves:+}") }
}

fn direction_label(direction: Direction) -> ReportText {
    match direction {
        Direction::Up => ReportText::MovedUp,
        Direction::Down => ReportText::MovedDown,
    }
}

/// The tier moves report.
#[component]
pub fn MovesReportPage() -> impl IntoView {
    let i18n = use_i18n();
    let url = use_query_map();
    let initial = url.with_untracked(|q| RangeQuery::from_query(|key| q.get(key)));
    let text = |value: Option<String>| RwSignal::new(value.unwrap_or_default());
    let from = text(initial.from.map(|d| d.to_string()));
    let to = text(initial.to.map(|d| d.to_string()));
    let narrowing = NarrowingFields::new(&initial.narrowing);
    let query = dated_query(from, to, narrowing, |get| RangeQuery::from_query(get));
    keep_in_address("/reports/tiers", move || query.get().query_pairs());
    let changes = use_server_events().changes(Topic::Customer);
    let report = Resource::new(move || (query.get(), changes.get()), |(q, _)| get_moves_report(q));
    let to_error = refused_at(report, "to");
    view! {
        <section class="page report-page">
            <div class="page-head">
                <h1>{i18n.t(ReportText::TierMoves)}</h1>
                <div class="actions">
                    <SaveToDashboard query=Signal::derive(move || ReportQuery::Moves(query.get()))/>
                    <ExportLink file="tiers.xlsx" pairs=Signal::derive(move || query.get().query_pairs())/>
                </div>
            </div>
            <ReportTabs/>
            <p class="muted">{i18n.t(ReportText::TierMovesIntro)}</p>
            <Transition fallback=|| ()>
            <div class="card report-filters" data-testid="moves-filters">
                <RangePresets from to/>
                <div class="filter-grid">
                    <TextField label=i18n.t(ReportText::From) name="from" value=from input_type="date"/>
                    <TextField label=i18n.t(ReportText::To) name="to" value=to input_type="date" error=to_error/>
                    <NarrowingSelects fields=narrowing/>
                </div>
            </div>
            </Transition>
            <ResourceView resource=report children=move |report: MovesReport| {
                let asked = query.get_untracked();
                view! {
                    <MovesByMonth report=report.clone() query=asked.clone()/>
                    <MovesByPath report query=asked/>
                }
            }/>
        </section>
    }
}

/// How many moved up and down, and each month as a column up and a column down from the same
/// line (each a link to its moves), above the same figures as a table.
#[component]
fn MovesByMonth(report: MovesReport, query: RangeQuery) -> impl IntoView {
    let i18n = use_i18n();
    let filter = |direction: Option<Direction>, month: Option<NaiveDate>| MovesFilter {
        query: query.clone(),
        direction,
        month,
        ..Default::default()
    };
    let facts = view! {
        <div class="card">
            <dl class="facts key-facts" data-testid="moves-figures">
                <div>
                    <dt>{i18n.t(ReportText::MovedUp)}</dt>
                    <dd><A href=moves_href(&filter(Some(Direction::Up), None))><span data-testid="moved-up">{report.up}</span></A></dd>
                </div>
                <div>
                    <dt>{i18n.t(ReportText::MovedDown)}</dt>
                    <dd><A href=moves_href(&filter(Some(Direction::Down), None))><span data-testid="moved-down">{report.down}</span></A></dd>
                </div>
                <div>
                    <dt>{i18n.t(ReportText::NetMoves)}</dt>
                    <dd>{net(report.up - report.down)}</dd>
                </div>
            </dl>
        </div>
    };
    if report.up + report.down == 0 {
        return view! {
            {facts}
            <div class="card"><p class="empty">{i18n.t(ReportText::NoTierMoves)}</p></div>
        }
        .into_any();
    }
    let most = report.months.iter().map(|m| m.up.max(m.down)).max().unwrap_or(1).max(1) as f64;
    let slot = 1000.0 / report.months.len().max(1) as f64;
    let every = if report.months.len() > 12 { 3 } else { 1 };
    // Up from the middle line (y 120) towards the top, down towards the bottom.
    let half = 110.0;
    let columns = report
        .months
        .iter()
        .enumerate()
        .flat_map(|(n, &month)| {
            let x = n as f64 * slot;
            let at = month.month;
            [(Direction::Up, month.up), (Direction::Down, month.down)].into_iter().map(
                move |(direction, count)| {
                    let height = count as f64 / most * half;
                    let (y, class) = match direction {
                        Direction::Up => (120.0 - height, "bar-up"),
                        Direction::Down => (120.0, "bar-down"),
                    };
                    let hit_y = if direction == Direction::Up { 0.0 } else { 120.0 };
                    let label = move || {
                        fill(
                            ReportText::MovesMonthLabel.text(i18n.locale()),
                            &[
                                ("month", &month_label(at, i18n.locale())),
                                ("direction", &direction_label(direction).text(i18n.locale())),
                                ("count", &count),
                            ],
                        )
                    };
                    let href = moves_href(&filter(Some(direction), Some(at)));
                    view! {
                        <g class="chart-bar" data-testid="moves-month" role="listitem">
                            // The link is the only child of its group: `view!` makes an `<a>`
                            // among siblings an HTML anchor, which draws nothing in an SVG.
                            <g>
                                <a href=href aria-label=label>
                                    <rect class="hit" x=x y=hit_y width=slot height="120"/>
                                </a>
                            </g>
                            <rect class=class x=x + slot * 0.15 y=y width=slot * 0.7 height=height pointer-events="none"/>
                        </g>
                    }
                },
            )
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
            view! { <text class="axis" x=n as f64 * slot + slot / 2.0 y="252" text-anchor="middle">{text}</text> }
        })
        .collect_view();
    let rows = report
        .months
        .iter()
        .filter(|m| m.up + m.down > 0)
        .map(|&month| {
            let at = month.month;
            let link = |direction: Direction, count: i64| {
                view! { <A href=moves_href(&filter(Some(direction), Some(at)))>{count}</A> }
            };
            view! {
                <tr data-testid="moves-month-row">
                    <th scope="row">{move || month_label(at, i18n.locale())}</th>
                    <td class="num">{link(Direction::Up, month.up)}</td>
                    <td class="num">{link(Direction::Down, month.down)}</td>
                    <td class="num">{net(month.up - month.down)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        {facts}
        <div class="card chart-card" data-testid="moves-chart">
            <h2>{i18n.t(ReportText::TierMovesByMonth)}</h2>
            <p class="legend">
                <span class="swatch up"></span>{i18n.t(ReportText::MovedUp)}
                <span class="swatch down"></span>{i18n.t(ReportText::MovedDown)}
            </p>
            <svg class="sales-chart moves-chart" viewBox="0 0 1000 260" role="list"
                aria-label=move || i18n.text(ReportText::TierMovesByMonth)>
                <line class="baseline" x1="0" y1="120" x2="1000" y2="120"/>
                {columns}
                {ticks}
            </svg>
        </div>
        <div class="card table-wrap">
            <crate::ui::Table columns=vec![
                Column::new(i18n.t(ReportText::Month)),
                Column::new(i18n.t(ReportText::MovedUp)).numeric(),
                Column::new(i18n.t(ReportText::MovedDown)).numeric(),
                Column::new(i18n.t(ReportText::NetMoves)).numeric(),
            ]>
                {rows}
            </crate::ui::Table>
        </div>
    }
    .into_any()
}

/// From which tier to which, most moves first, each opening its moves.
#[component]
fn MovesByPath(report: MovesReport, query: RangeQuery) -> impl IntoView {
    let i18n = use_i18n();
    if report.paths.is_empty() {
        return ().into_any();
    }
    let total = (report.up + report.down).max(1);
    let rows = report
        .paths
        .into_iter()
        .map(|path| {
            let href = moves_href(&MovesFilter {
                query: query.clone(),
                from_tier: Some(path.from.id),
                to_tier: Some(path.to.as_ref().map(|t| t.id).unwrap_or(0)),
                ..Default::default()
            });
            let part = path.moves * 100 / total;
            let (from, to) = (path.from.clone(), path.to.clone());
            let direction = path.direction;
            view! {
                <tr data-testid="moves-path-row" class=match direction { Direction::Up => "moved-up", Direction::Down => "moved-down" }>
                    <th scope="row">{move || format!("{} → {}", from.name(i18n.locale()), tier_label(to.as_ref(), i18n.locale()))}</th>
                    <td>{i18n.t(direction_label(direction))}</td>
                    <td class="num"><A href=href>{path.moves}</A></td>
                    <td class="share"><crate::ui::FillBar percent=part/>{format!("{part}%")}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="card table-wrap" data-testid="moves-paths">
            <h2>{i18n.t(ReportText::TierPaths)}</h2>
            <crate::ui::Table columns=vec![
                Column::new(i18n.t(ReportText::TierPath)),
                Column::new(i18n.t(ReportText::Direction)),
                Column::new(i18n.t(ReportText::Moves)).numeric(),
                Column::new(i18n.t(ReportText::ShareOfMoves)),
            ]>
                {rows}
            </crate::ui::Table>
        </div>
    }
    .into_any()
}

/// The moves behind a figure.
#[component]
pub fn CustomerMovesPage() -> impl IntoView {
    let i18n = use_i18n();
    let url = use_query_map();
    let filter = Memo::new(move |_| url.with(|q| MovesFilter::from_query(|key| q.get(key))));
    let moves = PagedList::new(
        move || filter.get(),
        |filter, after: Option<MoveCursor>| list_customer_moves(filter, after),
    );
    let range = Resource::new(move || filter.get().query, get_moves_report);
    let back =
        move || format!("/reports/tiers?{}", query_string(&filter.get().query.query_pairs()));
    view! {
        <section class="page">
            <div class="page-head">
                <h1>{i18n.t(ReportText::MovesBehind)}</h1>
                <div class="actions">
                    <A href=back attr:class="button ghost">{i18n.t(ReportText::BackToReport)}</A>
                </div>
            </div>
            <ResourceView resource=range let:report>
                <p class="muted" data-testid="moves-range">{move || fill(ReportText::MovesIntro.text(i18n.locale()), &[("from", &report.from), ("to", &report.to)])}</p>
            </ResourceView>
            <div class="card table-wrap">
                <PagedTable list=moves testid="customer-moves" columns=vec![
                    Column::new(i18n.t(ReportText::Customer)),
                    Column::new(i18n.t(ReportText::Owner)),
                    Column::new(i18n.t(ReportText::Region)),
                    Column::new(i18n.t(ReportText::TierPath)),
                    Column::new(i18n.t(ReportText::Direction)),
                    Column::new(i18n.t(ReportText::MovedAt)),
                ] row=move |m: CustomerMove| {
                    let (from, to) = (m.from.clone(), m.to.clone());
                    view! {
                        <tr data-testid="customer-move">
                            <td><A href=format!("/customers/{}", m.customer_id)>{m.customer_name.clone()}</A></td>
                            <td>{m.owner_name.clone().unwrap_or_else(|| "—".into())}</td>
                            <td>{m.region.clone().unwrap_or_default()}</td>
                            <td>{move || format!("{} → {}", from.name(i18n.locale()), tier_label(to.as_ref(), i18n.locale()))}</td>
                            <td data-testid="move-direction">{i18n.t(direction_label(m.direction))}</td>
                            <td><Timestamp at=m.at/></td>
                        </tr>
                    }
                }/>
            </div>
        </section>
    }
}
