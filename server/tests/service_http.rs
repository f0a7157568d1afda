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
