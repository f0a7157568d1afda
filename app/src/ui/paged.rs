//! Keyset-paginated lists: the first page server-rendered, later pages appended on demand.

use crate::{error::AppError, paging::Page};
use leptos::{prelude::*, task::spawn_local};
use serde::{Serialize, de::DeserializeOwned};
use std::{future::Future, sync::Arc};

type Fetch<S, T, K> = Arc<
    dyn Fn(
            S,
            Option<K>,
        ) -> std::pin::Pin<Box<dyn Future<Output = Result<Page<T, K>, AppError>> + Send>>
        + Send
        + Sync,
>;

/// A list whose first page reloads whenever its source (filters, change events) changes, and
/// whose "more" button appends the pages after it.
pub struct PagedList<S, T, K = i64>
where
    S: Clone + PartialEq + Send + Sync + 'static,
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
    K: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
{
    first: Resource<Result<Page<T, K>, AppError>>,
    more: RwSignal<Vec<T>>,
    next: RwSignal<Option<K>>,
    loading_more: RwSignal<bool>,
    failure: RwSignal<Option<AppError>>,
    source: Memo<S>,
    fetch: StoredValue<Fetch<S, T, K>>,
}

impl<S, T, K> Clone for PagedList<S, T, K>
where
    S: Clone + PartialEq + Send + Sync + 'static,
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
    K: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
{
    fn clone(&self) -> Self {
        *self
    }
}

impl<S, T, K> Copy for PagedList<S, T, K>
where
    S: Clone + PartialEq + Send + Sync + 'static,
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
    K: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
{
}

impl<S, T, K> PagedList<S, T, K>
where
    S: Clone + PartialEq + Send + Sync + 'static,
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
    K: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
{
    pub fn new<F, Fut>(source: impl Fn() -> S + Send + Sync + 'static, fetch: F) -> Self
    where
        F: Fn(S, Option<K>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Page<T, K>, AppError>> + Send + 'static,
    {
        let fetch: Fetch<S, T, K> = Arc::new(move |s, after| Box::pin(fetch(s, after)));
        let source = Memo::new(move |_| source());
        let first = {
            let fetch = fetch.clone();
            Resource::new(move || source.get(), move |s| fetch(s, None))
        };
        let more = RwSignal::new(Vec::new());
        let next = RwSignal::new(None);
        Effect::new(move |_| {
            let first_next =
                first.with(|page| page.as_ref().and_then(|p| p.as_ref().ok()?.next.clone()));
            more.set(Vec::new());
            next.set(first_next);
        });
        PagedList {
            first,
            more,
            next,
            loading_more: RwSignal::new(false),
            failure: RwSignal::new(None),
            source,
            fetch: StoredValue::new(fetch),
        }
    }

    /// All rows loaded so far; `None` until the first page arrives.
    pub fn rows(self) -> Option<Result<Vec<T>, AppError>> {
        let first = self.first.get()?;
        Some(first.map(|page| {
            let mut rows = page.items;
            rows.extend(self.more.get());
            rows
        }))
    }

    pub fn has_more(self) -> bool {
        self.next.get().is_some()
    }

    pub fn loading_more(self) -> bool {
        self.loading_more.get()
    }

    /// The error of the last "more" request, if it failed.
    pub fn failure(self) -> Option<AppError> {
        self.failure.get()
    }

    pub fn refetch(self) {
        self.first.refetch();
    }

    pub fn load_more(self) {
        let Some(after) = self.next.get_untracked() else { return };
        if self.loading_more.get_untracked() {
            return;
        }
        self.loading_more.set(true);
        let fetch = self.fetch.get_value();
        let source = self.source.get_untracked();
        spawn_local(async move {
            match fetch(source, Some(after)).await {
                Ok(page) => {
                    self.failure.set(None);
                    self.more.update(|rows| rows.extend(page.items));
                    self.next.set(page.next);
                }
                Err(error) => self.failure.set(Some(error)),
            }
            self.loading_more.set(false);
        });
    }
}
