//! The parts of a record a run can read: every field its rules and
//! exceptions name, under every name the mapping table knows it by, with
//! what the event model and the engine read of every record. A record's
//! other parts are skipped while it is parsed. A rule that can reach
//! fields it does not name (free text, wildcard field names, rows of
//! every column) needs whole records.

use crate::exceptions::{Entry, Exception};
use crate::ingest::Mapping;
use crate::ingest::keep::Keep;
use crate::rules::kql::ast::{Field, Query as KqlQuery};
use crate::rules::kusto::projection::Projection;
use crate::rules::kusto::tables::all_standard_columns;
use crate::rules::rule::{Kind, Parsed, Rule};

/// What the engine reads of every record besides rule fields: the table
/// (`Type`, `category`), the index names a rule's patterns match, and an
/// ES|QL `_id`.
const ENGINE: &[&str] = &[
    "Type",
    "category",
    "_id",
    "_index",
    "data_stream",
    "event.dataset",
    "agent.type",
];

/// Field names, or word that whole records are needed.
#[derive(Default)]
struct Names {
    list: Vec<String>,
    everything: bool,
}

impl Names {
    fn add(&mut self, name: &str) {
        self.list.push(name.to_string());
    }
}

/// The parts to keep for these rules and exceptions; `None` when one of
/// them needs whole records.
pub fn of<'r>(
    rules: impl IntoIterator<Item = &'r Rule>,
    exceptions: &[Exception],
    mapping: &Mapping,
) -> Option<Keep> {
    let mut names = Names::default();
    for rule in rules {
        rule_names(rule, &mut names);
    }
    for e in exceptions {
        entry_names(&e.entries, &mut names);
    }
    if names.everything {
        return None;
    }
    Some(keep_names(&names, mapping))
}

fn keep_names(names: &Names, mapping: &Mapping) -> Keep {
    let mut keep = Keep::default();
    for p in ENGINE
        .iter()
        .map(|s| s.to_string())
        .chain(mapping.own_paths())
    {
        keep.add(&p);
    }
    for name in &names.list {
        for p in mapping.sources(name) {
            keep.add(&p);
        }
    }
    keep
}

/// The parts to keep for a Kusto query that reads what `p` names.
pub fn of_projection(p: &Projection, mapping: &Mapping) -> Keep {
    let mut names = Names::default();
    projection_names(p, &mut names);
    keep_names(&names, mapping)
}

fn projection_names(p: &Projection, out: &mut Names) {
    p.names().for_each(|n| out.add(n));
    // A result that is not projected shows its rows whole.
    if !p.named_result {
        all_standard_columns().for_each(|n| out.add(n));
    }
}

fn entry_names(entries: &[Entry], out: &mut Names) {
    // A nested entry's conditions are read inside the objects under its
    // field, which is kept whole.
    entries.iter().for_each(|e| out.add(&e.field));
}

fn rule_names(rule: &Rule, out: &mut Names) {
    match &rule.parsed {
        Parsed::Kql(q) => kql_names(q, out),
        Parsed::Esql(q) => {
            // Without STATS, each row an alert shows holds every field of
            // its event.
            if !q.aggregates() {
                out.everything = true;
            }
            q.fields().iter().for_each(|f| out.add(f));
        }
        Parsed::Kusto(q) => match Projection::for_rule(rule, q) {
            Some(p) => projection_names(&p, out),
            None => out.everything = true,
        },
        Parsed::None => return,
    }
    match &rule.kind {
        Kind::Threshold {
            fields,
            cardinality,
            ..
        } => {
            fields.iter().for_each(|f| out.add(f));
            cardinality.iter().for_each(|(f, _)| out.add(f));
        }
        Kind::NewTerms { fields, .. } => fields.iter().for_each(|f| out.add(f)),
        _ => {}
    }
    if let Some(s) = &rule.suppression {
        s.group_by.iter().for_each(|f| out.add(f));
    }
    if let Some(t) = &rule.timestamp_override {
        out.add(t);
    }
}

fn kql_names(q: &KqlQuery, out: &mut Names) {
    let field = |f: &Field, out: &mut Names| {
        if f.pattern.is_some() {
            out.everything = true;
        } else {
            out.add(&f.name);
        }
    };
    match q {
        KqlQuery::All => {}
        KqlQuery::Free(_) => out.everything = true,
        KqlQuery::Or(v) | KqlQuery::And(v) => v.iter().for_each(|q| kql_names(q, out)),
        KqlQuery::Not(q) => kql_names(q, out),
        KqlQuery::Match { field: f, .. }
        | KqlQuery::Exists { field: f }
        | KqlQuery::Range { field: f, .. } => field(f, out),
        // The nested query reads inside the objects under the field,
        // which is kept whole.
        KqlQuery::Nested { field: f, .. } => field(f, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::elastic::from_toml;
    use serde_json::json;

    fn rule(kind: &str, language: &str, query: &str) -> Rule {
        let text = format!(
            "[metadata]\ncreation_date = \"2026/01/01\"\n\n[rule]\nname = \"t\"\nrule_id = \"t\"\n\
             description = \"t\"\ntype = \"{kind}\"\nlanguage = \"{language}\"\nrisk_score = 21\n\
             severity = \"low\"\nquery = '''{query}'''\n"
        );
        from_toml("t.toml", &text).expect("rule loads")
    }

    fn kql(query: &str) -> Rule {
        rule("query", "kuery", query)
    }

    fn kept(keep: &Keep, doc: serde_json::Value) -> serde_json::Value {
        let text = doc.to_string();
        crate::ingest::keep::parse(text.as_bytes(), keep).expect("valid")
    }

    #[test]
    fn a_field_is_kept_under_every_name_the_mapping_knows() {
        let rule = kql("azure.activitylogs.operation_name:\"MICROSOFT.STORAGE/X\"");
        let keep = of([&rule], &[], Mapping::builtin()).expect("names its fields");
        // The raw Azure spelling of the same field, and the event model's
        // fields, survive; what nothing reads does not.
        let doc = json!({"operationName": "MICROSOFT.STORAGE/X", "time": "2026-01-01T00:00:00Z",
            "category": "Administrative", "noise": {"big": [1, 2, 3]}, "durationMs": 5});
        let v = kept(&keep, doc);
        assert_eq!(v["operationName"], "MICROSOFT.STORAGE/X");
        assert_eq!(v["time"], "2026-01-01T00:00:00Z");
        assert_eq!(v["category"], "Administrative");
        assert!(
            v.get("noise").is_none() && v.get("durationMs").is_none(),
            "{v}"
        );
    }

    #[test]
    fn an_esql_aggregation_keeps_what_it_expands_and_groups_by() {
        // Expanding multiplies the rows a count counts.
        let q = "FROM logs-* | MV_EXPAND user.roles | STATS n = COUNT(*) BY host.name";
        let r = rule("esql", "esql", q);
        let keep = of([&r], &[], Mapping::builtin()).expect("names its fields");
        let doc = json!({"user": {"roles": ["a", "b"], "id": 1}, "host": {"name": "h", "ip": "x"}});
        assert_eq!(
            kept(&keep, doc),
            json!({"user": {"roles": ["a", "b"]}, "host": {"name": "h"}})
        );
        let rows = rule("esql", "esql", "FROM logs-* | WHERE host.name == \"h\"");
        assert!(
            of([&rows], &[], Mapping::builtin()).is_none(),
            "rows show every field"
        );
    }

    #[test]
    fn a_projected_kusto_result_reads_only_the_columns_it_names() {
        let sentinel = |query: &str| {
            let text = format!(
                "id: 6d2b1f7e-0000-4000-8000-000000000001\nname: t\nseverity: Low\n\
                 query: |\n  {query}\n"
            );
            crate::rules::sentinel::from_yaml("t.yaml", &text).expect("rule loads")
        };
        let doc = json!({"Type": "SigninLogs", "ResultType": "0", "UserPrincipalName": "a@b",
            "IPAddress": "10.0.0.1", "ResultDescription": "ok"});
        let projected = sentinel(
            "SigninLogs | where ResultType == \"0\" | project UserPrincipalName, IPAddress",
        );
        let keep = of([&projected], &[], Mapping::builtin()).expect("names its columns");
        let v = kept(&keep, doc.clone());
        assert_eq!(v["IPAddress"], "10.0.0.1");
        assert!(v.get("ResultDescription").is_none(), "{v}");
        // Unprojected rows show every standard column of their table.
        let whole = sentinel("SigninLogs | where ResultType == \"0\"");
        let keep = of([&whole], &[], Mapping::builtin()).expect("names its columns");
        assert_eq!(kept(&keep, doc)["ResultDescription"], "ok");
    }

    #[test]
    fn free_text_and_wildcard_fields_read_whole_records() {
        assert!(of([&kql("\"mimikatz\"")], &[], Mapping::builtin()).is_none());
        assert!(of([&kql("azure.*.name:x")], &[], Mapping::builtin()).is_none());
        assert!(of([&kql("event.action:x")], &[], Mapping::builtin()).is_some());
    }
}
