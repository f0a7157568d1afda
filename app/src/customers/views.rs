//! Customer pages: the list, the form, the 360 view, duplicates and merging, the recycle bin
//! and the customer settings.

use super::{
    api::*,
    dedupe_model::{DuplicatePair, MergeRequest},
    labels::{
        customer_kind_label, customer_stage_label, customer_status_label, customer_type_label,
        field_type_label, source_label,
    },
    model::*,
    timeline::text::timeline_text,
};
use crate::{
    auth::{
        model::{Role, UserId},
        views::use_auth_session,
    },
    error::AppError,
    events::{Topic, use_server_events},
    i18n::{CommonText, CustomerText, ImportText, Locale, Text, TimelineText, fill, use_i18n},
    ui::{
        CheckboxField, Column, ErrorNotice, Loading, PagedList, PagedTable, ResourceView,
        SelectField, Submission, Table, TextField, Timestamp, ToastKind, Typed, field_message,
        server_submission, use_toasts,
    },
};
use leptos::{prelude::*, task::spawn_local};
use leptos_router::{
    components::A,
    hooks::{use_navigate, use_params_map},
};
use std::sync::Arc;

/// `(value, label)` options for a text enum, optionally led by an "any" choice.
pub fn enum_options<T: Copy + 'static>(
    all: &'static [T],
    value: fn(T) -> &'static str,
    label: fn(T, Locale) -> &'static str,
    any: Option<&'static str>,
    locale: Locale,
) -> Vec<(String, String)> {
    any.map(|a| (String::new(), a.to_owned()))
        .into_iter()
        .chain(all.iter().map(|t| (value(*t).to_owned(), label(*t, locale).to_owned())))
        .collect()
}

fn text_options(values: &[String], any: &str) -> Vec<(String, String)> {
    std::iter::once((String::new(), any.to_owned()))
        .chain(values.iter().map(|v| (v.clone(), v.clone())))
        .collect()
}

fn non_empty(value: String) -> Option<String> {
    let value = value.trim().to_owned();
    (!value.is_empty()).then_some(value)
}

/// A badge for type, status or stage, coloured by value.
#[component]
pub fn StatusBadges(
    customer_type: CustomerType,
    status: ActivityStatus,
    stage: LifecycleStage,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <span class=format!("badge type-{}", customer_type.as_str())>{move || customer_type_label(customer_type, i18n.locale())}</span>
        <span class=format!("badge status-{}", status.as_str()) data-testid="status">{move || customer_status_label(status, i18n.locale())}</span>
        <span class=format!("badge stage-{}", stage.as_str()) data-testid="stage">{move || customer_stage_label(stage, i18n.locale())}</span>
    }
}

/// The list's filter state, one signal per control (the segment editor uses it too), and the
/// choices its menus offer, loaded once for every control on the page that needs them.
#[derive(Copy, Clone)]
pub struct FilterState {
    options: Resource<Result<CustomerOptions, AppError>>,
    search: RwSignal<String>,
    customer_type: RwSignal<String>,
    status: RwSignal<String>,
    stage: RwSignal<String>,
    region: RwSignal<String>,
    industry: RwSignal<String>,
    owner: RwSignal<String>,
    tag: RwSignal<String>,
    min_spend: RwSignal<String>,
    max_spend: RwSignal<String>,
    last_from: RwSignal<String>,
    last_to: RwSignal<String>,
    sort: RwSignal<String>,
    custom: RwSignal<Vec<CustomFilter>>,
    tier: RwSignal<String>,
    min_r: RwSignal<String>,
    min_f: RwSignal<String>,
    min_m: RwSignal<String>,
}

impl Default for FilterState {
    fn default() -> Self {
        Self::new()
    }
}

impl FilterState {
    pub fn new() -> Self {
        let s = || RwSignal::new(String::new());
        FilterState {
            options: Resource::new(|| (), |_| get_customer_options()),
            search: s(),
            customer_type: s(),
            status: s(),
            stage: s(),
            region: s(),
            industry: s(),
            owner: s(),
            tag: s(),
            min_spend: s(),
            max_spend: s(),
            last_from: s(),
            last_to: s(),
            sort: RwSignal::new(CustomerSort::Newest.as_str().to_owned()),
            custom: RwSignal::new(Vec::new()),
            tier: s(),
            min_r: s(),
            min_f: s(),
            min_m: s(),
        }
    }

    pub fn filter(self) -> CustomerFilter {
        CustomerFilter {
            search: non_empty(self.search.get()),
            customer_type: CustomerType::parse(&self.customer_type.get()).ok(),
            status: ActivityStatus::parse(&self.status.get()).ok(),
            stage: LifecycleStage::parse(&self.stage.get()).ok(),
            region: non_empty(self.region.get()),
            industry: non_empty(self.industry.get()),
            owner_id: self.owner.get().parse().ok().map(UserId),
            tag: non_empty(self.tag.get()),
            min_spend_minor: parse_money(&self.min_spend.get()).ok(),
            max_spend_minor: parse_money(&self.max_spend.get()).ok(),
            last_order_from: self.last_from.get().parse().ok(),
            last_order_to: self.last_to.get().parse().ok(),
            custom: self
                .custom
                .get()
                .into_iter()
                .filter(|c| c.equals.is_some() || c.from.is_some() || c.to.is_some())
                .collect(),
            tier_id: self.tier.get().parse().ok(),
            min_r: self.min_r.get().parse().ok(),
            min_f: self.min_f.get().parse().ok(),
            min_m: self.min_m.get().parse().ok(),
            sort: CustomerSort::parse(&self.sort.get()).unwrap_or_default(),
        }
    }

    /// Sets the filters a link may carry (a dashboard tile's, a bookmark's): `status`, `type`,
    /// `tier`, `owner`, `last_from` and `last_to`.
    pub fn seed(self, get: impl Fn(&str) -> Option<String>) {
        let carried = [
            ("status", self.status),
            ("type", self.customer_type),
            ("tier", self.tier),
            ("owner", self.owner),
            ("last_from", self.last_from),
            ("last_to", self.last_to),
        ];
        for (key, signal) in carried {
            if let Some(value) = get(key) {
                signal.set(value);
            }
        }
    }

    pub fn load(self, filter: &CustomerFilter) {
        let money =
            |m: Option<i64>| m.map(|m| format!("{}.{:02}", m / 100, m % 100)).unwrap_or_default();
        self.search.set(filter.search.clone().unwrap_or_default());
        self.customer_type
            .set(filter.customer_type.map(|t| t.as_str().to_owned()).unwrap_or_default());
        self.status.set(filter.status.map(|t| t.as_str().to_owned()).unwrap_or_default());
        self.stage.set(filter.stage.map(|t| t.as_str().to_owned()).unwrap_or_default());
        self.region.set(filter.region.clone().unwrap_or_default());
        self.industry.set(filter.industry.clone().unwrap_or_default());
        self.owner.set(filter.owner_id.map(|o| o.0.to_string()).unwrap_or_default());
        self.tag.set(filter.tag.clone().unwrap_or_default());
        self.min_spend.set(money(filter.min_spend_minor));
        self.max_spend.set(money(filter.max_spend_minor));
        self.last_from.set(filter.last_order_from.map(|d| d.to_string()).unwrap_or_default());
        self.last_to.set(filter.last_order_to.map(|d| d.to_string()).unwrap_or_default());
        self.sort.set(filter.sort.as_str().to_owned());
        self.custom.set(filter.custom.clone());
        let number = |n: Option<i16>| n.map(|n| n.to_string()).unwrap_or_default();
        self.tier.set(filter.tier_id.map(|t| t.to_string()).unwrap_or_default());
        self.min_r.set(number(filter.min_r));
        self.min_f.set(number(filter.min_f));
        self.min_m.set(number(filter.min_m));
    }
}

/// `/customers`: search, filter, sort, saved views, bulk actions, export.
#[component]
pub fn CustomersPage() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_auth_session();
    let changes = use_server_events().changes(Topic::Customer);
    let state = FilterState::new();
    // A dashboard tile opens the list already filtered (`?status=silent&last_from=...`).
    leptos_router::hooks::use_query_map().with_untracked(|url| state.seed(|key| url.get(key)));
    // The search box applies on Enter (or after a pause), not on every keystroke.
    let typed = Typed::settling_into(state.search, std::time::Duration::from_millis(350));
    let list = PagedList::new(
        move || (state.filter(), changes.get()),
        |(filter, _), cursor| list_customers(filter, cursor),
    );
    let selected = RwSignal::new(Vec::<CustomerId>::new());
    let all_matching = RwSignal::new(false);
    let is_manager = move || session.current().is_some_and(|u| u.role.includes(Role::Manager));

    let export_href = move |encoding: &'static str| {
        let filter = serde_json::to_string(&state.filter()).unwrap_or_default();
        format!("/files/customers.csv?encoding={encoding}&filter={}", crate::ui::urlencode(&filter))
    };

    view! {
        <section class="page">
            <div class="page-head">
                <h1>{i18n.t(CustomerText::Customers)}</h1>
                <div class="actions">
                    <Show when=is_manager fallback=move || view! {
                        <A href="/imports?kind=orders" attr:class="button">{i18n.t(CustomerText::ImportHistory)}</A>
                    }>
                        <A href="/customers/import" attr:class="button">{i18n.t(CustomerText::Import)}</A>
                        <A href="/customers/duplicates" attr:class="button">{i18n.t(CustomerText::Duplicates)}</A>
                    </Show>
                    <crate::exports::views::ExportLinks entity=crate::exports::model::ExportEntity::Customers
                        filter=Signal::derive(move || serde_json::to_value(state.filter()).ok())/>
                    <A href="/customers/new" attr:class="button primary">{i18n.t(CustomerText::NewCustomer)}</A>
                </div>
            </div>
            <form class="search-bar" on:submit=move |ev| { ev.prevent_default(); state.search.set(typed.text.get_untracked()); }>
                <input
                    type="search"
                    name="q"
                    class="search-input"
                    aria-label=move || i18n.text(CommonText::Search)
                    placeholder=move || i18n.text(CustomerText::SearchPlaceholder)
                    prop:value=move || typed.text.get()
                    on:input=move |ev| typed.on_input(ev)
                />
                <button type="submit" class="button">{i18n.t(CommonText::Search)}</button>
            </form>
            <FilterControls state/>
            <BulkBar selected all_matching state/>
            <SavedViews state typed=typed.text/>
            <PagedTable list columns=customer_columns(list, selected) testid="customers" sort=state.sort
                row=move |row| view! { <CustomerRowView row selected/> }/>
            <p class="muted small">
                <a href=move || export_href("gbk") download="">{i18n.t(CustomerText::ExportGbk)}</a>
            </p>
        </section>
    }
}

/// The list's filter controls, shared with the segment editor. Its menus read resources, so it
/// sits in a Transition: the server waits for them and the browser hydrates the same options.
#[component]
pub fn FilterControls(state: FilterState) -> impl IntoView {
    let i18n = use_i18n();
    let options = state.options;
    let opt = move |pick: fn(&CustomerOptions) -> Vec<String>, any: CustomerText| {
        let values = options.get().and_then(Result::ok).map(|o| pick(&o)).unwrap_or_default();
        text_options(&values, i18n.text(any))
    };
    let owner_options = move || owner_menu(i18n.text(CustomerText::AnyOwner), options.get());
    let tier_options = move || {
        let mut list = vec![(String::new(), i18n.text(crate::i18n::TierText::AnyTier).to_owned())];
        if let Some(Ok(o)) = options.get() {
            list.extend(o.tiers.into_iter().map(|(id, zh, en)| {
                let name = match i18n.locale() {
                    Locale::ZhCn => zh,
                    Locale::En => en,
                };
                (id.to_string(), name)
            }));
        }
        list
    };
    let score_options = move || {
        std::iter::once((String::new(), "—".to_owned()))
            .chain((1..=5).map(|n| (n.to_string(), format!("≥ {n}"))))
            .collect::<Vec<_>>()
    };
    view! {
        <Transition fallback=|| view! { <Loading/> }>
            <div class="filters">
                <SelectField label=i18n.t(CustomerText::Type) name="f_type" value=state.customer_type
                    options=Signal::derive(move || enum_options(CustomerType::ALL, CustomerType::as_str, customer_type_label, Some(i18n.text(CustomerText::AnyType)), i18n.locale()))/>
                <SelectField label=i18n.t(CustomerText::Status) name="f_status" value=state.status
                    options=Signal::derive(move || enum_options(ActivityStatus::ALL, ActivityStatus::as_str, customer_status_label, Some(i18n.text(CustomerText::AnyStatus)), i18n.locale()))/>
                <SelectField label=i18n.t(CustomerText::Stage) name="f_stage" value=state.stage
                    options=Signal::derive(move || enum_options(LifecycleStage::ALL, LifecycleStage::as_str, customer_stage_label, Some(i18n.text(CustomerText::AnyStage)), i18n.locale()))/>
                <SelectField label=i18n.t(CustomerText::Region) name="f_region" value=state.region
                    options=Signal::derive(move || opt(|o| o.regions.clone(), CustomerText::AnyRegion))/>
                <SelectField label=i18n.t(CustomerText::Industry) name="f_industry" value=state.industry
                    options=Signal::derive(move || opt(|o| o.industries.clone(), CustomerText::AnyIndustry))/>
                <SelectField label=i18n.t(CustomerText::Owner) name="f_owner" value=state.owner options=Signal::derive(owner_options)/>
                <TextField label=i18n.t(CustomerText::Tags) name="f_tag" value=state.tag/>
                <SelectField label=i18n.t(CustomerText::Sort) name="f_sort" value=state.sort
                    options=Signal::derive(move || vec![
                        ("newest".to_owned(), i18n.text(CustomerText::SortNewest).to_owned()),
                        ("spend".to_owned(), i18n.text(CustomerText::SortSpend).to_owned()),
                        ("last_order".to_owned(), i18n.text(CustomerText::SortLastOrder).to_owned()),
                    ])/>
                <SelectField label=i18n.t(crate::i18n::TierText::Tier) name="f_tier" value=state.tier options=Signal::derive(tier_options)/>
                <details class="more-filters">
                    <summary>{i18n.t(CustomerText::CustomFields)}" / "{i18n.t(CustomerText::TotalSpend)}</summary>
                    <div class="filters-inner">
                        <TextField label=i18n.t(CustomerText::MinSpend) name="f_min" value=state.min_spend/>
                        <TextField label=i18n.t(CustomerText::MaxSpend) name="f_max" value=state.max_spend/>
                        <TextField label=i18n.t(CustomerText::LastOrderFrom) name="f_from" input_type="date" value=state.last_from/>
                        <TextField label=i18n.t(CustomerText::LastOrderTo) name="f_to" input_type="date" value=state.last_to/>
                        <SelectField label="R" name="f_min_r" value=state.min_r options=Signal::derive(score_options)/>
                        <SelectField label="F" name="f_min_f" value=state.min_f options=Signal::derive(score_options)/>
                        <SelectField label="M" name="f_min_m" value=state.min_m options=Signal::derive(score_options)/>
                        {move || options.get().and_then(Result::ok).map(|o| view! { <CustomFilterFields defs=o.custom_fields custom=state.custom/> })}
                    </div>
                </details>
            </div>
        </Transition>
    }
}

#[component]
fn CustomFilterFields(
    defs: Vec<CustomFieldDef>,
    custom: RwSignal<Vec<CustomFilter>>,
) -> impl IntoView {
    let i18n = use_i18n();
    defs.into_iter()
        .filter(|d| d.active)
        .map(|def| {
            let key = def.key.clone();
            let label = move || if i18n.locale() == Locale::ZhCn { def.label_zh.clone() } else { def.label_en.clone() };
            let set = {
                let key = key.clone();
                move |which: &'static str, value: String| {
                    custom.update(|list| {
                        let entry = match list.iter().position(|c| c.key == key) {
                            Some(i) => &mut list[i],
                            None => {
                                list.push(CustomFilter { key: key.clone(), equals: None, from: None, to: None });
                                list.last_mut().expect("just pushed")
                            }
                        };
                        let value = non_empty(value);
                        match which {
                            "equals" => entry.equals = value,
                            "from" => entry.from = value,
                            _ => entry.to = value,
                        }
                    })
                }
            };
            let input_type = if def.field_type == CustomFieldType::Date { "date" } else { "text" };
            match def.field_type {
                CustomFieldType::Text | CustomFieldType::Choice => {
                    let set = set.clone();
                    view! {
                        <div class="field">
                            <label>{label.clone()}</label>
                            <input type="text" name=format!("f_custom_{key}") on:change=move |ev| set("equals", event_target_value(&ev))/>
                        </div>
                    }
                    .into_any()
                }
                CustomFieldType::Number | CustomFieldType::Date => {
                    let (from, to) = (set.clone(), set.clone());
                    view! {
                        <div class="field">
                            <label>{label.clone()}" ≥"</label>
                            <input type=input_type name=format!("f_custom_{key}_from") on:change=move |ev| from("from", event_target_value(&ev))/>
                        </div>
                        <div class="field">
                            <label>{label}" ≤"</label>
                            <input type=input_type name=format!("f_custom_{key}_to") on:change=move |ev| to("to", event_target_value(&ev))/>
                        </div>
                    }
                    .into_any()
                }
            }
        })
        .collect_view()
}

#[component]
fn SavedViews(state: FilterState, typed: RwSignal<String>) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let version = RwSignal::new(0);
    let views = Resource::new(move || version.get(), |_| list_saved_views());
    let name = RwSignal::new(String::new());
    let saving = server_submission::<SaveView>().on_success(move |_| {
        toasts.success(CustomerText::ViewSaved);
        name.set(String::new());
        version.update(|v| *v += 1);
    });
    // Already gone (deleted in another tab) counts as deleted.
    let deleting = Submission::new(|id: &i64| {
        let id = *id;
        async move {
            match delete_view(id).await {
                Ok(()) | Err(AppError::NotFound) => Ok(()),
                Err(error) => Err(error),
            }
        }
    })
    .on_success(move |()| version.update(|v| *v += 1));
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        saving.submit(SaveView { name: name.get_untracked(), filter: state.filter() });
    };
    view! {
        <div class="saved-views">
            <span class="muted">{i18n.t(CustomerText::SavedViews)}":"</span>
            <Transition fallback=|| ()>
                {move || views.get().and_then(Result::ok).map(|list| list.into_iter().map(|saved| {
                    let filter = saved.filter.clone();
                    let id = saved.id;
                    view! {
                        <span class="chip">
                            <button type="button" class="link" on:click=move |_| { state.load(&filter); typed.set(filter.search.clone().unwrap_or_default()); }>{saved.name.clone()}</button>
                            <button type="button" class="chip-x" aria-label="×" on:click=move |_| deleting.submit(id)>"×"</button>
                        </span>
                    }
                }).collect_view())}
            </Transition>
            <button type="button" class="link" on:click=move |_| { state.load(&CustomerFilter::default()); typed.set(String::new()); }>{i18n.t(CustomerText::ClearFilters)}</button>
            <form class="inline-form compact" on:submit=save>
                <input type="text" name="view_name" placeholder=move || i18n.text(CustomerText::ViewName) prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                <button type="submit" class="button small" disabled=move || saving.pending().get()>{i18n.t(CustomerText::SaveView)}</button>
            </form>
        </div>
    }
}

#[component]
fn BulkBar(
    selected: RwSignal<Vec<CustomerId>>,
    all_matching: RwSignal<bool>,
    state: FilterState,
) -> impl IntoView {
    let i18n = use_i18n();
    let options = state.options;
    let toasts = use_toasts();
    let owner = RwSignal::new(String::new());
    let tag = RwSignal::new(String::new());
    let selection = move || {
        if all_matching.get_untracked() {
            Selection::Matching(state.filter())
        } else {
            Selection::Ids(selected.get_untracked())
        }
    };
    // Both bulk actions: an owner to assign, or a tag to add.
    let bulk = Submission::new(|(selection, change): &(Selection, Result<UserId, String>)| {
        let (selection, change) = (selection.clone(), change.clone());
        async move {
            match change {
                Ok(owner) => assign_owner(selection, owner).await,
                Err(tag) => tag_customers(selection, tag).await,
            }
        }
    })
    .on_success(move |count| {
        toasts.show(ToastKind::Success, move |locale| {
            fill(CustomerText::BulkDone.text(locale), &[("count", &count)])
        });
        selected.set(Vec::new());
        all_matching.set(false);
    });
    let assign = move |_| {
        let Ok(id) = owner.get_untracked().parse::<i64>() else { return };
        bulk.submit((selection(), Ok(UserId(id))));
    };
    let add = move |_| bulk.submit((selection(), Err(tag.get_untracked())));
    let owner_options = move || owner_menu("—", options.get());
    view! {
        <Transition fallback=|| ()>
        <Show when=move || !selected.get().is_empty() || all_matching.get()>
            <div class="bulk-bar" data-testid="bulk-bar">
                <span>{move || if all_matching.get() { i18n.text(CustomerText::AllMatching).to_owned() } else { fill(i18n.text(CustomerText::Selected), &[("count", &selected.get().len())]) }}</span>
                <CheckboxField label=i18n.t(CustomerText::AllMatching) name="all_matching" checked=all_matching/>
                <SelectField label=i18n.t(CustomerText::AssignOwner) name="bulk_owner" value=owner options=Signal::derive(owner_options)/>
                <button type="button" class="button small" disabled=move || bulk.pending().get() on:click=assign>{i18n.t(CustomerText::AssignOwner)}</button>
                <TextField label=i18n.t(CustomerText::AddTag) name="bulk_tag" value=tag error=bulk.field("tag")/>
                <button type="button" class="button small" disabled=move || bulk.pending().get() on:click=add>{i18n.t(CustomerText::AddTag)}</button>
            </div>
        </Show>
        </Transition>
    }
}

/// The list's headings: "select all" selects every row loaded so far; spend and last order
/// sort the list, as the sort menu does.
fn customer_columns<S>(
    list: PagedList<S, CustomerRow, CustomerCursor>,
    selected: RwSignal<Vec<CustomerId>>,
) -> Vec<Column>
where
    S: Clone + PartialEq + Send + Sync + 'static,
{
    let i18n = use_i18n();
    let select_all = move || {
        view! {
            <input type="checkbox" aria-label=move || i18n.text(CustomerText::SelectAll)
                on:change=move |ev| {
                    let ids = if event_target_checked(&ev) {
                        list.rows().and_then(Result::ok).unwrap_or_default().iter().map(|r| r.id).collect()
                    } else {
                        Vec::new()
                    };
                    selected.set(ids);
                }/>
        }
        .into_any()
    };
    vec![
        Column::control(select_all),
        Column::new(i18n.t(CustomerText::Name)),
        Column::new(i18n.t(CustomerText::Status)),
        Column::new(i18n.t(CustomerText::Phone)),
        Column::new(i18n.t(CustomerText::Region)),
        Column::new(i18n.t(CustomerText::Owner)),
        Column::new(i18n.t(CustomerText::TotalSpend))
            .numeric()
            .sorts_by(CustomerSort::Spend.as_str()),
        Column::new(i18n.t(CustomerText::LastOrder)).sorts_by(CustomerSort::LastOrder.as_str()),
    ]
}

#[component]
fn CustomerRowView(row: CustomerRow, selected: RwSignal<Vec<CustomerId>>) -> impl IntoView {
    let id = row.id;
    view! {
        <tr>
            <td>
                <input type="checkbox" aria-label=row.name.clone()
                    prop:checked=move || selected.get().contains(&id)
                    on:change=move |ev| selected.update(|s| if event_target_checked(&ev) { s.push(id) } else { s.retain(|x| *x != id) })/>
            </td>
            <td>
                <A href=format!("/customers/{}", id.0)>{row.name.clone()}</A>
                <div class="tags">{row.tags.iter().map(|t| view! { <span class="tag">{t.clone()}</span> }).collect_view()}</div>
            </td>
            <td><StatusBadges customer_type=row.customer_type status=row.status stage=row.stage/></td>
            <td>{row.phone.clone().unwrap_or_default()}</td>
            <td>{row.region.clone().unwrap_or_default()}</td>
            <td>{row.owner_name.clone().unwrap_or_default()}</td>
            <td class="num">{row.total_spend.display()}</td>
            <td>{row.last_order_at.map(|at| view! { <Timestamp at/> })}</td>
        </tr>
    }
}

/// The customer id of the route (`/customers/:id`), if it parses.
///
/// A memo, so that it notifies only when the id itself changes: the router also touches the
/// params while it leaves the page, and a derived signal would rebuild every card under it (each
/// refetching a customer the user may just have deleted).
pub fn param_id() -> Signal<Option<CustomerId>> {
    let params = use_params_map();
    Memo::new(move |_| params.read().get("id").and_then(|v| v.parse().ok()).map(CustomerId)).into()
}

/// `/customers/new`.
#[component]
pub fn NewCustomerPage() -> impl IntoView {
    let i18n = use_i18n();
    let options = Resource::new(|| (), |_| get_customer_options());
    view! {
        <section class="page">
            <h1>{i18n.t(CustomerText::NewCustomer)}</h1>
            <ResourceView resource=options let:options>
                <CustomerForm existing=None options/>
            </ResourceView>
        </section>
    }
}

/// `/customers/:id/edit`.
#[component]
pub fn EditCustomerPage() -> impl IntoView {
    let i18n = use_i18n();
    let id = param_id();
    let customer = Resource::new(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => get_customer(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    // Both load here, before the form exists: a resource the form created itself would only
    // start once the customer arrived, and hydrate differently from how the server drew it.
    let options = Resource::new(|| (), |_| get_customer_options());
    view! {
        <section class="page">
            <h1>{i18n.t(CustomerText::EditCustomer)}</h1>
            <ResourceView resource=customer let:detail>
                <ResourceView resource=options let:options>
                    <CustomerForm existing=Some(detail.clone()) options/>
                </ResourceView>
            </ResourceView>
        </section>
    }
}

/// The create/edit form with contacts and custom fields. Field errors show at their field;
/// a conflict says someone saved first and keeps what the user typed.
#[component]
fn CustomerForm(existing: Option<CustomerDetail>, options: CustomerOptions) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let navigate = use_navigate();
    let start = existing.as_ref().map(CustomerDetail::to_input).unwrap_or_default();
    let editing = existing.as_ref().map(|d| (d.id, d.version));
    let s = |v: &str| RwSignal::new(v.to_owned());
    let kind = s(start.kind.as_str());
    let name = s(&start.name);
    let customer_type = s(start.customer_type.as_str());
    let churn_reason = s(&start.churn_reason);
    let phone = s(&start.phone);
    let email = s(&start.email);
    let address = s(&start.address);
    let region = s(&start.region);
    let industry = s(&start.industry);
    let source = s(start.source.as_str());
    let owner = s(&start.owner_id.map(|o| o.0.to_string()).unwrap_or_default());
    let tags = s(&start.tags.join(", "));
    let birthday = s(&start.birthday.map(|d| d.to_string()).unwrap_or_default());
    let anniversary = s(&start.anniversary.map(|d| d.to_string()).unwrap_or_default());
    let notes = s(&start.notes);
    let custom = RwSignal::new(start.custom_fields.clone());
    let locale = s(start.locale.tag());
    let do_not_contact = RwSignal::new(start.do_not_contact);
    let external_id = s(&start.external_id);
    let contacts = RwSignal::new(
        existing
            .as_ref()
            .map(|d| d.contacts.iter().map(Contact::to_input).collect::<Vec<_>>())
            .unwrap_or_default(),
    );
    // Creating and saving share the form: the input says which (an edit carries id and version).
    let save = Submission::new(
        |(editing, input, list): &(Option<(CustomerId, i32)>, CustomerInput, Vec<ContactInput>)| {
            let (editing, input, list) = (*editing, input.clone(), list.clone());
            async move {
                match editing {
                    Some((id, version)) => {
                        update_customer(id, version, input, list).await.map(|_| id)
                    }
                    None => create_customer(input, list).await,
                }
            }
        },
    )
    .shows_fields_under("custom.")
    .shows_fields_under("contacts.")
    .on_success(move |id| {
        toasts.success(if editing.is_some() { CustomerText::Saved } else { CustomerText::Created });
        navigate(&format!("/customers/{}", id.0), Default::default());
    });
    let fail = save.failure();

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = CustomerInput {
            kind: CustomerKind::parse(&kind.get_untracked()).unwrap_or_default(),
            name: name.get_untracked(),
            external_id: external_id.get_untracked(),
            customer_type: CustomerType::parse(&customer_type.get_untracked()).unwrap_or_default(),
            churn_reason: churn_reason.get_untracked(),
            phone: phone.get_untracked(),
            email: email.get_untracked(),
            address: address.get_untracked(),
            region: region.get_untracked(),
            industry: industry.get_untracked(),
            source: Source::parse(&source.get_untracked()).unwrap_or_default(),
            owner_id: owner.get_untracked().parse().ok().map(UserId),
            tags: tags.get_untracked().split([',', '，', ';']).map(str::to_owned).collect(),
            birthday: birthday.get_untracked().parse().ok(),
            anniversary: anniversary.get_untracked().parse().ok(),
            notes: notes.get_untracked(),
            custom_fields: custom.get_untracked(),
            locale: Locale::from_tag(&locale.get_untracked()).unwrap_or_default(),
            do_not_contact: do_not_contact.get_untracked(),
        };
        save.submit((editing, input, contacts.get_untracked()));
    };
    let mut owner_list = vec![(String::new(), "—".to_owned())];
    owner_list.extend(options.owners.iter().map(|(id, name)| (id.0.to_string(), name.clone())));
    let owner_options = move || owner_list.clone();
    let custom_field_defs = options.custom_fields;
    view! {
        <form class="card form customer-form" on:submit=submit data-testid="customer-form">
            {move || fail.get().filter(|e| e.field_errors().is_none()).map(|error| view! { <ErrorNotice error/> })}
            <div class="grid-3">
                <TextField label=i18n.t(CustomerText::Name) name="name" value=name error=save.field("name") required=true/>
                <SelectField label=i18n.t(CustomerText::Kind) name="kind" value=kind
                    options=Signal::derive(move || enum_options(CustomerKind::ALL, CustomerKind::as_str, customer_kind_label, None, i18n.locale()))/>
                <SelectField label=i18n.t(CustomerText::Type) name="customer_type" value=customer_type
                    options=Signal::derive(move || enum_options(CustomerType::ALL, CustomerType::as_str, customer_type_label, None, i18n.locale()))/>
                <Show when=move || customer_type.get() == "former">
                    <TextField label=i18n.t(CustomerText::ChurnReason) name="churn_reason" value=churn_reason error=save.field("churn_reason")/>
                </Show>
                <TextField label=i18n.t(CustomerText::Phone) name="phone" input_type="tel" value=phone error=save.field("phone")/>
                <TextField label=i18n.t(CustomerText::Email) name="email" input_type="email" value=email error=save.field("email")/>
                <TextField label=i18n.t(CustomerText::Region) name="region" value=region error=save.field("region")/>
                <TextField label=i18n.t(CustomerText::Industry) name="industry" value=industry error=save.field("industry")/>
                <SelectField label=i18n.t(CustomerText::Source) name="source" value=source
                    options=Signal::derive(move || enum_options(Source::ALL, Source::as_str, source_label, None, i18n.locale()))/>
                <SelectField label=i18n.t(CustomerText::Owner) name="owner_id" value=owner options=Signal::derive(owner_options) error=save.field("owner_id")/>
                <TextField label=i18n.t(CustomerText::Tags) name="tags" value=tags error=save.field("tags")/>
                <TextField label=i18n.t(CustomerText::Address) name="address" value=address error=save.field("address")/>
                <TextField label=i18n.t(CustomerText::Birthday) name="birthday" input_type="date" value=birthday/>
                <TextField label=i18n.t(CustomerText::Anniversary) name="anniversary" input_type="date" value=anniversary/>
                <SelectField label=i18n.t(CustomerText::Language) name="locale" value=locale
                    options=Signal::derive(|| Locale::ALL.iter().map(|l| (l.tag().to_owned(), l.endonym().to_owned())).collect())/>
                <TextField label=i18n.t(CustomerText::ExternalId) name="external_id" value=external_id error=save.field("external_id")/>
                <CheckboxField label=i18n.t(CustomerText::DoNotContact) name="do_not_contact" checked=do_not_contact/>
            </div>
            <TextField label=i18n.t(CustomerText::Notes) name="notes" value=notes error=save.field("notes")/>
            <CustomFieldInputs defs=custom_field_defs values=custom failure=fail/>
            <ContactsEditor contacts failure=fail/>
            <div class="actions">
                <button type="submit" class="button primary" disabled=move || save.pending().get()>{i18n.t(CommonText::Save)}</button>
            </div>
        </form>
    }
}

#[component]
fn CustomFieldInputs(
    defs: Vec<CustomFieldDef>,
    values: RwSignal<serde_json::Map<String, serde_json::Value>>,
    failure: Signal<Option<AppError>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let active: Vec<CustomFieldDef> = defs.into_iter().filter(|d| d.active).collect();
    (!active.is_empty()).then(|| view! {
        <fieldset class="fieldset">
            <legend>{i18n.t(CustomerText::CustomFields)}</legend>
            <div class="grid-3">
                {active.into_iter().map(|def| {
                    let key = def.key.clone();
                    let current = values.with_untracked(|v| match v.get(&key) {
                        Some(serde_json::Value::String(s)) => s.clone(),
                        Some(serde_json::Value::Null) | None => String::new(),
                        Some(other) => other.to_string(),
                    });
                    let value = RwSignal::new(current);
                    let k = key.clone();
                    Effect::new(move |_| {
                        let v = value.get();
                        values.update(|map| { map.insert(k.clone(), serde_json::Value::String(v)); });
                    });
                    let (label_zh, label_en) = (def.label_zh.clone(), def.label_en.clone());
                    let label = move || if i18n.locale() == Locale::ZhCn { label_zh.clone() } else { label_en.clone() };
                    let name = format!("custom_{key}");
                    let error = field_message(failure, format!("custom.{key}"));
                    match def.field_type {
                        CustomFieldType::Choice => {
                            let choices = std::iter::once((String::new(), "—".to_owned())).chain(def.choices.iter().map(|c| (c.clone(), c.clone()))).collect::<Vec<_>>();
                            view! { <SelectField label=label name=name value=value options=Signal::derive(move || choices.clone()) error=error/> }.into_any()
                        }
                        CustomFieldType::Date => view! { <TextField label=label name=name input_type="date" value=value error=error/> }.into_any(),
                        _ => view! { <TextField label=label name=name value=value error=error/> }.into_any(),
                    }
                }).collect_view()}
            </div>
        </fieldset>
    })
}

#[component]
fn ContactsEditor(
    contacts: RwSignal<Vec<ContactInput>>,
    failure: Signal<Option<AppError>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let error_at = move |index: usize, field: &str| {
        let key = format!("contacts.{index}.{field}");
        failure.with(|f| {
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
    view! {
        <fieldset class="fieldset">
            <legend>{i18n.t(CustomerText::Contacts)}</legend>
            {move || contacts.get().into_iter().enumerate().map(|(index, contact)| {
                let set = move |f: fn(&mut ContactInput, String), value: String| contacts.update(|list| if let Some(c) = list.get_mut(index) { f(c, value) });
                view! {
                    <div class="contact-row" data-testid="contact-row">
                        <div class="field">
                            <label>{i18n.t(CustomerText::ContactName)}</label>
                            <input type="text" name=format!("contact_name_{index}") prop:value=contact.name.clone() on:change=move |ev| set(|c, v| c.name = v, event_target_value(&ev))/>
                            <span class="field-error">{move || error_at(index, "name")}</span>
                        </div>
                        <div class="field">
                            <label>{i18n.t(CustomerText::ContactTitle)}</label>
                            <input type="text" prop:value=contact.title.clone() on:change=move |ev| set(|c, v| c.title = v, event_target_value(&ev))/>
                        </div>
                        <div class="field">
                            <label>{i18n.t(CustomerText::Phone)}</label>
                            <input type="tel" prop:value=contact.phone.clone() on:change=move |ev| set(|c, v| c.phone = v, event_target_value(&ev))/>
                            <span class="field-error">{move || error_at(index, "phone")}</span>
                        </div>
                        <div class="field">
                            <label>{i18n.t(CustomerText::Email)}</label>
                            <input type="email" prop:value=contact.email.clone() on:change=move |ev| set(|c, v| c.email = v, event_target_value(&ev))/>
                            <span class="field-error">{move || error_at(index, "email")}</span>
                        </div>
                        <label class="field-checkbox">
                            <input type="checkbox" prop:checked=contact.is_primary on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                contacts.update(|list| if let Some(c) = list.get_mut(index) { c.is_primary = on });
                            }/>
                            {i18n.t(CustomerText::PrimaryContact)}
                        </label>
                        <button type="button" class="button small ghost" on:click=move |_| contacts.update(|list| { if index < list.len() { list.remove(index); } })>
                            {i18n.t(CustomerText::Remove)}
                        </button>
                    </div>
                }
            }).collect_view()}
            <button type="button" class="button small" on:click=move |_| contacts.update(|list| list.push(ContactInput::default()))>
                {i18n.t(CustomerText::AddContact)}
            </button>
        </fieldset>
    }
}

#[component]
pub fn KeyFacts(detail: Arc<CustomerDetail>) -> impl IntoView {
    let i18n = use_i18n();
    let d = detail;
    let never = move || i18n.text(CustomerText::Never).to_owned();
    view! {
        <div class="card">
            <dl class="facts key-facts" data-testid="key-facts">
                <div><dt>{i18n.t(CustomerText::TotalSpend)}</dt><dd data-testid="total-spend">{d.total_spend.display()}</dd></div>
                <div><dt>{i18n.t(CustomerText::Orders)}</dt><dd data-testid="order-count">{d.order_count}</dd></div>
                <div><dt>{i18n.t(CustomerText::LastOrder)}</dt><dd>{match d.last_order_at { Some(at) => view! { <Timestamp at/> }.into_any(), None => never.into_any() }}</dd></div>
                <div><dt>{i18n.t(CustomerText::FirstOrder)}</dt><dd>{match d.first_order_at { Some(at) => view! { <Timestamp at/> }.into_any(), None => never.into_any() }}</dd></div>
                <div><dt>{i18n.t(CustomerText::Owner)}</dt><dd data-testid="owner">{d.owner_name.clone().unwrap_or_else(|| "—".into())}</dd></div>
                <div><dt>{i18n.t(CustomerText::Kind)}</dt><dd>{let k = d.kind; move || customer_kind_label(k, i18n.locale())}</dd></div>
                <div><dt>{i18n.t(CustomerText::Phone)}</dt><dd>{d.phone.clone().unwrap_or_else(|| "—".into())}</dd></div>
                <div><dt>{i18n.t(CustomerText::Email)}</dt><dd>{d.email.clone().unwrap_or_else(|| "—".into())}</dd></div>
                <div><dt>{i18n.t(CustomerText::Region)}</dt><dd>{d.region.clone().unwrap_or_else(|| "—".into())}</dd></div>
                <div><dt>{i18n.t(CustomerText::Industry)}</dt><dd>{d.industry.clone().unwrap_or_else(|| "—".into())}</dd></div>
                <div><dt>{i18n.t(CustomerText::Source)}</dt><dd>{let s = d.source; move || source_label(s, i18n.locale())}</dd></div>
                <div><dt>{i18n.t(CustomerText::Language)}</dt><dd data-testid="customer-locale">{d.locale.endonym()}</dd></div>
                {d.external_id.clone().map(|id| view! {
                    <div><dt>{i18n.t(CustomerText::ExternalId)}</dt><dd data-testid="customer-external-id">{id}</dd></div>
                })}
                <div><dt>{i18n.t(CustomerText::Tags)}</dt><dd class="tags" data-testid="tags">{d.tags.iter().map(|t| view! { <span class="tag">{t.clone()}</span> }).collect_view()}</dd></div>
                {d.churn_reason.clone().map(|reason| view! { <div><dt>{i18n.t(CustomerText::ChurnReason)}</dt><dd>{reason}</dd></div> })}
                {d.custom_fields.iter().map(|(k, v)| {
                    let value = match v { serde_json::Value::String(s) => s.clone(), other => other.to_string() };
                    view! { <div><dt>{k.clone()}</dt><dd>{value}</dd></div> }
                }).collect_view()}
            </dl>
            {d.notes.clone().map(|notes| view! { <p class="notes">{notes}</p> })}
        </div>
    }
}

#[component]
pub fn ContactsView(customer: Resource<Result<CustomerDetail, AppError>>) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        customer.get().and_then(Result::ok).map(|c| {
            if c.contacts.is_empty() {
                return view! { <p class="empty">{i18n.t(CustomerText::NothingYet)}</p> }.into_any();
            }
            view! {
                <Table columns=vec![
                    Column::new(i18n.t(CustomerText::ContactName)),
                    Column::new(i18n.t(CustomerText::ContactTitle)),
                    Column::new(i18n.t(CustomerText::Phone)),
                    Column::new(i18n.t(CustomerText::Email)),
                ]>
                        {c.contacts.into_iter().map(|ct| view! {
                            <tr>
                                <td>{ct.name}{ct.is_primary.then(|| view! { <span class="badge">{i18n.t(CustomerText::PrimaryContact)}</span> })}</td>
                                <td>{ct.title.unwrap_or_default()}</td>
                                <td>{ct.phone.unwrap_or_default()}</td>
                                <td>{ct.email.unwrap_or_default()}</td>
                            </tr>
                        }).collect_view()}
                </Table>
            }
            .into_any()
        })
    }
}

#[component]
pub fn TimelineView(customer_id: CustomerId, version: Memo<(u64, u32)>) -> impl IntoView {
    let i18n = use_i18n();
    let entries = RwSignal::new(Vec::<crate::customers::timeline::model::TimelineEntry>::new());
    let next = RwSignal::new(None::<crate::customers::timeline::model::TimelineCursor>);
    let first = Resource::new(move || version.get(), move |_| get_timeline(customer_id, None));
    Effect::new(move |_| {
        if let Some(Ok(page)) = first.get() {
            entries.set(page.items);
            next.set(page.next);
        }
    });
    let older = move |_| {
        let Some(cursor) = next.get_untracked() else { return };
        spawn_local(async move {
            if let Ok(page) = get_timeline(customer_id, Some(cursor)).await {
                entries.update(|e| e.extend(page.items));
                next.set(page.next);
            }
        });
    };
    let render = move |list: Vec<crate::customers::timeline::model::TimelineEntry>| {
        if list.is_empty() {
            return view! { <p class="empty">{i18n.t(CustomerText::NothingYet)}</p> }.into_any();
        }
        view! {
            <ol class="timeline" data-testid="timeline">
                {list.into_iter().map(|entry| {
                    let data = entry.data.clone();
                    let kind = entry.kind.clone();
                    let text = move || timeline_text(&kind, &data, i18n.locale());
                    view! {
                        <li class=format!("timeline-entry kind-{}", entry.kind)>
                            <span class="timeline-dot"></span>
                            <div>
                                <div class="timeline-text">{text}</div>
                                <div class="muted small">
                                    <Timestamp at=entry.at/>" · "
                                    {entry.actor_name.clone().unwrap_or_else(|| TimelineText::System.text(i18n.locale()).to_owned())}
                                </div>
                            </div>
                        </li>
                    }
                }).collect_view()}
            </ol>
        }
        .into_any()
    };
    view! {
        <Transition fallback=|| view! { <Loading/> }>
            {move || first.get().map(|result| match result {
                Err(error) => view! { <ErrorNotice error/> }.into_any(),
                Ok(page) => {
                    // Before the effect has copied the page (server render), show it directly.
                    let list = if entries.with(Vec::is_empty) { page.items } else { entries.get() };
                    render(list)
                }
            })}
        </Transition>
        <Show when=move || next.get().is_some()>
            <button type="button" class="button small" on:click=older>{i18n.t(TimelineText::LoadOlder)}</button>
        </Show>
    }
}

#[component]
pub fn OwnerForm(customer_id: CustomerId, on_done: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let options = Resource::new(|| (), |_| get_customer_options());
    let owner = RwSignal::new(String::new());
    let save = server_submission::<AssignOwner>().on_success(move |_| {
        toasts.success(CustomerText::Saved);
        on_done.run(());
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(id) = owner.get_untracked().parse::<i64>() else { return };
        save.submit(AssignOwner {
            selection: Selection::Ids(vec![customer_id]),
            owner_id: UserId(id),
        });
    };
    let owner_options = move || owner_menu("—", options.get());
    view! {
        <Transition fallback=|| view! { <Loading/> }>
            <form class="inline-form" on:submit=submit>
                <SelectField label=i18n.t(CustomerText::Owner) name="new_owner" value=owner options=Signal::derive(owner_options) error=save.field("owner_id")/>
                <button type="submit" class="button primary" disabled=move || save.pending().get()>{i18n.t(CommonText::Save)}</button>
            </form>
        </Transition>
    }
}

#[component]
pub fn TagForm(customer_id: CustomerId, on_done: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let tag = RwSignal::new(String::new());
    let save = server_submission::<TagCustomers>().on_success(move |_| {
        toasts.success(CustomerText::Saved);
        on_done.run(());
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.submit(TagCustomers {
            selection: Selection::Ids(vec![customer_id]),
            tag: tag.get_untracked(),
        });
    };
    view! {
        <form class="inline-form" on:submit=submit>
            <TextField label=i18n.t(CustomerText::AddTag) name="new_tag" value=tag error=save.field("tag")/>
            <button type="submit" class="button primary" disabled=move || save.pending().get()>{i18n.t(CommonText::Save)}</button>
        </form>
    }
}

/// `/customers/duplicates`: the review queue, the merge screen and recent merges.
#[component]
pub fn DuplicatesPage() -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let session = use_auth_session();
    let version = RwSignal::new(0u32);
    let changes = use_server_events().changes(Topic::Customer);
    let pairs = Resource::new(move || (version.get(), changes.get()), |_| list_duplicates(None));
    let merges = Resource::new(move || (version.get(), changes.get()), |_| list_merges());
    let merging = RwSignal::new(None::<DuplicatePair>);
    let bump = move || version.update(|v| *v += 1);
    let is_admin = move || session.current().is_some_and(|u| u.role.includes(Role::Admin));
    let scan = server_submission::<StartDuplicateScan>()
        .on_success(move |_| toasts.success(ImportText::ScanStarted));
    let dismiss = server_submission::<DismissDuplicate>().on_success(move |()| {
        toasts.success(ImportText::Dismissed);
        bump();
    });
    let undo = server_submission::<UndoMerge>().on_success(move |()| {
        toasts.success(ImportText::Undone);
        bump();
    });
    view! {
        <section class="page">
            <div class="page-head">
                <h1>{i18n.t(ImportText::DuplicatesTitle)}</h1>
                <Show when=is_admin><button type="button" class="button" disabled=move || scan.pending().get() on:click=move |_| scan.submit(StartDuplicateScan {})>{i18n.t(ImportText::ScanAll)}</button></Show>
            </div>
            {move || merging.get().map(|pair| view! { <MergePanel pair merging on_done=Callback::new(move |_| bump())/> })}
            <ResourceView resource=pairs let:page>
                {match page {
                    page if page.items.is_empty() => view! { <p class="empty">{i18n.t(CommonText::NothingFound)}</p> }.into_any(),
                    page => view! {
                            <Table testid="duplicates" columns=vec![
                                Column::new(i18n.t(CustomerText::Name)),
                                Column::new(i18n.t(CustomerText::Name)),
                                Column::new(i18n.t(ImportText::Reason)),
                                Column::blank(),
                            ]>
                                    {page.items.into_iter().map(|pair| {
                                        let reason = match pair.reason.as_str() { "phone" => ImportText::ReasonPhone, "email" => ImportText::ReasonEmail, _ => ImportText::ReasonName };
                                        let p = pair.clone();
                                        let id = pair.id;
                                        view! {
                                            <tr>
                                                <td><A href=format!("/customers/{}", pair.a.id.0)>{pair.a.name.clone()}</A><div class="muted small">{pair.a.phone.clone()}" "{pair.a.region.clone()}</div></td>
                                                <td><A href=format!("/customers/{}", pair.b.id.0)>{pair.b.name.clone()}</A><div class="muted small">{pair.b.phone.clone()}" "{pair.b.region.clone()}</div></td>
                                                <td>{i18n.t(reason)}" "<span class="muted small">{format!("{:.0}%", pair.score * 100.0)}</span></td>
                                                <td class="row-actions">
                                                    <button type="button" class="button small primary" on:click=move |_| merging.set(Some(p.clone()))>{i18n.t(ImportText::Merge)}</button>
                                                    <button type="button" class="button small ghost" disabled=move || dismiss.pending().get()
                                                        on:click=move |_| dismiss.submit(DismissDuplicate { pair_id: id })>{i18n.t(ImportText::NotDuplicates)}</button>
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                            </Table>
                    }.into_any(),
                }}
            </ResourceView>
            <h2>{i18n.t(ImportText::RecentMerges)}</h2>
            <Transition fallback=|| ()>
                {move || merges.get().and_then(Result::ok).map(|list| view! {
                    <ul class="plain-list" data-testid="merges">
                        {list.into_iter().map(|m| {
                            let id = m.id;
                            view! {
                                <li>
                                    <A href=format!("/customers/{}", m.survivor_id.0)>{m.survivor_name.clone()}</A>
                                    " ← "{m.merged_name.clone()}" · "<Timestamp at=m.merged_at/>
                                    <button type="button" class="button small" disabled=move || undo.pending().get()
                                        on:click=move |_| undo.submit(UndoMerge { merge_id: id })>{i18n.t(ImportText::Undo)}</button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                })}
            </Transition>
        </section>
    }
}

/// The side-by-side merge screen: one survivor, and per field which record's value to keep.
#[component]
fn MergePanel(
    pair: DuplicatePair,
    merging: RwSignal<Option<DuplicatePair>>,
    on_done: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let a = Resource::new(move || (), move |_| get_customer(pair.a.id));
    let b = Resource::new(move || (), move |_| get_customer(pair.b.id));
    // Which side survives, and for each field which side's value is kept.
    let survivor_is_a = RwSignal::new(pair.a.order_count >= pair.b.order_count);
    let picks = RwSignal::new(std::collections::BTreeMap::<&'static str, bool>::new());
    type Getter = fn(&CustomerDetail) -> String;
    let fields: Vec<(&'static str, CustomerText, Getter)> = vec![
        ("name", CustomerText::Name, |d| d.name.clone()),
        ("phone", CustomerText::Phone, |d| d.phone.clone().unwrap_or_default()),
        ("email", CustomerText::Email, |d| d.email.clone().unwrap_or_default()),
        ("address", CustomerText::Address, |d| d.address.clone().unwrap_or_default()),
        ("region", CustomerText::Region, |d| d.region.clone().unwrap_or_default()),
        ("industry", CustomerText::Industry, |d| d.industry.clone().unwrap_or_default()),
        ("owner_id", CustomerText::Owner, |d| d.owner_name.clone().unwrap_or_default()),
        ("notes", CustomerText::Notes, |d| d.notes.clone().unwrap_or_default()),
    ];
    let fields = StoredValue::new(fields);
    let merge = server_submission::<MergeCustomers>().on_success(move |_| {
        toasts.success(ImportText::Merged);
        merging.set(None);
        on_done.run(());
    });
    let submit = move |_| {
        let a_survives = survivor_is_a.get_untracked();
        let (survivor, merged) =
            if a_survives { (pair.a.id, pair.b.id) } else { (pair.b.id, pair.a.id) };
        // A pick of the side that is not the survivor takes that field from the merged record.
        let take_from_merged = picks
            .get_untracked()
            .into_iter()
            .filter(|(_, pick_a)| *pick_a != a_survives)
            .map(|(field, _)| field.to_owned())
            .collect();
        merge.submit(MergeCustomers {
            request: MergeRequest { survivor, merged, take_from_merged },
        });
    };
    view! {
        <div class="card panel merge-panel" data-testid="merge-panel">
            <h2>{i18n.t(ImportText::MergeTitle)}</h2>
            <p class="muted">{i18n.t(ImportText::MergeHelp)}</p>
            <ResourceView resource=a let:a>
                <ResourceView resource=b let:b>
                {
                        let rows = fields.get_value();
                        let a = a.clone();
                        view! {
                            <table class="table merge-table">
                                <thead>
                                    <tr>
                                        <th>{i18n.t(ImportText::Field)}</th>
                                        <th><label><input type="radio" name="survivor" prop:checked=move || survivor_is_a.get() on:change=move |_| survivor_is_a.set(true)/>" "{i18n.t(ImportText::Keep)}</label></th>
                                        <th><label><input type="radio" name="survivor" prop:checked=move || !survivor_is_a.get() on:change=move |_| survivor_is_a.set(false)/>" "{i18n.t(ImportText::Keep)}</label></th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {rows.into_iter().map(|(field, label, get)| {
                                        let (va, vb) = (get(&a), get(&b));
                                        let chosen_a = move || picks.with(|p| p.get(field).copied()).unwrap_or_else(|| survivor_is_a.get());
                                        view! {
                                            <tr class:differs=va != vb>
                                                <th>{i18n.t(label)}</th>
                                                <td><label><input type="radio" name=format!("pick_{field}") prop:checked=chosen_a on:change=move |_| picks.update(|p| { p.insert(field, true); })/>" "{va.clone()}</label></td>
                                                <td><label><input type="radio" name=format!("pick_{field}") prop:checked=move || !chosen_a() on:change=move |_| picks.update(|p| { p.insert(field, false); })/>" "{vb.clone()}</label></td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }
                }
                </ResourceView>
            </ResourceView>
            <div class="actions">
                <button type="button" class="button primary" disabled=move || merge.pending().get() on:click=submit>{i18n.t(ImportText::Merge)}</button>
                <button type="button" class="button ghost" on:click=move |_| merging.set(None)>{i18n.t(CommonText::Cancel)}</button>
            </div>
        </div>
    }
}

/// Deleted customers, restorable by admins (a section of `/admin/recycle-bin`).
#[component]
pub fn DeletedCustomersSection() -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let version = RwSignal::new(0u32);
    let deleted = Resource::new(move || version.get(), |_| list_deleted_customers());
    let restore = server_submission::<RestoreCustomer>().on_success(move |()| {
        toasts.success(CustomerText::Restored);
        version.update(|v| *v += 1);
    });
    view! {
        <div class="card">
            <h2>{i18n.t(CustomerText::Customers)}</h2>
            <ResourceView resource=deleted let:list>
                {match list {
                    list if list.is_empty() => view! { <p class="empty">{i18n.t(CommonText::NothingFound)}</p> }.into_any(),
                    list => view! {
                            <Table testid="recycle-bin" columns=vec![
                                Column::new(i18n.t(CustomerText::Name)),
                                Column::new(i18n.t(CustomerText::DeletedAt)),
                                Column::new(i18n.t(CustomerText::DeletedBy)),
                                Column::blank(),
                            ]>
                                    {list.into_iter().map(|c| {
                                        let id = c.id;
                                        view! {
                                            <tr>
                                                <td>{c.name.clone()}</td>
                                                <td><Timestamp at=c.deleted_at/></td>
                                                <td>{c.deleted_by_name.clone().unwrap_or_default()}</td>
                                                <td><button type="button" class="button small" disabled=move || restore.pending().get()
                                                    on:click=move |_| restore.submit(RestoreCustomer { id })>{i18n.t(CustomerText::Restore)}</button></td>
                                            </tr>
                                        }
                                    }).collect_view()}
                            </Table>
                    }.into_any(),
                }}
            </ResourceView>
        </div>
    }
}

/// `/admin/customers`: the status and stage rules, and the custom fields.
#[component]
pub fn CustomerSettingsPage() -> impl IntoView {
    let i18n = use_i18n();
    let version = RwSignal::new(0u32);
    let options = Resource::new(move || version.get(), |_| get_customer_options());
    let on_saved = Callback::new(move |_| version.update(|v| *v += 1));
    view! {
        <section class="page">
            <h1>{i18n.t(CustomerText::Settings)}</h1>
            <ResourceView resource=options let:o>
                <StatusRulesForm settings=o.settings.clone() on_saved/>
                <CustomFieldsEditor defs=o.custom_fields on_saved/>
            </ResourceView>
        </section>
    }
}

#[component]
fn StatusRulesForm(settings: CustomerSettings, on_saved: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let window = RwSignal::new(settings.active_window_days.to_string());
    let orders = RwSignal::new(settings.loyal_min_orders.to_string());
    let span = RwSignal::new(settings.loyal_min_span_days.to_string());
    let save = server_submission::<SaveCustomerSettings>().on_success(move |()| {
        toasts.success(CustomerText::SettingsSaved);
        on_saved.run(());
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let number = |s: RwSignal<String>| s.get_untracked().trim().parse().unwrap_or(-1);
        save.submit(SaveCustomerSettings {
            settings: CustomerSettings {
                active_window_days: number(window),
                loyal_min_orders: number(orders),
                loyal_min_span_days: number(span),
                ..settings.clone()
            },
        });
    };
    view! {
        <form class="card form" on:submit=submit data-testid="customer-settings">
            <TextField label=i18n.t(CustomerText::ActiveWindow) name="active_window_days" input_type="number" value=window error=save.field("active_window_days")/>
            <p class="hint">{i18n.t(CustomerText::ActiveWindowHelp)}</p>
            <div class="grid-2">
                <TextField label=i18n.t(CustomerText::LoyalOrders) name="loyal_min_orders" input_type="number" value=orders error=save.field("loyal_min_orders")/>
                <TextField label=i18n.t(CustomerText::LoyalSpan) name="loyal_min_span_days" input_type="number" value=span error=save.field("loyal_min_span_days")/>
            </div>
            <p class="hint">{i18n.t(CustomerText::LoyalHelp)}</p>
            <div class="actions"><button type="submit" class="button primary" disabled=move || save.pending().get()>{i18n.t(CommonText::Save)}</button></div>
        </form>
    }
}

#[component]
fn CustomFieldsEditor(defs: Vec<CustomFieldDef>, on_saved: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let key = RwSignal::new(String::new());
    let label_zh = RwSignal::new(String::new());
    let label_en = RwSignal::new(String::new());
    let field_type = RwSignal::new("text".to_owned());
    let choices = RwSignal::new(String::new());
    let save = server_submission::<SaveCustomField>().on_success(move |_| {
        toasts.success(CustomerText::FieldSaved);
        on_saved.run(());
    });
    // Switching a field on or off is the same save, without the toast.
    let toggle = server_submission::<SaveCustomField>().on_success(move |_| on_saved.run(()));
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let def = CustomFieldDef {
            id: 0,
            key: key.get_untracked().trim().to_owned(),
            label_zh: label_zh.get_untracked(),
            label_en: label_en.get_untracked(),
            field_type: CustomFieldType::parse(&field_type.get_untracked())
                .unwrap_or(CustomFieldType::Text),
            choices: choices
                .get_untracked()
                .split([',', '，'])
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty())
                .collect(),
            position: 0,
            active: true,
            version: 1,
        };
        save.submit(SaveCustomField { field: def });
    };
    view! {
        <div class="card">
            <h2>{i18n.t(CustomerText::CustomFields)}</h2>
            <Table columns=vec![
                Column::new(i18n.t(CustomerText::FieldKey)),
                Column::new(i18n.t(CustomerText::FieldLabelZh)),
                Column::new(i18n.t(CustomerText::FieldLabelEn)),
                Column::new(i18n.t(CustomerText::FieldType)),
                Column::new(i18n.t(CustomerText::Active)),
            ]>
                    {defs.into_iter().map(|d| {
                        let t = d.field_type;
                        let toggled = CustomFieldDef { active: !d.active, ..d.clone() };
                        view! {
                            <tr>
                                <td><code>{d.key.clone()}</code></td>
                                <td>{d.label_zh.clone()}</td>
                                <td>{d.label_en.clone()}</td>
                                <td>{move || field_type_label(t, i18n.locale())}{(!d.choices.is_empty()).then(|| format!(" ({})", d.choices.join(", ")))}</td>
                                <td><input type="checkbox" prop:checked=d.active aria-label=d.key.clone()
                                    on:change=move |_| toggle.submit(SaveCustomField { field: toggled.clone() })/></td>
                            </tr>
                        }
                    }).collect_view()}
            </Table>
            <form class="form" on:submit=create>
                <h3>{i18n.t(CustomerText::NewField)}</h3>
                <div class="grid-3">
                    <TextField label=i18n.t(CustomerText::FieldKey) name="key" value=key error=save.field("key")/>
                    <TextField label=i18n.t(CustomerText::FieldLabelZh) name="label_zh" value=label_zh error=save.field("label_zh")/>
                    <TextField label=i18n.t(CustomerText::FieldLabelEn) name="label_en" value=label_en error=save.field("label_en")/>
                    <SelectField label=i18n.t(CustomerText::FieldType) name="field_type" value=field_type
                        options=Signal::derive(move || enum_options(CustomFieldType::ALL, CustomFieldType::as_str, field_type_label, None, i18n.locale()))/>
                    <TextField label=i18n.t(CustomerText::FieldChoices) name="choices" value=choices error=save.field("choices")/>
                </div>
                <div class="actions"><button type="submit" class="button primary" disabled=move || save.pending().get()>{i18n.t(CustomerText::NewField)}</button></div>
            </form>
        </div>
    }
}

/// An owner menu: `first` (no owner, or any owner) with the empty value, then everyone the
/// caller may give records to, once `options` have loaded.
pub fn owner_menu(
    first: &str,
    options: Option<Result<super::api::CustomerOptions, AppError>>,
) -> Vec<(String, String)> {
    let mut menu = vec![(String::new(), first.to_owned())];
    if let Some(Ok(o)) = options {
        menu.extend(o.owners.into_iter().map(|(id, name)| (id.0.to_string(), name)));
    }
    menu
}

/// Finds a customer by a fragment of name, phone or email and keeps the one picked. Other
/// domains' forms (opportunities, tickets) use it.
#[component]
pub fn CustomerPicker(
    #[prop(into)] label: TextProp,
    chosen: RwSignal<Option<(CustomerId, String)>>,
    #[prop(into, optional)] error: Signal<Option<String>>,
) -> impl IntoView {
    let search = RwSignal::new(String::new());
    let matches = Resource::new(
        move || search.get(),
        |search| async move {
            if search.trim().chars().count() < 2 {
                return Ok(Vec::new());
            }
            let filter = CustomerFilter { search: Some(search), ..Default::default() };
            list_customers(filter, None).await.map(|page| {
                page.items.into_iter().take(8).map(|c| (c.id, c.name)).collect::<Vec<_>>()
            })
        },
    );
    view! {
        <div class="field customer-picker">
            <TextField label name="customer_search" value=search error/>
            {move || chosen.get().map(|(_, name)| view! { <p class="chosen" data-testid="chosen-customer">"✓ "{name}</p> })}
            <Transition fallback=|| ()>
                <ul class="plain-list picker-results">
                    {move || matches.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|(id, name)| {
                        let label = name.clone();
                        view! { <li><button type="button" class="button small ghost" on:click=move |_| { chosen.set(Some((id, name.clone()))); search.set(String::new()); }>{label}</button></li> }
                    }).collect_view()}
                </ul>
            </Transition>
        </div>
    }
}
