//! Service server functions over HTTP: lesser roles refused, the id-swap refusal on tickets,
//! and the public survey functions answering without a session.

mod common;

use app::{
    auth::model::{Role, UserId},
    customers::{api::CreateCustomer, model::CustomerInput},
    error::AppError,
    surveys::api::{GetPublicSurvey, GetSurveyResults, SaveSurvey, SendSurvey, SubmitSurveyAnswer},
    surveys::model::{AnswerValue, SendTarget, Survey},
    tickets::{
        api::{
            AssignTickets, ClaimTicket, CreateTicket, GetServiceReport, GetServiceSettings,
            GetTicket, ListQueue,
        },
        model::{Queue, TicketId, TicketInput},
    },
};
use common::{TestServer, app_error};
use reqwest::StatusCode;

#[tokio::test]
async fn service_refuses_lesser_roles_and_ids_do_not_cross_teams() {
    let server = TestServer::start().await;
    let east = server.db.team("East").await;
    let west = server.db.team("West").await;
    server.db.user("alice@example.com", Role::Member, Some(east), common::PASSWORD).await;
    let bob_id =
        server.db.user("bob@example.com", Role::Member, Some(west), common::PASSWORD).await;
    server.db.user("manager@example.com", Role::Manager, Some(east), common::PASSWORD).await;
    let alice = server.signed_in("alice@example.com").await;
    let bob = server.signed_in("bob@example.com").await;
    let manager = server.signed_in("manager@example.com").await;

    // Members: no bulk assignment, no report, no survey editing or results, no segment sends.
    let assign = AssignTickets { ids: vec![TicketId(1)], assignee_id: UserId(1) };
    assert_eq!(
        app_error(alice.call(&assign).await).await,
        (StatusCode::FORBIDDEN, AppError::Forbidden)
    );
    assert_eq!(
        app_error(alice.call(&GetServiceReport { days: 30 }).await).await.1,
        AppError::Forbidden
    );
    assert_eq!(
        app_error(alice.call(&SaveSurvey { survey: Survey::default() }).await).await.1,
        AppError::Forbidden
    );
    assert_eq!(
        app_error(alice.call(&GetSurveyResults { id: 1 }).await).await.1,
        AppError::Forbidden
    );
    let segment = SendSurvey { survey_id: 1, target: SendTarget::Segment(1) };
    assert_eq!(app_error(alice.call(&segment).await).await.1, AppError::Forbidden);
    // Managers: no SLA settings.
    for browser in [&alice, &manager] {
        assert_eq!(
            app_error(browser.call(&GetServiceSettings {}).await).await.1,
            AppError::Forbidden
        );
    }
    // Signed out: refused, never data.
    let stranger = server.browser();
    let queue = ListQueue { queue: Queue::AllOpen, search: None, after: None };
    assert_eq!(app_error(stranger.call(&queue).await).await.0, StatusCode::UNAUTHORIZED);

    // Bob's ticket: Alice gets "not found" whatever id she sends.
    let customer: app::customers::model::CustomerId = bob
        .ok(&CreateCustomer {
            input: CustomerInput { name: "西部物流".into(), ..Default::default() },
            contacts: vec![],
        })
        .await;
    let ticket: TicketId = bob
        .ok(&CreateTicket {
            input: TicketInput {
                customer_id: Some(customer),
                subject: "货物破损".into(),
                assignee_id: Some(bob_id),
                ..Default::default()
            },
        })
        .await;
    assert_eq!(
        app_error(alice.call(&GetTicket { id: ticket }).await).await,
        (StatusCode::NOT_FOUND, AppError::NotFound)
    );
    assert_eq!(
        app_error(alice.call(&ClaimTicket { id: ticket }).await).await.1,
        AppError::NotFound
    );
    let _: app::tickets::model::TicketDetail = bob.ok(&GetTicket { id: ticket }).await;

    // A file the customer emailed: Bob downloads it, as bytes that run nothing; Alice gets 404,
    // a signed-out visitor 401.
    let message: i64 = sqlx::query_scalar(
        "insert into ticket_message (ticket_id, kind, body) values ($1, 'customer', '见附件')
         returning id",
    )
    .bind(ticket.0)
    .fetch_one(&server.db.pool)
    .await
    .unwrap();
    let file: i64 = sqlx::query_scalar(
        "insert into ticket_attachment (message_id, file_name, content_type, size_bytes, content)
         values ($1, '破损照片.html', 'text/html', 20, '<script>x()</script>') returning id",
    )
    .bind(message)
    .fetch_one(&server.db.pool)
    .await
    .unwrap();
    let detail: app::tickets::model::TicketDetail = bob.ok(&GetTicket { id: ticket }).await;
    let listed = &detail.messages.last().unwrap().attachments[0];
    let url = format!("{}{}", server.base, listed.href());
    let response = bob.client.get(&url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let header = |name: &str| response.headers()[name].to_str().unwrap().to_owned();
    assert_eq!(header("content-type"), "application/octet-stream");
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert!(header("content-security-policy").contains("sandbox"));
    assert!(header("content-disposition").starts_with("attachment;"));
    assert!(header("content-disposition").contains("%E7%A0%B4%E6%8D%9F"));
    assert_eq!(response.bytes().await.unwrap().as_ref(), b"<script>x()</script>");
    let refused = alice.client.get(&url).send().await.unwrap();
    assert_eq!(app_error(refused).await, (StatusCode::NOT_FOUND, AppError::NotFound));
    let refused = stranger.client.get(&url).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(file, listed.id);
}

#[tokio::test]
async fn survey_links_answer_without_a_session_and_unknown_ones_learn_nothing() {
    let server = TestServer::start().await;
    let stranger = server.browser();
    let unknown = GetPublicSurvey { token: "f".repeat(64) };
    assert_eq!(
        app_error(stranger.call(&unknown).await).await,
        (StatusCode::NOT_FOUND, AppError::NotFound)
    );
    let submit = SubmitSurveyAnswer { token: "f".repeat(64), answers: vec![AnswerValue::Score(5)] };
    assert_eq!(app_error(stranger.call(&submit).await).await.1, AppError::NotFound);
}
