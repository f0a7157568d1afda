//! Timeline entries as the 360 page shows them.

use crate::customers::model::CustomerId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The kinds of entry, as stored. Domains add theirs.
pub mod kinds {
    pub const CREATED: &str = "created";
    pub const UPDATED: &str = "updated";
    pub const TYPE_CHANGED: &str = "type_changed";
    pub const OWNER_CHANGED: &str = "owner_changed";
    pub const TAGGED: &str = "tagged";
    pub const ORDER: &str = "order";
    pub const INTERACTION: &str = "interaction";
    pub const STAGE_CHANGED: &str = "stage_changed";
    pub const WON_BACK: &str = "won_back";
    pub const ORDER_CORRECTED: &str = "order_corrected";
    pub const ORDER_CANCELLED: &str = "order_cancelled";
    pub const ORDER_REFUNDED: &str = "order_refunded";
    pub const INTERACTION_EDITED: &str = "interaction_edited";
    pub const INTERACTION_DELETED: &str = "interaction_deleted";
    pub const INTERACTION_RESTORED: &str = "interaction_restored";
    pub const MERGED: &str = "merged";
    pub const MERGE_UNDONE: &str = "merge_undone";
    pub const IMPORTED: &str = "imported";
    pub const DELETED: &str = "deleted";
    pub const RESTORED: &str = "restored";
}

/// One thing that happened to a customer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub id: i64,
    pub customer_id: CustomerId,
    pub at: DateTime<Utc>,
    pub kind: String,
    pub ref_id: Option<i64>,
    /// Kind-specific values the text is built from (amounts, old and new stage, subject...).
    pub data: serde_json::Value,
    pub actor_name: Option<String>,
}

/// Where the next timeline page starts (entries are newest first).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineCursor {
    pub at: DateTime<Utc>,
    pub id: i64,
}
