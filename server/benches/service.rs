//! Service benchmarks: queue views over a million tickets, and survey answers.
//!
//!     cargo bench -p server --bench service
//!
//! Creates `guanxi_bench_service` afresh on the test Postgres (GUANXI_TEST_ADMIN_URL) with the
//! demo accounts, 50,000 customers and `GUANXI_BENCH_TICKETS` tickets (1,000,000), about 2 %
//! of them still open, spread over the agents. Figures are server time: the service calls a
//! request makes, in-process, without HTTP or rendering.

mod common;

use app::{
    auth::model::Role,
    surveys::{model::AnswerValue, service as surveys},
    tickets::{model::Queue, service as tickets},
};
use common::{admin_caller, caller_with_role, env_number, fresh_database_with_accounts, time};
use sqlx::Executor;
use std::time::Instant;

#[tokio::main]
async fn main() {
    let total = env_number("GUANXI_BENCH_TICKETS", 1_000_000) as i64;
    let pool = fresh_database_with_accounts("guanxi_bench_service").await;

    let started = Instant::now();
    pool.execute(
        "insert into customer (kind, name, email, owner_id, search_text, name_key)
         select 'company', '客户' || n, 'c' || n || '@example.com',
                (select id from app_user where role = 'member' order by id
                 offset (n % (select count(*) from app_user where role = 'member')) limit 1),
                '客户' || n, 'kh' || n
         from generate_series(1, 50000) n",
    )
    .await
    .unwrap();
    // Agents are every non-admin; one ticket in fifty is still open (unassigned one in five of
    // those), the rest resolved over the last two years.
    sqlx::query(
        "with a as (select array_agg(id order by id) as ids, array_agg(team_id order by id) as teams,
                           count(*)::int as size from app_user where role <> 'admin'),
              p as (select id from sla_policy where priority = 'normal' and tier_id is null)
         insert into ticket (customer_id, channel, category, priority, status, assignee_id, team_id, subject,
                             sla_policy_id, first_response_due, resolution_due, first_responded_at, resolved_at,
                             created_at, updated_at)
         select 1 + n % 50000, 'phone', (array['question','fault','complaint','suggestion'])[1 + n % 4],
                'normal',
                case when n % 50 = 0 then (case when n % 250 = 0 then 'new' else 'open' end) else 'resolved' end,
                case when n % 250 = 0 then null else a.ids[1 + n % a.size] end,
                case when n % 250 = 0 then null else a.teams[1 + n % a.size] end,
                '工单 ' || n, p.id,
                t.created + interval '4 hours', t.created + interval '1 day',
                case when n % 50 = 0 and n % 100 <> 0 then null else t.created + interval '1 hour' end,
                case when n % 50 = 0 then null else t.created + interval '10 hours' end,
                t.created, t.created
         from generate_series(1, $1) n, a, p,
              lateral (select now() - make_interval(mins => ((($1 - n) * 1051) % 1051200)::int)
                              - case when n % 50 = 0 then interval '0' else interval '2 days' end as created) t",
    )
    .bind(total)
    .execute(&pool)
    .await
    .unwrap();
    pool.execute("analyze").await.unwrap();
    let open: i64 = sqlx::query_scalar("select count(*) from ticket where sla_due_at is not null")
        .fetch_one(&pool)
        .await
        .unwrap();
    println!(
        "| data | figure |\n| --- | --- |\n| tickets / open | {total} / {open} |\n| load | {:.1} s |\n",
        started.elapsed().as_secs_f64()
    );

    let admin_caller = admin_caller(&pool).await;
    let manager = caller_with_role(&pool, Role::Manager).await;
    let member = caller_with_role(&pool, Role::Member).await;
    let mut results = Vec::new();
    for (label, caller, queues) in [
        ("admin", &admin_caller, &[Queue::AllOpen, Queue::Unassigned, Queue::BreachingSoon][..]),
        ("manager", &manager, &[Queue::Team, Queue::AllOpen][..]),
        ("member", &member, &[Queue::Mine, Queue::Unassigned, Queue::AllOpen][..]),
    ] {
        for queue in queues {
            results.push(
                time(&format!("queue {} ({label})", queue.as_str()), 100, |_| {
                    let (pool, caller, queue) = (pool.clone(), caller.clone(), *queue);
                    async move { tickets::queue(&pool, &caller, queue, None, 50).await.unwrap() }
                })
                .await,
            );
        }
    }
    let first = tickets::queue(&pool, &admin_caller, Queue::AllOpen, None, 50).await.unwrap();
    results.push(
        time("queue all, second page (admin)", 100, |_| {
            let (pool, caller, after) = (pool.clone(), admin_caller.clone(), first.next.clone());
            async move { tickets::queue(&pool, &caller, Queue::AllOpen, after, 50).await.unwrap() }
        })
        .await,
    );
    results.push(
        time("customer 360 service section", 100, |i| {
            let (pool, caller) = (pool.clone(), admin_caller.clone());
            async move {
                let customer = app::customers::model::CustomerId(1 + (i as i64 * 37) % 50_000);
                tickets::customer_service(&pool, &caller, customer).await.unwrap()
            }
        })
        .await,
    );

    // Survey answers: each submit finds the link by its hash, locks it, validates, stores the
    // answer, the timeline entry and, for a detractor (every fifth), a follow-up ticket.
    let answers = 500;
    let survey: i64 =
        sqlx::query_scalar("select id from survey limit 1").fetch_one(&pool).await.unwrap();
    let send: i64 = sqlx::query_scalar(
        "insert into survey_send (survey_id, target) values ($1, 'segment') returning id",
    )
    .bind(survey)
    .fetch_one(&pool)
    .await
    .unwrap();
    let recipients: Vec<i64> = sqlx::query_scalar(
        "insert into survey_recipient (send_id, survey_id, customer_id, email, locale, status)
         select $1, $2, n, 'c' || n || '@example.com', 'zh-CN', 'sent' from generate_series(1, $3) n
         returning id",
    )
    .bind(send)
    .bind(survey)
    .bind(answers as i64 + 20)
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut tokens = Vec::new();
    for id in recipients {
        tokens.push(surveys::issue_link(&pool, id, 14).await.unwrap().0);
    }
    let tokens = std::sync::Arc::new(tokens);
    let state = app::state::AppState::new(pool.clone(), Default::default());
    // The warm-up calls take links too: hand them out in order so each is answered once.
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    results.push(
        time("survey answer submit (one in five a detractor)", answers, |_| {
            let (state, tokens, next) = (state.clone(), tokens.clone(), next.clone());
            async move {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let csat = if n % 5 == 0 { 1 } else { 5 };
                let answer = vec![AnswerValue::Score(csat), AnswerValue::Score(9)];
                surveys::answer(&state, &tokens[n], answer).await.unwrap()
            }
        })
        .await,
    );

    println!("| operation ({total} tickets) | samples | p50 ms | p95 ms |");
    println!("| --- | --- | --- | --- |");
    for stats in &results {
        println!(
            "| {} | {} | {:.1} | {:.1} |",
            stats.name,
            stats.samples.len(),
            stats.percentile(0.5),
            stats.percentile(0.95)
        );
    }
}
