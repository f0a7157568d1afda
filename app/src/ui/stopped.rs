//! When the WASM stops, the page stops reacting without a word: a panic aborts the whole module,
//! and a page's code that could not be downloaded (a lazily loaded chunk, on a dropped
//! connection) ends the same way. The panic hook calls [`show_stopped_notice`], which puts a
//! notice over the page with a link that loads afresh the page the person was opening; it is plain
//! DOM, because the app's state can no longer be trusted.

use crate::i18n::CommonText;
#[cfg(feature = "hydrate")]
use crate::i18n::Text;

/// What stopped the page: its code did not arrive, or a bug.
pub fn stop_reason(panic_message: &str) -> CommonText {
    // The splitter's loader fails with this error when a chunk's download fails.
    if panic_message.contains("SplitLoaderError") {
        CommonText::PageCodeNotLoaded
    } else {
        CommonText::PageStopped
    }
}

#[cfg(feature = "hydrate")]
thread_local! {
    /// The link most recently followed inside the app, and when (ms since the epoch). A page's
    /// chunk fails to download while that page is being opened, before the address changes, so
    /// the address alone would retry the page the person was leaving.
    static LAST_LINK: std::cell::RefCell<Option<(String, f64)>> = const { std::cell::RefCell::new(None) };
}

/// How long after following a link a stop is taken to be that page's failure to open.
#[cfg(feature = "hydrate")]
const LINK_RECENT_MS: f64 = 15_000.0;

/// Records each followed in-app link (a capturing listener, so it runs before the router's).
#[cfg(feature = "hydrate")]
pub fn remember_followed_links() {
    use wasm_bindgen::{JsCast, closure::Closure};
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let listener = Closure::<dyn FnMut(web_sys::Event)>::new(|event: web_sys::Event| {
        let href = event
            .target()
            .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
            .and_then(|element| element.closest("a[href]").ok().flatten())
            .and_then(|link| link.get_attribute("href"))
            .filter(|href| href.starts_with('/') && !href.starts_with("//"));
        if let Some(href) = href {
            LAST_LINK.with(|last| {
                if let Ok(mut last) = last.try_borrow_mut() {
                    *last = Some((href, js_sys::Date::now()));
                }
            });
        }
    });
    let _ = document.add_event_listener_with_callback_and_bool(
        "click",
        listener.as_ref().unchecked_ref(),
        true,
    );
    listener.forget();
}

/// The page to load again: the one just being opened, else the one shown.
#[cfg(feature = "hydrate")]
fn retry_address() -> String {
    let now = js_sys::Date::now();
    LAST_LINK
        .with(|last| last.try_borrow().ok().and_then(|last| last.clone()))
        .filter(|(_, at)| now - at < LINK_RECENT_MS)
        .map(|(href, _)| href)
        .or_else(|| web_sys::window().and_then(|w| w.location().href().ok()))
        .unwrap_or_else(|| "/".into())
}

#[cfg(feature = "hydrate")]
pub fn show_stopped_notice(panic_message: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Some(body) = document.body() else {
        return;
    };
    if document.get_element_by_id("page-stopped").is_some() {
        return;
    }
    // `<html lang>` follows the language switch, so this is the language on screen.
    let locale = crate::initial_locale();
    let href = retry_address();
    let build = || -> Option<()> {
        let notice = document.create_element("div").ok()?;
        notice.set_id("page-stopped");
        notice.set_class_name("page-stopped");
        notice.set_attribute("role", "alert").ok()?;
        let text = document.create_element("p").ok()?;
        text.set_text_content(Some(stop_reason(panic_message).text(locale)));
        let retry = document.create_element("a").ok()?;
        retry.set_class_name("button primary");
        retry.set_attribute("href", &href).ok()?;
        // A full load, never the router's: the app behind the notice is not to be trusted.
        retry.set_attribute("rel", "external").ok()?;
        retry.set_text_content(Some(CommonText::Retry.text(locale)));
        notice.append_child(&text).ok()?;
        notice.append_child(&retry).ok()?;
        body.append_child(&notice).ok()?;
        Some(())
    };
    let _ = build();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunk_that_did_not_arrive_is_told_apart_from_a_bug() {
        assert_eq!(
            stop_reason(
                "load callback should succeed: SplitLoaderError { _not_send_sync: PhantomData<*const u8> }"
            ),
            CommonText::PageCodeNotLoaded
        );
        assert_eq!(stop_reason("index out of bounds"), CommonText::PageStopped);
    }
}
