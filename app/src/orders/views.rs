//! Order form, order list and recommendations for the 360 page; the product catalogue page.

use super::{api::*, model::*};
use crate::{
    customers::model::CustomerId,
    error::AppError,
    i18n::{CommonText, CustomerText, OrderText, fill, use_i18n},
    ui::{
        CheckboxField, Column, EnumSelect, Loading, ResourceView, Table, TextField, Timestamp,
        server_submission, use_toasts,
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
    let i18n = use_i18n();
    let toasts = use_toasts();
    let products = Resource::new(|| (), |_| list_products(false));
    let order_no = RwSignal::new(String::new());
    let channel = RwSignal::new(Channel::Sales);
    let notes = RwSignal::new(String::new());
    let lines = RwSignal::new(vec![OrderLineInput { quantity: "1".into(), ..Default::default() }]);
    let save = server_submission::<AddOrder>().shows_fields_under("lines.").on_success(move |_| {
        toasts.success(OrderText::OrderAdded);
        on_done.run(());
    });
    let fail = save.failure();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = OrderInput {
            customer_id,
            order_no: order_no.get_untracked(),
            ordered_at: None,
            channel: channel.get_untracked(),
            lines: lines.get_untracked(),
            notes: notes.get_untracked(),
        };
        save.submit(AddOrder { input });
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
    let total = move || {
        let catalogue = products.get().and_then(Result::ok).unwrap_or_default();
        let minor: i64 = lines.with(|lines| {
            lines
                .iter()
                .filter_map(|l| {
                    let product = catalogue.iter().find(|p| Some(p.id) == l.product_id)?;
                    let unit = crate::customers::model::parse_money(&l.unit_price)
                        .unwrap_or(product.unit_price.minor);
                    Some(unit * l.quantity.trim().parse::<i64>().unwrap_or(0))
                })
                .sum()
        });
        crate::customers::model::Money { minor, currency: "CNY".into() }.display()
    };
    view! {
        <Transition fallback=|| view! { <Loading/> }>
        <form class="form order-form" on:submit=submit data-testid="order-form">
            <div class="grid-3">
                <TextField label=i18n.t(OrderText::OrderNo) name="order_no" value=order_no error=save.field("order_no")/>
                <EnumSelect label=i18n.t(OrderText::Channel) name="channel" value=channel text=channel_label error=save.field("channel")/>
                <TextField label=i18n.t(CustomerText::Notes) name="order_notes" value=notes error=save.field("notes")/>
            </div>
            <p class="hint">{i18n.t(OrderText::OrderNoHelp)}</p>
            <span class="field-error">{save.field("lines")}</span>
            {move || {
                let catalogue = products.get().and_then(Result::ok).unwrap_or_default();
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
                                    {options.into_iter().map(|p| {
                                        let selected = line.product_id == Some(p.id);
                                        view! { <option value=p.id.0.to_string() selected=selected>{format!("{} · {}", p.name, p.unit_price.display())}</option> }
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
            <div class="actions">
                <button type="button" class="button small" on:click=move |_| lines.update(|l| l.push(OrderLineInput { quantity: "1".into(), ..Default::default() }))>{i18n.t(OrderText::AddLine)}</button>
                <span class="order-total">{i18n.t(OrderText::Total)}": "<strong>{total}</strong></span>
                <button type="submit" class="button primary" disabled=move || save.pending().get()>{i18n.t(CustomerText::AddOrder)}</button>
            </div>
        </form>
        </Transition>
    }
}

/// The 360 orders tab.
#[component]
pub fn OrderList(customer_id: CustomerId, version: Memo<(u64, u32)>) -> impl IntoView {
    let i18n = use_i18n();
    let orders = Resource::new(move || version.get(), move |_| list_orders(customer_id, None));
    view! {
        <ResourceView resource=orders let:page>
            {if page.items.is_empty() {
                view! { <p class="empty">{i18n.t(CustomerText::NothingYet)}</p> }.into_any()
            } else {
                view! {
                    <Table testid="orders" columns=vec![
                        Column::new(i18n.t(OrderText::OrderNo)),
                        Column::new(i18n.t(OrderText::OrderedAt)),
                        Column::new(i18n.t(OrderText::Channel)),
                        Column::new(i18n.t(OrderText::Product)),
                        Column::new(i18n.t(OrderText::Total)).numeric(),
                    ]>
                            {page.items.into_iter().map(|o| {
                                let channel = channel_label(o.channel);
                                view! {
                                    <tr>
                                        <td class="code" data-testid="order-no">{o.order_no.clone()}{o.external_id.clone().map(|e| view! { <span class="muted small">" · "{e}</span> })}</td>
                                        <td><Timestamp at=o.ordered_at/></td>
                                        <td>{i18n.t(channel)}</td>
                                        <td>{o.lines.iter().map(|l| format!("{} × {}", l.product_name, l.quantity)).collect::<Vec<_>>().join("、")}</td>
                                        <td class="num">{o.total.display()}</td>
                                    </tr>
                                }
                            }).collect_view()}
                    </Table>
                }.into_any()
            }}
        </ResourceView>
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
