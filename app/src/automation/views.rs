//! `/automation`: the rules, a form to write one (with how many customers it would act on now),
//! and `/automation/:id`: one rule and its log.

use super::{api::*, model::*, text::AutomationText};
use crate::{
    customers::{labels::customer_stage_label, model::LifecycleStage, views::enum_options},
    error::AppError,
    i18n::{CommonText, fill, use_i18n},
    ui::{
        CheckboxField, Column, EnumSelect, PagedList, PagedTable, ResourceView, SelectField,
        TextAreaField, TextField, Timestamp, server_submission, use_toasts,
    },
};
use leptos::prelude::*;

fn trigger_text(trigger: TriggerKind) -> AutomationText {
    match trigger {
        TriggerKind::TurnedSilent => AutomationText::TriggerTurnedSilent,
        TriggerKind::TurnedFormer => AutomationText::TriggerTurnedFormer,
        TriggerKind::TierUp => AutomationText::TriggerTierUp,
        TriggerKind::TierDown => AutomationText::TriggerTierDown,
        TriggerKind::Detractor => AutomationText::TriggerDetractor,
        TriggerKind::OrderAbove => AutomationText::TriggerOrderAbove,
        TriggerKind::NoContact => AutomationText::TriggerNoContact,
        TriggerKind::Birthday => AutomationText::TriggerBirthday,
        TriggerKind::Anniversary => AutomationText::TriggerAnniversary,
    }
}

fn action_text(action: ActionKind) -> AutomationText {
    match action {
        ActionKind::Task => AutomationText::ActionTask,
        ActionKind::Email => AutomationText::ActionEmail,
    }
}

fn outcome_text(outcome: Outcome) -> AutomationText {
    match outcome {
        Outcome::TaskCreated => AutomationText::OutcomeTaskCreated,
        Outcome::EmailQueued => AutomationText::OutcomeEmailQueued,
        Outcome::EmailSent => AutomationText::OutcomeEmailSent,
        Outcome::EmailFailed => AutomationText::OutcomeEmailFailed,
        Outcome::SkippedDoNotContact => AutomationText::OutcomeSkippedDoNotContact,
        Outcome::SkippedNoEmail => AutomationText::OutcomeSkippedNoEmail,
    }
}

/// `/automation`: every rule, running them now, and a new one.
#[component]
pub fn AutomationPage() -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let version = RwSignal::new(0u32);
    let rules = Resource::new(move || version.get(), |_| list_rules());
    let on_saved = Callback::new(move |_| version.update(|v| *v += 1));
    let run = server_submission::<RunRulesNow>()
        .on_success(move |_| toasts.success(AutomationText::RunQueued));
    view! {
        <section class="page">
            <h1>{i18n.t(AutomationText::Title)}</h1>
            <p class="muted">{i18n.t(AutomationText::Intro)}</p>
            <div class="actions">
                <button type="button" class="button" data-testid="run-rules" disabled=move || run.pending().get()
                    on:click=move |_| run.submit(RunRulesNow {})>{i18n.t(AutomationText::RunNow)}</button>
            </div>
            <ResourceView resource=rules let:listed>
                {
                    let (rules, choices) = listed;
                    view! {
                        <div class="card">
                            {rules.is_empty().then(|| view! { <p class="muted">{i18n.t(AutomationText::NoRules)}</p> })}
                            <ul class="plain-list rule-list" data-testid="rules">
                                {rules.into_iter().map(|rule| view! { <RuleLine rule/> }).collect_view()}
                            </ul>
                        </div>
                        <div class="card">
                            <h2>{i18n.t(AutomationText::NewRule)}</h2>
                            <RuleForm rule=None choices on_saved/>
                        </div>
                    }
                }
            </ResourceView>
        </section>
    }
}

#[component]
fn RuleLine(rule: Rule) -> impl IntoView {
    let i18n = use_i18n();
    let href = format!("/automation/{}", rule.id.0);
    let (trigger, action) = (rule.input.trigger, rule.input.action);
    let (runs, skipped) = (rule.runs, rule.skipped);
    view! {
        <li data-testid="rule">
            <a href=href><strong>{rule.input.name.clone()}</strong></a>" "
            <span class="badge" class:badge-on=rule.input.active>
                {i18n.t(if rule.input.active { AutomationText::On } else { AutomationText::Off })}
            </span>
            <div class="small">
                {i18n.t(AutomationText::When)}" "{i18n.t(trigger_text(trigger))}" → "
                {i18n.t(AutomationText::Then)}" "{i18n.t(action_text(action))}
            </div>
            <div class="small muted" data-testid="rule-runs">
                {move || fill(i18n.text(AutomationText::Runs), &[("runs", &runs), ("skipped", &skipped)])}
                {rule.last_run_at.map(|at| view! { " · " <Timestamp at/> })}
            </div>
        </li>
    }
}

/// The when / if / then form, with a preview of how many customers it would act on now.
#[component]
fn RuleForm(rule: Option<Rule>, choices: RuleChoices, on_saved: Callback<RuleId>) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let id = rule.as_ref().map(|r| r.id);
    let version = rule.as_ref().map_or(0, |r| r.version);
    let input = rule.map(|r| r.input).unwrap_or_else(|| RuleInput {
        days: "0".into(),
        task_due_days: "0".into(),
        ..Default::default()
    });
    let text = |v: &str| RwSignal::new(v.to_owned());
    let id_text = |v: Option<i64>| RwSignal::new(v.map(|v| v.to_string()).unwrap_or_default());
    let name = text(&input.name);
    let trigger = RwSignal::new(input.trigger);
    let days = text(&input.days);
    let min_amount = text(&input.min_amount);
    let tier = id_text(input.tier_id);
    let stage = RwSignal::new(input.stage.map(|s| s.as_str().to_owned()).unwrap_or_default());
    let segment = id_text(input.segment_id);
    let action = RwSignal::new(input.action);
    let task_title = text(&input.task_title);
    let task_due_days = text(&input.task_due_days);
    let subject_zh = text(&input.email_subject_zh);
    let body_zh = text(&input.email_body_zh);
    let subject_en = text(&input.email_subject_en);
    let body_en = text(&input.email_body_en);
    let active = RwSignal::new(input.active);
    let written = move || RuleInput {
        name: name.get_untracked(),
        trigger: trigger.get_untracked(),
        days: days.get_untracked(),
        min_amount: min_amount.get_untracked(),
        tier_id: tier.get_untracked().parse().ok(),
        stage: LifecycleStage::parse(&stage.get_untracked()).ok(),
        segment_id: segment.get_untracked().parse().ok(),
        action: action.get_untracked(),
        task_title: task_title.get_untracked(),
        task_due_days: task_due_days.get_untracked(),
        email_subject_zh: subject_zh.get_untracked(),
        email_body_zh: body_zh.get_untracked(),
        email_subject_en: subject_en.get_untracked(),
        email_body_en: body_en.get_untracked(),
        active: active.get_untracked(),
    };
    let save = server_submission::<SaveRule>().on_success(move |saved| {
        toasts.success(AutomationText::Saved);
        on_saved.run(saved);
    });
    let preview = server_submission::<PreviewRule>();
    let counted = RwSignal::new(None::<i64>);
    let preview = preview.on_success(move |n| counted.set(Some(n)));
    // A count is of the rule as it was when counted: it goes once the rule changes.
    Effect::new(move |_| {
        trigger.track();
        days.track();
        min_amount.track();
        tier.track();
        stage.track();
        segment.track();
        action.track();
        counted.set(None);
    });
    let field = move |name: &str| {
        let (saved, previewed) = (save.field(name), preview.field(name));
        Signal::derive(move || saved.get().or_else(|| previewed.get()))
    };
    let tiers = choices.tiers.clone();
    let tier_options = Signal::derive(move || {
        let locale = i18n.locale();
        let any = (String::new(), i18n.text(AutomationText::AnyTier).to_owned());
        std::iter::once(any)
            .chain(tiers.iter().map(|t| (t.id.0.to_string(), t.name(locale).to_owned())))
            .collect::<Vec<_>>()
    });
    let segments = choices.segments.clone();
    let segment_options = Signal::derive(move || {
        let any = (String::new(), i18n.text(AutomationText::AnySegment).to_owned());
        std::iter::once(any)
            .chain(segments.iter().map(|(id, name)| (id.to_string(), name.clone())))
            .collect::<Vec<_>>()
    });
    let stage_options = Signal::derive(move || {
        enum_options(
            LifecycleStage::ALL,
            LifecycleStage::as_str,
            customer_stage_label,
            Some(i18n.text(AutomationText::AnyStage)),
            i18n.locale(),
        )
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.submit(SaveRule { id, version, input: written() });
    };
    view! {
        <form class="form rule-form" on:submit=submit data-testid="rule-form">
            <TextField label=i18n.t(AutomationText::Name) name="name" value=name error=field("name")/>
            <fieldset>
                <legend>{i18n.t(AutomationText::When)}</legend>
                <div class="grid-2">
                    <EnumSelect label=i18n.t(AutomationText::Trigger) name="trigger" value=trigger text=trigger_text/>
                    <Show when=move || trigger.get().looks_ahead()>
                        <TextField label=i18n.t(AutomationText::DaysAhead) name="days" input_type="number" value=days error=field("days")/>
                    </Show>
                    <Show when=move || trigger.get() == TriggerKind::NoContact>
                        <TextField label=i18n.t(AutomationText::CadenceDays) name="days" input_type="number" value=days error=field("days")/>
                    </Show>
                    <Show when=move || trigger.get() == TriggerKind::OrderAbove>
                        <TextField label=i18n.t(AutomationText::MinAmount) name="min_amount" value=min_amount error=field("min_amount")/>
                    </Show>
                </div>
            </fieldset>
            <fieldset>
                <legend>{i18n.t(AutomationText::If)}</legend>
                <div class="grid-3">
                    <SelectField label=i18n.t(AutomationText::Tier) name="tier_id" value=tier options=tier_options error=field("tier_id")/>
                    <SelectField label=i18n.t(AutomationText::Stage) name="stage" value=stage options=stage_options/>
                    <SelectField label=i18n.t(AutomationText::Segment) name="segment_id" value=segment options=segment_options error=field("segment_id")/>
                </div>
            </fieldset>
            <fieldset>
                <legend>{i18n.t(AutomationText::Then)}</legend>
                <EnumSelect label=i18n.t(AutomationText::Action) name="action" value=action text=action_text/>
                <Show when=move || action.get() == ActionKind::Task>
                    <div class="grid-2">
                        <TextField label=i18n.t(AutomationText::TaskTitle) name="task_title" value=task_title error=field("task_title")/>
                        <TextField label=i18n.t(AutomationText::TaskDueDays) name="task_due_days" input_type="number" value=task_due_days error=field("task_due_days")/>
                    </div>
                </Show>
                <Show when=move || action.get() == ActionKind::Email>
                    <div class="grid-2">
                        <TextField label=i18n.t(AutomationText::SubjectZh) name="email_subject_zh" value=subject_zh error=field("email_subject_zh")/>
                        <TextField label=i18n.t(AutomationText::SubjectEn) name="email_subject_en" value=subject_en error=field("email_subject_en")/>
                        <TextAreaField label=i18n.t(AutomationText::BodyZh) name="email_body_zh" value=body_zh error=field("email_body_zh")/>
                        <TextAreaField label=i18n.t(AutomationText::BodyEn) name="email_body_en" value=body_en error=field("email_body_en")/>
                    </div>
                </Show>
                <p class="small muted">{i18n.t(AutomationText::MergeHelp)}</p>
            </fieldset>
            <CheckboxField label=i18n.t(AutomationText::Active) name="active" checked=active/>
            <p class="rule-preview" data-testid="rule-preview">
                {move || counted.get().map(|n| fill(i18n.text(AutomationText::PreviewCount), &[("n", &n)]))}
            </p>
            <div class="actions">
                <button type="button" class="button" disabled=move || preview.pending().get()
                    on:click=move |_| preview.submit(PreviewRule { id, input: written() })>{i18n.t(AutomationText::Preview)}</button>
                <button type="submit" class="button primary" disabled=move || save.pending().get()>{i18n.t(CommonText::Save)}</button>
            </div>
        </form>
    }
}

/// `/automation/:id`: the rule, editable, and its log of customers acted on.
#[component]
pub fn RulePage() -> impl IntoView {
    let i18n = use_i18n();
    let params = leptos_router::hooks::use_params_map();
    let id =
        Memo::new(move |_| params.with(|p| p.get("id").and_then(|v| v.parse().ok()).map(RuleId)));
    let version = RwSignal::new(0u32);
    // Keyed by the rule too: following a link to another rule shows that one.
    let rules = Resource::new(move || (id.get(), version.get()), |_| list_rules());
    let on_saved = Callback::new(move |_| version.update(|v| *v += 1));
    let log = PagedList::new(
        move || (id.get(), version.get()),
        |(id, _), before| async move {
            match id {
                Some(id) => list_runs(id, before).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let columns = vec![
        Column::new(i18n.t(AutomationText::Customer)),
        Column::new(i18n.t(AutomationText::Occurrence)),
        Column::new(i18n.t(AutomationText::Outcome)),
        Column::new(i18n.t(AutomationText::ActedAt)),
    ];
    view! {
        <section class="page">
            <p><a href="/automation">{i18n.t(AutomationText::Title)}</a></p>
            <ResourceView resource=rules let:listed>
                {
                    let (rules, choices) = listed;
                    match rules.into_iter().find(|r| Some(r.id) == id.get_untracked()) {
                        Some(rule) => view! {
                            <h1>{rule.input.name.clone()}</h1>
                            <div class="card"><RuleForm rule=Some(rule) choices on_saved/></div>
                        }.into_any(),
                        None => view! { <crate::ui::ErrorNotice error=AppError::NotFound/> }.into_any(),
                    }
                }
            </ResourceView>
            <h2>{i18n.t(AutomationText::Log)}</h2>
            <PagedTable list=log columns testid="rule-log" empty=i18n.t(AutomationText::NoRuns) row=move |run: Run| view! {
                <tr data-testid="rule-log-row">
                    <td><a href=format!("/customers/{}", run.customer_id.0)>{run.customer_name.clone()}</a></td>
                    <td>{run.occurrence.to_string()}</td>
                    <td>
                        {i18n.t(outcome_text(run.outcome))}
                        {run.detail.clone().map(|d| view! { <div class="small muted">{d}</div> })}
                    </td>
                    <td><Timestamp at=run.acted_at/></td>
                </tr>
            }/>
        </section>
    }
}
