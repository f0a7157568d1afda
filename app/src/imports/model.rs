//! CSV imports as the wizard sees them: columns, mapping, mode, results.

pub use super::fields::{ImportKind, ImportOptions, InteractionField, OrderField};
use crate::{
    customers::model::{CustomerKind, CustomerType, Source},
    enums::text_enum,
    i18n::Locale,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// What a column of the file fills in.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// The id the customer has in the shop, ERP or old CRM: matched before anything else.
    ExternalId,
    Name,
    Kind,
    CustomerType,
    Phone,
    Email,
    Address,
    Region,
    Industry,
    Source,
    OwnerEmail,
    Tags,
    Birthday,
    Anniversary,
    Notes,
    Language,
    ContactName,
    ContactPhone,
    ContactEmail,
    Custom(String),
}

impl Target {
    pub const STANDARD: [Target; 19] = [
        Target::ExternalId,
        Target::Name,
        Target::Kind,
        Target::CustomerType,
        Target::Phone,
        Target::Email,
        Target::Address,
        Target::Region,
        Target::Industry,
        Target::Source,
        Target::OwnerEmail,
        Target::Tags,
        Target::Birthday,
        Target::Anniversary,
        Target::Notes,
        Target::Language,
        Target::ContactName,
        Target::ContactPhone,
        Target::ContactEmail,
    ];

    /// The stable name used in the wizard's menus and in stored mappings.
    pub fn key(&self) -> String {
        match self {
            Target::Custom(key) => format!("custom.{key}"),
            other => serde_json::to_value(other)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
        }
    }

    pub fn from_key(key: &str) -> Option<Target> {
        if let Some(custom) = key.strip_prefix("custom.") {
            return Some(Target::Custom(custom.to_owned()));
        }
        serde_json::from_value(serde_json::Value::String(key.to_owned())).ok()
    }

    /// The target a column header most likely means, in Chinese or English.
    pub fn suggest(header: &str) -> Option<Target> {
        let h = header.trim().to_lowercase().replace([' ', '_', '-'], "");
        let any = |words: &[&str]| words.iter().any(|w| h == *w);
        Some(
            if any(&[
                "externalid",
                "customerid",
                "customerno",
                "外部编号",
                "客户编号",
                "会员号",
                "会员编号",
            ]) {
                Target::ExternalId
            } else if any(&[
                "name",
                "customer",
                "customername",
                "company",
                "companyname",
                "客户",
                "客户名称",
                "名称",
                "公司",
                "公司名称",
                "姓名",
            ]) {
                Target::Name
            } else if any(&[
                "phone",
                "mobile",
                "tel",
                "telephone",
                "电话",
                "手机",
                "手机号",
                "联系电话",
            ]) {
                Target::Phone
            } else if any(&["email", "e-mail", "mail", "邮箱", "电子邮件", "电子邮箱"]) {
                Target::Email
            } else if any(&["address", "地址"]) {
                Target::Address
            } else if any(&["region", "city", "province", "area", "地区", "区域", "城市", "省份"])
            {
                Target::Region
            } else if any(&["industry", "行业"]) {
                Target::Industry
            } else if any(&["source", "channel", "来源", "渠道"]) {
                Target::Source
            } else if any(&["owner", "owneremail", "salesrep", "负责人", "负责人邮箱", "销售"])
            {
                Target::OwnerEmail
            } else if any(&["tags", "tag", "标签"]) {
                Target::Tags
            } else if any(&["birthday", "生日"]) {
                Target::Birthday
            } else if any(&["anniversary", "纪念日"]) {
                Target::Anniversary
            } else if any(&["notes", "note", "remark", "remarks", "备注"]) {
                Target::Notes
            } else if any(&["language", "lang", "locale", "语言", "沟通语言"]) {
                Target::Language
            } else if any(&["kind", "customerkind", "客户性质", "性质"]) {
                Target::Kind
            } else if any(&["type", "customertype", "客户类型", "类型"]) {
                Target::CustomerType
            } else if any(&["contact", "contactname", "联系人"]) {
                Target::ContactName
            } else if any(&["contactphone", "联系人电话"]) {
                Target::ContactPhone
            } else if any(&["contactemail", "联系人邮箱"]) {
                Target::ContactEmail
            } else {
                return None;
            },
        )
    }
}

/// The role an import of `kind` needs: customers are a manager's to bring in; anyone may bring
/// in the history of the customers they can see.
pub fn role_for(kind: ImportKind) -> crate::auth::model::Role {
    use crate::auth::model::Role;
    match kind {
        ImportKind::Customers => Role::Manager,
        ImportKind::Orders | ImportKind::Interactions => Role::Member,
    }
}

/// What happens to the good rows when some rows are bad.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    /// Import the good rows, report the bad ones.
    #[default]
    SkipBad,
    /// Import nothing unless every row is good.
    AllOrNothing,
}

text_enum!(ImportMode { SkipBad => "skip_bad", AllOrNothing => "all_or_nothing" });

/// How the file's bytes become rows.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// An Excel workbook when the file is one; else UTF-16 when it starts with a UTF-16 byte
    /// order mark or looks like UTF-16 (Excel's "Unicode text"), UTF-8 when the bytes are valid
    /// UTF-8, and GBK otherwise (what Excel saves as CSV on Chinese Windows).
    #[default]
    Auto,
    Utf8,
    Gbk,
    Utf16Le,
    Utf16Be,
    /// An `.xlsx` workbook (one sheet of it).
    Xlsx,
}

text_enum!(Encoding {
    Auto => "auto", Utf8 => "utf-8", Gbk => "gbk", Utf16Le => "utf-16le", Utf16Be => "utf-16be",
    Xlsx => "xlsx",
});

/// Where an import is.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    Uploaded,
    Checking,
    Checked,
    Importing,
    /// The rows are in; what derives from them (aggregates, status, tiers...) is being brought
    /// up to date.
    Refreshing,
    Imported,
    Failed,
    Reverting,
    Reverted,
}

text_enum!(ImportStatus {
    Uploaded => "uploaded", Checking => "checking", Checked => "checked",
    Importing => "importing", Refreshing => "refreshing", Imported => "imported",
    Failed => "failed", Reverting => "reverting", Reverted => "reverted",
});

impl ImportStatus {
    /// A job is working on the import.
    pub fn is_running(self) -> bool {
        matches!(
            self,
            ImportStatus::Checking
                | ImportStatus::Importing
                | ImportStatus::Refreshing
                | ImportStatus::Reverting
        )
    }
}

/// How many refused rows an import shows on its page (the report has them all).
pub const REJECTED_SHOWN: i64 = 20;

/// An import with its file's shape and its counts so far.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportRun {
    pub id: i64,
    pub kind: ImportKind,
    pub file_name: String,
    /// How the file was read (`utf-8`, `gbk`, `utf-16le`, `xlsx`...).
    pub encoding: String,
    /// A workbook's sheets (empty for CSV); the one read is `options.sheet`, else the first.
    pub sheets: Vec<String>,
    pub options: ImportOptions,
    pub headers: Vec<String>,
    /// The first rows, for the mapping screen.
    pub sample: Vec<Vec<String>>,
    pub row_count: i32,
    /// Column index -> target key (`name`, `phone`, `custom.level`...).
    pub mapping: Vec<Option<String>>,
    pub mode: ImportMode,
    pub status: ImportStatus,
    /// The counts are of a check (what would happen) rather than an import.
    pub dry_run: bool,
    pub created: i32,
    pub updated: i32,
    pub unchanged: i32,
    pub rejected: i32,
    pub job_id: Option<i64>,
    pub progress_done: i64,
    pub progress_total: Option<i64>,
    pub created_at: DateTime<Utc>,
    /// Customers a revert left as they were because they changed after the import.
    pub kept_count: i32,
    /// The first of them, as (id, name), to link to.
    pub kept: Vec<(i64, String)>,
    /// The first refused rows: (row number, [(column, reason)]).
    pub rejected_rows: Vec<(i32, Vec<(String, crate::error::FieldError)>)>,
    /// Orders, customers and products the import created (or, for a check, would create).
    pub new_orders: i32,
    pub new_customers: i32,
    pub new_products: i32,
}

/// Customer kinds, types and sources as people write them in spreadsheets.
pub fn parse_kind(text: &str) -> Option<CustomerKind> {
    match text.trim().to_lowercase().as_str() {
        "" => Some(CustomerKind::Company),
        "company" | "企业" | "公司" | "b2b" => Some(CustomerKind::Company),
        "individual" | "person" | "个人" | "b2c" => Some(CustomerKind::Individual),
        _ => None,
    }
}

pub fn parse_customer_type(text: &str) -> Option<CustomerType> {
    match text.trim().to_lowercase().as_str() {
        "" | "potential" | "潜在" | "潜在客户" => Some(CustomerType::Potential),
        "existing" | "现有" | "现有客户" | "老客户" => Some(CustomerType::Existing),
        "former" | "流失" | "流失客户" | "前客户" => Some(CustomerType::Former),
        _ => None,
    }
}

/// A language as people write it in a spreadsheet: a tag ("en", "zh-CN") or its name.
pub fn parse_language(text: &str) -> Option<Locale> {
    match text.trim().to_lowercase().as_str() {
        "中文" | "汉语" | "简体中文" | "chinese" => Some(Locale::ZhCn),
        "英文" | "英语" | "english" => Some(Locale::En),
        other => Locale::from_tag(other),
    }
}

pub fn parse_source(text: &str) -> Option<Source> {
    let t = text.trim().to_lowercase();
    Some(match t.as_str() {
        "" | "import" | "导入" => Source::Import,
        "website" | "web" | "网站" | "官网" => Source::Website,
        "social" | "social media" | "社交媒体" | "微信" | "微博" => Source::Social,
        "referral" | "推荐" | "转介绍" => Source::Referral,
        "event" | "展会" | "活动" => Source::Event,
        "sales visit" | "sales_visit" | "拜访" | "销售拜访" => Source::SalesVisit,
        "service desk" | "service_desk" | "客服" => Source::ServiceDesk,
        "other" | "其他" => Source::Other,
        _ => return None,
    })
}

/// `2026-11-22`, `2026/11/22` or `2026年11月22日`.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim().replace(['年', '月', '/', '.'], "-").replace('日', "");
    NaiveDate::parse_from_str(&t, "%Y-%m-%d").ok()
}

/// Tags separated by `;`, `,`, `、` or `|`.
pub fn split_tags(text: &str) -> Vec<String> {
    text.split([';', ',', '、', '|', '；', '，'])
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_in_either_language_suggest_their_field() {
        assert_eq!(Target::suggest("客户名称"), Some(Target::Name));
        assert_eq!(Target::suggest("Company Name"), Some(Target::Name));
        assert_eq!(Target::suggest("手机"), Some(Target::Phone));
        assert_eq!(Target::suggest("E-mail"), Some(Target::Email));
        assert_eq!(Target::suggest("负责人"), Some(Target::OwnerEmail));
        assert_eq!(Target::suggest("Language"), Some(Target::Language));
        assert_eq!(Target::suggest("客户编号"), Some(Target::ExternalId));
        assert_eq!(Target::suggest("Favourite colour"), None);
    }

    #[test]
    fn target_keys_round_trip() {
        for target in Target::STANDARD.iter().cloned().chain([Target::Custom("level".into())]) {
            assert_eq!(Target::from_key(&target.key()), Some(target));
        }
        assert_eq!(Target::Name.key(), "name");
        assert_eq!(Target::OwnerEmail.key(), "owner_email");
    }

    #[test]
    fn spreadsheet_values_parse_in_either_language() {
        assert_eq!(parse_kind("个人"), Some(CustomerKind::Individual));
        assert_eq!(parse_customer_type("流失客户"), Some(CustomerType::Former));
        assert_eq!(parse_source("展会"), Some(Source::Event));
        assert_eq!(parse_source("carrier pigeon"), None);
        assert_eq!(parse_date("2026年11月22日"), NaiveDate::from_ymd_opt(2026, 11, 22));
        assert_eq!(parse_date("2026/2/3"), NaiveDate::from_ymd_opt(2026, 2, 3));
        assert_eq!(split_tags("VIP；华东, 老客户"), vec!["VIP", "华东", "老客户"]);
    }
}
