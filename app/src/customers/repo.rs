//! SQL for customers, contacts, settings, custom fields and saved views.
//!
//! Every read of a customer takes the caller's visible owner ids (`DataScope::visible_owners`)
//! and filters with `($n::bigint[] is null or owner_id = any($n))`, so an id from a request can
//! never reach a customer outside the caller's scope.

use super::model::*;
use crate::{
    auth::model::UserId,
    error::{AppError, FieldError, violated_constraint},
    i18n::Locale,
    paging::Page,
};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgExecutor, PgPool, Postgres, QueryBuilder, Row, postgres::PgRow};

/// `settings`, read once per request: a page's cards each need them.
pub async fn settings_once_per_request(pool: &PgPool) -> Result<CustomerSettings, AppError> {
    crate::auth::server::once_per_request("customer_settings".to_owned(), || settings(pool)).await
}

/// The admin's status and stage rules.
pub async fn settings(executor: impl PgExecutor<'_>) -> Result<CustomerSettings, AppError> {
    let r = sqlx::query!(
        r#"select active_window_days, loyal_min_orders, loyal_min_span_days, default_currency,
                version, company_time_zone() as "time_zone!"
         from customer_settings"#
    )
    .fetch_one(executor)
    .await?;
    Ok(CustomerSettings {
        active_window_days: r.active_window_days,
        loyal_min_orders: r.loyal_min_orders,
        loyal_min_span_days: r.loyal_min_span_days,
        default_currency: r.default_currency,
        version: r.version,
        time_zone: r.time_zone,
    })
}

/// Saves the rules if `settings.version` is current; `false` on a conflict.
pub async fn save_settings(
    executor: impl PgExecutor<'_>,
    settings: &CustomerSettings,
    by: UserId,
) -> Result<bool, AppError> {
    let done = sqlx::query!(
        "update customer_settings set active_window_days = $1, loyal_min_orders = $2,
                loyal_min_span_days = $3, updated_at = now(), updated_by = $4,
                version = version + 1
         where version = $5",
        settings.active_window_days,
        settings.loyal_min_orders,
        settings.loyal_min_span_days,
        by.0,
        settings.version,
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn custom_fields(executor: impl PgExecutor<'_>) -> Result<Vec<CustomFieldDef>, AppError> {
    let rows = sqlx::query!(
        "select id, key, label_zh, label_en, field_type, choices, position, active, version
         from custom_field order by position, id"
    )
    .fetch_all(executor)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(CustomFieldDef {
                id: r.id,
                key: r.key,
                label_zh: r.label_zh,
                label_en: r.label_en,
                field_type: CustomFieldType::parse(&r.field_type)
                    .map_err(|_| AppError::internal("unknown custom field type"))?,
                choices: r.choices,
                position: r.position,
                active: r.active,
                version: r.version,
            })
        })
        .collect()
}

/// Creates or (with an id) updates a custom field definition.
pub async fn save_custom_field(
    executor: impl PgExecutor<'_>,
    def: &CustomFieldDef,
) -> Result<Option<i64>, AppError> {
    let result = if def.id == 0 {
        sqlx::query_scalar!(
            "insert into custom_field (key, label_zh, label_en, field_type, choices, position, active)
             values ($1, $2, $3, $4, $5, $6, $7) returning id",
            def.key,
            def.label_zh,
            def.label_en,
            def.field_type.as_str(),
            &def.choices,
            def.position,
            def.active,
        )
        .fetch_optional(executor)
        .await
    } else {
        sqlx::query_scalar!(
            "update custom_field set label_zh = $2, label_en = $3, choices = $4, position = $5,
                    active = $6, version = version + 1, updated_at = now()
             where id = $1 and version = $7 returning id",
            def.id,
            def.label_zh,
            def.label_en,
            &def.choices,
            def.position,
            def.active,
            def.version,
        )
        .fetch_optional(executor)
        .await
    };
    result.map_err(|error| match violated_constraint(&error) {
        Some("custom_field_key_key") => AppError::validation("key", FieldError::AlreadyTaken),
        Some("custom_field_key_format") => AppError::validation("key", FieldError::InvalidChoice),
        _ => error.into(),
    })
}

/// Recomputes and stores `search_text`, `search_keys` and `name_key` from what is saved now
/// (name, phone, email and live contacts).
pub async fn refresh_search(conn: &mut PgConnection, id: CustomerId) -> Result<(), AppError> {
    refresh_search_of(conn, &[id.0]).await
}

/// `refresh_search` for many customers in three statements (imports update thousands at once).
pub async fn refresh_search_of(conn: &mut PgConnection, ids: &[i64]) -> Result<(), AppError> {
    if ids.is_empty() {
        return Ok(());
    }
    let rows = sqlx::query!(
        r#"
        select c.id, c.name, c.phone, c.email, c.external_id,
               coalesce(array_agg(k.name order by k.id) filter (where k.id is not null), '{}') as "contact_names!",
               coalesce(array_agg(coalesce(k.phone, '') order by k.id) filter (where k.id is not null), '{}') as "contact_phones!"
        from customer c
        left join contact k on k.customer_id = c.id and k.deleted_at is null
        where c.id = any($1)
        group by c.id
        "#,
        ids
    )
    .fetch_all(&mut *conn)
    .await?;
    let (mut texts, mut search_keys, mut name_keys, mut found) = (vec![], vec![], vec![], vec![]);
    for row in rows {
        let contacts =
            row.contact_names.iter().zip(&row.contact_phones).map(|(name, phone)| {
                (name.as_str(), (!phone.is_empty()).then_some(phone.as_str()))
            });
        let text = search_text(
            &row.name,
            row.phone.as_deref(),
            row.email.as_deref(),
            row.external_id.as_deref(),
            contacts,
        );
        search_keys.push(keys_text(&index_keys(&text)));
        texts.push(text);
        name_keys.push(name_key(&row.name));
        found.push(row.id);
    }
    sqlx::query!(
        r#"
        update customer c set search_text = u.text,
            search_keys = string_to_array(u.keys, ',')::integer[],
            name_key = u.name_key
        from unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) as u(id, text, keys, name_key)
        where c.id = u.id
        "#,
        &found,
        &texts,
        &search_keys,
        &name_keys,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Moves the entries waiting in the pending lists of the customer's GIN indexes into the
/// indexes. Bulk writers call this every few thousand rows: merging many entries at once costs a
/// fraction of merging a few at a time, and searches read the whole pending list.
pub async fn merge_pending_index_entries(conn: &mut PgConnection) -> Result<(), AppError> {
    // Every GIN index on the table, read from the catalog so a new one is never left out.
    sqlx::query(
        "select gin_clean_pending_list(i.indexrelid::regclass)
         from pg_index i
         join pg_class ic on ic.oid = i.indexrelid
         join pg_am am on am.oid = ic.relam
         where i.indrelid = 'customer'::regclass and am.amname = 'gin'",
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Merges the customer's GIN pending lists on a connection of its own while a bulk writer goes
/// on writing. The merge is a large share of an import's database work; run beside the inserts
/// it takes the second core instead of stopping the writer. (Inserts only append to the pending
/// list, which a merge leaves open to them.)
pub struct BackgroundIndexMerge {
    wake: tokio::sync::mpsc::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), AppError>>,
    pool: PgPool,
}

impl BackgroundIndexMerge {
    pub fn start(pool: &PgPool) -> Self {
        // Capacity one: a request made while a merge runs is served by one more merge after it.
        let (wake, mut woken) = tokio::sync::mpsc::channel::<()>(1);
        let merging_pool = pool.clone();
        let task = tokio::spawn(async move {
            while woken.recv().await.is_some() {
                let mut conn = merging_pool.acquire().await?;
                merge_pending_index_entries(&mut conn).await?;
            }
            Ok(())
        });
        Self { wake, task, pool: pool.clone() }
    }

    /// Asks for a merge without waiting for it.
    pub fn request(&self) {
        // Full means a merge is already asked for and will see these entries too.
        let _ = self.wake.try_send(());
    }

    /// Waits for the merges asked for, then merges what was written since, so the writer leaves
    /// the indexes clean. Errors: the first failed merge.
    pub async fn finish(self) -> Result<(), AppError> {
        drop(self.wake);
        self.task.await.map_err(AppError::internal)??;
        let mut conn = self.pool.acquire().await?;
        merge_pending_index_entries(&mut conn).await
    }
}

pub async fn insert(
    conn: &mut PgConnection,
    customer: &ValidCustomer,
    currency: &str,
    created_by: UserId,
) -> Result<CustomerId, AppError> {
    let id = sqlx::query_scalar!(
        r#"
        insert into customer (kind, name, customer_type, churn_reason, churned_at, phone,
            phone_normalized, email, email_normalized, address, region, industry, source,
            owner_id, tags, birthday, anniversary, notes, custom_fields, currency, created_by,
            locale, external_id, do_not_contact)
        values ($1, $2, $3, $4, case when $3 = 'former' then now() end, $5, $6, $7, $8, $9, $10,
            $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)
        returning id
        "#,
        customer.kind.as_str(),
        customer.name,
        customer.customer_type.as_str(),
        customer.churn_reason,
        customer.phone,
        customer.phone_normalized,
        customer.email,
        customer.email_normalized,
        customer.address,
        customer.region,
        customer.industry,
        customer.source.as_str(),
        customer.owner_id.map(|o| o.0),
        &customer.tags,
        customer.birthday as _,
        customer.anniversary as _,
        customer.notes,
        serde_json::Value::Object(customer.custom_fields.clone()),
        currency,
        created_by.0,
        customer.locale.tag(),
        customer.external_id,
        customer.do_not_contact,
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(owner_error)?;
    Ok(CustomerId(id))
}

fn owner_error(error: sqlx::Error) -> AppError {
    match violated_constraint(&error) {
        Some("customer_owner_id_fkey") => {
            AppError::validation("owner_id", FieldError::UnknownReference)
        }
        Some("customer_external_id_key") => {
            AppError::validation("external_id", FieldError::AlreadyTaken)
        }
        _ => error.into(),
    }
}

/// Saves an edit if `version` is current; `false` when someone saved first.
pub async fn update(
    conn: &mut PgConnection,
    id: CustomerId,
    version: i32,
    customer: &ValidCustomer,
) -> Result<bool, AppError> {
    let done = sqlx::query!(
        r#"
        update customer set kind = $3, name = $4, customer_type = $5, churn_reason = $6,
            churned_at = case when $5 = 'former' then coalesce(churned_at, now()) end,
            phone = $7, phone_normalized = $8, email = $9, email_normalized = $10, address = $11,
            region = $12, industry = $13, source = $14, owner_id = $15, tags = $16,
            birthday = $17, anniversary = $18, notes = $19, custom_fields = $20, locale = $21,
            external_id = $22, do_not_contact = $23, version = version + 1, updated_at = now()
        where id = $1 and version = $2 and deleted_at is null
        "#,
        id.0,
        version,
        customer.kind.as_str(),
        customer.name,
        customer.customer_type.as_str(),
        customer.churn_reason,
        customer.phone,
        customer.phone_normalized,
        customer.email,
        customer.email_normalized,
        customer.address,
        customer.region,
        customer.industry,
        customer.source.as_str(),
        customer.owner_id.map(|o| o.0),
        &customer.tags,
        customer.birthday as _,
        customer.anniversary as _,
        customer.notes,
        serde_json::Value::Object(customer.custom_fields.clone()),
        customer.locale.tag(),
        customer.external_id,
        customer.do_not_contact,
    )
    .execute(&mut *conn)
    .await
    .map_err(owner_error)?;
    Ok(done.rows_affected() == 1)
}

/// The fields of a live customer in scope that writes need, locked for the transaction.
pub struct Locked {
    pub version: i32,
    pub owner_id: Option<UserId>,
    pub customer_type: CustomerType,
    pub order_count: i32,
    pub first_order_at: Option<DateTime<Utc>>,
    pub last_order_at: Option<DateTime<Utc>>,
    pub currency: String,
    pub tags: Vec<String>,
    pub name: String,
}

/// Locks a live customer the caller may see. `None` when missing, deleted or out of scope
/// (indistinguishable on purpose).
pub async fn lock(
    conn: &mut PgConnection,
    id: CustomerId,
    visible_owners: Option<&[i64]>,
) -> Result<Option<Locked>, AppError> {
    let row = sqlx::query!(
        r#"
        select version, owner_id, customer_type, order_count,
               first_order_at as "first_order_at: DateTime<Utc>",
               last_order_at as "last_order_at: DateTime<Utc>", currency, tags, name
        from customer
        where id = $1 and deleted_at is null and ($2::bigint[] is null or owner_id = any($2))
        for update
        "#,
        id.0,
        visible_owners as _,
    )
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        Ok(Locked {
            version: r.version,
            owner_id: r.owner_id.map(UserId),
            customer_type: CustomerType::parse(&r.customer_type)
                .map_err(|_| AppError::internal("unknown customer type"))?,
            order_count: r.order_count,
            first_order_at: r.first_order_at,
            last_order_at: r.last_order_at,
            currency: r.currency,
            tags: r.tags,
            name: r.name,
        })
    })
    .transpose()
}

pub async fn contacts(
    executor: impl PgExecutor<'_>,
    id: CustomerId,
) -> Result<Vec<Contact>, AppError> {
    let rows = sqlx::query!(
        "select id, name, title, phone, email, is_primary from contact
         where customer_id = $1 and deleted_at is null
         order by is_primary desc, id",
        id.0
    )
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Contact {
            id: ContactId(r.id),
            name: r.name,
            title: r.title,
            phone: r.phone,
            email: r.email,
            is_primary: r.is_primary,
        })
        .collect())
}

/// Makes the live contacts exactly `contacts`: updates those with ids, inserts the rest, and
/// soft-deletes the ones no longer listed.
pub async fn replace_contacts(
    conn: &mut PgConnection,
    id: CustomerId,
    contacts: &[ContactInput],
) -> Result<(), AppError> {
    let keep: Vec<i64> = contacts.iter().filter_map(|c| c.id.map(|i| i.0)).collect();
    sqlx::query!(
        "update contact set deleted_at = now() where customer_id = $1 and deleted_at is null
         and not (id = any($2))",
        id.0,
        &keep
    )
    .execute(&mut *conn)
    .await?;
    for contact in contacts {
        let name = contact.name.trim();
        let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let phone = text(&contact.phone);
        let phone_normalized = phone.as_deref().and_then(normalize_phone);
        let email = text(&contact.email).map(|e| e.to_lowercase());
        match contact.id {
            Some(contact_id) => {
                sqlx::query!(
                    "update contact set name = $3, title = $4, phone = $5, phone_normalized = $6,
                            email = $7, email_normalized = $7, is_primary = $8,
                            version = version + 1, updated_at = now()
                     where id = $1 and customer_id = $2",
                    contact_id.0,
                    id.0,
                    name,
                    text(&contact.title),
                    phone,
                    phone_normalized,
                    email,
                    contact.is_primary,
                )
                .execute(&mut *conn)
                .await?;
            }
            None => {
                sqlx::query!(
                    "insert into contact (customer_id, name, title, phone, phone_normalized,
                            email, email_normalized, is_primary)
                     values ($1, $2, $3, $4, $5, $6, $6, $7)",
                    id.0,
                    name,
                    text(&contact.title),
                    phone,
                    phone_normalized,
                    email,
                    contact.is_primary,
                )
                .execute(&mut *conn)
                .await?;
            }
        }
    }
    Ok(())
}

/// One live customer the caller may see, with its contacts.
pub async fn detail(
    conn: &mut PgConnection,
    id: CustomerId,
    visible_owners: Option<&[i64]>,
    settings: &CustomerSettings,
) -> Result<Option<CustomerDetail>, AppError> {
    let row = sqlx::query!(
        r#"
        select c.id, c.kind, c.name, c.external_id, c.customer_type, c.churn_reason, c.phone, c.email,
               c.address, c.region, c.industry, c.source, c.owner_id, u.display_name as "owner_name?",
               c.tags, c.birthday as "birthday: NaiveDate", c.anniversary as "anniversary: NaiveDate",
               c.notes, c.custom_fields, c.locale, c.do_not_contact, c.order_count, c.total_spend_minor, c.currency,
               c.first_order_at as "first_order_at: DateTime<Utc>",
               c.last_order_at as "last_order_at: DateTime<Utc>",
               c.created_at as "created_at: DateTime<Utc>", c.version
        from customer c
        left join app_user u on u.id = c.owner_id
        where c.id = $1 and c.deleted_at is null
          and ($2::bigint[] is null or c.owner_id = any($2))
        "#,
        id.0,
        visible_owners as _,
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let now = Utc::now();
    let bad = |what: &str| AppError::internal(format_args!("stored customer has a bad {what}"));
    Ok(Some(CustomerDetail {
        id: CustomerId(r.id),
        kind: CustomerKind::parse(&r.kind).map_err(|_| bad("kind"))?,
        name: r.name,
        external_id: r.external_id,
        customer_type: CustomerType::parse(&r.customer_type).map_err(|_| bad("type"))?,
        churn_reason: r.churn_reason,
        status: activity_status(r.last_order_at, now, settings),
        stage: lifecycle_stage(r.order_count, r.first_order_at, r.last_order_at, settings),
        phone: r.phone,
        email: r.email,
        address: r.address,
        region: r.region,
        industry: r.industry,
        source: Source::parse(&r.source).map_err(|_| bad("source"))?,
        owner_id: r.owner_id.map(UserId),
        owner_name: r.owner_name,
        tags: r.tags,
        birthday: r.birthday,
        anniversary: r.anniversary,
        notes: r.notes,
        custom_fields: match r.custom_fields {
            serde_json::Value::Object(map) => map,
            _ => Default::default(),
        },
        locale: Locale::from_tag(&r.locale).ok_or_else(|| bad("language"))?,
        do_not_contact: r.do_not_contact,
        order_count: r.order_count,
        total_spend: Money { minor: r.total_spend_minor, currency: r.currency },
        first_order_at: r.first_order_at,
        last_order_at: r.last_order_at,
        contacts: contacts(&mut *conn, id).await?,
        created_at: r.created_at,
        version: r.version,
    }))
}

/// The activity window's first instant, to be followed by the window's days and
/// `)::timestamp at time zone company_time_zone())`: midnight in the company's zone, that many
/// days before today there. A stable expression, so the last-order indexes answer it.
const WINDOW_START: &str = "(((now() at time zone company_time_zone())::date - ";

/// Appends the `where` conditions of `filter` and the caller's scope (after `where true`).
/// Shared by the list, the export and bulk actions on "everything matching".
pub fn push_filters(
    query: &mut QueryBuilder<'_, Postgres>,
    filter: &CustomerFilter,
    visible_owners: Option<&[i64]>,
    settings: &CustomerSettings,
) {
    if let Some(search) = filter.search.as_deref().map(normalize_query).filter(|s| !s.is_empty()) {
        let keys = query_keys(&search);
        if !keys.is_empty() {
            query.push(" and c.search_keys @> ").push_bind(keys);
        }
        query.push(" and c.search_text like ").push_bind(like_contains(&search));
    }
    push_filters_but_search(query, filter, visible_owners, settings);
}

/// `push_filters` without the search fragment.
fn push_filters_but_search(
    query: &mut QueryBuilder<'_, Postgres>,
    filter: &CustomerFilter,
    visible_owners: Option<&[i64]>,
    settings: &CustomerSettings,
) {
    query.push(" and c.deleted_at is null");
    match visible_owners {
        // A single owner as a plain equality, so the planner sees that `(owner_id, id)` gives
        // that owner's customers in id order (with `= any` it walks the primary key instead,
        // past every other owner's newer customers).
        Some([owner]) => {
            query.push(" and c.owner_id = ").push_bind(*owner);
        }
        Some(owners) => {
            query.push(" and c.owner_id = any(").push_bind(owners.to_vec()).push(")");
        }
        None => {}
    }
    if let Some(kind) = filter.customer_type {
        query.push(" and c.customer_type = ").push_bind(kind.as_str());
    }
    let window = settings.active_window_days;
    // Conditions on the last order are written on LAST_ORDER_KEY, so that its indexes serve them.
    match filter.status {
        Some(ActivityStatus::Potential) => {
            query.push(format!(" and {LAST_ORDER_KEY} = '-infinity'"));
        }
        // The window starts at midnight, in the company's zone, `window` days before today.
        Some(ActivityStatus::Active) => {
            query
                .push(format!(" and {LAST_ORDER_KEY} >= {WINDOW_START}"))
                .push_bind(window)
                .push(")::timestamp at time zone company_time_zone())");
        }
        Some(ActivityStatus::Silent) => {
            query
                .push(format!(
                    " and {LAST_ORDER_KEY} > '-infinity' and {LAST_ORDER_KEY} < {WINDOW_START}"
                ))
                .push_bind(window)
                .push(")::timestamp at time zone company_time_zone())");
        }
        None => {}
    }
    let loyal = |query: &mut QueryBuilder<'_, Postgres>| {
        query
            .push("(c.order_count >= ")
            .push_bind(settings.loyal_min_orders)
            .push(" and c.last_order_at - c.first_order_at >= make_interval(days => ")
            .push_bind(settings.loyal_min_span_days)
            .push("))");
    };
    match filter.stage {
        Some(LifecycleStage::Potential) => {
            query.push(" and c.order_count = 0");
        }
        Some(LifecycleStage::New) => {
            query.push(" and c.order_count = 1");
        }
        Some(LifecycleStage::Repeat) => {
            query.push(" and c.order_count >= 2 and not ");
            loyal(query);
        }
        Some(LifecycleStage::Loyal) => {
            query.push(" and ");
            loyal(query);
        }
        None => {}
    }
    if let Some(region) = filter.region.as_deref().filter(|r| !r.is_empty()) {
        query.push(" and c.region = ").push_bind(region.to_owned());
    }
    if let Some(industry) = filter.industry.as_deref().filter(|r| !r.is_empty()) {
        query.push(" and c.industry = ").push_bind(industry.to_owned());
    }
    if let Some(owner) = filter.owner_id {
        query.push(" and c.owner_id = ").push_bind(owner.0);
    }
    if let Some(tag) = filter.tag.as_deref().filter(|t| !t.is_empty()) {
        query.push(" and c.tags @> array[").push_bind(tag.to_owned()).push("]::text[]");
    }
    if let Some(min) = filter.min_spend_minor {
        query.push(" and c.total_spend_minor >= ").push_bind(min);
    }
    if let Some(max) = filter.max_spend_minor {
        query.push(" and c.total_spend_minor <= ").push_bind(max);
    }
    // Dates without a time are the company's days.
    if let Some(from) = filter.last_order_from {
        query
            .push(format!(" and {LAST_ORDER_KEY} >= ("))
            .push_bind(from)
            .push("::date)::timestamp at time zone company_time_zone()");
    }
    if let Some(to) = filter.last_order_to {
        query
            .push(format!(" and {LAST_ORDER_KEY} > '-infinity' and {LAST_ORDER_KEY} < ("))
            .push_bind(to)
            .push("::date + 1)::timestamp at time zone company_time_zone()");
    }
    if filter.tier_id.is_some()
        || filter.min_r.is_some()
        || filter.min_f.is_some()
        || filter.min_m.is_some()
    {
        query.push(" and exists (select 1 from customer_score s where s.customer_id = c.id");
        if let Some(tier) = filter.tier_id {
            query
                .push(" and tier_in_force(s.computed_tier_id, s.override_tier_id, s.override_until) = ")
                .push_bind(tier);
        }
        for (column, min) in [("r", filter.min_r), ("f", filter.min_f), ("m", filter.min_m)] {
            if let Some(min) = min {
                query.push(format!(" and s.{column} >= ")).push_bind(min);
            }
        }
        query.push(")");
    }
    for custom in &filter.custom {
        if !custom.key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(value) = custom.equals.as_deref().filter(|v| !v.is_empty()) {
            let mut object = serde_json::Map::new();
            object.insert(custom.key.clone(), serde_json::Value::String(value.to_owned()));
            query.push(" and c.custom_fields @> ").push_bind(serde_json::Value::Object(object));
        }
        // Ranges compare numbers numerically and ISO dates as text (which orders them).
        for (bound, op) in [(&custom.from, ">="), (&custom.to, "<=")] {
            let Some(bound) = bound.as_deref().filter(|v| !v.is_empty()) else { continue };
            query.push(" and c.custom_fields ? ").push_bind(custom.key.clone());
            if let Ok(number) = bound.parse::<f64>() {
                query
                    .push(" and jsonb_typeof(c.custom_fields -> ")
                    .push_bind(custom.key.clone())
                    .push(") = 'number' and (c.custom_fields ->> ")
                    .push_bind(custom.key.clone())
                    .push(format!(")::float8 {op} "))
                    .push_bind(number);
            } else {
                query
                    .push(" and (c.custom_fields ->> ")
                    .push_bind(custom.key.clone())
                    .push(format!(") {op} "))
                    .push_bind(bound.to_owned());
            }
        }
    }
}

const LIST_COLUMNS: &str = "c.id, c.kind, c.name, c.external_id, c.customer_type, c.phone, c.email, c.region, \
    c.industry, u.display_name as owner_name, c.tags, c.order_count, c.total_spend_minor, \
    c.currency, c.first_order_at, c.last_order_at, c.locale";

fn list_row(
    row: &PgRow,
    settings: &CustomerSettings,
    now: DateTime<Utc>,
) -> Result<CustomerRow, sqlx::Error> {
    let last: Option<DateTime<Utc>> = row.try_get("last_order_at")?;
    let first: Option<DateTime<Utc>> = row.try_get("first_order_at")?;
    let order_count: i32 = row.try_get("order_count")?;
    let kind: String = row.try_get("kind")?;
    let customer_type: String = row.try_get("customer_type")?;
    Ok(CustomerRow {
        id: CustomerId(row.try_get("id")?),
        kind: CustomerKind::parse(&kind).unwrap_or_default(),
        name: row.try_get("name")?,
        external_id: row.try_get("external_id")?,
        customer_type: CustomerType::parse(&customer_type).unwrap_or_default(),
        status: activity_status(last, now, settings),
        stage: lifecycle_stage(order_count, first, last, settings),
        phone: row.try_get("phone")?,
        email: row.try_get("email")?,
        region: row.try_get("region")?,
        industry: row.try_get("industry")?,
        owner_name: row.try_get("owner_name")?,
        tags: row.try_get("tags")?,
        order_count,
        total_spend: Money {
            minor: row.try_get("total_spend_minor")?,
            currency: row.try_get("currency")?,
        },
        last_order_at: last,
        locale: Locale::from_stored(row.try_get("locale")?),
    })
}

/// One page of the list in the filter's order, continuing after `cursor`.
///
/// A search by a common fragment ("有限公司", "科技") matches a large share of all customers:
/// collecting every match through the n-gram index to show the newest fifty costs tens of
/// milliseconds, while the newest customers in scope hold fifty matches within a few hundred
/// rows. So when every n-gram of the fragment is common enough (Postgres' column statistics say
/// which), the newest `SCANNED_FOR_COMMON_SEARCH` customers in scope are read in id order first;
/// only if they hold too few matches does the index answer. So is a fragment too short for the
/// index (two Latin letters). Fragments too rare to fill a page there go to the index at once:
/// it finds their few matches in a millisecond or two.
pub async fn list(
    pool: &PgPool,
    filter: &CustomerFilter,
    visible_owners: Option<&[i64]>,
    cursor: Option<&CustomerCursor>,
    limit: i64,
    settings: &CustomerSettings,
) -> Result<Page<CustomerRow, CustomerCursor>, AppError> {
    let window = SCANNED_FOR_COMMON_SEARCH;
    list_with_scan_window(pool, filter, visible_owners, cursor, limit, settings, window).await
}

/// `list`, reading `window` customers in id order for a common fragment (tests use a small one).
pub async fn list_with_scan_window(
    pool: &PgPool,
    filter: &CustomerFilter,
    visible_owners: Option<&[i64]>,
    cursor: Option<&CustomerCursor>,
    limit: i64,
    settings: &CustomerSettings,
    window: i64,
) -> Result<Page<CustomerRow, CustomerCursor>, AppError> {
    let request = PageRequest { filter, visible_owners, cursor, limit, settings };
    let search = filter.search.as_deref().map(normalize_query).unwrap_or_default();
    if search.is_empty() || filter.sort != CustomerSort::Newest {
        return list_in(pool, &request, SearchPlan::Planner).await;
    }
    // A fragment too short for the index (two Latin letters) is tested row by row wherever it
    // is looked for: the newest customers are the likeliest to hold a page soon.
    let keys = query_keys(&search);
    if keys.is_empty()
        || search_keys_are_common(pool, &keys, (limit + 1) as f64 / window as f64).await?
    {
        let plan = SearchPlan::ScanNewest { window, fragment: &search };
        let page = list_in(pool, &request, plan).await?;
        if page.next.is_some() {
            return Ok(page);
        }
    }
    list_in(pool, &request, SearchPlan::Planner).await
}

/// Customers read in id order before a common search fragment falls back to the n-gram index
/// (about 8 ms when none of their rows is cached, measured at a million customers).
pub const SCANNED_FOR_COMMON_SEARCH: i64 = 20_000;

/// What a page of the list is asked for with.
struct PageRequest<'a> {
    filter: &'a CustomerFilter,
    visible_owners: Option<&'a [i64]>,
    cursor: Option<&'a CustomerCursor>,
    limit: i64,
    settings: &'a CustomerSettings,
}

/// How a page is found.
#[derive(Clone, Copy)]
enum SearchPlan<'a> {
    /// One query; the planner picks the indexes.
    Planner,
    /// The (normalised) fragment looked for only among `window` newest customers matching the
    /// other filters (a complete page only if they hold `limit + 1` matches), without the n-gram
    /// index.
    ScanNewest { window: i64, fragment: &'a str },
}

/// Whether every key is in at least `min_share` of all customers, by the planner's statistics
/// (their most common elements: at a million customers, keys in more than about 3,000).
/// Without statistics (a new database) no key is common.
pub async fn search_keys_are_common(
    pool: &PgPool,
    keys: &[i32],
    min_share: f64,
) -> Result<bool, AppError> {
    keys_are_common_in(pool, SearchedTable::Customer, keys, min_share).await
}

/// The tables with `search_keys` (n-gram keys of their `search_text`).
#[derive(Clone, Copy, Debug)]
pub enum SearchedTable {
    Customer,
    Lead,
    Opportunity,
    Ticket,
    Product,
}

impl SearchedTable {
    fn name(self) -> &'static str {
        match self {
            SearchedTable::Customer => "customer",
            SearchedTable::Lead => "lead",
            SearchedTable::Opportunity => "opportunity",
            SearchedTable::Ticket => "ticket",
            SearchedTable::Product => "product",
        }
    }
}

/// `search_keys_are_common` for any searched table.
pub async fn keys_are_common_in(
    pool: &PgPool,
    table: SearchedTable,
    keys: &[i32],
    min_share: f64,
) -> Result<bool, AppError> {
    if keys.is_empty() {
        return Ok(false);
    }
    let common: Option<bool> = sqlx::query_scalar(
        "select bool_and(coalesce(m.share, 0) >= $2)
         from pg_stats s
         cross join unnest($1::integer[]) as k(key)
         left join lateral (
             select e.share from unnest(s.most_common_elems::text::integer[],
                                        s.most_common_elem_freqs) as e(key, share)
             where e.key = k.key) m on true
         where s.schemaname = current_schema() and s.tablename = $3
           and s.attname = 'search_keys'",
    )
    .bind(keys)
    .bind(min_share as f32)
    .bind(table.name())
    .fetch_one(pool)
    .await?;
    Ok(common.unwrap_or(false))
}

/// A key in at least this share of a table's rows is common: reading the newest rows until a
/// few match finds them sooner (about 5 / share rows) than the index's whole list of them.
pub const COMMON_KEY_SHARE: f64 = 0.002;

/// `text` as a newest-first search of `table` should test it: without its keys when they are
/// all common there and the caller sees every row (the planner, misjudging how many rows the
/// `like` keeps, would otherwise read every row holding them and sort: 10 to 35 ms for a
/// frequent word among 200,000 leads, against 0.2 ms reading the newest rows). A caller limited
/// to some owners keeps the keys: matches are rarer among their rows, and the index of the keys
/// and the owner's combine (130 ms reading a member's 15,000 leads newest first, for none).
pub async fn narrowed(
    pool: &PgPool,
    table: SearchedTable,
    text: &TextMatch,
    scoped: bool,
) -> Result<TextMatch, AppError> {
    if scoped {
        return Ok(text.clone());
    }
    let common = keys_are_common_in(pool, table, &text.keys, COMMON_KEY_SHARE).await?;
    Ok(if common {
        TextMatch { keys: vec![], pattern: text.pattern.clone() }
    } else {
        text.clone()
    })
}

/// Whether a search of `table` that shows `limit` matches newest first should read the newest
/// `window` records in scope before asking the n-gram index: when the fragment is too short
/// for the index (one Chinese character, two Latin letters), or when every key it has is common
/// enough that the window likely holds `limit` matches. Collecting every match of a frequent
/// fragment through the index, to show the newest few, reads thousands of rows; a member's
/// scope does not narrow the index's answer, only the rows it is read from.
pub async fn newest_first_suits(
    pool: &PgPool,
    table: SearchedTable,
    text: &TextMatch,
    limit: i64,
    window: i64,
) -> Result<bool, AppError> {
    if text.keys.is_empty() {
        return Ok(true);
    }
    keys_are_common_in(pool, table, &text.keys, (limit + 1) as f64 / window as f64).await
}

/// One page, found as `plan` says.
async fn list_in(
    pool: &PgPool,
    request: &PageRequest<'_>,
    plan: SearchPlan<'_>,
) -> Result<Page<CustomerRow, CustomerCursor>, AppError> {
    let PageRequest { filter, visible_owners, cursor, limit, settings } = *request;
    // The page's ids first, then their columns: the filter and sort can then be answered from an
    // index alone (the spend and last-order indexes carry the columns that stage, status, type and
    // scope filters read), instead of reading every skipped customer's row.
    let mut query = QueryBuilder::new("with page as (");
    match plan {
        SearchPlan::Planner => {
            query.push("select c.id from customer c where true");
            push_filters(&mut query, filter, visible_owners, settings);
            push_keyset(&mut query, filter.sort, cursor);
        }
        SearchPlan::ScanNewest { window, fragment } => {
            // The window's ids come from an index in id order; the limit inside keeps the
            // fragment's test out of that scan, so it stops after the window.
            query.push("select w.id from (select c.id from customer c where true");
            push_filters_but_search(&mut query, filter, visible_owners, settings);
            push_keyset(&mut query, filter.sort, cursor);
            query.push(" limit ").push_bind(window);
            query.push(") w join customer s on s.id = w.id where s.search_text like ");
            query.push_bind(like_contains(fragment)).push(" order by w.id desc");
        }
    }
    query.push(" limit ").push_bind(limit + 1);
    query.push(format!(
        ") select {LIST_COLUMNS} from page join customer c on c.id = page.id \
         left join app_user u on u.id = c.owner_id{}",
        order_clause(filter.sort)
    ));
    let now = Utc::now();
    let rows = query.build().fetch_all(pool).await?;
    let rows =
        rows.iter().map(|row| list_row(row, settings, now)).collect::<Result<Vec<_>, _>>()?;
    let sort = filter.sort;
    Ok(Page::from_overfetch(rows, limit, move |row: &CustomerRow| CustomerCursor {
        id: row.id.0,
        value: match sort {
            CustomerSort::Newest => None,
            CustomerSort::Spend => Some(row.total_spend.minor),
            CustomerSort::LastOrder => row.last_order_at.map(|t| t.timestamp_micros()),
        },
    }))
}

/// The last order's time with "never" as the earliest possible time: customers who never ordered
/// sort after everyone else, and a keyset position is one comparison that an index on
/// `(region, LAST_ORDER_KEY, id)` or `(LAST_ORDER_KEY, id)` answers as a range.
pub const LAST_ORDER_KEY: &str = "coalesce(c.last_order_at, '-infinity'::timestamptz)";

/// The keyset condition and order of each sort; every order ends with the id.
pub fn push_keyset(
    query: &mut QueryBuilder<'_, Postgres>,
    sort: CustomerSort,
    cursor: Option<&CustomerCursor>,
) {
    match (sort, cursor) {
        (CustomerSort::Newest, Some(cursor)) => {
            query.push(" and c.id < ").push_bind(cursor.id);
        }
        (CustomerSort::Spend, Some(cursor)) => {
            query
                .push(" and (c.total_spend_minor, c.id) < (")
                .push_bind(cursor.value.unwrap_or(0))
                .push(", ")
                .push_bind(cursor.id)
                .push(")");
        }
        (CustomerSort::LastOrder, Some(cursor)) => {
            let at = cursor.value.and_then(DateTime::<Utc>::from_timestamp_micros);
            query
                .push(format!(" and ({LAST_ORDER_KEY}, c.id) < (coalesce("))
                .push_bind(at)
                .push("::timestamptz, '-infinity'), ")
                .push_bind(cursor.id)
                .push(")");
        }
        (_, None) => {}
    }
    query.push(order_clause(sort));
}

fn order_clause(sort: CustomerSort) -> String {
    match sort {
        CustomerSort::Newest => " order by c.id desc".into(),
        CustomerSort::Spend => " order by c.total_spend_minor desc, c.id desc".into(),
        CustomerSort::LastOrder => format!(" order by {LAST_ORDER_KEY} desc, c.id desc"),
    }
}

/// Ids of every live customer matching `filter` in scope, up to `limit` (bulk actions).
pub async fn matching_ids(
    pool: &PgPool,
    filter: &CustomerFilter,
    visible_owners: Option<&[i64]>,
    settings: &CustomerSettings,
    limit: i64,
) -> Result<Vec<i64>, AppError> {
    let mut query = QueryBuilder::new("select c.id from customer c where true");
    push_filters(&mut query, filter, visible_owners, settings);
    query.push(" order by c.id limit ").push_bind(limit);
    Ok(query.build_query_scalar().fetch_all(pool).await?)
}

/// Soft-deletes (to the recycle bin); `false` when not found in scope.
pub async fn soft_delete(
    conn: &mut PgConnection,
    id: CustomerId,
    by: UserId,
) -> Result<(), AppError> {
    sqlx::query!(
        "update customer set deleted_at = now(), deleted_by = $2, version = version + 1
         where id = $1",
        id.0,
        by.0
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Brings a deleted (not merged) customer back; `false` when there is nothing to restore.
///
/// Errors: `Validation` (`external_id`) when a live customer has taken its external id since.
pub async fn restore(conn: &mut PgConnection, id: CustomerId) -> Result<bool, AppError> {
    let done = sqlx::query!(
        "update customer set deleted_at = null, deleted_by = null, version = version + 1
         where id = $1 and deleted_at is not null and merged_into is null",
        id.0
    )
    .execute(&mut *conn)
    .await
    .map_err(owner_error)?;
    Ok(done.rows_affected() == 1)
}

pub async fn deleted(
    pool: &PgPool,
    before: Option<(DateTime<Utc>, i64)>,
    limit: i64,
) -> Result<Vec<DeletedCustomer>, AppError> {
    let rows = sqlx::query!(
        r#"
        select c.id, c.name, c.deleted_at as "deleted_at!: DateTime<Utc>",
               u.display_name as "deleted_by_name?"
        from customer c left join app_user u on u.id = c.deleted_by
        where c.deleted_at is not null and c.merged_into is null
          and ($1::timestamptz is null or (c.deleted_at, c.id) < ($1, $2))
        order by c.deleted_at desc, c.id desc
        limit $3
        "#,
        before.map(|b| b.0) as _,
        before.map(|b| b.1).unwrap_or(i64::MAX),
        limit,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| DeletedCustomer {
            id: CustomerId(r.id),
            name: r.name,
            deleted_at: r.deleted_at,
            deleted_by_name: r.deleted_by_name,
        })
        .collect())
}

pub async fn set_owner(
    conn: &mut PgConnection,
    id: CustomerId,
    owner: UserId,
) -> Result<(), AppError> {
    sqlx::query!(
        "update customer set owner_id = $2, version = version + 1, updated_at = now() where id = $1",
        id.0,
        owner.0
    )
    .execute(&mut *conn)
    .await
    .map_err(owner_error)?;
    Ok(())
}

pub async fn set_tags(
    conn: &mut PgConnection,
    id: CustomerId,
    tags: &[String],
) -> Result<(), AppError> {
    sqlx::query!(
        "update customer set tags = $2, version = version + 1, updated_at = now() where id = $1",
        id.0,
        tags
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn saved_views(
    pool: &PgPool,
    user: UserId,
    page: &str,
) -> Result<Vec<SavedView>, AppError> {
    let rows = sqlx::query!(
        "select id, name, filter from saved_view where user_id = $1 and page = $2 order by name",
        user.0,
        page
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(SavedView {
                id: r.id,
                name: r.name,
                filter: serde_json::from_value(r.filter).ok()?,
            })
        })
        .collect())
}

pub async fn save_view(
    pool: &PgPool,
    user: UserId,
    page: &str,
    name: &str,
    filter: &CustomerFilter,
) -> Result<i64, AppError> {
    let filter = serde_json::to_value(filter).map_err(AppError::internal)?;
    let id = sqlx::query_scalar!(
        "insert into saved_view (user_id, page, name, filter) values ($1, $2, $3, $4)
         on conflict (user_id, page, name) do update set filter = excluded.filter
         returning id",
        user.0,
        page,
        name,
        filter
    )
    .fetch_one(pool)
    .await?;
    Ok(id)
}

/// Deletes one of `user`'s saved views. Errors: `NotFound` (missing, or someone else's).
pub async fn delete_view(pool: &PgPool, user: UserId, id: i64) -> Result<(), AppError> {
    let deleted = sqlx::query!("delete from saved_view where id = $1 and user_id = $2", id, user.0)
        .execute(pool)
        .await?
        .rows_affected();
    if deleted == 0 { Err(AppError::NotFound) } else { Ok(()) }
}

/// Distinct regions and industries in use, for the filter menus.
pub async fn facet_values(pool: &PgPool) -> Result<(Vec<String>, Vec<String>), AppError> {
    // Loose index scans (recursive skip) keep this fast on a million rows.
    let regions = sqlx::query_scalar!(
        r#"
        with recursive r(v) as (
            (select region from customer where deleted_at is null and region is not null
             order by region limit 1)
            union all
            select (select region from customer where deleted_at is null and region > r.v
                    order by region limit 1)
            from r where r.v is not null
        )
        select v as "v!" from r where v is not null
        "#
    )
    .fetch_all(pool)
    .await?;
    let industries = sqlx::query_scalar!(
        r#"
        with recursive r(v) as (
            (select industry from customer where deleted_at is null and industry is not null
             order by industry limit 1)
            union all
            select (select industry from customer where deleted_at is null and industry > r.v
                    order by industry limit 1)
            from r where r.v is not null
        )
        select v as "v!" from r where v is not null
        "#
    )
    .fetch_all(pool)
    .await?;
    Ok((regions, industries))
}

/// Whether a live customer exists in the caller's scope.
pub async fn visible(
    pool: &PgPool,
    id: CustomerId,
    visible_owners: Option<&[i64]>,
) -> Result<bool, AppError> {
    // The cards of one page each check the same customer: one statement per request.
    let key = format!("customer_visible:{}:{visible_owners:?}", id.0);
    crate::auth::server::once_per_request(key, || async {
        Ok(sqlx::query_scalar!(
            r#"select exists(select 1 from customer where id = $1 and deleted_at is null
                   and ($2::bigint[] is null or owner_id = any($2))) as "e!""#,
            id.0,
            visible_owners as _,
        )
        .fetch_one(pool)
        .await?)
    })
    .await
}

/// Recomputes a customer's order aggregates from the orders that count (after a merge moved
/// orders, or undoing one moved them back).
pub async fn recompute_aggregates(
    conn: &mut PgConnection,
    customer_id: CustomerId,
) -> Result<(), AppError> {
    sqlx::query!(
        r#"
        update customer c set
            order_count = a.n, total_spend_minor = a.total,
            first_order_at = a.first, last_order_at = a.last
        from (
            select count(*)::int as n, coalesce(sum(total_minor - refunded_minor), 0)::bigint as total,
                   min(ordered_at) as first, max(ordered_at) as last
            from sales_order where customer_id = $1 and status = 'placed'
        ) a
        where c.id = $1
        "#,
        customer_id.0
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}
