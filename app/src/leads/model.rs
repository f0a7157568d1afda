//! Leads as both sides of the wire see them, and their checks.

use crate::{
    auth::model::{UserId, validate_email},
    customers::model::{CustomerId, normalize_phone, validate_phone},
    enums::text_enum,
    error::{AppError, FieldError, FieldErrors},
    pipeline::model::OpportunityId,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LeadId(pub i64);

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadStatus {
    #[default]
    New,
    Contacted,
    Qualified,
    Disqualified,
    Converted,
}

text_enum!(LeadStatus {
    New => "new", Contacted => "contacted", Qualified => "qualified",
    Disqualified => "disqualified", Converted => "converted",
});

impl LeadStatus {
    /// Still to be worked: may be followed up, qualified, converted.
    pub fn is_open(self) -> bool {
        matches!(self, LeadStatus::New | LeadStatus::Contacted | LeadStatus::Qualified)
    }
}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadSource {
    #[default]
    Manual,
    WebForm,
    Import,
    Event,
    Referral,
    Social,
    Phone,
}

text_enum!(LeadSource {
    Manual => "manual", WebForm => "web_form", Import => "import", Event => "event",
    Referral => "referral", Social => "social", Phone => "phone",
});

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lead {
    pub id: LeadId,
    pub name: String,
    pub company: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub region: Option<String>,
    pub source: LeadSource,
    pub status: LeadStatus,
    pub disqualify_reason: Option<String>,
    pub owner_id: Option<UserId>,
    pub owner_name: Option<String>,
    pub message: Option<String>,
    pub created_at: DateTime<Utc>,
    pub first_contacted_at: Option<DateTime<Utc>>,
    /// Not followed up within the admin-set hours.
    pub overdue: bool,
    pub customer_id: Option<CustomerId>,
    pub opportunity_id: Option<OpportunityId>,
    pub version: i32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadInput {
    pub name: String,
    pub company: String,
    pub phone: String,
    pub email: String,
    pub region: String,
    pub source: LeadSource,
    pub message: String,
    /// Empty: the routing decides.
    pub owner_id: Option<UserId>,
}

/// A lead input that passed its checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidLead {
    pub name: String,
    pub company: Option<String>,
    pub phone: Option<String>,
    pub phone_normalized: Option<String>,
    pub email: Option<String>,
    pub region: Option<String>,
    pub source: LeadSource,
    pub message: Option<String>,
    pub owner_id: Option<UserId>,
}

fn optional(value: &str, field: &str, max: u32, errors: &mut FieldErrors) -> Option<String> {
    let value = value.trim();
    if value.chars().count() > max as usize {
        errors.add(field, FieldError::TooLong { max });
    }
    (!value.is_empty()).then(|| value.to_owned())
}

impl LeadInput {
    /// A name, and a way to reach them: phone or email.
    pub fn validate(&self) -> Result<ValidLead, AppError> {
        let mut errors = FieldErrors::new();
        let name = self.name.trim();
        if name.is_empty() {
            errors.add("name", FieldError::Required);
        } else if name.chars().count() > 100 {
            errors.add("name", FieldError::TooLong { max: 100 });
        }
        let phone = match validate_phone(&self.phone) {
            Ok(p) => p,
            Err(e) => {
                errors.add("phone", e);
                None
            }
        };
        let email = if self.email.trim().is_empty() {
            None
        } else {
            errors.check("email", validate_email(&self.email))
        };
        if self.phone.trim().is_empty() && self.email.trim().is_empty() {
            errors.add("phone", FieldError::Required);
        }
        let valid = ValidLead {
            name: name.to_owned(),
            company: optional(&self.company, "company", 200, &mut errors),
            phone_normalized: phone.as_deref().and_then(normalize_phone),
            phone,
            email,
            region: optional(&self.region, "region", 60, &mut errors),
            source: self.source,
            message: optional(&self.message, "message", 2000, &mut errors),
            owner_id: self.owner_id,
        };
        errors.into_result()?;
        Ok(valid)
    }
}

/// A lead's page: the lead, what became of it, and everything done to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadDetail {
    pub lead: Lead,
    /// Names of the customer and the opportunity it was converted into.
    pub customer_name: Option<String>,
    pub opportunity_title: Option<String>,
    /// Oldest first.
    pub history: Vec<LeadHistoryEntry>,
}

/// One thing done to a lead, from the audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadHistoryEntry {
    pub at: DateTime<Utc>,
    pub by: Option<String>,
    pub action: LeadAction,
    /// The fields it changed: (field, before, after), values as stored (owners by name).
    pub changes: Vec<(String, Option<String>, Option<String>)>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadAction {
    Created,
    Edited,
    Converted,
    Deleted,
    Restored,
}

impl ValidLead {
    /// What an edit to these values records (the fields an edit may change), given to `owner`.
    pub fn audited(&self, owner: Option<UserId>) -> serde_json::Value {
        serde_json::json!({
            "name": self.name, "company": self.company, "phone": self.phone, "email": self.email,
            "region": self.region, "source": self.source.as_str(), "message": self.message,
            "owner_id": owner.map(|o| o.0),
        })
    }
}

impl Lead {
    /// The stored values an edit records as "before".
    pub fn audited(&self) -> serde_json::Value {
        let stored = ValidLead {
            name: self.name.clone(),
            company: self.company.clone(),
            phone: self.phone.clone(),
            phone_normalized: None,
            email: self.email.clone(),
            region: self.region.clone(),
            source: self.source,
            message: self.message.clone(),
            owner_id: self.owner_id,
        };
        stored.audited(self.owner_id)
    }

    /// The lead as an edit form starts from.
    pub fn as_input(&self) -> LeadInput {
        LeadInput {
            name: self.name.clone(),
            company: self.company.clone().unwrap_or_default(),
            phone: self.phone.clone().unwrap_or_default(),
            email: self.email.clone().unwrap_or_default(),
            region: self.region.clone().unwrap_or_default(),
            source: self.source,
            message: self.message.clone().unwrap_or_default(),
            owner_id: self.owner_id,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadFilter {
    #[serde(default)]
    pub status: Option<LeadStatus>,
    #[serde(default)]
    pub owner_id: Option<UserId>,
    /// Only leads not followed up in time.
    #[serde(default)]
    pub overdue: bool,
    #[serde(default)]
    pub search: Option<String>,
}

/// Turning a lead into a customer (new, or an existing one) and an opportunity.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConvertInput {
    /// Attach to this customer instead of creating one.
    pub existing_customer: Option<CustomerId>,
    pub opportunity_title: String,
    pub amount: String,
    pub expected_close: Option<NaiveDate>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Converted {
    pub customer_id: CustomerId,
    pub opportunity_id: OpportunityId,
}

/// A customer that may be the lead's company already.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PossibleCustomer {
    pub id: CustomerId,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// "phone", "email" or "name".
    pub matched_on: String,
}

/// Where new leads go.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Routing {
    pub follow_up_hours: i32,
    /// Round-robin over these, in order.
    pub members: Vec<(UserId, String)>,
    /// A lead from this region goes to this user first.
    pub rules: Vec<(String, UserId)>,
    pub version: i32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadForm {
    pub id: i64,
    pub name: String,
    pub key: String,
    pub active: bool,
    pub leads: i64,
}

/// What a lead import did: rows created, rows skipped as leads already on file (same phone or
/// email, also earlier in the same file), and rows refused with their reasons.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadImportReport {
    pub created: u32,
    pub duplicates: u32,
    /// (row number counting the header as row 1, field, reason).
    pub rejected: Vec<(u32, String, FieldError)>,
}

/// The lead field a CSV column fills, from its header (Chinese or English).
pub fn lead_column(header: &str) -> Option<&'static str> {
    let header = header.trim().trim_start_matches('\u{feff}').to_lowercase();
    Some(match header.as_str() {
        "name" | "姓名" | "联系人" | "contact" => "name",
        "company" | "公司" | "公司名称" | "客户名称" | "单位" => "company",
        "phone" | "电话" | "手机" | "手机号" | "mobile" => "phone",
        "email" | "邮箱" | "电子邮箱" | "e-mail" => "email",
        "region" | "地区" | "省市" | "城市" => "region",
        "message" | "留言" | "备注" | "需求" | "notes" => "message",
        _ => return None,
    })
}

/// Lead imports are read in one request; larger lists go through the customer import.
pub const MAX_LEAD_IMPORT_ROWS: usize = 5000;

/// What a public web form posts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebFormSubmission {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub company: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub message: String,
    /// A field people never see: anything in it means a bot filled the form.
    #[serde(default)]
    pub website: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lead_needs_a_name_and_a_phone_or_email() {
        let error = LeadInput::default().validate().unwrap_err();
        let errors = error.field_errors().unwrap();
        assert_eq!(errors.get("name"), &[FieldError::Required]);
        assert_eq!(errors.get("phone"), &[FieldError::Required]);
        let ok = LeadInput {
            name: "王芳".into(),
            email: "Wang@Example.com".into(),
            ..Default::default()
        }
        .validate()
        .unwrap();
        assert_eq!(ok.email.as_deref(), Some("wang@example.com"));
        let spaced = LeadInput {
            name: "王芳".into(),
            phone: "+86 139-1234-5678".into(),
            ..Default::default()
        };
        assert_eq!(spaced.validate().unwrap().phone_normalized.as_deref(), Some("13912345678"));
        let bad = LeadInput { name: "王芳".into(), phone: "12".into(), ..Default::default() };
        assert_eq!(
            bad.validate().unwrap_err().field_errors().unwrap().get("phone"),
            &[FieldError::InvalidPhone]
        );
    }
}
