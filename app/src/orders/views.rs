//! Order form, order list and recommendations for the 360 page; the product catalogue page.

use super::{api::*, model::*};
use crate::{
    customers::model::CustomerId,
    error::AppError,
    i18n::{CommonText, CustomerText, OrderText, fill, use_i18n},
    ui::{
        CheckboxField, Column, Dialog, EditDialog, EnumSelect, FormButtons, Loading, ResourceView,
        Table, TextField, Timestamp, server_submission, use_toasts,
    },
};
use leptos::prelude::*;

pub fn channel_label(channel: Channel) -> OrderText {
    match channel {
        Channel::Online => OrderText::ChannelOnline,
        Channel::Store => OrderText::ChannelStore,
        Channel::Sales => OrderText::ChannelSales,
        Channel::Phone => OrderText::ChannelPhone,
        Channel::Wechat => OrderText::ChannelWechat,
        Channel::Distributor => OrderText::ChannelDistributor,
        Channel::Other => OrderText::ChannelOther,
    }
}

/// The add-order quick action: lines of catalogue products, quantities, optional prices.
#[component]
pub fn AddOrderForm(customer_id: CustomerId, on_done: Callback<()>) -> impl IntoView {
    view! { <OrderForm customer_id correcting=None on_done/> }
}

/// The order form, for a new order or correcting `correcting` (which then needs a reason).
#[component]
fn OrderForm(
    customer_id: CustomerId,
    correcting: Option<Order>,
    on_done: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let products = Resource::new(|| (), |_| list_products(false));
    let start = correcting.as_ref().map(Order::correction_input).unwrap_or_else(|| OrderInput {
        customer_id,
        lines: vec![OrderLineInput { quantity: "1".into(), ..Default::default() }],
        ..Default::default()
    });
    // The currency of the customer's orders: the order's own when correcting.
    let currency =
        correcting.as_ref().map(|o| o.total.currency.clone()).unwrap_or_else(|| "CNY".into());
    // A product taken off the catalogue since stays choosable on the order that has it.
    let kept: Vec<(ProductId, String)> = correcting
        .as_ref()
        .map(|o| o.lines.iter().map(|l| (l.product_id, l.product_name.clone())).collect())
        .unwrap_or_default();
    let scope: &'static str = if correcting.is_some() { "correct-" } else { "" };
    let order_no = RwSignal::new(start.order_no.clone());
    let channel = RwSignal::new(start.channel);
    let notes = RwSignal::new(start.notes.clone());
    let reason = RwSignal::new(String::new());
    let lines = RwSignal::new(start.lines.clone());
    let save = server_submission::<AddOrder>().shows_fields_under("lines.").on_success(move |_| {
        toasts.success(OrderText::OrderAdded);
        on_done.run(());
    });
    let correct =
        server_submission::<CorrectOrder>().shows_fields_under("lines.").on_success(move |_| {
            toasts.success(OrderText::OrderCorrected);
            on_done.run(());
        });
    let target = correcting.as_ref().map(|o| (o.id, o.version));
    let field =
        move |name: &str| if target.is_some() { correct.field(name) } else { save.field(name) };
    let fail = if target.is_some() { correct.failure() } else { save.failure() };
    let pending = Signal::derive(move || save.pending().get() || correct.pending().get());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = OrderInput {
            customer_id,
            order_no: order_no.get_untracked(),
            ordered_at: start.ordered_at,
            channel: channel.get_untracked(),
            lines: lines.get_untracked(),
            notes: notes.get_untracked(),
        };
        match target {
            Some((id, version)) => {
                correct.submit(CorrectOrder { id, version, input, reason: reason.get_untracked() })
            }
            None => save.submit(AddOrder { input }),
        }
    };
    let line_error = move |index: usize, field: &str| {
        let key = format!("lines.{index}.{field}");
        fail.with(|f: &Option<AppError>| {
            f.as_ref()
                .and_then(|e| e.field_errors())
                .map(|errors| {
                    errors
                        .get(&key)
                        .iter()
                        .map(|e| crate::i18n::field_error_text(e, i18n.locale()))
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .filter(|s| !s.is_empty())
        })
    };
    let total = {
        let currency = currency.clone();
        move || {
            let catalogue = products.get().and_then(Result::ok).unwrap_or_default();
            let minor: i64 = lines.with(|lines| {
                lines
                    .iter()
                    .filter_map(|l| {
                        let listed = catalogue
                            .iter()
                            .find(|p| Some(p.id) == l.product_id)
                            .map(|p| p.unit_price.minor);
                        let unit =
                            crate::customers::model::parse_money(&l.unit_price).ok().or(listed)?;
                        Some(unit * l.quantity.trim().parse::<i64>().unwrap_or(0))
                    })
                    .sum()
            });
            crate::customers::model::Money { minor, currency: currency.clone() }.display()
        }
    };
    let is_correction = target.is_some();
    view! {
        <Transition fallback=|| view! { <Loading/> }>
        <form class="form order-form" on:submit=submit data-testid=if is_correction { "order-correction" } else { "order-form" }>
            <div class="grid-3">
                <TextField label=i18n.t(OrderText::OrderNo) name="order_no" scope value=order_no error=field("order_no")/>
                <EnumSelect label=i18n.t(OrderText::Channel) name="channel" scope value=channel text=channel_label error=field("channel")/>
                <TextField label=i18n.t(CustomerText::Notes) name="order_notes" scope value=notes error=field("notes")/>
            </div>
            {(!is_correction).then(|| view! { <p class="hint">{i18n.t(OrderText::OrderNoHelp)}</p> })}
            <span class="field-error">{field("lines")}</span>
            {move || {
                let mut catalogue: Vec<(ProductId, String)> = products
                    .get()
                    .and_then(Result::ok)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|p| (p.id, format!("{} · {}", p.name, p.unit_price.display())))
                    .collect();
                for (id, name) in &kept {
                    if !catalogue.iter().any(|(listed, _)| listed == id) {
                        catalogue.push((*id, name.clone()));
                    }
                }
                lines.get().into_iter().enumerate().map(|(index, line)| {
                    let options = catalogue.clone();
                    view! {
                        <div class="order-line" data-testid="order-line">
                            <div class="field">
                                <label>{i18n.t(OrderText::Product)}</label>
                                <select name=format!("line_product_{index}") on:change=move |ev| {
                                    let value = event_target_value(&ev);
                                    lines.update(|l| if let Some(l) = l.get_mut(index) { l.product_id = value.parse().ok().map(ProductId) });
                                }>
                                    <option value="">{i18n.t(OrderText::ChooseProduct)}</option>
                                    {options.into_iter().map(|(id, label)| {
                                        let selected = line.product_id == Some(id);
                                        view! { <option value=id.0.to_string() selected=selected>{label}</option> }
                                    }).collect_view()}
                                </select>
                                <span class="field-error">{move || line_error(index, "product_id")}</span>
                            </div>
                            <div class="field small-field">
                                <label>{i18n.t(OrderText::Quantity)}</label>
                                <input type="number" min="1" name=format!("line_quantity_{index}") prop:value=line.quantity.clone()
                                    on:input=move |ev| { let v = event_target_value(&ev); lines.update(|l| if let Some(l) = l.get_mut(index) { l.quantity = v }); }/>
                                <span class="field-error">{move || line_error(index, "quantity")}</span>
                            </div>
                            <div class="field small-field">
                                <label>{i18n.t(OrderText::UnitPrice)}</label>
                                <input type="text" name=format!("line_price_{index}") placeholder=move || i18n.text(OrderText::UnitPriceHelp) prop:value=line.unit_price.clone()
                                    on:input=move |ev| { let v = event_target_value(&ev); lines.update(|l| if let Some(l) = l.get_mut(index) { l.unit_price = v }); }/>
                                <span class="field-error">{move || line_error(index, "unit_price")}</span>
                            </div>
                            <button type="button" class="button small ghost" on:click=move |_| lines.update(|l| { if index < l.len() { l.remove(index); } })>{i18n.t(CustomerText::Remove)}</button>
                        </div>
                    }
                }).collect_view()
            }}
            {is_correction.then(|| view! {
                <TextField label=i18n.t(OrderText::Reason) name="reason" scope value=reason error=field("reason")/>
                <p class="hint">{i18n.t(OrderText::CorrectHelp)}</p>
            })}
            <span class="field-error">{field("status")}</span>
            <div class="actions">
                <button type="button" class="button small" on:click=move |_| lines.update(|l| l.push(OrderLineInput { quantity: "1".into(), ..Default::default() }))>{i18n.t(OrderText::AddLine)}</button>
                <span class="order-total">{i18n.t(OrderText::Total)}": "<strong>{total}</strong></span>
                <button type="submit" class="button primary" disabled=move || pending.get()>
                    {move || if is_correction { i18n.text(OrderText::SaveCorrection) } else { i18n.text(CustomerText::AddOrder) }}
                </button>
            </div>
        </form>
        </Transition>
    }
}

pub fn status_label(status: OrderStatus) -> OrderText {
    match status {
        OrderStatus::Placed => OrderText::StatusPlaced,
        OrderStatus::Cancelled => OrderText::StatusCancelled,
        OrderStatus::Refunded => OrderText::StatusRefunded,
    }
}

/// The dialogs a row of the orders tab opens: correct, cancel, refund. Outside the list's own
/// loading, so a live reload of the list never replaces what someone is typing.
#[derive(Clone, Copy)]
struct OrderDialogs {
    correcting: EditDialog<Order>,
    cancelling: EditDialog<Order>,
    refunding: EditDialog<Order>,
}

/// The 360 orders tab: each order with its status and refunds; correct, and for managers
/// cancel and refund, from the row.
#[component]
pub fn OrderList(customer_id: CustomerId, version: Memo<(u64, u32)>) -> impl IntoView {
    let i18n = use_i18n();
    let session = crate::auth::views::use_auth_session();
    let may_reverse = Signal::derive(move || {
        session.current().is_some_and(|u| u.role.includes(crate::auth::model::Role::Manager))
    });
    let reloads = RwSignal::new(0u32);
    let orders = Resource::new(
        move || (version.get(), reloads.get()),
        move |_| list_orders(customer_id, None),
    );
    let dialogs = OrderDialogs {
        correcting: EditDialog::new(),
        cancelling: EditDialog::new(),
        refunding: EditDialog::new(),
    };
    let done = Callback::new(move |_: ()| reloads.update(|n| *n += 1));
    view! {
        <ResourceView resource=orders let:page>
            {if page.items.is_empty() {
                view! { <p class="empty">{i18n.t(CustomerText::NothingYet)}</p> }.into_any()
            } else {
                view! {
                    <Table testid="orders" columns=vec![
                        Column::new(i18n.t(OrderText::OrderNo)),
                        Column::new(i18n.t(OrderText::OrderedAt)),
                        Column::new(i18n.t(OrderText::Product)),
                        Column::new(i18n.t(OrderText::Total)).numeric(),
                        Column::new(i18n.t(OrderText::Status)),
                    ]>
                            {page.items.into_iter().map(|o| view! { <OrderRow order=o dialogs may_reverse/> }).collect_view()}
                    </Table>
                }.into_any()
            }}
        </ResourceView>
        <Dialog open=dialogs.correcting.open title=move || dialogs.correcting.snapshot().map(|o| fill(i18n.text(OrderText::CorrectTitle), &[("order_no", &o.order_no)])).unwrap_or_default() testid="correct-order">
            {move || dialogs.correcting.snapshot().map(|order| view! {
                <OrderForm customer_id correcting=Some(order) on_done=Callback::new(move |_| { dialogs.correcting.close(); done.run(()); })/>
            })}
        </Dialog>
        <Dialog open=dialogs.cancelling.open title=move || dialogs.cancelling.snapshot().map(|o| fill(i18n.text(OrderText::CancelTitle), &[("order_no", &o.order_no)])).unwrap_or_default() testid="cancel-order">
            {move || dialogs.cancelling.snapshot().map(|order| view! { <CancelForm order dialog=dialogs.cancelling on_done=done/> })}
        </Dialog>
        <Dialog open=dialogs.refunding.open title=move || dialogs.refunding.snapshot().map(|o| fill(i18n.text(OrderText::RefundTitle), &[("order_no", &o.order_no)])).unwrap_or_default() testid="refund-order">
            {move || dialogs.refunding.snapshot().map(|order| view! { <RefundForm order dialog=dialogs.refunding on_done=done/> })}
        </Dialog>
    }
}

#[component]
fn OrderRow(order: Order, dialogs: OrderDialogs, may_reverse: Signal<bool>) -> impl IntoView {
    let i18n = use_i18n();
    let o = order.clone();
    let placed = o.status == OrderStatus::Placed;
    let partly = placed && o.refunded.minor > 0;
    let refunded = o.refunded.display();
    let status = status_label(o.status);
    let (for_correct, for_cancel, for_refund) = (order.clone(), order.clone(), order);
    view! {
        <tr data-testid="order" class:inactive=!placed>
            <td class="code"><span data-testid="order-no">{o.order_no.clone()}{o.external_id.clone().map(|e| view! { <span class="muted small">" · "{e}</span> })}</span>
                <div class="muted small">{i18n.t(channel_label(o.channel))}</div></td>
            <td><Timestamp at=o.ordered_at/></td>
            <td>{o.lines.iter().map(|l| format!("{} × {}", l.product_name, l.quantity)).collect::<Vec<_>>().join("、")}</td>
            <td class="num">{o.total.display()}</td>
            <td data-testid="order-status">
                <span class="badge">{i18n.t(status)}</span>
                {partly.then(|| view! { " "<span class="muted small">{move || fill(i18n.text(OrderText::PartlyRefunded), &[("amount", &refunded)])}</span> })}
                {o.cancel_reason.clone().map(|reason| view! { <div class="muted small">{move || fill(i18n.text(OrderText::CancelledBecause), &[("reason", &reason)])}</div> })}
                {o.refunds.iter().map(|r| {
                    let line = format!("{} · {} · {}", r.amount.display(), r.reason, r.by_name.clone().unwrap_or_default());
                    view! { <div class="muted small" data-testid="order-refund">{line}</div> }
                }).collect_view()}
                {placed.then(|| view! {
                    <div class="order-actions">
                    <button type="button" class="button small ghost" data-testid="correct-order-button" on:click=move |_| dialogs.correcting.open_with(for_correct.clone())>{i18n.t(OrderText::Correct)}</button>
                    <Show when=move || may_reverse.get()>
                        <button type="button" class="button small ghost" data-testid="refund-order-button" on:click={
                            let order = for_refund.clone();
                            move |_| dialogs.refunding.open_with(order.clone())
                        }>{i18n.t(OrderText::Refund)}</button>
                        {(!partly).then(|| {
                            let order = for_cancel.clone();
                            view! { <button type="button" class="button small ghost" data-testid="cancel-order-button" on:click=move |_| dialogs.cancelling.open_with(order.clone())>{i18n.t(OrderText::Cancel)}</button> }
                        })}
                    </Show>
                    </div>
                })}
            </td>
        </tr>
    }
}

#[component]
fn CancelForm(order: Order, dialog: EditDialog<Order>, on_done: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let reason = RwSignal::new(String::new());
    let cancel = server_submission::<CancelOrder>()
        .on_success(move |_| {
            toasts.success(OrderText::OrderCancelled);
            dialog.close();
            on_done.run(());
        })
        .on_failure(move || on_done.run(()));
    let (id, version) = (order.id, order.version);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        cancel.submit(CancelOrder { id, version, reason: reason.get_untracked() });
    };
    view! {
        <form class="form" on:submit=submit>
            <p>{i18n.t(OrderText::CancelHelp)}</p>
            <TextField label=i18n.t(OrderText::Reason) name="reason" scope="cancel-" value=reason error=cancel.field("reason")/>
            <span class="field-error">{cancel.field("status")}</span>
            <FormButtons submit=i18n.t(OrderText::Cancel) pending=cancel.pending() on_cancel=Callback::new(move |_| dialog.close())/>
        </form>
    }
}

#[component]
fn RefundForm(order: Order, dialog: EditDialog<Order>, on_done: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let left = order.refundable();
    let amount = RwSignal::new(crate::customers::model::money_text(left.minor));
    let reason = RwSignal::new(String::new());
    let refund = server_submission::<RefundOrder>()
        .on_success(move |_| {
            toasts.success(OrderText::OrderRefunded);
            dialog.close();
            on_done.run(());
        })
        .on_failure(move || on_done.run(()));
    let (id, version) = (order.id, order.version);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        refund.submit(RefundOrder {
            id,
            version,
            amount: amount.get_untracked(),
            reason: reason.get_untracked(),
        });
    };
    let available = left.display();
    view! {
        <form class="form" on:submit=submit>
            <p>{move || fill(i18n.text(OrderText::RefundHelp), &[("available", &available)])}</p>
            <TextField label=i18n.t(OrderText::RefundAmount) name="amount" scope="refund-" value=amount error=refund.field("amount")/>
            <TextField label=i18n.t(OrderText::Reason) name="reason" scope="refund-" value=reason error=refund.field("reason")/>
            <span class="field-error">{refund.field("status")}</span>
            <FormButtons submit=i18n.t(OrderText::Refund) pending=refund.pending() on_cancel=Callback::new(move |_| dialog.close())/>
        </form>
    }
}

/// "Recommended next products" on the 360 page.
#[component]
pub fn Recommendations(customer_id: CustomerId, version: Memo<(u64, u32)>) -> impl IntoView {
    let i18n = use_i18n();
    let items = Resource::new(move || version.get(), move |_| get_recommendations(customer_id));
    view! {
        <div class="card recommendations" data-testid="recommendations">
            <h2>{i18n.t(CustomerText::Recommended)}</h2>
            <p class="muted small">{i18n.t(CustomerText::RecommendedHelp)}</p>
            <ResourceView resource=items let:list>
                {match list {
                    list if list.is_empty() => view! { <p class="muted">{i18n.t(CustomerText::NoRecommendations)}</p> }.into_any(),
                    list => view! {
                        <ol class="plain-list">
                            {list.into_iter().map(|r| {
                                let support = r.support;
                                view! {
                                    <li>
                                        <strong>{r.product.name.clone()}</strong>" "
                                        <span class="muted">{r.product.unit_price.display()}</span>
                                        <div class="muted small">{move || fill(i18n.text(CustomerText::Support), &[("count", &support)])}</div>
                                    </li>
                                }
                            }).collect_view()}
                        </ol>
                    }.into_any(),
                }}
            </ResourceView>
        </div>
    }
}

/// `/admin/products`: the catalogue.
#[component]
pub fn ProductsPage() -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let version = RwSignal::new(0u32);
    let products = Resource::new(move || version.get(), |_| list_products(true));
    let editing = RwSignal::new(Some(ProductInput { active: true, ..Default::default() }));
    let rebuild = server_submission::<StartAffinityRebuild>()
        .on_success(move |_| toasts.success(crate::i18n::AdminText::JobStarted));
    view! {
        <section class="page">
            <div class="page-head">
                <h1>{i18n.t(CustomerText::Products)}</h1>
                <div class="actions">
                    <button type="button" class="button" disabled=move || rebuild.pending().get() on:click=move |_| rebuild.submit(StartAffinityRebuild {})>{i18n.t(OrderText::RebuildAffinity)}</button>
                    <button type="button" class="button primary" on:click=move |_| editing.set(Some(ProductInput { active: true, ..Default::default() }))>{i18n.t(OrderText::NewProduct)}</button>
                </div>
            </div>
            {move || editing.get().map(|input| view! { <ProductForm input on_saved=Callback::new(move |_| { editing.set(None); version.update(|v| *v += 1); })/> })}
            <ResourceView resource=products let:list>
                <Table testid="products" columns=vec![
                    Column::new(i18n.t(OrderText::Sku)),
                    Column::new(i18n.t(CustomerText::ExternalId)),
                    Column::new(i18n.t(CustomerText::Name)),
                    Column::new(i18n.t(OrderText::Category)),
                    Column::new(i18n.t(OrderText::Price)).numeric(),
                    Column::new(i18n.t(CustomerText::Active)),
                    Column::blank(),
                ]>
                                    {list.into_iter().map(|p| {
                                        let input = ProductInput {
                                            id: Some(p.id),
                                            version: p.version,
                                            sku: p.sku.clone(),
                                            external_id: p.external_id.clone().unwrap_or_default(),
                                            name: p.name.clone(),
                                            category: p.category.clone().unwrap_or_default(),
                                            unit_price: crate::customers::model::money_text(p.unit_price.minor),
                                            active: p.active,
                                        };
                                        view! {
                                            <tr class:inactive=!p.active>
                                                <td>{p.sku.clone()}</td>
                                                <td>{p.external_id.clone().unwrap_or_default()}</td>
                                                <td>{p.name.clone()}</td>
                                                <td>{p.category.clone().unwrap_or_default()}</td>
                                                <td class="num">{p.unit_price.display()}</td>
                                                <td>{if p.active { "✓" } else { "—" }}</td>
                                                <td><button type="button" class="button small" on:click=move |_| editing.set(Some(input.clone()))>{i18n.t(CommonText::Edit)}</button></td>
                                            </tr>
                                        }
                                    }).collect_view()}
                </Table>
            </ResourceView>
        </section>
    }
}

#[component]
fn ProductForm(input: ProductInput, on_saved: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let sku = RwSignal::new(input.sku.clone());
    let external_id = RwSignal::new(input.external_id.clone());
    let name = RwSignal::new(input.name.clone());
    let category = RwSignal::new(input.category.clone());
    let price = RwSignal::new(input.unit_price.clone());
    let active = RwSignal::new(input.active);
    let save = server_submission::<SaveProduct>().on_success(move |_| {
        toasts.success(OrderText::ProductSaved);
        on_saved.run(());
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = ProductInput {
            sku: sku.get_untracked(),
            external_id: external_id.get_untracked(),
            name: name.get_untracked(),
            category: category.get_untracked(),
            unit_price: price.get_untracked(),
            active: active.get_untracked(),
            ..input.clone()
        };
        save.submit(SaveProduct { input });
    };
    view! {
        <form class="card form panel" on:submit=submit data-testid="product-form">
            <div class="grid-3">
                <TextField label=i18n.t(OrderText::Sku) name="sku" value=sku error=save.field("sku")/>
                <TextField label=i18n.t(CustomerText::ExternalId) name="product_external_id" value=external_id error=save.field("external_id")/>
                <TextField label=i18n.t(CustomerText::Name) name="product_name" value=name error=save.field("name")/>
                <TextField label=i18n.t(OrderText::Category) name="category" value=category error=save.field("category")/>
                <TextField label=i18n.t(OrderText::Price) name="unit_price" value=price error=save.field("unit_price")/>
                <CheckboxField label=i18n.t(CustomerText::Active) name="active" checked=active/>
            </div>
            <div class="actions"><button type="submit" class="button primary" disabled=move || save.pending().get()>{i18n.t(CommonText::Save)}</button></div>
        </form>
    }
}
