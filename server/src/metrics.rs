//! What an operator watches: requests and latency per route, the connection pool, the job
//! queue and live-event listeners, served at `/metrics` in the Prometheus text format; and one
//! access-log line per request.

use app::{jobs::model::JobStatus, state::AppState};
use axum::{
    extract::{ConnectInfo, MatchedPath, Request, State},
    http::{StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{
        counter::Counter,
        family::Family,
        gauge::Gauge,
        histogram::{Histogram, exponential_buckets},
    },
    registry::Registry,
};
use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Instant,
};
use subtle::ConstantTimeEq;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    status: &'static str,
}

/// The process's metrics. Cheap to clone; every clone records into the same registry.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Mutex<Registry>>,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    pool: Family<PoolLabels, Gauge>,
    jobs: Family<JobLabels, Gauge>,
    event_listeners: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("guanxi");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests answered", requests.clone());
        // 1 ms to about 16 s.
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(
            (|| Histogram::new(exponential_buckets(0.001, 2.0, 15))) as fn() -> Histogram,
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer, by route",
            latency.clone(),
        );
        let pool = Family::<PoolLabels, Gauge>::default();
        registry.register("db_connections", "Database connections by state", pool.clone());
        let jobs = Family::<JobLabels, Gauge>::default();
        registry.register("jobs", "Background jobs by status", jobs.clone());
        let event_listeners = Gauge::default();
        registry.register(
            "event_listeners",
            "Open live-event streams in this process",
            event_listeners.clone(),
        );
        Metrics {
            registry: Arc::new(Mutex::new(registry)),
            requests,
            latency,
            pool,
            jobs,
            event_listeners,
        }
    }

    fn observe(&self, method: &str, route: &str, status: StatusCode, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status: status.as_u16(),
            })
            .inc();
        self.latency.get_or_create(&RouteLabels { route: route.to_owned() }).observe(seconds);
    }

    /// The text exposition, with the pool, queue and listener figures read now.
    pub async fn render(&self, state: &AppState) -> Result<String, sqlx::Error> {
        let size = i64::from(state.pool.size());
        let idle = i64::try_from(state.pool.num_idle()).unwrap_or(i64::MAX);
        self.pool.get_or_create(&PoolLabels { state: "idle" }).set(idle);
        self.pool.get_or_create(&PoolLabels { state: "in_use" }).set(size - idle);
        let counts: Vec<(String, i64)> =
            sqlx::query_as("select status, count(*) from job group by status")
                .fetch_all(&state.pool)
                .await?;
        for status in JobStatus::ALL.map(JobStatus::as_str) {
            let count = counts.iter().find(|(s, _)| s == status).map_or(0, |(_, n)| *n);
            self.jobs.get_or_create(&JobLabels { status }).set(count);
        }
        self.event_listeners.set(i64::try_from(state.events.listeners()).unwrap_or(i64::MAX));
        let mut text = String::new();
        let registry = self.registry.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        prometheus_client::encoding::text::encode(&mut text, &registry)
            .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
        Ok(text)
    }
}

/// The route a request counts under: the router's pattern, or a server function's name
/// without its build hash, so the number of series stays bounded whatever clients send.
fn route_of(request: &Request) -> String {
    let path = request.uri().path();
    if let Some(name) = path.strip_prefix(crate::middleware::API_PREFIX) {
        let name = name.trim_end_matches(|c: char| c.is_ascii_digit());
        if !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '_' || c == '-')
        {
            return format!("{}{name}", crate::middleware::API_PREFIX);
        }
        return "unmatched".to_owned();
    }
    match request.extensions().get::<MatchedPath>() {
        Some(matched) => matched.as_str().to_owned(),
        None => "unmatched".to_owned(),
    }
}

/// Counts and times every request, and writes its access-log line.
pub async fn track(State(metrics): State<Metrics>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = route_of(&request);
    let path = request.uri().path().to_owned();
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let response = next.run(request).await;
    let elapsed = started.elapsed();
    metrics.observe(&method, &route, response.status(), elapsed.as_secs_f64());
    tracing::info!(
        target: "access",
        method,
        path,
        route,
        status = response.status().as_u16(),
        duration_ms = elapsed.as_secs_f64() * 1000.0,
        peer = peer.map(|ip| ip.to_string()),
    );
    response
}

/// `/metrics`: for the monitoring system on this machine or the private network only, since the
/// figures describe the company's activity. Loopback callers, or a bearer token when
/// GUANXI_METRICS_TOKEN is set.
pub async fn serve(
    State((metrics, token)): State<(Metrics, Option<Arc<str>>)>,
    axum::Extension(state): axum::Extension<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: axum::http::HeaderMap,
) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if !may_read(token.as_deref(), bearer, peer.ip()) {
        return StatusCode::FORBIDDEN.into_response();
    }
    match metrics.render(&state).await {
        Ok(text) => (
            [(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")],
            text,
        )
            .into_response(),
        Err(error) => {
            tracing::warn!(%error, "metrics unavailable");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// With a token configured, whoever presents it (compared in constant time); otherwise callers
/// on this machine.
fn may_read(token: Option<&str>, bearer: Option<&str>, peer: std::net::IpAddr) -> bool {
    match token {
        Some(expected) => {
            bearer.is_some_and(|given| bool::from(expected.as_bytes().ct_eq(given.as_bytes())))
        }
        None => peer.is_loopback(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_function_routes_drop_their_build_hash_and_junk_is_one_series() {
        let request =
            |path: &str| Request::builder().uri(path).body(axum::body::Body::empty()).unwrap();
        assert_eq!(route_of(&request("/api/get_customer5793789623784460398")), "/api/get_customer");
        assert_eq!(route_of(&request("/api/%3Cscript%3E")), "unmatched");
        assert_eq!(route_of(&request("/no/such/page")), "unmatched");
    }

    #[test]
    fn tokens_compare_whole() {
        let remote: std::net::IpAddr = "203.0.113.9".parse().unwrap();
        assert!(may_read(Some("secret"), Some("secret"), remote));
        assert!(!may_read(Some("secret"), Some("secreT"), remote));
        assert!(!may_read(Some("secret"), Some("secret2"), remote));
        assert!(!may_read(Some("secret"), None, "127.0.0.1".parse().unwrap()));
        assert!(may_read(None, None, "127.0.0.1".parse().unwrap()));
        assert!(!may_read(None, None, remote));
    }
}
