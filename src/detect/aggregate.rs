//! Threshold and new-terms rules over the hits of a run, in time order.
//!
//! Offline, a rule's schedule becomes a sliding window: a threshold rule
//! whose look-back is five minutes fires when a group reaches its count
//! within some five minutes of the data — not anywhere in the file — and
//! the events that made it fire are not counted again, as Elastic's
//! threshold history keeps them from firing twice. A new-terms rule fires
//! on the first event whose combination of values was not seen within the
//! history window before it.

use std::collections::{HashMap, HashSet, VecDeque};

use chrono::{DateTime, Duration, Utc};

use super::{Firing, Hit};

/// A threshold or new-terms rule's running state, fed its hits in time
/// order, firing as they come: what it holds is bounded by the window, not
/// by the length of the logs.
pub enum Aggregator {
    Threshold {
        window: Duration,
        value: u64,
        min_distinct: Option<u64>,
        /// Hits of each group within the window before the latest.
        open: HashMap<Vec<String>, VecDeque<Hit>>,
    },
    NewTerms {
        history: Duration,
        last_seen: HashMap<Vec<String>, DateTime<Utc>>,
    },
}

impl Aggregator {
    /// Threshold: `value` hits of one group within `window`, and, when
    /// `min_distinct` is set, that many distinct cardinality values among
    /// them.
    pub fn threshold(window: Duration, value: u64, min_distinct: Option<u64>) -> Aggregator {
        Aggregator::Threshold {
            window,
            value,
            min_distinct,
            open: HashMap::new(),
        }
    }

    /// New terms: each hit whose group was not seen in the `history`
    /// before it.
    pub fn new_terms(history: Duration) -> Aggregator {
        Aggregator::NewTerms {
            history,
            last_seen: HashMap::new(),
        }
    }

    /// Takes the next hit, no earlier than the last; the firing it
    /// completes, if any.
    pub fn push(&mut self, hit: Hit) -> Option<Firing> {
        match self {
            Aggregator::Threshold {
                window,
                value,
                min_distinct,
                open,
            } => {
                let q = open.entry(hit.group.clone()).or_default();
                let t = hit.time;
                q.push_back(hit);
                while q.front().is_some_and(|h| t - h.time > *window) {
                    q.pop_front();
                }
                if (q.len() as u64) < (*value).max(1) {
                    return None;
                }
                let distinct: HashSet<&String> =
                    q.iter().filter_map(|h| h.distinct.as_ref()).collect();
                if min_distinct.is_some_and(|n| (distinct.len() as u64) < n) {
                    return None;
                }
                let n = distinct.len();
                let fired: Vec<Hit> = q.drain(..).collect();
                Some(Firing {
                    group: fired[0].group.clone(),
                    first: fired[0].time,
                    last: t,
                    events: fired.iter().map(|h| h.event).collect(),
                    distinct: n,
                })
            }
            Aggregator::NewTerms { history, last_seen } => {
                let fresh = match last_seen.get(&hit.group) {
                    None => true,
                    Some(prev) => hit.time - *prev > *history,
                };
                last_seen.insert(hit.group.clone(), hit.time);
                fresh.then(|| Firing {
                    first: hit.time,
                    last: hit.time,
                    events: vec![hit.event],
                    group: hit.group,
                    distinct: 0,
                })
            }
        }
    }

    /// The earliest event time a firing can still hold once every hit
    /// before `t` has been pushed.
    pub fn horizon(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Aggregator::Threshold { window, .. } => t - *window,
            Aggregator::NewTerms { .. } => t,
        }
    }

    /// Forgets what no hit at or after `t` can count with: hits out of
    /// every window, and terms whose history has lapsed (they would be
    /// new again anyway).
    pub fn forget_before(&mut self, t: DateTime<Utc>) {
        match self {
            Aggregator::Threshold { window, open, .. } => open.retain(|_, q| {
                while q.front().is_some_and(|h| t - h.time > *window) {
                    q.pop_front();
                }
                !q.is_empty()
            }),
            Aggregator::NewTerms { history, last_seen } => {
                last_seen.retain(|_, prev| t - *prev <= *history)
            }
        }
    }

    pub fn clear(&mut self) {
        match self {
            Aggregator::Threshold { open, .. } => open.clear(),
            Aggregator::NewTerms { last_seen, .. } => last_seen.clear(),
        }
    }

    /// Groups and terms held.
    pub fn len(&self) -> usize {
        match self {
            Aggregator::Threshold { open, .. } => open.len(),
            Aggregator::NewTerms { last_seen, .. } => last_seen.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Fires over all the hits of a run at once: firings by their first
    /// time, then group.
    pub fn fire_all(mut self, mut hits: Vec<Hit>) -> Vec<Firing> {
        hits.sort_by(|a, b| a.time.cmp(&b.time).then(a.event.cmp(&b.event)));
        let mut out: Vec<Firing> = hits.into_iter().filter_map(|h| self.push(h)).collect();
        out.sort_by(|a, b| a.first.cmp(&b.first).then(a.group.cmp(&b.group)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::EventRef;
    use chrono::{TimeZone, Utc};

    fn hit(sec: i64, who: &str, what: &str, i: u64) -> Hit {
        Hit {
            time: Utc.with_ymd_and_hms(2026, 3, 4, 9, 0, 0).unwrap() + Duration::seconds(sec),
            event: EventRef {
                source: 0,
                index: i,
                line: i + 1,
                time_ms: i64::MIN,
            },
            group: vec![who.into()],
            distinct: Some(what.into()),
        }
    }

    #[test]
    fn threshold_counts_within_the_window_only() {
        // Ten hits spread over twenty minutes never make ten in five.
        let slow: Vec<Hit> = (0..10).map(|i| hit(i * 120, "a", "x", i as u64)).collect();
        assert!(
            Aggregator::threshold(Duration::minutes(5), 10, None)
                .fire_all(slow)
                .is_empty()
        );
        // Ten in a minute fire once, with all ten as evidence.
        let fast: Vec<Hit> = (0..12).map(|i| hit(i * 5, "a", "x", i as u64)).collect();
        let f = Aggregator::threshold(Duration::minutes(5), 10, None).fire_all(fast);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].events.len(), 10);
    }

    #[test]
    fn threshold_cardinality_needs_distinct_values() {
        let same: Vec<Hit> = (0..10)
            .map(|i| hit(i, "a", "SecretGet", i as u64))
            .collect();
        assert!(
            Aggregator::threshold(Duration::minutes(1), 10, Some(2))
                .fire_all(same)
                .is_empty()
        );
        let mixed: Vec<Hit> = (0..10)
            .map(|i| {
                hit(
                    i,
                    "a",
                    if i % 3 == 0 { "KeyGet" } else { "SecretGet" },
                    i as u64,
                )
            })
            .collect();
        let f = Aggregator::threshold(Duration::minutes(1), 10, Some(2)).fire_all(mixed);
        assert_eq!((f.len(), f[0].distinct), (1, 2));
    }

    #[test]
    fn groups_are_counted_apart() {
        let mut hits: Vec<Hit> = (0..9).map(|i| hit(i, "a", "x", i as u64)).collect();
        hits.extend((0..9).map(|i| hit(i, "b", "x", 100 + i as u64)));
        assert!(
            Aggregator::threshold(Duration::minutes(1), 10, None)
                .fire_all(hits)
                .is_empty()
        );
    }

    #[test]
    fn forgetting_what_is_out_of_the_window_fires_the_same() {
        // A day of hits from many users, a burst by one of them at noon.
        let mut hits: Vec<Hit> = (0..2880)
            .map(|i| hit(i * 30, &format!("user{}", i % 997), "x", i as u64))
            .collect();
        hits.extend((0..10).map(|i| hit(43_200 + i, "burst", "x", 10_000 + i as u64)));
        hits.sort_by_key(|h| (h.time, h.event));
        // What one window can hold: a hit every 30 s, ends included, and
        // the burst.
        let cases: [(fn() -> Aggregator, usize); 2] = [
            (|| Aggregator::threshold(Duration::minutes(5), 10, None), 12),
            (|| Aggregator::new_terms(Duration::hours(1)), 122),
        ];
        for (make, bound) in cases {
            let all = make().fire_all(hits.clone());
            let mut streamed = make();
            let mut held = 0;
            let mut fired = Vec::new();
            for h in hits.clone() {
                let t = h.time;
                fired.extend(streamed.push(h));
                streamed.forget_before(t);
                held = held.max(streamed.len());
            }
            fired.sort_by(|a, b| a.first.cmp(&b.first).then(a.group.cmp(&b.group)));
            assert_eq!(fired, all);
            assert!(!all.is_empty());
            // Not the day's 997 users.
            assert!(held <= bound, "{held}");
        }
    }

    #[test]
    fn new_terms_fire_on_first_sight_and_after_the_history_lapses() {
        let hits = vec![
            hit(0, "a", "", 0),
            hit(60, "a", "", 1),
            hit(120, "b", "", 2),
            hit(60 * 60 * 24 * 8, "a", "", 3),
        ];
        let f = Aggregator::new_terms(Duration::days(7)).fire_all(hits);
        let fired: Vec<u64> = f.iter().map(|f| f.events[0].index).collect();
        assert_eq!(fired, [0, 2, 3]);
    }
}
