//! Reports as `.xlsx` over HTTP: the workbook holds the figures the page shows (its totals equal
//! to the orders summed directly, its cohort counts to the orders counted directly, win/loss, the
//! funnel and churn to the deals, leads and customers written for the test), read within the
//! caller's scope whatever the address asks, refused to anyone not signed in, a bad range refused
//! at its field, and every download on the audit log.

mod common;

use app::{
    auth::{
        model::{Role, UserId},
        server::Authenticated,
    },
    customers::{
        model::{CustomerId, CustomerInput},
        service as customers,
    },
    error::{AppError, FieldError},
    orders::{
        model::{OrderInput, OrderLineInput, ProductId},
        service as orders,
    },
    reports::cohorts::{
        model::{CohortQuery, month_start, months_between},
        service as cohorts,
    },
    state::AppState,
    testing::{cohorts_counted_from_orders, company_today, sales_summed_from_orders},
};
use calamine::{Data, Reader};
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use common::{Browser, TestServer, app_error};
use reqwest::{StatusCode, header};

const TOTAL: [&str; 2] = ["合计", "Total"];
const ALL_COHORTS: [&str; 2] = ["全部同期群", "All cohorts"];
const COUNTS: [&str; 2] = ["再次下单的客户数", "Customers ordering again"];

/// The first sheet's rows, every cell as calamine reads it.
fn rows_of(bytes: &[u8]) -> Vec<Vec<Data>> {
    let mut workbook: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let sheet = workbook.worksheet_range_at(0).unwrap().unwrap();
    sheet.rows().map(|r| r.to_vec()).collect()
}

fn first_is(row: &[Data], labels: &[&str]) -> bool {
    matches!(row.first(), Some(Data::String(s)) if labels.contains(&s.as_str()))
}

/// Rows whose first cell is one of `labels`.
fn rows_named<'a>(rows: &'a [Vec<Data>], labels: &[&str]) -> Vec<&'a [Data]> {
    rows.iter().filter(|row| first_is(row, labels)).map(|row| row.as_slice()).collect()
}

fn number(cell: &Data) -> f64 {
    match cell {
        Data::Float(value) => *value,
        Data::Int(value) => *value as f64,
        Data::Empty => 0.0,
        other => panic!("not a number: {other:?}"),
    }
}

async fn download(browser: &Browser, path: &str) -> reqwest::Response {
    browser.client.get(format!("{}{path}", browser.base)).send().await.unwrap()
}

async fn workbook(browser: &Browser, path: &str) -> Vec<Vec<Data>> {
    let response = download(browser, path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let disposition = response.headers()[header::CONTENT_DISPOSITION].to_str().unwrap().to_owned();
    assert!(
        disposition.starts_with("attachment;") && disposition.contains(".xlsx"),
        "{disposition}"
    );
    rows_of(&response.bytes().await.unwrap())
}

async fn order(
    state: &AppState,
    admin: &Authenticated,
    customer: CustomerId,
    day: NaiveDate,
    yuan: i64,
    product: ProductId,
) {
    let at = chrono_tz::Asia::Shanghai
        .from_local_datetime(&day.and_hms_opt(12, 0, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc);
    orders::add_order(
        state,
        admin,
        OrderInput {
            customer_id: customer,
            ordered_at: Some(at),
            lines: vec![OrderLineInput {
                product_id: Some(product),
                quantity: "1".into(),
                unit_price: yuan.to_string(),
            }],
            ..Default::default()
        },
    )
    .await
    .unwrap();
}

/// A server with two members in two teams (Alice in East, Bob in West), each owning one
/// customer (in 上海 and 广州), and an admin.
struct TwoTeams {
    server: TestServer,
    alice: UserId,
    bob: UserId,
    state: AppState,
    admin_caller: Authenticated,
    hers: CustomerId,
    his: CustomerId,
}

async fn two_teams() -> TwoTeams {
    let server = TestServer::start().await;
    let east = server.db.team("East").await;
    let west = server.db.team("West").await;
    let alice =
        server.db.user("alice@example.com", Role::Member, Some(east), common::PASSWORD).await;
    let bob = server.db.user("bob@example.com", Role::Member, Some(west), common::PASSWORD).await;
    let admin = server.user("admin@example.com", Role::Admin).await;
    let state = server.db.state();
    let admin_caller = server.db.caller(admin).await.unwrap();
    let mut owned = vec![];
    for (name, owner, region) in [("东方茶行", alice, "上海"), ("南方茶庄", bob, "广州")]
    {
        let input = CustomerInput {
            name: name.into(),
            region: region.into(),
            owner_id: Some(owner),
            ..Default::default()
        };
        owned.push(customers::create(&state, &admin_caller, input, vec![]).await.unwrap());
    }
    let (hers, his) = (owned[0], owned[1]);
    TwoTeams { server, alice, bob, state, admin_caller, hers, his }
}

#[tokio::test]
async fn a_report_downloads_as_a_workbook_of_the_callers_own_figures() {
    let TwoTeams { server, alice, bob, state, admin_caller, hers, his } = two_teams().await;
    let pool = &server.db.pool;
    let product: i64 = sqlx::query_scalar(
        "insert into product (sku, name, unit_price_minor) values ('TEA', '龙井', 10000) returning id",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let product = ProductId(product);
    let today = company_today(pool).await;
    let day = today - Duration::days(1);
    let earlier = day - Duration::days(40);
    order(&state, &admin_caller, hers, earlier, 120, product).await;
    order(&state, &admin_caller, hers, day, 250, product).await;
    order(&state, &admin_caller, his, day, 400, product).await;
    order(&state, &admin_caller, his, earlier, 75, product).await;

    let alice_browser = server.signed_in("alice@example.com").await;
    let admin_browser = server.signed_in("admin@example.com").await;
    let range = format!("from={earlier}&to={day}");

    // Alice's workbook by rep: her sales only, totalling what her customers' orders sum to.
    let rows =
        workbook(&alice_browser, &format!("/files/reports/sales.xlsx?{range}&by=owner")).await;
    let total = rows_named(&rows, &TOTAL);
    assert_eq!(total.len(), 1, "one total row");
    let hers_summed = sales_summed_from_orders(pool, earlier, day, Some(vec![alice.0])).await;
    assert_eq!(number(&total[0][1]) as i64, hers_summed.orders);
    assert_eq!((number(&total[0][2]) * 100.0).round() as i64, hers_summed.revenue_minor);
    assert_eq!(hers_summed.revenue_minor, 37_000);

    // Asking for Bob's sales widens nothing, and does not even name him.
    let bobs_name: String = sqlx::query_scalar("select display_name from app_user where id = $1")
        .bind(bob.0)
        .fetch_one(pool)
        .await
        .unwrap();
    let rows =
        workbook(&alice_browser, &format!("/files/reports/sales.xlsx?{range}&owner={}", bob.0))
            .await;
    assert_eq!(number(&rows_named(&rows, &TOTAL)[0][2]), 0.0);
    assert!(
        !rows.iter().flatten().any(|cell| cell.to_string().contains(&bobs_name)),
        "Bob's name stays out of Alice's file"
    );

    // The admin's, by day with the previous period: every day of the range a row (so the chart
    // has no gaps), the rows adding up to the total, the total to the orders.
    let rows = workbook(
        &admin_browser,
        &format!("/files/reports/sales.xlsx?{range}&compare=previous_period"),
    )
    .await;
    let everyone = sales_summed_from_orders(pool, earlier, day, None).await;
    let total = rows_named(&rows, &TOTAL)[0];
    assert_eq!((number(&total[2]) * 100.0).round() as i64, everyone.revenue_minor);
    let header = rows.iter().position(|row| first_is(row, &["期间", "Period"])).unwrap();
    let days = &rows[header + 1..rows.len() - 1];
    assert_eq!(days.len() as i64, (day - earlier).num_days() + 1);
    assert!(
        matches!(&days[0][0], Data::DateTime(first) if first.as_datetime().unwrap().date() == earlier),
        "days are dates: {:?}",
        days[0][0]
    );
    let summed: f64 = days.iter().map(|row| number(&row[2])).sum();
    assert_eq!((summed * 100.0).round() as i64, everyone.revenue_minor);
    assert_eq!(rows[header].len(), 6, "the compared revenue and the change beside each day");

    // Cohorts: the counts behind the heat map are the customers counted from the orders.
    let cohort_range = format!("from={}&to={}", earlier.format("%Y-%m"), day.format("%Y-%m"));
    let rows =
        workbook(&admin_browser, &format!("/files/reports/cohorts.xlsx?{cohort_range}")).await;
    let report = cohorts::cohort_report(
        pool,
        &admin_caller,
        &CohortQuery { from: Some(earlier), to: Some(day), ..Default::default() },
    )
    .await
    .unwrap();
    let counted = cohorts_counted_from_orders(pool, None).await;
    let overall = rows_named(&rows, &ALL_COHORTS);
    assert_eq!(overall.len(), 1);
    assert_eq!(number(&overall[0][1]) as i64, 2, "two customers, both first ordering {earlier}");
    // The counts block: its title, its header, a row per cohort.
    let block = rows.iter().position(|row| first_is(row, &COUNTS)).unwrap();
    let counts = &rows[block + 2..block + 2 + report.rows.len()];
    for (row, cohort) in counts.iter().zip(&report.rows) {
        assert_eq!(number(&row[1]) as i64, cohort.size);
        assert_eq!(counted.get(&(cohort.cohort, cohort.cohort)).copied().unwrap_or(0), cohort.size);
        for (n, returning) in cohort.returning.iter().enumerate() {
            assert_eq!(number(&row[2 + n]) as i64, *returning, "{} +{}", cohort.cohort, n + 1);
            let month =
                cohort.cohort.checked_add_months(chrono::Months::new(n as u32 + 1)).unwrap();
            assert_eq!(counted.get(&(cohort.cohort, month)).copied().unwrap_or(0), *returning);
        }
    }
    let first = month_start(earlier);
    assert_eq!(report.rows[0].cohort, first);
    let offset = months_between(first, day) as usize;
    assert_eq!(report.rows[0].returning[offset - 1], 2, "both ordered again in {day}'s month");

    // The orders behind a figure, as a file: Alice's own, whatever owner the filter names.
    let behind = |owner: Option<i64>| {
        let filter = serde_json::json!({ "from": earlier, "to": day, "owner": owner });
        format!(
            "/files/export/report_orders.xlsx?filter={}",
            app::ui::urlencode(&filter.to_string())
        )
    };
    let orders = workbook(&alice_browser, &behind(None)).await.split_off(1);
    assert_eq!(orders.len() as i64, hers_summed.orders);
    let net: f64 = orders.iter().map(|row| number(row.last().unwrap())).sum();
    assert_eq!((net * 100.0).round() as i64, hers_summed.revenue_minor);
    assert!(orders.iter().all(|row| row[3] == Data::String("东方茶行".into())));
    let others = workbook(&alice_browser, &behind(Some(bob.0))).await;
    assert_eq!(others.len(), 1, "the header only");

    // Refusals: not signed in, a reversed range (at its field), an unknown report.
    let anonymous =
        reqwest::get(format!("{}/files/reports/sales.xlsx", server.base)).await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let reversed =
        download(&alice_browser, &format!("/files/reports/sales.xlsx?from={day}&to={earlier}"))
            .await;
    let (status, error) = app_error(reversed).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    match error {
        AppError::Validation(errors) => assert_eq!(errors.get("to"), &[FieldError::InvalidDate]),
        other => panic!("{other:?}"),
    }
    let unknown = download(&alice_browser, "/files/reports/salaries.xlsx").await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);

    // Each file given out is on the audit log, with its query.
    let exports = server
        .count("select count(*) from audit_log where action = 'export' and entity_type = 'report'")
        .await;
    assert_eq!(exports, 4);
    let order_files = server
        .count("select count(*) from audit_log where action = 'export' and entity_type = 'report_orders'")
        .await;
    assert_eq!(order_files, 2);
    let asked: serde_json::Value = sqlx::query_scalar(
        "select after -> 'query' from audit_log where entity_type = 'report' and entity_id = 'sales' order by id limit 1",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(asked["by"], "owner");
}

/// A lead of `owner` created at 10:00 on company day `day`, contacted an hour later or never,
/// converted into a deal of `yuan` for `customer` closed `kind` at 15:00 (`kind` none: not
/// converted).
#[allow(clippy::too_many_arguments)]
async fn lead_and_deal(
    pool: &sqlx::PgPool,
    owner: UserId,
    source: &str,
    day: NaiveDate,
    contacted: bool,
    deal: Option<(CustomerId, &str, i64, Option<&str>)>,
) {
    let lead: i64 = sqlx::query_scalar(
        "insert into lead (name, source, owner_id, status, first_contacted_at, created_at)
         values ('lead', $1, $2, case when $4 then 'contacted' else 'new' end,
                 case when $4 then ($3::timestamp + interval '11 hours') at time zone company_time_zone() end,
                 ($3::timestamp + interval '10 hours') at time zone company_time_zone())
         returning id",
    )
    .bind(source)
    .bind(owner.0)
    .bind(day)
    .bind(contacted)
    .fetch_one(pool)
    .await
    .unwrap();
    let Some((customer, kind, yuan, reason)) = deal else { return };
    sqlx::query(
        "with deal as (
             insert into opportunity (customer_id, title, amount_minor, expected_close, owner_id,
                                      pipeline_id, stage_id, lost_reason, closed_at, created_at, lead_id)
             select $1, 'deal', $2, $3, $4, s.pipeline_id, s.id, $5,
                    ($3::timestamp + interval '15 hours') at time zone company_time_zone(),
                    ($3::timestamp + interval '12 hours') at time zone company_time_zone(), $7
             from pipeline_stage s join pipeline p on p.id = s.pipeline_id
             where p.is_default and s.kind = $6 order by s.position limit 1 returning id
         )
         update lead set status = 'converted', customer_id = $1, opportunity_id = deal.id
         from deal where lead.id = $7",
    )
    .bind(customer.0)
    .bind(yuan * 100)
    .bind(day)
    .bind(owner.0)
    .bind(reason)
    .bind(kind)
    .bind(lead)
    .execute(pool)
    .await
    .unwrap();
}

#[tokio::test]
async fn every_range_report_downloads_with_the_callers_own_figures() {
    let TwoTeams { server, alice, bob, hers, his, .. } = two_teams().await;
    let pool = &server.db.pool;
    let day = company_today(pool).await - Duration::days(1);
    lead_and_deal(pool, alice, "web_form", day, true, Some((hers, "won", 500, None))).await;
    lead_and_deal(pool, alice, "event", day, false, None).await;
    lead_and_deal(pool, bob, "phone", day, true, Some((his, "lost", 300, Some("价格太高")))).await;

    let alice_browser = server.signed_in("alice@example.com").await;
    let admin_browser = server.signed_in("admin@example.com").await;
    let range = format!("from={day}&to={day}");
    let total = |rows: &[Vec<Data>]| -> Vec<f64> {
        let total = rows_named(rows, &TOTAL);
        assert_eq!(total.len(), 1, "one total row");
        total[0][1..5].iter().map(number).collect()
    };

    // Win/loss: won, lost, win rate, won amount per row; Alice's only, whoever she names.
    let theirs = workbook(&alice_browser, &format!("/files/reports/deals.xlsx?{range}")).await;
    assert_eq!(total(&theirs), [1.0, 0.0, 1.0, 500.0]);
    let everyone = workbook(&admin_browser, &format!("/files/reports/deals.xlsx?{range}")).await;
    assert_eq!(total(&everyone), [1.0, 1.0, 0.5, 500.0]);
    assert_eq!(rows_named(&everyone, &["价格太高"]).len(), 1, "the lost reason");
    let named = format!("/files/reports/deals.xlsx?{range}&owner={}", bob.0);
    assert_eq!(total(&workbook(&alice_browser, &named).await), [0.0; 4]);

    // The funnel: created, contacted, converted, won over every source.
    let own = workbook(&alice_browser, &format!("/files/reports/funnel.xlsx?{range}")).await;
    assert_eq!(total(&own), [2.0, 1.0, 1.0, 1.0]);
    let all = workbook(&admin_browser, &format!("/files/reports/funnel.xlsx?{range}")).await;
    assert_eq!(total(&all), [3.0, 2.0, 2.0, 1.0]);
    let phone =
        workbook(&admin_browser, &format!("/files/reports/funnel.xlsx?{range}&source=phone")).await;
    assert_eq!(total(&phone), [1.0, 1.0, 1.0, 0.0]);
    let named = format!("/files/reports/funnel.xlsx?{range}&owner={}", bob.0);
    assert_eq!(total(&workbook(&alice_browser, &named).await), [0.0; 4]);

    // Churn: Alice's customer lost yesterday, by month and reason; the admin's, both.
    for (customer, reason) in [(hers, "搬迁"), (his, "价格太高")] {
        sqlx::query(
            "update customer set customer_type = 'former', churn_reason = $2,
                    churned_at = ($3::timestamp + interval '9 hours') at time zone company_time_zone()
             where id = $1",
        )
        .bind(customer.0)
        .bind(reason)
        .bind(day)
        .execute(pool)
        .await
        .unwrap();
    }
    let churn_total = |rows: &[Vec<Data>]| number(&rows_named(rows, &TOTAL)[0][1]);
    let lost = workbook(&alice_browser, &format!("/files/reports/churn.xlsx?{range}")).await;
    assert_eq!(churn_total(&lost), 1.0);
    assert_eq!(rows_named(&lost, &["搬迁"]).len(), 1);
    assert!(rows_named(&lost, &["价格太高"]).is_empty(), "not her customer's reason");
    let lost = workbook(&admin_browser, &format!("/files/reports/churn.xlsx?{range}")).await;
    assert_eq!(churn_total(&lost), 2.0);

    // Tier moves: Alice's customer down a tier yesterday, Bob's up; hers only, or both.
    for (customer, from, to) in [(hers, 1, 2), (his, 3, 2)] {
        sqlx::query(
            "insert into tier_change (customer_id, from_tier_id, to_tier_id, at)
             select $1, f.id, t.id,
                    ($4::timestamp + interval '10 hours') at time zone company_time_zone()
             from tier f, tier t where f.position = $2 and t.position = $3",
        )
        .bind(customer.0)
        .bind(from)
        .bind(to)
        .bind(day)
        .execute(pool)
        .await
        .unwrap();
    }
    let moves_total = |rows: &[Vec<Data>]| -> Vec<f64> {
        rows_named(rows, &TOTAL)[0][1..4].iter().map(number).collect()
    };
    let hers_moved = workbook(&alice_browser, &format!("/files/reports/tiers.xlsx?{range}")).await;
    assert_eq!(moves_total(&hers_moved), [0.0, 1.0, -1.0]);
    let all_moved = workbook(&admin_browser, &format!("/files/reports/tiers.xlsx?{range}")).await;
    assert_eq!(moves_total(&all_moved), [1.0, 1.0, 0.0]);

    // Customer value: Alice's graded customer and its spend in the window; the admin's, both.
    for (customer, (r, f, m), yuan, tier) in [(hers, (5, 4, 3), 500, 1), (his, (2, 1, 1), 100, 3)] {
        sqlx::query(
            "insert into customer_score (customer_id, r, f, m, monetary_minor, computed_tier_id)
             select $1, $2, $3, $4, $5, id from tier where position = $6
             on conflict (customer_id) do update
                 set r = excluded.r, f = excluded.f, m = excluded.m,
                     monetary_minor = excluded.monetary_minor,
                     computed_tier_id = excluded.computed_tier_id",
        )
        .bind(customer.0)
        .bind(r)
        .bind(f)
        .bind(m)
        .bind(yuan * 100)
        .bind(tier)
        .execute(pool)
        .await
        .unwrap();
    }
    let value_total = |rows: &[Vec<Data>]| -> Vec<f64> {
        rows_named(rows, &TOTAL)[0][1..3].iter().map(number).collect()
    };
    let hers_valued = workbook(&alice_browser, "/files/reports/value.xlsx").await;
    assert_eq!(value_total(&hers_valued), [1.0, 500.0]);
    let all_valued = workbook(&admin_browser, "/files/reports/value.xlsx").await;
    assert_eq!(value_total(&all_valued), [2.0, 600.0]);
    let low_only = workbook(&admin_browser, "/files/reports/value.xlsx?tier=3").await;
    assert_eq!(value_total(&low_only), [1.0, 100.0]);

    // Customers over time: Alice's customer marked former yesterday is this month's (or last
    // month's) one former customer of hers; the admin's file counts both.
    let former_total = |rows: &[Vec<Data>]| -> f64 {
        rows.iter()
            .skip_while(
                |row| !matches!(row.first(), Some(Data::String(t)) if t == "月份" || t == "Month"),
            )
            .skip(1)
            .filter_map(|row| row.get(4).map(number))
            .last()
            .unwrap_or(-1.0)
    };
    let hers_over_time =
        workbook(&alice_browser, &format!("/files/reports/statuses.xlsx?{range}")).await;
    assert_eq!(former_total(&hers_over_time), 1.0);
    let all_over_time =
        workbook(&admin_browser, &format!("/files/reports/statuses.xlsx?{range}")).await;
    assert_eq!(former_total(&all_over_time), 2.0);

    let reversed = download(
        &alice_browser,
        &format!("/files/reports/funnel.xlsx?from={day}&to={}", day - Duration::days(1)),
    )
    .await;
    assert_eq!(reversed.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let files = server
        .count(
            "select count(*) from audit_log where action = 'export' and entity_type = 'report'
               and entity_id in ('win_loss', 'funnel', 'churn', 'tier_moves', 'statuses', 'value')",
        )
        .await;
    assert_eq!(files, 16);
}
