//! Case state: what the analyst decided about each alert (status, close
//! reason, notes, checklist progress, marked evidence), kept against the
//! alert's stable id so it survives a restart, a re-run and a hand-over.

pub mod bundle;
pub mod report;
pub mod store;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use store::Store;

/// The case file format written now. Older files load: every field has a
/// default.
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[default]
    Open,
    Acknowledged,
    Closed,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Acknowledged => "ack",
            Status::Closed => "closed",
        }
    }
}

/// Why an alert was closed, in the words Sentinel analysts use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Classification {
    TruePositive,
    BenignPositive,
    FalsePositiveIncorrectLogic,
    FalsePositiveInaccurateData,
    Undetermined,
}

impl Classification {
    pub const ALL: [Classification; 5] = [
        Classification::TruePositive,
        Classification::BenignPositive,
        Classification::FalsePositiveIncorrectLogic,
        Classification::FalsePositiveInaccurateData,
        Classification::Undetermined,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Classification::TruePositive => "True positive",
            Classification::BenignPositive => "Benign positive",
            Classification::FalsePositiveIncorrectLogic => "False positive - incorrect logic",
            Classification::FalsePositiveInaccurateData => "False positive - inaccurate data",
            Classification::Undetermined => "Undetermined",
        }
    }

    /// A few letters for a narrow column.
    pub fn short(self) -> &'static str {
        match self {
            Classification::TruePositive => "TP",
            Classification::BenignPositive => "BP",
            Classification::FalsePositiveIncorrectLogic => "FP-l",
            Classification::FalsePositiveInaccurateData => "FP-d",
            Classification::Undetermined => "?",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StepState {
    pub done: bool,
    pub note: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AlertState {
    pub status: Status,
    pub classification: Option<Classification>,
    pub note: String,
    /// Checklist steps by [`step_id`].
    pub steps: BTreeMap<String, StepState>,
    /// Evidence events marked as relevant, as `file:line`.
    pub marked: BTreeSet<String>,
    pub updated: Option<DateTime<Utc>>,
}

impl AlertState {
    pub fn is_empty(&self) -> bool {
        *self
            == AlertState {
                updated: self.updated,
                ..AlertState::default()
            }
    }

    pub fn steps_done(&self) -> usize {
        self.steps.values().filter(|s| s.done).count()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Case {
    pub version: u32,
    /// By alert id.
    pub alerts: BTreeMap<String, AlertState>,
}

impl Default for Case {
    fn default() -> Case {
        Case {
            version: VERSION,
            alerts: BTreeMap::new(),
        }
    }
}

impl Case {
    pub fn get(&self, id: &str) -> Option<&AlertState> {
        self.alerts.get(id)
    }

    pub fn status(&self, id: &str) -> Status {
        self.get(id).map(|s| s.status).unwrap_or_default()
    }

    /// The state of an alert, to change.
    pub fn entry(&mut self, id: &str) -> &mut AlertState {
        let s = self.alerts.entry(id.to_string()).or_default();
        s.updated = Some(Utc::now());
        s
    }
}

/// A step's identity in a case: its section and text, so progress stays
/// with the step when a guide gains or loses others around it.
pub fn step_id(section: &str, text: &str) -> String {
    let mut h = crate::engine::alert::Fnv::new();
    h.write(section.as_bytes());
    h.write(b"\n");
    h.write(text.as_bytes());
    format!("{:016x}", h.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_written_by_an_older_version_opens() {
        // No version, no marks, an unknown field from elsewhere.
        let old = r#"{"alerts": {"a1": {"status": "closed",
            "classification": "benign_positive", "future": 1}}}"#;
        let case: Case = serde_json::from_str(old).unwrap();
        let a = case.get("a1").unwrap();
        assert_eq!(a.status, Status::Closed);
        assert_eq!(a.classification, Some(Classification::BenignPositive));
        assert!(a.steps.is_empty());
    }

    #[test]
    fn step_ids_depend_on_section_and_text_only() {
        assert_eq!(step_id("Triage", "Check x"), step_id("Triage", "Check x"));
        assert_ne!(step_id("Triage", "Check x"), step_id("Response", "Check x"));
    }
}
