//! Checking a query against field types, as Kibana does when it knows the
//! index mapping: a value that cannot be of the field's type is an error at
//! load time, not a rule that silently never matches.

use super::ast::{Field, Literal, Query, Values};
use super::datemath;
use crate::rules::diag::Diagnostic;

/// The Elasticsearch type families that change what a value may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    Keyword,
    Text,
    Number,
    Date,
    Ip,
    Boolean,
    Other,
}

impl FieldType {
    /// From an Elasticsearch mapping type name.
    pub fn from_es(name: &str) -> FieldType {
        match name {
            "keyword" | "constant_keyword" | "wildcard" => FieldType::Keyword,
            "text" | "match_only_text" => FieldType::Text,
            "long" | "integer" | "short" | "byte" | "double" | "float" | "half_float"
            | "scaled_float" | "unsigned_long" => FieldType::Number,
            "date" | "date_nanos" => FieldType::Date,
            "ip" => FieldType::Ip,
            "boolean" => FieldType::Boolean,
            _ => FieldType::Other,
        }
    }
}

/// Checks every field comparison whose field type `types` knows.
pub fn check(q: &Query, types: &dyn Fn(&str) -> Option<FieldType>) -> Result<(), Diagnostic> {
    match q {
        Query::All | Query::Free(_) | Query::Exists { .. } => Ok(()),
        Query::Or(items) | Query::And(items) => items.iter().try_for_each(|q| check(q, types)),
        Query::Not(q) => check(q, types),
        Query::Nested { field, query } => {
            let prefix = format!("{}.", field.name);
            check(query, &|name: &str| types(&format!("{prefix}{name}")))
        }
        Query::Match { field, values } => check_values(field, values, types),
        Query::Range { field, value, .. } => match typed(field, types) {
            Some((FieldType::Number, ty)) if value.text.trim().parse::<f64>().is_err() => {
                Err(mismatch(value, &field.name, ty))
            }
            Some((FieldType::Date, ty)) if !is_date(&value.text) => {
                Err(mismatch(value, &field.name, ty))
            }
            _ => Ok(()),
        },
    }
}

fn typed(
    field: &Field,
    types: &dyn Fn(&str) -> Option<FieldType>,
) -> Option<(FieldType, &'static str)> {
    if field.pattern.is_some() {
        return None;
    }
    let t = types(&field.name)?;
    let name = match t {
        FieldType::Number => "numeric",
        FieldType::Date => "date",
        FieldType::Ip => "ip",
        FieldType::Boolean => "boolean",
        _ => return None,
    };
    Some((t, name))
}

/// A bare number is not a date here: Kibana refuses `@timestamp > 5`.
fn is_date(text: &str) -> bool {
    let t = text.trim();
    if t.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let now = chrono::Utc::now();
    datemath::resolve(t, now, super::ast::RangeOp::Gte).is_some()
}

fn check_values(
    field: &Field,
    v: &Values,
    types: &dyn Fn(&str) -> Option<FieldType>,
) -> Result<(), Diagnostic> {
    match v {
        Values::Or(items) | Values::And(items) => {
            items.iter().try_for_each(|v| check_values(field, v, types))
        }
        Values::Not(v) => check_values(field, v, types),
        Values::One(lit) if lit.is_star() => Ok(()),
        Values::One(lit) => {
            let Some((t, ty)) = typed(field, types) else {
                return Ok(());
            };
            let text = lit.text.trim();
            let ok = match t {
                FieldType::Number => lit.pattern.is_none() && text.parse::<f64>().is_ok(),
                FieldType::Date => lit.pattern.is_none() && is_date(text),
                FieldType::Ip => {
                    lit.pattern.is_none()
                        && (text.parse::<std::net::IpAddr>().is_ok()
                            || text.split_once('/').is_some_and(|(ip, bits)| {
                                ip.parse::<std::net::IpAddr>().is_ok() && bits.parse::<u8>().is_ok()
                            }))
                }
                FieldType::Boolean => matches!(text, "true" | "false"),
                _ => true,
            };
            if ok {
                Ok(())
            } else {
                Err(mismatch(lit, &field.name, ty))
            }
        }
    }
}

fn mismatch(lit: &Literal, field: &str, ty: &str) -> Diagnostic {
    Diagnostic::new(
        lit.span,
        format!(
            "Value \"{}\" cannot be compared with {ty} field {field}.",
            lit.text
        ),
    )
}
