//! Detection over loaded events. Rules that decide per event (KQL `query`
//! rules) need nothing here; rules that aggregate keep compact hits — a
//! time, the grouping values, an event reference — never whole events.

pub mod aggregate;
pub mod duration;
pub mod esql;
pub mod hits;

use chrono::{DateTime, Utc};

/// Which event: its input file and ordinal there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventRef {
    pub source: u32,
    pub index: u64,
    /// Line of the record's start in its decoded file, for showing it.
    pub line: u64,
    /// Event time in epoch milliseconds; `i64::MIN` when it has none.
    pub time_ms: i64,
}

impl EventRef {
    pub fn new(loc: &crate::ingest::RecordLoc, time: Option<DateTime<Utc>>) -> EventRef {
        EventRef {
            source: loc.source,
            index: loc.index,
            line: loc.at.line,
            time_ms: time.map_or(i64::MIN, |t| t.timestamp_millis()),
        }
    }

    pub fn time(&self) -> Option<DateTime<Utc>> {
        (self.time_ms != i64::MIN)
            .then(|| DateTime::from_timestamp_millis(self.time_ms))
            .flatten()
    }
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
