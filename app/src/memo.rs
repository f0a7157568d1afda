//! Answers loaded once per request (server only). A page rendered on the server calls several
//! server functions in one request, and each checks on its own what the others check too (that
//! the caller may see this customer, the customer settings): the first call loads, calls at the
//! same time wait for it, later ones reuse it. Only for reads that cannot change within the
//! request: a write goes through the database, never through here. The request's memo travels
//! in `auth::server::RequestContext`; `auth::server::once_per_request` reads through it.

use crate::error::AppError;
use std::{
    any::{Any, TypeId},
    collections::HashMap,
    future::Future,
    sync::{Arc, Mutex},
};
use tokio::sync::OnceCell;

type Slot = Arc<dyn Any + Send + Sync>;

/// One request's loaded answers, by the type of the answer and a key naming what was asked.
#[derive(Default)]
pub struct RequestMemo {
    slots: Mutex<HashMap<(TypeId, String), Slot>>,
}

impl std::fmt::Debug for RequestMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let held = self.slots.lock().map(|slots| slots.len()).unwrap_or(0);
        f.debug_struct("RequestMemo").field("answers", &held).finish()
    }
}

impl RequestMemo {
    /// The answer under `key`, loading it with `load` if no call of this request has.
    /// A failed load is not kept: the next call tries again.
    pub async fn get_or_load<T, F, Fut>(&self, key: String, load: F) -> Result<T, AppError>
    where
        T: Clone + Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, AppError>>,
    {
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            slots
                .entry((TypeId::of::<T>(), key))
                .or_insert_with(|| Arc::new(OnceCell::<T>::new()))
                .clone()
        };
        let cell = slot
            .downcast::<OnceCell<T>>()
            .map_err(|_| AppError::internal("request memo slot of another type"))?;
        cell.get_or_try_init(load).await.cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn concurrent_calls_load_once_and_keys_and_types_stay_apart() {
        let memo = RequestMemo::default();
        let loads = AtomicUsize::new(0);
        let load = || async {
            loads.fetch_add(1, Ordering::SeqCst);
            tokio::task::yield_now().await;
            Ok::<_, AppError>(7_i64)
        };
        let (a, b) = tokio::join!(
            memo.get_or_load("visible:1".into(), load),
            memo.get_or_load("visible:1".into(), load)
        );
        assert_eq!((a.unwrap(), b.unwrap()), (7, 7));
        assert_eq!(loads.load(Ordering::SeqCst), 1, "the second call waited for the first");
        memo.get_or_load("visible:2".into(), load).await.unwrap();
        assert_eq!(loads.load(Ordering::SeqCst), 2, "another key loads on its own");
        let text = memo.get_or_load("visible:1".into(), || async { Ok("a".to_owned()) }).await;
        assert_eq!(text.unwrap(), "a", "the same key for another type is another answer");
    }

    #[tokio::test]
    async fn a_failed_load_is_tried_again() {
        let memo = RequestMemo::default();
        let failed = memo
            .get_or_load::<bool, _, _>("k".into(), || async { Err(AppError::Unauthorized) })
            .await;
        assert_eq!(failed.unwrap_err(), AppError::Unauthorized);
        let loaded = memo.get_or_load("k".into(), || async { Ok(true) }).await;
        assert!(loaded.unwrap());
    }
}
