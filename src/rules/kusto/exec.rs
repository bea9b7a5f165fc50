//! Running Kusto's tabular operators. Tables are rows of named values;
//! rows read from events stay backed by the event document until an
//! operator fixes their columns, and every row carries references to the
//! events behind it, through joins and summarize.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value as Json;

use super::ast::{Expr, Let, Op, Query, Tabular};
use super::eval::{Ctx, Row, eval};
use super::ordering::distinct;
use super::parser::default_name;
use super::prepare::Columned;
use super::value::{KV, date_from_str};
use crate::detect::EventRef;

/// A document behind a row, with how to look its fields up.
/// A row's column values by name, looked up when asked.
pub type Getter = Box<dyn Fn(&str) -> KV + Send + Sync>;

pub struct Doc {
    pub get: Getter,
    /// The record itself, when values beyond the row's columns belong to
    /// it (a raw export's nested properties): `*` searches them too.
    pub record: Option<Arc<Json>>,
}

#[derive(Clone)]
pub struct KRow {
    pub cols: Vec<(String, KV)>,
    pub doc: Option<Arc<Doc>>,
    pub evidence: Vec<EventRef>,
}

impl KRow {
    /// Sets a column, replacing one of the same name.
    pub(super) fn set(&mut self, name: &str, v: KV) {
        self.cols.retain(|(c, _)| c != name);
        self.cols.push((name.to_string(), v));
    }
}

/// Adds a column name unless it is there, keeping the order of first
/// appearance.
pub(super) fn add_column(columns: &mut Vec<String>, name: &str) {
    if !columns.iter().any(|c| c == name) {
        columns.push(name.to_string());
    }
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

    /// This table's column names beside `left`'s, as a join names them:
    /// one that `left` has already gets a `1` suffix.
    pub(super) fn names_beside(&self, left: &[String]) -> Vec<String> {
        self.columns
            .iter()
            .map(|c| {
                if left.contains(c) {
                    format!("{c}1")
                } else {
                    c.clone()
                }
            })
            .collect()
    }

    /// What each column reads where a row of this table is missing (an
    /// outer join's other side, an unmatched lookup): null, except in
    /// string columns, which Kusto never leaves null and which read empty.
    /// A column is taken as text when it holds text in some row.
    pub(super) fn absent_values(&self) -> Vec<KV> {
        self.columns
            .iter()
            .map(|c| {
                if self.rows.iter().any(|r| matches!(r.get(c), KV::Str(_))) {
                    KV::Str(String::new())
                } else {
                    KV::Null
                }
            })
            .collect()
    }

    /// Fixes every row's columns to the table's, dropping documents.
    /// Copies each row's listed columns out of its event, keeping the
    /// event for names the list lacks (a `by` on a column only some shapes
    /// list still finds its value).
    pub(super) fn fill(&mut self) {
        let cols = &self.columns;
        for r in self.rows.iter_mut().filter(|r| r.doc.is_some()) {
            // In the list's order, with columns set since (`extend`) kept.
            let mut filled: Vec<(String, KV)> =
                cols.iter().map(|c| (c.clone(), r.get(c))).collect();
            filled.extend(r.cols.drain(..).filter(|(n, _)| !cols.contains(n)));
            r.cols = filled;
        }
    }

    pub(super) fn materialize(&mut self) {
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

#[cfg(test)]
impl Table {
    /// A table of text cells, for tests.
    pub(super) fn of_text(columns: &[&str], rows: &[&[&str]]) -> Table {
        Table {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: rows
                .iter()
                .map(|r| KRow {
                    cols: columns
                        .iter()
                        .zip(r.iter())
                        .map(|(c, v)| (c.to_string(), KV::Str(v.to_string())))
                        .collect(),
                    doc: None,
                    evidence: Vec::new(),
                })
                .collect(),
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
    pub(super) lets: HashMap<String, LetValue>,
}

#[derive(Clone)]
pub(super) enum LetValue {
    Scalar(KV),
    Table(Arc<Table>),
}

pub(super) struct Empty;

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

    fn scoped(&self, scope: &str, name: &str) -> Option<KV> {
        self.row.scoped(scope, name)
    }

    fn any_value(&self, test: &mut dyn FnMut(&str) -> bool) -> Option<bool> {
        self.row.any_value(test)
    }

    fn columns(&self) -> Option<&[String]> {
        self.row.columns()
    }
}

impl<'a> Exec<'a> {
    pub fn new(tables: &'a Tables, now_ticks: i64) -> Exec<'a> {
        Exec {
            tables,
            ctx: Ctx::new(now_ticks),
            lets: HashMap::new(),
        }
    }

    pub(super) fn ev(&self, e: &Expr, row: &dyn Row) -> KV {
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
        if let Some(KV::Date(t)) = q.now.as_ref().map(|e| self.ev(e, &Empty)) {
            self.ctx.now = t;
        }
        self.bind(&q.lets);
        self.tabular(&q.body)
    }

    pub(super) fn bind(&mut self, lets: &[Let]) {
        for l in lets {
            match l {
                Let::Scalar(name, e) => {
                    // `let T = SigninLogs;` names a table.
                    if let Expr::Column(c, _) = e {
                        if let Some(t) = self.table_named(c) {
                            self.lets.insert(name.clone(), LetValue::Table(Arc::new(t)));
                            continue;
                        }
                    }
                    self.prepare(e);
                    let v = self.ev(e, &Empty);
                    self.lets.insert(name.clone(), LetValue::Scalar(v));
                }
                Let::Table(name, t) => {
                    let t = self.tabular(t);
                    self.lets.insert(name.clone(), LetValue::Table(Arc::new(t)));
                }
                Let::Func(name, f) => {
                    self.ctx.funcs.insert(name.clone(), f.clone());
                }
            }
        }
    }

    pub(super) fn table_named(&self, name: &str) -> Option<Table> {
        match self.lets.get(name) {
            Some(LetValue::Table(t)) => Some(Table::clone(t)),
            _ => self.tables.get(name).cloned(),
        }
    }

    pub(super) fn tabular(&mut self, t: &Tabular) -> Table {
        match t {
            Tabular::Source(name, _) => self.table_named(name).unwrap_or_default(),
            Tabular::Pipe(src, op) => {
                let input = self.tabular(src);
                for e in op.exprs() {
                    self.prepare(e);
                }
                self.ctx.window.borrow_mut().clear();
                self.look_ahead(&input, op);
                self.op(input, op)
            }
            Tabular::Invoke { name, args, .. } => self.invoke(name, None, args),
            Tabular::Watchlist(alias, _) => self.watchlist(alias),
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
                for (_, e) in items {
                    self.prepare(e);
                }
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
            } => self.range(column, from, to, step),
            Tabular::Union(u) => self.union_of(None, u),
        }
    }

    pub(super) fn op(&mut self, mut t: Table, op: &Op) -> Table {
        match op {
            Op::Where(e) => {
                self.keep_where(&mut t, e);
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
                        let row = Columned {
                            row: &t.rows[i],
                            columns: &t.columns,
                        };
                        let v = self.ev(e, &row);
                        t.rows[i].set(&name, v);
                    }
                    add_column(&mut t.columns, &name);
                }
                t
            }
            Op::Summarize { aggs, by } => self.summarize(t, aggs, by),
            Op::MakeSeries(m) => self.make_series(t, m),
            Op::Scan(s) => self.scan(t, s),
            Op::TopNested(levels) => self.top_nested(t, levels),
            Op::Partition { by, sub } => self.partition(t, by, sub),
            Op::Join {
                kind,
                right,
                on,
                lookup,
            } => {
                let mut r = self.tabular(right);
                if *lookup {
                    super::join::without_keys(&mut r, on);
                }
                self.join(t, r, *kind, on)
            }
            Op::Sample(n) => self.sample(t, n),
            Op::SampleDistinct(n, of) => self.sample_distinct(t, n, of),
            Op::TopHitters { n, of, by } => self.top_hitters(t, n, of, by.as_ref()),
            Op::Sort(keys) => self.sort(t, keys),
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
            Op::GetSchema => super::ops::schema(&t),
            Op::Invoke { name, args, .. } => self.invoke(name, Some(t), args),
            Op::Distinct(names) => distinct(t, names),
            Op::Count(name) => Table {
                columns: vec![name.clone()],
                rows: vec![KRow {
                    cols: vec![(name.clone(), KV::Long(t.rows.len() as i64))],
                    doc: None,
                    evidence: t.rows.iter().flat_map(|r| r.evidence.clone()).collect(),
                }],
            },
            Op::MvExpand(m) => self.mv_expand(t, m),
            Op::MvApply { expand, sub } => self.mv_apply(t, expand, sub),
            Op::As(name) => {
                self.lets
                    .insert(name.clone(), LetValue::Table(Arc::new(t.clone())));
                t
            }
            Op::ProjectReorder(keys) => super::ops::project_reorder(t, keys),
            Op::ProjectByNames(exprs) => self.project_by_names(t, exprs),
            Op::ParseKv {
                expr,
                columns,
                options,
            } => self.parse_kv(t, expr, columns, options),
            Op::Evaluate {
                plugin,
                args,
                named,
                ..
            } => self.evaluate(t, plugin, args, named),
            Op::Union(u) => self.union_of(Some(t), u),
            Op::Parse {
                expr,
                pieces,
                regex,
                flags,
                only_parsed,
            } => self.parse(
                t,
                expr,
                pieces,
                (*regex).then_some(flags.as_str()),
                *only_parsed,
            ),
            Op::Unsupported(..) => t,
        }
    }
}

pub(super) fn lit(v: &KV) -> Expr {
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

pub(super) fn typed(v: KV, ty: &str) -> KV {
    match (ty, v) {
        ("datetime" | "date", KV::Str(s)) => date_from_str(&s).map_or(KV::Null, KV::Date),
        ("real" | "double", KV::Long(n)) => KV::Real(n as f64),
        ("string", KV::Null) => KV::Str(String::new()),
        ("dynamic", KV::Str(s)) => KV::Dyn(Json::String(s)),
        (_, v) => v,
    }
}

/// Whether `name` fits `pattern`, where each `*` stands for any run of
/// characters (`Prop*`, `*Id`, `Sign*Logs`).
pub(super) fn name_matches(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let mut parts = parts.peekable();
    if parts.peek().is_none() {
        return rest.is_empty();
    }
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            return rest.ends_with(part);
        }
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}
