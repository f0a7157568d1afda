//! The rows of each exportable list, composed at the root because the lists are every area's:
//! the list's own filter, the caller's data scope, keyset pages (so a million rows never sit in
//! memory), one query per page. The export machinery (`exports`) reaches them through
//! `registry::EXPORTS`.

use crate::exports::{
    model::ExportEntity,
    sheet::{Cell, Column, Kind},
    source::{PAGE, Request, Who},
};
use crate::{
    customers::model::{CustomerFilter, CustomerSort, Money},
    error::AppError,
    i18n::{ColumnText as C, Locale, Text},
};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;
use tokio::sync::mpsc::Sender;

fn columns_of(locale: Locale, list: &[(C, Kind)]) -> Vec<Column> {
    list.iter().map(|(title, kind)| Column::new(title.text(locale), *kind)).collect()
}

/// The columns of `entity`'s file, titled in `locale`.
pub fn columns(entity: ExportEntity, locale: Locale) -> Vec<Column> {
    use Kind::*;
    let list: &[(C, Kind)] = match entity {
        ExportEntity::Customers => &[
            (C::Id, Code),
            (C::ExternalId, Code),
            (C::Name, Text),
            (C::CustomerType, Text),
            (C::ActivityStatus, Text),
            (C::Stage, Text),
            (C::Phone, Code),
            (C::Email, Text),
            (C::Region, Text),
            (C::Industry, Text),
            (C::Owner, Text),
            (C::Tags, Text),
            (C::Language, Text),
            (C::OrderCount, Integer),
            (C::TotalSpend, Money),
            (C::LastOrder, Date),
        ],
        ExportEntity::Contacts => &[
            (C::CustomerId, Code),
            (C::Customer, Text),
            (C::Name, Text),
            (C::Title, Text),
            (C::Phone, Code),
            (C::Email, Text),
            (C::Primary, Text),
        ],
        ExportEntity::Orders => &[
            (C::OrderNo, Code),
            (C::ExternalId, Code),
            (C::OrderedAt, Time),
            (C::CustomerId, Code),
            (C::CustomerExternalId, Code),
            (C::Customer, Text),
            (C::Channel, Text),
            (C::Currency, Code),
            (C::Total, Money),
            (C::Status, Text),
            (C::Refunded, Money),
            (C::Reason, Long),
            (C::Lines, Integer),
            (C::Notes, Long),
        ],
        ExportEntity::OrderLines => &[
            (C::OrderNo, Code),
            (C::OrderedAt, Time),
            (C::CustomerId, Code),
            (C::Customer, Text),
            (C::Sku, Code),
            (C::Product, Text),
            (C::Quantity, Integer),
            (C::UnitPrice, Money),
            (C::LineTotal, Money),
        ],
        ExportEntity::Products => &[
            (C::Sku, Code),
            (C::ExternalId, Code),
            (C::Name, Text),
            (C::Category, Text),
            (C::UnitPrice, Money),
            (C::Active, Text),
        ],
        ExportEntity::Interactions => &[
            (C::OccurredAt, Time),
            (C::CustomerId, Code),
            (C::Customer, Text),
            (C::Kind, Text),
            (C::Direction, Text),
            (C::Subject, Text),
            (C::Outcome, Long),
            (C::NextStep, Text),
            (C::NextStepDue, Date),
            (C::By, Text),
        ],
        ExportEntity::Leads => &[
            (C::Id, Code),
            (C::CreatedAt, Time),
            (C::Name, Text),
            (C::Company, Text),
            (C::Phone, Code),
            (C::Email, Text),
            (C::Region, Text),
            (C::Source, Text),
            (C::Status, Text),
            (C::Owner, Text),
            (C::FirstContacted, Time),
            (C::Message, Long),
        ],
        ExportEntity::Opportunities => &[
            (C::Id, Code),
            (C::Opportunity, Text),
            (C::Customer, Text),
            (C::Pipeline, Text),
            (C::Stage, Text),
            (C::Amount, Money),
            (C::ExpectedClose, Date),
            (C::Owner, Text),
            (C::NextStep, Text),
            (C::CreatedAt, Time),
            (C::ClosedAt, Time),
            (C::LostReason, Text),
        ],
        ExportEntity::Tickets => &[
            (C::Id, Code),
            (C::CreatedAt, Time),
            (C::Subject, Text),
            (C::Customer, Text),
            (C::Channel, Text),
            (C::Category, Text),
            (C::Priority, Text),
            (C::Status, Text),
            (C::Assignee, Text),
            (C::FirstResponseDue, Time),
            (C::FirstRespondedAt, Time),
            (C::ResolutionDue, Time),
            (C::ResolvedAt, Time),
            (C::Breached, Text),
        ],
        ExportEntity::Tasks => &[
            (C::Task, Text),
            (C::DueAt, Time),
            (C::Priority, Text),
            (C::Assignee, Text),
            (C::Customer, Text),
            (C::DoneAt, Time),
            (C::Notes, Long),
        ],
        ExportEntity::SurveyAnswers => &[
            (C::Survey, Text),
            (C::AnsweredAt, Time),
            (C::CustomerId, Code),
            (C::Customer, Text),
            (C::Email, Text),
            (C::Csat, Integer),
            (C::Nps, Integer),
            (C::Answers, Long),
            (C::Agent, Text),
        ],
        ExportEntity::Points => &[
            (C::CustomerId, Code),
            (C::Customer, Text),
            (C::At, Time),
            (C::Points, Integer),
            (C::Kind, Text),
            (C::Reason, Text),
            (C::OrderNo, Code),
            (C::ExpiresAt, Time),
        ],
        ExportEntity::ReportOrders => &[
            (C::OrderNo, Code),
            (C::OrderedAt, Time),
            (C::CustomerId, Code),
            (C::Customer, Text),
            (C::Owner, Text),
            (C::Region, Text),
            (C::Channel, Text),
            (C::NetOfRefunds, Money),
        ],
        ExportEntity::AuditLog => &[
            (C::At, Time),
            (C::Who, Text),
            (C::Action, Text),
            (C::EntityType, Text),
            (C::EntityId, Code),
            (C::ClientIp, Code),
            (C::Before, Long),
            (C::After, Long),
        ],
    };
    columns_of(locale, list)
}

/// The first instant of a company day, as SQL turns it: `$n::date` read in the company zone
/// is done in each query; here the bounds travel as dates.
fn bounds(request: &Request) -> (Option<NaiveDate>, Option<NaiveDate>) {
    (request.from, request.to.and_then(|to| to.succ_opt()))
}

fn yes_no(value: bool, locale: Locale) -> Cell {
    Cell::text(if value { C::Yes } else { C::No }.text(locale))
}

/// Sends pages of `entity`'s rows to `out` until the list ends; returns the number of rows.
///
/// Errors: `Forbidden` (the audit log for a non-admin), `Validation` (`filter`).
pub async fn produce(
    pool: &PgPool,
    who: &Who,
    entity: ExportEntity,
    request: &Request,
    locale: Locale,
    out: &Sender<Vec<Vec<Cell>>>,
) -> Result<u64, AppError> {
    if entity.admin_only() && !who.admin {
        return Err(AppError::Forbidden);
    }
    let scope = who.visible_owners.as_deref();
    let mut sent = 0u64;
    let mut send = async |rows: Vec<Vec<Cell>>| -> Result<bool, AppError> {
        let more = rows.len() as i64 == PAGE;
        sent += rows.len() as u64;
        if !rows.is_empty() && out.send(rows).await.is_err() {
            // The writer stopped (the download was cancelled): stop reading.
            return Ok(false);
        }
        Ok(more)
    };
    let (from, until) = bounds(request);
    match entity {
        ExportEntity::Customers => {
            use crate::customers::labels::{
                customer_stage_label, customer_status_label, customer_type_label,
            };
            let mut filter: CustomerFilter = request.filter()?;
            filter.sort = CustomerSort::Newest;
            let settings = crate::customers::repo::settings(pool).await?;
            let mut cursor = None;
            loop {
                let page = crate::customers::repo::list(
                    pool,
                    &filter,
                    scope,
                    cursor.as_ref(),
                    PAGE,
                    &settings,
                )
                .await?;
                let rows = page
                    .items
                    .iter()
                    .map(|c| {
                        vec![
                            Cell::text(c.id.0.to_string()),
                            Cell::opt(c.external_id.clone()),
                            Cell::text(&c.name),
                            Cell::text(customer_type_label(c.customer_type, locale)),
                            Cell::text(customer_status_label(c.status, locale)),
                            Cell::text(customer_stage_label(c.stage, locale)),
                            Cell::opt(c.phone.clone()),
                            Cell::opt(c.email.clone()),
                            Cell::opt(c.region.clone()),
                            Cell::opt(c.industry.clone()),
                            Cell::opt(c.owner_name.clone()),
                            Cell::text(c.tags.join(";")),
                            Cell::text(c.locale.endonym()),
                            Cell::Int(c.order_count.into()),
                            money(&c.total_spend),
                            Cell::date(
                                c.last_order_at
                                    .map(|t| crate::ui::local_date(t, &settings.time_zone)),
                            ),
                        ]
                    })
                    .collect::<Vec<_>>();
                match (send(rows).await?, page.next) {
                    (true, Some(next)) => cursor = Some(next),
                    _ => break,
                }
            }
        }
        ExportEntity::Contacts => {
            let mut after = 0i64;
            loop {
                let rows = sqlx::query!(
                    "select k.id, k.customer_id, c.name as customer, k.name, k.title, k.phone,
                            k.email, k.is_primary
                     from contact k join customer c on c.id = k.customer_id
                     where k.deleted_at is null and c.deleted_at is null and k.id > $1
                       and ($2::bigint[] is null or c.owner_id = any($2))
                     order by k.id limit $3",
                    after,
                    scope as _,
                    PAGE
                )
                .fetch_all(pool)
                .await?;
                after = rows.last().map(|r| r.id).unwrap_or(after);
                let rows = rows
                    .into_iter()
                    .map(|r| {
                        vec![
                            Cell::text(r.customer_id.to_string()),
                            Cell::text(r.customer),
                            Cell::text(r.name),
                            Cell::opt(r.title),
                            Cell::opt(r.phone),
                            Cell::opt(r.email),
                            yes_no(r.is_primary, locale),
                        ]
                    })
                    .collect();
                if !send(rows).await? {
                    break;
                }
            }
        }
        ExportEntity::Orders => {
            use crate::orders::{
                model::{Channel, OrderStatus},
                views::{channel_label, status_label},
            };
            let mut after = 0i64;
            loop {
                let rows = sqlx::query!(
                    r#"select o.id, o.order_no, o.external_id, o.ordered_at as "ordered_at: DateTime<Utc>",
                              o.customer_id, c.external_id as customer_external_id, c.name,
                              o.channel, o.currency, o.total_minor, o.notes, o.status,
                              o.refunded_minor, o.cancel_reason,
                              (select count(*) from order_line l where l.order_id = o.id) as "lines!"
                       from sales_order o join customer c on c.id = o.customer_id
                       where o.id > $1 and c.deleted_at is null
                         and ($2::bigint[] is null or c.owner_id = any($2))
                         and ($3::date is null or o.ordered_at >= $3::timestamp at time zone company_time_zone())
                         and ($4::date is null or o.ordered_at < $4::timestamp at time zone company_time_zone())
                       order by o.id limit $5"#,
                    after,
                    scope as _,
                    from as _,
                    until as _,
                    PAGE
                )
                .fetch_all(pool)
                .await?;
                after = rows.last().map(|r| r.id).unwrap_or(after);
                let rows = rows
                    .into_iter()
                    .map(|r| {
                        let channel = Channel::parse(&r.channel).unwrap_or_default();
                        vec![
                            Cell::text(r.order_no),
                            Cell::opt(r.external_id),
                            Cell::Time(r.ordered_at),
                            Cell::text(r.customer_id.to_string()),
                            Cell::opt(r.customer_external_id),
                            Cell::text(r.name),
                            Cell::text(channel_label(channel).text(locale)),
                            Cell::text(&r.currency),
                            Cell::money(r.total_minor, &r.currency),
                            Cell::text(
                                status_label(OrderStatus::parse(&r.status).unwrap_or_default())
                                    .text(locale),
                            ),
                            Cell::money(r.refunded_minor, &r.currency),
                            Cell::opt(r.cancel_reason),
                            Cell::Int(r.lines),
                            Cell::opt(r.notes),
                        ]
                    })
                    .collect();
                if !send(rows).await? {
                    break;
                }
            }
        }
        ExportEntity::OrderLines => {
            let mut after = 0i64;
            loop {
                let rows = sqlx::query!(
                    r#"select l.id, o.order_no, o.ordered_at as "ordered_at: DateTime<Utc>",
                              o.customer_id, c.name as customer, p.sku, p.name as product,
                              l.quantity, l.unit_price_minor, l.line_total_minor, o.currency
                       from order_line l
                       join sales_order o on o.id = l.order_id
                       join customer c on c.id = o.customer_id
                       join product p on p.id = l.product_id
                       where l.id > $1 and c.deleted_at is null
                         and ($2::bigint[] is null or c.owner_id = any($2))
                         and ($3::date is null or o.ordered_at >= $3::timestamp at time zone company_time_zone())
                         and ($4::date is null or o.ordered_at < $4::timestamp at time zone company_time_zone())
                       order by l.id limit $5"#,
                    after,
                    scope as _,
                    from as _,
                    until as _,
                    PAGE
                )
                .fetch_all(pool)
                .await?;
                after = rows.last().map(|r| r.id).unwrap_or(after);
                let rows = rows
                    .into_iter()
                    .map(|r| {
                        vec![
                            Cell::text(r.order_no),
                            Cell::Time(r.ordered_at),
                            Cell::text(r.customer_id.to_string()),
                            Cell::text(r.customer),
                            Cell::text(r.sku),
                            Cell::text(r.product),
                            Cell::Int(r.quantity.into()),
                            Cell::money(r.unit_price_minor, &r.currency),
                            Cell::money(r.line_total_minor, &r.currency),
                        ]
                    })
                    .collect();
                if !send(rows).await? {
                    break;
                }
            }
        }
        ExportEntity::Products => {
            let mut after = 0i64;
            loop {
                let rows = sqlx::query!(
                    "select id, sku, external_id, name, category, unit_price_minor, currency, active
                     from product where id > $1 order by id limit $2",
                    after,
                    PAGE
                )
                .fetch_all(pool)
                .await?;
                after = rows.last().map(|r| r.id).unwrap_or(after);
                let rows = rows
                    .into_iter()
                    .map(|r| {
                        vec![
                            Cell::text(r.sku),
                            Cell::opt(r.external_id),
                            Cell::text(r.name),
                            Cell::opt(r.category),
                            Cell::money(r.unit_price_minor, &r.currency),
                            yes_no(r.active, locale),
                        ]
                    })
                    .collect();
                if !send(rows).await? {
                    break;
                }
            }
        }
        ExportEntity::Interactions => {
            use crate::interactions::{
                model::{Direction, InteractionKind},
                views::{direction_label, kind_label},
            };
            let mut after = 0i64;
            loop {
                let rows = sqlx::query!(
                    r#"select i.id, i.occurred_at as "occurred_at: DateTime<Utc>", i.customer_id,
                              c.name, i.kind, i.direction, i.subject, i.outcome, i.next_step,
                              i.next_step_due as "next_step_due: NaiveDate",
                              u.display_name as "by?"
                       from interaction i join customer c on c.id = i.customer_id
                       left join app_user u on u.id = i.created_by
                       where i.id > $1 and i.deleted_at is null and c.deleted_at is null
                         and ($2::bigint[] is null or c.owner_id = any($2))
                         and ($3::date is null or i.occurred_at >= $3::timestamp at time zone company_time_zone())
                         and ($4::date is null or i.occurred_at < $4::timestamp at time zone company_time_zone())
                       order by i.id limit $5"#,
                    after,
                    scope as _,
                    from as _,
                    until as _,
                    PAGE
                )
                .fetch_all(pool)
                .await?;
                after = rows.last().map(|r| r.id).unwrap_or(after);
                let rows = rows
                    .into_iter()
                    .map(|r| {
                        let kind = InteractionKind::parse(&r.kind).unwrap_or_default();
                        let direction = Direction::parse(&r.direction).unwrap_or_default();
                        vec![
                            Cell::Time(r.occurred_at),
                            Cell::text(r.customer_id.to_string()),
                            Cell::text(r.name),
                            Cell::text(kind_label(kind).text(locale)),
                            Cell::text(direction_label(direction).text(locale)),
                            Cell::text(r.subject),
                            Cell::opt(r.outcome),
                            Cell::opt(r.next_step),
                            Cell::date(r.next_step_due),
                            Cell::opt(r.by),
                        ]
                    })
                    .collect();
                if !send(rows).await? {
                    break;
                }
            }
        }
        ExportEntity::Leads => {
            use crate::leads::views::{source_label, status_label};
            let filter: crate::leads::model::LeadFilter = request.filter()?;
            let mut before = None;
            loop {
                let page = crate::leads::service::list(pool, scope, &filter, before, PAGE).await?;
                let rows = page
                    .items
                    .iter()
                    .map(|l| {
                        vec![
                            Cell::text(l.id.0.to_string()),
                            Cell::Time(l.created_at),
                            Cell::text(&l.name),
                            Cell::opt(l.company.clone()),
                            Cell::opt(l.phone.clone()),
                            Cell::opt(l.email.clone()),
                            Cell::opt(l.region.clone()),
                            Cell::text(source_label(l.source).text(locale)),
                            Cell::text(status_label(l.status).text(locale)),
                            Cell::opt(l.owner_name.clone()),
                            Cell::time(l.first_contacted_at),
                            Cell::opt(l.message.clone()),
                        ]
                    })
                    .collect::<Vec<_>>();
                match (send(rows).await?, page.next) {
                    (true, Some(cursor)) => before = Some(cursor),
                    _ => break,
                }
            }
        }
        ExportEntity::Opportunities => {
            let filter: crate::pipeline::model::BoardFilter = request.filter()?;
            let close = filter.close_range();
            // As the list view searches: title or next step.
            let text = filter.search.as_deref().and_then(crate::customers::model::TextMatch::of);
            let mut after = 0i64;
            loop {
                let rows = sqlx::query!(
                    r#"select o.id, o.title, c.name as customer, p.name_zh as pipeline_zh,
                              p.name_en as pipeline_en, s.name_zh as stage_zh, s.name_en as stage_en,
                              o.amount_minor, o.currency,
                              o.expected_close as "expected_close: NaiveDate",
                              u.display_name as "owner?", o.next_step,
                              o.created_at as "created_at: DateTime<Utc>",
                              o.closed_at as "closed_at: DateTime<Utc>", o.lost_reason
                       from opportunity o
                       join customer c on c.id = o.customer_id
                       join pipeline p on p.id = o.pipeline_id
                       join pipeline_stage s on s.id = o.stage_id
                       left join app_user u on u.id = o.owner_id
                       where o.id > $1 and o.deleted_at is null
                         and ($2::bigint[] is null or o.owner_id = any($2))
                         and ($3::bigint is null or o.pipeline_id = $3)
                         and ($4::bigint is null or o.owner_id = $4)
                         and ($5::date is null or o.expected_close between $5 and $6)
                         and ($7::bigint is null or o.amount_minor >= $7)
                         and ($8 or o.closed_at is null)
                         and ($10::text is null or o.search_text like $10)
                       order by o.id limit $9"#,
                    after,
                    scope as _,
                    filter.pipeline_id.map(|p| p.0),
                    filter.owner_id.map(|o| o.0),
                    close.map(|c| c.0) as _,
                    close.map(|c| c.1) as _,
                    filter.min_amount_minor,
                    filter.include_closed,
                    PAGE,
                    text.as_ref().map(|t| t.pattern.as_str()),
                )
                .fetch_all(pool)
                .await?;
                after = rows.last().map(|r| r.id).unwrap_or(after);
                let pick = |zh: String, en: String| if locale == Locale::ZhCn { zh } else { en };
                let rows = rows
                    .into_iter()
                    .map(|r| {
                        vec![
                            Cell::text(r.id.to_string()),
                            Cell::text(r.title),
                            Cell::text(r.customer),
                            Cell::text(pick(r.pipeline_zh, r.pipeline_en)),
                            Cell::text(pick(r.stage_zh, r.stage_en)),
                            Cell::money(r.amount_minor, &r.currency),
                            Cell::Date(r.expected_close),
                            Cell::opt(r.owner),
                            Cell::opt(r.next_step),
                            Cell::Time(r.created_at),
                            Cell::time(r.closed_at),
                            Cell::opt(r.lost_reason),
                        ]
                    })
                    .collect();
                if !send(rows).await? {
                    break;
                }
            }
        }
        ExportEntity::Tickets => {
            use crate::tickets::{
                model::{Category, Channel, TicketPriority, TicketStatus},
                views::{category_label, channel_label, priority_label, status_label},
            };
            #[derive(serde::Deserialize, Default)]
            #[serde(default)]
            struct TicketExport {
                /// `open`, `closed`, or everything.
                status: Option<String>,
            }
            let filter: TicketExport = request.filter()?;
            let open = filter.status.as_deref().map(|s| s == "open");
            let mut after = 0i64;
            loop {
                let rows = sqlx::query!(
                    r#"select t.id, t.created_at as "created_at: DateTime<Utc>", t.subject,
                              c.name as customer, t.channel, t.category, t.priority, t.status,
                              u.display_name as "assignee?",
                              t.first_response_due as "first_response_due: DateTime<Utc>",
                              t.first_responded_at as "first_responded_at: DateTime<Utc>",
                              t.resolution_due as "resolution_due: DateTime<Utc>",
                              t.resolved_at as "resolved_at: DateTime<Utc>",
                              t.first_response_breached or t.resolution_breached as "breached!"
                       from ticket t join customer c on c.id = t.customer_id
                       left join app_user u on u.id = t.assignee_id
                       where t.id > $1 and t.deleted_at is null
                         and ($2::bigint[] is null or t.assignee_id = any($2) or c.owner_id = any($2))
                         and ($3::bool is null or (t.status not in ('resolved', 'closed')) = $3)
                         and ($4::date is null or t.created_at >= $4::timestamp at time zone company_time_zone())
                         and ($5::date is null or t.created_at < $5::timestamp at time zone company_time_zone())
                       order by t.id limit $6"#,
                    after,
                    scope as _,
                    open,
                    from as _,
                    until as _,
                    PAGE
                )
                .fetch_all(pool)
                .await?;
                after = rows.last().map(|r| r.id).unwrap_or(after);
                let rows = rows
                    .into_iter()
                    .map(|r| {
                        let label = |text: Option<crate::i18n::TicketText>| {
                            text.map(|t| Cell::text(t.text(locale))).unwrap_or(Cell::Empty)
                        };
                        vec![
                            Cell::text(r.id.to_string()),
                            Cell::Time(r.created_at),
                            Cell::text(r.subject),
                            Cell::text(r.customer),
                            label(Channel::parse(&r.channel).ok().map(channel_label)),
                            label(Category::parse(&r.category).ok().map(category_label)),
                            label(TicketPriority::parse(&r.priority).ok().map(priority_label)),
                            label(TicketStatus::parse(&r.status).ok().map(status_label)),
                            Cell::opt(r.assignee),
                            Cell::Time(r.first_response_due),
                            Cell::time(r.first_responded_at),
                            Cell::Time(r.resolution_due),
                            Cell::time(r.resolved_at),
                            yes_no(r.breached, locale),
                        ]
                    })
                    .collect();
                if !send(rows).await? {
                    break;
                }
            }
        }
        ExportEntity::Tasks => {
            use crate::tasks::{model::Priority, views::priority_label};
            let mut after = 0i64;
            loop {
                let rows = sqlx::query!(
                    r#"select t.id, t.title, t.due_at as "due_at: DateTime<Utc>", t.priority,
                              u.display_name as assignee, c.name as "customer?",
                              t.done_at as "done_at: DateTime<Utc>", t.notes
                       from task t join app_user u on u.id = t.assignee_id
                       left join customer c on c.id = t.customer_id
                       where t.id > $1 and t.deleted_at is null
                         and ($2::bigint[] is null or t.assignee_id = any($2))
                         and ($3::date is null or t.due_at >= $3::timestamp at time zone company_time_zone())
                         and ($4::date is null or t.due_at < $4::timestamp at time zone company_time_zone())
                       order by t.id limit $5"#,
                    after,
                    scope as _,
                    from as _,
                    until as _,
                    PAGE
                )
                .fetch_all(pool)
                .await?;
                after = rows.last().map(|r| r.id).unwrap_or(after);
                let rows = rows
                    .into_iter()
                    .map(|r| {
                        let priority = Priority::parse(&r.priority).unwrap_or_default();
                        vec![
                            Cell::text(r.title),
                            Cell::Time(r.due_at),
                            Cell::text(priority_label(priority).text(locale)),
                            Cell::text(r.assignee),
                            Cell::opt(r.customer),
                            Cell::time(r.done_at),
                            Cell::opt(r.notes),
                        ]
                    })
                    .collect();
                if !send(rows).await? {
                    break;
                }
            }
        }
        ExportEntity::SurveyAnswers => {
            #[derive(serde::Deserialize, Default)]
            #[serde(default)]
            struct AnswersExport {
                survey_id: Option<i64>,
            }
            let filter: AnswersExport = request.filter()?;
            let mut after = 0i64;
            loop {
                let rows = sqlx::query!(
                    r#"select a.id, s.name_zh, s.name_en,
                              a.created_at as "created_at: DateTime<Utc>", a.customer_id,
                              c.name as customer, r.email, a.csat, a.nps, a.answers,
                              u.display_name as "agent?"
                       from survey_answer a
                       join survey s on s.id = a.survey_id
                       join survey_recipient r on r.id = a.recipient_id
                       join customer c on c.id = a.customer_id
                       left join app_user u on u.id = a.agent_id
                       where a.id > $1 and ($2::bigint[] is null or c.owner_id = any($2))
                         and ($3::bigint is null or a.survey_id = $3)
                         and ($4::date is null or a.created_at >= $4::timestamp at time zone company_time_zone())
                         and ($5::date is null or a.created_at < $5::timestamp at time zone company_time_zone())
                       order by a.id limit $6"#,
                    after,
                    scope as _,
                    filter.survey_id,
                    from as _,
                    until as _,
                    PAGE
                )
                .fetch_all(pool)
                .await?;
                after = rows.last().map(|r| r.id).unwrap_or(after);
                let rows = rows
                    .into_iter()
                    .map(|r| {
                        vec![
                            Cell::text(if locale == Locale::ZhCn { r.name_zh } else { r.name_en }),
                            Cell::Time(r.created_at),
                            Cell::text(r.customer_id.to_string()),
                            Cell::text(r.customer),
                            Cell::text(r.email),
                            r.csat.map(|n| Cell::Int(n.into())).unwrap_or(Cell::Empty),
                            r.nps.map(|n| Cell::Int(n.into())).unwrap_or(Cell::Empty),
                            Cell::text(r.answers.to_string()),
                            Cell::opt(r.agent),
                        ]
                    })
                    .collect();
                if !send(rows).await? {
                    break;
                }
            }
        }
        ExportEntity::Points => {
            let mut after = 0i64;
            loop {
                let rows = sqlx::query!(
                    r#"select p.id, p.customer_id, c.name, p.at as "at: DateTime<Utc>", p.delta,
                              p.kind, p.reason, o.order_no as "order_no?",
                              p.expires_at as "expires_at: DateTime<Utc>"
                       from points_entry p join customer c on c.id = p.customer_id
                       left join sales_order o on o.id = p.order_id
                       where p.id > $1 and ($2::bigint[] is null or c.owner_id = any($2))
                       order by p.id limit $3"#,
                    after,
                    scope as _,
                    PAGE
                )
                .fetch_all(pool)
                .await?;
                after = rows.last().map(|r| r.id).unwrap_or(after);
                let rows = rows
                    .into_iter()
                    .map(|r| {
                        vec![
                            Cell::text(r.customer_id.to_string()),
                            Cell::text(r.name),
                            Cell::Time(r.at),
                            Cell::Int(r.delta),
                            Cell::text(r.kind),
                            Cell::opt(r.reason),
                            Cell::opt(r.order_no),
                            Cell::time(r.expires_at),
                        ]
                    })
                    .collect();
                if !send(rows).await? {
                    break;
                }
            }
        }
        ExportEntity::ReportOrders => {
            // The report's own filter (dates included): the same orders as its drill-down list,
            // newest first, a page at a time.
            use crate::reports::service::{days_of, orders_in_scope};
            let filter: crate::reports::model::SalesFilter = request.filter()?;
            let days = days_of(pool, &filter).await?;
            let mut after = None;
            loop {
                let page = orders_in_scope(pool, scope, &filter, days, after, PAGE).await?;
                let rows = page
                    .items
                    .into_iter()
                    .map(|o| {
                        vec![
                            Cell::text(o.order_no),
                            Cell::Time(o.ordered_at),
                            Cell::text(o.customer_id.to_string()),
                            Cell::text(o.customer_name),
                            Cell::opt(o.owner_name),
                            Cell::opt(o.region),
                            Cell::text(crate::orders::views::channel_label(o.channel).text(locale)),
                            Cell::money(o.net_minor, &o.currency),
                        ]
                    })
                    .collect();
                let more = send(rows).await?;
                match page.next {
                    Some(next) if more => after = Some(next),
                    _ => break,
                }
            }
        }
        ExportEntity::AuditLog => {
            use crate::i18n::{audit_action_label, entity_type_label};
            let filter: crate::audit::model::AuditFilter = request.filter()?;
            let (from, until) =
                (filter.from.or(from), filter.to.and_then(|t| t.succ_opt()).or(until));
            let mut after = 0i64;
            loop {
                let rows = sqlx::query!(
                    r#"select a.id, a.at as "at: DateTime<Utc>", u.display_name as "who?",
                              a.action, a.entity_type, a.entity_id, a.client_ip::text as ip,
                              a.before, a.after
                       from audit_log a left join app_user u on u.id = a.actor_id
                       where a.id > $1
                         and ($2::text is null or a.entity_type = $2)
                         and ($3::text is null or a.entity_id = $3)
                         and ($4::bigint is null or a.actor_id = $4)
                         and ($5::text is null or a.action = $5)
                         and ($6::date is null or a.at >= $6::timestamp at time zone company_time_zone())
                         and ($7::date is null or a.at < $7::timestamp at time zone company_time_zone())
                       order by a.id limit $8"#,
                    after,
                    filter.entity_type,
                    filter.entity_id,
                    filter.actor_id.map(|a| a.0),
                    filter.action,
                    from as _,
                    until as _,
                    PAGE
                )
                .fetch_all(pool)
                .await?;
                after = rows.last().map(|r| r.id).unwrap_or(after);
                let json = |v: Option<serde_json::Value>| {
                    v.map(|v| Cell::text(v.to_string())).unwrap_or(Cell::Empty)
                };
                let rows = rows
                    .into_iter()
                    .map(|r| {
                        vec![
                            Cell::Time(r.at),
                            Cell::opt(r.who),
                            Cell::text(audit_action_label(&r.action, locale)),
                            Cell::text(entity_type_label(&r.entity_type, locale)),
                            Cell::text(r.entity_id),
                            Cell::opt(r.ip),
                            json(r.before),
                            json(r.after),
                        ]
                    })
                    .collect();
                if !send(rows).await? {
                    break;
                }
            }
        }
    }
    Ok(sent)
}

fn money(money: &Money) -> Cell {
    Cell::money(money.minor, &money.currency)
}
