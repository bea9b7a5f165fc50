//! Exceptions: conditions under which a rule must not see an event, as
//! Elastic's rule exceptions are. Each one is a list of entries that must
//! all hold (AND); an event that satisfies them is dropped from the rules
//! in the exception's scope before they look at it, so a query rule does
//! not fire on it and an aggregation does not count it.
//!
//! They live as TOML files a team reviews ([`file`]), go to and from
//! Kibana's exception-list NDJSON ([`elastic`]), and are written out as
//! the Kusto condition a Sentinel rule would append ([`sentinel`]).

pub mod elastic;
pub mod file;
pub mod sentinel;

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::ingest::Mapping;
use crate::model::SourceKind;
use crate::rules::Rule;

/// The rules an exception applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    /// Rule ids (Elastic's `rule_id`, Sentinel's `id`).
    Rules(Vec<String>),
    /// The rules that name the exception's list in their
    /// `exceptions_list`, as in Elastic, where a list is shared that way.
    ByList,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    /// Elastic's `item_id`: stable across exports and imports.
    pub id: String,
    /// Elastic's `list_id` of the list the exception belongs to.
    pub list: String,
    pub name: String,
    /// Why the exception is there.
    pub comment: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    /// After this time the exception no longer applies.
    pub expires: Option<DateTime<Utc>>,
    pub scope: Scope,
    /// When made, close the alerts it matches (rather than only keeping
    /// future ones from firing).
    pub close_alerts: bool,
    pub entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub field: String,
    pub op: Op,
}

/// Entry operators, named as Elastic's exception builder shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Is(String),
    IsNot(String),
    IsOneOf(Vec<String>),
    IsNotOneOf(Vec<String>),
    /// `*` for any run of characters, `?` for one.
    Matches(String),
    DoesNotMatch(String),
    Exists,
    DoesNotExist,
    /// Conditions that one object of an array of objects under the field
    /// must meet together.
    Nested(Vec<Entry>),
}

impl Op {
    /// The operator's name in exception files and the builder.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Is(_) => "is",
            Op::IsNot(_) => "is not",
            Op::IsOneOf(_) => "is one of",
            Op::IsNotOneOf(_) => "is not one of",
            Op::Matches(_) => "matches",
            Op::DoesNotMatch(_) => "does not match",
            Op::Exists => "exists",
            Op::DoesNotExist => "does not exist",
            Op::Nested(_) => "nested",
        }
    }
}

impl Exception {
    pub fn applies_to(&self, rule: &Rule) -> bool {
        match &self.scope {
            Scope::All => true,
            Scope::Rules(ids) => ids.contains(&rule.rule_id),
            Scope::ByList => rule.exception_lists.contains(&self.list),
        }
    }

    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        self.expires.is_some_and(|t| t <= now)
    }

    /// Whether an event meets every entry; fields are found under any
    /// shape's name for them, as rules find theirs.
    pub fn matches(&self, doc: &Value, kind: SourceKind, mapping: &Mapping) -> bool {
        !self.entries.is_empty() && all_hold(&self.entries, doc, kind, mapping)
    }

    /// One line that says what the exception drops.
    pub fn describe(&self) -> String {
        self.entries
            .iter()
            .map(Entry::describe)
            .collect::<Vec<_>>()
            .join(" AND ")
    }
}

impl Entry {
    pub fn describe(&self) -> String {
        let list = |v: &[String]| format!("({})", v.join(", "));
        match &self.op {
            Op::Is(v) | Op::IsNot(v) | Op::Matches(v) | Op::DoesNotMatch(v) => {
                format!("{} {} {v}", self.field, self.op.name())
            }
            Op::IsOneOf(v) | Op::IsNotOneOf(v) => {
                format!("{} {} {}", self.field, self.op.name(), list(v))
            }
            Op::Exists | Op::DoesNotExist => format!("{} {}", self.field, self.op.name()),
            Op::Nested(inner) => format!(
                "{} has one item with {}",
                self.field,
                inner
                    .iter()
                    .map(Entry::describe)
                    .collect::<Vec<_>>()
                    .join(" AND ")
            ),
        }
    }
}

fn all_hold(entries: &[Entry], doc: &Value, kind: SourceKind, mapping: &Mapping) -> bool {
    entries.iter().all(|e| holds(e, doc, kind, mapping))
}

fn holds(e: &Entry, doc: &Value, kind: SourceKind, mapping: &Mapping) -> bool {
    let found = mapping.lookup(doc, kind, &e.field);
    let texts = || texts_of(&found);
    match &e.op {
        Op::Is(v) => texts().iter().any(|t| t == v),
        // As in Elastic, "is not" holds wherever "is" does not, an event
        // without the field included.
        Op::IsNot(v) => !texts().iter().any(|t| t == v),
        Op::IsOneOf(vs) => texts().iter().any(|t| vs.contains(t)),
        Op::IsNotOneOf(vs) => !texts().iter().any(|t| vs.contains(t)),
        Op::Matches(p) => texts().iter().any(|t| wildcard(p, t)),
        Op::DoesNotMatch(p) => !texts().iter().any(|t| wildcard(p, t)),
        Op::Exists => found.iter().any(|v| present(v)),
        Op::DoesNotExist => !found.iter().any(|v| present(v)),
        Op::Nested(inner) => found.iter().any(|v| {
            let items: Vec<&Value> = match v.as_ref() {
                Value::Array(a) => a.iter().collect(),
                other => vec![other],
            };
            items
                .into_iter()
                .any(|item| item.is_object() && all_hold(inner, item, kind, mapping))
        }),
    }
}

fn present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Array(a) => a.iter().any(present),
        _ => true,
    }
}

/// The scalar texts of the values found, arrays flattened.
fn texts_of(found: &[Cow<'_, Value>]) -> Vec<String> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => out.push(s.clone()),
            Value::Number(n) => out.push(n.to_string()),
            Value::Bool(b) => out.push(b.to_string()),
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            Value::Null | Value::Object(_) => {}
        }
    }
    let mut out = Vec::new();
    for v in found {
        walk(v, &mut out);
    }
    out
}

/// Elastic's wildcard: `*` any run of characters, `?` exactly one, every
/// other character itself; the whole value must match.
pub fn wildcard(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Greedy with one backtrack point: linear in practice, never
    // exponential on hostile values.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || (p[pi] != '*' && p[pi] == t[ti])) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// The exceptions in force at `now`, and those that have run out.
pub fn in_force(all: Vec<Exception>, now: DateTime<Utc>) -> (Vec<Exception>, Vec<Exception>) {
    all.into_iter().partition(|e| !e.expired(now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn exception(entries: Vec<Entry>) -> Exception {
        Exception {
            id: "x".into(),
            list: "vigil".into(),
            name: "t".into(),
            comment: String::new(),
            created_by: "a".into(),
            created_at: Utc::now(),
            expires: None,
            scope: Scope::All,
            close_alerts: false,
            entries,
        }
    }

    fn entry(field: &str, op: Op) -> Entry {
        Entry {
            field: field.into(),
            op,
        }
    }

    #[test]
    fn wildcards_match_whole_values() {
        assert!(wildcard("svc-*", "svc-backup"));
        assert!(wildcard("*backup", "svc-backup"));
        assert!(wildcard("s?c-*p", "svc-backup"));
        assert!(!wildcard("svc-*", "my-svc-backup"));
        assert!(!wildcard("svc", "svc-backup"));
        assert!(wildcard("*", ""));
        assert!(wildcard("a*b*c", "aXXbYYbZc"));
        assert!(!wildcard("a*b*c", "aXXbYYbZ"));
        // A long hostile value with many stars ends quickly.
        let long = "a".repeat(20_000);
        assert!(!wildcard("*a*a*a*a*a*b", &long));
    }

    #[test]
    fn entries_all_hold_and_is_not_holds_where_the_field_is_missing() {
        let m = Mapping::builtin();
        let doc = json!({"user": {"name": "svc-rotate"}, "source": {"ip": "20.50.2.10"},
                         "tags": ["a", "b"]});
        let k = SourceKind::Activity;
        let is = exception(vec![
            entry("user.name", Op::Is("svc-rotate".into())),
            entry(
                "source.ip",
                Op::IsOneOf(vec!["1.1.1.1".into(), "20.50.2.10".into()]),
            ),
        ]);
        assert!(is.matches(&doc, k, m));
        let case = exception(vec![entry("user.name", Op::Is("SVC-ROTATE".into()))]);
        assert!(!case.matches(&doc, k, m), "match is exact, as Elastic's is");
        let not = exception(vec![entry("host.name", Op::IsNot("x".into()))]);
        assert!(not.matches(&doc, k, m));
        let any = exception(vec![entry("tags", Op::Is("b".into()))]);
        assert!(any.matches(&doc, k, m), "any value of a list counts");
        let exists = exception(vec![entry("source.ip", Op::Exists)]);
        assert!(exists.matches(&doc, k, m));
        let missing = exception(vec![entry("host.name", Op::DoesNotExist)]);
        assert!(missing.matches(&doc, k, m));
        let none = exception(vec![]);
        assert!(
            !none.matches(&doc, k, m),
            "an empty exception drops nothing"
        );
    }

    #[test]
    fn nested_entries_must_hold_on_one_object() {
        let m = Mapping::builtin();
        let doc = json!({"props": [{"k": "role", "v": "Owner"}, {"k": "scope", "v": "/subs/1"}]});
        let k = SourceKind::Activity;
        let one = exception(vec![entry(
            "props",
            Op::Nested(vec![
                entry("k", Op::Is("role".into())),
                entry("v", Op::Is("Owner".into())),
            ]),
        )]);
        assert!(one.matches(&doc, k, m));
        let split = exception(vec![entry(
            "props",
            Op::Nested(vec![
                entry("k", Op::Is("role".into())),
                entry("v", Op::Is("/subs/1".into())),
            ]),
        )]);
        assert!(
            !split.matches(&doc, k, m),
            "the two conditions hold on different objects"
        );
    }
}
