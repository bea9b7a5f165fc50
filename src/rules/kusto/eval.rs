//! Kusto's scalar language: operators with Kusto's case rules (`==` exact,
//! `=~` case-insensitive, `has` on whole terms), dynamic access, and the
//! functions Sentinel queries use.

use serde_json::Value as Json;

use super::ast::{BinOp, Expr, StrOp};
use super::value::{KV, TICKS_PER_MS, date_from_str, format_date, to_datetime, unit_ticks};

pub trait Row {
    fn get(&self, name: &str) -> KV;
}

pub struct Ctx {
    /// `now()` in ticks.
    pub now: i64,
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
    ("tobool", 1, 1),
    ("toboolean", 1, 1),
    ("todatetime", 1, 1),
    ("totimespan", 1, 1),
    ("todynamic", 1, 1),
    ("parse_json", 1, 1),
    ("strcat", 1, 64),
    ("strcat_delim", 2, 64),
    ("split", 2, 3),
    ("extract", 3, 3),
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
    ("pack_array", 0, 64),
    ("array_concat", 1, 64),
    ("array_sort_asc", 1, 2),
    ("array_sort_desc", 1, 2),
    ("array_reverse", 1, 1),
    ("array_slice", 3, 3),
    ("array_index_of", 2, 4),
    ("array_sum", 1, 1),
    ("array_iff", 3, 3),
    ("array_iif", 3, 3),
    ("strcat_array", 2, 2),
    ("set_union", 1, 64),
    ("set_intersect", 1, 64),
    ("set_difference", 1, 64),
    ("bag_has_key", 2, 2),
    ("bag_pack", 0, 64),
    ("pack", 0, 64),
    ("extract_all", 2, 3),
    ("trim_start", 2, 2),
    ("trim_end", 2, 2),
    ("startofweek", 1, 2),
    ("startofmonth", 1, 2),
    ("startofyear", 1, 2),
    ("endofday", 1, 2),
    ("endofmonth", 1, 2),
    ("dayofweek", 1, 1),
    ("dayofmonth", 1, 1),
    ("dayofyear", 1, 1),
    ("getyear", 1, 1),
    ("getmonth", 1, 1),
    ("isnan", 1, 1),
    ("isinf", 1, 1),
    ("isfinite", 1, 1),
    ("log", 1, 1),
    ("log2", 1, 1),
    ("log10", 1, 1),
    ("exp", 1, 1),
    ("sqrt", 1, 1),
    ("pow", 2, 2),
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
    ("isempty", 1, 1),
    ("isnotempty", 1, 1),
    ("isnull", 1, 1),
    ("isnotnull", 1, 1),
    ("not", 1, 1),
    ("ago", 1, 1),
    ("now", 0, 1),
    ("bin", 2, 2),
    ("floor", 2, 2),
    ("startofday", 1, 1),
    ("format_datetime", 2, 2),
    ("array_length", 1, 1),
    ("bag_keys", 1, 1),
    ("set_has_element", 2, 2),
    ("ipv4_is_private", 1, 1),
    ("ipv4_is_in_range", 2, 2),
    ("abs", 1, 1),
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
    ("make_set", 1, 2),
    ("make_list", 1, 2),
    ("make_set_if", 2, 3),
    ("make_list_if", 2, 3),
    ("min", 1, 1),
    ("max", 1, 1),
    ("sum", 1, 1),
    ("avg", 1, 1),
    ("arg_max", 2, 64),
    ("arg_min", 2, 64),
    ("any", 1, 64),
    ("sumif", 2, 2),
    ("avgif", 2, 2),
    ("maxif", 2, 2),
    ("minif", 2, 2),
    ("take_any", 1, 64),
];

fn text(v: &KV) -> String {
    v.to_text()
}

/// Kusto reads a null boolean as false in `and`, `or` and `not()`.
fn truth(v: &KV) -> Option<bool> {
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
        let starts_term = n.starts_with(|c: char| !alnum(c)) || before.is_none_or(|c| !alnum(c));
        let ends_term = n.ends_with(|c: char| !alnum(c)) || after.is_none_or(|c| !alnum(c));
        if starts_term && ends_term {
            return true;
        }
        from = at + h[at..].chars().next().map_or(1, char::len_utf8);
    }
    false
}

fn cmp(a: &KV, b: &KV) -> Option<std::cmp::Ordering> {
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

fn equal(a: &KV, b: &KV, ci: bool) -> Option<bool> {
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
    let j = match v {
        KV::Dyn(j) => j,
        KV::Str(s) => match serde_json::from_str::<Json>(&s) {
            Ok(j) => j,
            Err(_) => return KV::Null,
        },
        _ => return KV::Null,
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
    let j = match v {
        KV::Dyn(j) => j,
        KV::Str(s) => match serde_json::from_str::<Json>(&s) {
            Ok(j) => j,
            Err(_) => return KV::Null,
        },
        _ => return KV::Null,
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
fn plain(v: KV) -> KV {
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
        Expr::Member(base, name) => member(eval(base, row, ctx), name),
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
            let (h, n) = (
                text(&plain(eval(left, row, ctx))),
                text(&plain(eval(right, row, ctx))),
            );
            let fold = |s: &str| if *cs { s.to_string() } else { s.to_lowercase() };
            let hit = match op {
                StrOp::Has => has(&h, &n, *cs),
                StrOp::HasPrefix => fold(&h)
                    .split(|c: char| !c.is_alphanumeric())
                    .any(|t| t.starts_with(&fold(&n))),
                StrOp::HasSuffix => fold(&h)
                    .split(|c: char| !c.is_alphanumeric())
                    .any(|t| t.ends_with(&fold(&n))),
                StrOp::Contains => fold(&h).contains(&fold(&n)),
                StrOp::StartsWith => fold(&h).starts_with(&fold(&n)),
                StrOp::EndsWith => fold(&h).ends_with(&fold(&n)),
                StrOp::MatchesRegex => regex::Regex::new(&n).is_ok_and(|r| r.is_match(&h)),
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
            match (cmp(&x, &l), cmp(&x, &h)) {
                (Some(a), Some(b)) => KV::Bool((a.is_ge() && b.is_le()) != *negated),
                _ => KV::Null,
            }
        }
        Expr::Call { name, args, .. } => call(name, args, row, ctx),
    }
}

fn call(name: &str, args: &[Expr], row: &dyn Row, ctx: &Ctx) -> KV {
    let arg = |i: usize| args.get(i).map_or(KV::Null, |a| eval(a, row, ctx));
    let parg = |i: usize| plain(arg(i));
    match name {
        "tolower" => KV::Str(text(&parg(0)).to_lowercase()),
        "toupper" => KV::Str(text(&parg(0)).to_uppercase()),
        "tostring" => KV::Str(text(&arg(0))),
        "toint" | "tolong" => match parg(0) {
            KV::Long(i) => KV::Long(i),
            KV::Real(f) => KV::Long(f as i64),
            KV::Bool(b) => KV::Long(i64::from(b)),
            KV::Str(s) => s.trim().parse::<i64>().map_or_else(
                |_| {
                    s.trim()
                        .parse::<f64>()
                        .ok()
                        .filter(|f| f.is_finite())
                        .map_or(KV::Null, |f| KV::Long(f as i64))
                },
                KV::Long,
            ),
            _ => KV::Null,
        },
        "todouble" | "toreal" => match parg(0) {
            KV::Str(s) => s.trim().parse::<f64>().map_or(KV::Null, KV::Real),
            v => v.as_f64().map_or(KV::Null, KV::Real),
        },
        "tobool" | "toboolean" => match parg(0) {
            KV::Bool(b) => KV::Bool(b),
            KV::Long(i) => KV::Bool(i != 0),
            KV::Str(s) => match s.to_lowercase().as_str() {
                "true" => KV::Bool(true),
                "false" => KV::Bool(false),
                _ => KV::Null,
            },
            _ => KV::Null,
        },
        "todatetime" | "datetime#literal" => match parg(0) {
            KV::Date(t) => KV::Date(t),
            KV::Str(s) => date_from_str(&s).map_or(KV::Null, KV::Date),
            _ => KV::Null,
        },
        "totimespan" | "timespan#literal" | "time#literal" => match parg(0) {
            KV::Span(t) => KV::Span(t),
            KV::Str(s) => parse_span(&s).map_or(KV::Null, KV::Span),
            _ => KV::Null,
        },
        "todynamic" | "parse_json" => match arg(0) {
            KV::Str(s) if s.is_empty() => KV::Null,
            KV::Str(s) => serde_json::from_str::<Json>(&s).map_or(KV::Str(s), KV::Dyn),
            KV::Dyn(Json::String(s)) => {
                serde_json::from_str::<Json>(&s).map_or(KV::Dyn(Json::String(s)), KV::Dyn)
            }
            v => v,
        },
        "dynamic#literal" => match parg(0) {
            KV::Str(s) => serde_json::from_str::<Json>(&s)
                .or_else(|_| serde_json::from_str::<Json>(&single_to_double_quotes(&s)))
                .map_or(KV::Null, KV::Dyn),
            _ => KV::Null,
        },
        "guid#literal" => KV::Str(text(&parg(0))),
        "strcat" => KV::Str((0..args.len()).map(|i| text(&arg(i))).collect()),
        "strcat_delim" => {
            let d = text(&parg(0));
            KV::Str(
                (1..args.len())
                    .map(|i| text(&arg(i)))
                    .collect::<Vec<_>>()
                    .join(&d),
            )
        }
        "split" => {
            let (s, d) = (text(&parg(0)), text(&parg(1)));
            let parts: Vec<Json> = if d.is_empty() {
                vec![Json::String(s)]
            } else {
                s.split(d.as_str())
                    .map(|p| Json::String(p.to_string()))
                    .collect()
            };
            match parg(2) {
                KV::Long(i) => usize::try_from(i)
                    .ok()
                    .and_then(|k| parts.get(k).cloned())
                    .map_or(KV::Dyn(Json::Array(vec![])), |p| {
                        KV::Dyn(Json::Array(vec![p]))
                    }),
                _ => KV::Dyn(Json::Array(parts)),
            }
        }
        "extract" => {
            let (re, group, s) = (text(&parg(0)), parg(1), text(&parg(2)));
            let g = match group {
                KV::Long(g) => usize::try_from(g).unwrap_or(0),
                _ => 0,
            };
            regex::Regex::new(&re)
                .ok()
                .and_then(|r| {
                    r.captures(&s)
                        .and_then(|c| c.get(g).map(|m| m.as_str().to_string()))
                })
                .map_or(KV::Str(String::new()), KV::Str)
        }
        "substring" => {
            let s: Vec<char> = text(&parg(0)).chars().collect();
            let start = match parg(1) {
                KV::Long(i) => i.max(0) as usize,
                _ => return KV::Null,
            };
            let len = match parg(2) {
                KV::Long(n) => n.max(0) as usize,
                _ => s.len(),
            };
            KV::Str(s.iter().skip(start).take(len).collect())
        }
        "strlen" => KV::Long(text(&parg(0)).chars().count() as i64),
        "trim" => {
            let (re, s) = (text(&parg(0)), text(&parg(1)));
            match regex::Regex::new(&format!("^(?:{re})+|(?:{re})+$")) {
                Ok(r) => KV::Str(r.replace_all(&s, "").into_owned()),
                Err(_) => KV::Str(s),
            }
        }
        "column_ifexists" => match parg(0) {
            KV::Str(name) => match row.get(&name) {
                KV::Null => arg(1),
                v => v,
            },
            _ => arg(1),
        },
        "real" | "double" => call("todouble", args, row, ctx),
        "int" | "long" => call("tolong", args, row, ctx),
        "bool" => call("tobool", args, row, ctx),
        "pack_array" => KV::Dyn(Json::Array(
            (0..args.len()).map(|i| arg(i).to_dyn()).collect(),
        )),
        "array_concat" => {
            let mut out = Vec::new();
            for i in 0..args.len() {
                match arr(arg(i)) {
                    Some(a) => out.extend(a),
                    None => return KV::Null,
                }
            }
            KV::Dyn(Json::Array(out))
        }
        // Sorted within each type (numbers, then text, ...), nulls last.
        "array_sort_asc" | "array_sort_desc"
            if args.len() == 1 || !matches!(arg(1), KV::Dyn(Json::Array(_))) =>
        {
            match arr(arg(0)) {
                Some(mut a) => {
                    let desc = name == "array_sort_desc";
                    let rank = |j: &Json| match j {
                        Json::Number(_) => 0,
                        Json::Bool(_) => 1,
                        Json::String(_) => 2,
                        Json::Null => 9,
                        _ => 3,
                    };
                    a.sort_by(|x, y| {
                        rank(x).cmp(&rank(y)).then_with(|| {
                            let o = cmp(&plain(KV::from_json(x)), &plain(KV::from_json(y)))
                                .unwrap_or(std::cmp::Ordering::Equal);
                            if desc { o.reverse() } else { o }
                        })
                    });
                    KV::Dyn(Json::Array(a))
                }
                None => KV::Null,
            }
        }
        "array_reverse" => arr(arg(0)).map_or(KV::Null, |mut a| {
            a.reverse();
            KV::Dyn(Json::Array(a))
        }),
        "array_slice" => match (arr(arg(0)), parg(1), parg(2)) {
            (Some(a), KV::Long(s), KV::Long(e)) => {
                let n = a.len() as i64;
                let fix = |i: i64| if i < 0 { (n + i).max(0) } else { i.min(n) };
                let (s, e) = (fix(s), fix(e).min(n - 1));
                if s > e || n == 0 {
                    KV::Dyn(Json::Array(Vec::new()))
                } else {
                    KV::Dyn(Json::Array(a[s as usize..=e as usize].to_vec()))
                }
            }
            _ => KV::Null,
        },
        "array_index_of" => match arr(arg(0)) {
            Some(a) => {
                let x = plain(arg(1));
                KV::Long(
                    a.iter()
                        .position(|j| equal(&plain(KV::from_json(j)), &x, false) == Some(true))
                        .map_or(-1, |i| i as i64),
                )
            }
            None => KV::Null,
        },
        "array_sum" => arr(arg(0)).map_or(KV::Null, |a| {
            let vals: Vec<f64> = a.iter().filter_map(Json::as_f64).collect();
            if vals.len() < a.len() {
                KV::Null
            } else {
                KV::Real(vals.iter().sum())
            }
        }),
        "array_iff" | "array_iif" => match (arr(arg(0)), arg(1), arg(2)) {
            (Some(c), t, f) => {
                let pick = |v: &KV, i: usize| match v {
                    KV::Dyn(Json::Array(a)) => a.get(i).cloned().unwrap_or(Json::Null),
                    other => other.to_dyn(),
                };
                KV::Dyn(Json::Array(
                    c.iter()
                        .enumerate()
                        .map(|(i, b)| match b {
                            Json::Bool(true) => pick(&t, i),
                            Json::Bool(false) => pick(&f, i),
                            Json::Number(n) if n.as_f64().is_some_and(|x| x != 0.0) => pick(&t, i),
                            Json::Number(_) => pick(&f, i),
                            _ => Json::Null,
                        })
                        .collect(),
                ))
            }
            _ => KV::Null,
        },
        "strcat_array" => match arr(arg(0)) {
            Some(a) => KV::Str(
                a.iter()
                    .map(|j| KV::from_json(j).to_text())
                    .collect::<Vec<_>>()
                    .join(&text(&parg(1))),
            ),
            None => KV::Null,
        },
        "set_union" | "set_intersect" | "set_difference" => {
            let sets: Vec<Vec<Json>> = (0..args.len()).filter_map(|i| arr(arg(i))).collect();
            if sets.len() != args.len() {
                return KV::Null;
            }
            let key = |j: &Json| plain(KV::from_json(j)).key();
            let mut out: Vec<Json> = Vec::new();
            let mut seen = std::collections::HashSet::new();
            match name {
                "set_union" => {
                    for j in sets.iter().flatten() {
                        if seen.insert(key(j)) {
                            out.push(j.clone());
                        }
                    }
                }
                "set_intersect" => {
                    for j in &sets[0] {
                        if sets[1..].iter().all(|s| s.iter().any(|x| key(x) == key(j)))
                            && seen.insert(key(j))
                        {
                            out.push(j.clone());
                        }
                    }
                }
                _ => {
                    for j in &sets[0] {
                        if !sets[1..].iter().any(|s| s.iter().any(|x| key(x) == key(j)))
                            && seen.insert(key(j))
                        {
                            out.push(j.clone());
                        }
                    }
                }
            }
            KV::Dyn(Json::Array(out))
        }
        "bag_has_key" => match arg(0) {
            KV::Dyn(j @ Json::Object(_)) => {
                let key = text(&parg(1));
                // `$.a.b` is a path into the bag.
                let path: Vec<&str> = match key.strip_prefix("$.") {
                    Some(p) => p.split('.').collect(),
                    None => vec![key.as_str()],
                };
                let mut cur = &j;
                for k in path {
                    match cur.get(k) {
                        Some(next) => cur = next,
                        None => return KV::Bool(false),
                    }
                }
                KV::Bool(true)
            }
            _ => KV::Null,
        },
        "bag_pack" | "pack" => {
            let mut m = serde_json::Map::new();
            let mut i = 0;
            while i + 1 < args.len() {
                m.insert(text(&parg(i)), arg(i + 1).to_dyn());
                i += 2;
            }
            KV::Dyn(Json::Object(m))
        }
        "extract_all" => {
            let (re, s) = (text(&parg(0)), text(&parg(args.len() - 1)));
            // extract_all(re, dynamic([1, 3]), s): only those groups.
            let picked: Option<Vec<usize>> = (args.len() == 3).then(|| {
                arr(arg(1))
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|j| j.as_u64().and_then(|g| usize::try_from(g).ok()))
                    .collect()
            });
            if let Some(groups) = picked {
                return match regex::Regex::new(&re) {
                    Ok(r) => KV::Dyn(Json::Array(
                        r.captures_iter(&s)
                            .map(|c| {
                                Json::Array(
                                    groups
                                        .iter()
                                        .map(|g| {
                                            Json::String(
                                                c.get(*g).map_or("", |m| m.as_str()).to_string(),
                                            )
                                        })
                                        .collect(),
                                )
                            })
                            .collect(),
                    )),
                    Err(_) => KV::Null,
                };
            }
            match regex::Regex::new(&re) {
                Ok(r) => {
                    let groups = r.captures_len();
                    KV::Dyn(Json::Array(
                        r.captures_iter(&s)
                            .map(|c| {
                                if groups <= 1 {
                                    Json::String(c.get(0).map_or("", |m| m.as_str()).to_string())
                                } else if groups == 2 {
                                    Json::String(c.get(1).map_or("", |m| m.as_str()).to_string())
                                } else {
                                    Json::Array(
                                        (1..groups)
                                            .map(|g| {
                                                Json::String(
                                                    c.get(g).map_or("", |m| m.as_str()).to_string(),
                                                )
                                            })
                                            .collect(),
                                    )
                                }
                            })
                            .collect(),
                    ))
                }
                Err(_) => KV::Null,
            }
        }
        "trim_start" | "trim_end" => {
            let (re, s) = (text(&parg(0)), text(&parg(1)));
            let pat = if name == "trim_start" {
                format!("^(?:{re})+")
            } else {
                format!("(?:{re})+$")
            };
            match regex::Regex::new(&pat) {
                Ok(r) => KV::Str(r.replace(&s, "").into_owned()),
                Err(_) => KV::Str(s),
            }
        }
        "startofweek" | "startofmonth" | "startofyear" | "endofday" | "endofmonth" => match parg(0)
        {
            KV::Date(t) => {
                // The optional offset moves by whole units first.
                let offset = match parg(1) {
                    KV::Long(n) => n,
                    _ => 0,
                };
                let t = match (name, to_datetime(t)) {
                    ("endofday", _) => t + offset * 864_000_000_000,
                    ("startofweek", _) => t + offset * 7 * 864_000_000_000,
                    (_, Some(d)) if offset != 0 => {
                        let months = if name == "startofyear" {
                            offset * 12
                        } else {
                            offset
                        };
                        let m =
                            chrono::Months::new(u32::try_from(months.unsigned_abs()).unwrap_or(0));
                        let moved = if months >= 0 {
                            d.checked_add_months(m)
                        } else {
                            d.checked_sub_months(m)
                        };
                        match moved {
                            Some(x) => {
                                x.timestamp() * 10_000_000
                                    + i64::from(x.timestamp_subsec_nanos() / 100)
                            }
                            None => return KV::Null,
                        }
                    }
                    _ => t,
                };
                let Some(d) = to_datetime(t) else {
                    return KV::Null;
                };
                use chrono::{Datelike, TimeZone, Utc};
                let day = 864_000_000_000i64;
                let start_of_day = t.div_euclid(day) * day;
                let ticks = |dt: chrono::DateTime<Utc>| dt.timestamp() * 10_000_000;
                let res = match name {
                    "startofweek" => {
                        Some(start_of_day - i64::from(d.weekday().num_days_from_sunday()) * day)
                    }
                    "startofmonth" => Utc
                        .with_ymd_and_hms(d.year(), d.month(), 1, 0, 0, 0)
                        .single()
                        .map(ticks),
                    "startofyear" => Utc
                        .with_ymd_and_hms(d.year(), 1, 1, 0, 0, 0)
                        .single()
                        .map(ticks),
                    "endofday" => Some(start_of_day + day - 1),
                    _ => {
                        let (y, m) = if d.month() == 12 {
                            (d.year() + 1, 1)
                        } else {
                            (d.year(), d.month() + 1)
                        };
                        Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0)
                            .single()
                            .map(|n| ticks(n) - 1)
                    }
                };
                res.map_or(KV::Null, KV::Date)
            }
            _ => KV::Null,
        },
        "dayofweek" | "dayofmonth" | "dayofyear" | "getyear" | "getmonth" => match parg(0) {
            KV::Date(t) => {
                use chrono::Datelike;
                let Some(d) = to_datetime(t) else {
                    return KV::Null;
                };
                match name {
                    "dayofweek" => {
                        KV::Span(i64::from(d.weekday().num_days_from_sunday()) * 864_000_000_000)
                    }
                    "dayofmonth" => KV::Long(i64::from(d.day())),
                    "dayofyear" => KV::Long(i64::from(d.ordinal())),
                    "getyear" => KV::Long(i64::from(d.year())),
                    _ => KV::Long(i64::from(d.month())),
                }
            }
            _ => KV::Null,
        },
        "isnan" | "isinf" | "isfinite" => match parg(0).as_f64() {
            Some(f) => KV::Bool(match name {
                "isnan" => f.is_nan(),
                "isinf" => f.is_infinite(),
                _ => f.is_finite(),
            }),
            None => KV::Null,
        },
        "log" | "log2" | "log10" | "exp" | "sqrt" | "ceiling" => match parg(0).as_f64() {
            Some(f) => {
                let v = match name {
                    "log" => f.ln(),
                    "log2" => f.log2(),
                    "log10" => f.log10(),
                    "exp" => f.exp(),
                    "sqrt" => f.sqrt(),
                    _ => f.ceil(),
                };
                if v.is_finite() { KV::Real(v) } else { KV::Null }
            }
            None => KV::Null,
        },
        "pow" => match (parg(0).as_f64(), parg(1).as_f64()) {
            (Some(a), Some(b)) => KV::Real(a.powf(b)),
            _ => KV::Null,
        },
        "round" => {
            let digits = match parg(1) {
                KV::Long(d) => d,
                _ => 0,
            };
            match parg(0) {
                KV::Long(i) if digits >= 0 => KV::Long(i),
                v => v.as_f64().map_or(KV::Null, |f| {
                    let m = 10f64.powi(i32::try_from(digits).unwrap_or(0));
                    KV::Real((f * m).round() / m)
                }),
            }
        }
        "max_of" | "min_of" => {
            let vals: Vec<KV> = (0..args.len()).map(parg).filter(|v| !v.is_null()).collect();
            let mut best: Option<KV> = None;
            for v in vals {
                let better = match &best {
                    None => true,
                    Some(b) => match cmp(&v, b) {
                        Some(o) => {
                            if name == "max_of" {
                                o.is_gt()
                            } else {
                                o.is_lt()
                            }
                        }
                        None => false,
                    },
                };
                if better {
                    best = Some(v);
                }
            }
            best.unwrap_or(KV::Null)
        }
        "strcmp" => KV::Long(match text(&parg(0)).cmp(&text(&parg(1))) {
            std::cmp::Ordering::Less => -1,
            std::cmp::Ordering::Equal => 0,
            std::cmp::Ordering::Greater => 1,
        }),
        "reverse" => KV::Str(text(&parg(0)).chars().rev().collect()),
        "repeat" => match parg(1) {
            KV::Long(n) if (0..=10_000).contains(&n) => {
                KV::Dyn(Json::Array(vec![arg(0).to_dyn(); n as usize]))
            }
            _ => KV::Null,
        },
        "indexof" => {
            let (h, n) = (text(&parg(0)), text(&parg(1)));
            let start = match parg(2) {
                KV::Long(s) => s.max(0) as usize,
                _ => 0,
            };
            let hc: Vec<char> = h.chars().collect();
            if start > hc.len() {
                return KV::Long(-1);
            }
            let tail: String = hc[start..].iter().collect();
            KV::Long(
                tail.find(&n)
                    .map_or(-1, |b| (start + tail[..b].chars().count()) as i64),
            )
        }
        "countof" => {
            let (h, n) = (text(&parg(0)), text(&parg(1)));
            if n.is_empty() {
                return KV::Long(0);
            }
            if text(&parg(2)) == "regex" {
                return regex::Regex::new(&n)
                    .map_or(KV::Null, |r| KV::Long(r.find_iter(&h).count() as i64));
            }
            KV::Long(h.matches(n.as_str()).count() as i64)
        }
        "replace_string" => KV::Str(text(&parg(0)).replace(&text(&parg(1)), &text(&parg(2)))),
        "case" => {
            let mut i = 0;
            while i + 1 < args.len() {
                if truth(&arg(i)) == Some(true) {
                    return arg(i + 1);
                }
                i += 2;
            }
            arg(args.len() - 1)
        }
        "iff" | "iif" => {
            if truth(&arg(0)) == Some(true) {
                arg(1)
            } else {
                arg(2)
            }
        }
        "coalesce" => (0..args.len())
            .map(arg)
            .find(|v| {
                !v.is_null() && !matches!(v, KV::Dyn(Json::Null)) && *v != KV::Str(String::new())
            })
            .unwrap_or(KV::Null),
        "isempty" => KV::Bool(is_empty(&arg(0))),
        "isnotempty" => KV::Bool(!is_empty(&arg(0))),
        "isnull" => KV::Bool(matches!(arg(0), KV::Null | KV::Dyn(Json::Null))),
        "isnotnull" => KV::Bool(!matches!(arg(0), KV::Null | KV::Dyn(Json::Null))),
        // not() of a null boolean is false, as Kusto gives it.
        "not" => match arg(0) {
            KV::Null | KV::Dyn(Json::Null) => KV::Bool(false),
            v => truth(&v).map_or(KV::Null, |b| KV::Bool(!b)),
        },
        "now" => match parg(0) {
            KV::Span(s) => KV::Date(ctx.now + s),
            _ => KV::Date(ctx.now),
        },
        "ago" => match parg(0) {
            KV::Span(s) => KV::Date(ctx.now - s),
            _ => KV::Null,
        },
        "bin" | "floor" => match (parg(0), parg(1)) {
            (KV::Date(t), KV::Span(s)) if s > 0 => KV::Date(t.div_euclid(s) * s),
            (KV::Span(t), KV::Span(s)) if s > 0 => KV::Span(t.div_euclid(s) * s),
            (KV::Long(v), KV::Long(s)) if s > 0 => KV::Long(v.div_euclid(s) * s),
            (v, s) => match (v.as_f64(), s.as_f64()) {
                (Some(v), Some(s)) if s > 0.0 => KV::Real((v / s).floor() * s),
                _ => KV::Null,
            },
        },
        "startofday" => match parg(0) {
            KV::Date(t) => KV::Date(t.div_euclid(864_000_000_000) * 864_000_000_000),
            _ => KV::Null,
        },
        "format_datetime" => match (parg(0), text(&parg(1))) {
            (KV::Date(t), fmt) => to_datetime(t).map_or(KV::Null, |d| {
                let f = fmt
                    .replace("yyyy", "%Y")
                    .replace("MM", "%m")
                    .replace("dd", "%d")
                    .replace("HH", "%H")
                    .replace("mm", "%M")
                    .replace("ss", "%S");
                KV::Str(d.format(&f).to_string())
            }),
            _ => KV::Null,
        },
        "array_length" => match arg(0) {
            KV::Dyn(Json::Array(a)) => KV::Long(a.len() as i64),
            _ => KV::Null,
        },
        "bag_keys" => match arg(0) {
            KV::Dyn(Json::Object(m)) => KV::Dyn(Json::Array(
                m.keys().map(|k| Json::String(k.clone())).collect(),
            )),
            _ => KV::Null,
        },
        "set_has_element" => match arg(0) {
            KV::Dyn(Json::Array(a)) => {
                let x = plain(arg(1));
                KV::Bool(
                    a.iter()
                        .any(|j| equal(&plain(KV::from_json(j)), &x, false) == Some(true)),
                )
            }
            _ => KV::Null,
        },
        "ipv4_is_private" => match text(&parg(0))
            .split('/')
            .next()
            .unwrap_or("")
            .parse::<std::net::Ipv4Addr>()
        {
            Ok(ip) => KV::Bool(ip.is_private()),
            Err(_) => KV::Null,
        },
        "ipv4_is_in_range" => {
            let (ip, range) = (text(&parg(0)), text(&parg(1)));
            let range = if range.contains('/') {
                range
            } else {
                format!("{range}/32")
            };
            KV::Bool(crate::rules::kql::eval::cidr_contains(&range, &ip))
        }
        "abs" => match parg(0) {
            KV::Long(i) => KV::Long(i.abs()),
            KV::Real(f) => KV::Real(f.abs()),
            KV::Span(s) => KV::Span(s.abs()),
            _ => KV::Null,
        },
        _ => KV::Null,
    }
}

/// Kusto accepts `dynamic({'a': 'b'})`: single quotes as JSON's double.
fn single_to_double_quotes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_double = false;
    let mut escaped = false;
    for c in s.chars() {
        match c {
            '\\' if !escaped => {
                escaped = true;
                out.push(c);
                continue;
            }
            '"' if !escaped => in_double = !in_double,
            '\'' if !escaped && !in_double => {
                out.push('"');
                escaped = false;
                continue;
            }
            _ => {}
        }
        escaped = false;
        out.push(c);
    }
    out
}

fn arr(v: KV) -> Option<Vec<Json>> {
    match v {
        KV::Dyn(Json::Array(a)) => Some(a),
        KV::Str(s) => match serde_json::from_str::<Json>(&s) {
            Ok(Json::Array(a)) => Some(a),
            _ => None,
        },
        _ => None,
    }
}

fn is_empty(v: &KV) -> bool {
    match v {
        KV::Null | KV::Dyn(Json::Null) => true,
        KV::Str(s) | KV::Dyn(Json::String(s)) => s.is_empty(),
        _ => false,
    }
}

/// `1d`, `5m`, `00:05:00`, `1.02:03:04`.
fn parse_span(s: &str) -> Option<i64> {
    let s = s.trim();
    let digits = s
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b'.')
        .count();
    if digits > 0 && digits < s.len() {
        if let Some(per) = unit_ticks(&s[digits..]) {
            let n: f64 = s[..digits].parse().ok()?;
            return Some((n * per as f64).round() as i64);
        }
    }
    let (days, rest) = match s.split_once('.') {
        Some((d, r)) if r.contains(':') && !d.contains(':') => (d.parse::<i64>().ok()?, r),
        _ => (0, s),
    };
    let parts: Vec<&str> = rest.split(':').collect();
    if parts.len() != 3 {
        return None;
    }
    let h: i64 = parts[0].parse().ok()?;
    let m: i64 = parts[1].parse().ok()?;
    let sec: f64 = parts[2].parse().ok()?;
    Some(
        days * 864_000_000_000
            + h * 36_000_000_000
            + m * 600_000_000
            + (sec * 10_000_000.0).round() as i64,
    )
}

/// Ticks to milliseconds, for callers working in milliseconds.
pub fn ticks_to_ms(t: i64) -> i64 {
    t / TICKS_PER_MS
}

pub fn render_date(t: i64) -> String {
    format_date(t)
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
        assert_eq!(parse_span("1d"), Some(864_000_000_000));
        assert_eq!(parse_span("00:05:00"), Some(3_000_000_000));
        assert_eq!(parse_span("1.00:00:01"), Some(864_010_000_000));
    }
}
