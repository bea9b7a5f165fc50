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

use super::exec::Table;
use super::patterns::{Args, Input, Pattern};

const DEFAULT_SIZE_WEIGHT: f64 = 0.5;
const DEFAULT_SEEDS: usize = 25;
/// More seeds rarely find more patterns, and each costs a search.
const MAX_SEEDS: usize = 200;

struct Search<'a> {
    input: &'a Input,
    size_weight: f64,
}

impl Search<'_> {
    fn score(&self, p: &Pattern) -> f64 {
        let fixed = p.iter().filter(|v| v.is_some()).count();
        if fixed == 0 || self.input.totals[0] <= 0.0 {
            return 0.0;
        }
        let coverage = self.input.weight(p) / self.input.totals[0];
        let specificity = fixed as f64 / self.input.dims.len() as f64;
        coverage.powf(self.size_weight) * specificity.powf(1.0 - self.size_weight)
    }

    /// The value of column `c` that weighs most among the rows `p` covers.
    fn commonest(&self, p: &Pattern, c: usize) -> Option<u32> {
        let mut by_value: HashMap<u32, f64> = HashMap::new();
        for r in self.input.rows_of(p) {
            let d = &self.input.distinct[r as usize];
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
            for c in 0..p.len() {
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

pub(super) fn run(t: Table, args: &Args) -> Table {
    let size_weight = args
        .number
        .filter(|w| (0.0..=1.0).contains(w))
        .unwrap_or(DEFAULT_SIZE_WEIGHT);
    let seeds = args.count.unwrap_or(DEFAULT_SEEDS).clamp(1, MAX_SEEDS);
    let input = Input::of(&t, args.weight_column.as_deref(), None);
    let search = Search {
        input: &input,
        size_weight,
    };
    let distinct = &input.distinct;
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
    let mut kept: Vec<Pattern> = Vec::new();
    for (p, _) in found {
        let rows = input.rows_of(&p);
        let mut all = 0.0;
        let mut new = 0.0;
        for &r in &rows {
            let w = distinct[r as usize].weight;
            all += w;
            if !covered[r as usize] {
                new += w;
            }
        }
        if all > 0.0 && new * 2.0 >= all {
            for &r in &rows {
                covered[r as usize] = true;
            }
            kept.push(p);
        }
    }
    input.table(&t, kept, &args.wildcards)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::kusto::eval::Row;
    use crate::rules::kusto::value::KV;

    fn table(columns: &[&str], rows: &[&[&str]]) -> Table {
        Table::of_text(columns, rows)
    }

    fn defaults() -> Args {
        Args {
            number: None,
            weight_column: None,
            count: None,
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
