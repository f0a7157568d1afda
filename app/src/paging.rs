//! Keyset pagination shared by every list: a page of items and the key to continue after.

use serde::{Deserialize, Serialize};

/// Rows per page unless the caller asks for fewer.
pub const DEFAULT_PAGE_SIZE: i64 = 50;
/// The most rows one request may ask for.
pub const MAX_PAGE_SIZE: i64 = 200;

/// One page of a list. `next` is the key of the last item when more rows follow.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Page<T, K = i64> {
    pub items: Vec<T>,
    pub next: Option<K>,
}

impl<T, K> Page<T, K> {
    /// Builds a page from `limit + 1` fetched rows: the extra row only signals that more exist.
    pub fn from_overfetch(mut rows: Vec<T>, limit: i64, key: impl Fn(&T) -> K) -> Self {
        let limit = limit.max(0) as usize;
        let has_more = rows.len() > limit;
        rows.truncate(limit);
        let next = if has_more { rows.last().map(key) } else { None };
        Page { items: rows, next }
    }
}

/// Clamps a requested page size into `1..=MAX_PAGE_SIZE`, defaulting when absent.
pub fn page_size(requested: Option<i64>) -> i64 {
    requested.unwrap_or(DEFAULT_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overfetched_row_sets_the_next_key_and_is_dropped() {
        let page = Page::from_overfetch(vec![1, 2, 3], 2, |n| *n);
        assert_eq!(page.items, vec![1, 2]);
        assert_eq!(page.next, Some(2));
        let last = Page::from_overfetch(vec![1, 2], 2, |n| *n);
        assert_eq!(last.next, None);
    }

    #[test]
    fn page_size_is_clamped() {
        assert_eq!(page_size(None), DEFAULT_PAGE_SIZE);
        assert_eq!(page_size(Some(0)), 1);
        assert_eq!(page_size(Some(10_000)), MAX_PAGE_SIZE);
    }
}
