//! Modal dialogs on the browser's own `<dialog>`: it keeps focus inside, closes on Escape and
//! sits above everything, which a positioned `div` does not do.

use crate::i18n::{CommonText, use_i18n};
use leptos::prelude::*;

/// An edit (or confirmation) dialog's state: whether it is open, and the record as it was when
/// it opened. The form inside is built from that snapshot, so a live reload of the page behind
/// the dialog never replaces what the user is typing (saving over someone else's change is
/// refused instead); a confirmation acts on the version the user saw. One per page serves every
/// row of a list.
pub struct EditDialog<T: Send + Sync + 'static> {
    pub open: RwSignal<bool>,
    snapshot: RwSignal<Option<T>>,
}

impl<T: Send + Sync + 'static> Clone for EditDialog<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for EditDialog<T> {}

impl<T: Clone + Send + Sync + 'static> EditDialog<T> {
    pub fn new() -> Self {
        Self { open: RwSignal::new(false), snapshot: RwSignal::new(None) }
    }

    pub fn open_with(self, record: T) {
        self.snapshot.set(Some(record));
        self.open.set(true);
    }

    pub fn close(self) {
        self.open.set(false);
    }

    /// The record the dialog opened with (tracked: the form is rebuilt when another opens).
    pub fn snapshot(self) -> Option<T> {
        self.snapshot.get()
    }

    /// The record the dialog opened with, read once (when the user confirms).
    pub fn snapshot_untracked(self) -> Option<T> {
        self.snapshot.get_untracked()
    }
}

impl<T: Clone + Send + Sync + 'static> Default for EditDialog<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// A modal dialog, open while `open` is true. Escape (or the browser's own close) sets it false.
/// The content is built only while open, so a form inside starts afresh each time.
#[component]
pub fn Dialog(
    open: RwSignal<bool>,
    #[prop(into)] title: TextProp,
    #[prop(optional)] testid: &'static str,
    children: ChildrenFn,
) -> impl IntoView {
    let node = NodeRef::<leptos::html::Dialog>::new();
    // Modal state lives in the browser; the server renders the dialog closed.
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let Some(dialog) = node.get() else { return };
        if open.get() {
            if !dialog.open() {
                let _ = dialog.show_modal();
            }
        } else if dialog.open() {
            dialog.close();
        }
    });
    // Named by its title directly rather than through an id: a page may hold several dialogs
    // of one kind (one per list), and ids would repeat.
    let label = title.clone();
    view! {
        <dialog
            node_ref=node
            class="dialog card"
            aria-label=move || label.get()
            data-testid=(!testid.is_empty()).then_some(testid)
            on:close=move |_| open.set(false)
        >
            <Show when=move || open.get()>
                <h2>{
                    let title = title.clone();
                    move || title.get()
                }</h2>
                {children()}
            </Show>
        </dialog>
    }
}

/// Asks before something that cannot be undone from the page: `on_confirm` runs only after the
/// user confirms; Escape or cancel leaves everything as it was.
#[component]
pub fn ConfirmDialog(
    open: RwSignal<bool>,
    #[prop(into)] title: TextProp,
    #[prop(into)] message: TextProp,
    #[prop(into)] confirm: TextProp,
    on_confirm: Callback<()>,
    #[prop(optional)] testid: &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Dialog open title testid>
            <p>{
                let message = message.clone();
                move || message.get()
            }</p>
            <div class="actions">
                <button
                    type="button"
                    class="button danger"
                    data-testid="confirm"
                    on:click=move |_| {
                        open.set(false);
                        on_confirm.run(());
                    }
                >
                    {
                        let confirm = confirm.clone();
                        move || confirm.get()
                    }
                </button>
                <button type="button" class="button ghost" autofocus on:click=move |_| open.set(false)>
                    {i18n.t(CommonText::Cancel)}
                </button>
            </div>
        </Dialog>
    }
}
