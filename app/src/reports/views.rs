//! The reports pages: the sales report (filters in the address, so it is bookmarked, refreshed
//! and opened directly as it was), and the orders behind any of its figures.

use super::{
    api::{get_report_choices, get_sales_report, list_report_orders},
    model::{
        BarKey, Comparison, Grouping, LostReason, Narrowing, OrderCursor, ReportOrder, SalesBar,
        SalesFilter, SalesQuery, SalesReport, compact_money, query_string,
    },
    saved::{
        model::{ReportQuery, SavedDates},
        views::{SaveToDashboard, dates_label},
    },
};
use crate::{
    events::{Topic, use_server_events},
    i18n::{I18n, Locale, ReportText, Text, TierText, field_error_text, fill, use_i18n},
    money::Money,
    orders::{model::Channel, views::channel_label},
    ui::{
        Column, FillBar, PagedList, PagedTable, ResourceView, SelectField, TextField, Timestamp,
        company_zone, local_date,
    },
};
use chrono::{Datelike, Utc};
use leptos::prelude::*;
use leptos_router::{
    NavigateOptions,
    components::A,
    hooks::{use_navigate, use_query_map},
};

/// Where the select of regions puts "no region" (an empty value means "all").
const NO_REGION: &str = "~";

fn money(minor: i64) -> String {
    Money { minor, currency: "CNY".into() }.display()
}

pub(crate) fn orders_href(filter: &SalesFilter) -> String {
    format!("/reports/orders?{}", query_string(&filter.query_pairs()))
}

/// A report of another area shown among the reports' tabs (the service quality report; the
/// market section once campaigns exist), for users with `role` or above.
#[derive(Clone, Copy)]
pub struct ReportSection {
    pub path: &'static str,
    pub label: fn(Locale) -> &'static str,
    pub role: crate::auth::model::Role,
}

/// The other areas' reports, provided at the root (`composed::REPORT_SECTIONS`), so an area
/// plugs its report into this one without this area naming it.
#[derive(Clone, Copy)]
pub struct ReportSections(pub &'static [ReportSection]);

/// The reports area's own links, then the other areas' reports the user may open, above each
/// of its pages.
#[component]
pub(crate) fn ReportTabs() -> impl IntoView {
    let i18n = use_i18n();
    let session = crate::auth::views::use_auth_session();
    let sections = use_context::<ReportSections>().map_or(&[][..], |s| s.0);
    let others = move || {
        let role = session.current().map(|u| u.role);
        sections
            .iter()
            .filter(|s| role.is_some_and(|r| r.includes(s.role)))
            .map(|s| view! { <A href=s.path>{(s.label)(i18n.locale())}</A> })
            .collect_view()
    };
    view! {
        <nav class="tabs report-tabs" aria-label=move || i18n.text(ReportText::Reports)>
            <A href="/reports/sales">{i18n.t(ReportText::Sales)}</A>
            <A href="/reports/cohorts">{i18n.t(ReportText::Cohorts)}</A>
            <A href="/reports/deals">{i18n.t(ReportText::WinLoss)}</A>
            <A href="/reports/funnel">{i18n.t(ReportText::Funnel)}</A>
            <A href="/reports/churn">{i18n.t(ReportText::Churn)}</A>
            <A href="/reports/statuses">{i18n.t(ReportText::CustomerStatuses)}</A>
            <A href="/reports/tiers">{i18n.t(ReportText::TierMoves)}</A>
            <A href="/reports/value">{i18n.t(ReportText::CustomerValue)}</A>
            {others}
        </nav>
    }
}

/// The rep, team and region selects of a report's filters, seeded from its address.
#[derive(Clone, Copy)]
pub struct NarrowingFields {
    owner: RwSignal<String>,
    team: RwSignal<String>,
    region: RwSignal<String>,
    /// Only where the report's rows are customers' ([`NarrowingFields::with_tier`]): elsewhere a
    /// tier in a hand-made address is dropped rather than carried along unused.
    tier: Option<RwSignal<String>>,
    /// Only where the report sets its headline figures beside another range
    /// ([`NarrowingFields::comparing`]).
    compare: Option<RwSignal<String>>,
}

impl NarrowingFields {
    pub(crate) fn new(narrowing: &Narrowing) -> Self {
        let text = |value: Option<String>| RwSignal::new(value.unwrap_or_default());
        NarrowingFields {
            owner: text(narrowing.owner.map(|o| o.to_string())),
            team: text(narrowing.team.map(|t| t.to_string())),
            // The select's "no region" stands for the address's empty region.
            region: text(
                narrowing
                    .region
                    .clone()
                    .map(|r| if r.is_empty() { NO_REGION.to_owned() } else { r }),
            ),
            tier: None,
            compare: None,
        }
    }

    /// The same, with a range to compare the headline figures with (and its select).
    pub(crate) fn comparing(self, comparison: Comparison) -> Self {
        NarrowingFields { compare: Some(RwSignal::new(comparison.as_str().to_owned())), ..self }
    }

    /// The same, with a tier in force to narrow by (and its select).
    pub(crate) fn with_tier(narrowing: &Narrowing) -> Self {
        let tier = narrowing.tier.map(|t| t.to_string()).unwrap_or_default();
        NarrowingFields { tier: Some(RwSignal::new(tier)), ..Self::new(narrowing) }
    }

    /// What the address carries for `key` (`owner`, `team`, `region`, `tier`; nothing for other
    /// keys or an empty select), read reactively, for a query's `from_query`.
    pub(crate) fn get(&self, key: &str) -> Option<String> {
        let value = match key {
            "owner" => self.owner.get(),
            "team" => self.team.get(),
            "region" if self.region.get() == NO_REGION => return Some(String::new()),
            "region" => self.region.get(),
            "tier" => self.tier?.get(),
            "compare" => self.compare?.get(),
            _ => return None,
        };
        (!value.is_empty()).then_some(value)
    }
}

/// The rep, team and region selects, offering what the caller may see: "all" first, and "none"
/// last where the caller sees unowned customers; given `category`, the products' categories
/// from the same answer; and the value tiers where the fields have one, with `tier_error`
/// under it. Inside a `Transition` (the options load).
#[component]
pub(crate) fn NarrowingSelects(
    fields: NarrowingFields,
    #[prop(optional)] category: Option<RwSignal<String>>,
    #[prop(into, optional)] tier_error: Signal<Option<String>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let choices_source = Resource::new(|| (), |_| get_report_choices());
    let choices = move || choices_source.get().and_then(Result::ok).unwrap_or_default();
    let owners = Signal::derive(move || {
        let mut options = vec![(String::new(), i18n.text(ReportText::Everyone).to_owned())];
        let choices = choices();
        options.extend(choices.owners.into_iter().map(|(id, name)| (id.to_string(), name)));
        if choices.sees_unowned {
            options.push(("0".into(), i18n.text(ReportText::NoOwner).to_owned()));
        }
        options
    });
    let teams = Signal::derive(move || {
        let mut options = vec![(String::new(), i18n.text(ReportText::AllTeams).to_owned())];
        let choices = choices();
        options.extend(choices.teams.into_iter().map(|(id, name)| (id.to_string(), name)));
        if choices.sees_unowned {
            options.push(("0".into(), i18n.text(ReportText::NoTeam).to_owned()));
        }
        options
    });
    let regions = Signal::derive(move || {
        let mut options = vec![(String::new(), i18n.text(ReportText::AllRegions).to_owned())];
        options.extend(choices().regions.into_iter().map(|r| (r.clone(), r)));
        options.push((NO_REGION.into(), i18n.text(ReportText::NoRegion).to_owned()));
        options
    });
    let categories = Signal::derive(move || {
        let mut options = vec![(String::new(), i18n.text(ReportText::AllCategories).to_owned())];
        options.extend(choices().categories.into_iter().map(|c| (c.clone(), c)));
        options.push((NO_REGION.into(), i18n.text(ReportText::NoCategory).to_owned()));
        options
    });
    let tier_field = fields.tier.map(|tier| {
        let options = Signal::derive(move || {
            let mut options = vec![(String::new(), i18n.text(TierText::AnyTier).to_owned())];
            let named = choices().tiers.into_iter();
            options.extend(named.map(|t| (t.id.0.to_string(), t.name(i18n.locale()).to_owned())));
            options.push(("0".into(), i18n.text(TierText::NoTier).to_owned()));
            options
        });
        view! { <SelectField label=i18n.t(TierText::Tier) name="tier" value=tier options error=tier_error/> }
    });
    let compare_field = fields.compare.map(|compare| {
        let options = comparison_options(i18n);
        view! { <SelectField label=i18n.t(ReportText::Compare) name="compare" value=compare options/> }
    });
    view! {
        {compare_field}
        <SelectField label=i18n.t(ReportText::Owner) name="owner" value=fields.owner options=owners/>
        <SelectField label=i18n.t(ReportText::Team) name="team" value=fields.team options=teams/>
        <SelectField label=i18n.t(ReportText::Region) name="region" value=fields.region options=regions/>
        {category.map(|value| view! {
            <SelectField label=i18n.t(ReportText::Category) name="category" value options=categories/>
        })}
        {tier_field}
    }
}

/// Keeps the address at `path` in step with a report's filters (replacing the history entry),
/// so a refresh or a bookmark shows the same report. The first run is the page's own address.
pub(crate) fn keep_in_address(
    path: &'static str,
    pairs: impl Fn() -> Vec<(&'static str, String)> + Send + Sync + 'static,
) {
    let navigate = use_navigate();
    Effect::new(move |previous: Option<()>| {
        let pairs = pairs();
        if previous.is_some() {
            navigate(
                &format!("{path}?{}", query_string(&pairs)),
                NavigateOptions { replace: true, scroll: false, ..Default::default() },
            );
        }
    });
}

/// The ranges a manager picks most, as buttons that set a report's `from` and `to` (counted
/// from today in the company's zone): the same ranges a saved report can roll with. `picked`
/// keeps the last one tapped.
#[component]
pub(crate) fn RangePresets(
    from: RwSignal<String>,
    to: RwSignal<String>,
    #[prop(optional)] picked: Option<RwSignal<Option<SavedDates>>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let choose = move |dates: SavedDates| {
        if let Some((start, end)) = dates.days(local_date(Utc::now(), &company_zone())) {
            from.set(start.to_string());
            to.set(end.to_string());
            if let Some(picked) = picked {
                picked.set(Some(dates));
            }
        }
    };
    view! {
        <div class="preset-row">
            {SavedDates::ALL.iter().filter_map(|dates| Some((dates_label(*dates)?, *dates))).map(|(label, dates)| view! {
                <button type="button" class="button small ghost" on:click=move |_| choose(dates)>{i18n.t(label)}</button>
            }).collect_view()}
        </div>
    }
}

/// The message under `field` when a report refused its query (a reversed range, say).
pub(crate) fn refused_at<T>(
    report: Resource<Result<T, crate::error::AppError>>,
    field: &'static str,
) -> Signal<Option<String>>
where
    T: Clone + Send + Sync + 'static,
{
    let i18n = use_i18n();
    Signal::derive(move || {
        report.get().and_then(|r| match r {
            Err(crate::error::AppError::Validation(errors)) => {
                errors.get(field).first().map(|e| field_error_text(e, i18n.locale()))
            }
            _ => None,
        })
    })
}

/// A query's `from_query`, reading an address's values by key.
pub(crate) type QueryParser<Q> = fn(&dyn Fn(&str) -> Option<String>) -> Q;

/// A report's query read from its date fields and its rep, team and region selects, with
/// `parse` the query's own `from_query` (empty fields left out).
pub(crate) fn dated_query<Q>(
    from: RwSignal<String>,
    to: RwSignal<String>,
    narrowing: NarrowingFields,
    parse: QueryParser<Q>,
) -> Memo<Q>
where
    Q: PartialEq + Send + Sync + 'static,
{
    Memo::new(move |_| {
        parse(&|key| {
            let value = match key {
                "from" => from.get(),
                "to" => to.get(),
                key => return narrowing.get(key),
            };
            (!value.is_empty()).then_some(value)
        })
    })
}

/// The link that downloads a report as `.xlsx` with the filters it shows (the server reads the
/// same query with the caller's scope). A plain download link: no script, works on a tablet.
#[component]
pub(crate) fn ExportLink(
    file: &'static str,
    pairs: Signal<Vec<(&'static str, String)>>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <a class="button" download="" rel="external" data-testid="export-xlsx"
            href=move || format!("/files/reports/{file}?{}", query_string(&pairs.get()))
            title=move || i18n.text(ReportText::ExportXlsxLabel)>
            {i18n.t(crate::i18n::ExportText::ExportExcel)}
        </a>
    }
}

/// Reasons as written, most frequent first, each count opening what is behind it (`href` of the
/// written reason); the summed "other reasons" row opens nothing. `total` is the whole the
/// shares are of.
#[component]
pub(crate) fn ReasonsTable(
    reasons: Vec<LostReason>,
    total: i64,
    href: Callback<String, String>,
    title: ReportText,
    counted: ReportText,
    amount: ReportText,
    share: ReportText,
    testid: &'static str,
    row_testid: &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    let rows = reasons
        .into_iter()
        .map(|reason| {
            let part = reason.count * 100 / total.max(1);
            let link = reason.reason.clone().map(|text| href.run(text));
            let label = reason.reason.clone();
            let name = move || match label.as_deref() {
                Some("") => i18n.text(ReportText::NoReason).to_owned(),
                Some(text) => text.to_owned(),
                None => i18n.text(ReportText::OtherReasons).to_owned(),
            };
            view! {
                <tr data-testid=row_testid>
                    <th scope="row">{name}</th>
                    <td class="num">{match link {
                        Some(link) => view! { <A href=link>{reason.count}</A> }.into_any(),
                        None => view! { <span title=move || i18n.text(ReportText::OtherReasonsNote)>{reason.count}</span> }.into_any(),
                    }}</td>
                    <td class="num">{money(reason.amount_minor)}</td>
                    <td class="share"><FillBar percent=part/>{format!("{part}%")}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="card table-wrap" data-testid=testid>
            <h2>{i18n.t(title)}</h2>
            <crate::ui::Table columns=vec![
                Column::new(i18n.t(ReportText::Reason)),
                Column::new(i18n.t(counted)).numeric(),
                Column::new(i18n.t(amount)).numeric(),
                Column::new(i18n.t(share)),
            ]>
                {rows}
            </crate::ui::Table>
        </div>
    }
}

/// The sales report.
#[component]
pub fn SalesReportPage() -> impl IntoView {
    let i18n = use_i18n();
    let url = use_query_map();
    let initial = url.with_untracked(|q| SalesQuery::from_query(|key| q.get(key)));
    let text = |value: Option<String>| RwSignal::new(value.unwrap_or_default());
    let from = text(initial.filter.from.map(|d| d.to_string()));
    let to = text(initial.filter.to.map(|d| d.to_string()));
    let by = RwSignal::new(initial.grouping.as_str().to_owned());
    let compare = RwSignal::new(initial.comparison.as_str().to_owned());
    let narrowing = NarrowingFields::with_tier(&initial.filter.narrowing());
    let channel = text(initial.filter.channel.map(|c| c.as_str().to_owned()));
    // The select's "no category" stands for the address's empty category, as for regions.
    let category = text(
        initial
            .filter
            .category
            .clone()
            .map(|c| if c.is_empty() { NO_REGION.to_owned() } else { c }),
    );
    // One product is picked from the report by product (a bar's link), not from a menu of
    // thousands; the page shows it and offers the way back to all products.
    let product = text(initial.filter.product.map(|p| p.to_string()));

    let query = Memo::new(move |_| {
        SalesQuery::from_query(|key| {
            let value = match key {
                "from" => from.get(),
                "to" => to.get(),
                "by" => by.get(),
                "compare" => compare.get(),
                "channel" => channel.get(),
                "category" if category.get() == NO_REGION => return Some(String::new()),
                "category" => category.get(),
                "product" => product.get(),
                key => return narrowing.get(key),
            };
            (!value.is_empty()).then_some(value)
        })
    });
    keep_in_address("/reports/sales", move || query.get().query_pairs());

    let changes = use_server_events().changes(Topic::Customer);
    let report = Resource::new(move || (query.get(), changes.get()), |(q, _)| get_sales_report(q));
    let field_error = move |field: &'static str| refused_at(report, field);

    let grouping_options = Signal::derive(move || {
        Grouping::ALL
            .iter()
            .map(|g| (g.as_str().to_owned(), grouping_label(*g).text(i18n.locale()).to_owned()))
            .collect::<Vec<_>>()
    });
    let compare_options = comparison_options(i18n);
    let channel_options =
        Signal::derive(move || {
            let mut options = vec![(String::new(), i18n.text(ReportText::AllChannels).to_owned())];
            options.extend(Channel::ALL.iter().map(|c| {
                (c.as_str().to_owned(), channel_label(*c).text(i18n.locale()).to_owned())
            }));
            options
        });

    let picked = RwSignal::new(None::<SavedDates>);

    view! {
        <section class="page report-page">
            <div class="page-head">
                <h1>{i18n.t(ReportText::Sales)}</h1>
                <div class="actions">
                    <SaveToDashboard query=Signal::derive(move || ReportQuery::Sales(query.get()))
                        picked=picked/>
                    <ExportLink file="sales.xlsx" pairs=Signal::derive(move || query.get().query_pairs())/>
                </div>
            </div>
            <ReportTabs/>
            <p class="muted">{i18n.t(ReportText::SalesIntro)}</p>
            // The menus and the errors under the fields read resources: in a Transition, the
            // server waits for them and the browser hydrates the same options.
            <Transition fallback=|| ()>
            <div class="card report-filters" data-testid="report-filters">
                <RangePresets from to picked/>
                <div class="filter-grid">
                    <TextField label=i18n.t(ReportText::From) name="from" value=from input_type="date" error=field_error("from")/>
                    <TextField label=i18n.t(ReportText::To) name="to" value=to input_type="date" error=field_error("to")/>
                    <SelectField label=i18n.t(ReportText::GroupBy) name="by" value=by options=grouping_options error=field_error("by")/>
                    <SelectField label=i18n.t(ReportText::Compare) name="compare" value=compare options=compare_options/>
                    <NarrowingSelects fields=narrowing category tier_error=field_error("tier")/>
                    <SelectField label=i18n.t(ReportText::Channel) name="channel" value=channel options=channel_options/>
                </div>
            </div>
            </Transition>
            <ResourceView resource=report let:report>
                {report.product_label().map(|name| view! {
                    <div class="card product-narrowed" data-testid="product-narrowed">
                        <span>{move || fill(ReportText::NarrowedToProduct.text(i18n.locale()), &[("name", &name)])}</span>
                        <button type="button" class="button small ghost" on:click=move |_| product.set(String::new())>
                            {i18n.t(ReportText::AllProducts)}
                        </button>
                    </div>
                })}
                <SalesFiguresCard report=report.clone()/>
                <SalesChart report=report.clone()/>
                <SalesTable report/>
            </ResourceView>
        </section>
    }
}

pub(crate) fn grouping_label(grouping: Grouping) -> ReportText {
    match grouping {
        Grouping::Day => ReportText::ByDay,
        Grouping::Week => ReportText::ByWeek,
        Grouping::Month => ReportText::ByMonth,
        Grouping::Quarter => ReportText::ByQuarter,
        Grouping::Owner => ReportText::ByOwner,
        Grouping::Team => ReportText::ByTeam,
        Grouping::Region => ReportText::ByRegion,
        Grouping::Channel => ReportText::ByChannel,
        Grouping::Product => ReportText::ByProduct,
        Grouping::Category => ReportText::ByCategory,
    }
}

/// The comparisons a report offers, as a select's options in the reader's language.
fn comparison_options(i18n: I18n) -> Signal<Vec<(String, String)>> {
    Signal::derive(move || {
        Comparison::ALL
            .iter()
            .map(|c| (c.as_str().to_owned(), comparison_label(*c).text(i18n.locale()).to_owned()))
            .collect()
    })
}

pub(crate) fn comparison_label(comparison: Comparison) -> ReportText {
    match comparison {
        Comparison::None => ReportText::NoComparison,
        Comparison::PreviousPeriod => ReportText::PreviousPeriod,
        Comparison::PreviousYear => ReportText::PreviousYear,
    }
}

/// What a bar is called, in the reader's language.
pub(crate) fn bar_label(key: &BarKey, grouping: Grouping, locale: Locale) -> String {
    match key {
        BarKey::Period(start) => match grouping {
            Grouping::Week => {
                fill(ReportText::WeekOf.text(locale), &[("day", &start.format("%m-%d"))])
            }
            Grouping::Month => fill(
                ReportText::MonthOf.text(locale),
                &[("year", &start.year()), ("month", &start.month())],
            ),
            Grouping::Quarter => fill(
                ReportText::QuarterOf.text(locale),
                &[("year", &start.year()), ("q", &(start.month0() / 3 + 1))],
            ),
            _ => start.format("%m-%d").to_string(),
        },
        BarKey::Owner(_, Some(name)) | BarKey::Team(_, Some(name)) => name.clone(),
        BarKey::Owner(_, None) => ReportText::NoOwner.text(locale).to_owned(),
        BarKey::Team(_, None) => ReportText::NoTeam.text(locale).to_owned(),
        BarKey::Region(region) if region.is_empty() => ReportText::NoRegion.text(locale).to_owned(),
        BarKey::Region(region) => region.clone(),
        BarKey::Channel(channel) => channel_label(*channel).text(locale).to_owned(),
        BarKey::Product(_, _, name) => name.clone(),
        BarKey::Category(category) if category.is_empty() => {
            ReportText::NoCategory.text(locale).to_owned()
        }
        BarKey::Category(category) => category.clone(),
    }
}

/// A headline figure over the compared range, and its change to the report's: the figure's
/// label with the compared days, then the figure and the change in percent (where there is
/// one: not from nothing, nor for a rate).
pub(crate) fn compared_fact(
    label: ReportText,
    (from, to): (chrono::NaiveDate, chrono::NaiveDate),
    before: String,
    change: Option<f64>,
    testid: &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div>
            <dt>
                {i18n.t(label)} " · "
                {move || fill(ReportText::ComparedWith.text(i18n.locale()), &[("from", &from), ("to", &to)])}
            </dt>
            <dd data-testid=testid>{before}{change.map(|c| format!(" ({})", change_text(Some(c))))}</dd>
        </div>
    }
}

fn change_text(percent: Option<f64>) -> String {
    match percent {
        Some(p) => format!("{}{p:.1}%", if p > 0.0 { "+" } else { "" }),
        None => "—".into(),
    }
}

/// The key figures: revenue, orders, average order, and the change from the compared range.
#[component]
fn SalesFiguresCard(report: SalesReport) -> impl IntoView {
    let i18n = use_i18n();
    let total = report.total;
    let compared = report.compared_total;
    let range = report.compared_range;
    view! {
        <div class="card">
            <dl class="facts key-facts" data-testid="sales-figures">
                <div>
                    <dt>{i18n.t(ReportText::Revenue)}</dt>
                    <dd data-testid="sales-revenue" title=money(total.revenue_minor)>{move || compact_money(total.revenue_minor, i18n.locale())}</dd>
                </div>
                <div><dt>{i18n.t(ReportText::Orders)}</dt><dd data-testid="sales-orders">{total.orders}</dd></div>
                {report.by_product.then(|| view! {
                    <div><dt>{i18n.t(ReportText::Units)}</dt><dd data-testid="sales-units">{total.units}</dd></div>
                })}
                <div>
                    <dt>{i18n.t(ReportText::AverageOrder)}</dt>
                    <dd>{total.average_minor().map(money).unwrap_or_else(|| "—".into())}</dd>
                </div>
                {compared.map(|before| view! {
                    <div>
                        <dt>{move || range.map(|(from, to)| fill(ReportText::ComparedWith.text(i18n.locale()), &[("from", &from), ("to", &to)])).unwrap_or_default()}</dt>
                        <dd data-testid="sales-change">
                            {move || compact_money(before.revenue_minor, i18n.locale())}
                            " (" {change_text(total.change_percent(before))} ")"
                        </dd>
                    </div>
                })}
            </dl>
            {report.by_product.then(|| view! { <p class="muted small">{i18n.t(ReportText::ProductFiguresNote)}</p> })}
        </div>
    }
}

/// Bars the chart draws across at most; the table lists the rest.
const MOST_ROWS_DRAWN: usize = 20;

/// The bars: columns for periods (in time order, gaps shown), rows for categories (largest
/// first, names readable). Each bar is a link to the orders behind it; the table below holds the
/// same figures as text for screen readers.
#[component]
fn SalesChart(report: SalesReport) -> impl IntoView {
    let i18n = use_i18n();
    if report.bars.iter().all(|b| b.figures.orders == 0 && b.figures.revenue_minor == 0) {
        return view! { <div class="card"><p class="empty">{i18n.t(ReportText::NoSales)}</p></div> }
            .into_any();
    }
    let grouping = report.grouping;
    let max = report.bars.iter().map(|b| b.figures.revenue_minor).max().unwrap_or(1).max(1) as f64;
    let label = move |bar: &SalesBar, locale: Locale| {
        fill(
            ReportText::ChartLabel.text(locale),
            &[
                ("label", &bar_label(&bar.key, grouping, locale)),
                ("revenue", &money(bar.figures.revenue_minor)),
                ("orders", &bar.figures.orders),
            ],
        )
    };
    let count = report.bars.len();
    let chart = if grouping.is_period() {
        column_chart(&report.bars, max, i18n, label)
    } else if grouping == Grouping::Category {
        donut_chart(&report.bars, i18n, label)
    } else {
        row_chart(&report.bars[..count.min(MOST_ROWS_DRAWN)], grouping, max, i18n, label)
    };
    let cut = (!grouping.is_period() && grouping != Grouping::Category && count > MOST_ROWS_DRAWN)
        .then(|| {
            view! {
                <p class="muted small">{move || fill(ReportText::LargestShown.text(i18n.locale()), &[("shown", &MOST_ROWS_DRAWN), ("count", &count)])}</p>
            }
        });
    view! { <div class="card chart-card" data-testid="sales-chart">{chart}{cut}</div> }.into_any()
}

fn column_chart(
    bars: &[SalesBar],
    max: f64,
    i18n: I18n,
    label: impl Fn(&SalesBar, Locale) -> String + Copy + Send + Sync + 'static,
) -> AnyView {
    // A slot per bar, wide enough to tap on a tablet; the chart scrolls sideways past that.
    let slot = (960.0 / bars.len() as f64).clamp(14.0, 80.0);
    let width = slot * bars.len() as f64 + 16.0;
    let every = (bars.len() / 12).max(1);
    let columns = bars
        .iter()
        .enumerate()
        .map(|(n, bar)| {
            let x = 8.0 + n as f64 * slot;
            let height = (bar.figures.revenue_minor.max(0) as f64 / max * 180.0).max(0.0);
            let href = orders_href(&bar.drill);
            let tick = match bar.key {
                BarKey::Period(start) if n % every == 0 => Some(start.format("%m-%d").to_string()),
                _ => None,
            };
            let (bar, titled) = (bar.clone(), bar.clone());
            view! {
                <g class="chart-bar" data-testid="chart-bar">
                    // The link is the only child of its group: `view!` makes an `<a>` among
                    // siblings an HTML anchor, which draws nothing when rendered in the browser.
                    <g>
                        <a href=href aria-label=move || label(&bar, i18n.locale())>
                            <rect class="hit" x=x y="0" width=slot height="200"/>
                            <rect class="bar-fill" x=x + slot * 0.15 y=200.0 - height width=slot * 0.7 height=height/>
                            <title>{move || label(&titled, i18n.locale())}</title>
                        </a>
                    </g>
                    {tick.map(|t| view! { <text class="axis" x=x + slot / 2.0 y="216" text-anchor="middle">{t}</text> })}
                </g>
            }
        })
        .collect_view();
    view! {
        <div class="chart-scroll">
            <svg class="sales-chart" viewBox=format!("0 0 {width} 224") role="group"
                aria-label=move || i18n.text(ReportText::Chart)>
                {columns}
            </svg>
        </div>
    }
    .into_any()
}

fn row_chart(
    bars: &[SalesBar],
    grouping: Grouping,
    max: f64,
    i18n: I18n,
    label: impl Fn(&SalesBar, Locale) -> String + Copy + Send + Sync + 'static,
) -> AnyView {
    let row_height = 40.0;
    let height = row_height * bars.len() as f64;
    let rows = bars
        .iter()
        .enumerate()
        .map(|(n, bar)| {
            let y = n as f64 * row_height;
            let length = (bar.figures.revenue_minor.max(0) as f64 / max * 560.0).max(0.0);
            let href = orders_href(&bar.drill);
            let (bar, titled) = (bar.clone(), bar.clone());
            let name = bar.key.clone();
            let revenue = bar.figures.revenue_minor;
            view! {
                <g class="chart-bar" data-testid="chart-bar">
                    <a href=href aria-label=move || label(&bar, i18n.locale())>
                        <rect class="hit" x="0" y=y width="1000" height=row_height/>
                        <text class="axis" x="0" y=y + 25.0>{move || bar_label(&name, grouping, i18n.locale())}</text>
                        <rect class="bar-fill" x="240" y=y + 8.0 width=length height=row_height - 16.0/>
                        <text class="value" x=248.0 + length y=y + 25.0>{move || compact_money(revenue, i18n.locale())}</text>
                        <title>{move || label(&titled, i18n.locale())}</title>
                    </a>
                </g>
            }
        })
        .collect_view();
    view! {
        <svg class="sales-chart rows" viewBox=format!("0 0 1000 {height}") role="group"
            aria-label=move || i18n.text(ReportText::Chart)>
            {rows}
        </svg>
    }
    .into_any()
}

/// Slices a donut draws one by one; the smaller rest is one grey slice (the table lists each).
const MOST_SLICES: usize = 8;

/// The point at `turn` (0 to 1, clockwise from twelve o'clock) on a circle of `radius` around
/// the donut's centre.
fn on_circle(turn: f64, radius: f64) -> (f64, f64) {
    let angle = turn * std::f64::consts::TAU - std::f64::consts::FRAC_PI_2;
    (120.0 + radius * angle.cos(), 120.0 + radius * angle.sin())
}

/// The SVG path of a donut slice from `start` to `end` (turns).
fn slice_path(start: f64, end: f64) -> String {
    // A whole ring would start and end at one point, which draws nothing.
    let end = end.min(start + 0.9999);
    let large = if end - start > 0.5 { 1 } else { 0 };
    let (outer, inner) = (110.0, 64.0);
    let (x0, y0) = on_circle(start, outer);
    let (x1, y1) = on_circle(end, outer);
    let (x2, y2) = on_circle(end, inner);
    let (x3, y3) = on_circle(start, inner);
    format!(
        "M{x0:.2},{y0:.2} A{outer},{outer} 0 {large} 1 {x1:.2},{y1:.2} \
         L{x2:.2},{y2:.2} A{inner},{inner} 0 {large} 0 {x3:.2},{y3:.2} Z"
    )
}

/// Shares of revenue as a donut (categories: a handful, largest first), each slice a link to its
/// orders, with a legend giving each slice's name and share in text.
fn donut_chart(
    bars: &[SalesBar],
    i18n: I18n,
    label: impl Fn(&SalesBar, Locale) -> String + Copy + Send + Sync + 'static,
) -> AnyView {
    let whole = bars.iter().map(|b| b.figures.revenue_minor.max(0)).sum::<i64>().max(1) as f64;
    let (drawn, rest) = bars.split_at(bars.len().min(MOST_SLICES));
    let rest_revenue: i64 = rest.iter().map(|b| b.figures.revenue_minor.max(0)).sum();
    let mut start = 0.0;
    let mut slices = vec![];
    let mut legend = vec![];
    for (n, bar) in drawn.iter().enumerate() {
        let share = bar.figures.revenue_minor.max(0) as f64 / whole;
        if share <= 0.0 {
            continue;
        }
        let path = slice_path(start, start + share);
        start += share;
        let (bar, titled, named) = (bar.clone(), bar.clone(), bar.key.clone());
        let href = orders_href(&bar.drill);
        // The legend's entries are links too: a thin slice is hard to tap on a tablet.
        let legend_href = href.clone();
        slices.push(view! {
            <g class=format!("slice slice-{n}") data-testid="chart-bar">
                <a href=href aria-label=move || label(&bar, i18n.locale())>
                    <path d=path/>
                    <title>{move || label(&titled, i18n.locale())}</title>
                </a>
            </g>
        });
        legend.push(view! {
            <li>
                <A href=legend_href attr:data-testid="donut-legend-link">
                    <span class=format!("swatch slice-{n}")></span>
                    {move || bar_label(&named, Grouping::Category, i18n.locale())}
                    " " {format!("{:.1}%", share * 100.0)}
                </A>
            </li>
        });
    }
    let rest_share = rest_revenue as f64 / whole;
    let rest = (rest_share > 0.0).then(|| {
        view! {
            <g class="slice slice-rest">
                <path d=slice_path(start, 1.0)/>
            </g>
        }
    });
    let rest_legend = (rest_share > 0.0).then(|| {
        view! {
            <li>
                <span class="swatch slice-rest"></span>
                {move || i18n.text(ReportText::OtherCategories).to_owned()}
                " " {format!("{:.1}%", rest_share * 100.0)}
            </li>
        }
    });
    view! {
        <div class="donut-wrap">
            <svg class="donut-chart" viewBox="0 0 240 240" role="group"
                aria-label=move || i18n.text(ReportText::CategoryShare)>
                {slices}
                {rest}
            </svg>
            <ul class="donut-legend">{legend}{rest_legend}</ul>
        </div>
    }
    .into_any()
}

/// The report as a table: every bar's figures in text, each row linking to its orders.
#[component]
fn SalesTable(report: SalesReport) -> impl IntoView {
    let i18n = use_i18n();
    let grouping = report.grouping;
    let comparing = report.bars.iter().any(|b| b.compared.is_some());
    let mut columns = vec![
        Column::new(i18n.t(if grouping.is_period() {
            ReportText::Period
        } else {
            grouping_heading(grouping)
        })),
        Column::new(i18n.t(ReportText::Orders)).numeric(),
        Column::new(i18n.t(ReportText::Revenue)).numeric(),
        Column::new(i18n.t(ReportText::AverageOrder)).numeric(),
    ];
    if comparing {
        columns.push(Column::new(i18n.t(ReportText::Compared)).numeric());
        columns.push(Column::new(i18n.t(ReportText::Change)).numeric());
    }
    let by_product = report.by_product;
    if by_product {
        columns.push(Column::new(i18n.t(ReportText::Units)).numeric());
    }
    let total = report.total;
    view! {
        <div class="card table-wrap">
            <crate::ui::Table testid="sales-table" columns>
                {report.bars.into_iter().filter(|b| !grouping.is_period() || b.figures.orders != 0 || b.figures.revenue_minor != 0).map(|bar| {
                    let key = bar.key.clone();
                    view! {
                        <tr data-testid="sales-row">
                            <td><A href=orders_href(&bar.drill)>{move || bar_label(&key, grouping, i18n.locale())}</A></td>
                            <td class="num">{bar.figures.orders}</td>
                            <td class="num">{money(bar.figures.revenue_minor)}</td>
                            <td class="num">{bar.figures.average_minor().map(money).unwrap_or_else(|| "—".into())}</td>
                            {bar.compared.map(|before| view! {
                                <td class="num">{money(before.revenue_minor)}</td>
                                <td class="num">{change_text(bar.figures.change_percent(before))}</td>
                            })}
                            {by_product.then(|| view! { <td class="num">{bar.figures.units}</td> })}
                        </tr>
                    }
                }).collect_view()}
                <tr class="total-row">
                    <th scope="row">{i18n.t(ReportText::Total)}</th>
                    <td class="num" data-testid="sales-total-orders">{total.orders}</td>
                    <td class="num" data-testid="sales-total-revenue">{money(total.revenue_minor)}</td>
                    <td class="num">{total.average_minor().map(money).unwrap_or_else(|| "—".into())}</td>
                    {comparing.then(|| view! { <td></td><td></td> })}
                    {by_product.then(|| view! { <td class="num" data-testid="sales-total-units">{total.units}</td> })}
                </tr>
            </crate::ui::Table>
        </div>
    }
}

pub(crate) fn grouping_heading(grouping: Grouping) -> ReportText {
    match grouping {
        Grouping::Owner => ReportText::Owner,
        Grouping::Team => ReportText::Team,
        Grouping::Region => ReportText::Region,
        Grouping::Channel => ReportText::Channel,
        Grouping::Product => ReportText::Product,
        Grouping::Category => ReportText::Category,
        _ => ReportText::Period,
    }
}

/// The orders behind a figure: the filter from the address, its total, and the orders.
#[component]
pub fn ReportOrdersPage() -> impl IntoView {
    let i18n = use_i18n();
    let url = use_query_map();
    let filter = Memo::new(move |_| url.with(|q| SalesFilter::from_query(|key| q.get(key))));
    // The same total the report's bar showed, read from the same summary.
    let total = Resource::new(
        move || filter.get(),
        |filter| {
            get_sales_report(SalesQuery {
                filter,
                grouping: Grouping::Channel,
                ..Default::default()
            })
        },
    );
    let orders = PagedList::new(
        move || filter.get(),
        |filter, after: Option<OrderCursor>| list_report_orders(filter, after),
    );
    let back = move || {
        format!(
            "/reports/sales?{}",
            query_string(&SalesQuery { filter: filter.get(), ..Default::default() }.query_pairs())
        )
    };
    view! {
        <section class="page">
            <div class="page-head">
                <h1>{i18n.t(ReportText::OrdersBehind)}</h1>
                <div class="actions">
                    <crate::exports::views::ExportLinks entity=crate::exports::model::ExportEntity::ReportOrders
                        filter=Signal::derive(move || serde_json::to_value(filter.get()).ok())/>
                    <A href=back attr:class="button ghost">{i18n.t(ReportText::BackToReport)}</A>
                </div>
            </div>
            <ResourceView resource=total let:report>
                <div class="card">
                    <p class="muted" data-testid="orders-range">{move || fill(ReportText::OrdersIntro.text(i18n.locale()), &[("from", &report.from), ("to", &report.to)])}</p>
                    <dl class="facts key-facts">
                        <div><dt>{i18n.t(ReportText::Revenue)}</dt><dd data-testid="orders-revenue">{money(report.total.revenue_minor)}</dd></div>
                        <div><dt>{i18n.t(ReportText::Orders)}</dt><dd data-testid="orders-count">{report.total.orders}</dd></div>
                    </dl>
                    {report.product_label().map(|name| view! {
                        <p data-testid="product-narrowed">{move || fill(ReportText::NarrowedToProduct.text(i18n.locale()), &[("name", &name)])}</p>
                    })}
                    {report.by_product.then(|| view! { <p class="muted small">{i18n.t(ReportText::ProductFiguresNote)}</p> })}
                </div>
            </ResourceView>
            <div class="card table-wrap">
                <PagedTable list=orders testid="report-orders" columns=vec![
                    Column::new(i18n.t(ReportText::OrderNo)),
                    Column::new(i18n.t(ReportText::OrderedAt)),
                    Column::new(i18n.t(ReportText::Customer)),
                    Column::new(i18n.t(ReportText::Owner)),
                    Column::new(i18n.t(ReportText::Region)),
                    Column::new(i18n.t(ReportText::Channel)),
                    Column::new(i18n.t(ReportText::Net)).numeric(),
                ] row=move |o: ReportOrder| {
                    let channel = o.channel;
                    view! {
                        <tr data-testid="report-order">
                            <td>{o.order_no.clone()}</td>
                            <td><Timestamp at=o.ordered_at/></td>
                            <td><A href=format!("/customers/{}", o.customer_id)>{o.customer_name.clone()}</A></td>
                            <td data-testid="order-owner">{o.owner_name.clone().unwrap_or_else(|| "—".into())}</td>
                            <td>{o.region.clone().unwrap_or_default()}</td>
                            <td>{move || channel_label(channel).text(i18n.locale())}</td>
                            <td class="num">{Money { minor: o.net_minor, currency: o.currency.clone() }.display()}</td>
                        </tr>
                    }
                }/>
            </div>
        </section>
    }
}
