//! `/jobs`: background work with live progress.

use super::{
    api::{StartMaintenance, cancel_job, list_jobs, retry_job},
    model::{JobStatus, JobSummary, kinds},
};
use crate::{
    auth::{model::Role, views::use_auth_session},
    events::{Topic, use_server_events},
    i18n::{AdminText, CommonText, use_i18n},
    ui::{ErrorNotice, Loading, MoreButton, PagedList, ProgressBar, Timestamp, use_toasts},
};
use leptos::{prelude::*, task::spawn_local};

fn status_label(status: JobStatus) -> AdminText {
    match status {
        JobStatus::Queued => AdminText::JobQueued,
        JobStatus::Running => AdminText::JobRunning,
        JobStatus::Succeeded => AdminText::JobSucceeded,
        JobStatus::Failed => AdminText::JobFailed,
        JobStatus::Cancelled => AdminText::JobCancelled,
    }
}

fn kind_label(kind: &str) -> Option<AdminText> {
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
    let start = ServerAction::<StartMaintenance>::new();
    Effect::new(move |_| match start.value().get() {
        Some(Ok(_)) => toasts.success(AdminText::JobStarted),
        Some(Err(error)) => toasts.error(error),
        None => {}
    });
    let is_admin = move || session.current().is_some_and(|u| u.role.includes(Role::Admin));
    let table = move || {
        list.rows().map(|rows| match rows {
            Err(error) => view! { <ErrorNotice error/> }.into_any(),
            Ok(jobs) if jobs.is_empty() => {
                view! { <p class="empty">{i18n.t(CommonText::NothingFound)}</p> }.into_any()
            }
            Ok(jobs) => view! { <JobTable jobs admin=is_admin()/> }.into_any(),
        })
    };
    view! {
        <section class="page">
            <div class="page-head">
                <h1>{i18n.t(CommonText::NavJobs)}</h1>
                <Show when=is_admin>
                    <button
                        type="button"
                        class="button"
                        disabled=move || start.pending().get()
                        on:click=move |_| { start.dispatch(StartMaintenance {}); }
                    >
                        {i18n.t(AdminText::RunMaintenance)}
                    </button>
                </Show>
            </div>
            <Transition fallback=|| view! { <Loading/> }>{table}</Transition>
            {move || list.failure().map(|error| view! { <ErrorNotice error/> })}
            <MoreButton
                visible=Signal::derive(move || list.has_more())
                pending=Signal::derive(move || list.loading_more())
                on_click=move || list.load_more()
            />
        </section>
    }
}

#[component]
fn JobTable(jobs: Vec<JobSummary>, admin: bool) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let retry = move |id: i64| {
        spawn_local(async move {
            if let Err(error) = retry_job(id).await {
                toasts.error(error);
            }
        })
    };
    let cancel = move |id: i64| {
        spawn_local(async move {
            if let Err(error) = cancel_job(id).await {
                toasts.error(error);
            }
        })
    };
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="jobs">
                <thead>
                    <tr>
                        <th>"#"</th>
                        <th>{i18n.t(AdminText::JobKind)}</th>
                        <th>{i18n.t(AdminText::Status)}</th>
                        <th>{i18n.t(AdminText::Progress)}</th>
                        <th>{i18n.t(AdminText::Who)}</th>
                        <th>{i18n.t(AdminText::When)}</th>
                        <th></th>
                    </tr>
                </thead>
                <tbody>
                    {jobs
                        .into_iter()
                        .map(|job| {
                            let percent = job.percent();
                            let kind = job.kind.clone();
                            let id = job.id;
                            let can_retry = admin && matches!(job.status, JobStatus::Failed | JobStatus::Cancelled);
                            let can_cancel = admin && !job.status.is_finished();
                            view! {
                                <tr data-status=job.status.as_str()>
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
                                            <button type="button" class="button small" on:click=move |_| retry(id)>
                                                {i18n.t(AdminText::Retry)}
                                            </button>
                                        })}
                                        {can_cancel.then(|| view! {
                                            <button type="button" class="button small ghost" on:click=move |_| cancel(id)>
                                                {i18n.t(CommonText::Cancel)}
                                            </button>
                                        })}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
