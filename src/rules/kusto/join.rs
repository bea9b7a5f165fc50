//! `join` of every kind. Keys are compared as values; `innerunique`, the
//! default, keeps one left row per key before matching; right columns that
//! clash with left ones get a `1` suffix; matched rows carry the evidence
//! of both sides.

use std::collections::HashMap;

use super::ast::{Expr, JoinKind};
use super::eval::Row;
use super::exec::{Exec, KRow, Table};
use super::value::KV;
use crate::detect::EventRef;

/// The right side of a `lookup` without its key columns, which are the
/// left side's.
pub(super) fn without_keys(right: &mut Table, on: &[(Expr, Expr)]) {
    right.materialize();
    let keys: Vec<&str> = on
        .iter()
        .filter_map(|(_, e)| match e {
            Expr::Column(c, _) => Some(c.as_str()),
            _ => None,
        })
        .collect();
    right.columns.retain(|c| !keys.contains(&c.as_str()));
}

impl Exec<'_> {
    pub(super) fn join(
        &mut self,
        left: Table,
        right: Table,
        kind: JoinKind,
        on: &[(Expr, Expr)],
    ) -> Table {
        let key = |ex: &Exec, r: &KRow, side: usize| -> Option<String> {
            let parts: Vec<KV> = on
                .iter()
                .map(|(l, rt)| ex.ev(if side == 0 { l } else { rt }, r))
                .collect();
            if parts.iter().any(|p| p.is_null()) {
                return None;
            }
            Some(parts.iter().map(KV::key).collect::<Vec<_>>().join("\u{1}"))
        };
        let mut left = left;
        let mut right = right;
        left.materialize();
        right.materialize();
        let left_keys: Vec<Option<String>> = left.rows.iter().map(|r| key(self, r, 0)).collect();
        let right_keys: Vec<Option<String>> = right.rows.iter().map(|r| key(self, r, 1)).collect();
        let mut by_key: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, k) in right_keys.iter().enumerate() {
            if let Some(k) = k {
                by_key.entry(k.as_str()).or_default().push(i);
            }
        }
        let right_names = right.names_beside(&left.columns);
        let (left_absent, right_absent) = match kind {
            JoinKind::LeftOuter => (Vec::new(), right.absent_values()),
            JoinKind::RightOuter => (left.absent_values(), Vec::new()),
            JoinKind::FullOuter => (left.absent_values(), right.absent_values()),
            _ => (Vec::new(), Vec::new()),
        };
        let missing = |absent: &[KV], i: usize| absent.get(i).cloned().unwrap_or(KV::Null);
        let combine = |l: Option<&KRow>, r: Option<&KRow>| -> KRow {
            let mut cols = Vec::new();
            for (i, c) in left.columns.iter().enumerate() {
                let v = l.map_or_else(|| missing(&left_absent, i), |l| l.get(c));
                cols.push((c.clone(), v));
            }
            for (i, (c, out)) in right.columns.iter().zip(&right_names).enumerate() {
                let v = r.map_or_else(|| missing(&right_absent, i), |r| r.get(c));
                cols.push((out.clone(), v));
            }
            let mut evidence: Vec<EventRef> = l.map(|l| l.evidence.clone()).unwrap_or_default();
            evidence.extend(r.map(|r| r.evidence.clone()).unwrap_or_default());
            KRow {
                cols,
                doc: None,
                evidence,
            }
        };
        let both_columns = || {
            let mut c = left.columns.clone();
            c.extend(right_names.iter().cloned());
            c
        };
        let mut rows = Vec::new();
        let columns;
        match kind {
            JoinKind::Inner
            | JoinKind::InnerUnique
            | JoinKind::LeftOuter
            | JoinKind::FullOuter
            | JoinKind::RightOuter => {
                columns = both_columns();
                let mut seen_left = std::collections::HashSet::new();
                let mut right_used = vec![false; right.rows.len()];
                for (i, l) in left.rows.iter().enumerate() {
                    let k = left_keys[i].as_deref();
                    // innerunique keeps one left row per key.
                    if kind == JoinKind::InnerUnique {
                        match k {
                            Some(k) if !seen_left.insert(k.to_string()) => continue,
                            _ => {}
                        }
                    }
                    let matches = k.and_then(|k| by_key.get(k)).cloned().unwrap_or_default();
                    for j in &matches {
                        right_used[*j] = true;
                        rows.push(combine(Some(l), Some(&right.rows[*j])));
                    }
                    if matches.is_empty()
                        && matches!(kind, JoinKind::LeftOuter | JoinKind::FullOuter)
                    {
                        rows.push(combine(Some(l), None));
                    }
                }
                if matches!(kind, JoinKind::RightOuter | JoinKind::FullOuter) {
                    for (j, r) in right.rows.iter().enumerate() {
                        if !right_used[j] {
                            rows.push(combine(None, Some(r)));
                        }
                    }
                }
            }
            JoinKind::LeftSemi | JoinKind::LeftAnti => {
                columns = left.columns.clone();
                for (i, l) in left.rows.iter().enumerate() {
                    let hit = left_keys[i]
                        .as_deref()
                        .is_some_and(|k| by_key.contains_key(k));
                    if hit == (kind == JoinKind::LeftSemi) {
                        rows.push(l.clone());
                    }
                }
            }
            JoinKind::RightSemi | JoinKind::RightAnti => {
                columns = right.columns.clone();
                let left_set: std::collections::HashSet<&str> =
                    left_keys.iter().flatten().map(String::as_str).collect();
                for (j, r) in right.rows.iter().enumerate() {
                    let hit = right_keys[j]
                        .as_deref()
                        .is_some_and(|k| left_set.contains(k));
                    if hit == (kind == JoinKind::RightSemi) {
                        rows.push(r.clone());
                    }
                }
            }
        }
        Table { columns, rows }
    }
}
