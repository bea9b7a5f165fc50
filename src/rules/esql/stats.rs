//! `STATS ... BY ...`: compact per-group state (counters, distinct sets,
//! the values themselves only where the function needs them) and, per
//! group, references to the events that fed it.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::ast::Expr;
use super::eval::{AGGREGATE, Ctx, Row, eval};
use super::exec::{EmptyRow, Table, TableRow};
use super::value::{V, compare};
use crate::detect::EventRef;

/// One aggregate call inside a STATS expression.
#[derive(Debug, Clone)]
struct Slot {
    func: String,
    arg: Option<Expr>,
    extra: Vec<Expr>,
}

#[derive(Debug, Clone)]
enum Acc {
    Count(u64),
    Distinct(HashSet<String>),
    Values(Vec<V>, HashSet<String>),
    Extreme(Option<V>, bool),
    Sum(i64, f64, bool, bool),
    Avg(f64, u64),
    Numbers(Vec<f64>),
    Top(Vec<V>),
}

fn key_of(v: &V) -> String {
    format!("{v:?}")
}

impl Acc {
    fn new(func: &str) -> Acc {
        match func {
            "count" => Acc::Count(0),
            "count_distinct" => Acc::Distinct(HashSet::new()),
            "values" => Acc::Values(Vec::new(), HashSet::new()),
            "min" => Acc::Extreme(None, false),
            "max" => Acc::Extreme(None, true),
            "sum" => Acc::Sum(0, 0.0, false, false),
            "avg" => Acc::Avg(0.0, 0),
            "median" => Acc::Numbers(Vec::new()),
            _ => Acc::Top(Vec::new()),
        }
    }

    fn add(&mut self, v: &V, star: bool) {
        if star {
            if let Acc::Count(n) = self {
                *n += 1;
            }
            return;
        }
        for x in v.each() {
            match self {
                Acc::Count(n) => *n += 1,
                Acc::Distinct(set) => {
                    set.insert(key_of(x));
                }
                Acc::Values(vals, seen) => {
                    if seen.insert(key_of(x)) {
                        vals.push(x.clone());
                    }
                }
                Acc::Extreme(best, max) => {
                    let better = match best {
                        None => true,
                        Some(b) => {
                            let o = compare(x, b);
                            if *max { o.is_gt() } else { o.is_lt() }
                        }
                    };
                    if better {
                        *best = Some(x.clone());
                    }
                }
                Acc::Sum(i, f, float, any) => {
                    *any = true;
                    match x {
                        V::Int(n) => {
                            *i = i.saturating_add(*n);
                            *f += *n as f64;
                        }
                        other => {
                            if let Some(n) = other.as_f64() {
                                *float = true;
                                *f += n;
                            }
                        }
                    }
                }
                Acc::Avg(sum, n) => {
                    if let Some(v) = x.as_f64() {
                        *sum += v;
                        *n += 1;
                    }
                }
                Acc::Numbers(nums) => {
                    if let Some(v) = x.as_f64() {
                        nums.push(v);
                    }
                }
                Acc::Top(vals) => vals.push(x.clone()),
            }
        }
    }

    fn finish(self, extra: &[V]) -> V {
        match self {
            Acc::Count(n) => V::Int(n as i64),
            Acc::Distinct(set) => V::Int(set.len() as i64),
            Acc::Values(vals, _) => V::multi(vals),
            Acc::Extreme(best, _) => best.unwrap_or(V::Null),
            Acc::Sum(i, f, float, any) => match (any, float) {
                (false, _) => V::Null,
                (true, false) => V::Int(i),
                (true, true) => V::Float(f),
            },
            Acc::Avg(sum, n) => {
                if n == 0 {
                    V::Null
                } else {
                    V::Float(sum / n as f64)
                }
            }
            Acc::Numbers(mut nums) => {
                if nums.is_empty() {
                    return V::Null;
                }
                nums.sort_by(f64::total_cmp);
                let mid = nums.len() / 2;
                V::Float(if nums.len() % 2 == 1 {
                    nums[mid]
                } else {
                    (nums[mid - 1] + nums[mid]) / 2.0
                })
            }
            Acc::Top(mut vals) => {
                let n = match extra.first() {
                    Some(V::Int(n)) => usize::try_from(*n).unwrap_or(0),
                    _ => 0,
                };
                let desc =
                    !matches!(extra.get(1), Some(V::Str(o)) if o.eq_ignore_ascii_case("asc"));
                vals.sort_by(compare);
                if desc {
                    vals.reverse();
                }
                vals.truncate(n);
                V::multi(vals)
            }
        }
    }
}

/// Replaces aggregate calls with slot references, collecting the slots.
fn lift(e: &Expr, slots: &mut Vec<Slot>) -> Expr {
    match e {
        Expr::Call { name, args, span } if AGGREGATE.iter().any(|(n, _, _)| n == name) => {
            let idx = slots.len();
            slots.push(Slot {
                func: name.clone(),
                arg: args.first().cloned(),
                extra: args.iter().skip(1).cloned().collect(),
            });
            Expr::Field(format!("\u{0}slot{idx}"), *span)
        }
        Expr::Call { name, args, span } => Expr::Call {
            name: name.clone(),
            args: args.iter().map(|a| lift(a, slots)).collect(),
            span: *span,
        },
        Expr::Bin(op, a, b) => Expr::Bin(*op, Box::new(lift(a, slots)), Box::new(lift(b, slots))),
        Expr::Neg(a) => Expr::Neg(Box::new(lift(a, slots))),
        Expr::Not(a) => Expr::Not(Box::new(lift(a, slots))),
        other => other.clone(),
    }
}

struct Group {
    key: Vec<V>,
    accs: Vec<Acc>,
    evidence: Vec<EventRef>,
}

/// What a `STATS` computes, worked out once and shared by every window
/// that runs it.
struct Plan {
    outputs: Vec<(String, Expr)>,
    slots: Vec<Slot>,
    by: Vec<(String, Expr)>,
}

pub struct Stats {
    plan: Arc<Plan>,
    groups: Vec<Group>,
    index: HashMap<String, usize, foldhash::fast::FixedState>,
    /// Evidence kept per group, at most; the count is still exact.
    evidence_cap: usize,
}

struct SlotRow<'a> {
    finals: &'a [V],
    key: &'a [V],
    by: &'a [(String, Expr)],
}

impl Row for SlotRow<'_> {
    fn get(&self, name: &str) -> V {
        if let Some(i) = name
            .strip_prefix("\u{0}slot")
            .and_then(|n| n.parse::<usize>().ok())
        {
            return self.finals.get(i).cloned().unwrap_or(V::Null);
        }
        self.by
            .iter()
            .position(|(n, _)| n == name)
            .and_then(|i| self.key.get(i).cloned())
            .unwrap_or(V::Null)
    }
}

impl Stats {
    pub fn new(aggs: &[(String, Expr)], by: &[(String, Expr)]) -> Stats {
        let mut slots = Vec::new();
        let outputs = aggs
            .iter()
            .map(|(n, e)| (n.clone(), lift(e, &mut slots)))
            .collect();
        Stats {
            plan: Arc::new(Plan {
                outputs,
                slots,
                by: by.to_vec(),
            }),
            groups: Vec::new(),
            index: HashMap::default(),
            evidence_cap: 10_000,
        }
    }

    /// The same aggregation with no rows yet.
    pub fn fresh(&self) -> Stats {
        Stats {
            plan: self.plan.clone(),
            groups: Vec::new(),
            index: HashMap::default(),
            evidence_cap: self.evidence_cap,
        }
    }

    pub fn add(&mut self, row: &dyn Row, evidence: &[EventRef], ctx: &Ctx) {
        // Each combination of the BY values is a group; a multi-valued key
        // puts the row in every one of its values' groups.
        let mut keys: Vec<Vec<V>> = vec![Vec::new()];
        for (_, e) in &self.plan.by {
            let v = eval(e, row, ctx);
            let vals: Vec<V> = match v {
                V::Multi(items) => items,
                other => vec![other],
            };
            let mut next = Vec::with_capacity(keys.len() * vals.len());
            for k in &keys {
                for v in &vals {
                    let mut k = k.clone();
                    k.push(v.clone());
                    next.push(k);
                }
            }
            keys = next;
        }
        let inputs: Vec<(V, bool)> = self
            .plan
            .slots
            .iter()
            .map(|s| match &s.arg {
                None | Some(Expr::Star(_)) => (V::Null, true),
                Some(a) => (eval(a, row, ctx), false),
            })
            .collect();
        for key in keys {
            let k = key.iter().map(key_of).collect::<Vec<_>>().join("\u{1}");
            let gi = match self.index.get(&k) {
                Some(i) => *i,
                None => {
                    self.groups.push(Group {
                        key,
                        accs: self.plan.slots.iter().map(|s| Acc::new(&s.func)).collect(),
                        evidence: Vec::new(),
                    });
                    self.index.insert(k, self.groups.len() - 1);
                    self.groups.len() - 1
                }
            };
            let g = &mut self.groups[gi];
            for (acc, (v, star)) in g.accs.iter_mut().zip(&inputs) {
                acc.add(v, *star);
            }
            for e in evidence {
                if g.evidence.len() < self.evidence_cap && g.evidence.last() != Some(e) {
                    g.evidence.push(*e);
                }
            }
        }
    }

    /// The result: aggregate columns, then the BY columns.
    pub fn finish(self, ctx: &Ctx) -> Table {
        let mut columns: Vec<String> = self.plan.outputs.iter().map(|(n, _)| n.clone()).collect();
        columns.extend(self.plan.by.iter().map(|(n, _)| n.clone()));
        let mut groups = self.groups;
        // With no BY, an empty input still gives one row (count 0).
        if groups.is_empty() && self.plan.by.is_empty() {
            groups.push(Group {
                key: Vec::new(),
                accs: self.plan.slots.iter().map(|s| Acc::new(&s.func)).collect(),
                evidence: Vec::new(),
            });
        }
        let empty = EmptyRow;
        let rows = groups
            .into_iter()
            .map(|g| {
                let finals: Vec<V> = g
                    .accs
                    .into_iter()
                    .zip(&self.plan.slots)
                    .map(|(acc, slot)| {
                        let extra: Vec<V> =
                            slot.extra.iter().map(|e| eval(e, &empty, ctx)).collect();
                        acc.finish(&extra)
                    })
                    .collect();
                let row = SlotRow {
                    finals: &finals,
                    key: &g.key,
                    by: &self.plan.by,
                };
                let mut values: Vec<V> = self
                    .plan
                    .outputs
                    .iter()
                    .map(|(_, e)| eval(e, &row, ctx))
                    .collect();
                values.extend(g.key);
                TableRow {
                    values,
                    evidence: g.evidence,
                }
            })
            .collect();
        Table { columns, rows }
    }
}
