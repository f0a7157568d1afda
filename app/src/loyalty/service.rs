//! The points ledger: earning on orders, redeeming and adjusting (oldest points first),
//! expiring; membership from the ledger's sum.

use super::model::*;
use crate::{
    audit::repo::{Change, record},
    auth::server::Authenticated,
    customers::timeline::repo::{NewEntry, append},
    customers::{model::CustomerId, repo as customers},
    error::{AppError, FieldError},
    jobs::context::{JobContext, JobError},
    state::AppState,
};
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor, PgPool};

/// Timeline kind of points earned, redeemed, adjusted or expired.
pub const POINTS: &str = "points";

pub async fn settings(executor: impl PgExecutor<'_>) -> Result<LoyaltySettings, AppError> {
    let r = sqlx::query!("select points_per_hundred, expiry_days, version from loyalty_settings")
        .fetch_one(executor)
        .await?;
    Ok(LoyaltySettings {
        points_per_hundred: r.points_per_hundred,
        expiry_days: r.expiry_days,
        version: r.version,
    })
}

pub async fn levels(executor: impl PgExecutor<'_>) -> Result<Vec<Level>, AppError> {
    Ok(sqlx::query_as!(
        Level,
        "select id, name_zh, name_en, benefits_zh, benefits_en, min_points, min_spend_minor, active, version
         from membership_level order by min_points, min_spend_minor"
    )
    .fetch_all(executor)
    .await?)
}

/// The balance: the sum of the ledger.
pub async fn balance(executor: impl PgExecutor<'_>, customer: CustomerId) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar!(
        r#"select coalesce(sum(delta), 0)::bigint as "b!" from points_entry where customer_id = $1"#,
        customer.0
    )
    .fetch_one(executor)
    .await?)
}

/// Credits the points an order earns, in the order's transaction. Returns the points.
pub async fn earn_for_order(
    conn: &mut PgConnection,
    customer: CustomerId,
    order_id: i64,
    total_minor: i64,
    ordered_at: DateTime<Utc>,
) -> Result<i64, AppError> {
    let settings = settings(&mut *conn).await?;
    let points = settings.points_for(total_minor);
    if points == 0 {
        return Ok(0);
    }
    let expires_at = (settings.expiry_days > 0)
        .then(|| ordered_at + chrono::Duration::days(settings.expiry_days.into()));
    sqlx::query!(
        "insert into points_entry (customer_id, at, delta, kind, order_id, expires_at, remaining)
         values ($1, $2, $3, 'earn', $4, $5, $3)",
        customer.0,
        ordered_at as _,
        points,
        order_id,
        expires_at as _,
    )
    .execute(&mut *conn)
    .await?;
    let data = serde_json::json!({ "delta": points, "kind": "earn" });
    append(
        &mut *conn,
        NewEntry::now(customer, POINTS, None).at(ordered_at).reference(order_id).data(data),
    )
    .await?;
    Ok(points)
}

/// Adjusts what an order earned after it was corrected, cancelled or refunded, in that change's
/// transaction: `counted_before` and `counted_after` are what the order counted for (its total
/// less refunds, zero once it no longer counts). An order that stops counting gives back all
/// it earned; one that counts for more or less earns or gives back the difference at today's
/// rate. Points already spent cannot be taken back: what was short is in the answer and on the
/// timeline. Returns (points applied, points that could not be taken back).
pub async fn settle_order(
    conn: &mut PgConnection,
    customer: CustomerId,
    order_id: i64,
    counted_before: i64,
    counted_after: i64,
    reason: &str,
    by: crate::auth::model::UserId,
) -> Result<(i64, i64), AppError> {
    let settings = settings(&mut *conn).await?;
    let wanted = if counted_after == 0 {
        let credited = sqlx::query_scalar!(
            r#"select coalesce(sum(delta), 0)::bigint as "n!" from points_entry where order_id = $1"#,
            order_id
        )
        .fetch_one(&mut *conn)
        .await?;
        -credited.max(0)
    } else {
        settings.points_for(counted_after) - settings.points_for(counted_before)
    };
    if wanted == 0 {
        return Ok((0, 0));
    }
    let (applied, short) = if wanted > 0 {
        let expires_at = (settings.expiry_days > 0)
            .then(|| Utc::now() + chrono::Duration::days(settings.expiry_days.into()));
        sqlx::query!(
            "insert into points_entry (customer_id, delta, kind, reason, order_id, expires_at, remaining, created_by)
             values ($1, $2, 'adjust', $3, $4, $5, $2, $6)",
            customer.0,
            wanted,
            reason,
            order_id,
            expires_at as _,
            by.0,
        )
        .execute(&mut *conn)
        .await?;
        (wanted, 0)
    } else {
        // The order's own points first, then the oldest.
        let taken = take_from_lots(conn, customer, -wanted, Some(order_id)).await?;
        let left = -wanted - taken;
        if taken > 0 {
            sqlx::query!(
                "insert into points_entry (customer_id, delta, kind, reason, order_id, created_by)
                 values ($1, $2, 'adjust', $3, $4, $5)",
                customer.0,
                -taken,
                reason,
                order_id,
                by.0,
            )
            .execute(&mut *conn)
            .await?;
        }
        (-taken, left)
    };
    let data =
        serde_json::json!({ "delta": applied, "kind": "adjust", "reason": reason, "short": short });
    append(&mut *conn, NewEntry::now(customer, POINTS, Some(by)).reference(order_id).data(data))
        .await?;
    Ok((applied, short))
}

/// Takes `points` from the customer's oldest unexpired lots. Locks the lots; refuses when they
/// hold fewer.
async fn consume(
    conn: &mut PgConnection,
    customer: CustomerId,
    points: i64,
) -> Result<(), AppError> {
    let taken = take_from_lots(conn, customer, points, None).await?;
    if taken < points {
        // What was taken goes back with the caller's transaction.
        return Err(AppError::validation(
            "points",
            FieldError::NotEnoughPoints { available: taken },
        ));
    }
    Ok(())
}

/// Takes up to `points` from the customer's unexpired lots, those earned by `first_from_order`
/// first, then the oldest; locks the lots it reads. Returns what it took.
async fn take_from_lots(
    conn: &mut PgConnection,
    customer: CustomerId,
    points: i64,
    first_from_order: Option<i64>,
) -> Result<i64, AppError> {
    let lots = sqlx::query!(
        "select id, remaining as \"remaining!\" from points_entry
         where customer_id = $1 and remaining > 0 and (expires_at is null or expires_at > now())
         order by coalesce(order_id = $2, false) desc, at, id for update",
        customer.0,
        first_from_order,
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut left = points;
    for lot in lots {
        if left == 0 {
            break;
        }
        let take = left.min(lot.remaining);
        sqlx::query!(
            "update points_entry set remaining = remaining - $2 where id = $1",
            lot.id,
            take
        )
        .execute(&mut *conn)
        .await?;
        left -= take;
    }
    Ok(points - left)
}

/// Redeems points (a member spends them on a benefit).
///
/// Errors: `Validation` (`points` not positive or more than available; `reason` required),
/// `NotFound` (customer out of scope).
pub async fn redeem(
    state: &AppState,
    caller: &Authenticated,
    customer: CustomerId,
    points: i64,
    reason: &str,
) -> Result<i64, AppError> {
    if points <= 0 {
        return Err(AppError::validation(
            "points",
            FieldError::OutOfRange { min: 1, max: i64::MAX },
        ));
    }
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::validation("reason", FieldError::Required));
    }
    let scope = caller.scope.visible_owners();
    let mut tx = state.pool.begin().await?;
    customers::lock(&mut tx, customer, scope.as_deref()).await?.ok_or(AppError::NotFound)?;
    consume(&mut tx, customer, points).await?;
    sqlx::query!(
        "insert into points_entry (customer_id, delta, kind, reason, created_by) values ($1, $2, 'redeem', $3, $4)",
        customer.0,
        -points,
        reason,
        caller.id().0
    )
    .execute(&mut *tx)
    .await?;
    let data = serde_json::json!({ "delta": -points, "kind": "redeem", "reason": reason });
    append(&mut *tx, NewEntry::now(customer, POINTS, Some(caller.id())).data(data.clone())).await?;
    record(&mut *tx, caller.actor(), Change::new("redeem", "points", customer).after(&data))
        .await?;
    let balance = balance(&mut *tx, customer).await?;
    tx.commit().await?;
    Ok(balance)
}

/// Adds or removes points by hand, with a reason (goodwill, corrections).
///
/// Errors: `Validation` (`points` zero or removing more than available, `reason` required),
/// `NotFound`.
/// The largest number of points one adjustment may add or take.
pub const MAX_ADJUSTMENT: i64 = 100_000_000;

pub async fn adjust(
    state: &AppState,
    caller: &Authenticated,
    customer: CustomerId,
    delta: i64,
    reason: &str,
) -> Result<i64, AppError> {
    let reason = reason.trim();
    if delta == 0 {
        return Err(AppError::validation("points", FieldError::Required));
    }
    // Far beyond any real adjustment, and far from where balances would overflow.
    if !(-MAX_ADJUSTMENT..=MAX_ADJUSTMENT).contains(&delta) {
        return Err(AppError::validation(
            "points",
            FieldError::OutOfRange { min: -MAX_ADJUSTMENT, max: MAX_ADJUSTMENT },
        ));
    }
    if reason.is_empty() {
        return Err(AppError::validation("reason", FieldError::Required));
    }
    let scope = caller.scope.visible_owners();
    let mut tx = state.pool.begin().await?;
    customers::lock(&mut tx, customer, scope.as_deref()).await?.ok_or(AppError::NotFound)?;
    if delta < 0 {
        consume(&mut tx, customer, -delta).await?;
    }
    sqlx::query!(
        "insert into points_entry (customer_id, delta, kind, reason, remaining, created_by)
         values ($1, $2::bigint, 'adjust', $3, case when $2::bigint > 0 then $2::bigint end, $4)",
        customer.0,
        delta,
        reason,
        caller.id().0
    )
    .execute(&mut *tx)
    .await?;
    let data = serde_json::json!({ "delta": delta, "kind": "adjust", "reason": reason });
    append(&mut *tx, NewEntry::now(customer, POINTS, Some(caller.id())).data(data.clone())).await?;
    record(&mut *tx, caller.actor(), Change::new("adjust", "points", customer).after(&data))
        .await?;
    let balance = balance(&mut *tx, customer).await?;
    tx.commit().await?;
    Ok(balance)
}

/// Expires every lot past its date: one `expire` entry per lot for what remained. Returns the
/// number of lots expired.
pub async fn expire_due(conn: &mut PgConnection, limit: i64) -> Result<u64, AppError> {
    let lots = sqlx::query!(
        "select id, customer_id, remaining as \"remaining!\" from points_entry
         where remaining > 0 and expires_at <= now()
         order by expires_at limit $1 for update skip locked",
        limit
    )
    .fetch_all(&mut *conn)
    .await?;
    for lot in &lots {
        sqlx::query!("update points_entry set remaining = 0 where id = $1", lot.id)
            .execute(&mut *conn)
            .await?;
        sqlx::query!(
            "insert into points_entry (customer_id, delta, kind, reason) values ($1, $2, 'expire', $3)",
            lot.customer_id,
            -lot.remaining,
            format!("lot {}", lot.id),
        )
        .execute(&mut *conn)
        .await?;
        let data = serde_json::json!({ "delta": -lot.remaining, "kind": "expire" });
        append(&mut *conn, NewEntry::now(CustomerId(lot.customer_id), POINTS, None).data(data))
            .await?;
    }
    Ok(lots.len() as u64)
}

/// The daily job: expires due points in batches.
pub async fn expire(mut ctx: JobContext) -> Result<(), JobError> {
    let pool = ctx.state.pool.clone();
    let mut done = 0;
    loop {
        let mut tx = pool.begin().await?;
        let n = expire_due(&mut tx, 500).await?;
        tx.commit().await?;
        done += n as i64;
        ctx.progress(done, None, None).await?;
        if n < 500 {
            return Ok(());
        }
    }
}

/// A customer's balance, level, next level and recent ledger.
///
/// Errors: `NotFound` (out of scope).
pub async fn membership(
    pool: &PgPool,
    customer: CustomerId,
    visible_owners: Option<&[i64]>,
) -> Result<Membership, AppError> {
    if !customers::visible(pool, customer, visible_owners).await? {
        return Err(AppError::NotFound);
    }
    let balance = balance(pool, customer).await?;
    let spend =
        sqlx::query_scalar!("select total_spend_minor from customer where id = $1", customer.0)
            .fetch_one(pool)
            .await?;
    let levels = levels(pool).await?;
    let level = level_for(&levels, balance, spend).cloned();
    let next = levels
        .iter()
        .filter(|l| {
            l.active && l.min_points > balance && Some(l.id) != level.as_ref().map(|l| l.id)
        })
        .filter(|l| {
            level.as_ref().is_none_or(|current| {
                (l.min_points, l.min_spend_minor) > (current.min_points, current.min_spend_minor)
            })
        })
        .min_by_key(|l| l.min_points)
        .map(|l| (l.clone(), l.min_points - balance));
    let expiring_soon = sqlx::query_scalar!(
        r#"select coalesce(sum(remaining), 0)::bigint as "n!" from points_entry
           where customer_id = $1 and remaining > 0 and expires_at <= now() + interval '30 days'"#,
        customer.0
    )
    .fetch_one(pool)
    .await?;
    let entries = sqlx::query!(
        r#"select p.id, p.at as "at: DateTime<Utc>", p.delta, p.kind, p.reason, p.order_id,
                  p.expires_at as "expires_at: DateTime<Utc>", u.display_name as "by_name?"
           from points_entry p left join app_user u on u.id = p.created_by
           where p.customer_id = $1 order by p.at desc, p.id desc limit 20"#,
        customer.0
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| PointsEntry {
        id: r.id,
        at: r.at,
        delta: r.delta,
        kind: r.kind,
        reason: r.reason,
        order_id: r.order_id,
        expires_at: r.expires_at,
        by_name: r.by_name,
    })
    .collect();
    Ok(Membership { balance, level, next, expiring_soon, entries })
}

/// Saves the earning rate and expiry.
///
/// Errors: `Validation`, `Conflict`.
pub async fn save_settings(
    state: &AppState,
    caller: &Authenticated,
    settings: &LoyaltySettings,
) -> Result<(), AppError> {
    settings.validate()?;
    let mut tx = state.pool.begin().await?;
    let done = sqlx::query!(
        "update loyalty_settings set points_per_hundred = $1, expiry_days = $2, version = version + 1,
                updated_at = now(), updated_by = $3 where version = $4",
        settings.points_per_hundred,
        settings.expiry_days,
        caller.id().0,
        settings.version
    )
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::Conflict);
    }
    record(&mut *tx, caller.actor(), Change::new("update", "loyalty_settings", 1).after(settings))
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Creates or updates a membership level.
///
/// Errors: `Validation` (names, thresholds), `Conflict`.
pub async fn save_level(
    state: &AppState,
    caller: &Authenticated,
    level: &Level,
) -> Result<i64, AppError> {
    let mut errors = crate::error::FieldErrors::new();
    for (name, value) in [("name_zh", &level.name_zh), ("name_en", &level.name_en)] {
        if value.trim().is_empty() {
            errors.add(name, FieldError::Required);
        }
    }
    if level.min_points < 0 {
        errors.add("min_points", FieldError::OutOfRange { min: 0, max: i64::MAX });
    }
    if level.min_spend_minor < 0 {
        errors.add("min_spend", FieldError::OutOfRange { min: 0, max: i64::MAX });
    }
    errors.into_result()?;
    let mut tx = state.pool.begin().await?;
    let id = if level.id == 0 {
        sqlx::query_scalar!(
            "insert into membership_level (name_zh, name_en, benefits_zh, benefits_en, min_points, min_spend_minor, active)
             values ($1, $2, $3, $4, $5, $6, $7) returning id",
            level.name_zh.trim(), level.name_en.trim(), level.benefits_zh.trim(), level.benefits_en.trim(),
            level.min_points, level.min_spend_minor, level.active
        )
        .fetch_one(&mut *tx)
        .await?
    } else {
        sqlx::query_scalar!(
            "update membership_level set name_zh = $3, name_en = $4, benefits_zh = $5, benefits_en = $6,
                    min_points = $7, min_spend_minor = $8, active = $9, version = version + 1, updated_at = now()
             where id = $1 and version = $2 returning id",
            level.id, level.version, level.name_zh.trim(), level.name_en.trim(), level.benefits_zh.trim(),
            level.benefits_en.trim(), level.min_points, level.min_spend_minor, level.active
        )
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::Conflict)?
    };
    record(&mut *tx, caller.actor(), Change::new("save", "membership_level", id).after(level))
        .await?;
    tx.commit().await?;
    Ok(id)
}
