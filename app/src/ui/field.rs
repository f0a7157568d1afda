//! Labelled form fields that show their own validation message.

use crate::{
    error::AppError,
    i18n::{field_error_text, use_i18n},
};
use leptos::prelude::*;

/// The translated message for `field` from the last failed submission, if it concerned it.
pub fn field_message(
    failure: Signal<Option<AppError>>,
    field: impl Into<String>,
) -> Signal<Option<String>> {
    let i18n = use_i18n();
    let field = field.into();
    Signal::derive(move || {
        let locale = i18n.locale();
        failure.with(|failure| {
            let errors = failure.as_ref()?.field_errors()?.get(&field);
            (!errors.is_empty()).then(|| {
                errors.iter().map(|e| field_error_text(e, locale)).collect::<Vec<_>>().join(" ")
            })
        })
    })
}

/// A text input with label and inline error.
#[component]
pub fn TextField(
    #[prop(into)] label: TextProp,
    #[prop(into)] name: String,
    value: RwSignal<String>,
    #[prop(into, optional)] error: Signal<Option<String>>,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] required: bool,
    /// Distinguishes the ids of two forms with the same field names on one page.
    #[prop(optional)]
    scope: &'static str,
) -> impl IntoView {
    let id = format!("field-{scope}{name}");
    let error_id = format!("{id}-error");
    view! {
        <div class="field" class:field-invalid=move || error.get().is_some()>
            <label for=id.clone()>{move || label.get()}</label>
            <input
                id=id
                name=name
                type=input_type
                autocomplete=autocomplete
                required=required
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
                aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                aria-describedby=error_id.clone()
            />
            <span class="field-error" id=error_id>{move || error.get()}</span>
        </div>
    }
}

/// What every labelled control shares: the label tied to the control's id, the control, and
/// the error under it, marking the field invalid while there is one.
#[component]
pub(crate) fn Labelled(
    id: String,
    label: TextProp,
    #[prop(into, optional)] error: Signal<Option<String>>,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="field" class:field-invalid=move || error.get().is_some()>
            <label for=id>{move || label.get()}</label>
            {children()}
            <span class="field-error">{move || error.get()}</span>
        </div>
    }
}

/// A multi-line text input with label and inline error.
#[component]
pub fn TextAreaField(
    #[prop(into)] label: TextProp,
    #[prop(into)] name: String,
    value: RwSignal<String>,
    #[prop(into, optional)] error: Signal<Option<String>>,
    #[prop(default = 4)] rows: u32,
) -> impl IntoView {
    let id = format!("field-{name}");
    view! {
        <Labelled id=id.clone() label error>
            <textarea id=id name=name rows=rows prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))></textarea>
        </Labelled>
    }
}

/// A select with label and inline error. `options` are (value, label) pairs.
#[component]
pub fn SelectField(
    #[prop(into)] label: TextProp,
    #[prop(into)] name: String,
    value: RwSignal<String>,
    #[prop(into)] options: Signal<Vec<(String, String)>>,
    #[prop(into, optional)] error: Signal<Option<String>>,
    #[prop(optional)] scope: &'static str,
) -> impl IntoView {
    let id = format!("field-{scope}{name}");
    view! {
        <Labelled id=id.clone() label error>
            <select
                id=id
                name=name
                on:change=move |ev| value.set(event_target_value(&ev))
                prop:value=move || value.get()
            >
                {move || {
                    options
                        .get()
                        .into_iter()
                        .map(|(option, text)| {
                            let selected = value.get_untracked() == option;
                            view! { <option value=option selected=selected>{text}</option> }
                        })
                        .collect_view()
                }}
            </select>
        </Labelled>
    }
}

/// A checkbox with label.
#[component]
pub fn CheckboxField(
    #[prop(into)] label: TextProp,
    #[prop(into)] name: String,
    checked: RwSignal<bool>,
) -> impl IntoView {
    view! {
        <label class="field field-checkbox">
            <input
                type="checkbox"
                name=name
                prop:checked=move || checked.get()
                on:change=move |ev| checked.set(event_target_checked(&ev))
            />
            <span>{move || label.get()}</span>
        </label>
    }
}
