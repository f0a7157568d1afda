//! `/imports` (and `/customers/import`): upload an Excel or CSV file of customers, orders or
//! interactions, map its columns, check, import with progress, download the refused rows,
//! revert.

use super::{api::*, model::*};
use crate::{
    auth::{model::Role, views::use_auth_session},
    customers::api::get_customer_options,
    customers::timeline::text::field_label,
    error::AppError,
    events::{Topic, use_server_events},
    i18n::{ImportFieldText, ImportText, Locale, Text, field_error_text, fill, use_i18n},
    ui::{
        Column, ResourceView, SelectField, Table, Timestamp, field_message, server_submission,
        use_toasts,
    },
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

fn status_label(status: ImportStatus) -> ImportText {
    match status {
        ImportStatus::Uploaded => ImportText::StatusUploaded,
        ImportStatus::Checking => ImportText::StatusChecking,
        ImportStatus::Checked => ImportText::StatusChecked,
        ImportStatus::Importing => ImportText::StatusImporting,
        ImportStatus::Refreshing => ImportText::StatusRefreshing,
        ImportStatus::Imported => ImportText::StatusImported,
        ImportStatus::Failed => ImportText::StatusFailed,
        ImportStatus::Reverting => ImportText::StatusReverting,
        ImportStatus::Reverted => ImportText::StatusReverted,
    }
}

fn kind_label(kind: ImportKind) -> ImportText {
    match kind {
        ImportKind::Customers => ImportText::KindCustomers,
        ImportKind::Orders => ImportText::KindOrders,
        ImportKind::Interactions => ImportText::KindInteractions,
    }
}

fn target_label(target: &Target, locale: Locale) -> String {
    use crate::i18n::CustomerText as C;
    let key = match target {
        Target::ExternalId => C::ExternalId,
        Target::Name => C::Name,
        Target::Kind => C::Kind,
        Target::CustomerType => C::Type,
        Target::Phone => C::Phone,
        Target::Email => C::Email,
        Target::Address => C::Address,
        Target::Region => C::Region,
        Target::Industry => C::Industry,
        Target::Source => C::Source,
        Target::OwnerEmail => C::Owner,
        Target::Tags => C::Tags,
        Target::Birthday => C::Birthday,
        Target::Anniversary => C::Anniversary,
        Target::Notes => C::Notes,
        Target::Language => C::Language,
        Target::ContactName => C::ContactName,
        Target::ContactPhone => {
            return format!("{} · {}", C::Contacts.text(locale), C::Phone.text(locale));
        }
        Target::ContactEmail => {
            return format!("{} · {}", C::Contacts.text(locale), C::Email.text(locale));
        }
        Target::Custom(key) => return format!("{} · {key}", field_label("custom", locale)),
    };
    key.text(locale).to_owned()
}

fn order_field_label(field: OrderField) -> ImportFieldText {
    use ImportFieldText as T;
    match field {
        OrderField::OrderNo => T::OrderNo,
        OrderField::OrderExternalId => T::OrderExternalId,
        OrderField::OrderedAt => T::OrderedAt,
        OrderField::Channel => T::Channel,
        OrderField::CustomerExternalId => T::CustomerExternalId,
        OrderField::CustomerPhone => T::CustomerPhone,
        OrderField::CustomerEmail => T::CustomerEmail,
        OrderField::CustomerName => T::CustomerName,
        OrderField::Sku => T::Sku,
        OrderField::ProductName => T::ProductName,
        OrderField::ProductCategory => T::ProductCategory,
        OrderField::Quantity => T::Quantity,
        OrderField::UnitPrice => T::UnitPrice,
        OrderField::LineTotal => T::LineTotal,
        OrderField::OrderTotal => T::OrderTotal,
        OrderField::Currency => T::Currency,
        OrderField::Notes => T::Notes,
    }
}

fn interaction_field_label(field: InteractionField) -> ImportFieldText {
    use ImportFieldText as T;
    match field {
        InteractionField::CustomerExternalId => T::CustomerExternalId,
        InteractionField::CustomerPhone => T::CustomerPhone,
        InteractionField::CustomerEmail => T::CustomerEmail,
        InteractionField::CustomerName => T::CustomerName,
        InteractionField::Kind => T::Kind,
        InteractionField::Direction => T::Direction,
        InteractionField::OccurredAt => T::OccurredAt,
        InteractionField::Subject => T::Subject,
        InteractionField::Outcome => T::Outcome,
        InteractionField::NextStep => T::NextStep,
        InteractionField::NextStepDue => T::NextStepDue,
        InteractionField::OwnerEmail => T::OwnerEmail,
    }
}

/// Sends the chosen file to `/api/import-upload`; the answer is the new import's id.
#[cfg(feature = "hydrate")]
async fn upload(
    input: web_sys::HtmlInputElement,
    kind: ImportKind,
    encoding: String,
) -> Result<i64, AppError> {
    let url = format!("/api/import-upload?kind={}&encoding={encoding}", kind.as_str());
    let (_, value) = crate::ui::post_file(&url, &input).await?;
    value["id"].as_i64().ok_or_else(|| AppError::Transport("no id".into()))
}

/// The kinds the signed-in user may import.
fn allowed_kinds(role: Option<Role>) -> Vec<ImportKind> {
    ImportKind::ALL
        .iter()
        .copied()
        .filter(|kind| role.is_some_and(|r| r.includes(super::model::role_for(*kind))))
        .collect()
}

#[component]
pub fn ImportPage() -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let session = use_auth_session();
    let query = use_query_map();
    let role = move || session.current().map(|u| u.role);
    // `?kind=orders` opens the page on orders (bookmarks and links from other pages).
    let asked = query.with_untracked(|q| q.get("kind").and_then(|k| ImportKind::parse(&k).ok()));
    let kind = RwSignal::new(asked.unwrap_or_default().as_str().to_owned());
    Effect::new(move |_| {
        let allowed = allowed_kinds(role());
        if let Ok(current) = ImportKind::parse(&kind.get_untracked())
            && !allowed.is_empty()
            && !allowed.contains(&current)
        {
            kind.set(allowed[0].as_str().to_owned());
        }
    });
    let chosen = move || ImportKind::parse(&kind.get()).unwrap_or_default();
    let file_input = NodeRef::<leptos::html::Input>::new();
    let encoding = RwSignal::new("auto".to_owned());
    let uploading = RwSignal::new(false);
    let upload_failure = RwSignal::new(None::<AppError>);
    let current = RwSignal::new(None::<i64>);
    let version = RwSignal::new(0u32);
    let jobs = use_server_events().changes(Topic::Job);
    let imports = use_server_events().changes(Topic::Import);
    let recent = Resource::new(move || (version.get(), imports.get()), |_| list_imports());

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        {
            let Some(input) = file_input.get() else { return };
            let chosen_encoding = encoding.get_untracked();
            let chosen_kind = ImportKind::parse(&kind.get_untracked()).unwrap_or_default();
            uploading.set(true);
            leptos::task::spawn_local(async move {
                let result = upload(input, chosen_kind, chosen_encoding).await;
                uploading.set(false);
                match result {
                    Ok(id) => {
                        upload_failure.set(None);
                        current.set(Some(id));
                        version.update(|v| *v += 1);
                    }
                    Err(error) => toasts.form_failed(upload_failure, error),
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (file_input, toasts, encoding);
    };
    let title = move || match chosen() {
        ImportKind::Customers => i18n.text(ImportText::ImportTitle),
        ImportKind::Orders => i18n.text(ImportText::TitleOrders),
        ImportKind::Interactions => i18n.text(ImportText::TitleInteractions),
    };
    let help = move || match chosen() {
        ImportKind::Customers => i18n.text(ImportText::ImportHelp),
        ImportKind::Orders => i18n.text(ImportText::HelpOrders),
        ImportKind::Interactions => i18n.text(ImportText::HelpInteractions),
    };
    let kinds = Signal::derive(move || {
        allowed_kinds(role())
            .into_iter()
            .map(|k| (k.as_str().to_owned(), i18n.text(kind_label(k)).to_owned()))
            .collect::<Vec<_>>()
    });

    view! {
        <section class="page">
            <h1>{title}</h1>
            <p class="muted" data-testid="import-help">{help}</p>
            <form class="card inline-form" on:submit=submit data-testid="upload-form">
                <SelectField label=i18n.t(ImportText::ImportKind) name="kind" value=kind options=kinds/>
                <div class="field">
                    <label for="import-file">{i18n.t(ImportText::File)}</label>
                    <input id="import-file" type="file" accept=".xlsx,.csv,.txt,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" node_ref=file_input/>
                    <span class="field-error">{field_message(upload_failure.into(), "file")}</span>
                </div>
                <SelectField label=i18n.t(ImportText::Encoding) name="encoding" value=encoding
                    options=Signal::derive(move || vec![
                        ("auto".to_owned(), i18n.text(ImportText::EncodingAuto).to_owned()),
                        ("utf-8".to_owned(), "UTF-8".to_owned()),
                        ("gbk".to_owned(), "GBK".to_owned()),
                        ("utf-16le".to_owned(), "UTF-16 (Unicode)".to_owned()),
                    ])/>
                <button type="submit" class="button primary" disabled=move || uploading.get()>
                    {move || if uploading.get() { i18n.text(ImportText::Uploading) } else { i18n.text(ImportText::Upload) }}
                </button>
            </form>
            {move || current.get().map(|id| view! { <ImportPanel id jobs imports on_change=Callback::new(move |_| version.update(|v| *v += 1))/> })}
            <h2>{i18n.t(ImportText::RecentImports)}</h2>
            <ResourceView resource=recent let:list>
                        <ul class="plain-list" data-testid="recent-imports">
                            {list.into_iter().map(|run| {
                                let id = run.id;
                                view! {
                                    <li>
                                        <button type="button" class="link" on:click=move |_| current.set(Some(id))>{format!("#{} {}", run.id, run.file_name)}</button>
                                        " · "{i18n.t(kind_label(run.kind))}" · "{i18n.t(status_label(run.status))}" · "<Timestamp at=run.created_at/>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
            </ResourceView>
        </section>
    }
}

#[component]
fn ImportPanel(
    id: i64,
    jobs: Memo<u64>,
    imports: Memo<u64>,
    on_change: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let session = use_auth_session();
    let is_admin = move || session.current().is_some_and(|u| u.role.includes(Role::Admin));
    let refresh = RwSignal::new(0u32);
    let run =
        Resource::new(move || (jobs.get(), imports.get(), refresh.get()), move |_| get_import(id));
    let options = Resource::new(|| (), |_| get_customer_options());
    let mapping = RwSignal::new(None::<Vec<Option<String>>>);
    let mode = RwSignal::new(ImportMode::SkipBad.as_str().to_owned());
    let create_customers = RwSignal::new(false);
    let create_products = RwSignal::new(false);
    let award_points = RwSignal::new(false);
    // The mapping as saved, once per sheet (choosing another sheet proposes a new one).
    let loaded_for = RwSignal::new(None::<(Option<String>, Vec<String>)>);
    Effect::new(move |_| {
        if let Some(Ok(r)) = run.get() {
            let shape = (r.options.sheet.clone(), r.headers.clone());
            if loaded_for.with_untracked(|l| l.as_ref() != Some(&shape)) {
                loaded_for.set(Some(shape));
                mapping.set(Some(r.mapping.clone()));
                mode.set(r.mode.as_str().to_owned());
                create_customers.set(r.options.create_customers);
                create_products.set(r.options.create_products);
                award_points.set(r.options.award_points);
            }
        }
    });
    // Progress shows from the click until the run's next state arrives, so a short import that
    // ends before the page hears of it still showed that it ran.
    let starting = RwSignal::new(false);
    Effect::new(move |_| {
        if run.with(Option::is_some) {
            starting.set(false);
        }
    });
    let starting_run = server_submission::<StartImport>()
        .on_success(move |_| on_change.run(()))
        .on_failure(move || starting.set(false));
    let start = move |dry_run: bool| {
        let Some(mapping) = mapping.get_untracked() else { return };
        let options = ImportOptions {
            create_customers: create_customers.get_untracked(),
            create_products: create_products.get_untracked(),
            award_points: award_points.get_untracked(),
            sheet: None,
        };
        starting.set(true);
        starting_run.submit(StartImport {
            id,
            mapping,
            mode: ImportMode::parse(&mode.get_untracked()).unwrap_or_default(),
            options,
            dry_run,
        });
    };
    let reverting = server_submission::<RevertImport>().on_success(move |_| {
        toasts.success(ImportText::Reverted);
        on_change.run(());
    });
    let sheet_choice =
        server_submission::<ChooseImportSheet>().on_success(move |()| refresh.update(|v| *v += 1));
    let mapping_error = starting_run.field("mapping");
    let sheet_error = sheet_choice.field("sheet");
    let targets = move |kind: ImportKind| {
        let locale = i18n.locale();
        let mut list = vec![(String::new(), i18n.text(ImportText::Ignore).to_owned())];
        match kind {
            ImportKind::Customers => {
                list.extend(Target::STANDARD.iter().map(|t| (t.key(), target_label(t, locale))));
                if let Some(Ok(o)) = options.get() {
                    list.extend(o.custom_fields.into_iter().filter(|d| d.active).map(|d| {
                        let label = if locale == Locale::ZhCn { d.label_zh } else { d.label_en };
                        (format!("custom.{}", d.key), label)
                    }));
                }
            }
            ImportKind::Orders => {
                list.extend(OrderField::ALL.iter().map(|f| {
                    (f.as_str().to_owned(), order_field_label(*f).text(locale).to_owned())
                }))
            }
            ImportKind::Interactions => list.extend(InteractionField::ALL.iter().map(|f| {
                (f.as_str().to_owned(), interaction_field_label(*f).text(locale).to_owned())
            })),
        }
        list
    };
    view! {
        <ResourceView resource=run let:r>
                {
                    let kind = r.kind;
                    let editable = matches!(r.status, ImportStatus::Uploaded | ImportStatus::Checked | ImportStatus::Failed);
                    let running = r.status.is_running();
                    let percent = r.progress_total.filter(|t| *t > 0).map(|t| r.progress_done * 100 / t).unwrap_or(0);
                    let (progress_done, progress_total) = (r.progress_done, r.progress_total.unwrap_or(i64::from(r.row_count)));
                    let status = r.status;
                    let counts_label = if r.dry_run { (ImportText::WouldCreate, ImportText::WouldUpdate) } else { (ImportText::CreatedCount, ImportText::UpdatedCount) };
                    let show_counts = !matches!(r.status, ImportStatus::Uploaded);
                    let history = kind != ImportKind::Customers;
                    let headers = r.headers.clone();
                    let sample = r.sample.clone();
                    let row_count = r.row_count;
                    let sheets = r.sheets.clone();
                    let sheet = r.options.sheet.clone().unwrap_or_default();
                    view! {
                        <div class="card import-panel" data-testid="import-panel" data-status=status.as_str() data-kind=kind.as_str()>
                            <div class="card-head">
                                <h2>{format!("#{} {}", r.id, r.file_name)}</h2>
                                <span class="badge" data-testid="import-status">{i18n.t(status_label(status))}</span>
                            </div>
                            <p class="muted">{i18n.t(kind_label(kind))}" · "{move || fill(i18n.text(ImportText::Rows), &[("count", &row_count)])}" · "{r.encoding.to_uppercase()}</p>
                            {(editable && sheets.len() > 1).then(|| {
                                let value = RwSignal::new(sheet.clone());
                                let options = sheets.iter().map(|s| (s.clone(), s.clone())).collect::<Vec<_>>();
                                Effect::new(move |previous: Option<String>| {
                                    let now = value.get();
                                    if previous.is_some_and(|p| p != now) {
                                        sheet_choice.submit(ChooseImportSheet { id, sheet: now.clone() });
                                    }
                                    now
                                });
                                view! { <SelectField label=i18n.t(ImportText::Sheet) name="sheet" value options=Signal::derive(move || options.clone()) error=sheet_error/> }
                            })}
                            {move || (running || starting.get()).then(|| view! {
                                <crate::ui::ProgressBar percent=percent.clamp(0, 100) as u8 test_id="import-progress"/>
                                <p class="small">{progress_done}" / "{progress_total}</p>
                            })}
                            {show_counts.then(|| view! {
                                <dl class="facts counts" data-testid="import-counts">
                                    <div><dt>{i18n.t(counts_label.0)}</dt><dd data-testid="count-created">{r.created}</dd></div>
                                    {(!history).then(|| view! { <div><dt>{i18n.t(counts_label.1)}</dt><dd data-testid="count-updated">{r.updated}</dd></div> })}
                                    <div><dt>{i18n.t(ImportText::UnchangedCount)}</dt><dd data-testid="count-unchanged">{r.unchanged}</dd></div>
                                    <div><dt>{i18n.t(ImportText::RejectedCount)}</dt><dd data-testid="count-rejected">{r.rejected}</dd></div>
                                    {(kind == ImportKind::Orders).then(|| view! { <div><dt>{i18n.t(ImportText::NewOrders)}</dt><dd data-testid="count-orders">{r.new_orders}</dd></div> })}
                                    {history.then(|| view! { <div><dt>{i18n.t(ImportText::NewCustomers)}</dt><dd data-testid="count-new-customers">{r.new_customers}</dd></div> })}
                                    {(kind == ImportKind::Orders).then(|| view! { <div><dt>{i18n.t(ImportText::NewProducts)}</dt><dd data-testid="count-new-products">{r.new_products}</dd></div> })}
                                </dl>
                            })}
                            {(!r.rejected_rows.is_empty()).then(|| {
                                let rows = r.rejected_rows.clone();
                                view! {
                                    <Table testid="rejected-rows" columns=vec![
                                        Column::new(i18n.t(ImportText::Row)).numeric(),
                                        Column::new(i18n.t(ImportText::Reasons)),
                                    ]>
                                            {rows.into_iter().map(|(row, reasons)| view! {
                                                <tr data-row=row>
                                                    <td class="num">{row}</td>
                                                    <td>{move || reasons.iter().map(|(column, error)| {
                                                        let reason = field_error_text(error, i18n.locale());
                                                        if column.is_empty() { reason } else { format!("{column}: {reason}") }
                                                    }).collect::<Vec<_>>().join("; ")}</td>
                                                </tr>
                                            }).collect_view()}
                                    </Table>
                                }
                            })}
                            {(r.rejected > 0).then(|| view! {
                                <p><a class="button" href=format!("/files/imports/{}/rejected", r.id) download="" data-testid="rejected-report">{i18n.t(ImportText::DownloadRejected)}</a></p>
                            })}
                            {editable.then(|| view! {
                                <h3>{i18n.t(ImportText::Mapping)}</h3>
                                <span class="field-error" data-testid="mapping-error">{mapping_error}</span>
                                <Table columns=vec![
                                    Column::new(i18n.t(ImportText::Column)),
                                    Column::new(i18n.t(ImportText::Example)),
                                    Column::new(i18n.t(ImportText::MapsTo)),
                                ]>
                                        {headers.iter().enumerate().map(|(index, header)| {
                                            let example = sample.first().and_then(|row| row.get(index)).cloned().unwrap_or_default();
                                            view! {
                                                <tr>
                                                    <td>{header.clone()}</td>
                                                    <td class="muted">{example}</td>
                                                    <td>
                                                        <select name=format!("map_{index}") aria-label=header.clone() on:change=move |ev| {
                                                            let value = event_target_value(&ev);
                                                            mapping.update(|m| if let Some(slot) = m.as_mut().and_then(|m| m.get_mut(index)) { *slot = (!value.is_empty()).then_some(value); });
                                                        }>
                                                            {move || {
                                                                let chosen = mapping.with(|m| m.as_ref().and_then(|m| m.get(index).cloned().flatten())).unwrap_or_default();
                                                                targets(kind).into_iter().map(|(value, label)| {
                                                                    let selected = value == chosen;
                                                                    view! { <option value=value selected=selected>{label}</option> }
                                                                }).collect_view()
                                                            }}
                                                        </select>
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                </Table>
                                <fieldset class="fieldset">
                                    <legend>{i18n.t(ImportText::Mode)}</legend>
                                    <label class="field-checkbox"><input type="radio" name="mode" prop:checked=move || mode.get() == "skip_bad" on:change=move |_| mode.set("skip_bad".into())/>{i18n.t(ImportText::ModeSkip)}</label>
                                    <label class="field-checkbox"><input type="radio" name="mode" prop:checked=move || mode.get() == "all_or_nothing" on:change=move |_| mode.set("all_or_nothing".into())/>{i18n.t(ImportText::ModeAll)}</label>
                                </fieldset>
                                {history.then(|| view! {
                                    <fieldset class="fieldset" data-testid="import-options">
                                        <legend>{i18n.t(ImportText::Options)}</legend>
                                        <label class="field-checkbox"><input type="checkbox" name="create_customers" prop:checked=move || create_customers.get() on:change=move |ev| create_customers.set(event_target_checked(&ev))/>{i18n.t(ImportText::CreateCustomers)}</label>
                                        {(kind == ImportKind::Orders).then(|| view! {
                                            <label class="field-checkbox"><input type="checkbox" name="create_products" prop:checked=move || create_products.get() on:change=move |ev| create_products.set(event_target_checked(&ev))/>{i18n.t(ImportText::CreateProducts)}</label>
                                            <Show when=is_admin>
                                                <label class="field-checkbox"><input type="checkbox" name="award_points" prop:checked=move || award_points.get() on:change=move |ev| award_points.set(event_target_checked(&ev))/>{i18n.t(ImportText::AwardPoints)}</label>
                                            </Show>
                                        })}
                                    </fieldset>
                                })}
                                <div class="actions">
                                    <button type="button" class="button" disabled=move || starting_run.pending().get() on:click=move |_| start(true)>{i18n.t(ImportText::Check)}</button>
                                    <button type="button" class="button primary" disabled=move || starting_run.pending().get() on:click=move |_| start(false)>{i18n.t(ImportText::RunImport)}</button>
                                </div>
                            })}
                            {(r.kept_count > 0).then(|| {
                                let kept_count = r.kept_count;
                                let text = if history { ImportText::KeptCreated } else { ImportText::KeptChanged };
                                view! {
                                    <div class="notice notice-warn" data-testid="revert-kept">
                                        <p>{move || fill(i18n.text(text), &[("count", &kept_count)])}</p>
                                        <ul class="kept-list">
                                            {r.kept.iter().map(|(customer, name)| view! {
                                                <li><a href=format!("/customers/{customer}")>{name.clone()}</a></li>
                                            }).collect_view()}
                                        </ul>
                                    </div>
                                }
                            })}
                            {(status == ImportStatus::Imported).then(|| view! {
                                <button type="button" class="button ghost" disabled=move || reverting.pending().get() on:click=move |_| reverting.submit(RevertImport { id }) data-testid="revert-import">{i18n.t(ImportText::Revert)}</button>
                            })}
                        </div>
                    }
                }
        </ResourceView>
    }
}
