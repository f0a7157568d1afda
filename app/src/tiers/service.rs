//! RFM scoring, tier assignment with explanations, previews, overrides; the one function other
//! domains use to read a customer's tier.

use super::{
    model::*,
    rule::{self, Expr, Facts, Metric},
};
use crate::{
    audit::repo::{Change, record},
    auth::server::Authenticated,
    customers::model::{CustomerId, LifecycleStage, lifecycle_stage},
    customers::timeline::repo::{NewEntry, append},
    error::{AppError, FieldError},
    jobs::context::{JobContext, JobError},
    state::AppState,
};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgExecutor, PgPool, Postgres, QueryBuilder};

/// Timeline kind of a tier move.
pub const TIER_CHANGED: &str = "tier_changed";

/// The active tiers in order, with their parsed rules.
pub async fn tiers(executor: impl PgExecutor<'_>) -> Result<Vec<(Tier, Option<Expr>)>, AppError> {
    let rows = sqlx::query!(
        "select id, position, name_zh, name_en, color, rule from tier where active order by position"
    )
    .fetch_all(executor)
    .await?;
    rows.into_iter()
        .map(|r| {
            let parsed = rule::parse(&r.rule).map_err(|e| {
                AppError::internal(format_args!("stored rule does not parse: {e:?}"))
            })?;
            Ok((
                Tier {
                    id: TierId(r.id),
                    position: r.position,
                    name_zh: r.name_zh,
                    name_en: r.name_en,
                    color: r.color,
                    rule: r.rule,
                },
                parsed,
            ))
        })
        .collect()
}

pub async fn settings(executor: impl PgExecutor<'_>) -> Result<TierSettings, AppError> {
    let r =
        sqlx::query!("select window_days, version from tier_settings").fetch_one(executor).await?;
    Ok(TierSettings { window_days: r.window_days, version: r.version })
}

/// The SQL of a rule over `s` (customer_score) and `c` (customer), with its values bound.
fn push_rule(
    query: &mut QueryBuilder<'_, Postgres>,
    expr: &Expr,
    loyal_orders: i32,
    loyal_span: i32,
) {
    match expr {
        Expr::And(a, b) | Expr::Or(a, b) => {
            query.push("(");
            push_rule(query, a, loyal_orders, loyal_span);
            query.push(if matches!(expr, Expr::And(..)) { " and " } else { " or " });
            push_rule(query, b, loyal_orders, loyal_span);
            query.push(")");
        }
        Expr::Not(a) => {
            query.push("not (");
            push_rule(query, a, loyal_orders, loyal_span);
            query.push(")");
        }
        Expr::Compare(metric, op, n) => {
            let column = match metric {
                Metric::R => "s.r::float8",
                Metric::F => "s.f::float8",
                Metric::M => "s.m::float8",
                Metric::Spend => "(c.total_spend_minor / 100.0)::float8",
                Metric::Orders => "c.order_count::float8",
            };
            query.push(format!("{column} {} ", op.sql())).push_bind(*n);
        }
        Expr::HasTag(tag) => {
            query.push("c.tags @> array[").push_bind(tag.clone()).push("]::text[]");
        }
        Expr::Stage(stage) => {
            let loyal = |q: &mut QueryBuilder<'_, Postgres>| {
                q.push("(c.order_count >= ")
                    .push_bind(loyal_orders)
                    .push(" and c.last_order_at - c.first_order_at >= make_interval(days => ")
                    .push_bind(loyal_span)
                    .push("))");
            };
            match stage {
                LifecycleStage::Potential => {
                    query.push("c.order_count = 0");
                }
                LifecycleStage::New => {
                    query.push("c.order_count = 1");
                }
                LifecycleStage::Repeat => {
                    query.push("(c.order_count >= 2 and not ");
                    loyal(query);
                    query.push(")");
                }
                LifecycleStage::Loyal => loyal(query),
            }
        }
    }
}

/// `case when <rule 1> then <tier 1> ... else <last tier> end`: the computed tier in SQL.
fn push_assignment(
    query: &mut QueryBuilder<'_, Postgres>,
    tiers: &[(Tier, Option<Expr>)],
    loyal_orders: i32,
    loyal_span: i32,
) {
    query.push("case");
    for (tier, rule) in tiers {
        match rule {
            Some(rule) => {
                query.push(" when ");
                push_rule(query, rule, loyal_orders, loyal_span);
                query.push(" then ").push_bind(tier.id.0);
            }
            None => {
                query.push(" when true then ").push_bind(tier.id.0);
            }
        }
    }
    query.push(" end");
}

/// The jsonb of the values a tier's rule reads, for each tier: the "because" of a move.
fn push_because(
    query: &mut QueryBuilder<'_, Postgres>,
    tiers: &[(Tier, Option<Expr>)],
    tier_column: &str,
) {
    query.push(format!("case {tier_column}"));
    for (tier, rule) in tiers {
        let metrics = rule.as_ref().map(Expr::metrics).unwrap_or_default();
        query.push(" when ").push_bind(tier.id.0).push(" then jsonb_build_object(");
        for (n, metric) in metrics.iter().enumerate() {
            if n > 0 {
                query.push(", ");
            }
            let value = match metric {
                Metric::R => "s.r",
                Metric::F => "s.f",
                Metric::M => "s.m",
                Metric::Spend => "c.total_spend_minor / 100",
                Metric::Orders => "c.order_count",
            };
            query.push(format!("'{}', {value}", metric.label()));
        }
        query.push(")");
    }
    query.push(" else '{}'::jsonb end");
}

/// The CTE `raw`: the RFM values of the live customers whose id satisfies `ids` (a condition
/// on an id, e.g. `between 1 and 50000`): days since the last order ever, and the count and sum
/// of the orders of the last `window` days that still count (placed, less refunds), all counted
/// in the company's days.
fn raw_values(window: &str, ids: &str) -> String {
    format!(
        "raw as (
            select c.id, c.total_spend_minor, c.order_count, c.tags, c.first_order_at, c.last_order_at,
                   case when c.last_order_at is null then null
                        else (now() at time zone company_time_zone())::date
                             - (c.last_order_at at time zone company_time_zone())::date
                   end as recency_days,
                   coalesce(w.n, 0)::int as frequency,
                   coalesce(w.total, 0)::bigint as monetary
            from customer c
            left join (
                select customer_id, count(*) as n, sum(total_minor - refunded_minor) as total
                from sales_order
                where status = 'placed' and ordered_at >= (((now() at time zone company_time_zone())::date - {window})
                                     ::timestamp at time zone company_time_zone())
                  and customer_id {ids}
                group by customer_id
            ) w on w.customer_id = c.id
            where c.deleted_at is null and c.id {ids}
        )"
    )
}

/// Computes the quantile cut points of R, F and M over every live customer and stores them.
///
/// A customer's score is `ceil(5 × cume_dist)` of its value among the customers with something
/// to score, so equal values always get equal scores and a better value never scores lower.
/// The cut point of score k is the least value (the largest for recency, where fewer days is
/// better) that earns at least k, or null where nobody does. Grading then compares each
/// customer's value with five numbers instead of ranking a million rows again, and one
/// customer's new order is scored on the same scale. Values are grouped before ranking: there
/// are far fewer distinct values than customers.
pub async fn compute_cut_points(conn: &mut PgConnection, window_days: i32) -> Result<(), AppError> {
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    // The groupings of a million customers fit in memory instead of spilling to disk.
    sqlx::query("set local work_mem = '256MB'").execute(&mut *tx).await?;
    let cut = |k: u8| {
        format!(
            "case when metric = 'r' then max(v) filter (where score >= {k})
                  else min(v) filter (where score >= {k}) end"
        )
    };
    let sql = format!(
        "with {raw},
        r as (select recency_days as v, count(*) as n from raw where recency_days is not null group by 1),
        f as (select frequency as v, count(*) as n from raw where frequency > 0 group by 1),
        m as (select monetary as v, count(*) as n from raw where monetary > 0 group by 1),
        scored as (
            select 'r' as metric, v::float8 as v,
                   ceil(5 * sum(n) over (order by v desc) / sum(n) over ())::int as score from r
            union all
            select 'f', v::float8, ceil(5 * sum(n) over (order by v) / sum(n) over ())::int from f
            union all
            select 'm', v::float8, ceil(5 * sum(n) over (order by v) / sum(n) over ())::int from m
        ),
        metrics as (select unnest(array['r', 'f', 'm']) as metric)
        insert into rfm_breakpoints (metric, cuts, computed_at)
        select metric, array[{c1}, {c2}, {c3}, {c4}, {c5}]::float8[], now()
        from metrics left join scored using (metric)
        group by metric
        on conflict (metric) do update set cuts = excluded.cuts, computed_at = excluded.computed_at",
        raw = raw_values("$1", &format!("between 1 and {}", i64::MAX)),
        c1 = cut(1),
        c2 = cut(2),
        c3 = cut(3),
        c4 = cut(4),
        c5 = cut(5),
    );
    sqlx::query(&sql).bind(window_days).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// `case when <nothing> then 0 when v >= cut5 then 5 ... else 1 end` (`<=` where lower values
/// are better): a value's score on the stored cut points; 1 while there are none yet.
fn score_sql(value: &str, cuts: &str, lower_is_better: bool, nothing: &str) -> String {
    let op = if lower_is_better { "<=" } else { ">=" };
    let mut sql = format!("(case when {nothing} then 0");
    for k in (1..=5).rev() {
        sql.push_str(&format!(" when {value} {op} {cuts}[{k}] then {k}"));
    }
    sql.push_str(" else 1 end)::smallint");
    sql
}

/// Which customers a grading covers.
#[derive(Clone, Copy, Debug)]
pub enum Graded<'a> {
    /// Ids `from..=to` (the nightly recompute, a range at a time).
    Range(i64, i64),
    /// These ids (the customers an import or a revert changed).
    Ids(&'a [i64]),
}

/// Scores and grades the live customers with ids in `from..=to` on the stored cut points,
/// writing only the rows that changed. A move from one tier to another is recorded in
/// `tier_change` and on the customer's timeline with the values that decided it; a customer's
/// first grading is not a move. Returns the number of moves.
pub async fn grade_range(
    conn: &mut PgConnection,
    tiers: &[(Tier, Option<Expr>)],
    window_days: i32,
    from: i64,
    to: i64,
) -> Result<u64, AppError> {
    grade(conn, tiers, window_days, Graded::Range(from, to)).await
}

/// `grade_range` for any set of customers.
pub async fn grade(
    conn: &mut PgConnection,
    tiers: &[(Tier, Option<Expr>)],
    window_days: i32,
    which: Graded<'_>,
) -> Result<u64, AppError> {
    let customers = crate::customers::repo::settings(&mut *conn).await?;
    let mut query = QueryBuilder::new("with params as (select ");
    query.push_bind(window_days).push("::int as window_days, ");
    let ids = match which {
        Graded::Range(from, to) => {
            query
                .push_bind(from)
                .push("::bigint as from_id, ")
                .push_bind(to)
                .push("::bigint as to_id), ");
            "between (select from_id from params) and (select to_id from params)"
        }
        Graded::Ids(ids) => {
            query.push_bind(ids.to_vec()).push("::bigint[] as ids), ");
            "= any((select ids from params)::bigint[])"
        }
    };
    query.push(raw_values("(select window_days from params)", ids));
    query.push(format!(
        ", cuts as (
            select (select cuts from rfm_breakpoints where metric = 'r') as r,
                   (select cuts from rfm_breakpoints where metric = 'f') as f,
                   (select cuts from rfm_breakpoints where metric = 'm') as m
        ),
        scored as (
            select raw.*, {r} as r, {f} as f, {m} as m from raw cross join cuts
        ),
        graded as (
            select c.id, c.recency_days, c.frequency, c.monetary, c.r, c.f, c.m,
                   c.total_spend_minor, c.order_count, ",
        r = score_sql("raw.recency_days", "cuts.r", true, "raw.recency_days is null"),
        f = score_sql("raw.frequency", "cuts.f", false, "raw.frequency = 0"),
        m = score_sql("raw.monetary", "cuts.m", false, "raw.monetary = 0"),
    ));
    push_assignment(&mut query, tiers, customers.loyal_min_orders, customers.loyal_min_span_days);
    // Rules read scores as `s.*` and customer columns as `c.*`; here both live on one row.
    query.push(format!(
        " as new
            from scored c cross join lateral (select c.r, c.f, c.m) s
        ),
        old as (
            select customer_id, computed_tier_id from customer_score
            where customer_id {ids}
        ),
        written as (
            insert into customer_score (customer_id, recency_days, frequency, monetary_minor,
                                        r, f, m, computed_tier_id, computed_at)
            select id, recency_days, frequency, monetary, r, f, m, new, now() from graded
            on conflict (customer_id) do update set
                recency_days = excluded.recency_days, frequency = excluded.frequency,
                monetary_minor = excluded.monetary_minor, r = excluded.r, f = excluded.f,
                m = excluded.m, computed_tier_id = excluded.computed_tier_id,
                computed_at = excluded.computed_at
            where (customer_score.recency_days, customer_score.frequency,
                   customer_score.monetary_minor, customer_score.r, customer_score.f,
                   customer_score.m, customer_score.computed_tier_id)
                  is distinct from
                  (excluded.recency_days, excluded.frequency, excluded.monetary_minor,
                   excluded.r, excluded.f, excluded.m, excluded.computed_tier_id)
        ),
        moved as (
            select g.*, o.computed_tier_id as old from graded g join old o on o.customer_id = g.id
            where o.computed_tier_id is not null and o.computed_tier_id is distinct from g.new
        ),
        changes as (
            insert into tier_change (customer_id, from_tier_id, to_tier_id)
            select id, old, new from moved
        )
        insert into timeline_event (customer_id, at, kind, data)
        select s.id, now(), "
    ));
    query.push_bind(TIER_CHANGED).push(
        ", jsonb_build_object('from', s.old, 'to', s.new, 'from_zh', ft.name_zh,
            'from_en', ft.name_en, 'to_zh', tt.name_zh, 'to_en', tt.name_en, 'because', ",
    );
    push_because(&mut query, tiers, "s.new");
    query.push(
        ") from moved s cross join lateral (select s.total_spend_minor, s.order_count) c
           left join tier ft on ft.id = s.old left join tier tt on tt.id = s.new",
    );
    Ok(query.build().execute(&mut *conn).await?.rows_affected())
}

/// Computes the cut points and grades every customer in one go (the demo data, tests).
pub async fn grade_everyone(conn: &mut PgConnection) -> Result<u64, AppError> {
    let window = settings(&mut *conn).await?.window_days;
    compute_cut_points(&mut *conn, window).await?;
    let tiers = tiers(&mut *conn).await?;
    grade_range(conn, &tiers, window, 1, i64::MAX).await
}

/// The job: computes the cut points, then grades customers in id ranges with progress and a
/// checkpoint after each, so a restarted job resumes where it stopped.
pub async fn recompute(mut ctx: JobContext) -> Result<(), JobError> {
    let pool = ctx.state.pool.clone();
    // One recompute at a time: a second one waits here, then grades with the rules in force
    // when it goes on, so the newest rules are always the last applied. The lock belongs to a
    // connection taken out of the pool, so it ends when that closes (or the process dies).
    let mut lock = pool.acquire().await?.detach();
    sqlx::query!("select pg_advisory_lock(hashtextextended('guanxi tier recompute', 0))")
        .execute(&mut lock)
        .await?;
    let outcome = recompute_holding_lock(&mut ctx, &pool).await;
    let _ = sqlx::Connection::close(lock).await;
    outcome
}

async fn recompute_holding_lock(ctx: &mut JobContext, pool: &PgPool) -> Result<(), JobError> {
    let pool = pool.clone();
    const RANGE: i64 = 50_000;
    let resume: Option<i64> = ctx.checkpoint();
    let max_id: i64 = sqlx::query_scalar!(r#"select coalesce(max(id), 0) as "m!" from customer"#)
        .fetch_one(&pool)
        .await?;
    let steps = max_id / RANGE + 2;
    let window = settings(&pool).await?.window_days;
    crate::db::analyze_if_stale(&pool, &["customer", "sales_order"]).await?;
    if resume.is_none() {
        let mut conn = pool.acquire().await?;
        compute_cut_points(&mut conn, window).await?;
        ctx.progress(1, Some(steps), Some(serde_json::json!(0))).await?;
    }
    let tiers = tiers(&pool).await?;
    let mut from = resume.unwrap_or(0) + 1;
    while from <= max_id {
        let to = from + RANGE - 1;
        let mut tx = pool.begin().await?;
        grade_range(&mut tx, &tiers, window, from, to).await?;
        tx.commit().await?;
        ctx.progress(to / RANGE + 1, Some(steps), Some(serde_json::json!(to))).await?;
        from = to + 1;
    }
    ctx.progress(steps, Some(steps), None).await?;
    Ok(())
}

/// The tier in force for a customer (override while it applies, else computed). The one
/// function other domains use (e.g. the service desk's SLA).
pub async fn tier_of(
    executor: impl PgExecutor<'_>,
    customer: CustomerId,
) -> Result<Option<Tier>, AppError> {
    let row = sqlx::query!(
        r#"
        select t.id, t.position, t.name_zh, t.name_en, t.color, t.rule
        from customer_score s
        join tier t on t.id = tier_in_force(s.computed_tier_id, s.override_tier_id, s.override_until)
        where s.customer_id = $1
        "#,
        customer.0
    )
    .fetch_optional(executor)
    .await?;
    Ok(row.map(|r| Tier {
        id: TierId(r.id),
        position: r.position,
        name_zh: r.name_zh,
        name_en: r.name_en,
        color: r.color,
        rule: r.rule,
    }))
}

/// Scores one customer on the scale of the last full computation and grades it (after an order
/// or a merge), recording a move like the full recompute does.
pub async fn rescore_one(conn: &mut PgConnection, customer: CustomerId) -> Result<(), AppError> {
    let window = settings(&mut *conn).await?.window_days;
    let tiers = tiers(&mut *conn).await?;
    grade_range(conn, &tiers, window, customer.0, customer.0).await?;
    Ok(())
}

/// The `tier_rescore` job: rescores each customer of the payload in its own transaction and tells
/// the pages showing it. A customer merged away since is simply graded as it stands.
pub async fn rescore(ctx: JobContext) -> Result<(), JobError> {
    #[derive(serde::Deserialize)]
    struct Payload {
        customers: Vec<i64>,
    }
    let payload: Payload = ctx.payload()?;
    for id in payload.customers {
        let mut tx = ctx.state.pool.begin().await?;
        rescore_one(&mut tx, CustomerId(id)).await?;
        let event = crate::customers::service::customer_event(&mut tx, CustomerId(id)).await?;
        crate::events::publish(&mut *tx, &event).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// A customer's tier, scores and explanation, if the caller may see the customer.
pub async fn customer_tier(
    pool: &PgPool,
    customer: CustomerId,
    visible_owners: Option<&[i64]>,
) -> Result<CustomerTier, AppError> {
    if !crate::customers::repo::visible(pool, customer, visible_owners).await? {
        return Err(AppError::NotFound);
    }
    let tiers = tiers(pool).await?;
    let row = sqlx::query!(
        r#"
        select s.recency_days, s.frequency as "frequency?", s.monetary_minor as "monetary_minor?",
               s.r as "r?", s.f as "f?", s.m as "m?", s.computed_tier_id,
               s.override_tier_id, s.override_reason, s.override_until as "override_until: NaiveDate",
               u.display_name as "override_by?", s.computed_at as "computed_at?: DateTime<Utc>",
               c.total_spend_minor, c.order_count, c.tags,
               c.first_order_at as "first: DateTime<Utc>", c.last_order_at as "last: DateTime<Utc>",
               (now() at time zone company_time_zone())::date as "today!: NaiveDate"
        from customer c
        left join customer_score s on s.customer_id = c.id
        left join app_user u on u.id = s.override_by
        where c.id = $1
        "#,
        customer.0
    )
    .fetch_one(pool)
    .await?;
    let find =
        |id: Option<i64>| tiers.iter().find(|(t, _)| Some(t.id.0) == id).map(|(t, _)| t.clone());
    let computed = find(row.computed_tier_id);
    let override_ = row.override_tier_id.map(|id| Override {
        tier_id: TierId(id),
        reason: row.override_reason.clone().unwrap_or_default(),
        until: row.override_until,
        by_name: row.override_by.clone(),
    });
    let today = row.today;
    let tier = match &override_ {
        Some(o) if o.applies(today) => find(Some(o.tier_id.0)),
        _ => computed.clone(),
    };
    let settings = crate::customers::repo::settings_once_per_request(pool).await?;
    let facts = Facts {
        r: row.r.unwrap_or(0),
        f: row.f.unwrap_or(0),
        m: row.m.unwrap_or(0),
        spend_minor: row.total_spend_minor,
        orders: row.order_count,
        stage: Some(lifecycle_stage(row.order_count, row.first, row.last, &settings)),
        tags: row.tags.clone(),
    };
    let rule = computed
        .as_ref()
        .and_then(|c| tiers.iter().find(|(t, _)| t.id == c.id))
        .and_then(|(_, r)| r.as_ref());
    Ok(CustomerTier {
        customer_id: customer,
        tier,
        computed,
        override_,
        scores: Scores {
            recency_days: row.recency_days,
            frequency: row.frequency.unwrap_or(0),
            monetary_minor: row.monetary_minor.unwrap_or(0),
            r: row.r.unwrap_or(0),
            f: row.f.unwrap_or(0),
            m: row.m.unwrap_or(0),
        },
        because: rule::explain(rule, &facts),
        computed_at: row.computed_at,
        choices: tiers.into_iter().map(|(tier, _)| tier).collect(),
    })
}

/// Sets or (with `tier` = `None`) clears a manual tier for a customer in the caller's scope.
///
/// Errors: `Validation` (`reason` required, `tier_id` unknown), `NotFound`.
pub async fn set_override(
    state: &AppState,
    caller: &Authenticated,
    customer: CustomerId,
    tier: Option<TierId>,
    reason: &str,
    until: Option<NaiveDate>,
) -> Result<(), AppError> {
    let reason = reason.trim();
    if tier.is_some() && reason.is_empty() {
        return Err(AppError::validation("reason", FieldError::Required));
    }
    let scope = caller.scope.visible_owners();
    let mut tx = state.pool.begin().await?;
    crate::customers::repo::lock(&mut tx, customer, scope.as_deref())
        .await?
        .ok_or(AppError::NotFound)?;
    let mut names = (None, None);
    if let Some(tier) = tier {
        let found =
            sqlx::query!("select name_zh, name_en from tier where id = $1 and active", tier.0)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| AppError::validation("tier_id", FieldError::UnknownReference))?;
        names = (Some(found.name_zh), Some(found.name_en));
    }
    sqlx::query!(
        "insert into customer_score (customer_id, override_tier_id, override_reason, override_until, override_by)
         values ($1, $2, $3, $4, $5)
         on conflict (customer_id) do update set override_tier_id = excluded.override_tier_id,
             override_reason = excluded.override_reason, override_until = excluded.override_until,
             override_by = excluded.override_by",
        customer.0,
        tier.map(|t| t.0),
        tier.map(|_| reason.to_owned()),
        until as _,
        caller.id().0,
    )
    .execute(&mut *tx)
    .await?;
    let data = serde_json::json!({
        "override": tier.map(|t| t.0), "reason": reason, "until": until, "to_zh": names.0, "to_en": names.1,
    });
    append(&mut *tx, NewEntry::now(customer, TIER_CHANGED, Some(caller.id())).data(data.clone()))
        .await?;
    record(
        &mut *tx,
        caller.actor(),
        Change::new("tier_override", "customer", customer).after(&data),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What a rule change would do: counts per tier now and after, moves up and down, samples.
/// Reads the stored scores; nothing is written.
pub async fn preview(
    pool: &PgPool,
    proposed: &[(Tier, Option<Expr>)],
) -> Result<Preview, AppError> {
    let current = tiers(pool).await?;
    let customers = crate::customers::repo::settings(pool).await?;
    let position_of = |id: Option<i64>, list: &[(Tier, Option<Expr>)]| {
        list.iter().find(|(t, _)| Some(t.id.0) == id).map(|(t, _)| t.position)
    };
    let mut query = QueryBuilder::new("select s.computed_tier_id as old, ");
    push_assignment(
        &mut query,
        proposed,
        customers.loyal_min_orders,
        customers.loyal_min_span_days,
    );
    query.push(" as new, count(*) as n from customer_score s join customer c on c.id = s.customer_id and c.deleted_at is null group by 1, 2");
    let rows: Vec<(Option<i64>, i64, i64)> = query.build_query_as().fetch_all(pool).await?;

    let mut preview = Preview::default();
    for (tier, _) in proposed {
        let now: i64 = rows
            .iter()
            .filter(|(old, _, _)| position_of(*old, &current) == Some(tier.position))
            .map(|r| r.2)
            .sum();
        let after: i64 = rows.iter().filter(|(_, new, _)| *new == tier.id.0).map(|r| r.2).sum();
        preview.counts.push((tier.position, now, after));
    }
    for (old, new, n) in &rows {
        let (from, to) = (position_of(*old, &current), position_of(Some(*new), proposed));
        match (from, to) {
            (Some(from), Some(to)) if to < from => preview.moving_up += n,
            (Some(from), Some(to)) if to > from => preview.moving_down += n,
            _ => {}
        }
    }
    // A few customers who would move, with the values that would decide it.
    let mut sample = QueryBuilder::new(
        "select c.id, c.name, s.computed_tier_id, x.new, s.r, s.f, s.m, c.total_spend_minor, c.order_count from customer_score s join customer c on c.id = s.customer_id and c.deleted_at is null cross join lateral (select ",
    );
    push_assignment(
        &mut sample,
        proposed,
        customers.loyal_min_orders,
        customers.loyal_min_span_days,
    );
    sample.push(" as new) x where x.new is distinct from s.computed_tier_id limit 8");
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        name: String,
        computed_tier_id: Option<i64>,
        new: i64,
        r: i16,
        f: i16,
        m: i16,
        total_spend_minor: i64,
        order_count: i32,
    }
    let movers: Vec<Row> = sample.build_query_as().fetch_all(pool).await?;
    for row in movers {
        let facts = Facts {
            r: row.r,
            f: row.f,
            m: row.m,
            spend_minor: row.total_spend_minor,
            orders: row.order_count,
            ..Default::default()
        };
        let rule = proposed.iter().find(|(t, _)| t.id.0 == row.new).and_then(|(_, r)| r.as_ref());
        preview.samples.push(Mover {
            customer_id: CustomerId(row.id),
            name: row.name,
            from_position: position_of(row.computed_tier_id, &current),
            to_position: position_of(Some(row.new), proposed).unwrap_or_default(),
            because: rule::explain(rule, &facts),
        });
    }
    Ok(preview)
}

/// Customers per status, stage and tier, and tier moves per month over the last year.
pub async fn distribution(
    pool: &PgPool,
    visible_owners: Option<&[i64]>,
) -> Result<Distribution, AppError> {
    let settings = crate::customers::repo::settings(pool).await?;
    let status = sqlx::query!(
        r#"
        select case when last_order_at is null then 'potential'
                    when last_order_at >= now() - make_interval(days => $2) then 'active'
                    else 'silent' end as "status!",
               case when order_count = 0 then 'potential' when order_count = 1 then 'new'
                    when order_count >= $3 and last_order_at - first_order_at >= make_interval(days => $4) then 'loyal'
                    else 'repeat' end as "stage!",
               count(*) as "n!"
        from customer
        where deleted_at is null and ($1::bigint[] is null or owner_id = any($1))
        group by 1, 2
        "#,
        visible_owners as _,
        settings.active_window_days,
        settings.loyal_min_orders,
        settings.loyal_min_span_days,
    )
    .fetch_all(pool)
    .await?;
    let mut out = Distribution::default();
    for key in ["potential", "active", "silent"] {
        out.by_status
            .push((key.into(), status.iter().filter(|r| r.status == key).map(|r| r.n).sum()));
    }
    for key in ["potential", "new", "repeat", "loyal"] {
        out.by_stage
            .push((key.into(), status.iter().filter(|r| r.stage == key).map(|r| r.n).sum()));
    }
    out.by_tier = sqlx::query!(
        r#"
        select tier_in_force(s.computed_tier_id, s.override_tier_id, s.override_until) as tier,
               count(*) as "n!"
        from customer c left join customer_score s on s.customer_id = c.id
        where c.deleted_at is null and ($1::bigint[] is null or c.owner_id = any($1))
        group by 1
        "#,
        visible_owners as _,
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| (r.tier.map(TierId), r.n))
    .collect();
    out.moves = sqlx::query!(
        r#"
        select to_char(t.at at time zone company_time_zone(), 'YYYY-MM') as "month!", t.from_tier_id, t.to_tier_id, count(*) as "n!"
        from tier_change t join customer c on c.id = t.customer_id
        where t.at > now() - interval '1 year' and ($1::bigint[] is null or c.owner_id = any($1))
        group by 1, 2, 3 order by 1
        "#,
        visible_owners as _,
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| (r.month, r.from_tier_id.map(TierId), r.to_tier_id.map(TierId), r.n))
    .collect();
    Ok(out)
}

/// Replaces the tier list (positions in order) and queues the recompute; returns the job id.
///
/// Errors: `Validation` (`tiers.N.*`), `Conflict` (the list changed since `version`).
pub async fn save_tiers(
    state: &AppState,
    caller: &Authenticated,
    inputs: Vec<TierInput>,
    window_days: i32,
    version: i32,
) -> Result<i64, AppError> {
    validate_tiers(&inputs)?;
    if !(30..=3650).contains(&window_days) {
        return Err(AppError::validation(
            "window_days",
            FieldError::OutOfRange { min: 30, max: 3650 },
        ));
    }
    let mut tx = state.pool.begin().await?;
    // The list is saved whole: another admin's save since this one loaded it would be lost.
    let current = sqlx::query_scalar!("select version from tier_settings for update")
        .fetch_one(&mut *tx)
        .await?;
    if current != version {
        return Err(AppError::Conflict);
    }
    let before = tiers(&mut *tx).await?.into_iter().map(|(t, _)| t).collect::<Vec<_>>();
    // Positions are unique among active tiers: park the old ones first.
    sqlx::query!("update tier set position = -position where active").execute(&mut *tx).await?;
    let mut kept = Vec::new();
    for (n, input) in inputs.iter().enumerate() {
        let position = n as i32 + 1;
        let id = match input.id {
            Some(id) => sqlx::query_scalar!(
                "update tier set position = $2, name_zh = $3, name_en = $4, color = $5, rule = $6, updated_at = now()
                 where id = $1 and active returning id",
                id.0,
                position,
                input.name_zh.trim(),
                input.name_en.trim(),
                input.color,
                input.rule.trim(),
            )
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| AppError::validation(&format!("tiers.{n}.name_zh"), FieldError::UnknownReference))?,
            None => sqlx::query_scalar!(
                "insert into tier (position, name_zh, name_en, color, rule) values ($1, $2, $3, $4, $5) returning id",
                position,
                input.name_zh.trim(),
                input.name_en.trim(),
                input.color,
                input.rule.trim(),
            )
            .fetch_one(&mut *tx)
            .await?,
        };
        kept.push(id);
    }
    sqlx::query!(
        "update tier set active = false, updated_at = now() where active and not (id = any($1))",
        &kept
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!("update tier_settings set window_days = $1, version = version + 1, updated_at = now(), updated_by = $2", window_days, caller.id().0)
        .execute(&mut *tx)
        .await?;
    record(
        &mut *tx,
        caller.actor(),
        Change::new("update", "tiers", "all")
            .before(&before)
            .after(&serde_json::json!({ "tiers": inputs, "window_days": window_days })),
    )
    .await?;
    let mut job = crate::jobs::queue::NewJob::new(
        crate::jobs::model::kinds::TIER_RECOMPUTE,
        serde_json::json!({}),
    );
    job.created_by = Some(caller.id());
    let job_id = crate::jobs::queue::enqueue(&mut tx, job).await?.ok_or(AppError::Conflict)?;
    tx.commit().await?;
    Ok(job_id)
}

/// Every saved segment, by name.
pub async fn segments(pool: &PgPool) -> Result<Vec<Segment>, AppError> {
    let rows =
        sqlx::query!("select id, name, description, filter, version from segment order by name")
            .fetch_all(pool)
            .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(Segment {
                id: r.id,
                name: r.name,
                description: r.description,
                filter: serde_json::from_value(r.filter).ok()?,
                version: r.version,
            })
        })
        .collect())
}

/// How many live customers in scope match a filter.
pub async fn count(
    pool: &PgPool,
    filter: &crate::customers::model::CustomerFilter,
    visible_owners: Option<&[i64]>,
) -> Result<i64, AppError> {
    let settings = crate::customers::repo::settings(pool).await?;
    let mut query = QueryBuilder::new("select count(*) from customer c where true");
    crate::customers::repo::push_filters(&mut query, filter, visible_owners, &settings);
    Ok(query.build_query_scalar().fetch_one(pool).await?)
}

/// Creates or updates a segment.
///
/// Errors: `Validation` (`name` required, too long or taken), `Conflict`, `NotFound`.
pub async fn save_segment(
    state: &AppState,
    caller: &Authenticated,
    id: Option<i64>,
    version: i32,
    name: &str,
    description: &str,
    filter: &crate::customers::model::CustomerFilter,
) -> Result<i64, AppError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::validation("name", FieldError::Required));
    }
    if name.chars().count() > 80 {
        return Err(AppError::validation("name", FieldError::TooLong { max: 80 }));
    }
    let description = Some(description.trim()).filter(|d| !d.is_empty());
    let json = serde_json::to_value(filter).map_err(AppError::internal)?;
    let mut tx = state.pool.begin().await?;
    let taken = |e: sqlx::Error| match crate::error::violated_constraint(&e) {
        Some("segment_name_key") => AppError::validation("name", FieldError::AlreadyTaken),
        _ => e.into(),
    };
    let saved = match id {
        None => sqlx::query_scalar!(
            "insert into segment (name, description, filter, created_by) values ($1, $2, $3, $4) returning id",
            name,
            description,
            json,
            caller.id().0
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(taken)?,
        Some(id) => sqlx::query_scalar!(
            "update segment set name = $3, description = $4, filter = $5, version = version + 1, updated_at = now()
             where id = $1 and version = $2 returning id",
            id,
            version,
            name,
            description,
            json
        )
        .fetch_optional(&mut *tx)
        .await
        .map_err(taken)?
        .ok_or(AppError::Conflict)?,
    };
    record(
        &mut *tx,
        caller.actor(),
        Change::new("save", "segment", saved)
            .after(&serde_json::json!({ "name": name, "filter": filter })),
    )
    .await?;
    tx.commit().await?;
    Ok(saved)
}
