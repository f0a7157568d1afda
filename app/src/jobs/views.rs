//! `/jobs`: background work with live progress.

use super::{
    api::{CancelJob, RetryJob, StartMaintenance, list_jobs},
    model::{JobStatus, JobSummary, kinds},
};
use crate::{
    auth::{model::Role, views::use_auth_session},
    events::{Topic, use_server_events},
    i18n::{AdminText, CommonText, use_i18n},
    ui::{Column, PagedList, PagedTable, ProgressBar, Timestamp, server_submission, use_toasts},
};
use leptos::prelude::*;

fn status_label(status: JobStatus) -> AdminText {
    match status {
        JobStatus::Queued => AdminText::JobQueued,
        JobStatus::Running => AdminText::JobRunning,
        JobStatus::Succeeded => AdminText::JobSucceeded,
        JobStatus::Failed => AdminText::JobFailed,
        JobStatus::Cancelled => AdminText::JobCancelled,
    }
}

pub(crate) fn kind_label(kind: &str) -> Option<AdminText> {
    match kind {
        kinds::MAINTENANCE => Some(AdminText::JobMaintenance),
        kinds::BACKUP => Some(AdminText::JobBackup),
        _ => None,
    }
}

#[component]
pub fn JobsPage() -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let session = use_auth_session();
    let job_changes = use_server_events().changes(Topic::Job);
    let list = PagedList::new(move || job_changes.get(), |_, before| list_jobs(before));
    let start = server_submission::<StartMaintenance>()
        .on_success(move |_| toasts.success(AdminText::JobStarted));
    let is_admin = move || session.current().is_some_and(|u| u.role.includes(Role::Admin));
    let columns = vec![
        Column::new("#"),
        Column::new(i18n.t(AdminText::JobKind)),
        Column::new(i18n.t(AdminText::Status)),
        Column::new(i18n.t(AdminText::Progress)),
        Column::new(i18n.t(AdminText::Who)),
        Column::new(i18n.t(AdminText::When)),
        Column::blank(),
    ];
    view! {
        <section class="page">
            <div class="page-head">
                <h1>{i18n.t(CommonText::NavJobs)}</h1>
                <Show when=is_admin>
                    <button
                        type="button"
                        class="button"
                        disabled=move || start.pending().get()
                        on:click=move |_| start.submit(StartMaintenance {})
                    >
                        {i18n.t(AdminText::RunMaintenance)}
                    </button>
                </Show>
            </div>
            <PagedTable list columns testid="jobs" row=move |job| view! { <JobRow job admin=is_admin()/> }/>
        </section>
    }
}

#[component]
fn JobRow(job: JobSummary, admin: bool) -> impl IntoView {
    let i18n = use_i18n();
    // The list reloads on the job's change event; nothing else to do on success.
    let retry = server_submission::<RetryJob>();
    let cancel = server_submission::<CancelJob>();
    let percent = job.percent();
    let kind = job.kind.clone();
    let id = job.id;
    let can_retry = admin && matches!(job.status, JobStatus::Failed | JobStatus::Cancelled);
    let can_cancel = admin && !job.status.is_finished();
    view! {
        <tr data-status=job.status.as_str() data-id=job.id>
            <td>{job.id}</td>
            <td>{move || kind_label(&kind).map(|k| i18n.text(k).to_owned()).unwrap_or_else(|| kind.clone())}</td>
            <td>
                <span class=format!("badge job-{}", job.status.as_str())>
                    {i18n.t(status_label(job.status))}
                </span>
                {job.last_error.clone().map(|e| view! { <div class="muted small">{e}</div> })}
            </td>
            <td>
                <ProgressBar percent=percent.unwrap_or(0)/>
                <span class="small">
                    {job.progress_done}
                    {job.progress_total.map(|t| format!(" / {t}"))}
                </span>
            </td>
            <td>{job.created_by_name.clone().unwrap_or_else(|| i18n.text(AdminText::System).to_owned())}</td>
            <td><Timestamp at=job.created_at/></td>
            <td class="row-actions">
                {can_retry.then(|| view! {
                    <button type="button" class="button small" disabled=move || retry.pending().get()
                        on:click=move |_| retry.submit(RetryJob { id })>
                        {i18n.t(AdminText::Retry)}
                    </button>
                })}
                {can_cancel.then(|| view! {
                    <button type="button" class="button small ghost" disabled=move || cancel.pending().get()
                        on:click=move |_| cancel.submit(CancelJob { id })>
                        {i18n.t(CommonText::Cancel)}
                    </button>
                })}
            </td>
        </tr>
    }
}
