//! What the funnel report asks and answers. The query travels in the page's address, so the
//! report is bookmarked, refreshed and opened directly.

use crate::{
    error::FieldErrors,
    leads::model::{LeadSource, LeadStatus},
    reports::model::{
        Compared, Comparison, Narrowing, SalesFilter, comparison_in, with_comparison,
    },
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Which leads the funnel follows: created on company days `from..=to` (this month so far when
/// empty), owned within the narrowing (the caller's scope still applies; a lead's region is its
/// own), from one source or all; its headline counts set beside those of `comparison`'s range.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunnelQuery {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub narrowing: Narrowing,
    pub source: Option<LeadSource>,
    #[serde(default)]
    pub comparison: Comparison,
}

impl FunnelQuery {
    /// As a sales filter without a channel: the same days, narrowing, address keys and refusals.
    pub fn as_filter(&self) -> SalesFilter {
        SalesFilter { from: self.from, to: self.to, ..self.narrowing.as_filter() }
    }

    /// The days covered, as the sales report counts them.
    pub fn range(&self, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), FieldErrors> {
        self.as_filter().range(today)
    }

    pub fn query_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = self.as_filter().query_pairs();
        if let Some(source) = self.source {
            pairs.push(("source", source.as_str().to_owned()));
        }
        with_comparison(pairs, self.comparison)
    }

    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Self {
        let filter = SalesFilter::from_query(&get);
        FunnelQuery {
            from: filter.from,
            to: filter.to,
            narrowing: filter.narrowing(),
            source: get("source").and_then(|v| LeadSource::parse(&v).ok()),
            comparison: comparison_in(&get),
        }
    }
}

/// How far a lead went. Each step counts the leads that reached it, so every step is a share
/// of the one before.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FunnelStep {
    /// Created in the range.
    Created,
    /// Followed up at least once.
    Contacted,
    /// Converted into a customer with an opportunity.
    Converted,
    /// Its opportunity was won.
    Won,
    /// Set aside as not a prospect (beside the funnel, not a step of it).
    Disqualified,
}

crate::enums::text_enum!(FunnelStep {
    Created => "created", Contacted => "contacted", Converted => "converted", Won => "won",
    Disqualified => "disqualified",
});

impl FunnelStep {
    /// The steps of the funnel, in order.
    pub const STEPS: [FunnelStep; 4] =
        [FunnelStep::Created, FunnelStep::Contacted, FunnelStep::Converted, FunnelStep::Won];
}

/// One cohort of leads followed through the funnel. Amounts in minor units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FunnelCounts {
    pub created: i64,
    pub contacted: i64,
    pub converted: i64,
    pub won: i64,
    pub disqualified: i64,
    /// The won opportunities' amount.
    pub won_amount_minor: i64,
    /// Median days from the lead's creation to its first contact.
    pub days_to_contact: Option<f64>,
    /// Median days from the lead's creation to its opportunity.
    pub days_to_convert: Option<f64>,
    /// Median days from the opportunity's creation to its win.
    pub days_to_win: Option<f64>,
    /// Median days from the lead's creation to the win: the whole way.
    pub days_lead_to_win: Option<f64>,
    /// Orders its converted customers placed since converting (each order counted for the
    /// latest lead converted before it), less refunds.
    pub orders: i64,
    pub revenue_minor: i64,
}

impl FunnelCounts {
    /// The leads that reached `step`.
    pub fn reached(&self, step: FunnelStep) -> i64 {
        match step {
            FunnelStep::Created => self.created,
            FunnelStep::Contacted => self.contacted,
            FunnelStep::Converted => self.converted,
            FunnelStep::Won => self.won,
            FunnelStep::Disqualified => self.disqualified,
        }
    }

    /// The median days the step took (from the step before; none for the first).
    pub fn median_days(&self, step: FunnelStep) -> Option<f64> {
        match step {
            FunnelStep::Contacted => self.days_to_contact,
            FunnelStep::Converted => self.days_to_convert,
            FunnelStep::Won => self.days_to_win,
            FunnelStep::Created | FunnelStep::Disqualified => None,
        }
    }

    /// The share of the step before that reached `step`, in percent (of all leads for the
    /// first step and for disqualified ones).
    pub fn step_rate(&self, step: FunnelStep) -> Option<f64> {
        let before = match step {
            FunnelStep::Converted => self.contacted,
            FunnelStep::Won => self.converted,
            FunnelStep::Created | FunnelStep::Contacted | FunnelStep::Disqualified => self.created,
        };
        share(self.reached(step), before)
    }

    /// The share of all leads that reached `step`, in percent.
    pub fn overall_rate(&self, step: FunnelStep) -> Option<f64> {
        share(self.reached(step), self.created)
    }
}

fn share(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 * 100.0 / whole as f64)
}

/// The funnel of one lead source.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SourceFunnel {
    pub source: LeadSource,
    pub counts: FunnelCounts,
}

/// The report as asked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FunnelReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub total: FunnelCounts,
    /// The same counts over the compared range, when asked.
    pub compared: Option<Compared<FunnelCounts>>,
    /// Most revenue first, then most leads.
    pub sources: Vec<SourceFunnel>,
}

/// The leads behind a figure: the report's query and the step they reached.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunnelLeadFilter {
    pub query: FunnelQuery,
    pub step: Option<FunnelStep>,
}

impl FunnelLeadFilter {
    pub fn query_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = self.query.query_pairs();
        if let Some(step) = self.step {
            pairs.push(("step", step.as_str().to_owned()));
        }
        pairs
    }

    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Self {
        FunnelLeadFilter {
            step: get("step").and_then(|v| FunnelStep::parse(&v).ok()),
            query: FunnelQuery::from_query(get),
        }
    }
}

/// A lead as the list behind a figure shows it: how far it went, and its deal if it has one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunnelLead {
    pub id: i64,
    pub name: String,
    pub company: Option<String>,
    pub source: LeadSource,
    pub status: LeadStatus,
    pub owner_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub first_contacted_at: Option<DateTime<Utc>>,
    pub opportunity_id: Option<i64>,
    pub opportunity_title: Option<String>,
    /// The opportunity's stage kind: open, won or lost.
    pub deal_kind: Option<String>,
    pub amount_minor: Option<i64>,
    pub currency: Option<String>,
}

/// Where the next page of leads starts: after this lead, newest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunnelLeadCursor {
    pub at: DateTime<Utc>,
    pub id: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_step_is_a_share_of_the_one_before() {
        let counts = FunnelCounts {
            created: 200,
            contacted: 150,
            converted: 30,
            won: 12,
            disqualified: 20,
            ..Default::default()
        };
        assert_eq!(counts.step_rate(FunnelStep::Created), Some(100.0));
        assert_eq!(counts.step_rate(FunnelStep::Contacted), Some(75.0));
        assert_eq!(counts.step_rate(FunnelStep::Converted), Some(20.0));
        assert_eq!(counts.step_rate(FunnelStep::Won), Some(40.0));
        assert_eq!(counts.overall_rate(FunnelStep::Won), Some(6.0));
        assert_eq!(counts.step_rate(FunnelStep::Disqualified), Some(10.0));
        assert_eq!(FunnelCounts::default().step_rate(FunnelStep::Won), None);
    }

    #[test]
    fn a_drill_down_reads_back_from_its_address() {
        let filter = FunnelLeadFilter {
            query: FunnelQuery {
                from: NaiveDate::from_ymd_opt(2026, 11, 1),
                to: NaiveDate::from_ymd_opt(2026, 11, 30),
                narrowing: Narrowing {
                    owner: None,
                    team: Some(3),
                    region: Some("广东".into()),
                    tier: None,
                },
                source: Some(LeadSource::WebForm),
                comparison: Comparison::PreviousPeriod,
            },
            step: Some(FunnelStep::Converted),
        };
        let pairs = filter.query_pairs();
        let read = FunnelLeadFilter::from_query(|key| {
            pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone())
        });
        assert_eq!(read, filter);
        assert_eq!(FunnelLeadFilter::from_query(|_| None), FunnelLeadFilter::default());
    }
}
