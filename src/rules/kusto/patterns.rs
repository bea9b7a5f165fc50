//! What `autocluster` and `basket` share: a table read as distinct rows of
//! small value numbers with their weights, patterns that fix some columns
//! and leave the others open, and the result table Kusto gives for them
//! (SegmentId, Count, Percent, then each column's value or wildcard).

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
    /// The table rows that hold these values.
    rows: Vec<usize>,
}

pub(super) struct Input {
    pub dims: Vec<String>,
    pub values: Vec<KV>,
    pub distinct: Vec<Distinct>,
    pub total: f64,
}

pub(super) fn covers(p: &Pattern, d: &Distinct) -> bool {
    p.iter()
        .zip(&d.values)
        .all(|(want, have)| want.is_none_or(|w| w == *have))
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
    /// Every column but the weight column is a dimension. Values become
    /// small numbers, and rows with the same values one entry.
    pub fn of(t: &Table, weight_column: Option<&str>) -> Input {
        let dims: Vec<String> = t
            .columns
            .iter()
            .filter(|c| weight_column != Some(c.as_str()))
            .cloned()
            .collect();
        let mut ids: HashMap<String, u32> = HashMap::new();
        let mut values: Vec<KV> = Vec::new();
        let mut distinct: Vec<Distinct> = Vec::new();
        let mut seen: HashMap<Vec<u32>, usize> = HashMap::new();
        let mut total = 0.0;
        for (i, r) in t.rows.iter().enumerate() {
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
        Input {
            dims,
            values,
            distinct,
            total,
        }
    }

    pub fn weight(&self, p: &Pattern) -> f64 {
        self.distinct
            .iter()
            .filter(|d| covers(p, d))
            .map(|d| d.weight)
            .sum()
    }

    /// Whether a value can be a pattern's: null, and empty text, read as
    /// the default wildcard and so cannot.
    pub fn is_value(&self, v: u32) -> bool {
        !matches!(
            &self.values[v as usize],
            KV::Null | KV::Dyn(serde_json::Value::Null)
        ) && !matches!(&self.values[v as usize], KV::Str(s) if s.is_empty())
    }

    /// The result table: a row per pattern, in the order given, with the
    /// evidence of every row it covers.
    pub fn table(&self, t: &Table, patterns: Vec<Pattern>, wildcards: &[KV]) -> Table {
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
        let mut columns = vec![
            "SegmentId".to_string(),
            "Count".to_string(),
            "Percent".to_string(),
        ];
        columns.extend(self.dims.iter().cloned());
        let rows = patterns
            .into_iter()
            .enumerate()
            .map(|(id, p)| {
                let weight = self.weight(&p);
                let percent = if self.total > 0.0 {
                    100.0 * weight / self.total
                } else {
                    0.0
                };
                let mut cols = vec![
                    ("SegmentId".to_string(), KV::Long(id as i64)),
                    ("Count".to_string(), KV::Long(weight.round() as i64)),
                    ("Percent".to_string(), KV::Real(percent)),
                ];
                for (c, name) in self.dims.iter().enumerate() {
                    let v = match p[c] {
                        Some(v) => self.values[v as usize].clone(),
                        None => wildcard(c),
                    };
                    cols.push((name.clone(), v));
                }
                let mut evidence: Vec<_> = self
                    .distinct
                    .iter()
                    .filter(|d| covers(&p, d))
                    .flat_map(|d| d.rows.iter())
                    .flat_map(|&i| t.rows[i].evidence.iter().copied())
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
}
