//! Inline notices: loading and errors.

use crate::{
    error::AppError,
    i18n::{CommonText, error_text, use_i18n},
};
use leptos::prelude::*;

/// A translated error shown where the content would be.
#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
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
