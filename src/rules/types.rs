//! Field types, as data (`field_types.toml`): the few ECS and Azure fields
//! whose Elasticsearch type is not keyword. Vigil has no index mapping to
//! ask, so this table stands in for it when queries are checked and run.

use std::sync::OnceLock;

use foldhash::{HashMap, HashMapExt};

use super::kql::schema::FieldType;

const BUILTIN: &str = include_str!("field_types.toml");

/// The built-in table: field name to type.
pub fn builtin() -> &'static HashMap<String, FieldType> {
    static T: OnceLock<HashMap<String, FieldType>> = OnceLock::new();
    T.get_or_init(|| match parse(BUILTIN) {
        Ok(t) => t,
        Err(e) => panic!("built-in field_types.toml is invalid: {e}"),
    })
}

pub fn parse(text: &str) -> Result<HashMap<String, FieldType>, String> {
    let table: HashMap<String, Vec<String>> = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut out = HashMap::new();
    for (ty, fields) in table {
        let t = FieldType::from_es(&ty);
        if t == FieldType::Other {
            return Err(format!("unknown field type `{ty}`"));
        }
        for f in fields {
            out.insert(f, t);
        }
    }
    Ok(out)
}

/// The type of a field, when it is not keyword. Asked for every field of
/// every query clause on every event, hence the quick hash.
pub fn of(name: &str) -> Option<FieldType> {
    builtin().get(name).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_loads_and_answers() {
        assert_eq!(of("@timestamp"), Some(FieldType::Date));
        assert_eq!(of("source.ip"), Some(FieldType::Ip));
        assert_eq!(of("message"), Some(FieldType::Text));
        assert_eq!(of("event.action"), None);
        assert!(parse("blob = [\"x\"]").is_err());
    }
}
