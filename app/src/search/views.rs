//! The search box of the top bar and its results dialog, opened with Ctrl+K / Cmd+K anywhere.

use super::{
    api::global_search,
    model::{SearchHit, SearchKind},
};
use crate::{
    i18n::{SearchText, fill, use_i18n},
    ui::{Dialog, Typed},
};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

fn kind_label(kind: SearchKind) -> SearchText {
    match kind {
        SearchKind::Customer => SearchText::Customers,
        SearchKind::Contact => SearchText::Contacts,
        SearchKind::Lead => SearchText::Leads,
        SearchKind::Opportunity => SearchText::Opportunities,
        SearchKind::Ticket => SearchText::Tickets,
        SearchKind::Product => SearchText::Products,
    }
}

/// Pause after the last keystroke before searching.
const TYPING_PAUSE: std::time::Duration = std::time::Duration::from_millis(150);

/// The top bar's search button and the dialog it opens.
#[component]
pub fn GlobalSearch() -> impl IntoView {
    let i18n = use_i18n();
    let open = RwSignal::new(false);

    // Ctrl+K / Cmd+K from anywhere, even while typing in a field: the browser's own use of the
    // keys (the address bar's search) is the one thing a CRM user does not want here.
    #[cfg(feature = "hydrate")]
    {
        let handle = window_event_listener(leptos::ev::keydown, move |ev| {
            if (ev.ctrl_key() || ev.meta_key()) && ev.key().eq_ignore_ascii_case("k") {
                ev.prevent_default();
                open.set(true);
            }
        });
        on_cleanup(move || handle.remove());
    }

    view! {
        <button
            type="button"
            class="search-trigger"
            data-testid="global-search"
            aria-haspopup="dialog"
            aria-keyshortcuts="Control+K Meta+K"
            aria-label=move || i18n.text(SearchText::Open)
            on:click=move |_| open.set(true)
        >
            <span class="search-trigger-text">{i18n.t(SearchText::Short)}</span>
            <kbd>"Ctrl K"</kbd>
        </button>
        <Dialog open title=i18n.t(SearchText::Label) testid="search-dialog">
            <SearchPanel open/>
        </Dialog>
    }
}

/// The query field and the results; built afresh each time the dialog opens.
#[component]
fn SearchPanel(open: RwSignal<bool>) -> impl IntoView {
    let i18n = use_i18n();
    let navigate = use_navigate();
    let typed = Typed::new(TYPING_PAUSE);
    let query = typed.settled;
    // Each answer carries its query, so a slow answer to an earlier query is never shown for a
    // later one.
    let searching = Action::new(|query: &String| {
        let query = query.clone();
        async move { (query.clone(), global_search(query).await) }
    });
    Effect::new(move |_| {
        let query = query.get();
        if !query.trim().is_empty() {
            searching.dispatch(query);
        }
    });
    let hits = Memo::new(move |_| {
        let current = query.get();
        match searching.value().get() {
            Some((asked, Ok(hits))) if asked == current => hits,
            _ => vec![],
        }
    });
    let failed = Memo::new(move |_| match searching.value().get() {
        Some((asked, Err(error))) if asked == query.get() => Some(error),
        _ => None,
    });
    let active = RwSignal::new(0usize);
    Effect::new(move |_| {
        hits.track();
        active.set(0);
    });

    let open_hit = move |hit: &SearchHit| {
        if let Some(href) = &hit.href {
            open.set(false);
            navigate(href, Default::default());
        }
    };
    let on_keydown = {
        let open_hit = open_hit.clone();
        move |ev: leptos::ev::KeyboardEvent| {
            let count = hits.with_untracked(Vec::len);
            match ev.key().as_str() {
                "ArrowDown" if count > 0 => {
                    ev.prevent_default();
                    active.update(|a| *a = (*a + 1) % count);
                }
                "ArrowUp" if count > 0 => {
                    ev.prevent_default();
                    active.update(|a| *a = (*a + count - 1) % count);
                }
                // A search field's own Escape only clears it; here it closes the dialog.
                "Escape" => {
                    ev.prevent_default();
                    open.set(false);
                }
                "Enter" => {
                    ev.prevent_default();
                    if let Some(hit) =
                        hits.with_untracked(|h| h.get(active.get_untracked()).cloned())
                    {
                        open_hit(&hit);
                    }
                }
                _ => {}
            }
        }
    };

    let status = move || {
        let query = query.get();
        if query.trim().is_empty() {
            None
        } else if searching.pending().get() && hits.with(Vec::is_empty) {
            Some(i18n.text(SearchText::Searching).to_owned())
        } else if let Some(error) = failed.get() {
            Some(crate::i18n::error_text(&error, i18n.locale()))
        } else if hits.with(Vec::is_empty) && searching.value().with(|v| v.is_some()) {
            let short = crate::customers::model::query_keys(&query).is_empty()
                && crate::tickets::model::ticket_number(&query).is_none();
            Some(if short {
                i18n.text(SearchText::TooShort).to_owned()
            } else {
                fill(i18n.text(SearchText::NoHits), &[("query", &query.trim())])
            })
        } else {
            None
        }
    };

    view! {
        <div class="search-panel">
            <input
                type="search"
                class="search-input"
                data-testid="global-search-input"
                autofocus
                role="combobox"
                aria-expanded=move || (!hits.with(Vec::is_empty)).to_string()
                aria-controls="search-results"
                aria-autocomplete="list"
                aria-activedescendant=move || {
                    (!hits.with(Vec::is_empty)).then(|| format!("search-hit-{}", active.get()))
                }
                aria-label=move || i18n.text(SearchText::Label)
                placeholder=move || i18n.text(SearchText::Placeholder)
                prop:value=move || typed.text.get()
                on:input=move |ev| typed.on_input(ev)
                on:keydown=on_keydown
            />
            <p class="muted search-status" role="status">{status}</p>
            <ul id="search-results" class="search-results" role="listbox" aria-label=move || i18n.text(SearchText::Label)>
                {move || {
                    let hits = hits.get();
                    hits.iter()
                        .enumerate()
                        .map(|(index, hit)| {
                            let first_of_kind = index == 0 || hits[index - 1].kind != hit.kind;
                            let heading = first_of_kind.then(|| view! {
                                <li class="search-kind" role="presentation">{i18n.t(kind_label(hit.kind))}</li>
                            });
                            let chosen = hit.clone();
                            let open_hit = open_hit.clone();
                            view! {
                                {heading}
                                <li
                                    id=format!("search-hit-{index}")
                                    role="option"
                                    class="search-hit"
                                    class:active=move || active.get() == index
                                    class:inert=hit.href.is_none()
                                    aria-selected=move || (active.get() == index).to_string()
                                    data-kind=format!("{:?}", hit.kind).to_lowercase()
                                    on:mouseenter=move |_| active.set(index)
                                    on:click=move |_| open_hit(&chosen)
                                >
                                    <span class="search-hit-title">{hit.title.clone()}</span>
                                    <span class="search-hit-detail muted">{hit.detail.clone()}</span>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
            <p class="muted search-keys">{i18n.t(SearchText::Keys)}</p>
        </div>
    }
}
