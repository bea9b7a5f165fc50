//! Running an ES|QL query over events. Leading `WHERE`/`EVAL` run on each
//! event as it streams past; a `STATS` right after them takes each row into
//! its compact state; anything else needs the rows themselves, which are
//! then held as columns. Every row keeps references to the events behind
//! it, so an aggregate's evidence can be shown.

use std::cmp::Ordering;
use std::sync::Arc;

use serde_json::Value as Json;

use super::ast::{Command, Query};
use super::eval::{Ctx, Row, eval};
use super::stats::Stats;
use super::value::{V, compare};
use crate::detect::EventRef;
use crate::rules::fields::Fields;

use crate::rules::kql::eval::{glob, glob_pattern};
use crate::rules::kql::schema::FieldType;

/// One input record as the query sees it.
pub struct Source<'a> {
    pub fields: &'a dyn Fields,
    pub types: &'a dyn Fn(&str) -> Option<FieldType>,
    pub evidence: Option<EventRef>,
    /// Metadata columns (`_id`, `_index`) the query may ask for.
    pub metadata: Vec<(String, V)>,
}

pub struct EmptyRow;

impl Row for EmptyRow {
    fn get(&self, _: &str) -> V {
        V::Null
    }
}

struct Lazy<'a> {
    src: &'a Source<'a>,
    extra: Vec<(String, V)>,
}

impl Row for Lazy<'_> {
    fn get(&self, name: &str) -> V {
        if let Some((_, v)) = self.extra.iter().rev().find(|(n, _)| n == name) {
            return v.clone();
        }
        if let Some((_, v)) = self.src.metadata.iter().find(|(n, _)| n == name) {
            return v.clone();
        }
        let ty = (self.src.types)(name);
        let vals: Vec<V> = self
            .src
            .fields
            .values(name)
            .iter()
            .map(|j| V::from_json(j, ty))
            .collect();
        let mut flat = Vec::new();
        for v in vals {
            match v {
                V::Null => {}
                V::Multi(m) => flat.extend(m),
                v => flat.push(v),
            }
        }
        V::multi(flat)
    }
}

/// A result: named columns and rows, each with its evidence.
#[derive(Debug, Default)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<TableRow>,
}

#[derive(Debug, Clone)]
pub struct TableRow {
    pub values: Vec<V>,
    pub evidence: Vec<EventRef>,
}

struct Cols<'a> {
    columns: &'a [String],
    row: &'a TableRow,
}

impl Row for Cols<'_> {
    fn get(&self, name: &str) -> V {
        self.columns
            .iter()
            .position(|c| c == name)
            .and_then(|i| self.row.values.get(i).cloned())
            .unwrap_or(V::Null)
    }
}

impl Table {
    /// Rows as JSON objects, columns as keys in column order.
    pub fn to_json_rows(&self) -> Vec<Json> {
        self.rows
            .iter()
            .map(|r| {
                let mut m = serde_json::Map::new();
                for (c, v) in self.columns.iter().zip(&r.values) {
                    m.insert(c.clone(), v.to_json());
                }
                Json::Object(m)
            })
            .collect()
    }
}

/// Rows returned when a query has no LIMIT, as Elasticsearch caps them.
pub const DEFAULT_LIMIT: usize = 1000;

pub struct Runner {
    query: Arc<Query>,
    ctx: Ctx,
    /// Whether those commands call NOW().
    prefix_now: bool,
    /// Leading commands that run per event.
    prefix: usize,
    stats: Option<Stats>,
    rows: Vec<HeldRow>,
}

/// A row held as named values, with the event it came from.
type HeldRow = (Vec<(String, V)>, Option<EventRef>);

impl Runner {
    pub fn new(query: Query, now_ms: i64) -> Runner {
        let query = Arc::new(query);
        let prefix = Self::prefix_len(&query);
        let prefix_now = query.uses_now_in(..prefix);
        let stats = match query.commands.get(prefix) {
            Some(Command::Stats { aggs, by }) => Some(Stats::new(aggs, by)),
            _ => None,
        };
        Runner {
            query,
            ctx: Ctx { now_ms },
            prefix,
            prefix_now,
            stats,
            rows: Vec::new(),
        }
    }

    /// How many leading commands run on each record as it arrives.
    fn prefix_len(query: &Query) -> usize {
        query
            .commands
            .iter()
            .take_while(|c| {
                matches!(
                    c,
                    Command::Where(_)
                        | Command::Eval(_)
                        | Command::Dissect { .. }
                        | Command::Grok { .. }
                )
            })
            .count()
    }

    /// The same query, with no rows yet, run at another `now`.
    pub fn fresh(&self, now_ms: i64) -> Runner {
        Runner {
            query: self.query.clone(),
            ctx: Ctx { now_ms },
            prefix: self.prefix,
            prefix_now: self.prefix_now,
            stats: self.stats.as_ref().map(Stats::fresh),
            rows: Vec::new(),
        }
    }

    /// Whether the leading per-event commands give the same result at
    /// every `now`, so that windows of one rule can share them.
    pub fn shares_prefix(&self) -> bool {
        !self.prefix_now
    }

    pub fn push(&mut self, src: &Source<'_>) {
        if let Some(extra) = self.pass(src) {
            self.push_passed(src, extra);
        }
    }

    /// The leading `WHERE`/`EVAL`/`DISSECT` over one record: the columns
    /// they add, or none when a `WHERE` drops it.
    pub fn pass(&self, src: &Source<'_>) -> Option<Vec<(String, V)>> {
        let mut row = Lazy {
            src,
            extra: Vec::new(),
        };
        for cmd in &self.query.commands[..self.prefix] {
            match cmd {
                Command::Where(e) if eval(e, &row, &self.ctx) != V::Bool(true) => return None,
                Command::Where(_) => {}
                Command::Eval(assigns) => {
                    for (name, e) in assigns {
                        let v = eval(e, &row, &self.ctx);
                        row.extra.push((name.clone(), v));
                    }
                }
                Command::Dissect { field, pattern } | Command::Grok { field, pattern } => {
                    let grok = matches!(cmd, Command::Grok { .. });
                    let text = eval(field, &row, &self.ctx).text();
                    for (name, v) in super::patterns::extract(pattern, text.as_deref(), grok) {
                        row.extra.push((name, v));
                    }
                }
                _ => {}
            }
        }
        Some(row.extra)
    }

    /// A record that passed the leading commands, with the columns they
    /// added.
    pub fn push_passed(&mut self, src: &Source<'_>, extra: Vec<(String, V)>) {
        let row = Lazy { src, extra };
        let evidence: Vec<EventRef> = src.evidence.into_iter().collect();
        if let Some(stats) = &mut self.stats {
            stats.add(&row, &evidence, &self.ctx);
            return;
        }
        // Held as columns: the document's fields, then computed ones.
        let mut cols: Vec<(String, V)> = Vec::new();
        src.fields.for_each_leaf(&mut |path, _| {
            if !cols.iter().any(|(n, _)| n == path) {
                cols.push((path.to_string(), V::Null));
            }
        });
        for c in &mut cols {
            c.1 = row.get(&c.0);
        }
        cols.extend(src.metadata.iter().cloned());
        for (n, v) in row.extra {
            match cols.iter_mut().find(|(c, _)| *c == n) {
                Some(slot) => slot.1 = v,
                None => cols.push((n, v)),
            }
        }
        self.rows.push((cols, src.evidence));
    }

    pub fn finish(self) -> Table {
        let Runner {
            query,
            ctx,
            prefix,
            stats,
            rows,
            ..
        } = self;
        let mut rest = &query.commands[prefix..];
        let mut table = match stats {
            Some(s) => {
                rest = &rest[1..];
                s.finish(&ctx)
            }
            None => {
                let mut columns: Vec<String> = Vec::new();
                for (cols, _) in &rows {
                    for (n, _) in cols {
                        if !columns.contains(n) {
                            columns.push(n.clone());
                        }
                    }
                }
                let rows = rows
                    .into_iter()
                    .map(|(cols, ev)| TableRow {
                        values: columns
                            .iter()
                            .map(|c| {
                                cols.iter()
                                    .find(|(n, _)| n == c)
                                    .map_or(V::Null, |(_, v)| v.clone())
                            })
                            .collect(),
                        evidence: ev.into_iter().collect(),
                    })
                    .collect();
                Table { columns, rows }
            }
        };
        let mut limited = false;
        for cmd in rest {
            apply(&mut table, cmd, &ctx);
            limited |= matches!(cmd, Command::Limit(_));
        }
        if !limited {
            table.rows.truncate(DEFAULT_LIMIT);
        }
        table
    }
}

fn matching(columns: &[String], pat: &str) -> Vec<usize> {
    let p = glob_pattern(pat);
    columns
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            if pat.contains('*') {
                glob(&p, c)
            } else {
                *c == pat
            }
        })
        .map(|(i, _)| i)
        .collect()
}

fn apply(t: &mut Table, cmd: &Command, ctx: &Ctx) {
    match cmd {
        Command::Where(e) => {
            let cols = t.columns.clone();
            t.rows.retain(|r| {
                eval(
                    e,
                    &Cols {
                        columns: &cols,
                        row: r,
                    },
                    ctx,
                ) == V::Bool(true)
            });
        }
        Command::Eval(assigns) => {
            for (name, e) in assigns {
                let cols = t.columns.clone();
                let vals: Vec<V> = t
                    .rows
                    .iter()
                    .map(|r| {
                        eval(
                            e,
                            &Cols {
                                columns: &cols,
                                row: r,
                            },
                            ctx,
                        )
                    })
                    .collect();
                let idx = match t.columns.iter().position(|c| c == name) {
                    Some(i) => {
                        // An EVAL that reuses a name moves the column last.
                        t.columns.remove(i);
                        for r in &mut t.rows {
                            r.values.remove(i);
                        }
                        t.columns.len()
                    }
                    None => t.columns.len(),
                };
                t.columns.insert(idx, name.clone());
                for (r, v) in t.rows.iter_mut().zip(vals) {
                    r.values.insert(idx, v);
                }
            }
        }
        Command::Keep(pats) => {
            // A named column no record had is kept as nulls: logs are not
            // an index with one mapping, and a field absent from the rows
            // that survived is still a field.
            for p in pats {
                if !p.contains('*') && !t.columns.contains(p) {
                    t.columns.push(p.clone());
                    for r in &mut t.rows {
                        r.values.push(V::Null);
                    }
                }
            }
            let mut order: Vec<usize> = Vec::new();
            for p in pats {
                for i in matching(&t.columns, p) {
                    // A column named again moves to its later place.
                    if !p.contains('*') {
                        order.retain(|x| *x != i);
                    }
                    if !order.contains(&i) {
                        order.push(i);
                    }
                }
            }
            reorder(t, &order);
        }
        Command::Drop(pats) => {
            let gone: Vec<usize> = pats.iter().flat_map(|p| matching(&t.columns, p)).collect();
            let keep: Vec<usize> = (0..t.columns.len()).filter(|i| !gone.contains(i)).collect();
            reorder(t, &keep);
        }
        Command::Rename(pairs) => {
            for (from, to) in pairs {
                if let Some(i) = t.columns.iter().position(|c| c == from) {
                    if let Some(j) = t.columns.iter().position(|c| c == to) {
                        if j != i {
                            t.columns.remove(j);
                            for r in &mut t.rows {
                                r.values.remove(j);
                            }
                        }
                    }
                    if let Some(i) = t.columns.iter().position(|c| c == from) {
                        t.columns[i] = to.clone();
                    }
                }
            }
        }
        Command::Sort(keys) => {
            let cols = t.columns.clone();
            let mut keyed: Vec<(Vec<V>, TableRow)> = std::mem::take(&mut t.rows)
                .into_iter()
                .map(|r| {
                    let k = keys
                        .iter()
                        .map(|k| {
                            let v = eval(
                                &k.expr,
                                &Cols {
                                    columns: &cols,
                                    row: &r,
                                },
                                ctx,
                            );
                            // A multi-value sorts by its least value
                            // ascending, its greatest descending.
                            match v {
                                V::Multi(mut items) => {
                                    items.sort_by(compare);
                                    if k.desc {
                                        items.pop()
                                    } else {
                                        items.into_iter().next()
                                    }
                                    .unwrap_or(V::Null)
                                }
                                v => v,
                            }
                        })
                        .collect();
                    (k, r)
                })
                .collect();
            keyed.sort_by(|(a, _), (b, _)| {
                for (i, k) in keys.iter().enumerate() {
                    let nulls_first = k.nulls_first.unwrap_or(k.desc);
                    let o = match (a[i].is_null(), b[i].is_null()) {
                        (true, true) => Ordering::Equal,
                        (true, false) => {
                            if nulls_first {
                                Ordering::Less
                            } else {
                                Ordering::Greater
                            }
                        }
                        (false, true) => {
                            if nulls_first {
                                Ordering::Greater
                            } else {
                                Ordering::Less
                            }
                        }
                        _ => {
                            let o = compare(&a[i], &b[i]);
                            if k.desc { o.reverse() } else { o }
                        }
                    };
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                Ordering::Equal
            });
            t.rows = keyed.into_iter().map(|(_, r)| r).collect();
        }
        Command::Limit(n) => t.rows.truncate(*n),
        Command::MvExpand(col) => {
            if let Some(i) = t.columns.iter().position(|c| c == col) {
                let rows = std::mem::take(&mut t.rows);
                for r in rows {
                    match &r.values[i] {
                        V::Multi(items) => {
                            for v in items.clone() {
                                let mut nr = r.clone();
                                nr.values[i] = v;
                                t.rows.push(nr);
                            }
                        }
                        _ => t.rows.push(r),
                    }
                }
            }
        }
        Command::Stats { aggs, by } => {
            let mut s = Stats::new(aggs, by);
            let cols = t.columns.clone();
            for r in &t.rows {
                s.add(
                    &Cols {
                        columns: &cols,
                        row: r,
                    },
                    &r.evidence,
                    ctx,
                );
            }
            *t = s.finish(ctx);
        }
        Command::Dissect { field, pattern } | Command::Grok { field, pattern } => {
            let grok = matches!(cmd, Command::Grok { .. });
            let cols = t.columns.clone();
            let extracted: Vec<Vec<(String, V)>> = t
                .rows
                .iter()
                .map(|r| {
                    let text = eval(
                        field,
                        &Cols {
                            columns: &cols,
                            row: r,
                        },
                        ctx,
                    )
                    .text();
                    super::patterns::extract(pattern, text.as_deref(), grok)
                })
                .collect();
            for fields in &extracted {
                for (name, _) in fields {
                    if !t.columns.contains(name) {
                        t.columns.push(name.clone());
                    }
                }
            }
            let n = t.columns.len();
            for (r, fields) in t.rows.iter_mut().zip(extracted) {
                r.values.resize(n, V::Null);
                for (name, v) in fields {
                    if let Some(i) = t.columns.iter().position(|c| *c == name) {
                        r.values[i] = v;
                    }
                }
            }
        }
    }
}

fn reorder(t: &mut Table, order: &[usize]) {
    t.columns = order.iter().map(|i| t.columns[*i].clone()).collect();
    for r in &mut t.rows {
        r.values = order
            .iter()
            .map(|i| r.values.get(*i).cloned().unwrap_or(V::Null))
            .collect();
    }
}
