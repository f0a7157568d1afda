//! The leads list with follow-up flags, the new-lead form, conversion, and the routing and
//! web-form admin page.

use super::{api::*, model::*};
use crate::{
    auth::model::UserId,
    customers::model::CustomerId,
    error::AppError,
    events::{Topic, use_server_events},
    i18n::{CommonText, LeadText, SalesText, Text, fill, use_i18n},
    ui::{
        CheckboxField, Column, ConfirmDialog, Dialog, EditDialog, EnumFilter, EnumSelect,
        ErrorNotice, FormButtons, PagedList, PagedTable, ResourceView, SelectField, Table,
        TextField, Timestamp, field_message, server_submission, use_toasts,
    },
};
use chrono::NaiveDate;
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_navigate};

pub fn status_label(status: LeadStatus) -> LeadText {
    match status {
        LeadStatus::New => LeadText::StatusNew,
        LeadStatus::Contacted => LeadText::StatusContacted,
        LeadStatus::Qualified => LeadText::StatusQualified,
        LeadStatus::Disqualified => LeadText::StatusDisqualified,
        LeadStatus::Converted => LeadText::StatusConverted,
    }
}

pub fn source_label(source: LeadSource) -> LeadText {
    match source {
        LeadSource::Manual => LeadText::SourceManual,
        LeadSource::WebForm => LeadText::SourceWebForm,
        LeadSource::Import => LeadText::SourceImport,
        LeadSource::Event => LeadText::SourceEvent,
        LeadSource::Referral => LeadText::SourceReferral,
        LeadSource::Social => LeadText::SourceSocial,
        LeadSource::Phone => LeadText::SourcePhone,
    }
}

/// `/leads`: every lead in scope, with the ones not followed up in time marked.
#[component]
pub fn LeadsPage() -> impl IntoView {
    let i18n = use_i18n();
    // `?search=` opens the list filtered (the global search links a lead this way), `?overdue=1`
    // with only the leads not followed up in time (the dashboard's tile).
    let query = leptos_router::hooks::use_query_map();
    let status = RwSignal::new(None::<LeadStatus>);
    let overdue =
        RwSignal::new(query.with_untracked(|q| q.get("overdue")).is_some_and(|v| v == "1"));
    let search = RwSignal::new(query.with_untracked(|q| q.get("search")).unwrap_or_default());
    Effect::new(move |_| {
        if let Some(wanted) = query.with(|q| q.get("search")) {
            search.set(wanted);
        }
    });
    let adding = RwSignal::new(false);
    let importing = RwSignal::new(false);
    let changes = use_server_events().changes(Topic::Lead);
    let local = RwSignal::new(0u32);
    let filter = Memo::new(move |_| LeadFilter {
        status: status.get(),
        overdue: overdue.get(),
        search: Some(search.get()).filter(|s| !s.trim().is_empty()),
        ..Default::default()
    });
    let pages = PagedList::new(
        move || (filter.get(), changes.get(), local.get()),
        |(filter, _, _), before| list_leads(filter, before),
    );
    let columns = vec![
        Column::new(i18n.t(LeadText::Name)),
        Column::new(i18n.t(LeadText::Company)),
        Column::new(i18n.t(LeadText::Contact)),
        Column::new(i18n.t(LeadText::Source)),
        Column::new(i18n.t(LeadText::Status)),
        Column::new(i18n.t(SalesText::Owner)),
        Column::new(i18n.t(LeadText::Received)),
        Column::blank(),
    ];
    let converting = RwSignal::new(None::<Lead>);
    view! {
        <section class="page">
            <div class="page-head">
                <h1>{i18n.t(LeadText::Leads)}</h1>
                <div class="actions">
                    <crate::exports::views::ExportLinks entity=crate::exports::model::ExportEntity::Leads
                        filter=Signal::derive(move || serde_json::to_value(filter.get()).ok())/>
                    <button type="button" class="button" on:click=move |_| importing.update(|a| *a = !*a)>{i18n.t(LeadText::ImportLeads)}</button>
                    <button type="button" class="button primary" on:click=move |_| adding.update(|a| *a = !*a)>{i18n.t(LeadText::NewLead)}</button>
                </div>
            </div>
            <Show when=move || importing.get()>
                <LeadImport on_done=Callback::new(move |_| local.update(|n| *n += 1))/>
            </Show>
            <Show when=move || adding.get()>
                <LeadForm on_done=Callback::new(move |_| { adding.set(false); local.update(|n| *n += 1); })/>
            </Show>
            <div class="filters card">
                <TextField label=i18n.t(CommonText::Search) name="lead_search" value=search/>
                <EnumFilter label=i18n.t(LeadText::Status) name="lead_status" value=status text=status_label any=LeadText::AnyStatus/>
                <CheckboxField label=i18n.t(LeadText::OnlyOverdue) name="overdue" checked=overdue/>
            </div>
            {move || converting.get().map(|lead| view! {
                <ConvertPanel lead on_done=Callback::new(move |_| { converting.set(None); local.update(|n| *n += 1); })/>
            })}
            <PagedTable list=pages columns testid="leads" empty=i18n.t(LeadText::NoLeads)
                row=move |lead| view! { <LeadRow lead converting on_change=Callback::new(move |_| local.update(|n| *n += 1))/> }/>
        </section>
    }
}

/// `/leads/:id`: the lead, moving it along, editing and reassigning it, what it became, and
/// everything done to it.
#[component]
pub fn LeadPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = leptos_router::hooks::use_params_map();
    let id =
        Memo::new(move |_| params.with(|p| p.get("id").and_then(|v| v.parse().ok()).map(LeadId)));
    let changes = use_server_events().changes(Topic::Lead);
    let local = RwSignal::new(0u32);
    let detail = Resource::new(
        move || (id.get(), changes.get(), local.get()),
        |(id, _, _)| async move {
            match id {
                Some(id) => get_lead(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let editing = EditDialog::<Lead>::new();
    let converting = RwSignal::new(None::<Lead>);
    let reload = Callback::new(move |_| local.update(|n| *n += 1));
    let toasts = use_toasts();
    let navigate = use_navigate();
    let deleting = EditDialog::<Lead>::new();
    let deletion = server_submission::<DeleteLead>()
        .on_success(move |()| {
            toasts.success(LeadText::LeadDeleted);
            navigate("/leads", Default::default());
        })
        .on_failure(move || reload.run(()));
    let delete = Callback::new(move |_: ()| {
        if let Some(lead) = deleting.snapshot_untracked() {
            deletion.submit(DeleteLead { id: lead.id, version: lead.version });
        }
    });
    let delete_title = move || {
        let name = deleting.snapshot().map(|l| l.name).unwrap_or_default();
        fill(i18n.text(LeadText::DeleteLeadTitle), &[("name", &name)])
    };
    view! {
        <section class="page">
            <ConfirmDialog open=deleting.open testid="confirm-delete-lead" title=delete_title message=i18n.t(LeadText::ConfirmDeleteLead)
                confirm=i18n.t(LeadText::DeleteLead) on_confirm=delete/>
            <ResourceView resource=detail let:d>
                {
                    let lead = d.lead.clone();
                    let status = lead.status;
                    let for_edit = lead.clone();
                    let for_delete = lead.clone();
                    let for_actions = lead.clone();
                    let source = lead.source;
                    view! {
                        <div class="page-head">
                            <div>
                                <h1 data-testid="lead-name">{lead.name.clone()}</h1>
                                <p class="muted">
                                    <span class="badge" data-testid="lead-status">{move || status_label(status).text(i18n.locale())}</span>
                                    " "{lead.company.clone().unwrap_or_default()}
                                </p>
                            </div>
                            {(status != LeadStatus::Converted).then(|| view! {
                                <div class="actions">
                                    <button type="button" class="button" data-testid="edit-lead"
                                        on:click=move |_| editing.open_with(for_edit.clone())>{i18n.t(CommonText::Edit)}</button>
                                    <button type="button" class="button ghost" data-testid="delete-lead"
                                        on:click=move |_| deleting.open_with(for_delete.clone())>{i18n.t(LeadText::DeleteLead)}</button>
                                </div>
                            })}
                        </div>
                        <div class="card">
                            <dl class="facts">
                                <div><dt>{i18n.t(LeadText::Phone)}</dt><dd data-testid="lead-phone">{lead.phone.clone().unwrap_or_default()}</dd></div>
                                <div><dt>{i18n.t(LeadText::Email)}</dt><dd>{lead.email.clone().unwrap_or_default()}</dd></div>
                                <div><dt>{i18n.t(LeadText::Region)}</dt><dd>{lead.region.clone().unwrap_or_default()}</dd></div>
                                <div><dt>{i18n.t(LeadText::Source)}</dt><dd>{move || source_label(source).text(i18n.locale())}</dd></div>
                                <div><dt>{i18n.t(SalesText::Owner)}</dt><dd data-testid="lead-owner">{lead.owner_name.clone().unwrap_or_default()}</dd></div>
                                <div><dt>{i18n.t(LeadText::Received)}</dt><dd><Timestamp at=lead.created_at/></dd></div>
                                <div><dt>{i18n.t(LeadText::FirstContacted)}</dt><dd>{lead.first_contacted_at.map(|at| view! { <Timestamp at/> })}
                                    {lead.overdue.then(|| view! { <span class="badge warn-badge" data-testid="overdue">{i18n.t(LeadText::Overdue)}</span> })}</dd></div>
                                {lead.disqualify_reason.clone().map(|r| view! { <div><dt>{i18n.t(LeadText::DisqualifyReason)}</dt><dd>{r}</dd></div> })}
                            </dl>
                            {lead.message.clone().map(|m| view! { <p class="lead-message">{m}</p> })}
                        </div>
                        {status.is_open().then(|| view! {
                            <div class="card actions" data-testid="lead-actions">
                                <LeadActions lead=for_actions converting on_change=reload/>
                            </div>
                        })}
                        {lead.customer_id.map(|customer| view! {
                            <div class="card" data-testid="lead-became">
                                <h2>{i18n.t(LeadText::BecameTitle)}</h2>
                                <ul class="plain-list">
                                    <li>{i18n.t(SalesText::Customer)}": "<A href=format!("/customers/{}", customer.0)>{d.customer_name.clone().unwrap_or_default()}</A></li>
                                    {lead.opportunity_id.map(|o| view! {
                                        <li>{i18n.t(LeadText::Opportunity)}": "<A href=format!("/opportunities/{}", o.0)>{d.opportunity_title.clone().unwrap_or_default()}</A></li>
                                    })}
                                </ul>
                            </div>
                        })}
                        <div class="card">
                            <h2>{i18n.t(LeadText::History)}</h2>
                            <ul class="plain-list" data-testid="lead-history">
                                <li><Timestamp at=lead.created_at/>" "{move || fill(i18n.text(LeadText::ReceivedVia), &[("source", &source_label(source).text(i18n.locale()))])}</li>
                                {d.history.iter().cloned().map(|entry| view! { <LeadHistoryLine entry/> }).collect_view()}
                            </ul>
                        </div>
                    }
                }
            </ResourceView>
            {move || converting.get().map(|lead| view! {
                <ConvertPanel lead on_done=Callback::new(move |_| { converting.set(None); reload.run(()); })/>
            })}
            <Dialog open=editing.open title=i18n.t(LeadText::EditLead) testid="lead-edit">
                {move || editing.snapshot().map(|lead| view! {
                    <LeadForm editing=lead on_done=Callback::new(move |_| { editing.close(); reload.run(()); })/>
                })}
            </Dialog>
        </section>
    }
}

/// One line of a lead's history: when, what, who; an edit lists each field before and after.
#[component]
fn LeadHistoryLine(entry: LeadHistoryEntry) -> impl IntoView {
    let i18n = use_i18n();
    let action = match entry.action {
        LeadAction::Created => LeadText::HistoryCreated,
        LeadAction::Edited => LeadText::HistoryEdited,
        LeadAction::Converted => LeadText::HistoryConverted,
        LeadAction::Deleted => LeadText::HistoryDeleted,
        LeadAction::Restored => LeadText::HistoryRestored,
    };
    let changes = entry.changes.clone();
    let described = move || {
        let locale = i18n.locale();
        changes
            .iter()
            .map(|(field, before, after)| {
                let value = |v: &Option<String>| {
                    v.as_deref()
                        .map(|v| field_value_text(field, v, locale))
                        .unwrap_or_else(|| "—".into())
                };
                match before {
                    None if entry.action == LeadAction::Created => {
                        format!("{}: {}", field_label(field).text(locale), value(after))
                    }
                    _ => format!(
                        "{}: {} → {}",
                        field_label(field).text(locale),
                        value(before),
                        value(after)
                    ),
                }
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    view! {
        <li data-testid="lead-history-entry">
            <Timestamp at=entry.at/>" "{i18n.t(action)}" "
            <span>{described}</span>
            " "<span class="muted small">{entry.by.clone().unwrap_or_default()}</span>
        </li>
    }
}

/// The label of a lead field as its history names it.
fn field_label(field: &str) -> LeadText {
    match field {
        "name" => LeadText::Name,
        "company" => LeadText::Company,
        "phone" => LeadText::Phone,
        "email" => LeadText::Email,
        "region" => LeadText::Region,
        "source" => LeadText::Source,
        "message" => LeadText::Message,
        "owner_id" => LeadText::Owner,
        "status" => LeadText::Status,
        "reason" => LeadText::DisqualifyReason,
        _ => LeadText::Field,
    }
}

/// A stored value as people read it: statuses and sources in words, the rest as typed.
fn field_value_text(field: &str, value: &str, locale: crate::i18n::Locale) -> String {
    match field {
        "status" => LeadStatus::parse(value)
            .map(|s| status_label(s).text(locale).to_owned())
            .unwrap_or_else(|_| value.to_owned()),
        "source" => LeadSource::parse(value)
            .map(|s| source_label(s).text(locale).to_owned())
            .unwrap_or_else(|_| value.to_owned()),
        _ => value.to_owned(),
    }
}

#[component]
fn LeadRow(
    lead: Lead,
    converting: RwSignal<Option<Lead>>,
    on_change: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let (status, source) = (lead.status, lead.source);
    let for_actions = lead.clone();
    view! {
        <tr data-testid="lead-row" class:overdue=lead.overdue>
            <td><A href=format!("/leads/{}", lead.id.0)>{lead.name.clone()}</A>{lead.overdue.then(|| view! { " "<span class="badge warn-badge" data-testid="overdue">{i18n.t(LeadText::Overdue)}</span> })}</td>
            <td>{lead.company.clone().unwrap_or_default()}</td>
            <td class="small">{lead.phone.clone().unwrap_or_default()}" "{lead.email.clone().unwrap_or_default()}</td>
            <td>{move || source_label(source).text(i18n.locale())}</td>
            <td data-testid="lead-status">{move || status_label(status).text(i18n.locale())}
                {lead.disqualify_reason.clone().map(|r| view! { <span class="muted small">" · "{r}</span> })}</td>
            <td>{lead.owner_name.clone().unwrap_or_default()}</td>
            <td class="small"><Timestamp at=lead.created_at/></td>
            <td class="row-actions">
                {lead.opportunity_id.map(|o| view! { <A href=format!("/opportunities/{}", o.0)>{i18n.t(LeadText::OpenOpportunity)}</A> })}
                <LeadActions lead=for_actions converting on_change/>
            </td>
        </tr>
    }
}

/// Moving an open lead along: contacted, qualified, converted (opens `converting`), or
/// disqualified with a reason. Nothing for a lead that is done.
#[component]
fn LeadActions(
    lead: Lead,
    converting: RwSignal<Option<Lead>>,
    on_change: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let reason = RwSignal::new(String::new());
    let disqualifying = RwSignal::new(false);
    let (id, version, status) = (lead.id, lead.version, lead.status);
    let change = server_submission::<SetLeadStatus>().on_success(move |_| on_change.run(()));
    let set = move |status: LeadStatus, reason: Option<String>| {
        change.submit(SetLeadStatus { id, version, status, reason });
    };
    status.is_open().then(|| view! {
        {(status == LeadStatus::New).then(|| view! { <button type="button" class="button small" on:click=move |_| set(LeadStatus::Contacted, None)>{i18n.t(LeadText::MarkContacted)}</button> })}
        {(status != LeadStatus::Qualified).then(|| view! { <button type="button" class="button small" on:click=move |_| set(LeadStatus::Qualified, None)>{i18n.t(LeadText::Qualify)}</button> })}
        <button type="button" class="button small primary" on:click=move |_| converting.set(Some(lead.clone()))>{i18n.t(LeadText::Convert)}</button>
        <button type="button" class="button small ghost" on:click=move |_| disqualifying.update(|d| *d = !*d)>{i18n.t(LeadText::Disqualify)}</button>
        <Show when=move || disqualifying.get()>
            <div class="inline-form">
                <TextField label=i18n.t(LeadText::DisqualifyReason) name="disqualify_reason" value=reason/>
                <button type="button" class="button small danger" disabled=move || reason.with(|r| r.trim().is_empty())
                    on:click=move |_| set(LeadStatus::Disqualified, Some(reason.get_untracked()))>{i18n.t(LeadText::Disqualify)}</button>
            </div>
        </Show>
    })
}

/// A new lead (the routing picks its owner), or `editing` one (its owner may be changed within
/// the caller's scope; the edit names the version it was filled from).
#[component]
fn LeadForm(#[prop(optional)] editing: Option<Lead>, on_done: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let start = editing.as_ref().map(Lead::as_input).unwrap_or_default();
    let name = RwSignal::new(start.name);
    let company = RwSignal::new(start.company);
    let phone = RwSignal::new(start.phone);
    let email = RwSignal::new(start.email);
    let region = RwSignal::new(start.region);
    let message = RwSignal::new(start.message);
    let source = RwSignal::new(start.source);
    let owner = RwSignal::new(start.owner_id.map(|o| o.0.to_string()).unwrap_or_default());
    let target = editing.as_ref().map(|l| (l.id, l.version));
    let save = crate::ui::Submission::new(move |input: &LeadInput| {
        let input = input.clone();
        async move {
            match target {
                Some((id, version)) => update_lead(id, version, input).await.map(|l| l.id),
                None => create_lead(input).await,
            }
        }
    })
    .on_success(move |_| {
        toasts.success(if target.is_some() { LeadText::Saved } else { LeadText::Created });
        on_done.run(());
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = LeadInput {
            name: name.get_untracked(),
            company: company.get_untracked(),
            phone: phone.get_untracked(),
            email: email.get_untracked(),
            region: region.get_untracked(),
            message: message.get_untracked(),
            source: source.get_untracked(),
            owner_id: owner.get_untracked().parse().ok().map(UserId),
        };
        save.submit(input);
    };
    let owner_field = target.map(|_| {
        let options = Resource::new(|| (), |_| crate::customers::api::get_customer_options());
        let owner_options = Signal::derive(move || {
            crate::customers::views::owner_menu("—", options.get())
        });
        view! {
            <Transition fallback=|| ()>
                <SelectField label=i18n.t(SalesText::Owner) name="owner_id" value=owner options=owner_options error=save.field("owner_id") scope="lead-"/>
            </Transition>
        }
    });
    view! {
        <form class="card form panel" data-testid="lead-form" on:submit=submit>
            <div class="grid-2">
                <TextField label=i18n.t(LeadText::Name) name="name" value=name error=save.field("name") scope="lead-"/>
                <TextField label=i18n.t(LeadText::Company) name="company" value=company error=save.field("company") scope="lead-"/>
                <TextField label=i18n.t(LeadText::Phone) name="phone" value=phone error=save.field("phone") scope="lead-"/>
                <TextField label=i18n.t(LeadText::Email) name="email" value=email error=save.field("email") scope="lead-"/>
                <TextField label=i18n.t(LeadText::Region) name="region" value=region error=save.field("region") scope="lead-"/>
                <EnumSelect label=i18n.t(LeadText::Source) name="source" value=source text=source_label error=save.field("source") scope="lead-"/>
                {owner_field}
            </div>
            <TextField label=i18n.t(LeadText::Message) name="message" value=message error=save.field("message") scope="lead-"/>
            <FormButtons submit=i18n.t(CommonText::Save) pending=save.pending() on_cancel=on_done/>
        </form>
    }
}

/// Importing a CSV of leads: created, skipped as already on file, refused with reasons.
#[component]
fn LeadImport(on_done: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let file = NodeRef::<leptos::html::Input>::new();
    let report = RwSignal::new(None::<LeadImportReport>);
    let failure = RwSignal::new(None::<AppError>);
    let busy = RwSignal::new(false);
    // The file is read and sent by the browser only.
    #[cfg(not(feature = "hydrate"))]
    let _ = on_done;
    let send = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(input) = file.get_untracked() {
            busy.set(true);
            leptos::task::spawn_local(async move {
                let result = crate::ui::post_file("/api/lead-import", &input).await;
                busy.set(false);
                match result.and_then(|(_, value)| {
                    serde_json::from_value::<LeadImportReport>(value)
                        .map_err(|e| AppError::Transport(e.to_string()))
                }) {
                    Ok(done) => {
                        failure.set(None);
                        report.set(Some(done));
                        on_done.run(());
                    }
                    Err(error) => failure.set(Some(error)),
                }
            });
        }
    };
    view! {
        <div class="card form panel" data-testid="lead-import">
            <p class="hint">{i18n.t(LeadText::ImportHelp)}</p>
            <div class="inline-form">
                <input type="file" accept=".xlsx,.csv,text/csv" node_ref=file aria-label=move || i18n.text(LeadText::ImportLeads)/>
                <button type="button" class="button primary" disabled=move || busy.get() on:click=send>{i18n.t(LeadText::ImportLeads)}</button>
            </div>
            <span class="field-error">{field_message(failure.into(), "file")}</span>
            {move || failure.get().filter(|e| e.field_errors().is_none()).map(|error| view! { <ErrorNotice error/> })}
            {move || report.get().map(|r| view! {
                <p data-testid="lead-import-report">{fill(i18n.text(LeadText::ImportDone), &[("created", &r.created), ("duplicates", &r.duplicates), ("rejected", &r.rejected.len())])}</p>
                <ul class="plain-list small">
                    {r.rejected.iter().map(|(row, field, reason)| view! {
                        <li>{fill(i18n.text(LeadText::Row), &[("row", row)])}" · "{field.clone()}": "{crate::i18n::field_error_text(reason, i18n.locale())}</li>
                    }).collect_view()}
                </ul>
            })}
        </div>
    }
}

/// Converting: offers customers the lead may already be, then creates the opportunity.
#[component]
fn ConvertPanel(lead: Lead, on_done: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let navigate = use_navigate();
    let title = RwSignal::new(lead.company.clone().unwrap_or_else(|| lead.name.clone()));
    let amount = RwSignal::new(String::new());
    let close = RwSignal::new(String::new());
    let existing = RwSignal::new(None::<CustomerId>);
    let (id, version) = (lead.id, lead.version);
    let possible = Resource::new(move || id, lead_possible_customers);
    let save = server_submission::<ConvertLead>().on_success(move |done| {
        toasts.success(LeadText::ConvertedToast);
        on_done.run(());
        navigate(&format!("/opportunities/{}", done.opportunity_id.0), Default::default());
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = ConvertInput {
            existing_customer: existing.get_untracked(),
            opportunity_title: title.get_untracked(),
            amount: amount.get_untracked(),
            expected_close: NaiveDate::parse_from_str(&close.get_untracked(), "%Y-%m-%d").ok(),
        };
        save.submit(ConvertLead { id, version, input });
    };
    view! {
        <form class="card form panel" data-testid="convert-panel" on:submit=submit>
            <h2>{move || fill(i18n.text(LeadText::ConvertTitle), &[("name", &lead.name)])}</h2>
            <ResourceView resource=possible let:list>
                {match list {
                    list if list.is_empty() => view! { <p class="muted small">{i18n.t(LeadText::NoPossibleCustomers)}</p> }.into_any(),
                    list => view! {
                        <fieldset class="possible-customers" data-testid="possible-customers">
                            <legend>{i18n.t(LeadText::PossibleCustomers)}</legend>
                            <label class="field-checkbox"><input type="radio" name="existing" checked=true on:change=move |_| existing.set(None)/>{i18n.t(LeadText::CreateNewCustomer)}</label>
                            {list.into_iter().map(|c| {
                                let matched = match c.matched_on.as_str() { "phone" => LeadText::MatchedPhone, "email" => LeadText::MatchedEmail, _ => LeadText::MatchedName };
                                view! {
                                    <label class="field-checkbox">
                                        <input type="radio" name="existing" on:change=move |_| existing.set(Some(c.id))/>
                                        {fill(i18n.text(LeadText::AttachTo), &[("name", &c.name)])}
                                        " "<span class="muted small">{move || matched.text(i18n.locale())}</span>
                                    </label>
                                }
                            }).collect_view()}
                        </fieldset>
                    }.into_any(),
                }}
            </ResourceView>
            <div class="grid-2">
                <TextField label=i18n.t(SalesText::Title) name="opportunity_title" value=title error=save.field("title")/>
                <TextField label=i18n.t(SalesText::Amount) name="opportunity_amount" value=amount error=save.field("amount")/>
                <TextField label=i18n.t(SalesText::ExpectedClose) name="opportunity_close" input_type="date" value=close error=save.field("expected_close")/>
            </div>
            <span class="field-error">{save.field("status")}</span>
            <FormButtons submit=i18n.t(LeadText::Convert) pending=save.pending() on_cancel=on_done/>
        </form>
    }
}

/// `/admin/leads`: follow-up time, round-robin members, region rules and web forms.
#[component]
pub fn LeadSettingsPage() -> impl IntoView {
    let i18n = use_i18n();
    let version = RwSignal::new(0u32);
    let routing = Resource::new(move || version.get(), |_| get_lead_routing());
    let options = Resource::new(|| (), |_| crate::customers::api::get_customer_options());
    view! {
        <section class="page">
            <h1>{i18n.t(LeadText::Settings)}</h1>
            <ResourceView resource=routing let:routing>
                <ResourceView resource=options let:options>
                    <RoutingEditor routing=routing.clone() owners=options.owners version/>
                </ResourceView>
            </ResourceView>
            <FormsEditor/>
        </section>
    }
}

#[component]
fn RoutingEditor(
    routing: Routing,
    owners: Vec<(UserId, String)>,
    version: RwSignal<u32>,
) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let hours = RwSignal::new(routing.follow_up_hours.to_string());
    let members = RwSignal::new(routing.members.iter().map(|(id, _)| *id).collect::<Vec<_>>());
    let rules = RwSignal::new(routing.rules.clone());
    let saved_version = routing.version;
    let names = owners.clone();
    let save = server_submission::<SaveLeadRouting>().on_success(move |()| {
        toasts.success(SalesText::Saved);
        version.update(|v| *v += 1);
    });
    let submit = move |_| {
        let routing = Routing {
            follow_up_hours: hours.get_untracked().trim().parse().unwrap_or(0),
            members: members.get_untracked().into_iter().map(|id| (id, String::new())).collect(),
            rules: rules.get_untracked(),
            version: saved_version,
        };
        save.submit(SaveLeadRouting { routing });
    };
    let new_region = RwSignal::new(String::new());
    let new_user = RwSignal::new(String::new());
    let user_options = Signal::derive(move || {
        names.iter().map(|(id, n)| (id.0.to_string(), n.clone())).collect::<Vec<_>>()
    });
    let name_of = {
        let owners = owners.clone();
        move |id: UserId| {
            owners.iter().find(|(o, _)| *o == id).map(|(_, n)| n.clone()).unwrap_or_default()
        }
    };
    let name_of2 = name_of.clone();
    view! {
        <div class="card form" data-testid="lead-routing">
            <TextField label=i18n.t(LeadText::FollowUpHours) name="follow_up_hours" input_type="number" value=hours error=save.field("follow_up_hours")/>
            <h2>{i18n.t(LeadText::RoundRobin)}</h2>
            <p class="hint">{i18n.t(LeadText::RoundRobinHelp)}</p>
            <div class="check-grid">
                {owners.iter().cloned().map(|(id, name)| view! {
                    <label class="field-checkbox">
                        <input type="checkbox" prop:checked=move || members.with(|m| m.contains(&id))
                            on:change=move |ev| members.update(|m| if event_target_checked(&ev) { if !m.contains(&id) { m.push(id) } } else { m.retain(|x| *x != id) })/>
                        {name}
                    </label>
                }).collect_view()}
            </div>
            <p class="small muted">{move || members.get().into_iter().map(&name_of).collect::<Vec<_>>().join(" → ")}</p>
            <h2>{i18n.t(LeadText::RegionRules)}</h2>
            <ul class="plain-list">
                {move || rules.get().into_iter().enumerate().map(|(n, (region, user))| view! {
                    <li>{region}" → "{name_of2(user)}" "<button type="button" class="button small ghost" on:click=move |_| rules.update(|r| { r.remove(n); })>{i18n.t(SalesText::Remove)}</button></li>
                }).collect_view()}
            </ul>
            <div class="inline-form">
                <TextField label=i18n.t(LeadText::Region) name="rule_region" value=new_region/>
                <SelectField label=i18n.t(SalesText::Owner) name="rule_user" value=new_user options=user_options/>
                <button type="button" class="button small" on:click=move |_| {
                    if let (region, Ok(user)) = (new_region.get_untracked(), new_user.get_untracked().parse::<i64>())
                        && !region.trim().is_empty()
                    {
                        rules.update(|r| r.push((region.trim().to_owned(), UserId(user))));
                        new_region.set(String::new());
                    }
                }>{i18n.t(LeadText::AddRule)}</button>
            </div>
            <div class="actions">
                <button type="button" class="button primary" disabled=move || save.pending().get() on:click=submit>{i18n.t(CommonText::Save)}</button>
            </div>
        </div>
    }
}

#[component]
fn FormsEditor() -> impl IntoView {
    let i18n = use_i18n();
    let version = RwSignal::new(0u32);
    let forms = Resource::new(move || version.get(), |_| list_lead_forms());
    let name = RwSignal::new(String::new());
    let create = server_submission::<CreateLeadForm>().on_success(move |_| {
        name.set(String::new());
        version.update(|v| *v += 1);
    });
    let origin = move || {
        #[cfg(feature = "hydrate")]
        {
            web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default()
        }
        #[cfg(not(feature = "hydrate"))]
        {
            String::new()
        }
    };
    view! {
        <div class="card" data-testid="lead-forms">
            <h2>{i18n.t(LeadText::WebForms)}</h2>
            <p class="hint">{i18n.t(LeadText::WebFormsHelp)}</p>
            <ResourceView resource=forms let:list>
                <Table columns=vec![Column::new(i18n.t(LeadText::FormName)), Column::new(i18n.t(LeadText::Endpoint)), Column::new(i18n.t(LeadText::Leads)).numeric()]>
                    {list.into_iter().map(|f| view! {
                        <tr><td>{f.name}</td><td><code data-testid="form-endpoint">{move || format!("{}/forms/{}/leads", origin(), f.key)}</code></td><td class="num">{f.leads}</td></tr>
                    }).collect_view()}
                </Table>
            </ResourceView>
            <div class="inline-form">
                <TextField label=i18n.t(LeadText::FormName) name="form_name" value=name error=create.field("name")/>
                <button type="button" class="button small" disabled=move || create.pending().get()
                    on:click=move |_| create.submit(CreateLeadForm { name: name.get_untracked() })>{i18n.t(LeadText::NewForm)}</button>
            </div>
        </div>
    }
}
