//! What the global search finds, as both sides of the wire see it.

use serde::{Deserialize, Serialize};

/// The kinds of record the search looks through, in the order the results show them.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SearchKind {
    Customer,
    Contact,
    Lead,
    Opportunity,
    Ticket,
    Product,
}

impl SearchKind {
    pub const ALL: [SearchKind; 6] = [
        SearchKind::Customer,
        SearchKind::Contact,
        SearchKind::Lead,
        SearchKind::Opportunity,
        SearchKind::Ticket,
        SearchKind::Product,
    ];
}

/// One record found: what to call it, a line that tells it apart from others of the same name
/// (already in the caller's language), and the page that opens it, if the caller has one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchHit {
    pub kind: SearchKind,
    pub id: i64,
    pub title: String,
    pub detail: String,
    pub href: Option<String>,
}

/// Results per kind shown at most; a "see all" link leads to the kind's own list where it has one.
pub const HITS_PER_KIND: i64 = 5;

/// Joins the non-empty parts of a detail line.
pub fn detail_line<'a>(parts: impl IntoIterator<Item = Option<&'a str>>) -> String {
    parts
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" · ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detail_lines_skip_missing_and_blank_parts() {
        assert_eq!(detail_line([Some("上海"), None, Some(" "), Some("138")]), "上海 · 138");
    }
}
