//! Notifications against real Postgres and a real SMTP sink: who is told of what, once, by the
//! channel they chose; the SLA and due-task sweeps; mentions; digests.

use app::{
    auth::{model::Role, server::Authenticated},
    customers::{model::CustomerInput, service as customers},
    notifications::{
        model::{Channel, NotificationKind, Preferences},
        service as notifications,
    },
    state::Settings,
    tasks::{model::TaskInput, service as tasks},
    testing::{Background, SmtpSink, TestDatabase},
    tickets::{
        model::{MessageKind, TicketEdit, TicketInput},
        service as tickets,
    },
};

async fn caller(db: &TestDatabase, email: &str, role: Role) -> Authenticated {
    let id = db.user(email, role, None, "a long enough password").await;
    db.caller(id).await.unwrap()
}

/// (kind, title, email status) of a user's notifications, oldest first.
async fn notified(db: &TestDatabase, who: &Authenticated) -> Vec<(String, String, Option<String>)> {
    sqlx::query_as(
        "select kind, data->>'title', email_status from notification where user_id = $1 order by id",
    )
    .bind(who.id().0)
    .fetch_all(&db.pool)
    .await
    .unwrap()
}

async fn customer(db: &TestDatabase, owner: &Authenticated) -> app::customers::model::CustomerId {
    customers::create(
        &db.state(),
        owner,
        CustomerInput { name: "通知测试客户".into(), ..Default::default() },
        vec![],
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn an_assignment_reaches_the_assignee_under_the_bell_and_by_email_once() {
    let sink = SmtpSink::start().await;
    let db = TestDatabase::new().await;
    let state = db.state_with(Settings {
        smtp_url: Some(sink.smtp_url.clone()),
        public_url: "http://crm.example.com".into(),
        ..Settings::default()
    });
    let workers = Background::start(&state);
    let manager = caller(&db, "manager@example.com", Role::Admin).await;
    let agent = caller(&db, "agent@example.com", Role::Member).await;
    let id = customer(&db, &manager).await;
    let ticket = tickets::create(
        &state,
        &manager,
        TicketInput {
            customer_id: Some(id),
            subject: "Printer on fire".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // Taking a ticket oneself notifies no one.
    tickets::claim(&state, &manager, ticket).await.unwrap();
    assert!(notified(&db, &manager).await.is_empty());

    let version = tickets::detail(&db.pool, &manager, ticket).await.unwrap().row.version;
    let edit = TicketEdit {
        customer_id: id,
        category: Default::default(),
        priority: Default::default(),
        assignee_id: Some(agent.id()),
    };
    tickets::update(&state, &manager, ticket, version, edit).await.unwrap();
    let title = format!("#{} Printer on fire", ticket.0);
    let inbox = notifications::inbox(&db.pool, agent.id(), None, 20).await.unwrap();
    assert_eq!(inbox.unread, 1);
    assert_eq!(inbox.items[0].kind, NotificationKind::TicketAssigned);
    assert_eq!(inbox.items[0].title, title);
    assert_eq!(inbox.items[0].actor.as_deref(), Some("manager@example.com"));
    assert_eq!(inbox.items[0].href(), format!("/tickets/{}", ticket.0));

    let message = sink.message_to("agent@example.com", 20).await;
    let subject = message["subject"].as_str().unwrap();
    assert!(subject.contains("Printer on fire"), "{message}");
    assert!(
        message["text"]
            .as_str()
            .unwrap()
            .contains(&format!("http://crm.example.com/tickets/{}", ticket.0)),
        "{message}"
    );
    workers.settled(20).await;
    assert_eq!(
        notified(&db, &agent).await,
        [("ticket_assigned".into(), title.clone(), Some("sent".into()))]
    );

    // The same event seen again (a sweep in another process, a retried job) is not a second one.
    let mut conn = db.pool.acquire().await.unwrap();
    let again = notifications::notify(
        &mut conn,
        notifications::Notice {
            user: agent.id(),
            kind: NotificationKind::TicketAssigned,
            entity_type: app::notifications::model::EntityType::Ticket,
            entity_id: ticket.0,
            title: title.clone(),
            actor: Some(manager.id()),
            excerpt: None,
            event_key: format!("ticket_assigned:{}:{}", ticket.0, version + 1),
        },
    )
    .await
    .unwrap();
    assert_eq!(again, None);
    drop(conn);
    workers.settled(20).await;
    let to_agent = sink
        .messages()
        .await
        .into_iter()
        .filter(|m| m["to"][0]["address"] == "agent@example.com")
        .count();
    assert_eq!(to_agent, 1, "one email per event");

    // Marking read touches only the caller's own.
    assert_eq!(notifications::mark_read(&db.pool, manager.id(), None).await.unwrap(), 0);
    assert_eq!(notifications::unread_count(&db.pool, agent.id()).await.unwrap(), 1);
    let ids: Vec<i64> = inbox.items.iter().map(|n| n.id).collect();
    assert_eq!(notifications::mark_read(&db.pool, manager.id(), Some(&ids)).await.unwrap(), 0);
    assert_eq!(notifications::mark_read(&db.pool, agent.id(), Some(&ids)).await.unwrap(), 1);
    assert_eq!(notifications::unread_count(&db.pool, agent.id()).await.unwrap(), 0);
}

#[tokio::test]
async fn preferences_choose_the_bell_only_nothing_or_a_daily_digest() {
    let sink = SmtpSink::start().await;
    let db = TestDatabase::new().await;
    let state =
        db.state_with(Settings { smtp_url: Some(sink.smtp_url.clone()), ..Settings::default() });
    let workers = Background::start(&state);
    let boss = caller(&db, "boss@example.com", Role::Admin).await;
    let quiet = caller(&db, "quiet@example.com", Role::Member).await;
    let digest = caller(&db, "digest@example.com", Role::Member).await;

    let mut choices = notifications::preferences(&db.pool, quiet.id()).await.unwrap();
    assert!(choices.channels.iter().all(|(_, c)| *c == Channel::Email), "email by default");
    for (kind, channel) in &mut choices.channels {
        *channel = match kind {
            NotificationKind::TaskAssigned => Channel::InApp,
            NotificationKind::CustomerAssigned => Channel::Off,
            _ => *channel,
        };
    }
    notifications::save_preferences(&db.pool, quiet.id(), &choices).await.unwrap();
    assert_eq!(notifications::preferences(&db.pool, quiet.id()).await.unwrap(), choices);
    let every_email = notifications::preferences(&db.pool, digest.id()).await.unwrap();
    notifications::save_preferences(
        &db.pool,
        digest.id(),
        &Preferences { digest: true, ..every_email },
    )
    .await
    .unwrap();

    for who in [&quiet, &digest] {
        tasks::create(
            &state,
            &boss,
            TaskInput {
                title: format!("Call back for {}", who.user.email),
                assignee_id: Some(who.id()),
                due_at: Some(chrono::Utc::now() + chrono::Duration::days(1)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        customers::create(
            &state,
            &boss,
            CustomerInput {
                name: format!("Customer of {}", who.user.email),
                owner_id: Some(who.id()),
                ..Default::default()
            },
            vec![],
        )
        .await
        .unwrap();
    }
    workers.settled(20).await;
    // In the app only; the customer kind is off.
    assert_eq!(
        notified(&db, &quiet).await,
        [("task_assigned".into(), "Call back for quiet@example.com".into(), None)]
    );
    // Waiting for the digest, then one email with both.
    assert_eq!(
        notified(&db, &digest).await,
        [
            (
                "task_assigned".into(),
                "Call back for digest@example.com".into(),
                Some("digest".into())
            ),
            (
                "customer_assigned".into(),
                "Customer of digest@example.com".into(),
                Some("digest".into())
            ),
        ]
    );
    assert!(sink.messages().await.is_empty(), "nothing emailed one by one");
    let mut conn = db.pool.acquire().await.unwrap();
    let job = app::jobs::queue::NewJob::new(
        app::jobs::model::kinds::NOTIFICATION_DIGEST,
        serde_json::json!({}),
    );
    app::jobs::queue::enqueue(&mut conn, job).await.unwrap();
    drop(conn);
    let message = sink.message_to("digest@example.com", 20).await;
    let text = message["text"].as_str().unwrap();
    assert!(
        text.contains("Call back for digest@example.com")
            && text.contains("Customer of digest@example.com"),
        "{text}"
    );
    workers.settled(20).await;
    assert!(
        notified(&db, &digest).await.iter().all(|(_, _, status)| status.as_deref() == Some("sent"))
    );
    assert_eq!(sink.messages().await.len(), 1);
}

#[tokio::test]
async fn sweeps_tell_of_due_tasks_and_slas_once_and_notes_tell_whom_they_mention() {
    let db = TestDatabase::new().await;
    let state = db.state();
    let boss = caller(&db, "boss@example.com", Role::Admin).await;
    let agent = caller(&db, "王小明", Role::Member).await;
    let other = caller(&db, "王小", Role::Member).await;
    let id = customer(&db, &boss).await;

    // A task given by someone else, falling due: notified on assignment, then once when due.
    tasks::create(
        &state,
        &boss,
        TaskInput {
            title: "回访".into(),
            assignee_id: Some(agent.id()),
            due_at: Some(chrono::Utc::now()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    tasks::remind_due_once(&db.pool).await.unwrap();
    tasks::remind_due_once(&db.pool).await.unwrap();
    let kinds: Vec<String> = notified(&db, &agent).await.into_iter().map(|(k, _, _)| k).collect();
    assert_eq!(kinds, ["task_assigned", "task_due"]);

    // A ticket that has used 90% of its time to the first response deadline (80% warns).
    let ticket = tickets::create(
        &state,
        &boss,
        TicketInput {
            customer_id: Some(id),
            subject: "Slow".into(),
            assignee_id: Some(agent.id()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    sqlx::query(
        "update ticket set created_at = now() - interval '9 hours',
             first_response_due = now() + interval '1 hour', resolution_due = now() + interval '1 day'
         where id = $1",
    )
    .bind(ticket.0)
    .execute(&db.pool)
    .await
    .unwrap();
    let mut conn = db.pool.acquire().await.unwrap();
    assert_eq!(tickets::notify_sla(&mut conn).await.unwrap(), 1);
    assert_eq!(tickets::notify_sla(&mut conn).await.unwrap(), 0, "warned once per deadline");
    // The deadline passes: the breach is recorded, and told once.
    sqlx::query("update ticket set first_response_due = now() - interval '1 minute' where id = $1")
        .bind(ticket.0)
        .execute(&db.pool)
        .await
        .unwrap();
    tickets::record_breaches(&mut conn, None).await.unwrap();
    assert_eq!(tickets::notify_sla(&mut conn).await.unwrap(), 1);
    assert_eq!(tickets::notify_sla(&mut conn).await.unwrap(), 0);
    drop(conn);
    let kinds: Vec<String> = notified(&db, &agent).await.into_iter().map(|(k, _, _)| k).collect();
    assert_eq!(
        kinds,
        ["task_assigned", "task_due", "ticket_assigned", "ticket_breaching", "ticket_breached"]
    );

    // An internal note mentions by display name, the longest that matches; a public reply does
    // not notify mentions (the customer reads it).
    tickets::reply(&state, &boss, ticket, MessageKind::Note, "@王小明 请今天回复客户，抄送 @王小")
        .await
        .unwrap();
    tickets::reply(&state, &boss, ticket, MessageKind::Reply, "@王小 will call you").await.unwrap();
    let mention = |who: &Authenticated| {
        let pool = db.pool.clone();
        let user = who.id().0;
        async move {
            sqlx::query_scalar::<_, i64>(
                "select count(*) from notification where user_id = $1 and kind = 'mention'",
            )
            .bind(user)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    assert_eq!(mention(&agent).await, 1);
    assert_eq!(mention(&other).await, 1);
    // A call logged on the customer mentions too, and opens the customer.
    app::interactions::service::log(
        &state,
        &boss,
        app::interactions::model::InteractionInput {
            customer_id: id,
            subject: "Called about the renewal".into(),
            next_step: "@王小明 send the quote".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(mention(&agent).await, 2);
    let latest = notifications::inbox(&db.pool, agent.id(), None, 1).await.unwrap().items;
    assert_eq!(latest[0].href(), format!("/customers/{}", id.0));
    let inbox = notifications::inbox(&db.pool, other.id(), None, 20).await.unwrap();
    assert_eq!(
        inbox.items[0].sentence(app::i18n::Locale::ZhCn),
        format!(
            "boss@example.com 在“#{} Slow”中提到了你：@王小明 请今天回复客户，抄送 @王小",
            ticket.0
        )
    );
}
