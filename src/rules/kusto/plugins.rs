//! `evaluate` plugins: unpacking bags into columns, intersecting distinct
//! count sketches, and finding patterns of shared values (`autocluster`,
//! `basket`, `diffpatterns`).

use serde_json::Value as Json;

use super::ast::Expr;
use super::exec::{Empty, Exec, Table, add_column};
use super::parser::default_name;
use super::patterns::{Args, Split};
use super::value::KV;
use super::{autocluster, basket, sketch};

impl Exec<'_> {
    /// `evaluate PLUGIN(args)`. `bag_unpack(col [, prefix])` gives a
    /// column per key of the bag.
    pub(super) fn evaluate(&mut self, mut t: Table, plugin: &str, args: &[Expr]) -> Table {
        if plugin == "diffpatterns" {
            let Some(split) = self.split_of(args) else {
                return t;
            };
            // Its optional arguments come as WeightColumn, Threshold,
            // MaxDimensions: put in the order the others take.
            let default = || Expr::Str("~".into());
            let at = |i: usize| args.get(i).cloned().unwrap_or_else(default);
            let mut rest = vec![at(4), at(3), at(5)];
            rest.extend(args.iter().skip(6).cloned());
            let opts = self.pattern_args(&rest);
            t.materialize();
            return basket::diff(t, &split, &opts);
        }
        if plugin == "autocluster" || plugin == "basket" {
            let opts = self.pattern_args(args);
            t.materialize();
            return if plugin == "basket" {
                basket::run(t, &opts)
            } else {
                autocluster::run(t, &opts)
            };
        }
        if plugin == "dcount_intersect" {
            t.materialize();
            for k in 0..args.len().min(sketch::MAX_INTERSECT) {
                add_column(&mut t.columns, &format!("s{k}"));
            }
            for r in &mut t.rows {
                let sketches: Vec<KV> = args.iter().map(|a| self.ev(a, r)).collect();
                for (k, v) in sketch::intersections(&sketches).into_iter().enumerate() {
                    r.set(&format!("s{k}"), v);
                }
            }
            return t;
        }
        if plugin != "bag_unpack" {
            return t;
        }
        let Some(col) = args.first() else {
            return t;
        };
        let prefix = args
            .get(1)
            .map(|e| self.ev(e, &Empty).to_text())
            .unwrap_or_default();
        let col_name = default_name(col);
        t.materialize();
        t.columns.retain(|c| *c != col_name);
        for r in &mut t.rows {
            let bag = self.ev(col, r);
            r.cols.retain(|(n, _)| *n != col_name);
            if let KV::Dyn(Json::Object(m)) = bag {
                for (k, v) in m {
                    let name = format!("{prefix}{k}");
                    add_column(&mut t.columns, &name);
                    r.set(&name, KV::from_json(&v));
                }
            }
        }
        t
    }

    /// `diffpatterns(SplitColumn, SplitValueA, SplitValueB, ...)`: the
    /// column, named bare or as text, and the two values as text.
    fn split_of(&mut self, args: &[Expr]) -> Option<Split> {
        let column = match args.first()? {
            Expr::Column(name, _) => name.clone(),
            e => self.ev(e, &Empty).to_text(),
        };
        let a = self.ev(args.get(1)?, &Empty).to_text();
        let b = self.ev(args.get(2)?, &Empty).to_text();
        Some(Split { column, a, b })
    }

    /// `autocluster(SizeWeight, WeightColumn, NumSeeds, Wildcard...)` and
    /// `basket(Threshold, WeightColumn, MaxDimensions, Wildcard...)`,
    /// where `~` keeps a default and the weight column may be named bare
    /// or as text.
    fn pattern_args(&mut self, args: &[Expr]) -> Args {
        let mut vals: Vec<Option<KV>> = Vec::new();
        for (i, a) in args.iter().enumerate() {
            let v = match a {
                Expr::Column(name, _) if i == 1 => KV::Str(name.clone()),
                e => self.ev(e, &Empty),
            };
            let default = matches!(&v, KV::Str(s) if s == "~") || matches!(v, KV::Null);
            vals.push((!default).then_some(v));
        }
        let at = |i: usize| vals.get(i).cloned().flatten();
        Args {
            number: at(0).and_then(|v| v.as_f64()),
            weight_column: at(1).map(|v| v.to_text()),
            count: at(2)
                .and_then(|v| v.as_f64())
                .filter(|n| *n >= 1.0)
                .map(|n| n as usize),
            wildcards: vals.iter().skip(3).flatten().cloned().collect(),
        }
    }
}
