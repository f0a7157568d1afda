//! Marks drawn from data (a share, an admin-chosen colour) without inline `style` attributes,
//! which the page's content security policy refuses: a native `<progress>`, and SVG whose
//! presentation attributes (`width`, `fill`) are not styles.

use leptos::prelude::*;

/// A determinate progress bar, 0-100 %.
#[component]
pub fn ProgressBar(
    #[prop(into)] percent: Signal<u8>,
    #[prop(optional)] test_id: Option<&'static str>,
) -> impl IntoView {
    view! {
        <progress class="progress" max="100" value=move || percent.get().min(100) data-testid=test_id>
            {move || format!("{} %", percent.get().min(100))}
        </progress>
    }
}

/// A horizontal bar filled to `percent` of its width (charts).
#[component]
pub fn FillBar(percent: i64) -> impl IntoView {
    let width = percent.clamp(0, 100);
    view! {
        <svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">
            <rect class="bar-fill" width=width height="10" rx="0"/>
        </svg>
    }
}

/// A small dot in `color` (a tier's or a stage's), before its name.
#[component]
pub fn ColorDot(#[prop(into)] color: String) -> impl IntoView {
    view! {
        <svg class="color-dot" viewBox="0 0 10 10" aria-hidden="true">
            <circle cx="5" cy="5" r="5" fill=color/>
        </svg>
    }
}
