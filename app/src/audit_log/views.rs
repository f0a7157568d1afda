//! `/admin/audit`: the audit log with filters.

use super::api::list_audit_log;
use crate::{
    audit::model::{AuditEntry, AuditFilter, changed_fields},
    i18n::{AdminText, audit_action_label, entity_type_label, use_i18n},
    ui::{Column, PagedList, PagedTable, SelectField, TextField, Timestamp},
};
use leptos::prelude::*;

const ENTITY_TYPES: [&str; 12] = [
    "user",
    "team",
    "role",
    "job",
    "customer",
    "order",
    "interaction",
    "import",
    "product",
    "custom_field",
    "customer_settings",
    "duplicate_pair",
];
const ACTIONS: [&str; 28] = [
    "create",
    "update",
    "rename",
    "activate",
    "deactivate",
    "sign_in",
    "sign_in_failed",
    "sign_out",
    "sign_out_others",
    "password_change",
    "password_reset",
    "scope_change",
    "start",
    "retry",
    "delete",
    "restore",
    "assign_owner",
    "tag",
    "merge",
    "merge_undone",
    "dismiss",
    "upload",
    "import",
    "imported",
    "revert",
    "reverted",
    "export",
    "save",
];

fn non_empty(value: String) -> Option<String> {
    let value = value.trim().to_owned();
    (!value.is_empty()).then_some(value)
}

#[component]
pub fn AuditLogPage() -> impl IntoView {
    let i18n = use_i18n();
    let entity_type = RwSignal::new(String::new());
    let entity_id = RwSignal::new(String::new());
    let action = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let filter = move || AuditFilter {
        entity_type: non_empty(entity_type.get()),
        entity_id: non_empty(entity_id.get()),
        actor_id: None,
        action: non_empty(action.get()),
        from: from.get().parse().ok(),
        to: to.get().parse().ok(),
    };
    let list = PagedList::new(filter, list_audit_log);
    let type_options = move || {
        let locale = i18n.locale();
        let mut options = vec![(String::new(), i18n.text(AdminText::AnyEntity).to_owned())];
        options.extend(ENTITY_TYPES.map(|t| (t.to_owned(), entity_type_label(t, locale))));
        options
    };
    let action_options = move || {
        let locale = i18n.locale();
        let mut options = vec![(String::new(), i18n.text(AdminText::AnyAction).to_owned())];
        options.extend(ACTIONS.map(|a| (a.to_owned(), audit_action_label(a, locale))));
        options
    };
    let columns = vec![
        Column::new(i18n.t(AdminText::When)),
        Column::new(i18n.t(AdminText::Who)),
        Column::new(i18n.t(AdminText::Action)),
        Column::new(i18n.t(AdminText::EntityType)),
        Column::new(i18n.t(AdminText::Changes)),
    ];
    view! {
        <section class="page">
            <div class="page-head">
                <h1>{i18n.t(AdminText::AuditTitle)}</h1>
                <div class="actions">
                    <crate::exports::views::ExportLinks entity=crate::exports::model::ExportEntity::AuditLog
                        filter=Signal::derive(move || serde_json::to_value(filter()).ok())/>
                </div>
            </div>
            <form class="filters" on:submit=|ev| ev.prevent_default()>
                <SelectField label=i18n.t(AdminText::EntityType) name="entity_type" value=entity_type options=Signal::derive(type_options)/>
                <TextField label=i18n.t(AdminText::EntityId) name="entity_id" value=entity_id/>
                <SelectField label=i18n.t(AdminText::Action) name="action" value=action options=Signal::derive(action_options)/>
                <TextField label=i18n.t(AdminText::From) name="from" input_type="date" value=from/>
                <TextField label=i18n.t(AdminText::To) name="to" input_type="date" value=to/>
            </form>
            <PagedTable list columns testid="audit" row=|entry| view! { <AuditRow entry/> }/>
        </section>
    }
}

fn show_value(value: Option<serde_json::Value>) -> String {
    match value {
        None | Some(serde_json::Value::Null) => "-".to_owned(),
        Some(serde_json::Value::String(s)) => s,
        Some(other) => other.to_string(),
    }
}

#[component]
fn AuditRow(entry: AuditEntry) -> impl IntoView {
    let i18n = use_i18n();
    let changes = changed_fields(entry.before.as_ref(), entry.after.as_ref());
    let action = entry.action.clone();
    let entity = entry.entity_type.clone();
    view! {
        <tr>
            <td><Timestamp at=entry.at/></td>
            <td>
                {entry.actor_name.clone().unwrap_or_else(|| "-".into())}
                <div class="muted small">{entry.client_ip.clone()}</div>
            </td>
            <td>{move || audit_action_label(&action, i18n.locale())}</td>
            <td>
                {move || entity_type_label(&entity, i18n.locale())}
                " #"
                {entry.entity_id.clone()}
            </td>
            <td>
                <ul class="diff">
                    {changes
                        .into_iter()
                        .map(|(field, before, after)| view! {
                            <li>
                                <code>{field}</code>
                                ": "
                                <span class="before">{show_value(before)}</span>
                                " → "
                                <span class="after">{show_value(after)}</span>
                            </li>
                        })
                        .collect_view()}
                </ul>
            </td>
        </tr>
    }
}
