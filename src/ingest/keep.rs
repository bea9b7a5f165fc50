//! Parsing only the parts of a record that something will read. The
//! engine knows, before a pass, every field its rules, exceptions and
//! event model can ask for; everything else in a record is skipped while
//! parsing rather than built and thrown away. Skipped text is still
//! checked as JSON, so a broken record is reported as it would be
//! otherwise.

use std::borrow::Cow;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};

use foldhash::HashMap;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// The paths to keep, as a tree of key segments. A node that is `all`
/// keeps everything below it.
#[derive(Debug, Default, Clone)]
pub struct Keep {
    all: bool,
    children: HashMap<Box<str>, Keep>,
    /// How many members the last object read here kept: records of one
    /// file look alike, so the next object's map is made that size at
    /// once instead of growing (and rehashing) on the way.
    size: SizeHint,
}

#[derive(Debug, Default)]
struct SizeHint(AtomicUsize);

impl Clone for SizeHint {
    fn clone(&self) -> Self {
        SizeHint(AtomicUsize::new(self.0.load(Ordering::Relaxed)))
    }
}

impl Keep {
    /// Keeps the value at a dotted path, whole. Keys may hold dots
    /// themselves (`"azure.activitylogs.identity"` written flat), which
    /// [`Keep::child`] splits the same way, so both spellings meet. An
    /// array position (`TargetResources.0.id`) applies to every element,
    /// as lookups pass through arrays.
    pub fn add(&mut self, path: &str) {
        let mut node = self;
        for seg in path.split('.') {
            if node.all {
                return;
            }
            if seg.is_empty() || seg.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            node = node.children.entry(seg.into()).or_default();
        }
        node.all = true;
        node.children = HashMap::default();
    }

    /// The node for an object key, `None` when nothing under it is kept.
    fn child(&self, key: &str) -> Option<&Keep> {
        if let Some(c) = self.children.get(key) {
            return Some(c);
        }
        if !key.contains('.') {
            return None;
        }
        let mut node = self;
        for seg in key.split('.') {
            if node.all {
                return Some(node);
            }
            if seg.is_empty() {
                continue;
            }
            node = node.children.get(seg)?;
        }
        Some(node)
    }
}

/// What to keep of each kind of record: event documents, and the search
/// hits that wrap them (`_source`, with the hit's `_id` and `_index`).
#[derive(Debug)]
pub struct Parts {
    doc: Keep,
    hit: Keep,
}

impl Parts {
    pub fn new(doc: Keep) -> Parts {
        let mut hit = Keep::default();
        hit.children.insert("_source".into(), doc.clone());
        hit.add("_id");
        hit.add("_index");
        Parts { doc, hit }
    }

    pub fn doc(&self) -> &Keep {
        &self.doc
    }

    pub fn hit(&self) -> &Keep {
        &self.hit
    }
}

/// Parses one JSON value keeping only what `Keep` names.
pub struct Sparse<'k>(pub &'k Keep);

impl<'de> DeserializeSeed<'de> for Sparse<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        if self.0.all {
            serde::Deserialize::deserialize(d)
        } else {
            d.deserialize_any(self)
        }
    }
}

impl<'de> Visitor<'de> for Sparse<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        // Elements stay in place, kept parts or not, so positions still
        // index the same elements.
        let mut items = Vec::new();
        while let Some(x) = seq.next_element_seed(Sparse(self.0))? {
            items.push(x);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let hint = self.0.size.0.load(Ordering::Relaxed);
        let mut out = Map::with_capacity(hint);
        while let Some(key) = map.next_key_seed(Key)? {
            match self.0.child(&key) {
                Some(node) => {
                    let v = map.next_value_seed(Sparse(node))?;
                    out.insert(key.into_owned(), v);
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if out.len() != hint {
            self.0.size.0.store(out.len().min(256), Ordering::Relaxed);
        }
        Ok(Value::Object(out))
    }
}

/// An object key, borrowed from the input when it has no escapes.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// Parses JSON text (already bounded in depth) keeping what `keep` names.
pub fn parse(bytes: &[u8], keep: &Keep) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    de.disable_recursion_limit();
    let v = Sparse(keep).deserialize(&mut de)?;
    de.end()?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keep(paths: &[&str]) -> Keep {
        let mut k = Keep::default();
        paths.iter().for_each(|p| k.add(p));
        k
    }

    fn sparse(text: &str, paths: &[&str]) -> Value {
        parse(text.as_bytes(), &keep(paths)).expect("valid JSON")
    }

    #[test]
    fn keeps_named_paths_and_drops_the_rest() {
        let text = r#"{"operationName": "X", "properties": {"a": 1, "b": {"c": [1, 2]}, "d": "big"},
            "noise": {"deep": [{"x": 1}]}, "callerIpAddress": "10.0.0.1"}"#;
        let v = sparse(text, &["operationName", "properties.b", "callerIpAddress"]);
        assert_eq!(
            v,
            json!({"operationName": "X", "properties": {"b": {"c": [1, 2]}}, "callerIpAddress": "10.0.0.1"})
        );
    }

    #[test]
    fn flat_dotted_keys_meet_nested_paths_and_the_reverse() {
        let text = r#"{"azure.activitylogs.operation_name": "Y", "azure": {"resource": {"id": "/s", "name": "n"}},
            "event": {"outcome": "success", "action": "z"}}"#;
        let v = sparse(
            text,
            &[
                "azure.activitylogs.operation_name",
                "azure.resource.id",
                "event.outcome",
            ],
        );
        assert_eq!(
            v,
            json!({"azure.activitylogs.operation_name": "Y", "azure": {"resource": {"id": "/s"}},
                "event": {"outcome": "success"}})
        );
        let v = sparse(r#"{"a.b": {"c": 1, "d": 2}}"#, &["a"]);
        assert_eq!(v, json!({"a.b": {"c": 1, "d": 2}}));
    }

    #[test]
    fn arrays_keep_their_positions_and_paths_pass_through_them() {
        let text = r#"{"TargetResources": [{"id": "1", "x": 9}, {"id": "2", "modifiedProperties": [{"name": "n", "old": "o"}]}]}"#;
        let v = sparse(
            text,
            &[
                "TargetResources.0.id",
                "TargetResources.modifiedProperties.name",
            ],
        );
        assert_eq!(
            v,
            json!({"TargetResources": [{"id": "1"}, {"id": "2", "modifiedProperties": [{"name": "n"}]}]})
        );
    }

    #[test]
    fn a_shorter_path_keeps_the_whole_subtree() {
        let mut k = keep(&["properties.a", "properties"]);
        k.add("properties.b");
        let v = parse(br#"{"properties": {"a": 1, "z": 2}}"#, &k).unwrap();
        assert_eq!(v, json!({"properties": {"a": 1, "z": 2}}));
    }

    #[test]
    fn skipped_parts_are_still_checked() {
        assert!(parse(br#"{"keep": 1, "skip": [1, }"#, &keep(&["keep"])).is_err());
        assert!(parse(br#"{"keep": 1} trailing"#, &keep(&["keep"])).is_err());
    }

    #[test]
    fn escaped_keys_and_scalars_of_every_kind() {
        let text =
            r#"{"k\u0065y": [true, null, -3, 18446744073709551615, 1.5, "s\n"], "other": 1}"#;
        assert_eq!(
            sparse(text, &["key"]),
            json!({"key": [true, null, -3, 18446744073709551615u64, 1.5, "s\n"]})
        );
    }
}
