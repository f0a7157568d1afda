//! Inline notices: loading and errors.

use crate::{
    error::AppError,
    i18n::{CommonText, error_text, use_i18n},
};
use leptos::prelude::*;

/// A translated error shown where the content would be. Rendered on the server for a refused
/// or missing record, it also gives the page response that status, so a bookmark to a page the
/// user may no longer see answers 403 or 404 rather than 200 with an error inside.
#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    #[cfg(feature = "ssr")]
    page_status_from(&error);
    let i18n = use_i18n();
    view! {
        <div class="notice notice-error" role="alert">
            {move || error_text(&error, i18n.locale())}
        </div>
    }
}

/// The placeholder while data loads.
#[component]
pub fn Loading() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="loading" aria-busy="true">
            <span class="spinner"></span>
            {i18n.t(CommonText::Loading)}
        </div>
    }
}

/// "Load more" under a paginated list, with its own pending state.
#[component]
pub fn MoreButton(
    #[prop(into)] visible: Signal<bool>,
    #[prop(into)] pending: Signal<bool>,
    on_click: impl Fn() + Send + Sync + 'static,
) -> impl IntoView {
    let i18n = use_i18n();
    let on_click = std::sync::Arc::new(on_click);
    view! {
        <Show when=move || visible.get()>
            <div class="more">
                <button
                    type="button"
                    class="button"
                    disabled=move || pending.get()
                    on:click={
                        let on_click = on_click.clone();
                        move |_| on_click()
                    }
                >
                    {i18n.t(CommonText::LoadMore)}
                </button>
            </div>
        </Show>
    }
}

#[cfg(feature = "ssr")]
fn page_status_from(error: &AppError) {
    let refusal = matches!(
        error,
        AppError::Unauthorized
            | AppError::Forbidden
            | AppError::NotFound
            | AppError::PasswordChangeRequired
    );
    let Some(response) = use_context::<leptos_axum::ResponseOptions>() else { return };
    // The first refusal on the page decides; a later one does not overwrite it.
    let current = response.0.read().ok().and_then(|parts| parts.status);
    if refusal && current.is_none_or(|status| status.is_success()) {
        response.set_status(error.status_code());
    }
}
