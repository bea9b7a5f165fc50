//! What `autocluster`, `basket` and `diffpatterns` share: a table read as
//! distinct rows of small value numbers with their weights (in one set, or
//! split in two by a column's value), patterns that fix some columns and
//! leave the others open, and the result tables Kusto gives for them
//! (SegmentId, counts and percentages, then each column's value or
//! wildcard).

use std::collections::HashMap;

use super::eval::Row;
use super::exec::{KRow, Table};
use super::value::KV;

/// The plugins' arguments in place: a number (autocluster's SizeWeight,
/// basket's Threshold), the weight column, a count (NumSeeds,
/// MaxDimensions), then wildcards. `~` (or nothing) keeps a default.
pub(super) struct Args {
    pub number: Option<f64>,
    pub weight_column: Option<String>,
    pub count: Option<usize>,
    /// Wildcards by value kind, replacing the default (empty text for
    /// string columns, null for the others).
    pub wildcards: Vec<KV>,
}

/// Per column, the value a pattern fixes it to, if any.
pub(super) type Pattern = Vec<Option<u32>>;

pub(super) struct Distinct {
    pub values: Vec<u32>,
    pub weight: f64,
    /// 0, or 1 for the second set of a split table.
    pub side: usize,
    /// The table rows that hold these values.
    rows: Vec<usize>,
}

pub(super) struct Input {
    pub dims: Vec<String>,
    pub values: Vec<KV>,
    pub distinct: Vec<Distinct>,
    /// The weight of each set.
    pub totals: [f64; 2],
    /// Per column and value, the distinct rows holding it, in order: a
    /// pattern's rows are the intersection of its values' lists, so
    /// counting one costs the rows its rarest value has, not the table.
    postings: HashMap<(usize, u32), Vec<u32>>,
}

/// Rows whose `column`, as text, is `a` form the first set, `b` the
/// second; others are left out, and `column` is no dimension.
pub(super) struct Split {
    pub column: String,
    pub a: String,
    pub b: String,
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

impl Input {
    /// Every column but the weight and split columns is a dimension.
    /// Values become small numbers, and rows with the same values (in the
    /// same set) one entry.
    pub fn of(t: &Table, weight_column: Option<&str>, split: Option<&Split>) -> Input {
        let dims: Vec<String> = t
            .columns
            .iter()
            .filter(|c| weight_column != Some(c.as_str()))
            .filter(|c| split.is_none_or(|s| s.column != **c))
            .cloned()
            .collect();
        let mut ids: HashMap<String, u32> = HashMap::new();
        let mut values: Vec<KV> = Vec::new();
        let mut distinct: Vec<Distinct> = Vec::new();
        let mut seen: HashMap<(Vec<u32>, usize), usize> = HashMap::new();
        let mut totals = [0.0; 2];
        for (i, r) in t.rows.iter().enumerate() {
            let side = match split {
                None => 0,
                Some(s) => {
                    let v = r.get(&s.column).to_text();
                    if v == s.a {
                        0
                    } else if v == s.b {
                        1
                    } else {
                        continue;
                    }
                }
            };
            let weight = match weight_column {
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
            totals[side] += weight;
            let at = *seen.entry((row.clone(), side)).or_insert_with(|| {
                distinct.push(Distinct {
                    values: row,
                    weight: 0.0,
                    side,
                    rows: Vec::new(),
                });
                distinct.len() - 1
            });
            distinct[at].weight += weight;
            distinct[at].rows.push(i);
        }
        let mut postings: HashMap<(usize, u32), Vec<u32>> = HashMap::new();
        for (i, d) in distinct.iter().enumerate() {
            for (c, v) in d.values.iter().enumerate() {
                postings.entry((c, *v)).or_default().push(i as u32);
            }
        }
        Input {
            dims,
            values,
            distinct,
            totals,
            postings,
        }
    }

    /// The distinct rows holding every (column, value) given, in order.
    pub fn rows_with(&self, items: impl IntoIterator<Item = (usize, u32)>) -> Vec<u32> {
        let mut lists: Vec<&[u32]> = Vec::new();
        for item in items {
            match self.postings.get(&item) {
                Some(l) => lists.push(l),
                None => return Vec::new(),
            }
        }
        if lists.is_empty() {
            return (0..self.distinct.len() as u32).collect();
        }
        lists.sort_by_key(|l| l.len());
        let mut rows = lists[0].to_vec();
        for l in &lists[1..] {
            rows.retain(|r| l.binary_search(r).is_ok());
            if rows.is_empty() {
                break;
            }
        }
        rows
    }

    /// The distinct rows a pattern covers, in order.
    pub fn rows_of(&self, p: &Pattern) -> Vec<u32> {
        self.rows_with(p.iter().enumerate().filter_map(|(c, v)| Some((c, (*v)?))))
    }

    /// The weight of some distinct rows, in each set.
    pub fn weights_of_rows(&self, rows: &[u32]) -> [f64; 2] {
        let mut w = [0.0; 2];
        for &r in rows {
            let d = &self.distinct[r as usize];
            w[d.side] += d.weight;
        }
        w
    }

    /// The weight of the rows a pattern covers, in each set.
    pub fn weights(&self, p: &Pattern) -> [f64; 2] {
        self.weights_of_rows(&self.rows_of(p))
    }

    pub fn weight(&self, p: &Pattern) -> f64 {
        self.weights(p)[0]
    }

    fn evidence(&self, t: &Table, p: &Pattern) -> Vec<crate::detect::EventRef> {
        let mut evidence: Vec<_> = self
            .rows_of(p)
            .into_iter()
            .flat_map(|r| self.distinct[r as usize].rows.iter())
            .flat_map(|&i| t.rows[i].evidence.iter().copied())
            .collect();
        evidence.sort();
        evidence.dedup();
        evidence
    }

    /// Whether a value can be a pattern's: null, and empty text, read as
    /// the default wildcard and so cannot.
    pub fn is_value(&self, v: u32) -> bool {
        !matches!(
            &self.values[v as usize],
            KV::Null | KV::Dyn(serde_json::Value::Null)
        ) && !matches!(&self.values[v as usize], KV::Str(s) if s.is_empty())
    }

    /// Each dimension's value under a pattern, or its wildcard: a
    /// column's wildcard follows the kind of value it holds.
    fn described(&self, patterns: &[Pattern], wildcards: &[KV]) -> Vec<Vec<(String, KV)>> {
        let column_kind: Vec<u8> = (0..self.dims.len())
            .map(|c| {
                self.distinct
                    .iter()
                    .map(|d| kind(&self.values[d.values[c] as usize]))
                    .find(|k| *k != 0)
                    .unwrap_or(0)
            })
            .collect();
        let wildcard = |c: usize| {
            let k = column_kind[c];
            if let Some(w) = wildcards.iter().find(|w| kind(w) == k) {
                return w.clone();
            }
            if k == kind(&KV::Str(String::new())) {
                KV::Str(String::new())
            } else {
                KV::Null
            }
        };
        patterns
            .iter()
            .map(|p| {
                self.dims
                    .iter()
                    .enumerate()
                    .map(|(c, name)| {
                        let v = match p[c] {
                            Some(v) => self.values[v as usize].clone(),
                            None => wildcard(c),
                        };
                        (name.clone(), v)
                    })
                    .collect()
            })
            .collect()
    }

    fn percent(part: f64, total: f64) -> KV {
        KV::Real(if total > 0.0 {
            100.0 * part / total
        } else {
            0.0
        })
    }

    /// The result of `autocluster` and `basket`: a row per pattern, in
    /// the order given, with its count and share of the rows.
    pub fn table(&self, t: &Table, patterns: Vec<Pattern>, wildcards: &[KV]) -> Table {
        self.result(t, patterns, wildcards, &["Count", "Percent"], |p| {
            let weight = self.weight(p);
            vec![
                KV::Long(weight.round() as i64),
                Self::percent(weight, self.totals[0]),
            ]
        })
    }

    /// The result of `diffpatterns`: each pattern's count and share in
    /// both sets, and how far apart the shares are.
    pub fn diff_table(&self, t: &Table, patterns: Vec<Pattern>, wildcards: &[KV]) -> Table {
        let stats = ["CountA", "CountB", "PercentA", "PercentB", "PercentDiffAB"];
        self.result(t, patterns, wildcards, &stats, |p| {
            let [a, b] = self.weights(p);
            let (pa, pb) = (
                Self::percent(a, self.totals[0]),
                Self::percent(b, self.totals[1]),
            );
            let diff = match (&pa, &pb) {
                (KV::Real(x), KV::Real(y)) => KV::Real((x - y).abs()),
                _ => KV::Null,
            };
            vec![
                KV::Long(a.round() as i64),
                KV::Long(b.round() as i64),
                pa,
                pb,
                diff,
            ]
        })
    }

    /// A row per pattern: SegmentId, the `stats` columns `stats_of` fills,
    /// then each dimension's value or wildcard, with the evidence of every
    /// row the pattern covers.
    fn result(
        &self,
        t: &Table,
        patterns: Vec<Pattern>,
        wildcards: &[KV],
        stats: &[&str],
        stats_of: impl Fn(&Pattern) -> Vec<KV>,
    ) -> Table {
        let described = self.described(&patterns, wildcards);
        let mut columns = vec!["SegmentId".to_string()];
        columns.extend(stats.iter().map(|c| c.to_string()));
        columns.extend(self.dims.iter().cloned());
        let rows = patterns
            .iter()
            .zip(described)
            .enumerate()
            .map(|(id, (p, dims))| {
                let mut cols = vec![("SegmentId".to_string(), KV::Long(id as i64))];
                cols.extend(stats.iter().map(|c| c.to_string()).zip(stats_of(p)));
                cols.extend(dims);
                KRow {
                    cols,
                    doc: None,
                    evidence: self.evidence(t, p),
                }
            })
            .collect();
        Table { columns, rows }
    }
}
