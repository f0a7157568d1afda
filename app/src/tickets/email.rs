//! Email both ways on tickets (server only): a reply goes to the customer from the desk's
//! address, threaded by Message-ID; the desk's mailbox is read over IMAP, and each email
//! continues its ticket (by its thread headers, else a `[#123]` in the subject from the ticket's
//! customer), opens one for a known sender, or waits for triage.

use super::{
    model::{
        Category, Channel, InboundEmail, MessageKind, TicketId, TicketInput, TicketPriority,
        TicketStatus,
    },
    service,
};
use crate::{
    audit::repo::{Change, record},
    auth::server::{Actor, Authenticated, DataScope},
    customers::model::CustomerId,
    error::AppError,
    i18n::{Locale, Text, TicketText, fill},
    jobs::{
        context::{JobContext, JobError},
        model::kinds as job_kinds,
        queue::{NewJob, enqueue},
    },
    paging::Page,
    state::AppState,
};
use sqlx::{PgConnection, PgPool};

/// The Message-ID of reply `message` on `ticket`, without angle brackets (as stored).
pub fn message_id(ticket: TicketId, message: i64, domain: &str) -> String {
    format!("ticket-{}.{message}@{domain}", ticket.0)
}

/// A reply's subject: the ticket's number first, so any reply to it finds its ticket even when
/// a mail program drops the thread headers.
pub fn subject_line(ticket: TicketId, subject: &str) -> String {
    format!("[#{}] {subject}", ticket.0)
}

/// The ticket number in a subject such as `Re: [#123] Printer`.
pub fn ticket_in_subject(subject: &str) -> Option<i64> {
    let start = subject.find("[#")? + 2;
    let digits: String = subject[start..].chars().take_while(char::is_ascii_digit).collect();
    (subject[start + digits.len()..].starts_with(']') && !digits.is_empty() && digits.len() <= 18)
        .then(|| digits.parse().ok())
        .flatten()
}

/// The domain of an address such as `Service <help@example.com>`.
fn domain_of(address: &str) -> String {
    address
        .rsplit('@')
        .next()
        .map(|d| d.trim_end_matches('>').trim().to_owned())
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "guanxi.localhost".to_owned())
}

/// The address replies are sent from.
fn desk_address(state: &AppState) -> String {
    state.settings.desk_address.clone().unwrap_or_else(|| state.settings.mail_from.clone())
}

/// Queues the email of reply `message` when the ticket's customer (or its contact) has an
/// address; marks the message queued. Inside the reply's transaction.
pub async fn queue_reply(
    conn: &mut PgConnection,
    ticket: TicketId,
    message: i64,
) -> Result<bool, AppError> {
    let to: Option<String> = sqlx::query_scalar(
        "select coalesce(nullif(ct.email, ''), nullif(c.email, '')) from ticket t
         join customer c on c.id = t.customer_id
         left join contact ct on ct.id = t.contact_id
         where t.id = $1",
    )
    .bind(ticket.0)
    .fetch_one(&mut *conn)
    .await?;
    if to.is_none() {
        return Ok(false);
    }
    sqlx::query("update ticket_message set email_status = 'queued' where id = $1")
        .bind(message)
        .execute(&mut *conn)
        .await?;
    let mut job =
        NewJob::new(job_kinds::TICKET_REPLY_EMAIL, serde_json::json!({ "message": message }));
    job.dedupe_key = Some(format!("ticket_reply:{message}"));
    enqueue(conn, job).await?;
    Ok(true)
}

/// The `ticket_reply_email` job: emails one reply to the customer, in the customer's language,
/// threaded after the ticket's earlier emails. Sent once: a message already sent is skipped.
pub async fn send_reply(ctx: JobContext) -> Result<(), JobError> {
    #[derive(serde::Deserialize)]
    struct Payload {
        message: i64,
    }
    let payload: Payload = ctx.payload()?;
    let state = ctx.state.clone();
    let mut tx = state.pool.begin().await?;
    #[derive(sqlx::FromRow)]
    struct Reply {
        ticket: i64,
        body: String,
        status: Option<String>,
        subject: String,
        locale: String,
        to: Option<String>,
    }
    let row: Option<Reply> = sqlx::query_as(
        "select t.id as ticket, m.body, m.email_status as status, t.subject, c.locale,
                coalesce(nullif(ct.email, ''), nullif(c.email, '')) as to
         from ticket_message m
         join ticket t on t.id = m.ticket_id
         join customer c on c.id = t.customer_id
         left join contact ct on ct.id = t.contact_id
         where m.id = $1
         for update of m",
    )
    .bind(payload.message)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(Reply { ticket, body, status, subject, locale, to }) = row else { return Ok(()) };
    if status.as_deref() != Some("queued") {
        return Ok(());
    }
    let ticket = TicketId(ticket);
    let Some(to) = to else {
        return Err(JobError::Fatal("the customer has no email address any more".into()));
    };
    // The thread so far: every earlier message that travelled by email, oldest first; the
    // reply answers the latest.
    let thread: Vec<String> = sqlx::query_scalar(
        "select email_message_id from ticket_message
         where ticket_id = $1 and id < $2 and email_message_id is not null order by id",
    )
    .bind(ticket.0)
    .bind(payload.message)
    .fetch_all(&mut *tx)
    .await?;
    let desk = desk_address(&state);
    let own_id = message_id(ticket, payload.message, &domain_of(&desk));
    let locale = Locale::from_stored(&locale);
    let mut text = body.clone();
    text.push_str("\n\n-- \n");
    text.push_str(&fill(TicketText::EmailFooter.text(locale), &[("number", &ticket.0)]));
    text.push('\n');
    let bracketed: Vec<String> = thread.iter().map(|id| format!("<{id}>")).collect();
    let email = crate::mail::ThreadedEmail {
        to: &to,
        from: Some(&desk),
        subject: &subject_line(ticket, &subject),
        body: text,
        message_id: &format!("<{own_id}>"),
        in_reply_to: bracketed.last().map(String::as_str),
        references: bracketed.clone(),
    };
    let sent = match crate::mail::Mailer::from_settings(&state.settings) {
        Ok(mailer) => mailer.send_in_thread(email).await,
        // No server to send through: the message says so at once; retrying cannot help.
        Err(reason) => {
            sqlx::query(
                "update ticket_message set email_status = 'failed', email_error = $2 where id = $1",
            )
            .bind(payload.message)
            .bind(&reason)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            service::announce_message(&state.pool, ticket).await?;
            return Ok(());
        }
    };
    match sent {
        Ok(()) => {
            sqlx::query(
                "update ticket_message set email_status = 'sent', email_error = null,
                     email_message_id = $2
                 where id = $1",
            )
            .bind(payload.message)
            .bind(&own_id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            service::announce_message(&state.pool, ticket).await?;
            Ok(())
        }
        Err(reason) => {
            // Failed on the last attempt: the message says so; before that it stays queued.
            let last = ctx.job.attempts >= ctx.job.max_attempts;
            sqlx::query(
                "update ticket_message set email_error = $2,
                     email_status = case when $3 then 'failed' else email_status end
                 where id = $1",
            )
            .bind(payload.message)
            .bind(&reason)
            .bind(last)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            service::announce_message(&state.pool, ticket).await?;
            Err(JobError::Retry(reason))
        }
    }
}

/// An email as read from the mailbox.
#[derive(Debug)]
pub struct IncomingEmail {
    pub message_id: String,
    /// In-Reply-To and References, without angle brackets.
    pub thread: Vec<String>,
    pub from_address: String,
    pub from_name: Option<String>,
    pub subject: String,
    pub body: String,
    pub attachments: Vec<Attachment>,
}

#[derive(Debug)]
pub struct Attachment {
    pub file_name: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

/// Reads a raw RFC 5322 message. An email without a Message-ID gets one derived from its
/// content, so reading it twice still stores it once.
pub fn parse(raw: &[u8]) -> Option<IncomingEmail> {
    use mail_parser::{MessageParser, MimeHeaders};
    let message = MessageParser::default().parse(raw)?;
    let from = message.from()?.first()?;
    let from_address = from.address()?.trim().to_lowercase();
    let mut thread: Vec<String> = Vec::new();
    for header in [message.in_reply_to(), message.references()] {
        if let Some(list) = header.as_text_list() {
            thread.extend(list.iter().map(|id| id.trim_matches(['<', '>', ' ']).to_owned()));
        } else if let Some(id) = header.as_text() {
            thread.push(id.trim_matches(['<', '>', ' ']).to_owned());
        }
    }
    let message_id = match message.message_id() {
        Some(id) => id.trim_matches(['<', '>', ' ']).to_owned(),
        None => {
            use sha2::Digest;
            format!("{:x}@no-message-id", sha2::Sha256::digest(raw))
        }
    };
    let attachments = message
        .attachments()
        .map(|part| Attachment {
            file_name: part.attachment_name().unwrap_or("attachment").to_owned(),
            content_type: part
                .content_type()
                .map(|t| match t.subtype() {
                    Some(sub) => format!("{}/{sub}", t.ctype()),
                    None => t.ctype().to_owned(),
                })
                .unwrap_or_else(|| "application/octet-stream".to_owned()),
            content: part.contents().to_vec(),
        })
        .collect();
    Some(IncomingEmail {
        message_id,
        thread,
        from_name: from.name().map(str::to_owned),
        from_address,
        subject: message.subject().unwrap_or_default().trim().to_owned(),
        body: message.body_text(0).map(|b| b.trim().to_owned()).unwrap_or_default(),
        attachments,
    })
}

/// What became of an email.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Imported {
    /// Added to the conversation of this ticket.
    Continued(TicketId),
    /// A new ticket for the sender's customer.
    Opened(TicketId),
    /// From no customer's address: kept for an agent to triage.
    ForTriage,
    /// Read before (the same Message-ID).
    AlreadyRead,
}

/// Stores one email where it belongs, in one transaction.
pub async fn import(state: &AppState, email: &IncomingEmail) -> Result<Imported, AppError> {
    let mut tx = state.pool.begin().await?;
    let seen: bool = sqlx::query_scalar(
        "select exists(select 1 from ticket_message where email_message_id = $1)
             or exists(select 1 from inbound_email where message_id = $1)",
    )
    .bind(&email.message_id)
    .fetch_one(&mut *tx)
    .await?;
    if seen {
        return Ok(Imported::AlreadyRead);
    }
    // The sender's customer, by the address of the customer or one of its contacts.
    let customer: Option<i64> = sqlx::query_scalar(
        "select c.id from customer c
         where c.deleted_at is null
           and (c.email_normalized = $1
                or exists(select 1 from contact ct where ct.customer_id = c.id
                          and ct.deleted_at is null and ct.email_normalized = $1))
         order by c.id limit 1",
    )
    .bind(&email.from_address)
    .fetch_optional(&mut *tx)
    .await?;
    // Its ticket: by the thread headers, else by the number in the subject when the sender is
    // that ticket's customer (anyone can type a number; only the customer may continue it).
    // A ticket in the recycle bin is not continued: the email is as new.
    let by_thread: Option<(i64, String)> = sqlx::query_as(
        "select t.id, t.status from ticket_message m join ticket t on t.id = m.ticket_id
         where m.email_message_id = any($1) and t.deleted_at is null order by m.id desc limit 1",
    )
    .bind(&email.thread)
    .fetch_optional(&mut *tx)
    .await?;
    let by_subject = match (by_thread.is_none(), ticket_in_subject(&email.subject), customer) {
        (true, Some(number), Some(customer)) => {
            sqlx::query_as(
                "select id, status from ticket where id = $1 and customer_id = $2 and deleted_at is null",
            )
                .bind(number)
                .bind(customer)
                .fetch_optional(&mut *tx)
                .await?
        }
        _ => None,
    };
    let found = by_thread.or(by_subject);
    let outcome = match (found, customer) {
        (Some((ticket, status)), _) if status != TicketStatus::Closed.as_str() => {
            let ticket = TicketId(ticket);
            continue_ticket(&mut tx, ticket, &status, email).await?;
            Imported::Continued(ticket)
        }
        // A closed ticket is not reopened by mail: the email opens a new one.
        (_, Some(customer)) => {
            let (ticket, _) =
                open_ticket(&mut tx, Actor::system(), None, CustomerId(customer), email).await?;
            Imported::Opened(ticket)
        }
        _ => {
            let waiting: i64 = sqlx::query_scalar(
                "insert into inbound_email (message_id, from_address, from_name, subject, body)
                 values ($1, $2, $3, $4, $5) returning id",
            )
            .bind(&email.message_id)
            .bind(&email.from_address)
            .bind(&email.from_name)
            .bind(&email.subject)
            .bind(&email.body)
            .fetch_one(&mut *tx)
            .await?;
            store_attachments(&mut tx, Kept::WithEmail(waiting), email).await?;
            Imported::ForTriage
        }
    };
    tx.commit().await?;
    match outcome {
        Imported::Continued(ticket) | Imported::Opened(ticket) => {
            service::announce_message(&state.pool, ticket).await?;
        }
        _ => {}
    }
    Ok(outcome)
}

/// The email as the customer's message on `ticket`, with its attachments; the clock runs again
/// if it waited on the customer, and a resolved ticket is reopened.
async fn continue_ticket(
    conn: &mut PgConnection,
    ticket: TicketId,
    status: &str,
    email: &IncomingEmail,
) -> Result<(), AppError> {
    let message = insert_message(conn, ticket, email).await?;
    store_attachments(conn, Kept::WithMessage(message), email).await?;
    let status = crate::error::stored(TicketStatus::parse(status))?;
    service::customer_wrote(conn, ticket, status).await
}

/// A new ticket for `customer` from `email`, by `actor` (the mailbox itself, or the agent who
/// triaged it, within their `scope`); returns it and its first message.
async fn open_ticket(
    conn: &mut PgConnection,
    actor: Actor,
    scope: Option<&DataScope>,
    customer: CustomerId,
    email: &IncomingEmail,
) -> Result<(TicketId, i64), AppError> {
    let subject =
        if email.subject.is_empty() { email.from_address.clone() } else { email.subject.clone() };
    let input = TicketInput {
        customer_id: Some(customer),
        contact_id: None,
        channel: Channel::Email,
        category: Category::default(),
        priority: TicketPriority::default(),
        subject: subject.chars().take(200).collect(),
        description: String::new(),
        assignee_id: None,
    };
    let (ticket, _) = service::create_in(conn, actor, scope, input, None).await?;
    let message = insert_message(conn, ticket, email).await?;
    store_attachments(conn, Kept::WithMessage(message), email).await?;
    Ok((ticket, message))
}

async fn insert_message(
    conn: &mut PgConnection,
    ticket: TicketId,
    email: &IncomingEmail,
) -> Result<i64, AppError> {
    let body = if email.body.is_empty() { email.subject.clone() } else { email.body.clone() };
    let body = if body.trim().is_empty() { "(empty email)".to_owned() } else { body };
    Ok(sqlx::query_scalar(
        "insert into ticket_message (ticket_id, kind, body, email_message_id, email_from)
         values ($1, $2, $3, $4, $5) returning id",
    )
    .bind(ticket.0)
    .bind(MessageKind::Customer.as_str())
    .bind(body.chars().take(20_000).collect::<String>())
    .bind(&email.message_id)
    .bind(&email.from_address)
    .fetch_one(&mut *conn)
    .await?)
}

/// Emails from unknown senders still waiting for someone to triage them, newest first.
pub async fn awaiting_triage(
    pool: &PgPool,
    before: Option<i64>,
    limit: i64,
) -> Result<Page<InboundEmail>, AppError> {
    let rows = sqlx::query!(
        r#"select e.id, e.from_address, e.from_name, e.subject, e.body,
                  e.received_at as "received_at: chrono::DateTime<chrono::Utc>",
                  array(select a.file_name from ticket_attachment a
                        where a.inbound_email_id = e.id order by a.id) as "file_names!"
           from inbound_email e
           where e.handled_at is null and ($1::bigint is null or e.id < $1)
           order by e.id desc limit $2"#,
        before,
        limit + 1,
    )
    .fetch_all(pool)
    .await?;
    let emails = rows
        .into_iter()
        .map(|r| InboundEmail {
            id: r.id,
            from_address: r.from_address,
            from_name: r.from_name,
            subject: r.subject,
            body: r.body,
            received_at: r.received_at,
            file_names: r.file_names,
        })
        .collect();
    Ok(Page::from_overfetch(emails, limit, |e: &InboundEmail| e.id))
}

/// Triages an email from an unknown sender: a ticket for `customer` (in the caller's scope)
/// with the email as its first customer message, so replies to it continue that ticket; or,
/// without a customer, dismissed. Either way it leaves the list, once.
///
/// Errors: `NotFound`, `ChangedMeanwhile` (someone triaged it first), `Validation`
/// (`customer_id` out of scope).
pub async fn triage(
    state: &AppState,
    caller: &Authenticated,
    id: i64,
    customer: Option<CustomerId>,
) -> Result<Option<TicketId>, AppError> {
    let mut tx = state.pool.begin().await?;
    let row = sqlx::query!(
        "select message_id, from_address, from_name, subject, body, handled_at is not null as \"handled!\"
         from inbound_email where id = $1 for update",
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    if row.handled {
        return Err(crate::audit::repo::changed_meanwhile(&mut *tx, "inbound_email", id).await);
    }
    let ticket = match customer {
        Some(customer) => {
            let email = IncomingEmail {
                message_id: row.message_id,
                thread: Vec::new(),
                from_address: row.from_address,
                from_name: row.from_name,
                subject: row.subject,
                body: row.body,
                attachments: Vec::new(),
            };
            // A customer out of the caller's scope is refused at `customer_id`.
            let (ticket, message) =
                open_ticket(&mut tx, caller.actor(), Some(&caller.scope), customer, &email).await?;
            // The files that waited with the email go with it.
            sqlx::query!(
                "update ticket_attachment set message_id = $2, inbound_email_id = null
                 where inbound_email_id = $1",
                id,
                message,
            )
            .execute(&mut *tx)
            .await?;
            Some(ticket)
        }
        None => {
            // Dismissed (spam, mostly): its files are not kept.
            sqlx::query!("delete from ticket_attachment where inbound_email_id = $1", id)
                .execute(&mut *tx)
                .await?;
            None
        }
    };
    sqlx::query!(
        "update inbound_email set ticket_id = $2, handled_at = now(), handled_by = $3 where id = $1",
        id,
        ticket.map(|t| t.0),
        caller.id().0,
    )
    .execute(&mut *tx)
    .await?;
    let action = if ticket.is_some() { "triage" } else { "dismiss" };
    let change = Change::new(action, "inbound_email", id).after(&serde_json::json!({
        "ticket_id": ticket.map(|t| t.0), "customer_id": customer.map(|c| c.0),
    }));
    record(&mut *tx, caller.actor(), change).await?;
    tx.commit().await?;
    if let Some(ticket) = ticket {
        service::announce_message(&state.pool, ticket).await?;
    }
    Ok(ticket)
}

/// Attachments up to this size each are kept; larger ones are named in the message instead.
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

/// Where an email's files are kept: with the message it became, or with the email while it
/// waits for triage.
#[derive(Clone, Copy)]
enum Kept {
    WithMessage(i64),
    WithEmail(i64),
}

async fn store_attachments(
    conn: &mut PgConnection,
    kept: Kept,
    email: &IncomingEmail,
) -> Result<(), AppError> {
    let (message, waiting) = match kept {
        Kept::WithMessage(message) => (Some(message), None),
        Kept::WithEmail(email) => (None, Some(email)),
    };
    for attachment in &email.attachments {
        if attachment.content.len() > MAX_ATTACHMENT_BYTES {
            tracing::warn!(file = %attachment.file_name, bytes = attachment.content.len(), "attachment too large to keep");
            continue;
        }
        sqlx::query(
            "insert into ticket_attachment
                 (message_id, inbound_email_id, file_name, content_type, size_bytes, content)
             values ($1, $2, $3, $4, $5, $6)",
        )
        .bind(message)
        .bind(waiting)
        .bind(&attachment.file_name)
        .bind(&attachment.content_type)
        .bind(attachment.content.len() as i32)
        .bind(&attachment.content)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The mailbox to read: host, port, TLS, user, password and folder from `imap[s]://...`.
#[derive(Debug, PartialEq, Eq)]
pub struct MailboxUrl {
    pub tls: bool,
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
    pub folder: String,
}

impl MailboxUrl {
    pub fn parse(url: &str) -> Result<Self, String> {
        let (tls, rest) = if let Some(rest) = url.strip_prefix("imaps://") {
            (true, rest)
        } else if let Some(rest) = url.strip_prefix("imap://") {
            (false, rest)
        } else {
            return Err("GUANXI_IMAP_URL must start with imap:// or imaps://".into());
        };
        let (credentials, rest) =
            rest.rsplit_once('@').ok_or("GUANXI_IMAP_URL needs user:password@")?;
        let (user, password) =
            credentials.split_once(':').ok_or("GUANXI_IMAP_URL needs user:password@")?;
        let (address, folder) = rest.split_once('/').unwrap_or((rest, "INBOX"));
        let (host, port) = match address.rsplit_once(':') {
            Some((host, port)) => (host, port.parse().map_err(|_| "bad port in GUANXI_IMAP_URL")?),
            None => (address, if tls { 993 } else { 143 }),
        };
        let decode = |s: &str| {
            let mut out = Vec::new();
            let bytes = s.as_bytes();
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i] == b'%'
                    && i + 2 < bytes.len()
                    && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
                {
                    out.push(b);
                    i += 3;
                    continue;
                }
                out.push(bytes[i]);
                i += 1;
            }
            String::from_utf8_lossy(&out).into_owned()
        };
        Ok(MailboxUrl {
            tls,
            host: host.to_owned(),
            port,
            user: decode(user),
            password: decode(password),
            folder: if folder.is_empty() { "INBOX".to_owned() } else { decode(folder) },
        })
    }
}

/// What one poll did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PollReport {
    pub fetched: u64,
    pub imported: u64,
}

/// Messages fetched per round trip.
const FETCH_BATCH: usize = 50;

/// Reads the mailbox's new messages (by UID, after the last one read) and imports each. The
/// position is saved after every message, so a failure resumes where it stopped; a changed
/// UIDVALIDITY (the folder was recreated) starts over, and Message-IDs keep that from storing
/// anything twice.
pub async fn poll_once(state: &AppState) -> Result<PollReport, AppError> {
    let Some(url) = state.settings.imap_url.as_deref() else { return Ok(PollReport::default()) };
    let result = match MailboxUrl::parse(url) {
        Ok(url) => poll(state, &url).await,
        Err(error) => Err(error),
    };
    let pool = &state.pool;
    match &result {
        Ok(report) => {
            sqlx::query(
                "update mailbox_state set last_poll_at = now(), last_success_at = now(),
                     fetched = fetched + $1, imported = imported + $2, last_error = null",
            )
            .bind(report.fetched as i64)
            .bind(report.imported as i64)
            .execute(pool)
            .await?;
        }
        Err(error) => {
            sqlx::query(
                "update mailbox_state set last_poll_at = now(), last_error = $1, last_error_at = now()",
            )
            .bind(error)
            .execute(pool)
            .await?;
        }
    }
    result.map_err(AppError::internal)
}

/// One poll; the error says what failed, for the health line.
async fn poll(state: &AppState, url: &MailboxUrl) -> Result<PollReport, String> {
    use futures::TryStreamExt;
    let failed = |what: &str, e: &dyn std::fmt::Display| format!("IMAP {what}: {e}");
    let db = |e: sqlx::Error| format!("database: {e}");
    let tcp = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        tokio::net::TcpStream::connect((url.host.as_str(), url.port)),
    )
    .await
    .map_err(|e| failed("connect", &e))?
    .map_err(|e| failed("connect", &e))?;
    let stream: Box<dyn ImapStream> = if url.tls {
        let mut roots = tokio_rustls::rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let config = tokio_rustls::rustls::ClientConfig::builder_with_provider(
            std::sync::Arc::new(tokio_rustls::rustls::crypto::ring::default_provider()),
        )
        .with_safe_default_protocol_versions()
        .map_err(|e| failed("TLS", &e))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let name = tokio_rustls::rustls::pki_types::ServerName::try_from(url.host.clone())
            .map_err(|e| failed("TLS name", &e))?;
        let tls = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
            .connect(name, tcp)
            .await
            .map_err(|e| failed("TLS", &e))?;
        Box::new(tls)
    } else {
        Box::new(tcp)
    };
    let mut client = async_imap::Client::new(stream);
    client.read_response().await.map_err(|e| failed("greeting", &e))?;
    let mut session =
        client.login(&url.user, &url.password).await.map_err(|(e, _)| failed("login", &e))?;
    let mailbox = session.select(&url.folder).await.map_err(|e| failed("select", &e))?;
    let validity = mailbox.uid_validity.map(i64::from);
    let (stored_validity, last_uid): (Option<i64>, i64) =
        sqlx::query_as("select uid_validity, last_uid from mailbox_state")
            .fetch_one(&state.pool)
            .await
            .map_err(db)?;
    let last_uid = if stored_validity == validity { last_uid } else { 0 };
    sqlx::query("update mailbox_state set uid_validity = $1, last_uid = $2")
        .bind(validity)
        .bind(last_uid)
        .execute(&state.pool)
        .await
        .map_err(db)?;
    let mut uids: Vec<u32> = session
        .uid_search(format!("UID {}:*", last_uid + 1))
        .await
        .map_err(|e| failed("search", &e))?
        .into_iter()
        // `n:*` always names the last message, even when it is older than n.
        .filter(|uid| i64::from(*uid) > last_uid)
        .collect();
    uids.sort_unstable();
    let mut report = PollReport::default();
    for batch in uids.chunks(FETCH_BATCH) {
        let set = batch.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
        let fetches: Vec<_> = session
            .uid_fetch(&set, "(UID BODY.PEEK[])")
            .await
            .map_err(|e| failed("fetch", &e))?
            .try_collect()
            .await
            .map_err(|e| failed("fetch", &e))?;
        let mut fetched: Vec<(u32, Vec<u8>)> =
            fetches.iter().filter_map(|f| Some((f.uid?, f.body()?.to_vec()))).collect();
        fetched.sort_by_key(|(uid, _)| *uid);
        for (uid, raw) in fetched {
            report.fetched += 1;
            match parse(&raw) {
                Some(email) => {
                    let imported =
                        import(state, &email).await.map_err(|e| format!("import: {e}"))?;
                    if imported != Imported::AlreadyRead {
                        report.imported += 1;
                    }
                }
                None => tracing::warn!(uid, "an email in the mailbox could not be read; skipped"),
            }
            sqlx::query("update mailbox_state set last_uid = $1")
                .bind(i64::from(uid))
                .execute(&state.pool)
                .await
                .map_err(db)?;
        }
    }
    let _ = session.logout().await;
    Ok(report)
}

/// A stream the IMAP client reads and writes: plain TCP or TLS.
trait ImapStream:
    tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + std::fmt::Debug
{
}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + std::fmt::Debug> ImapStream
    for T
{
}

/// Polls the mailbox (every 30 seconds unless configured otherwise) for the life of the
/// process, when one is configured.
pub async fn poll_mailbox(state: AppState) {
    if state.settings.imap_url.is_none() {
        return;
    }
    let mut closing = state.events.closing();
    loop {
        match poll_once(&state).await {
            Ok(report) if report.fetched > 0 => tracing::info!(?report, "mailbox read"),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "reading the mailbox failed; retrying"),
        }
        tokio::select! {
            _ = tokio::time::sleep(state.settings.imap_poll_every) => {}
            _ = closing.changed() => return,
        }
    }
}

/// The health line of the desk's mailbox; `configured` says whether one is set up at all.
pub async fn mailbox_health(
    pool: &PgPool,
    configured: bool,
) -> Result<super::model::MailboxHealth, AppError> {
    #[derive(sqlx::FromRow)]
    struct State {
        last_poll_at: Option<chrono::DateTime<chrono::Utc>>,
        last_success_at: Option<chrono::DateTime<chrono::Utc>>,
        fetched: i64,
        imported: i64,
        last_error: Option<String>,
        last_error_at: Option<chrono::DateTime<chrono::Utc>>,
        awaiting_triage: i64,
    }
    let row: State = sqlx::query_as(
        "select last_poll_at, last_success_at, fetched, imported, last_error, last_error_at,
                (select count(*) from inbound_email where handled_at is null) as awaiting_triage
         from mailbox_state",
    )
    .fetch_one(pool)
    .await?;
    Ok(super::model::MailboxHealth {
        configured,
        last_poll_at: row.last_poll_at,
        last_success_at: row.last_success_at,
        fetched: row.fetched,
        imported: row.imported,
        last_error: row.last_error,
        last_error_at: row.last_error_at,
        awaiting_triage: row.awaiting_triage,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_numbers_are_found_in_reply_subjects() {
        assert_eq!(ticket_in_subject("Re: [#123] Printer"), Some(123));
        assert_eq!(ticket_in_subject("回复：[#7] 发票"), Some(7));
        assert_eq!(ticket_in_subject("[#] nothing"), None);
        assert_eq!(ticket_in_subject("[#12 no bracket"), None);
        assert_eq!(subject_line(TicketId(5), "发票"), "[#5] 发票");
    }

    #[test]
    fn mailbox_urls_name_their_parts() {
        assert_eq!(
            MailboxUrl::parse("imap://desk%40example.com:s%3Acret@127.0.0.1:1143/INBOX").unwrap(),
            MailboxUrl {
                tls: false,
                host: "127.0.0.1".into(),
                port: 1143,
                user: "desk@example.com".into(),
                password: "s:cret".into(),
                folder: "INBOX".into(),
            }
        );
        let tls = MailboxUrl::parse("imaps://u:p@mail.example.com").unwrap();
        assert_eq!((tls.tls, tls.port, tls.folder.as_str()), (true, 993, "INBOX"));
        assert!(MailboxUrl::parse("pop3://u:p@x").is_err());
    }
}
