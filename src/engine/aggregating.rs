//! A KQL threshold or new-terms rule during the pass. Its hits wait until
//! the logs are a grace period past them, so records a little out of order
//! still count in order; then they are counted, and a group fires as soon
//! as it reaches its threshold. What it holds is the hits of one window
//! and one grace period, however long the logs run.

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BinaryHeap};

use chrono::{DateTime, Utc};

use super::GRACE_MS;
use super::alert::{Entity, Finding, Matched, merge_entities};
use super::evaluate::{EventView, KqlMatch};
use crate::detect::aggregate::Aggregator;
use crate::detect::{EventRef, Firing, Hit, hits};
use crate::rules::rule::{Kind, Rule};

/// A hit waiting for the stream to pass it, in time order; `seq` keeps an
/// event's hits in the order it gave them.
struct Waiting {
    seq: u64,
    hit: Hit,
}

impl Waiting {
    fn key(&self) -> (DateTime<Utc>, EventRef, u64) {
        (self.hit.time, self.hit.event, self.seq)
    }
}

impl PartialEq for Waiting {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Waiting {}

impl PartialOrd for Waiting {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Waiting {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

/// Entities and matched values of a hit's event.
type Info = (Vec<Entity>, Vec<Matched>);

pub struct Aggregating {
    pub kql: KqlMatch,
    state: Aggregator,
    /// The rule's grouping fields, named in each finding.
    fields: Vec<String>,
    waiting: BinaryHeap<Reverse<Waiting>>,
    seq: u64,
    /// By event time, so what no firing can hold any more is cut off.
    info: BTreeMap<(i64, EventRef), Info>,
    /// Hits are counted while the logs stream; otherwise all at the end.
    stream: bool,
    /// The latest time of an event of the rule's indices.
    latest: Option<i64>,
    /// The last hit counted.
    counted: Option<(DateTime<Utc>, EventRef)>,
    /// Hits counted since what is out of every window was last forgotten.
    since_forget: usize,
    /// A hit came after a later one was counted: the rule must run again
    /// over the whole input.
    late: bool,
}

impl Aggregating {
    pub fn new(rule: &Rule, kql: KqlMatch, stream: bool) -> Option<Aggregating> {
        let fields = match &rule.kind {
            Kind::Threshold { fields, .. } | Kind::NewTerms { fields, .. } => fields.clone(),
            _ => return None,
        };
        Some(Aggregating {
            kql,
            state: hits::aggregator(rule)?,
            fields,
            waiting: BinaryHeap::new(),
            seq: 0,
            info: BTreeMap::new(),
            stream,
            latest: None,
            counted: None,
            since_forget: 0,
            late: false,
        })
    }

    pub fn offer(&mut self, rule: &Rule, v: &EventView<'_, '_>, out: &mut Vec<Finding>) {
        if self.late || !self.kql.covers(v) {
            return;
        }
        // Events with no time can be in no window.
        let Some(time) = v.time() else { return };
        if self.kql.query_matches(v) {
            let r = v.event_ref();
            if self.counted.is_some_and(|c| (time, r) < c) {
                // Counting again from the start is the only way to count
                // this one in order; keep nothing meanwhile.
                self.late = true;
                self.waiting.clear();
                self.info.clear();
                self.state.clear();
                return;
            }
            let new = hits::hits_of(rule, v, time, r);
            if !new.is_empty() {
                let info = (Entity::of_event(v.canonical()), self.kql.explain(v));
                self.info.insert((r.time_ms, r), info);
                for hit in new {
                    self.seq += 1;
                    self.waiting.push(Reverse(Waiting { seq: self.seq, hit }));
                }
            }
        }
        if !self.stream {
            return;
        }
        let t = time.timestamp_millis();
        let latest = self.latest.map_or(t, |l| l.max(t));
        self.latest = Some(latest);
        self.count_until(Some(latest.saturating_sub(GRACE_MS)), out);
    }

    /// Counts the waiting hits up to `until` (epoch ms), or all of them.
    fn count_until(&mut self, until: Option<i64>, out: &mut Vec<Finding>) {
        while let Some(Reverse(w)) = self.waiting.peek() {
            if until.is_some_and(|u| w.hit.time.timestamp_millis() > u) {
                break;
            }
            let Some(Reverse(w)) = self.waiting.pop() else {
                break;
            };
            self.counted = Some((w.hit.time, w.hit.event));
            self.since_forget += 1;
            if let Some(f) = self.state.push(w.hit) {
                out.push(self.finding(f));
            }
        }
        let Some((t, _)) = self.counted else { return };
        // Forgetting walks every group, so it waits until as many hits
        // have been counted as there are groups.
        if self.since_forget > self.state.len().max(1024) {
            self.since_forget = 0;
            self.state.forget_before(t);
            let horizon = self.state.horizon(t).timestamp_millis();
            let min = EventRef {
                source: 0,
                index: 0,
                line: 0,
                time_ms: i64::MIN,
            };
            self.info = self.info.split_off(&(horizon, min));
        }
    }

    fn finding(&self, f: Firing) -> Finding {
        let mut entities = Vec::new();
        let mut matched: Vec<Matched> = self
            .fields
            .iter()
            .zip(&f.group)
            .map(|(field, value)| Matched {
                field: field.clone(),
                value: value.clone(),
            })
            .collect();
        for e in &f.events {
            if let Some((ents, m)) = self.info.get(&(e.time_ms, *e)) {
                merge_entities(&mut entities, ents.iter().cloned());
                for x in m {
                    if !matched.iter().any(|y| y.field == x.field) {
                        matched.push(x.clone());
                    }
                }
            }
        }
        Finding {
            events: f.events,
            time: Some(f.first),
            entities,
            matched,
            key: Some(f.group),
            details: None,
        }
    }

    pub fn needs_second_pass(&self) -> bool {
        self.late
    }

    /// The findings of the hits still waiting at the end of the input.
    pub fn finish(mut self) -> Vec<Finding> {
        let mut out = Vec::new();
        self.count_until(None, &mut out);
        out
    }
}
