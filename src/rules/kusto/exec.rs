//! Running Kusto's tabular operators. Tables are rows of named values;
//! rows read from events stay backed by the event document until an
//! operator fixes their columns, and every row carries references to the
//! events behind it, through joins and summarize.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value as Json;

use super::ast::{Expr, JoinKind, Let, Op, Query, Tabular};
use super::eval::{Ctx, Row, eval};
use super::parser::default_name;
use super::value::{KV, date_from_str};
use crate::detect::EventRef;

/// A document behind a row, with how to look its fields up.
pub struct Doc {
    pub get: Box<dyn Fn(&str) -> KV + Send + Sync>,
    pub columns: Vec<String>,
}

#[derive(Clone)]
pub struct KRow {
    pub cols: Vec<(String, KV)>,
    pub doc: Option<Arc<Doc>>,
    pub evidence: Vec<EventRef>,
}

impl Row for KRow {
    fn get(&self, name: &str) -> KV {
        if let Some((_, v)) = self.cols.iter().rev().find(|(n, _)| n == name) {
            return v.clone();
        }
        match &self.doc {
            Some(d) => (d.get)(name),
            None => KV::Null,
        }
    }
}

#[derive(Clone, Default)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<KRow>,
}

impl Table {
    pub fn to_json_rows(&self) -> Vec<Json> {
        self.rows
            .iter()
            .map(|r| {
                let mut m = serde_json::Map::new();
                for c in &self.columns {
                    m.insert(c.clone(), render(&r.get(c)));
                }
                Json::Object(m)
            })
            .collect()
    }

    /// Fixes every row's columns to the table's, dropping documents.
    fn materialize(&mut self) {
        let cols = self.columns.clone();
        for r in &mut self.rows {
            if r.doc.is_some() {
                let vals: Vec<(String, KV)> = cols.iter().map(|c| (c.clone(), r.get(c))).collect();
                r.cols = vals;
                r.doc = None;
            }
        }
    }
}

pub fn render(v: &KV) -> Json {
    match v {
        KV::Date(t) => Json::String(super::value::format_date(*t)),
        KV::Span(t) => Json::String(super::value::format_span(*t)),
        other => other.to_dyn(),
    }
}

/// Where named tables come from: the loaded events, grouped by table.
pub type Tables = HashMap<String, Table>;

pub struct Exec<'a> {
    pub tables: &'a Tables,
    pub ctx: Ctx,
    lets: HashMap<String, LetValue>,
}

#[derive(Clone)]
enum LetValue {
    Scalar(KV),
    Table(Table),
}

struct Empty;

impl Row for Empty {
    fn get(&self, _: &str) -> KV {
        KV::Null
    }
}

struct WithLets<'r> {
    row: &'r dyn Row,
    lets: &'r HashMap<String, LetValue>,
}

impl Row for WithLets<'_> {
    fn get(&self, name: &str) -> KV {
        match self.row.get(name) {
            KV::Null => match self.lets.get(name) {
                Some(LetValue::Scalar(v)) => v.clone(),
                _ => KV::Null,
            },
            v => v,
        }
    }
}

impl<'a> Exec<'a> {
    pub fn new(tables: &'a Tables, now_ticks: i64) -> Exec<'a> {
        Exec {
            tables,
            ctx: Ctx { now: now_ticks },
            lets: HashMap::new(),
        }
    }

    fn ev(&self, e: &Expr, row: &dyn Row) -> KV {
        eval(
            e,
            &WithLets {
                row,
                lets: &self.lets,
            },
            &self.ctx,
        )
    }

    pub fn run(&mut self, q: &Query) -> Table {
        for l in &q.lets {
            match l {
                Let::Scalar(name, e) => {
                    // `let T = SigninLogs;` names a table.
                    if let Expr::Column(c, _) = e {
                        if let Some(t) = self.table_named(c) {
                            self.lets.insert(name.clone(), LetValue::Table(t));
                            continue;
                        }
                    }
                    let v = self.ev(e, &Empty);
                    self.lets.insert(name.clone(), LetValue::Scalar(v));
                }
                Let::Table(name, t) => {
                    let t = self.tabular(t);
                    self.lets.insert(name.clone(), LetValue::Table(t));
                }
            }
        }
        self.tabular(&q.body)
    }

    fn table_named(&self, name: &str) -> Option<Table> {
        match self.lets.get(name) {
            Some(LetValue::Table(t)) => Some(t.clone()),
            _ => self.tables.get(name).cloned(),
        }
    }

    fn tabular(&mut self, t: &Tabular) -> Table {
        match t {
            Tabular::Source(name, _) => self.table_named(name).unwrap_or_default(),
            Tabular::Pipe(src, op) => {
                let input = self.tabular(src);
                self.op(input, op)
            }
            Tabular::Datatable { columns, values } => {
                let names: Vec<String> = columns.iter().map(|(n, _)| n.clone()).collect();
                let mut rows = Vec::new();
                if !names.is_empty() {
                    for chunk in values.chunks(names.len()) {
                        let cols = names
                            .iter()
                            .zip(chunk)
                            .zip(columns)
                            .map(|((n, e), (_, ty))| (n.clone(), typed(self.ev(e, &Empty), ty)))
                            .collect();
                        rows.push(KRow {
                            cols,
                            doc: None,
                            evidence: Vec::new(),
                        });
                    }
                }
                Table {
                    columns: names,
                    rows,
                }
            }
            Tabular::Print(items) => {
                let mut cols = Vec::new();
                for (i, (n, e)) in items.iter().enumerate() {
                    let name = n.clone().unwrap_or_else(|| format!("print_{i}"));
                    cols.push((name, self.ev(e, &Empty)));
                }
                Table {
                    columns: cols.iter().map(|(n, _)| n.clone()).collect(),
                    rows: vec![KRow {
                        cols,
                        doc: None,
                        evidence: Vec::new(),
                    }],
                }
            }
            Tabular::Range {
                column,
                from,
                to,
                step,
            } => {
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
                        cols: vec![(column.clone(), cur.clone())],
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
                    columns: vec![column.clone()],
                    rows,
                }
            }
            Tabular::Union(parts) => {
                let tables: Vec<Table> = parts.iter().map(|p| self.tabular(p)).collect();
                union(tables)
            }
        }
    }

    fn op(&mut self, mut t: Table, op: &Op) -> Table {
        match op {
            Op::Where(e) => {
                t.rows.retain(|r| matches!(self.ev(e, r), KV::Bool(true)));
                t
            }
            Op::Project(items) => {
                let rows = t
                    .rows
                    .iter()
                    .map(|r| KRow {
                        cols: items
                            .iter()
                            .map(|(n, e)| {
                                let v = match e {
                                    Some(e) => self.ev(e, r),
                                    None => r.get(n),
                                };
                                (n.clone(), v)
                            })
                            .collect(),
                        doc: None,
                        evidence: r.evidence.clone(),
                    })
                    .collect();
                Table {
                    columns: items.iter().map(|(n, _)| n.clone()).collect(),
                    rows,
                }
            }
            Op::ProjectAway(names) | Op::ProjectKeep(names) => {
                let keep = matches!(op, Op::ProjectKeep(_));
                let hit = |c: &str| names.iter().any(|n| name_matches(n, c));
                t.materialize();
                let cols: Vec<String> = t
                    .columns
                    .iter()
                    .filter(|c| hit(c) == keep)
                    .cloned()
                    .collect();
                for r in &mut t.rows {
                    r.cols.retain(|(n, _)| cols.contains(n));
                }
                t.columns = cols;
                t
            }
            Op::ProjectRename(pairs) => {
                t.materialize();
                for (new, old) in pairs {
                    for c in &mut t.columns {
                        if c == old {
                            *c = new.clone();
                        }
                    }
                    for r in &mut t.rows {
                        for (n, _) in &mut r.cols {
                            if n == old {
                                *n = new.clone();
                            }
                        }
                    }
                }
                t
            }
            Op::Extend(items) => {
                for (n, e) in items {
                    let name = n.clone().unwrap_or_else(|| default_name(e));
                    for i in 0..t.rows.len() {
                        let v = self.ev(e, &t.rows[i]);
                        let r = &mut t.rows[i];
                        r.cols.retain(|(c, _)| *c != name);
                        r.cols.push((name.clone(), v));
                    }
                    if !t.columns.contains(&name) {
                        t.columns.push(name);
                    }
                }
                t
            }
            Op::Summarize { aggs, by } => self.summarize(t, aggs, by),
            Op::Join { kind, right, on } => {
                let r = self.tabular(right);
                self.join(t, r, *kind, on)
            }
            Op::Sort(keys) => {
                let mut keyed: Vec<(Vec<KV>, KRow)> = t
                    .rows
                    .into_iter()
                    .map(|r| (keys.iter().map(|(e, _, _)| self.ev(e, &r)).collect(), r))
                    .collect();
                keyed.sort_by(|(a, _), (b, _)| {
                    for (i, (_, desc, nulls_first)) in keys.iter().enumerate() {
                        let nf = nulls_first.unwrap_or(!desc);
                        let o = match (a[i].is_null(), b[i].is_null()) {
                            (true, true) => std::cmp::Ordering::Equal,
                            (true, false) => {
                                if nf {
                                    std::cmp::Ordering::Less
                                } else {
                                    std::cmp::Ordering::Greater
                                }
                            }
                            (false, true) => {
                                if nf {
                                    std::cmp::Ordering::Greater
                                } else {
                                    std::cmp::Ordering::Less
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
                    std::cmp::Ordering::Equal
                });
                t.rows = keyed.into_iter().map(|(_, r)| r).collect();
                t
            }
            Op::Top { n, by, desc } => {
                let sorted = self.op(t, &Op::Sort(vec![(by.clone(), *desc, None)]));
                self.op(sorted, &Op::Take(n.clone()))
            }
            Op::Take(n) => {
                if let KV::Long(n) = self.ev(n, &Empty) {
                    t.rows.truncate(usize::try_from(n).unwrap_or(0));
                }
                t
            }
            Op::Distinct(names) => {
                let cols = if names.is_empty() {
                    t.columns.clone()
                } else {
                    names.clone()
                };
                let mut seen = std::collections::HashSet::new();
                let mut rows = Vec::new();
                for r in &t.rows {
                    let vals: Vec<(String, KV)> =
                        cols.iter().map(|c| (c.clone(), r.get(c))).collect();
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
            Op::Count => Table {
                columns: vec!["Count".into()],
                rows: vec![KRow {
                    cols: vec![("Count".into(), KV::Long(t.rows.len() as i64))],
                    doc: None,
                    evidence: t.rows.iter().flat_map(|r| r.evidence.clone()).collect(),
                }],
            },
            Op::MvExpand(items) => {
                t.materialize();
                for (n, e) in items {
                    let name = n.clone().unwrap_or_else(|| default_name(e));
                    let mut out = Vec::new();
                    for r in &t.rows {
                        match self.ev(e, r) {
                            // A property bag expands into one-key bags.
                            KV::Dyn(Json::Object(m)) => {
                                for (k, v) in m {
                                    let mut one = serde_json::Map::new();
                                    one.insert(k, v);
                                    let mut nr = r.clone();
                                    nr.cols.retain(|(c, _)| *c != name);
                                    nr.cols.push((name.clone(), KV::Dyn(Json::Object(one))));
                                    out.push(nr);
                                }
                            }
                            KV::Dyn(Json::Array(a)) => {
                                for item in a {
                                    let mut nr = r.clone();
                                    nr.cols.retain(|(c, _)| *c != name);
                                    nr.cols.push((name.clone(), KV::Dyn(item)));
                                    out.push(nr);
                                }
                            }
                            v => {
                                let mut nr = r.clone();
                                nr.cols.retain(|(c, _)| *c != name);
                                nr.cols.push((name.clone(), v));
                                out.push(nr);
                            }
                        }
                    }
                    t.rows = out;
                    if !t.columns.contains(&name) {
                        t.columns.push(name);
                    }
                }
                t
            }
            Op::Union(parts) => {
                let mut tables = vec![t];
                tables.extend(parts.iter().map(|p| self.tabular(p)));
                union(tables)
            }
            Op::Unsupported(..) => t,
        }
    }

    fn summarize(
        &mut self,
        t: Table,
        aggs: &[(Option<String>, Expr)],
        by: &[(Option<String>, Expr)],
    ) -> Table {
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
                    if first && !columns.contains(&name) {
                        columns.push(name.clone());
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
                    if !columns.contains(&name) {
                        columns.push(name);
                    }
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

    fn aggregate(&self, name: Option<&str>, e: &Expr, rows: &[&KRow]) -> Vec<(String, KV)> {
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
        let col = |prefix: &str| -> String {
            name.map(str::to_string)
                .unwrap_or_else(|| match args.first() {
                    Some(Expr::Column(c, _)) => format!("{prefix}_{c}"),
                    _ => format!("{prefix}_"),
                })
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
            "dcount" => KV::Long(distinct(vals(0)).len() as i64),
            "dcountif" => {
                let c = cond(1);
                KV::Long(
                    distinct(
                        vals(0)
                            .into_iter()
                            .zip(c)
                            .filter(|(_, b)| *b)
                            .map(|(v, _)| v)
                            .collect(),
                    )
                    .len() as i64,
                )
            }
            "make_set" | "make_list" | "make_set_if" | "make_list_if" => {
                let mut vs = vals(0);
                if f.ends_with("_if") {
                    vs = vs
                        .into_iter()
                        .zip(cond(1))
                        .filter(|(_, b)| *b)
                        .map(|(v, _)| v)
                        .collect();
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
                let picked: Vec<KV> = vals(0)
                    .into_iter()
                    .zip(cond(1))
                    .filter(|(v, b)| *b && !v.is_null())
                    .map(|(v, _)| v)
                    .collect();
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
            "make_list" | "make_list_if" => "list",
            other => other,
        };
        vec![(
            if (f == "count" && args.is_empty()) || f == "countif" {
                name.map(str::to_string).unwrap_or_else(|| format!("{f}_"))
            } else {
                col(prefix)
            },
            v,
        )]
    }

    fn join(&mut self, left: Table, right: Table, kind: JoinKind, on: &[(Expr, Expr)]) -> Table {
        let key = |ex: &Exec, r: &KRow, side: usize| -> Option<String> {
            let parts: Vec<KV> = on
                .iter()
                .map(|(l, rt)| ex.ev(if side == 0 { l } else { rt }, r))
                .collect();
            if parts.iter().any(|p| p.is_null()) {
                return None;
            }
            Some(parts.iter().map(KV::key).collect::<Vec<_>>().join("\u{1}"))
        };
        let mut left = left;
        let mut right = right;
        left.materialize();
        right.materialize();
        let left_keys: Vec<Option<String>> = left.rows.iter().map(|r| key(self, r, 0)).collect();
        let right_keys: Vec<Option<String>> = right.rows.iter().map(|r| key(self, r, 1)).collect();
        let mut by_key: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, k) in right_keys.iter().enumerate() {
            if let Some(k) = k {
                by_key.entry(k.as_str()).or_default().push(i);
            }
        }
        // Right columns that clash with left ones get a `1` suffix.
        let right_names: Vec<String> = right
            .columns
            .iter()
            .map(|c| {
                if left.columns.contains(c) {
                    format!("{c}1")
                } else {
                    c.clone()
                }
            })
            .collect();
        let combine = |l: Option<&KRow>, r: Option<&KRow>| -> KRow {
            let mut cols = Vec::new();
            for c in &left.columns {
                cols.push((c.clone(), l.map_or(KV::Null, |l| l.get(c))));
            }
            for (c, out) in right.columns.iter().zip(&right_names) {
                cols.push((out.clone(), r.map_or(KV::Null, |r| r.get(c))));
            }
            let mut evidence: Vec<EventRef> = l.map(|l| l.evidence.clone()).unwrap_or_default();
            evidence.extend(r.map(|r| r.evidence.clone()).unwrap_or_default());
            KRow {
                cols,
                doc: None,
                evidence,
            }
        };
        let both_columns = || {
            let mut c = left.columns.clone();
            c.extend(right_names.iter().cloned());
            c
        };
        let mut rows = Vec::new();
        let columns;
        match kind {
            JoinKind::Inner
            | JoinKind::InnerUnique
            | JoinKind::LeftOuter
            | JoinKind::FullOuter
            | JoinKind::RightOuter => {
                columns = both_columns();
                let mut seen_left = std::collections::HashSet::new();
                let mut right_used = vec![false; right.rows.len()];
                for (i, l) in left.rows.iter().enumerate() {
                    let k = left_keys[i].as_deref();
                    // innerunique keeps one left row per key.
                    if kind == JoinKind::InnerUnique {
                        match k {
                            Some(k) if !seen_left.insert(k.to_string()) => continue,
                            _ => {}
                        }
                    }
                    let matches = k.and_then(|k| by_key.get(k)).cloned().unwrap_or_default();
                    for j in &matches {
                        right_used[*j] = true;
                        rows.push(combine(Some(l), Some(&right.rows[*j])));
                    }
                    if matches.is_empty()
                        && matches!(kind, JoinKind::LeftOuter | JoinKind::FullOuter)
                    {
                        rows.push(combine(Some(l), None));
                    }
                }
                if matches!(kind, JoinKind::RightOuter | JoinKind::FullOuter) {
                    for (j, r) in right.rows.iter().enumerate() {
                        if !right_used[j] {
                            rows.push(combine(None, Some(r)));
                        }
                    }
                }
            }
            JoinKind::LeftSemi | JoinKind::LeftAnti => {
                columns = left.columns.clone();
                for (i, l) in left.rows.iter().enumerate() {
                    let hit = left_keys[i]
                        .as_deref()
                        .is_some_and(|k| by_key.contains_key(k));
                    if hit == (kind == JoinKind::LeftSemi) {
                        rows.push(l.clone());
                    }
                }
            }
            JoinKind::RightSemi | JoinKind::RightAnti => {
                columns = right.columns.clone();
                let left_set: std::collections::HashSet<&str> =
                    left_keys.iter().flatten().map(String::as_str).collect();
                for (j, r) in right.rows.iter().enumerate() {
                    let hit = right_keys[j]
                        .as_deref()
                        .is_some_and(|k| left_set.contains(k));
                    if hit == (kind == JoinKind::RightSemi) {
                        rows.push(r.clone());
                    }
                }
            }
        }
        Table { columns, rows }
    }
}

fn lit(v: &KV) -> Expr {
    match v {
        KV::Long(n) => Expr::Long(*n),
        KV::Real(f) => Expr::Real(*f),
        KV::Span(t) => Expr::Timespan(*t),
        KV::Date(t) => Expr::Call {
            name: "datetime#literal".into(),
            args: vec![Expr::Str(super::value::format_date(*t))],
            span: Default::default(),
        },
        _ => Expr::Null(Default::default()),
    }
}

fn typed(v: KV, ty: &str) -> KV {
    match (ty, v) {
        ("datetime" | "date", KV::Str(s)) => date_from_str(&s).map_or(KV::Null, KV::Date),
        ("real" | "double", KV::Long(n)) => KV::Real(n as f64),
        ("string", KV::Null) => KV::Str(String::new()),
        ("dynamic", KV::Str(s)) => KV::Dyn(Json::String(s)),
        (_, v) => v,
    }
}

fn name_matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => pattern == name,
    }
}

fn order(a: &KV, b: &KV) -> std::cmp::Ordering {
    match (a, b) {
        (KV::Date(x), KV::Date(y)) | (KV::Span(x), KV::Span(y)) => x.cmp(y),
        _ => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal),
            _ => a.to_text().cmp(&b.to_text()),
        },
    }
}

fn union(tables: Vec<Table>) -> Table {
    let mut columns: Vec<String> = Vec::new();
    for t in &tables {
        for c in &t.columns {
            if !columns.contains(c) {
                columns.push(c.clone());
            }
        }
    }
    let rows = tables.into_iter().flat_map(|t| t.rows).collect();
    Table { columns, rows }
}
