//! `summarize`: groups, aggregations (also inside expressions such as
//! `100 * count()`), and the evidence of every group.

use std::collections::HashMap;

use serde_json::Value as Json;

use super::ast::Expr;
use super::exec::{Empty, Exec, KRow, Table, add_column, lit};
use super::ordering::order;
use super::parser::default_name;
use super::value::KV;
use crate::detect::EventRef;

impl Exec<'_> {
    pub(super) fn summarize(
        &mut self,
        mut t: Table,
        aggs: &[(Option<String>, Expr)],
        by: &[(Option<String>, Expr)],
    ) -> Table {
        // `arg_max(x, *)` copies every column of the row it picks, whether
        // the row holds it or looks it up in its event.
        if aggs.iter().any(|(_, e)| {
            matches!(e, Expr::Call { args, .. } if args.iter().any(|a| matches!(a, Expr::Star)))
        }) {
            t.fill();
        }
        let by_names: Vec<String> = by
            .iter()
            .map(|(n, e)| n.clone().unwrap_or_else(|| default_name(e)))
            .collect();
        let mut order: Vec<String> = Vec::new();
        let mut groups: HashMap<String, (Vec<KV>, Vec<usize>)> = HashMap::new();
        for (i, r) in t.rows.iter().enumerate() {
            let key_vals: Vec<KV> = by.iter().map(|(_, e)| self.ev(e, r)).collect();
            let key = key_vals
                .iter()
                .map(KV::key)
                .collect::<Vec<_>>()
                .join("\u{1}");
            match groups.get_mut(&key) {
                Some(g) => g.1.push(i),
                None => {
                    order.push(key.clone());
                    groups.insert(key, (key_vals, vec![i]));
                }
            }
        }
        if groups.is_empty() && by.is_empty() {
            order.push(String::new());
            groups.insert(String::new(), (Vec::new(), Vec::new()));
        }
        let mut columns = by_names.clone();
        let mut out_rows = Vec::new();
        let mut first = true;
        for key in order {
            let (key_vals, members) = &groups[&key];
            let rows: Vec<&KRow> = members.iter().map(|i| &t.rows[*i]).collect();
            let mut cols: Vec<(String, KV)> = by_names
                .iter()
                .cloned()
                .zip(key_vals.iter().cloned())
                .collect();
            for (n, e) in aggs {
                for (mut name, v) in self.aggregate(n.as_deref(), e, &rows) {
                    // arg_max(x, *) does not repeat the grouping columns.
                    let star_pick = matches!(e, Expr::Call { name: f, args, .. }
                        if (f == "arg_max" || f == "arg_min") && args.iter().any(|a| matches!(a, Expr::Star)));
                    if star_pick && by_names.contains(&name) {
                        continue;
                    }
                    // A second column of the same name gets a number.
                    if cols.iter().any(|(c, _)| *c == name) {
                        let base = name.clone();
                        let mut k = 1;
                        while cols.iter().any(|(c, _)| *c == name) {
                            name = format!("{base}{k}");
                            k += 1;
                        }
                    }
                    if first {
                        add_column(&mut columns, &name);
                    }
                    cols.push((name, v));
                }
            }
            first = false;
            let mut evidence: Vec<EventRef> = rows
                .iter()
                .flat_map(|r| r.evidence.iter().copied())
                .collect();
            evidence.sort();
            evidence.dedup();
            out_rows.push(KRow {
                cols,
                doc: None,
                evidence,
            });
        }
        if out_rows.is_empty() {
            for (n, e) in aggs {
                for (name, _) in self.aggregate(n.as_deref(), e, &[]) {
                    add_column(&mut columns, &name);
                }
            }
        }
        Table {
            columns,
            rows: out_rows,
        }
    }

    /// An expression with aggregations inside (`100 * count()`): each
    /// aggregation is computed over the group, then the expression.
    fn nested_aggregate(&self, e: &Expr, rows: &[&KRow]) -> KV {
        fn replace(ex: &Exec, e: &Expr, rows: &[&KRow]) -> Expr {
            match e {
                Expr::Call { name, .. }
                    if super::eval::AGGREGATE.iter().any(|(n, _, _)| n == name) =>
                {
                    let v = ex
                        .aggregate(Some("v"), e, rows)
                        .into_iter()
                        .next()
                        .map_or(KV::Null, |(_, v)| v);
                    match v {
                        KV::Str(s) => Expr::Str(s),
                        other => lit(&other),
                    }
                }
                Expr::Call { name, args, span } => Expr::Call {
                    name: name.clone(),
                    args: args.iter().map(|a| replace(ex, a, rows)).collect(),
                    span: *span,
                },
                Expr::Bin(op, a, b) => Expr::Bin(
                    *op,
                    Box::new(replace(ex, a, rows)),
                    Box::new(replace(ex, b, rows)),
                ),
                Expr::Neg(a) => Expr::Neg(Box::new(replace(ex, a, rows))),
                other => other.clone(),
            }
        }
        let e = replace(self, e, rows);
        match rows.first() {
            Some(r) => self.ev(&e, *r),
            None => self.ev(&e, &Empty),
        }
    }

    pub(super) fn aggregate(
        &self,
        name: Option<&str>,
        e: &Expr,
        rows: &[&KRow],
    ) -> Vec<(String, KV)> {
        let plain_call = matches!(e, Expr::Call { name, .. } if super::eval::AGGREGATE.iter().any(|(n, _, _)| n == name));
        let Expr::Call { name: f, args, .. } = e else {
            return vec![(
                name.unwrap_or("Column1").to_string(),
                self.nested_aggregate(e, rows),
            )];
        };
        if !plain_call {
            let n = name.map(str::to_string).unwrap_or_else(|| default_name(e));
            return vec![(n, self.nested_aggregate(e, rows))];
        }
        // Named after the column the argument reads, through conversions
        // (`sum(todouble(x))` is `sum_x`).
        let col = |prefix: &str| -> String {
            name.map(str::to_string).unwrap_or_else(|| {
                let mut first = None;
                if let Some(a) = args.first() {
                    a.walk(&mut |x| {
                        if let (None, Expr::Column(c, _)) = (&first, x) {
                            first = Some(c.clone());
                        }
                    });
                }
                format!("{prefix}_{}", first.unwrap_or_default())
            })
        };
        // `percentile`'s percentage, 50 when not given.
        let percent = || {
            args.get(1)
                .map(|a| self.ev(a, &Empty))
                .and_then(|v| v.as_f64())
                .unwrap_or(50.0)
        };
        let vals = |i: usize| -> Vec<KV> {
            rows.iter()
                .map(|r| args.get(i).map_or(KV::Null, |a| self.ev(a, *r)))
                .collect()
        };
        let cond = |i: usize| -> Vec<bool> {
            vals(i)
                .into_iter()
                .map(|v| matches!(v, KV::Bool(true)))
                .collect()
        };
        // The values of argument `i` on the rows where argument `c` holds.
        let when = |i: usize, c: usize| -> Vec<KV> {
            vals(i)
                .into_iter()
                .zip(cond(c))
                .filter(|(_, b)| *b)
                .map(|(v, _)| v)
                .collect()
        };
        let non_null = |v: &KV| !matches!(v, KV::Null | KV::Dyn(Json::Null));
        let distinct = |vs: Vec<KV>| -> Vec<KV> {
            let mut seen = std::collections::HashSet::new();
            vs.into_iter()
                .filter(|v| non_null(v) && seen.insert(v.key()))
                .collect()
        };
        let v = match f.as_str() {
            "count" => KV::Long(rows.len() as i64),
            "countif" => KV::Long(cond(0).iter().filter(|b| **b).count() as i64),
            // Offline, every distinct count is exact.
            "dcount" | "count_distinct" => KV::Long(distinct(vals(0)).len() as i64),
            "tdigest" => {
                let mut d = super::digest::Digest::new();
                let weights: Vec<f64> = if args.len() > 1 {
                    vals(1).iter().map(|w| w.as_f64().unwrap_or(0.0)).collect()
                } else {
                    vec![1.0; rows.len()]
                };
                for (v, w) in vals(0).iter().zip(weights) {
                    d.add(v, w);
                }
                d.into_kv()
            }
            "tdigest_merge" | "merge_tdigest" => super::digest::merge_all(&vals(0)),
            "buildschema" => {
                let schema = vals(0)
                    .iter()
                    .filter_map(super::schema::schema_of)
                    .reduce(super::schema::merge_schema);
                schema.map_or(KV::Null, KV::Dyn)
            }
            "hll" | "hll_if" => {
                let mut vs = vals(0);
                let accuracy_at = if f == "hll_if" {
                    vs = when(0, 1);
                    2
                } else {
                    1
                };
                let accuracy = match args.get(accuracy_at).map(|a| self.ev(a, &Empty)) {
                    Some(KV::Long(a)) => a,
                    _ => 1,
                };
                // A group with no values has no sketch, as in Kusto.
                if vs.iter().all(KV::is_null) {
                    KV::Null
                } else {
                    super::sketch::of(vs.iter(), accuracy)
                }
            }
            "hll_merge" => super::sketch::merge(vals(0).iter()),
            "dcountif" | "count_distinctif" => KV::Long(distinct(when(0, 1)).len() as i64),
            "make_set" | "make_list" | "make_set_if" | "make_list_if" => {
                let mut vs = vals(0);
                if f.ends_with("_if") {
                    vs = when(0, 1);
                }
                let mut items: Vec<Json> = if f.starts_with("make_set") {
                    distinct(vs).iter().map(KV::to_dyn).collect()
                } else {
                    vs.iter().filter(|v| !v.is_null()).map(KV::to_dyn).collect()
                };
                let cap_arg = if f.ends_with("_if") { 2 } else { 1 };
                if let Some(KV::Long(cap)) = args.get(cap_arg).map(|a| self.ev(a, &Empty)) {
                    items.truncate(usize::try_from(cap).unwrap_or(0));
                }
                KV::Dyn(Json::Array(items))
            }
            // Bags merged; a key met again keeps its first value.
            "make_bag" | "make_bag_if" => {
                let mut vs = vals(0);
                if f == "make_bag_if" {
                    vs = when(0, 1);
                }
                let cap_arg = if f == "make_bag_if" { 2 } else { 1 };
                let cap = match args.get(cap_arg).map(|a| self.ev(a, &Empty)) {
                    Some(KV::Long(c)) => usize::try_from(c).unwrap_or(0),
                    _ => usize::MAX,
                };
                let mut bag = serde_json::Map::new();
                for v in vs {
                    if let KV::Dyn(Json::Object(m)) = v {
                        for (k, x) in m {
                            if bag.len() >= cap {
                                break;
                            }
                            bag.entry(k).or_insert(x);
                        }
                    }
                }
                KV::Dyn(Json::Object(bag))
            }
            "take_anyif" => rows
                .iter()
                .zip(cond(1))
                .find(|(_, b)| *b)
                .map_or(KV::Null, |(r, _)| self.ev(&args[0], *r)),
            "min" | "max" => {
                let mut vs: Vec<KV> = vals(0).into_iter().filter(non_null).collect();
                vs.sort_by(order);
                if f == "min" {
                    vs.into_iter().next()
                } else {
                    vs.pop()
                }
                .unwrap_or(KV::Null)
            }
            "sumif" | "avgif" | "maxif" | "minif" => {
                let picked: Vec<KV> = when(0, 1).into_iter().filter(|v| !v.is_null()).collect();
                match f.as_str() {
                    "sumif" => {
                        if picked.iter().all(|v| matches!(v, KV::Long(_))) {
                            KV::Long(
                                picked
                                    .iter()
                                    .map(|v| if let KV::Long(n) = v { *n } else { 0 })
                                    .sum(),
                            )
                        } else {
                            KV::Real(picked.iter().filter_map(KV::as_f64).sum())
                        }
                    }
                    "avgif" => {
                        let v: Vec<f64> = picked.iter().filter_map(KV::as_f64).collect();
                        if v.is_empty() {
                            KV::Null
                        } else {
                            KV::Real(v.iter().sum::<f64>() / v.len() as f64)
                        }
                    }
                    _ => {
                        let mut v = picked;
                        v.sort_by(order);
                        if f == "minif" {
                            v.into_iter().next()
                        } else {
                            v.pop()
                        }
                        .unwrap_or(KV::Null)
                    }
                }
            }
            "stdev" | "stdevp" | "variance" | "variancep" | "stdevif" | "varianceif"
            | "variancepif" => {
                let mut xs: Vec<f64> = vals(0).iter().filter_map(KV::as_f64).collect();
                if f.ends_with("if") {
                    xs = vals(0)
                        .iter()
                        .zip(cond(1))
                        .filter(|(_, b)| *b)
                        .filter_map(|(v, _)| v.as_f64())
                        .collect();
                }
                let n = xs.len() as f64;
                // Sample statistics divide by n - 1, population ("p") by n.
                let population = f == "variancep" || f == "stdevp";
                let denom = if population { n } else { n - 1.0 };
                if xs.is_empty() || denom <= 0.0 {
                    KV::Real(0.0)
                } else {
                    let mean = xs.iter().sum::<f64>() / n;
                    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / denom;
                    KV::Real(if f.starts_with("stdev") {
                        var.sqrt()
                    } else {
                        var
                    })
                }
            }
            "percentile" => {
                let mut xs: Vec<KV> = vals(0).into_iter().filter(|v| !v.is_null()).collect();
                xs.sort_by(order);
                let p = percent();
                if xs.is_empty() {
                    KV::Null
                } else {
                    // Nearest rank, as Kusto's percentile picks a value
                    // that occurs in the data.
                    let rank = ((p / 100.0) * xs.len() as f64).ceil().max(1.0) as usize;
                    xs[rank.min(xs.len()) - 1].clone()
                }
            }
            "make_list_with_nulls" => {
                let mut items: Vec<Json> = vals(0).iter().map(KV::to_dyn).collect();
                if let Some(KV::Long(cap)) = args.get(1).map(|a| self.ev(a, &Empty)) {
                    items.truncate(usize::try_from(cap).unwrap_or(0));
                }
                KV::Dyn(Json::Array(items))
            }
            "covariance" | "covariancep" => {
                let pairs: Vec<(f64, f64)> = vals(0)
                    .iter()
                    .zip(vals(1).iter())
                    .filter_map(|(x, y)| Some((x.as_f64()?, y.as_f64()?)))
                    .collect();
                let n = pairs.len() as f64;
                let denom = if f == "covariancep" { n } else { n - 1.0 };
                if denom <= 0.0 {
                    KV::Real(0.0)
                } else {
                    let mx = pairs.iter().map(|p| p.0).sum::<f64>() / n;
                    let my = pairs.iter().map(|p| p.1).sum::<f64>() / n;
                    KV::Real(pairs.iter().map(|(x, y)| (x - mx) * (y - my)).sum::<f64>() / denom)
                }
            }
            "binary_all_and" | "binary_all_or" | "binary_all_xor" => {
                let longs: Vec<i64> = vals(0)
                    .iter()
                    .filter_map(|v| match v {
                        KV::Long(n) => Some(*n),
                        _ => None,
                    })
                    .collect();
                let folded = match f.as_str() {
                    "binary_all_and" => longs.iter().copied().reduce(|a, b| a & b),
                    "binary_all_or" => longs.iter().copied().reduce(|a, b| a | b),
                    _ => longs.iter().copied().reduce(|a, b| a ^ b),
                };
                folded.map_or(KV::Null, KV::Long)
            }
            "percentiles" | "percentiles_array" | "percentilesw" | "percentilesw_array" => {
                let weighted = f.starts_with("percentilesw");
                let weights: Vec<i64> = if weighted {
                    vals(1)
                        .iter()
                        .map(|w| w.as_f64().map_or(0, |x| x.max(0.0) as i64))
                        .collect()
                } else {
                    vec![1; rows.len()]
                };
                let mut xs: Vec<(KV, i64)> = vals(0)
                    .into_iter()
                    .zip(weights)
                    .filter(|(v, w)| !v.is_null() && *w > 0)
                    .collect();
                xs.sort_by(|a, b| order(&a.0, &b.0));
                let total: i64 = xs.iter().map(|(_, w)| w).sum();
                let first_p = if weighted { 2 } else { 1 };
                let ps: Vec<f64> = args[first_p..]
                    .iter()
                    .filter_map(|a| self.ev(a, &Empty).as_f64())
                    .collect();
                let pick = |p: f64| -> KV {
                    let rank = ((p / 100.0) * total as f64).ceil().max(1.0) as i64;
                    let mut seen = 0;
                    for (v, w) in &xs {
                        seen += w;
                        if seen >= rank {
                            return v.clone();
                        }
                    }
                    xs.last().map_or(KV::Null, |(v, _)| v.clone())
                };
                // Named after the first column the expression reads, as
                // `percentile` is: `percentiles(toint(x), 50)` gives
                // `percentile_x_50`.
                let mut base = String::from("percentile_");
                if let Some(a) = args.first() {
                    let mut found = false;
                    a.walk(&mut |x| {
                        if let (false, Expr::Column(c, _)) = (found, x) {
                            base.push_str(c);
                            found = true;
                        }
                    });
                }
                if f.ends_with("_array") {
                    let arr = ps.iter().map(|p| pick(*p).to_dyn()).collect();
                    return vec![(name.map_or(base, str::to_string), KV::Dyn(Json::Array(arr)))];
                }
                return ps
                    .iter()
                    .map(|p| {
                        let label = percent_label(*p);
                        (format!("{base}_{label}"), pick(*p))
                    })
                    .collect();
            }
            "sum" => {
                let vs: Vec<KV> = vals(0).into_iter().filter(|v| !v.is_null()).collect();
                if vs.iter().all(|v| matches!(v, KV::Long(_))) {
                    KV::Long(
                        vs.iter()
                            .map(|v| if let KV::Long(n) = v { *n } else { 0 })
                            .sum(),
                    )
                } else {
                    KV::Real(vs.iter().filter_map(KV::as_f64).sum())
                }
            }
            "avg" => {
                let vs: Vec<f64> = vals(0).iter().filter_map(KV::as_f64).collect();
                if vs.is_empty() {
                    KV::Null
                } else {
                    KV::Real(vs.iter().sum::<f64>() / vs.len() as f64)
                }
            }
            "arg_max" | "arg_min" => {
                let vs = vals(0);
                let mut best: Option<usize> = None;
                for (i, v) in vs.iter().enumerate() {
                    if v.is_null() {
                        continue;
                    }
                    let better = match best {
                        None => true,
                        Some(b) => {
                            let o = order(v, &vs[b]);
                            if f == "arg_max" { o.is_gt() } else { o.is_lt() }
                        }
                    };
                    if better {
                        best = Some(i);
                    }
                }
                // With no non-null value, Kusto answers from the first row.
                if best.is_none() && !rows.is_empty() {
                    best = Some(0);
                }
                let first_name = name
                    .map(str::to_string)
                    .unwrap_or_else(|| default_name(&args[0]));
                let mut out = vec![(first_name, best.map_or(KV::Null, |b| vs[b].clone()))];
                for a in &args[1..] {
                    match a {
                        Expr::Star => {
                            if let Some(b) = best {
                                for (n, v) in &rows[b].cols {
                                    if !out.iter().any(|(o, _)| o == n) {
                                        out.push((n.clone(), v.clone()));
                                    }
                                }
                            }
                        }
                        other => out.push((
                            default_name(other),
                            best.map_or(KV::Null, |b| self.ev(other, rows[b])),
                        )),
                    }
                }
                return out;
            }
            "any" | "take_any" => {
                return args
                    .iter()
                    .map(|a| {
                        // `take_any(x)` keeps the column's name; `any(x)` is `any_x`.
                        let n = name.map(str::to_string).unwrap_or_else(|| {
                            if f == "take_any" {
                                default_name(a)
                            } else {
                                format!("any_{}", default_name(a))
                            }
                        });
                        (n, rows.first().map_or(KV::Null, |r| self.ev(a, *r)))
                    })
                    .collect();
            }
            _ => KV::Null,
        };
        let prefix = match f.as_str() {
            "make_set" | "make_set_if" => "set",
            "make_bag" | "make_bag_if" => "bag",
            "make_list" | "make_list_if" | "make_list_with_nulls" => "list",
            // As Kusto names it (stdevp keeps its own name).
            "variancep" => "variance",
            "buildschema" => "schema",
            other => other,
        };
        vec![(
            if (f == "count" && args.is_empty()) || f == "countif" {
                name.map(str::to_string).unwrap_or_else(|| format!("{f}_"))
            } else if let (
                None,
                "covariance" | "covariancep",
                [Expr::Column(x, _), Expr::Column(y, _)],
            ) = (name, f.as_str(), args.as_slice())
            {
                format!("{f}_{x}_{y}")
            } else if f == "percentile" && name.is_none() && args.len() > 1 {
                // Named with its percentage, as `percentiles` names each.
                format!("{}_{}", col(prefix), percent_label(percent()))
            } else {
                col(prefix)
            },
            v,
        )]
    }
}

/// A percentage as a column name writes it: `99.5` is `99_5`.
fn percent_label(p: f64) -> String {
    format!("{p}").replace('.', "_")
}
