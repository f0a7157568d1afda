//! What a sales report asks and answers, shared by the page and the server: the query (as the
//! page's URL carries it, so a report is bookmarked, refreshed and opened directly), its bars, and
//! the orders behind any bar.

use crate::{
    error::{FieldError, FieldErrors},
    orders::model::Channel,
};
use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

/// What the bars of the sales report stand for.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grouping {
    #[default]
    Day,
    Week,
    Month,
    Quarter,
    Owner,
    Team,
    Region,
    Channel,
    /// Each product sold, from its order lines.
    Product,
    /// Each product category, from its products' order lines.
    Category,
}

crate::enums::text_enum!(Grouping {
    Day => "day", Week => "week", Month => "month", Quarter => "quarter",
    Owner => "owner", Team => "team", Region => "region", Channel => "channel",
    Product => "product", Category => "category",
});

impl Grouping {
    /// Whether the bars are products or categories: figures of order lines, not whole orders.
    pub fn is_by_product(self) -> bool {
        matches!(self, Grouping::Product | Grouping::Category)
    }

    /// Whether the bars are periods of time (in order, gaps shown) rather than categories.
    pub fn is_period(self) -> bool {
        matches!(self, Grouping::Day | Grouping::Week | Grouping::Month | Grouping::Quarter)
    }

    /// The first day of the period holding `day` (weeks start on Monday, as in China).
    pub fn period_start(self, day: NaiveDate) -> NaiveDate {
        match self {
            Grouping::Week => day - Duration::days(day.weekday().num_days_from_monday() as i64),
            Grouping::Month => day.with_day(1).unwrap_or(day),
            Grouping::Quarter => {
                NaiveDate::from_ymd_opt(day.year(), (day.month0() / 3) * 3 + 1, 1).unwrap_or(day)
            }
            _ => day,
        }
    }

    /// The first day of the period after the one starting at `start`.
    pub fn next_period(self, start: NaiveDate) -> NaiveDate {
        match self {
            Grouping::Week => start + Duration::days(7),
            Grouping::Month => start.checked_add_months(chrono::Months::new(1)).unwrap_or(start),
            Grouping::Quarter => start.checked_add_months(chrono::Months::new(3)).unwrap_or(start),
            _ => start + Duration::days(1),
        }
    }
}

/// What the figures are set beside.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    #[default]
    None,
    /// The same number of days just before.
    PreviousPeriod,
    /// The same dates a year earlier.
    PreviousYear,
}

crate::enums::text_enum!(Comparison {
    None => "none", PreviousPeriod => "previous_period", PreviousYear => "previous_year",
});

/// The longest range a report covers, and the most bars a day-by-day report draws.
pub const MAX_RANGE_DAYS: i64 = 3 * 366;
pub const MAX_DAY_BARS: i64 = 366;

/// Which sales a report or an order list covers. Dates are the company's calendar days, both
/// ends included; an empty range means this month so far. `owner` 0 means customers without an
/// owner, `team` 0 owners in no team (and customers without an owner), `region` "" customers
/// without a region. `product` and `category` ("" for products without one) narrow to the
/// order lines of those products: the figures are then the lines' (their totals less their
/// share of refunds), not the whole orders'. `tier` narrows to customers in that value tier now
/// (0: in none), where a report's rows have one: churn, deals, customer value, cohorts (from
/// `cohort_tier_month`) and the sales report by period, rep, team, region or channel (from
/// `sales_tier_day`); the product summaries keep no tier, so products refuse one.
/// Whatever the filter says, the caller's data scope still applies: a filter only narrows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesFilter {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub owner: Option<i64>,
    pub team: Option<i64>,
    pub region: Option<String>,
    pub channel: Option<Channel>,
    pub product: Option<i64>,
    pub category: Option<String>,
    pub tier: Option<i64>,
}

/// Whose customers a report counts beyond the caller's scope: a rep, a team, a region, a tier
/// in force, with the same meanings (0 and "" for none) and address keys as the sales report's
/// filter.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Narrowing {
    pub owner: Option<i64>,
    pub team: Option<i64>,
    pub region: Option<String>,
    pub tier: Option<i64>,
}

impl Narrowing {
    /// As a sales filter without dates or channel, for the conditions both reports share.
    pub fn as_filter(&self) -> SalesFilter {
        SalesFilter {
            owner: self.owner,
            team: self.team,
            region: self.region.clone(),
            tier: self.tier,
            ..Default::default()
        }
    }

    pub fn query_pairs(&self) -> Vec<(&'static str, String)> {
        self.as_filter().query_pairs()
    }

    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Self {
        SalesFilter::from_query(get).narrowing()
    }
}

/// A report over a range of company days (this month so far when empty), narrowed by rep, team
/// and region (whose rep and region depends on the report: a deal's owner, a customer's), with
/// the sales filter's address keys and refusals, and the range its headline figures are set
/// beside (where the report compares: win/loss and churn).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeQuery {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub narrowing: Narrowing,
    #[serde(default)]
    pub comparison: Comparison,
}

impl RangeQuery {
    /// As a sales filter without a channel: the same days, the same narrowing, the same
    /// address keys and the same refusals.
    pub fn as_filter(&self) -> SalesFilter {
        SalesFilter { from: self.from, to: self.to, ..self.narrowing.as_filter() }
    }

    /// The days covered, as the sales report counts them.
    pub fn range(&self, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), FieldErrors> {
        self.as_filter().range(today)
    }

    pub fn query_pairs(&self) -> Vec<(&'static str, String)> {
        with_comparison(self.as_filter().query_pairs(), self.comparison)
    }

    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Self {
        let filter = SalesFilter::from_query(&get);
        RangeQuery {
            from: filter.from,
            to: filter.to,
            narrowing: filter.narrowing(),
            comparison: comparison_in(&get),
        }
    }
}

/// `pairs` with the comparison's address key, where there is one.
pub fn with_comparison(
    mut pairs: Vec<(&'static str, String)>,
    comparison: Comparison,
) -> Vec<(&'static str, String)> {
    if comparison != Comparison::default() {
        pairs.push(("compare", comparison.as_str().to_owned()));
    }
    pairs
}

/// The comparison an address names (none when it names none, or nothing known).
pub fn comparison_in(get: impl Fn(&str) -> Option<String>) -> Comparison {
    get("compare").and_then(|v| Comparison::parse(&v).ok()).unwrap_or_default()
}

/// The change from `before` to `now` in percent (none from nothing).
pub fn percent_change(now: i64, before: i64) -> Option<f64> {
    (before != 0).then(|| (now - before) as f64 * 100.0 / before.abs() as f64)
}

/// A report's headline figures over the range it is compared with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Compared<T> {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub figures: T,
}

/// Reasons a report lists one by one; the rest are summed as one row.
pub const REASONS_LISTED: usize = 12;

/// A reason deals or customers were lost for, as written (`None` for the rows summed as "other
/// reasons", "" for none given), how many, and their amount (a deal's, or what a customer had
/// spent) in minor units.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LostReason {
    pub reason: Option<String>,
    pub count: i64,
    pub amount_minor: i64,
}

/// The sales report's question: a filter, how to group, and what to compare with.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesQuery {
    pub filter: SalesFilter,
    pub grouping: Grouping,
    pub comparison: Comparison,
}

impl SalesFilter {
    /// The range to report: the one asked, or this month up to `today`. Refuses a range that
    /// ends before it starts or is longer than `MAX_RANGE_DAYS`.
    pub fn range(&self, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), FieldErrors> {
        let from = self.from.unwrap_or_else(|| today.with_day(1).unwrap_or(today));
        let to = self.to.unwrap_or(if self.from.is_some() { from.max(today) } else { today });
        if to < from {
            return Err(FieldErrors::single("to", FieldError::InvalidDate));
        }
        if (to - from).num_days() >= MAX_RANGE_DAYS {
            return Err(FieldErrors::single(
                "to",
                FieldError::OutOfRange { min: 1, max: MAX_RANGE_DAYS },
            ));
        }
        Ok((from, to))
    }

    /// Its rep, team and region.
    pub fn narrowing(&self) -> Narrowing {
        Narrowing {
            owner: self.owner,
            team: self.team,
            region: self.region.clone(),
            tier: self.tier,
        }
    }

    /// The filter as URL query pairs (what the page's address carries), empty values left out.
    pub fn query_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = vec![];
        if let Some(from) = self.from {
            pairs.push(("from", from.to_string()));
        }
        if let Some(to) = self.to {
            pairs.push(("to", to.to_string()));
        }
        if let Some(owner) = self.owner {
            pairs.push(("owner", owner.to_string()));
        }
        if let Some(team) = self.team {
            pairs.push(("team", team.to_string()));
        }
        if let Some(region) = &self.region {
            pairs.push(("region", region.clone()));
        }
        if let Some(channel) = self.channel {
            pairs.push(("channel", channel.as_str().to_owned()));
        }
        if let Some(product) = self.product {
            pairs.push(("product", product.to_string()));
        }
        if let Some(category) = &self.category {
            pairs.push(("category", category.clone()));
        }
        if let Some(tier) = self.tier {
            pairs.push(("tier", tier.to_string()));
        }
        pairs
    }

    /// Whether the filter narrows to some products' order lines.
    pub fn names_products(&self) -> bool {
        self.product.is_some() || self.category.is_some()
    }

    /// The filter a URL's query names; what does not parse is left out (a hand-edited address
    /// shows the default rather than an error page).
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Self {
        let date = |key: &str| get(key).and_then(|v| v.parse::<NaiveDate>().ok());
        let number = |key: &str| get(key).and_then(|v| v.parse::<i64>().ok());
        SalesFilter {
            from: date("from"),
            to: date("to"),
            owner: number("owner").filter(|n| *n >= 0),
            team: number("team").filter(|n| *n >= 0),
            region: get("region"),
            channel: get("channel").and_then(|v| Channel::parse(&v).ok()),
            product: number("product").filter(|n| *n > 0),
            category: get("category"),
            tier: number("tier").filter(|n| *n >= 0),
        }
    }
}

impl SalesQuery {
    /// Whether the report counts products' order lines (grouped by or narrowed to products)
    /// rather than whole orders.
    pub fn by_product(&self) -> bool {
        self.grouping.is_by_product() || self.filter.names_products()
    }

    pub fn query_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = self.filter.query_pairs();
        if self.grouping != Grouping::default() {
            pairs.push(("by", self.grouping.as_str().to_owned()));
        }
        if self.comparison != Comparison::default() {
            pairs.push(("compare", self.comparison.as_str().to_owned()));
        }
        pairs
    }

    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Self {
        SalesQuery {
            grouping: get("by").and_then(|v| Grouping::parse(&v).ok()).unwrap_or_default(),
            comparison: get("compare").and_then(|v| Comparison::parse(&v).ok()).unwrap_or_default(),
            filter: SalesFilter::from_query(get),
        }
    }
}

/// `a=1&b=x` with the values escaped, for links.
pub fn query_string(pairs: &[(&'static str, String)]) -> String {
    pairs
        .iter()
        .map(|(key, value)| format!("{key}={}", crate::ui::urlencode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The range compared with `from..=to`.
pub fn compared_range(
    comparison: Comparison,
    from: NaiveDate,
    to: NaiveDate,
) -> Option<(NaiveDate, NaiveDate)> {
    match comparison {
        Comparison::None => None,
        Comparison::PreviousPeriod => {
            let days = (to - from).num_days() + 1;
            Some((from - Duration::days(days), from - Duration::days(1)))
        }
        Comparison::PreviousYear => {
            let year_back = |d: NaiveDate| {
                d.checked_sub_months(chrono::Months::new(12)).unwrap_or(d - Duration::days(365))
            };
            Some((year_back(from), year_back(to)))
        }
    }
}

/// Orders placed and what they brought in (totals less refunds), in minor units. Of products'
/// order lines: the orders holding them (an order counts once for each product it holds), the
/// units sold, and the lines' totals less their share of refunds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesFigures {
    pub orders: i64,
    pub revenue_minor: i64,
    #[serde(default)]
    pub units: i64,
}

impl SalesFigures {
    /// The average order value, in minor units (none without orders).
    pub fn average_minor(self) -> Option<i64> {
        (self.orders > 0).then(|| self.revenue_minor / self.orders)
    }

    /// The change from `before` in percent (none when there was nothing before).
    pub fn change_percent(self, before: SalesFigures) -> Option<f64> {
        percent_change(self.revenue_minor, before.revenue_minor)
    }
}

/// What one bar stands for.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BarKey {
    /// A period starting on this day (a day, week, month or quarter).
    Period(NaiveDate),
    /// A sales rep (`None`: customers without an owner), with their name.
    Owner(Option<i64>, Option<String>),
    /// A team (`None`: owners in no team, and unowned customers), with its name.
    Team(Option<i64>, Option<String>),
    /// A region ("" for none).
    Region(String),
    Channel(Channel),
    /// A product: its id, SKU and name.
    Product(i64, String, String),
    /// A product category ("" for products without one).
    Category(String),
}

/// One bar: its key, its figures, the figures it is compared with (categories only: periods
/// compare by their totals), and the orders behind it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesBar {
    pub key: BarKey,
    pub figures: SalesFigures,
    pub compared: Option<SalesFigures>,
    pub drill: SalesFilter,
}

/// The sales report as asked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub grouping: Grouping,
    /// Whether the figures are products' order lines (grouped by product or category, or
    /// narrowed to some), and the product narrowed to by its SKU and name.
    pub by_product: bool,
    pub product: Option<(String, String)>,
    pub compared_range: Option<(NaiveDate, NaiveDate)>,
    pub bars: Vec<SalesBar>,
    pub total: SalesFigures,
    pub compared_total: Option<SalesFigures>,
}

impl SalesReport {
    /// The product narrowed to, as "name (SKU)".
    pub fn product_label(&self) -> Option<String> {
        self.product.as_ref().map(|(sku, name)| format!("{name} ({sku})"))
    }
}

/// What the report's filter offers the caller: owners and teams in their scope, the company's
/// regions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterChoices {
    pub owners: Vec<(i64, String)>,
    /// Whether the caller sees customers nobody owns (and may pick them).
    pub sees_unowned: bool,
    pub teams: Vec<(i64, String)>,
    pub regions: Vec<String>,
    /// The products' categories.
    #[serde(default)]
    pub categories: Vec<String>,
    /// The value tiers in order (company settings every user reads).
    #[serde(default)]
    pub tiers: Vec<crate::tiers::model::Tier>,
}

/// An order behind a figure, as the drill-down lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportOrder {
    pub id: i64,
    pub order_no: String,
    pub ordered_at: chrono::DateTime<chrono::Utc>,
    pub channel: Channel,
    /// What the order counts for in the report: its total less refunds, or (narrowed to some
    /// products) those products' lines less their share of refunds.
    pub net_minor: i64,
    pub currency: String,
    pub customer_id: i64,
    pub customer_name: String,
    pub owner_name: Option<String>,
    pub region: Option<String>,
}

/// Where the next page of orders starts: after this order, newest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderCursor {
    pub at: chrono::DateTime<chrono::Utc>,
    pub id: i64,
}

/// Money in large, glanceable units: `¥12.3万` / `¥1.2亿` in Chinese, `¥12.3K` / `¥1.2M` in
/// English; below ten thousand in full.
pub fn compact_money(minor: i64, locale: crate::i18n::Locale) -> String {
    let yuan = minor as f64 / 100.0;
    let sign = if yuan < 0.0 { "-" } else { "" };
    let abs = yuan.abs();
    let short = |value: f64, unit: &str| {
        let text = format!("{value:.1}");
        format!("{sign}¥{}{unit}", text.strip_suffix(".0").unwrap_or(&text))
    };
    match locale {
        crate::i18n::Locale::ZhCn if abs >= 1e8 => short(abs / 1e8, "亿"),
        crate::i18n::Locale::ZhCn if abs >= 1e4 => short(abs / 1e4, "万"),
        crate::i18n::Locale::En if abs >= 1e9 => short(abs / 1e9, "B"),
        crate::i18n::Locale::En if abs >= 1e6 => short(abs / 1e6, "M"),
        crate::i18n::Locale::En if abs >= 1e4 => short(abs / 1e3, "K"),
        _ => crate::money::Money { minor: minor.abs(), currency: "CNY".into() }
            .display()
            .split('.')
            .next()
            .map(|whole| format!("{sign}{whole}"))
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Locale;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn periods_start_on_monday_the_first_and_the_quarter() {
        assert_eq!(Grouping::Week.period_start(day("2026-12-06")), day("2026-11-30"));
        assert_eq!(Grouping::Month.period_start(day("2026-12-06")), day("2026-12-01"));
        assert_eq!(Grouping::Quarter.period_start(day("2026-11-15")), day("2026-10-01"));
        assert_eq!(Grouping::Quarter.next_period(day("2026-10-01")), day("2027-01-01"));
        assert_eq!(Grouping::Month.next_period(day("2026-01-01")), day("2026-02-01"));
    }

    #[test]
    fn an_empty_range_is_this_month_so_far_and_a_reversed_one_is_refused() {
        let today = day("2026-12-06");
        assert_eq!(SalesFilter::default().range(today), Ok((day("2026-12-01"), today)));
        let reversed =
            SalesFilter { from: Some(today), to: Some(day("2026-12-01")), ..Default::default() };
        assert_eq!(reversed.range(today).unwrap_err().get("to"), &[FieldError::InvalidDate]);
        let long =
            SalesFilter { from: Some(day("2020-01-01")), to: Some(today), ..Default::default() };
        assert!(long.range(today).is_err());
    }

    #[test]
    fn compared_ranges_are_the_days_before_or_a_year_back() {
        let (from, to) = (day("2026-12-01"), day("2026-12-06"));
        assert_eq!(
            compared_range(Comparison::PreviousPeriod, from, to),
            Some((day("2026-11-25"), day("2026-11-30")))
        );
        assert_eq!(
            compared_range(Comparison::PreviousYear, day("2024-02-29"), day("2024-03-01")),
            Some((day("2023-02-28"), day("2023-03-01")))
        );
    }

    #[test]
    fn a_query_survives_its_url() {
        let query = SalesQuery {
            filter: SalesFilter {
                from: Some(day("2026-11-01")),
                to: Some(day("2026-11-30")),
                owner: Some(0),
                team: Some(3),
                region: Some("华东 & 上海".into()),
                channel: Some(Channel::Wechat),
                product: Some(7),
                category: Some(String::new()),
                tier: Some(0),
            },
            grouping: Grouping::Owner,
            comparison: Comparison::PreviousYear,
        };
        let pairs = query.query_pairs();
        let back = SalesQuery::from_query(|key| {
            pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone())
        });
        assert_eq!(back, query);
        assert!(query_string(&pairs).contains("region=%E5%8D%8E%E4%B8%9C%20%26%20"));
    }

    #[test]
    fn money_is_shown_in_wan_and_yi_in_chinese() {
        assert_eq!(compact_money(123_456_700, Locale::ZhCn), "¥123.5万");
        assert_eq!(compact_money(25_000_000_000, Locale::ZhCn), "¥2.5亿");
        assert_eq!(compact_money(123_456_700, Locale::En), "¥1.2M");
        assert_eq!(compact_money(980_000, Locale::ZhCn), "¥9,800");
        assert_eq!(compact_money(-2_000_000, Locale::En), "-¥20K");
        assert_eq!(compact_money(2_000_000, Locale::ZhCn), "¥2万");
    }
}
