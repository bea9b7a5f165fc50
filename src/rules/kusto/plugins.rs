//! `evaluate` plugins: unpacking bags into columns, intersecting distinct
//! count sketches, finding patterns of shared values (`autocluster`,
//! `basket`, `diffpatterns`), and joining points to the polygons or lines
//! they fall in or near (`geo_polygon_lookup`, `geo_line_lookup`).

use serde_json::Value as Json;

use super::ast::Expr;
use super::eval::Row;
use super::exec::{Empty, Exec, Table, add_column};
use super::parser::default_name;
use super::patterns::{Args, Split};
use super::value::KV;
use super::{autocluster, basket, geo, geo_shapes, sketch};

impl Exec<'_> {
    /// `evaluate PLUGIN(args)`. `bag_unpack(col [, prefix])` gives a
    /// column per key of the bag.
    pub(super) fn evaluate(
        &mut self,
        mut t: Table,
        plugin: &str,
        args: &[Expr],
        named: &[(String, Expr)],
    ) -> Table {
        if plugin == "geo_polygon_lookup" || plugin == "geo_line_lookup" {
            t.materialize();
            return self.geo_lookup(t, args, named, plugin == "geo_line_lookup");
        }
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

    /// `geo_polygon_lookup(Lookup, Lon, Lat, PolygonKey [, radius]
    /// [, return_unmatched])` and `geo_line_lookup(Lookup, Lon, Lat,
    /// LineKey, radius [, return_unmatched])`: each row joined with the
    /// lookup rows whose shape holds its point (or lies within `radius`
    /// metres of it). The older order, with the key column before the
    /// coordinates, is read too: the key is whichever names a column of
    /// the lookup table. Options may be given by position or by name.
    fn geo_lookup(
        &mut self,
        t: Table,
        args: &[Expr],
        named: &[(String, Expr)],
        line: bool,
    ) -> Table {
        let lookup = match args.first() {
            Some(Expr::Column(name, _)) => self.table_named(name).unwrap_or_default(),
            _ => Table::default(),
        };
        let mut lookup = lookup;
        lookup.materialize();
        let column = |e: Option<&Expr>| match e {
            Some(Expr::Column(c, _)) => Some(c.clone()),
            _ => None,
        };
        let key_first = column(args.get(1)).is_some_and(|c| lookup.columns.contains(&c));
        let (key, lon, lat) = if key_first {
            (column(args.get(1)), args.get(2), args.get(3))
        } else {
            (column(args.get(3)), args.get(1), args.get(2))
        };
        let (Some(key), Some(lon), Some(lat)) = (key, lon.cloned(), lat.cloned()) else {
            return Table::default();
        };
        let option = |this: &mut Self, name: &str, at: usize| -> KV {
            match named.iter().find(|(n, _)| n == name) {
                Some((_, e)) => this.ev(e, &Empty),
                None => args.get(at).map_or(KV::Null, |e| this.ev(e, &Empty)),
            }
        };
        let radius = option(self, "radius", 4)
            .as_f64()
            .filter(|r| r.is_finite() && *r >= 0.0);
        let unmatched = matches!(option(self, "return_unmatched", 5), KV::Bool(true));
        if line && radius.is_none() {
            return Table::default();
        }

        let right_names = lookup.names_beside(&t.columns);
        let absent = lookup.absent_values();
        let shapes: Vec<KV> = lookup.rows.iter().map(|r| r.get(&key)).collect();
        let mut rows = Vec::new();
        for row in &t.rows {
            let (x, y) = (self.ev(&lon, row), self.ev(&lat, row));
            let mut matched = false;
            for (shape, l) in shapes.iter().zip(&lookup.rows) {
                let point_and_shape = [x.clone(), y.clone(), shape.clone()];
                let hit = match (line, radius) {
                    (false, None) => matches!(
                        geo::call("geo_point_in_polygon", &point_and_shape),
                        Some(KV::Bool(true))
                    ),
                    (is_line, Some(r)) => {
                        let f = if is_line {
                            "geo_distance_point_to_line"
                        } else {
                            "geo_distance_point_to_polygon"
                        };
                        geo_shapes::call(f, &point_and_shape)
                            .and_then(|d| d.as_f64())
                            .is_some_and(|d| d <= r)
                    }
                    (true, None) => false,
                };
                if hit {
                    matched = true;
                    let mut out = row.clone();
                    for (c, n) in lookup.columns.iter().zip(&right_names) {
                        out.cols.push((n.clone(), l.get(c)));
                    }
                    out.evidence.extend(l.evidence.iter().copied());
                    rows.push(out);
                }
            }
            if !matched && unmatched {
                let mut out = row.clone();
                for (n, v) in right_names.iter().zip(&absent) {
                    out.cols.push((n.clone(), v.clone()));
                }
                rows.push(out);
            }
        }
        let mut columns = t.columns.clone();
        columns.extend(right_names);
        Table { columns, rows }
    }
}
