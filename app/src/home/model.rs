//! What the home dashboard shows: which tiles a role may have, the order a user keeps them in,
//! and each tile's figures. Shared by the page and the server.

use crate::{
    auth::model::Role,
    error::{FieldError, FieldErrors},
    reports::{model::SalesFigures, saved::model::SavedReport},
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// A tile of the home dashboard. Each reads the caller's data scope only: a member's tiles count
/// their own records, a manager's their team's, an admin's the company's.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TileKind {
    /// Overdue and today's tasks assigned to the caller.
    MyTasks,
    /// Open opportunities by stage, with amounts.
    OpenPipeline,
    /// Open tickets due within four hours or already late.
    TicketsNearBreach,
    /// Customers whose last order left the active window this month.
    TurnedSilent,
    /// New leads past the follow-up time and never contacted.
    LeadsWaiting,
    /// Won, weighted open pipeline and quota for this month and this quarter.
    ForecastVsQuota,
    /// Opportunities won this month, per rep.
    WonByRep,
    /// The share of this month's due tickets that met their SLA.
    SlaAttainment,
    /// Customers moved to a lower tier this month.
    TierDrops,
    /// Revenue this month to date against the same days of last month and of last year.
    Revenue,
    /// Customers added and customers lost (marked former) this month.
    CustomerGains,
    /// Customers per tier in force.
    TierShare,
    /// Background jobs and imports: running, waiting, failed this week.
    JobHealth,
}

crate::enums::text_enum!(TileKind {
    MyTasks => "my_tasks",
    OpenPipeline => "open_pipeline",
    TicketsNearBreach => "tickets_near_breach",
    TurnedSilent => "turned_silent",
    LeadsWaiting => "leads_waiting",
    ForecastVsQuota => "forecast_vs_quota",
    WonByRep => "won_by_rep",
    SlaAttainment => "sla_attainment",
    TierDrops => "tier_drops",
    Revenue => "revenue",
    CustomerGains => "customer_gains",
    TierShare => "tier_share",
    JobHealth => "job_health",
});

impl TileKind {
    /// The least role that may put this tile on its dashboard. Job health names other people's
    /// imports and failures, so it is for admins; rep comparisons are for managers and up.
    pub fn least_role(self) -> Role {
        match self {
            TileKind::JobHealth => Role::Admin,
            TileKind::ForecastVsQuota | TileKind::WonByRep | TileKind::TierDrops => Role::Manager,
            _ => Role::Member,
        }
    }

    /// The tiles `role` may choose from.
    pub fn offered_to(role: Role) -> Vec<TileKind> {
        TileKind::ALL.iter().copied().filter(|kind| role.includes(kind.least_role())).collect()
    }

    /// The tiles a user of `role` sees before arranging their own, in order.
    pub fn defaults(role: Role) -> Vec<TileKind> {
        use TileKind::*;
        match role {
            Role::Admin => vec![Revenue, CustomerGains, TierShare, JobHealth, ForecastVsQuota],
            Role::Manager => vec![
                ForecastVsQuota,
                Revenue,
                WonByRep,
                SlaAttainment,
                LeadsWaiting,
                TierDrops,
                OpenPipeline,
            ],
            Role::Member => {
                vec![MyTasks, OpenPipeline, TicketsNearBreach, TurnedSilent, LeadsWaiting]
            }
        }
    }
}

/// A tile on a user's dashboard: one of the built-in tiles, or a report they saved.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TileId {
    Built(TileKind),
    Report(i64),
}

impl TileId {
    /// How the layout stores it: the tile's name, or `report:<id>`.
    pub fn key(self) -> String {
        match self {
            TileId::Built(kind) => kind.as_str().to_owned(),
            TileId::Report(id) => format!("report:{id}"),
        }
    }

    pub fn parse(key: &str) -> Option<TileId> {
        match key.strip_prefix("report:") {
            Some(id) => id.parse().ok().map(TileId::Report),
            None => TileKind::parse(key).ok().map(TileId::Built),
        }
    }
}

/// A user's dashboard: the tiles shown, in order, the ones offered but hidden, and the reports
/// they saved (whose tiles are among the shown or hidden).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardLayout {
    pub shown: Vec<TileId>,
    pub hidden: Vec<TileId>,
    pub reports: Vec<SavedReport>,
    /// The saved layout's version (0 before the user first saved one), for conflict detection.
    pub version: i32,
}

/// A user's tile order as stored: the tiles shown (`TileId::key`s), its version, and when it was
/// saved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredLayout {
    pub tiles: Vec<String>,
    pub version: i32,
    pub saved_at: DateTime<Utc>,
}

impl DashboardLayout {
    /// A stored order read back for `role` and the user's saved `reports`: tiles the role may no
    /// longer have are dropped (a demoted manager loses the rep tiles), as are reports no longer
    /// saved; built-in tiles added since are offered as hidden, and reports saved since the
    /// order was stored are shown last (one left out of an order stored after it was hidden).
    pub fn for_role(role: Role, stored: Option<StoredLayout>, reports: Vec<SavedReport>) -> Self {
        let offered: Vec<TileId> = TileKind::offered_to(role)
            .into_iter()
            .map(TileId::Built)
            .chain(reports.iter().map(|report| TileId::Report(report.id)))
            .collect();
        let (mut shown, version, arranged_at) = match stored {
            Some(StoredLayout { tiles, version, saved_at }) => {
                let mut shown: Vec<TileId> = Vec::new();
                for tile in tiles.iter().filter_map(|n| TileId::parse(n)) {
                    if offered.contains(&tile) && !shown.contains(&tile) {
                        shown.push(tile);
                    }
                }
                (shown, version, Some(saved_at))
            }
            None => (TileKind::defaults(role).into_iter().map(TileId::Built).collect(), 0, None),
        };
        for report in &reports {
            let tile = TileId::Report(report.id);
            let newer = arranged_at.is_none_or(|arranged| report.saved_at > arranged);
            if newer && !shown.contains(&tile) {
                shown.push(tile);
            }
        }
        let hidden = offered.into_iter().filter(|tile| !shown.contains(tile)).collect();
        DashboardLayout { shown, hidden, reports, version }
    }

    /// The saved report behind a report tile.
    pub fn report(&self, id: i64) -> Option<&SavedReport> {
        self.reports.iter().find(|report| report.id == id)
    }
}

/// Checks an order a user asks to save: only tiles their role may have and reports they saved
/// (`saved`, by id), each once.
pub fn check_layout(
    role: Role,
    shown: &[TileId],
    saved: &[i64],
) -> Result<(), crate::error::AppError> {
    let mut errors = FieldErrors::new();
    for (n, tile) in shown.iter().enumerate() {
        let allowed = match tile {
            TileId::Built(kind) => role.includes(kind.least_role()),
            TileId::Report(id) => saved.contains(id),
        };
        if !allowed || shown[..n].contains(tile) {
            errors.add(&format!("tiles.{n}"), FieldError::InvalidChoice);
        }
    }
    errors.into_result()
}

/// A line of a tile's list: what it is, a detail (in each language where it is made of
/// configured names, such as tiers), when, and where it opens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TileItem {
    pub label: String,
    pub detail_zh: String,
    pub detail_en: String,
    pub at: Option<DateTime<Utc>>,
    pub href: String,
}

impl TileItem {
    /// An item whose detail reads the same in every language (a customer's name, say).
    pub fn plain(
        label: String,
        detail: String,
        at: Option<DateTime<Utc>>,
        href: impl Into<String>,
    ) -> Self {
        TileItem { label, detail_zh: detail.clone(), detail_en: detail, at, href: href.into() }
    }

    pub fn detail(&self, locale: crate::i18n::Locale) -> &str {
        match locale {
            crate::i18n::Locale::ZhCn => &self.detail_zh,
            crate::i18n::Locale::En => &self.detail_en,
        }
    }
}

/// A named amount: a stage, a rep, a tier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TileBar {
    pub name_zh: String,
    pub name_en: String,
    pub count: i64,
    pub amount_minor: i64,
    pub color: Option<String>,
    pub href: String,
}

/// Won, weighted open and quota over one period.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub won_minor: i64,
    /// Σ amount × stage probability of open opportunities expected to close in the period.
    pub weighted_minor: i64,
    pub quota_minor: i64,
}

impl Target {
    /// Won plus weighted, as a percent of quota; `None` without a quota.
    pub fn expected_percent(self) -> Option<i64> {
        (self.quota_minor > 0)
            .then(|| (self.won_minor + self.weighted_minor) * 100 / self.quota_minor)
    }
}

/// A tile's figures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TileData {
    /// A count and the first few records behind it (near-breach tickets, silent customers,
    /// waiting leads, tier drops).
    Items {
        count: i64,
        items: Vec<TileItem>,
        href: String,
    },
    Tasks {
        overdue: i64,
        due_today: i64,
        items: Vec<TileItem>,
    },
    /// Named amounts (stages, reps, tiers).
    Bars {
        bars: Vec<TileBar>,
        href: String,
    },
    Forecast {
        month: Target,
        quarter: Target,
        month_start: NaiveDate,
        quarter_start: NaiveDate,
    },
    Sla {
        due: i64,
        met: i64,
        breached_open: i64,
    },
    Revenue {
        this_month: SalesFigures,
        last_month: SalesFigures,
        last_year: SalesFigures,
        from: NaiveDate,
        to: NaiveDate,
    },
    Customers {
        added: i64,
        lost: i64,
        month_start: NaiveDate,
    },
    Jobs {
        running: i64,
        queued: i64,
        failed_this_week: i64,
        last_failure: Option<TileItem>,
    },
}

/// A tile's figures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tile {
    pub kind: TileKind,
    pub data: TileData,
}

/// The sales report behind the revenue tile: the same days, by day, against last year.
pub fn revenue_report_href(from: NaiveDate, to: NaiveDate) -> String {
    use crate::reports::model::{Comparison, SalesFilter, SalesQuery, query_string};
    let query = SalesQuery {
        filter: SalesFilter { from: Some(from), to: Some(to), ..Default::default() },
        comparison: Comparison::PreviousYear,
        ..Default::default()
    };
    format!("/reports/sales?{}", query_string(&query.query_pairs()))
}

/// The first day of the quarter holding `day`.
pub fn quarter_start(day: NaiveDate) -> NaiveDate {
    crate::reports::model::Grouping::Quarter.period_start(day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_tile_is_offered_to_its_role() {
        for role in [Role::Member, Role::Manager, Role::Admin] {
            let offered = TileKind::offered_to(role);
            assert!(TileKind::defaults(role).iter().all(|kind| offered.contains(kind)), "{role:?}");
        }
        assert!(!TileKind::offered_to(Role::Member).contains(&TileKind::JobHealth));
        assert_eq!(TileKind::offered_to(Role::Admin).len(), TileKind::ALL.len());
    }

    fn saved(id: i64, saved_at: DateTime<Utc>) -> SavedReport {
        SavedReport {
            id,
            report: crate::reports::saved::model::SavedReportKind::Sales,
            title: format!("report {id}"),
            query: String::new(),
            dates: Default::default(),
            saved_at,
        }
    }

    fn at(hour: u32) -> DateTime<Utc> {
        chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 12, 6, hour, 0, 0).unwrap()
    }

    #[test]
    fn a_stored_order_keeps_the_users_choice_and_drops_what_the_role_lost() {
        use TileId::{Built, Report};
        let tiles = vec![
            "won_by_rep".to_owned(),
            "report:7".into(),
            "my_tasks".into(),
            "nonsense".into(),
            "report:x".into(),
            "report:9".into(),
            "my_tasks".into(),
        ];
        let stored = StoredLayout { tiles, version: 3, saved_at: at(12) };
        // Report 7 is placed, 8 was saved before the order and left out of it (hidden), 10 was
        // saved after it (shown last), 9 was deleted (gone).
        let reports = vec![saved(7, at(9)), saved(8, at(10)), saved(10, at(13))];
        let as_manager =
            DashboardLayout::for_role(Role::Manager, Some(stored.clone()), reports.clone());
        assert_eq!(
            as_manager.shown,
            vec![Built(TileKind::WonByRep), Report(7), Built(TileKind::MyTasks), Report(10)]
        );
        assert_eq!(as_manager.version, 3);
        assert!(as_manager.hidden.contains(&Built(TileKind::ForecastVsQuota)));
        assert!(as_manager.hidden.contains(&Report(8)));
        assert!(!as_manager.hidden.contains(&Built(TileKind::MyTasks)));
        assert_eq!(as_manager.report(7).map(|r| r.title.as_str()), Some("report 7"));

        let demoted = DashboardLayout::for_role(Role::Member, Some(stored), reports.clone());
        assert_eq!(demoted.shown, vec![Report(7), Built(TileKind::MyTasks), Report(10)]);
        assert!(!demoted.hidden.contains(&Built(TileKind::WonByRep)));

        // Before any order is stored: the role's defaults, then every saved report.
        let fresh = DashboardLayout::for_role(Role::Member, None, reports);
        let mut expected: Vec<TileId> =
            TileKind::defaults(Role::Member).into_iter().map(Built).collect();
        expected.extend([Report(7), Report(8), Report(10)]);
        assert_eq!(fresh.shown, expected);
        assert_eq!(fresh.version, 0);
    }

    #[test]
    fn a_tile_key_reads_back_as_the_same_tile() {
        for tile in [TileId::Built(TileKind::JobHealth), TileId::Report(42)] {
            assert_eq!(TileId::parse(&tile.key()), Some(tile));
        }
        assert_eq!(TileId::parse("report:"), None);
        assert_eq!(TileId::parse("report:-"), None);
        assert_eq!(TileId::parse("weather"), None);
    }

    #[test]
    fn saving_refuses_tiles_above_the_role_repeats_and_others_reports() {
        use TileId::{Built, Report};
        let member = |tiles: &[TileId]| check_layout(Role::Member, tiles, &[5]);
        assert!(member(&[Built(TileKind::MyTasks), Built(TileKind::Revenue), Report(5)]).is_ok());
        assert!(member(&[Built(TileKind::MyTasks), Built(TileKind::JobHealth)]).is_err());
        assert!(member(&[Report(6)]).is_err());
        assert!(member(&[Report(5), Report(5)]).is_err());
        let admin = |tiles: &[TileId]| check_layout(Role::Admin, tiles, &[]);
        assert!(admin(&[Built(TileKind::Revenue), Built(TileKind::Revenue)]).is_err());
        assert!(admin(&[Built(TileKind::JobHealth), Built(TileKind::Revenue)]).is_ok());
    }

    #[test]
    fn expected_share_of_quota_counts_won_and_weighted() {
        let target = Target { won_minor: 30_000, weighted_minor: 20_000, quota_minor: 100_000 };
        assert_eq!(target.expected_percent(), Some(50));
        assert_eq!(Target { quota_minor: 0, ..target }.expected_percent(), None);
        assert_eq!(
            quarter_start(NaiveDate::from_ymd_opt(2026, 12, 6).unwrap()),
            NaiveDate::from_ymd_opt(2026, 10, 1).unwrap()
        );
    }
}
