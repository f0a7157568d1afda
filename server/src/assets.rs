//! The site's static files: the JS, WASM and CSS under `/pkg` and the icon.
//!
//! They are served as files, outside the session and sign-in layers (an asset needs neither, and
//! a first visit fetches several). A release build precompresses them (`cargo leptos build
//! --release --precompress` writes `.br` and `.gz` beside each file), so no request pays for
//! compression; the names carry content hashes, so browsers may keep them for a year.

use axum::{
    Router,
    http::{HeaderValue, StatusCode, header},
    response::Response,
};
use leptos::config::LeptosOptions;
use std::path::{Path, PathBuf};
use tower_http::services::{ServeDir, ServeFile};

/// A hashed name changes with its content: the browser never needs to ask again.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Unhashed files keep their name across builds: the browser revalidates before each use.
const REVALIDATE: &str = "no-cache";
/// The icon changes rarely and a stale one harms nobody.
const ICON: &str = "public, max-age=86400";

/// The routes for `/pkg/*` and `/favicon.svg`.
pub fn routes(options: &LeptosOptions) -> Router {
    let site_root = PathBuf::from(options.site_root.as_ref());
    let pkg = site_root.join(options.site_pkg_dir.as_ref());
    let pkg_policy = if options.hash_files { IMMUTABLE } else { REVALIDATE };
    Router::new()
        .nest_service(
            &format!("/{}", options.site_pkg_dir.trim_matches('/')),
            ServeDir::new(pkg).precompressed_br().precompressed_gzip(),
        )
        .layer(axum::middleware::map_response(move |response| cache_for(pkg_policy, response)))
        .merge(
            Router::new()
                .route_service("/favicon.svg", ServeFile::new(site_root.join("favicon.svg")))
                .layer(axum::middleware::map_response(|response| cache_for(ICON, response))),
        )
}

/// Whether this build's file names carry hashes: cargo-leptos writes the hash file beside the
/// server binary whenever it hashes (`hash-files` in Cargo.toml), and Leptos reads it from there.
/// The server is often started without cargo-leptos's environment (tests, a service manager), so
/// the file itself is the signal.
pub fn hash_file_present(options: &LeptosOptions) -> bool {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
        .is_some_and(|dir| dir.join(options.hash_file.as_ref()).is_file())
}

async fn cache_for(policy: &'static str, mut response: Response) -> Response {
    // A missing file must not be remembered for a year.
    let value =
        if response.status() == StatusCode::OK || response.status() == StatusCode::NOT_MODIFIED {
            policy
        } else {
            REVALIDATE
        };
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    response
}

/// Rendered pages hold the signed-in person's data and change with every write: browsers and
/// proxies may keep a copy but must ask before showing it, and shared caches must not keep one.
pub async fn pages_revalidate(mut response: Response) -> Response {
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    if is_html && !response.headers().contains_key(header::CACHE_CONTROL) {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    }
    response
}
