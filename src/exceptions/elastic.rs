//! Kibana's exception-list NDJSON, both ways: the list container on the
//! first line, one item per line after it, and an export summary last.
//! Vigil's own settings with no Kibana field (the rules an exception is
//! for, closing its alerts) travel as item tags, so a list exported and
//! imported again is the same list; a list exported from Kibana, with no
//! such tags, applies to the rules that name it in `exceptions_list`.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::file::{DEFAULT_LIST, stamp};
use super::{Entry, Exception, Op, Scope};
use crate::rules::rule::Located;

const RULE_TAG: &str = "vigil.rule:";
const ALL_TAG: &str = "vigil.rules:all";
const CLOSE_TAG: &str = "vigil.close_alerts";

fn at_line(file: &str, line: usize, message: String) -> Located {
    Located {
        file: file.to_string(),
        line,
        column: 1,
        message,
        excerpt: String::new(),
    }
}

/// The exception items of an export; the container and the summary line
/// are read past.
pub fn import(file: &str, text: &str) -> (Vec<Exception>, Vec<Located>) {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line_no = n + 1;
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => {
                errors.push(Located {
                    column: e.column(),
                    ..at_line(file, line_no, format!("not JSON: {e}"))
                });
                continue;
            }
        };
        // The container and the summary have no entries.
        if v.get("entries").is_none() {
            continue;
        }
        match item(&v) {
            Ok(e) => found.push(e),
            Err(why) => errors.push(at_line(file, line_no, why)),
        }
    }
    (found, errors)
}

fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or("").to_string()
}

fn time(v: &Value, key: &str) -> Result<Option<DateTime<Utc>>, String> {
    match v.get(key).and_then(Value::as_str) {
        None | Some("") => Ok(None),
        Some(t) => crate::model::parse_time(t)
            .map(Some)
            .ok_or_else(|| format!("{key} `{t}` is not a date and time")),
    }
}

fn item(v: &Value) -> Result<Exception, String> {
    let name = text(v, "name");
    let tags: Vec<&str> = v
        .get("tags")
        .and_then(Value::as_array)
        .map(|t| t.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let rules: Vec<String> = tags
        .iter()
        .filter_map(|t| t.strip_prefix(RULE_TAG))
        .map(str::to_string)
        .collect();
    let scope = if tags.contains(&ALL_TAG) {
        Scope::All
    } else if !rules.is_empty() {
        Scope::Rules(rules)
    } else {
        Scope::ByList
    };
    let comments: Vec<String> = v
        .get("comments")
        .and_then(Value::as_array)
        .map(|c| {
            c.iter()
                .filter_map(|x| x.get("comment").and_then(Value::as_str))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let comment = if comments.is_empty() {
        text(v, "description")
    } else {
        comments.join("\n")
    };
    let entries = v
        .get("entries")
        .and_then(Value::as_array)
        .ok_or("entries is not a list")?
        .iter()
        .map(entry)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("exception `{name}`: {e}"))?;
    if entries.is_empty() {
        return Err(format!("exception `{name}` has no entries"));
    }
    let item_id = text(v, "item_id");
    Ok(Exception {
        id: if item_id.is_empty() {
            super::file::new_id(&name)
        } else {
            item_id
        },
        list: Some(text(v, "list_id"))
            .filter(|l| !l.is_empty())
            .unwrap_or_else(|| DEFAULT_LIST.into()),
        name,
        comment,
        created_by: text(v, "created_by"),
        created_at: time(v, "created_at")?.unwrap_or(DateTime::UNIX_EPOCH),
        expires: time(v, "expire_time")?,
        scope,
        close_alerts: tags.contains(&CLOSE_TAG),
        entries,
    })
}

fn entry(v: &Value) -> Result<Entry, String> {
    let field = text(v, "field");
    if field.is_empty() {
        return Err("an entry has no field".into());
    }
    let excluded = match v.get("operator").and_then(Value::as_str) {
        Some("excluded") => true,
        Some("included") | None => false,
        Some(other) => return Err(format!("{field}: unknown operator `{other}`")),
    };
    let one = || {
        v.get("value")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| format!("{field}: value is not a string"))
    };
    let many = || -> Result<Vec<String>, String> {
        v.get("value")
            .and_then(Value::as_array)
            .and_then(|a| a.iter().map(|x| x.as_str().map(str::to_string)).collect())
            .ok_or_else(|| format!("{field}: value is not a list of strings"))
    };
    let ty = v.get("type").and_then(Value::as_str).unwrap_or("");
    let op = match (ty, excluded) {
        ("match", false) => Op::Is(one()?),
        ("match", true) => Op::IsNot(one()?),
        ("match_any", false) => Op::IsOneOf(many()?),
        ("match_any", true) => Op::IsNotOneOf(many()?),
        ("wildcard", false) => Op::Matches(one()?),
        ("wildcard", true) => Op::DoesNotMatch(one()?),
        ("exists", false) => Op::Exists,
        ("exists", true) => Op::DoesNotExist,
        ("nested", _) => Op::Nested(
            v.get("entries")
                .and_then(Value::as_array)
                .ok_or_else(|| format!("{field}: nested entry without entries"))?
                .iter()
                .map(entry)
                .collect::<Result<_, _>>()?,
        ),
        ("list", _) => {
            return Err(format!(
                "{field}: value lists live in Kibana and cannot be read offline; \
                 write the values out with `is one of`"
            ));
        }
        (other, _) => return Err(format!("{field}: unknown entry type `{other}`")),
    };
    Ok(Entry { field, op })
}

fn entry_json(e: &Entry) -> Value {
    let (ty, op, value) = match &e.op {
        Op::Is(v) => ("match", "included", Some(json!(v))),
        Op::IsNot(v) => ("match", "excluded", Some(json!(v))),
        Op::IsOneOf(v) => ("match_any", "included", Some(json!(v))),
        Op::IsNotOneOf(v) => ("match_any", "excluded", Some(json!(v))),
        Op::Matches(v) => ("wildcard", "included", Some(json!(v))),
        Op::DoesNotMatch(v) => ("wildcard", "excluded", Some(json!(v))),
        Op::Exists => ("exists", "included", None),
        Op::DoesNotExist => ("exists", "excluded", None),
        Op::Nested(inner) => {
            return json!({
                "field": e.field,
                "type": "nested",
                "entries": inner.iter().map(entry_json).collect::<Vec<_>>(),
            });
        }
    };
    let mut out = json!({"field": e.field, "operator": op, "type": ty});
    if let Some(v) = value {
        out["value"] = v;
    }
    out
}

/// The NDJSON Kibana imports: one container per list, its items, and the
/// export summary.
pub fn export(list: &[Exception]) -> String {
    let mut lists: Vec<&str> = list.iter().map(|e| e.list.as_str()).collect();
    lists.sort();
    lists.dedup();
    let mut out = String::new();
    for l in &lists {
        let container = json!({
            "list_id": l,
            "name": l,
            "description": "Exceptions made in Vigil",
            "type": "detection",
            "namespace_type": "single",
            "immutable": false,
            "os_types": [],
            "tags": [],
            "version": 1,
        });
        out.push_str(&container.to_string());
        out.push('\n');
        for e in list.iter().filter(|e| e.list == *l) {
            let mut tags: Vec<String> = match &e.scope {
                Scope::All => vec![ALL_TAG.to_string()],
                Scope::Rules(ids) => ids.iter().map(|i| format!("{RULE_TAG}{i}")).collect(),
                Scope::ByList => Vec::new(),
            };
            if e.close_alerts {
                tags.push(CLOSE_TAG.to_string());
            }
            let mut item = json!({
                "item_id": e.id,
                "list_id": e.list,
                "name": e.name,
                "description": e.comment,
                "type": "simple",
                "namespace_type": "single",
                "entries": e.entries.iter().map(entry_json).collect::<Vec<_>>(),
                "comments": if e.comment.is_empty() { json!([]) } else { json!([{"comment": e.comment}]) },
                "os_types": [],
                "tags": tags,
                "created_at": stamp(e.created_at),
                "created_by": e.created_by,
            });
            if let Some(t) = e.expires {
                item["expire_time"] = json!(stamp(t));
            }
            out.push_str(&item.to_string());
            out.push('\n');
        }
    }
    let summary = json!({
        "exported_exception_list_count": lists.len(),
        "exported_exception_list_item_count": list.len(),
        "missing_exception_list_item_count": 0,
        "missing_exception_list_items": [],
        "missing_exception_lists": [],
        "missing_exception_lists_count": 0,
    });
    out.push_str(&summary.to_string());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An export as Kibana writes one (the documented sample's layout,
    /// values of our own): a shared list, two items, the summary.
    const KIBANA: &str = concat!(
        r#"{"_version":"WzEyLDFd","created_at":"2026-10-01T08:00:00.000Z","created_by":"elastic","description":"Known automation","id":"6a1f0f00-5e35-11ef-9d2b-0b5b3d3c2a11","immutable":false,"list_id":"azure-automation","name":"Azure automation","namespace_type":"single","os_types":[],"tags":[],"tie_breaker_id":"1c8e4d6f-aa40-4b43-bd0c-51b6f0b2b1e2","type":"detection","updated_at":"2026-10-01T08:00:00.000Z","updated_by":"elastic","version":1}"#,
        "\n",
        r#"{"_version":"WzEzLDFd","comments":[{"comment":"Runbook KR-12 rotates keys nightly","created_at":"2026-10-01T08:01:00.000Z","created_by":"elastic","id":"c1"}],"created_at":"2026-10-01T08:01:00.000Z","created_by":"elastic","description":"Exception list item","entries":[{"field":"azure.activitylogs.identity.claims.appid","operator":"included","type":"match","value":"3f9a1c2e-7b4d-4e8f-9a0b-1c2d3e4f5a6b"},{"field":"source.ip","operator":"included","type":"match_any","value":["20.50.2.10","20.50.2.11"]}],"expire_time":"2027-01-31T00:00:00.000Z","id":"7b2a","item_id":"rotation-1","list_id":"azure-automation","name":"Key rotation","namespace_type":"single","os_types":[],"tags":[],"tie_breaker_id":"t1","type":"simple","updated_at":"2026-10-01T08:01:00.000Z","updated_by":"elastic"}"#,
        "\n",
        r#"{"_version":"WzE0LDFd","comments":[],"created_at":"2026-10-02T09:00:00.000Z","created_by":"elastic","description":"Scanner","entries":[{"field":"user_agent.original","operator":"included","type":"wildcard","value":"Qualys*"},{"field":"azure.resource.tags","operator":"excluded","type":"exists"},{"field":"azure.activitylogs.properties","type":"nested","entries":[{"field":"statusCode","operator":"included","type":"match","value":"OK"}]}],"id":"8c3b","item_id":"scanner-1","list_id":"azure-automation","name":"Vulnerability scanner","namespace_type":"single","os_types":[],"tags":[],"tie_breaker_id":"t2","type":"simple","updated_at":"2026-10-02T09:00:00.000Z","updated_by":"elastic"}"#,
        "\n",
        r#"{"exported_exception_list_count":1,"exported_exception_list_item_count":2,"missing_exception_list_item_count":0,"missing_exception_list_items":[],"missing_exception_lists":[],"missing_exception_lists_count":0}"#,
        "\n"
    );

    #[test]
    fn a_kibana_export_imports_with_its_operators_and_dates() {
        let (found, errors) = import("list.ndjson", KIBANA);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(found.len(), 2);
        let rot = &found[0];
        assert_eq!(rot.id, "rotation-1");
        assert_eq!(rot.list, "azure-automation");
        assert_eq!(rot.comment, "Runbook KR-12 rotates keys nightly");
        assert_eq!(rot.scope, Scope::ByList);
        assert_eq!(stamp(rot.expires.unwrap()), "2027-01-31T00:00:00Z");
        assert_eq!(
            rot.describe(),
            "azure.activitylogs.identity.claims.appid is 3f9a1c2e-7b4d-4e8f-9a0b-1c2d3e4f5a6b \
             AND source.ip is one of (20.50.2.10, 20.50.2.11)"
        );
        let scan = &found[1];
        assert_eq!(scan.comment, "Scanner");
        assert_eq!(scan.entries[0].op, Op::Matches("Qualys*".into()));
        assert_eq!(scan.entries[1].op, Op::DoesNotExist);
        assert!(matches!(&scan.entries[2].op, Op::Nested(i) if i[0].op == Op::Is("OK".into())));
    }

    #[test]
    fn exported_and_imported_again_the_exceptions_are_equal() {
        let (mut found, _) = import("list.ndjson", KIBANA);
        found[0].scope = Scope::Rules(vec!["rule-a".into(), "rule-b".into()]);
        found[0].close_alerts = true;
        found[1].scope = Scope::All;
        let (toml_found, _) =
            super::super::file::from_toml("x.toml", &super::super::file::to_toml(&found));
        assert_eq!(toml_found, found, "TOML keeps them too");
        found.push(toml_found[1].clone());
        found[2].id = "third".into();
        found[2].list = "another-list".into();
        found[2].scope = Scope::ByList;
        let text = export(&found);
        let (again, errors) = import("out.ndjson", &text);
        assert!(errors.is_empty(), "{errors:?}");
        let key = |e: &Exception| e.id.clone();
        let mut a = again.clone();
        let mut b = found.clone();
        a.sort_by_key(key);
        b.sort_by_key(key);
        assert_eq!(a, b);
        // Two lists: two containers, and the summary says so.
        let last: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
        assert_eq!(last["exported_exception_list_count"], 2);
        assert_eq!(last["exported_exception_list_item_count"], 3);
    }

    #[test]
    fn a_value_list_entry_or_a_broken_line_is_located_and_the_rest_imports() {
        let text = format!(
            "{}\nnot json\n{}\n",
            r#"{"item_id":"a","list_id":"l","name":"ok","entries":[{"field":"user.name","operator":"included","type":"match","value":"x"}]}"#,
            r#"{"item_id":"b","list_id":"l","name":"listed","entries":[{"field":"source.ip","operator":"included","type":"list","list":{"id":"ips","type":"ip"}}]}"#
        );
        let (found, errors) = import("l.ndjson", &text);
        assert_eq!(found.len(), 1);
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].line, 2);
        assert_eq!(errors[1].line, 3);
        assert!(errors[1].message.contains("value lists"), "{errors:?}");
    }
}
