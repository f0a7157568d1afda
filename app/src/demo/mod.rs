//! Demo data: teams, one account per role, and a sales force with realistic names. Later domains
//! add their records here so a fresh install shows a living CRM.

pub mod bulk;
pub mod customers;
pub mod names;
mod sales;
mod service;

use crate::{
    audit::repo::{Change, record},
    auth::{
        model::{Role, TeamId},
        server::{Actor, hash_password},
    },
    error::AppError,
};
use rand::{SeedableRng, rngs::StdRng};
use sqlx::PgPool;

/// The password of every demo account (stated in the README).
pub const DEMO_PASSWORD: &str = "guanxi-demo-2026";

/// A demo account anyone can sign in with.
pub struct DemoAccount {
    pub email: &'static str,
    pub display_name: &'static str,
    pub role: Role,
    /// Index into `DEMO_TEAMS`.
    pub team: Option<usize>,
}

pub const DEMO_TEAMS: [&str; 3] = ["华东销售部", "华南销售部", "客户服务部"];

pub const DEMO_ACCOUNTS: [DemoAccount; 5] = [
    DemoAccount {
        email: "admin@guanxi.demo", display_name: "王磊", role: Role::Admin, team: None
    },
    DemoAccount {
        email: "manager@guanxi.demo",
        display_name: "李娜",
        role: Role::Manager,
        team: Some(0),
    },
    DemoAccount {
        email: "member@guanxi.demo",
        display_name: "张伟",
        role: Role::Member,
        team: Some(0),
    },
    DemoAccount {
        email: "emily.chen@guanxi.demo",
        display_name: "Emily Chen",
        role: Role::Member,
        team: Some(1),
    },
    DemoAccount {
        email: "service@guanxi.demo",
        display_name: "刘洋",
        role: Role::Member,
        team: Some(2),
    },
];

/// Generated sales reps beside the named demo accounts.
const EXTRA_REPS: usize = 9;

/// Demo customers (with their orders and interactions).
const DEMO_CUSTOMERS: usize = 240;

/// Seeds the demo data when the database has no users yet; returns whether it did.
pub async fn seed_if_empty(pool: &PgPool) -> Result<bool, AppError> {
    if !seed_users_only(pool).await? {
        return Ok(false);
    }
    let mut rng = StdRng::seed_from_u64(2027);
    seed_customers(pool, &mut rng).await?;
    sales::seed(pool, &mut rng).await?;
    service::seed(pool, &mut rng).await?;
    Ok(true)
}

/// Teams and demo accounts only, when there are no users yet; returns whether it created them.
pub async fn seed_users_only(pool: &PgPool) -> Result<bool, AppError> {
    let mut tx = pool.begin().await?;
    // Two processes starting together must not both seed.
    sqlx::query!("select pg_advisory_xact_lock(hashtext('guanxi.demo_seed'))")
        .execute(&mut *tx)
        .await?;
    let has_users: bool = sqlx::query_scalar!(r#"select exists(select 1 from app_user) as "e!""#)
        .fetch_one(&mut *tx)
        .await?;
    if has_users {
        return Ok(false);
    }

    let mut teams = Vec::new();
    for name in DEMO_TEAMS {
        let id = sqlx::query_scalar!("insert into team (name) values ($1) returning id", name)
            .fetch_one(&mut *tx)
            .await?;
        teams.push(TeamId(id));
    }
    // One hash for all demo accounts: argon2 is slow on purpose and they share the password.
    let hash = hash_password(DEMO_PASSWORD.to_owned()).await?;
    for account in &DEMO_ACCOUNTS {
        insert_user(
            &mut tx,
            account.email,
            account.display_name,
            account.role,
            account.team.map(|t| teams[t]),
            &hash,
        )
        .await?;
    }
    let mut rng = StdRng::seed_from_u64(2026);
    for n in 0..EXTRA_REPS {
        let person = names::person(&mut rng);
        let email = format!("{}.{}@guanxi.demo", person.email_local, n + 1);
        let team = teams[n % 2];
        insert_user(&mut tx, &email, &person.display_name, Role::Member, Some(team), &hash).await?;
    }
    record(&mut *tx, Actor::system(), Change::new("seed", "demo", "foundation")).await?;
    tx.commit().await?;
    Ok(true)
}

/// Products, customers owned by the sales team, orders, interactions; then the product
/// affinities and one planted duplicate so every 360 section and the review queue show data.
async fn seed_customers(pool: &PgPool, rng: &mut StdRng) -> Result<(), AppError> {
    let owners: Vec<i64> = sqlx::query_scalar!(
        "select id from app_user where role <> 'admin' and team_id is not null
           and team_id in (select id from team where name <> $1) order by id",
        DEMO_TEAMS[2]
    )
    .fetch_all(pool)
    .await?;
    let products = customers::seed_products(pool).await?;
    customers::seed_customers(pool, rng, DEMO_CUSTOMERS, &owners, &products).await?;
    let mut tx = pool.begin().await?;
    crate::orders::repo::recompute_affinity(&mut tx).await?;
    // Points the demo orders earned, at today's rate (older ones expire on the next run).
    sqlx::query!(
        "insert into points_entry (customer_id, at, delta, kind, order_id, expires_at, remaining)
         select o.customer_id, o.ordered_at, (o.total_minor / 10000) * s.points_per_hundred, 'earn', o.id,
                case when s.expiry_days > 0 then o.ordered_at + make_interval(days => s.expiry_days) end,
                (o.total_minor / 10000) * s.points_per_hundred
         from sales_order o cross join loyalty_settings s
         where o.total_minor >= 10000 and s.points_per_hundred > 0"
    )
    .execute(&mut *tx)
    .await?;
    // Former customers left at different times after their last order, for different reasons,
    // so the churn report has months and reasons to show.
    sqlx::query(
        "update customer set
             churned_at = least(now() - interval '1 hour',
                 coalesce(last_order_at, created_at) + make_interval(days => 30 + (id % 150)::int)),
             churn_reason = (array['价格原因转向竞品', '服务响应慢', '预算削减', '业务调整',
                                   '价格原因转向竞品', '搬迁至外地'])[1 + (id % 6)::int]
         where customer_type = 'former'",
    )
    .execute(&mut *tx)
    .await?;
    crate::tiers::service::grade_everyone(&mut tx).await?;
    // A year of tier history: a third of the graded customers reached their tier from the one
    // beside it (half from below, half from above) on some day of the past year, so the tier
    // moves report has months and paths to show. A first grading is not a move.
    sqlx::query(
        "insert into tier_change (customer_id, from_tier_id, to_tier_id, at)
         select s.customer_id, n.id, s.computed_tier_id,
                now() - make_interval(days => 3 + (s.customer_id * 37 % 360)::int)
         from customer_score s
         join tier t on t.id = s.computed_tier_id
         join tier n on n.active
             and n.position = t.position
                 + case when abs(hashtext(s.customer_id || 'up')) % 2 = 0 then 1 else -1 end
         -- Hashed rather than by id: demo owners take customers in turn by id, so any pattern
         -- in the ids would give one team only moves up.
         where abs(hashtext(s.customer_id || 'moved')) % 3 = 0",
    )
    .execute(&mut *tx)
    .await?;
    // A second record of an existing customer, as a sales rep might type it in again.
    let twin = sqlx::query_scalar!(
        r#"
        insert into customer (kind, name, phone, phone_normalized, region, industry, source,
                              owner_id, search_text, search_keys, name_key, created_by)
        select kind, name || '（重复录入）', phone, phone_normalized, region, industry, 'sales_visit',
               owner_id, search_text, search_keys, name_key, owner_id
        from customer where kind = 'company' order by id limit 1
        returning id
        "#
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(id) = twin {
        crate::customers::repo::refresh_search(&mut tx, crate::customers::model::CustomerId(id))
            .await?;
        crate::customers::dedupe::detect_for(&mut tx, crate::customers::model::CustomerId(id))
            .await?;
    }
    record(&mut *tx, Actor::system(), Change::new("seed", "demo", "customers")).await?;
    tx.commit().await?;
    Ok(())
}

async fn insert_user(
    tx: &mut sqlx::PgConnection,
    email: &str,
    display_name: &str,
    role: Role,
    team: Option<TeamId>,
    hash: &str,
) -> Result<(), AppError> {
    sqlx::query!(
        "insert into app_user (email, display_name, password_hash, role, team_id)
         values ($1, $2, $3, $4, $5)",
        email,
        display_name,
        hash,
        role.as_str(),
        team.map(|t| t.0),
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}
