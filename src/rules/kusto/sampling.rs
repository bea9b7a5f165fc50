//! `sample`, `sample-distinct` and `top-hitters`: rows or values picked
//! at random, and the values that occur most. Kusto counts top hitters
//! approximately; offline they are counted exactly, which is what its
//! estimate approaches.

use std::collections::HashMap;

use super::ast::Expr;
use super::bits::unit;
use super::exec::{Empty, Exec, KRow, Table};
use super::parser::default_name;
use super::value::KV;

/// `k` distinct positions of `0..n`, picked at random, in order.
fn pick(n: usize, k: usize) -> Vec<usize> {
    if k >= n {
        return (0..n).collect();
    }
    // Reservoir sampling keeps each position with chance k/n.
    let mut kept: Vec<usize> = (0..k).collect();
    for i in k..n {
        let j = (unit() * (i + 1) as f64) as usize;
        if j < k {
            kept[j] = i;
        }
    }
    kept.sort_unstable();
    kept
}

impl Exec<'_> {
    fn count_of(&mut self, n: &Expr) -> usize {
        match self.ev(n, &Empty) {
            KV::Long(n) => usize::try_from(n).unwrap_or(0),
            _ => 0,
        }
    }

    pub(super) fn sample(&mut self, mut t: Table, n: &Expr) -> Table {
        let k = self.count_of(n);
        let keep = pick(t.rows.len(), k);
        let rows = std::mem::take(&mut t.rows);
        t.rows = rows
            .into_iter()
            .enumerate()
            .filter(|(i, _)| keep.binary_search(i).is_ok())
            .map(|(_, r)| r)
            .collect();
        t
    }

    pub(super) fn sample_distinct(&mut self, t: Table, n: &Expr, of: &Expr) -> Table {
        let k = self.count_of(n);
        let name = default_name(of);
        let mut seen = std::collections::HashSet::new();
        let mut values = Vec::new();
        for r in &t.rows {
            let v = self.ev(of, r);
            if seen.insert(v.key()) {
                values.push(v);
            }
        }
        let rows = pick(values.len(), k)
            .into_iter()
            .map(|i| KRow {
                cols: vec![(name.clone(), values[i].clone())],
                doc: None,
                evidence: Vec::new(),
            })
            .collect();
        Table {
            columns: vec![name],
            rows,
        }
    }

    pub(super) fn top_hitters(
        &mut self,
        t: Table,
        n: &Expr,
        of: &Expr,
        by: Option<&Expr>,
    ) -> Table {
        let k = self.count_of(n);
        let name = default_name(of);
        let total = match by {
            Some(w) => format!("approximate_sum_{}", default_name(w)),
            None => format!("approximate_count_{name}"),
        };
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut tally: Vec<(KV, f64, Vec<crate::detect::EventRef>)> = Vec::new();
        for r in &t.rows {
            let v = self.ev(of, r);
            let w = match by {
                Some(w) => self.ev(w, r).as_f64().unwrap_or(0.0),
                None => 1.0,
            };
            let at = *index.entry(v.key()).or_insert_with(|| {
                tally.push((v, 0.0, Vec::new()));
                tally.len() - 1
            });
            tally[at].1 += w;
            tally[at].2.extend(r.evidence.iter().cloned());
        }
        // Ties keep the order values were first seen.
        tally.sort_by(|a, b| b.1.total_cmp(&a.1));
        tally.truncate(k);
        let whole = by.is_none();
        let rows = tally
            .into_iter()
            .map(|(v, w, evidence)| KRow {
                cols: vec![
                    (name.clone(), v),
                    (
                        total.clone(),
                        if whole {
                            KV::Long(w as i64)
                        } else {
                            KV::Real(w)
                        },
                    ),
                ],
                doc: None,
                evidence,
            })
            .collect();
        Table {
            columns: vec![name, total],
            rows,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_are_distinct_in_range_and_as_many_as_asked() {
        for _ in 0..200 {
            let p = pick(50, 7);
            assert_eq!(p.len(), 7);
            assert!(p.windows(2).all(|w| w[0] < w[1]), "{p:?}");
            assert!(p.iter().all(|i| *i < 50));
        }
        assert_eq!(pick(3, 10), [0, 1, 2]);
        assert!(pick(5, 0).is_empty());
    }
}
