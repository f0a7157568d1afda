//! The names of the customer's own kinds and states in the UI's language.

use super::model::{
    ActivityStatus, CustomFieldType, CustomerKind, CustomerType, LifecycleStage, Source,
};
use crate::i18n::{CustomerText, Locale, Text};

pub fn customer_kind_label(kind: CustomerKind, locale: Locale) -> &'static str {
    match kind {
        CustomerKind::Company => CustomerText::KindCompany,
        CustomerKind::Individual => CustomerText::KindIndividual,
    }
    .text(locale)
}

pub fn customer_type_label(kind: CustomerType, locale: Locale) -> &'static str {
    match kind {
        CustomerType::Potential => CustomerText::TypePotential,
        CustomerType::Existing => CustomerText::TypeExisting,
        CustomerType::Former => CustomerText::TypeFormer,
    }
    .text(locale)
}

pub fn customer_status_label(status: ActivityStatus, locale: Locale) -> &'static str {
    match status {
        ActivityStatus::Potential => CustomerText::StatusPotential,
        ActivityStatus::Active => CustomerText::StatusActive,
        ActivityStatus::Silent => CustomerText::StatusSilent,
    }
    .text(locale)
}

pub fn customer_stage_label(stage: LifecycleStage, locale: Locale) -> &'static str {
    match stage {
        LifecycleStage::Potential => CustomerText::StagePotential,
        LifecycleStage::New => CustomerText::StageNew,
        LifecycleStage::Repeat => CustomerText::StageRepeat,
        LifecycleStage::Loyal => CustomerText::StageLoyal,
    }
    .text(locale)
}

pub fn source_label(source: Source, locale: Locale) -> &'static str {
    match source {
        Source::Website => CustomerText::SourceWebsite,
        Source::Social => CustomerText::SourceSocial,
        Source::Referral => CustomerText::SourceReferral,
        Source::Event => CustomerText::SourceEvent,
        Source::SalesVisit => CustomerText::SourceSalesVisit,
        Source::ServiceDesk => CustomerText::SourceServiceDesk,
        Source::Import => CustomerText::SourceImport,
        Source::Manual => CustomerText::SourceManual,
        Source::Other => CustomerText::SourceOther,
    }
    .text(locale)
}

pub fn field_type_label(kind: CustomFieldType, locale: Locale) -> &'static str {
    match kind {
        CustomFieldType::Text => CustomerText::FieldText,
        CustomFieldType::Number => CustomerText::FieldNumber,
        CustomFieldType::Date => CustomerText::FieldDate,
        CustomFieldType::Choice => CustomerText::FieldChoice,
    }
    .text(locale)
}
