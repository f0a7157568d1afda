//! `/admin/backups`: how the server backs up, the newest usable backup, every run with its
//! restore check, and "back up now".

use super::{
    api::{StartBackup, get_backup_overview, list_backups},
    model::{BackupOrigin, BackupOutcome, BackupOverview, BackupRun, human_bytes},
};
use crate::{
    events::{Topic, use_server_events},
    i18n::{AdminText, fill, use_i18n},
    ui::{
        Column, PagedList, PagedTable, ResourceView, Submission, Timestamp, server_submission,
        use_toasts,
    },
};
use leptos::prelude::*;

fn origin_label(origin: BackupOrigin) -> AdminText {
    match origin {
        BackupOrigin::Nightly => AdminText::OriginNightly,
        BackupOrigin::Admin => AdminText::OriginAdmin,
        BackupOrigin::Command => AdminText::OriginCommand,
    }
}

fn outcome_label(outcome: BackupOutcome) -> AdminText {
    match outcome {
        BackupOutcome::Running => AdminText::OutcomeRunning,
        BackupOutcome::Passed => AdminText::OutcomePassed,
        BackupOutcome::Failed => AdminText::OutcomeFailed,
        BackupOutcome::Unverified => AdminText::OutcomeUnverified,
        BackupOutcome::Error => AdminText::OutcomeError,
    }
}

#[component]
pub fn BackupsPage() -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    // Backups run as jobs: every change of one is a job event.
    let changes = use_server_events().changes(Topic::Job);
    let overview = Resource::new(move || changes.get(), |_| get_backup_overview());
    let list = PagedList::new(move || changes.get(), |_, before| list_backups(before));
    let start = server_submission::<StartBackup>()
        .on_success(move |_| toasts.success(AdminText::BackupQueued));
    let columns = vec![
        Column::new(i18n.t(AdminText::When)),
        Column::new(i18n.t(AdminText::Origin)),
        Column::new(i18n.t(AdminText::Size)),
        Column::new(i18n.t(AdminText::TablesAndRows)),
        Column::new(i18n.t(AdminText::Verification)),
        Column::new(i18n.t(AdminText::Location)),
    ];
    view! {
        <section class="page">
            <h1>{i18n.t(AdminText::BackupsTitle)}</h1>
            <ResourceView resource=overview let:overview>
                <BackupSummary overview start/>
            </ResourceView>
            <PagedTable list columns testid="backups" row=|run| view! { <BackupRow run/> }/>
        </section>
    }
}

#[component]
fn BackupSummary(overview: BackupOverview, start: Submission<StartBackup, i64>) -> impl IntoView {
    let i18n = use_i18n();
    let overdue = overview.is_overdue(chrono::Utc::now());
    let configured = overview.plan.is_some();
    let in_progress = overview.in_progress;
    let plan = overview.plan.clone().map(|plan| {
        let verify = if plan.verify { AdminText::BackupVerifyOn } else { AdminText::BackupVerifyOff };
        view! {
            <p data-testid="backup-plan">
                {move || fill(i18n.text(AdminText::BackupPlan), &[("folder", &plan.folder), ("keep", &plan.keep)])}
            </p>
            <p class="muted small">{i18n.t(verify)}</p>
        }
    });
    let last = overview.last_usable.clone();
    view! {
        <div class="card" data-testid="backup-summary">
            {plan}
            {(!configured).then(|| view! { <p class="notice notice-warning" data-testid="backups-off">{i18n.t(AdminText::BackupsOff)}</p> })}
            {overdue.then(|| view! { <p class="notice notice-warning" data-testid="backup-overdue">{i18n.t(AdminText::BackupOverdue)}</p> })}
            <h2>{i18n.t(AdminText::LastUsableBackup)}</h2>
            {match last {
                Some(run) => view! {
                    <p data-testid="last-usable-backup">
                        <Timestamp at=run.finished_at.unwrap_or(run.started_at)/>
                        " · "{run.dump_bytes.map(human_bytes)}
                        " · "{i18n.t(outcome_label(run.outcome))}
                    </p>
                }.into_any(),
                None => view! { <p class="muted" data-testid="last-usable-backup">{i18n.t(AdminText::NoUsableBackup)}</p> }.into_any(),
            }}
            <div class="actions">
                <button
                    type="button"
                    class="button primary"
                    data-testid="backup-now"
                    disabled=move || !configured || in_progress || start.pending().get()
                    on:click=move |_| start.submit(StartBackup {})
                >
                    {move || if in_progress { i18n.text(AdminText::BackupInProgress) } else { i18n.text(AdminText::BackupNow) }}
                </button>
            </div>
        </div>
    }
}

#[component]
fn BackupRow(run: BackupRun) -> impl IntoView {
    let i18n = use_i18n();
    let who = run.requested_by_name.clone().map(|name| format!(" · {name}"));
    view! {
        <tr data-outcome=run.outcome.as_str()>
            <td><Timestamp at=run.started_at/></td>
            <td>{i18n.t(origin_label(run.origin))}{who}</td>
            <td>{run.dump_bytes.map(human_bytes)}</td>
            <td>{run.table_count.map(|t| format!("{t} / {}", run.row_count.unwrap_or(0)))}</td>
            <td>
                <span class=format!("badge backup-{}", run.outcome.as_str())>
                    {i18n.t(outcome_label(run.outcome))}
                </span>
                {run.error.clone().map(|e| view! { <div class="muted small">{e}</div> })}
            </td>
            <td class="small">{run.folder.clone()}</td>
        </tr>
    }
}
