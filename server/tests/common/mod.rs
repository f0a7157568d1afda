//! Runs the real router on a free port over a fresh database, and talks to it like a browser.
#![allow(dead_code)] // each test binary uses a different part of this

use app::{auth::model::Role, testing::TestDatabase};
use leptos::server_fn::ServerFn;
use reqwest::{Client, Response, StatusCode, header};
use serde::{Serialize, de::DeserializeOwned};
use server::config::Config;
use std::{net::SocketAddr, path::PathBuf, time::Duration};

pub const PASSWORD: &str = "correct horse battery staple";

/// A server running in this test process.
pub struct TestServer {
    pub db: TestDatabase,
    pub base: String,
}

pub fn test_config(secure_cookies: bool) -> Config {
    Config {
        database_url: None,
        addr: "127.0.0.1:0".parse().unwrap(),
        data_dir: PathBuf::from("target/test-data"),
        local_pg_port: 5432,
        secure_cookies,
        public_origin: None,
        proxy_trust: server::proxy::ProxyTrust::None,
        demo_data: false,
        demo_data_anywhere: false,
        session_idle: Duration::from_secs(3600),
        session_absolute: Duration::from_secs(12 * 3600),
        password_checks: 4,
        // Tests sign in often from one address; the limit has its own test.
        sign_ins_per_minute: 1000,
        workers: 0,
        db_max_connections: 8,
        smtp_url: None,
        mail_from: None,
        desk_address: None,
        imap_url: None,
        imap_poll_seconds: 30,
        metrics_token: None,
        backup_dir: None,
        backup_keep: 14,
        backup_verify: true,
    }
}

/// Serves the real router over `pool` on a free port; returns its base URL.
pub async fn serve(pool: sqlx::PgPool, config: &Config) -> String {
    serve_state(server::app_state(pool, config), config).await
}

/// Serves the real router with `state` on a free port; returns its base URL.
pub async fn serve_state(state: app::state::AppState, config: &Config) -> String {
    serve_site(state, config, server::leptos_options(config)).await
}

/// Serves the real router with `state`, taking the site's files from `options`.
pub async fn serve_site(
    state: app::state::AppState,
    config: &Config,
    options: leptos::config::LeptosOptions,
) -> String {
    let router = server::router(state, config, options);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .await
            .unwrap();
    });
    format!("http://{addr}")
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(test_config(false)).await
    }

    pub async fn start_with(config: Config) -> Self {
        let db = TestDatabase::new().await;
        server::migrate(&db.pool).await.expect("migrate");
        let base = serve(db.pool.clone(), &config).await;
        TestServer { db, base }
    }

    pub async fn user(&self, email: &str, role: Role) -> app::auth::model::UserId {
        self.db.user(email, role, None, PASSWORD).await
    }

    /// A browser-like client (keeps cookies) that is not signed in.
    pub fn browser(&self) -> Browser {
        Browser { client: patient_client(), base: self.base.clone() }
    }

    /// A browser signed in as `email`.
    pub async fn signed_in(&self, email: &str) -> Browser {
        let browser = self.browser();
        let response = browser.sign_in(email, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK, "signing in {email}");
        browser
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.db.pool).await.unwrap()
    }
}

pub struct Browser {
    pub client: Client,
    pub base: String,
}

impl Browser {
    /// Posts the form-encoded sign-in, as the sign-in page does.
    pub async fn sign_in(&self, email: &str, password: &str) -> Response {
        self.client
            .post(format!("{}{}", self.base, app::account::api::SignIn::PATH))
            .header(header::ORIGIN, &self.base)
            .form(&[("email", email), ("password", password)])
            .send()
            .await
            .unwrap()
    }

    /// Calls a JSON-encoded server function from this site's origin.
    pub async fn call<F: ServerFn + Serialize>(&self, args: &F) -> Response {
        self.client
            .post(format!("{}{}", self.base, F::PATH))
            .header(header::ORIGIN, &self.base)
            .header("sec-fetch-site", "same-origin")
            .json(args)
            .send()
            .await
            .unwrap()
    }

    /// Calls and decodes a successful result.
    pub async fn ok<F: ServerFn + Serialize, T: DeserializeOwned>(&self, args: &F) -> T {
        let response = self.call(args).await;
        let status = response.status();
        let body = response.text().await.unwrap();
        assert!(status.is_success(), "{} failed with {status}: {body}", F::PATH);
        serde_json::from_str(&body).unwrap()
    }
}

/// The `AppError` in an error response.
pub async fn app_error(response: Response) -> (StatusCode, app::error::AppError) {
    let status = response.status();
    let body = response.text().await.unwrap();
    let error = serde_json::from_str(&body).unwrap_or_else(|_| panic!("not an AppError: {body}"));
    (status, error)
}

/// The value of the session cookie set by a response, if any.
pub fn session_cookie(response: &Response) -> Option<String> {
    set_cookie_header(response, server::SESSION_COOKIE)
        .and_then(|h| h.split(';').next().map(|kv| kv.split_once('=').unwrap().1.to_owned()))
}

/// The whole `Set-Cookie` header for `name`.
pub fn set_cookie_header(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// A server process started from the built binary; killed (SIGKILL) when dropped or asked.
pub struct Process(pub std::process::Child);

impl Process {
    /// Ends the process at once, as a crash or `kill -9` would: no shutdown, no cleanup.
    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts the server binary on `database_url` with one job worker; returns it and its base URL
/// once it answers.
pub async fn spawn_server(database_url: &str) -> (Process, String) {
    let log = if std::env::var_os("GUANXI_TEST_SERVER_LOG").is_some() {
        std::process::Stdio::inherit()
    } else {
        std::process::Stdio::null()
    };
    spawn_server_logging_to(database_url, log).await
}

/// `spawn_server` with the server's log (warnings and errors) going to `log`.
pub async fn spawn_server_logging_to(
    database_url: &str,
    log: std::process::Stdio,
) -> (Process, String) {
    use std::time::Instant;
    let port = free_port();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .env("DATABASE_URL", database_url)
        .env("GUANXI_ADDR", format!("127.0.0.1:{port}"))
        .env("GUANXI_WORKERS", "1")
        .env("RUST_LOG", "warn")
        .stdout(log)
        .spawn()
        .expect("start server");
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while reqwest::get(format!("{base}/login")).await.is_err() {
        assert!(Instant::now() < deadline, "server on {port} did not start");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    (Process(child), base)
}

/// A browser-like client for a server at `base` (e.g. one from `spawn_server`).
pub fn browser_for(base: &str) -> Browser {
    Browser { client: patient_client(), base: base.to_owned() }
}

/// A client that keeps cookies and gives up on a response after five minutes: a request the
/// server never answers fails its test by name rather than holding CI until its time runs out.
fn patient_client() -> Client {
    Client::builder()
        .cookie_store(true)
        .timeout(std::time::Duration::from_secs(300))
        .build()
        .unwrap()
}
