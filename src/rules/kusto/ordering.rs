//! Rows put in order (`sort`, and the value order `top` and nested
//! sorts share) and rows made distinct.

use std::cmp::Ordering;

use super::ast::Expr;
use super::eval::Row;
use super::exec::{Exec, KRow, Table};
use super::value::KV;

impl Exec<'_> {
    /// `sort by`: each key descending or not, nulls first or last as
    /// asked (by default first when ascending, last when descending).
    pub(super) fn sort(&mut self, mut t: Table, keys: &[(Expr, bool, Option<bool>)]) -> Table {
        let mut keyed: Vec<(Vec<KV>, KRow)> = t
            .rows
            .into_iter()
            .map(|r| (keys.iter().map(|(e, _, _)| self.ev(e, &r)).collect(), r))
            .collect();
        keyed.sort_by(|(a, _), (b, _)| {
            for (i, (_, desc, nulls_first)) in keys.iter().enumerate() {
                let nf = nulls_first.unwrap_or(!desc);
                let o = match (a[i].is_null(), b[i].is_null()) {
                    (true, true) => Ordering::Equal,
                    (true, false) => {
                        if nf {
                            Ordering::Less
                        } else {
                            Ordering::Greater
                        }
                    }
                    (false, true) => {
                        if nf {
                            Ordering::Greater
                        } else {
                            Ordering::Less
                        }
                    }
                    _ => {
                        let o = order(&a[i], &b[i]);
                        if *desc { o.reverse() } else { o }
                    }
                };
                if o.is_ne() {
                    return o;
                }
            }
            Ordering::Equal
        });
        t.rows = keyed.into_iter().map(|(_, r)| r).collect();
        t
    }
}

/// `distinct` of the named columns, or of every column.
pub(super) fn distinct(t: Table, names: &[String]) -> Table {
    let cols = if names.is_empty() {
        t.columns.clone()
    } else {
        names.to_vec()
    };
    let mut seen = std::collections::HashSet::new();
    let mut rows = Vec::new();
    for r in &t.rows {
        let vals: Vec<(String, KV)> = cols.iter().map(|c| (c.clone(), r.get(c))).collect();
        let key: String = vals
            .iter()
            .map(|(_, v)| v.key())
            .collect::<Vec<_>>()
            .join("\u{1}");
        if seen.insert(key) {
            rows.push(KRow {
                cols: vals,
                doc: None,
                evidence: r.evidence.clone(),
            });
        }
    }
    Table {
        columns: cols,
        rows,
    }
}

pub(super) fn order(a: &KV, b: &KV) -> Ordering {
    match (a, b) {
        (KV::Date(x), KV::Date(y)) | (KV::Span(x), KV::Span(y)) => x.cmp(y),
        _ => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
            _ => a.to_text().cmp(&b.to_text()),
        },
    }
}
