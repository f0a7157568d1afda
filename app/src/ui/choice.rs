//! Selects over the enums that travel as text: the stored name as each option's value, the
//! translated label as its text, the typed value in the signal.

use crate::{
    enums::Choice,
    i18n::{Locale, Text, use_i18n},
    ui::field::Labelled,
};
use leptos::prelude::*;

/// One `<option>` per variant (or per one of `choices`), the stored name as its value.
fn variant_options<T: Choice, K: Text>(
    choices: Option<&'static [T]>,
    text: fn(T) -> K,
    locale: Locale,
    selected: impl Fn(T) -> bool,
) -> impl IntoView {
    choices
        .unwrap_or(T::all())
        .iter()
        .map(|&choice| {
            view! { <option value=choice.as_str() selected=selected(choice)>{text(choice).text(locale)}</option> }
        })
        .collect_view()
}

/// A select of every variant of `T` (or of `choices`), labelled through `text`.
#[component]
pub fn EnumSelect<T, K>(
    #[prop(into)] label: TextProp,
    #[prop(into)] name: String,
    value: RwSignal<T>,
    text: fn(T) -> K,
    #[prop(optional)] choices: Option<&'static [T]>,
    #[prop(into, optional)] error: Signal<Option<String>>,
    #[prop(optional)] scope: &'static str,
) -> impl IntoView
where
    T: Choice,
    K: Text,
{
    let i18n = use_i18n();
    let id = format!("field-{scope}{name}");
    let options = move || {
        let current = value.get_untracked();
        variant_options(choices, text, i18n.locale(), move |choice| choice == current)
    };
    view! {
        <Labelled id=id.clone() label error>
            <select
                id=id
                name=name
                prop:value=move || value.get().as_str()
                on:change=move |ev| {
                    if let Some(choice) = T::from_text(&event_target_value(&ev)) {
                        value.set(choice);
                    }
                }
            >
                {options}
            </select>
        </Labelled>
    }
}

/// A filter over `T`: every variant plus `any` (no filter), which is `None`.
#[component]
pub fn EnumFilter<T, K, A>(
    #[prop(into)] label: TextProp,
    #[prop(into)] name: String,
    value: RwSignal<Option<T>>,
    text: fn(T) -> K,
    any: A,
    #[prop(optional)] choices: Option<&'static [T]>,
) -> impl IntoView
where
    T: Choice,
    K: Text,
    A: Text,
{
    let i18n = use_i18n();
    let id = format!("field-{name}");
    let options = move || {
        let locale = i18n.locale();
        let current = value.get_untracked();
        let any = view! { <option value="" selected=current.is_none()>{any.text(locale)}</option> };
        (any, variant_options(choices, text, locale, move |choice| current == Some(choice)))
    };
    view! {
        <Labelled id=id.clone() label>
            <select
                id=id
                name=name
                prop:value=move || value.get().map(|v| v.as_str()).unwrap_or_default()
                on:change=move |ev| value.set(T::from_text(&event_target_value(&ev)))
            >
                {options}
            </select>
        </Labelled>
    }
}
