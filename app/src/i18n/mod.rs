//! The locale layer: every visible string goes through here.
//!
//! Strings live in one table per domain (`messages!` below), each entry giving the zh-CN and the
//! English text side by side, so a missing translation is a compile error rather than a blank
//! on screen. Two languages with keyed strings did not justify a runtime catalogue crate and its
//! ICU dependencies on our build times.

mod admin;
mod auth;
mod common;
mod customers;
mod data;
mod errors;
mod everyday;
mod home;
mod reports;
mod sales;
mod service;
mod tiers;

pub use admin::{AdminText, AuditText, audit_action_label, entity_type_label};
pub use auth::AuthText;
pub use common::CommonText;
pub use customers::{CustomerText, ImportFieldText, ImportText, OrderText, TimelineText};
pub use data::{ColumnText, CompanyText, ExportText};
pub use errors::{ErrorText, changed_fields_text, error_text, field_error_text};
pub use everyday::{NotifyText, SearchText};
pub use home::DashboardText;
pub use reports::ReportText;
pub use sales::{LeadText, SalesText, TaskText, sales_timeline_text};
pub use service::{SurveyText, TicketText, service_timeline_text};
pub use tiers::{LoyaltyText, TierText};

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A language the UI speaks.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Locale {
    #[default]
    #[serde(rename = "zh-CN")]
    ZhCn,
    #[serde(rename = "en")]
    En,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::ZhCn, Locale::En];

    /// The BCP 47 tag, as stored in the database and used in `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::ZhCn => "zh-CN",
            Locale::En => "en",
        }
    }

    /// A tag read back from the database, where a check constraint allows only known tags.
    pub fn from_stored(tag: &str) -> Self {
        Self::from_tag(tag).unwrap_or_default()
    }

    pub fn from_tag(tag: &str) -> Option<Self> {
        let tag = tag.trim().to_ascii_lowercase();
        if tag.starts_with("zh") {
            Some(Locale::ZhCn)
        } else if tag.starts_with("en") {
            Some(Locale::En)
        } else {
            None
        }
    }

    /// The first supported language of an `Accept-Language` header, honouring q-values.
    pub fn from_accept_language(header: &str) -> Option<Self> {
        let mut ranked: Vec<(f32, Locale)> = header
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.split(';');
                let locale = Locale::from_tag(pieces.next()?)?;
                let quality = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse::<f32>().ok())
                    .unwrap_or(1.0);
                Some((quality, locale))
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranked.first().map(|(_, locale)| *locale)
    }

    /// The name of the language in itself, for the language switch.
    pub fn endonym(self) -> &'static str {
        match self {
            Locale::ZhCn => "中文",
            Locale::En => "English",
        }
    }
}

/// A key that has a text in every locale.
pub trait Text: Copy + Send + Sync + 'static {
    fn text(self, locale: Locale) -> &'static str;
}

/// Declares a table of keyed strings: `Key => "中文", "English";`.
macro_rules! messages {
    ($(#[$meta:meta])* $name:ident { $($key:ident => $zh:literal, $en:literal;)* }) => {
        $(#[$meta])*
        #[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
        pub enum $name { $($key,)* }

        impl $name {
            /// Every key, for the completeness tests.
            #[allow(dead_code)]
            pub const ALL: &'static [$name] = &[$($name::$key,)*];
        }

        impl $crate::i18n::Text for $name {
            fn text(self, locale: $crate::i18n::Locale) -> &'static str {
                match locale {
                    $crate::i18n::Locale::ZhCn => match self { $($name::$key => $zh,)* },
                    $crate::i18n::Locale::En => match self { $($name::$key => $en,)* },
                }
            }
        }
    };
}
pub(crate) use messages;

/// Checks that every key of a table has both texts with the same placeholders: each table's
/// test, including the tables areas keep in their own folders.
#[cfg(test)]
pub(crate) fn assert_complete<K: Text + std::fmt::Debug>(keys: &[K]) {
    fn placeholders(text: &str) -> Vec<&str> {
        let mut found: Vec<&str> = text
            .split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
            .collect();
        found.sort_unstable();
        found
    }
    for key in keys {
        let zh = key.text(Locale::ZhCn);
        let en = key.text(Locale::En);
        assert!(!zh.trim().is_empty() && !en.trim().is_empty(), "{key:?} has an empty text");
        assert_eq!(placeholders(zh), placeholders(en), "{key:?} placeholders differ");
    }
}

/// Replaces `{name}` placeholders in a translated template.
pub fn fill(template: &str, values: &[(&str, &dyn std::fmt::Display)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), &value.to_string());
    }
    out
}

/// The reactive locale of the page, provided once by `App`.
#[derive(Copy, Clone)]
pub struct I18n {
    locale: RwSignal<Locale>,
}

impl I18n {
    pub fn locale(self) -> Locale {
        self.locale.get()
    }

    pub fn set_locale(self, locale: Locale) {
        self.locale.set(locale);
        #[cfg(feature = "hydrate")]
        if let Some(root) =
            web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element())
        {
            let _ = root.set_attribute("lang", locale.tag());
        }
    }

    /// A reactive text for use inside `view!`: re-renders when the locale changes.
    pub fn t<K: Text>(self, key: K) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
        let locale = self.locale;
        move || key.text(locale.get())
    }

    /// The text in the current locale, read (and tracked) now.
    pub fn text<K: Text>(self, key: K) -> &'static str {
        key.text(self.locale.get())
    }
}

pub fn provide_i18n(initial: Locale) -> I18n {
    let i18n = I18n { locale: RwSignal::new(initial) };
    provide_context(i18n);
    i18n
}

pub fn use_i18n() -> I18n {
    expect_context::<I18n>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_has_both_languages_with_matching_placeholders() {
        assert_complete(CommonText::ALL);
        assert_complete(AuthText::ALL);
        assert_complete(AdminText::ALL);
        assert_complete(AuditText::ALL);
        assert_complete(ErrorText::ALL);
        assert_complete(CustomerText::ALL);
        assert_complete(OrderText::ALL);
        assert_complete(TimelineText::ALL);
        assert_complete(ImportText::ALL);
        assert_complete(ImportFieldText::ALL);
        assert_complete(TierText::ALL);
        assert_complete(LoyaltyText::ALL);
        assert_complete(SalesText::ALL);
        assert_complete(LeadText::ALL);
        assert_complete(TaskText::ALL);
        assert_complete(TicketText::ALL);
        assert_complete(SurveyText::ALL);
        assert_complete(CompanyText::ALL);
        assert_complete(ExportText::ALL);
        assert_complete(ColumnText::ALL);
        assert_complete(SearchText::ALL);
        assert_complete(NotifyText::ALL);
        assert_complete(ReportText::ALL);
    }

    #[test]
    fn accept_language_prefers_the_highest_quality_supported_tag() {
        assert_eq!(
            Locale::from_accept_language("fr-FR, en;q=0.8, zh-CN;q=0.9"),
            Some(Locale::ZhCn)
        );
        assert_eq!(Locale::from_accept_language("en-GB,en;q=0.9"), Some(Locale::En));
        assert_eq!(Locale::from_accept_language("fr, de"), None);
    }

    #[test]
    fn fill_replaces_named_placeholders() {
        assert_eq!(fill("{n} of {total}", &[("n", &3), ("total", &10)]), "3 of 10");
    }
}
