//! Logging an interaction (a 360 quick action) and the 360 interactions tab.

use super::{api::*, model::*};
use crate::{
    customers::model::{Contact, ContactId, CustomerId},
    error::AppError,
    i18n::{CustomerText, OrderText, use_i18n},
    ui::{ErrorNotice, Loading, SelectField, TextField, Timestamp, field_message, use_toasts},
};
use leptos::{prelude::*, task::spawn_local};

pub fn kind_label(kind: InteractionKind) -> OrderText {
    match kind {
        InteractionKind::Call => OrderText::KindCall,
        InteractionKind::Email => OrderText::KindEmail,
        InteractionKind::Meeting => OrderText::KindMeeting,
        InteractionKind::Visit => OrderText::KindVisit,
        InteractionKind::Wechat => OrderText::KindWechat,
        InteractionKind::Note => OrderText::KindNote,
    }
}

pub fn direction_label(direction: Direction) -> OrderText {
    match direction {
        Direction::Inbound => OrderText::DirectionInbound,
        Direction::Outbound => OrderText::DirectionOutbound,
        Direction::Internal => OrderText::DirectionInternal,
    }
}

/// The log-an-interaction form.
#[component]
pub fn LogInteractionForm(
    customer_id: CustomerId,
    contacts: Vec<Contact>,
    on_done: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let kind = RwSignal::new(InteractionKind::Call.as_str().to_owned());
    let direction = RwSignal::new(Direction::Outbound.as_str().to_owned());
    let contact = RwSignal::new(String::new());
    let subject = RwSignal::new(String::new());
    let outcome = RwSignal::new(String::new());
    let next_step = RwSignal::new(String::new());
    let next_due = RwSignal::new(String::new());
    let failure = RwSignal::new(None::<AppError>);
    let fail = Signal::from(failure);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = InteractionInput {
            customer_id,
            contact_id: contact.get_untracked().parse().ok().map(ContactId),
            kind: InteractionKind::parse(&kind.get_untracked()).unwrap_or_default(),
            direction: Direction::parse(&direction.get_untracked()).unwrap_or_default(),
            occurred_at: None,
            subject: subject.get_untracked(),
            outcome: outcome.get_untracked(),
            next_step: next_step.get_untracked(),
            next_step_due: next_due.get_untracked().parse().ok(),
        };
        spawn_local(async move {
            match log_interaction(input).await {
                Ok(_) => {
                    toasts.success(OrderText::InteractionLogged);
                    on_done.run(());
                }
                Err(error) => toasts.form_failed(failure, error),
            }
        });
    };
    let contact_options = {
        let contacts = contacts.clone();
        move || {
            std::iter::once((String::new(), i18n.text(OrderText::NoContact).to_owned()))
                .chain(contacts.iter().map(|c| (c.id.0.to_string(), c.name.clone())))
                .collect::<Vec<_>>()
        }
    };
    view! {
        <form class="form" on:submit=submit data-testid="interaction-form">
            <div class="grid-3">
                <SelectField label=i18n.t(OrderText::InteractionKind) name="interaction_kind" value=kind
                    options=Signal::derive(move || InteractionKind::ALL.iter().map(|k| (k.as_str().to_owned(), i18n.text(kind_label(*k)).to_owned())).collect::<Vec<_>>())/>
                <SelectField label=i18n.t(OrderText::Direction) name="direction" value=direction
                    options=Signal::derive(move || Direction::ALL.iter().map(|d| (d.as_str().to_owned(), i18n.text(direction_label(*d)).to_owned())).collect::<Vec<_>>())/>
                <SelectField label=i18n.t(OrderText::Contact) name="contact" value=contact options=Signal::derive(contact_options)/>
            </div>
            <TextField label=i18n.t(OrderText::Subject) name="subject" value=subject error=field_message(fail, "subject") required=true/>
            <TextField label=i18n.t(OrderText::Outcome) name="outcome" value=outcome error=field_message(fail, "outcome")/>
            <div class="grid-2">
                <TextField label=i18n.t(OrderText::NextStep) name="next_step" value=next_step error=field_message(fail, "next_step")/>
                <TextField label=i18n.t(OrderText::NextStepDue) name="next_step_due" input_type="date" value=next_due/>
            </div>
            <div class="actions"><button type="submit" class="button primary">{i18n.t(CustomerText::LogInteraction)}</button></div>
        </form>
    }
}

/// The 360 interactions tab.
#[component]
pub fn InteractionList(customer_id: CustomerId, version: Memo<(u64, u32)>) -> impl IntoView {
    let i18n = use_i18n();
    let items = Resource::new(move || version.get(), move |_| list_interactions(customer_id, None));
    view! {
        <Transition fallback=|| view! { <Loading/> }>
            {move || items.get().map(|result| match result {
                Err(error) => view! { <ErrorNotice error/> }.into_any(),
                Ok(page) if page.items.is_empty() => view! { <p class="empty">{i18n.t(CustomerText::NothingYet)}</p> }.into_any(),
                Ok(page) => view! {
                    <ul class="interactions" data-testid="interactions">
                        {page.items.into_iter().map(|i| view! {
                            <li class="interaction">
                                <div>
                                    <span class="badge">{i18n.t(kind_label(i.kind))}</span>
                                    <span class="badge muted">{i18n.t(direction_label(i.direction))}</span>
                                    <strong>{i.subject.clone()}</strong>
                                </div>
                                {i.outcome.clone().map(|o| view! { <p>{o}</p> })}
                                {i.next_step.clone().map(|n| view! { <p class="next-step">"→ "{n}{i.next_step_due.map(|d| format!(" ({d})"))}</p> })}
                                <div class="muted small">
                                    <Timestamp at=i.occurred_at/>
                                    {i.contact_name.clone().map(|c| format!(" · {c}"))}
                                    {i.created_by_name.clone().map(|c| format!(" · {c}"))}
                                </div>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any(),
            })}
        </Transition>
    }
}
