//! Evaluating KQL against one document with Elasticsearch's semantics for
//! keyword, numeric, boolean, date and ip fields: exact, case-sensitive
//! values; any element of an array may match; a missing field matches
//! nothing, so `not field:x` holds when the field is missing; wildcards
//! cover the whole value; ranges compare numbers as numbers and dates as
//! instants.

use std::borrow::Cow;
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::ast::{Field, Literal, Piece, Query, RangeOp, Values};
use super::datemath;
use super::schema::FieldType;
use crate::rules::fields::Fields;

/// What evaluation needs besides the document.
pub struct Ctx {
    /// The instant `now` stands for in date math.
    pub now: DateTime<Utc>,
    /// Field types that are not keyword (see `rules::types`).
    pub types: fn(&str) -> Option<FieldType>,
}

impl Ctx {
    /// Evaluation with Vigil's field-type table.
    pub fn new(now: DateTime<Utc>) -> Ctx {
        Ctx {
            now,
            types: crate::rules::types::of,
        }
    }

    /// Evaluation where every field is keyword (plain JSON documents).
    pub fn untyped(now: DateTime<Utc>) -> Ctx {
        Ctx {
            now,
            types: |_| None,
        }
    }
}

pub fn matches(q: &Query, doc: &dyn Fields, ctx: &Ctx) -> bool {
    match q {
        Query::All => true,
        Query::Or(items) => items.iter().any(|q| matches(q, doc, ctx)),
        Query::And(items) => items.iter().all(|q| matches(q, doc, ctx)),
        Query::Not(q) => !matches(q, doc, ctx),
        Query::Match { field, values } => {
            let vals = field_values(doc, field);
            let text = field.pattern.is_none() && (ctx.types)(&field.name) == Some(FieldType::Text);
            values_match(values, &vals, text)
        }
        Query::Exists { field } => field_values(doc, field).iter().any(|v| has_value(v)),
        Query::Range { field, op, value } => field_values(doc, field)
            .iter()
            .any(|v| in_range(v, *op, value, ctx)),
        Query::Nested { field, query } => {
            let vals = field_values(doc, field);
            let mut objects = Vec::new();
            for v in vals.iter() {
                collect_objects(v, &mut objects);
            }
            objects
                .into_iter()
                .any(|o| matches(query, &crate::rules::fields::Plain(o), ctx))
        }
        Query::Free(lit) => {
            let mut hit = false;
            doc.for_each_leaf(&mut |_, v| {
                if !hit && scalar_matches(v, lit) {
                    hit = true;
                }
            });
            hit
        }
    }
}

pub(super) fn field_values<'d>(
    doc: &'d dyn Fields,
    field: &Field,
) -> crate::rules::fields::Values<'d> {
    match &field.pattern {
        None => doc.values(&field.name),
        Some(pattern) => {
            let mut out = Vec::new();
            doc.for_each_leaf(&mut |path, v| {
                if glob(pattern, path) {
                    out.push(Cow::Owned(v.clone()));
                }
            });
            out.into()
        }
    }
}

fn has_value(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Array(items) => items.iter().any(has_value),
        _ => true,
    }
}

fn collect_objects<'v>(v: &'v Value, out: &mut Vec<&'v Value>) {
    match v {
        Value::Object(_) => out.push(v),
        Value::Array(items) => items.iter().for_each(|x| collect_objects(x, out)),
        _ => {}
    }
}

fn values_match(values: &Values, vals: &[Cow<'_, Value>], text: bool) -> bool {
    match values {
        Values::Or(items) => items.iter().any(|v| values_match(v, vals, text)),
        Values::And(items) => items.iter().all(|v| values_match(v, vals, text)),
        Values::Not(v) => !values_match(v, vals, text),
        // `field:*` inside a value list still means "has a value".
        Values::One(lit) if lit.is_star() => vals.iter().any(|v| has_value(v)),
        Values::One(lit) if text => vals.iter().any(|v| text_matches(v, lit)),
        Values::One(lit) => vals.iter().any(|v| value_matches(v, lit)),
    }
}

/// Words as Elasticsearch's standard analyser sees them: runs of letters
/// and digits, lower-cased.
fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// A `text` field: an unquoted value matches when any of its words occurs,
/// a quoted one when its words occur in sequence, a wildcard when some
/// word fits it.
fn text_matches(v: &Value, lit: &Literal) -> bool {
    let s = match v {
        Value::Array(items) => return items.iter().any(|x| text_matches(x, lit)),
        Value::String(s) => s,
        _ => return false,
    };
    let have = words(s);
    if let Some(pattern) = &lit.pattern {
        let lower: Vec<Piece> = pattern
            .iter()
            .map(|p| match p {
                Piece::Text(t) => Piece::Text(t.to_lowercase()),
                Piece::Star => Piece::Star,
            })
            .collect();
        return have.iter().any(|w| glob(&lower, w));
    }
    let want = words(&lit.text);
    if want.is_empty() {
        return false;
    }
    if lit.quoted {
        have.windows(want.len()).any(|w| w == want.as_slice())
    } else {
        want.iter().any(|w| have.contains(w))
    }
}

fn value_matches(v: &Value, lit: &Literal) -> bool {
    match v {
        Value::Array(items) => items.iter().any(|x| value_matches(x, lit)),
        other => scalar_matches(other, lit),
    }
}

/// One scalar against one literal.
fn scalar_matches(v: &Value, lit: &Literal) -> bool {
    if let Some(pattern) = &lit.pattern {
        return matches!(v, Value::String(s) if glob(pattern, s));
    }
    match v {
        Value::String(s) => *s == lit.text || cidr_contains(&lit.text, s),
        Value::Number(n) => match (n.as_f64(), lit.text.trim().parse::<f64>()) {
            (Some(a), Ok(b)) => a == b,
            _ => n.to_string() == lit.text,
        },
        Value::Bool(b) => lit
            .text
            .eq_ignore_ascii_case(if *b { "true" } else { "false" }),
        _ => false,
    }
}

/// `10.0.0.0/8` against an address: Elasticsearch's `ip` fields take CIDR.
pub fn cidr_contains(cidr: &str, value: &str) -> bool {
    let Some((net, bits)) = cidr.split_once('/') else {
        return false;
    };
    let (Ok(net), Ok(bits), Ok(ip)) = (
        net.parse::<IpAddr>(),
        bits.parse::<u32>(),
        value.parse::<IpAddr>(),
    ) else {
        return false;
    };
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(a)) if bits <= 32 => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(n) & mask == u32::from(a) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(a)) if bits <= 128 => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(n) & mask == u128::from(a) & mask
        }
        _ => false,
    }
}

fn in_range(v: &Value, op: RangeOp, lit: &Literal, ctx: &Ctx) -> bool {
    use std::cmp::Ordering;
    let ord = match v {
        Value::Array(items) => return items.iter().any(|x| in_range(x, op, lit, ctx)),
        Value::Number(n) => match (n.as_f64(), lit.text.trim().parse::<f64>()) {
            (Some(a), Ok(b)) => a.partial_cmp(&b),
            _ => None,
        },
        Value::String(s) => {
            let as_date = crate::model::parse_time(s)
                .zip(datemath::resolve(&lit.text, ctx.now, op))
                .map(|(a, b)| a.cmp(&b));
            match as_date {
                Some(o) => Some(o),
                None => match (s.trim().parse::<f64>(), lit.text.trim().parse::<f64>()) {
                    (Ok(a), Ok(b)) => a.partial_cmp(&b),
                    _ => Some(s.as_str().cmp(lit.text.as_str())),
                },
            }
        }
        _ => None,
    };
    match (ord, op) {
        (Some(o), RangeOp::Lt) => o == Ordering::Less,
        (Some(o), RangeOp::Lte) => o != Ordering::Greater,
        (Some(o), RangeOp::Gt) => o == Ordering::Greater,
        (Some(o), RangeOp::Gte) => o != Ordering::Less,
        (None, _) => false,
    }
}

/// A `*` wildcard pattern written as text (index patterns, column name
/// patterns), in the form [`glob`] matches.
pub fn glob_pattern(p: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    for (i, part) in p.split('*').enumerate() {
        if i > 0 && out.last() != Some(&Piece::Star) {
            out.push(Piece::Star);
        }
        if !part.is_empty() {
            out.push(Piece::Text(part.to_string()));
        }
    }
    out
}

/// Whole-value wildcard match with `*` only. Each literal piece is found
/// left to right with a substring search, which is linear in the value
/// and cannot backtrack catastrophically whatever the pattern.
pub fn glob(pattern: &[Piece], s: &str) -> bool {
    let mut rest = s;
    let n = pattern.len();
    for (i, piece) in pattern.iter().enumerate() {
        let Piece::Text(t) = piece else { continue };
        let first = i == 0;
        let last = i == n - 1;
        if first && last {
            return rest == t;
        }
        if first {
            match rest.strip_prefix(t.as_str()) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if last {
            return rest.ends_with(t.as_str());
        } else {
            match memchr::memmem::find(rest.as_bytes(), t.as_bytes()) {
                Some(at) => rest = &rest[at + t.len()..],
                None => return false,
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_anchors_to_the_whole_value() {
        assert!(glob(&glob_pattern("ba*"), "bar"));
        assert!(!glob(&glob_pattern("ba*"), "abar"));
        assert!(glob(&glob_pattern("*S3 Browser*"), "my S3 Browser app"));
        assert!(glob(&glob_pattern("a*b*c"), "aXbYc"));
        assert!(!glob(&glob_pattern("a*b*c"), "aXcYb"));
        assert!(glob(&glob_pattern("*"), ""));
        assert!(glob(&glob_pattern("ab*ab"), "abab"));
        assert!(!glob(&glob_pattern("ab*ab"), "aba"));
    }

    #[test]
    fn text_fields_match_words_and_phrases() {
        let lit = |text: &str, quoted: bool| Literal {
            text: text.into(),
            quoted,
            pattern: None,
            span: Default::default(),
        };
        let v = Value::String("Accepted password for ROOT from 10.0.0.1".into());
        assert!(text_matches(&v, &lit("root", false)));
        assert!(text_matches(&v, &lit("password for root", true)));
        assert!(!text_matches(&v, &lit("root password", true)));
        assert!(!text_matches(&v, &lit("admin", false)));
    }

    #[test]
    fn cidr() {
        assert!(cidr_contains("192.168.0.0/16", "192.168.16.3"));
        assert!(!cidr_contains("192.168.0.0/16", "10.0.0.1"));
        assert!(cidr_contains("2001:db8::/32", "2001:db8:4::17"));
        assert!(!cidr_contains("not-a-cidr", "10.0.0.1"));
    }
}
