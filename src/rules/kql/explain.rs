//! Which fields and values made a document match a query, for showing the
//! analyst why an alert fired.

use serde_json::Value;

use super::ast::Query;
use super::eval::{Ctx, field_values, matches};
use crate::ingest::doc::scalar_text;
use crate::rules::fields::Fields;

/// Values longer than this are cut: they are for highlighting, not reading.
const MAX_VALUE_CHARS: usize = 200;

/// The (field, value) pairs of the positive conditions that hold for
/// `doc`. Negated conditions explain nothing: what is absent cannot be
/// highlighted.
pub fn explain(q: &Query, doc: &dyn Fields, ctx: &Ctx) -> Vec<(String, String)> {
    let mut out = Vec::new();
    walk(q, doc, ctx, &mut out);
    out.dedup();
    out
}

fn walk(q: &Query, doc: &dyn Fields, ctx: &Ctx, out: &mut Vec<(String, String)>) {
    match q {
        Query::All | Query::Not(_) | Query::Free(_) => {}
        Query::Or(items) | Query::And(items) => {
            for item in items {
                if matches(item, doc, ctx) {
                    walk(item, doc, ctx, out);
                }
            }
        }
        Query::Match { field, .. }
        | Query::Exists { field }
        | Query::Range { field, .. }
        | Query::Nested { field, .. } => {
            if !matches(q, doc, ctx) {
                return;
            }
            let mut shown = Vec::new();
            for v in field_values(doc, field).iter() {
                leaves(v, &mut shown);
            }
            let value = shown.join(", ");
            let value: String = value.chars().take(MAX_VALUE_CHARS).collect();
            if !out.iter().any(|(f, _)| f == &field.name) {
                out.push((field.name.clone(), value));
            }
        }
    }
}

fn leaves(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Array(items) => items.iter().for_each(|x| leaves(x, out)),
        Value::Object(_) => out.push("{…}".into()),
        other => out.extend(scalar_text(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::fields::Plain;
    use crate::rules::kql::parse;
    use chrono::Utc;

    #[test]
    fn names_the_conditions_that_held() {
        let doc = serde_json::json!({
            "event": {"action": "SecretGet", "outcome": "success"},
            "user": {"name": "megan"},
            "tags": ["a", "b"]
        });
        let ctx = Ctx::new(Utc::now());
        let q = parse("event.action:(SecretGet or KeyGet) and (user.name:bob or tags:a) and not event.outcome:failure").unwrap();
        assert_eq!(
            explain(&q, &Plain(&doc), &ctx),
            [
                ("event.action".to_string(), "SecretGet".to_string()),
                ("tags".to_string(), "a, b".to_string()),
            ]
        );
    }
}
