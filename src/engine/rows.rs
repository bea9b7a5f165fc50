//! From a result row (ES|QL, Kusto) to a finding: its entities, from the
//! rule's entity mappings or, when it has none, from what its columns are
//! named; the row's values as what made it match.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use serde_json::Value as Json;

use super::alert::{Entity, Finding, Matched, RowDetails, merge_entities};
use crate::detect::EventRef;
use crate::rules::rule::{Rule, Severity};
use crate::rules::sentinel::{AlertDetails, fill};

/// Columns shown as "matched" per row.
const MAX_MATCHED: usize = 16;
const MAX_VALUE_CHARS: usize = 200;

/// One rule's findings, each once: a row that overlapping runs find
/// again (the same events, the same values) is the same finding.
#[derive(Default)]
pub struct Unique {
    /// A digest of each finding's events and values, with the time of its
    /// latest event (epoch ms): a few bytes per finding rather than a copy
    /// of it, and forgotten once no later run can find it again, so a
    /// rule that finds something every hour of a year holds an hour's
    /// worth.
    seen: HashMap<u64, i64>,
    out: Vec<Finding>,
}

fn digest(events: &[EventRef], matched: &[Matched]) -> u64 {
    let mut h = DefaultHasher::new();
    events.hash(&mut h);
    matched.hash(&mut h);
    h.finish()
}

impl Unique {
    /// Adds the findings of a result table's rows, given as JSON objects
    /// with each row's evidence.
    pub fn extend_rows(
        &mut self,
        rule: &Rule,
        columns: &[String],
        rows: &[Json],
        evidence: impl Iterator<Item = Vec<EventRef>>,
    ) {
        for (row, events) in rows.iter().zip(evidence) {
            let f = finding(rule, columns, row, events);
            let last = f
                .events
                .iter()
                .map(|e| e.time_ms)
                .max()
                .filter(|t| *t != i64::MIN)
                .unwrap_or(i64::MAX);
            if self
                .seen
                .insert(digest(&f.events, &f.matched), last)
                .is_none()
            {
                self.out.push(f);
            }
        }
    }

    /// Forgets findings whose events all came before `ms`: runs that start
    /// after it cannot find them again.
    pub fn forget_before(&mut self, ms: i64) {
        self.seen.retain(|_, last| *last >= ms);
    }

    /// The findings added since the last call, handed on as they come;
    /// they are still remembered, so they are not found twice.
    pub fn take_new(&mut self) -> Vec<Finding> {
        std::mem::take(&mut self.out)
    }

    pub fn into_vec(self) -> Vec<Finding> {
        self.out
    }
}

fn finding(rule: &Rule, columns: &[String], row: &Json, mut events: Vec<EventRef>) -> Finding {
    events.sort();
    events.dedup();
    let mut entities = Vec::new();
    if rule.entities.is_empty() {
        for c in columns {
            if let Some(kind) = entity_kind(c) {
                merge_entities(&mut entities, strings(&row[c.as_str()], kind));
            }
        }
    } else {
        for m in &rule.entities {
            let kind = sentinel_kind(&m.entity_type);
            let value = m
                .fields
                .iter()
                .flat_map(|(_, col)| strings(&row[col.as_str()], &kind))
                .next();
            merge_entities(&mut entities, value);
        }
    }
    let matched = columns
        .iter()
        .filter_map(|c| {
            let v = shown(&row[c.as_str()])?;
            Some(Matched {
                field: c.clone(),
                value: v,
            })
        })
        .take(MAX_MATCHED)
        .collect();
    let time = [
        "TimeGenerated",
        "@timestamp",
        "timestamp",
        "StartTime",
        "EndTime",
    ]
    .iter()
    .filter_map(|c| row[*c].as_str())
    .find_map(crate::model::parse_time);
    Finding {
        events,
        time,
        entities,
        matched,
        key: None,
        details: rule.details.as_ref().map(|d| Box::new(row_details(d, row))),
    }
}

/// A Sentinel rule's alert title, description, severity and custom
/// details, read from one result row.
fn row_details(d: &AlertDetails, row: &Json) -> RowDetails {
    let text = |c: &str| -> Option<String> {
        match row.get(c)? {
            Json::Null => None,
            Json::String(s) => Some(crate::text::sanitize(s).into_owned()),
            other => Some(crate::text::sanitize(&other.to_string()).into_owned()),
        }
    };
    RowDetails {
        title: d.title.as_deref().map(|f| fill(f, &text)),
        description: d.description.as_deref().map(|f| fill(f, &text)),
        severity: d
            .severity_column
            .as_deref()
            .and_then(text)
            .and_then(|s| Severity::parse(&s)),
        custom: d
            .custom
            .iter()
            .filter_map(|(k, c)| Some((k.clone(), row.get(c.as_str())?.clone())))
            .collect(),
    }
}

/// The entity kind of a Sentinel entity type.
fn sentinel_kind(t: &str) -> String {
    match t.to_ascii_lowercase().as_str() {
        "account" => "account".into(),
        "ip" => "ip".into(),
        "azureresource" => "resource".into(),
        "cloudapplication" => "app".into(),
        "host" => "host".into(),
        other => other.to_string(),
    }
}

/// Words of a column name: `CallerIpAddress` and `source_ip_values` give
/// `caller ip address` and `source ip values`.
fn words(name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, &ch) in chars.iter().enumerate() {
        if !ch.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1);
        let boundary = ch.is_ascii_uppercase()
            && prev.is_some_and(|p| {
                p.is_ascii_lowercase()
                    || (p.is_ascii_uppercase() && next.is_some_and(|n| n.is_ascii_lowercase()))
            });
        if boundary && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        cur.push(ch.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// What entity a column holds, judged by its name.
fn entity_kind(column: &str) -> Option<&'static str> {
    let w = words(column);
    let has = |x: &str| w.iter().any(|y| y == x);
    if has("count") || has("distinct") || has("description") {
        return None;
    }
    if has("ip") || has("ipaddress") {
        return Some("ip");
    }
    if has("upn")
        || has("caller")
        || has("account")
        || (has("user") && (has("principal") || has("name") || w.len() == 1))
    {
        return Some("account");
    }
    if has("resourceid") || (has("resource") && (has("id") || has("name"))) || has("vault") {
        return Some("resource");
    }
    if has("appid") || (has("app") && (has("name") || has("display") || has("id"))) {
        return Some("app");
    }
    None
}

fn strings(v: &Json, kind: &str) -> Vec<Entity> {
    let mut out = Vec::new();
    let mut push = |s: &str| {
        let ok = kind != "ip" || s.trim().parse::<std::net::IpAddr>().is_ok();
        if ok {
            out.extend(Entity::new(kind, s));
        }
    };
    match v {
        Json::String(s) => push(s),
        Json::Array(items) => items.iter().filter_map(Json::as_str).for_each(&mut push),
        _ => {}
    }
    out
}

fn shown(v: &Json) -> Option<String> {
    let s = match v {
        Json::Null => return None,
        Json::String(s) if s.is_empty() => return None,
        Json::String(s) => s.clone(),
        Json::Array(a) if a.is_empty() => return None,
        Json::Array(a) => a
            .iter()
            .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    };
    Some(s.chars().take(MAX_VALUE_CHARS).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_found_again_is_one_finding_until_no_run_can_find_it() {
        let text = "id: 6d2b1f7e-0000-4000-8000-000000000002\nname: t\nseverity: Low\n\
                    query: |\n  SigninLogs\n";
        let rule = crate::rules::sentinel::from_yaml("t.yaml", text).expect("rule loads");
        let columns = vec!["UserPrincipalName".to_string()];
        let rows = vec![serde_json::json!({"UserPrincipalName": "a@b"})];
        let ev = |ms: i64| EventRef {
            source: 0,
            index: 7,
            line: 8,
            time_ms: ms,
        };
        let mut u = Unique::default();
        u.extend_rows(&rule, &columns, &rows, std::iter::once(vec![ev(1_000)]));
        u.extend_rows(&rule, &columns, &rows, std::iter::once(vec![ev(1_000)]));
        assert_eq!(u.take_new().len(), 1, "overlapping runs find it once");
        // Kept while a later run could still see its event.
        u.forget_before(1_000);
        u.extend_rows(&rule, &columns, &rows, std::iter::once(vec![ev(1_000)]));
        assert!(u.take_new().is_empty());
        // Forgotten once every later run starts after its event: a row
        // found then would be found anew.
        u.forget_before(1_001);
        u.extend_rows(&rule, &columns, &rows, std::iter::once(vec![ev(1_000)]));
        assert_eq!(u.take_new().len(), 1);
    }

    #[test]
    fn column_names_say_which_entity() {
        assert_eq!(words("CallerIpAddress"), ["caller", "ip", "address"]);
        assert_eq!(words("IPAddress"), ["ip", "address"]);
        assert_eq!(entity_kind("IPAddress"), Some("ip"));
        assert_eq!(entity_kind("CallerIpAddress"), Some("ip"));
        assert_eq!(entity_kind("Caller"), Some("account"));
        assert_eq!(entity_kind("UserPrincipalName"), Some("account"));
        assert_eq!(
            entity_kind("Esql_priv.azure_platformlogs_identity_claim_upn_values"),
            Some("account")
        );
        assert_eq!(
            entity_kind("Esql.azure_platformlogs_identity_claim_upn_count_distinct"),
            None
        );
        assert_eq!(entity_kind("Esql.source_ip_values"), Some("ip"));
        assert_eq!(
            entity_kind("Esql.azure_resource_name_values"),
            Some("resource")
        );
        assert_eq!(entity_kind("_ResourceId"), Some("resource"));
        assert_eq!(entity_kind("AppDisplayName"), Some("app"));
        assert_eq!(entity_kind("OperationName"), None);
        assert_eq!(entity_kind("ResultDescription"), None);
    }

    #[test]
    fn addresses_must_parse() {
        let v = serde_json::json!(["10.0.0.1", "not an address", "2001:db8::1"]);
        let got: Vec<String> = strings(&v, "ip").into_iter().map(|e| e.value).collect();
        assert_eq!(got, ["10.0.0.1", "2001:db8::1"]);
    }
}
