//! Pages rendered for several people at once, in a process of their own (alone, so the
//! interleaving is this test's and not its neighbours').

mod common;

use app::auth::model::Role;
use common::TestServer;
use reqwest::StatusCode;
use std::time::Duration;

/// Each page arrives whole, titled, and drawn for its own user. leptos_meta reads the page title
/// after rendering, outside the request's reactive arena: while the title was a signal, a worker
/// that had last run another request panicked there ("already been disposed", or "no Arena is
/// active") and the response was cut off. Every request has a deadline, so a page that never
/// finishes fails the test rather than stalling it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pages_rendered_at_once_for_several_people_each_arrive_whole_and_their_own() {
    let server = TestServer::start().await;
    let mut people = Vec::new();
    for n in 0..8 {
        let email = format!("rep{n}@example.com");
        server.user(&email, Role::Member).await;
        people.push((email.clone(), server.signed_in(&email).await));
    }
    let visits = people.into_iter().map(|(email, browser)| {
        tokio::spawn(async move {
            for path in ["/customers", "/", "/tickets", "/pipeline"].repeat(40) {
                let page = browser
                    .client
                    .get(format!("{}{path}", browser.base))
                    .timeout(Duration::from_secs(30))
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("{path} for {email}: {e}"));
                assert_eq!(page.status(), StatusCode::OK, "{path}");
                let html = page.text().await.expect("the whole page");
                assert!(html.contains("</html>"), "{path} cut off");
                assert!(html.contains("<title>"), "{path} has no title");
                let name = format!("class=\"user-name\">{email}<");
                assert!(html.contains(&name), "{path} drawn for someone else than {email}");
            }
        })
    });
    for visit in visits {
        visit.await.expect("no request failed");
    }
}
