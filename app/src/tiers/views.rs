//! Tier admin with live preview, the 360 tier card, segments and the distribution view.

use super::{api::*, model::*, rule};
use crate::{
    auth::{model::Role, views::use_auth_session},
    customers::labels::{customer_stage_label, customer_status_label},
    customers::{
        model::CustomerId,
        views::{FilterControls, FilterState},
    },
    error::AppError,
    events::{Topic, use_server_events},
    i18n::{CommonText, CustomerText, Locale, Text, TierText, field_error_text, fill, use_i18n},
    ui::{
        ColorDot, Column, ErrorNotice, FillBar, ProgressBar, ResourceView, SelectField, Table,
        TextField, server_submission, use_toasts,
    },
};
use leptos::prelude::*;

/// A coloured tier badge.
#[component]
pub fn TierBadge(tier: Option<Tier>) -> impl IntoView {
    let i18n = use_i18n();
    match tier {
        Some(tier) => {
            let color = tier.color.clone();
            view! { <span class="badge tier" data-testid="tier"><ColorDot color/>{move || tier.name(i18n.locale()).to_owned()}</span> }.into_any()
        }
        None => {
            view! { <span class="badge muted" data-testid="tier">{i18n.t(TierText::NoTier)}</span> }
                .into_any()
        }
    }
}

/// The 360 page's tier card: the tier, its scores, why, and the manual override.
#[component]
pub fn CustomerTierCard(customer_id: CustomerId, version: Memo<(u64, u32)>) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let session = use_auth_session();
    let local = RwSignal::new(0u32);
    let info = Resource::new(
        move || (version.get(), local.get()),
        move |_| get_customer_tier(customer_id),
    );
    let can_override = move || session.current().is_some_and(|u| u.role.includes(Role::Manager));
    let chosen = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let until = RwSignal::new(String::new());
    let save = server_submission::<SetTierOverride>().on_success(move |()| {
        toasts.success(CustomerText::Saved);
        local.update(|v| *v += 1);
    });
    let submit = move |clear: bool| {
        save.submit(SetTierOverride {
            customer_id,
            tier_id: if clear { None } else { chosen.get_untracked().parse().ok().map(TierId) },
            reason: reason.get_untracked(),
            until: until.get_untracked().parse().ok(),
        });
    };
    let tier_options = move || {
        let mut list = vec![(String::new(), "—".to_owned())];
        // The card's own answer carries the tiers: no second request for the choices.
        info.with(|card| {
            if let Some(Ok(card)) = card {
                list.extend(
                    card.choices
                        .iter()
                        .map(|t| (t.id.0.to_string(), t.name(i18n.locale()).to_owned())),
                );
            }
        });
        list
    };
    view! {
        <div class="card tier-card" data-testid="tier-card">
            <h2>{i18n.t(TierText::Tier)}</h2>
            <ResourceView resource=info let:t>
                {
                        let scores = t.scores.clone();
                        let because = t.because.clone();
                        let override_ = t.override_.clone();
                        view! {
                            <p><TierBadge tier=t.tier.clone()/></p>
                            {(!because.is_empty()).then(|| view! { <p class="small" data-testid="tier-because">{move || fill(i18n.text(TierText::Because), &[("because", &because)])}</p> })}
                            {override_.map(|o| view! { <p class="small warn">{move || fill(i18n.text(TierText::OverrideActive), &[("reason", &o.reason)])}{o.until.map(|d| format!(" → {d}"))}</p> })}
                            <dl class="facts rfm">
                                <div><dt>"R · "{i18n.t(TierText::Recency)}</dt><dd data-testid="score-r">{scores.r}</dd><span class="muted small">{scores.recency_days.map(|d| fill(i18n.text(TierText::DaysAgo), &[("days", &d)]))}</span></div>
                                <div><dt>"F · "{i18n.t(TierText::Frequency)}</dt><dd data-testid="score-f">{scores.f}</dd><span class="muted small">{scores.frequency}</span></div>
                                <div><dt>"M · "{i18n.t(TierText::Monetary)}</dt><dd data-testid="score-m">{scores.m}</dd><span class="muted small">{crate::customers::model::Money { minor: scores.monetary_minor, currency: "CNY".into() }.display()}</span></div>
                            </dl>
                        }
                }
                <Show when=can_override>
                    <details class="override">
                        <summary>{i18n.t(TierText::Override)}</summary>
                        <SelectField label=i18n.t(TierText::Tier) name="override_tier" value=chosen options=Signal::derive(tier_options) error=save.field("tier_id")/>
                        <TextField label=i18n.t(TierText::OverrideReason) name="override_reason" value=reason error=save.field("reason")/>
                        <TextField label=i18n.t(TierText::OverrideUntil) name="override_until" input_type="date" value=until error=save.field("until")/>
                        <div class="actions">
                            <button type="button" class="button small primary" disabled=move || save.pending().get() on:click=move |_| submit(false)>{i18n.t(TierText::SetOverride)}</button>
                            <button type="button" class="button small ghost" disabled=move || save.pending().get() on:click=move |_| submit(true)>{i18n.t(TierText::ClearOverride)}</button>
                        </div>
                    </details>
                </Show>
            </ResourceView>
        </div>
    }
}

/// `/admin/tiers`: edit the ordered tiers, see the preview as you type, save and recompute.
#[component]
pub fn TiersPage() -> impl IntoView {
    let i18n = use_i18n();
    // One call for the tiers and their first preview: the editor creates no resource of its
    // own, so what the server draws is what the browser hydrates.
    let loaded = Resource::new(|| (), |_| load_tier_editor());
    view! {
        <section class="page">
            <h1>{i18n.t(TierText::Tiers)}</h1>
            <p class="muted">{i18n.t(TierText::TiersHelp)}</p>
            <ResourceView resource=loaded let:loaded>
                {
                    let (tiers, settings, preview) = loaded;
                    view! { <TierEditor tiers settings preview/> }
                }
            </ResourceView>
        </section>
    }
}

#[component]
fn TierEditor(tiers: Vec<Tier>, settings: TierSettings, preview: Preview) -> impl IntoView {
    let i18n = use_i18n();
    let rows = RwSignal::new(tiers.iter().map(Tier::to_input).collect::<Vec<_>>());
    let window = RwSignal::new(settings.window_days.to_string());
    let version = RwSignal::new(settings.version);
    let saving_job = RwSignal::new(None::<i64>);
    // The preview follows the rules as they are typed (a short pause first).
    let typed = RwSignal::new(0u32);
    let settled = RwSignal::new(0u32);
    Effect::new(move |_| {
        rows.track();
        let now = typed.get_untracked() + 1;
        typed.set(now);
        set_timeout(
            // `try_`: the editor may be gone when the pause ends.
            move || {
                if typed.try_get_untracked() == Some(now) {
                    settled.try_set(now);
                }
            },
            std::time::Duration::from_millis(400),
        );
    });
    // ... and again once a recompute has finished, when "now" has caught up with "after".
    let recomputed = RwSignal::new(None::<i64>);
    let preview = RwSignal::new(Ok::<_, AppError>(preview));
    let asked = StoredValue::new(0u32);
    Effect::new(move |previous: Option<()>| {
        settled.track();
        recomputed.track();
        if previous.is_none() {
            return; // The first preview came with the page.
        }
        let ask = asked.get_value() + 1;
        asked.set_value(ask);
        leptos::task::spawn_local(async move {
            let result = preview_tiers(rows.get_untracked()).await;
            // An older answer arriving after a newer question is dropped.
            if asked.get_value() == ask {
                preview.set(result);
            }
        });
    });
    let job_changes = use_server_events().changes(Topic::Job);
    // Follows the recompute this page started. A signal the browser fills, not a resource:
    // nothing is running when the page opens, so the server has nothing to draw.
    let job = RwSignal::new(None::<crate::jobs::model::JobSummary>);
    Effect::new(move |_| {
        let (Some(id), _) = (saving_job.get(), job_changes.get()) else { return };
        leptos::task::spawn_local(async move {
            // A failed look-up shows nothing, as no job would; the next change event retries.
            let found = crate::jobs::api::list_jobs(None)
                .await
                .ok()
                .and_then(|page| page.items.into_iter().find(|j| j.id == id));
            job.set(found);
        });
    });
    Effect::new(move |_| {
        if let Some(job) = job.get()
            && job.status.is_finished()
            && recomputed.get_untracked() != Some(job.id)
        {
            recomputed.set(Some(job.id));
        }
    });
    let save =
        server_submission::<SaveTiers>().shows_fields_under("tiers.").on_success(move |id| {
            // The save moved the settings one version on.
            version.update(|v| *v += 1);
            saving_job.set(Some(id));
        });
    let failure = save.failure();
    let submit = move |_| {
        save.submit(SaveTiers {
            tiers: rows.get_untracked(),
            window_days: window.get_untracked().trim().parse().unwrap_or(0),
            version: version.get_untracked(),
        });
    };
    let rule_error = move |index: usize, field: &str| {
        let key = format!("tiers.{index}.{field}");
        let locale = i18n.locale();
        // The parse error shows at once, before saving; the server's errors after.
        if field == "rule"
            && let Some(Err(e)) = rows.with(|r| r.get(index).map(|t| rule::parse(&t.rule)))
        {
            return Some(field_error_text(
                &crate::error::FieldError::BadRule {
                    position: e.position as u32,
                    expected: e.expected.to_owned(),
                },
                locale,
            ));
        }
        failure.with(|f: &Option<AppError>| {
            f.as_ref()
                .and_then(|e| e.field_errors())
                .map(|errors| {
                    errors
                        .get(&key)
                        .iter()
                        .map(|e| field_error_text(e, locale))
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .filter(|s| !s.is_empty())
        })
    };
    view! {
        <div class="grid-360">
            <div class="card form" data-testid="tier-editor">
                <TextField label=i18n.t(TierText::Window) name="window_days" input_type="number" value=window error=save.field("window_days")/>
                <p class="hint">{i18n.t(TierText::RuleHelp)}</p>
                {move || {
                    let count = rows.with(Vec::len);
                    rows.get().into_iter().enumerate().map(|(index, tier)| {
                        let last = index + 1 == count;
                        let set = move |f: fn(&mut TierInput, String), value: String| rows.update(|r| if let Some(t) = r.get_mut(index) { f(t, value) });
                        view! {
                            <div class="tier-row" data-testid="tier-row">
                                <span class="tier-position">{index + 1}</span>
                                <input type="color" aria-label=move || i18n.text(TierText::Color) prop:value=tier.color.clone() on:change=move |ev| set(|t, v| t.color = v, event_target_value(&ev))/>
                                <div class="field">
                                    <label>{i18n.t(TierText::NameZh)}</label>
                                    <input type="text" name=format!("tier_name_zh_{index}") prop:value=tier.name_zh.clone() on:change=move |ev| set(|t, v| t.name_zh = v, event_target_value(&ev))/>
                                </div>
                                <div class="field">
                                    <label>{i18n.t(TierText::NameEn)}</label>
                                    <input type="text" name=format!("tier_name_en_{index}") prop:value=tier.name_en.clone() on:change=move |ev| set(|t, v| t.name_en = v, event_target_value(&ev))/>
                                </div>
                                <div class="field rule-field">
                                    <label>{i18n.t(TierText::Rule)}</label>
                                    <input type="text" name=format!("tier_rule_{index}") prop:value=tier.rule.clone()
                                        placeholder=move || if last { i18n.text(TierText::CatchAll) } else { "" }
                                        on:input=move |ev| set(|t, v| t.rule = v, event_target_value(&ev))/>
                                    <span class="field-error">{move || rule_error(index, "rule")}</span>
                                </div>
                                <button type="button" class="button small ghost" disabled=index == 0 on:click=move |_| rows.update(|r| r.swap(index, index - 1))>{i18n.t(TierText::MoveUp)}</button>
                                <button type="button" class="button small ghost" on:click=move |_| rows.update(|r| { r.remove(index); })>{i18n.t(TierText::RemoveTier)}</button>
                            </div>
                        }
                    }).collect_view()
                }}
                <span class="field-error">{save.field("tiers")}</span>
                <div class="actions">
                    <button type="button" class="button small" on:click=move |_| rows.update(|r| {
                        let at = r.len().saturating_sub(1);
                        r.insert(at, TierInput { id: None, name_zh: "新等级".into(), name_en: "New tier".into(), color: "#2563eb".into(), rule: "M >= 3".into() });
                    })>{i18n.t(TierText::AddTier)}</button>
                    <button type="button" class="button primary" disabled=move || save.pending().get() on:click=submit>{i18n.t(TierText::SaveAndRecompute)}</button>
                </div>
                {move || job.get().map(|job| {
                    let percent = job.percent().unwrap_or(0);
                    let done = job.status.is_finished();
                    view! {
                        <div class="recompute" data-testid="recompute" data-status=job.status.as_str()>
                            <p>{move || if done { i18n.text(TierText::Recomputed) } else { i18n.text(TierText::Recomputing) }}</p>
                            <ProgressBar percent=percent/>
                        </div>
                    }
                })}
            </div>
            <aside class="card" data-testid="tier-preview">
                <h2>{i18n.t(TierText::Preview)}</h2>
                <p class="muted small">{i18n.t(TierText::PreviewHelp)}</p>
                    {move || match preview.get() {
                        Err(AppError::Validation(_)) => ().into_any(),
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                        Ok(p) => {
                            let names = rows.get_untracked();
                            let table_names = names.clone();
                            view! {
                                <Table columns=vec![
                                    Column::new(i18n.t(TierText::Tier)),
                                    Column::new(i18n.t(TierText::Now)).numeric(),
                                    Column::new(i18n.t(TierText::After)).numeric(),
                                ]>
                                    {p.counts.iter().map(|(position, now, after)| {
                                        let name = table_names.get(*position as usize - 1).map(|t| if i18n.locale() == Locale::ZhCn { t.name_zh.clone() } else { t.name_en.clone() }).unwrap_or_default();
                                        view! { <tr><td>{name}</td><td class="num" data-testid="preview-now">{*now}</td><td class="num" data-testid="preview-after">{*after}</td></tr> }
                                    }).collect_view()}
                                </Table>
                                <p data-testid="preview-moves">
                                    <span class="badge status-active">{move || fill(i18n.text(TierText::MovingUp), &[("count", &p.moving_up)])}</span>
                                    " "
                                    <span class="badge status-silent">{move || fill(i18n.text(TierText::MovingDown), &[("count", &p.moving_down)])}</span>
                                </p>
                                <h3>{i18n.t(TierText::SampleMovers)}</h3>
                                <ul class="plain-list small">
                                    {p.samples.iter().map(|m| {
                                        let tier_name = |position: i32| names.get(position as usize - 1).map(|t| if i18n.locale() == Locale::ZhCn { t.name_zh.clone() } else { t.name_en.clone() }).unwrap_or_else(|| position.to_string());
                                        let from = m.from_position.map(tier_name).unwrap_or_else(|| "—".into());
                                        let to = tier_name(m.to_position);
                                        view! {
                                            <li data-testid="preview-sample"><a href=format!("/customers/{}", m.customer_id.0)>{m.name.clone()}</a>" "{from}" → "{to}" "<span class="muted">{m.because.clone()}</span></li>
                                        }
                                    }).collect_view()}
                                </ul>
                            }
                            .into_any()
                        }
                    }}
            </aside>
        </div>
    }
}

/// `/segments`: saved filters with a live count.
#[component]
pub fn SegmentsPage() -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let session = use_auth_session();
    let version = RwSignal::new(0u32);
    let segments = Resource::new(move || version.get(), |_| list_segments());
    let state = FilterState::new();
    let editing = RwSignal::new(None::<(Option<i64>, i32)>);
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let count = Resource::new(move || state.filter(), count_customers);
    let can_edit = move || session.current().is_some_and(|u| u.role.includes(Role::Manager));
    let save = server_submission::<SaveSegment>().on_success(move |_| {
        toasts.success(TierText::SegmentSaved);
        editing.set(None);
        version.update(|x| *x += 1);
    });
    let submit = move |_| {
        let (id, version) = editing.get_untracked().unwrap_or((None, 1));
        save.submit(SaveSegment {
            id,
            version,
            name: name.get_untracked(),
            description: description.get_untracked(),
            filter: state.filter(),
        });
    };
    view! {
        <section class="page">
            <div class="page-head">
                <h1>{i18n.t(TierText::Segments)}</h1>
                <Show when=can_edit>
                    <button type="button" class="button primary" on:click=move |_| { state.load(&Default::default()); name.set(String::new()); description.set(String::new()); editing.set(Some((None, 1))); }>{i18n.t(TierText::NewSegment)}</button>
                </Show>
            </div>
            <ResourceView resource=segments let:list>
                            <Table testid="segments" columns=vec![
                                Column::new(i18n.t(TierText::SegmentName)),
                                Column::new(i18n.t(TierText::Description)),
                                Column::blank(),
                            ]>
                                    {list.into_iter().map(|segment| {
                                        let s = segment.clone();
                                        view! {
                                            <tr>
                                                <td>{segment.name.clone()}</td>
                                                <td>{segment.description.clone().unwrap_or_default()}</td>
                                                <td><button type="button" class="button small" on:click=move |_| {
                                                    state.load(&s.filter);
                                                    name.set(s.name.clone());
                                                    description.set(s.description.clone().unwrap_or_default());
                                                    editing.set(Some((Some(s.id), s.version)));
                                                }>{i18n.t(CommonText::Edit)}</button></td>
                                            </tr>
                                        }
                                    }).collect_view()}
                            </Table>
            </ResourceView>
            <Show when=move || editing.get().is_some()>
                <div class="card form panel" data-testid="segment-editor">
                    <div class="grid-2">
                        <TextField label=i18n.t(TierText::SegmentName) name="segment_name" value=name error=save.field("name")/>
                        <TextField label=i18n.t(TierText::Description) name="segment_description" value=description error=save.field("description")/>
                    </div>
                    <FilterControls state/>
                    <p class="segment-count" data-testid="segment-count">
                        <Transition fallback=|| view! { <span class="spinner"></span> }>
                            {move || count.get().map(|r| match r {
                                Ok(n) => fill(i18n.text(TierText::Matching), &[("count", &n)]),
                                Err(e) => crate::i18n::error_text(&e, i18n.locale()),
                            })}
                        </Transition>
                    </p>
                    <div class="actions">
                        <button type="button" class="button primary" disabled=move || save.pending().get() on:click=submit>{i18n.t(CommonText::Save)}</button>
                        <button type="button" class="button ghost" on:click=move |_| editing.set(None)>{i18n.t(CommonText::Cancel)}</button>
                    </div>
                </div>
            </Show>
        </section>
    }
}

/// `/insights/customers`: customers per status, stage and tier, and tier moves over time.
#[component]
pub fn DistributionPage() -> impl IntoView {
    let i18n = use_i18n();
    let data = Resource::new(|| (), |_| get_distribution());
    let tiers = Resource::new(|| (), |_| list_tiers());
    let bars = move |rows: Vec<(String, i64)>| {
        let max = rows.iter().map(|r| r.1).max().unwrap_or(1).max(1);
        view! {
            <div class="bars">
                {rows.into_iter().map(|(label, n)| {
                    let width = n * 100 / max;
                    view! {
                        <div class="bar-row">
                            <span class="bar-label">{label}</span>
                            <FillBar percent=width/>
                            <span class="bar-value num">{n}</span>
                        </div>
                    }
                }).collect_view()}
            </div>
        }
    };
    view! {
        <section class="page">
            <h1>{i18n.t(TierText::Distribution)}</h1>
            <ResourceView resource=data let:d>
                <ResourceView resource=tiers let:tiers>
                {
                        let (tiers, _) = tiers;
                        let d = d.clone();
                        let locale = i18n.locale();
                        let tier_name = move |id: Option<TierId>| id.and_then(|id| tiers.iter().find(|t| t.id == id)).map(|t| t.name(locale).to_owned()).unwrap_or_else(|| TierText::NoTier.text(locale).to_owned());
                        let status = d.by_status.iter().map(|(k, n)| (crate::customers::model::ActivityStatus::parse(k).map(|s| customer_status_label(s, locale).to_owned()).unwrap_or_else(|_| k.clone()), *n)).collect();
                        let stage = d.by_stage.iter().map(|(k, n)| (crate::customers::model::LifecycleStage::parse(k).map(|s| customer_stage_label(s, locale).to_owned()).unwrap_or_else(|_| k.clone()), *n)).collect();
                        let tier = d.by_tier.iter().map(|(id, n)| (tier_name(*id), *n)).collect();
                        view! {
                            <div class="grid-3 distribution" data-testid="distribution">
                                <div class="card"><h2>{i18n.t(TierText::ByStatus)}</h2>{bars(status)}</div>
                                <div class="card"><h2>{i18n.t(TierText::ByStage)}</h2>{bars(stage)}</div>
                                <div class="card"><h2>{i18n.t(TierText::ByTier)}</h2>{bars(tier)}</div>
                            </div>
                            <div class="card">
                                <h2>{i18n.t(TierText::Moves)}</h2>
                                <Table columns=vec![
                                    Column::new(i18n.t(TierText::Month)),
                                    Column::new(i18n.t(TierText::Tier)),
                                    Column::new(i18n.t(TierText::Customers)).numeric(),
                                ]>
                                    {d.moves.iter().map(|(month, from, to, n)| view! {
                                        <tr><td>{month.clone()}</td><td>{tier_name(*from)}" → "{tier_name(*to)}</td><td class="num">{*n}</td></tr>
                                    }).collect_view()}
                                </Table>
                            </div>
                        }
                }
                </ResourceView>
            </ResourceView>
        </section>
    }
}
