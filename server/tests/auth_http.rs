//! Sign-in, sessions, roles and cross-site refusal, exercised over HTTP against the real router.

mod common;

use app::{
    account::api::{ChangePassword, ListMySessions, SignOut, SignOutOtherSessions},
    auth::{
        api::GetCurrentUser,
        model::{CurrentUser, Role},
    },
    error::{AppError, FieldError},
    users::{
        api::{CreateUser, ListUsers, SetUserActive},
        model::{NewUser, UserFilter},
    },
};
use common::{PASSWORD, TestServer, app_error, session_cookie, set_cookie_header, test_config};
use leptos::server_fn::ServerFn;
use reqwest::{StatusCode, header};

fn new_user(email: &str) -> CreateUser {
    CreateUser {
        input: NewUser {
            email: email.into(),
            display_name: "New Person".into(),
            role: Some(Role::Member),
            team_id: None,
            password: "a perfectly long password".into(),
        },
    }
}

#[tokio::test]
async fn a_member_calling_an_admin_function_is_refused() {
    let server = TestServer::start().await;
    server.user("member@example.com", Role::Member).await;
    let member = server.signed_in("member@example.com").await;
    let users_before = server.count("select count(*) from app_user").await;

    let (status, error) = app_error(member.call(&new_user("sneaky@example.com")).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error, AppError::Forbidden);
    let (status, _) =
        app_error(member.call(&ListUsers { filter: UserFilter::default(), after_id: None }).await)
            .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(server.count("select count(*) from app_user").await, users_before);
}

#[tokio::test]
async fn a_manager_is_refused_admin_functions_and_an_admin_is_not() {
    let server = TestServer::start().await;
    server.user("manager@example.com", Role::Manager).await;
    server.user("admin@example.com", Role::Admin).await;
    let manager = server.signed_in("manager@example.com").await;
    let (status, _) = app_error(manager.call(&new_user("x@example.com")).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let admin = server.signed_in("admin@example.com").await;
    let created: app::users::model::UserSummary = admin.ok(&new_user("ok@example.com")).await;
    assert_eq!(created.email, "ok@example.com");
    let audit = server
        .count("select count(*) from audit_log where action = 'create' and entity_type = 'user'")
        .await;
    assert_eq!(audit, 1, "the creation is audited");
}

#[tokio::test]
async fn calls_without_a_session_are_unauthorized() {
    let server = TestServer::start().await;
    let anonymous = server.browser();
    let (status, error) = app_error(
        anonymous.call(&ListUsers { filter: UserFilter::default(), after_id: None }).await,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error, AppError::Unauthorized);
    let current: Option<CurrentUser> = anonymous.ok(&GetCurrentUser {}).await;
    assert_eq!(current, None);
}

#[tokio::test]
async fn the_session_id_changes_at_sign_in() {
    let server = TestServer::start().await;
    server.user("li.na@example.com", Role::Member).await;
    let browser = server.browser();

    // An attacker-chosen cookie value must not become the signed-in session.
    let planted = "plantedsessionidplantedsessionid";
    let response = browser
        .client
        .post(format!("{}{}", server.base, app::account::api::SignIn::PATH))
        .header(header::COOKIE, format!("{}={planted}", server::SESSION_COOKIE))
        .form(&[("email", "li.na@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let first = session_cookie(&response).expect("sign-in sets the session cookie");
    assert_ne!(first, planted);

    // Signing in again from a signed-in browser cycles the id again; the old one is dead.
    let again = browser.sign_in("li.na@example.com", PASSWORD).await;
    let second = session_cookie(&again).expect("a new cookie");
    assert_ne!(second, first);
    let stale = reqwest::Client::new()
        .post(format!("{}{}", server.base, GetCurrentUser::PATH))
        .header(header::COOKIE, format!("{}={first}", server::SESSION_COOKIE))
        .json(&GetCurrentUser {})
        .send()
        .await
        .unwrap()
        .json::<Option<CurrentUser>>()
        .await
        .unwrap();
    assert_eq!(stale, None, "the pre-sign-in id no longer authenticates");
    let current: Option<CurrentUser> = browser.ok(&GetCurrentUser {}).await;
    assert_eq!(current.unwrap().email, "li.na@example.com");
}

#[tokio::test]
async fn session_cookies_are_http_only_and_same_site_lax() {
    let server = TestServer::start().await;
    server.user("a@example.com", Role::Member).await;
    let response = server.browser().sign_in("a@example.com", PASSWORD).await;
    let cookie = set_cookie_header(&response, server::SESSION_COOKIE).unwrap();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain HTTP in tests: {cookie}");

    let https = TestServer::start_with(test_config(true)).await;
    https.user("a@example.com", Role::Member).await;
    let response = https.browser().sign_in("a@example.com", PASSWORD).await;
    assert_eq!(set_cookie_header(&response, server::SESSION_COOKIE), None);
    let cookie = set_cookie_header(&response, "__Host-guanxi_session").unwrap();
    assert!(cookie.contains("Secure"), "configured for HTTPS: {cookie}");
    assert!(cookie.contains("Path=/") && !cookie.contains("Domain"), "{cookie}");
}

#[test]
fn an_https_public_origin_makes_cookies_secure() {
    let secure = |origin: &str| {
        let vars = |name: &str| (name == "GUANXI_PUBLIC_ORIGIN").then(|| origin.to_owned());
        server::config::Config::from_vars(vars).unwrap().secure_cookies
    };
    assert!(secure("https://crm.example.com"));
    assert!(!secure("http://127.0.0.1:3000"));
}

#[tokio::test]
async fn a_cross_site_post_is_refused_even_with_a_valid_session() {
    let server = TestServer::start().await;
    server.user("admin@example.com", Role::Admin).await;
    let admin = server.signed_in("admin@example.com").await;
    let users_before = server.count("select count(*) from app_user").await;

    let from_evil = admin
        .client
        .post(format!("{}{}", server.base, CreateUser::PATH))
        .header(header::ORIGIN, "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .json(&new_user("planted@example.com"))
        .send()
        .await
        .unwrap();
    let (status, error) = app_error(from_evil).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error, AppError::CrossSiteRefused);

    // A form posted from another site (no JSON, only an Origin) is refused too.
    let form = admin
        .client
        .post(format!("{}{}", server.base, SignOut::PATH))
        .header(header::ORIGIN, "https://evil.example")
        .form(&[("x", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::FORBIDDEN);

    // Server functions never answer GET, so a link or image cannot trigger one.
    let get = admin.client.get(format!("{}{}", server.base, ListUsers::PATH)).send().await.unwrap();
    assert_eq!(get.status(), StatusCode::METHOD_NOT_ALLOWED);

    assert_eq!(server.count("select count(*) from app_user").await, users_before);
    let still_signed_in: Option<CurrentUser> = admin.ok(&GetCurrentUser {}).await;
    assert!(still_signed_in.is_some(), "the refused sign-out did nothing");
}

#[tokio::test]
async fn repeated_bad_passwords_throttle_the_account() {
    let server = TestServer::start().await;
    server.user("wang.lei@example.com", Role::Member).await;
    let browser = server.browser();
    for attempt in 1..=5 {
        let (status, error) =
            app_error(browser.sign_in("wang.lei@example.com", "wrong password!").await).await;
        assert_eq!(
            (status, error),
            (StatusCode::UNAUTHORIZED, AppError::BadCredentials),
            "attempt {attempt}"
        );
    }
    // Now even the right password is refused, with a time to wait.
    let (status, error) = app_error(browser.sign_in("wang.lei@example.com", PASSWORD).await).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    match error {
        AppError::Throttled { retry_after_secs } => {
            assert!((1..=15 * 60).contains(&retry_after_secs), "{retry_after_secs}")
        }
        other => panic!("expected throttling, got {other:?}"),
    }
    // Another account from the same address is not locked by this one's failures.
    server.user("other@example.com", Role::Member).await;
    assert_eq!(browser.sign_in("other@example.com", PASSWORD).await.status(), StatusCode::OK);
    // Failures are audited.
    let failures =
        server.count("select count(*) from audit_log where action = 'sign_in_failed'").await;
    assert_eq!(failures, 5);
}

#[tokio::test]
async fn repeated_failures_from_one_address_throttle_every_account() {
    let server = TestServer::start().await;
    server.user("target@example.com", Role::Member).await;
    let browser = server.browser();
    // Twenty guesses spread over many accounts, none reaching the per-account limit.
    for n in 0..20 {
        let response =
            browser.sign_in(&format!("guess{}@example.com", n % 10), "nope nope nope").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let (status, _) = app_error(browser.sign_in("target@example.com", PASSWORD).await).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_successful_sign_in_clears_the_account_failures() {
    let server = TestServer::start().await;
    server.user("zhao@example.com", Role::Member).await;
    let browser = server.browser();
    for _ in 0..4 {
        browser.sign_in("zhao@example.com", "wrong password!").await;
    }
    assert_eq!(browser.sign_in("zhao@example.com", PASSWORD).await.status(), StatusCode::OK);
    for _ in 0..4 {
        browser.sign_in("zhao@example.com", "wrong password!").await;
    }
    assert_eq!(browser.sign_in("zhao@example.com", PASSWORD).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions() {
    let server = TestServer::start().await;
    server.user("chen@example.com", Role::Member).await;
    let laptop = server.signed_in("chen@example.com").await;
    let phone = server.signed_in("chen@example.com").await;
    let sessions: Vec<app::auth::model::SessionSummary> = laptop.ok(&ListMySessions {}).await;
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions.iter().filter(|s| s.is_current).count(), 1);

    let wrong = laptop
        .call(&ChangePassword {
            current_password: "not my password".into(),
            new_password: "short".into(),
            confirm_password: "different".into(),
        })
        .await;
    let (status, error) = app_error(wrong).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields = error.field_errors().unwrap();
    assert_eq!(fields.get("current_password"), &[FieldError::WrongCurrentPassword]);
    assert_eq!(fields.get("new_password"), &[FieldError::PasswordTooShort { min: 12 }]);
    assert_eq!(fields.get("confirm_password"), &[FieldError::PasswordsDiffer]);

    let ended: u64 = laptop
        .ok(&ChangePassword {
            current_password: PASSWORD.into(),
            new_password: "a brand new passphrase".into(),
            confirm_password: "a brand new passphrase".into(),
        })
        .await;
    assert_eq!(ended, 1);
    let phone_user: Option<CurrentUser> = phone.ok(&GetCurrentUser {}).await;
    assert_eq!(phone_user, None, "the other session was ended");
    let laptop_user: Option<CurrentUser> = laptop.ok(&GetCurrentUser {}).await;
    assert!(laptop_user.is_some(), "this session stays");
    assert_eq!(
        server.browser().sign_in("chen@example.com", "a brand new passphrase").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn signing_out_other_sessions_keeps_this_one() {
    let server = TestServer::start().await;
    server.user("sun@example.com", Role::Member).await;
    let desk = server.signed_in("sun@example.com").await;
    let tablet = server.signed_in("sun@example.com").await;
    let ended: u64 = desk.ok(&SignOutOtherSessions {}).await;
    assert_eq!(ended, 1);
    assert_eq!(tablet.ok::<_, Option<CurrentUser>>(&GetCurrentUser {}).await, None);
    assert!(desk.ok::<_, Option<CurrentUser>>(&GetCurrentUser {}).await.is_some());
}

#[tokio::test]
async fn deactivating_a_user_signs_them_out_at_once() {
    let server = TestServer::start().await;
    server.user("admin@example.com", Role::Admin).await;
    let member_id = server.user("leaver@example.com", Role::Member).await;
    let admin = server.signed_in("admin@example.com").await;
    let leaver = server.signed_in("leaver@example.com").await;

    let deactivated: app::users::model::UserSummary =
        admin.ok(&SetUserActive { id: member_id, version: 1, active: false }).await;
    assert!(!deactivated.active);
    assert_eq!(leaver.ok::<_, Option<CurrentUser>>(&GetCurrentUser {}).await, None);
    let (status, error) =
        app_error(server.browser().sign_in("leaver@example.com", PASSWORD).await).await;
    assert_eq!((status, error), (StatusCode::UNAUTHORIZED, AppError::BadCredentials));

    // The same stale version again is a conflict, not a silent overwrite.
    let (status, error) =
        app_error(admin.call(&SetUserActive { id: member_id, version: 1, active: true }).await)
            .await;
    assert_eq!((status, error), (StatusCode::CONFLICT, AppError::Conflict));
}

#[tokio::test]
async fn sign_out_ends_the_session() {
    let server = TestServer::start().await;
    server.user("qian@example.com", Role::Member).await;
    let browser = server.signed_in("qian@example.com").await;
    let response = browser.call(&SignOut {}).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(browser.ok::<_, Option<CurrentUser>>(&GetCurrentUser {}).await, None);
    assert_eq!(server.count("select count(*) from user_session").await, 0);
}

#[tokio::test]
async fn pages_render_on_the_server_and_signed_out_visitors_are_redirected() {
    let server = TestServer::start().await;
    let client =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let login = client.get(format!("{}/login", server.base)).send().await.unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let html = login.text().await.unwrap();
    assert!(html.contains("<form") && html.contains("name=\"password\""), "SSR sign-in form");

    let home = client
        .get(format!("{}/", server.base))
        .header(header::ACCEPT, "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert!(home.status().is_redirection(), "got {}", home.status());
    assert_eq!(home.headers().get(header::LOCATION).unwrap(), "/login");

    let english = client
        .get(format!("{}/login", server.base))
        .header(header::ACCEPT_LANGUAGE, "en-GB,en;q=0.9")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(english.contains("<html lang=\"en\"") && english.contains("Sign in"));
}

/// Wrong guesses sent all at once: before the attempt was recorded under a lock, every one of
/// them passed the throttle check before any failure was written.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_guesses_cannot_pass_the_throttle_together() {
    let server = TestServer::start().await;
    server.user("target@example.com", Role::Member).await;
    let browser = std::sync::Arc::new(server.browser());
    let guesses = (0..30).map(|n| {
        let browser = browser.clone();
        tokio::spawn(async move {
            app_error(browser.sign_in("target@example.com", &format!("guess number {n}")).await)
                .await
        })
    });
    let outcomes: Vec<_> = futures::future::join_all(guesses).await;
    let mut checked = 0;
    for outcome in outcomes {
        match outcome.unwrap() {
            (StatusCode::UNAUTHORIZED, AppError::BadCredentials) => checked += 1,
            (StatusCode::TOO_MANY_REQUESTS, AppError::Throttled { .. }) => {}
            (StatusCode::SERVICE_UNAVAILABLE, AppError::Busy { .. }) => {}
            other => panic!("unexpected answer {other:?}"),
        }
    }
    // The account allows five failures in the window; no more passwords were checked.
    assert!((1..=5).contains(&checked), "{checked} passwords were checked");
    assert_eq!(server.count("select count(*) from login_failure").await, checked);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn password_checks_beyond_the_bound_answer_busy_and_nothing_fails() {
    let mut config = test_config(false);
    config.password_checks = 1;
    let server = TestServer::start_with(config).await;
    for n in 0..24 {
        server.user(&format!("person{n}@example.com"), Role::Member).await;
    }
    let browser = std::sync::Arc::new(server.browser());
    let attempts = (0..24).map(|n| {
        let browser = browser.clone();
        tokio::spawn(async move {
            let response = browser.sign_in(&format!("person{n}@example.com"), PASSWORD).await;
            let status = response.status();
            let body = response.text().await.unwrap();
            (status, body)
        })
    });
    let (mut signed_in, mut busy) = (0, 0);
    for outcome in futures::future::join_all(attempts).await {
        let (status, body) = outcome.unwrap();
        match status {
            StatusCode::OK => signed_in += 1,
            StatusCode::SERVICE_UNAVAILABLE => {
                let error: AppError = serde_json::from_str(&body).unwrap();
                assert!(matches!(error, AppError::Busy { .. }), "{error:?}");
                busy += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert!(signed_in >= 1, "someone got through");
    assert!(busy >= 1, "one check at a time cannot serve 24 at once within half a second");
    // A refused attempt for lack of a turn is not a failure: no one is locked out by it.
    assert_eq!(server.count("select count(*) from login_failure").await, 0);
}

#[tokio::test]
async fn sign_ins_from_one_address_are_rate_limited_right_or_wrong() {
    let mut config = test_config(false);
    config.sign_ins_per_minute = 3;
    let server = TestServer::start_with(config).await;
    server.user("busy@example.com", Role::Member).await;
    let browser = server.browser();
    for _ in 0..3 {
        assert_eq!(browser.sign_in("busy@example.com", PASSWORD).await.status(), StatusCode::OK);
    }
    let (status, error) = app_error(browser.sign_in("busy@example.com", PASSWORD).await).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(matches!(error, AppError::Throttled { retry_after_secs } if retry_after_secs <= 60));
}

#[tokio::test]
async fn an_email_too_long_to_be_one_is_refused_at_its_field() {
    let server = TestServer::start().await;
    let long = format!("{}@example.com", "x".repeat(3000));
    let (status, error) = app_error(server.browser().sign_in(&long, PASSWORD).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error.field_errors().unwrap().get("email"), &[FieldError::TooLong { max: 254 }]);
}

async fn is_signed_in(browser: &common::Browser) -> bool {
    browser.ok::<_, Option<CurrentUser>>(&GetCurrentUser {}).await.is_some()
}

#[tokio::test]
async fn an_idle_session_ends_and_an_active_one_lasts_until_its_absolute_expiry() {
    let server = TestServer::start().await; // idle limit: one hour
    server.user("idle@example.com", Role::Member).await;
    let browser = server.signed_in("idle@example.com").await;
    // In use 50 minutes ago, signed in 11 hours ago: still signed in, and seen now.
    sqlx::query(
        "update user_session set last_seen_at = now() - interval '50 minutes',
                                 created_at = now() - interval '11 hours'",
    )
    .execute(&server.db.pool)
    .await
    .unwrap();
    assert!(is_signed_in(&browser).await);
    let seen_ago: f64 = sqlx::query_scalar(
        "select extract(epoch from now() - last_seen_at)::float8 from user_session",
    )
    .fetch_one(&server.db.pool)
    .await
    .unwrap();
    assert!(seen_ago < 60.0, "the request counted as activity ({seen_ago} s ago)");

    // Untouched for longer than the idle limit: over.
    sqlx::query("update user_session set last_seen_at = now() - interval '61 minutes'")
        .execute(&server.db.pool)
        .await
        .unwrap();
    assert!(!is_signed_in(&browser).await);

    // However active, a sign-in ends at its absolute expiry.
    let browser = server.signed_in("idle@example.com").await;
    sqlx::query("update user_session set expires_at = now() - interval '1 second'")
        .execute(&server.db.pool)
        .await
        .unwrap();
    assert!(!is_signed_in(&browser).await);
}

#[tokio::test]
async fn the_client_address_comes_from_trusted_proxies_only() {
    let address_of_last_sign_in = |server: &TestServer| {
        let pool = server.db.pool.clone();
        async move {
            sqlx::query_scalar::<_, String>(
                "select host(client_ip) from user_session order by created_at desc limit 1",
            )
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let sign_in_through_proxy = |server: &TestServer| {
        let base = server.base.clone();
        async move {
            let response = reqwest::Client::new()
                .post(format!("{base}{}", app::account::api::SignIn::PATH))
                .header(header::ORIGIN, &base)
                .header("x-forwarded-for", "6.6.6.6, 198.51.100.7")
                .form(&[("email", "proxied@example.com"), ("password", PASSWORD)])
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
        }
    };

    // No proxy configured: the header is the client's own words and is ignored.
    let direct = TestServer::start().await;
    direct.user("proxied@example.com", Role::Member).await;
    sign_in_through_proxy(&direct).await;
    assert_eq!(address_of_last_sign_in(&direct).await, "127.0.0.1");

    // One proxy hop: the entry the proxy appended, not the forged one on the left.
    let mut config = test_config(false);
    config.proxy_trust = server::proxy::ProxyTrust::Hops(1);
    let behind_proxy = TestServer::start_with(config).await;
    behind_proxy.user("proxied@example.com", Role::Member).await;
    sign_in_through_proxy(&behind_proxy).await;
    assert_eq!(address_of_last_sign_in(&behind_proxy).await, "198.51.100.7");

    // Listed proxies: the connection (127.0.0.1) is one, so its entry is believed.
    let mut config = test_config(false);
    config.proxy_trust = server::proxy::ProxyTrust::parse(Some("127.0.0.0/8"), None).unwrap();
    let listed = TestServer::start_with(config).await;
    listed.user("proxied@example.com", Role::Member).await;
    sign_in_through_proxy(&listed).await;
    assert_eq!(address_of_last_sign_in(&listed).await, "198.51.100.7");
}

#[tokio::test]
async fn responses_forbid_framing_and_sniffing_and_https_adds_hsts() {
    let server = TestServer::start().await;
    let page = reqwest::get(format!("{}/sign-in", server.base)).await.unwrap();
    let headers = page.headers();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["referrer-policy"], "same-origin");
    assert!(
        headers["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'")
    );
    assert!(!headers.contains_key("strict-transport-security"), "plain http");

    let https = TestServer::start_with(test_config(true)).await;
    let page = reqwest::get(format!("{}/sign-in", https.base)).await.unwrap();
    assert!(page.headers()["strict-transport-security"].to_str().unwrap().contains("max-age="));
}

#[tokio::test]
async fn a_page_runs_only_the_scripts_its_policy_names_by_nonce() {
    let server = TestServer::start().await;
    let mut nonces = Vec::new();
    for _ in 0..2 {
        let page = reqwest::get(format!("{}/login", server.base)).await.unwrap();
        let policy = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
        let html = page.text().await.unwrap();
        let nonce = policy
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .unwrap_or_else(|| panic!("no script nonce in {policy}"))
            .to_owned();
        assert!(nonce.len() >= 22, "128 random bits: {nonce}");
        assert!(policy.contains("default-src 'self'") && policy.contains("object-src 'none'"));
        assert!(
            !policy.contains("'unsafe-inline' 'nonce") && !policy.contains("script-src 'unsafe")
        );
        // Every script element on the page carries this response's nonce, so none is blocked,
        // and a script injected without it would be.
        let scripts = html.matches("<script").count();
        assert!(scripts > 0, "the hydration script is on the page");
        assert_eq!(html.matches(&format!("nonce=\"{nonce}\"")).count(), scripts, "{html}");
        nonces.push(nonce);
    }
    assert_ne!(nonces[0], nonces[1], "a fresh nonce per response");

    // A signed-in page carries its data as inline scripts for hydration: those too.
    server.user("member@example.com", Role::Member).await;
    let browser = server.signed_in("member@example.com").await;
    let page = browser.client.get(format!("{}/customers", server.base)).send().await.unwrap();
    let policy = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    let nonce = policy.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap().to_owned();
    let html = page.text().await.unwrap();
    let scripts = html.matches("<script").count();
    assert!(scripts > 1, "data scripts on a signed-in page");
    assert_eq!(html.matches(&format!("nonce=\"{nonce}\"")).count(), scripts, "{html}");
    // Styles come only from the site's stylesheet: an injected `style` attribute or element
    // is not applied (and the pages carry none; the end-to-end journeys fail on a refusal).
    assert!(policy.contains("style-src 'self';"), "{policy}");
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    assert!(!html.contains(" style=\"") && !html.contains("<style"), "{html}");
}

#[tokio::test]
async fn arguments_that_do_not_decode_answer_400_not_500() {
    let server = TestServer::start().await;
    server.user("member@example.com", Role::Member).await;
    let browser = server.signed_in("member@example.com").await;
    let url = format!("{}{}", server.base, SetUserActive::PATH);
    for body in ["{not json", r#"{"id": "seven", "version": 1, "active": true}"#, "{}"] {
        let response = browser
            .client
            .post(&url)
            .header(header::ORIGIN, &server.base)
            .header(header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let (status, error) = app_error(response).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(matches!(error, AppError::BadRequest(_)), "{body}: {error:?}");
    }
}

#[tokio::test]
async fn health_and_readiness_answer_for_load_balancers() {
    let server = TestServer::start().await;
    let alive = reqwest::get(format!("{}/healthz", server.base)).await.unwrap();
    assert_eq!(alive.status(), StatusCode::OK);
    let ready = reqwest::get(format!("{}/readyz", server.base)).await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    // A build that knows a migration the database lacks is not ready.
    sqlx::query(
        "delete from _sqlx_migrations where version = (select max(version) from _sqlx_migrations)",
    )
    .execute(&server.db.pool)
    .await
    .unwrap();
    let behind = reqwest::get(format!("{}/readyz", server.base)).await.unwrap();
    assert_eq!(behind.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(behind.text().await.unwrap().contains("migrations pending"));
}

#[tokio::test]
async fn after_an_admin_reset_the_user_must_choose_a_new_password_before_anything_else() {
    use app::customers::{api::ListCustomers, model::CustomerFilter};
    let server = TestServer::start().await;
    server.user("admin@example.com", Role::Admin).await;
    let member_id = server.user("forgetful@example.com", Role::Member).await;
    let admin = server.signed_in("admin@example.com").await;
    let reset = app::users::api::ResetUserPassword {
        id: member_id,
        new_password: "temporary password 1".into(),
    };
    let () = admin.ok(&reset).await;

    let member = server.browser();
    let response = member.sign_in("forgetful@example.com", "temporary password 1").await;
    assert_eq!(response.status(), StatusCode::OK);
    let me: Option<CurrentUser> = member.ok(&GetCurrentUser {}).await;
    assert!(me.unwrap().must_change_password);
    // Everything else is refused until then: the admin knows this password.
    let list = ListCustomers { filter: CustomerFilter::default(), cursor: None };
    let (status, error) = app_error(member.call(&list).await).await;
    assert_eq!((status, error), (StatusCode::FORBIDDEN, AppError::PasswordChangeRequired));

    let _: u64 = member
        .ok(&ChangePassword {
            current_password: "temporary password 1".into(),
            new_password: "only I know this one".into(),
            confirm_password: "only I know this one".into(),
        })
        .await;
    let me: Option<CurrentUser> = member.ok(&GetCurrentUser {}).await;
    assert!(!me.unwrap().must_change_password);
    assert_eq!(member.call(&list).await.status(), StatusCode::OK);
}
