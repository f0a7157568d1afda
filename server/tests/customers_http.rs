//! Customer endpoints over HTTP: the id-swap refusal through the real server functions, the
//! upload and CSV routes' guards.

mod common;

use app::{
    auth::model::Role,
    customers::{
        api::{CreateCustomer, GetCustomer, UpdateCustomer},
        model::{CustomerId, CustomerInput},
    },
    error::AppError,
};
use common::{TestServer, app_error};
use reqwest::{StatusCode, header};

fn input(name: &str) -> CustomerInput {
    CustomerInput { name: name.into(), ..Default::default() }
}

#[tokio::test]
async fn changing_the_id_in_a_request_never_reaches_another_members_customer() {
    let server = TestServer::start().await;
    let east = server.db.team("East").await;
    let west = server.db.team("West").await;
    server.db.user("alice@example.com", Role::Member, Some(east), common::PASSWORD).await;
    server.db.user("bob@example.com", Role::Member, Some(west), common::PASSWORD).await;
    let alice = server.signed_in("alice@example.com").await;
    let bob = server.signed_in("bob@example.com").await;
    let bobs: CustomerId =
        bob.ok(&CreateCustomer { input: input("西部物流"), contacts: vec![] }).await;
    let alices: CustomerId =
        alice.ok(&CreateCustomer { input: input("东方贸易"), contacts: vec![] }).await;

    let (status, error) = app_error(alice.call(&GetCustomer { id: bobs }).await).await;
    assert_eq!((status, error), (StatusCode::NOT_FOUND, AppError::NotFound));
    let update = UpdateCustomer { id: bobs, version: 1, input: input("改名"), contacts: vec![] };
    let (status, _) = app_error(alice.call(&update).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let name: String = sqlx::query_scalar("select name from customer where id = $1")
        .bind(bobs.0)
        .fetch_one(&server.db.pool)
        .await
        .unwrap();
    assert_eq!(name, "西部物流", "untouched");
    // Her own works.
    let own: app::customers::model::CustomerDetail = alice.ok(&GetCustomer { id: alices }).await;
    assert_eq!(own.name, "东方贸易");
}

#[tokio::test]
async fn upload_and_downloads_check_the_caller() {
    let server = TestServer::start().await;
    server.user("member@example.com", Role::Member).await;
    server.user("manager@example.com", Role::Manager).await;
    let member = server.signed_in("member@example.com").await;
    let manager = server.signed_in("manager@example.com").await;
    let upload = |browser: &common::Browser, origin: &str| {
        browser
            .client
            .post(format!("{}/api/import-upload?name=a.csv", server.base))
            .header(header::ORIGIN, origin.to_owned())
            .body("name\n甲公司\n")
            .send()
    };
    assert_eq!(
        upload(&member, &server.base).await.unwrap().status(),
        StatusCode::FORBIDDEN,
        "members do not import"
    );
    assert_eq!(
        upload(&manager, "https://evil.example").await.unwrap().status(),
        StatusCode::FORBIDDEN,
        "cross-site refused"
    );
    let ok = upload(&manager, &server.base).await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let id = ok.json::<serde_json::Value>().await.unwrap()["id"].as_i64().unwrap();

    // The member cannot read the manager's import report (it is not theirs to know of);
    // anonymous export is refused.
    let report = member
        .client
        .get(format!("{}/files/imports/{id}/rejected.csv", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(report.status(), StatusCode::NOT_FOUND);
    // A member brings in their customers' order history, and reads their own report.
    let orders = member
        .client
        .post(format!("{}/api/import-upload?name=o.csv&kind=orders", server.base))
        .header(header::ORIGIN, server.base.clone())
        .body(
            "订单号,下单时间,手机,订单金额
SO-1,2026-01-01,13800000000,100
",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(orders.status(), StatusCode::OK);
    let own = orders.json::<serde_json::Value>().await.unwrap()["id"].as_i64().unwrap();
    let report = member
        .client
        .get(format!("{}/files/imports/{own}/rejected", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(report.status(), StatusCode::OK);
    let anonymous = reqwest::get(format!("{}/files/customers.csv", server.base)).await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let export = member
        .client
        .get(format!("{}/files/customers.csv?encoding=gbk", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), StatusCode::OK);
    assert_eq!(export.headers()[header::CONTENT_TYPE], "text/csv");
    let workbook = member
        .client
        .get(format!("{}/files/export/orders.xlsx?from=2026-01-01&to=2026-12-31", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(workbook.status(), StatusCode::OK);
    assert_eq!(
        workbook.headers()[header::CONTENT_TYPE],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(workbook.bytes().await.unwrap().starts_with(b"PK"), "a zip: an Excel workbook");
    let audit = member
        .client
        .get(format!("{}/files/export/audit_log.csv", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(audit.status(), StatusCode::FORBIDDEN, "the audit log is an admin's");
    let unknown = member
        .client
        .get(format!("{}/files/export/salaries.csv", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn text_postgres_cannot_store_is_a_bad_request_not_a_server_error() {
    let server = TestServer::start().await;
    server.db.user("alice@example.com", Role::Member, None, common::PASSWORD).await;
    let alice = server.signed_in("alice@example.com").await;
    // A NUL character passes every check but Postgres's: it once answered 500.
    let nul = CreateCustomer { input: input("西部\u{0}物流"), contacts: vec![] };
    let (status, error) = app_error(alice.call(&nul).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error:?}");
    assert!(matches!(error, AppError::BadRequest(_)));
    assert_eq!(server.count("select count(*) from customer").await, 0, "nothing saved");
    // The same through the sign-in form.
    let (status, _) =
        app_error(server.browser().sign_in("a\u{0}@example.com", "whatever it is").await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
