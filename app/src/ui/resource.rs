//! A resource's three states in one place: loading, failed (translated, with the page status on
//! the server), and loaded.

use crate::{
    error::AppError,
    ui::{ErrorNotice, Loading},
};
use leptos::prelude::*;
use serde::{Serialize, de::DeserializeOwned};

/// Shows `children` with the loaded value, a spinner until it arrives and a translated error if
/// it failed. While the resource reloads (a filter or a change event), the previous content stays.
#[component]
pub fn ResourceView<T, V, F>(resource: Resource<Result<T, AppError>>, children: F) -> impl IntoView
where
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
    F: Fn(T) -> V + Send + Sync + 'static,
    V: IntoView + 'static,
{
    view! {
        <Transition fallback=|| view! { <Loading/> }>
            {move || {
                resource
                    .get()
                    .map(|loaded| match loaded {
                        Ok(value) => children(value).into_any(),
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    })
            }}
        </Transition>
    }
}
