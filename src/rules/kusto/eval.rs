//! Kusto's scalar language: operators with Kusto's case rules (`==` exact,
//! `=~` case-insensitive, `has` on whole terms), dynamic access, and the
//! functions Sentinel queries use.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value as Json;

use super::ast::{BinOp, Expr, Func, FuncBody, Let, StrOp, Tabular};
use super::value::{KV, date_from_str};
use crate::rules::regexes::compiled;

pub trait Row {
    fn get(&self, name: &str) -> KV;
    /// `scope.name` when `scope` names something other than a column, as
    /// a `scan` step's state does.
    fn scoped(&self, _scope: &str, _name: &str) -> Option<KV> {
        None
    }
    /// Whether `test` holds for the text of one of the row's values:
    /// what `*` stands for in `* has "x"`. `None` where the row cannot
    /// tell its values.
    fn any_value(&self, _test: &mut dyn FnMut(&str) -> bool) -> Option<bool> {
        None
    }
    /// The row's column names, for `pack_all()`; `None` where unknown.
    fn columns(&self) -> Option<&[String]> {
        None
    }
}

/// Whether `test` holds for one of the scalar values anywhere in `j`.
pub(super) fn any_leaf(j: &Json, test: &mut dyn FnMut(&str) -> bool) -> bool {
    match j {
        Json::Null => false,
        Json::String(s) => test(s),
        Json::Array(items) => items.iter().any(|x| any_leaf(x, test)),
        Json::Object(m) => m.values().any(|x| any_leaf(x, test)),
        other => test(&other.to_string()),
    }
}

#[derive(Default)]
pub struct Ctx {
    /// `now()` in ticks.
    pub now: i64,
    /// User-defined functions in scope.
    pub funcs: HashMap<String, Arc<Func>>,
    /// The values of the `toscalar` subqueries of the operator running,
    /// by the address of their syntax node.
    pub scalars: HashMap<usize, KV>,
    /// The state of row-window functions (`row_cumsum`, `prev`...) over
    /// the rows of the operator running, by call site.
    pub window: RefCell<HashMap<usize, Vec<KV>>>,
}

impl Ctx {
    pub fn new(now: i64) -> Ctx {
        Ctx {
            now,
            ..Ctx::default()
        }
    }
}

/// Where a `toscalar` subquery's value is kept.
pub(super) fn scalar_key(t: &Tabular) -> usize {
    std::ptr::from_ref(t) as usize
}

/// A user function's parameters and `let`s, in front of the caller's row.
struct Scope<'r> {
    vars: Vec<(String, KV)>,
    outer: &'r dyn Row,
}

impl Row for Scope<'_> {
    fn get(&self, name: &str) -> KV {
        match self.vars.iter().rev().find(|(n, _)| n == name) {
            Some((_, v)) => v.clone(),
            None => self.outer.get(name),
        }
    }

    fn scoped(&self, scope: &str, name: &str) -> Option<KV> {
        self.outer.scoped(scope, name)
    }

    fn any_value(&self, test: &mut dyn FnMut(&str) -> bool) -> Option<bool> {
        self.outer.any_value(test)
    }

    fn columns(&self) -> Option<&[String]> {
        self.outer.columns()
    }
}

fn call_user(f: &Func, args: &[Expr], row: &dyn Row, ctx: &Ctx) -> KV {
    let vars = f
        .params
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let v = match (args.get(i), &p.default) {
                (Some(a), _) | (None, Some(a)) => eval(a, row, ctx),
                (None, None) => KV::Null,
            };
            (p.name.clone(), v)
        })
        .collect();
    let mut scope = Scope { vars, outer: row };
    for l in &f.lets {
        if let Let::Scalar(n, e) = l {
            let v = eval(e, &scope, ctx);
            scope.vars.push((n.clone(), v));
        }
    }
    match &f.body {
        FuncBody::Scalar(e) => eval(e, &scope, ctx),
        FuncBody::Tabular(_) => KV::Null,
    }
}

/// Scalar functions, with their argument counts.
pub const SCALAR: &[(&str, usize, usize)] = &[
    ("tolower", 1, 1),
    ("toupper", 1, 1),
    ("tostring", 1, 1),
    ("toint", 1, 1),
    ("tolong", 1, 1),
    ("todouble", 1, 1),
    ("toreal", 1, 1),
    ("todecimal", 1, 1),
    ("tobool", 1, 1),
    ("toboolean", 1, 1),
    ("todatetime", 1, 1),
    ("totimespan", 1, 1),
    ("todynamic", 1, 1),
    ("parse_json", 1, 1),
    ("strcat", 1, 64),
    ("strcat_delim", 2, 64),
    ("split", 2, 3),
    ("extract", 3, 4),
    ("substring", 2, 3),
    ("strlen", 1, 1),
    ("trim", 2, 2),
    ("replace_string", 3, 3),
    ("column_ifexists", 2, 2),
    ("real", 1, 1),
    ("double", 1, 1),
    ("int", 1, 1),
    ("long", 1, 1),
    ("bool", 1, 1),
    ("extract_all", 2, 3),
    ("trim_start", 2, 2),
    ("trim_end", 2, 2),
    ("isnan", 1, 1),
    ("isinf", 1, 1),
    ("isfinite", 1, 1),
    ("log", 1, 1),
    ("log2", 1, 1),
    ("log10", 1, 1),
    ("exp", 1, 1),
    ("sqrt", 1, 1),
    ("pow", 2, 2),
    ("atan2", 2, 2),
    ("round", 1, 2),
    ("ceiling", 1, 1),
    ("max_of", 1, 64),
    ("min_of", 1, 64),
    ("strcmp", 2, 2),
    ("reverse", 1, 1),
    ("repeat", 2, 2),
    ("indexof", 2, 5),
    ("countof", 2, 3),
    ("case", 3, 64),
    ("iff", 3, 3),
    ("iif", 3, 3),
    ("coalesce", 1, 64),
    ("pack_all", 0, 1),
    ("isempty", 1, 1),
    ("isnotempty", 1, 1),
    ("isnull", 1, 1),
    ("isnotnull", 1, 1),
    ("not", 1, 1),
    ("ago", 1, 1),
    ("now", 0, 1),
    ("bin", 2, 2),
    ("floor", 2, 2),
    ("array_length", 1, 1),
    ("bag_keys", 1, 1),
    ("set_has_element", 2, 2),
    ("ipv4_is_private", 1, 1),
    ("ipv4_is_in_range", 2, 2),
    ("abs", 1, 1),
    ("tohex", 1, 2),
    ("typeof", 1, 1),
    ("range", 2, 3),
    ("datetime#literal", 1, 1),
    ("timespan#literal", 1, 1),
    ("dynamic#literal", 1, 1),
    ("guid#literal", 1, 1),
    ("time#literal", 1, 1),
];

/// Aggregations (in `summarize`).
pub const AGGREGATE: &[(&str, usize, usize)] = &[
    ("count", 0, 1),
    ("countif", 1, 1),
    ("dcount", 1, 2),
    ("dcountif", 2, 3),
    ("count_distinct", 1, 1),
    ("count_distinctif", 2, 2),
    ("make_set", 1, 2),
    ("make_list", 1, 2),
    ("make_set_if", 2, 3),
    ("make_bag", 1, 2),
    ("make_bag_if", 2, 3),
    ("take_anyif", 2, 2),
    ("make_list_if", 2, 3),
    ("min", 1, 1),
    ("max", 1, 1),
    ("sum", 1, 1),
    ("avg", 1, 1),
    ("arg_max", 2, 64),
    ("arg_min", 2, 64),
    ("any", 1, 64),
    ("sumif", 2, 2),
    ("stdev", 1, 1),
    ("stdevp", 1, 1),
    ("variance", 1, 1),
    ("variancep", 1, 1),
    ("stdevif", 2, 2),
    ("varianceif", 2, 2),
    ("variancepif", 2, 2),
    ("percentile", 2, 2),
    ("avgif", 2, 2),
    ("maxif", 2, 2),
    ("minif", 2, 2),
    ("take_any", 1, 64),
    ("make_list_with_nulls", 1, 2),
    ("percentiles", 2, 64),
    ("percentiles_array", 2, 64),
    ("percentilesw", 3, 64),
    ("percentilesw_array", 3, 64),
    ("covariance", 2, 2),
    ("covariancep", 2, 2),
    ("binary_all_and", 1, 1),
    ("binary_all_or", 1, 1),
    ("binary_all_xor", 1, 1),
    ("hll", 1, 2),
    ("hll_if", 2, 3),
    ("buildschema", 1, 1),
    ("tdigest", 1, 2),
    ("tdigest_merge", 1, 1),
    ("merge_tdigest", 1, 1),
    ("hll_merge", 1, 1),
];

pub(super) fn text(v: &KV) -> String {
    v.to_text()
}

/// Kusto reads a null boolean as false in `and`, `or` and `not()`.
pub(super) fn truth(v: &KV) -> Option<bool> {
    match v {
        KV::Null | KV::Dyn(Json::Null) => Some(false),
        KV::Bool(b) => Some(*b),
        KV::Dyn(Json::Bool(b)) => Some(*b),
        KV::Long(i) => Some(*i != 0),
        _ => None,
    }
}

/// Kusto `has`: the needle is a whole term (terms are runs of letters and
/// digits), case-insensitive unless `cs`.
pub fn has(hay: &str, needle: &str, cs: bool) -> bool {
    term_match(hay, needle, cs, (true, true))
}

/// Whether `needle` stands in `hay` starting a term and/or ending one, as
/// `whole` asks: `has` wants both, `hasprefix` the start, `hassuffix` the
/// end. A needle of several terms (`contoso-lab`) is a phrase: only its
/// own ends are held to term boundaries.
fn term_match(hay: &str, needle: &str, cs: bool, whole: (bool, bool)) -> bool {
    if needle.is_empty() {
        return true;
    }
    let (h, n) = if cs {
        (hay.to_string(), needle.to_string())
    } else {
        (hay.to_lowercase(), needle.to_lowercase())
    };
    let alnum = |c: char| c.is_alphanumeric();
    let mut from = 0;
    while let Some(i) = h[from..].find(&n) {
        let at = from + i;
        let before = h[..at].chars().next_back();
        let after = h[at + n.len()..].chars().next();
        let starts_term =
            !whole.0 || n.starts_with(|c: char| !alnum(c)) || before.is_none_or(|c| !alnum(c));
        let ends_term =
            !whole.1 || n.ends_with(|c: char| !alnum(c)) || after.is_none_or(|c| !alnum(c));
        if starts_term && ends_term {
            return true;
        }
        from = at + h[at..].chars().next().map_or(1, char::len_utf8);
    }
    false
}

fn string_op(op: StrOp, cs: bool, h: &str, n: &str) -> bool {
    let fold = |s: &str| if cs { s.to_string() } else { s.to_lowercase() };
    match op {
        StrOp::Has => has(h, n, cs),
        StrOp::HasPrefix => term_match(h, n, cs, (true, false)),
        StrOp::HasSuffix => term_match(h, n, cs, (false, true)),
        StrOp::Contains => fold(h).contains(&fold(n)),
        StrOp::StartsWith => fold(h).starts_with(&fold(n)),
        StrOp::EndsWith => fold(h).ends_with(&fold(n)),
        StrOp::MatchesRegex => compiled(n).is_some_and(|r| r.is_match(h)),
    }
}

pub(super) fn cmp(a: &KV, b: &KV) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (KV::Null, _) | (_, KV::Null) => None,
        (KV::Date(x), KV::Date(y)) | (KV::Span(x), KV::Span(y)) => Some(x.cmp(y)),
        (KV::Date(x), KV::Str(s)) => date_from_str(s).map(|y| x.cmp(&y)),
        (KV::Str(s), KV::Date(y)) => date_from_str(s).map(|x| x.cmp(y)),
        (KV::Bool(x), KV::Bool(y)) => Some(x.cmp(y)),
        _ => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => x.partial_cmp(&y),
            _ => Some(text(a).cmp(&text(b))),
        },
    }
}

pub(super) fn equal(a: &KV, b: &KV, ci: bool) -> Option<bool> {
    if a.is_null() || b.is_null() {
        return None;
    }
    if let (Some(x), Some(y)) = (a.as_f64(), b.as_f64()) {
        return Some(x == y);
    }
    match (a, b) {
        (KV::Date(_), _) | (_, KV::Date(_)) | (KV::Span(_), KV::Span(_)) => {
            cmp(a, b).map(|o| o.is_eq())
        }
        _ => {
            let (x, y) = (text(a), text(b));
            Some(if ci {
                x.to_lowercase() == y.to_lowercase()
            } else {
                x == y
            })
        }
    }
}

fn arith(op: BinOp, a: KV, b: KV) -> KV {
    match (op, a, b) {
        (_, KV::Null, _) | (_, _, KV::Null) => KV::Null,
        (BinOp::Add, KV::Date(d), KV::Span(s)) | (BinOp::Add, KV::Span(s), KV::Date(d)) => {
            KV::Date(d + s)
        }
        (BinOp::Sub, KV::Date(d), KV::Span(s)) => KV::Date(d - s),
        (BinOp::Sub, KV::Date(a), KV::Date(b)) => KV::Span(a - b),
        (BinOp::Add, KV::Span(a), KV::Span(b)) => KV::Span(a + b),
        (BinOp::Sub, KV::Span(a), KV::Span(b)) => KV::Span(a - b),
        (BinOp::Mul, KV::Span(a), KV::Long(n)) | (BinOp::Mul, KV::Long(n), KV::Span(a)) => {
            KV::Span(a * n)
        }
        (BinOp::Div, KV::Span(a), KV::Span(b)) if b != 0 => KV::Real(a as f64 / b as f64),
        (op, KV::Long(x), KV::Long(y)) => match op {
            BinOp::Add => x.checked_add(y).map_or(KV::Null, KV::Long),
            BinOp::Sub => x.checked_sub(y).map_or(KV::Null, KV::Long),
            BinOp::Mul => x.checked_mul(y).map_or(KV::Null, KV::Long),
            BinOp::Div => x.checked_div(y).map_or(KV::Null, KV::Long),
            BinOp::Mod => x.checked_rem(y).map_or(KV::Null, KV::Long),
            _ => KV::Null,
        },
        (op, a, b) => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => match op {
                BinOp::Add => KV::Real(x + y),
                BinOp::Sub => KV::Real(x - y),
                BinOp::Mul => KV::Real(x * y),
                BinOp::Div => KV::Real(x / y),
                BinOp::Mod => KV::Real(x % y),
                _ => KV::Null,
            },
            _ => KV::Null,
        },
    }
}

/// Member access on dynamic values. ECS documents carry nested names in
/// snake case where Azure's JSON has camel case (`display_name` for
/// `displayName`), so a missing member is also looked up that way.
fn member(v: KV, name: &str) -> KV {
    let Some(j) = v.parsed() else {
        return KV::Null;
    };
    match &j {
        Json::Object(m) => match m.get(name) {
            Some(x) => KV::Dyn(x.clone()),
            None => {
                let snake: String = name
                    .chars()
                    .flat_map(|c| {
                        if c.is_ascii_uppercase() {
                            vec!['_', c.to_ascii_lowercase()]
                        } else {
                            vec![c]
                        }
                    })
                    .collect();
                m.get(&snake).map_or(KV::Null, |x| KV::Dyn(x.clone()))
            }
        },
        _ => KV::Null,
    }
}

fn index(v: KV, i: KV) -> KV {
    let Some(j) = v.parsed() else {
        return KV::Null;
    };
    match (&j, i) {
        (Json::Array(a), KV::Long(n)) => {
            let idx = if n < 0 { a.len() as i64 + n } else { n };
            usize::try_from(idx)
                .ok()
                .and_then(|k| a.get(k))
                .map_or(KV::Null, |x| KV::Dyn(x.clone()))
        }
        // Elasticsearch stores arrays of objects as objects keyed "0", "1".
        (Json::Object(m), KV::Long(n)) => m
            .get(&n.to_string())
            .map_or(KV::Null, |x| KV::Dyn(x.clone())),
        (Json::Object(_), KV::Str(k)) => member(KV::Dyn(j), &k),
        _ => KV::Null,
    }
}

/// Values that are `dynamic` JSON scalars act as their plain type.
pub(super) fn plain(v: KV) -> KV {
    match v {
        KV::Dyn(Json::String(s)) => KV::Str(s),
        KV::Dyn(Json::Number(n)) => n
            .as_i64()
            .map_or_else(|| n.as_f64().map_or(KV::Null, KV::Real), KV::Long),
        KV::Dyn(Json::Bool(b)) => KV::Bool(b),
        KV::Dyn(Json::Null) => KV::Null,
        other => other,
    }
}

pub fn eval(e: &Expr, row: &dyn Row, ctx: &Ctx) -> KV {
    match e {
        Expr::Null(_) => KV::Null,
        Expr::Bool(b) => KV::Bool(*b),
        Expr::Long(n) => KV::Long(*n),
        Expr::Real(f) => KV::Real(*f),
        Expr::Str(s) => KV::Str(s.clone()),
        Expr::Timespan(t) => KV::Span(*t),
        Expr::Star => KV::Null,
        Expr::Column(name, _) => row.get(name),
        Expr::Member(base, name) => match base.as_ref() {
            Expr::Column(scope, _) => match row.scoped(scope, name) {
                Some(v) => v,
                None => member(row.get(scope), name),
            },
            _ => member(eval(base, row, ctx), name),
        },
        Expr::Index(base, i) => index(eval(base, row, ctx), plain(eval(i, row, ctx))),
        Expr::Neg(x) => arith(BinOp::Sub, KV::Long(0), plain(eval(x, row, ctx))),
        Expr::Bin(BinOp::And, a, b) => match (truth(&eval(a, row, ctx)), truth(&eval(b, row, ctx)))
        {
            (Some(false), _) | (_, Some(false)) => KV::Bool(false),
            (Some(true), Some(true)) => KV::Bool(true),
            _ => KV::Null,
        },
        Expr::Bin(BinOp::Or, a, b) => {
            match (truth(&eval(a, row, ctx)), truth(&eval(b, row, ctx))) {
                (Some(true), _) | (_, Some(true)) => KV::Bool(true),
                (Some(false), Some(false)) => KV::Bool(false),
                _ => KV::Null,
            }
        }
        Expr::Bin(op, a, b) => {
            let (x, y) = (plain(eval(a, row, ctx)), plain(eval(b, row, ctx)));
            match op {
                BinOp::Eq => equal(&x, &y, false).map_or(KV::Null, KV::Bool),
                BinOp::Ne => equal(&x, &y, false).map_or(KV::Null, |b| KV::Bool(!b)),
                BinOp::EqCi => equal(&x, &y, true).map_or(KV::Null, KV::Bool),
                BinOp::NeCi => equal(&x, &y, true).map_or(KV::Null, |b| KV::Bool(!b)),
                BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => match cmp(&x, &y) {
                    None => KV::Null,
                    Some(o) => KV::Bool(match op {
                        BinOp::Lt => o.is_lt(),
                        BinOp::Le => o.is_le(),
                        BinOp::Gt => o.is_gt(),
                        _ => o.is_ge(),
                    }),
                },
                _ => arith(*op, x, y),
            }
        }
        Expr::Str2 {
            op,
            cs,
            negated,
            left,
            right,
        } => {
            let n = text(&plain(eval(right, row, ctx)));
            let hit = if matches!(**left, Expr::Star) {
                // `* has "x"`: any column of the row.
                row.any_value(&mut |h| string_op(*op, *cs, h, &n))
                    .unwrap_or(false)
            } else {
                string_op(*op, *cs, &text(&plain(eval(left, row, ctx))), &n)
            };
            KV::Bool(hit != *negated)
        }
        Expr::In {
            expr,
            list,
            ci,
            negated,
            any,
        } => {
            let x = plain(eval(expr, row, ctx));
            let mut items: Vec<KV> = Vec::new();
            for item in list {
                match eval(item, row, ctx) {
                    KV::Dyn(Json::Array(a)) => {
                        items.extend(a.iter().map(|j| plain(KV::from_json(j))))
                    }
                    v => items.push(plain(v)),
                }
            }
            let hit = if *any {
                let h = text(&x);
                items.iter().any(|n| has(&h, &text(n), false))
            } else {
                items.iter().any(|y| equal(&x, y, *ci) == Some(true))
            };
            KV::Bool(hit != *negated)
        }
        Expr::Between {
            expr,
            lo,
            hi,
            negated,
        } => {
            let x = plain(eval(expr, row, ctx));
            let (l, h) = (plain(eval(lo, row, ctx)), plain(eval(hi, row, ctx)));
            // `t between (start .. 1d)`: a timespan after a datetime is the
            // length of the range.
            let h = match (&l, h) {
                (KV::Date(start), KV::Span(len)) => KV::Date(start.saturating_add(len)),
                (_, h) => h,
            };
            match (cmp(&x, &l), cmp(&x, &h)) {
                (Some(a), Some(b)) => KV::Bool((a.is_ge() && b.is_le()) != *negated),
                _ => KV::Null,
            }
        }
        Expr::Call { name, args, .. } => match ctx.funcs.get(name) {
            Some(f) => call_user(f, args, row, ctx),
            None => super::functions::call(name, args, row, ctx),
        },
        Expr::ToScalar(t) | Expr::Values(t) => {
            ctx.scalars.get(&scalar_key(t)).cloned().unwrap_or(KV::Null)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_matches_whole_terms() {
        assert!(has(
            "Microsoft.Storage/storageAccounts/listKeys/action",
            "listKeys",
            false
        ));
        assert!(has("North America", "america", false));
        assert!(!has("North America", "amer", false));
        assert!(has("a-b c", "-b", false));
        assert!(!has("North America", "america", true));
    }

    #[test]
    fn spans() {
        assert_eq!(
            super::super::functions::parse_span("1d"),
            Some(864_000_000_000)
        );
        assert_eq!(
            super::super::functions::parse_span("00:05:00"),
            Some(3_000_000_000)
        );
        assert_eq!(
            super::super::functions::parse_span("1.00:00:01"),
            Some(864_010_000_000)
        );
    }
}
