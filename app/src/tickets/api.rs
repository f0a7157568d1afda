//! Server functions of the service desk.

use super::model::*;
use crate::{auth::model::UserId, customers::model::CustomerId, error::AppError, paging::Page};
use leptos::{prelude::*, server_fn::codec::Json};

#[cfg(feature = "ssr")]
fn caller(
    role: crate::auth::model::Role,
) -> Result<(std::sync::Arc<crate::auth::server::Authenticated>, crate::state::AppState), AppError>
{
    Ok((crate::auth::server::require(role)?, crate::state::AppState::from_context()?))
}

/// One page of a queue, or of the tickets matching `search` (closed ones too), continuing
/// after `after`.
///
/// Any signed-in user (their scope applies). Errors: `Unauthorized`.
#[server(input = Json)]
pub async fn list_queue(
    queue: Queue,
    search: Option<String>,
    after: Option<QueueCursor>,
) -> Result<Page<TicketRow, QueueCursor>, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    let limit = crate::paging::DEFAULT_PAGE_SIZE;
    super::service::queue_or_search(&state.pool, &caller, queue, search.as_deref(), after, limit)
        .await
}

/// A ticket with its conversation.
///
/// Any signed-in user. Errors: `Unauthorized`, `NotFound`.
#[server(input = Json)]
pub async fn get_ticket(id: TicketId) -> Result<TicketDetail, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    super::service::detail(&state.pool, &caller, id).await
}

/// Edits a ticket seen at `version`: priority, category, customer, assignee.
///
/// Any signed-in user (their scope applies to the ticket, the new customer and the new
/// assignee). Errors: `Unauthorized`, `ChangedMeanwhile`, `Validation`, `NotFound`.
#[server(input = Json)]
pub async fn update_ticket(id: TicketId, version: i32, edit: TicketEdit) -> Result<(), AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    super::service::update(&state, &caller, id, version, edit).await
}

/// Moves a ticket seen at `version` to the recycle bin (a duplicate, or opened by mistake).
///
/// Managers and admins, on tickets in their scope: a breached ticket is not for an agent to
/// make disappear. Errors: `Unauthorized`, `Forbidden`, `ChangedMeanwhile`, `NotFound`.
#[server(input = Json)]
pub async fn delete_ticket(id: TicketId, version: i32) -> Result<(), AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Manager)?;
    super::service::delete(&state, &caller, id, version).await
}

/// The ticket recycle bin, most recently deleted first.
///
/// Admins. Errors: `Unauthorized`, `Forbidden`.
#[server(input = Json)]
pub async fn list_deleted_tickets(
    after: Option<crate::recycling::BinKey>,
) -> Result<Page<crate::recycling::Binned, crate::recycling::BinKey>, AppError> {
    let (_, state) = caller(crate::auth::model::Role::Admin)?;
    super::service::deleted(&state.pool, after, 50).await
}

/// Restores a ticket from the recycle bin.
///
/// Admins. Errors: `Unauthorized`, `Forbidden`, `NotFound`.
#[server(input = Json)]
pub async fn restore_ticket(id: TicketId) -> Result<(), AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Admin)?;
    super::service::restore(&state, &caller, id).await
}

/// Opens a ticket.
///
/// Any signed-in user. Errors: `Unauthorized`, `Validation`.
#[server(input = Json)]
pub async fn create_ticket(input: TicketInput) -> Result<TicketId, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    super::service::create(&state, &caller, input).await
}

/// Adds a reply, a note or the customer's message.
///
/// Any signed-in user. Errors: `Unauthorized`, `Validation` (`body`), `NotFound`.
#[server(input = Json)]
pub async fn reply_to_ticket(
    id: TicketId,
    kind: MessageKind,
    body: String,
) -> Result<(), AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    super::service::reply(&state, &caller, id, kind, &body).await
}

/// Moves a ticket to another status.
///
/// Any signed-in user. Errors: `Unauthorized`, `Conflict`, `Validation` (`status`), `NotFound`.
#[server(input = Json)]
pub async fn set_ticket_status(
    id: TicketId,
    version: i32,
    status: TicketStatus,
) -> Result<(), AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    super::service::set_status(&state, &caller, id, version, status).await
}

/// Takes an unassigned ticket.
///
/// Any signed-in user. Errors: `Unauthorized`, `AlreadyClaimed`, `NotFound`.
#[server(input = Json)]
pub async fn claim_ticket(id: TicketId) -> Result<(), AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    super::service::claim(&state, &caller, id).await
}

/// Assigns tickets to an agent.
///
/// Managers and admins. Errors: `Unauthorized`, `Forbidden`, `Validation` (`assignee_id`), `NotFound`.
#[server(input = Json)]
pub async fn assign_tickets(ids: Vec<TicketId>, assignee_id: UserId) -> Result<u64, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Manager)?;
    super::service::assign(&state, &caller, &ids, assignee_id).await
}

/// The people tickets can be assigned to.
///
/// Any signed-in user. Errors: `Unauthorized`.
#[server(input = Json)]
pub async fn list_agents() -> Result<Vec<Agent>, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    super::service::agents(&state.pool, &caller).await
}

/// The service section of a customer's 360 page.
///
/// Any signed-in user. Errors: `Unauthorized`, `NotFound`.
#[server(input = Json)]
pub async fn get_customer_service(customer_id: CustomerId) -> Result<CustomerService, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    super::service::customer_service(&state.pool, &caller, customer_id).await
}

/// Service quality over the last `days` days.
///
/// Managers and admins. Errors: `Unauthorized`, `Forbidden`.
#[server(input = Json)]
pub async fn get_service_report(days: i32) -> Result<ServiceReport, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Manager)?;
    super::service::report(&state.pool, &caller, days).await
}

/// Business hours and SLA policies.
///
/// Admins. Errors: `Unauthorized`, `Forbidden`.
#[server(input = Json)]
pub async fn get_service_settings() -> Result<ServiceSettings, AppError> {
    let (_, state) = caller(crate::auth::model::Role::Admin)?;
    super::service::settings(&state.pool).await
}

/// The health line of the service mailbox: last read, counts, last error, emails to triage.
///
/// Admins. Errors: `Unauthorized`, `Forbidden`.
#[server(input = Json)]
pub async fn get_mailbox_health() -> Result<MailboxHealth, AppError> {
    let (_, state) = caller(crate::auth::model::Role::Admin)?;
    super::email::mailbox_health(&state.pool, state.settings.imap_url.is_some()).await
}

/// Saves business hours and SLA policies.
///
/// Admins. Errors: `Unauthorized`, `Forbidden`, `Conflict`, `Validation`.
#[server(input = Json)]
pub async fn save_service_settings(
    calendar: BusinessCalendar,
    policies: Vec<SlaPolicy>,
) -> Result<(), AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Admin)?;
    super::service::save_settings(&state, &caller, calendar, policies).await
}

/// Emails from unknown senders waiting to be triaged, newest first.
///
/// Any signed-in user (the desk's shared inbox). Errors: `Unauthorized`.
#[server(input = Json)]
pub async fn list_triage(before: Option<i64>) -> Result<Page<InboundEmail>, AppError> {
    let (_, state) = caller(crate::auth::model::Role::Member)?;
    super::email::awaiting_triage(&state.pool, before, 50).await
}

/// Opens a ticket from a waiting email for a customer in the caller's scope, or dismisses it
/// (`customer_id` empty).
///
/// Any signed-in user. Errors: `Unauthorized`, `NotFound`, `ChangedMeanwhile`, `Validation`.
#[server(input = Json)]
pub async fn triage_email(
    id: i64,
    customer_id: Option<CustomerId>,
) -> Result<Option<TicketId>, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    super::email::triage(&state, &caller, id, customer_id).await
}
