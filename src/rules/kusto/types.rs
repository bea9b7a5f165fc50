//! What a value is and values made from parts: `gettype()`, `toguid()`,
//! `make_timespan()`, and `bag_merge()` of property bags.

use serde_json::{Map, Value as Json};

use super::value::{KV, unit_ticks};

pub(super) const FUNCTIONS: &[(&str, usize, usize)] = &[
    ("gettype", 1, 1),
    ("toguid", 1, 1),
    ("make_timespan", 2, 4),
    ("bag_merge", 2, 64),
];

/// The runtime type Kusto names: a number inside a dynamic value is an
/// `int` when it fits 32 bits, as Kusto stores it.
fn type_name(v: &KV) -> &'static str {
    match v {
        KV::Null => "null",
        KV::Bool(_) => "bool",
        KV::Long(_) => "long",
        KV::Real(_) => "real",
        KV::Str(_) => "string",
        KV::Date(_) => "datetime",
        KV::Span(_) => "timespan",
        KV::Dyn(j) => match j {
            Json::Null => "null",
            Json::Bool(_) => "bool",
            Json::Number(n) => match n.as_i64() {
                Some(i) if i32::try_from(i).is_ok() => "int",
                Some(_) => "long",
                None if n.is_u64() => "long",
                None => "real",
            },
            Json::String(_) => "string",
            Json::Array(_) => "array",
            Json::Object(_) => "dictionary",
        },
    }
}

/// A GUID in its 8-4-4-4-12 form, written in lower case as Kusto shows
/// one; braces or parentheses around it are accepted.
fn guid(s: &str) -> Option<String> {
    let s = s.trim();
    let s = s
        .strip_prefix('{')
        .and_then(|x| x.strip_suffix('}'))
        .or_else(|| s.strip_prefix('(').and_then(|x| x.strip_suffix(')')))
        .unwrap_or(s);
    let groups: Vec<&str> = s.split('-').collect();
    let lens: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    let ok = lens == [8, 4, 4, 4, 12]
        && groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()));
    let plain = s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit());
    if plain {
        let l = s.to_ascii_lowercase();
        return Some(format!(
            "{}-{}-{}-{}-{}",
            &l[..8],
            &l[8..12],
            &l[12..16],
            &l[16..20],
            &l[20..]
        ));
    }
    ok.then(|| s.to_ascii_lowercase())
}

pub(super) fn call(name: &str, args: &[KV]) -> Option<KV> {
    if !FUNCTIONS.iter().any(|(n, _, _)| *n == name) {
        return None;
    }
    Some(match name {
        "gettype" => KV::Str(type_name(args.first()?).to_string()),
        "toguid" => match args.first()? {
            KV::Str(s) => guid(s).map_or(KV::Null, KV::Str),
            KV::Dyn(Json::String(s)) => guid(s).map_or(KV::Null, KV::Str),
            _ => KV::Null,
        },
        "make_timespan" => {
            // (hours, minutes[, seconds]) or (days, hours, minutes, seconds).
            let parts: Option<Vec<i64>> = args.iter().map(KV::as_i64).collect();
            let Some(parts) = parts else {
                return Some(KV::Null);
            };
            let units: &[&str] = if parts.len() == 4 {
                &["d", "h", "m", "s"]
            } else {
                &["h", "m", "s"]
            };
            let mut ticks: i64 = 0;
            for (n, u) in parts.iter().zip(units) {
                let t = n
                    .checked_mul(unit_ticks(u)?)
                    .and_then(|t| ticks.checked_add(t));
                match t {
                    Some(t) => ticks = t,
                    None => return Some(KV::Null),
                }
            }
            KV::Span(ticks)
        }
        "bag_merge" => {
            let mut out = Map::new();
            for a in args {
                if let KV::Dyn(Json::Object(m)) = a {
                    for (k, v) in m {
                        // The leftmost bag's value stands.
                        out.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
            }
            KV::Dyn(Json::Object(out))
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn c(name: &str, args: &[KV]) -> KV {
        call(name, args).expect("known")
    }

    #[test]
    fn gettype_names_types_as_the_documentation_does() {
        let dynamic = |j: Json| KV::Dyn(j);
        for (v, name) in [
            (KV::Str("a".into()), "string"),
            (KV::Long(111), "long"),
            (KV::Bool(true), "bool"),
            (KV::Date(0), "datetime"),
            (KV::Span(10_000_000), "timespan"),
            (dynamic(json!(1)), "int"),
            (dynamic(json!(12_345_678_901_i64)), "long"),
            (dynamic(json!("abc")), "string"),
            (dynamic(json!({"abc": 1})), "dictionary"),
            (dynamic(json!([1, 2, 3])), "array"),
            (KV::Real(123.45), "real"),
            (dynamic(Json::Null), "null"),
        ] {
            assert_eq!(c("gettype", &[v]), KV::Str(name.into()));
        }
    }

    #[test]
    fn guids_are_read_in_their_usual_forms() {
        let g = "12e8b78d-55b4-46ae-b068-26d7a0080254";
        for text in [
            g.to_string(),
            g.to_uppercase(),
            format!("{{{g}}}"),
            g.replace('-', ""),
        ] {
            assert_eq!(c("toguid", &[KV::Str(text)]), KV::Str(g.into()));
        }
        assert_eq!(c("toguid", &[KV::Str("not-a-guid".into())]), KV::Null);
    }

    #[test]
    fn timespans_from_parts_and_bags_merged_leftmost_first() {
        assert_eq!(
            c("make_timespan", &[KV::Long(1), KV::Long(12), KV::Long(30)]),
            KV::Span((3600 + 12 * 60 + 30) * 10_000_000)
        );
        assert_eq!(
            c(
                "make_timespan",
                &[KV::Long(2), KV::Long(1), KV::Long(0), KV::Long(0)]
            ),
            KV::Span(49 * 3600 * 10_000_000)
        );
        assert_eq!(
            c(
                "bag_merge",
                &[
                    KV::Dyn(json!({"A1": 12, "B1": 2, "C1": 3})),
                    KV::Dyn(json!({"A2": 81, "B2": 82, "A1": 1}))
                ]
            ),
            KV::Dyn(json!({"A1": 12, "B1": 2, "C1": 3, "A2": 81, "B2": 82}))
        );
    }
}
