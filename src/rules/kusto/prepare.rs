//! What an operator needs before its rows run, and rows that know their
//! columns. `toscalar` and `in (subquery)` are run once, ahead of the
//! rows; `next(x)` has `x` laid out over every row first, as it reads
//! rows not reached yet; and a condition with `*` (`* has "x"`) or a
//! `pack_all()` sees the row's columns through [`Columned`].

use serde_json::Value as Json;

use super::ast::{Expr, Op, Tabular};
use super::eval::Row;
use super::exec::{Exec, KRow, LetValue, Table, render};
use super::value::KV;

/// A row with its table's columns known, for `*` in its conditions.
pub(super) struct Columned<'r> {
    pub row: &'r KRow,
    pub columns: &'r [String],
}

impl Row for Columned<'_> {
    fn get(&self, name: &str) -> KV {
        self.row.get(name)
    }

    fn columns(&self) -> Option<&[String]> {
        Some(self.columns)
    }

    fn any_value(&self, test: &mut dyn FnMut(&str) -> bool) -> Option<bool> {
        let record = self.row.doc.as_ref().and_then(|d| d.record.as_deref());
        Some(
            self.columns
                .iter()
                .any(|c| test(&super::eval::text(&super::eval::plain(self.row.get(c)))))
                || record.is_some_and(|r| super::eval::any_leaf(r, test)),
        )
    }
}

impl Exec<'_> {
    /// Runs the `toscalar` subqueries in `e`, so that evaluating `e` finds
    /// their values.
    pub(super) fn prepare(&mut self, e: &Expr) {
        let mut subs = Vec::new();
        e.walk(&mut |x| match x {
            Expr::ToScalar(t) => subs.push((t.as_ref(), false)),
            Expr::Values(t) => subs.push((t.as_ref(), true)),
            _ => {}
        });
        for (t, all) in subs {
            let v = if all {
                self.values_of(t)
            } else {
                self.scalar_of(t)
            };
            self.ctx.scalars.insert(super::eval::scalar_key(t), v);
        }
    }

    /// The first column of `t`'s rows, as a dynamic array.
    fn values_of(&mut self, t: &Tabular) -> KV {
        let table = self.tabular(t);
        let values = match table.columns.first() {
            Some(c) => table.rows.iter().map(|r| render(&r.get(c))).collect(),
            None => Vec::new(),
        };
        KV::Dyn(Json::Array(values))
    }

    fn scalar_of(&mut self, t: &Tabular) -> KV {
        // `toscalar(x)` where x is a scalar `let`.
        if let Tabular::Source(name, _) = t {
            if let Some(LetValue::Scalar(v)) = self.lets.get(name) {
                return v.clone();
            }
        }
        let table = self.tabular(t);
        match (table.rows.first(), table.columns.first()) {
            (Some(r), Some(c)) => r.get(c),
            _ => KV::Null,
        }
    }

    /// `next(x)` reads a row not yet reached: each call site's `x` is
    /// worked out over every row first, with a cursor the rows advance.
    pub(super) fn look_ahead(&self, input: &Table, op: &Op) {
        let mut sites = Vec::new();
        for e in op.exprs() {
            e.walk(&mut |x| {
                if let Expr::Call { name, args, .. } = x {
                    if name == "next" && !args.is_empty() {
                        sites.push(args);
                    }
                }
            });
        }
        for args in sites {
            let mut values = vec![KV::Long(0)];
            values.extend(input.rows.iter().map(|row| {
                let r = Columned {
                    row,
                    columns: &input.columns,
                };
                self.ev(&args[0], &r)
            }));
            let site = args.as_ptr() as usize;
            self.ctx.window.borrow_mut().insert(site, values);
        }
    }

    /// Drops the rows of `t` that `e` does not hold for.
    pub(super) fn keep_where(&self, t: &mut Table, e: &Expr) {
        let columns = &t.columns;
        t.rows.retain(|row| {
            let r = Columned { row, columns };
            matches!(self.ev(e, &r), KV::Bool(true))
        });
    }
}
