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
        CheckboxField, ErrorNotice, Loading, MoreButton, PagedList, SelectField, TextField,
        Timestamp, field_message, use_toasts,
    },
};
use chrono::NaiveDate;
use leptos::{prelude::*, task::spawn_local};
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
    let status = RwSignal::new(String::new());
    let overdue = RwSignal::new(false);
    let search = RwSignal::new(String::new());
    let adding = RwSignal::new(false);
    let importing = RwSignal::new(false);
    let changes = use_server_events().changes(Topic::Lead);
    let local = RwSignal::new(0u32);
    let filter = Memo::new(move |_| LeadFilter {
        status: LeadStatus::parse(&status.get()).ok(),
        overdue: overdue.get(),
        search: Some(search.get()).filter(|s| !s.trim().is_empty()),
        ..Default::default()
    });
    let pages = PagedList::new(
        move || (filter.get(), changes.get(), local.get()),
        |(filter, _, _), before| list_leads(filter, before),
    );
    let status_options = Signal::derive(move || {
        let mut list = vec![(String::new(), i18n.text(LeadText::AnyStatus).to_owned())];
        list.extend(
            LeadStatus::ALL
                .iter()
                .map(|s| (s.as_str().to_owned(), status_label(*s).text(i18n.locale()).to_owned())),
        );
        list
    });
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
                <SelectField label=i18n.t(LeadText::Status) name="lead_status" value=status options=status_options/>
                <CheckboxField label=i18n.t(LeadText::OnlyOverdue) name="overdue" checked=overdue/>
            </div>
            {move || converting.get().map(|lead| view! {
                <ConvertPanel lead on_done=Callback::new(move |_| { converting.set(None); local.update(|n| *n += 1); })/>
            })}
            <Transition fallback=|| view! { <Loading/> }>
                {move || pages.rows().map(|rows| match rows {
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    Ok(rows) if rows.is_empty() => view! { <p class="muted">{i18n.t(LeadText::NoLeads)}</p> }.into_any(),
                    Ok(rows) => view! {
                        <div class="card table-wrap">
                            <table class="table" data-testid="leads">
                                <thead><tr>
                                    <th>{i18n.t(LeadText::Name)}</th><th>{i18n.t(LeadText::Company)}</th>
                                    <th>{i18n.t(LeadText::Contact)}</th><th>{i18n.t(LeadText::Source)}</th>
                                    <th>{i18n.t(LeadText::Status)}</th><th>{i18n.t(SalesText::Owner)}</th>
                                    <th>{i18n.t(LeadText::Received)}</th><th></th>
                                </tr></thead>
                                <tbody>
                                    {rows.into_iter().map(|lead| view! { <LeadRow lead converting on_change=Callback::new(move |_| local.update(|n| *n += 1))/> }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any(),
                })}
            </Transition>
            <MoreButton visible=Signal::derive(move || pages.has_more()) pending=Signal::derive(move || pages.loading_more()) on_click=move || pages.load_more()/>
        </section>
    }
}

#[component]
fn LeadRow(
    lead: Lead,
    converting: RwSignal<Option<Lead>>,
    on_change: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let reason = RwSignal::new(String::new());
    let disqualifying = RwSignal::new(false);
    let (id, version, status) = (lead.id, lead.version, lead.status);
    let set = move |to: LeadStatus, why: Option<String>| {
        spawn_local(async move {
            match set_lead_status(id, version, to, why).await {
                Ok(_) => on_change.run(()),
                Err(error) => toasts.error(error),
            }
        });
    };
    let for_convert = lead.clone();
    view! {
        <tr data-testid="lead-row" class:overdue=lead.overdue>
            <td>{lead.name.clone()}{lead.overdue.then(|| view! { " "<span class="badge warn-badge" data-testid="overdue">{i18n.t(LeadText::Overdue)}</span> })}</td>
            <td>{lead.company.clone().unwrap_or_default()}</td>
            <td class="small">{lead.phone.clone().unwrap_or_default()}" "{lead.email.clone().unwrap_or_default()}</td>
            <td>{move || source_label(lead.source).text(i18n.locale())}</td>
            <td data-testid="lead-status">{move || status_label(status).text(i18n.locale())}
                {lead.disqualify_reason.clone().map(|r| view! { <span class="muted small">" · "{r}</span> })}</td>
            <td>{lead.owner_name.clone().unwrap_or_default()}</td>
            <td class="small"><Timestamp at=lead.created_at/></td>
            <td class="row-actions">
                {status.is_open().then(|| view! {
                    {(status == LeadStatus::New).then(|| view! { <button type="button" class="button small" on:click=move |_| set(LeadStatus::Contacted, None)>{i18n.t(LeadText::MarkContacted)}</button> })}
                    {(status != LeadStatus::Qualified).then(|| view! { <button type="button" class="button small" on:click=move |_| set(LeadStatus::Qualified, None)>{i18n.t(LeadText::Qualify)}</button> })}
                    <button type="button" class="button small primary" on:click=move |_| converting.set(Some(for_convert.clone()))>{i18n.t(LeadText::Convert)}</button>
                    <button type="button" class="button small ghost" on:click=move |_| disqualifying.update(|d| *d = !*d)>{i18n.t(LeadText::Disqualify)}</button>
                    <Show when=move || disqualifying.get()>
                        <div class="inline-form">
                            <TextField label=i18n.t(LeadText::DisqualifyReason) name="disqualify_reason" value=reason/>
                            <button type="button" class="button small danger" disabled=move || reason.with(|r| r.trim().is_empty())
                                on:click=move |_| set(LeadStatus::Disqualified, Some(reason.get_untracked()))>{i18n.t(LeadText::Disqualify)}</button>
                        </div>
                    </Show>
                })}
                {lead.opportunity_id.map(|o| view! { <A href=format!("/opportunities/{}", o.0)>{i18n.t(LeadText::OpenOpportunity)}</A> })}
            </td>
        </tr>
    }
}

#[component]
fn LeadForm(on_done: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let name = RwSignal::new(String::new());
    let company = RwSignal::new(String::new());
    let phone = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let region = RwSignal::new(String::new());
    let message = RwSignal::new(String::new());
    let source = RwSignal::new(LeadSource::Manual.as_str().to_owned());
    let failure = RwSignal::new(None::<AppError>);
    let sources = Signal::derive(move || {
        LeadSource::ALL
            .iter()
            .map(|s| (s.as_str().to_owned(), source_label(*s).text(i18n.locale()).to_owned()))
            .collect::<Vec<_>>()
    });
    let save = move |_| {
        let input = LeadInput {
            name: name.get_untracked(),
            company: company.get_untracked(),
            phone: phone.get_untracked(),
            email: email.get_untracked(),
            region: region.get_untracked(),
            message: message.get_untracked(),
            source: LeadSource::parse(&source.get_untracked()).unwrap_or_default(),
            owner_id: None,
        };
        spawn_local(async move {
            match create_lead(input).await {
                Ok(_) => {
                    toasts.success(LeadText::Created);
                    on_done.run(());
                }
                Err(error) => toasts.form_failed(failure, error),
            }
        });
    };
    view! {
        <div class="card form panel" data-testid="lead-form">
            <div class="grid-2">
                <TextField label=i18n.t(LeadText::Name) name="name" value=name error=field_message(failure.into(), "name") scope="lead-"/>
                <TextField label=i18n.t(LeadText::Company) name="company" value=company error=field_message(failure.into(), "company") scope="lead-"/>
                <TextField label=i18n.t(LeadText::Phone) name="phone" value=phone error=field_message(failure.into(), "phone") scope="lead-"/>
                <TextField label=i18n.t(LeadText::Email) name="email" value=email error=field_message(failure.into(), "email") scope="lead-"/>
                <TextField label=i18n.t(LeadText::Region) name="region" value=region scope="lead-"/>
                <SelectField label=i18n.t(LeadText::Source) name="source" value=source options=sources scope="lead-"/>
            </div>
            <TextField label=i18n.t(LeadText::Message) name="message" value=message scope="lead-"/>
            <div class="actions">
                <button type="button" class="button primary" on:click=save>{i18n.t(CommonText::Save)}</button>
                <button type="button" class="button ghost" on:click=move |_| on_done.run(())>{i18n.t(CommonText::Cancel)}</button>
            </div>
        </div>
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
            spawn_local(async move {
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
    let failure = RwSignal::new(None::<AppError>);
    let (id, version) = (lead.id, lead.version);
    let possible = Resource::new(move || id, lead_possible_customers);
    let convert = move |_| {
        let input = ConvertInput {
            existing_customer: existing.get_untracked(),
            opportunity_title: title.get_untracked(),
            amount: amount.get_untracked(),
            expected_close: NaiveDate::parse_from_str(&close.get_untracked(), "%Y-%m-%d").ok(),
        };
        let navigate = navigate.clone();
        spawn_local(async move {
            match convert_lead(id, version, input).await {
                Ok(done) => {
                    toasts.success(LeadText::ConvertedToast);
                    on_done.run(());
                    navigate(
                        &format!("/opportunities/{}", done.opportunity_id.0),
                        Default::default(),
                    );
                }
                Err(error) => toasts.form_failed(failure, error),
            }
        });
    };
    view! {
        <div class="card form panel" data-testid="convert-panel">
            <h2>{move || fill(i18n.text(LeadText::ConvertTitle), &[("name", &lead.name)])}</h2>
            <Transition fallback=|| view! { <Loading/> }>
                {move || possible.get().map(|result| match result {
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="muted small">{i18n.t(LeadText::NoPossibleCustomers)}</p> }.into_any(),
                    Ok(list) => view! {
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
                })}
            </Transition>
            <div class="grid-2">
                <TextField label=i18n.t(SalesText::Title) name="opportunity_title" value=title error=field_message(failure.into(), "title")/>
                <TextField label=i18n.t(SalesText::Amount) name="opportunity_amount" value=amount error=field_message(failure.into(), "amount")/>
                <TextField label=i18n.t(SalesText::ExpectedClose) name="opportunity_close" input_type="date" value=close error=field_message(failure.into(), "expected_close")/>
            </div>
            <span class="field-error">{field_message(failure.into(), "status")}</span>
            <div class="actions">
                <button type="button" class="button primary" on:click=convert>{i18n.t(LeadText::Convert)}</button>
                <button type="button" class="button ghost" on:click=move |_| on_done.run(())>{i18n.t(CommonText::Cancel)}</button>
            </div>
        </div>
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
            <Transition fallback=|| view! { <Loading/> }>
                {move || match (routing.get(), options.get()) {
                    (Some(Err(error)), _) | (_, Some(Err(error))) => view! { <ErrorNotice error/> }.into_any(),
                    (Some(Ok(routing)), Some(Ok(options))) => view! { <RoutingEditor routing owners=options.owners version/> }.into_any(),
                    _ => ().into_any(),
                }}
            </Transition>
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
    let failure = RwSignal::new(None::<AppError>);
    let saved_version = routing.version;
    let names = owners.clone();
    let save = move |_| {
        let routing = Routing {
            follow_up_hours: hours.get_untracked().trim().parse().unwrap_or(0),
            members: members.get_untracked().into_iter().map(|id| (id, String::new())).collect(),
            rules: rules.get_untracked(),
            version: saved_version,
        };
        spawn_local(async move {
            match save_lead_routing(routing).await {
                Ok(()) => {
                    toasts.success(SalesText::Saved);
                    version.update(|v| *v += 1);
                }
                Err(error) => toasts.form_failed(failure, error),
            }
        });
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
            <TextField label=i18n.t(LeadText::FollowUpHours) name="follow_up_hours" input_type="number" value=hours error=field_message(failure.into(), "follow_up_hours")/>
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
                <button type="button" class="button primary" on:click=save>{i18n.t(CommonText::Save)}</button>
            </div>
        </div>
    }
}

#[component]
fn FormsEditor() -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let version = RwSignal::new(0u32);
    let forms = Resource::new(move || version.get(), |_| list_lead_forms());
    let name = RwSignal::new(String::new());
    let failure = RwSignal::new(None::<AppError>);
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
    let create = move |_| {
        let value = name.get_untracked();
        spawn_local(async move {
            match create_lead_form(value).await {
                Ok(_) => {
                    name.set(String::new());
                    failure.set(None);
                    version.update(|v| *v += 1);
                }
                Err(error) => toasts.form_failed(failure, error),
            }
        });
    };
    view! {
        <div class="card" data-testid="lead-forms">
            <h2>{i18n.t(LeadText::WebForms)}</h2>
            <p class="hint">{i18n.t(LeadText::WebFormsHelp)}</p>
            <Transition fallback=|| view! { <Loading/> }>
                {move || forms.get().map(|result| match result {
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    Ok(list) => view! {
                        <table class="table">
                            <thead><tr><th>{i18n.t(LeadText::FormName)}</th><th>{i18n.t(LeadText::Endpoint)}</th><th class="num">{i18n.t(LeadText::Leads)}</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|f| view! {
                                    <tr><td>{f.name}</td><td><code data-testid="form-endpoint">{move || format!("{}/forms/{}/leads", origin(), f.key)}</code></td><td class="num">{f.leads}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                })}
            </Transition>
            <div class="inline-form">
                <TextField label=i18n.t(LeadText::FormName) name="form_name" value=name error=field_message(failure.into(), "name")/>
                <button type="button" class="button small" on:click=create>{i18n.t(LeadText::NewForm)}</button>
            </div>
        </div>
    }
}
