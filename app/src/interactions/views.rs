//! Logging an interaction (a 360 quick action) and the 360 interactions tab.

use super::{api::*, model::*};
use crate::{
    customers::model::{Contact, ContactId, CustomerId},
    i18n::{CustomerText, OrderText, fill, use_i18n},
    ui::{
        ConfirmDialog, Dialog, EditDialog, EnumSelect, ResourceView, SelectField, TextField,
        Timestamp, server_submission, use_toasts,
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
    view! { <InteractionForm customer_id contacts editing=None on_done/> }
}

/// The interaction form, logging a new one or editing `editing` from the version it was read at.
#[component]
fn InteractionForm(
    customer_id: CustomerId,
    contacts: Vec<Contact>,
    editing: Option<Interaction>,
    on_done: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let start = editing
        .as_ref()
        .map(Interaction::edit_input)
        .unwrap_or_else(|| InteractionInput { customer_id, ..Default::default() });
    let target = editing.as_ref().map(|i| (i.id, i.version));
    let scope: &'static str = if target.is_some() { "edit-" } else { "" };
    let kind = RwSignal::new(start.kind);
    let direction = RwSignal::new(start.direction);
    let contact = RwSignal::new(start.contact_id.map(|c| c.0.to_string()).unwrap_or_default());
    let subject = RwSignal::new(start.subject.clone());
    let outcome = RwSignal::new(start.outcome.clone());
    let next_step = RwSignal::new(start.next_step.clone());
    let next_due = RwSignal::new(start.next_step_due.map(|d| d.to_string()).unwrap_or_default());
    let log = server_submission::<LogInteraction>().on_success(move |_| {
        toasts.success(OrderText::InteractionLogged);
        on_done.run(());
    });
    let edit = server_submission::<UpdateInteraction>().on_success(move |()| {
        toasts.success(OrderText::InteractionSaved);
        on_done.run(());
    });
    let field = move |name: &str| if target.is_some() { edit.field(name) } else { log.field(name) };
    let pending = Signal::derive(move || log.pending().get() || edit.pending().get());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = InteractionInput {
            customer_id,
            contact_id: contact.get_untracked().parse().ok().map(ContactId),
            kind: kind.get_untracked(),
            direction: direction.get_untracked(),
            occurred_at: start.occurred_at,
            subject: subject.get_untracked(),
            outcome: outcome.get_untracked(),
            next_step: next_step.get_untracked(),
            next_step_due: next_due.get_untracked().parse().ok(),
        };
        match target {
            Some((id, version)) => edit.submit(UpdateInteraction { id, version, input }),
            None => log.submit(LogInteraction { input }),
        }
    };
    let contact_options = {
        let contacts = contacts.clone();
        move || {
            std::iter::once((String::new(), i18n.text(OrderText::NoContact).to_owned()))
                .chain(contacts.iter().map(|c| (c.id.0.to_string(), c.name.clone())))
                .collect::<Vec<_>>()
        }
    };
    let editing_one = target.is_some();
    view! {
        <form class="form" on:submit=submit data-testid=if editing_one { "interaction-edit-form" } else { "interaction-form" }>
            <div class="grid-3">
                <EnumSelect label=i18n.t(OrderText::InteractionKind) name="interaction_kind" scope value=kind text=kind_label error=field("kind")/>
                <EnumSelect label=i18n.t(OrderText::Direction) name="direction" scope value=direction text=direction_label error=field("direction")/>
                <SelectField label=i18n.t(OrderText::Contact) name="contact" scope value=contact options=Signal::derive(contact_options) error=field("contact_id")/>
            </div>
            <TextField label=i18n.t(OrderText::Subject) name="subject" scope value=subject error=field("subject") required=true/>
            <TextField label=i18n.t(OrderText::Outcome) name="outcome" scope value=outcome error=field("outcome")/>
            <div class="grid-2">
                <TextField label=i18n.t(OrderText::NextStep) name="next_step" scope value=next_step error=field("next_step")/>
                <TextField label=i18n.t(OrderText::NextStepDue) name="next_step_due" scope input_type="date" value=next_due error=field("next_step_due")/>
            </div>
            <div class="actions"><button type="submit" class="button primary" disabled=move || pending.get()>
                {move || if editing_one { i18n.text(crate::i18n::CommonText::Save) } else { i18n.text(CustomerText::LogInteraction) }}
            </button></div>
        </form>
    }
}

/// The 360 interactions tab; each interaction can be edited in a dialog (outside the list's own
/// loading, so a live reload never replaces what someone is typing) or moved to the recycle bin.
#[component]
pub fn InteractionList(
    customer_id: CustomerId,
    version: Memo<(u64, u32)>,
    #[prop(into)] contacts: Signal<Vec<Contact>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let reloads = RwSignal::new(0u32);
    let items = Resource::new(
        move || (version.get(), reloads.get()),
        move |_| list_interactions(customer_id, None),
    );
    let editing = EditDialog::<Interaction>::new();
    let toasts = use_toasts();
    let deleting = EditDialog::<Interaction>::new();
    let reload = move || reloads.update(|n| *n += 1);
    let deletion = server_submission::<DeleteInteraction>()
        .on_success(move |()| {
            toasts.success(OrderText::InteractionDeleted);
            reload();
        })
        .on_failure(reload);
    let delete = Callback::new(move |_: ()| {
        if let Some(interaction) = deleting.snapshot_untracked() {
            deletion.submit(DeleteInteraction { id: interaction.id, version: interaction.version });
        }
    });
    let delete_title = move || {
        let subject = deleting.snapshot().map(|i| i.subject).unwrap_or_default();
        fill(i18n.text(OrderText::DeleteInteractionTitle), &[("subject", &subject)])
    };
    view! {
        <ConfirmDialog open=deleting.open testid="confirm-delete-interaction" title=delete_title
            message=i18n.t(OrderText::ConfirmDeleteInteraction) confirm=i18n.t(OrderText::DeleteInteraction)
            on_confirm=delete/>
        <ResourceView resource=items let:page>
            {match page {
                page if page.items.is_empty() => view! { <p class="empty">{i18n.t(CustomerText::NothingYet)}</p> }.into_any(),
                page => view! {
                    <ul class="interactions" data-testid="interactions">
                        {page.items.into_iter().map(|i| {
                            let for_edit = i.clone();
                            let for_delete = i.clone();
                            view! {
                            <li class="interaction" data-testid="interaction">
                                <div>
                                    <span class="badge">{i18n.t(kind_label(i.kind))}</span>
                                    <span class="badge muted">{i18n.t(direction_label(i.direction))}</span>
                                    <strong>{i.subject.clone()}</strong>
                                    " "<button type="button" class="button small ghost" data-testid="edit-interaction"
                                        on:click=move |_| editing.open_with(for_edit.clone())>{i18n.t(crate::i18n::CommonText::Edit)}</button>
                                    <button type="button" class="button small ghost" data-testid="delete-interaction"
                                        on:click=move |_| deleting.open_with(for_delete.clone())>{i18n.t(OrderText::DeleteInteraction)}</button>
                                </div>
                                {i.outcome.clone().map(|o| view! { <p>{o}</p> })}
                                {i.next_step.clone().map(|n| view! { <p class="next-step">"→ "{n}{i.next_step_due.map(|d| format!(" ({d})"))}</p> })}
                                <div class="muted small">
                                    <Timestamp at=i.occurred_at/>
                                    {i.contact_name.clone().map(|c| format!(" · {c}"))}
                                    {i.created_by_name.clone().map(|c| format!(" · {c}"))}
                                </div>
                            </li>
                        }}).collect_view()}
                    </ul>
                }.into_any(),
            }}
        </ResourceView>
        <Dialog open=editing.open title=i18n.t(OrderText::EditInteraction) testid="interaction-edit">
            {move || editing.snapshot().map(|interaction| view! {
                <InteractionForm customer_id contacts=contacts.get_untracked() editing=Some(interaction)
                    on_done=Callback::new(move |_| { editing.close(); reloads.update(|n| *n += 1); })/>
            })}
        </Dialog>
    }
}
