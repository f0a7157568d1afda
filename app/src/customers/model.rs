//! Customers as both sides of the wire see them, and the pure rules: derived status and stage,
//! normalisation, search n-grams, validation.

use crate::enums::text_enum;
use crate::{
    auth::model::{UserId, id_type},
    error::{AppError, FieldError, FieldErrors},
    i18n::Locale,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

id_type!(
    /// A customer (company or individual).
    CustomerId
);
id_type!(
    /// A person at a customer.
    ContactId
);

/// Company or individual.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerKind {
    #[default]
    Company,
    Individual,
}

/// The relationship as the business sees it. Potential becomes existing with the first order;
/// former is set by hand with a churn reason, and a new order wins the customer back.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerType {
    #[default]
    Potential,
    Existing,
    Former,
}

/// Derived from orders, never typed: no order yet, ordered within the window, or not.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityStatus {
    Potential,
    Active,
    Silent,
}

/// Derived from orders; defined with the tier rule language, which tests it.
pub use tier_rule::LifecycleStage;

/// Where the customer came from.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Website,
    Social,
    Referral,
    Event,
    SalesVisit,
    ServiceDesk,
    Import,
    #[default]
    Manual,
    Other,
}

text_enum!(CustomerKind { Company => "company", Individual => "individual" });
text_enum!(CustomerType { Potential => "potential", Existing => "existing", Former => "former" });
text_enum!(ActivityStatus { Potential => "potential", Active => "active", Silent => "silent" });
impl crate::enums::Choice for LifecycleStage {
    fn all() -> &'static [Self] {
        Self::ALL
    }

    fn as_str(self) -> &'static str {
        LifecycleStage::as_str(self)
    }

    fn from_text(value: &str) -> Option<Self> {
        LifecycleStage::parse(value).ok()
    }
}
text_enum!(Source {
    Website => "website", Social => "social", Referral => "referral", Event => "event",
    SalesVisit => "sales_visit", ServiceDesk => "service_desk", Import => "import",
    Manual => "manual", Other => "other",
});

/// The admin's rules for status and stage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerSettings {
    /// A customer with an order in the last this-many days is active.
    pub active_window_days: i32,
    /// Loyal: at least this many orders...
    pub loyal_min_orders: i32,
    /// ...spread over at least this many days between first and last.
    pub loyal_min_span_days: i32,
    pub default_currency: String,
    pub version: i32,
    /// The company's zone, in which the activity window's days are counted (set on the company
    /// page, read here so status needs no second lookup).
    #[serde(default = "default_zone")]
    pub time_zone: String,
}

fn default_zone() -> String {
    crate::company::model::DEFAULT_TIME_ZONE.to_owned()
}

impl Default for CustomerSettings {
    fn default() -> Self {
        Self {
            active_window_days: 180,
            loyal_min_orders: 5,
            loyal_min_span_days: 365,
            default_currency: "CNY".into(),
            version: 1,
            time_zone: default_zone(),
        }
    }
}

impl CustomerSettings {
    /// Checks the ranges the database also enforces, per field.
    pub fn validate(&self) -> Result<(), AppError> {
        let mut errors = FieldErrors::new();
        if !(1..=3650).contains(&self.active_window_days) {
            errors.add("active_window_days", FieldError::OutOfRange { min: 1, max: 3650 });
        }
        if !(2..=1000).contains(&self.loyal_min_orders) {
            errors.add("loyal_min_orders", FieldError::OutOfRange { min: 2, max: 1000 });
        }
        if !(0..=3650).contains(&self.loyal_min_span_days) {
            errors.add("loyal_min_span_days", FieldError::OutOfRange { min: 0, max: 3650 });
        }
        errors.into_result()
    }
}

/// Active when the last order fell on one of the last `window_days` days before today, or
/// today, counted in the company's zone: an order at 23:00 on the window's first day counts all
/// that day, wherever the server's clock is.
pub fn activity_status(
    last_order_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    settings: &CustomerSettings,
) -> ActivityStatus {
    let day = |at| crate::ui::local_date(at, &settings.time_zone);
    match last_order_at {
        None => ActivityStatus::Potential,
        Some(last)
            if (day(now) - day(last)).num_days() <= i64::from(settings.active_window_days) =>
        {
            ActivityStatus::Active
        }
        Some(_) => ActivityStatus::Silent,
    }
}

/// The stage from the order aggregates and the loyalty rule.
pub fn lifecycle_stage(
    order_count: i32,
    first_order_at: Option<DateTime<Utc>>,
    last_order_at: Option<DateTime<Utc>>,
    settings: &CustomerSettings,
) -> LifecycleStage {
    let span_days = match (first_order_at, last_order_at) {
        (Some(first), Some(last)) => (last - first).num_days(),
        _ => 0,
    };
    match order_count {
        n if n <= 0 => LifecycleStage::Potential,
        1 => LifecycleStage::New,
        n if n >= settings.loyal_min_orders
            && span_days >= i64::from(settings.loyal_min_span_days) =>
        {
            LifecycleStage::Loyal
        }
        _ => LifecycleStage::Repeat,
    }
}

pub use crate::money::{Money, money_text, parse_money};

/// Digits only, a leading `+86`/`0086` country code dropped, so `+86 138-0013-8000` and
/// `13800138000` are the same phone. `None` when too short to be a phone number.
pub fn normalize_phone(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let digits = if digits.len() == 13 && digits.starts_with("86") {
        digits[2..].to_owned()
    } else if digits.len() == 15 && digits.starts_with("0086") {
        digits[4..].to_owned()
    } else {
        digits
    };
    (digits.len() >= 5).then_some(digits)
}

/// A plausible phone: 5 to 20 digits once normalised, only phone punctuation around them.
pub fn validate_phone(raw: &str) -> Result<Option<String>, FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let allowed = |c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')' | '.');
    match normalize_phone(raw) {
        Some(digits) if raw.chars().all(allowed) && digits.len() <= 20 => Ok(Some(raw.to_owned())),
        _ => Err(FieldError::InvalidPhone),
    }
}

const COMPANY_SUFFIXES: [&str; 14] = [
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "集团公司",
    "公司",
    "集团",
    "limited",
    "ltd",
    "co",
    "inc",
    "llc",
    "pte",
    "group",
    "corporation",
];

/// The name reduced for duplicate detection: lower case, no spaces or punctuation, common
/// company-form suffixes dropped ("上海华信科技有限公司" and "上海华信科技" match).
pub fn name_key(name: &str) -> String {
    let mut key: String = name.to_lowercase().chars().filter(|c| c.is_alphanumeric()).collect();
    loop {
        let before = key.len();
        for suffix in COMPANY_SUFFIXES {
            if key.len() > suffix.len() && key.ends_with(suffix) {
                key.truncate(key.len() - suffix.len());
            }
        }
        if key.len() == before {
            return key;
        }
    }
}

/// Similarity of two name keys by edit distance, 0 (nothing alike) to 1 (equal).
pub fn name_similarity(a: &str, b: &str) -> f32 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let longest = a.len().max(b.len());
    if longest == 0 {
        return 0.0;
    }
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    1.0 - previous[b.len()] as f32 / longest as f32
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F | 0x3040..=0x30FF)
}

#[derive(PartialEq)]
enum CharClass {
    Cjk,
    Word,
    Other,
}

fn class_of(c: char) -> CharClass {
    if is_cjk(c) {
        CharClass::Cjk
    } else if c.is_alphanumeric() {
        CharClass::Word
    } else {
        CharClass::Other
    }
}

fn runs(text: &str) -> Vec<(bool, Vec<char>)> {
    let mut out: Vec<(bool, Vec<char>)> = Vec::new();
    let mut current: Option<(CharClass, Vec<char>)> = None;
    for c in text.to_lowercase().chars() {
        let class = class_of(c);
        match &mut current {
            Some((k, chars)) if *k == class => chars.push(c),
            _ => {
                if let Some((k, chars)) = current.take()
                    && k != CharClass::Other
                {
                    out.push((k == CharClass::Cjk, chars));
                }
                current = Some((class, vec![c]));
            }
        }
    }
    if let Some((k, chars)) = current
        && k != CharClass::Other
    {
        out.push((k == CharClass::Cjk, chars));
    }
    out
}

/// The n-grams a record is indexed by: every CJK character and pair of characters, every
/// trigram of other words, and every 4-gram of digit runs (phone numbers are all digits: their
/// trigrams are too common to narrow a million customers down).
pub fn index_grams(text: &str) -> Vec<String> {
    let mut grams = BTreeSet::new();
    for (cjk, chars) in runs(text) {
        if cjk {
            for (i, c) in chars.iter().enumerate() {
                grams.insert(c.to_string());
                if let Some(next) = chars.get(i + 1) {
                    grams.insert(format!("{c}{next}"));
                }
            }
        } else {
            for window in chars.windows(word_gram(&chars)) {
                grams.insert(window.iter().collect());
            }
        }
    }
    grams.into_iter().collect()
}

/// The n-gram length of a non-CJK run: 4 for digits only, else 3.
fn word_gram(chars: &[char]) -> usize {
    if chars.iter().all(char::is_ascii_digit) { 4 } else { 3 }
}

/// The n-grams a search fragment must all have: CJK pairs (or the single character), trigrams
/// of words, 4-grams of digits. Empty when the fragment is too short to use the index.
pub fn query_grams(fragment: &str) -> Vec<String> {
    let mut grams = BTreeSet::new();
    for (cjk, chars) in runs(fragment) {
        if cjk && chars.len() == 1 {
            grams.insert(chars[0].to_string());
        } else if cjk {
            for pair in chars.windows(2) {
                grams.insert(pair.iter().collect());
            }
        } else {
            for window in chars.windows(word_gram(&chars)) {
                grams.insert(window.iter().collect());
            }
        }
    }
    grams.into_iter().collect()
}

/// The 32-bit key an n-gram is stored under in `customer.search_keys` (FNV-1a of its UTF-8).
///
/// Integer keys keep the GIN index small and cheap to maintain: an import writes about fifty
/// grams per customer, and comparing integers costs far less than comparing text under a
/// collation. Two grams may share a key; the `search_text` check after the index removes the
/// rare extra match. The migration that introduced the keys computes the same function in SQL
/// (`gram_key`), and a test holds the two equal.
pub fn gram_key(gram: &str) -> i32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in gram.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash as i32
}

/// The sorted, distinct keys of `index_grams(text)`.
pub fn index_keys(text: &str) -> Vec<i32> {
    keys_of(index_grams(text))
}

/// The sorted, distinct keys of `query_grams(fragment)`; empty when the index cannot help.
pub fn query_keys(fragment: &str) -> Vec<i32> {
    keys_of(query_grams(fragment))
}

fn keys_of(grams: Vec<String>) -> Vec<i32> {
    let keys: BTreeSet<i32> = grams.iter().map(|g| gram_key(g)).collect();
    keys.into_iter().collect()
}

/// Keys as one comma-separated text, for statements that write many customers at once
/// (Postgres arrays cannot be ragged, so each customer's keys travel as one string).
pub fn keys_text(keys: &[i32]) -> String {
    keys.iter().map(i32::to_string).collect::<Vec<_>>().join(",")
}

/// Separates fields in `search_text` so a fragment never matches across two of them.
pub const SEARCH_SEPARATOR: &str = " \u{1f} ";

/// The searchable text of a customer: name, phone (as typed and as digits), email, external id,
/// contacts.
pub fn search_text<'a>(
    name: &str,
    phone: Option<&str>,
    email: Option<&str>,
    external_id: Option<&str>,
    contacts: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
) -> String {
    let mut parts = vec![name.to_lowercase()];
    let add_phone = |parts: &mut Vec<String>, phone: &str| {
        if let Some(digits) = normalize_phone(phone) {
            parts.push(digits);
        }
    };
    if let Some(phone) = phone {
        add_phone(&mut parts, phone);
    }
    if let Some(email) = email {
        parts.push(email.trim().to_lowercase());
    }
    if let Some(external_id) = external_id {
        parts.push(external_id.trim().to_lowercase());
    }
    for (contact, contact_phone) in contacts {
        parts.push(contact.to_lowercase());
        if let Some(phone) = contact_phone {
            add_phone(&mut parts, phone);
        }
    }
    parts.retain(|p| !p.is_empty());
    parts.join(SEARCH_SEPARATOR)
}

/// What a search box entry becomes: phone-looking input is reduced to digits (as indexed).
pub fn normalize_query(raw: &str) -> String {
    let trimmed = raw.trim();
    let phone_like = !trimmed.is_empty()
        && trimmed.chars().all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')'))
        && trimmed.chars().filter(char::is_ascii_digit).count() >= 3;
    if phone_like {
        trimmed.chars().filter(char::is_ascii_digit).collect()
    } else {
        trimmed.to_lowercase()
    }
}

/// A search fragment as SQL tests it: the n-gram keys a GIN index over `search_keys` narrows the
/// candidates with (empty when the fragment is too short for the index), and the `like` pattern
/// over the lower-cased `search_text` that decides. Customers, leads, opportunities, tickets and
/// products are all searched this way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextMatch {
    pub keys: Vec<i32>,
    pub pattern: String,
}

impl TextMatch {
    /// The match for what was typed in a search box, or `None` when nothing was.
    pub fn of(raw: &str) -> Option<Self> {
        let fragment = normalize_query(raw);
        (!fragment.is_empty())
            .then(|| TextMatch { keys: query_keys(&fragment), pattern: like_contains(&fragment) })
    }

    /// `and <column> @> $<param>` when the fragment has keys, else nothing: a generic plan cannot
    /// use the index through an `or` on a parameter, so the condition is in the SQL or absent.
    pub fn keys_condition(&self, column: &str, param: u8) -> String {
        if self.keys.is_empty() { String::new() } else { format!("and {column} @> ${param}") }
    }
}

/// `%fragment%` with LIKE's wildcards escaped, so the fragment matches literally.
pub fn like_contains(fragment: &str) -> String {
    let mut pattern = String::from("%");
    for c in fragment.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// A person at the customer, as edited together with it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactInput {
    pub id: Option<ContactId>,
    pub name: String,
    pub title: String,
    pub phone: String,
    pub email: String,
    pub is_primary: bool,
}

/// A contact as shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub id: ContactId,
    pub name: String,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub is_primary: bool,
}

/// The create/edit form. Text fields arrive as typed; `validate` trims and checks them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomerInput {
    pub kind: CustomerKind,
    pub name: String,
    /// The id in the shop, ERP or old CRM; blank when none.
    #[serde(default)]
    pub external_id: String,
    pub customer_type: CustomerType,
    pub churn_reason: String,
    pub phone: String,
    pub email: String,
    pub address: String,
    pub region: String,
    pub industry: String,
    pub source: Source,
    pub owner_id: Option<UserId>,
    pub tags: Vec<String>,
    pub birthday: Option<NaiveDate>,
    pub anniversary: Option<NaiveDate>,
    pub notes: String,
    pub custom_fields: serde_json::Map<String, serde_json::Value>,
    /// The language the customer reads: survey emails and answer pages use it.
    pub locale: Locale,
    /// Asked not to be contacted: no automation, care greeting or campaign reaches it.
    #[serde(default)]
    pub do_not_contact: bool,
}

/// A customer input after validation: trimmed, empty strings as `None`, normalised keys.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ValidCustomer {
    pub kind: CustomerKind,
    pub name: String,
    pub external_id: Option<String>,
    pub customer_type: CustomerType,
    pub churn_reason: Option<String>,
    pub phone: Option<String>,
    pub phone_normalized: Option<String>,
    pub email: Option<String>,
    pub email_normalized: Option<String>,
    pub address: Option<String>,
    pub region: Option<String>,
    pub industry: Option<String>,
    pub source: Source,
    pub owner_id: Option<UserId>,
    pub tags: Vec<String>,
    pub birthday: Option<NaiveDate>,
    pub anniversary: Option<NaiveDate>,
    pub notes: Option<String>,
    pub custom_fields: serde_json::Map<String, serde_json::Value>,
    pub locale: Locale,
    pub do_not_contact: bool,
}

fn optional(text: &str, max: usize) -> Result<Option<String>, FieldError> {
    let text = text.trim();
    if text.chars().count() > max {
        return Err(FieldError::TooLong { max: max as u32 });
    }
    Ok((!text.is_empty()).then(|| text.to_owned()))
}

/// Tags trimmed, de-duplicated, each at most 40 characters, at most 30 of them.
pub fn clean_tags(tags: &[String]) -> Result<Vec<String>, FieldError> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for tag in tags {
        let tag = tag.trim();
        if tag.is_empty() {
            continue;
        }
        if tag.chars().count() > 40 {
            return Err(FieldError::TooLong { max: 40 });
        }
        if seen.insert(tag.to_lowercase()) {
            out.push(tag.to_owned());
        }
    }
    if out.len() > 30 {
        return Err(FieldError::TooMany { max: 30 });
    }
    Ok(out)
}

impl CustomerInput {
    /// Checks every field, reporting all problems at once. Custom fields are checked against
    /// their definitions separately (`validate_custom_fields`).
    pub fn validate(&self) -> Result<ValidCustomer, AppError> {
        let mut errors = FieldErrors::new();
        let name = self.name.trim();
        if name.is_empty() {
            errors.add("name", FieldError::Required);
        } else if name.chars().count() > 200 {
            errors.add("name", FieldError::TooLong { max: 200 });
        }
        let external_id = errors.check("external_id", optional(&self.external_id, 100)).flatten();
        let churn_reason =
            errors.check("churn_reason", optional(&self.churn_reason, 500)).flatten();
        if self.customer_type == CustomerType::Former && churn_reason.is_none() {
            errors.add("churn_reason", FieldError::Required);
        }
        let phone = errors.check("phone", validate_phone(&self.phone)).flatten();
        let email = match self.email.trim() {
            "" => None,
            raw => errors.check("email", crate::auth::model::validate_email(raw)),
        };
        let address = errors.check("address", optional(&self.address, 300)).flatten();
        let region = errors.check("region", optional(&self.region, 100)).flatten();
        let industry = errors.check("industry", optional(&self.industry, 100)).flatten();
        let notes = errors.check("notes", optional(&self.notes, 5000)).flatten();
        let tags = errors.check("tags", clean_tags(&self.tags)).unwrap_or_default();
        errors.into_result()?;
        Ok(ValidCustomer {
            kind: self.kind,
            name: name.to_owned(),
            external_id,
            customer_type: self.customer_type,
            churn_reason: if self.customer_type == CustomerType::Former {
                churn_reason
            } else {
                None
            },
            phone_normalized: phone.as_deref().and_then(normalize_phone),
            phone,
            email_normalized: email.clone(),
            email,
            address,
            region,
            industry,
            source: self.source,
            owner_id: self.owner_id,
            tags,
            birthday: self.birthday,
            anniversary: self.anniversary,
            notes,
            custom_fields: self.custom_fields.clone(),
            locale: self.locale,
            do_not_contact: self.do_not_contact,
        })
    }
}

/// Validates a contact; `index` names the field (`contacts.2.email`) in errors.
pub fn validate_contact(contact: &ContactInput, index: usize, errors: &mut FieldErrors) {
    let field = |name: &str| format!("contacts.{index}.{name}");
    if contact.name.trim().is_empty() {
        errors.add(&field("name"), FieldError::Required);
    }
    errors.check(&field("phone"), validate_phone(&contact.phone));
    if !contact.email.trim().is_empty() {
        errors.check(&field("email"), crate::auth::model::validate_email(&contact.email));
    }
    errors.check(&field("title"), optional(&contact.title, 100));
}

/// The kind of an admin-defined field.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomFieldType {
    Text,
    Number,
    Date,
    Choice,
}

text_enum!(CustomFieldType { Text => "text", Number => "number", Date => "date", Choice => "choice" });

/// An admin-defined customer field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomFieldDef {
    pub id: i64,
    pub key: String,
    pub label_zh: String,
    pub label_en: String,
    pub field_type: CustomFieldType,
    pub choices: Vec<String>,
    pub position: i32,
    pub active: bool,
    pub version: i32,
}

/// Checks and normalises custom values against their definitions: numbers become JSON
/// numbers, dates ISO strings, choices one of the defined ones; empty values are dropped;
/// unknown keys are refused.
pub fn validate_custom_fields(
    values: &serde_json::Map<String, serde_json::Value>,
    definitions: &[CustomFieldDef],
    errors: &mut FieldErrors,
) -> serde_json::Map<String, serde_json::Value> {
    use serde_json::Value;
    let mut out = serde_json::Map::new();
    for (key, value) in values {
        let field = format!("custom.{key}");
        let Some(def) = definitions.iter().find(|d| &d.key == key && d.active) else {
            errors.add(&field, FieldError::UnknownReference);
            continue;
        };
        let text = match value {
            Value::Null => continue,
            Value::String(s) => s.trim().to_owned(),
            other => other.to_string(),
        };
        if text.is_empty() {
            continue;
        }
        let normalized = match def.field_type {
            CustomFieldType::Text if text.chars().count() > 500 => {
                errors.add(&field, FieldError::TooLong { max: 500 });
                continue;
            }
            CustomFieldType::Text => Value::String(text),
            CustomFieldType::Number => match text.parse::<f64>() {
                Ok(n) if n.is_finite() => {
                    serde_json::Number::from_f64(n).map(Value::Number).unwrap_or(Value::Null)
                }
                _ => {
                    errors.add(&field, FieldError::InvalidNumber);
                    continue;
                }
            },
            CustomFieldType::Date => match NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
                Ok(date) => Value::String(date.to_string()),
                Err(_) => {
                    errors.add(&field, FieldError::InvalidDate);
                    continue;
                }
            },
            CustomFieldType::Choice if def.choices.contains(&text) => Value::String(text),
            CustomFieldType::Choice => {
                errors.add(&field, FieldError::InvalidChoice);
                continue;
            }
        };
        out.insert(key.clone(), normalized);
    }
    out
}

/// A row of the customer list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CustomerRow {
    pub id: CustomerId,
    pub kind: CustomerKind,
    pub name: String,
    pub external_id: Option<String>,
    pub customer_type: CustomerType,
    pub status: ActivityStatus,
    pub stage: LifecycleStage,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub region: Option<String>,
    pub industry: Option<String>,
    pub owner_name: Option<String>,
    pub tags: Vec<String>,
    pub order_count: i32,
    pub total_spend: Money,
    pub last_order_at: Option<DateTime<Utc>>,
    pub locale: Locale,
}

/// One customer with everything the 360 header and the edit form need.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CustomerDetail {
    pub id: CustomerId,
    pub kind: CustomerKind,
    pub name: String,
    pub external_id: Option<String>,
    pub customer_type: CustomerType,
    pub churn_reason: Option<String>,
    pub status: ActivityStatus,
    pub stage: LifecycleStage,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub region: Option<String>,
    pub industry: Option<String>,
    pub source: Source,
    pub owner_id: Option<UserId>,
    pub owner_name: Option<String>,
    pub tags: Vec<String>,
    pub birthday: Option<NaiveDate>,
    pub anniversary: Option<NaiveDate>,
    pub notes: Option<String>,
    pub custom_fields: serde_json::Map<String, serde_json::Value>,
    pub locale: Locale,
    pub do_not_contact: bool,
    pub order_count: i32,
    pub total_spend: Money,
    pub first_order_at: Option<DateTime<Utc>>,
    pub last_order_at: Option<DateTime<Utc>>,
    pub contacts: Vec<Contact>,
    pub created_at: DateTime<Utc>,
    pub version: i32,
}

impl Contact {
    /// The edit form's row for this contact.
    pub fn to_input(&self) -> ContactInput {
        ContactInput {
            id: Some(self.id),
            name: self.name.clone(),
            title: self.title.clone().unwrap_or_default(),
            phone: self.phone.clone().unwrap_or_default(),
            email: self.email.clone().unwrap_or_default(),
            is_primary: self.is_primary,
        }
    }
}

impl CustomerDetail {
    /// The edit form's starting values.
    pub fn to_input(&self) -> CustomerInput {
        CustomerInput {
            kind: self.kind,
            name: self.name.clone(),
            external_id: self.external_id.clone().unwrap_or_default(),
            customer_type: self.customer_type,
            churn_reason: self.churn_reason.clone().unwrap_or_default(),
            phone: self.phone.clone().unwrap_or_default(),
            email: self.email.clone().unwrap_or_default(),
            address: self.address.clone().unwrap_or_default(),
            region: self.region.clone().unwrap_or_default(),
            industry: self.industry.clone().unwrap_or_default(),
            source: self.source,
            owner_id: self.owner_id,
            tags: self.tags.clone(),
            birthday: self.birthday,
            anniversary: self.anniversary,
            notes: self.notes.clone().unwrap_or_default(),
            custom_fields: self.custom_fields.clone(),
            locale: self.locale,
            do_not_contact: self.do_not_contact,
        }
    }
}

/// How the list is ordered. Every order ends with the id, so keyset pages are stable.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerSort {
    /// Newest customers first.
    #[default]
    Newest,
    /// Highest total spend first.
    Spend,
    /// Most recent order first (never-ordered last).
    LastOrder,
}

text_enum!(CustomerSort { Newest => "newest", Spend => "spend", LastOrder => "last_order" });

/// A filter on one custom field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CustomFilter {
    pub key: String,
    /// Equality for text and choice fields; for numbers and dates `from`/`to` bound a range.
    pub equals: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// The list's filters. Every set field narrows the result.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomerFilter {
    pub search: Option<String>,
    pub customer_type: Option<CustomerType>,
    pub status: Option<ActivityStatus>,
    pub stage: Option<LifecycleStage>,
    pub region: Option<String>,
    pub industry: Option<String>,
    pub owner_id: Option<UserId>,
    pub tag: Option<String>,
    pub min_spend_minor: Option<i64>,
    pub max_spend_minor: Option<i64>,
    pub last_order_from: Option<NaiveDate>,
    pub last_order_to: Option<NaiveDate>,
    pub custom: Vec<CustomFilter>,
    /// The tier in force (override or computed), by tier id.
    #[serde(default)]
    pub tier_id: Option<i64>,
    /// Minimum R, F and M scores (1 to 5).
    #[serde(default)]
    pub min_r: Option<i16>,
    #[serde(default)]
    pub min_f: Option<i16>,
    #[serde(default)]
    pub min_m: Option<i16>,
    pub sort: CustomerSort,
}

/// Where the next page starts: the sort value and id of the last row shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerCursor {
    pub id: i64,
    /// Spend in minor units or last-order time in epoch microseconds, per the sort.
    pub value: Option<i64>,
}

/// A user's named filter of a list page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedView {
    pub id: i64,
    pub name: String,
    pub filter: CustomerFilter,
}

/// A deleted customer in the recycle bin.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeletedCustomer {
    pub id: CustomerId,
    pub name: String,
    pub deleted_at: DateTime<Utc>,
    pub deleted_by_name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(days_ago: i64, now: DateTime<Utc>) -> DateTime<Utc> {
        now - chrono::Duration::days(days_ago)
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn status_is_potential_active_or_silent_with_the_window_counted_in_company_days() {
        let settings = CustomerSettings { active_window_days: 180, ..Default::default() };
        // 12:00 UTC is 20:00 in Shanghai.
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        assert_eq!(activity_status(None, now, &settings), ActivityStatus::Potential);
        assert_eq!(activity_status(Some(at(0, now)), now, &settings), ActivityStatus::Active);
        assert_eq!(activity_status(Some(at(180, now)), now, &settings), ActivityStatus::Active);
        // 180 days ago at 00:10 Shanghai time (16:10 UTC the day before): the window's first
        // day, so still active; 23:50 Shanghai time the day before that is not.
        let first_day = at(180, now) - chrono::Duration::hours(19) - chrono::Duration::minutes(50);
        assert_eq!(activity_status(Some(first_day), now, &settings), ActivityStatus::Active);
        let day_before = first_day - chrono::Duration::minutes(20);
        assert_eq!(activity_status(Some(day_before), now, &settings), ActivityStatus::Silent);
        let short = CustomerSettings { active_window_days: 30, ..settings };
        assert_eq!(activity_status(Some(at(31, now)), now, &short), ActivityStatus::Silent);
    }

    #[test]
    fn stage_follows_order_count_and_the_loyalty_rule() {
        let settings = CustomerSettings::default();
        let now = Utc::now();
        assert_eq!(lifecycle_stage(0, None, None, &settings), LifecycleStage::Potential);
        assert_eq!(lifecycle_stage(1, Some(now), Some(now), &settings), LifecycleStage::New);
        assert_eq!(
            lifecycle_stage(2, Some(at(10, now)), Some(now), &settings),
            LifecycleStage::Repeat
        );
        // Five orders but within a year: still repeat; over exactly 365 days: loyal.
        assert_eq!(
            lifecycle_stage(5, Some(at(364, now)), Some(now), &settings),
            LifecycleStage::Repeat
        );
        assert_eq!(
            lifecycle_stage(5, Some(at(365, now)), Some(now), &settings),
            LifecycleStage::Loyal
        );
        assert_eq!(
            lifecycle_stage(4, Some(at(900, now)), Some(now), &settings),
            LifecycleStage::Repeat
        );
    }

    #[test]
    fn phones_normalise_to_digits_without_the_country_code() {
        assert_eq!(normalize_phone("+86 138-0013-8000").as_deref(), Some("13800138000"));
        assert_eq!(normalize_phone("0086 13800138000").as_deref(), Some("13800138000"));
        assert_eq!(normalize_phone("(021) 6234 5678").as_deref(), Some("02162345678"));
        assert_eq!(normalize_phone("12"), None);
        assert_eq!(validate_phone(""), Ok(None));
        assert_eq!(validate_phone("138 0013 8000"), Ok(Some("138 0013 8000".into())));
        assert_eq!(validate_phone("call me"), Err(FieldError::InvalidPhone));
    }

    #[test]
    fn name_keys_ignore_case_punctuation_and_company_forms() {
        assert_eq!(name_key("上海华信科技有限公司"), "上海华信科技");
        assert_eq!(name_key("上海 华信科技（集团）"), "上海华信科技");
        assert_eq!(name_key("Northwind Trading Co., Ltd."), "northwindtrading");
        assert_eq!(name_key("Summit Group Limited"), "summit");
    }

    #[test]
    fn name_similarity_tolerates_one_typo_in_a_company_name() {
        assert_eq!(name_similarity("上海华信科技", "上海华信科技"), 1.0);
        assert!(name_similarity("上海华信科技", "上海华新科技") > 0.8);
        assert!(name_similarity("王伟", "王玮") < 0.8, "different short names are not duplicates");
        assert_eq!(name_similarity("", ""), 0.0);
    }

    #[test]
    fn chinese_fragments_of_one_or_two_characters_have_index_grams() {
        let grams = index_grams("王秀英 13800138000 wang@example.com");
        for needed in
            query_grams("秀英").iter().chain(&query_grams("秀")).chain(&query_grams("0013"))
        {
            assert!(grams.contains(needed), "{needed} missing from {grams:?}");
        }
        assert_eq!(query_grams("秀英"), vec!["秀英".to_owned()]);
        assert_eq!(query_grams("秀"), vec!["秀".to_owned()]);
        assert!(query_grams("ab").is_empty(), "too short for trigrams: no index filter");
        assert_eq!(query_grams("华信科技").len(), 3);
        assert_eq!(query_grams("1380013"), vec!["0013", "1380", "3800", "8001"], "digits by fours");
        assert!(query_grams("138").is_empty(), "three digits: no index filter");
    }

    #[test]
    fn gram_keys_are_fnv1a_and_keep_every_query_key_in_the_index() {
        // Reference values of 32-bit FNV-1a, which the SQL `gram_key` also computes.
        assert_eq!(gram_key(""), 0x811c_9dc5_u32 as i32);
        assert_eq!(gram_key("a"), 0xe40c_292c_u32 as i32);
        assert_eq!(gram_key("foobar"), 0xbf9c_f968_u32 as i32);
        let keys = index_keys("王秀英 13800138000 wang@example.com");
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "sorted and distinct");
        for fragment in ["秀英", "秀", "0013", "wang@ex"] {
            for key in query_keys(fragment) {
                assert!(keys.binary_search(&key).is_ok(), "{fragment}: {key} missing");
            }
        }
        assert!(query_keys("ab").is_empty());
        assert_eq!(keys_text(&[3, -1, 20]), "3,-1,20");
    }

    #[test]
    fn search_text_holds_every_searchable_field_apart() {
        let text = search_text(
            "上海华信",
            Some("+86 138 0013 8000"),
            Some("Info@HX.cn"),
            Some("ERP-10023"),
            [("李娜", Some("021-6234-5678"))],
        );
        assert!(
            text.contains("上海华信")
                && text.contains("13800138000")
                && text.contains("info@hx.cn")
                && text.contains("erp-10023")
        );
        assert!(text.contains("李娜") && text.contains("02162345678"));
        assert_eq!(normalize_query(" 138-0013 "), "1380013");
        assert_eq!(normalize_query("Hua XIN"), "hua xin");
    }

    #[test]
    fn a_customer_input_reports_every_bad_field() {
        let input = CustomerInput {
            name: " ".into(),
            customer_type: CustomerType::Former,
            phone: "not a phone".into(),
            email: "nope".into(),
            tags: vec!["x".repeat(41)],
            ..Default::default()
        };
        let error = input.validate().unwrap_err();
        let fields = error.field_errors().unwrap();
        assert_eq!(fields.get("name"), &[FieldError::Required]);
        assert_eq!(fields.get("churn_reason"), &[FieldError::Required]);
        assert_eq!(fields.get("phone"), &[FieldError::InvalidPhone]);
        assert_eq!(fields.get("email"), &[FieldError::InvalidEmail]);
        assert_eq!(fields.get("tags"), &[FieldError::TooLong { max: 40 }]);
    }

    #[test]
    fn tags_are_trimmed_and_deduplicated_ignoring_case() {
        let tags = clean_tags(&["VIP".into(), " vip ".into(), "".into(), "华东".into()]).unwrap();
        assert_eq!(tags, vec!["VIP".to_owned(), "华东".to_owned()]);
    }

    #[test]
    fn custom_values_are_checked_against_their_definitions() {
        let def = |key: &str, field_type, choices: &[&str]| CustomFieldDef {
            id: 1,
            key: key.into(),
            label_zh: key.into(),
            label_en: key.into(),
            field_type,
            choices: choices.iter().map(|c| c.to_string()).collect(),
            position: 0,
            active: true,
            version: 1,
        };
        let defs = vec![
            def("employees", CustomFieldType::Number, &[]),
            def("contract_end", CustomFieldType::Date, &[]),
            def("level", CustomFieldType::Choice, &["A", "B"]),
        ];
        let mut values = serde_json::Map::new();
        values.insert("employees".into(), "250".into());
        values.insert("contract_end".into(), "2027-02-30".into());
        values.insert("level".into(), "C".into());
        values.insert("unknown".into(), "x".into());
        let mut errors = FieldErrors::new();
        let clean = validate_custom_fields(&values, &defs, &mut errors);
        assert_eq!(clean.get("employees"), Some(&serde_json::json!(250.0)));
        assert_eq!(errors.get("custom.contract_end"), &[FieldError::InvalidDate]);
        assert_eq!(errors.get("custom.level"), &[FieldError::InvalidChoice]);
        assert_eq!(errors.get("custom.unknown"), &[FieldError::UnknownReference]);
    }
}
