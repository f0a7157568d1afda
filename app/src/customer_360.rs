//! `/customers/:id`, the customer 360 view, composed at the root: the customer's own header,
//! facts, contacts and timeline, with the tabs and cards the other areas lend it (orders,
//! interactions, opportunities, tasks, tickets, tier, membership, recommendations). Only this
//! file names them all; an area adds its card here and nowhere in `customers`.

use crate::{
    auth::{model::Role, views::use_auth_session},
    customers::{
        api::{DeleteCustomer, get_customer},
        views::{ContactsView, KeyFacts, OwnerForm, StatusBadges, TagForm, TimelineView, param_id},
    },
    error::AppError,
    events::{Topic, use_server_events},
    i18n::{CommonText, CustomerText, Locale, OrderText, Text, fill, use_i18n},
    interactions::views::{InteractionList, LogInteractionForm},
    orders::views::{AddOrderForm, OrderList, Recommendations},
    ui::{ConfirmDialog, ResourceView, server_submission, use_toasts},
};
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_navigate};
use std::sync::Arc;

/// The sections of the 360 page below the header, in tab order. A domain adds its tab here.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Tab {
    Timeline,
    Contacts,
    Orders,
    Interactions,
}

impl Tab {
    const ALL: [Tab; 4] = [Tab::Timeline, Tab::Contacts, Tab::Orders, Tab::Interactions];

    fn label(self) -> &'static dyn Fn(Locale) -> &'static str {
        match self {
            Tab::Timeline => &|l| CustomerText::Timeline.text(l),
            Tab::Contacts => &|l| CustomerText::Contacts.text(l),
            Tab::Orders => &|l| OrderText::Order.text(l),
            Tab::Interactions => &|l| OrderText::Interactions.text(l),
        }
    }
}

/// `/customers/:id`: the customer 360 view.
#[component]
pub fn CustomerPage() -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let session = use_auth_session();
    let navigate = use_navigate();
    let id = param_id();
    let changes = use_server_events().changes(Topic::Customer);
    // Local writes refresh at once; other people's arrive through the change events, except
    // while a quick-action form is open: redrawing the page would wipe what is being typed.
    // Closing the form (or saving it) catches up.
    let local = RwSignal::new(0u32);
    let action = RwSignal::new(None::<&'static str>);
    let version = Memo::new(move |previous: Option<&(u64, u32)>| {
        let local = local.get();
        match (action.get(), previous) {
            (Some(_), Some(&(seen, _))) => (seen, local),
            _ => (changes.get(), local),
        }
    });
    let customer = Resource::new(
        move || (id.get(), version.get()),
        |(id, _)| async move {
            match id {
                Some(id) => get_customer(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    // The cards other areas lend need the name for their forms: from here, not a fetch of
    // their own.
    let customer_name = Memo::new(move |_| {
        customer.with(|loaded| loaded.as_ref()?.as_ref().ok().map(|detail| detail.name.clone()))
    });
    // The interactions tab edits an interaction's contact among the customer's own.
    let contacts = Signal::derive(move || {
        customer.with(|loaded| {
            loaded
                .as_ref()
                .and_then(|r| r.as_ref().ok())
                .map(|d| d.contacts.clone())
                .unwrap_or_default()
        })
    });
    let tab = RwSignal::new(Tab::Timeline);
    let refresh = Callback::new(move |_: ()| {
        local.update(|v| *v += 1);
        action.set(None);
    });
    let can_delete = move || session.current().is_some_and(|u| u.role.includes(Role::Manager));
    let confirming_delete = RwSignal::new(false);
    let deletion = server_submission::<DeleteCustomer>().on_success(move |()| {
        toasts.success(CustomerText::Deleted);
        navigate("/customers", Default::default());
    });
    let delete = Callback::new(move |_: ()| {
        if let Some(id) = id.get_untracked() {
            deletion.submit(DeleteCustomer { id });
        }
    });

    let header = move |c: crate::customers::model::CustomerDetail| {
        let id = c.id;
        let detail = Arc::new(c);
        let d = detail.clone();
        view! {
            <div class="page-head">
                <div>
                    <h1 data-testid="customer-name">{d.name.clone()}</h1>
                    <div class="badges">
                        <StatusBadges customer_type=d.customer_type status=d.status stage=d.stage/>
                        {d.do_not_contact.then(|| view! { <span class="badge danger" data-testid="do-not-contact">{i18n.t(crate::i18n::CustomerText::DoNotContactShort)}</span> })}
                    </div>
                </div>
                <div class="actions">
                    <A href=format!("/customers/{}/edit", id.0) attr:class="button">{i18n.t(CommonText::Edit)}</A>
                    <Show when=can_delete><button type="button" class="button ghost" data-testid="delete-customer" on:click=move |_| confirming_delete.set(true)>{i18n.t(CustomerText::Delete)}</button></Show>
                </div>
            </div>
            <KeyFacts detail=detail.clone()/>
            <div class="card quick-actions">
                <h2>{i18n.t(CustomerText::QuickActions)}</h2>
                <div class="actions">
                    <button type="button" class="button" on:click=move |_| action.set(Some("interaction"))>{i18n.t(CustomerText::LogInteraction)}</button>
                    <button type="button" class="button" on:click=move |_| action.set(Some("order"))>{i18n.t(CustomerText::AddOrder)}</button>
                    <button type="button" class="button" on:click=move |_| action.set(Some("owner"))>{i18n.t(CustomerText::ChangeOwner)}</button>
                    <button type="button" class="button" on:click=move |_| action.set(Some("tag"))>{i18n.t(CustomerText::AddTag)}</button>
                </div>
                {move || match action.get() {
                    Some("interaction") => view! { <LogInteractionForm customer_id=id contacts=detail.contacts.clone() on_done=refresh/> }.into_any(),
                    Some("order") => view! { <AddOrderForm customer_id=id on_done=refresh/> }.into_any(),
                    Some("owner") => view! { <OwnerForm customer_id=id on_done=refresh/> }.into_any(),
                    Some("tag") => view! { <TagForm customer_id=id on_done=refresh/> }.into_any(),
                    _ => ().into_any(),
                }}
            </div>
        }
    };

    let delete_title = move || {
        let name = customer_name.get().unwrap_or_default();
        fill(i18n.text(CustomerText::DeleteTitle), &[("name", &name)])
    };
    view! {
        <section class="page customer-360">
            <ResourceView resource=customer let:c>{header(c)}</ResourceView>
            <ConfirmDialog open=confirming_delete testid="confirm-delete" title=delete_title message=i18n.t(CustomerText::ConfirmDelete)
                confirm=i18n.t(CustomerText::Delete) on_confirm=delete/>
            <div class="grid-360">
                <div class="card">
                    <div class="tabs" role="tablist">
                        {Tab::ALL.into_iter().map(|t| view! {
                            <button type="button" role="tab" class="tab" aria-selected=move || (tab.get() == t).to_string() on:click=move |_| tab.set(t)>
                                {move || (t.label())(i18n.locale())}
                            </button>
                        }).collect_view()}
                    </div>
                    {move || id.get().map(|id| match tab.get() {
                        Tab::Timeline => view! { <TimelineView customer_id=id version/> }.into_any(),
                        Tab::Contacts => view! { <ContactsView customer=customer/> }.into_any(),
                        Tab::Orders => view! { <OrderList customer_id=id version/> }.into_any(),
                        Tab::Interactions => view! { <InteractionList customer_id=id version contacts/> }.into_any(),
                    })}
                </div>
                // Sections other domains add to the 360 page, beside the tabs.
                <aside class="side-sections">
                    {move || id.get().map(|id| view! {
                        <crate::pipeline::views::CustomerOpportunities customer_id=id customer_name version/>
                        <crate::tasks::views::TaskSection opportunity_id=None customer_id=Some(id)/>
                        <crate::tickets::views::CustomerService customer_id=id customer_name version/>
                        <crate::tiers::views::CustomerTierCard customer_id=id version/>
                        <crate::loyalty::views::MembershipCard customer_id=id version/>
                        <Recommendations customer_id=id version/>
                    })}
                </aside>
            </div>
        </section>
    }
}
