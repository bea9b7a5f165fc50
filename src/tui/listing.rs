//! Building the alert list: filters, sort, groups. Rebuilt only when
//! alerts, filters or decisions change, never per frame.

use std::collections::{BTreeMap, HashMap, HashSet};

use std::cmp::Ordering;

use super::app::{App, Column};
use super::filter::{Grouping, ListRow};
use crate::engine::alert::FnvBuild;
use crate::model::SourceKind;

impl App {
    /// The kind of log an alert's first evidence event came from.
    fn source_of(&self, alert: usize) -> Option<SourceKind> {
        let ev = self.alerts[alert].evidence.first()?;
        let at = self.event_at(ev.event.source, ev.event.index)?;
        Some(self.events[at].kind)
    }

    /// The alert's value in the sort column as a number: text columns
    /// give the text's rank among the alerts' texts (`ranks`, by text
    /// id), or, without ranks, the text id itself (then compared by text).
    fn primary(&self, i: usize) -> Primary {
        let c = &self.cols[i];
        match self.sort {
            Column::Severity => Primary::Num(c.severity as i64),
            Column::Risk => Primary::Num(i64::from(c.risk)),
            Column::Rule => Primary::Text(c.rule_name),
            Column::Upn => Primary::Text(c.upn),
            Column::Ip => Primary::Text(c.ip),
            Column::First => Primary::Num(0),
            Column::Last => Primary::Num(c.last),
            Column::Count => Primary::Num(c.count as i64),
            Column::Status => Primary::Num(if self.case.case.alerts.is_empty() {
                0
            } else {
                self.case.case.status(&self.alerts[i].id) as i64
            }),
        }
    }

    /// Orders two alerts as the list does, ascending: the sort column,
    /// then first time, then id, so no two alerts tie.
    fn compare(&self, a: usize, b: usize) -> Ordering {
        let primary = match (self.primary(a), self.primary(b)) {
            (Primary::Num(x), Primary::Num(y)) => x.cmp(&y),
            (Primary::Text(x), Primary::Text(y)) => self.texts.get(x).cmp(self.texts.get(y)),
            _ => Ordering::Equal,
        };
        primary
            .then_with(|| self.cols[a].first.cmp(&self.cols[b].first))
            .then_with(|| self.alerts[a].id.cmp(&self.alerts[b].id))
    }

    /// Whether the filters (and the rules turned off) let an alert in.
    fn listed(&self, i: usize, off: &HashSet<u32>) -> bool {
        let c = &self.cols[i];
        if (!self.hidden.is_empty() && self.hidden.contains(&i))
            || (!off.is_empty() && off.contains(&c.rule_id))
        {
            return false;
        }
        if !self.filters.is_active() {
            return true;
        }
        let source = if self.filters.source.is_some() {
            self.source_of(i)
        } else {
            None
        };
        let text = self.search_texts.get(i).map_or("", String::as_str);
        self.filters
            .keeps(&self.alerts[i], c, &self.case.case, source, text)
    }

    /// The text ids of the rules turned off.
    fn rules_off(&self) -> HashSet<u32> {
        self.rules_pane
            .disabled
            .iter()
            .filter_map(|&i| self.texts.find(&self.rules[i].rule_id))
            .collect()
    }

    /// Filters and sorts the alerts into `order`, groups them into `rows`,
    /// and keeps the same row selected.
    pub(super) fn relist(&mut self) {
        self.arrived.clear();
        let keep = self.rows.get(self.selected).cloned();
        let off = self.rules_off();
        let order: Vec<usize> = (0..self.alerts.len())
            .filter(|&i| self.listed(i, &off))
            .collect();
        // Text columns sort by each distinct text's rank: the texts are
        // sorted once, then numbers compared, not strings.
        let mut ranks: Vec<u32> = Vec::new();
        if matches!(self.sort, Column::Rule | Column::Upn | Column::Ip) {
            let mut ids: Vec<u32> = order
                .iter()
                .filter_map(|&i| match self.primary(i) {
                    Primary::Text(t) => Some(t),
                    Primary::Num(_) => None,
                })
                .collect();
            ids.sort_unstable();
            ids.dedup();
            ids.sort_unstable_by(|&a, &b| self.texts.get(a).cmp(self.texts.get(b)));
            ranks = vec![0; self.texts.len()];
            for (rank, id) in ids.into_iter().enumerate() {
                ranks[id as usize] = rank as u32;
            }
        }
        let mut keyed: Vec<(i64, i64, usize)> = order
            .iter()
            .map(|&i| {
                let n = match self.primary(i) {
                    Primary::Num(n) => n,
                    Primary::Text(t) => i64::from(ranks[t as usize]),
                };
                (n, self.cols[i].first, i)
            })
            .collect();
        // Ties on value and time fall to the id, which no two alerts share.
        keyed.sort_unstable_by(|x, y| {
            (x.0, x.1)
                .cmp(&(y.0, y.1))
                .then_with(|| self.alerts[x.2].id.cmp(&self.alerts[y.2].id))
        });
        let mut order: Vec<usize> = keyed.into_iter().map(|(.., i)| i).collect();
        if self.descending {
            order.reverse();
        }
        self.order = order;
        self.rows = self.group_rows();
        self.reselect(keep);
    }

    /// Puts alerts that arrived since the last frame into their places,
    /// without sorting the list again: while detection streams alerts in,
    /// a frame costs a few binary searches, not a sort of every alert.
    pub(super) fn insert_arrived(&mut self) {
        if self.filters.grouping != Grouping::None {
            return self.relist();
        }
        let keep = self.rows.get(self.selected).cloned();
        let arrived = std::mem::take(&mut self.arrived);
        let off = self.rules_off();
        let mut places = Vec::new();
        for i in arrived {
            if !self.listed(i, &off) {
                continue;
            }
            let at = self.order.partition_point(|&j| {
                let o = self.compare(j, i);
                if self.descending {
                    o == Ordering::Greater
                } else {
                    o == Ordering::Less
                }
            });
            places.push((at, i));
        }
        drop(off);
        // Inserted from the back, so earlier places stay valid.
        places.sort_unstable_by(|a, b| b.cmp(a));
        for (at, i) in places {
            self.order.insert(at, i);
        }
        self.rows = self.order.iter().map(|&i| ListRow::Alert(i)).collect();
        self.reselect(keep);
    }

    /// Drops from the list what the filters no longer keep, when they
    /// only got stricter: the order stands, so nothing is sorted.
    pub(super) fn narrow(&mut self) {
        if self.order_stale || !self.arrived.is_empty() {
            return self.order_changed();
        }
        let keep = self.rows.get(self.selected).cloned();
        let off = self.rules_off();
        let order: Vec<usize> = self
            .order
            .iter()
            .copied()
            .filter(|&i| self.listed(i, &off))
            .collect();
        drop(off);
        self.order = order;
        self.rows = self.group_rows();
        self.reselect(keep);
    }

    fn reselect(&mut self, keep: Option<ListRow>) {
        self.selected = keep
            .and_then(|k| self.rows.iter().position(|r| *r == k || same_group(r, &k)))
            .unwrap_or(self.selected);
        self.clamp();
    }

    /// The list's rows: the order as it is, or under a heading per group
    /// (groups in order of their first alert), folded groups without
    /// their alerts.
    fn group_rows(&self) -> Vec<ListRow> {
        let grouping = self.filters.grouping;
        if grouping == Grouping::None {
            return self.order.iter().map(|&i| ListRow::Alert(i)).collect();
        }
        let mut groups: BTreeMap<usize, (&str, Vec<usize>)> = BTreeMap::new();
        let mut first_of: HashMap<u32, usize, FnvBuild> = HashMap::default();
        for (pos, &i) in self.order.iter().enumerate() {
            let c = &self.cols[i];
            let id = match grouping {
                Grouping::Rule => c.rule_name,
                _ => c.upn,
            };
            let at = *first_of.entry(id).or_insert(pos);
            groups
                .entry(at)
                .or_insert_with(|| (grouping.key(&self.alerts[i]), Vec::new()))
                .1
                .push(i);
        }
        let mut rows = Vec::with_capacity(self.order.len() + groups.len());
        for (_, (key, members)) in groups {
            let folded = self.filters.folded.contains(key);
            rows.push(ListRow::Group {
                key: key.to_string(),
                count: members.len(),
                folded,
            });
            if !folded {
                rows.extend(members.into_iter().map(ListRow::Alert));
            }
        }
        rows
    }

    /// The alerts under the group heading at `row`, folded or not.
    pub fn group_members(&self, key: &str) -> Vec<usize> {
        let grouping = self.filters.grouping;
        self.order
            .iter()
            .copied()
            .filter(|&i| grouping.key(&self.alerts[i]) == key)
            .collect()
    }
}

/// A sort column's value: a number, or a text by its id.
#[derive(Debug, Clone, Copy)]
enum Primary {
    Num(i64),
    Text(u32),
}

/// A group heading is the same row whether folded or not, whatever its
/// count.
fn same_group(a: &ListRow, b: &ListRow) -> bool {
    matches!((a, b), (ListRow::Group { key: x, .. }, ListRow::Group { key: y, .. }) if x == y)
}
