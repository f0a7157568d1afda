//! Short-lived messages for the results of actions, translated when shown.

use crate::{
    error::AppError,
    i18n::{Locale, Text, error_text, use_i18n},
};
use leptos::prelude::*;
use std::sync::Arc;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ToastKind {
    Success,
    Error,
}

type Render = Arc<dyn Fn(Locale) -> String + Send + Sync>;

#[derive(Clone)]
struct Toast {
    id: u64,
    kind: ToastKind,
    render: Render,
}

/// The page's toast stack, provided by `App`.
#[derive(Copy, Clone)]
pub struct Toasts {
    items: RwSignal<Vec<Toast>>,
    next_id: StoredValue<u64>,
}

impl Toasts {
    pub fn provide() -> Self {
        let toasts = Toasts { items: RwSignal::new(Vec::new()), next_id: StoredValue::new(1) };
        provide_context(toasts);
        toasts
    }

    pub fn success(self, key: impl Text) {
        self.show(ToastKind::Success, move |locale| key.text(locale).to_owned());
    }

    pub fn error(self, error: AppError) {
        self.show(ToastKind::Error, move |locale| error_text(&error, locale));
    }

    /// A failed form submission: `failure` carries it to the fields it names; an error that
    /// names no field is also shown as a toast, so nothing fails silently.
    pub fn form_failed(self, failure: RwSignal<Option<AppError>>, error: AppError) {
        if error.field_errors().is_none() {
            self.error(error.clone());
        }
        failure.set(Some(error));
    }

    pub fn show(self, kind: ToastKind, render: impl Fn(Locale) -> String + Send + Sync + 'static) {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        self.items.update(|items| items.push(Toast { id, kind, render: Arc::new(render) }));
        let seconds = if kind == ToastKind::Error { 8 } else { 4 };
        set_timeout(move || self.dismiss(id), std::time::Duration::from_secs(seconds));
    }

    pub fn dismiss(self, id: u64) {
        self.items.update(|items| items.retain(|t| t.id != id));
    }
}

pub fn use_toasts() -> Toasts {
    expect_context::<Toasts>()
}

/// Where toasts appear; announced to screen readers.
#[component]
pub fn Toaster() -> impl IntoView {
    let toasts = use_toasts();
    let i18n = use_i18n();
    view! {
        <div class="toasts" role="status" aria-live="polite">
            <For each=move || toasts.items.get() key=|toast| toast.id let:toast>
                <div
                    class="toast"
                    class:toast-error=toast.kind == ToastKind::Error
                    class:toast-success=toast.kind == ToastKind::Success
                    on:click=move |_| toasts.dismiss(toast.id)
                >
                    {
                        let render = toast.render.clone();
                        move || render(i18n.locale())
                    }
                </div>
            </For>
        </div>
    }
}
