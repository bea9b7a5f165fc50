//! Building the alert list: filters, sort, groups. Rebuilt only when
//! alerts, filters or decisions change, never per frame.

use std::collections::{BTreeMap, HashSet};

use super::app::{App, Column, first_entity};
use super::filter::ListRow;
use crate::model::SourceKind;

impl App {
    /// The kind of log an alert's first evidence event came from.
    fn source_of(&self, alert: usize) -> Option<SourceKind> {
        let ev = self.alerts[alert].evidence.first()?;
        let at = self.event_at(ev.event.source, ev.event.index)?;
        Some(self.events[at].kind)
    }

    /// Filters and sorts the alerts into `order`, groups them into `rows`,
    /// and keeps the same row selected.
    pub(super) fn relist(&mut self) {
        let keep = self.rows.get(self.selected).cloned();
        let off: HashSet<&str> = self
            .rules_pane
            .disabled
            .iter()
            .map(|&i| self.rules[i].rule_id.as_str())
            .collect();
        let case = &self.case.case;
        let order: Vec<usize> = (0..self.alerts.len())
            .filter(|i| !self.hidden.contains(i))
            .filter(|&i| !off.contains(self.alerts[i].rule_id.as_str()))
            .filter(|&i| {
                let source = if self.filters.source.is_some() {
                    self.source_of(i)
                } else {
                    None
                };
                self.filters
                    .keeps(&self.alerts[i], case, source, &self.matcher)
            })
            .collect();
        let mut order = order;
        let alerts = &self.alerts;
        let key = self.sort;
        order.sort_by(|&a, &b| {
            let (x, y) = (&alerts[a], &alerts[b]);
            let primary = match key {
                Column::Severity => x.severity.cmp(&y.severity),
                Column::Risk => x.risk_score.cmp(&y.risk_score),
                Column::Rule => x.rule_name.cmp(&y.rule_name),
                Column::Upn => first_entity(x, "account").cmp(first_entity(y, "account")),
                Column::Ip => first_entity(x, "ip").cmp(first_entity(y, "ip")),
                Column::First => x.first.cmp(&y.first),
                Column::Last => x.last.cmp(&y.last),
                Column::Count => x.count.cmp(&y.count),
                Column::Status => case.status(&x.id).cmp(&case.status(&y.id)),
            };
            primary
                .then_with(|| x.first.cmp(&y.first))
                .then_with(|| x.id.cmp(&y.id))
        });
        if self.descending {
            order.reverse();
        }
        self.order = order;
        self.rows = self.group_rows();
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
        if grouping == super::filter::Grouping::None {
            return self.order.iter().map(|&i| ListRow::Alert(i)).collect();
        }
        let mut groups: BTreeMap<usize, (String, Vec<usize>)> = BTreeMap::new();
        let mut first_of: std::collections::HashMap<String, usize> = Default::default();
        for (pos, &i) in self.order.iter().enumerate() {
            let key = grouping.key(&self.alerts[i]);
            let at = *first_of.entry(key.clone()).or_insert(pos);
            groups
                .entry(at)
                .or_insert_with(|| (key, Vec::new()))
                .1
                .push(i);
        }
        let mut rows = Vec::with_capacity(self.order.len() + groups.len());
        for (_, (key, members)) in groups {
            let folded = self.filters.folded.contains(&key);
            rows.push(ListRow::Group {
                key,
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

/// A group heading is the same row whether folded or not, whatever its
/// count.
fn same_group(a: &ListRow, b: &ListRow) -> bool {
    matches!((a, b), (ListRow::Group { key: x, .. }, ListRow::Group { key: y, .. }) if x == y)
}
