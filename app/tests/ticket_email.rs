//! Email both ways on tickets against real servers: a reply goes through MailDev (SMTP) with
//! thread headers; customers' emails are read from Dovecot (IMAP) and continue their ticket,
//! open one for a known sender, or wait for triage; nothing is read twice.

use app::{
    auth::{model::Role, server::Authenticated},
    customers::{model::CustomerInput, service as customers},
    state::Settings,
    testing::{Background, ImapServer, SmtpSink, TestDatabase},
    tickets::{
        email::{self, Imported},
        model::{EmailStatus, MessageKind, TicketInput, TicketStatus},
        service as tickets,
    },
};

async fn caller(db: &TestDatabase, email: &str, role: Role) -> Authenticated {
    let id = db.user(email, role, None, "a long enough password").await;
    db.caller(id).await.unwrap()
}

#[tokio::test]
async fn a_reply_is_emailed_in_its_thread_and_the_customers_answer_continues_the_ticket() {
    let sink = SmtpSink::start().await;
    let mailbox = ImapServer::start().await;
    let db = TestDatabase::new().await;
    let state = db.state_with(Settings {
        smtp_url: Some(sink.smtp_url.clone()),
        desk_address: Some("Service desk <help@desk.example.com>".into()),
        imap_url: Some(mailbox.url()),
        ..Settings::default()
    });
    let workers = Background::start(&state);
    let agent = caller(&db, "agent@example.com", Role::Admin).await;
    let customer = customers::create(
        &state,
        &agent,
        CustomerInput {
            name: "Lakeside Teahouse".into(),
            email: "Owner@Lakeside.example".into(),
            locale: app::i18n::Locale::En,
            ..Default::default()
        },
        vec![],
    )
    .await
    .unwrap();
    let ticket = tickets::create(
        &state,
        &agent,
        TicketInput {
            customer_id: Some(customer),
            subject: "Kettle leaks".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    // The agent replies: the email leaves from the desk, numbered, in the customer's language.
    tickets::reply(&state, &agent, ticket, MessageKind::Reply, "Please send a photo of the base.")
        .await
        .unwrap();
    let sent = sink.message_to("owner@lakeside.example", 20).await;
    assert_eq!(sent["subject"], format!("[#{}] Kettle leaks", ticket.0));
    assert_eq!(sent["from"][0]["address"], "help@desk.example.com");
    let text = sent["text"].as_str().unwrap();
    assert!(text.starts_with("Please send a photo of the base."), "{text}");
    assert!(text.contains(&format!("keep the ticket number #{}", ticket.0)), "{text}");
    let our_id =
        sent["headers"]["message-id"].as_str().unwrap().trim_matches(['<', '>']).to_owned();
    assert_eq!(our_id.split('@').nth(1), Some("desk.example.com"));
    workers.settled(20).await;
    let detail = tickets::detail(&db.pool, &agent, ticket).await.unwrap();
    let reply = detail.messages.iter().find(|m| m.kind == MessageKind::Reply).unwrap();
    assert_eq!(reply.email_status, Some(EmailStatus::Sent));

    // The agent waits on the customer; the customer answers from their mail program, with a
    // photo, threaded under the reply (and a subject a mail program rewrote).
    let version = detail.row.version;
    tickets::set_status(&state, &agent, ticket, version, TicketStatus::Waiting).await.unwrap();
    mailbox
        .deliver(&format!(
            "From: Owner <owner@lakeside.example>\n\
             To: help@desk.example.com\n\
             Subject: AW: Kettle\n\
             Message-ID: <answer-1@lakeside.example>\n\
             In-Reply-To: <{our_id}>\n\
             References: <{our_id}>\n\
             MIME-Version: 1.0\n\
             Content-Type: multipart/mixed; boundary=\"b1\"\n\
             \n\
             --b1\n\
             Content-Type: text/plain; charset=utf-8\n\
             \n\
             Here it is. 底座有裂缝。\n\
             --b1\n\
             Content-Type: image/png\n\
             Content-Disposition: attachment; filename=\"base.png\"\n\
             Content-Transfer-Encoding: base64\n\
             \n\
             iVBORw0KGgo=\n\
             --b1--\n"
        ))
        .await;
    let report = email::poll_once(&state).await.unwrap();
    assert_eq!((report.fetched, report.imported), (1, 1));
    let detail = tickets::detail(&db.pool, &agent, ticket).await.unwrap();
    let answer = detail.messages.last().unwrap();
    assert_eq!(answer.kind, MessageKind::Customer);
    assert_eq!(answer.body, "Here it is. 底座有裂缝。");
    assert_eq!(answer.email_from.as_deref(), Some("owner@lakeside.example"));
    let file = &answer.attachments[0];
    assert_eq!(
        (
            answer.attachments.len(),
            file.file_name.as_str(),
            file.content_type.as_str(),
            file.size_bytes
        ),
        (1, "base.png", "image/png", 8)
    );
    let (name, _, content) = tickets::attachment(&db.pool, &agent, file.id).await.unwrap();
    assert_eq!((name.as_str(), content.as_slice()), ("base.png", b"\x89PNG\r\n\x1a\n".as_slice()));
    assert_eq!(
        detail.row.status,
        TicketStatus::Open,
        "the customer answered: the clock runs again"
    );

    // Read again (a second process, a restart): nothing new, nothing twice.
    assert_eq!(email::poll_once(&state).await.unwrap(), email::PollReport::default());
    let parsed = email::parse(b"From: owner@lakeside.example\r\nMessage-ID: <answer-1@lakeside.example>\r\nSubject: x\r\n\r\nagain\r\n").unwrap();
    assert_eq!(email::import(&state, &parsed).await.unwrap(), Imported::AlreadyRead);

    // A reply to that answer threads under both.
    tickets::reply(
        &state,
        &agent,
        ticket,
        MessageKind::Reply,
        "Thanks, a new kettle is on its way.",
    )
    .await
    .unwrap();
    workers.settled(20).await;
    let second = sink
        .messages()
        .await
        .into_iter()
        .find(|m| m["text"].as_str().is_some_and(|t| t.starts_with("Thanks, a new kettle")))
        .expect("the second reply");
    let headers = &second["headers"];
    assert_eq!(headers["in-reply-to"], "<answer-1@lakeside.example>");
    assert_eq!(
        headers["references"],
        serde_json::json!([format!("<{our_id}>"), "<answer-1@lakeside.example>"])
    );

    // A known customer writing afresh opens a ticket; a number in the subject from someone else
    // does not reach that ticket; an unknown sender waits for triage.
    mailbox
        .deliver(
            "From: owner@lakeside.example\nTo: help@desk.example.com\nSubject: New order question\n\
             Message-ID: <fresh-1@lakeside.example>\n\nDo you ship to Hangzhou?\n",
        )
        .await;
    mailbox
        .deliver(&format!(
            "From: stranger@elsewhere.example\nTo: help@desk.example.com\nSubject: Re: [#{}] Kettle leaks\n\
             Message-ID: <stranger-1@elsewhere.example>\n\nI want in on this.\n",
            ticket.0
        ))
        .await;
    let report = email::poll_once(&state).await.unwrap();
    assert_eq!((report.fetched, report.imported), (2, 2));
    let opened: (String, String) = sqlx::query_as(
        "select t.subject, t.channel from ticket t where t.customer_id = $1 and t.id <> $2",
    )
    .bind(customer.0)
    .bind(ticket.0)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(opened, ("New order question".to_owned(), "email".to_owned()));
    let on_first = tickets::detail(&db.pool, &agent, ticket).await.unwrap().messages;
    assert!(
        on_first.iter().all(|m| m.email_from.as_deref() != Some("stranger@elsewhere.example")),
        "{on_first:?}"
    );
    let triage: Vec<String> =
        sqlx::query_scalar("select from_address from inbound_email where handled_at is null")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(triage, ["stranger@elsewhere.example"]);
    let health = email::mailbox_health(&db.pool, true).await.unwrap();
    assert_eq!((health.fetched, health.imported, health.awaiting_triage), (3, 3, 1));
    assert!(health.last_error.is_none());
}

#[tokio::test]
async fn an_unreachable_mailbox_is_reported_on_the_health_line() {
    let db = TestDatabase::new().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let state = db.state_with(Settings {
        imap_url: Some(format!("imap://desk:pw@127.0.0.1:{port}/INBOX")),
        ..Settings::default()
    });
    assert!(email::poll_once(&state).await.is_err());
    let health = email::mailbox_health(&db.pool, true).await.unwrap();
    assert!(health.last_error.as_deref().is_some_and(|e| e.contains("connect")), "{health:?}");
    assert!(health.last_poll_at.is_some() && health.last_success_at.is_none());
}

#[tokio::test]
async fn an_unknown_senders_email_is_triaged_into_a_ticket_that_its_thread_then_continues() {
    let db = TestDatabase::new().await;
    let state = db.state();
    let east = db.team("East").await;
    let west = db.team("West").await;
    let agent_id =
        db.user("agent@example.com", Role::Member, Some(east), "a long enough password").await;
    let agent = db.caller(agent_id).await.unwrap();
    let other_id =
        db.user("other@example.com", Role::Member, Some(west), "a long enough password").await;
    let other = db.caller(other_id).await.unwrap();
    let customer = customers::create(
        &state,
        &agent,
        CustomerInput { name: "湖畔茶社".into(), ..Default::default() },
        vec![],
    )
    .await
    .unwrap();

    let first = email::parse(
        "From: 陌生人 <new@unknown.example>\r\nMessage-ID: <first@unknown.example>\r\n\
         Subject: =?UTF-8?B?5ZCI5L2c5ZKo6K+i?=\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n想了解批发价格。\r\n\
         --b1\r\nContent-Type: text/plain\r\n\
         Content-Disposition: attachment; filename=\"needs.txt\"\r\n\r\n500 boxes\r\n--b1--\r\n"
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(email::import(&state, &first).await.unwrap(), Imported::ForTriage);
    let waiting = email::awaiting_triage(&db.pool, None, 50).await.unwrap();
    assert_eq!(waiting.items.len(), 1);
    let waiting = &waiting.items[0];
    assert_eq!(
        (waiting.subject.as_str(), waiting.from_address.as_str(), waiting.from_name.as_deref()),
        ("合作咨询", "new@unknown.example", Some("陌生人"))
    );
    assert_eq!(waiting.file_names, ["needs.txt"], "its file waits with it");

    // Another team's member cannot put it on a customer they do not see; it still waits.
    let refused = email::triage(&state, &other, waiting.id, Some(customer)).await.unwrap_err();
    assert_eq!(
        refused.field_errors().unwrap().get("customer_id"),
        &[app::error::FieldError::UnknownReference]
    );
    assert_eq!(email::awaiting_triage(&db.pool, None, 50).await.unwrap().items.len(), 1);

    // The owner opens a ticket from it: the email is its first message.
    let ticket = email::triage(&state, &agent, waiting.id, Some(customer)).await.unwrap().unwrap();
    let detail = tickets::detail(&db.pool, &agent, ticket).await.unwrap();
    assert_eq!(detail.row.subject, "合作咨询");
    let message = &detail.messages[0];
    assert_eq!(
        (message.kind, message.body.as_str(), message.email_from.as_deref()),
        (MessageKind::Customer, "想了解批发价格。", Some("new@unknown.example"))
    );
    assert_eq!(message.attachments.len(), 1, "the file moved to the ticket with the email");
    let (name, _, content) =
        tickets::attachment(&db.pool, &agent, message.attachments[0].id).await.unwrap();
    assert_eq!((name.as_str(), content.trim_ascii()), ("needs.txt", b"500 boxes".as_slice()));
    // Once: a second triage is told who did it, and the list is empty.
    let again = email::triage(&state, &other, waiting.id, None).await.unwrap_err();
    assert_eq!(
        again,
        app::error::AppError::ChangedMeanwhile {
            by: "agent@example.com".into(),
            fields: vec!["status".into()]
        }
    );
    assert!(email::awaiting_triage(&db.pool, None, 50).await.unwrap().items.is_empty());

    // The sender's next email in that thread continues the ticket.
    let next = email::parse(
        b"From: new@unknown.example\r\nMessage-ID: <second@unknown.example>\r\n\
          In-Reply-To: <first@unknown.example>\r\nSubject: Re: x\r\n\r\nAnd 500 a month.\r\n",
    )
    .unwrap();
    assert_eq!(email::import(&state, &next).await.unwrap(), Imported::Continued(ticket));

    // Spam is dismissed: no ticket, gone from the list.
    let spam = email::parse(
        b"From: win@prize.example\r\nMessage-ID: <spam@prize.example>\r\nSubject: You won\r\n\
          MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b2\"\r\n\r\n\
          --b2\r\nContent-Type: text/plain\r\n\r\nClick.\r\n\
          --b2\r\nContent-Type: application/octet-stream\r\n\
          Content-Disposition: attachment; filename=\"prize.exe\"\r\n\r\nMZ\r\n--b2--\r\n",
    )
    .unwrap();
    assert_eq!(email::import(&state, &spam).await.unwrap(), Imported::ForTriage);
    let spam_id = email::awaiting_triage(&db.pool, None, 50).await.unwrap().items[0].id;
    assert_eq!(email::triage(&state, &agent, spam_id, None).await.unwrap(), None);
    assert!(email::awaiting_triage(&db.pool, None, 50).await.unwrap().items.is_empty());
    let kept: Vec<String> =
        sqlx::query_scalar("select file_name from ticket_attachment order by id")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(kept, ["needs.txt"], "a dismissed email's files are not kept");
}
