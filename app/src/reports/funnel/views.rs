//! The funnel report (the steps as a funnel chart above the same figures as a table, and each
//! lead source's funnel and revenue), and the leads behind any of its figures. Filters live in
//! the address.

use super::{
    api::{get_funnel_report, list_funnel_leads},
    model::{
        FunnelCounts, FunnelLead, FunnelLeadCursor, FunnelLeadFilter, FunnelQuery, FunnelReport,
        FunnelStep, SourceFunnel,
    },
};
use crate::{
    events::{Topic, use_server_events},
    i18n::{I18n, ReportText, Text, fill, use_i18n},
    leads::{
        model::LeadSource,
        views::{source_label, status_label},
    },
    money::Money,
    reports::{
        model::{Compared, compact_money, percent_change, query_string},
        saved::{model::ReportQuery, views::SaveToDashboard},
        views::{
            ExportLink, NarrowingFields, NarrowingSelects, RangePresets, ReportTabs, compared_fact,
            dated_query, keep_in_address, refused_at,
        },
    },
    ui::{Column, FillBar, PagedList, PagedTable, ResourceView, SelectField, TextField, Timestamp},
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

pub(crate) fn step_label(step: FunnelStep) -> ReportText {
    match step {
        FunnelStep::Created => ReportText::StepCreated,
        FunnelStep::Contacted => ReportText::StepContacted,
        FunnelStep::Converted => ReportText::StepConverted,
        FunnelStep::Won => ReportText::Won,
        FunnelStep::Disqualified => ReportText::StepDisqualified,
    }
}

/// The leads of `query` that reached `step`.
pub(crate) fn leads_href(query: &FunnelQuery, step: FunnelStep) -> String {
    let filter = FunnelLeadFilter { query: query.clone(), step: Some(step) };
    format!("/reports/funnel/leads?{}", query_string(&filter.query_pairs()))
}

fn source_query(query: &FunnelQuery, source: LeadSource) -> FunnelQuery {
    FunnelQuery { source: Some(source), ..query.clone() }
}

/// The funnel report.
#[component]
pub fn FunnelReportPage() -> impl IntoView {
    let i18n = use_i18n();
    let url = use_query_map();
    let initial = url.with_untracked(|q| FunnelQuery::from_query(|key| q.get(key)));
    let text = |value: Option<String>| RwSignal::new(value.unwrap_or_default());
    let from = text(initial.from.map(|d| d.to_string()));
    let to = text(initial.to.map(|d| d.to_string()));
    let source = text(initial.source.map(|s| s.as_str().to_owned()));
    let narrowing = NarrowingFields::new(&initial.narrowing).comparing(initial.comparison);
    let dated = dated_query(from, to, narrowing, |get| FunnelQuery::from_query(get));
    let query = Memo::new(move |_| FunnelQuery {
        source: LeadSource::parse(&source.get()).ok(),
        ..dated.get()
    });
    keep_in_address("/reports/funnel", move || query.get().query_pairs());
    let lead_changes = use_server_events().changes(Topic::Lead);
    let deal_changes = use_server_events().changes(Topic::Opportunity);
    let report = Resource::new(
        move || (query.get(), lead_changes.get(), deal_changes.get()),
        |(q, _, _)| get_funnel_report(q),
    );
    let to_error = refused_at(report, "to");
    let sources = Signal::derive(move || {
        let mut options = vec![(String::new(), i18n.text(ReportText::AllSources).to_owned())];
        options.extend(
            LeadSource::ALL
                .iter()
                .map(|s| (s.as_str().to_owned(), source_label(*s).text(i18n.locale()).to_owned())),
        );
        options
    });
    view! {
        <section class="page report-page">
            <div class="page-head">
                <h1>{i18n.t(ReportText::Funnel)}</h1>
                <div class="actions">
                    <SaveToDashboard query=Signal::derive(move || ReportQuery::Funnel(query.get()))/>
                    <ExportLink file="funnel.xlsx" pairs=Signal::derive(move || query.get().query_pairs())/>
                </div>
            </div>
            <ReportTabs/>
            <p class="muted">{i18n.t(ReportText::FunnelIntro)}</p>
            <Transition fallback=|| ()>
            <div class="card report-filters" data-testid="funnel-filters">
                <RangePresets from to/>
                <div class="filter-grid">
                    <TextField label=i18n.t(ReportText::From) name="from" value=from input_type="date"/>
                    <TextField label=i18n.t(ReportText::To) name="to" value=to input_type="date" error=to_error/>
                    <NarrowingSelects fields=narrowing/>
                    <SelectField label=i18n.t(ReportText::Source) name="source" value=source options=sources/>
                </div>
            </div>
            </Transition>
            <ResourceView resource=report children=move |report: FunnelReport| {
                let asked = query.get_untracked();
                view! {
                    <FunnelChart counts=report.total compared=report.compared.clone() query=asked.clone()/>
                    <SourceFunnels report query=asked/>
                }
            }/>
        </section>
    }
}

/// The steps as a funnel (each bar opening its leads), the same figures as a table, and the
/// leads set aside beside them.
#[component]
fn FunnelChart(
    counts: FunnelCounts,
    compared: Option<Compared<FunnelCounts>>,
    query: FunnelQuery,
) -> impl IntoView {
    let i18n = use_i18n();
    if counts.created == 0 {
        return view! { <div class="card"><p class="empty" data-testid="funnel-empty">{i18n.t(ReportText::NoLeads)}</p></div> }
            .into_any();
    }
    let row_height = 64.0;
    let widest = 520.0;
    let bars = FunnelStep::STEPS
        .iter()
        .enumerate()
        .map(|(n, &step)| {
            let y = n as f64 * row_height;
            let reached = counts.reached(step);
            let width = (reached as f64 / counts.created as f64 * widest).max(3.0);
            let rate = counts.step_rate(step);
            let days = counts.median_days(step);
            let figures = move || match step {
                FunnelStep::Created => reached.to_string(),
                _ => format!("{reached} · {} · {}", percent(rate), days_text(days, i18n)),
            };
            let label = move || {
                fill(
                    ReportText::StepLabel.text(i18n.locale()),
                    &[
                        ("step", &i18n.text(step_label(step))),
                        ("count", &reached),
                        ("rate", &percent(counts.overall_rate(step))),
                    ],
                )
            };
            view! {
                <g class="chart-bar" data-testid="funnel-step" data-step=step.as_str() role="listitem">
                    <text class="axis" x="0" y=y + 38.0>{i18n.t(step_label(step))}</text>
                    // The link is the only child of its group: `view!` makes an `<a>` among
                    // siblings an HTML anchor, which draws nothing inside an SVG.
                    <g>
                        <a href=leads_href(&query, step) aria-label=label>
                            <rect class="bar-fill" x=480.0 - width / 2.0 y=y + 8.0 width=width height=row_height - 16.0 rx="4"/>
                        </a>
                    </g>
                    <text class="value" x="760" y=y + 38.0>{figures}</text>
                </g>
            }
        })
        .collect_view();
    let height = row_height * FunnelStep::STEPS.len() as f64;
    let rows = FunnelStep::STEPS
        .iter()
        .chain([FunnelStep::Disqualified].iter())
        .map(|&step| {
            let reached = counts.reached(step);
            view! {
                <tr data-testid="funnel-row" data-step=step.as_str()>
                    <th scope="row">{i18n.t(step_label(step))}</th>
                    <td class="num"><A href=leads_href(&query, step)><span data-testid="step-count">{reached}</span></A></td>
                    <td class="num" data-testid="step-rate">{percent(counts.step_rate(step))}</td>
                    <td class="num">{percent(counts.overall_rate(step))}</td>
                    <td class="num">{move || days_text(counts.median_days(step), i18n)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="card">
            <dl class="facts key-facts" data-testid="funnel-figures">
                <div>
                    <dt>{i18n.t(ReportText::LeadToWinRate)}</dt>
                    <dd data-testid="lead-win-rate">{percent(counts.overall_rate(FunnelStep::Won))}</dd>
                </div>
                <div>
                    <dt>{i18n.t(ReportText::MedianLeadToWin)}</dt>
                    <dd>{move || days_text(counts.days_lead_to_win, i18n)}</dd>
                </div>
                <div>
                    <dt>{i18n.t(ReportText::WonAmount)}</dt>
                    <dd>{move || compact_money(counts.won_amount_minor, i18n.locale())}</dd>
                </div>
                <div>
                    <dt>{i18n.t(ReportText::RevenueSinceConverting)}</dt>
                    <dd data-testid="funnel-revenue">{move || compact_money(counts.revenue_minor, i18n.locale())}</dd>
                </div>
                {compared.map(|before| {
                    let days = (before.from, before.to);
                    let was = before.figures;
                    view! {
                        {compared_fact(ReportText::Leads, days, was.created.to_string(),
                            percent_change(counts.created, was.created), "funnel-created-compared")}
                        {compared_fact(ReportText::LeadToWinRate, days, percent(was.overall_rate(FunnelStep::Won)),
                            None, "funnel-win-rate-compared")}
                    }
                })}
            </dl>
        </div>
        <div class="card chart-card" data-testid="funnel-chart">
            <h2>{i18n.t(ReportText::StepByStep)}</h2>
            <svg class="sales-chart rows funnel-chart" viewBox=format!("0 0 1000 {height}") role="list"
                aria-label=move || i18n.text(ReportText::StepByStep)>
                {bars}
            </svg>
        </div>
        <div class="card table-wrap">
            <crate::ui::Table columns=vec![
                Column::new(i18n.t(ReportText::Step)),
                Column::new(i18n.t(ReportText::Leads)).numeric(),
                Column::new(i18n.t(ReportText::StepRate)).numeric(),
                Column::new(i18n.t(ReportText::OfAllLeads)).numeric(),
                Column::new(i18n.t(ReportText::MedianDays)).numeric(),
            ]>
                {rows}
            </crate::ui::Table>
        </div>
    }
    .into_any()
}

/// Each lead source's funnel and what its converted customers bought since, most revenue first.
#[component]
fn SourceFunnels(report: FunnelReport, query: FunnelQuery) -> impl IntoView {
    let i18n = use_i18n();
    if report.sources.is_empty() {
        return ().into_any();
    }
    let most = report.sources.iter().map(|s| s.counts.revenue_minor).max().unwrap_or(0).max(1);
    let rows = report
        .sources
        .into_iter()
        .map(|SourceFunnel { source, counts }| {
            let asked = source_query(&query, source);
            let count = |step: FunnelStep| {
                view! { <A href=leads_href(&asked, step)>{counts.reached(step)}</A> }
            };
            let share = counts.revenue_minor.max(0) * 100 / most;
            view! {
                <tr data-testid="source-row" data-source=source.as_str()>
                    <th scope="row">{i18n.t(source_label(source))}</th>
                    <td class="num">{count(FunnelStep::Created)}</td>
                    <td class="num">{count(FunnelStep::Contacted)}</td>
                    <td class="num">{count(FunnelStep::Converted)}</td>
                    <td class="num">{count(FunnelStep::Won)}</td>
                    <td class="num">{percent(counts.overall_rate(FunnelStep::Won))}</td>
                    <td class="num">{money(counts.won_amount_minor)}</td>
                    <td class="num">{counts.orders}</td>
                    <td class="num" data-testid="source-revenue">{money(counts.revenue_minor)}</td>
                    <td class="share"><FillBar percent=share/></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="card table-wrap" data-testid="source-funnels">
            <h2>{i18n.t(ReportText::BySource)}</h2>
            <p class="muted small">{i18n.t(ReportText::SourceRevenueNote)}</p>
            <crate::ui::Table columns=vec![
                Column::new(i18n.t(ReportText::Source)),
                Column::new(i18n.t(ReportText::StepCreated)).numeric(),
                Column::new(i18n.t(ReportText::StepContacted)).numeric(),
                Column::new(i18n.t(ReportText::StepConverted)).numeric(),
                Column::new(i18n.t(ReportText::Won)).numeric(),
                Column::new(i18n.t(ReportText::LeadToWinRate)).numeric(),
                Column::new(i18n.t(ReportText::WonAmount)).numeric(),
                Column::new(i18n.t(ReportText::OrdersSinceConverting)).numeric(),
                Column::new(i18n.t(ReportText::RevenueSinceConverting)).numeric(),
                Column::new(i18n.t(ReportText::ShareOfTop)),
            ]>
                {rows}
            </crate::ui::Table>
        </div>
    }
    .into_any()
}

/// The leads behind a figure.
#[component]
pub fn FunnelLeadsPage() -> impl IntoView {
    let i18n = use_i18n();
    let url = use_query_map();
    let filter = Memo::new(move |_| url.with(|q| FunnelLeadFilter::from_query(|key| q.get(key))));
    let leads = PagedList::new(
        move || filter.get(),
        |filter, after: Option<FunnelLeadCursor>| list_funnel_leads(filter, after),
    );
    let range = Resource::new(move || filter.get().query, get_funnel_report);
    let back =
        move || format!("/reports/funnel?{}", query_string(&filter.get().query.query_pairs()));
    let step = move || filter.get().step.map(|step| i18n.text(step_label(step)).to_owned());
    let source =
        move || filter.get().query.source.map(|source| i18n.text(source_label(source)).to_owned());
    view! {
        <section class="page">
            <div class="page-head">
                <h1>{i18n.t(ReportText::LeadsBehind)}</h1>
                <div class="actions">
                    <A href=back attr:class="button ghost">{i18n.t(ReportText::BackToReport)}</A>
                </div>
            </div>
            <ResourceView resource=range let:report>
                <p class="muted" data-testid="leads-range">
                    {move || fill(ReportText::LeadsIntro.text(i18n.locale()), &[("from", &report.from), ("to", &report.to)])}
                    " " {move || [step(), source()].into_iter().flatten().collect::<Vec<_>>().join(" · ")}
                </p>
            </ResourceView>
            <div class="card table-wrap">
                <PagedTable list=leads testid="funnel-leads" columns=vec![
                    Column::new(i18n.t(ReportText::Lead)),
                    Column::new(i18n.t(ReportText::Source)),
                    Column::new(i18n.t(ReportText::Owner)),
                    Column::new(i18n.t(ReportText::Status)),
                    Column::new(i18n.t(ReportText::CreatedAt)),
                    Column::new(i18n.t(ReportText::FirstContact)),
                    Column::new(i18n.t(ReportText::Deal)),
                    Column::new(i18n.t(ReportText::Amount)).numeric(),
                ] row=move |lead: FunnelLead| {
                    let deal = lead.opportunity_id.map(|id| {
                        let kind = match lead.deal_kind.as_deref() {
                            Some("won") => ReportText::Won,
                            Some("lost") => ReportText::Lost,
                            _ => ReportText::OpenDeal,
                        };
                        view! {
                            <A href=format!("/opportunities/{id}")>{lead.opportunity_title.clone().unwrap_or_default()}</A>
                            " · " <span data-testid="lead-deal-kind">{i18n.t(kind)}</span>
                        }
                    });
                    let amount = lead.amount_minor.zip(lead.currency.clone())
                        .map(|(minor, currency)| Money { minor, currency }.display());
                    view! {
                        <tr data-testid="funnel-lead">
                            <td><A href=format!("/leads/{}", lead.id)>{lead.name.clone()}</A>
                                {lead.company.clone().map(|c| view! { <span class="muted small">" · " {c}</span> })}</td>
                            <td data-testid="lead-source">{i18n.t(source_label(lead.source))}</td>
                            <td>{lead.owner_name.clone().unwrap_or_else(|| "—".into())}</td>
                            <td data-testid="lead-status">{i18n.t(status_label(lead.status))}</td>
                            <td><Timestamp at=lead.created_at/></td>
                            <td>{lead.first_contacted_at.map(|at| view! { <Timestamp at/> })}</td>
                            <td>{deal}</td>
                            <td class="num">{amount}</td>
                        </tr>
                    }
                }/>
            </div>
        </section>
    }
}
