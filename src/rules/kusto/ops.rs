//! The tabular operators beyond the core pipeline: `mv-expand` and
//! `mv-apply`, `project-reorder`,
//! `project-by-names`, `evaluate bag_unpack`, `range`, and calls of user-defined
//! tabular functions.

use std::sync::Arc;

use serde_json::Value as Json;

use super::ast::{Arg, Expr, FuncBody, MvExpand, Tabular};
use super::eval::{Row, eval};
use super::exec::{Empty, Exec, KRow, LetValue, Table, add_column, lit, name_matches};
use super::parser::default_name;
use super::value::KV;
use crate::rules::kusto::operators::MV_APPLY_INPUT;

/// Rows one `mv-expand` may produce, so that a hostile array cannot
/// exhaust memory.
const MAX_EXPANDED_ROWS: usize = 10_000_000;

impl Exec<'_> {
    /// `range column from f to t step s`, at most a million rows.
    pub(super) fn range(&mut self, column: &str, from: &Expr, to: &Expr, step: &Expr) -> Table {
        let (f, t, s) = (
            self.ev(from, &Empty),
            self.ev(to, &Empty),
            self.ev(step, &Empty),
        );
        let mut rows = Vec::new();
        let mut cur = f;
        for _ in 0..1_000_000 {
            let past = match (&cur, &t) {
                (KV::Long(a), KV::Long(b)) => a > b,
                (KV::Date(a), KV::Date(b)) | (KV::Span(a), KV::Span(b)) => a > b,
                (a, b) => match (a.as_f64(), b.as_f64()) {
                    (Some(x), Some(y)) => x > y,
                    _ => true,
                },
            };
            if past {
                break;
            }
            rows.push(KRow {
                cols: vec![(column.to_string(), cur.clone())],
                doc: None,
                evidence: Vec::new(),
            });
            cur = eval(
                &Expr::Bin(
                    super::ast::BinOp::Add,
                    Box::new(lit(&cur)),
                    Box::new(lit(&s)),
                ),
                &Empty,
                &self.ctx,
            );
            if cur.is_null() {
                break;
            }
        }
        Table {
            columns: vec![column.to_string()],
            rows,
        }
    }

    /// Calls a user-defined function; `piped` is the input of an `invoke`
    /// operator, which fills the first parameter.
    pub(super) fn invoke(&mut self, name: &str, piped: Option<Table>, args: &[Arg]) -> Table {
        let Some(f) = self.ctx.funcs.get(name).cloned() else {
            return Table::default();
        };
        let mut bound = Vec::new();
        let skip = usize::from(piped.is_some());
        if let (Some(t), Some(p)) = (piped, f.params.first()) {
            bound.push((p.name.clone(), LetValue::Table(Arc::new(t))));
        }
        for (i, p) in f.params.iter().enumerate().skip(skip) {
            let v = match (args.get(i - skip), &p.default) {
                (Some(Arg::Table(t)), _) => LetValue::Table(Arc::new(self.tabular(t))),
                (Some(Arg::Scalar(e)), _) | (None, Some(e)) => {
                    // A table passed by name where a table is expected.
                    if let (true, Expr::Column(c, _)) = (p.table, e) {
                        LetValue::Table(Arc::new(self.table_named(c).unwrap_or_default()))
                    } else {
                        self.prepare(e);
                        LetValue::Scalar(self.ev(e, &Empty))
                    }
                }
                (None, None) => LetValue::Scalar(KV::Null),
            };
            bound.push((p.name.clone(), v));
        }
        let saved = self.lets.clone();
        self.lets.extend(bound);
        self.bind(&f.lets);
        let out = match &f.body {
            FuncBody::Tabular(t) => self.tabular(t),
            FuncBody::Scalar(e) => self.tabular(&Tabular::Print(vec![(None, e.clone())])),
        };
        self.lets = saved;
        out
    }

    /// The rows each input row expands into, with the item's index.
    fn expand_row(&self, r: &KRow, m: &MvExpand, names: &[String]) -> Vec<KRow> {
        let lists: Vec<Vec<KV>> = m
            .items
            .iter()
            .map(|(_, e)| match self.ev(e, r) {
                // A property bag expands into one-key bags, or into
                // [key, value] pairs with kind=array.
                KV::Dyn(Json::Object(map)) => map
                    .into_iter()
                    .map(|(k, v)| {
                        KV::Dyn(if m.bag_as_array {
                            Json::Array(vec![Json::String(k), v])
                        } else {
                            let mut one = serde_json::Map::new();
                            one.insert(k, v);
                            Json::Object(one)
                        })
                    })
                    .collect(),
                KV::Dyn(Json::Array(a)) => a.into_iter().map(KV::Dyn).collect(),
                v => vec![v],
            })
            .collect();
        let n = lists.iter().map(Vec::len).max().unwrap_or(0);
        (0..n)
            .map(|i| {
                let mut nr = r.clone();
                for (name, items) in names.iter().zip(&lists) {
                    nr.set(name, items.get(i).cloned().unwrap_or(KV::Null));
                }
                for (name, cast) in names.iter().zip(&m.casts) {
                    if let Some(cast) = cast {
                        let converted = Expr::Call {
                            name: cast.clone(),
                            args: vec![Expr::Column(name.clone(), Default::default())],
                            span: Default::default(),
                        };
                        let v = self.ev(&converted, &nr);
                        nr.set(name, v);
                    }
                }
                if let Some(ix) = &m.index {
                    nr.set(ix, KV::Long(i as i64));
                }
                nr
            })
            .collect()
    }

    /// The names of the expanded columns, and the table's columns with
    /// them (and the index column) added.
    fn expanded_columns(columns: &[String], m: &MvExpand) -> (Vec<String>, Vec<String>) {
        let names: Vec<String> = m
            .items
            .iter()
            .map(|(n, e)| n.clone().unwrap_or_else(|| default_name(e)))
            .collect();
        let mut all = columns.to_vec();
        for n in names.iter().chain(&m.index) {
            add_column(&mut all, n);
        }
        (names, all)
    }

    pub(super) fn mv_expand(&mut self, mut t: Table, m: &MvExpand) -> Table {
        t.materialize();
        let (names, columns) = Self::expanded_columns(&t.columns, m);
        let mut rows = Vec::new();
        for r in &t.rows {
            if rows.len() >= MAX_EXPANDED_ROWS {
                break;
            }
            rows.extend(self.expand_row(r, m, &names));
        }
        rows.truncate(MAX_EXPANDED_ROWS);
        Table { columns, rows }
    }

    pub(super) fn mv_apply(&mut self, mut t: Table, m: &MvExpand, sub: &Tabular) -> Table {
        t.materialize();
        let (names, input_cols) = Self::expanded_columns(&t.columns, m);
        let mut columns = t.columns.clone();
        let mut rows = Vec::new();
        // The subquery's input, and any `as` inside it, end with it.
        let saved = self.lets.clone();
        for r in &t.rows {
            let part = Table {
                columns: input_cols.clone(),
                rows: self.expand_row(r, m, &names),
            };
            self.lets
                .insert(MV_APPLY_INPUT.into(), LetValue::Table(Arc::new(part)));
            let out = self.tabular(sub);
            for c in &out.columns {
                add_column(&mut columns, c);
            }
            for o in out.rows {
                let mut nr = r.clone();
                for c in &out.columns {
                    nr.set(c, o.get(c));
                }
                nr.evidence = o.evidence;
                rows.push(nr);
            }
        }
        self.lets = saved;
        Table { columns, rows }
    }

    pub(super) fn project_by_names(&mut self, mut t: Table, exprs: &[Expr]) -> Table {
        let mut patterns = Vec::new();
        for e in exprs {
            match self.ev(e, &Empty) {
                KV::Dyn(Json::Array(a)) => {
                    patterns.extend(a.iter().filter_map(|v| v.as_str().map(String::from)))
                }
                KV::Str(s) | KV::Dyn(Json::String(s)) => patterns.push(s),
                _ => {}
            }
        }
        t.materialize();
        let mut cols: Vec<String> = Vec::new();
        for p in &patterns {
            for c in t.columns.iter().filter(|c| name_matches(p, c)) {
                add_column(&mut cols, c);
            }
        }
        for r in &mut t.rows {
            r.cols.retain(|(n, _)| cols.contains(n));
        }
        t.columns = cols;
        t
    }
}

/// `project-reorder`: the named columns first, in the order given (or
/// sorted, for patterns with asc/desc), then the rest as they were.
pub(super) fn project_reorder(mut t: Table, keys: &[(String, Option<bool>)]) -> Table {
    let mut front: Vec<String> = Vec::new();
    for (pattern, order) in keys {
        let mut hit: Vec<String> = t
            .columns
            .iter()
            .filter(|c| name_matches(pattern, c) && !front.contains(c))
            .cloned()
            .collect();
        match order {
            Some(true) => hit.sort(),
            Some(false) => {
                hit.sort();
                hit.reverse();
            }
            None => {}
        }
        front.extend(hit);
    }
    let rest: Vec<String> = t
        .columns
        .iter()
        .filter(|c| !front.contains(c))
        .cloned()
        .collect();
    front.extend(rest);
    t.columns = front;
    t
}

/// The columns of a table as `getschema` lists them. Columns carry no
/// declared type here, so each is typed by its first non-empty value.
pub(super) fn schema(t: &Table) -> Table {
    let columns: Vec<String> = ["ColumnName", "ColumnOrdinal", "DataType", "ColumnType"]
        .map(String::from)
        .to_vec();
    let rows = t
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let first = t.rows.iter().map(|r| r.get(c)).find(|v| !v.is_null());
            let (data, ty) = match first {
                Some(KV::Bool(_)) => ("System.SByte", "bool"),
                Some(KV::Long(_)) => ("System.Int64", "long"),
                Some(KV::Real(_)) => ("System.Double", "real"),
                Some(KV::Date(_)) => ("System.DateTime", "datetime"),
                Some(KV::Span(_)) => ("System.TimeSpan", "timespan"),
                Some(KV::Dyn(_)) => ("System.Object", "dynamic"),
                _ => ("System.String", "string"),
            };
            KRow {
                cols: vec![
                    (columns[0].clone(), KV::Str(c.clone())),
                    (columns[1].clone(), KV::Long(i as i64)),
                    (columns[2].clone(), KV::Str(data.into())),
                    (columns[3].clone(), KV::Str(ty.into())),
                ],
                doc: None,
                evidence: Vec::new(),
            }
        })
        .collect();
    Table { columns, rows }
}
