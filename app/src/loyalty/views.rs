//! The 360 page's membership card and the loyalty settings page.

use super::{api::*, model::*};
use crate::{
    auth::{model::Role, views::use_auth_session},
    customers::model::{CustomerId, parse_money},
    error::AppError,
    i18n::{CommonText, Locale, LoyaltyText, fill, use_i18n},
    ui::{
        CheckboxField, ResourceView, Submission, TextField, Timestamp, ToastKind,
        server_submission, use_toasts,
    },
};
use leptos::prelude::*;

fn kind_label(kind: &str) -> LoyaltyText {
    match kind {
        "earn" => LoyaltyText::KindEarn,
        "redeem" => LoyaltyText::KindRedeem,
        "expire" => LoyaltyText::KindExpire,
        _ => LoyaltyText::KindAdjust,
    }
}

/// Balance, level, what expires soon, the ledger, and redeem / adjust forms.
#[component]
pub fn MembershipCard(customer_id: CustomerId, version: Memo<(u64, u32)>) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let session = use_auth_session();
    let local = RwSignal::new(0u32);
    let membership =
        Resource::new(move || (version.get(), local.get()), move |_| get_membership(customer_id));
    let points = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let can_adjust = move || session.current().is_some_and(|u| u.role.includes(Role::Manager));
    // Redeeming and adjusting share the form: the input says which, the result says it back.
    let change = Submission::new(move |(adjust, points, reason): &(bool, String, String)| {
        let (adjust, points, reason) = (*adjust, points.trim().parse::<i64>(), reason.clone());
        async move {
            let amount = points.map_err(|_| {
                AppError::validation("points", crate::error::FieldError::InvalidNumber)
            })?;
            let balance = if adjust {
                adjust_points(customer_id, amount, reason).await?
            } else {
                redeem_points(customer_id, amount, reason).await?
            };
            Ok((adjust, balance))
        }
    })
    .on_success(move |(adjust, balance)| {
        points.set(String::new());
        reason.set(String::new());
        let text = if adjust { LoyaltyText::Adjusted } else { LoyaltyText::Redeemed };
        toasts.show(ToastKind::Success, move |locale| {
            fill(crate::i18n::Text::text(text, locale), &[("balance", &balance)])
        });
        local.update(|v| *v += 1);
    });
    let act =
        move |adjust: bool| change.submit((adjust, points.get_untracked(), reason.get_untracked()));
    view! {
        <div class="card membership" data-testid="membership">
            <h2>{i18n.t(LoyaltyText::Loyalty)}</h2>
            <ResourceView resource=membership let:m>
                {
                        let level = m.level.clone();
                        let next = m.next.clone();
                        view! {
                            <dl class="facts">
                                <div><dt>{i18n.t(LoyaltyText::Balance)}</dt><dd data-testid="points-balance">{m.balance}</dd></div>
                                <div><dt>{i18n.t(LoyaltyText::Level)}</dt><dd data-testid="member-level">{move || level.as_ref().map(|l| if i18n.locale() == Locale::ZhCn { l.name_zh.clone() } else { l.name_en.clone() }).unwrap_or_else(|| i18n.text(LoyaltyText::NoLevel).to_owned())}</dd></div>
                            </dl>
                            {next.map(|(l, needed)| view! { <p class="small muted">{move || fill(i18n.text(LoyaltyText::NextLevel), &[("level", &if i18n.locale() == Locale::ZhCn { l.name_zh.clone() } else { l.name_en.clone() }), ("points", &needed)])}</p> })}
                            {(m.expiring_soon > 0).then(|| view! { <p class="small warn">{move || fill(i18n.text(LoyaltyText::ExpiringSoon), &[("points", &m.expiring_soon)])}</p> })}
                            <details>
                                <summary>{i18n.t(LoyaltyText::Ledger)}</summary>
                                <ul class="plain-list small" data-testid="points-ledger">
                                    {m.entries.into_iter().map(|e| view! {
                                        <li>
                                            <strong class:negative=e.delta < 0>{if e.delta > 0 { format!("+{}", e.delta) } else { e.delta.to_string() }}</strong>" "
                                            {i18n.t(kind_label(&e.kind))}" "{e.reason.clone().unwrap_or_default()}
                                            <div class="muted"><Timestamp at=e.at/></div>
                                        </li>
                                    }).collect_view()}
                                </ul>
                            </details>
                        }
                }
            </ResourceView>
            <details class="points-actions">
                <summary>{i18n.t(LoyaltyText::Redeem)}</summary>
                <TextField label=i18n.t(LoyaltyText::Points) name="points" input_type="number" value=points error=change.field("points")/>
                <TextField label=i18n.t(LoyaltyText::Reason) name="points_reason" value=reason error=change.field("reason")/>
                <div class="actions">
                    <button type="button" class="button small primary" disabled=move || change.pending().get() on:click=move |_| act(false)>{i18n.t(LoyaltyText::Redeem)}</button>
                    <Show when=can_adjust>
                        <button type="button" class="button small" disabled=move || change.pending().get() title=move || i18n.text(LoyaltyText::AdjustHelp) on:click=move |_| act(true)>{i18n.t(LoyaltyText::Adjust)}</button>
                    </Show>
                </div>
            </details>
        </div>
    }
}

/// `/admin/loyalty`: the earning rate, expiry and levels.
#[component]
pub fn LoyaltySettingsPage() -> impl IntoView {
    let i18n = use_i18n();
    let version = RwSignal::new(0u32);
    let setup = Resource::new(move || version.get(), |_| get_loyalty_setup());
    let on_saved = Callback::new(move |_| version.update(|v| *v += 1));
    view! {
        <section class="page">
            <h1>{i18n.t(LoyaltyText::Settings)}</h1>
            <ResourceView resource=setup let:setup>
                {
                    let (settings, levels) = setup;
                    view! {
                        <RateForm settings on_saved/>
                        <div class="card">
                            <h2>{i18n.t(LoyaltyText::Levels)}</h2>
                            {levels.into_iter().map(|level| view! { <LevelForm level on_saved/> }).collect_view()}
                            <h3>{i18n.t(LoyaltyText::NewLevel)}</h3>
                            <LevelForm level=Level { active: true, ..Default::default() } on_saved/>
                        </div>
                    }
                }
            </ResourceView>
        </section>
    }
}

#[component]
fn RateForm(settings: LoyaltySettings, on_saved: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let rate = RwSignal::new(settings.points_per_hundred.to_string());
    let expiry = RwSignal::new(settings.expiry_days.to_string());
    let save = server_submission::<SaveLoyaltySettings>().on_success(move |()| {
        toasts.success(LoyaltyText::Saved);
        on_saved.run(());
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let settings = LoyaltySettings {
            points_per_hundred: rate.get_untracked().trim().parse().unwrap_or(-1),
            expiry_days: expiry.get_untracked().trim().parse().unwrap_or(-1),
            version: settings.version,
        };
        save.submit(SaveLoyaltySettings { settings });
    };
    view! {
        <form class="card form" on:submit=submit>
            <div class="grid-2">
                <TextField label=i18n.t(LoyaltyText::Rate) name="points_per_hundred" input_type="number" value=rate error=save.field("points_per_hundred")/>
                <TextField label=i18n.t(LoyaltyText::Expiry) name="expiry_days" input_type="number" value=expiry error=save.field("expiry_days")/>
            </div>
            <div class="actions"><button type="submit" class="button primary" disabled=move || save.pending().get()>{i18n.t(CommonText::Save)}</button></div>
        </form>
    }
}

#[component]
fn LevelForm(level: Level, on_saved: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let s = |v: String| RwSignal::new(v);
    let name_zh = s(level.name_zh.clone());
    let name_en = s(level.name_en.clone());
    let benefits_zh = s(level.benefits_zh.clone());
    let benefits_en = s(level.benefits_en.clone());
    let min_points = s(level.min_points.to_string());
    let min_spend = s(crate::customers::model::money_text(level.min_spend_minor));
    let active = RwSignal::new(level.active);
    let save = server_submission::<SaveLevel>().on_success(move |_| {
        toasts.success(LoyaltyText::Saved);
        on_saved.run(());
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let level = Level {
            name_zh: name_zh.get_untracked(),
            name_en: name_en.get_untracked(),
            benefits_zh: benefits_zh.get_untracked(),
            benefits_en: benefits_en.get_untracked(),
            min_points: min_points.get_untracked().trim().parse().unwrap_or(-1),
            min_spend_minor: parse_money(&min_spend.get_untracked()).unwrap_or(-1),
            active: active.get_untracked(),
            ..level.clone()
        };
        save.submit(SaveLevel { level });
    };
    view! {
        <form class="form level-form" on:submit=submit>
            <div class="grid-3">
                <TextField label=i18n.t(crate::i18n::TierText::NameZh) name="name_zh" value=name_zh error=save.field("name_zh")/>
                <TextField label=i18n.t(crate::i18n::TierText::NameEn) name="name_en" value=name_en error=save.field("name_en")/>
                <TextField label=i18n.t(LoyaltyText::MinPoints) name="min_points" input_type="number" value=min_points error=save.field("min_points")/>
                <TextField label=i18n.t(LoyaltyText::MinSpend) name="min_spend" value=min_spend error=save.field("min_spend")/>
                <TextField label=i18n.t(LoyaltyText::BenefitsZh) name="benefits_zh" value=benefits_zh error=save.field("benefits_zh")/>
                <TextField label=i18n.t(LoyaltyText::BenefitsEn) name="benefits_en" value=benefits_en error=save.field("benefits_en")/>
                <CheckboxField label=i18n.t(crate::i18n::CustomerText::Active) name="level_active" checked=active/>
            </div>
            <div class="actions"><button type="submit" class="button small primary" disabled=move || save.pending().get()>{i18n.t(CommonText::Save)}</button></div>
        </form>
    }
}
