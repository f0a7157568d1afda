//! `/admin/company`: the company's time zone and how long the recycle bin keeps deleted records.

use super::{
    api::{SaveCompanySettings, get_company_settings},
    model::{COMMON_TIME_ZONES, CompanySettings},
};
use crate::{
    i18n::{CommonText, CompanyText, NotifyText, use_i18n},
    ui::{ResourceView, SelectField, TextField, server_submission, use_toasts},
};
use leptos::prelude::*;

#[component]
pub fn CompanySettingsPage() -> impl IntoView {
    let i18n = use_i18n();
    let version = RwSignal::new(0u32);
    let settings = Resource::new(move || version.get(), |_| get_company_settings());
    let on_saved = Callback::new(move |_| version.update(|v| *v += 1));
    view! {
        <section class="page">
            <h1>{i18n.t(CompanyText::Title)}</h1>
            <ResourceView resource=settings let:settings>
                <TimeZoneForm settings on_saved/>
            </ResourceView>
        </section>
    }
}

/// The value of the menu entry that reveals the free-text zone field.
const OTHER: &str = "other";

#[component]
fn TimeZoneForm(settings: CompanySettings, on_saved: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let listed = COMMON_TIME_ZONES.contains(&settings.time_zone.as_str());
    let choice = RwSignal::new(if listed { settings.time_zone.clone() } else { OTHER.to_owned() });
    let typed = RwSignal::new(if listed { String::new() } else { settings.time_zone.clone() });
    let recycle_days = RwSignal::new(settings.recycle_bin_days.to_string());
    let warning_percent = RwSignal::new(settings.sla_warning_percent.to_string());
    let save = server_submission::<SaveCompanySettings>().on_success(move |()| {
        toasts.success(CompanyText::Saved);
        on_saved.run(());
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let chosen = choice.get_untracked();
        let time_zone = if chosen == OTHER { typed.get_untracked() } else { chosen };
        save.submit(SaveCompanySettings {
            settings: CompanySettings {
                time_zone,
                // Not a number: out of range, which the server names at the field.
                recycle_bin_days: recycle_days.get_untracked().trim().parse().unwrap_or(0),
                sla_warning_percent: warning_percent.get_untracked().trim().parse().unwrap_or(0),
                version: settings.version,
            },
        });
    };
    let zone_error = save.field("time_zone");
    let recycle_error = save.field("recycle_bin_days");
    let warning_error = save.field("sla_warning_percent");
    let options = Signal::derive(move || {
        let mut list: Vec<(String, String)> =
            COMMON_TIME_ZONES.iter().map(|z| (z.to_string(), z.to_string())).collect();
        list.push((OTHER.to_owned(), i18n.text(CompanyText::OtherZone).to_owned()));
        list
    });
    view! {
        <form class="card form" on:submit=submit data-testid="company-settings">
            <p class="muted">{i18n.t(CompanyText::TimeZoneHelp)}</p>
            <SelectField label=i18n.t(CompanyText::TimeZone) name="time_zone_choice" value=choice options
                error=Signal::derive(move || if choice.get() == OTHER { None } else { zone_error.get() })/>
            <Show when=move || choice.get() == OTHER>
                <TextField label=i18n.t(CompanyText::OtherZone) name="time_zone" value=typed error=zone_error/>
            </Show>
            <p class="muted">{i18n.t(CompanyText::RecycleBinHelp)}</p>
            <TextField label=i18n.t(CompanyText::RecycleBinDays) name="recycle_bin_days" value=recycle_days
                input_type="number" error=recycle_error/>
            <TextField label=i18n.t(NotifyText::SlaWarningPercent) name="sla_warning_percent" value=warning_percent
                input_type="number" error=warning_error/>
            <div class="actions"><button type="submit" class="button primary" disabled=move || save.pending().get()>{i18n.t(CommonText::Save)}</button></div>
        </form>
    }
}
