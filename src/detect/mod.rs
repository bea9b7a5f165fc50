//! Detection over loaded events. Rules that decide per event (KQL `query`
//! rules) need nothing here; rules that aggregate keep compact hits — a
//! time, the grouping values, an event reference — never whole events.

pub mod aggregate;
pub mod duration;
pub mod esql;
pub mod hits;

use chrono::{DateTime, Utc};

/// Which event: its input file and ordinal there, enough to reparse it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventRef {
    pub source: u32,
    pub index: u64,
}

/// One event that matched an aggregating rule's query, reduced to what the
/// aggregation needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub time: DateTime<Utc>,
    pub event: EventRef,
    /// Values of the grouping fields, in the rule's field order.
    pub group: Vec<String>,
    /// Value of the cardinality field, for threshold rules that have one.
    pub distinct: Option<String>,
}

/// A group that fired: its values, when, and the evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Firing {
    pub group: Vec<String>,
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
    pub events: Vec<EventRef>,
    /// Distinct values of the cardinality field among the events.
    pub distinct: usize,
}
