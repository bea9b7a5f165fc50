//! The tabular operators beyond the core pipeline: `mv-expand` and
//! `mv-apply`, `parse` and `parse-kv`, `project-reorder`,
//! `project-by-names`, `evaluate bag_unpack`, `range`, and calls of user-defined
//! tabular functions.

use std::sync::Arc;

use serde_json::Value as Json;

use super::ast::{Arg, Expr, FuncBody, MvExpand, ParsePiece, Tabular};
use super::eval::{Row, eval};
use super::exec::{Empty, Exec, KRow, LetValue, Table, add_column, lit, name_matches, typed};
use super::parser::default_name;
use super::value::{KV, date_from_str};
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

    /// Text taken apart into typed columns: `take` gives, for a row's
    /// text, each column's raw value (none where it is absent).
    /// Sets `columns` of each row from what `take` finds in the row's
    /// text (`None` when the text does not parse). Without
    /// `keep_unparsed`, rows whose text does not parse, or whose values
    /// are not of their column's type, are dropped.
    fn extract_into(
        &mut self,
        mut t: Table,
        expr: &Expr,
        columns: &[(String, String)],
        keep_unparsed: bool,
        take: impl Fn(&str) -> Option<Vec<Option<String>>>,
    ) -> Table {
        let mut parsed = Vec::with_capacity(t.rows.len());
        for i in 0..t.rows.len() {
            let text = self.ev(expr, &t.rows[i]).to_text();
            let raws = take(&text);
            let mut ok = raws.is_some();
            let r = &mut t.rows[i];
            for (k, (name, ty)) in columns.iter().enumerate() {
                let v = match raws.as_ref().and_then(|v| v[k].clone()) {
                    Some(s) => typed_text(s, ty),
                    None if ty == "string" => KV::Str(String::new()),
                    None => KV::Null,
                };
                ok &= !(v.is_null() && ty != "string");
                r.set(name, v);
            }
            parsed.push(ok);
        }
        if !keep_unparsed {
            let mut flags = parsed.into_iter();
            t.rows.retain(|_| flags.next().unwrap_or(false));
        }
        for (name, _) in columns {
            add_column(&mut t.columns, name);
        }
        t
    }

    /// `parse` (and `parse-where`, with `only_parsed`); `regex` holds the
    /// flags of `kind=regex`.
    pub(super) fn parse(
        &mut self,
        t: Table,
        expr: &Expr,
        pieces: &[ParsePiece],
        regex: Option<&str>,
        only_parsed: bool,
    ) -> Table {
        let flags: String = regex
            .unwrap_or("")
            .chars()
            .filter(|c| matches!(c, 'i' | 'm' | 's' | 'U'))
            .collect();
        let regex = regex.is_some();
        let mut re = String::from("^");
        let mut columns = Vec::new();
        for p in pieces {
            match p {
                ParsePiece::Text(s) if regex => re.push_str(s),
                ParsePiece::Text(s) => re.push_str(&regex::escape(s)),
                ParsePiece::Star => re.push_str(".*?"),
                ParsePiece::Column(name, ty) => {
                    re.push_str("(.*?)");
                    columns.push((name.clone(), ty.clone()));
                }
            }
        }
        re.push('$');
        let compiled = regex::Regex::new(&format!("(?s{flags}){re}")).ok();
        let n = columns.len();
        self.extract_into(t, expr, &columns, !only_parsed, |text| {
            let caps = compiled.as_ref()?.captures(text)?;
            Some(
                (1..=n)
                    .map(|k| caps.get(k).map(|m| m.as_str().to_string()))
                    .collect(),
            )
        })
    }

    pub(super) fn parse_kv(
        &mut self,
        t: Table,
        expr: &Expr,
        columns: &[(String, String)],
        options: &[(String, String)],
    ) -> Table {
        let kv = KvSyntax::new(options);
        self.extract_into(t, expr, columns, true, |text| {
            let found = kv.pairs(text);
            Some(
                columns
                    .iter()
                    .map(|(name, _)| {
                        found
                            .iter()
                            .find(|(k, _)| k == name)
                            .map(|(_, v)| v.clone())
                    })
                    .collect(),
            )
        })
    }
}

/// Text converted to a column type, null when it does not convert.
fn typed_text(s: String, ty: &str) -> KV {
    match ty {
        "long" | "int" => s.trim().parse().map_or(KV::Null, KV::Long),
        "real" | "double" | "decimal" => s.trim().parse().map_or(KV::Null, KV::Real),
        "datetime" | "date" => date_from_str(&s).map_or(KV::Null, KV::Date),
        "bool" | "boolean" => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => KV::Bool(true),
            "false" | "0" => KV::Bool(false),
            _ => KV::Null,
        },
        "timespan" => super::functions::parse_span(&s).map_or(KV::Null, KV::Span),
        "dynamic" => serde_json::from_str(&s).map_or(KV::Str(s), KV::Dyn),
        _ => typed(KV::Str(s), ty),
    }
}

/// How `parse-kv` reads keys and values: given delimiters, any
/// non-alphanumeric character, or a regular expression.
struct KvSyntax {
    pair: Option<Vec<char>>,
    kv: Option<Vec<char>>,
    quotes: Vec<(char, char)>,
    escapes: Vec<char>,
    greedy: bool,
    regex: Option<regex::Regex>,
}

impl KvSyntax {
    fn new(options: &[(String, String)]) -> KvSyntax {
        let mut s = KvSyntax {
            pair: None,
            kv: None,
            quotes: Vec::new(),
            escapes: Vec::new(),
            greedy: false,
            regex: None,
        };
        for (k, v) in options {
            match k.as_str() {
                "pair_delimiter" => s.pair = Some(v.chars().collect()),
                "kv_delimiter" => s.kv = Some(v.chars().collect()),
                "quote" => {
                    let c: Vec<char> = v.chars().collect();
                    match c.as_slice() {
                        [q] => s.quotes.push((*q, *q)),
                        [open, close] => s.quotes.push((*open, *close)),
                        _ => {}
                    }
                }
                "escape" => s.escapes.extend(v.chars().next()),
                "greedy" => s.greedy = v.eq_ignore_ascii_case("true"),
                "regex" => s.regex = regex::Regex::new(v).ok(),
                _ => {}
            }
        }
        s
    }

    /// The keys and values in `text`, the first of each key kept.
    fn pairs(&self, text: &str) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut push = |k: String, v: String| {
            if !out.iter().any(|(x, _)| *x == k) {
                out.push((k, v));
            }
        };
        if let Some(re) = &self.regex {
            for c in re.captures_iter(text) {
                if let (Some(k), Some(v)) = (c.get(1), c.get(2)) {
                    push(k.as_str().trim().into(), v.as_str().trim().into());
                }
            }
            return out;
        }
        let chars: Vec<char> = text.chars().collect();
        match (&self.pair, &self.kv) {
            (Some(pair), Some(kv)) => {
                let mut i = 0;
                while i < chars.len() {
                    let (key, next) = self.token(&chars, i, kv, false);
                    let (_, pair_end) = self.token(&chars, i, pair, false);
                    if !starts(&chars, next, kv) || pair_end < next {
                        // No value: skip to the next pair.
                        i = pair_end + pair.len();
                        continue;
                    }
                    let (value, end) = self.token(&chars, next + kv.len(), pair, self.greedy);
                    push(key.trim().into(), value.trim().into());
                    i = end + pair.len();
                }
            }
            _ => {
                // Any non-alphanumeric character separates keys and values.
                let word = |c: char| c.is_alphanumeric() || c == '_';
                let mut i = 0;
                while i < chars.len() {
                    if !word(chars[i]) {
                        i += 1;
                        continue;
                    }
                    let start = i;
                    while i < chars.len() && word(chars[i]) {
                        i += 1;
                    }
                    let key: String = chars[start..i].iter().collect();
                    let mut j = i;
                    while j < chars.len() && !word(chars[j]) && !self.is_quote(chars[j]) {
                        j += 1;
                    }
                    if j == i || j >= chars.len() {
                        continue;
                    }
                    let (value, end) = if self.is_quote(chars[j]) {
                        self.quoted(&chars, j)
                    } else {
                        let mut e = j;
                        while e < chars.len() && word(chars[e]) {
                            e += 1;
                        }
                        (chars[j..e].iter().collect(), e)
                    };
                    push(key, value);
                    i = end;
                }
            }
        }
        out
    }

    fn is_quote(&self, c: char) -> bool {
        self.quotes.iter().any(|(o, _)| *o == c)
    }

    /// A quoted text starting at `at`: its content (escapes applied) and
    /// the position after the closing quote.
    fn quoted(&self, chars: &[char], at: usize) -> (String, usize) {
        let close = self
            .quotes
            .iter()
            .find(|(o, _)| *o == chars[at])
            .map_or(chars[at], |(_, c)| *c);
        let mut out = String::new();
        let mut i = at + 1;
        while i < chars.len() {
            let c = chars[i];
            if self.escapes.contains(&c) && i + 1 < chars.len() {
                out.push(chars[i + 1]);
                i += 2;
                continue;
            }
            if c == close {
                return (out, i + 1);
            }
            out.push(c);
            i += 1;
        }
        (out, i)
    }

    /// Text from `at` up to `stop` (outside quotes); with `greedy`, up to
    /// the last `stop` before the next key.
    fn token(&self, chars: &[char], at: usize, stop: &[char], greedy: bool) -> (String, usize) {
        let mut i = at;
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        if i < chars.len() && self.is_quote(chars[i]) {
            let (s, end) = self.quoted(chars, i);
            let mut e = end;
            while e < chars.len() && !starts(chars, e, stop) {
                e += 1;
            }
            return (s, e);
        }
        let mut out = String::new();
        while i < chars.len() && !starts(chars, i, stop) {
            out.push(chars[i]);
            i += 1;
        }
        if let (true, Some(kv)) = (greedy, &self.kv) {
            // Keep going while the next piece holds no key-value delimiter.
            while i < chars.len() {
                let from = (i + stop.len()).min(chars.len());
                let mut j = from;
                while j < chars.len() && !starts(chars, j, stop) {
                    j += 1;
                }
                let piece = &chars[from..j];
                if (0..piece.len()).any(|k| starts(piece, k, kv)) {
                    break;
                }
                out.extend(stop.iter());
                out.extend(piece.iter());
                i = j;
            }
        }
        (out, i)
    }
}

fn starts(chars: &[char], at: usize, pat: &[char]) -> bool {
    !pat.is_empty() && chars.len() >= at + pat.len() && chars[at..at + pat.len()] == *pat
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
