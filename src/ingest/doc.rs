//! From a framed record's bytes to an event document, and field lookup in
//! documents whose keys mix nested objects with flat dotted names.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::error::{Position, Problem};
use super::json::Frame;
use super::keep::{Keep, Parts};
use super::limits::Limits;
use super::scan::Input;

/// One column of a Log Analytics table or CSV export.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    /// Log Analytics type (`string`, `datetime`, `dynamic`, ...); empty
    /// for CSV, where every cell is text.
    pub ty: String,
}

/// Parses JSON text whose nesting has already been bounded by the scanner,
/// so serde's own (lower) recursion limit can be lifted.
fn parse_bounded(bytes: &[u8], keep: Option<&Keep>) -> Result<Value, serde_json::Error> {
    if let Some(keep) = keep {
        return super::keep::parse(bytes, keep);
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    de.disable_recursion_limit();
    let v = Value::deserialize(&mut de)?;
    de.end()?;
    Ok(v)
}

/// Checks grammar and depth of JSON held in a string before parsing it.
pub fn parse_json_text(text: &str, limits: &Limits) -> Option<Value> {
    let mut input = Input::new(text.as_bytes(), limits.max_record_bytes, limits.max_depth);
    input.skip_ws();
    input.value(0).ok()?;
    input.skip_ws();
    if input.peek().is_some() {
        return None;
    }
    parse_bounded(text.as_bytes(), None).ok()
}

fn locate(start: Position, e: &serde_json::Error) -> Position {
    let line = e.line() as u64;
    let column = e.column() as u64;
    if line <= 1 {
        Position {
            line: start.line,
            column: start.column + column.saturating_sub(1),
            byte: start.byte + column.saturating_sub(1),
        }
    } else {
        Position {
            line: start.line + line - 1,
            column,
            byte: start.byte,
        }
    }
}

/// The result of decoding one record: the document, or why not; plus a
/// repair note when the record was kept despite a problem.
pub struct Decoded {
    pub doc: Result<Map<String, Value>, (Position, Problem)>,
    pub repaired: Option<(Position, Problem)>,
}

/// Turns a framed record into a document. `columns` is the table the row
/// belongs to, for `Frame::LaRow`. With `keep`, documents hold only the
/// parts it names (a table row, whose cells are named by position, is
/// read whole).
pub fn decode_record(
    frame: Frame,
    at: Position,
    bytes: &[u8],
    columns: Option<&[Column]>,
    json_fields: &[String],
    limits: &Limits,
    keep: Option<&Parts>,
) -> Decoded {
    let mut repaired = None;
    let keep = keep.and_then(|k| match frame {
        Frame::LaRow(_) => None,
        Frame::EsHit => Some(k.hit()),
        _ => Some(k.doc()),
    });
    let value = match parse_bounded(bytes, keep) {
        Ok(v) => v,
        Err(e) => match std::str::from_utf8(bytes) {
            Err(bad) => {
                let lossy = String::from_utf8_lossy(bytes);
                let offset = bad.valid_up_to() as u64;
                let pos = Position {
                    byte: at.byte + offset,
                    ..at
                };
                repaired = Some((
                    pos,
                    Problem::Encoding(format!(
                        "invalid UTF-8 at byte {} (replaced with U+FFFD)",
                        at.byte + offset
                    )),
                ));
                match parse_bounded(lossy.as_bytes(), keep) {
                    Ok(v) => v,
                    Err(e) => {
                        return Decoded {
                            doc: Err((locate(at, &e), Problem::Syntax(e.to_string()))),
                            repaired: None,
                        };
                    }
                }
            }
            Ok(_) => {
                return Decoded {
                    doc: Err((locate(at, &e), Problem::Syntax(strip_serde_position(&e)))),
                    repaired: None,
                };
            }
        },
    };
    let doc = match (frame, value) {
        (Frame::LaRow(_), Value::Array(cells)) => match columns {
            Some(cols) => row_to_doc(cols, cells, limits).map_err(|(_, p)| (at, p)),
            None => Err((
                at,
                Problem::Structure("row of a table that has no columns".into()),
            )),
        },
        (Frame::EsHit, Value::Object(mut hit)) => match hit.remove("_source") {
            Some(Value::Object(mut src)) => {
                for meta in ["_id", "_index"] {
                    if let Some(v) = hit.remove(meta) {
                        src.entry(meta).or_insert(v);
                    }
                }
                Ok(src)
            }
            _ => Err((at, Problem::Structure("search hit without _source".into()))),
        },
        (_, Value::Object(m)) => Ok(m),
        (_, Value::Array(_)) => Err((at, Problem::NotAnObject("an array"))),
        (_, _) => Err((at, Problem::NotAnObject("a scalar"))),
    };
    Decoded {
        doc: doc.map(|mut m| {
            expand_json_text(&mut m, json_fields, limits);
            m
        }),
        repaired,
    }
}

/// serde's messages end in "at line L column C", which would be wrong
/// relative to the file; the located error carries the right position.
fn strip_serde_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

fn row_to_doc(
    cols: &[Column],
    cells: Vec<Value>,
    limits: &Limits,
) -> Result<Map<String, Value>, (Position, Problem)> {
    if cells.len() != cols.len() {
        return Err((
            Position::default(),
            Problem::Ragged {
                fields: cells.len(),
                header: cols.len(),
            },
        ));
    }
    let mut m = Map::with_capacity(cols.len());
    for (col, cell) in cols.iter().zip(cells) {
        let cell = match cell {
            Value::String(s) if col.ty.eq_ignore_ascii_case("dynamic") => {
                parse_json_text(&s, limits).unwrap_or(Value::String(s))
            }
            other => other,
        };
        m.insert(col.name.clone(), cell);
    }
    Ok(m)
}

/// Builds a document from CSV cells. Cells of JSON-valued columns that hold
/// JSON text become structures; everything else stays text, as exported.
pub fn csv_row_to_doc(cols: &[Column], cells: Vec<String>) -> Map<String, Value> {
    let mut m = Map::with_capacity(cols.len());
    for (col, cell) in cols.iter().zip(cells) {
        m.insert(col.name.clone(), Value::String(cell));
    }
    m
}

/// Parses top-level JSON-text values of the listed fields in place.
pub fn expand_json_text(m: &mut Map<String, Value>, json_fields: &[String], limits: &Limits) {
    for name in json_fields {
        if let Some(v) = member_mut(m, name) {
            if let Value::String(s) = v {
                let t = s.trim_start();
                if t.starts_with('{') || t.starts_with('[') {
                    if let Some(parsed) = parse_json_text(s, limits) {
                        *v = parsed;
                    }
                }
            }
        }
    }
}

/// A key's value in an object. Events' objects are small, and every rule
/// asks several names of each, most of them absent: comparing a few keys
/// costs less than hashing the name each time.
pub fn member<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    if m.len() <= SMALL {
        m.iter().find(|(k, _)| k.as_str() == key).map(|(_, v)| v)
    } else {
        m.get(key)
    }
}

/// As [`member`], for changing the value.
fn member_mut<'a>(m: &'a mut Map<String, Value>, key: &str) -> Option<&'a mut Value> {
    if m.len() <= SMALL {
        m.iter_mut()
            .find(|(k, _)| k.as_str() == key)
            .map(|(_, v)| v)
    } else {
        m.get_mut(key)
    }
}

/// Objects up to this many keys are searched key by key.
const SMALL: usize = 24;

/// Where `path` leads from one object: the value under the whole path,
/// and the values under its dotted prefixes with the rest of the path, in
/// the order lookups try them (shorter prefixes first).
struct Steps<'a, 'p> {
    exact: Option<&'a Value>,
    deeper: [(&'p str, &'a Value); 4],
    n: usize,
}

impl<'a, 'p> Steps<'a, 'p> {
    /// One pass over a small object's keys; `None` for a large object, or
    /// more prefixes of the path among its keys than are held here.
    fn of(m: &'a Map<String, Value>, path: &'p str) -> Option<Steps<'a, 'p>> {
        if m.len() > SMALL {
            return None;
        }
        let p = path.as_bytes();
        let mut steps = Steps {
            exact: None,
            deeper: [("", &Value::Null); 4],
            n: 0,
        };
        let first = p.first();
        for (k, x) in m {
            let k = k.as_bytes();
            // Most keys differ in their first byte or are too long; of the
            // rest, a prefix must stop where the path has a dot. Only then
            // are the bytes compared.
            if k.first() != first || k.len() > p.len() {
                continue;
            }
            if k.len() == p.len() {
                if k == p {
                    steps.exact = Some(x);
                }
            } else if p[k.len()] == b'.' && &p[..k.len()] == k {
                if steps.n == steps.deeper.len() {
                    return None;
                }
                steps.deeper[steps.n] = (&path[k.len() + 1..], x);
                steps.n += 1;
            }
        }
        // A longer rest is a shorter prefix.
        if steps.n > 1 {
            steps.deeper[..steps.n].sort_unstable_by_key(|(rest, _)| std::cmp::Reverse(rest.len()));
        }
        Some(steps)
    }

    fn deeper(&self) -> impl Iterator<Item = (&'p str, &'a Value)> + '_ {
        self.deeper[..self.n].iter().copied()
    }
}

/// Collects every value at `path` in `v`. Path segments are split at dots,
/// but a key may itself contain dots (flat `"azure.resource.id"` keys, claim
/// URIs), so every split is tried; arrays are searched through, as
/// Elasticsearch does, and a numeric segment indexes an array.
pub fn get_path<'a>(v: &'a Value, path: &str, out: &mut Vec<&'a Value>) {
    if path.is_empty() {
        out.push(v);
        return;
    }
    match v {
        Value::Object(m) => match Steps::of(m, path) {
            Some(steps) => {
                out.extend(steps.exact);
                for (rest, x) in steps.deeper() {
                    get_path(x, rest, out);
                }
            }
            None => {
                if let Some(x) = m.get(path) {
                    out.push(x);
                }
                for i in memchr::memchr_iter(b'.', path.as_bytes()) {
                    if let Some(x) = m.get(&path[..i]) {
                        get_path(x, &path[i + 1..], out);
                    }
                }
            }
        },
        Value::Array(items) => {
            let (head, rest) = path.split_once('.').unwrap_or((path, ""));
            if let Ok(n) = head.parse::<usize>() {
                if let Some(x) = items.get(n) {
                    get_path(x, rest, out);
                }
                return;
            }
            for x in items {
                get_path(x, path, out);
            }
        }
        _ => {}
    }
}

/// The first scalar at `path`, as text. Walks like [`get_path`] but stops
/// at the first hit, without collecting: this runs for every candidate
/// name of every canonical field of every event.
pub fn first_scalar(doc: &Value, path: &str) -> Option<String> {
    first_text(doc, path).map(Cow::into_owned)
}

/// As [`first_scalar`], lending text the document holds rather than
/// copying it.
pub fn first_text<'a>(doc: &'a Value, path: &str) -> Option<Cow<'a, str>> {
    if path.is_empty() {
        return text_of(doc);
    }
    match doc {
        Value::Object(m) => match Steps::of(m, path) {
            Some(steps) => steps
                .exact
                .and_then(text_of)
                .or_else(|| steps.deeper().find_map(|(rest, x)| first_text(x, rest))),
            None => m.get(path).and_then(text_of).or_else(|| {
                memchr::memchr_iter(b'.', path.as_bytes()).find_map(|i| {
                    m.get(&path[..i])
                        .and_then(|x| first_text(x, &path[i + 1..]))
                })
            }),
        },
        Value::Array(items) => {
            let (head, rest) = path.split_once('.').unwrap_or((path, ""));
            if let Ok(n) = head.parse::<usize>() {
                return items.get(n).and_then(|x| first_text(x, rest));
            }
            items.iter().find_map(|x| first_text(x, path))
        }
        _ => None,
    }
}

pub fn scalar_text(v: &Value) -> Option<String> {
    text_of(v).map(Cow::into_owned)
}

fn text_of(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::String(s) if !s.is_empty() => Some(Cow::Borrowed(s)),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(Cow::Owned(b.to_string())),
        Value::Array(items) => items.iter().find_map(text_of),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn all(v: &Value, p: &str) -> Vec<Value> {
        let mut out = vec![];
        get_path(v, p, &mut out);
        out.into_iter().cloned().collect()
    }

    #[test]
    fn flat_dotted_and_nested_keys_mix() {
        let v = json!({
            "azure.auditlogs.operation_name": "Update device",
            "azure": {"resource": {"id": "/x"}},
            "event": {"outcome": "success"},
            "identity": {"claim": {"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn": "a@b"}}
        });
        assert_eq!(
            all(&v, "azure.auditlogs.operation_name"),
            vec![json!("Update device")]
        );
        assert_eq!(all(&v, "azure.resource.id"), vec![json!("/x")]);
        assert_eq!(
            all(
                &v,
                "identity.claim.http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"
            ),
            vec![json!("a@b")]
        );
        assert!(all(&v, "event.missing").is_empty());
    }

    #[test]
    fn arrays_are_searched_and_indexed() {
        let v = json!({"t": [{"n": "a"}, {"n": "b"}]});
        assert_eq!(all(&v, "t.n"), vec![json!("a"), json!("b")]);
        assert_eq!(all(&v, "t.1.n"), vec![json!("b")]);
    }

    #[test]
    fn json_text_fields_become_objects() {
        let mut m =
            json!({"InitiatedBy": "{\"user\":{\"ipAddress\":\"1.2.3.4\"}}", "Other": "{\"a\":1}"})
                .as_object()
                .cloned()
                .unwrap();
        expand_json_text(&mut m, &["InitiatedBy".to_string()], &Limits::default());
        assert_eq!(m["InitiatedBy"]["user"]["ipAddress"], json!("1.2.3.4"));
        assert_eq!(m["Other"], json!("{\"a\":1}"));
    }

    #[test]
    fn serde_errors_are_relocated_into_the_file() {
        let at = Position {
            line: 7,
            column: 1,
            byte: 100,
        };
        let d = decode_record(
            Frame::Document,
            at,
            b"{\"a\": tru }",
            None,
            &[],
            &Limits::default(),
            None,
        );
        let (pos, _) = d.doc.unwrap_err();
        assert_eq!(pos.line, 7);
        assert!(pos.column > 1);
    }
}
