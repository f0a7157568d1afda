//! Order and interaction imports: a company's history, brought in from its shop, ERP or old CRM.
//!
//! An order file is read once, as a stream, into compact drafts: an order per order number
//! (the lines of one order need not be next to each other) and its lines, with every row's
//! problems named by column. Orders are then decided and written in batches in the order they
//! first appear: customers matched (external id, phone, email, name), products found (SKU,
//! then name), order numbers already on file left alone, so re-running a file creates nothing
//! twice. An order with one bad line is left out whole. Afterwards, in the same job, everything
//! derived from orders is brought up to date for the customers touched: aggregates, type,
//! lifecycle stage (one timeline entry per customer), loyalty points when chosen, RFM scores and
//! tiers, and the product affinities behind recommendations.
//!
//! Interaction files need no grouping: rows are decided and written chunk by chunk as they are
//! read, so memory holds a chunk whatever the file's length.

use super::{
    matching::{CustomerIndex, CustomerKey, KeyColumn, Resolved},
    model::*,
    process::{Counts, Existing, insert_customers},
    read::{Chunk, stream},
    service::begin_batch,
};
use crate::{
    auth::{model::UserId, server::DataScope},
    clock::local_to_utc,
    customers::timeline::model::kinds,
    error::{AppError, FieldError},
    interactions::model::{Direction, InteractionKind},
    jobs::context::JobError,
    orders::model::Channel,
};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use sqlx::{PgConnection, PgPool};
use std::collections::{HashMap, HashSet};

/// Orders decided and written together (about four times as many lines).
pub const ORDER_BATCH: usize = 1000;
/// Interaction rows decided and written together.
pub const INTERACTION_BATCH: usize = 2000;
/// Rows per chunk read from the file.
const CHUNK: usize = 4000;
/// The most data rows an order or interaction file may have.
pub const MAX_HISTORY_ROWS: usize = 2_000_000;
/// Customers whose derived data is refreshed per transaction.
const REFRESH_CHUNK: usize = 2000;

/// Why a row was refused: (column header, reason) pairs.
pub type Reasons = Vec<(String, FieldError)>;

pub use super::service::Progress;

/// What the job knows about the import it runs.
pub struct Setup {
    pub import_id: i64,
    pub kind: ImportKind,
    pub importer: UserId,
    pub scope: DataScope,
    pub zone: Tz,
    pub options: ImportOptions,
    pub mode: ImportMode,
    pub default_currency: String,
    pub headers: Vec<String>,
    pub mapping: Vec<Option<String>>,
    /// Active users the importer may see, by email (interaction owners).
    pub owners: HashMap<String, i64>,
}

/// The file's columns by field.
struct Columns<F> {
    index: HashMap<F, usize>,
    headers: Vec<String>,
}

impl<F: Copy + Eq + std::hash::Hash> Columns<F> {
    fn new(setup: &Setup, parse: impl Fn(&str) -> Option<F>) -> Self {
        let index = setup
            .mapping
            .iter()
            .enumerate()
            .filter_map(|(i, key)| Some((parse(key.as_deref()?)?, i)))
            .collect();
        Columns { index, headers: setup.headers.clone() }
    }

    /// The cell of `field`, trimmed; `None` when not mapped or empty.
    fn get<'r>(&self, row: &'r [String], field: F) -> Option<&'r str> {
        let i = *self.index.get(&field)?;
        row.get(i).map(|c| c.trim()).filter(|c| !c.is_empty())
    }

    fn has(&self, field: F) -> bool {
        self.index.contains_key(&field)
    }

    /// The header of `field`'s column, as the person's file names it.
    fn header(&self, field: F, fallback: &str) -> String {
        self.index
            .get(&field)
            .and_then(|i| self.headers.get(*i))
            .cloned()
            .unwrap_or_else(|| fallback.to_owned())
    }
}

/// The customer columns, by the key they hold.
trait CustomerColumns {
    fn key_header(&self, column: KeyColumn) -> String;
    /// The first customer column mapped (where "no customer" is reported).
    fn any_key_header(&self) -> String;
}

impl CustomerColumns for Columns<OrderField> {
    fn key_header(&self, column: KeyColumn) -> String {
        match column {
            KeyColumn::ExternalId => {
                self.header(OrderField::CustomerExternalId, "customer_external_id")
            }
            KeyColumn::Phone => self.header(OrderField::CustomerPhone, "customer_phone"),
            KeyColumn::Email => self.header(OrderField::CustomerEmail, "customer_email"),
            KeyColumn::Name => self.header(OrderField::CustomerName, "customer_name"),
        }
    }

    fn any_key_header(&self) -> String {
        [
            OrderField::CustomerExternalId,
            OrderField::CustomerPhone,
            OrderField::CustomerEmail,
            OrderField::CustomerName,
        ]
        .into_iter()
        .find(|f| self.has(*f))
        .map(|f| self.header(f, "customer"))
        .unwrap_or_else(|| "customer".into())
    }
}

impl CustomerColumns for Columns<InteractionField> {
    fn key_header(&self, column: KeyColumn) -> String {
        use InteractionField as F;
        match column {
            KeyColumn::ExternalId => self.header(F::CustomerExternalId, "customer_external_id"),
            KeyColumn::Phone => self.header(F::CustomerPhone, "customer_phone"),
            KeyColumn::Email => self.header(F::CustomerEmail, "customer_email"),
            KeyColumn::Name => self.header(F::CustomerName, "customer_name"),
        }
    }

    fn any_key_header(&self) -> String {
        use InteractionField as F;
        [F::CustomerExternalId, F::CustomerPhone, F::CustomerEmail, F::CustomerName]
            .into_iter()
            .find(|f| self.has(*f))
            .map(|f| self.header(f, "customer"))
            .unwrap_or_else(|| "customer".into())
    }
}

/// Reads an amount column: money as people write it, never negative.
fn money(text: &str) -> Result<i64, FieldError> {
    match super::fields::parse_money(text)? {
        n if n < 0 => Err(FieldError::OutOfRange { min: 0, max: 100_000_000_000 }),
        n => Ok(n),
    }
}

/// A date and time, or a date alone (midnight), on the company's wall clock.
fn instant(text: &str, zone: Tz) -> Result<DateTime<Utc>, FieldError> {
    super::fields::parse_local_time(text)
        .map(|local| local_to_utc(local, zone))
        .ok_or(FieldError::InvalidDate)
}

fn text(value: Option<&str>, max: usize) -> Result<Option<String>, FieldError> {
    match value {
        Some(v) if v.chars().count() > max => Err(FieldError::TooLong { max: max as u32 }),
        v => Ok(v.map(str::to_owned)),
    }
}

/// The customer a row names, or why it names none.
fn read_key<F: Copy + Eq + std::hash::Hash>(
    columns: &Columns<F>,
    row: &[String],
    fields: [F; 4],
) -> Result<CustomerKey, (KeyColumn, FieldError)>
where
    Columns<F>: CustomerColumns,
{
    let [external, phone, email, name] = fields.map(|f| columns.get(row, f));
    let key = CustomerKey::read(external, phone, email, name)?;
    if key.is_empty() {
        return Err((KeyColumn::Name, FieldError::Required));
    }
    Ok(key)
}

/// A new customer for a key that matched nobody (the importer chose to create them): owned by
/// the importer, typed potential until the refresh counts its orders.
fn new_customer(id: i64, key: &CustomerKey, owner: UserId) -> Existing {
    Existing {
        id,
        owner_id: Some(owner.0),
        kind: "company".into(),
        customer_type: "potential".into(),
        phone: key.phone.clone(),
        phone_normalized: key.phone_normalized.clone(),
        email: key.email.clone(),
        email_normalized: key.email.clone(),
        address: None,
        region: None,
        industry: None,
        source: "import".into(),
        tags: Vec::new(),
        birthday: None,
        anniversary: None,
        notes: None,
        custom_fields: serde_json::json!({}),
        name: key.name.clone().unwrap_or_default(),
        name_key: key.name_key.clone().unwrap_or_default(),
        locale: Some(crate::i18n::Locale::default().tag().into()),
        external_id: key.external_id.clone(),
        external_id_known: true,
    }
}

/// Reserves `n` ids of `table`'s identity in one round trip (fake negative ids for a check).
async fn reserve(
    conn: &mut PgConnection,
    table: &str,
    n: usize,
    write: bool,
    fake: &mut i64,
) -> Result<Vec<i64>, AppError> {
    if n == 0 {
        return Ok(Vec::new());
    }
    if !write {
        return Ok((0..n)
            .map(|_| {
                *fake -= 1;
                *fake
            })
            .collect());
    }
    let ids: Vec<i64> = sqlx::query_scalar!(
        r#"select nextval(pg_get_serial_sequence($1, 'id')) as "id!"
           from generate_series(1, $2::bigint)"#,
        table,
        n as i64,
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(ids)
}

/// What a batch did, as the import's record keeps it.
#[derive(Default)]
struct BatchRecord {
    counts: Counts,
    new_orders: i32,
    new_customers: Vec<i64>,
    new_products: Vec<i64>,
    rejected: Vec<(u32, Reasons)>,
}

/// Stores a batch's record; `index` numbers the batches of a history import (its resume point).
async fn record_batch(
    conn: &mut PgConnection,
    import_id: i64,
    index: usize,
    record: &BatchRecord,
    write: bool,
) -> Result<(), AppError> {
    let rejected: Vec<serde_json::Value> =
        record.rejected.iter().map(|(row, reasons)| serde_json::json!([row, reasons])).collect();
    let keep = |ids: &Vec<i64>| if write { ids.clone() } else { Vec::new() };
    sqlx::query!(
        "insert into import_batch (import_id, first_row, created_count, updated_count,
             unchanged_count, rejected_count, created_ids, rejected, new_orders, new_customers,
             new_products, created_product_ids)
         values ($1, $2, $3, 0, $4, $5, $6, $7, $8, $9, $10, $11)
         on conflict (import_id, first_row) do update
             set created_count = excluded.created_count, unchanged_count = excluded.unchanged_count,
                 rejected_count = excluded.rejected_count, created_ids = excluded.created_ids,
                 rejected = excluded.rejected, new_orders = excluded.new_orders,
                 new_customers = excluded.new_customers, new_products = excluded.new_products,
                 created_product_ids = excluded.created_product_ids",
        import_id,
        index as i32,
        record.counts.created,
        record.counts.unchanged,
        record.counts.rejected,
        &keep(&record.new_customers),
        serde_json::Value::Array(rejected),
        record.new_orders,
        record.new_customers.len() as i32,
        record.new_products.len() as i32,
        &keep(&record.new_products),
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The next chunk of rows of a file being read, `None` at its end.
///
/// Errors: the reader's (an unreadable file), or too many rows.
async fn next_rows(
    chunks: &mut tokio::sync::mpsc::Receiver<Chunk>,
    read: &mut usize,
) -> Result<Option<Vec<Vec<String>>>, AppError> {
    loop {
        match chunks.recv().await {
            None => return Ok(None),
            Some(Chunk::Shape(_)) => continue,
            Some(Chunk::Failed(error)) => return Err(error),
            Some(Chunk::Rows(rows)) => {
                *read += rows.len();
                if *read > MAX_HISTORY_ROWS {
                    return Err(AppError::validation(
                        "file",
                        FieldError::TooMany { max: MAX_HISTORY_ROWS as u32 },
                    ));
                }
                return Ok(Some(rows));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Orders
//
// An order file is read twice, as a stream. The first pass notes the row on which each order
// number last appears (a few bytes per order). The second assembles orders as their rows go by
// and hands an order on once its last row is read, so memory holds the orders still open
// (usually one: exports list an order's lines together) and a batch or two; an order whose
// lines are scattered through the file is simply held until its last one. Batches of complete
// orders are decided on one connection while the previous batch is written on another.

/// A product as the file names it.
struct ProductRef {
    sku: Option<String>,
    name: Option<String>,
    category: Option<String>,
    /// The first unit price the file gives for it (a created product's list price).
    unit_minor: Option<i64>,
}

/// One line, checked.
struct LineDraft {
    row: u32,
    /// `None`: a row standing for the whole order (no product).
    product: Option<u32>,
    quantity: i32,
    unit_minor: Option<i64>,
    total_minor: Option<i64>,
}

/// What the rows of an order say about the order itself.
struct OrderFields {
    external_id: Option<String>,
    ordered_at: DateTime<Utc>,
    channel: Channel,
    currency: Option<String>,
    notes: Option<String>,
    order_total: Option<i64>,
    customer: CustomerKey,
    /// The first good row.
    first_row: u32,
}

/// An order as its rows describe it.
struct OrderDraft {
    order_no: String,
    /// `None` while no good row has come (every row so far was refused).
    fields: Option<OrderFields>,
    lines: Vec<LineDraft>,
    /// Rows of this order refused while reading, with their reasons.
    bad_rows: Vec<(u32, Reasons)>,
}

impl OrderDraft {
    fn rows(&self) -> usize {
        self.lines.len() + self.bad_rows.len()
    }
}

/// The products a file names, each once, and what the catalogue says of them (looked up batch
/// by batch, as they first appear).
#[derive(Default)]
struct Products {
    refs: Vec<ProductRef>,
    found: Vec<Option<ProductFound>>,
    index: HashMap<String, u32>,
}

impl Products {
    fn intern(
        &mut self,
        sku: Option<&str>,
        name: Option<&str>,
        category: Option<String>,
        unit: Option<i64>,
    ) -> u32 {
        let key = match (sku, name) {
            (Some(sku), _) => format!("s:{sku}"),
            (None, name) => format!("n:{}", name.unwrap_or_default().to_lowercase()),
        };
        if let Some(&n) = self.index.get(&key) {
            let known = &mut self.refs[n as usize];
            known.unit_minor = known.unit_minor.or(unit);
            if known.name.is_none() {
                known.name = name.map(str::to_owned);
            }
            return n;
        }
        let n = self.refs.len() as u32;
        self.refs.push(ProductRef {
            sku: sku.map(str::to_owned),
            name: name.map(str::to_owned),
            category,
            unit_minor: unit,
        });
        self.found.push(None);
        self.index.insert(key, n);
        n
    }
}

/// A batch of complete orders, with the refused rows of no order read since the last batch.
struct OrderBatch {
    orders: Vec<OrderDraft>,
    orphans: Vec<(u32, Reasons)>,
}

impl OrderBatch {
    fn rows(&self) -> usize {
        self.orders.iter().map(OrderDraft::rows).sum::<usize>() + self.orphans.len()
    }
}

/// Turns rows into complete orders, in the order their last rows come.
struct Assembler {
    /// Order number -> the row it last appears on (from the first pass); an entry goes when its
    /// order completes.
    ends: HashMap<Box<str>, u32>,
    open: HashMap<Box<str>, OrderDraft>,
    complete: Vec<OrderDraft>,
    orphans: Vec<(u32, Reasons)>,
    products: Products,
}

/// An order number as both passes read it: present and short enough.
fn order_number<'r>(row: &'r [String], columns: &Columns<OrderField>) -> Option<&'r str> {
    columns.get(row, OrderField::OrderNo).filter(|no| no.chars().count() <= 40)
}

/// The first pass: where each order number last appears.
async fn order_ends(
    path: &std::path::Path,
    encoding: Encoding,
    setup: &Setup,
    columns: &Columns<OrderField>,
) -> Result<HashMap<Box<str>, u32>, AppError> {
    let mut ends = HashMap::new();
    let mut chunks = stream(path.to_owned(), encoding, setup.options.sheet.clone(), CHUNK);
    let (mut number, mut read) = (0u32, 0usize);
    while let Some(rows) = next_rows(&mut chunks, &mut read).await? {
        for row in rows {
            number += 1;
            if let Some(no) = order_number(&row, columns) {
                ends.insert(Box::from(no), number);
            }
        }
    }
    Ok(ends)
}

impl Assembler {
    fn new(ends: HashMap<Box<str>, u32>) -> Self {
        Assembler {
            ends,
            open: HashMap::new(),
            complete: Vec::new(),
            orphans: Vec::new(),
            products: Products::default(),
        }
    }

    /// The next batch, once `size` orders are complete (or, with `all`, whatever is left).
    fn take(&mut self, size: usize, all: bool) -> Option<OrderBatch> {
        if all {
            // Every order completes on its last row; anything still open is a file that changed
            // between the passes.
            let mut rest: Vec<OrderDraft> = self.open.drain().map(|(_, o)| o).collect();
            rest.sort_by_key(|o| o.lines.first().map(|l| l.row).unwrap_or(0));
            self.complete.extend(rest);
        }
        if self.complete.len() >= size
            || (all && (!self.complete.is_empty() || !self.orphans.is_empty()))
        {
            let count = self.complete.len().min(size);
            let orders: Vec<OrderDraft> = self.complete.drain(..count).collect();
            let orphans = std::mem::take(&mut self.orphans);
            return Some(OrderBatch { orders, orphans });
        }
        None
    }

    /// Checks one row (its 1-based number in the file) and adds it to its order.
    fn add_row(&mut self, number: u32, row: &[String], columns: &Columns<OrderField>, zone: Tz) {
        use OrderField as F;
        let mut problems = Problems { reasons: Vec::new(), columns };
        let order_no = match columns.get(row, F::OrderNo) {
            None => problems.add(F::OrderNo, FieldError::Required),
            Some(no) if no.chars().count() > 40 => {
                problems.add(F::OrderNo, FieldError::TooLong { max: 40 })
            }
            Some(no) => Some(no.to_owned()),
        };
        let ordered_at = match columns.get(row, F::OrderedAt) {
            None => problems.add(F::OrderedAt, FieldError::Required),
            Some(t) => problems.check(F::OrderedAt, instant(t, zone)),
        };
        let channel = problems
            .check(
                F::Channel,
                super::fields::parse_channel(columns.get(row, F::Channel).unwrap_or(""))
                    .ok_or(FieldError::InvalidChoice),
            )
            .unwrap_or(Channel::Other);
        let customer = match read_key(
            columns,
            row,
            [F::CustomerExternalId, F::CustomerPhone, F::CustomerEmail, F::CustomerName],
        ) {
            Ok(key) => Some(key),
            Err((column, error)) => {
                let header = if error == FieldError::Required {
                    columns.any_key_header()
                } else {
                    columns.key_header(column)
                };
                problems.reasons.push((header, error));
                None
            }
        };
        let sku = columns.get(row, F::Sku);
        let name = columns.get(row, F::ProductName);
        problems.check(F::Sku, text(sku, 40));
        problems.check(F::ProductName, text(name, 200));
        let category = problems
            .check(F::ProductCategory, text(columns.get(row, F::ProductCategory), 100))
            .flatten();
        let quantity = match columns.get(row, F::Quantity) {
            None => Some(1),
            Some(q) => problems.check(
                F::Quantity,
                match q.strip_suffix(".0").unwrap_or(q).parse::<i32>() {
                    Ok(q) if (1..=1_000_000).contains(&q) => Ok(q),
                    Ok(_) => Err(FieldError::OutOfRange { min: 1, max: 1_000_000 }),
                    Err(_) => Err(FieldError::InvalidNumber),
                },
            ),
        };
        let mut amount = |field: F| match columns.get(row, field) {
            None => None,
            Some(value) => problems.check(field, money(value)),
        };
        let unit = amount(F::UnitPrice);
        let line_total = amount(F::LineTotal);
        let order_total = amount(F::OrderTotal);
        let currency = match columns.get(row, F::Currency) {
            None => None,
            Some(c) => problems.check(
                F::Currency,
                super::fields::parse_currency(c).ok_or(FieldError::InvalidChoice),
            ),
        };
        let notes = problems.check(F::Notes, text(columns.get(row, F::Notes), 2000)).flatten();
        let external_id = problems
            .check(F::OrderExternalId, text(columns.get(row, F::OrderExternalId), 100))
            .flatten();
        let has_product = sku.is_some() || name.is_some();
        if !has_product && line_total.is_none() && order_total.is_none() && unit.is_none() {
            let field = if columns.has(F::Sku) {
                F::Sku
            } else if columns.has(F::ProductName) {
                F::ProductName
            } else {
                F::OrderTotal
            };
            problems.add::<()>(field, FieldError::Required);
        }
        let mut reasons = problems.reasons;

        let Some(order_no) = order_no else {
            self.orphans.push((number, reasons));
            return;
        };
        let draft = self.open.entry(Box::from(order_no.as_str())).or_insert_with(|| OrderDraft {
            order_no,
            fields: None,
            lines: Vec::new(),
            bad_rows: Vec::new(),
        });
        match (ordered_at, customer, quantity, reasons.is_empty()) {
            (Some(ordered_at), Some(customer), Some(quantity), true) => {
                let row_fields = OrderFields {
                    external_id,
                    ordered_at,
                    channel,
                    currency,
                    notes,
                    order_total,
                    customer,
                    first_row: number,
                };
                match &mut draft.fields {
                    None => draft.fields = Some(row_fields),
                    Some(fields) => {
                        // Every row of an order must describe the same order.
                        reasons = conflicts(fields, &row_fields, columns);
                        if reasons.is_empty() {
                            if fields.currency.is_none() {
                                fields.currency = row_fields.currency;
                            }
                            if fields.order_total.is_none() {
                                fields.order_total = row_fields.order_total;
                            }
                            if fields.external_id.is_none() {
                                fields.external_id = row_fields.external_id;
                            }
                            if fields.notes.is_none() {
                                fields.notes = row_fields.notes;
                            }
                        }
                    }
                }
                if reasons.is_empty() {
                    let product =
                        has_product.then(|| self.products.intern(sku, name, category, unit));
                    draft.lines.push(LineDraft {
                        row: number,
                        product,
                        quantity,
                        unit_minor: unit,
                        // A row without a product stands for the whole order (or an order-level
                        // charge).
                        total_minor: if has_product {
                            line_total
                        } else {
                            line_total.or(order_total).or(unit)
                        },
                    });
                } else {
                    draft.bad_rows.push((number, reasons));
                }
            }
            _ => draft.bad_rows.push((number, reasons)),
        }
        if self.ends.get(draft.order_no.as_str()) == Some(&number) {
            let no = draft.order_no.clone();
            self.ends.remove(no.as_str());
            if let Some(done) = self.open.remove(no.as_str()) {
                self.complete.push(done);
            }
        }
    }
}

/// How a row disagrees with the rows of its order read before it.
fn conflicts(fields: &OrderFields, row: &OrderFields, columns: &Columns<OrderField>) -> Reasons {
    use OrderField as F;
    let agree = |a: &Option<String>, b: &Option<String>| a.is_none() || b.is_none() || a == b;
    let checks = [
        (None, fields.customer.same_customer(&row.customer)),
        (Some(F::OrderedAt), fields.ordered_at == row.ordered_at),
        (Some(F::Currency), agree(&fields.currency, &row.currency)),
        (
            Some(F::OrderTotal),
            row.order_total.is_none()
                || fields.order_total.is_none()
                || fields.order_total == row.order_total,
        ),
        (Some(F::OrderExternalId), agree(&fields.external_id, &row.external_id)),
    ];
    checks
        .into_iter()
        .filter(|(_, agrees)| !agrees)
        .map(|(field, _)| {
            let header = match field {
                None => columns.any_key_header(),
                Some(field) => columns.header(field, field.as_str()),
            };
            (header, FieldError::ConflictsWithRow { row: fields.first_row })
        })
        .collect()
}

/// A row's problems, named by the headers of their columns.
struct Problems<'c, F> {
    reasons: Reasons,
    columns: &'c Columns<F>,
}

impl<F: Copy + Eq + std::hash::Hash + FieldName> Problems<'_, F> {
    /// Records `error` at `field`'s column; `None` stands for the value.
    fn add<T>(&mut self, field: F, error: FieldError) -> Option<T> {
        self.reasons.push((self.columns.header(field, field.name()), error));
        None
    }

    fn check<T>(&mut self, field: F, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => self.add(field, error),
        }
    }
}

/// A field's stable name: the header of an unmapped column in reports.
trait FieldName {
    fn name(self) -> &'static str;
}

impl FieldName for OrderField {
    fn name(self) -> &'static str {
        self.as_str()
    }
}

impl FieldName for InteractionField {
    fn name(self) -> &'static str {
        self.as_str()
    }
}

/// A product of the file, as the catalogue knows it.
#[derive(Clone, Debug)]
enum ProductFound {
    Known {
        id: i64,
        currency: String,
        unit_minor: i64,
    },
    /// Several catalogue products have this name (and the file gives no SKU).
    Ambiguous(u32),
    /// Not in the catalogue: added when the importer chose that (the id once reserved).
    New(Option<i64>),
    Unknown,
}

/// A catalogue product: (id, SKU, lower-cased name, currency, list price).
type CatalogueRow = (i64, String, String, String, i64);

/// Looks the products of a batch not seen before up in one query: by SKU, else by name (case
/// aside). Discontinued products count: history names them.
async fn find_products(
    conn: &mut PgConnection,
    products: &mut Products,
    wanted: &[u32],
    create: bool,
) -> Result<(), AppError> {
    let wanted: Vec<u32> =
        wanted.iter().copied().filter(|p| products.found[*p as usize].is_none()).collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let refs = |p: &u32| &products.refs[*p as usize];
    let skus: Vec<String> = wanted.iter().filter_map(|p| refs(p).sku.clone()).collect();
    let names: Vec<String> = wanted
        .iter()
        .filter(|p| refs(p).sku.is_none())
        .filter_map(|p| refs(p).name.as_ref().map(|n| n.to_lowercase()))
        .collect();
    let rows: Vec<CatalogueRow> = sqlx::query!(
        r#"select id, sku, lower(name) as "name!", currency, unit_price_minor from product
           where sku = any($1) or lower(name) = any($2)
           order by id"#,
        &skus,
        &names,
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|p| (p.id, p.sku, p.name, p.currency, p.unit_price_minor))
    .collect();
    let mut by_sku: HashMap<&str, &CatalogueRow> = HashMap::new();
    let mut by_name: HashMap<&str, Vec<&CatalogueRow>> = HashMap::new();
    for row in &rows {
        by_sku.insert(row.1.as_str(), row);
        by_name.entry(row.2.as_str()).or_default().push(row);
    }
    let known = |row: &CatalogueRow| ProductFound::Known {
        id: row.0,
        currency: row.3.clone(),
        unit_minor: row.4,
    };
    let missing = if create { ProductFound::New(None) } else { ProductFound::Unknown };
    for p in wanted {
        let product = &products.refs[p as usize];
        let found = match (&product.sku, &product.name) {
            (Some(sku), _) => {
                by_sku.get(sku.as_str()).map(|r| known(r)).unwrap_or_else(|| missing.clone())
            }
            (None, Some(name)) => match by_name.get(name.to_lowercase().as_str()) {
                Some(found) if found.len() == 1 => known(found[0]),
                Some(found) if found.len() > 1 => ProductFound::Ambiguous(found.len() as u32),
                _ => missing.clone(),
            },
            (None, None) => ProductFound::Unknown,
        };
        products.found[p as usize] = Some(found);
    }
    Ok(())
}

/// An order ready to insert.
struct NewOrder {
    id: i64,
    customer_id: i64,
    order_no: String,
    external_id: Option<String>,
    ordered_at: DateTime<Utc>,
    channel: Channel,
    currency: String,
    total_minor: i64,
    notes: Option<String>,
    lines: Vec<LineValues>,
}

/// A line to insert: (product, quantity, unit price, line total).
type LineValues = (i64, i32, i64, i64);

/// A product the import adds to the catalogue.
struct NewProduct {
    id: i64,
    sku: String,
    name: String,
    category: Option<String>,
    unit_minor: i64,
}

/// What a batch of orders will write.
#[derive(Default)]
struct OrderPlan {
    index: usize,
    rows: usize,
    customers: Vec<(Existing, Option<super::process::RowContact>)>,
    products: Vec<NewProduct>,
    orders: Vec<NewOrder>,
    record: BatchRecord,
}

/// What deciding keeps between batches: the customers and external order ids the run has
/// created (which a later batch must find before the writer commits them).
#[derive(Default)]
struct Decided {
    created: CustomerIndex,
    external_ids: HashSet<String>,
    fake_id: i64,
}

/// Leaves a whole order out: `row` gets `reasons` (a row refused while reading keeps its own),
/// every other row of the order names `row` as the reason.
fn refuse_order(
    order: &OrderDraft,
    row: u32,
    reasons: Reasons,
    sibling: &str,
    record: &mut BatchRecord,
) {
    let because = || vec![(sibling.to_owned(), FieldError::SiblingRejected { row })];
    for (bad, own) in &order.bad_rows {
        let own = if own.is_empty() { because() } else { own.clone() };
        record.rejected.push((*bad, own));
    }
    for line in &order.lines {
        let reasons = if line.row == row { reasons.clone() } else { because() };
        record.rejected.push((line.row, reasons));
    }
    record.counts.rejected += order.rows() as i32;
}

/// Decides a batch of orders: customers matched or created, order numbers on file left alone,
/// currencies and products checked, totals summed.
#[allow(clippy::too_many_arguments)]
async fn plan_orders(
    conn: &mut PgConnection,
    batch: OrderBatch,
    index: usize,
    products: &mut Products,
    decided: &mut Decided,
    setup: &Setup,
    columns: &Columns<OrderField>,
    write: bool,
) -> Result<OrderPlan, AppError> {
    use OrderField as F;
    let mut plan = OrderPlan { index, rows: batch.rows(), ..Default::default() };
    let header = |field: F| columns.header(field, field.as_str());
    let sibling = header(F::OrderNo);
    for (row, reasons) in batch.orphans {
        plan.record.rejected.push((row, reasons));
        plan.record.counts.rejected += 1;
    }
    // Orders with a row refused while reading are left out whole.
    let mut live: Vec<OrderDraft> = Vec::with_capacity(batch.orders.len());
    for order in batch.orders {
        let first_bad = order.bad_rows.iter().map(|(row, _)| *row).min();
        match (first_bad, &order.fields) {
            (None, Some(_)) => live.push(order),
            (row, _) => {
                refuse_order(&order, row.unwrap_or(0), Vec::new(), &sibling, &mut plan.record)
            }
        }
    }
    fn fields(order: &OrderDraft) -> &OrderFields {
        order.fields.as_ref().expect("live orders have fields")
    }
    let mut found = CustomerIndex::default();
    let keys: Vec<&CustomerKey> = live.iter().map(|o| &fields(o).customer).collect();
    found.look_up(conn, &keys).await?;
    let resolve = |key: &CustomerKey, created: &CustomerIndex| {
        super::matching::resolve_among(&[&found, created], key, &setup.scope)
    };

    // Customers matching nobody, when the importer chose to create them: one per person (two
    // orders of one new customer create one), found by later rows like any other.
    if setup.options.create_customers {
        let wanted = customers_to_create(
            live.iter().map(|order| &fields(order).customer),
            |key| resolve(key, &decided.created) == Resolved::Nobody,
            setup,
        );
        let ids = reserve(conn, "customer", wanted.len(), write, &mut decided.fake_id).await?;
        for (key, id) in wanted.into_iter().zip(ids) {
            decided.created.add(candidate_of(id, key, &setup.default_currency, setup.importer));
            plan.customers.push((new_customer(id, key, setup.importer), None));
            plan.record.new_customers.push(id);
        }
    }

    // The batch's products: looked up once each, and added when chosen and missing.
    let referenced: Vec<u32> =
        live.iter().flat_map(|o| o.lines.iter().filter_map(|l| l.product)).collect();
    find_products(conn, products, &referenced, setup.options.create_products).await?;
    let mut wanted: Vec<u32> = referenced
        .into_iter()
        .filter(|p| matches!(products.found[*p as usize], Some(ProductFound::New(None))))
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    let ids = reserve(conn, "product", wanted.len(), write, &mut decided.fake_id).await?;
    for (p, id) in wanted.into_iter().zip(ids) {
        products.found[p as usize] = Some(ProductFound::New(Some(id)));
        let source = &products.refs[p as usize];
        let sku =
            source.sku.clone().unwrap_or_else(|| format!("IMP{}-{}", setup.import_id, id.abs()));
        plan.products.push(NewProduct {
            id,
            name: source.name.clone().unwrap_or_else(|| sku.clone()),
            sku,
            category: source.category.clone(),
            unit_minor: source.unit_minor.unwrap_or(0),
        });
        plan.record.new_products.push(id);
    }

    // Order numbers (and external ids) already on file.
    let numbers: Vec<&str> = live.iter().map(|o| o.order_no.as_str()).collect();
    let external: Vec<&str> =
        live.iter().filter_map(|o| fields(o).external_id.as_deref()).collect();
    let on_file: Vec<(String, i64, Option<String>)> = sqlx::query!(
        "select order_no, customer_id, external_id from sales_order
         where order_no = any($1) or external_id = any($2)",
        &numbers as _,
        &external as _,
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|o| (o.order_no, o.customer_id, o.external_id))
    .collect();
    let by_number: HashMap<&str, i64> =
        on_file.iter().map(|(no, customer, _)| (no.as_str(), *customer)).collect();
    let external_on_file: HashSet<&str> =
        on_file.iter().filter_map(|(_, _, external)| external.as_deref()).collect();

    let latest = Utc::now() + Duration::hours(1);
    let mut created: Vec<NewOrder> = Vec::new();
    let product_header = if columns.has(F::Sku) { header(F::Sku) } else { header(F::ProductName) };
    'orders: for order in &live {
        let f = fields(order);
        let refuse = |row: u32, column: String, error: FieldError, record: &mut BatchRecord| {
            refuse_order(order, row, vec![(column, error)], &sibling, record)
        };
        let resolved = resolve(&f.customer, &decided.created);
        let customer = match matched_customer(resolved, &f.customer, columns) {
            Ok(customer) => customer,
            Err((column, error)) => {
                refuse(f.first_row, column, error, &mut plan.record);
                continue;
            }
        };
        match by_number.get(order.order_no.as_str()) {
            // Imported before (or entered by hand): left as it is.
            Some(owner) if *owner == customer.id => {
                plan.record.counts.unchanged += order.lines.len() as i32;
                continue;
            }
            Some(_) => {
                refuse(f.first_row, header(F::OrderNo), FieldError::AlreadyTaken, &mut plan.record);
                continue;
            }
            None => {}
        }
        if let Some(external) = &f.external_id
            && (external_on_file.contains(external.as_str())
                || decided.external_ids.contains(external))
        {
            let column = header(F::OrderExternalId);
            refuse(f.first_row, column, FieldError::AlreadyTaken, &mut plan.record);
            continue;
        }
        let currency = f.currency.clone().unwrap_or_else(|| customer.currency.clone());
        if currency != customer.currency {
            refuse(
                f.first_row,
                header(F::Currency),
                FieldError::CurrencyMismatch,
                &mut plan.record,
            );
            continue;
        }
        if f.ordered_at > latest {
            refuse(f.first_row, header(F::OrderedAt), FieldError::InFuture, &mut plan.record);
            continue;
        }
        let mut lines = Vec::with_capacity(order.lines.len());
        let mut sum: i64 = 0;
        for line in &order.lines {
            let quantity = i64::from(line.quantity);
            let found = line.product.and_then(|p| products.found[p as usize].as_ref());
            let list_price = match (line.product, found) {
                (None, _) => None,
                (Some(_), Some(ProductFound::Known { id, currency: priced_in, unit_minor })) => {
                    if *priced_in != customer.currency {
                        let error = FieldError::CurrencyMismatch;
                        refuse(line.row, product_header.clone(), error, &mut plan.record);
                        continue 'orders;
                    }
                    Some((*id, Some(*unit_minor)))
                }
                (Some(_), Some(ProductFound::New(Some(id)))) => Some((*id, None)),
                (Some(_), Some(ProductFound::Ambiguous(count))) => {
                    let error = FieldError::AmbiguousMatch { count: *count };
                    refuse(line.row, product_header.clone(), error, &mut plan.record);
                    continue 'orders;
                }
                (Some(_), _) => {
                    let error = FieldError::UnknownProduct;
                    refuse(line.row, product_header.clone(), error, &mut plan.record);
                    continue 'orders;
                }
            };
            // The line's amount: as given, else unit price times quantity (the catalogue's
            // price when the file gives none).
            let unit = line
                .unit_minor
                .or_else(|| line.total_minor.map(|total| total / quantity))
                .or(list_price.and_then(|(_, price)| price));
            let total = match (line.total_minor, unit) {
                (Some(total), _) => Some(total),
                (None, Some(unit)) => unit.checked_mul(quantity),
                (None, None) => None,
            };
            let Some(total) = total else {
                let column = if line.unit_minor.is_none() && columns.has(F::UnitPrice) {
                    header(F::UnitPrice)
                } else {
                    header(F::LineTotal)
                };
                refuse(line.row, column, FieldError::Required, &mut plan.record);
                continue 'orders;
            };
            let Some(next) = sum.checked_add(total) else {
                refuse(line.row, header(F::LineTotal), FieldError::InvalidNumber, &mut plan.record);
                continue 'orders;
            };
            sum = next;
            if let Some((product, _)) = list_price {
                lines.push((product, line.quantity, unit.unwrap_or(0), total));
            }
        }
        if let Some(external) = &f.external_id {
            decided.external_ids.insert(external.clone());
        }
        created.push(NewOrder {
            id: 0,
            customer_id: customer.id,
            order_no: order.order_no.clone(),
            external_id: f.external_id.clone(),
            ordered_at: f.ordered_at,
            channel: f.channel,
            currency,
            total_minor: f.order_total.unwrap_or(sum),
            notes: f.notes.clone(),
            lines,
        });
        plan.record.counts.created += order.lines.len() as i32;
    }
    let ids = reserve(conn, "sales_order", created.len(), write, &mut decided.fake_id).await?;
    for (order, id) in created.iter_mut().zip(ids) {
        order.id = id;
    }
    plan.record.new_orders = created.len() as i32;
    plan.orders = created;
    Ok(plan)
}

/// The customer a row's key resolved to, or the column and reason it is refused with.
fn matched_customer(
    resolved: Resolved,
    key: &CustomerKey,
    columns: &impl CustomerColumns,
) -> Result<super::matching::Candidate, (String, FieldError)> {
    match resolved {
        Resolved::Found(customer) => Ok(customer),
        Resolved::Nobody => {
            Err((columns.key_header(key.first_column()), FieldError::NoCustomerMatch))
        }
        Resolved::Ambiguous(column, count) => {
            Err((columns.key_header(column), FieldError::AmbiguousMatch { count }))
        }
        Resolved::OutOfScope(column) => {
            Err((columns.key_header(column), FieldError::OwnerOutOfScope))
        }
    }
}

/// The keys of customers to create when the importer chose that: each names a person who
/// matches nobody, once (two rows of one new customer create one).
fn customers_to_create<'k>(
    keys: impl IntoIterator<Item = &'k CustomerKey>,
    matches_nobody: impl Fn(&CustomerKey) -> bool,
    setup: &Setup,
) -> Vec<&'k CustomerKey> {
    let mut pending = CustomerIndex::default();
    let mut wanted: Vec<&CustomerKey> = Vec::new();
    for key in keys {
        if key.name.is_some()
            && matches_nobody(key)
            && pending.resolve(key, &setup.scope) == Resolved::Nobody
        {
            pending.add(candidate_of(
                -(wanted.len() as i64) - 1,
                key,
                &setup.default_currency,
                setup.importer,
            ));
            wanted.push(key);
        }
    }
    wanted
}

/// The index entry of a customer the run creates.
fn candidate_of(
    id: i64,
    key: &CustomerKey,
    currency: &str,
    owner: UserId,
) -> super::matching::Candidate {
    super::matching::Candidate {
        id,
        owner_id: Some(owner.0),
        external_id: key.external_id.clone(),
        phone_normalized: key.phone_normalized.clone(),
        email_normalized: key.email.clone(),
        name_key: key.name_key.clone().unwrap_or_default(),
        currency: currency.to_owned(),
    }
}
/// Writes a decided batch: its new customers and products, orders, lines and one timeline
/// entry per order, a handful of statements whatever the batch's size.
async fn write_orders(
    conn: &mut PgConnection,
    plan: &OrderPlan,
    setup: &Setup,
) -> Result<(), AppError> {
    insert_customers(
        conn,
        setup.import_id,
        &plan.customers,
        setup.importer,
        &setup.default_currency,
    )
    .await?;
    if !plan.products.is_empty() {
        let p = &plan.products;
        sqlx::query!(
            "insert into product (id, sku, name, category, unit_price_minor, currency)
             overriding system value
             select * , $6 from unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[])",
            &p.iter().map(|p| p.id).collect::<Vec<_>>(),
            &p.iter().map(|p| p.sku.clone()).collect::<Vec<_>>(),
            &p.iter().map(|p| p.name.clone()).collect::<Vec<_>>(),
            &p.iter().map(|p| p.category.clone()).collect::<Vec<_>>() as _,
            &p.iter().map(|p| p.unit_minor).collect::<Vec<_>>(),
            &setup.default_currency,
        )
        .execute(&mut *conn)
        .await?;
    }
    if plan.orders.is_empty() {
        return Ok(());
    }
    let o = &plan.orders;
    sqlx::query!(
        "insert into sales_order (id, customer_id, order_no, external_id, ordered_at, channel,
             currency, total_minor, notes, created_by, import_id)
         overriding system value
         select u.*, $10, $11
         from unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::timestamptz[],
                     $6::text[], $7::text[], $8::bigint[], $9::text[]) as u",
        &o.iter().map(|o| o.id).collect::<Vec<_>>(),
        &o.iter().map(|o| o.customer_id).collect::<Vec<_>>(),
        &o.iter().map(|o| o.order_no.clone()).collect::<Vec<_>>(),
        &o.iter().map(|o| o.external_id.clone()).collect::<Vec<_>>() as _,
        &o.iter().map(|o| o.ordered_at).collect::<Vec<_>>() as _,
        &o.iter().map(|o| o.channel.as_str()).collect::<Vec<_>>() as _,
        &o.iter().map(|o| o.currency.clone()).collect::<Vec<_>>(),
        &o.iter().map(|o| o.total_minor).collect::<Vec<_>>(),
        &o.iter().map(|o| o.notes.clone()).collect::<Vec<_>>() as _,
        setup.importer.0,
        setup.import_id,
    )
    .execute(&mut *conn)
    .await?;
    let lines: Vec<(i64, &LineValues)> =
        o.iter().flat_map(|order| order.lines.iter().map(move |line| (order.id, line))).collect();
    sqlx::query!(
        "insert into order_line (order_id, product_id, quantity, unit_price_minor, line_total_minor)
         select * from unnest($1::bigint[], $2::bigint[], $3::int[], $4::bigint[], $5::bigint[])",
        &lines.iter().map(|(order, _)| *order).collect::<Vec<_>>(),
        &lines.iter().map(|(_, line)| line.0).collect::<Vec<_>>(),
        &lines.iter().map(|(_, line)| line.1).collect::<Vec<_>>(),
        &lines.iter().map(|(_, line)| line.2).collect::<Vec<_>>(),
        &lines.iter().map(|(_, line)| line.3).collect::<Vec<_>>(),
    )
    .execute(&mut *conn)
    .await?;
    let data: Vec<serde_json::Value> = o
        .iter()
        .map(|o| {
            serde_json::json!({
                "order_no": o.order_no, "total_minor": o.total_minor, "currency": o.currency,
                "lines": o.lines.len(), "channel": o.channel.as_str(), "import_id": setup.import_id,
            })
        })
        .collect();
    sqlx::query!(
        "insert into timeline_event (customer_id, at, kind, ref_id, data, actor_id)
         select u.customer_id, u.at, $5, u.id, u.data, $6
         from unnest($1::bigint[], $2::timestamptz[], $3::bigint[], $4::jsonb[])
              as u(customer_id, at, id, data)",
        &o.iter().map(|o| o.customer_id).collect::<Vec<_>>(),
        &o.iter().map(|o| o.ordered_at).collect::<Vec<_>>() as _,
        &o.iter().map(|o| o.id).collect::<Vec<_>>(),
        &data,
        kinds::ORDER,
        setup.importer.0,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Reads the file as a stream and decides its batches of complete orders, sending each plan to
/// `out` (a closed channel stops it). Batches before `start_batch` were recorded by an earlier
/// attempt and are read past: their customers and products are in the database now and are
/// found there.
#[allow(clippy::too_many_arguments)]
async fn decide_all(
    pool: &PgPool,
    setup: &Setup,
    columns: &Columns<OrderField>,
    path: &std::path::Path,
    encoding: Encoding,
    write: bool,
    start_batch: usize,
    out: tokio::sync::mpsc::Sender<OrderPlan>,
) -> Result<(), JobError> {
    let ends = order_ends(path, encoding, setup, columns).await.map_err(fatal)?;
    let mut lookups = pool.acquire().await?;
    let mut assembler = Assembler::new(ends);
    let mut decided = Decided::default();
    let mut chunks = stream(path.to_owned(), encoding, setup.options.sheet.clone(), CHUNK);
    let (mut number, mut read, mut index) = (0u32, 0usize, 0usize);
    let mut done = false;
    while !done {
        match next_rows(&mut chunks, &mut read).await.map_err(fatal)? {
            Some(rows) => {
                for row in rows {
                    number += 1;
                    assembler.add_row(number, &row, columns, setup.zone);
                }
            }
            None => done = true,
        }
        while let Some(batch) = assembler.take(ORDER_BATCH, done) {
            if index < start_batch {
                index += 1;
                continue;
            }
            let plan = plan_orders(
                &mut lookups,
                batch,
                index,
                &mut assembler.products,
                &mut decided,
                setup,
                columns,
                write,
            )
            .await?;
            index += 1;
            if out.send(plan).await.is_err() {
                // The receiver stopped; its error is the one reported.
                return Ok(());
            }
        }
    }
    Ok(())
}

/// A file that cannot be read fails for good; anything else is worth another attempt.
fn fatal(error: AppError) -> JobError {
    match error {
        AppError::Validation(_) => JobError::Fatal(error.to_string()),
        other => JobError::from(other),
    }
}

/// Checks (`write` false) or imports an order file: read twice as a stream (see above), each
/// batch decided on a connection of its own while the one before it is written, each batch
/// committed with its record when bad rows are skipped, all in one transaction otherwise.
/// Returns whether anything was refused. `progress` counts the file's rows.
#[allow(clippy::too_many_arguments)]
pub async fn run_orders(
    pool: &PgPool,
    setup: &Setup,
    path: &std::path::Path,
    encoding: Encoding,
    total_rows: i64,
    write: bool,
    start_batch: usize,
    progress: &mut impl Progress,
) -> Result<bool, JobError> {
    let columns = Columns::new(setup, |key| OrderField::parse(key).ok());
    let mut refused = false;
    let mut rows_done = 0i64;
    let (planned, mut to_write) = tokio::sync::mpsc::channel::<OrderPlan>(2);
    let start = if write { start_batch } else { 0 };
    // The sender moves into the decider, so the receiver sees the channel close when deciding
    // ends or fails.
    let decide = decide_all(pool, setup, &columns, path, encoding, write, start, planned);
    // A check records each batch's outcome; an import writes the batch with its record. Each
    // batch commits alone unless the whole import is all or nothing.
    let all_or_nothing = write && setup.mode == ImportMode::AllOrNothing;
    let apply = async {
        let mut tx = begin_batch(pool, all_or_nothing).await?;
        while let Some(plan) = to_write.recv().await {
            refused |= plan.record.counts.rejected > 0;
            if write {
                write_orders(&mut tx, &plan, setup).await?;
            }
            record_batch(&mut tx, setup.import_id, plan.index, &plan.record, write).await?;
            if !all_or_nothing {
                tx.commit().await?;
                tx = begin_batch(pool, false).await?;
            }
            rows_done += plan.rows as i64;
            progress.report(rows_done, total_rows).await?;
        }
        Ok::<_, JobError>(tx)
    };
    let (decided, applied) = tokio::join!(decide, apply);
    let tx = applied?;
    if let Err(error) = decided {
        // Nothing of an all-or-nothing run is kept; a skip-bad run keeps its committed batches
        // and goes on after them when retried.
        tx.rollback().await?;
        return Err(error);
    }
    if all_or_nothing && refused {
        // Something was refused after all (the data changed since the check).
        tx.rollback().await?;
        return Ok(true);
    }
    tx.commit().await?;
    Ok(refused)
}

/// A customer's state before and after a refresh or revert changed its orders.
struct Moved {
    id: i64,
    type_before: String,
    type_after: String,
    orders_before: i32,
    first_before: Option<DateTime<Utc>>,
    last_before: Option<DateTime<Utc>>,
    orders_after: i32,
    first_after: Option<DateTime<Utc>>,
    last_after: Option<DateTime<Utc>>,
}

/// One timeline entry per customer for a change of type or lifecycle stage, however many
/// orders caused it.
async fn record_moves(
    conn: &mut PgConnection,
    moved: &[Moved],
    settings: &crate::customers::model::CustomerSettings,
    actor: UserId,
) -> Result<(), AppError> {
    use crate::customers::model::lifecycle_stage;
    let (mut ids, mut entry_kinds, mut data) = (Vec::new(), Vec::new(), Vec::new());
    for m in moved {
        if m.type_before != m.type_after {
            ids.push(m.id);
            if m.type_before == "former" && m.type_after == "existing" {
                entry_kinds.push(kinds::WON_BACK);
                data.push(serde_json::json!({}));
            } else {
                entry_kinds.push(kinds::TYPE_CHANGED);
                data.push(serde_json::json!({ "from": m.type_before, "to": m.type_after }));
            }
        }
        let before = lifecycle_stage(m.orders_before, m.first_before, m.last_before, settings);
        let after = lifecycle_stage(m.orders_after, m.first_after, m.last_after, settings);
        if before != after {
            ids.push(m.id);
            entry_kinds.push(kinds::STAGE_CHANGED);
            data.push(serde_json::json!({ "from": before.as_str(), "to": after.as_str() }));
        }
    }
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query!(
        "insert into timeline_event (customer_id, at, kind, data, actor_id)
         select u.id, now(), u.kind, u.data, $4
         from unnest($1::bigint[], $2::text[], $3::jsonb[]) as u(id, kind, data)",
        &ids,
        &entry_kinds as _,
        &data,
        actor.0,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Brings one chunk of the touched customers up to date: their state before the import kept
/// (once), aggregates recounted from their orders, potential customers (and former ones whose
/// imported orders came after they left) made existing, the moves on the timeline, and the
/// points imported orders earn when the importer chose that. Re-running it changes nothing, so
/// a retried job may redo a chunk.
async fn refresh_chunk(
    conn: &mut PgConnection,
    setup: &Setup,
    ids: &[i64],
    settings: &crate::customers::model::CustomerSettings,
) -> Result<(), AppError> {
    sqlx::query!(
        "insert into import_customer_before (import_id, customer_id, customer_type, churn_reason,
             churned_at, order_count, first_order_at, last_order_at)
         select $1, c.id, c.customer_type, c.churn_reason, c.churned_at, c.order_count,
                c.first_order_at, c.last_order_at
         from customer c where c.id = any($2)
         on conflict do nothing",
        setup.import_id,
        ids,
    )
    .execute(&mut *conn)
    .await?;
    let moved = sqlx::query_as!(
        Moved,
        r#"with agg as (
             select customer_id, count(*)::int as n,
                    sum(total_minor - refunded_minor)::bigint as total,
                    min(ordered_at) as first, max(ordered_at) as last
             from sales_order where customer_id = any($1) and status = 'placed'
             group by customer_id
         ),
         old as (
             select c.id, c.customer_type, c.order_count, c.first_order_at, c.last_order_at,
                    c.churned_at
             from customer c where c.id = any($1) for update
         ),
         next as (
             select agg.*,
                    case when o.customer_type = 'former' and o.churned_at is not null
                              and agg.last <= o.churned_at then 'former'
                         else 'existing' end as next_type
             from agg join old o on o.id = agg.customer_id
         ),
         changed as (
             update customer c set
                 order_count = x.n, total_spend_minor = x.total,
                 first_order_at = x.first, last_order_at = x.last,
                 customer_type = x.next_type,
                 churn_reason = case when x.next_type = 'existing' then null else c.churn_reason end,
                 churned_at = case when x.next_type = 'existing' then null else c.churned_at end,
                 version = c.version + 1, updated_at = now()
             from next x
             where c.id = x.customer_id
               and (c.order_count, c.total_spend_minor, c.first_order_at, c.last_order_at,
                    c.customer_type)
                   is distinct from (x.n, x.total, x.first, x.last, x.next_type)
             returning c.id, c.customer_type, c.order_count, c.first_order_at, c.last_order_at
         )
         select o.id as "id!", o.customer_type as "type_before!", ch.customer_type as "type_after!",
                o.order_count as "orders_before!",
                o.first_order_at as "first_before: DateTime<Utc>",
                o.last_order_at as "last_before: DateTime<Utc>",
                ch.order_count as "orders_after!",
                ch.first_order_at as "first_after: DateTime<Utc>",
                ch.last_order_at as "last_after: DateTime<Utc>"
         from changed ch join old o on o.id = ch.id"#,
        ids,
    )
    .fetch_all(&mut *conn)
    .await?;
    record_moves(conn, &moved, settings, setup.importer).await?;
    if setup.options.award_points {
        // As `loyalty::service::earn_for_order` would have, order by order (expiring from the
        // order's date, so old history earns points that are already past).
        sqlx::query!(
            "insert into points_entry (customer_id, at, delta, kind, order_id, expires_at, remaining)
             select o.customer_id, o.ordered_at, p.points, 'earn', o.id,
                    case when s.expiry_days > 0
                         then o.ordered_at + make_interval(days => s.expiry_days) end,
                    p.points
             from sales_order o
             cross join loyalty_settings s
             cross join lateral (
                 select (greatest(o.total_minor, 0) / 10000 * s.points_per_hundred)::bigint as points
             ) p
             where o.import_id = $1 and o.customer_id = any($2) and p.points > 0
             on conflict (order_id) where kind = 'earn' do nothing",
            setup.import_id,
            ids,
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The scale of RFM scores recomputed over everyone (a file of history moves it), then the
/// given customers graded on it, their tier moves on the timeline once each.
async fn regrade(pool: &PgPool, ids: &[i64]) -> Result<(), AppError> {
    use crate::tiers::service as tiers;
    let window = tiers::settings(pool).await?.window_days;
    {
        let mut conn = pool.acquire().await?;
        tiers::compute_cut_points(&mut conn, window).await?;
    }
    let rules = tiers::tiers(pool).await?;
    for chunk in ids.chunks(10_000) {
        let mut tx = pool.begin().await?;
        tiers::grade(&mut tx, &rules, window, tiers::Graded::Ids(chunk)).await?;
        tx.commit().await?;
    }
    Ok(())
}

async fn recompute_affinity(pool: &PgPool) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    crate::orders::repo::recompute_affinity(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// After an order import's rows are in: everything derived from orders, for the customers
/// touched, with progress in steps (chunks of customers, then tiers, then recommendations) and
/// a checkpoint after each chunk.
pub async fn refresh_after_orders(
    pool: &PgPool,
    setup: &Setup,
    progress: &mut impl Progress,
) -> Result<(), JobError> {
    // The import may have multiplied the orders: plan the refresh with statistics that know.
    crate::db::analyze_if_stale(pool, &["customer", "sales_order", "order_line", "interaction"])
        .await?;
    let ids: Vec<i64> = sqlx::query_scalar!(
        "select distinct customer_id from sales_order where import_id = $1 order by 1",
        setup.import_id,
    )
    .fetch_all(pool)
    .await?;
    let settings = crate::customers::repo::settings(pool).await?;
    let through = progress
        .resume_from()
        .and_then(|checkpoint| checkpoint.get("refreshed_through").and_then(|v| v.as_i64()))
        .unwrap_or(0);
    let chunks: Vec<&[i64]> = ids.chunks(REFRESH_CHUNK).collect();
    let steps = chunks.len() as i64 + 2;
    let started = std::time::Instant::now();
    for (n, chunk) in chunks.iter().enumerate() {
        let last = chunk.last().copied().unwrap_or(0);
        if last <= through {
            continue;
        }
        let mut tx = pool.begin().await?;
        refresh_chunk(&mut tx, setup, chunk, &settings).await?;
        tx.commit().await?;
        let checkpoint = serde_json::json!({ "refreshed_through": last });
        progress.report_with(n as i64 + 1, steps, checkpoint).await?;
    }
    let customers_done = started.elapsed();
    regrade(pool, &ids).await?;
    let graded = started.elapsed();
    progress
        .report_with(steps - 1, steps, serde_json::json!({ "refreshed_through": i64::MAX }))
        .await?;
    recompute_affinity(pool).await?;
    progress
        .report_with(steps, steps, serde_json::json!({ "refreshed_through": i64::MAX }))
        .await?;
    tracing::info!(
        import = setup.import_id,
        customers = ids.len(),
        customers_secs = customers_done.as_secs_f64(),
        tiers_secs = (graded - customers_done).as_secs_f64(),
        affinities_secs = (started.elapsed() - graded).as_secs_f64(),
        "refreshed what derives from imported orders"
    );
    Ok(())
}

/// Takes an order or interaction import back out, in one transaction: its orders (with their
/// lines, timeline entries and the points they earned: untouched points go, points already
/// spent or expired stay and are closed with an adjustment), its interactions, the customers
/// and products it created (when nothing else came to depend on them since: those are kept and
/// listed), and each touched customer's aggregates and type as they were. Tiers and
/// recommendations are then regraded. Returns the created customers that were kept.
pub async fn revert(
    pool: &PgPool,
    import_id: i64,
    importer: Option<UserId>,
) -> Result<Vec<i64>, JobError> {
    let actor = importer.unwrap_or(UserId(0));
    let mut tx = pool.begin().await?;
    let created: Vec<i64> = sqlx::query_scalar!(
        r#"select distinct id as "id!" from import_batch b, unnest(b.created_ids) as id
           where b.import_id = $1"#,
        import_id,
    )
    .fetch_all(&mut *tx)
    .await?;
    let touched: Vec<i64> = sqlx::query_scalar!(
        r#"select customer_id as "customer_id!" from sales_order where import_id = $1
           union select customer_id from interaction where import_id = $1
           union select customer_id from import_customer_before where import_id = $1
           union select unnest($2::bigint[])
           order by 1"#,
        import_id,
        &created,
    )
    .fetch_all(&mut *tx)
    .await?;
    // Locked in id order, so a concurrent edit waits and then finds the new version.
    sqlx::query_scalar!(
        "select id from customer where id = any($1) order by id for update",
        &touched
    )
    .fetch_all(&mut *tx)
    .await?;
    sqlx::query!(
        "with lots as (
             select p.id, p.customer_id, p.delta, p.remaining
             from points_entry p join sales_order o on o.id = p.order_id
             where o.import_id = $1 and p.kind = 'earn'
         ),
         gone as (delete from points_entry where id in (select id from lots where remaining = delta)),
         closed as (
             insert into points_entry (customer_id, delta, kind, reason)
             select customer_id, -remaining, 'adjust', 'import reverted' from lots
             where remaining < delta and remaining > 0
         )
         update points_entry set remaining = 0, order_id = null
         where id in (select id from lots where remaining < delta)",
        import_id,
    )
    .execute(&mut *tx)
    .await?;
    // What corrections, cancellations and refunds of those orders did to the points stays in
    // the ledger (the balance is its sum), no longer naming an order that is going.
    sqlx::query!(
        "update points_entry p set order_id = null from sales_order o
         where o.import_id = $1 and p.order_id = o.id and p.kind <> 'earn'",
        import_id,
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "delete from timeline_event t using sales_order o
         where o.import_id = $1 and t.ref_id = o.id and t.customer_id = o.customer_id
           and t.kind in ('order', 'order_corrected', 'order_cancelled', 'order_refunded')",
        import_id,
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "delete from timeline_event t using interaction i
         where i.import_id = $1 and t.kind = 'interaction' and t.ref_id = i.id
           and t.customer_id = i.customer_id",
        import_id,
    )
    .execute(&mut *tx)
    .await?;
    // The lines first, in one statement: the product summary counts them off as one batch
    // rather than order by order as each order goes.
    sqlx::query(
        "delete from order_line l using sales_order o where o.import_id = $1 and l.order_id = o.id",
    )
    .bind(import_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query!("delete from sales_order where import_id = $1", import_id,)
        .execute(&mut *tx)
        .await?;
    sqlx::query!("delete from interaction where import_id = $1", import_id,)
        .execute(&mut *tx)
        .await?;
    // Aggregates recounted from the orders left; a customer left with none gets back the type
    // it had before the import.
    let moved = sqlx::query_as!(
        Moved,
        r#"with agg as (
             select c.id as customer_id, count(o.id)::int as n,
                    coalesce(sum(o.total_minor - o.refunded_minor), 0)::bigint as total,
                    min(o.ordered_at) as first, max(o.ordered_at) as last
             from customer c
             left join sales_order o on o.customer_id = c.id and o.status = 'placed'
             where c.id = any($1) group by c.id
         ),
         old as (
             select c.id, c.customer_type, c.order_count, c.first_order_at, c.last_order_at,
                    c.churn_reason, c.churned_at
             from customer c where c.id = any($1)
         ),
         next as (
             select agg.*, coalesce(case when agg.n = 0 then b.customer_type end, o.customer_type) as next_type,
                    case when agg.n = 0 and b.customer_id is not null then b.churn_reason else o.churn_reason end as reason,
                    case when agg.n = 0 and b.customer_id is not null then b.churned_at else o.churned_at end as churned
             from agg join old o on o.id = agg.customer_id
             left join import_customer_before b on b.import_id = $2 and b.customer_id = agg.customer_id
         ),
         changed as (
             update customer c set order_count = x.n, total_spend_minor = x.total,
                 first_order_at = x.first, last_order_at = x.last, customer_type = x.next_type,
                 churn_reason = x.reason, churned_at = x.churned,
                 version = c.version + 1, updated_at = now()
             from next x
             where c.id = x.customer_id
               and (c.order_count, c.total_spend_minor, c.first_order_at, c.last_order_at,
                    c.customer_type)
                   is distinct from (x.n, x.total, x.first, x.last, x.next_type)
             returning c.id, c.customer_type, c.order_count, c.first_order_at, c.last_order_at
         )
         select o.id as "id!", o.customer_type as "type_before!", ch.customer_type as "type_after!",
                o.order_count as "orders_before!",
                o.first_order_at as "first_before: DateTime<Utc>",
                o.last_order_at as "last_before: DateTime<Utc>",
                ch.order_count as "orders_after!",
                ch.first_order_at as "first_after: DateTime<Utc>",
                ch.last_order_at as "last_after: DateTime<Utc>"
         from changed ch join old o on o.id = ch.id"#,
        &touched,
        import_id,
    )
    .fetch_all(&mut *tx)
    .await?;
    let settings = crate::customers::repo::settings(&mut *tx).await?;
    record_moves(&mut tx, &moved, &settings, actor).await?;
    // Customers the import created go to the recycle bin, unless something else now hangs off
    // them: those are kept, and the import lists them.
    let deleted: Vec<i64> = sqlx::query_scalar!(
        "update customer c set deleted_at = now(), deleted_by = $2, version = version + 1
         where c.id = any($1) and c.deleted_at is null
           and not exists (select 1 from sales_order o where o.customer_id = c.id)
           and not exists (select 1 from interaction i where i.customer_id = c.id)
           and not exists (select 1 from ticket t where t.customer_id = c.id)
           and not exists (select 1 from opportunity o where o.customer_id = c.id)
         returning c.id",
        &created,
        importer.map(|u| u.0),
    )
    .fetch_all(&mut *tx)
    .await?;
    let kept: Vec<i64> = sqlx::query_scalar!(
        "select id from customer where id = any($1) and deleted_at is null order by id",
        &created,
    )
    .fetch_all(&mut *tx)
    .await?;
    let _ = deleted;
    // Products it added to the catalogue, unless orders or opportunities use them now.
    sqlx::query!(
        "with added as (
             select distinct id from import_batch b, unnest(b.created_product_ids) as id
             where b.import_id = $1
         ),
         unused as (
             select a.id from added a
             where not exists (select 1 from order_line l where l.product_id = a.id)
               and not exists (select 1 from opportunity_product p where p.product_id = a.id)
         ),
         affinities as (
             delete from product_affinity
             where product_id in (select id from unused) or related_product_id in (select id from unused)
         )
         delete from product where id in (select id from unused)",
        import_id,
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    regrade(pool, &touched).await?;
    recompute_affinity(pool).await?;
    Ok(kept)
}

// ---------------------------------------------------------------------------------------------
// Interactions

/// An interaction row, checked.
struct InteractionDraft {
    row: u32,
    customer: CustomerKey,
    kind: InteractionKind,
    direction: Direction,
    occurred_at: DateTime<Utc>,
    subject: String,
    outcome: Option<String>,
    next_step: Option<String>,
    next_step_due: Option<NaiveDate>,
    owner: UserId,
}

fn read_interaction(
    number: u32,
    row: &[String],
    columns: &Columns<InteractionField>,
    setup: &Setup,
) -> Result<InteractionDraft, Reasons> {
    use InteractionField as F;
    let mut problems = Problems { reasons: Vec::new(), columns };
    let customer = match read_key(
        columns,
        row,
        [F::CustomerExternalId, F::CustomerPhone, F::CustomerEmail, F::CustomerName],
    ) {
        Ok(key) => Some(key),
        Err((column, error)) => {
            let header = if error == FieldError::Required {
                columns.any_key_header()
            } else {
                columns.key_header(column)
            };
            problems.reasons.push((header, error));
            None
        }
    };
    let kind = problems.check(
        F::Kind,
        super::fields::parse_interaction_kind(columns.get(row, F::Kind).unwrap_or(""))
            .ok_or(FieldError::InvalidChoice),
    );
    let direction = problems.check(
        F::Direction,
        super::fields::parse_direction(columns.get(row, F::Direction).unwrap_or(""))
            .ok_or(FieldError::InvalidChoice),
    );
    let occurred_at = match columns.get(row, F::OccurredAt) {
        None => problems.add(F::OccurredAt, FieldError::Required),
        Some(t) => problems.check(F::OccurredAt, instant(t, setup.zone)),
    };
    let subject = match columns.get(row, F::Subject) {
        None => problems.add(F::Subject, FieldError::Required),
        Some(s) => problems.check(F::Subject, text(Some(s), 200)).flatten(),
    };
    let outcome = problems.check(F::Outcome, text(columns.get(row, F::Outcome), 2000)).flatten();
    let next_step =
        problems.check(F::NextStep, text(columns.get(row, F::NextStep), 2000)).flatten();
    let next_step_due = match columns.get(row, F::NextStepDue) {
        None => None,
        Some(d) => problems.check(
            F::NextStepDue,
            super::fields::parse_date_time(d).map(|(day, _)| day).ok_or(FieldError::InvalidDate),
        ),
    };
    if next_step_due.is_some() && next_step.is_none() {
        problems.add::<()>(F::NextStep, FieldError::Required);
    }
    let owner = match columns.get(row, F::OwnerEmail) {
        None => Some(setup.importer),
        Some(email) => problems.check(
            F::OwnerEmail,
            setup
                .owners
                .get(&email.to_lowercase())
                .map(|id| UserId(*id))
                .ok_or(FieldError::OwnerOutOfScope),
        ),
    };
    match (customer, kind, direction, occurred_at, subject, owner, problems.reasons.is_empty()) {
        (
            Some(customer),
            Some(kind),
            Some(direction),
            Some(occurred_at),
            Some(subject),
            Some(owner),
            true,
        ) => Ok(InteractionDraft {
            row: number,
            customer,
            kind,
            direction,
            occurred_at,
            subject,
            outcome,
            next_step,
            next_step_due,
            owner,
        }),
        _ => Err(problems.reasons),
    }
}

/// An interaction is the same one when the customer, the time, the kind and the subject are:
/// re-running a file finds the rows it imported before.
type InteractionKey = (i64, DateTime<Utc>, &'static str, String);

/// Checks (`write` false) or imports an interaction file chunk by chunk as it is read.
/// Returns whether anything was refused.
#[allow(clippy::too_many_arguments)]
pub async fn run_interactions(
    pool: &PgPool,
    setup: &Setup,
    path: &std::path::Path,
    encoding: Encoding,
    total_rows: i64,
    write: bool,
    start_batch: usize,
    progress: &mut impl Progress,
) -> Result<bool, JobError> {
    let columns = Columns::new(setup, |key| InteractionField::parse(key).ok());
    let mut chunks =
        stream(path.to_owned(), encoding, setup.options.sheet.clone(), INTERACTION_BATCH);
    let mut customers = CustomerIndex::default();
    let mut seen: HashSet<InteractionKey> = HashSet::new();
    let all_or_nothing = write && setup.mode == ImportMode::AllOrNothing;
    let mut tx = begin_batch(pool, all_or_nothing).await?;
    let mut fake_id = 0;
    let mut refused = false;
    let (mut index, mut number, mut read) = (0usize, 0u32, 0usize);
    while let Some(rows) =
        next_rows(&mut chunks, &mut read).await.map_err(|e| JobError::Fatal(e.to_string()))?
    {
        let first = number;
        number += rows.len() as u32;
        if index < start_batch {
            index += 1;
            continue;
        }
        let mut record = BatchRecord::default();
        let mut drafts = Vec::new();
        for (offset, row) in rows.iter().enumerate() {
            match read_interaction(first + offset as u32 + 1, row, &columns, setup) {
                Ok(draft) => drafts.push(draft),
                Err(reasons) => {
                    record.rejected.push((first + offset as u32 + 1, reasons));
                    record.counts.rejected += 1;
                }
            }
        }
        let keys: Vec<&CustomerKey> = drafts.iter().map(|d| &d.customer).collect();
        customers.look_up(&mut tx, &keys).await?;
        let mut new_customers = Vec::new();
        if setup.options.create_customers {
            let wanted = customers_to_create(
                drafts.iter().map(|draft| &draft.customer),
                |key| customers.resolve(key, &setup.scope) == Resolved::Nobody,
                setup,
            );
            let ids = reserve(&mut tx, "customer", wanted.len(), write, &mut fake_id).await?;
            for (key, id) in wanted.into_iter().zip(ids) {
                customers.add(candidate_of(id, key, &setup.default_currency, setup.importer));
                new_customers.push((new_customer(id, key, setup.importer), None));
                record.new_customers.push(id);
            }
        }
        // Which rows the database already has.
        let mut matched: Vec<(usize, i64)> = Vec::new();
        for (n, draft) in drafts.iter().enumerate() {
            let resolved = customers.resolve(&draft.customer, &setup.scope);
            match matched_customer(resolved, &draft.customer, &columns) {
                Ok(customer) => matched.push((n, customer.id)),
                Err(reason) => record.rejected.push((draft.row, vec![reason])),
            }
        }
        record.counts.rejected = record.rejected.len() as i32;
        let customer_ids: Vec<i64> = matched.iter().map(|m| m.1).collect();
        let times: Vec<DateTime<Utc>> = matched.iter().map(|m| drafts[m.0].occurred_at).collect();
        let on_file = sqlx::query!(
            r#"select customer_id, occurred_at as "occurred_at: DateTime<Utc>", kind, subject
               from interaction where customer_id = any($1) and occurred_at = any($2)"#,
            &customer_ids,
            &times as _,
        )
        .fetch_all(&mut *tx)
        .await?;
        for row in on_file {
            let (customer, at, kind, subject) =
                (row.customer_id, row.occurred_at, row.kind, row.subject);
            if let Ok(kind) = InteractionKind::parse(&kind) {
                seen.insert((customer, at, kind.as_str(), subject));
            }
        }
        let mut new: Vec<(i64, &InteractionDraft)> = Vec::new();
        for (n, customer) in matched {
            let draft = &drafts[n];
            let key = (customer, draft.occurred_at, draft.kind.as_str(), draft.subject.clone());
            if seen.insert(key) {
                new.push((customer, draft));
                record.counts.created += 1;
            } else {
                record.counts.unchanged += 1;
            }
        }
        refused |= record.counts.rejected > 0;
        if write {
            insert_customers(
                &mut tx,
                setup.import_id,
                &new_customers,
                setup.importer,
                &setup.default_currency,
            )
            .await?;
            let ids = reserve(&mut tx, "interaction", new.len(), true, &mut fake_id).await?;
            write_interactions(&mut tx, setup, &ids, &new).await?;
        }
        record_batch(&mut tx, setup.import_id, index, &record, write).await?;
        if !all_or_nothing {
            tx.commit().await?;
            tx = begin_batch(pool, false).await?;
        }
        progress.report(i64::from(number), total_rows.max(i64::from(number))).await?;
        index += 1;
    }
    if all_or_nothing && refused {
        tx.rollback().await?;
        return Ok(true);
    }
    tx.commit().await?;
    Ok(refused)
}

async fn write_interactions(
    conn: &mut PgConnection,
    setup: &Setup,
    ids: &[i64],
    new: &[(i64, &InteractionDraft)],
) -> Result<(), AppError> {
    if new.is_empty() {
        return Ok(());
    }
    let column = |f: &dyn Fn(&InteractionDraft) -> Option<String>| -> Vec<Option<String>> {
        new.iter().map(|(_, d)| f(d)).collect()
    };
    sqlx::query!(
        "insert into interaction (id, customer_id, kind, direction, occurred_at, subject, outcome,
             next_step, next_step_due, created_by, import_id)
         overriding system value
         select u.*, $11 from unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[],
             $5::timestamptz[], $6::text[], $7::text[], $8::text[], $9::date[], $10::bigint[]) as u",
        ids,
        &new.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
        &new.iter().map(|(_, d)| d.kind.as_str()).collect::<Vec<_>>() as _,
        &new.iter().map(|(_, d)| d.direction.as_str()).collect::<Vec<_>>() as _,
        &new.iter().map(|(_, d)| d.occurred_at).collect::<Vec<_>>() as _,
        &new.iter().map(|(_, d)| d.subject.clone()).collect::<Vec<_>>(),
        &column(&|d| d.outcome.clone()) as _,
        &column(&|d| d.next_step.clone()) as _,
        &new.iter().map(|(_, d)| d.next_step_due).collect::<Vec<_>>() as _,
        &new.iter().map(|(_, d)| d.owner.0).collect::<Vec<_>>(),
        setup.import_id,
    )
    .execute(&mut *conn)
    .await?;
    let data: Vec<serde_json::Value> = new
        .iter()
        .map(|(_, d)| {
            serde_json::json!({
                "kind": d.kind.as_str(), "direction": d.direction.as_str(), "subject": d.subject,
                "outcome": d.outcome, "next_step": d.next_step, "import_id": setup.import_id,
            })
        })
        .collect();
    sqlx::query!(
        "insert into timeline_event (customer_id, at, kind, ref_id, data, actor_id)
         select u.customer_id, u.at, $5, u.id, u.data, u.actor
         from unnest($1::bigint[], $2::timestamptz[], $3::bigint[], $4::jsonb[], $6::bigint[])
              as u(customer_id, at, id, data, actor)",
        &new.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
        &new.iter().map(|(_, d)| d.occurred_at).collect::<Vec<_>>() as _,
        ids,
        &data,
        kinds::INTERACTION,
        &new.iter().map(|(_, d)| d.owner.0).collect::<Vec<_>>(),
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}
