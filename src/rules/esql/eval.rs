//! Evaluating ES|QL expressions with its null and multi-value rules: null
//! in, null out (AND/OR are three-valued); a multi-valued input to a
//! function or operator that takes one value gives null.

use std::cmp::Ordering;

use chrono::{Datelike, Timelike};

use super::ast::{BinOp, Expr, Lit};
use super::value::{V, add_span, compare, date_of, span_unit, truncate};
use crate::rules::regexes::compiled;

/// A row as expressions see it: named values.
pub trait Row {
    fn get(&self, name: &str) -> V;
}

pub struct Ctx {
    pub now_ms: i64,
}

/// Scalar functions Vigil runs, with their argument counts.
pub const SCALAR: &[(&str, usize, usize)] = &[
    ("to_lower", 1, 1),
    ("to_upper", 1, 1),
    ("concat", 1, 64),
    ("substring", 2, 3),
    ("starts_with", 2, 2),
    ("ends_with", 2, 2),
    ("length", 1, 1),
    ("trim", 1, 1),
    ("replace", 3, 3),
    ("split", 2, 2),
    ("date_trunc", 2, 2),
    ("date_diff", 3, 3),
    ("date_extract", 2, 2),
    ("now", 0, 0),
    ("to_string", 1, 1),
    ("to_str", 1, 1),
    ("to_integer", 1, 1),
    ("to_int", 1, 1),
    ("to_long", 1, 1),
    ("to_double", 1, 1),
    ("to_dbl", 1, 1),
    ("to_datetime", 1, 1),
    ("to_dt", 1, 1),
    ("to_boolean", 1, 1),
    ("mv_count", 1, 1),
    ("mv_dedupe", 1, 1),
    ("mv_concat", 2, 2),
    ("mv_sort", 1, 2),
    ("mv_min", 1, 1),
    ("mv_max", 1, 1),
    ("mv_first", 1, 1),
    ("mv_last", 1, 1),
    ("coalesce", 1, 64),
    ("case", 2, 64),
    ("cidr_match", 2, 64),
    ("abs", 1, 1),
    ("round", 1, 2),
    ("greatest", 1, 64),
    ("least", 1, 64),
];

/// Aggregate functions, with their argument counts.
pub const AGGREGATE: &[(&str, usize, usize)] = &[
    ("count", 0, 1),
    ("count_distinct", 1, 2),
    ("values", 1, 1),
    ("min", 1, 1),
    ("max", 1, 1),
    ("sum", 1, 1),
    ("avg", 1, 1),
    ("median", 1, 1),
    ("top", 3, 3),
];

fn single(v: V) -> V {
    match v {
        V::Multi(_) => V::Null,
        other => other,
    }
}

fn truth(v: &V) -> Option<bool> {
    match v {
        V::Bool(b) => Some(*b),
        _ => None,
    }
}

/// Makes two operands comparable: text beside a date is read as a date.
fn coerce(a: V, b: V) -> (V, V) {
    match (&a, &b) {
        (V::Date(_), V::Str(s)) => {
            let d = crate::model::parse_time(s).map_or(V::Null, |t| V::Date(t.timestamp_millis()));
            (a, d)
        }
        (V::Str(s), V::Date(_)) => {
            let d = crate::model::parse_time(s).map_or(V::Null, |t| V::Date(t.timestamp_millis()));
            (d, b)
        }
        _ => (a, b),
    }
}

fn cmp_values(a: &V, b: &V) -> Option<Ordering> {
    match (a, b) {
        (V::Null, _) | (_, V::Null) | (V::Multi(_), _) | (_, V::Multi(_)) => None,
        (V::Str(x), V::Str(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (V::Bool(x), V::Bool(y)) => Some(x.cmp(y)),
        (V::Date(x), V::Date(y)) => Some(x.cmp(y)),
        _ => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => x.partial_cmp(&y),
            _ => None,
        },
    }
}

fn arith(op: BinOp, a: V, b: V) -> V {
    match (a, b) {
        (V::Null, _) | (_, V::Null) | (V::Multi(_), _) | (_, V::Multi(_)) => V::Null,
        (V::Date(d), V::Span { months, millis }) | (V::Span { months, millis }, V::Date(d))
            if op == BinOp::Add =>
        {
            add_span(d, months, millis).map_or(V::Null, V::Date)
        }
        (V::Date(d), V::Span { months, millis }) if op == BinOp::Sub => {
            add_span(d, -months, -millis).map_or(V::Null, V::Date)
        }
        (V::Int(x), V::Int(y)) => match op {
            BinOp::Add => x.checked_add(y).map_or(V::Null, V::Int),
            BinOp::Sub => x.checked_sub(y).map_or(V::Null, V::Int),
            BinOp::Mul => x.checked_mul(y).map_or(V::Null, V::Int),
            BinOp::Div => x.checked_div(y).map_or(V::Null, V::Int),
            BinOp::Mod => x.checked_rem(y).map_or(V::Null, V::Int),
            _ => V::Null,
        },
        (a, b) => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => match op {
                BinOp::Add => V::Float(x + y),
                BinOp::Sub => V::Float(x - y),
                BinOp::Mul => V::Float(x * y),
                BinOp::Div if y != 0.0 => V::Float(x / y),
                BinOp::Mod if y != 0.0 => V::Float(x % y),
                _ => V::Null,
            },
            _ => V::Null,
        },
    }
}

/// `LIKE`: `*` any run, `?` one character, `\` escapes; whole value.
pub fn like(pattern: &str, s: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = s.chars().collect();
    // Iterative matcher with single-star backtracking: linear in practice
    // and without the exponential blow-up of naive recursion.
    let (mut i, mut j) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while j < t.len() {
        if i < p.len() {
            match p[i] {
                '*' => {
                    star = Some((i, j));
                    i += 1;
                    continue;
                }
                '?' => {
                    i += 1;
                    j += 1;
                    continue;
                }
                '\\' if i + 1 < p.len() && p[i + 1] == t[j] => {
                    i += 2;
                    j += 1;
                    continue;
                }
                c if c != '\\' && c == t[j] => {
                    i += 1;
                    j += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((si, sj)) => {
                i = si + 1;
                j = sj + 1;
                star = Some((si, sj + 1));
            }
            None => return false,
        }
    }
    while i < p.len() && p[i] == '*' {
        i += 1;
    }
    i == p.len()
}

pub fn eval(e: &Expr, row: &dyn Row, ctx: &Ctx) -> V {
    match e {
        Expr::Lit(l, _) => match l {
            Lit::Null => V::Null,
            Lit::Bool(b) => V::Bool(*b),
            Lit::Int(i) => V::Int(*i),
            Lit::Float(f) => V::Float(*f),
            Lit::Str(s) => V::Str(s.clone()),
            Lit::Span(n, unit) => {
                let (m, ms) = span_unit(unit).unwrap_or((0, 0));
                V::Span {
                    months: m * n,
                    millis: ms * n,
                }
            }
        },
        Expr::Field(name, _) => row.get(name),
        Expr::Star(_) => V::Null,
        Expr::Neg(x) => arith(BinOp::Sub, V::Int(0), eval(x, row, ctx)),
        Expr::Not(x) => match truth(&single(eval(x, row, ctx))) {
            Some(b) => V::Bool(!b),
            None => V::Null,
        },
        Expr::Bin(BinOp::And, a, b) => {
            let (x, y) = (truth(&eval(a, row, ctx)), truth(&eval(b, row, ctx)));
            match (x, y) {
                (Some(false), _) | (_, Some(false)) => V::Bool(false),
                (Some(true), Some(true)) => V::Bool(true),
                _ => V::Null,
            }
        }
        Expr::Bin(BinOp::Or, a, b) => {
            let (x, y) = (truth(&eval(a, row, ctx)), truth(&eval(b, row, ctx)));
            match (x, y) {
                (Some(true), _) | (_, Some(true)) => V::Bool(true),
                (Some(false), Some(false)) => V::Bool(false),
                _ => V::Null,
            }
        }
        Expr::Bin(op, a, b) => {
            let (x, y) = coerce(eval(a, row, ctx), eval(b, row, ctx));
            match op {
                BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                    match cmp_values(&x, &y) {
                        None => V::Null,
                        Some(o) => V::Bool(match op {
                            BinOp::Eq => o == Ordering::Equal,
                            BinOp::Ne => o != Ordering::Equal,
                            BinOp::Lt => o == Ordering::Less,
                            BinOp::Le => o != Ordering::Greater,
                            BinOp::Gt => o == Ordering::Greater,
                            _ => o != Ordering::Less,
                        }),
                    }
                }
                _ => arith(*op, x, y),
            }
        }
        Expr::In {
            expr,
            list,
            negated,
        } => {
            let x = single(eval(expr, row, ctx));
            if x.is_null() {
                return V::Null;
            }
            let mut saw_null = false;
            for item in list {
                // Text against a text literal, the common list: compared
                // in place rather than copied.
                if let (V::Str(a), Expr::Lit(Lit::Str(b), _)) = (&x, item) {
                    if a == b {
                        return V::Bool(!negated);
                    }
                    continue;
                }
                let (a, b) = coerce(x.clone(), eval(item, row, ctx));
                match cmp_values(&a, &b) {
                    Some(Ordering::Equal) => return V::Bool(!negated),
                    None => saw_null = true,
                    _ => {}
                }
            }
            if saw_null { V::Null } else { V::Bool(*negated) }
        }
        Expr::IsNull { expr, negated } => V::Bool(eval(expr, row, ctx).is_null() != *negated),
        Expr::Like {
            expr,
            pattern,
            regex,
            negated,
        } => match single(eval(expr, row, ctx)) {
            V::Str(s) => {
                let hit = if *regex {
                    compiled(&format!("^(?:{pattern})$")).is_some_and(|r| r.is_match(&s))
                } else {
                    like(pattern, &s)
                };
                V::Bool(hit != *negated)
            }
            _ => V::Null,
        },
        Expr::Call { name, args, .. } => call(name, args, row, ctx),
    }
}

fn text_of(v: V) -> Option<String> {
    single(v).text()
}

fn call(name: &str, args: &[Expr], row: &dyn Row, ctx: &Ctx) -> V {
    let arg = |i: usize| args.get(i).map_or(V::Null, |a| eval(a, row, ctx));
    match name {
        "to_lower" => text_of(arg(0)).map_or(V::Null, |s| V::Str(s.to_lowercase())),
        "to_upper" => text_of(arg(0)).map_or(V::Null, |s| V::Str(s.to_uppercase())),
        "trim" => text_of(arg(0)).map_or(V::Null, |s| V::Str(s.trim().to_string())),
        "replace" => match (text_of(arg(0)), text_of(arg(1)), text_of(arg(2))) {
            (Some(s), Some(re), Some(with)) => match compiled(&re) {
                Some(r) => V::Str(r.replace_all(&s, regex::NoExpand(&with)).into_owned()),
                None => V::Null,
            },
            _ => V::Null,
        },
        "split" => match (text_of(arg(0)), text_of(arg(1))) {
            (Some(s), Some(d)) if !d.is_empty() => {
                V::multi(s.split(d.as_str()).map(|p| V::Str(p.to_string())).collect())
            }
            _ => V::Null,
        },
        "length" => text_of(arg(0)).map_or(V::Null, |s| V::Int(s.chars().count() as i64)),
        "concat" => {
            let mut out = String::new();
            for i in 0..args.len() {
                match text_of(arg(i)) {
                    Some(s) => out.push_str(&s),
                    None => return V::Null,
                }
            }
            V::Str(out)
        }
        "substring" => {
            let Some(s) = text_of(arg(0)) else {
                return V::Null;
            };
            let chars: Vec<char> = s.chars().collect();
            let start = match single(arg(1)) {
                V::Int(i) => i,
                _ => return V::Null,
            };
            // 1-based; 0 is read as 1, negative counts from the end.
            let from = if start < 0 {
                (chars.len() as i64 + start).max(0) as usize
            } else {
                (start.max(1) - 1) as usize
            };
            let len = match args.len() {
                3 => match single(arg(2)) {
                    V::Int(n) if n >= 0 => n as usize,
                    _ => return V::Null,
                },
                _ => chars.len(),
            };
            V::Str(chars.iter().skip(from).take(len).collect())
        }
        "starts_with" | "ends_with" => match (text_of(arg(0)), text_of(arg(1))) {
            (Some(s), Some(p)) => V::Bool(if name == "starts_with" {
                s.starts_with(&p)
            } else {
                s.ends_with(&p)
            }),
            _ => V::Null,
        },
        "date_trunc" => match (arg(0), single(arg(1))) {
            (V::Span { months, millis }, V::Date(d)) => {
                truncate(d, months, millis).map_or(V::Null, V::Date)
            }
            (V::Date(d), V::Span { months, millis }) => {
                truncate(d, months, millis).map_or(V::Null, V::Date)
            }
            _ => V::Null,
        },
        "date_diff" => match (text_of(arg(0)), single(arg(1)), single(arg(2))) {
            (Some(unit), V::Date(a), V::Date(b)) => {
                let diff = b - a;
                let per = match unit.to_ascii_lowercase().as_str() {
                    "millisecond" | "milliseconds" | "ms" => 1,
                    "second" | "seconds" | "ss" | "s" => 1000,
                    "minute" | "minutes" | "mi" | "n" => 60_000,
                    "hour" | "hours" | "hh" => 3_600_000,
                    "day" | "days" | "dd" | "d" => 86_400_000,
                    "week" | "weeks" | "wk" | "ww" => 7 * 86_400_000,
                    _ => return V::Null,
                };
                V::Int(diff / per)
            }
            _ => V::Null,
        },
        "date_extract" => match (text_of(arg(0)), single(arg(1))) {
            (Some(part), V::Date(d)) => {
                let Some(t) = date_of(d) else { return V::Null };
                V::Int(match part.to_ascii_uppercase().as_str() {
                    "YEAR" => i64::from(t.year()),
                    "MONTH_OF_YEAR" => i64::from(t.month()),
                    "DAY_OF_MONTH" => i64::from(t.day()),
                    "DAY_OF_WEEK" => i64::from(t.weekday().number_from_monday()),
                    "DAY_OF_YEAR" => i64::from(t.ordinal()),
                    "HOUR_OF_DAY" => i64::from(t.hour()),
                    "MINUTE_OF_HOUR" => i64::from(t.minute()),
                    "SECOND_OF_MINUTE" => i64::from(t.second()),
                    _ => return V::Null,
                })
            }
            _ => V::Null,
        },
        "now" => V::Date(ctx.now_ms),
        "to_string" | "to_str" => match arg(0) {
            V::Multi(v) => V::multi(v.into_iter().filter_map(|x| x.text()).map(V::Str).collect()),
            v => v.text().map_or(V::Null, V::Str),
        },
        "to_integer" | "to_int" | "to_long" => match single(arg(0)) {
            V::Int(i) => V::Int(i),
            V::Float(f) => V::Int(f as i64),
            V::Date(d) => V::Int(d),
            V::Bool(b) => V::Int(i64::from(b)),
            V::Str(s) => s.trim().parse::<i64>().map_or_else(
                |_| {
                    s.trim()
                        .parse::<f64>()
                        .map_or(V::Null, |f| V::Int(f as i64))
                },
                V::Int,
            ),
            _ => V::Null,
        },
        "to_double" | "to_dbl" => match single(arg(0)) {
            V::Str(s) => s.trim().parse::<f64>().map_or(V::Null, V::Float),
            V::Bool(b) => V::Float(f64::from(u8::from(b))),
            V::Date(d) => V::Float(d as f64),
            v => v.as_f64().map_or(V::Null, V::Float),
        },
        "to_datetime" | "to_dt" => match single(arg(0)) {
            V::Date(d) => V::Date(d),
            V::Int(i) => V::Date(i),
            V::Str(s) => {
                crate::model::parse_time(&s).map_or(V::Null, |t| V::Date(t.timestamp_millis()))
            }
            _ => V::Null,
        },
        "to_boolean" => match single(arg(0)) {
            V::Bool(b) => V::Bool(b),
            V::Str(s) => V::Bool(s.eq_ignore_ascii_case("true")),
            V::Int(i) => V::Bool(i != 0),
            _ => V::Null,
        },
        "mv_count" => match arg(0) {
            V::Null => V::Null,
            V::Multi(v) => V::Int(v.len() as i64),
            _ => V::Int(1),
        },
        "mv_dedupe" => {
            let mut out: Vec<V> = Vec::new();
            for v in arg(0).each() {
                if !out.contains(v) {
                    out.push(v.clone());
                }
            }
            V::multi(out)
        }
        "mv_concat" => {
            let Some(sep) = text_of(arg(1)) else {
                return V::Null;
            };
            let parts: Vec<String> = arg(0).each().into_iter().filter_map(V::text).collect();
            if parts.is_empty() {
                V::Null
            } else {
                V::Str(parts.join(&sep))
            }
        }
        "mv_sort" => {
            let desc = text_of(arg(1)).is_some_and(|o| o.eq_ignore_ascii_case("desc"));
            let mut v: Vec<V> = arg(0).each().into_iter().cloned().collect();
            v.sort_by(compare);
            if desc {
                v.reverse();
            }
            V::multi(v)
        }
        "mv_min" | "mv_max" => {
            let v = arg(0);
            let mut items = v.each();
            items.sort_by(|a, b| compare(a, b));
            let pick = if name == "mv_min" {
                items.first()
            } else {
                items.last()
            };
            pick.map_or(V::Null, |x| (*x).clone())
        }
        "mv_first" => arg(0).each().first().map_or(V::Null, |x| (*x).clone()),
        "mv_last" => arg(0).each().last().map_or(V::Null, |x| (*x).clone()),
        "coalesce" => (0..args.len())
            .map(arg)
            .find(|v| !v.is_null())
            .unwrap_or(V::Null),
        "case" => {
            let mut i = 0;
            while i + 1 < args.len() {
                if truth(&single(arg(i))) == Some(true) {
                    return arg(i + 1);
                }
                i += 2;
            }
            if args.len() % 2 == 1 {
                arg(args.len() - 1)
            } else {
                V::Null
            }
        }
        "cidr_match" => {
            let Some(ip) = text_of(arg(0)) else {
                return V::Null;
            };
            let hit = (1..args.len()).any(|i| {
                arg(i)
                    .each()
                    .into_iter()
                    .filter_map(V::text)
                    .any(|c| crate::rules::kql::eval::cidr_contains(&c, &ip))
            });
            V::Bool(hit)
        }
        "abs" => match single(arg(0)) {
            V::Int(i) => V::Int(i.abs()),
            V::Float(f) => V::Float(f.abs()),
            _ => V::Null,
        },
        "round" => {
            let digits = match single(arg(1)) {
                V::Int(d) => d,
                _ => 0,
            };
            match single(arg(0)) {
                V::Int(i) => V::Int(i),
                V::Float(f) => {
                    let m = 10f64.powi(i32::try_from(digits).unwrap_or(0));
                    V::Float((f * m).round() / m)
                }
                _ => V::Null,
            }
        }
        "greatest" | "least" => {
            let mut vals: Vec<V> = (0..args.len()).map(|i| single(arg(i))).collect();
            if vals.iter().any(V::is_null) {
                return V::Null;
            }
            vals.sort_by(compare);
            let pick = if name == "greatest" {
                vals.pop()
            } else {
                vals.into_iter().next()
            };
            pick.unwrap_or(V::Null)
        }
        _ => V::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns() {
        assert!(like("Secret*", "SecretGet"));
        assert!(like("*Get", "SecretGet"));
        assert!(like("S?cret*", "SecretList"));
        assert!(!like("Secret", "SecretGet"));
        assert!(like("a\\*b", "a*b"));
        assert!(!like("a\\*b", "axb"));
        assert!(like(&"*a".repeat(30), &"a".repeat(60)));
    }
}
