//! `/exports`: any list as a file, a period for the dated ones; and, for admins, the whole
//! company's archive. [`ExportLinks`] puts the same downloads on a list page, with its filter.

use super::{
    api::{StartArchive, list_archives},
    model::{ArchiveFile, ExportEntity, ExportFormat, export_entity_label, export_url},
};
use crate::{
    auth::{model::Role, views::use_auth_session},
    events::{Topic, use_server_events},
    i18n::{ExportText, use_i18n},
    ui::{
        Column, ResourceView, SelectField, Table, TextField, Timestamp, server_submission,
        use_toasts,
    },
};
use leptos::prelude::*;

/// "Export Excel" and "Export CSV" links for a list, carrying its current filter.
#[component]
pub fn ExportLinks(
    entity: ExportEntity,
    /// The list's filter as its server function takes it, as JSON.
    #[prop(into)]
    filter: Signal<Option<serde_json::Value>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let href =
        move |format| filter.with(|filter| export_url(entity, format, filter.as_ref(), None, None));
    view! {
        <span class="export-links" data-testid=format!("export-{}", entity.as_str())>
            <a class="button small" href=move || href(ExportFormat::Xlsx) download="" data-testid="export-xlsx">{i18n.t(ExportText::ExportExcel)}</a>
            <a class="button small ghost" href=move || href(ExportFormat::Csv) download="" data-testid="export-csv">{i18n.t(ExportText::ExportCsv)}</a>
        </span>
    }
}

#[component]
pub fn ExportsPage() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_auth_session();
    let is_admin = move || session.current().is_some_and(|u| u.role.includes(Role::Admin));
    let entity = RwSignal::new(ExportEntity::Orders.as_str().to_owned());
    let format = RwSignal::new(ExportFormat::Xlsx.as_str().to_owned());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let entities = Signal::derive(move || {
        let locale = i18n.locale();
        let mut list: Vec<ExportEntity> = ExportEntity::ON_EXPORT_PAGE.to_vec();
        if is_admin() {
            list.push(ExportEntity::AuditLog);
        }
        list.into_iter()
            .map(|e| (e.as_str().to_owned(), export_entity_label(e, locale).to_owned()))
            .collect::<Vec<_>>()
    });
    let formats = Signal::derive(move || {
        vec![("xlsx".to_owned(), "Excel (.xlsx)".to_owned()), ("csv".to_owned(), "CSV".to_owned())]
    });
    let href = move || {
        let entity = ExportEntity::parse(&entity.get()).unwrap_or(ExportEntity::Orders);
        let format = ExportFormat::parse(&format.get()).unwrap_or_default();
        let day = |value: String| chrono::NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").ok();
        export_url(entity, format, None, day(from.get()), day(to.get()))
    };
    view! {
        <section class="page">
            <h1>{i18n.t(ExportText::Exports)}</h1>
            <p class="muted">{i18n.t(ExportText::ExportsHelp)}</p>
            <div class="card form" data-testid="export-form">
                <div class="grid-2">
                    <SelectField label=i18n.t(ExportText::Entity) name="entity" value=entity options=entities/>
                    <SelectField label=i18n.t(ExportText::Format) name="format" value=format options=formats/>
                    <TextField label=i18n.t(ExportText::From) name="from" input_type="date" value=from/>
                    <TextField label=i18n.t(ExportText::To) name="to" input_type="date" value=to/>
                </div>
                <div class="actions">
                    <a class="button primary" href=href download="" data-testid="export-download">{i18n.t(ExportText::Download)}</a>
                </div>
            </div>
            <Show when=is_admin>
                <ArchiveSection/>
            </Show>
        </section>
    }
}

fn size_text(bytes: i64) -> String {
    match bytes {
        b if b >= 1024 * 1024 => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
        b if b >= 1024 => format!("{:.0} kB", b as f64 / 1024.0),
        b => format!("{b} B"),
    }
}

#[component]
fn ArchiveSection() -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let jobs = use_server_events().changes(Topic::Job);
    let version = RwSignal::new(0u32);
    let archives = Resource::new(move || (jobs.get(), version.get()), |_| list_archives());
    let format = RwSignal::new(ExportFormat::Xlsx.as_str().to_owned());
    let formats = Signal::derive(move || {
        vec![("xlsx".to_owned(), "Excel (.xlsx)".to_owned()), ("csv".to_owned(), "CSV".to_owned())]
    });
    let start = server_submission::<StartArchive>().on_success(move |_| {
        toasts.success(ExportText::ArchiveQueued);
        version.update(|v| *v += 1);
    });
    let submit = move |_| {
        let format = ExportFormat::parse(&format.get_untracked()).unwrap_or_default();
        start.submit(StartArchive { format });
    };
    view! {
        <div class="card" data-testid="archive">
            <h2>{i18n.t(ExportText::Archive)}</h2>
            <p class="muted">{i18n.t(ExportText::ArchiveHelp)}</p>
            <div class="inline-form">
                <SelectField label=i18n.t(ExportText::Format) name="archive_format" value=format options=formats/>
                <button type="button" class="button primary" disabled=move || start.pending().get() on:click=submit data-testid="start-archive">{i18n.t(ExportText::StartArchive)}</button>
            </div>
            <h3>{i18n.t(ExportText::ArchiveFiles)}</h3>
            <ResourceView resource=archives let:list>
                {if list.is_empty() {
                    view! { <p class="empty">{i18n.t(ExportText::NoArchives)}</p> }.into_any()
                } else {
                    view! { <ArchiveTable list/> }.into_any()
                }}
            </ResourceView>
        </div>
    }
}

#[component]
fn ArchiveTable(list: Vec<ArchiveFile>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Table testid="archive-list" columns=vec![
            Column::new(i18n.t(ExportText::Archive)),
            Column::new(i18n.t(ExportText::Created)),
            Column::new(i18n.t(ExportText::Size)),
            Column::new(i18n.t(ExportText::Expires)),
        ]>
                {list.into_iter().map(|file| {
                    let ready = file.completed_at.is_some();
                    let percent = file.progress_total.filter(|t| *t > 0).map(|t| file.progress_done * 100 / t).unwrap_or(0);
                    view! {
                        <tr data-testid="archive-row" data-ready=ready.to_string()>
                            <td>{if ready {
                                view! { <a href=format!("/files/archives/{}", file.id) download="" data-testid="archive-download">{file.name.clone()}</a> }.into_any()
                            } else {
                                view! { <span>{file.name.clone()}" · "{move || i18n.text(ExportText::Building)}" "{percent}"%"</span> }.into_any()
                            }}</td>
                            <td><Timestamp at=file.created_at/></td>
                            <td>{ready.then(|| size_text(file.size_bytes))}</td>
                            <td><Timestamp at=file.expires_at/></td>
                        </tr>
                    }
                }).collect_view()}
        </Table>
    }
}
