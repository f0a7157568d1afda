//! Logging an interaction (a 360 quick action) and the 360 interactions tab.

use super::{api::*, model::*};
use crate::{
    customers::model::{Contact, ContactId, CustomerId},
    i18n::{CustomerText, OrderText, use_i18n},
    ui::{
        EnumSelect, ResourceView, SelectField, TextField, Timestamp, server_submission, use_toasts,
    },
};
use leptos::prelude::*;

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
    let kind = RwSignal::new(InteractionKind::Call);
    let direction = RwSignal::new(Direction::Outbound);
    let contact = RwSignal::new(String::new());
    let subject = RwSignal::new(String::new());
    let outcome = RwSignal::new(String::new());
    let next_step = RwSignal::new(String::new());
    let next_due = RwSignal::new(String::new());
    let save = server_submission::<LogInteraction>().on_success(move |_| {
        toasts.success(OrderText::InteractionLogged);
        on_done.run(());
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = InteractionInput {
            customer_id,
            contact_id: contact.get_untracked().parse().ok().map(ContactId),
            kind: kind.get_untracked(),
            direction: direction.get_untracked(),
            occurred_at: None,
            subject: subject.get_untracked(),
            outcome: outcome.get_untracked(),
            next_step: next_step.get_untracked(),
            next_step_due: next_due.get_untracked().parse().ok(),
        };
        save.submit(LogInteraction { input });
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
                <EnumSelect label=i18n.t(OrderText::InteractionKind) name="interaction_kind" value=kind text=kind_label error=save.field("kind")/>
                <EnumSelect label=i18n.t(OrderText::Direction) name="direction" value=direction text=direction_label error=save.field("direction")/>
                <SelectField label=i18n.t(OrderText::Contact) name="contact" value=contact options=Signal::derive(contact_options) error=save.field("contact_id")/>
            </div>
            <TextField label=i18n.t(OrderText::Subject) name="subject" value=subject error=save.field("subject") required=true/>
            <TextField label=i18n.t(OrderText::Outcome) name="outcome" value=outcome error=save.field("outcome")/>
            <div class="grid-2">
                <TextField label=i18n.t(OrderText::NextStep) name="next_step" value=next_step error=save.field("next_step")/>
                <TextField label=i18n.t(OrderText::NextStepDue) name="next_step_due" input_type="date" value=next_due error=save.field("next_step_due")/>
            </div>
            <div class="actions"><button type="submit" class="button primary" disabled=move || save.pending().get()>{i18n.t(CustomerText::LogInteraction)}</button></div>
        </form>
    }
}

/// The 360 interactions tab.
#[component]
pub fn InteractionList(customer_id: CustomerId, version: Memo<(u64, u32)>) -> impl IntoView {
    let i18n = use_i18n();
    let items = Resource::new(move || version.get(), move |_| list_interactions(customer_id, None));
    view! {
        <ResourceView resource=items let:page>
            {match page {
                page if page.items.is_empty() => view! { <p class="empty">{i18n.t(CustomerText::NothingYet)}</p> }.into_any(),
                page => view! {
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
            }}
        </ResourceView>
    }
}
