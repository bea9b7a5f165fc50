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

use chrono::Duration;

use super::{Firing, Hit};

/// Threshold: `value` hits of one group within `window`, and, when
/// `min_distinct` is set, that many distinct cardinality values among them.
pub fn threshold(
    mut hits: Vec<Hit>,
    window: Duration,
    value: u64,
    min_distinct: Option<u64>,
) -> Vec<Firing> {
    hits.sort_by(|a, b| a.time.cmp(&b.time).then(a.event.cmp(&b.event)));
    let mut open: HashMap<Vec<String>, VecDeque<Hit>> = HashMap::new();
    let mut out = Vec::new();
    for hit in hits {
        let q = open.entry(hit.group.clone()).or_default();
        let t = hit.time;
        q.push_back(hit);
        while q.front().is_some_and(|h| t - h.time > window) {
            q.pop_front();
        }
        if (q.len() as u64) < value.max(1) {
            continue;
        }
        let distinct: HashSet<&String> = q.iter().filter_map(|h| h.distinct.as_ref()).collect();
        if min_distinct.is_some_and(|n| (distinct.len() as u64) < n) {
            continue;
        }
        let n = distinct.len();
        let fired: Vec<Hit> = q.drain(..).collect();
        out.push(Firing {
            group: fired[0].group.clone(),
            first: fired[0].time,
            last: t,
            events: fired.iter().map(|h| h.event).collect(),
            distinct: n,
        });
    }
    out.sort_by(|a, b| a.first.cmp(&b.first).then(a.group.cmp(&b.group)));
    out
}

/// New terms: each hit whose group was not seen in the `history` before it.
pub fn new_terms(mut hits: Vec<Hit>, history: Duration) -> Vec<Firing> {
    hits.sort_by(|a, b| a.time.cmp(&b.time).then(a.event.cmp(&b.event)));
    let mut last_seen: HashMap<Vec<String>, chrono::DateTime<chrono::Utc>> = HashMap::new();
    let mut out = Vec::new();
    for hit in hits {
        let fresh = match last_seen.get(&hit.group) {
            None => true,
            Some(prev) => hit.time - *prev > history,
        };
        last_seen.insert(hit.group.clone(), hit.time);
        if fresh {
            out.push(Firing {
                group: hit.group,
                first: hit.time,
                last: hit.time,
                events: vec![hit.event],
                distinct: 0,
            });
        }
    }
    out
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
        assert!(threshold(slow, Duration::minutes(5), 10, None).is_empty());
        // Ten in a minute fire once, with all ten as evidence.
        let fast: Vec<Hit> = (0..12).map(|i| hit(i * 5, "a", "x", i as u64)).collect();
        let f = threshold(fast, Duration::minutes(5), 10, None);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].events.len(), 10);
    }

    #[test]
    fn threshold_cardinality_needs_distinct_values() {
        let same: Vec<Hit> = (0..10)
            .map(|i| hit(i, "a", "SecretGet", i as u64))
            .collect();
        assert!(threshold(same, Duration::minutes(1), 10, Some(2)).is_empty());
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
        let f = threshold(mixed, Duration::minutes(1), 10, Some(2));
        assert_eq!((f.len(), f[0].distinct), (1, 2));
    }

    #[test]
    fn groups_are_counted_apart() {
        let mut hits: Vec<Hit> = (0..9).map(|i| hit(i, "a", "x", i as u64)).collect();
        hits.extend((0..9).map(|i| hit(i, "b", "x", 100 + i as u64)));
        assert!(threshold(hits, Duration::minutes(1), 10, None).is_empty());
    }

    #[test]
    fn new_terms_fire_on_first_sight_and_after_the_history_lapses() {
        let hits = vec![
            hit(0, "a", "", 0),
            hit(60, "a", "", 1),
            hit(120, "b", "", 2),
            hit(60 * 60 * 24 * 8, "a", "", 3),
        ];
        let f = new_terms(hits, Duration::days(7));
        let fired: Vec<u64> = f.iter().map(|f| f.events[0].index).collect();
        assert_eq!(fired, [0, 2, 3]);
    }
}
