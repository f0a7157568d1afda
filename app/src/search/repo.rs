//! The global search's reads: one statement per kind, run side by side, each through the index
//! its area keeps (`search_keys`) and each within the caller's scope as that area defines it.
//! Leads, opportunities and tickets are first looked for among the newest `NEWEST_WINDOW` in
//! scope when the fragment is too short for the index or common (see
//! `customers::repo::newest_first_suits`); the index answers when that window holds too few.

use super::model::{HITS_PER_KIND, SearchHit, SearchKind, detail_line};
use crate::tickets::model::ticket_number;
use crate::{
    auth::{model::Role, server::Authenticated},
    customers::model::{CustomerFilter, TextMatch},
    error::AppError,
    i18n::{Locale, Text},
};
use sqlx::PgPool;

/// How many of the newest leads, opportunities or tickets in scope are read for a short or
/// common fragment before the index is asked. A fragment too short for the index (one Chinese
/// character, two Latin letters) is looked for only there.
pub const NEWEST_WINDOW: i64 = 2_000;

/// Whether to look among the newest in scope first.
async fn newest_first(
    pool: &PgPool,
    table: crate::customers::repo::SearchedTable,
    text: &TextMatch,
) -> Result<bool, AppError> {
    crate::customers::repo::newest_first_suits(pool, table, text, HITS_PER_KIND, NEWEST_WINDOW)
        .await
}

/// Whether what the newest window found answers the search: a full set of hits, or anything for
/// a fragment the index cannot look up (the window is all that is read for it). Nothing found
/// for a fragment with keys sends it to the index.
fn enough<T>(found: &[T], text: &TextMatch) -> bool {
    found.len() as i64 >= HITS_PER_KIND || text.keys.is_empty()
}

/// Everything the caller may see that matches `raw`, grouped by kind in `SearchKind::ALL` order,
/// at most `HITS_PER_KIND` of each.
pub async fn search(
    pool: &PgPool,
    caller: &Authenticated,
    locale: Locale,
    raw: &str,
) -> Result<Vec<SearchHit>, AppError> {
    let number = ticket_number(raw);
    let Some(text) = TextMatch::of(raw.trim().trim_start_matches('#')) else {
        return Ok(vec![]);
    };
    let scope = caller.scope.visible_owners();
    let scope = scope.as_deref();
    let (customers, contacts, leads, opportunities, tickets, products) = tokio::try_join!(
        customers(pool, scope, raw, locale),
        contacts(pool, scope, &text),
        leads(pool, scope, raw, locale),
        opportunities(pool, scope, &text),
        tickets(pool, caller, number, &text, locale),
        products(pool, caller.role(), &text),
    )?;
    Ok([customers, contacts, leads, opportunities, tickets, products].concat())
}

async fn customers(
    pool: &PgPool,
    scope: Option<&[i64]>,
    raw: &str,
    locale: Locale,
) -> Result<Vec<SearchHit>, AppError> {
    let settings = crate::customers::repo::settings_once_per_request(pool).await?;
    let filter = CustomerFilter { search: Some(raw.to_owned()), ..CustomerFilter::default() };
    let page =
        crate::customers::repo::list(pool, &filter, scope, None, HITS_PER_KIND, &settings).await?;
    Ok(page
        .items
        .into_iter()
        .map(|c| SearchHit {
            kind: SearchKind::Customer,
            id: c.id.0,
            detail: detail_line([
                Some(crate::customers::labels::customer_status_label(c.status, locale)),
                c.phone.as_deref(),
                c.email.as_deref(),
                c.region.as_deref(),
            ]),
            title: c.name,
            href: Some(format!("/customers/{}", c.id.0)),
        })
        .collect())
}

/// Contacts are found through their customers' index, which holds contacts' names and phones:
/// the customers that match, then those of their contacts that do.
async fn contacts(
    pool: &PgPool,
    scope: Option<&[i64]>,
    text: &TextMatch,
) -> Result<Vec<SearchHit>, AppError> {
    if text.keys.is_empty() {
        // Too short for the index: the customer list's own search covers it.
        return Ok(vec![]);
    }
    let table = crate::customers::repo::SearchedTable::Customer;
    let text = &crate::customers::repo::narrowed(pool, table, text, scope.is_some()).await?;
    // Without keys (all common), the newest customers are read until enough match; with rare
    // keys, the index lists the few that hold them.
    let (key_condition, newest_first) = if text.keys.is_empty() {
        ("", "order by c.id desc")
    } else {
        ("c.search_keys @> $1 and", "")
    };
    #[derive(sqlx::FromRow)]
    struct Found {
        id: i64,
        customer_id: i64,
        customer_name: String,
        name: String,
        phone: Option<String>,
        email: Option<String>,
    }
    let rows: Vec<Found> = sqlx::query_as(&format!(
        "with matching as materialized (
             select c.id, c.name from customer c
             where {key_condition} c.search_text like $2 and c.deleted_at is null
               and ($3::bigint[] is null or c.owner_id = any($3))
             {newest_first}
             limit 100)
         select ct.id, m.id as customer_id, m.name as customer_name, ct.name, ct.phone, ct.email
         from matching m
         join contact ct on ct.customer_id = m.id and ct.deleted_at is null
         where lower(ct.name) like $2 or ct.phone_normalized like $2 or ct.email_normalized like $2
         order by m.id desc, ct.id
         limit $4"
    ))
    .bind(&text.keys)
    .bind(&text.pattern)
    .bind(scope)
    .bind(HITS_PER_KIND)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|c| SearchHit {
            kind: SearchKind::Contact,
            id: c.id,
            detail: detail_line([
                Some(c.customer_name.as_str()),
                c.phone.as_deref(),
                c.email.as_deref(),
            ]),
            href: Some(format!("/customers/{}", c.customer_id)),
            title: c.name,
        })
        .collect())
}

async fn leads(
    pool: &PgPool,
    scope: Option<&[i64]>,
    raw: &str,
    locale: Locale,
) -> Result<Vec<SearchHit>, AppError> {
    use crate::{customers::repo::SearchedTable, leads::service};
    // As typed, `#` included, as the lead list searches: a ticket number is no lead's.
    let Some(text) = TextMatch::of(raw) else { return Ok(vec![]) };
    let mut found = vec![];
    if newest_first(pool, SearchedTable::Lead, &text).await? {
        found = service::search_newest(pool, scope, &text, NEWEST_WINDOW, HITS_PER_KIND).await?;
    }
    if !enough(&found, &text) {
        let filter =
            crate::leads::model::LeadFilter { search: Some(raw.to_owned()), ..Default::default() };
        found = service::list(pool, scope, &filter, None, HITS_PER_KIND).await?.items;
    }
    Ok(found
        .into_iter()
        .map(|l| SearchHit {
            kind: SearchKind::Lead,
            id: l.id.0,
            detail: detail_line([
                Some(crate::leads::views::status_label(l.status).text(locale)),
                l.company.as_deref(),
                l.phone.as_deref(),
                l.email.as_deref(),
            ]),
            href: Some(format!("/leads/{}", l.id.0)),
            title: l.name,
        })
        .collect())
}

async fn opportunities(
    pool: &PgPool,
    scope: Option<&[i64]>,
    text: &TextMatch,
) -> Result<Vec<SearchHit>, AppError> {
    use crate::{customers::repo::SearchedTable, pipeline::service};
    let mut cards = vec![];
    if newest_first(pool, SearchedTable::Opportunity, text).await? {
        cards = service::search_newest(pool, scope, text, NEWEST_WINDOW, HITS_PER_KIND).await?;
    }
    if !enough(&cards, text) {
        cards = service::search(pool, scope, text, HITS_PER_KIND).await?;
    }
    Ok(cards
        .into_iter()
        .map(|o| SearchHit {
            kind: SearchKind::Opportunity,
            id: o.id.0,
            detail: detail_line([
                Some(o.customer_name.as_str()),
                Some(o.amount().display().as_str()),
                Some(o.expected_close.to_string().as_str()),
            ]),
            title: o.title,
            href: Some(format!("/opportunities/{}", o.id.0)),
        })
        .collect())
}

async fn tickets(
    pool: &PgPool,
    caller: &Authenticated,
    number: Option<i64>,
    text: &TextMatch,
    locale: Locale,
) -> Result<Vec<SearchHit>, AppError> {
    use crate::{customers::repo::SearchedTable, tickets::service};
    let mut rows = vec![];
    // A number is looked up by itself, at once.
    let looked = number.is_none() && newest_first(pool, SearchedTable::Ticket, text).await?;
    if looked {
        rows = service::search_newest(pool, caller, text, NEWEST_WINDOW, HITS_PER_KIND).await?;
    }
    if !looked || !enough(&rows, text) {
        let search = service::TicketSearch { number, text: Some(text), done_only: false };
        rows = service::browse(pool, caller, search, None, HITS_PER_KIND).await?;
    }
    Ok(rows
        .into_iter()
        .map(|t| SearchHit {
            kind: SearchKind::Ticket,
            id: t.id.0,
            title: format!("#{} {}", t.id.0, t.subject),
            detail: detail_line([
                Some(crate::tickets::views::status_label(t.status).text(locale)),
                Some(t.customer_name.as_str()),
                t.assignee_name.as_deref(),
            ]),
            href: Some(format!("/tickets/{}", t.id.0)),
        })
        .collect())
}

/// Products have no owner: everyone finds them (a price on a call), admins can open them.
async fn products(pool: &PgPool, role: Role, text: &TextMatch) -> Result<Vec<SearchHit>, AppError> {
    let products = crate::orders::repo::search_products(pool, text, HITS_PER_KIND).await?;
    Ok(products
        .into_iter()
        .map(|p| SearchHit {
            kind: SearchKind::Product,
            id: p.id.0,
            detail: detail_line([
                Some(p.sku.as_str()),
                p.category.as_deref(),
                Some(p.unit_price.display().as_str()),
            ]),
            href: role.includes(Role::Admin).then(|| "/admin/products".to_owned()),
            title: p.name,
        })
        .collect())
}
