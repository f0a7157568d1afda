//! Duplicate pairs and merges as the review and merge screens see them.

use super::model::CustomerId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One customer of a likely-duplicate pair.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PairSide {
    pub id: CustomerId,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub region: Option<String>,
    pub owner_name: Option<String>,
    pub order_count: i32,
}

/// Two customers that are probably the same, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DuplicatePair {
    pub id: i64,
    /// `phone`, `email` or `name`.
    pub reason: String,
    /// 1 for an exact phone or email match, the name similarity otherwise.
    pub score: f32,
    pub a: PairSide,
    pub b: PairSide,
}

/// What the merge screen submits: which record survives and which of its fields take the
/// merged record's value instead (every other field keeps the survivor's).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeRequest {
    pub survivor: CustomerId,
    pub merged: CustomerId,
    pub take_from_merged: Vec<String>,
}

/// A merge that can still be undone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeRecord {
    pub id: i64,
    pub survivor_id: CustomerId,
    pub survivor_name: String,
    pub merged_id: CustomerId,
    pub merged_name: String,
    pub merged_at: DateTime<Utc>,
    pub merged_by_name: Option<String>,
}
