//! Adding orders (with their effect on status, stage and type), the catalogue, affinities.

use super::{model::*, repo};
use crate::{
    audit::repo::{Change, record},
    auth::server::Authenticated,
    customers::timeline::{
        model::kinds,
        repo::{NewEntry, append},
    },
    customers::{
        model::{CustomerType, lifecycle_stage},
        repo as customers,
        service::customer_event,
    },
    error::{AppError, FieldError, FieldErrors},
    events::publish,
    jobs::context::{JobContext, JobError},
    state::AppState,
};
use chrono::Utc;
use rand::Rng;

/// Adds an order to a customer the caller may see. In the same transaction: the customer's
/// aggregates, potential or former becoming existing (a former customer is won back), the
/// stage change if any, timeline entries, the audit entry and the change event.
///
/// Errors: `Validation` (`lines.N.*` for unknown, inactive or other-currency products;
/// `order_no` taken; `ordered_at` in the future), `NotFound` (customer missing or out of scope).
pub async fn add_order(
    state: &AppState,
    caller: &Authenticated,
    input: OrderInput,
) -> Result<OrderId, AppError> {
    let lines = validate_order(&input)?;
    let now = Utc::now();
    let ordered_at = input.ordered_at.unwrap_or(now);
    if ordered_at > now + chrono::Duration::hours(1) {
        return Err(AppError::validation("ordered_at", FieldError::InFuture));
    }
    let scope = caller.scope.visible_owners();
    let mut tx = state.pool.begin().await?;
    let customer = customers::lock(&mut tx, input.customer_id, scope.as_deref())
        .await?
        .ok_or(AppError::NotFound)?;
    let settings = customers::settings(&mut *tx).await?;

    let ids: Vec<i64> = lines.iter().map(|l| l.product_id.0).collect();
    let products = repo::line_products(&mut tx, &ids).await?;
    let mut errors = FieldErrors::new();
    let mut rows = Vec::with_capacity(lines.len());
    let mut total: i64 = 0;
    for (n, line) in lines.iter().enumerate() {
        let field = format!("lines.{n}.product_id");
        let Some(product) = products.iter().find(|p| p.id == line.product_id && p.active) else {
            errors.add(&field, FieldError::UnknownReference);
            continue;
        };
        if product.currency != customer.currency {
            errors.add(&field, FieldError::CurrencyMismatch);
            continue;
        }
        let unit = line.unit_price_minor.unwrap_or(product.unit_price_minor);
        let Some(line_total) = unit.checked_mul(i64::from(line.quantity)) else {
            errors.add(&format!("lines.{n}.quantity"), FieldError::InvalidNumber);
            continue;
        };
        total = total.saturating_add(line_total);
        rows.push((product.id.0, line.quantity, unit, line_total));
    }
    errors.into_result()?;

    let order_no = match input.order_no.trim() {
        "" => new_order_no(now, rand::thread_rng().r#gen()),
        given => given.to_owned(),
    };
    let notes = Some(input.notes.trim()).filter(|n| !n.is_empty());
    let order = repo::NewOrder {
        customer_id: input.customer_id,
        order_no: &order_no,
        ordered_at,
        channel: input.channel,
        currency: &customer.currency,
        total_minor: total,
        notes,
        created_by: Some(caller.id().0),
        lines: rows,
    };
    let order_id = repo::insert_order(&mut tx, &order).await?;
    let stage_before = lifecycle_stage(
        customer.order_count,
        customer.first_order_at,
        customer.last_order_at,
        &settings,
    );
    let (count, first, last) =
        repo::add_to_aggregates(&mut tx, input.customer_id, total, ordered_at).await?;
    let stage_after = lifecycle_stage(count, first, last, &settings);

    let data = serde_json::json!({
        "order_no": order_no,
        "total_minor": total,
        "currency": customer.currency,
        "lines": order.lines.len(),
        "channel": input.channel.as_str(),
    });
    let actor = Some(caller.id());
    append(
        &mut *tx,
        NewEntry::now(input.customer_id, kinds::ORDER, actor)
            .at(ordered_at)
            .reference(order_id.0)
            .data(data.clone()),
    )
    .await?;
    if stage_after != stage_before {
        let change =
            serde_json::json!({ "from": stage_before.as_str(), "to": stage_after.as_str() });
        append(
            &mut *tx,
            NewEntry::now(input.customer_id, kinds::STAGE_CHANGED, actor).data(change),
        )
        .await?;
    }
    match customer.customer_type {
        CustomerType::Potential => {
            let change = serde_json::json!({ "from": "potential", "to": "existing" });
            append(
                &mut *tx,
                NewEntry::now(input.customer_id, kinds::TYPE_CHANGED, actor).data(change),
            )
            .await?;
        }
        CustomerType::Former => {
            append(
                &mut *tx,
                NewEntry::now(input.customer_id, kinds::WON_BACK, actor).reference(order_id.0),
            )
            .await?;
        }
        CustomerType::Existing => {}
    }
    record(&mut *tx, caller.actor(), Change::new("create", "order", order_id).after(&data)).await?;
    crate::loyalty::service::earn_for_order(
        &mut tx,
        input.customer_id,
        order_id.0,
        total,
        ordered_at,
    )
    .await?;
    crate::tiers::service::rescore_one(&mut tx, input.customer_id).await?;
    let event = customer_event(&mut tx, input.customer_id).await?;
    publish(&mut *tx, &event).await?;
    tx.commit().await?;
    Ok(order_id)
}

/// Creates or edits a catalogue product (admins).
///
/// Errors: `Validation` (`sku` taken, `name`, `unit_price`), `Conflict`, `NotFound`.
pub async fn save_product(
    state: &AppState,
    caller: &Authenticated,
    input: ProductInput,
) -> Result<ProductId, AppError> {
    let valid = input.validate()?;
    let mut tx = state.pool.begin().await?;
    let id = match input.id {
        None => {
            let settings = customers::settings(&mut *tx).await?;
            repo::insert_product(&mut *tx, &valid, &settings.default_currency).await?
        }
        Some(id) => match repo::update_product(&mut tx, id, input.version, &valid).await? {
            None => return Err(AppError::NotFound),
            Some(false) => return Err(AppError::Conflict),
            Some(true) => id,
        },
    };
    let after = serde_json::json!({
        "sku": valid.sku, "name": valid.name, "unit_price_minor": valid.unit_price_minor,
        "active": valid.active,
    });
    let action = if input.id.is_some() { "update" } else { "create" };
    record(&mut *tx, caller.actor(), Change::new(action, "product", id).after(&after)).await?;
    tx.commit().await?;
    Ok(id)
}

/// The job that rebuilds product affinities for recommendations.
pub async fn recompute_affinity(mut ctx: JobContext) -> Result<(), JobError> {
    ctx.progress(0, Some(1), None).await?;
    let mut tx = ctx.state.pool.begin().await?;
    repo::recompute_affinity(&mut tx).await?;
    tx.commit().await?;
    ctx.progress(1, Some(1), None).await?;
    Ok(())
}
