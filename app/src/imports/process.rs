//! The customer import: checking every row and importing in batches.
//!
//! Re-running a file creates no duplicates: each row is matched to an existing customer by its
//! natural keys (external id, then phone, then email, then the reduced company name for rows
//! with none of those), also against rows created earlier in the same run, and then updates that
//! customer instead.

use super::model::*;
use crate::{
    auth::{
        model::UserId,
        server::{DataScope, scope_of_user},
    },
    customers::model::{
        CustomFieldDef, CustomerKind, CustomerType, Source, clean_tags, index_keys, keys_text,
        name_key, normalize_phone, search_text, validate_custom_fields, validate_phone,
    },
    customers::timeline::model::kinds,
    error::{AppError, FieldError, FieldErrors},
    i18n::Locale,
};
use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool, Row};
use std::collections::HashMap;

/// The most data rows a customer file may have (order files may have more: they are read as a
/// stream, see `history`).
pub const MAX_ROWS: usize = 200_000;
/// Rows per transaction when bad rows are skipped (the checkpoint unit when resuming).
pub const BATCH: usize = 1000;
/// Rows written between merges of the customer's GIN pending lists: large enough that each
/// merge is cheap per entry, small enough that searches during an import stay fast. (The import
/// also merges once at the end, so it leaves the indexes clean.)
pub const MERGE_EVERY: usize = 10_000;

/// A customer file read into text cells.
pub struct Decoded {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// A contact given by an import row: name, phone, email.
pub type RowContact = (String, Option<String>, Option<String>);

/// A row checked and ready to write. `None` fields were not mapped or left empty.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Prepared {
    pub external_id: Option<String>,
    pub name: String,
    pub kind: Option<CustomerKind>,
    pub customer_type: Option<CustomerType>,
    pub phone: Option<String>,
    pub phone_normalized: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub region: Option<String>,
    pub industry: Option<String>,
    pub source: Option<Source>,
    pub owner_id: Option<i64>,
    pub tags: Vec<String>,
    pub birthday: Option<NaiveDate>,
    pub anniversary: Option<NaiveDate>,
    pub notes: Option<String>,
    pub locale: Option<Locale>,
    pub custom: serde_json::Map<String, serde_json::Value>,
    pub contact: Option<RowContact>,
    pub name_key: String,
}

/// What the rows are checked against.
pub struct Context {
    pub mapping: Vec<(usize, Target)>,
    pub definitions: Vec<CustomFieldDef>,
    /// Active users by email, limited to the importer's scope.
    pub owners: HashMap<String, i64>,
    pub default_owner: i64,
}

fn cell(row: &[String], index: usize) -> &str {
    row.get(index).map(String::as_str).unwrap_or_default().trim()
}

/// Checks one row against the mapping, naming each problem by its column's header.
pub fn prepare(
    row: &[String],
    headers: &[String],
    context: &Context,
) -> Result<Prepared, Vec<(String, FieldError)>> {
    let mut errors: Vec<(String, FieldError)> = Vec::new();
    let mut prepared = Prepared { owner_id: Some(context.default_owner), ..Default::default() };
    let mut contact = (None::<String>, None::<String>, None::<String>);
    let mut custom = serde_json::Map::new();
    let mut custom_columns = HashMap::new();
    for (index, target) in &context.mapping {
        let value = cell(row, *index);
        let header = headers.get(*index).cloned().unwrap_or_else(|| target.key());
        let mut fail = |e| errors.push((header.clone(), e));
        let text = |max: usize, fail: &mut dyn FnMut(FieldError)| -> Option<String> {
            if value.is_empty() {
                None
            } else if value.chars().count() > max {
                fail(FieldError::TooLong { max: max as u32 });
                None
            } else {
                Some(value.to_owned())
            }
        };
        match target {
            Target::ExternalId => prepared.external_id = text(100, &mut fail),
            Target::Name => prepared.name = text(200, &mut fail).unwrap_or_default(),
            Target::Kind => match parse_kind(value) {
                Some(kind) => prepared.kind = (!value.is_empty()).then_some(kind),
                None => fail(FieldError::InvalidChoice),
            },
            Target::CustomerType => match parse_customer_type(value) {
                Some(CustomerType::Former) => fail(FieldError::InvalidChoice),
                Some(kind) => prepared.customer_type = (!value.is_empty()).then_some(kind),
                None => fail(FieldError::InvalidChoice),
            },
            Target::Phone => match validate_phone(value) {
                Ok(phone) => {
                    prepared.phone_normalized = phone.as_deref().and_then(normalize_phone);
                    prepared.phone = phone;
                }
                Err(e) => fail(e),
            },
            Target::Email if value.is_empty() => {}
            Target::Email => match crate::auth::model::validate_email(value) {
                Ok(email) => prepared.email = Some(email),
                Err(e) => fail(e),
            },
            Target::Address => prepared.address = text(300, &mut fail),
            Target::Region => prepared.region = text(100, &mut fail),
            Target::Industry => prepared.industry = text(100, &mut fail),
            Target::Source if value.is_empty() => {}
            Target::Source => match parse_source(value) {
                Some(source) => prepared.source = Some(source),
                None => fail(FieldError::InvalidChoice),
            },
            Target::OwnerEmail if value.is_empty() => {}
            Target::OwnerEmail => match context.owners.get(&value.to_lowercase()) {
                Some(id) => prepared.owner_id = Some(*id),
                None => fail(FieldError::OwnerOutOfScope),
            },
            Target::Tags => match clean_tags(&split_tags(value)) {
                Ok(tags) => prepared.tags = tags,
                Err(e) => fail(e),
            },
            Target::Birthday | Target::Anniversary if value.is_empty() => {}
            Target::Birthday | Target::Anniversary => match parse_date(value) {
                Some(date) if *target == Target::Birthday => prepared.birthday = Some(date),
                Some(date) => prepared.anniversary = Some(date),
                None => fail(FieldError::InvalidDate),
            },
            Target::Notes => prepared.notes = text(5000, &mut fail),
            Target::Language if value.is_empty() => {}
            Target::Language => match parse_language(value) {
                Some(locale) => prepared.locale = Some(locale),
                None => fail(FieldError::InvalidChoice),
            },
            Target::ContactName => contact.0 = text(100, &mut fail),
            Target::ContactPhone => match validate_phone(value) {
                Ok(phone) => contact.1 = phone,
                Err(e) => fail(e),
            },
            Target::ContactEmail if value.is_empty() => {}
            Target::ContactEmail => match crate::auth::model::validate_email(value) {
                Ok(email) => contact.2 = Some(email),
                Err(e) => fail(e),
            },
            Target::Custom(key) => {
                custom.insert(key.clone(), serde_json::Value::String(value.to_owned()));
                custom_columns.insert(format!("custom.{key}"), header.clone());
            }
        }
    }
    if prepared.name.is_empty()
        && !errors.iter().any(|(_, e)| matches!(e, FieldError::TooLong { .. }))
    {
        let header = context
            .mapping
            .iter()
            .find(|(_, t)| *t == Target::Name)
            .and_then(|(i, _)| headers.get(*i).cloned())
            .unwrap_or_else(|| "name".into());
        errors.push((header, FieldError::Required));
    }
    let mut custom_errors = FieldErrors::new();
    prepared.custom = validate_custom_fields(&custom, &context.definitions, &mut custom_errors);
    for (field, field_errors) in custom_errors.0 {
        let header = custom_columns.get(&field).cloned().unwrap_or(field);
        errors.extend(field_errors.into_iter().map(|e| (header.clone(), e)));
    }
    if let (Some(name), phone, email) = contact {
        prepared.contact = Some((name, phone, email));
    }
    prepared.name_key = name_key(&prepared.name);
    if errors.is_empty() { Ok(prepared) } else { Err(errors) }
}

/// The importer's context: mapping resolved, custom fields, the owners they may assign.
pub async fn context(
    pool: &PgPool,
    mapping: &[Option<String>],
    importer: UserId,
) -> Result<(Context, DataScope), AppError> {
    let scope = scope_of_user(pool, importer).await?;
    let visible = scope.visible_owners();
    let owners = sqlx::query!(
        "select id, email from app_user where active and ($1::bigint[] is null or id = any($1))",
        visible.as_deref() as _
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| (r.email, r.id))
    .collect();
    let mapping = mapping
        .iter()
        .enumerate()
        .filter_map(|(i, key)| Some((i, Target::from_key(key.as_deref()?)?)))
        .collect();
    let definitions = crate::customers::repo::custom_fields(pool).await?;
    Ok((Context { mapping, definitions, owners, default_owner: importer.0 }, scope))
}

/// The outcome of one row.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Created(i64),
    /// `searchable_changed`: the phone or email changed, so the search keys must be recomputed.
    Updated {
        id: i64,
        before: serde_json::Value,
        searchable_changed: bool,
    },
    Unchanged(i64),
    Rejected(Vec<(String, FieldError)>),
}

/// The stored fields of a matched customer that an import may change.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Existing {
    pub id: i64,
    pub owner_id: Option<i64>,
    pub kind: String,
    pub customer_type: String,
    pub phone: Option<String>,
    pub phone_normalized: Option<String>,
    pub email: Option<String>,
    pub email_normalized: Option<String>,
    pub address: Option<String>,
    pub region: Option<String>,
    pub industry: Option<String>,
    pub source: String,
    pub tags: Vec<String>,
    pub birthday: Option<NaiveDate>,
    pub anniversary: Option<NaiveDate>,
    pub notes: Option<String>,
    pub custom_fields: serde_json::Value,
    pub name: String,
    pub name_key: String,
    /// The customer's language tag. `None` only in what batches recorded before imports could
    /// set it: a revert then leaves the language as it is.
    #[serde(default)]
    pub locale: Option<String>,
    #[serde(default)]
    pub external_id: Option<String>,
    /// False in what batches recorded before customers had external ids: a revert then leaves
    /// the external id as it is.
    #[serde(default)]
    pub external_id_known: bool,
}

/// What a matched customer becomes when the row's non-empty values are applied.
pub fn apply(existing: &Existing, row: &Prepared) -> Existing {
    let mut next = existing.clone();
    let set = |field: &mut Option<String>, value: &Option<String>| {
        if value.is_some() {
            field.clone_from(value);
        }
    };
    if let Some(kind) = row.kind {
        next.kind = kind.as_str().into();
    }
    // An import never demotes: potential may become existing, not the other way round.
    if row.customer_type == Some(CustomerType::Existing) {
        next.customer_type = "existing".into();
    }
    if row.phone.is_some() {
        next.phone.clone_from(&row.phone);
        next.phone_normalized.clone_from(&row.phone_normalized);
    }
    if row.email.is_some() {
        next.email.clone_from(&row.email);
        next.email_normalized.clone_from(&row.email);
    }
    set(&mut next.address, &row.address);
    set(&mut next.region, &row.region);
    set(&mut next.industry, &row.industry);
    set(&mut next.notes, &row.notes);
    if let Some(source) = row.source {
        next.source = source.as_str().into();
    }
    if row.birthday.is_some() {
        next.birthday = row.birthday;
    }
    if row.anniversary.is_some() {
        next.anniversary = row.anniversary;
    }
    if let Some(locale) = row.locale {
        next.locale = Some(locale.tag().into());
    }
    // A customer keeps the external id it has (a different one refuses the row, see
    // `plan_batch`); one without gets the file's.
    if next.external_id.is_none() && row.external_id.is_some() {
        next.external_id.clone_from(&row.external_id);
    }
    let mut tags = next.tags.clone();
    tags.extend(row.tags.iter().cloned());
    next.tags = clean_tags(&tags).unwrap_or(next.tags);
    if let serde_json::Value::Object(map) = &mut next.custom_fields {
        for (k, v) in &row.custom {
            map.insert(k.clone(), v.clone());
        }
    }
    next
}

/// A company name is a weak key (many firms share one), so it only identifies a row that gives
/// no external id, phone or email; a row whose phone or email is new is a new customer.
fn matches_by_name(row: &Prepared) -> bool {
    row.external_id.is_none()
        && row.phone_normalized.is_none()
        && row.email.is_none()
        && !row.name_key.is_empty()
}

/// Finds the live customers matching a batch's natural keys.
async fn existing_for(
    conn: &mut PgConnection,
    rows: &[&Prepared],
) -> Result<Vec<Existing>, AppError> {
    let phones: Vec<String> = rows.iter().filter_map(|r| r.phone_normalized.clone()).collect();
    let emails: Vec<String> = rows.iter().filter_map(|r| r.email.clone()).collect();
    let names: Vec<String> =
        rows.iter().filter(|r| matches_by_name(r)).map(|r| r.name_key.clone()).collect();
    let external: Vec<String> = rows.iter().filter_map(|r| r.external_id.clone()).collect();
    let found = sqlx::query_as!(
        Existing,
        r#"
        select id, owner_id, kind, customer_type, phone, phone_normalized, email, email_normalized,
               address, region, industry, source, tags, birthday as "birthday: NaiveDate",
               anniversary as "anniversary: NaiveDate", notes, custom_fields, name, name_key,
               locale as "locale?", external_id, true as "external_id_known!"
        from customer
        where deleted_at is null
          and (phone_normalized = any($1) or email_normalized = any($2) or name_key = any($3)
               or external_id = any($4))
        "#,
        &phones,
        &emails,
        &names,
        &external,
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(found)
}

/// The in-run index of customers by natural key, so a file's later rows find earlier ones.
#[derive(Default)]
pub struct KeyIndex {
    external: HashMap<String, i64>,
    phone: HashMap<String, i64>,
    email: HashMap<String, i64>,
    name: HashMap<String, i64>,
    records: HashMap<i64, Existing>,
}

impl KeyIndex {
    fn insert(&mut self, record: Existing) {
        if let Some(e) = &record.external_id {
            self.external.insert(e.clone(), record.id);
        }
        if let Some(p) = &record.phone_normalized {
            self.phone.insert(p.clone(), record.id);
        }
        if let Some(e) = &record.email_normalized {
            self.email.insert(e.clone(), record.id);
        }
        if !record.name_key.is_empty() {
            self.name.entry(record.name_key.clone()).or_insert(record.id);
        }
        self.records.insert(record.id, record);
    }

    fn find(&self, row: &Prepared) -> Option<&Existing> {
        let by_external = row.external_id.as_ref().and_then(|e| self.external.get(e));
        let by_phone = row.phone_normalized.as_ref().and_then(|p| self.phone.get(p));
        let by_email = row.email.as_ref().and_then(|e| self.email.get(e));
        let by_name = matches_by_name(row).then(|| self.name.get(&row.name_key)).flatten();
        by_external.or(by_phone).or(by_email).or(by_name).and_then(|id| self.records.get(id))
    }
}

/// Counts of a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub created: i32,
    pub updated: i32,
    pub unchanged: i32,
    pub rejected: i32,
}

impl Counts {
    /// The rows counted.
    pub fn total(&self) -> usize {
        (self.created + self.updated + self.unchanged + self.rejected) as usize
    }
}

/// What one batch of rows will do.
pub struct BatchPlan {
    /// 0-based offset of the batch's first row in the file.
    pub first_row: usize,
    outcomes: Vec<Outcome>,
    /// Each new customer as first created, with the row's contact.
    created: Vec<(Existing, Option<RowContact>)>,
    /// The new state of each customer the batch changes.
    updated: Vec<Existing>,
    pub counts: Counts,
}

/// Decides and (when `write`) applies one batch on one connection.
#[allow(clippy::too_many_arguments)]
pub async fn run_batch(
    conn: &mut PgConnection,
    import_id: i64,
    first_row: usize,
    rows: &[Result<Prepared, Vec<(String, FieldError)>>],
    index: &mut KeyIndex,
    scope: &DataScope,
    importer: UserId,
    currency: &str,
    write: bool,
    next_fake_id: &mut i64,
) -> Result<Counts, AppError> {
    let plan = plan_batch(conn, first_row, rows, index, scope, write, next_fake_id).await?;
    write_plan(conn, import_id, &plan, importer, currency, write).await?;
    Ok(plan.counts)
}

/// Decides what each row of a batch does, against the customers in the database and those the
/// run has created or changed so far (`index`, which is always the newer, so the batch may be
/// decided before earlier batches are written). New customers' ids are reserved when `write`.
/// Rows out of the importer's scope that match an existing customer are refused rather than
/// updated.
pub async fn plan_batch(
    conn: &mut PgConnection,
    first_row: usize,
    rows: &[Result<Prepared, Vec<(String, FieldError)>>],
    index: &mut KeyIndex,
    scope: &DataScope,
    write: bool,
    next_fake_id: &mut i64,
) -> Result<BatchPlan, AppError> {
    let good: Vec<&Prepared> = rows.iter().filter_map(|r| r.as_ref().ok()).collect();
    for record in existing_for(conn, &good).await? {
        if !index.records.contains_key(&record.id) {
            index.insert(record);
        }
    }
    // Ids for the new customers, reserved in one round trip: rows that match nothing yet (an
    // upper bound, as a row may match one created earlier in the batch; unused ids are gaps).
    let mut reserved: Vec<i64> = if write {
        let wanted = good.iter().filter(|r| index.find(r).is_none()).count() as i64;
        sqlx::query_scalar!(
            r#"select nextval(pg_get_serial_sequence('customer', 'id')) as "id!"
               from generate_series(1, $1::bigint)"#,
            wanted
        )
        .fetch_all(&mut *conn)
        .await?
    } else {
        Vec::new()
    };
    reserved.reverse();
    let mut outcomes = Vec::with_capacity(rows.len());
    let mut created: Vec<(Existing, Option<RowContact>)> = Vec::new();
    for row in rows {
        let row = match row {
            Err(errors) => {
                outcomes.push(Outcome::Rejected(errors.clone()));
                continue;
            }
            Ok(row) => row,
        };
        match index.find(row).cloned() {
            Some(existing) if !scope.can_see_owner(existing.owner_id.map(UserId)) => {
                outcomes
                    .push(Outcome::Rejected(vec![("name".into(), FieldError::OwnerOutOfScope)]));
            }
            // Matched by phone, email or name, but known elsewhere by another external id: the
            // row describes another record of the source system.
            Some(existing)
                if row.external_id.is_some()
                    && existing.external_id.is_some()
                    && existing.external_id != row.external_id =>
            {
                outcomes
                    .push(Outcome::Rejected(vec![("external_id".into(), FieldError::Mismatch)]));
            }
            Some(existing) => {
                let next = apply(&existing, row);
                if existing == next {
                    outcomes.push(Outcome::Unchanged(existing.id));
                } else {
                    let before = serde_json::to_value(&existing).map_err(AppError::internal)?;
                    let searchable_changed = existing.phone != next.phone
                        || existing.email != next.email
                        || existing.external_id != next.external_id;
                    index.insert(next);
                    outcomes.push(Outcome::Updated { id: existing.id, before, searchable_changed });
                }
            }
            None => {
                // The id is reserved now so later rows of the file match this one.
                let id = if write {
                    match reserved.pop() {
                        Some(id) => id,
                        None => sqlx::query_scalar!(
                            r#"select nextval(pg_get_serial_sequence('customer', 'id')) as "id!""#
                        )
                        .fetch_one(&mut *conn)
                        .await?,
                    }
                } else {
                    *next_fake_id -= 1;
                    *next_fake_id
                };
                let record = Existing {
                    id,
                    owner_id: row.owner_id,
                    kind: row.kind.unwrap_or_default().as_str().into(),
                    customer_type: row.customer_type.unwrap_or_default().as_str().into(),
                    phone: row.phone.clone(),
                    phone_normalized: row.phone_normalized.clone(),
                    email: row.email.clone(),
                    email_normalized: row.email.clone(),
                    address: row.address.clone(),
                    region: row.region.clone(),
                    industry: row.industry.clone(),
                    source: row.source.unwrap_or(Source::Import).as_str().into(),
                    tags: row.tags.clone(),
                    birthday: row.birthday,
                    anniversary: row.anniversary,
                    notes: row.notes.clone(),
                    custom_fields: serde_json::Value::Object(row.custom.clone()),
                    name: row.name.clone(),
                    name_key: row.name_key.clone(),
                    locale: Some(row.locale.unwrap_or_default().tag().into()),
                    external_id: row.external_id.clone(),
                    external_id_known: true,
                };
                created.push((record.clone(), row.contact.clone()));
                index.insert(record);
                outcomes.push(Outcome::Created(id));
            }
        }
    }
    let mut counts = Counts::default();
    for outcome in &outcomes {
        match outcome {
            Outcome::Created(_) => counts.created += 1,
            Outcome::Updated { .. } => counts.updated += 1,
            Outcome::Unchanged(_) => counts.unchanged += 1,
            Outcome::Rejected(_) => counts.rejected += 1,
        }
    }
    let updated = outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::Updated { id, .. } => index.records.get(id).cloned(),
            _ => None,
        })
        .collect();
    Ok(BatchPlan { first_row, outcomes, created, updated, counts })
}

/// Applies a decided batch (when `write`) and records what its rows did.
pub async fn write_plan(
    conn: &mut PgConnection,
    import_id: i64,
    plan: &BatchPlan,
    importer: UserId,
    currency: &str,
    write: bool,
) -> Result<(), AppError> {
    let versions = if write {
        Some(write_batch(conn, import_id, plan, importer, currency).await?)
    } else {
        None
    };
    record_batch(conn, import_id, plan, versions.as_ref()).await
}

fn join(parts: &[String]) -> String {
    parts.join("\u{1f}")
}

/// Writes the batch; returns the version each updated customer was left with.
async fn write_batch(
    conn: &mut PgConnection,
    import_id: i64,
    plan: &BatchPlan,
    importer: UserId,
    currency: &str,
) -> Result<HashMap<i64, i32>, AppError> {
    let BatchPlan { outcomes, created, updated, .. } = plan;
    insert_customers(conn, import_id, created, importer, currency).await?;

    // Matched customers that change: their new state, one statement for the batch.
    let mut versions = HashMap::new();
    if !updated.is_empty() {
        versions = store_fields(conn, updated).await?;
        let ids: Vec<i64> = updated.iter().map(|r| r.id).collect();
        // Only a new phone or email changes what a customer is found by (names are match keys,
        // never changed by an import); most updates fill in other fields.
        let research: Vec<i64> = outcomes
            .iter()
            .filter_map(|o| match o {
                Outcome::Updated { id, searchable_changed: true, .. } => Some(*id),
                _ => None,
            })
            .collect();
        crate::customers::repo::refresh_search_of(conn, &research).await?;
        let data = serde_json::json!({ "import_id": import_id, "updated": true });
        sqlx::query!(
            "insert into timeline_event (customer_id, at, kind, ref_id, data, actor_id)
             select id, now(), $2, $3, $4, $5 from unnest($1::bigint[]) as id",
            &ids,
            kinds::IMPORTED,
            import_id,
            data,
            importer.0,
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(versions)
}

/// Creates customers an import decided on (ids reserved), with their contact and an "imported"
/// timeline entry each, in three statements whatever their number. Order and interaction
/// imports create the customers their rows name this way too.
pub async fn insert_customers(
    conn: &mut PgConnection,
    import_id: i64,
    created: &[(Existing, Option<RowContact>)],
    importer: UserId,
    currency: &str,
) -> Result<(), AppError> {
    if created.is_empty() {
        return Ok(());
    }
    let mut c = CreateColumns::default();
    for (record, contact) in created {
        let contacts = contact.iter().map(|(n, p, _)| (n.as_str(), p.as_deref()));
        let text = search_text(
            &record.name,
            record.phone.as_deref(),
            record.email.as_deref(),
            record.external_id.as_deref(),
            contacts,
        );
        c.fields.push(record);
        c.name.push(record.name.clone());
        c.owner_id.push(record.owner_id);
        c.search_keys.push(keys_text(&index_keys(&text)));
        c.search.push(text);
        c.name_key.push(record.name_key.clone());
    }
    let insert = sqlx::query(
        r#"
        insert into customer (id, kind, customer_type, phone, phone_normalized, email,
            email_normalized, address, region, industry, source, tags, birthday,
            anniversary, notes, custom_fields, locale, external_id, name, owner_id, search_text,
            search_keys, name_key, currency, created_by)
        overriding system value
        select u.id, u.kind, u.customer_type, u.phone, u.phone_normalized, u.email,
            u.email_normalized, u.address, u.region, u.industry, u.source,
            case when u.tags = '' then '{}' else string_to_array(u.tags, E'\x1f') end,
            u.birthday, u.anniversary, u.notes, u.custom, u.locale, u.external_id, u.name,
            u.owner_id, u.search, string_to_array(u.keys, ',')::integer[], u.name_key, $25, $26
        from unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                    $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],
                    $13::date[], $14::date[], $15::text[], $16::jsonb[], $17::text[],
                    $18::text[], $19::bool[], $20::text[], $21::bigint[], $22::text[],
                    $23::text[], $24::text[])
             as u(id, kind, customer_type, phone, phone_normalized, email, email_normalized,
                  address, region, industry, source, tags, birthday, anniversary, notes,
                  custom, locale, external_id, external_known, name, owner_id, search, keys,
                  name_key)
        "#,
    );
    c.fields
        .bind_to(insert)
        .bind(&c.name)
        .bind(&c.owner_id)
        .bind(&c.search)
        .bind(&c.search_keys)
        .bind(&c.name_key)
        .bind(currency)
        .bind(importer.0)
        .execute(&mut *conn)
        .await?;
    let contacts: Vec<(i64, &RowContact)> = created
        .iter()
        .filter_map(|(record, contact)| Some((record.id, contact.as_ref()?)))
        .collect();
    if !contacts.is_empty() {
        let ids: Vec<i64> = contacts.iter().map(|c| c.0).collect();
        let names: Vec<String> = contacts.iter().map(|c| c.1.0.clone()).collect();
        let phones: Vec<Option<String>> = contacts.iter().map(|c| c.1.1.clone()).collect();
        let normalized: Vec<Option<String>> =
            phones.iter().map(|p| p.as_deref().and_then(normalize_phone)).collect();
        let emails: Vec<Option<String>> = contacts.iter().map(|c| c.1.2.clone()).collect();
        sqlx::query!(
            "insert into contact (customer_id, name, phone, phone_normalized, email, email_normalized, is_primary)
             select u.id, u.name, u.phone, u.normalized, u.email, u.email, true
             from unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[])
                  as u(id, name, phone, normalized, email)",
            &ids,
            &names,
            &phones as &[Option<String>],
            &normalized as &[Option<String>],
            &emails as &[Option<String>],
        )
        .execute(&mut *conn)
        .await?;
    }
    let data = serde_json::json!({ "import_id": import_id });
    sqlx::query!(
        "insert into timeline_event (customer_id, at, kind, ref_id, data, actor_id)
         select id, now(), $2, $3, $4, $5 from unnest($1::bigint[]) as id",
        &c.fields.id,
        kinds::IMPORTED,
        import_id,
        data,
        importer.0,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// New customers as one array per column: the fields an import may change, and the rest.
#[derive(Default)]
struct CreateColumns {
    fields: FieldColumns,
    name: Vec<String>,
    owner_id: Vec<Option<i64>>,
    search: Vec<String>,
    search_keys: Vec<String>,
    name_key: Vec<String>,
}

/// Stores the fields an import may change for many customers in one statement: an import's
/// updates, and a revert putting back what they had before. Returns each customer's new version.
pub async fn store_fields(
    conn: &mut PgConnection,
    records: &[Existing],
) -> Result<HashMap<i64, i32>, AppError> {
    if records.is_empty() {
        return Ok(HashMap::new());
    }
    let mut u = FieldColumns::default();
    for record in records {
        u.push(record);
    }
    let update = sqlx::query(
        r#"
        update customer c set kind = u.kind, customer_type = u.customer_type, phone = u.phone,
            phone_normalized = u.phone_normalized, email = u.email,
            email_normalized = u.email_normalized, address = u.address, region = u.region,
            industry = u.industry, source = u.source,
            tags = case when u.tags = '' then '{}' else string_to_array(u.tags, E'\x1f') end,
            birthday = u.birthday, anniversary = u.anniversary, notes = u.notes,
            custom_fields = u.custom, locale = coalesce(u.locale, c.locale),
            external_id = case when u.external_known then u.external_id else c.external_id end,
            version = c.version + 1, updated_at = now()
        from unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                    $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],
                    $13::date[], $14::date[], $15::text[], $16::jsonb[], $17::text[],
                    $18::text[], $19::bool[])
             as u(id, kind, customer_type, phone, phone_normalized, email, email_normalized,
                  address, region, industry, source, tags, birthday, anniversary, notes, custom,
                  locale, external_id, external_known)
        where c.id = u.id
        returning c.id, c.version
        "#,
    );
    let rows = u.bind_to(update).fetch_all(&mut *conn).await?;
    rows.iter().map(|r| Ok((r.try_get::<i64, _>(0)?, r.try_get::<i32, _>(1)?))).collect()
}

/// `Existing` records as one array per column, for `store_fields`.
#[derive(Default)]
struct FieldColumns {
    id: Vec<i64>,
    kind: Vec<String>,
    customer_type: Vec<String>,
    phone: Vec<Option<String>>,
    phone_normalized: Vec<Option<String>>,
    email: Vec<Option<String>>,
    email_normalized: Vec<Option<String>>,
    address: Vec<Option<String>>,
    region: Vec<Option<String>>,
    industry: Vec<Option<String>>,
    source: Vec<String>,
    /// Each customer's tags joined by U+001F (Postgres arrays cannot be ragged).
    tags: Vec<String>,
    birthday: Vec<Option<NaiveDate>>,
    anniversary: Vec<Option<NaiveDate>>,
    notes: Vec<Option<String>>,
    custom: Vec<serde_json::Value>,
    locale: Vec<Option<String>>,
    external_id: Vec<Option<String>>,
    external_known: Vec<bool>,
}

type Statement<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

impl FieldColumns {
    /// Binds the columns as `$1`..`$19`, in the order of the fields.
    fn bind_to<'q>(&'q self, query: Statement<'q>) -> Statement<'q> {
        query
            .bind(&self.id)
            .bind(&self.kind)
            .bind(&self.customer_type)
            .bind(&self.phone)
            .bind(&self.phone_normalized)
            .bind(&self.email)
            .bind(&self.email_normalized)
            .bind(&self.address)
            .bind(&self.region)
            .bind(&self.industry)
            .bind(&self.source)
            .bind(&self.tags)
            .bind(&self.birthday)
            .bind(&self.anniversary)
            .bind(&self.notes)
            .bind(&self.custom)
            .bind(&self.locale)
            .bind(&self.external_id)
            .bind(&self.external_known)
    }

    fn push(&mut self, record: &Existing) {
        self.id.push(record.id);
        self.kind.push(record.kind.clone());
        self.customer_type.push(record.customer_type.clone());
        self.phone.push(record.phone.clone());
        self.phone_normalized.push(record.phone_normalized.clone());
        self.email.push(record.email.clone());
        self.email_normalized.push(record.email_normalized.clone());
        self.address.push(record.address.clone());
        self.region.push(record.region.clone());
        self.industry.push(record.industry.clone());
        self.source.push(record.source.clone());
        self.tags.push(join(&record.tags));
        self.birthday.push(record.birthday);
        self.anniversary.push(record.anniversary);
        self.notes.push(record.notes.clone());
        self.custom.push(record.custom_fields.clone());
        self.locale.push(record.locale.clone());
        self.external_id.push(record.external_id.clone());
        self.external_known.push(record.external_id_known);
    }
}

/// Stores what a batch's rows did (replacing a previous attempt's record of the same batch), with
/// the versions an import left updated customers at (`None` for a check, which writes nothing).
async fn record_batch(
    conn: &mut PgConnection,
    import_id: i64,
    plan: &BatchPlan,
    versions: Option<&HashMap<i64, i32>>,
) -> Result<(), AppError> {
    let BatchPlan { first_row, outcomes, counts, .. } = plan;
    let mut created_ids = Vec::new();
    let mut updated_ids = Vec::new();
    let mut updated_before = Vec::new();
    let mut rejected = Vec::new();
    for (offset, outcome) in outcomes.iter().enumerate() {
        match outcome {
            // Ids of customers only simulated by a check are not stored.
            Outcome::Created(id) if *id > 0 => created_ids.push(*id),
            Outcome::Created(_) | Outcome::Unchanged(_) => {}
            Outcome::Updated { id, before, .. } => {
                updated_ids.push(*id);
                updated_before.push(before);
            }
            Outcome::Rejected(errors) => {
                rejected.push(serde_json::json!([first_row + offset + 1, errors]))
            }
        }
    }
    let updated_versions = versions
        .map(|versions| {
            updated_ids
                .iter()
                .map(|id| {
                    versions.get(id).copied().ok_or_else(|| AppError::internal("update not stored"))
                })
                .collect::<Result<Vec<i32>, _>>()
        })
        .transpose()?;
    sqlx::query!(
        "insert into import_batch (import_id, first_row, created_count, updated_count,
             unchanged_count, rejected_count, created_ids, updated_ids, updated_before, rejected,
             updated_versions)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         on conflict (import_id, first_row) do update
             set created_count = excluded.created_count, updated_count = excluded.updated_count,
                 unchanged_count = excluded.unchanged_count,
                 rejected_count = excluded.rejected_count, created_ids = excluded.created_ids,
                 updated_ids = excluded.updated_ids, updated_before = excluded.updated_before,
                 rejected = excluded.rejected, updated_versions = excluded.updated_versions",
        import_id,
        *first_row as i32,
        counts.created,
        counts.updated,
        counts.unchanged,
        counts.rejected,
        &created_ids,
        &updated_ids,
        serde_json::to_value(&updated_before).map_err(AppError::internal)?,
        serde_json::Value::Array(rejected),
        updated_versions.as_deref(),
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> Context {
        Context {
            mapping: vec![
                (0, Target::Name),
                (1, Target::Phone),
                (2, Target::Email),
                (3, Target::OwnerEmail),
                (4, Target::Language),
            ],
            definitions: vec![],
            owners: HashMap::from([("li.na@example.com".to_owned(), 7)]),
            default_owner: 1,
        }
    }

    #[test]
    fn rows_are_checked_and_errors_name_their_column() {
        let headers: Vec<String> =
            ["名称", "电话", "邮箱", "负责人", "语言"].map(String::from).to_vec();
        let row = |cells: [&str; 5]| cells.map(String::from).to_vec();
        let good = prepare(
            &row(["华信科技", "138 0013 8000", "", "LI.NA@example.com", "English"]),
            &headers,
            &context(),
        )
        .unwrap();
        assert_eq!(good.phone_normalized.as_deref(), Some("13800138000"));
        assert_eq!(good.owner_id, Some(7));
        assert_eq!(good.locale, Some(Locale::En));
        let unsaid = prepare(&row(["华信科技", "", "", "", ""]), &headers, &context()).unwrap();
        assert_eq!(unsaid.locale, None, "an empty cell leaves the language as it is");
        let bad = prepare(
            &row(["", "call me", "nope", "stranger@example.com", "Klingon"]),
            &headers,
            &context(),
        )
        .unwrap_err();
        let columns: Vec<&str> = bad.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(columns, vec!["电话", "邮箱", "负责人", "语言", "名称"]);
    }

    #[test]
    fn applying_a_row_changes_only_its_non_empty_values() {
        let existing = Existing {
            id: 1,
            owner_id: Some(1),
            kind: "company".into(),
            customer_type: "existing".into(),
            phone: Some("13800138000".into()),
            phone_normalized: Some("13800138000".into()),
            email: None,
            email_normalized: None,
            address: Some("上海".into()),
            region: None,
            industry: None,
            source: "manual".into(),
            tags: vec!["VIP".into()],
            birthday: None,
            anniversary: None,
            notes: None,
            custom_fields: serde_json::json!({}),
            name: "华信".into(),
            name_key: "华信".into(),
            locale: Some("zh-CN".into()),
            external_id: None,
            external_id_known: true,
        };
        let same_row = Prepared {
            name: "华信".into(),
            tags: vec!["vip".into()],
            customer_type: Some(CustomerType::Potential),
            ..Default::default()
        };
        assert_eq!(existing, apply(&existing, &same_row), "nothing new: unchanged, never demoted");
        let richer = Prepared { region: Some("上海".into()), ..same_row };
        let next = apply(&existing, &richer);
        assert_eq!(next.region.as_deref(), Some("上海"));
        assert_eq!(next.address.as_deref(), Some("上海"));
        assert_ne!(existing, next);
        let english = Prepared { locale: Some(Locale::En), ..Default::default() };
        assert_eq!(apply(&existing, &english).locale.as_deref(), Some("en"));
        let erp = Prepared { external_id: Some("ERP-7".into()), ..Default::default() };
        assert_eq!(apply(&existing, &erp).external_id.as_deref(), Some("ERP-7"));
        let known = Existing { external_id: Some("ERP-1".into()), ..existing.clone() };
        assert_eq!(apply(&known, &erp).external_id.as_deref(), Some("ERP-1"), "never replaced");
    }
}
