//! "Save to dashboard" on a report page: a dialog that names the tile and says whether its dates
//! stay as shown or move with today.

use super::{
    api::SaveReportTile,
    model::{ReportQuery, SavedDates, SavedReportKind},
};
use crate::{
    i18n::{DashboardText, I18n, ReportText, Text, fill, use_i18n},
    reports::{model::query_string, views::grouping_label},
    ui::{
        Dialog, FormButtons, SelectField, TextField, company_zone, local_date, server_submission,
        use_toasts,
    },
};
use chrono::{NaiveDate, Utc};
use leptos::prelude::*;

/// What a rolling choice is called in the dates select.
pub fn dates_label(dates: SavedDates) -> Option<ReportText> {
    match dates {
        SavedDates::AsSaved => None,
        SavedDates::ThisMonth => Some(ReportText::ThisMonth),
        SavedDates::LastMonth => Some(ReportText::LastMonth),
        SavedDates::ThisQuarter => Some(ReportText::ThisQuarter),
        SavedDates::ThisYear => Some(ReportText::ThisYear),
        SavedDates::Last12Months => Some(ReportText::Last12Months),
    }
}

/// A report's range as its page shows it: months for cohorts, days for the others.
pub fn range_text(kind: SavedReportKind, (from, to): (NaiveDate, NaiveDate)) -> (String, String) {
    let format = match kind {
        SavedReportKind::Cohorts => "%Y-%m",
        _ => "%Y-%m-%d",
    };
    (from.format(format).to_string(), to.format(format).to_string())
}

/// How the dates select names `dates` for a query showing `shown`.
fn dates_option(
    dates: SavedDates,
    kind: SavedReportKind,
    shown: Option<(NaiveDate, NaiveDate)>,
    i18n: I18n,
) -> String {
    let locale = i18n.locale();
    match dates_label(dates) {
        Some(range) => {
            fill(DashboardText::DatesRolling.text(locale), &[("range", &range.text(locale))])
        }
        None => {
            let (from, to) = shown.map(|range| range_text(kind, range)).unwrap_or_default();
            fill(DashboardText::DatesAsSaved.text(locale), &[("from", &from), ("to", &to)])
        }
    }
}

/// The button that saves the report as shown (`query`: the page's own question) as a tile on
/// the caller's dashboard. `picked` is the preset range last tapped on the page, if any: in
/// December "this year" and "the last 12 months" are the same days, and only the tap says
/// which should roll.
#[component]
pub fn SaveToDashboard(
    query: Signal<ReportQuery>,
    #[prop(optional, into)] picked: Option<Signal<Option<SavedDates>>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let open = RwSignal::new(false);
    let title = RwSignal::new(String::new());
    let dates = RwSignal::new(String::new());
    let today = move || local_date(Utc::now(), &company_zone());
    let save = server_submission::<SaveReportTile>().on_success(move |_| {
        open.set(false);
        toasts.success(DashboardText::ReportSaved);
    });
    let start = move |_| {
        let query = query.get_untracked();
        let name = match &query {
            ReportQuery::Sales(sales) => format!(
                "{} · {}",
                i18n.text(ReportText::Sales),
                i18n.text(grouping_label(sales.grouping))
            ),
            ReportQuery::Cohorts(_) => i18n.text(ReportText::Cohorts).to_owned(),
            ReportQuery::Deals(_) => i18n.text(ReportText::WinLoss).to_owned(),
            ReportQuery::Funnel(_) => i18n.text(ReportText::Funnel).to_owned(),
            ReportQuery::Churn(_) => i18n.text(ReportText::Churn).to_owned(),
            ReportQuery::Moves(_) => i18n.text(ReportText::TierMoves).to_owned(),
            ReportQuery::Statuses(_) => i18n.text(ReportText::CustomerStatuses).to_owned(),
        };
        title.set(name);
        let today = today();
        let rolling = picked
            .and_then(|picked| picked.get_untracked())
            .filter(|dates| query.shows(*dates, today))
            .unwrap_or_else(|| query.rolling_dates(today));
        dates.set(rolling.as_str().to_owned());
        open.set(true);
    };
    let options = Signal::derive(move || {
        let query = query.get();
        let shown = query.range(today()).ok();
        SavedDates::ALL
            .iter()
            .map(|d| (d.as_str().to_owned(), dates_option(*d, query.kind(), shown, i18n)))
            .collect::<Vec<_>>()
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let query = query.get_untracked();
        save.submit(SaveReportTile {
            report: query.kind(),
            title: title.get_untracked(),
            query: query_string(&query.query_pairs()),
            dates: SavedDates::parse(&dates.get_untracked()).unwrap_or_default(),
        });
    };
    view! {
        <button type="button" class="button" data-testid="save-to-dashboard" on:click=start>
            {i18n.t(DashboardText::SaveToDashboard)}
        </button>
        <Dialog open title=i18n.t(DashboardText::SaveToDashboardTitle) testid="save-report-dialog">
            <form on:submit=submit>
                <p class="muted">{i18n.t(DashboardText::SaveToDashboardIntro)}</p>
                <TextField label=i18n.t(DashboardText::TileTitle) name="title" value=title
                    scope="saved-" required=true error=save.field("title")/>
                <SelectField label=i18n.t(DashboardText::TileDates) name="dates" value=dates
                    scope="saved-" options error=save.field("to")/>
                <FormButtons submit=i18n.t(crate::i18n::CommonText::Save) pending=save.pending()
                    on_cancel=Callback::new(move |_| open.set(false))/>
            </form>
        </Dialog>
    }
}
