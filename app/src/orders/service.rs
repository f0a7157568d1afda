//! Adding orders (with their effect on status, stage and type), the catalogue, affinities.

use super::{model::*, repo};
use crate::{audit::repo::changed_meanwhile, customers::model::Money};
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

    let (rows, total) = price_lines(&mut tx, &lines, &customer.currency, &[]).await?;

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

/// Prices validated lines from the catalogue: (product, quantity, unit price, line total) rows
/// and the total. A product must be active, except one already on the order being corrected
/// (`kept`), and priced in the customer's currency.
async fn price_lines(
    conn: &mut sqlx::PgConnection,
    lines: &[ValidLine],
    currency: &str,
    kept: &[i64],
) -> Result<(Vec<(i64, i32, i64, i64)>, i64), AppError> {
    let ids: Vec<i64> = lines.iter().map(|l| l.product_id.0).collect();
    let products = repo::line_products(conn, &ids).await?;
    let mut errors = FieldErrors::new();
    let mut rows = Vec::with_capacity(lines.len());
    let mut total: i64 = 0;
    for (n, line) in lines.iter().enumerate() {
        let field = format!("lines.{n}.product_id");
        let Some(product) = products
            .iter()
            .find(|p| p.id == line.product_id && (p.active || kept.contains(&p.id.0)))
        else {
            errors.add(&field, FieldError::UnknownReference);
            continue;
        };
        if product.currency != currency {
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
    Ok((rows, total))
}

/// Locks an order for a change from `version` (in the caller's scope, not changed since), with
/// its customer as it stands before the change.
async fn lock_current(
    conn: &mut sqlx::PgConnection,
    caller: &Authenticated,
    id: OrderId,
    version: i32,
) -> Result<(repo::LockedOrder, customers::Locked), AppError> {
    let scope = caller.scope.visible_owners();
    let (order, customer) =
        repo::lock_order(conn, id, scope.as_deref()).await?.ok_or(AppError::NotFound)?;
    if order.version != version {
        return Err(changed_meanwhile(&mut *conn, "order", id.0).await);
    }
    Ok((order, customer))
}

/// What an order counts for towards its customer: its total less refunds while placed.
fn counted(status: OrderStatus, total_minor: i64, refunded_minor: i64) -> i64 {
    if status == OrderStatus::Placed { total_minor - refunded_minor } else { 0 }
}

/// The order as the audit log keeps it.
fn audited(order: &repo::LockedOrder) -> serde_json::Value {
    serde_json::json!({
        "order_no": order.order_no,
        "ordered_at": order.ordered_at,
        "channel": order.channel.as_str(),
        "lines": order.lines,
        "total_minor": order.total_minor,
        "notes": order.notes,
        "status": order.status.as_str(),
        "refunded_minor": order.refunded_minor,
    })
}

/// What follows a change to one of a customer's orders, in its transaction: the aggregates
/// recounted from the orders that count, the type and lifecycle stage that follow (on the
/// timeline), the points the order earned adjusted, the customer rescored and regraded, and
/// the change event. `before` is the customer as locked before the change.
async fn settle(
    tx: &mut sqlx::PgConnection,
    caller: &Authenticated,
    order: &repo::LockedOrder,
    before: &customers::Locked,
    counted_after: i64,
    reason: &str,
) -> Result<(), AppError> {
    let customer_id = order.customer_id;
    let settings = customers::settings(&mut *tx).await?;
    let stage_before =
        lifecycle_stage(before.order_count, before.first_order_at, before.last_order_at, &settings);
    let (count, first, last) = repo::recount_aggregates(&mut *tx, customer_id).await?;
    let stage_after = lifecycle_stage(count, first, last, &settings);
    let actor = Some(caller.id());
    if stage_after != stage_before {
        let change =
            serde_json::json!({ "from": stage_before.as_str(), "to": stage_after.as_str() });
        append(&mut *tx, NewEntry::now(customer_id, kinds::STAGE_CHANGED, actor).data(change))
            .await?;
    }
    if count == 0 && before.customer_type == CustomerType::Existing {
        let change = serde_json::json!({ "from": "existing", "to": "potential" });
        append(&mut *tx, NewEntry::now(customer_id, kinds::TYPE_CHANGED, actor).data(change))
            .await?;
    }
    let counted_before = counted(order.status, order.total_minor, order.refunded_minor);
    crate::loyalty::service::settle_order(
        &mut *tx,
        customer_id,
        order.id.0,
        counted_before,
        counted_after,
        &format!("{} · {reason}", order.order_no),
        caller.id(),
    )
    .await?;
    crate::tiers::service::rescore_one(&mut *tx, customer_id).await?;
    let event = customer_event(&mut *tx, customer_id).await?;
    publish(&mut *tx, &event).await
}

/// Corrects an order the caller may see: number, date, channel, lines and notes, from the
/// version they read, with a reason. Its customer's aggregates, stage, scores, tier and points
/// follow, in the same transaction as the audit entry and the timeline entry.
///
/// Errors: `Validation` (as adding; `reason`; `status` when cancelled or fully refunded;
/// `lines` when the total would fall below what was refunded; `customer_id` when another
/// customer is named), `ChangedMeanwhile`, `NotFound`.
pub async fn correct_order(
    state: &AppState,
    caller: &Authenticated,
    id: OrderId,
    version: i32,
    input: OrderInput,
    reason: &str,
) -> Result<Order, AppError> {
    let lines = validate_order(&input)?;
    let reason = validate_reason(reason)?;
    let now = Utc::now();
    let mut tx = state.pool.begin().await?;
    let (order, customer) = lock_current(&mut tx, caller, id, version).await?;
    if order.customer_id != input.customer_id {
        // Orders move between customers only by merging them.
        return Err(AppError::validation("customer_id", FieldError::InvalidChoice));
    }
    if order.status != OrderStatus::Placed {
        return Err(AppError::validation("status", FieldError::OrderClosed));
    }
    let ordered_at = input.ordered_at.unwrap_or(order.ordered_at);
    if ordered_at > now + chrono::Duration::hours(1) {
        return Err(AppError::validation("ordered_at", FieldError::InFuture));
    }
    let kept: Vec<i64> = order.lines.iter().map(|l| l.0).collect();
    let (rows, total) = price_lines(&mut tx, &lines, &order.currency, &kept).await?;
    if total < order.refunded_minor {
        let refunded = Money { minor: order.refunded_minor, currency: order.currency.clone() };
        return Err(AppError::validation(
            "lines",
            FieldError::BelowRefunded { refunded: refunded.display() },
        ));
    }
    let order_no = match input.order_no.trim() {
        "" => order.order_no.clone(),
        given => given.to_owned(),
    };
    let notes = Some(input.notes.trim()).filter(|n| !n.is_empty());
    let corrected = repo::NewOrder {
        customer_id: order.customer_id,
        order_no: &order_no,
        ordered_at,
        channel: input.channel,
        currency: &order.currency,
        total_minor: total,
        notes,
        created_by: None,
        lines: rows,
    };
    let corrected_order = repo::LockedOrder {
        order_no: order_no.clone(),
        ordered_at,
        channel: input.channel,
        total_minor: total,
        notes: notes.map(str::to_owned),
        lines: corrected.lines.iter().map(|(p, q, u, _)| (*p, *q, *u)).collect(),
        ..order.clone()
    };
    let (before, after) = (audited(&order), audited(&corrected_order));
    if before == after {
        // Nothing changed: no new version, no entry, no event.
        let unchanged = repo::order(&mut tx, id).await?;
        tx.rollback().await?;
        return Ok(unchanged);
    }
    repo::correct_order(&mut tx, id, &corrected).await?;
    let data = serde_json::json!({
        "order_no": order_no,
        "total_before": order.total_minor,
        "total_minor": total,
        "currency": order.currency,
        "reason": reason,
    });
    append(
        &mut *tx,
        NewEntry::now(order.customer_id, kinds::ORDER_CORRECTED, Some(caller.id()))
            .reference(id.0)
            .data(data),
    )
    .await?;
    // The reason is on the timeline; the entry keeps the order's two states, from which a
    // refused concurrent edit names what changed.
    record(
        &mut *tx,
        caller.actor(),
        Change::new("update", "order", id.0).before(&before).after(&after),
    )
    .await?;
    let counted_after = counted(OrderStatus::Placed, total, order.refunded_minor);
    settle(&mut tx, caller, &order, &customer, counted_after, &reason).await?;
    let saved = repo::order(&mut tx, id).await?;
    tx.commit().await?;
    Ok(saved)
}

/// Cancels an order the caller may see, with a reason: it no longer counts towards its
/// customer, and the points it earned are taken back (as far as they were not spent).
///
/// Errors: `Validation` (`reason`; `status` when already cancelled or refunded, or partly
/// refunded), `ChangedMeanwhile`, `NotFound`.
pub async fn cancel_order(
    state: &AppState,
    caller: &Authenticated,
    id: OrderId,
    version: i32,
    reason: &str,
) -> Result<Order, AppError> {
    let reason = validate_reason(reason)?;
    let mut tx = state.pool.begin().await?;
    let (order, customer) = lock_current(&mut tx, caller, id, version).await?;
    if order.status != OrderStatus::Placed {
        return Err(AppError::validation("status", FieldError::OrderClosed));
    }
    if order.refunded_minor > 0 {
        return Err(AppError::validation("status", FieldError::PartlyRefunded));
    }
    repo::cancel_order(&mut tx, id, &reason).await?;
    let data = serde_json::json!({
        "order_no": order.order_no,
        "total_minor": order.total_minor,
        "currency": order.currency,
        "reason": reason,
    });
    append(
        &mut *tx,
        NewEntry::now(order.customer_id, kinds::ORDER_CANCELLED, Some(caller.id()))
            .reference(id.0)
            .data(data.clone()),
    )
    .await?;
    record(&mut *tx, caller.actor(), Change::new("cancel", "order", id.0).after(&data)).await?;
    settle(&mut tx, caller, &order, &customer, 0, &reason).await?;
    let saved = repo::order(&mut tx, id).await?;
    tx.commit().await?;
    Ok(saved)
}

/// Refunds part or all of an order the caller may see, with a reason. The order counts for
/// what was not refunded; refunded in full it no longer counts at all.
///
/// Errors: `Validation` (`amount` not a positive amount or more than is left; `reason`;
/// `status` when cancelled or already fully refunded), `ChangedMeanwhile`, `NotFound`.
pub async fn refund_order(
    state: &AppState,
    caller: &Authenticated,
    id: OrderId,
    version: i32,
    amount: &str,
    reason: &str,
) -> Result<Order, AppError> {
    let amount_minor = crate::customers::model::parse_money(amount)
        .map_err(|error| AppError::validation("amount", error))?;
    let reason = validate_reason(reason)?;
    let mut tx = state.pool.begin().await?;
    let (order, customer) = lock_current(&mut tx, caller, id, version).await?;
    if order.status != OrderStatus::Placed {
        return Err(AppError::validation("status", FieldError::OrderClosed));
    }
    let left = order.total_minor - order.refunded_minor;
    if amount_minor <= 0 || amount_minor > left {
        let available = Money { minor: left, currency: order.currency.clone() };
        return Err(AppError::validation(
            "amount",
            FieldError::MoreThanRefundable { available: available.display() },
        ));
    }
    repo::refund_order(&mut tx, id, amount_minor, &reason, caller.id().0).await?;
    let data = serde_json::json!({
        "order_no": order.order_no,
        "amount_minor": amount_minor,
        "refunded_minor": order.refunded_minor + amount_minor,
        "currency": order.currency,
        "reason": reason,
    });
    append(
        &mut *tx,
        NewEntry::now(order.customer_id, kinds::ORDER_REFUNDED, Some(caller.id()))
            .reference(id.0)
            .data(data.clone()),
    )
    .await?;
    let before = serde_json::json!({ "refunded_minor": order.refunded_minor });
    record(
        &mut *tx,
        caller.actor(),
        Change::new("refund", "order", id.0).before(&before).after(&data),
    )
    .await?;
    let counted_after = if amount_minor == left { 0 } else { left - amount_minor };
    settle(&mut tx, caller, &order, &customer, counted_after, &reason).await?;
    let saved = repo::order(&mut tx, id).await?;
    tx.commit().await?;
    Ok(saved)
}

/// A product as the audit log keeps it.
pub fn audited_product(
    sku: &str,
    name: &str,
    unit_price_minor: i64,
    active: bool,
) -> serde_json::Value {
    serde_json::json!({ "sku": sku, "name": name, "unit_price_minor": unit_price_minor, "active": active })
}

/// Creates or edits a catalogue product (admins), an edit from the version the editor read.
///
/// Errors: `Validation` (`sku` taken, `name`, `unit_price`), `ChangedMeanwhile` (saved since,
/// naming who changed what), `NotFound`.
pub async fn save_product(
    state: &AppState,
    caller: &Authenticated,
    input: ProductInput,
) -> Result<ProductId, AppError> {
    let valid = input.validate()?;
    let mut tx = state.pool.begin().await?;
    let mut before_edit = None;
    let id = match input.id {
        None => {
            let settings = customers::settings(&mut *tx).await?;
            repo::insert_product(&mut *tx, &valid, &settings.default_currency).await?
        }
        Some(id) => match repo::update_product(&mut tx, id, input.version, &valid).await? {
            None => return Err(AppError::NotFound),
            Some(None) => return Err(changed_meanwhile(&mut *tx, "product", id.0).await),
            Some(Some(before)) => {
                before_edit = Some(before);
                id
            }
        },
    };
    let after = audited_product(&valid.sku, &valid.name, valid.unit_price_minor, valid.active);
    let mut change =
        Change::new(if input.id.is_some() { "update" } else { "create" }, "product", id);
    if let Some(before) = &before_edit {
        change = change.before(before);
    }
    record(&mut *tx, caller.actor(), change.after(&after)).await?;
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
