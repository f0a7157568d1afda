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

/// A ticket number as typed: `#123`, `123` or `T-123`.
pub fn ticket_number(raw: &str) -> Option<i64> {
    let trimmed = raw.trim();
    let digits = trimmed
        .strip_prefix('#')
        .or_else(|| trimmed.strip_prefix("T-"))
        .or_else(|| trimmed.strip_prefix("t-"))
        .unwrap_or(trimmed);
    (!digits.is_empty() && digits.len() <= 18 && digits.chars().all(|c| c.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

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
    fn ticket_numbers_are_read_with_or_without_their_mark() {
        assert_eq!(ticket_number("#42"), Some(42));
        assert_eq!(ticket_number(" 42 "), Some(42));
        assert_eq!(ticket_number("T-42"), Some(42));
        assert_eq!(ticket_number("#"), None);
        assert_eq!(ticket_number("42a"), None);
        assert_eq!(ticket_number("99999999999999999999"), None);
    }

    #[test]
    fn detail_lines_skip_missing_and_blank_parts() {
        assert_eq!(detail_line([Some("上海"), None, Some(" "), Some("138")]), "上海 · 138");
    }
}
