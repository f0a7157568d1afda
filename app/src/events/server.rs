//! Publishing through Postgres, listening in each process, and streaming to browsers.

use super::{ClientEvent, ServerEvent, Topic};
use crate::{auth::server::RequestContext, error::AppError};
use axum::{
    Extension,
    http::StatusCode,
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
};
use futures::stream::{self, Stream};
use sqlx::{PgExecutor, PgPool, postgres::PgListener};
use std::{convert::Infallible, time::Duration};
use tokio::sync::{broadcast, watch};

/// The Postgres channel all events travel on.
pub const CHANNEL: &str = "guanxi_events";

/// This process's fan-out of events to its connected browsers and background workers.
#[derive(Clone)]
pub struct EventBus {
    sender: broadcast::Sender<ServerEvent>,
    closing: watch::Sender<bool>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

impl EventBus {
    pub fn new() -> Self {
        let (sender, _) = broadcast::channel(1024);
        let (closing, _) = watch::channel(false);
        Self { sender, closing }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<ServerEvent> {
        self.sender.subscribe()
    }

    /// How many browsers (and workers) are listening now.
    pub fn listeners(&self) -> usize {
        self.sender.receiver_count()
    }

    /// Becomes `true` when the process is shutting down.
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }

    /// Ends every open event stream, so a graceful shutdown does not wait on them.
    pub fn close(&self) {
        let _ = self.closing.send(true);
    }

    fn deliver(&self, event: ServerEvent) {
        // No receivers is normal (nobody connected); nothing to report.
        let _ = self.sender.send(event);
    }
}

/// Publishes an event. Pass the transaction of the change: Postgres delivers it on commit.
pub async fn publish(executor: impl PgExecutor<'_>, event: &ServerEvent) -> Result<(), AppError> {
    let payload = serde_json::to_string(event).map_err(AppError::internal)?;
    sqlx::query!("select pg_notify($1, $2)", CHANNEL, payload).execute(executor).await?;
    Ok(())
}

/// Listens on the channel for the life of the process, forwarding into `bus`. After a lost
/// connection it reconnects and sends a `Resync`, since notifications during the gap are lost.
pub fn spawn_listener(pool: PgPool, bus: EventBus) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut closing = bus.closing.subscribe();
        loop {
            let mut listener = match connect(&pool).await {
                Ok(listener) => listener,
                Err(error) => {
                    tracing::warn!(%error, "event listener cannot connect; retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
                        _ = closing.changed() => return,
                    }
                }
            };
            bus.deliver(ServerEvent {
                topic: Topic::Resync,
                id: 0,
                audience: super::Audience::RoleAtLeast(crate::auth::model::Role::Member),
            });
            loop {
                let received = tokio::select! {
                    received = listener.try_recv() => received,
                    _ = closing.changed() => return,
                };
                match received {
                    Ok(Some(notification)) => {
                        match serde_json::from_str::<ServerEvent>(notification.payload()) {
                            Ok(event) => bus.deliver(event),
                            Err(error) => tracing::warn!(%error, "undecodable event dropped"),
                        }
                    }
                    Ok(None) => {
                        tracing::warn!("event listener lost its connection");
                        break;
                    }
                    Err(error) => {
                        tracing::warn!(%error, "event listener failed");
                        break;
                    }
                }
            }
        }
    })
}

async fn connect(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// `GET /events`: a server-sent event stream of the changes the signed-in user may see.
pub async fn stream_events(
    Extension(bus): Extension<EventBus>,
    Extension(context): Extension<RequestContext>,
) -> Response {
    let Some(caller) = context.user else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let receiver = bus.subscribe();
    let closing = bus.closing.subscribe();
    Sse::new(events_for(caller.user.clone(), receiver, closing))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

fn events_for(
    user: crate::auth::model::CurrentUser,
    receiver: broadcast::Receiver<ServerEvent>,
    closing: watch::Receiver<bool>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    stream::unfold((receiver, closing, 0u64), move |(mut receiver, mut closing, seq)| {
        let user = user.clone();
        async move {
            loop {
                if *closing.borrow() {
                    return None;
                }
                let received = tokio::select! {
                    received = receiver.recv() => received,
                    _ = closing.changed() => return None,
                };
                let event = match received {
                    Ok(event) if event.audience.admits(&user) => event,
                    Ok(_) => continue,
                    // This browser fell behind: tell it to refetch everything.
                    Err(broadcast::error::RecvError::Lagged(_)) => ServerEvent {
                        topic: Topic::Resync,
                        id: 0,
                        audience: super::Audience::RoleAtLeast(crate::auth::model::Role::Member),
                    },
                    Err(broadcast::error::RecvError::Closed) => return None,
                };
                let seq = seq + 1;
                let client = ClientEvent { topic: event.topic, id: event.id, seq };
                let data = serde_json::to_string(&client).unwrap_or_default();
                return Some((Ok(Event::default().data(data)), (receiver, closing, seq)));
            }
        }
    })
}
