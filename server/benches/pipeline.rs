//! Pipeline benchmarks: the board and stage moves with 10,000 open opportunities.
//!
//!     cargo bench -p server --bench pipeline
//!
//! Creates `guanxi_bench_pipeline` afresh on the test Postgres (GUANXI_TEST_ADMIN_URL) with
//! the demo accounts, 20,000 customers, `GUANXI_BENCH_OPEN` open opportunities (10,000) and
//! twice as many closed ones with their stage history. Figures are server time: the service
//! calls a request makes, in-process, without HTTP or rendering.

mod common;

use app::{
    auth::model::Role,
    pipeline::{api::CARDS_PER_COLUMN, model::BoardFilter, service as pipeline},
};
use common::{admin_caller, caller_with_role, env_number, fresh_database_with_accounts, time};
use sqlx::Executor;
use std::time::Instant;

#[tokio::main]
async fn main() {
    let open = env_number("GUANXI_BENCH_OPEN", 10_000) as i64;
    let pool = fresh_database_with_accounts("guanxi_bench_pipeline").await;

    let started = Instant::now();
    pool.execute(
        "insert into customer (kind, name, owner_id, search_text, name_key)
         select 'company', '客户' || n, (select id from app_user where role = 'member' order by id
             offset (n % (select count(*) from app_user where role = 'member')) limit 1), '客户' || n, 'kh' || n
         from generate_series(1, 20000) n",
    )
    .await
    .unwrap();
    // Open cards spread over the open stages; closed ones over the last year, won or lost.
    sqlx::query(
        "with stages as (select array_agg(id order by position) filter (where kind = 'open') as open,
                                min(id) filter (where kind = 'won') as won, min(id) filter (where kind = 'lost') as lost
                         from pipeline_stage),
              c as (select array_agg(id order by id) as ids, array_agg(owner_id order by id) as owners from customer)
         insert into opportunity (customer_id, title, amount_minor, expected_close, owner_id, pipeline_id, stage_id,
                                  stage_entered_at, closed_at, lost_reason)
         select c.ids[1 + n % 20000], '商机 ' || n, 100000 + (n * 7919 % 5000000), current_date + (n % 120)::int - 20,
                c.owners[1 + n % 20000], (select id from pipeline where is_default),
                case when n <= $1 then s.open[1 + n % array_length(s.open, 1)]
                     when n % 3 = 0 then s.won else s.lost end,
                now() - make_interval(hours => n % 5000),
                case when n > $1 then now() - make_interval(days => n % 360) end,
                case when n > $1 and n % 3 <> 0 then '价格' end
         from generate_series(1, $1 * 3) n, stages s, c",
    )
    .bind(open as i32)
    .execute(&pool)
    .await
    .unwrap();
    pool.execute(
        "insert into opportunity_stage_change (opportunity_id, from_stage_id, to_stage_id, at, seconds_in_stage)
         select o.id, s.id, o.stage_id, o.stage_entered_at, 86400
         from opportunity o join pipeline_stage s on s.position = 2 and s.pipeline_id = o.pipeline_id",
    )
    .await
    .unwrap();
    pool.execute("analyze").await.unwrap();
    println!(
        "| data | figure |\n| --- | --- |\n| open / closed opportunities | {open} / {} |\n| load | {:.1} s |\n",
        open * 2,
        started.elapsed().as_secs_f64()
    );

    let admin_caller = admin_caller(&pool).await;
    let manager = caller_with_role(&pool, Role::Manager).await;
    let member = caller_with_role(&pool, Role::Member).await;
    let filter = BoardFilter::default();
    let mut results = Vec::new();
    for (label, caller) in
        [("admin, all", &admin_caller), ("manager, team", &manager), ("member, own", &member)]
    {
        let scope = caller.scope.visible_owners();
        results.push(
            time(&format!("board data ({label})"), 100, |_| {
                let (pool, scope, filter) = (pool.clone(), scope.clone(), filter.clone());
                async move {
                    pipeline::board(&pool, scope.as_deref(), &filter, CARDS_PER_COLUMN)
                        .await
                        .unwrap()
                }
            })
            .await,
        );
    }
    let board = pipeline::board(&pool, None, &filter, CARDS_PER_COLUMN).await.unwrap();
    let first_stage = board.pipeline.stages[0].id;
    results.push(
        time("next page of a column", 100, |_| {
            let (pool, filter, after) = (pool.clone(), filter.clone(), board.next[0]);
            async move {
                pipeline::column_page(&pool, None, &filter, first_stage, after, CARDS_PER_COLUMN)
                    .await
                    .unwrap()
            }
        })
        .await,
    );
    let month =
        BoardFilter { close_month: Some(chrono::Utc::now().date_naive()), ..Default::default() };
    results.push(
        time("board filtered by close month", 100, |_| {
            let (pool, month) = (pool.clone(), month.clone());
            async move { pipeline::board(&pool, None, &month, CARDS_PER_COLUMN).await.unwrap() }
        })
        .await,
    );

    // A move round trip: lock, version check, update, history, timeline, audit, two events,
    // the saved card, commit. Cards shuttle between the first two open stages.
    let stages: Vec<_> = board.pipeline.stages.iter().map(|s| s.id).collect();
    let cards: Vec<_> = board.cards[0].iter().map(|c| (c.id, c.version, c.stage_id)).collect();
    let state = app::state::AppState::new(pool.clone(), Default::default());
    let versions = std::sync::Arc::new(std::sync::Mutex::new(cards.clone()));
    results.push(
        time("move a card (round trip, one transaction)", 400, |i| {
            let (state, caller, versions, stages) =
                (state.clone(), admin_caller.clone(), versions.clone(), stages.clone());
            async move {
                let n = i % versions.lock().unwrap().len();
                let (id, version, at) = versions.lock().unwrap()[n];
                let to = if at == stages[0] { stages[1] } else { stages[0] };
                let moved =
                    pipeline::move_to(&state, &caller, id, version, to, None).await.unwrap();
                versions.lock().unwrap()[n] = (id, moved.version, moved.stage_id);
            }
        })
        .await,
    );
    results.push(
        time("forecast (3 months, every owner)", 50, |_| {
            let pool = pool.clone();
            async move {
                pipeline::forecast(&pool, None, chrono::Utc::now().date_naive(), 3).await.unwrap()
            }
        })
        .await,
    );

    println!("| operation ({open} open opportunities) | samples | p50 ms | p95 ms |");
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
