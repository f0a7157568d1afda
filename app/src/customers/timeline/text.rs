//! The sentence each timeline entry reads as, in the UI's language. Kinds of other areas are
//! worded by their own tables in `i18n`; an unknown kind shows as stored.

use crate::{
    customers::{
        labels::{customer_stage_label, customer_type_label},
        model::{CustomerType, LifecycleStage},
    },
    i18n::{CustomerText, Locale, Text, TimelineText, fill},
};

/// The sentence for a timeline entry, from its kind and data. Unknown kinds show as stored.
pub fn timeline_text(kind: &str, data: &serde_json::Value, locale: Locale) -> String {
    use super::model::kinds;
    let s = |key: &str| -> String {
        match &data[key] {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        }
    };
    let stage = |value: String| {
        LifecycleStage::parse(&value)
            .map(|st| customer_stage_label(st, locale).to_owned())
            .unwrap_or(value)
    };
    let kind_of = |value: String| {
        CustomerType::parse(&value)
            .map(|t| customer_type_label(t, locale).to_owned())
            .unwrap_or(value)
    };
    match kind {
        kinds::CREATED => TimelineText::Created.text(locale).to_owned(),
        kinds::UPDATED => {
            let fields: Vec<String> = data["fields"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|f| f.as_str())
                        .map(|f| field_label(f, locale).to_owned())
                        .collect()
                })
                .unwrap_or_default();
            fill(
                TimelineText::Updated.text(locale),
                &[("fields", &fields.join(locale_separator(locale)))],
            )
        }
        kinds::TYPE_CHANGED => fill(
            TimelineText::TypeChanged.text(locale),
            &[("from", &kind_of(s("from"))), ("to", &kind_of(s("to")))],
        ),
        kinds::OWNER_CHANGED => TimelineText::OwnerChanged.text(locale).to_owned(),
        kinds::TAGGED => fill(TimelineText::Tagged.text(locale), &[("tag", &s("tag"))]),
        kinds::ORDER => {
            let money = crate::customers::model::Money {
                minor: data["total_minor"].as_i64().unwrap_or_default(),
                currency: s("currency"),
            };
            fill(
                TimelineText::Order.text(locale),
                &[("order_no", &s("order_no")), ("total", &money.display())],
            )
        }
        kinds::ORDER_CORRECTED | kinds::ORDER_CANCELLED | kinds::ORDER_REFUNDED => {
            let money = |key: &str| {
                crate::customers::model::Money {
                    minor: data[key].as_i64().unwrap_or_default(),
                    currency: s("currency"),
                }
                .display()
            };
            let order_no = s("order_no");
            match kind {
                kinds::ORDER_CORRECTED => fill(
                    TimelineText::OrderCorrected.text(locale),
                    &[
                        ("order_no", &order_no),
                        ("from", &money("total_before")),
                        ("to", &money("total_minor")),
                    ],
                ),
                kinds::ORDER_CANCELLED => fill(
                    TimelineText::OrderCancelled.text(locale),
                    &[
                        ("order_no", &order_no),
                        ("total", &money("total_minor")),
                        ("reason", &s("reason")),
                    ],
                ),
                _ => fill(
                    TimelineText::OrderRefunded.text(locale),
                    &[
                        ("order_no", &order_no),
                        ("amount", &money("amount_minor")),
                        ("reason", &s("reason")),
                    ],
                ),
            }
        }
        kinds::STAGE_CHANGED => fill(
            TimelineText::StageChanged.text(locale),
            &[("from", &stage(s("from"))), ("to", &stage(s("to")))],
        ),
        kinds::WON_BACK => TimelineText::WonBack.text(locale).to_owned(),
        kinds::MERGED => {
            fill(TimelineText::Merged.text(locale), &[("merged_name", &s("merged_name"))])
        }
        kinds::MERGE_UNDONE => TimelineText::MergeUndone.text(locale).to_owned(),
        kinds::IMPORTED => {
            fill(TimelineText::Imported.text(locale), &[("import_id", &s("import_id"))])
        }
        kinds::DELETED => TimelineText::Deleted.text(locale).to_owned(),
        kinds::RESTORED => TimelineText::Restored.text(locale).to_owned(),
        kinds::INTERACTION => s("subject"),
        kinds::INTERACTION_EDITED => {
            let fields: Vec<String> = data["fields"]
                .as_array()
                .map(|a| a.iter().filter_map(|f| f.as_str()).map(str::to_owned).collect())
                .unwrap_or_default();
            fill(
                TimelineText::InteractionEdited.text(locale),
                &[
                    ("subject", &s("subject")),
                    ("fields", &crate::i18n::changed_fields_text(&fields, locale)),
                ],
            )
        }
        kinds::INTERACTION_DELETED => {
            fill(TimelineText::InteractionDeleted.text(locale), &[("subject", &s("subject"))])
        }
        kinds::INTERACTION_RESTORED => {
            fill(TimelineText::InteractionRestored.text(locale), &[("subject", &s("subject"))])
        }
        "tier_changed" => tier_text(data, locale),
        "points" => points_text(data, locale),
        other => crate::i18n::sales_timeline_text(other, data, locale)
            .or_else(|| crate::i18n::service_timeline_text(other, data, locale))
            .unwrap_or_else(|| other.to_owned()),
    }
}

/// "tier Medium → High because M=5, F=4" (tier names resolved by the page; ids here fall back to
/// numbers) or the override set / cleared.
fn tier_text(data: &serde_json::Value, locale: Locale) -> String {
    use crate::i18n::TierText;
    let suffix = match locale {
        Locale::ZhCn => "zh",
        Locale::En => "en",
    };
    let name = |key: &str| match &data[format!("{key}_{suffix}")] {
        serde_json::Value::String(s) => s.clone(),
        _ => "—".to_owned(),
    };
    if data.get("override").is_some() {
        return if data["override"].is_null() {
            TierText::OverrideCleared.text(locale).to_owned()
        } else {
            let reason = data["reason"].as_str().unwrap_or_default();
            fill(TierText::OverrideSet.text(locale), &[("to", &name("to")), ("reason", &reason)])
        };
    }
    let because = data["because"]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", "))
        .unwrap_or_default();
    fill(
        TierText::Changed.text(locale),
        &[("from", &name("from")), ("to", &name("to")), ("because", &because)],
    )
}

fn points_text(data: &serde_json::Value, locale: Locale) -> String {
    use crate::i18n::LoyaltyText;
    let delta = data["delta"].as_i64().unwrap_or_default();
    let reason = data["reason"].as_str().unwrap_or_default();
    match data["kind"].as_str().unwrap_or_default() {
        "earn" => fill(LoyaltyText::TimelineEarn.text(locale), &[("delta", &delta)]),
        "redeem" => fill(
            LoyaltyText::TimelineRedeem.text(locale),
            &[("points", &-delta), ("reason", &reason)],
        ),
        "expire" => fill(LoyaltyText::TimelineExpire.text(locale), &[("points", &-delta)]),
        _ => {
            let mut text = fill(
                LoyaltyText::TimelineAdjust.text(locale),
                &[("delta", &delta), ("reason", &reason)],
            );
            let short = data["short"].as_i64().unwrap_or_default();
            if short > 0 {
                text.push_str(&fill(
                    LoyaltyText::TimelineShort.text(locale),
                    &[("points", &short)],
                ));
            }
            text
        }
    }
}

fn locale_separator(locale: Locale) -> &'static str {
    match locale {
        Locale::ZhCn => "、",
        Locale::En => ", ",
    }
}

/// The label of a customer field by its stored name (timeline "changed ..." lists).
pub fn field_label(field: &str, locale: Locale) -> &'static str {
    match field {
        "name" => CustomerText::Name,
        "phone" => CustomerText::Phone,
        "email" => CustomerText::Email,
        "address" => CustomerText::Address,
        "region" => CustomerText::Region,
        "industry" => CustomerText::Industry,
        "tags" => CustomerText::Tags,
        "notes" => CustomerText::Notes,
        "kind" => CustomerText::Kind,
        "source" => CustomerText::Source,
        "owner_id" => CustomerText::Owner,
        "birthday" => CustomerText::Birthday,
        "anniversary" => CustomerText::Anniversary,
        "locale" => CustomerText::Language,
        _ => CustomerText::CustomFields,
    }
    .text(locale)
}
