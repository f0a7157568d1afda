//! The site's files as a browser receives them: precompressed, cached by their hashed names, and
//! never behind a session; the pages themselves are revalidated.

mod common;

use app::testing::TestDatabase;
use common::{serve_site, test_config};
use reqwest::{StatusCode, header};

const WASM: &str = "pkg/guanxi.Xq3_hash.wasm";

#[tokio::test]
async fn assets_are_served_precompressed_and_immutable_while_pages_revalidate() {
    let db = TestDatabase::new().await;
    server::migrate(&db.pool).await.expect("migrate");
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(site.path().join("pkg")).unwrap();
    // The variants differ, so the body shows which one was chosen.
    std::fs::write(site.path().join(WASM), b"\0asm raw module").unwrap();
    std::fs::write(site.path().join(format!("{WASM}.br")), b"brotli bytes").unwrap();
    std::fs::write(site.path().join(format!("{WASM}.gz")), b"gzip bytes").unwrap();
    std::fs::write(site.path().join("favicon.svg"), b"<svg/>").unwrap();

    let config = test_config(false);
    let mut options = server::leptos_options(&config);
    options.site_root = site.path().to_str().unwrap().into();
    options.hash_files = true;
    let base = serve_site(server::app_state(db.pool.clone(), &config), &config, options).await;
    let client = reqwest::Client::new();
    let fetch = |path: &str, accept: Option<&str>| {
        let mut request = client.get(format!("{base}/{path}"));
        if let Some(accept) = accept {
            request = request.header(header::ACCEPT_ENCODING, accept);
        }
        request.send()
    };
    let sessions = || async {
        sqlx::query_scalar::<_, i64>("select count(*) from tower_sessions.session")
            .fetch_one(&db.pool)
            .await
            .unwrap()
    };
    let sessions_before = sessions().await;

    let brotli = fetch(WASM, Some("gzip, deflate, br")).await.unwrap();
    assert_eq!(brotli.status(), StatusCode::OK);
    assert_eq!(brotli.headers()[header::CONTENT_ENCODING], "br");
    assert_eq!(brotli.headers()[header::CONTENT_TYPE], "application/wasm");
    assert_eq!(brotli.headers()[header::CACHE_CONTROL], "public, max-age=31536000, immutable");
    assert_eq!(brotli.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert!(brotli.headers().get(header::SET_COOKIE).is_none(), "an asset opens no session");
    assert_eq!(brotli.bytes().await.unwrap().as_ref(), b"brotli bytes");

    let gzip = fetch(WASM, Some("gzip")).await.unwrap();
    assert_eq!(gzip.headers()[header::CONTENT_ENCODING], "gzip");
    assert_eq!(gzip.bytes().await.unwrap().as_ref(), b"gzip bytes");

    let plain = fetch(WASM, None).await.unwrap();
    assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
    assert_eq!(plain.bytes().await.unwrap().as_ref(), b"\0asm raw module");

    let missing = fetch("pkg/guanxi.Old_hash.wasm", Some("br")).await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(missing.headers()[header::CACHE_CONTROL], "no-cache", "a 404 is not kept a year");

    let icon = fetch("favicon.svg", None).await.unwrap();
    assert_eq!(icon.status(), StatusCode::OK);
    assert_eq!(icon.headers()[header::CACHE_CONTROL], "public, max-age=86400");

    // Pages from a server with this build's own options (hashed names need the build's hash file).
    let pages_base = common::serve(db.pool.clone(), &config).await;
    let page = client
        .get(format!("{pages_base}/login"))
        .header(header::ACCEPT_ENCODING, "br")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    assert_eq!(page.headers()[header::CACHE_CONTROL], "private, no-cache");
    assert_eq!(page.headers()[header::CONTENT_ENCODING], "br", "pages are compressed per request");

    assert_eq!(sessions().await, sessions_before, "fetching assets wrote no session rows");
}
