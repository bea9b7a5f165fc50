//! An event document as the lines of an indented tree, each scalar marked
//! when the rule matched on it, each object and array foldable. Built
//! once per event shown, not per frame: a record may be megabytes.

use serde_json::Value;

use crate::engine::Matched;
use crate::text::sanitize;

/// One line of the tree: its indentation and key, then a value (a scalar,
/// or a bracket that opens or closes a container).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeLine {
    pub prefix: String,
    pub value: String,
    /// The rule matched on this field or value.
    pub hit: bool,
    /// The field's dotted path, array positions left out.
    pub path: String,
    /// A scalar's value as the log has it, not escaped: what a pivot or
    /// a copy uses.
    pub raw: Option<String>,
    /// For a line that opens an object or array, the line closing it.
    pub end: Option<usize>,
}

/// A tree with some of its containers folded.
#[derive(Debug, Clone)]
pub struct Tree {
    pub lines: Vec<TreeLine>,
    folded: Vec<bool>,
    /// Indices of the lines on view: a folded container's inside is not.
    pub shown: Vec<usize>,
}

impl Tree {
    pub fn new(lines: Vec<TreeLine>) -> Tree {
        let folded = vec![false; lines.len()];
        let mut t = Tree {
            lines,
            folded,
            shown: Vec::new(),
        };
        t.reshow();
        t
    }

    fn reshow(&mut self) {
        self.shown.clear();
        let mut i = 0;
        while i < self.lines.len() {
            self.shown.push(i);
            i = match self.lines[i].end {
                Some(end) if self.folded[i] => end + 1,
                _ => i + 1,
            };
        }
    }

    pub fn is_folded(&self, line: usize) -> bool {
        self.folded.get(line).copied().unwrap_or(false)
    }

    /// Folds or unfolds the container opened on `line`; false when that
    /// line opens none.
    pub fn toggle(&mut self, line: usize) -> bool {
        if self.lines.get(line).and_then(|l| l.end).is_none() {
            return false;
        }
        self.folded[line] = !self.folded[line];
        self.reshow();
        true
    }
}

/// The tree of `v`. A scalar is marked when its path ends with a matched
/// field, or when it equals a matched value: a rule written against one
/// shape's field names matches values stored under another's.
pub fn lines(v: &Value, matched: &[Matched]) -> Vec<TreeLine> {
    let suffixes: Vec<String> = matched.iter().map(|m| format!(".{}", m.field)).collect();
    let hit = |path: &str, text: &str| {
        matched.iter().zip(&suffixes).any(|(m, suffix)| {
            m.field == path
                || path.ends_with(suffix.as_str())
                || (!m.value.is_empty() && m.value == text)
        })
    };
    let mut out = Vec::new();
    walk(v, "", None, 0, &hit, &mut out);
    out
}

fn walk(
    v: &Value,
    path: &str,
    key: Option<&str>,
    depth: usize,
    hit: &dyn Fn(&str, &str) -> bool,
    out: &mut Vec<TreeLine>,
) {
    let prefix = format!(
        "{}{}",
        "  ".repeat(depth),
        key.map(|k| format!("{}: ", sanitize(k)))
            .unwrap_or_default()
    );
    let line = |prefix: String, value: &str| TreeLine {
        prefix,
        value: value.to_string(),
        hit: false,
        path: path.to_string(),
        raw: None,
        end: None,
    };
    let open = out.len();
    match v {
        Value::Object(m) => {
            out.push(line(prefix, "{"));
            for (k, x) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                walk(x, &p, Some(k), depth + 1, hit, out);
            }
            out.push(line("  ".repeat(depth), "}"));
            out[open].end = Some(out.len() - 1);
        }
        Value::Array(items) => {
            out.push(line(prefix, "["));
            for x in items {
                walk(x, path, None, depth + 1, hit, out);
            }
            out.push(line("  ".repeat(depth), "]"));
            out[open].end = Some(out.len() - 1);
        }
        scalar => {
            let text = match scalar {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let value = match scalar {
                Value::String(_) => format!("\"{}\"", sanitize(&text)),
                _ => sanitize(&text).into_owned(),
            };
            out.push(TreeLine {
                prefix,
                value,
                hit: hit(path, &text),
                path: path.to_string(),
                raw: Some(text),
                end: None,
            });
        }
    }
}
