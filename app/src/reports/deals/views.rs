//! The win/loss report (figures, each rep's record as stacked won/lost bars, lost reasons), and
//! the closed deals behind any of its figures. Filters live in the address.

use super::{
    api::{get_deal_report, list_closed_deals},
    model::{
        ClosedDeal, DealCursor, DealFilter, DealQuery, DealReport, Outcome, RepRecord, WinLoss,
    },
};
use crate::{
    events::{Topic, use_server_events},
    i18n::{I18n, ReportText, Text, fill, use_i18n},
    money::Money,
    reports::{
        model::{Narrowing, compact_money, percent_change, query_string},
        saved::{model::ReportQuery, views::SaveToDashboard},
        views::{
            ExportLink, NarrowingFields, NarrowingSelects, RangePresets, ReasonsTable, ReportTabs,
            compared_fact, dated_query, keep_in_address, refused_at,
        },
    },
    ui::{Column, FillBar, PagedList, PagedTable, ResourceView, TextField, Timestamp},
};
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_query_map};

fn money(minor: i64) -> String {
    Money { minor, currency: "CNY".into() }.display()
}

fn percent(value: Option<f64>) -> String {
    value.map(|p| format!("{p:.1}%")).unwrap_or_else(|| "—".into())
}

fn days_text(days: Option<f64>, i18n: I18n) -> String {
    match days {
        Some(days) => fill(i18n.text(ReportText::Days), &[("days", &format!("{days:.1}"))]),
        None => "—".into(),
    }
}

/// The deals behind a figure: the report's query narrowed to an outcome, a rep or a reason.
pub(crate) fn deals_href(filter: &DealFilter) -> String {
    format!("/reports/deals/list?{}", query_string(&filter.query_pairs()))
}

fn rep_filter(query: &DealQuery, rep: &RepRecord, outcome: Outcome) -> DealFilter {
    let narrowing = Narrowing { owner: Some(rep.owner.unwrap_or(0)), ..query.narrowing.clone() };
    DealFilter {
        query: DealQuery { narrowing, ..query.clone() },
        outcome: Some(outcome),
        reason: None,
    }
}

/// The win/loss report.
#[component]
pub fn DealReportPage() -> impl IntoView {
    let i18n = use_i18n();
    let url = use_query_map();
    let initial = url.with_untracked(|q| DealQuery::from_query(|key| q.get(key)));
    let text = |value: Option<String>| RwSignal::new(value.unwrap_or_default());
    let from = text(initial.from.map(|d| d.to_string()));
    let to = text(initial.to.map(|d| d.to_string()));
    let narrowing = NarrowingFields::with_tier(&initial.narrowing).comparing(initial.comparison);
    let query = dated_query(from, to, narrowing, |get| DealQuery::from_query(get));
    keep_in_address("/reports/deals", move || query.get().query_pairs());
    let changes = use_server_events().changes(Topic::Opportunity);
    let report = Resource::new(move || (query.get(), changes.get()), |(q, _)| get_deal_report(q));
    let to_error = refused_at(report, "to");
    view! {
        <section class="page report-page">
            <div class="page-head">
                <h1>{i18n.t(ReportText::WinLoss)}</h1>
                <div class="actions">
                    <SaveToDashboard query=Signal::derive(move || ReportQuery::Deals(query.get()))/>
                    <ExportLink file="deals.xlsx" pairs=Signal::derive(move || query.get().query_pairs())/>
                </div>
            </div>
            <ReportTabs/>
            <p class="muted">{i18n.t(ReportText::WinLossIntro)}</p>
            <Transition fallback=|| ()>
            <div class="card report-filters" data-testid="deal-filters">
                <RangePresets from to/>
                <div class="filter-grid">
                    <TextField label=i18n.t(ReportText::From) name="from" value=from input_type="date"/>
                    <TextField label=i18n.t(ReportText::To) name="to" value=to input_type="date" error=to_error/>
                    <NarrowingSelects fields=narrowing/>
                </div>
            </div>
            </Transition>
            <ResourceView resource=report children=move |report: DealReport| {
                let asked = query.get_untracked();
                view! {
                    <DealFiguresCard report=report.clone() query=asked.clone()/>
                    <RepRecords report=report.clone() query=asked.clone()/>
                    <LostReasons report query=asked/>
                }
            }/>
        </section>
    }
}

/// Won and lost, the win rates and the days each took.
#[component]
fn DealFiguresCard(report: DealReport, query: DealQuery) -> impl IntoView {
    let i18n = use_i18n();
    let WinLoss { won, lost } = report.total;
    let rate = report.total.win_rate();
    let outcome_href = move |outcome: Outcome| {
        deals_href(&DealFilter { query: query.clone(), outcome: Some(outcome), reason: None })
    };
    view! {
        <div class="card">
            <dl class="facts key-facts" data-testid="deal-figures">
                <div>
                    <dt>{i18n.t(ReportText::Won)}</dt>
                    <dd><A href=outcome_href(Outcome::Won)><span data-testid="deals-won">{won.count}</span></A>
                        " · " {move || compact_money(won.amount_minor, i18n.locale())}</dd>
                </div>
                <div>
                    <dt>{i18n.t(ReportText::Lost)}</dt>
                    <dd><A href=outcome_href(Outcome::Lost)><span data-testid="deals-lost">{lost.count}</span></A>
                        " · " {move || compact_money(lost.amount_minor, i18n.locale())}</dd>
                </div>
                <div>
                    <dt>{i18n.t(ReportText::WinRate)}</dt>
                    <dd data-testid="win-rate">{percent(rate)}</dd>
                    {rate.map(|p| view! { <FillBar percent=p.round() as i64/> })}
                </div>
                <div>
                    <dt>{i18n.t(ReportText::AmountWinRate)}</dt>
                    <dd>{percent(report.total.amount_win_rate())}</dd>
                </div>
                <div>
                    <dt>{i18n.t(ReportText::MedianDaysWon)}</dt>
                    <dd>{move || days_text(won.median_days, i18n)}</dd>
                </div>
                <div>
                    <dt>{i18n.t(ReportText::MedianDaysLost)}</dt>
                    <dd>{move || days_text(lost.median_days, i18n)}</dd>
                </div>
                {report.compared.map(|before| {
                    let days = (before.from, before.to);
                    let (was_won, was_lost) = (before.figures.won, before.figures.lost);
                    view! {
                        {compared_fact(ReportText::Won, days,
                            format!("{} · {}", was_won.count, money(was_won.amount_minor)),
                            percent_change(won.count, was_won.count), "deals-won-compared")}
                        {compared_fact(ReportText::Lost, days,
                            format!("{} · {}", was_lost.count, money(was_lost.amount_minor)),
                            percent_change(lost.count, was_lost.count), "deals-lost-compared")}
                    }
                })}
            </dl>
        </div>
    }
}

/// Each rep's deals as one bar, won and lost stacked (each part opening its deals), above the
/// same figures as a table for screen readers and exact amounts.
#[component]
fn RepRecords(report: DealReport, query: DealQuery) -> impl IntoView {
    let i18n = use_i18n();
    if report.reps.is_empty() {
        return view! { <div class="card"><p class="empty">{i18n.t(ReportText::NoDeals)}</p></div> }
            .into_any();
    }
    let most = report
        .reps
        .iter()
        .map(|rep| rep.record.won.count + rep.record.lost.count)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let row_height = 40.0;
    let name = move |rep: &RepRecord| {
        rep.name.clone().unwrap_or_else(|| ReportText::NoOwner.text(i18n.locale()).to_owned())
    };
    let bars = report
        .reps
        .iter()
        .enumerate()
        .map(|(n, rep)| {
            let y = n as f64 * row_height;
            let won = rep.record.won.count as f64 / most * 560.0;
            let lost = rep.record.lost.count as f64 / most * 560.0;
            let label_rep = rep.clone();
            let label = move || {
                fill(
                    ReportText::RecordLabel.text(i18n.locale()),
                    &[
                        ("name", &name(&label_rep)),
                        ("won", &label_rep.record.won.count),
                        ("lost", &label_rep.record.lost.count),
                    ],
                )
            };
            let rep_name = rep.clone();
            let (won_count, lost_count) = (rep.record.won.count, rep.record.lost.count);
            view! {
                <g class="chart-bar" data-testid="record-bar" role="listitem" aria-label=label>
                    <text class="axis" x="0" y=y + 25.0>{move || name(&rep_name)}</text>
                    // Each link is the only child of its group: `view!` makes an `<a>` among
                    // siblings an HTML anchor, which draws nothing inside an SVG.
                    <g>
                        <a href=deals_href(&rep_filter(&query, rep, Outcome::Won)) data-testid="record-won"
                            aria-label=move || format!("{} {won_count}", i18n.text(ReportText::Won))>
                            <rect class="bar-won" x="240" y=y + 8.0 width=won height=row_height - 16.0/>
                        </a>
                    </g>
                    <g>
                        <a href=deals_href(&rep_filter(&query, rep, Outcome::Lost)) data-testid="record-lost"
                            aria-label=move || format!("{} {lost_count}", i18n.text(ReportText::Lost))>
                            <rect class="bar-lost" x=240.0 + won y=y + 8.0 width=lost height=row_height - 16.0/>
                        </a>
                    </g>
                    <text class="axis" x=248.0 + won + lost y=y + 25.0>
                        {format!("{won_count} / {lost_count}")}
                    </text>
                </g>
            }
        })
        .collect_view();
    let height = row_height * report.reps.len() as f64;
    let rows = report
        .reps
        .iter()
        .map(|rep| {
            let rep_name = rep.clone();
            let record = rep.record;
            view! {
                <tr data-testid="record-row">
                    <th scope="row">{move || name(&rep_name)}</th>
                    <td class="num"><A href=deals_href(&rep_filter(&query, rep, Outcome::Won))>{record.won.count}</A></td>
                    <td class="num"><A href=deals_href(&rep_filter(&query, rep, Outcome::Lost))>{record.lost.count}</A></td>
                    <td class="num">{percent(record.win_rate())}</td>
                    <td class="num">{money(record.won.amount_minor)}</td>
                    <td class="num">{money(record.lost.amount_minor)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="card chart-card" data-testid="record-chart">
            <h2>{i18n.t(ReportText::RepRecords)}</h2>
            <p class="legend small">
                <span class="swatch won"></span>{i18n.t(ReportText::Won)}
                <span class="swatch lost"></span>{i18n.t(ReportText::Lost)}
            </p>
            <svg class="sales-chart rows deal-chart" viewBox=format!("0 0 1000 {height}") role="list"
                aria-label=move || i18n.text(ReportText::RepRecords)>
                {bars}
            </svg>
        </div>
        <div class="card table-wrap">
            <crate::ui::Table columns=vec![
                Column::new(i18n.t(ReportText::Owner)),
                Column::new(i18n.t(ReportText::Won)).numeric(),
                Column::new(i18n.t(ReportText::Lost)).numeric(),
                Column::new(i18n.t(ReportText::WinRate)).numeric(),
                Column::new(fill_amount(i18n, ReportText::Won)).numeric(),
                Column::new(fill_amount(i18n, ReportText::Lost)).numeric(),
            ]>
                {rows}
            </crate::ui::Table>
        </div>
    }
    .into_any()
}

/// "Won amount" and the like: an outcome's name beside the amount's.
fn fill_amount(i18n: I18n, outcome: ReportText) -> impl Fn() -> String + Send + Sync + 'static {
    move || format!("{} {}", i18n.text(outcome), i18n.text(ReportText::Amount))
}

/// Why lost deals were lost, most frequent first, each opening its deals.
#[component]
fn LostReasons(report: DealReport, query: DealQuery) -> impl IntoView {
    let lost = report.total.lost.count;
    if lost == 0 {
        return ().into_any();
    }
    let href = Callback::new(move |reason: String| {
        deals_href(&DealFilter {
            query: query.clone(),
            outcome: Some(Outcome::Lost),
            reason: Some(reason),
        })
    });
    view! {
        <ReasonsTable reasons=report.reasons total=lost href
            title=ReportText::LostReasons counted=ReportText::Lost
            amount=ReportText::Amount share=ReportText::ShareOfLost
            testid="lost-reasons" row_testid="reason-row"/>
    }
    .into_any()
}

/// The closed deals behind a figure.
#[component]
pub fn ClosedDealsPage() -> impl IntoView {
    let i18n = use_i18n();
    let url = use_query_map();
    let filter = Memo::new(move |_| url.with(|q| DealFilter::from_query(|key| q.get(key))));
    let deals = PagedList::new(
        move || filter.get(),
        |filter, after: Option<DealCursor>| list_closed_deals(filter, after),
    );
    let range = Resource::new(move || filter.get().query, get_deal_report);
    let back =
        move || format!("/reports/deals?{}", query_string(&filter.get().query.query_pairs()));
    view! {
        <section class="page">
            <div class="page-head">
                <h1>{i18n.t(ReportText::DealsBehind)}</h1>
                <div class="actions">
                    <A href=back attr:class="button ghost">{i18n.t(ReportText::BackToReport)}</A>
                </div>
            </div>
            <ResourceView resource=range let:report>
                <p class="muted" data-testid="deals-range">{move || fill(ReportText::DealsIntro.text(i18n.locale()), &[("from", &report.from), ("to", &report.to)])}</p>
            </ResourceView>
            <div class="card table-wrap">
                <PagedTable list=deals testid="closed-deals" columns=vec![
                    Column::new(i18n.t(ReportText::Deal)),
                    Column::new(i18n.t(ReportText::Customer)),
                    Column::new(i18n.t(ReportText::Owner)),
                    Column::new(i18n.t(ReportText::Outcome)),
                    Column::new(i18n.t(ReportText::Reason)),
                    Column::new(i18n.t(ReportText::ClosedAt)),
                    Column::new(i18n.t(ReportText::DaysOpen)).numeric(),
                    Column::new(i18n.t(ReportText::Amount)).numeric(),
                ] row=move |d: ClosedDeal| {
                    let outcome = match d.outcome { Outcome::Won => ReportText::Won, Outcome::Lost => ReportText::Lost };
                    let days = (d.closed_at - d.created_at).num_hours() as f64 / 24.0;
                    view! {
                        <tr data-testid="closed-deal">
                            <td><A href=format!("/opportunities/{}", d.id)>{d.title.clone()}</A></td>
                            <td><A href=format!("/customers/{}", d.customer_id)>{d.customer_name.clone()}</A></td>
                            <td data-testid="deal-owner">{d.owner_name.clone().unwrap_or_else(|| "—".into())}</td>
                            <td data-testid="deal-outcome">{i18n.t(outcome)}</td>
                            <td>{d.lost_reason.clone().unwrap_or_default()}</td>
                            <td><Timestamp at=d.closed_at/></td>
                            <td class="num">{move || days_text(Some(days), i18n)}</td>
                            <td class="num" data-testid="deal-amount">{Money { minor: d.amount_minor, currency: d.currency.clone() }.display()}</td>
                        </tr>
                    }
                }/>
            </div>
        </section>
    }
}
