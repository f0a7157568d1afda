//! SQL for products, orders and product affinities.

use super::model::*;
use crate::{
    customers::model::{CustomerId, Money, TextMatch},
    error::{AppError, FieldError, violated_constraint},
    paging::Page,
};
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor, PgPool};

/// A product row as read.
#[derive(sqlx::FromRow)]
struct ProductRow {
    id: i64,
    sku: String,
    external_id: Option<String>,
    name: String,
    category: Option<String>,
    unit_price_minor: i64,
    currency: String,
    active: bool,
    version: i32,
}

impl From<ProductRow> for Product {
    fn from(r: ProductRow) -> Self {
        Product {
            id: ProductId(r.id),
            sku: r.sku,
            external_id: r.external_id,
            name: r.name,
            category: r.category,
            unit_price: Money { minor: r.unit_price_minor, currency: r.currency },
            active: r.active,
            version: r.version,
        }
    }
}

pub async fn products(pool: &PgPool, include_inactive: bool) -> Result<Vec<Product>, AppError> {
    let rows = sqlx::query_as!(
        ProductRow,
        "select id, sku, external_id, name, category, unit_price_minor, currency, active, version
         from product where active or $1 order by name",
        include_inactive
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Product::from).collect())
}

/// Products, active first, with `text` in the SKU, name or category.
pub async fn search_products(
    pool: &PgPool,
    text: &TextMatch,
    limit: i64,
) -> Result<Vec<Product>, AppError> {
    let key_condition = text.keys_condition("search_keys", 3);
    let sql = format!(
        "select id, sku, external_id, name, category, unit_price_minor, currency, active, version
         from product where search_text like $1 {key_condition}
         order by active desc, name, id limit $2"
    );
    let rows: Vec<ProductRow> = sqlx::query_as(&sql)
        .bind(&text.pattern)
        .bind(limit)
        .bind(&text.keys)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(Product::from).collect())
}

fn product_error(error: sqlx::Error) -> AppError {
    match violated_constraint(&error) {
        Some("product_sku_key") => AppError::validation("sku", FieldError::AlreadyTaken),
        Some("product_external_id_key") => {
            AppError::validation("external_id", FieldError::AlreadyTaken)
        }
        _ => error.into(),
    }
}

pub async fn insert_product(
    executor: impl PgExecutor<'_>,
    product: &ValidProduct,
    currency: &str,
) -> Result<ProductId, AppError> {
    let id = sqlx::query_scalar!(
        "insert into product (sku, name, category, unit_price_minor, currency, active, external_id)
         values ($1, $2, $3, $4, $5, $6, $7) returning id",
        product.sku,
        product.name,
        product.category,
        product.unit_price_minor,
        currency,
        product.active,
        product.external_id,
    )
    .fetch_one(executor)
    .await
    .map_err(product_error)?;
    Ok(ProductId(id))
}

/// Saves a product edit if `version` is current: `None` when missing, `Some(None)` when saved
/// since, otherwise the product as it was (for the audit entry).
pub async fn update_product(
    conn: &mut PgConnection,
    id: ProductId,
    version: i32,
    product: &ValidProduct,
) -> Result<Option<Option<serde_json::Value>>, AppError> {
    let current = sqlx::query!(
        "select version, sku, name, unit_price_minor, active from product where id = $1 for update",
        id.0
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(current) = current else { return Ok(None) };
    if current.version != version {
        return Ok(Some(None));
    }
    let before = super::service::audited_product(
        &current.sku,
        &current.name,
        current.unit_price_minor,
        current.active,
    );
    sqlx::query!(
        "update product set sku = $2, name = $3, category = $4, unit_price_minor = $5,
                active = $6, external_id = $7, version = version + 1, updated_at = now()
         where id = $1",
        id.0,
        product.sku,
        product.name,
        product.category,
        product.unit_price_minor,
        product.active,
        product.external_id,
    )
    .execute(&mut *conn)
    .await
    .map_err(product_error)?;
    Ok(Some(Some(before)))
}

/// Catalogue facts the order service needs for each line's product.
pub struct LineProduct {
    pub id: ProductId,
    pub name: String,
    pub unit_price_minor: i64,
    pub currency: String,
    pub active: bool,
}

pub async fn line_products(
    conn: &mut PgConnection,
    ids: &[i64],
) -> Result<Vec<LineProduct>, AppError> {
    let rows = sqlx::query!(
        "select id, name, unit_price_minor, currency, active from product where id = any($1)",
        ids
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| LineProduct {
            id: ProductId(r.id),
            name: r.name,
            unit_price_minor: r.unit_price_minor,
            currency: r.currency,
            active: r.active,
        })
        .collect())
}

/// An order ready to insert.
pub struct NewOrder<'a> {
    pub customer_id: CustomerId,
    pub order_no: &'a str,
    pub ordered_at: DateTime<Utc>,
    pub channel: Channel,
    pub currency: &'a str,
    pub total_minor: i64,
    pub notes: Option<&'a str>,
    pub created_by: Option<i64>,
    /// (product, quantity, unit price, line total)
    pub lines: Vec<(i64, i32, i64, i64)>,
}

/// Inserts the order and its lines (one statement for all lines).
pub async fn insert_order(
    conn: &mut PgConnection,
    order: &NewOrder<'_>,
) -> Result<OrderId, AppError> {
    let id = sqlx::query_scalar!(
        "insert into sales_order (customer_id, order_no, ordered_at, channel, currency,
                total_minor, notes, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8) returning id",
        order.customer_id.0,
        order.order_no,
        order.ordered_at as _,
        order.channel.as_str(),
        order.currency,
        order.total_minor,
        order.notes,
        order.created_by,
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(|error| match violated_constraint(&error) {
        Some("sales_order_no_key") => AppError::validation("order_no", FieldError::AlreadyTaken),
        _ => error.into(),
    })?;
    insert_lines(conn, id, &order.lines).await?;
    Ok(OrderId(id))
}

/// Inserts an order's lines, one statement for all of them.
async fn insert_lines(
    conn: &mut PgConnection,
    id: i64,
    lines: &[(i64, i32, i64, i64)],
) -> Result<(), AppError> {
    let (products, quantities, prices, totals): (Vec<i64>, Vec<i32>, Vec<i64>, Vec<i64>) =
        lines.iter().fold(Default::default(), |mut acc, (p, q, u, t)| {
            acc.0.push(*p);
            acc.1.push(*q);
            acc.2.push(*u);
            acc.3.push(*t);
            acc
        });
    sqlx::query!(
        "insert into order_line (order_id, product_id, quantity, unit_price_minor, line_total_minor)
         select $1, * from unnest($2::bigint[], $3::int[], $4::bigint[], $5::bigint[])",
        id,
        &products,
        &quantities,
        &prices,
        &totals,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Adds one order to the customer's aggregates and moves potential and former customers to
/// existing. Returns the new aggregates (count, first, last).
pub async fn add_to_aggregates(
    conn: &mut PgConnection,
    customer_id: CustomerId,
    total_minor: i64,
    ordered_at: DateTime<Utc>,
) -> Result<(i32, Option<DateTime<Utc>>, Option<DateTime<Utc>>), AppError> {
    let r = sqlx::query!(
        r#"
        update customer set
            order_count = order_count + 1,
            total_spend_minor = total_spend_minor + $2,
            first_order_at = least(first_order_at, $3),
            last_order_at = greatest(last_order_at, $3),
            customer_type = 'existing',
            churn_reason = null,
            churned_at = null,
            version = version + 1,
            updated_at = now()
        where id = $1
        returning order_count, first_order_at as "first: DateTime<Utc>",
                  last_order_at as "last: DateTime<Utc>"
        "#,
        customer_id.0,
        total_minor,
        ordered_at as _,
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok((r.order_count, r.first, r.last))
}

/// An order's own row, before its lines and refunds are joined to it.
struct OrderRow {
    id: i64,
    customer_id: i64,
    order_no: String,
    external_id: Option<String>,
    ordered_at: DateTime<Utc>,
    channel: String,
    currency: String,
    total_minor: i64,
    notes: Option<String>,
    created_by_name: Option<String>,
    status: String,
    refunded_minor: i64,
    cancel_reason: Option<String>,
    version: i32,
}

/// A customer's orders, newest first, with their lines and refunds (three queries, whatever the
/// page size).
pub async fn orders(
    pool: &PgPool,
    customer_id: CustomerId,
    before: Option<(DateTime<Utc>, i64)>,
    limit: i64,
) -> Result<Page<Order, (DateTime<Utc>, i64)>, AppError> {
    let mut conn = pool.acquire().await?;
    let rows = sqlx::query_as!(
        OrderRow,
        r#"
        select o.id, o.customer_id, o.order_no, o.external_id, o.ordered_at as "ordered_at: DateTime<Utc>",
               o.channel, o.currency, o.total_minor, o.notes, u.display_name as "created_by_name?",
               o.status, o.refunded_minor, o.cancel_reason, o.version
        from sales_order o left join app_user u on u.id = o.created_by
        where o.customer_id = $1 and ($2::timestamptz is null or (o.ordered_at, o.id) < ($2, $3))
        order by o.ordered_at desc, o.id desc
        limit $4
        "#,
        customer_id.0,
        before.map(|b| b.0) as _,
        before.map(|b| b.1).unwrap_or(i64::MAX),
        limit + 1,
    )
    .fetch_all(&mut *conn)
    .await?;
    let orders = assemble(&mut conn, rows).await?;
    Ok(Page::from_overfetch(orders, limit, |o: &Order| (o.ordered_at, o.id.0)))
}

/// One order with its lines and refunds.
pub async fn order(conn: &mut PgConnection, id: OrderId) -> Result<Order, AppError> {
    let row = sqlx::query_as!(
        OrderRow,
        r#"
        select o.id, o.customer_id, o.order_no, o.external_id, o.ordered_at as "ordered_at: DateTime<Utc>",
               o.channel, o.currency, o.total_minor, o.notes, u.display_name as "created_by_name?",
               o.status, o.refunded_minor, o.cancel_reason, o.version
        from sales_order o left join app_user u on u.id = o.created_by
        where o.id = $1
        "#,
        id.0,
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(assemble(conn, vec![row]).await?.remove(0))
}

/// Joins the lines and refunds of `rows` to them, in two queries.
async fn assemble(conn: &mut PgConnection, rows: Vec<OrderRow>) -> Result<Vec<Order>, AppError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let lines = sqlx::query!(
        r#"
        select l.order_id, l.product_id, p.name, l.quantity, l.unit_price_minor, l.line_total_minor
        from order_line l join product p on p.id = l.product_id
        where l.order_id = any($1)
        order by l.id
        "#,
        &ids
    )
    .fetch_all(&mut *conn)
    .await?;
    let refunds = sqlx::query!(
        r#"
        select r.order_id, r.amount_minor, r.reason, r.refunded_at as "at: DateTime<Utc>",
               u.display_name as "by_name?"
        from order_refund r left join app_user u on u.id = r.created_by
        where r.order_id = any($1)
        order by r.id
        "#,
        &ids
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let money = |minor: i64| Money { minor, currency: r.currency.clone() };
            Order {
                id: OrderId(r.id),
                customer_id: CustomerId(r.customer_id),
                order_no: r.order_no,
                external_id: r.external_id,
                ordered_at: r.ordered_at,
                channel: Channel::parse(&r.channel).unwrap_or_default(),
                total: money(r.total_minor),
                notes: r.notes,
                lines: lines
                    .iter()
                    .filter(|l| l.order_id == r.id)
                    .map(|l| OrderLine {
                        product_id: ProductId(l.product_id),
                        product_name: l.name.clone(),
                        quantity: l.quantity,
                        unit_price: money(l.unit_price_minor),
                        line_total: money(l.line_total_minor),
                    })
                    .collect(),
                created_by_name: r.created_by_name,
                status: OrderStatus::parse(&r.status).unwrap_or_default(),
                refunded: money(r.refunded_minor),
                cancel_reason: r.cancel_reason,
                refunds: refunds
                    .iter()
                    .filter(|f| f.order_id == r.id)
                    .map(|f| OrderRefund {
                        amount: money(f.amount_minor),
                        reason: f.reason.clone(),
                        at: f.at,
                        by_name: f.by_name.clone(),
                    })
                    .collect(),
                version: r.version,
            }
        })
        .collect())
}

/// An order locked for a change.
#[derive(Clone)]
pub struct LockedOrder {
    pub id: OrderId,
    pub customer_id: CustomerId,
    pub order_no: String,
    pub ordered_at: DateTime<Utc>,
    pub channel: Channel,
    pub currency: String,
    pub total_minor: i64,
    pub notes: Option<String>,
    pub status: OrderStatus,
    pub refunded_minor: i64,
    pub version: i32,
    /// (product, quantity, unit price) of each line, in order.
    pub lines: Vec<(i64, i32, i64)>,
}

/// Locks an order whose customer is live and in `visible_owners` (all when `None`), with that
/// customer as it stands before the change. The customer is locked first, as every order
/// change does, so two changes to one customer's orders queue instead of deadlocking.
pub async fn lock_order(
    conn: &mut PgConnection,
    id: OrderId,
    visible_owners: Option<&[i64]>,
) -> Result<Option<(LockedOrder, crate::customers::repo::Locked)>, AppError> {
    let customer = sqlx::query_scalar!(
        "select c.id from sales_order o join customer c on c.id = o.customer_id
         where o.id = $1 and c.deleted_at is null and ($2::bigint[] is null or c.owner_id = any($2))",
        id.0,
        visible_owners as _,
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(customer) = customer else { return Ok(None) };
    let Some(locked) = crate::customers::repo::lock(conn, CustomerId(customer), None).await? else {
        return Ok(None);
    };
    let r = sqlx::query!(
        r#"select customer_id, order_no, ordered_at as "ordered_at: DateTime<Utc>", channel,
                  currency, total_minor, notes, status, refunded_minor, version
           from sales_order where id = $1 for update"#,
        id.0
    )
    .fetch_one(&mut *conn)
    .await?;
    if r.customer_id != customer {
        // Moved to another customer (a merge) between the two reads: not the order asked for.
        return Ok(None);
    }
    let lines = sqlx::query!(
        "select product_id, quantity, unit_price_minor from order_line where order_id = $1 order by id",
        id.0
    )
    .fetch_all(&mut *conn)
    .await?;
    let order = LockedOrder {
        id,
        customer_id: CustomerId(r.customer_id),
        order_no: r.order_no,
        ordered_at: r.ordered_at,
        channel: Channel::parse(&r.channel).unwrap_or_default(),
        currency: r.currency,
        total_minor: r.total_minor,
        notes: r.notes,
        status: OrderStatus::parse(&r.status).unwrap_or_default(),
        refunded_minor: r.refunded_minor,
        version: r.version,
        lines: lines.into_iter().map(|l| (l.product_id, l.quantity, l.unit_price_minor)).collect(),
    };
    Ok(Some((order, locked)))
}

/// Saves a correction: the order's own fields and all its lines anew.
pub async fn correct_order(
    conn: &mut PgConnection,
    id: OrderId,
    order: &NewOrder<'_>,
) -> Result<(), AppError> {
    sqlx::query!(
        "update sales_order set order_no = $2, ordered_at = $3, channel = $4, total_minor = $5,
                notes = $6, version = version + 1, updated_at = now()
         where id = $1",
        id.0,
        order.order_no,
        order.ordered_at as _,
        order.channel.as_str(),
        order.total_minor,
        order.notes,
    )
    .execute(&mut *conn)
    .await
    .map_err(|error| match violated_constraint(&error) {
        Some("sales_order_no_key") => AppError::validation("order_no", FieldError::AlreadyTaken),
        _ => error.into(),
    })?;
    sqlx::query!("delete from order_line where order_id = $1", id.0).execute(&mut *conn).await?;
    insert_lines(conn, id.0, &order.lines).await
}

/// Marks an order cancelled, with the reason.
pub async fn cancel_order(
    conn: &mut PgConnection,
    id: OrderId,
    reason: &str,
) -> Result<(), AppError> {
    sqlx::query!(
        "update sales_order set status = 'cancelled', cancel_reason = $2, cancelled_at = now(),
                version = version + 1, updated_at = now()
         where id = $1",
        id.0,
        reason,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Records a refund and adds it to the order's refunded amount; an order refunded in full is
/// no longer placed.
pub async fn refund_order(
    conn: &mut PgConnection,
    id: OrderId,
    amount_minor: i64,
    reason: &str,
    by: i64,
) -> Result<(), AppError> {
    sqlx::query!(
        "insert into order_refund (order_id, amount_minor, reason, created_by) values ($1, $2, $3, $4)",
        id.0,
        amount_minor,
        reason,
        by,
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "update sales_order set refunded_minor = refunded_minor + $2,
                status = case when refunded_minor + $2 = total_minor then 'refunded' else status end,
                version = version + 1, updated_at = now()
         where id = $1",
        id.0,
        amount_minor,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Recounts a customer's aggregates from the orders that still count (placed, less refunds).
/// A customer left with none that was existing becomes potential again: it has bought nothing
/// that stands. Returns the new (count, first, last).
pub async fn recount_aggregates(
    conn: &mut PgConnection,
    customer_id: CustomerId,
) -> Result<(i32, Option<DateTime<Utc>>, Option<DateTime<Utc>>), AppError> {
    let r = sqlx::query!(
        r#"
        update customer c set
            order_count = a.n, total_spend_minor = a.total,
            first_order_at = a.first, last_order_at = a.last,
            customer_type = case when a.n = 0 and c.customer_type = 'existing' then 'potential'
                                 else c.customer_type end,
            version = c.version + 1, updated_at = now()
        from (
            select count(*)::int as n, coalesce(sum(total_minor - refunded_minor), 0)::bigint as total,
                   min(ordered_at) as first, max(ordered_at) as last
            from sales_order where customer_id = $1 and status = 'placed'
        ) a
        where c.id = $1
        returning c.order_count, c.first_order_at as "first: DateTime<Utc>",
                  c.last_order_at as "last: DateTime<Utc>"
        "#,
        customer_id.0
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok((r.order_count, r.first, r.last))
}

/// Rebuilds `product_affinity` from every customer's distinct products.
pub async fn recompute_affinity(conn: &mut PgConnection) -> Result<u64, AppError> {
    sqlx::query!("delete from product_affinity").execute(&mut *conn).await?;
    let done = sqlx::query!(
        r#"
        insert into product_affinity (product_id, related_product_id, customers)
        with bought as (
            select distinct o.customer_id, l.product_id
            from sales_order o join order_line l on l.order_id = o.id
            where o.status = 'placed'
        )
        select a.product_id, b.product_id, count(*)::int
        from bought a join bought b on a.customer_id = b.customer_id and a.product_id <> b.product_id
        group by a.product_id, b.product_id
        "#
    )
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

/// Products that customers who bought this customer's products also bought, best first,
/// excluding what this customer already bought.
pub async fn recommendations(
    pool: &PgPool,
    customer_id: CustomerId,
    limit: i64,
) -> Result<Vec<Recommendation>, AppError> {
    let rows = sqlx::query!(
        r#"
        with mine as (
            select distinct l.product_id
            from sales_order o join order_line l on l.order_id = o.id
            where o.customer_id = $1 and o.status = 'placed'
        )
        select p.id, p.sku, p.external_id, p.name, p.category, p.unit_price_minor, p.currency,
               p.active, p.version, sum(a.customers)::bigint as "support!"
        from product_affinity a
        join product p on p.id = a.related_product_id
        where a.product_id in (select product_id from mine)
          and a.related_product_id not in (select product_id from mine)
          and p.active
        group by p.id
        order by 10 desc, p.id
        limit $2
        "#,
        customer_id.0,
        limit,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Recommendation {
            product: Product {
                id: ProductId(r.id),
                sku: r.sku,
                external_id: r.external_id,
                name: r.name,
                category: r.category,
                unit_price: Money { minor: r.unit_price_minor, currency: r.currency },
                active: r.active,
                version: r.version,
            },
            support: r.support,
        })
        .collect())
}
