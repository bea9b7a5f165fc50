//! Work the console hands to the blocking pool so keys are answered
//! meanwhile: reading an event again from its file for the drill-down,
//! and reading an alert's evidence for its checklist's field values. A
//! record deep in a large compressed file takes a while to reach.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::evidence::ReadJob;
use super::tree::Tree;
use super::tuning::FieldJob;
use crate::ingest::{Limits, Mapping, RecordLoc, SourceInfo};
use crate::model::SourceKind;

/// Evidence events read for a checklist's field values.
pub const EVIDENCE_READ: usize = 20;
/// Distinct values kept per field.
pub const VALUES_KEPT: usize = 8;

pub enum Job {
    Event(ReadJob),
    Values(ValuesJob),
    Field(FieldJob),
}

pub enum Finished {
    Event(u64, Result<Tree, String>),
    Values(u64, BTreeMap<String, Vec<String>>),
    /// The field holding a tuning value, and the value as written.
    Field(u64, Option<(String, String)>),
}

impl Job {
    pub fn run(self) -> Finished {
        match self {
            Job::Event(j) => {
                let (token, doc) = j.run();
                Finished::Event(token, doc)
            }
            Job::Values(j) => Finished::Values(j.token, j.run()),
            Job::Field(j) => Finished::Field(j.token, j.run()),
        }
    }
}

/// The values some fields take in a few events, found under any shape's
/// name for each field.
pub struct ValuesJob {
    pub token: u64,
    pub events: Vec<(Arc<SourceInfo>, RecordLoc, SourceKind)>,
    pub fields: Vec<String>,
    pub limits: Limits,
}

impl ValuesJob {
    pub fn run(&self) -> BTreeMap<String, Vec<String>> {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        if self.fields.is_empty() {
            return out;
        }
        let mapping = Mapping::builtin();
        for (info, loc, kind) in &self.events {
            // An event that no longer reads is left out: the rest still
            // give their values.
            let Ok(doc) = crate::ingest::reparse(info, loc, &self.limits) else {
                continue;
            };
            for f in &self.fields {
                for v in mapping.lookup(&doc, *kind, f) {
                    let Some(text) = crate::ingest::doc::scalar_text(&v) else {
                        continue;
                    };
                    let vals = out.entry(f.clone()).or_default();
                    if vals.len() < VALUES_KEPT && !vals.contains(&text) {
                        vals.push(text);
                    }
                }
            }
        }
        out
    }
}
