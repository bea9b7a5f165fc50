//! `buildschema()`: the smallest schema that admits every value of a
//! dynamic column, written as Kusto writes it.

use serde_json::Value as Json;

use super::value::KV;

/// The schema of one value, as `buildschema` writes it: a primitive type's
/// name, an object of member schemas, `{"indexer": ...}` for an array's
/// elements; nothing for null.
pub(super) fn schema_of(v: &KV) -> Option<Json> {
    fn json(v: &Json) -> Option<Json> {
        Some(match v {
            Json::Null => return None,
            Json::Bool(_) => Json::from("bool"),
            Json::Number(n) if n.is_f64() => Json::from("double"),
            Json::Number(_) => Json::from("long"),
            Json::String(_) => Json::from("string"),
            Json::Array(items) => {
                let inner = items.iter().filter_map(json).reduce(merge_schema)?;
                serde_json::json!({ "indexer": inner })
            }
            Json::Object(m) => Json::Object(
                m.iter()
                    .filter_map(|(k, x)| Some((k.clone(), json(x)?)))
                    .collect(),
            ),
        })
    }
    match v {
        KV::Null => None,
        KV::Bool(_) => Some(Json::from("bool")),
        KV::Long(_) => Some(Json::from("long")),
        KV::Real(_) => Some(Json::from("double")),
        KV::Str(_) => Some(Json::from("string")),
        KV::Date(_) => Some(Json::from("datetime")),
        KV::Span(_) => Some(Json::from("timespan")),
        KV::Dyn(j) => json(j),
    }
}

/// The smallest schema admitting both: containers merge member by member,
/// other differing types become a union, in the order they were met.
pub(super) fn merge_schema(a: Json, b: Json) -> Json {
    fn add(union: &mut Vec<Json>, t: Json) {
        if let Json::Object(_) = t {
            if let Some(c) = union.iter_mut().find(|u| u.is_object()) {
                *c = merge_schema(std::mem::take(c), t);
                return;
            }
        }
        if !union.contains(&t) {
            union.push(t);
        }
    }
    match (a, b) {
        (a, b) if a == b => a,
        (Json::Object(mut x), Json::Object(y)) => {
            // Members keep the place they were first met in.
            for (k, t) in y {
                match x.get_mut(&k) {
                    Some(s) => *s = merge_schema(std::mem::take(s), t),
                    None => {
                        x.insert(k, t);
                    }
                }
            }
            Json::Object(x)
        }
        (a, b) => {
            let mut union = match a {
                Json::Array(u) => u,
                other => vec![other],
            };
            match b {
                Json::Array(u) => u.into_iter().for_each(|t| add(&mut union, t)),
                other => add(&mut union, other),
            }
            if union.len() == 1 {
                union.pop().unwrap_or_default()
            } else {
                Json::Array(union)
            }
        }
    }
}
