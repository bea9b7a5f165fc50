//! Kusto's scalar functions, by name. Each takes its arguments as
//! expressions so that `iff` and `case` evaluate only the branch taken.

use serde_json::Value as Json;

use super::ast::Expr;
use super::eval::{Ctx, Row, cmp, equal, eval, plain, text, truth};
use super::value::{KV, date_from_str, unit_ticks};
use crate::rules::regexes::compiled;

pub(super) fn call(name: &str, args: &[Expr], row: &dyn Row, ctx: &Ctx) -> KV {
    let arg = |i: usize| args.get(i).map_or(KV::Null, |a| eval(a, row, ctx));
    let parg = |i: usize| plain(arg(i));
    match name {
        // Every column of the row as a bag; with `true`, empty ones left out.
        "pack_all" => {
            let skip_empty = matches!(parg(0), KV::Bool(true));
            let mut bag = serde_json::Map::new();
            for c in row.columns().unwrap_or_default() {
                let v = row.get(c);
                if skip_empty && (v.is_null() || v.to_text().is_empty()) {
                    continue;
                }
                bag.insert(c.clone(), super::exec::render(&v));
            }
            KV::Dyn(Json::Object(bag))
        }
        // `typeof(int)` names a type, as extract's last argument.
        "typeof" => match args.first() {
            Some(Expr::Column(t, _)) => KV::Str(t.to_ascii_lowercase()),
            _ => KV::Null,
        },
        "tohex" => match parg(0) {
            KV::Long(n) => {
                let width = match parg(1) {
                    KV::Long(w) => usize::try_from(w).unwrap_or(0).min(64),
                    _ => 0,
                };
                KV::Str(format!("{:0width$x}", n as u64))
            }
            _ => KV::Null,
        },
        "range" => {
            let (from, to, step) = (
                parg(0),
                parg(1),
                args.get(2).map_or(KV::Long(1), |_| parg(2)),
            );
            match (from.as_f64(), to.as_f64(), step.as_f64()) {
                (Some(a), Some(b), Some(s)) if s != 0.0 && (b - a) / s <= 1_000_000.0 => {
                    let longs = [&from, &to, &step].iter().all(|v| matches!(v, KV::Long(_)));
                    let mut out = Vec::new();
                    let mut x = a;
                    while (s > 0.0 && x <= b) || (s < 0.0 && x >= b) {
                        out.push(if longs {
                            Json::from(x as i64)
                        } else {
                            KV::Real(x).to_dyn()
                        });
                        x += s;
                    }
                    KV::Dyn(Json::Array(out))
                }
                _ => KV::Null,
            }
        }
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
        "todouble" | "toreal" | "todecimal" => match parg(0) {
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
            let found = compiled(&re).and_then(|r| {
                r.captures(&s)
                    .and_then(|c| c.get(g).map(|m| m.as_str().to_string()))
            });
            // With typeof(T), the text is converted; what does not convert
            // is null.
            match (found, args.get(3).map(|_| text(&arg(3)))) {
                (None, None) => KV::Str(String::new()),
                (Some(m), None) => KV::Str(m),
                (None, Some(_)) => KV::Null,
                (Some(m), Some(ty)) => {
                    let conv = match ty.as_str() {
                        "int" | "long" => "tolong",
                        "real" | "double" => "todouble",
                        "datetime" => "todatetime",
                        "bool" => "tobool",
                        "timespan" => "totimespan",
                        _ => "tostring",
                    };
                    call(conv, &[Expr::Str(m)], row, ctx)
                }
            }
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
            match compiled(&format!("^(?:{re})+|(?:{re})+$")) {
                Some(r) => KV::Str(r.replace_all(&s, "").into_owned()),
                None => KV::Str(s),
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
        "extract_all" => {
            let (re, s) = (text(&parg(0)), text(&parg(args.len() - 1)));
            // extract_all(re, dynamic([1, 3]), s): only those groups.
            let picked: Option<Vec<usize>> = (args.len() == 3).then(|| {
                arg(1)
                    .into_array()
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|j| j.as_u64().and_then(|g| usize::try_from(g).ok()))
                    .collect()
            });
            if let Some(groups) = picked {
                return match compiled(&re) {
                    Some(r) => KV::Dyn(Json::Array(
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
                    None => KV::Null,
                };
            }
            match compiled(&re) {
                Some(r) => {
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
                None => KV::Null,
            }
        }
        "trim_start" | "trim_end" => {
            let (re, s) = (text(&parg(0)), text(&parg(1)));
            let pat = if name == "trim_start" {
                format!("^(?:{re})+")
            } else {
                format!("(?:{re})+$")
            };
            match compiled(&pat) {
                Some(r) => KV::Str(r.replace(&s, "").into_owned()),
                None => KV::Str(s),
            }
        }
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
        "atan2" => match (parg(0).as_f64(), parg(1).as_f64()) {
            (Some(y), Some(x)) => KV::Real(y.atan2(x)),
            _ => KV::Null,
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
                return compiled(&n).map_or(KV::Null, |r| KV::Long(r.find_iter(&h).count() as i64));
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
        _ => {
            // Window functions evaluate their own arguments, in order.
            if let Some(v) = super::window::call(name, args, row, ctx) {
                return v;
            }
            let vals: Vec<KV> = (0..args.len()).map(arg).collect();
            super::dates::call(name, &vals)
                .or_else(|| super::net::call(name, &vals))
                .or_else(|| super::arrays::call(name, &vals))
                .or_else(|| super::strings::call(name, &vals))
                .or_else(|| super::text_extra::call(name, &vals))
                .or_else(|| super::text_parse::call(name, &vals))
                .or_else(|| super::types::call(name, &vals))
                .or_else(|| super::bits::call(name, &vals))
                .or_else(|| super::geo::call(name, &vals))
                .or_else(|| super::geo_shapes::call(name, &vals))
                .or_else(|| super::geo_s2::call(name, &vals))
                .or_else(|| super::geo_h3::call(name, &vals))
                .or_else(|| super::geo_union::call(name, &vals))
                .or_else(|| super::geo_intersection::call(name, &vals))
                .or_else(|| super::hash::call(name, &vals))
                .or_else(|| super::series::call(name, &vals))
                .or_else(|| super::sketch::call(name, &vals))
                .or_else(|| super::digest::call(name, &vals))
                .or_else(|| super::distributions::call(name, &vals))
                .unwrap_or(KV::Null)
        }
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

fn is_empty(v: &KV) -> bool {
    match v {
        KV::Null | KV::Dyn(Json::Null) => true,
        KV::Str(s) | KV::Dyn(Json::String(s)) => s.is_empty(),
        _ => false,
    }
}

/// `1d`, `5m`, `00:05:00`, `1.02:03:04`.
pub(super) fn parse_span(s: &str) -> Option<i64> {
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
