//! Tables: headings (sortable where the list can sort by them), rows, and for keyset-paginated
//! lists the loading, empty, failed and "more" states around them.

use crate::{
    i18n::{CommonText, use_i18n},
    ui::{ErrorNotice, Loading, MoreButton, PagedList},
};
use leptos::prelude::*;
use serde::{Serialize, de::DeserializeOwned};
use std::sync::Arc;

type HeadingControl = Arc<dyn Fn() -> AnyView + Send + Sync>;

/// A column heading. `sorts_by` names the list's sort that the heading selects when clicked.
#[derive(Clone)]
pub struct Column {
    label: Option<TextProp>,
    control: Option<HeadingControl>,
    sort: Option<&'static str>,
    numeric: bool,
}

impl Column {
    pub fn new(label: impl Into<TextProp>) -> Self {
        Column { label: Some(label.into()), control: None, sort: None, numeric: false }
    }

    /// A heading without text, over row actions.
    pub fn blank() -> Self {
        Column { label: None, control: None, sort: None, numeric: false }
    }

    /// A heading that is a control rather than text, e.g. "select all".
    pub fn control(view: impl Fn() -> AnyView + Send + Sync + 'static) -> Self {
        Column { label: None, control: Some(Arc::new(view)), sort: None, numeric: false }
    }

    pub fn sorts_by(mut self, sort: &'static str) -> Self {
        self.sort = Some(sort);
        self
    }

    /// Right-aligned, for amounts and counts.
    pub fn numeric(mut self) -> Self {
        self.numeric = true;
        self
    }
}

fn heading(column: Column, sort: Option<RwSignal<String>>) -> impl IntoView {
    let Column { label, control, sort: sorts_by, numeric } = column;
    if let Some(control) = control {
        return view! { <th class:num=numeric>{control()}</th> }.into_any();
    }
    let text = move || label.as_ref().map(|label| label.get());
    match (sorts_by, sort) {
        (Some(key), Some(sort)) => {
            let current = move || sort.with(|s| s == key);
            view! {
                <th class:num=numeric aria-sort=move || if current() { "descending" } else { "none" }>
                    <button
                        type="button"
                        class="sort"
                        class:sorted=current
                        data-sort=key
                        on:click=move |_| sort.set(key.to_owned())
                    >
                        {text}
                    </button>
                </th>
            }
            .into_any()
        }
        _ => view! { <th class:num=numeric>{text}</th> }.into_any(),
    }
}

/// A table with its headings; `children` are the body's rows.
#[component]
pub fn Table(
    columns: Vec<Column>,
    #[prop(optional)] testid: &'static str,
    #[prop(default = None, into)] sort: Option<RwSignal<String>>,
    children: Children,
) -> impl IntoView {
    let headings = columns.into_iter().map(|column| heading(column, sort)).collect_view();
    view! {
        <div class="table-wrap">
            <table class="table" data-testid=(!testid.is_empty()).then_some(testid)>
                <thead>
                    <tr>{headings}</tr>
                </thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
    }
}

/// A keyset-paginated list as a table: a spinner until the first page, a translated error or
/// "nothing found" in its place, one row per item, and "load more" while pages remain.
#[component]
pub fn PagedTable<S, T, K, R, V>(
    list: PagedList<S, T, K>,
    columns: Vec<Column>,
    row: R,
    #[prop(optional)] testid: &'static str,
    #[prop(default = None, into)] sort: Option<RwSignal<String>>,
    /// What to say when the list is empty; "nothing found" unless given.
    #[prop(optional, into)]
    empty: Option<TextProp>,
) -> impl IntoView
where
    S: Clone + PartialEq + Send + Sync + 'static,
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
    K: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
    R: Fn(T) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let i18n = use_i18n();
    let empty = empty.unwrap_or_else(|| TextProp::from(i18n.t(CommonText::NothingFound)));
    let columns = StoredValue::new(columns);
    let row = StoredValue::new(row);
    let body = move || {
        list.rows().map(|rows| match rows {
            Err(error) => view! { <ErrorNotice error/> }.into_any(),
            Ok(rows) if rows.is_empty() => {
                let empty = empty.clone();
                view! { <p class="empty">{move || empty.get()}</p> }.into_any()
            }
            Ok(rows) => view! {
                <Table columns=columns.get_value() testid sort>
                    {rows.into_iter().map(row.get_value()).collect_view()}
                </Table>
            }
            .into_any(),
        })
    };
    view! {
        <Transition fallback=|| view! { <Loading/> }>{body}</Transition>
        {move || list.failure().map(|error| view! { <ErrorNotice error/> })}
        <MoreButton
            visible=Signal::derive(move || list.has_more())
            pending=Signal::derive(move || list.loading_more())
            on_click=move || list.load_more()
        />
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn the_sorted_heading_is_marked_and_the_others_offer_their_sort() {
        let html = Owner::new().with(|| {
            let sort = RwSignal::new("spend".to_owned());
            view! {
                <Table testid="people" sort columns=vec![
                    Column::new("Name"),
                    Column::new("Spend").numeric().sorts_by("spend"),
                    Column::new("Last order").sorts_by("last_order"),
                    Column::blank(),
                ]>
                    <tr><td>"Li Na"</td></tr>
                </Table>
            }
            .to_html()
        });
        assert_eq!(html.matches(r#"aria-sort="descending""#).count(), 1, "{html}");
        assert_eq!(html.matches(r#"aria-sort="none""#).count(), 1, "{html}");
        assert!(html.contains(r#"data-sort="last_order""#), "{html}");
        assert!(html.contains(r#"data-testid="people""#), "{html}");
        assert!(html.contains("<td>Li Na</td>"), "{html}");
        // Only the two sortable headings are buttons; the amount column is right-aligned.
        assert_eq!(html.matches("<button").count(), 2, "{html}");
        assert!(html.contains(r#"class="num""#), "{html}");
    }
}
