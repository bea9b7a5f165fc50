//! How a rule sees a document's fields. Rules ask by name; [`Mapped`]
//! answers through the field-mapping table, so a name from any log shape
//! finds the field in every shape; [`Plain`] answers from the document
//! alone (conformance cases, nested objects).

use std::borrow::Cow;
use std::rc::Rc;

use serde_json::Value;

use crate::ingest::Mapping;
use crate::ingest::doc::get_path;
use crate::model::SourceKind;

/// The values found under a name: shared, so that a view that remembers
/// its lookups hands the same answer to every rule that asks.
pub type Values<'a> = Rc<[Cow<'a, Value>]>;

pub trait Fields {
    /// Every value stored under `name` (arrays are not flattened).
    fn values(&self, name: &str) -> Values<'_>;
    /// Every scalar leaf with its dotted path (array positions left out,
    /// as Elasticsearch names fields).
    fn for_each_leaf(&self, f: &mut dyn FnMut(&str, &Value));
}

pub struct Plain<'a>(pub &'a Value);

impl Fields for Plain<'_> {
    fn values(&self, name: &str) -> Values<'_> {
        let mut out = Vec::new();
        get_path(self.0, name, &mut out);
        out.into_iter().map(Cow::Borrowed).collect()
    }

    fn for_each_leaf(&self, f: &mut dyn FnMut(&str, &Value)) {
        let mut path = String::new();
        walk(self.0, &mut path, f);
    }
}

/// A loaded event: lookups go through the mapping for its kind.
pub struct Mapped<'a> {
    pub doc: &'a Value,
    pub kind: SourceKind,
    pub mapping: &'a Mapping,
}

impl Fields for Mapped<'_> {
    fn values(&self, name: &str) -> Values<'_> {
        self.mapping.lookup(self.doc, self.kind, name).into()
    }

    fn for_each_leaf(&self, f: &mut dyn FnMut(&str, &Value)) {
        let mut path = String::new();
        walk(self.doc, &mut path, f);
    }
}

fn walk(v: &Value, path: &mut String, f: &mut dyn FnMut(&str, &Value)) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                walk(x, path, f);
                path.truncate(len);
            }
        }
        Value::Array(items) => items.iter().for_each(|x| walk(x, path, f)),
        Value::Null => {}
        scalar => f(path, scalar),
    }
}
