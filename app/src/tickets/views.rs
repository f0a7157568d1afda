//! The queues, a ticket with its conversation and SLA clocks, the new-ticket form, the 360
//! section, the service quality report and the SLA settings page.

use super::{api::*, model::*};
use crate::{
    auth::{model::Role, views::use_auth_session},
    customers::model::CustomerId,
    error::AppError,
    events::{Topic, use_server_events},
    i18n::{CommonText, Text, TicketText, fill, use_i18n},
    ui::{
        CheckboxField, Column, EnumSelect, PagedList, PagedTable, ResourceView, SelectField,
        Submission, Table, TextField, Timestamp, Typed, field_message, server_submission,
        span_text, use_toasts,
    },
};
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_params_map};

pub fn status_label(status: TicketStatus) -> TicketText {
    match status {
        TicketStatus::New => TicketText::StatusNew,
        TicketStatus::Open => TicketText::StatusOpen,
        TicketStatus::Waiting => TicketText::StatusWaiting,
        TicketStatus::Resolved => TicketText::StatusResolved,
        TicketStatus::Closed => TicketText::StatusClosed,
        TicketStatus::Reopened => TicketText::StatusReopened,
    }
}

pub fn priority_label(priority: TicketPriority) -> TicketText {
    match priority {
        TicketPriority::Low => TicketText::PriorityLow,
        TicketPriority::Normal => TicketText::PriorityNormal,
        TicketPriority::High => TicketText::PriorityHigh,
        TicketPriority::Urgent => TicketText::PriorityUrgent,
    }
}

pub fn category_label(category: Category) -> TicketText {
    match category {
        Category::Question => TicketText::CategoryQuestion,
        Category::Fault => TicketText::CategoryFault,
        Category::Complaint => TicketText::CategoryComplaint,
        Category::Suggestion => TicketText::CategorySuggestion,
    }
}

pub fn channel_label(channel: Channel) -> TicketText {
    match channel {
        Channel::Phone => TicketText::ChannelPhone,
        Channel::Email => TicketText::ChannelEmail,
        Channel::WebForm => TicketText::ChannelWebForm,
        Channel::Wechat => TicketText::ChannelWechat,
        Channel::WalkIn => TicketText::ChannelWalkIn,
        Channel::Survey => TicketText::ChannelSurvey,
    }
}

fn queue_label(queue: Queue) -> TicketText {
    match queue {
        Queue::Mine => TicketText::QueueMine,
        Queue::Unassigned => TicketText::QueueUnassigned,
        Queue::Team => TicketText::QueueTeam,
        Queue::BreachingSoon => TicketText::QueueBreaching,
        Queue::Waiting => TicketText::QueueWaiting,
        Queue::AllOpen => TicketText::QueueAll,
        Queue::Done => TicketText::QueueDone,
    }
}

/// The current time, ticking every half minute in the browser so countdowns move.
fn use_clock() -> Signal<DateTime<Utc>> {
    let now = RwSignal::new(Utc::now());
    #[cfg(feature = "hydrate")]
    {
        if let Ok(handle) = set_interval_with_handle(
            move || now.set(Utc::now()),
            std::time::Duration::from_secs(30),
        ) {
            on_cleanup(move || handle.clear());
        }
    }
    now.into()
}

/// The ticket's running clock as a coloured badge: green, amber, red, paused or met.
#[component]
fn SlaBadge(row: TicketRow, now: Signal<DateTime<Utc>>) -> impl IntoView {
    let i18n = use_i18n();
    let state = {
        let row = row.clone();
        Memo::new(move |_| row.sla(now.get()))
    };
    let text = {
        move || {
            let locale = i18n.locale();
            let now = now.get();
            match (row.sla(now), row.sla_due_at) {
                (SlaState::Paused, _) => i18n.text(TicketText::Paused).to_owned(),
                (SlaState::Breached, Some(due)) => fill(
                    TicketText::LateBy.text(locale),
                    &[("time", &span_text((now - due).num_seconds(), locale))],
                ),
                (_, Some(due)) => fill(
                    TicketText::DueIn.text(locale),
                    &[("time", &span_text((due - now).num_seconds(), locale))],
                ),
                _ => "—".to_owned(),
            }
        }
    };
    let class = move || match state.get() {
        SlaState::OnTrack => "sla sla-ok",
        SlaState::AtRisk => "sla sla-risk",
        SlaState::Breached => "sla sla-late",
        SlaState::Paused => "sla sla-paused",
        SlaState::Met => "sla sla-met",
    };
    let name = move || format!("{:?}", state.get()).to_lowercase();
    view! { <span class=class data-testid="sla" data-state=name>{text}</span> }
}

fn tier_name(row: &TicketRow, locale: crate::i18n::Locale) -> String {
    match locale {
        crate::i18n::Locale::ZhCn => row.tier_name_zh.clone(),
        crate::i18n::Locale::En => row.tier_name_en.clone(),
    }
    .unwrap_or_else(|| "—".into())
}

/// `/tickets`: the queues.
#[component]
pub fn TicketsPage() -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let session = use_auth_session();
    let queue = RwSignal::new(Queue::Mine);
    let changes = use_server_events().changes(Topic::Ticket);
    let local = RwSignal::new(0u32);
    let creating = RwSignal::new(false);
    let selected = RwSignal::new(Vec::<TicketId>::new());
    let assignee = RwSignal::new(String::new());
    let now = use_clock();
    // What is typed, and (after a pause) what is searched for.
    let typed = Typed::new(std::time::Duration::from_millis(300));
    let search = typed.settled;
    let pages = PagedList::new(
        move || (queue.get(), search.get(), changes.get(), local.get()),
        |(queue, search, _, _), after| {
            list_queue(queue, Some(search).filter(|s| !s.trim().is_empty()), after)
        },
    );
    let agents = Resource::new(|| (), |_| list_agents());
    let is_manager = move || session.current().is_some_and(|u| u.role.includes(Role::Manager));
    let agent_options = Signal::derive(move || {
        agent_options((String::new(), "—".to_owned()), None, agents.get().and_then(Result::ok))
    });
    let assignment = server_submission::<AssignTickets>().on_success(move |n| {
        selected.set(Vec::new());
        local.update(|v| *v += 1);
        toasts.show(crate::ui::ToastKind::Success, move |l| {
            fill(TicketText::Assigned.text(l), &[("n", &n)])
        });
    });
    let assign = move |_| {
        let ids = selected.get_untracked();
        let Ok(to) = assignee.get_untracked().parse::<i64>() else { return };
        assignment.submit(AssignTickets { ids, assignee_id: crate::auth::model::UserId(to) });
    };
    let columns = vec![
        Column::blank(),
        Column::new(i18n.t(TicketText::Subject)),
        Column::new(i18n.t(TicketText::Customer)),
        Column::new(i18n.t(TicketText::Tier)),
        Column::new(i18n.t(TicketText::Priority)),
        Column::new(i18n.t(TicketText::Status)),
        Column::new(i18n.t(TicketText::Assignee)),
        Column::new(i18n.t(TicketText::Sla)),
        Column::blank(),
    ];
    view! {
        <section class="page tickets-page">
            <div class="page-head">
                <h1>{i18n.t(TicketText::Tickets)}</h1>
                <div class="actions">
                    <A href="/tickets/triage" attr:class="button">{i18n.t(TicketText::Triage)}</A>
                    <crate::exports::views::ExportLinks entity=crate::exports::model::ExportEntity::Tickets
                        filter=Signal::derive(|| Some(serde_json::json!({})))/>
                    <button type="button" class="button primary" on:click=move |_| creating.update(|c| *c = !*c)>{i18n.t(TicketText::NewTicket)}</button>
                </div>
            </div>
            <Show when=move || creating.get()>
                <TicketForm customer=None on_done=Callback::new(move |_| { creating.set(false); local.update(|v| *v += 1); })/>
            </Show>
            <input
                type="search"
                class="search-input"
                name="ticket_search"
                data-testid="ticket-search"
                aria-label=move || i18n.text(TicketText::SearchTickets)
                placeholder=move || i18n.text(TicketText::SearchTickets)
                prop:value=move || typed.text.get()
                on:input=move |ev| typed.on_input(ev)
            />
            <Show when=move || search.with(|s| !s.trim().is_empty())>
                <p class="muted" role="status">{i18n.t(TicketText::SearchingAll)}</p>
            </Show>
            <div class="tabs" role="tablist" class:dimmed=move || search.with(|s| !s.trim().is_empty())>
                {[Queue::Mine, Queue::Unassigned, Queue::Team, Queue::BreachingSoon, Queue::Waiting, Queue::AllOpen, Queue::Done].into_iter().map(|q| view! {
                    <button type="button" role="tab" class="tab" data-queue=q.as_str() aria-selected=move || (queue.get() == q).to_string()
                        on:click=move |_| { selected.set(Vec::new()); typed.clear(); queue.set(q); }>
                        {move || queue_label(q).text(i18n.locale())}
                    </button>
                }).collect_view()}
            </div>
            // The agents arrive with the page: read inside a transition so the server waits for
            // them and the hydrated options match.
            <Transition fallback=|| ()>
                <Show when=is_manager>
                    <div class="card inline-form bulk-bar">
                        <SelectField label=i18n.t(TicketText::AssignTo) name="bulk_assignee" value=assignee options=agent_options/>
                        <button type="button" class="button" disabled=move || selected.with(Vec::is_empty) || assignment.pending().get() on:click=assign>
                            {i18n.t(TicketText::AssignSelected)}" ("{move || selected.with(Vec::len)}")"
                        </button>
                    </div>
                </Show>
            </Transition>
            <PagedTable list=pages columns testid="queue" empty=i18n.t(TicketText::NoTickets)
                row=move |row| view! { <QueueRow row now selected on_change=Callback::new(move |_| local.update(|v| *v += 1))/> }/>
        </section>
    }
}

#[component]
fn QueueRow(
    row: TicketRow,
    now: Signal<DateTime<Utc>>,
    selected: RwSignal<Vec<TicketId>>,
    on_change: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let id = row.id;
    // Refused when someone claimed it first: the queue reloads to show who.
    let claiming = server_submission::<ClaimTicket>()
        .on_success(move |()| {
            toasts.success(TicketText::Claimed);
            on_change.run(());
        })
        .on_failure(move || on_change.run(()));
    let claim = move |_| claiming.submit(ClaimTicket { id });
    let (priority, status) = (row.priority, row.status);
    let tier = row.clone();
    let badge_row = row.clone();
    view! {
        <tr data-testid="ticket-row" data-id=id.0.to_string() data-due=row.sla_due_at.map(|d| d.timestamp().to_string())>
            <td><input type="checkbox" aria-label=move || i18n.text(TicketText::SelectTicket)
                prop:checked=move || selected.with(|s| s.contains(&id))
                on:change=move |ev| { let on = event_target_checked(&ev); selected.update(|s| { s.retain(|x| *x != id); if on { s.push(id); } }); }/></td>
            <td><A href=format!("/tickets/{}", id.0)>{row.subject.clone()}</A></td>
            <td><A href=format!("/customers/{}", row.customer_id.0)>{row.customer_name.clone()}</A></td>
            <td>{move || tier_name(&tier, i18n.locale())}</td>
            <td><span class=format!("badge priority-{}", priority.as_str())>{move || priority_label(priority).text(i18n.locale())}</span></td>
            <td>{move || status_label(status).text(i18n.locale())}</td>
            <td>{row.assignee_name.clone().unwrap_or_else(|| "—".into())}</td>
            <td><SlaBadge row=badge_row now/></td>
            <td>{row.assignee_id.is_none().then(|| view! {
                <button type="button" class="button small" data-testid="claim" on:click=claim>{i18n.t(TicketText::Claim)}</button>
            })}</td>
        </tr>
    }
}

/// The new-ticket form; from the 360 page the customer is fixed.
#[component]
pub fn TicketForm(customer: Option<(CustomerId, String)>, on_done: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let navigate = leptos_router::hooks::use_navigate();
    let fixed = customer.is_some();
    let chosen = RwSignal::new(customer);
    let subject = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let channel = RwSignal::new(Channel::Phone);
    let category = RwSignal::new(Category::Question);
    let priority = RwSignal::new(TicketPriority::Normal);
    let assign_me = RwSignal::new(false);
    let session = use_auth_session();
    let channels: &'static [Channel] =
        &[Channel::Phone, Channel::Email, Channel::WebForm, Channel::Wechat, Channel::WalkIn];
    let save = server_submission::<CreateTicket>().on_success(move |id| {
        toasts.success(TicketText::Created);
        on_done.run(());
        navigate(&format!("/tickets/{}", id.0), Default::default());
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = TicketInput {
            customer_id: chosen.get_untracked().map(|c| c.0),
            channel: channel.get_untracked(),
            category: category.get_untracked(),
            priority: priority.get_untracked(),
            subject: subject.get_untracked(),
            description: description.get_untracked(),
            assignee_id: assign_me
                .get_untracked()
                .then(|| session.current().map(|u| u.id))
                .flatten(),
            ..Default::default()
        };
        save.submit(CreateTicket { input });
    };
    view! {
        <form class="card form panel" data-testid="ticket-form" on:submit=submit>
            <h2>{i18n.t(TicketText::NewTicket)}</h2>
            {(!fixed).then(|| view! {
                <crate::customers::views::CustomerPicker label=i18n.t(TicketText::Customer) chosen error=save.field("customer_id")/>
            })}
            <TextField label=i18n.t(TicketText::Subject) name="subject" value=subject error=save.field("subject")/>
            <div class="grid-2">
                <EnumSelect label=i18n.t(TicketText::Channel) name="channel" value=channel text=channel_label choices=channels error=save.field("channel")/>
                <EnumSelect label=i18n.t(TicketText::Category) name="category" value=category text=category_label error=save.field("category")/>
                <EnumSelect label=i18n.t(TicketText::Priority) name="priority" value=priority text=priority_label error=save.field("priority")/>
                <CheckboxField label=i18n.t(TicketText::Claim) name="assign_me" checked=assign_me/>
            </div>
            <div class="field">
                <label for="field-description">{i18n.t(TicketText::Description)}</label>
                <textarea id="field-description" name="description" rows="4" prop:value=move || description.get() on:input=move |ev| description.set(event_target_value(&ev))></textarea>
                <span class="field-error">{save.field("description")}</span>
            </div>
            <div class="actions">
                <button type="submit" class="button primary" disabled=move || save.pending().get()>{i18n.t(CommonText::Save)}</button>
            </div>
        </form>
    }
}

/// The assignee menu: "none" first, then the current assignee (who may be outside the caller's
/// list), then the agents the caller may assign to.
fn agent_options(
    none: (String, String),
    current: Option<(crate::auth::model::UserId, String)>,
    agents: Option<Vec<Agent>>,
) -> Vec<(String, String)> {
    let current_id = current.as_ref().map(|(id, _)| *id);
    let mut list = vec![none];
    list.extend(current.map(|(id, name)| (id.0.to_string(), name)));
    list.extend(
        agents
            .unwrap_or_default()
            .into_iter()
            .filter(|a| Some(a.id) != current_id)
            .map(|a| (a.id.0.to_string(), a.name)),
    );
    list
}

/// Edits a ticket's priority, category, customer and assignee. It keeps what it was opened
/// with: saving over a colleague's change is refused with their name.
#[component]
fn TicketEditForm(row: TicketRow, on_done: Callback<bool>) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let priority = RwSignal::new(row.priority);
    let category = RwSignal::new(row.category);
    let chosen = RwSignal::new(Some((row.customer_id, row.customer_name.clone())));
    let assignee = RwSignal::new(row.assignee_id.map(|a| a.0.to_string()).unwrap_or_default());
    let agents = Resource::new(|| (), |_| list_agents());
    let current = (row.assignee_id, row.assignee_name.clone());
    let agent_options = Signal::derive(move || {
        let none = (String::new(), i18n.text(TicketText::Unassigned).to_owned());
        let current = current.0.zip(current.1.clone());
        agent_options(none, current, agents.get().and_then(Result::ok))
    });
    let (id, version) = (row.id, row.version);
    let save = server_submission::<UpdateTicket>().on_success(move |()| {
        toasts.success(TicketText::Updated);
        on_done.run(true);
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // No customer chosen: the server names the field.
        let customer_id = chosen.get_untracked().map(|c| c.0).unwrap_or(CustomerId(0));
        save.submit(UpdateTicket {
            id,
            version,
            edit: TicketEdit {
                customer_id,
                category: category.get_untracked(),
                priority: priority.get_untracked(),
                assignee_id: assignee.get_untracked().parse().ok().map(crate::auth::model::UserId),
            },
        });
    };
    view! {
        <form class="form" data-testid="ticket-edit-form" on:submit=submit>
            <crate::customers::views::CustomerPicker label=i18n.t(TicketText::Customer) chosen error=save.field("customer_id")/>
            <div class="grid-2">
                <EnumSelect label=i18n.t(TicketText::Priority) name="edit_priority" value=priority text=priority_label error=save.field("priority")/>
                <EnumSelect label=i18n.t(TicketText::Category) name="edit_category" value=category text=category_label error=save.field("category")/>
                <Transition fallback=|| ()>
                    <SelectField label=i18n.t(TicketText::Assignee) name="edit_assignee" value=assignee options=agent_options error=save.field("assignee_id")/>
                </Transition>
            </div>
            <crate::ui::FormButtons submit=i18n.t(CommonText::Save) pending=save.pending() on_cancel=Callback::new(move |_| on_done.run(false))/>
        </form>
    }
}

/// A change written on the conversation, in the reader's language: "Priority: Normal → High".
fn change_text(body: &str, locale: crate::i18n::Locale) -> String {
    let Ok(change) = serde_json::from_str::<TicketChange>(body) else {
        return String::new();
    };
    let none = || "—".to_owned();
    let mut parts = Vec::new();
    let mut part = |label: TicketText, from: String, to: String| {
        let colon = if locale == crate::i18n::Locale::ZhCn { "：" } else { ": " };
        parts.push(format!("{}{colon}{from} → {to}", label.text(locale)));
    };
    if let Some((from, to)) = change.priority {
        let label = |text: &str| {
            TicketPriority::parse(text).map(|p| priority_label(p).text(locale).to_owned())
        };
        part(TicketText::Priority, label(&from).unwrap_or(from), label(&to).unwrap_or(to));
    }
    if let Some((from, to)) = change.category {
        let label =
            |text: &str| Category::parse(text).map(|c| category_label(c).text(locale).to_owned());
        part(TicketText::Category, label(&from).unwrap_or(from), label(&to).unwrap_or(to));
    }
    if let Some((from, to)) = change.customer {
        part(TicketText::Customer, from, to);
    }
    if let Some((from, to)) = change.assignee {
        part(TicketText::Assignee, from.unwrap_or_else(none), to.unwrap_or_else(none));
    }
    let mut text = parts.join(if locale == crate::i18n::Locale::ZhCn { "；" } else { "; " });
    if change.deadlines_moved {
        text.push_str(TicketText::DeadlinesMoved.text(locale));
    }
    text
}

/// `/tickets/:id`: the conversation, the SLA clocks, and the status actions, with the sections
/// other areas lend it below (`beside`: the ticket's tasks, given by the root).
#[component]
pub fn TicketPage(beside: fn(TicketId) -> AnyView) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let params = use_params_map();
    let id =
        Memo::new(move |_| params.with(|p| p.get("id").and_then(|v| v.parse().ok()).map(TicketId)));
    let changes = use_server_events().changes(Topic::Ticket);
    let local = RwSignal::new(0u32);
    let now = use_clock();
    // The reply being written lives here, outside the part redrawn when the ticket changes, so
    // a colleague's change (or one's own claim) does not wipe it. Another ticket starts afresh.
    let draft = ReplyDraft::new();
    Effect::new(move |previous: Option<Option<TicketId>>| {
        let current = id.get();
        if previous.is_some_and(|previous| previous != current) {
            draft.body.set(String::new());
        }
        current
    });
    let ticket = Resource::new(
        move || (id.get(), changes.get(), local.get()),
        |(id, _, _)| async move {
            match id {
                Some(id) => get_ticket(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let refresh = Callback::new(move |_| local.update(|v| *v += 1));
    // Either may be refused because someone else acted first: the ticket reloads either way.
    let claiming = server_submission::<ClaimTicket>()
        .on_success(move |()| {
            toasts.success(TicketText::Claimed);
            refresh.run(());
        })
        .on_failure(move || refresh.run(()));
    let status_change = server_submission::<SetTicketStatus>()
        .on_success(move |()| {
            toasts.success(TicketText::StatusChanged);
            refresh.run(());
        })
        .on_failure(move || refresh.run(()));
    let editing = crate::ui::EditDialog::<TicketRow>::new();
    let session = use_auth_session();
    let is_manager = move || session.current().is_some_and(|u| u.role.includes(Role::Manager));
    let navigate = leptos_router::hooks::use_navigate();
    let deleting = crate::ui::EditDialog::<TicketRow>::new();
    let deletion = server_submission::<DeleteTicket>()
        .on_success(move |()| {
            toasts.success(TicketText::TicketDeleted);
            navigate("/tickets", Default::default());
        })
        .on_failure(move || refresh.run(()));
    let delete = Callback::new(move |_: ()| {
        if let Some(row) = deleting.snapshot_untracked() {
            deletion.submit(DeleteTicket { id: row.id, version: row.version });
        }
    });
    let delete_title = move || {
        let (number, subject) =
            deleting.snapshot().map(|r| (r.id.0, r.subject)).unwrap_or_default();
        fill(
            i18n.text(TicketText::DeleteTicketTitle),
            &[("number", &number), ("subject", &subject)],
        )
    };
    view! {
        <section class="page ticket-page">
            <crate::ui::ConfirmDialog open=deleting.open testid="confirm-delete-ticket" title=delete_title
                message=i18n.t(TicketText::ConfirmDeleteTicket) confirm=i18n.t(TicketText::DeleteTicket)
                on_confirm=delete/>
            <crate::ui::Dialog open=editing.open title=i18n.t(TicketText::EditTicket) testid="ticket-edit">
                {move || editing.snapshot().map(|row| view! {
                    <TicketEditForm row on_done=Callback::new(move |saved: bool| {
                        editing.close();
                        if saved { refresh.run(()); }
                    })/>
                })}
            </crate::ui::Dialog>
            <ResourceView resource=ticket let:detail>
                {
                        let row = detail.row.clone();
                        let (tier_row, badge_row) = (row.clone(), row.clone());
                        let (id, version, status, priority) = (row.id, row.version, row.status, row.priority);
                        let claim = move |_| claiming.submit(ClaimTicket { id });
                        let move_to = move |to: TicketStatus| status_change.submit(SetTicketStatus { id, version, status: to });
                        let targets = match (detail.first_response_minutes, detail.resolution_minutes) {
                            (Some(first), Some(resolution)) => Some((first, resolution, detail.business_hours)),
                            _ => None,
                        };
                        view! {
                            <div class="page-head">
                                <div>
                                    <h1 data-testid="ticket-subject">{row.subject.clone()}</h1>
                                    <div class="badges">
                                        <span class="badge" data-testid="ticket-status">{move || status_label(status).text(i18n.locale())}</span>
                                        <span class=format!("badge priority-{}", priority.as_str())>{move || priority_label(priority).text(i18n.locale())}</span>
                                        <span class="badge">{let c = detail.row.category; move || category_label(c).text(i18n.locale())}</span>
                                        <span class="badge">{let c = detail.channel; move || channel_label(c).text(i18n.locale())}</span>
                                    </div>
                                </div>
                                <div class="actions">
                                    <button type="button" class="button" data-testid="edit-ticket" on:click={
                                        let row = row.clone();
                                        move |_| editing.open_with(row.clone())
                                    }>{i18n.t(CommonText::Edit)}</button>
                                    {row.assignee_id.is_none().then(|| view! { <button type="button" class="button" data-testid="claim" on:click=claim>{i18n.t(TicketText::Claim)}</button> })}
                                    {
                                        let row = row.clone();
                                        move || is_manager().then(|| {
                                            let row = row.clone();
                                            view! {
                                                <button type="button" class="button ghost" data-testid="delete-ticket"
                                                    on:click=move |_| deleting.open_with(row.clone())>{i18n.t(TicketText::DeleteTicket)}</button>
                                            }
                                        })
                                    }
                                    {status.next_choices().iter().map(|to| {
                                        let to = *to;
                                        view! {
                                            <button type="button" class="button" data-status=to.as_str() on:click=move |_| move_to(to)>
                                                {move || fill(TicketText::SetStatus.text(i18n.locale()), &[("status", &status_label(to).text(i18n.locale()))])}
                                            </button>
                                        }
                                    }).collect_view()}
                                </div>
                            </div>
                            <div class="grid-360">
                                <div class="card">
                                    <h2>{i18n.t(TicketText::Conversation)}</h2>
                                    {detail.survey_answer_id.map(|_| view! { <p class="notice">{i18n.t(TicketText::FollowsSurvey)}</p> })}
                                    <ol class="plain-list conversation" data-testid="conversation">
                                        {detail.messages.into_iter().map(|m| {
                                            let kind = m.kind;
                                            view! {
                                                <li class=format!("message message-{}", kind.as_str())>
                                                    <div class="muted small">
                                                        {match kind {
                                                            MessageKind::Customer => view! { <strong>{i18n.t(TicketText::FromCustomer)}</strong> }.into_any(),
                                                            _ => view! { <strong>{m.author_name.clone().unwrap_or_default()}</strong> }.into_any(),
                                                        }}
                                                        {(kind == MessageKind::Note).then(|| view! { <span class="badge">{i18n.t(TicketText::NoteBadge)}</span> })}
                                                        {(kind == MessageKind::Change).then(|| view! { <span class="badge">{i18n.t(TicketText::ChangeBadge)}</span> })}
                                                        " · "<Timestamp at=m.created_at/>
                                                        {m.email_from.clone().map(|address| view! {
                                                            " · "<span data-testid="email-from">{move || fill(i18n.text(TicketText::EmailFrom), &[("address", &address)])}</span>
                                                        })}
                                                        {m.email_status.map(|status| {
                                                            let error = m.email_error.clone().unwrap_or_default();
                                                            view! {
                                                                " · "<span class=format!("email-status email-{}", status.as_str()) data-testid="email-status">{move || match status {
                                                                    EmailStatus::Queued => i18n.text(TicketText::EmailQueued).to_owned(),
                                                                    EmailStatus::Sent => i18n.text(TicketText::EmailSent).to_owned(),
                                                                    EmailStatus::Failed => fill(i18n.text(TicketText::EmailFailed), &[("reason", &error)]),
                                                                }}</span>
                                                            }
                                                        })}
                                                    </div>
                                                    {if kind == MessageKind::Change {
                                                        let body = m.body.clone();
                                                        view! { <p class="message-body" data-testid="ticket-change">{move || change_text(&body, i18n.locale())}</p> }.into_any()
                                                    } else {
                                                        view! { <p class="message-body">{m.body.clone()}</p> }.into_any()
                                                    }}
                                                    {(!m.attachments.is_empty()).then(|| view! {
                                                        <ul class="attachments muted small" aria-label=move || i18n.text(TicketText::Attachments)>
                                                            {m.attachments.iter().map(|a| view! {
                                                                <li><a href=a.href() download=a.file_name.clone() rel="external" data-testid="attachment">{a.file_name.clone()}</a>
                                                                    " ("{a.content_type.clone()}", "{file_size(a.size_bytes)}")"</li>
                                                            }).collect_view()}
                                                        </ul>
                                                    })}
                                                </li>
                                            }
                                        }).collect_view()}
                                    </ol>
                                    <ReplyForm id draft on_done=refresh/>
                                </div>
                                <aside class="side-sections">
                                    <div class="card" data-testid="sla-panel">
                                        <h2>{i18n.t(TicketText::Sla)}</h2>
                                        <dl class="facts">
                                            <div><dt>{i18n.t(TicketText::Customer)}</dt><dd><A href=format!("/customers/{}", row.customer_id.0)>{row.customer_name.clone()}</A></dd></div>
                                            <div><dt>{i18n.t(TicketText::Tier)}</dt><dd data-testid="ticket-tier">{move || tier_name(&tier_row, i18n.locale())}</dd></div>
                                            <div><dt>{i18n.t(TicketText::Assignee)}</dt><dd data-testid="ticket-assignee">{row.assignee_name.clone().unwrap_or_else(|| "—".into())}</dd></div>
                                            <div><dt>{i18n.t(TicketText::FirstResponse)}</dt><dd data-testid="first-response-due">
                                                {match row.first_responded_at {
                                                    Some(at) => view! { <span class="sla sla-met">{move || i18n.text(TicketText::Sla)}" ✓ "<Timestamp at/></span> }.into_any(),
                                                    None => view! { <Timestamp at=row.first_response_due/> }.into_any(),
                                                }}
                                                {detail.first_response_breached.then(|| view! { <span class="sla sla-late">{i18n.t(TicketText::Breached)}</span> })}
                                            </dd></div>
                                            <div><dt>{i18n.t(TicketText::Resolution)}</dt><dd data-testid="resolution-due">
                                                <Timestamp at=row.resolution_due/>
                                                {detail.resolution_breached.then(|| view! { <span class="sla sla-late">{i18n.t(TicketText::Breached)}</span> })}
                                            </dd></div>
                                            <div><dt>{i18n.t(TicketText::Status)}</dt><dd><SlaBadge row=badge_row now/></dd></div>
                                        </dl>
                                        {targets.map(|(first, resolution, business)| view! {
                                            <p class="muted small" data-testid="sla-targets">
                                                {move || {
                                                    let l = i18n.locale();
                                                    format!("{} {}",
                                                        fill(TicketText::Policy.text(l), &[("first", &span_text(first as i64 * 60, l)), ("resolution", &span_text(resolution as i64 * 60, l))]),
                                                        if business { TicketText::BusinessHoursOnly.text(l) } else { TicketText::AroundTheClock.text(l) })
                                                }}
                                            </p>
                                        })}
                                        {(detail.reopen_count > 0).then(|| { let n = detail.reopen_count; view! { <p class="muted small">{move || fill(TicketText::Reopens.text(i18n.locale()), &[("n", &n)])}</p> } })}
                                    </div>
                                </aside>
                            </div>
                        }
                }
            </ResourceView>
            // Outside the transition: the sections load their own lists.
            {move || id.get().map(beside)}
        </section>
    }
}

/// A reply being written: its text and kind.
#[derive(Clone, Copy)]
struct ReplyDraft {
    body: RwSignal<String>,
    kind: RwSignal<MessageKind>,
}

impl ReplyDraft {
    fn new() -> Self {
        Self { body: RwSignal::new(String::new()), kind: RwSignal::new(MessageKind::Reply) }
    }
}

#[component]
fn ReplyForm(id: TicketId, draft: ReplyDraft, on_done: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let ReplyDraft { body, kind } = draft;
    let kinds: &'static [MessageKind] =
        &[MessageKind::Reply, MessageKind::Note, MessageKind::Customer];
    fn kind_label(kind: MessageKind) -> TicketText {
        match kind {
            MessageKind::Reply => TicketText::Reply,
            MessageKind::Note => TicketText::InternalNote,
            MessageKind::Customer => TicketText::CustomerMessage,
            MessageKind::Change => TicketText::ChangeBadge,
        }
    }
    let reply = server_submission::<ReplyToTicket>().on_success(move |()| {
        body.set(String::new());
        toasts.success(TicketText::Sent);
        on_done.run(());
    });
    let body_error = reply.field("body");
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        reply.submit(ReplyToTicket { id, kind: kind.get_untracked(), body: body.get_untracked() });
    };
    view! {
        <form class="form reply-form" data-testid="reply-form" on:submit=submit>
            <EnumSelect label=i18n.t(TicketText::MessageType) name="message_kind" value=kind text=kind_label choices=kinds error=reply.field("kind")/>
            <div class="field" class:field-invalid=move || body_error.with(Option::is_some)>
                <label for="field-reply">{i18n.t(TicketText::Reply)}</label>
                <textarea id="field-reply" name="reply" rows="4" prop:value=move || body.get() on:input=move |ev| body.set(event_target_value(&ev))></textarea>
                <span class="field-error">{body_error}</span>
            </div>
            <button type="submit" class="button primary" disabled=move || reply.pending().get()>{i18n.t(TicketText::Send)}</button>
        </form>
    }
}

/// The service section of the customer 360 page: open tickets, recent ones, the last score.
/// The page knows the customer's name (`customer_name`, `None` until loaded), which the form for
/// a new ticket shows.
#[component]
pub fn CustomerService(
    customer_id: CustomerId,
    #[prop(into)] customer_name: Signal<Option<String>>,
    version: Memo<(u64, u32)>,
) -> impl IntoView {
    let i18n = use_i18n();
    let changes = use_server_events().changes(Topic::Ticket);
    let local = RwSignal::new(0u32);
    let adding = RwSignal::new(false);
    let now = use_clock();
    let service = Resource::new(
        move || (customer_id, version.get(), changes.get(), local.get()),
        |(id, _, _, _)| get_customer_service(id),
    );
    view! {
        <div class="card" data-testid="customer-service">
            <div class="card-head">
                <h2>{i18n.t(TicketText::ServiceTickets)}</h2>
                <button type="button" class="button small" on:click=move |_| adding.update(|a| *a = !*a)>{i18n.t(TicketText::NewTicket)}</button>
            </div>
            {move || adding.get().then(|| customer_name.get().map(|name| view! {
                <TicketForm customer=Some((customer_id, name)) on_done=Callback::new(move |_| { adding.set(false); local.update(|v| *v += 1); })/>
            }))}
            <ResourceView resource=service let:s>
                {
                        let score = match (s.last_csat, s.last_nps) {
                            (None, None) => None,
                            (csat, nps) => Some(format!(
                                "CSAT {} · NPS {}",
                                csat.map(|c| c.to_string()).unwrap_or_else(|| "—".into()),
                                nps.map(|n| n.to_string()).unwrap_or_else(|| "—".into())
                            )),
                        };
                        view! {
                            <dl class="facts">
                                <div><dt>{i18n.t(TicketText::OpenTickets)}</dt><dd data-testid="open-tickets">{s.open_tickets}</dd></div>
                                <div><dt>{i18n.t(TicketText::LastSatisfaction)}</dt><dd data-testid="last-satisfaction">
                                    {match score { Some(text) => view! { <span>{text}</span> }.into_any(), None => view! { <span>{i18n.t(TicketText::NoneYet)}</span> }.into_any() }}
                                </dd></div>
                            </dl>
                            <ul class="plain-list">
                                {s.recent.into_iter().map(|row| {
                                    let status = row.status;
                                    let badge_row = row.clone();
                                    view! {
                                        <li data-testid="customer-ticket">
                                            <A href=format!("/tickets/{}", row.id.0)>{row.subject.clone()}</A>
                                            " "<span class="badge">{move || status_label(status).text(i18n.locale())}</span>
                                            " "<SlaBadge row=badge_row now/>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }
                }
            </ResourceView>
        </div>
    }
}

fn minutes_text(minutes: Option<f64>, locale: crate::i18n::Locale) -> String {
    minutes.map(|m| span_text((m * 60.0) as i64, locale)).unwrap_or_else(|| "—".into())
}

fn percent_text(value: Option<f64>) -> String {
    value.map(|v| format!("{v:.1}%")).unwrap_or_else(|| "—".into())
}

/// `/service`: service quality (managers).
#[component]
pub fn ServiceReportPage() -> impl IntoView {
    let i18n = use_i18n();
    let days = RwSignal::new("30".to_owned());
    let changes = use_server_events().changes(Topic::Ticket);
    let report = Resource::new(
        move || (days.get(), changes.get()),
        |(days, _)| get_service_report(days.parse().unwrap_or(30)),
    );
    let day_options = Signal::derive(move || {
        [7, 30, 90, 365]
            .into_iter()
            .map(|n| (n.to_string(), fill(TicketText::LastDays.text(i18n.locale()), &[("n", &n)])))
            .collect::<Vec<_>>()
    });
    view! {
        <section class="page">
            <div class="page-head">
                <h1>{i18n.t(TicketText::Report)}</h1>
                <SelectField label=i18n.t(TicketText::Week) name="days" value=days options=day_options/>
            </div>
            <ResourceView resource=report let:r>
                        <div class="card">
                            <dl class="facts key-facts" data-testid="service-report">
                                <div><dt>{i18n.t(TicketText::CreatedCount)}</dt><dd>{r.created}</dd></div>
                                <div><dt>{i18n.t(TicketText::ResolvedCount)}</dt><dd>{r.resolved}</dd></div>
                                <div><dt>{i18n.t(TicketText::FirstResponseTime)}</dt><dd>{move || format!("{} / {}", minutes_text(r.first_response_median_minutes, i18n.locale()), minutes_text(r.first_response_mean_minutes, i18n.locale()))}</dd></div>
                                <div><dt>{i18n.t(TicketText::ResolutionTime)}</dt><dd>{move || format!("{} / {}", minutes_text(r.resolution_median_minutes, i18n.locale()), minutes_text(r.resolution_mean_minutes, i18n.locale()))}</dd></div>
                                <div><dt>{i18n.t(TicketText::Attainment)}</dt><dd data-testid="attainment">{percent_text(r.sla_attainment_percent)}</dd></div>
                                <div><dt>{i18n.t(TicketText::Breaches)}</dt><dd>{r.breaches}</dd></div>
                                <div><dt>{i18n.t(TicketText::ReopenRate)}</dt><dd>{percent_text(r.reopen_rate_percent)}</dd></div>
                            </dl>
                        </div>
                        <div class="grid-2">
                            <div class="card table-wrap">
                                <h2>{i18n.t(TicketText::Backlog)}</h2>
                                <Table columns=vec![
                                    Column::new(i18n.t(TicketText::Assignee)),
                                    Column::new(i18n.t(TicketText::OpenCount)).numeric(),
                                    Column::new(i18n.t(TicketText::BreachingCount)).numeric(),
                                    Column::new(i18n.t(TicketText::WaitingCount)).numeric(),
                                ]>
                                    {r.backlog.into_iter().map(|b| view! {
                                        <tr><td>{b.agent_name.unwrap_or_else(|| i18n.text(TicketText::Unassigned).to_owned())}</td><td class="num">{b.open}</td><td class="num">{b.breaching}</td><td class="num">{b.waiting}</td></tr>
                                    }).collect_view()}
                                </Table>
                            </div>
                            <div class="card table-wrap">
                                <h2>{i18n.t(TicketText::ComplaintsSuggestions)}</h2>
                                <Table columns=vec![
                                    Column::new(i18n.t(TicketText::Week)),
                                    Column::new(i18n.t(TicketText::Category)),
                                    Column::new(i18n.t(TicketText::Count)).numeric(),
                                ]>
                                    {r.by_category.into_iter().map(|w| { let c = w.category; view! {
                                        <tr><td>{w.week.to_string()}</td><td>{move || category_label(c).text(i18n.locale())}</td><td class="num">{w.count}</td></tr>
                                    } }).collect_view()}
                                </Table>
                                <ul class="plain-list">{r.feedback.into_iter().map(|t| view! {
                                    <li><A href=format!("/tickets/{}", t.id.0)>{t.subject.clone()}</A>" · "{t.customer_name.clone()}</li>
                                }).collect_view()}</ul>
                            </div>
                        </div>
            </ResourceView>
        </section>
    }
}

fn weekday_label(day: u32) -> TicketText {
    match day {
        1 => TicketText::Mon,
        2 => TicketText::Tue,
        3 => TicketText::Wed,
        4 => TicketText::Thu,
        5 => TicketText::Fri,
        6 => TicketText::Sat,
        _ => TicketText::Sun,
    }
}

fn clock_text(minute: i32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

fn parse_clock(text: &str) -> Option<i32> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    ((0..=24).contains(&h) && (0..60).contains(&m) && h * 60 + m <= 1440).then_some(h * 60 + m)
}

/// `/admin/service`: business hours, holidays and SLA targets per priority and tier (admins).
#[component]
pub fn ServiceSettingsPage() -> impl IntoView {
    let i18n = use_i18n();
    let settings = Resource::new(|| (), |_| get_service_settings());
    view! {
        <section class="page">
            <h1>{i18n.t(TicketText::Settings)}</h1>
            <ResourceView resource=settings let:settings>
                <ServiceSettingsForm settings/>
            </ResourceView>
            <MailboxHealthCard/>
        </section>
    }
}

/// The service mailbox's health line.
#[component]
fn MailboxHealthCard() -> impl IntoView {
    let i18n = use_i18n();
    let health = Resource::new(|| (), |_| get_mailbox_health());
    view! {
        <div class="card" data-testid="mailbox-health">
            <h2>{i18n.t(TicketText::MailboxTitle)}</h2>
            <ResourceView resource=health let:health>
                {if health.configured {
                    view! {
                        <dl class="facts">
                            <div><dt>{i18n.t(TicketText::MailboxLastPoll)}</dt><dd>{health.last_poll_at.map(|at| view! { <Timestamp at/> })}</dd></div>
                            <div><dt>{i18n.t(TicketText::MailboxFetched)}</dt><dd data-testid="mailbox-fetched">{health.fetched}</dd></div>
                            <div><dt>{i18n.t(TicketText::MailboxImported)}</dt><dd data-testid="mailbox-imported">{health.imported}</dd></div>
                            <div><dt>{i18n.t(TicketText::MailboxTriage)}</dt><dd>{health.awaiting_triage}</dd></div>
                            {health.last_error.clone().map(|error| view! {
                                <div><dt>{i18n.t(TicketText::MailboxLastError)}</dt><dd class="error-text">{error}" "{health.last_error_at.map(|at| view! { <Timestamp at/> })}</dd></div>
                            })}
                        </dl>
                    }.into_any()
                } else {
                    view! { <p class="muted">{i18n.t(TicketText::MailboxNotConfigured)}</p> }.into_any()
                }}
            </ResourceView>
        </div>
    }
}

#[component]
fn ServiceSettingsForm(settings: ServiceSettings) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let calendar = settings.calendar.clone();
    let days = RwSignal::new(calendar.work_days.clone());
    let opens = RwSignal::new(clock_text(calendar.day_start_minute));
    let closes = RwSignal::new(clock_text(calendar.day_end_minute));
    let time_zone = calendar.time_zone.clone();
    let holidays = RwSignal::new(
        calendar.holidays.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n"),
    );
    let version = RwSignal::new(calendar.version);
    // Rows as text while editing: (priority, tier, first, resolution, business hours).
    let rows = RwSignal::new(
        settings
            .policies
            .iter()
            .map(|p| {
                (
                    p.priority,
                    p.tier_id,
                    p.first_response_minutes.to_string(),
                    p.resolution_minutes.to_string(),
                    p.business_hours,
                )
            })
            .collect::<Vec<_>>(),
    );
    let tiers = settings.tiers.clone();
    // The form's own checks fail the same way as the server's, at the same fields.
    let save = Submission::new(move |_: &()| {
        let mut errors = crate::error::FieldErrors::new();
        let start = parse_clock(&opens.get_untracked());
        let end = parse_clock(&closes.get_untracked());
        if start.is_none() {
            errors.add("day_start_minute", crate::error::FieldError::InvalidNumber);
        }
        if end.is_none() {
            errors.add("day_end_minute", crate::error::FieldError::InvalidNumber);
        }
        let holiday_list: Vec<_> = holidays
            .get_untracked()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| chrono::NaiveDate::parse_from_str(l.trim(), "%Y-%m-%d"))
            .collect();
        if holiday_list.iter().any(Result::is_err) {
            errors.add("holidays", crate::error::FieldError::InvalidDate);
        }
        let policies: Vec<SlaPolicy> = rows
            .get_untracked()
            .into_iter()
            .map(|(priority, tier_id, first, resolution, business_hours)| SlaPolicy {
                id: None,
                priority,
                tier_id,
                first_response_minutes: first.trim().parse().unwrap_or(0),
                resolution_minutes: resolution.trim().parse().unwrap_or(0),
                business_hours,
            })
            .collect();
        let checked = errors.into_result();
        let calendar = BusinessCalendar {
            time_zone: time_zone.clone(),
            work_days: days.get_untracked(),
            day_start_minute: start.unwrap_or(540),
            day_end_minute: end.unwrap_or(1080),
            holidays: holiday_list.into_iter().filter_map(Result::ok).collect(),
            version: version.get_untracked(),
        };
        async move {
            checked?;
            save_service_settings(calendar, policies).await
        }
    })
    .shows_fields_under("policy.")
    .on_success(move |()| {
        version.update(|v| *v += 1);
        toasts.success(TicketText::Saved);
    });
    let failure = save.failure();
    let tier_label = {
        let tiers = tiers.clone();
        move |tier: Option<i64>, locale: crate::i18n::Locale| match tier {
            None => TicketText::AllTiers.text(locale).to_owned(),
            Some(id) => tiers
                .iter()
                .find(|(t, _, _)| *t == id)
                .map(
                    |(_, zh, en)| {
                        if locale == crate::i18n::Locale::ZhCn { zh.clone() } else { en.clone() }
                    },
                )
                .unwrap_or_else(|| id.to_string()),
        }
    };
    view! {
        <div class="card form" data-testid="service-settings">
            <h2>{i18n.t(TicketText::BusinessHours)}</h2>
            <fieldset class="inline-form">
                <legend>{i18n.t(TicketText::WorkDays)}</legend>
                {(1..=7u32).map(|d| view! {
                    <label class="field-checkbox">
                        <input type="checkbox" prop:checked=move || days.with(|s| s.contains(&d))
                            on:change=move |ev| { let on = event_target_checked(&ev); days.update(|s| { s.retain(|x| *x != d); if on { s.push(d); s.sort_unstable(); } }); }/>
                        <span>{move || weekday_label(d).text(i18n.locale())}</span>
                    </label>
                }).collect_view()}
            </fieldset>
            <div class="grid-2">
                <TextField label=i18n.t(TicketText::OpensAt) name="opens" input_type="time" value=opens error=save.field("day_start_minute")/>
                <TextField label=i18n.t(TicketText::ClosesAt) name="closes" input_type="time" value=closes error=save.field("day_end_minute")/>
                <p class="muted" data-testid="calendar-zone">{i18n.t(TicketText::CalendarZone)}" "<a href="/admin/company">{calendar.time_zone.clone()}</a></p>
            </div>
            <div class="field">
                <label for="field-holidays">{i18n.t(TicketText::Holidays)}</label>
                <textarea id="field-holidays" rows="3" prop:value=move || holidays.get() on:input=move |ev| holidays.set(event_target_value(&ev))></textarea>
                <span class="field-error">{save.field("holidays")}</span>
            </div>
            <h2>{i18n.t(TicketText::Policies)}</h2>
            <Table testid="sla-policies" columns=vec![
                Column::new(i18n.t(TicketText::Tier)),
                Column::new(i18n.t(TicketText::Priority)),
                Column::new(i18n.t(TicketText::FirstResponseMinutes)),
                Column::new(i18n.t(TicketText::ResolutionMinutes)),
                Column::new(i18n.t(TicketText::CountBusinessHours)),
            ]>
                    {move || rows.get().into_iter().enumerate().map(|(n, (priority, tier, first, resolution, business))| {
                        let tier_label = tier_label.clone();
                        view! {
                            <tr data-tier=tier.map(|t| t.to_string()).unwrap_or_default() data-priority=priority.as_str()>
                                <td>{move || tier_label(tier, i18n.locale())}</td>
                                <td>{move || priority_label(priority).text(i18n.locale())}</td>
                                <td>
                                    <input type="number" min="1" name=format!("first_{n}") prop:value=first aria-label=move || i18n.text(TicketText::FirstResponseMinutes)
                                        on:change=move |ev| rows.update(|r| r[n].2 = event_target_value(&ev))/>
                                    <span class="field-error">{field_message(failure, format!("policy.{n}.first_response_minutes"))}</span>
                                </td>
                                <td>
                                    <input type="number" min="1" name=format!("resolution_{n}") prop:value=resolution aria-label=move || i18n.text(TicketText::ResolutionMinutes)
                                        on:change=move |ev| rows.update(|r| r[n].3 = event_target_value(&ev))/>
                                    <span class="field-error">{field_message(failure, format!("policy.{n}.resolution_minutes"))}</span>
                                </td>
                                <td><input type="checkbox" prop:checked=business aria-label=move || i18n.text(TicketText::CountBusinessHours)
                                    on:change=move |ev| rows.update(|r| r[n].4 = event_target_checked(&ev))/></td>
                            </tr>
                        }
                    }).collect_view()}
            </Table>
            <div class="actions">
                <button type="button" class="button primary" disabled=move || save.pending().get() on:click=move |_| save.submit(())>{i18n.t(CommonText::Save)}</button>
            </div>
        </div>
    }
}

/// "812 B", "3.4 KB", "2.1 MB".
fn file_size(bytes: i32) -> String {
    match bytes {
        ..1024 => format!("{bytes} B"),
        1024..1_048_576 => format!("{:.1} KB", f64::from(bytes) / 1024.0),
        _ => format!("{:.1} MB", f64::from(bytes) / 1_048_576.0),
    }
}

/// `/tickets/triage`: emails from addresses that are no customer's. Each becomes a ticket for the
/// customer the agent picks (replies to that thread then continue it), or is dismissed.
#[component]
pub fn TriagePage() -> impl IntoView {
    let i18n = use_i18n();
    let local = RwSignal::new(0u32);
    let reload = Callback::new(move |_| local.update(|n| *n += 1));
    let pages = PagedList::new(move || local.get(), |_, before| list_triage(before));
    let opening = crate::ui::EditDialog::<InboundEmail>::new();
    let columns = vec![
        Column::new(i18n.t(TicketText::From)),
        Column::new(i18n.t(TicketText::Subject)),
        Column::new(i18n.t(TicketText::Received)),
        Column::blank(),
    ];
    view! {
        <section class="page">
            <div class="page-head">
                <h1>{i18n.t(TicketText::Triage)}</h1>
                <A href="/tickets" attr:class="button">{i18n.t(TicketText::Tickets)}</A>
            </div>
            <p class="hint">{i18n.t(TicketText::TriageHelp)}</p>
            <PagedTable list=pages columns testid="triage" empty=i18n.t(TicketText::NoTriage)
                row=move |email| view! { <TriageRow email opening on_done=reload/> }/>
            <crate::ui::Dialog open=opening.open title=i18n.t(TicketText::OpenTicket) testid="triage-open">
                {move || opening.snapshot().map(|email| view! {
                    <OpenFromEmail email on_done=Callback::new(move |_| { opening.close(); reload.run(()); })/>
                })}
            </crate::ui::Dialog>
        </section>
    }
}

#[component]
fn TriageRow(
    email: InboundEmail,
    opening: crate::ui::EditDialog<InboundEmail>,
    on_done: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let id = email.id;
    let dismiss = server_submission::<TriageEmail>()
        .on_success(move |_| {
            toasts.success(TicketText::Dismissed);
            on_done.run(());
        })
        .on_failure(move || on_done.run(()));
    let excerpt: String = email.body.chars().take(400).collect();
    let for_dialog = email.clone();
    view! {
        <tr data-testid="triage-email">
            <td>
                {email.from_name.clone().map(|n| view! { <strong>{n}</strong><br/> })}
                <span class="small">{email.from_address.clone()}</span>
            </td>
            <td>
                <strong>{email.subject.clone()}</strong><p class="muted small message-body">{excerpt}</p>
                {(!email.file_names.is_empty()).then(|| view! {
                    <p class="small" data-testid="triage-files">"📎 "{email.file_names.join(" · ")}</p>
                })}
            </td>
            <td class="small"><Timestamp at=email.received_at/></td>
            <td class="row-actions">
                <button type="button" class="button small primary"
                    on:click=move |_| opening.open_with(for_dialog.clone())>{i18n.t(TicketText::OpenTicketFor)}</button>
                <button type="button" class="button small ghost"
                    on:click=move |_| dismiss.submit(TriageEmail { id, customer_id: None })>{i18n.t(TicketText::Dismiss)}</button>
            </td>
        </tr>
    }
}

/// Picks the customer an email is from and opens its ticket, then shows the ticket.
#[component]
fn OpenFromEmail(email: InboundEmail, on_done: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let navigate = leptos_router::hooks::use_navigate();
    let chosen = RwSignal::new(None::<(CustomerId, String)>);
    let id = email.id;
    let open = server_submission::<TriageEmail>().on_success(move |ticket: Option<TicketId>| {
        toasts.success(TicketText::Created);
        on_done.run(());
        if let Some(ticket) = ticket {
            navigate(&format!("/tickets/{}", ticket.0), Default::default());
        }
    });
    // Without a customer the same request would dismiss the email: asked for here instead.
    let missing = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match chosen.get_untracked() {
            Some((customer, _)) => open.submit(TriageEmail { id, customer_id: Some(customer) }),
            None => missing.set(true),
        }
    };
    let refused = open.field("customer_id");
    let error = Signal::derive(move || {
        let required = crate::error::FieldError::Required;
        (missing.get() && chosen.with(Option::is_none))
            .then(|| crate::i18n::field_error_text(&required, i18n.locale()))
            .or_else(|| refused.get())
    });
    view! {
        <form class="form" on:submit=submit>
            <p><strong>{email.subject.clone()}</strong>" · "<span class="small">{email.from_address.clone()}</span></p>
            <crate::customers::views::CustomerPicker label=i18n.t(TicketText::Customer) chosen error/>
            <crate::ui::FormButtons submit=i18n.t(TicketText::OpenTicket) pending=open.pending() on_cancel=on_done/>
        </form>
    }
}
