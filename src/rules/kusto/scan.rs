//! `scan` and `partition`: sequences matched step by step over ordered
//! rows (a sign-in after failures, a login then a logout per account),
//! and a subquery run over each value's rows.
//!
//! The state is one record set per step: step k's holds the records that
//! matched steps 1..k of its sequence. A row is tried against the steps
//! from the last to the first; it advances a sequence when the step
//! before holds one and the row meets this step's condition, and it
//! updates a sequence when this step already holds one (or is the first)
//! and the row meets the condition.

use std::collections::HashMap;
use std::sync::Arc;

use super::ast::{Scan, ScanOutput, Tabular};
use super::eval::{Row, truth};
use super::exec::{Empty, Exec, KRow, LetValue, Table, add_column, typed};
use super::operators::PARTITION_INPUT;
use super::value::KV;

/// The records of one sequence, by step, and its number.
#[derive(Clone)]
struct Sequence {
    steps: Vec<Option<Vec<(String, KV)>>>,
    id: i64,
}

/// A row seen with a sequence's records: `s1.Col` reads step s1's record,
/// or the declared value of Col while s1 has none.
struct WithState<'a> {
    row: &'a KRow,
    declared: &'a [(String, KV)],
    names: &'a [String],
    state: Option<&'a Sequence>,
}

impl Row for WithState<'_> {
    fn get(&self, name: &str) -> KV {
        match self.row.cols.iter().find(|(c, _)| c == name) {
            Some((_, v)) => v.clone(),
            None => declared(self.declared, name),
        }
    }

    fn scoped(&self, scope: &str, name: &str) -> Option<KV> {
        let step = self.names.iter().position(|n| n == scope)?;
        let record = self.state.and_then(|s| s.steps.get(step)?.as_ref());
        Some(
            match record.and_then(|r| r.iter().find(|(c, _)| c == name)) {
                Some((_, v)) => v.clone(),
                None => declared(self.declared, name),
            },
        )
    }
}

fn declared(declared: &[(String, KV)], name: &str) -> KV {
    declared
        .iter()
        .find(|(c, _)| c == name)
        .map_or(KV::Null, |(_, v)| v.clone())
}

impl Exec<'_> {
    pub(super) fn scan(&mut self, mut t: Table, scan: &Scan) -> Table {
        t.materialize();
        let declared: Vec<(String, KV)> = scan
            .declare
            .iter()
            .map(|(name, ty, default)| {
                let v = default.as_ref().map_or(KV::Null, |d| self.ev(d, &Empty));
                (name.clone(), typed(v, ty))
            })
            .collect();
        let names: Vec<String> = scan.steps.iter().map(|s| s.name.clone()).collect();
        let mut columns = t.columns.clone();
        for (name, _) in &declared {
            add_column(&mut columns, name);
        }
        if let Some(id) = &scan.match_id {
            add_column(&mut columns, id);
        }
        let mut state: Vec<Option<Sequence>> = vec![None; scan.steps.len()];
        // Rows a step with output=last holds back until its sequence moves on.
        let mut held: Vec<Option<(usize, KRow)>> = vec![None; scan.steps.len()];
        let mut out: Vec<(usize, KRow)> = Vec::new();
        let mut next_id = 0;
        for (i, r) in t.rows.iter().enumerate() {
            for k in (0..scan.steps.len()).rev() {
                let step = &scan.steps[k];
                let meets = |ex: &Exec, s: Option<&Sequence>| {
                    let row = WithState {
                        row: r,
                        declared: &declared,
                        names: &names,
                        state: s,
                    };
                    truth(&ex.ev(&step.condition, &row)) == Some(true)
                };
                let extend = |ex: &Exec, s: Option<&Sequence>| {
                    let row = WithState {
                        row: r,
                        declared: &declared,
                        names: &names,
                        state: s,
                    };
                    let mut ext = r.clone();
                    for (name, v) in &declared {
                        if !ext.cols.iter().any(|(c, _)| c == name) {
                            ext.cols.push((name.clone(), v.clone()));
                        }
                    }
                    let values: Vec<(String, KV)> = step
                        .assign
                        .iter()
                        .map(|(c, e)| (c.clone(), ex.ev(e, &row)))
                        .collect();
                    for (c, v) in values {
                        ext.set(&c, v);
                    }
                    ext
                };
                // The step before holds a sequence this row advances.
                if k > 0
                    && let Some(prev) = state[k - 1].as_ref()
                    && meets(self, Some(prev))
                {
                    let ext = extend(self, Some(prev));
                    let mut seq = state[k - 1].take().expect("checked above");
                    for h in [k - 1, k] {
                        out.extend(held[h].take());
                    }
                    seq.steps.resize(scan.steps.len(), None);
                    seq.steps[k] = Some(ext.cols.clone());
                    emit(&mut out, &mut held[k], step.output, i, ext, scan, seq.id);
                    state[k] = Some(seq);
                    continue;
                }
                if k == 0 || state[k].is_some() {
                    let current = state[k].as_ref();
                    if !meets(self, current) {
                        continue;
                    }
                    let ext = extend(self, current);
                    let seq = state[k].get_or_insert_with(|| {
                        next_id += 1;
                        Sequence {
                            steps: vec![None; scan.steps.len()],
                            id: next_id - 1,
                        }
                    });
                    seq.steps[k] = Some(ext.cols.clone());
                    let id = seq.id;
                    emit(&mut out, &mut held[k], step.output, i, ext, scan, id);
                }
            }
        }
        out.extend(held.into_iter().flatten());
        // Rows come out in input order; a row matched by several steps,
        // last step first, as it was tried.
        out.sort_by_key(|(i, _)| *i);
        Table {
            columns,
            rows: out.into_iter().map(|(_, r)| r).collect(),
        }
    }

    pub(super) fn partition(&mut self, mut t: Table, by: &str, sub: &Tabular) -> Table {
        t.materialize();
        let mut order: Vec<Vec<KRow>> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for r in t.rows {
            let key = r.get(by).key();
            let at = *index.entry(key).or_insert_with(|| {
                order.push(Vec::new());
                order.len() - 1
            });
            order[at].push(r);
        }
        let saved = self.lets.clone();
        let mut columns: Vec<String> = Vec::new();
        let mut rows = Vec::new();
        for part in order {
            let input = Table {
                columns: t.columns.clone(),
                rows: part,
            };
            self.lets
                .insert(PARTITION_INPUT.into(), LetValue::Table(Arc::new(input)));
            let result = self.tabular(sub);
            for c in &result.columns {
                add_column(&mut columns, c);
            }
            rows.extend(result.rows);
        }
        self.lets = saved;
        if columns.is_empty() {
            columns = t.columns;
        }
        Table { columns, rows }
    }
}

fn emit(
    out: &mut Vec<(usize, KRow)>,
    held: &mut Option<(usize, KRow)>,
    output: ScanOutput,
    at: usize,
    mut row: KRow,
    scan: &Scan,
    id: i64,
) {
    if let Some(name) = &scan.match_id {
        row.set(name, KV::Long(id));
    }
    match output {
        ScanOutput::All => out.push((at, row)),
        ScanOutput::Last => *held = Some((at, row)),
        ScanOutput::None => {}
    }
}
