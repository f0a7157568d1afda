//! Sales server functions over HTTP: lesser roles refused, the id-swap refusal on
//! opportunities, and the public web-form endpoint from another site.

mod common;

use app::{
    auth::model::Role,
    customers::{api::CreateCustomer, model::CustomerInput},
    error::AppError,
    leads::api::{CreateLeadForm, GetLeadRouting, ListLeadForms, SaveLeadRouting},
    pipeline::{
        api::{
            CreateOpportunity, GetBoard, GetOpportunity, MoveOpportunity, SavePipeline, SaveQuota,
        },
        model::{Board, BoardFilter, OpportunityId, OpportunityInput, PipelineInput},
    },
};
use common::{TestServer, app_error};
use reqwest::{StatusCode, header};

#[tokio::test]
async fn sales_administration_refuses_lesser_roles_and_ids_do_not_cross_teams() {
    let server = TestServer::start().await;
    let east = server.db.team("East").await;
    let west = server.db.team("West").await;
    server.db.user("alice@example.com", Role::Member, Some(east), common::PASSWORD).await;
    server.db.user("bob@example.com", Role::Member, Some(west), common::PASSWORD).await;
    server.db.user("manager@example.com", Role::Manager, Some(east), common::PASSWORD).await;
    server.user("admin@example.com", Role::Admin).await;
    let alice = server.signed_in("alice@example.com").await;
    let bob = server.signed_in("bob@example.com").await;
    let manager = server.signed_in("manager@example.com").await;
    let admin = server.signed_in("admin@example.com").await;

    for browser in [&alice, &manager] {
        let save = browser.call(&SavePipeline { input: PipelineInput::default() }).await;
        assert_eq!(app_error(save).await, (StatusCode::FORBIDDEN, AppError::Forbidden));
        assert_eq!(app_error(browser.call(&GetLeadRouting {}).await).await.1, AppError::Forbidden);
        assert_eq!(app_error(browser.call(&ListLeadForms {}).await).await.1, AppError::Forbidden);
        let form = browser.call(&CreateLeadForm { name: "官网".into() }).await;
        assert_eq!(app_error(form).await.1, AppError::Forbidden);
    }
    let routing: app::leads::model::Routing = admin.ok(&GetLeadRouting {}).await;
    let () = admin.ok(&SaveLeadRouting { routing }).await;
    let quota = SaveQuota {
        owner_id: app::auth::model::UserId(1),
        month: chrono::Utc::now().date_naive(),
        amount: "100000".into(),
        version: 0,
    };
    assert_eq!(app_error(alice.call(&quota).await).await.1, AppError::Forbidden);

    // Bob's opportunity: Alice gets "not found" whatever id she sends.
    let customer: app::customers::model::CustomerId = bob
        .ok(&CreateCustomer {
            input: CustomerInput { name: "西部物流".into(), ..Default::default() },
            contacts: vec![],
        })
        .await;
    let id: OpportunityId = bob
        .ok(&CreateOpportunity {
            input: OpportunityInput {
                customer_id: Some(customer),
                title: "西部项目".into(),
                amount: "5000".into(),
                expected_close: Some(chrono::Utc::now().date_naive()),
                ..Default::default()
            },
        })
        .await;
    let (status, error) = app_error(alice.call(&GetOpportunity { id }).await).await;
    assert_eq!((status, error), (StatusCode::NOT_FOUND, AppError::NotFound));
    let board: Board = bob.ok(&GetBoard { filter: BoardFilter::default() }).await;
    let stage = board.pipeline.stages[1].id;
    let swap = MoveOpportunity { id, version: 1, stage_id: stage, lost_reason: None };
    assert_eq!(app_error(alice.call(&swap).await).await.1, AppError::NotFound);
    let moved: app::pipeline::model::Card = bob.ok(&swap).await;
    assert_eq!(moved.stage_id, stage);
    let alices: Board = alice.ok(&GetBoard { filter: BoardFilter::default() }).await;
    assert_eq!(alices.columns.iter().map(|c| c.count).sum::<i64>(), 0);
}

#[tokio::test]
async fn a_web_form_posts_from_another_site_without_signing_in() {
    let server = TestServer::start().await;
    server.user("admin@example.com", Role::Admin).await;
    let admin = server.signed_in("admin@example.com").await;
    let form: app::leads::model::LeadForm = admin.ok(&CreateLeadForm { name: "官网".into() }).await;
    let client = reqwest::Client::new();
    let url = format!("{}/forms/{}/leads", server.base, form.key);
    let preflight = client
        .request(reqwest::Method::OPTIONS, &url)
        .header(header::ORIGIN, "https://www.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    // An ordinary HTML form post from the company's site.
    let posted = client
        .post(&url)
        .header(header::ORIGIN, "https://www.example.com")
        .header("sec-fetch-site", "cross-site")
        .form(&[
            ("name", "陈静"),
            ("company", "厦门海晨科技"),
            ("phone", "13912345678"),
            ("message", "想了解报价"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), StatusCode::CREATED);
    let json = client
        .post(&url)
        .json(&serde_json::json!({ "name": "Ryan Wong", "email": "ryan@example.com" }))
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), StatusCode::CREATED);
    let bad = client.post(&url).json(&serde_json::json!({ "name": "" })).send().await.unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let unknown = client
        .post(format!("{}/forms/nope/leads", server.base))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(server.count("select count(*) from lead where source = 'web_form'").await, 2);
}
