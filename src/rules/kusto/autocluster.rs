//! `evaluate autocluster()`: the few patterns of shared column values that
//! describe most of a table. A pattern fixes some columns to one value
//! each and leaves the rest open (its wildcard). Its score is the
//! weighted geometric mean of how much of the table it covers and how
//! many columns it fixes, `SizeWeight` weighing coverage. From each of
//! the most common distinct rows (the seeds), a local search drops or
//! adds one fixed column at a time while the score rises; the patterns
//! it ends on are kept best first, unless most of what one covers is
//! covered already. Seeds are taken in order of weight rather than at
//! random, so a query gives the same patterns every run.

use std::collections::HashMap;

use super::eval::Row;
use super::exec::{KRow, Table};
use super::value::KV;

const DEFAULT_SIZE_WEIGHT: f64 = 0.5;
const DEFAULT_SEEDS: usize = 25;
/// More seeds rarely find more patterns, and each costs a search.
const MAX_SEEDS: usize = 200;

/// What a query passed: `~` (or nothing) keeps a default.
pub(super) struct Options {
    pub size_weight: Option<f64>,
    pub weight_column: Option<String>,
    pub seeds: Option<usize>,
    /// Wildcards by value kind, replacing the default (empty text for
    /// string columns, null for the others).
    pub wildcards: Vec<KV>,
}

/// A pattern: per column, the value it is fixed to, if any.
type Pattern = Vec<Option<u32>>;

struct Distinct {
    values: Vec<u32>,
    weight: f64,
    rows: Vec<usize>,
}

struct Search<'a> {
    rows: &'a [Distinct],
    total: f64,
    columns: usize,
    size_weight: f64,
}

impl Search<'_> {
    fn covers(p: &Pattern, d: &Distinct) -> bool {
        p.iter()
            .zip(&d.values)
            .all(|(want, have)| want.is_none_or(|w| w == *have))
    }

    fn weight(&self, p: &Pattern) -> f64 {
        self.rows
            .iter()
            .filter(|d| Self::covers(p, d))
            .map(|d| d.weight)
            .sum()
    }

    fn score(&self, p: &Pattern) -> f64 {
        let fixed = p.iter().filter(|v| v.is_some()).count();
        if fixed == 0 || self.total <= 0.0 {
            return 0.0;
        }
        let coverage = self.weight(p) / self.total;
        let specificity = fixed as f64 / self.columns as f64;
        coverage.powf(self.size_weight) * specificity.powf(1.0 - self.size_weight)
    }

    /// The value of column `c` that weighs most among the rows `p` covers.
    fn commonest(&self, p: &Pattern, c: usize) -> Option<u32> {
        let mut by_value: HashMap<u32, f64> = HashMap::new();
        for d in self.rows.iter().filter(|d| Self::covers(p, d)) {
            *by_value.entry(d.values[c]).or_default() += d.weight;
        }
        by_value
            .into_iter()
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
            .map(|(v, _)| v)
    }

    /// Hill-climbs from `p` to a pattern no single change improves.
    fn climb(&self, mut p: Pattern) -> (Pattern, f64) {
        let mut score = self.score(&p);
        loop {
            let mut best: Option<(Pattern, f64)> = None;
            for c in 0..self.columns {
                let mut next = p.clone();
                next[c] = match p[c] {
                    Some(_) => None,
                    None => match self.commonest(&p, c) {
                        Some(v) => Some(v),
                        None => continue,
                    },
                };
                let s = self.score(&next);
                if best.as_ref().is_none_or(|(_, b)| s > *b) {
                    best = Some((next, s));
                }
            }
            match best {
                Some((next, s)) if s > score + 1e-12 => {
                    p = next;
                    score = s;
                }
                _ => return (p, score),
            }
        }
    }
}

/// The kind of value a column holds, for choosing its wildcard.
fn kind(v: &KV) -> u8 {
    match v {
        KV::Null => 0,
        KV::Bool(_) => 1,
        KV::Long(_) => 2,
        KV::Real(_) => 3,
        KV::Str(_) => 4,
        KV::Date(_) => 5,
        KV::Span(_) => 6,
        KV::Dyn(_) => 7,
    }
}

pub(super) fn run(t: Table, opts: &Options) -> Table {
    let size_weight = opts
        .size_weight
        .filter(|w| (0.0..=1.0).contains(w))
        .unwrap_or(DEFAULT_SIZE_WEIGHT);
    let seeds = opts.seeds.unwrap_or(DEFAULT_SEEDS).clamp(1, MAX_SEEDS);
    let dims: Vec<String> = t
        .columns
        .iter()
        .filter(|c| opts.weight_column.as_ref() != Some(*c))
        .cloned()
        .collect();

    // Values become small numbers, rows with the same values one entry.
    let mut ids: HashMap<String, u32> = HashMap::new();
    let mut values: Vec<KV> = Vec::new();
    let mut distinct: Vec<Distinct> = Vec::new();
    let mut seen: HashMap<Vec<u32>, usize> = HashMap::new();
    let mut total = 0.0;
    for (i, r) in t.rows.iter().enumerate() {
        let weight = match &opts.weight_column {
            Some(w) => r.get(w).as_f64().unwrap_or(0.0).max(0.0),
            None => 1.0,
        };
        let row: Vec<u32> = dims
            .iter()
            .map(|c| {
                let v = r.get(c);
                let next = values.len() as u32;
                *ids.entry(v.key()).or_insert_with(|| {
                    values.push(v);
                    next
                })
            })
            .collect();
        total += weight;
        let at = *seen.entry(row.clone()).or_insert_with(|| {
            distinct.push(Distinct {
                values: row,
                weight: 0.0,
                rows: Vec::new(),
            });
            distinct.len() - 1
        });
        distinct[at].weight += weight;
        distinct[at].rows.push(i);
    }

    let search = Search {
        rows: &distinct,
        total,
        columns: dims.len(),
        size_weight,
    };
    let mut order: Vec<usize> = (0..distinct.len()).collect();
    order.sort_by(|&a, &b| distinct[b].weight.total_cmp(&distinct[a].weight));
    let mut found: Vec<(Pattern, f64)> = Vec::new();
    for &s in order.iter().take(seeds) {
        let (p, score) = search.climb(distinct[s].values.iter().map(|v| Some(*v)).collect());
        if score > 0.0 && !found.iter().any(|(q, _)| *q == p) {
            found.push((p, score));
        }
    }
    found.sort_by(|a, b| b.1.total_cmp(&a.1));

    // A pattern stays when at least half of what it covers is new.
    let mut covered = vec![false; distinct.len()];
    let mut kept: Vec<(Pattern, f64)> = Vec::new();
    for (p, _) in found {
        let mut all = 0.0;
        let mut new = 0.0;
        for (d, c) in distinct.iter().zip(&covered) {
            if Search::covers(&p, d) {
                all += d.weight;
                if !c {
                    new += d.weight;
                }
            }
        }
        if all > 0.0 && new * 2.0 >= all {
            for (d, c) in distinct.iter().zip(covered.iter_mut()) {
                *c |= Search::covers(&p, d);
            }
            kept.push((p, all));
        }
    }

    // A column's wildcard follows the kind of value it holds.
    let column_kind: Vec<u8> = (0..dims.len())
        .map(|c| {
            distinct
                .iter()
                .map(|d| kind(&values[d.values[c] as usize]))
                .find(|k| *k != 0)
                .unwrap_or(0)
        })
        .collect();
    let wildcard = |c: usize| {
        let k = column_kind[c];
        if let Some(w) = opts.wildcards.iter().find(|w| kind(w) == k) {
            return w.clone();
        }
        if k == kind(&KV::Str(String::new())) {
            KV::Str(String::new())
        } else {
            KV::Null
        }
    };

    let mut columns = vec![
        "SegmentId".to_string(),
        "Count".to_string(),
        "Percent".to_string(),
    ];
    columns.extend(dims.iter().cloned());
    let rows = kept
        .into_iter()
        .enumerate()
        .map(|(id, (p, weight))| {
            let mut cols = vec![
                ("SegmentId".to_string(), KV::Long(id as i64)),
                ("Count".to_string(), KV::Long(weight.round() as i64)),
                (
                    "Percent".to_string(),
                    KV::Real(if total > 0.0 {
                        100.0 * weight / total
                    } else {
                        0.0
                    }),
                ),
            ];
            for (c, name) in dims.iter().enumerate() {
                let v = match p[c] {
                    Some(v) => values[v as usize].clone(),
                    None => wildcard(c),
                };
                cols.push((name.clone(), v));
            }
            let mut evidence: Vec<_> = distinct
                .iter()
                .filter(|d| Search::covers(&p, d))
                .flat_map(|d| {
                    d.rows
                        .iter()
                        .flat_map(|&i| t.rows[i].evidence.iter().copied())
                })
                .collect();
            evidence.sort();
            evidence.dedup();
            KRow {
                cols,
                doc: None,
                evidence,
            }
        })
        .collect();
    Table { columns, rows }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(columns: &[&str], rows: &[&[&str]]) -> Table {
        Table {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: rows
                .iter()
                .map(|r| KRow {
                    cols: columns
                        .iter()
                        .zip(r.iter())
                        .map(|(c, v)| (c.to_string(), KV::Str(v.to_string())))
                        .collect(),
                    doc: None,
                    evidence: Vec::new(),
                })
                .collect(),
        }
    }

    fn defaults() -> Options {
        Options {
            size_weight: None,
            weight_column: None,
            seeds: None,
            wildcards: Vec::new(),
        }
    }

    fn texts(t: &Table) -> Vec<Vec<String>> {
        t.rows
            .iter()
            .map(|r| t.columns.iter().map(|c| r.get(c).to_text()).collect())
            .collect()
    }

    #[test]
    fn each_account_is_described_by_the_address_it_usually_uses() {
        let mut rows: Vec<&[&str]> = Vec::new();
        rows.extend(std::iter::repeat_n(
            &["10.0.0.1", "ana@contoso.com"][..],
            40,
        ));
        rows.extend(std::iter::repeat_n(&["10.0.0.2", "bo@contoso.com"][..], 30));
        rows.push(&["203.0.113.9", "ana@contoso.com"]);
        let t = run(table(&["Ip", "Caller"], &rows), &defaults());
        assert_eq!(t.columns, ["SegmentId", "Count", "Percent", "Ip", "Caller"]);
        let got = texts(&t);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(
            got[0][1..],
            [
                "40",
                &(100.0 * 40.0 / 71.0).to_string(),
                "10.0.0.1",
                "ana@contoso.com"
            ]
        );
        assert_eq!(got[1][3..], ["10.0.0.2", "bo@contoso.com"]);
    }

    #[test]
    fn a_value_shared_across_rows_becomes_a_pattern_with_the_rest_open() {
        let mut rows: Vec<&[&str]> = Vec::new();
        for state in ["TEXAS", "KANSAS", "IOWA", "OHIO", "UTAH"] {
            for _ in 0..8 {
                rows.push(match state {
                    "TEXAS" => &["TEXAS", "Hail", "NO"],
                    "KANSAS" => &["KANSAS", "Hail", "NO"],
                    "IOWA" => &["IOWA", "Hail", "NO"],
                    "OHIO" => &["OHIO", "Hail", "NO"],
                    _ => &["UTAH", "Flood", "YES"],
                });
            }
        }
        let mut opts = defaults();
        opts.wildcards = vec![KV::Str("*".into())];
        let t = run(table(&["State", "EventType", "Damage"], &rows), &opts);
        let got = texts(&t);
        assert_eq!(got[0][1..], ["32", "80", "*", "Hail", "NO"], "{got:?}");
        assert!(
            got.iter().any(|r| r[3..] == ["UTAH", "Flood", "YES"]),
            "{got:?}"
        );
    }

    #[test]
    fn weights_count_rows_many_times_and_an_empty_table_has_no_patterns() {
        let mut t = table(&["User", "n"], &[&["ana", "9"], &["bo", "1"]]);
        for r in &mut t.rows {
            let n: i64 = r.get("n").to_text().parse().unwrap();
            r.set("n", KV::Long(n));
        }
        let mut opts = defaults();
        opts.weight_column = Some("n".into());
        let out = run(t, &opts);
        assert_eq!(out.columns, ["SegmentId", "Count", "Percent", "User"]);
        assert_eq!(texts(&out)[0][1..], ["9", "90", "ana"]);

        let empty = run(table(&["User"], &[]), &defaults());
        assert!(empty.rows.is_empty());
        assert_eq!(empty.columns, ["SegmentId", "Count", "Percent", "User"]);
    }
}
