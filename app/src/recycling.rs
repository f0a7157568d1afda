//! The recycle bin's one shape, shared by every area that keeps one: a deleted record as its
//! area's bin lists it, and the section of `/admin/recycle-bin` that pages through one area's
//! bin with a restore button per record. Each area keeps its own deletion, restore and purge
//! (what a record takes with it differs); what an admin sees and does is the same everywhere.

use crate::{
    error::AppError,
    i18n::{CustomerText, Text, use_i18n},
    paging::Page,
    ui::{Column, PagedList, PagedTable, Submission, Timestamp, use_toasts},
};
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Where a bin's page continues: the deletion time and id of the last record shown.
pub type BinKey = (DateTime<Utc>, i64);

/// A record in an area's recycle bin.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Binned {
    pub id: i64,
    /// Its name, title or subject.
    pub name: String,
    /// What it belonged to or carried (a customer, a company, an amount), shown after the name.
    pub context: Option<String>,
    /// Whose it was: its owner, assignee or author.
    pub person: Option<String>,
    pub deleted_at: DateTime<Utc>,
    pub deleted_by_name: Option<String>,
}

impl Binned {
    /// A bin's page from `limit + 1` rows read most recently deleted first.
    pub fn page(rows: Vec<Binned>, limit: i64) -> Page<Binned, BinKey> {
        Page::from_overfetch(rows, limit, |b: &Binned| (b.deleted_at, b.id))
    }
}

/// The one audit entry of a purge batch (`purge` on the area's `entity`, by the system): the ids
/// and names of what went, and after how many days in the bin. Nothing is recorded for an empty
/// batch.
#[cfg(feature = "ssr")]
pub async fn record_purge<'a>(
    conn: &mut sqlx::PgConnection,
    entity: &str,
    purged: impl IntoIterator<Item = (i64, &'a str)>,
    days: i32,
) -> Result<u64, AppError> {
    let (ids, names): (Vec<i64>, Vec<&str>) = purged.into_iter().unzip();
    if !ids.is_empty() {
        let change = crate::audit::repo::Change::new("purge", entity, "recycle_bin")
            .before(&serde_json::json!({ "ids": ids, "names": names, "older_than_days": days }));
        crate::audit::repo::record(conn, crate::auth::server::Actor::system(), change).await?;
    }
    Ok(ids.len() as u64)
}

/// One area's bin on `/admin/recycle-bin`: its records most recently deleted first, each with
/// a restore button; `person` heads the column of whose each record was.
#[component]
pub fn BinSection<L, LF, R, RF, T>(
    #[prop(into)] title: TextProp,
    #[prop(into)] person: TextProp,
    testid: &'static str,
    /// What the toast says once a record is back.
    restored: T,
    list: L,
    restore: R,
) -> impl IntoView
where
    L: Fn(Option<BinKey>) -> LF + Send + Sync + 'static,
    LF: Future<Output = Result<Page<Binned, BinKey>, AppError>> + Send + 'static,
    R: Fn(i64) -> RF + Send + Sync + 'static,
    RF: Future<Output = Result<(), AppError>> + Send + 'static,
    T: Text,
{
    let i18n = use_i18n();
    let toasts = use_toasts();
    let version = RwSignal::new(0u32);
    let records = PagedList::new(move || version.get(), move |_, after| list(after));
    let restoring = Submission::new(move |id: &i64| restore(*id)).on_success(move |()| {
        toasts.success(restored);
        version.update(|v| *v += 1);
    });
    view! {
        <div class="card">
            <h2>{move || title.get()}</h2>
            <PagedTable list=records testid columns=vec![
                Column::new(i18n.t(CustomerText::Name)),
                Column::new(person),
                Column::new(i18n.t(CustomerText::DeletedAt)),
                Column::new(i18n.t(CustomerText::DeletedBy)),
                Column::blank(),
            ] row=move |record: Binned| {
                let id = record.id;
                view! {
                    <tr>
                        <td>{record.name}{record.context.map(|c| view! { <span class="muted small">" · "{c}</span> })}</td>
                        <td>{record.person.unwrap_or_default()}</td>
                        <td><Timestamp at=record.deleted_at/></td>
                        <td>{record.deleted_by_name.unwrap_or_default()}</td>
                        <td><button type="button" class="button small" disabled=move || restoring.pending().get()
                            on:click=move |_| restoring.submit(id)>{i18n.t(CustomerText::Restore)}</button></td>
                    </tr>
                }
            }/>
        </div>
    }
}
