//! From a matching event to the hits an aggregating rule keeps.

use chrono::Duration;
use serde_json::Value;

use super::aggregate::Aggregator;
use super::duration;
use super::{EventRef, Firing, Hit};
use crate::ingest::doc::scalar_text;
use crate::rules::fields::Fields;
use crate::rules::rule::{Kind, Rule};

/// One event's combinations of grouping values; an event with several
/// values in a grouping field counts once per value, as a terms
/// aggregation counts it. Events missing a grouping field form no group.
fn combinations(fields: &[String], doc: &dyn Fields) -> Vec<Vec<String>> {
    const MAX: usize = 64;
    let mut out: Vec<Vec<String>> = vec![Vec::new()];
    for f in fields {
        let mut vals: Vec<String> = Vec::new();
        for v in doc.values(f).iter() {
            flatten(v, &mut vals);
        }
        vals.dedup();
        if vals.is_empty() {
            return Vec::new();
        }
        let mut next = Vec::new();
        for prefix in &out {
            for v in &vals {
                if next.len() < MAX {
                    let mut c = prefix.clone();
                    c.push(v.clone());
                    next.push(c);
                }
            }
        }
        out = next;
    }
    out
}

fn flatten(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Array(items) => items.iter().for_each(|x| flatten(x, out)),
        other => {
            if let Some(s) = scalar_text(other) {
                out.push(s);
            }
        }
    }
}

/// The hits an event that matched `rule`'s query contributes.
pub fn hits_of(
    rule: &Rule,
    doc: &dyn Fields,
    time: chrono::DateTime<chrono::Utc>,
    event: EventRef,
) -> Vec<Hit> {
    let (fields, distinct_field) = match &rule.kind {
        Kind::Threshold {
            fields,
            cardinality,
            ..
        } => (fields.as_slice(), cardinality.first().map(|c| c.0.as_str())),
        Kind::NewTerms { fields, .. } => (fields.as_slice(), None),
        _ => return Vec::new(),
    };
    let distinct = distinct_field.and_then(|f| {
        let mut vals = Vec::new();
        for v in doc.values(f).iter() {
            flatten(v, &mut vals);
        }
        vals.into_iter().next()
    });
    combinations(fields, doc)
        .into_iter()
        .map(|group| Hit {
            time,
            event,
            group,
            distinct: distinct.clone(),
        })
        .collect()
}

/// Elastic's defaults when a rule leaves them out.
const DEFAULT_LOOKBACK_MINUTES: i64 = 6;

/// The running state of an aggregating rule; `None` for other kinds.
pub fn aggregator(rule: &Rule) -> Option<Aggregator> {
    match &rule.kind {
        Kind::Threshold {
            value, cardinality, ..
        } => {
            let window = rule
                .from
                .as_deref()
                .and_then(duration::parse)
                .unwrap_or(Duration::minutes(DEFAULT_LOOKBACK_MINUTES));
            Some(Aggregator::threshold(
                window,
                *value,
                cardinality.first().map(|c| c.1),
            ))
        }
        Kind::NewTerms {
            history_window_start,
            ..
        } => {
            let history = duration::parse(history_window_start).unwrap_or(Duration::days(7));
            Some(Aggregator::new_terms(history))
        }
        _ => None,
    }
}

/// Fires an aggregating rule over all its hits.
pub fn fire(rule: &Rule, hits: Vec<Hit>) -> Vec<Firing> {
    aggregator(rule).map_or_else(Vec::new, |a| a.fire_all(hits))
}
