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

/// Saves a product edit if `version` is current; `None` when missing, `Some(false)` on conflict.
pub async fn update_product(
    conn: &mut PgConnection,
    id: ProductId,
    version: i32,
    product: &ValidProduct,
) -> Result<Option<bool>, AppError> {
    let exists = sqlx::query_scalar!("select version from product where id = $1 for update", id.0)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(current) = exists else { return Ok(None) };
    if current != version {
        return Ok(Some(false));
    }
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
    Ok(Some(true))
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
    let (products, quantities, prices, totals): (Vec<i64>, Vec<i32>, Vec<i64>, Vec<i64>) =
        order.lines.iter().fold(Default::default(), |mut acc, (p, q, u, t)| {
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
    Ok(OrderId(id))
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

/// A customer's orders, newest first, with their lines (two queries, whatever the page size).
pub async fn orders(
    pool: &PgPool,
    customer_id: CustomerId,
    before: Option<(DateTime<Utc>, i64)>,
    limit: i64,
) -> Result<Page<Order, (DateTime<Utc>, i64)>, AppError> {
    let rows = sqlx::query!(
        r#"
        select o.id, o.customer_id, o.order_no, o.external_id, o.ordered_at as "ordered_at: DateTime<Utc>",
               o.channel, o.currency, o.total_minor, o.notes, u.display_name as "created_by_name?"
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
    .fetch_all(pool)
    .await?;
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
    .fetch_all(pool)
    .await?;
    let orders = rows
        .into_iter()
        .map(|r| Order {
            id: OrderId(r.id),
            customer_id: CustomerId(r.customer_id),
            order_no: r.order_no,
            external_id: r.external_id,
            ordered_at: r.ordered_at,
            channel: Channel::parse(&r.channel).unwrap_or_default(),
            total: Money { minor: r.total_minor, currency: r.currency.clone() },
            notes: r.notes,
            lines: lines
                .iter()
                .filter(|l| l.order_id == r.id)
                .map(|l| OrderLine {
                    product_id: ProductId(l.product_id),
                    product_name: l.name.clone(),
                    quantity: l.quantity,
                    unit_price: Money { minor: l.unit_price_minor, currency: r.currency.clone() },
                    line_total: Money { minor: l.line_total_minor, currency: r.currency.clone() },
                })
                .collect(),
            created_by_name: r.created_by_name,
        })
        .collect();
    Ok(Page::from_overfetch(orders, limit, |o: &Order| (o.ordered_at, o.id.0)))
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
            where o.customer_id = $1
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
