//! Exports as the pages ask for them.

use crate::{
    enums::text_enum,
    i18n::{ExportText, Locale, Text},
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The file format of an export.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// Excel: what Chinese SMEs open first.
    #[default]
    Xlsx,
    Csv,
}

text_enum!(ExportFormat { Xlsx => "xlsx", Csv => "csv" });

impl ExportFormat {
    pub fn extension(self) -> &'static str {
        self.as_str()
    }
}

/// What can be exported. Each follows its list's filter and the caller's data scope.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportEntity {
    Customers,
    Contacts,
    Orders,
    OrderLines,
    Products,
    Interactions,
    Leads,
    Opportunities,
    Tickets,
    Tasks,
    SurveyAnswers,
    Points,
    AuditLog,
    /// The placed orders behind a sales report's figure (its drill-down list's filter).
    ReportOrders,
}

text_enum!(ExportEntity {
    Customers => "customers", Contacts => "contacts", Orders => "orders",
    OrderLines => "order_lines", Products => "products", Interactions => "interactions",
    Leads => "leads", Opportunities => "opportunities", Tickets => "tickets", Tasks => "tasks",
    SurveyAnswers => "survey_answers", Points => "points", AuditLog => "audit_log",
    ReportOrders => "report_orders",
});

impl ExportEntity {
    /// What the data export page offers (the others are exported from their own lists, or only
    /// in the archive).
    pub const ON_EXPORT_PAGE: [ExportEntity; 9] = [
        ExportEntity::Customers,
        ExportEntity::Orders,
        ExportEntity::OrderLines,
        ExportEntity::Interactions,
        ExportEntity::Leads,
        ExportEntity::Opportunities,
        ExportEntity::Tickets,
        ExportEntity::Tasks,
        ExportEntity::Products,
    ];

    /// Only admins may export it.
    pub fn admin_only(self) -> bool {
        matches!(self, ExportEntity::AuditLog)
    }
}

/// The address of an export download: `/files/export/{entity}.{format}?…`.
pub fn export_url(
    entity: ExportEntity,
    format: ExportFormat,
    filter: Option<&serde_json::Value>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> String {
    let mut url = format!("/files/export/{}.{}", entity.as_str(), format.extension());
    let mut query = Vec::new();
    if let Some(filter) = filter {
        query.push(format!("filter={}", crate::ui::urlencode(&filter.to_string())));
    }
    if let Some(from) = from {
        query.push(format!("from={from}"));
    }
    if let Some(to) = to {
        query.push(format!("to={to}"));
    }
    if !query.is_empty() {
        url.push('?');
        url.push_str(&query.join("&"));
    }
    url
}

/// A whole-company archive as its page lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ArchiveFile {
    pub id: i64,
    pub name: String,
    pub size_bytes: i64,
    pub created_at: DateTime<Utc>,
    /// `None` while the job builds it.
    pub completed_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
    pub job_id: Option<i64>,
    pub progress_done: i64,
    pub progress_total: Option<i64>,
    pub failed: bool,
}

/// An exported list's name, for file and sheet names.
pub fn export_entity_label(entity: ExportEntity, locale: Locale) -> &'static str {
    use ExportEntity as E;
    let key = match entity {
        E::Customers => ExportText::Customers,
        E::Contacts => ExportText::Contacts,
        E::Orders => ExportText::Orders,
        E::OrderLines => ExportText::OrderLines,
        E::Products => ExportText::Products,
        E::Interactions => ExportText::Interactions,
        E::Leads => ExportText::Leads,
        E::Opportunities => ExportText::Opportunities,
        E::Tickets => ExportText::Tickets,
        E::Tasks => ExportText::Tasks,
        E::SurveyAnswers => ExportText::SurveyAnswers,
        E::Points => ExportText::Points,
        E::AuditLog => ExportText::AuditLog,
        E::ReportOrders => ExportText::ReportOrders,
    };
    key.text(locale)
}
