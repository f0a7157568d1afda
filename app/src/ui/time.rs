//! Times shown in the reader's own time zone.

use chrono::{DateTime, Local, Utc};
use leptos::prelude::*;

/// A point in time. The server renders UTC (it cannot know the reader's zone); once the page is
/// live in the browser it switches to local time. Rendering local time during hydration would
/// disagree with the server's markup, hence the switch after mount.
#[component]
pub fn Timestamp(at: DateTime<Utc>) -> impl IntoView {
    let mounted = RwSignal::new(false);
    Effect::new(move |_| mounted.set(true));
    let text = move || {
        if mounted.get() {
            at.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string()
        } else {
            at.format("%Y-%m-%d %H:%M UTC").to_string()
        }
    };
    view! { <time datetime=at.to_rfc3339()>{text}</time> }
}
