//! Form submissions on actions: one request at a time, field errors shown at the fields the form
//! binds, and any other failure (or an error about a field the form does not show) as a toast,
//! so nothing fails silently.

use crate::{error::AppError, ui::field_message, ui::use_toasts};
use leptos::{prelude::*, server_fn::ServerFn};
use std::future::Future;

/// The submission behind a form. Build it from a server function's `ServerAction` with
/// [`server_submission`], or from any request with [`Submission::new`]; then `submit` the
/// input, bind `pending` to the button and `field` to each input's error.
pub struct Submission<I: 'static, O: 'static> {
    action: Action<I, Result<O, AppError>>,
    /// The fields the form shows errors at, through [`Submission::field`].
    shown: StoredValue<Vec<String>>,
}

impl<I, O> Clone for Submission<I, O> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<I, O> Copy for Submission<I, O> {}

/// A submission to the server function `S` through its `ServerAction`: the function's generated
/// struct is the input, e.g. `server_submission::<CreateTeam>()` then `submit(CreateTeam { name })`.
pub fn server_submission<S>() -> Submission<S, S::Output>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Submission::from_action(*ServerAction::<S>::new())
}

impl<I, O> Submission<I, O>
where
    I: Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
{
    pub fn new<F, Fut>(request: F) -> Self
    where
        F: Fn(&I) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<O, AppError>> + Send + 'static,
    {
        Self::from_action(Action::new(request))
    }

    fn from_action(action: Action<I, Result<O, AppError>>) -> Self {
        let toasts = use_toasts();
        let shown = StoredValue::new(Vec::<String>::new());
        Effect::new(move |_| {
            action.value().with(|result| {
                let Some(Err(error)) = result else { return };
                let all_shown = error.field_errors().is_some_and(|errors| {
                    shown.with_value(|shown| errors.0.keys().all(|field| is_shown(shown, field)))
                });
                if !all_shown {
                    toasts.error(error.clone());
                }
            })
        });
        Submission { action, shown }
    }

    /// Runs `then` with the result of every submission that succeeds.
    pub fn on_success(self, then: impl Fn(O) + Send + Sync + 'static) -> Self {
        Effect::new(move |_| {
            if let Some(Ok(done)) = self.action.value().get() {
                then(done);
            }
        });
        self
    }

    /// Runs `then` after every submission that fails (after its error is shown), e.g. to
    /// reload what someone else changed in the meantime.
    pub fn on_failure(self, then: impl Fn() + Send + Sync + 'static) -> Self {
        Effect::new(move |_| {
            if self.action.value().with(|result| matches!(result, Some(Err(_)))) {
                then();
            }
        });
        self
    }

    /// Sends `input` unless a submission is still on its way (a double click sends once).
    pub fn submit(self, input: I) {
        if !self.action.pending().get_untracked() {
            self.action.dispatch(input);
        }
    }

    pub fn pending(self) -> Signal<bool> {
        self.action.pending().into()
    }

    /// The last submission's error; cleared by the next success.
    pub fn failure(self) -> Signal<Option<AppError>> {
        let value = self.action.value();
        Signal::derive(move || value.with(|result| result.as_ref()?.as_ref().err().cloned()))
    }

    /// Marks the fields under `prefix` (e.g. `lines.` for `lines.0.quantity`) as shown by the
    /// form itself, for fields it lays out in a list of its own.
    pub fn shows_fields_under(self, prefix: &str) -> Self {
        self.shown.update_value(|shown| shown.push(format!("{prefix}*")));
        self
    }

    /// The translated message for `field` from the last failed submission.
    pub fn field(self, field: &str) -> Signal<Option<String>> {
        self.shown.update_value(|shown| shown.push(field.to_owned()));
        field_message(self.failure(), field)
    }
}

fn is_shown(shown: &[String], field: &str) -> bool {
    shown.iter().any(|entry| match entry.strip_suffix('*') {
        Some(prefix) => field.starts_with(prefix),
        None => entry == field,
    })
}

/// A form's buttons: submit (disabled while the submission is on its way) and, when
/// `on_cancel` is given, cancel.
#[component]
pub fn FormButtons(
    #[prop(into)] submit: TextProp,
    #[prop(into)] pending: Signal<bool>,
    #[prop(optional, into)] on_cancel: Option<Callback<()>>,
) -> impl IntoView {
    let i18n = crate::i18n::use_i18n();
    view! {
        <div class="actions">
            <button type="submit" class="button primary" disabled=move || pending.get()>
                {move || submit.get()}
            </button>
            {on_cancel.map(|cancel| view! {
                <button type="button" class="button ghost" on:click=move |_| cancel.run(())>
                    {i18n.t(crate::i18n::CommonText::Cancel)}
                </button>
            })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::is_shown;

    #[test]
    fn a_field_counts_as_shown_when_bound_by_name_or_under_a_bound_prefix() {
        let shown = ["email".to_owned(), "lines.*".to_owned()];
        assert!(is_shown(&shown, "email"));
        assert!(is_shown(&shown, "lines.0.quantity"));
        assert!(!is_shown(&shown, "emails"));
        assert!(!is_shown(&shown, "lines"), "the list itself is its own field");
        assert!(!is_shown(&shown, "phone"));
    }
}
