//! Microsoft Sentinel rules: analytic rules and hunting queries in YAML,
//! with a Kusto `query`, entity mappings and the schedule.

use yaml_rust2::{Yaml, YamlLoader};

use super::guide::Guide;
use super::kusto;
use super::rule::{Kind, Located, Parsed, Ref, Rule, Severity, Status, Technique, Threat, Trigger};

fn s(y: &Yaml, key: &str) -> Option<String> {
    match &y[key] {
        Yaml::String(v) => Some(v.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Real(r) => Some(r.clone()),
        _ => None,
    }
}

fn list(y: &Yaml, key: &str) -> Vec<String> {
    y[key]
        .as_vec()
        .map(|v| {
            v.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// An entity the rule maps from its result columns.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EntityMapping {
    pub entity_type: String,
    /// (identifier, column).
    pub fields: Vec<(String, String)>,
}

pub fn entity_mappings(y: &Yaml) -> Vec<EntityMapping> {
    y["entityMappings"]
        .as_vec()
        .map(|v| {
            v.iter()
                .map(|m| EntityMapping {
                    entity_type: s(m, "entityType").unwrap_or_default(),
                    fields: m["fieldMappings"]
                        .as_vec()
                        .map(|f| {
                            f.iter()
                                .map(|x| {
                                    (
                                        s(x, "identifier").unwrap_or_default(),
                                        s(x, "columnName").unwrap_or_default(),
                                    )
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// What a rule's alerts say beyond its name: `alertDetailsOverride`'s
/// title and description formats (`{{Column}}` placeholders), the column
/// that holds its severity, and `customDetails` (key, column).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct AlertDetails {
    pub title: Option<String>,
    pub description: Option<String>,
    pub severity_column: Option<String>,
    pub custom: Vec<(String, String)>,
}

pub fn alert_details(y: &Yaml) -> Option<AlertDetails> {
    let o = &y["alertDetailsOverride"];
    let custom: Vec<(String, String)> = y["customDetails"]
        .as_hash()
        .map(|h| {
            h.iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    let d = AlertDetails {
        title: s(o, "alertDisplayNameFormat"),
        description: s(o, "alertDescriptionFormat"),
        severity_column: s(o, "alertSeverityColumnName"),
        custom,
    };
    let any = d.title.is_some()
        || d.description.is_some()
        || d.severity_column.is_some()
        || !d.custom.is_empty();
    any.then_some(d)
}

/// `{{Column}}` placeholders replaced by the row's values.
pub fn fill(format: &str, value: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(format.len());
    let mut rest = format;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        match after.find("}}") {
            Some(close) => {
                out.push_str(&value(after[..close].trim()).unwrap_or_default());
                rest = &after[close + 2..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Rules copied from a web page often lose their indentation: block
/// scalars (`query: |`) followed by unindented lines, and the nested lists
/// of `requiredDataConnectors` and `entityMappings` flattened to column 0.
/// Puts the indentation back from Sentinel's schema, so such a rule loads
/// as its author wrote it. Used only when the text is not valid YAML.
fn repair_flattened(text: &str) -> String {
    let top_key = |l: &str| {
        let key: String = l
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        (!key.is_empty()
            && l[key.len()..].starts_with(':')
            && l.starts_with(|c: char| c.is_ascii_alphabetic()))
        .then_some(key)
    };
    let mut out = String::with_capacity(text.len() + 512);
    let mut section = String::new();
    let mut in_block = false;
    for line in text.lines() {
        let flat = !line.starts_with([' ', '\t']) && !line.is_empty();
        let key = top_key(line);
        let nested_key = |k: &str| line.starts_with(&format!("{k}:"));
        let indent = if !flat {
            0
        } else if in_block && key.is_none() {
            2
        } else {
            match section.as_str() {
                "requiredDataConnectors" if line.starts_with("- connectorId") => 2,
                "requiredDataConnectors" if nested_key("dataTypes") => 4,
                "requiredDataConnectors" if line.starts_with("- ") => 6,
                "entityMappings" if line.starts_with("- entityType") => 2,
                "entityMappings" if nested_key("fieldMappings") => 4,
                "entityMappings" if line.starts_with("- identifier") => 6,
                "entityMappings" if nested_key("columnName") => 8,
                _ if line.starts_with("- ") => 2,
                _ => 0,
            }
        };
        if indent == 0 {
            if let Some(k) = &key {
                if !(section == "requiredDataConnectors" && k == "dataTypes")
                    && !(section == "entityMappings" && (k == "fieldMappings" || k == "columnName"))
                {
                    section = k.clone();
                    in_block = false;
                }
            }
        }
        out.push_str(&" ".repeat(indent));
        out.push_str(line);
        out.push('\n');
        let t = line.trim_end();
        if indent == 0
            && key.is_some()
            && [": |", ": >", ": |-", ": >-"]
                .iter()
                .any(|e| t.ends_with(e))
        {
            in_block = true;
        }
    }
    out
}

/// A Sentinel YAML file. `Err` when it is not YAML or has no query.
pub fn from_yaml(file: &str, text: &str) -> Result<Rule, Located> {
    let loaded = YamlLoader::load_from_str(text)
        .or_else(|e| YamlLoader::load_from_str(&repair_flattened(text)).map_err(|_| e));
    let docs = loaded.map_err(|e| Located {
        file: file.to_string(),
        line: e.marker().line(),
        column: e.marker().col() + 1,
        message: e.info().to_string(),
        excerpt: String::new(),
    })?;
    let y = docs.into_iter().next().unwrap_or(Yaml::Null);
    let query = s(&y, "query").ok_or_else(|| Located {
        file: file.to_string(),
        line: 1,
        column: 1,
        message: "no `query` in the rule".into(),
        excerpt: String::new(),
    })?;
    let techniques: Vec<Technique> = list(&y, "relevantTechniques")
        .into_iter()
        .map(|t| Technique {
            technique: Ref {
                id: t,
                ..Ref::default()
            },
            subtechniques: Vec::new(),
        })
        .collect();
    let threat = list(&y, "tactics")
        .into_iter()
        .map(|t| Threat {
            framework: "MITRE ATT&CK".into(),
            tactic: Some(Ref {
                name: t,
                ..Ref::default()
            }),
            techniques: techniques.clone(),
        })
        .collect();
    let severity = s(&y, "severity")
        .and_then(|v| Severity::parse(&v))
        .unwrap_or(Severity::Medium);
    let mut rule = Rule {
        file: file.to_string(),
        rule_id: s(&y, "id").unwrap_or_default(),
        name: s(&y, "name").unwrap_or_default(),
        description: s(&y, "description")
            .unwrap_or_default()
            .trim()
            .trim_matches('\'')
            .to_string(),
        severity,
        risk_score: severity.default_risk(),
        kind: Kind::Query,
        language: "kusto".into(),
        query: query.trim_end().to_string(),
        parsed: Parsed::None,
        index: Vec::new(),
        from: s(&y, "queryPeriod"),
        interval: s(&y, "queryFrequency"),
        max_signals: None,
        timestamp_override: None,
        false_positives: Vec::new(),
        references: Vec::new(),
        tags: Vec::new(),
        note: None,
        setup: None,
        guide: Guide::default(),
        threat,
        exception_lists: Vec::new(),
        suppression: None,
        trigger: s(&y, "triggerOperator").map(|op| Trigger {
            op,
            threshold: match &y["triggerThreshold"] {
                Yaml::Integer(n) => (*n).max(0) as u64,
                other => other
                    .as_str()
                    .and_then(|t| t.trim().parse().ok())
                    .unwrap_or(0),
            },
        }),
        entities: entity_mappings(&y),
        details: alert_details(&y),
        maturity: s(&y, "status"),
        status: Status::Ok,
    };
    let offset = text.find(rule.query.lines().next().unwrap_or("\u{0}"));
    match kusto::compile(&rule.query) {
        Ok(q) => rule.parsed = Parsed::Kusto(q),
        Err(d) => {
            // Missing operators and functions are "unsupported" (the rule
            // is fine, Vigil lacks a piece); syntax errors are errors.
            if d.message.contains("not supported") {
                rule.status = Status::Unsupported(d.message.clone());
            } else {
                rule.status = Status::Error(rule.locate(&d, text, offset.filter(|_| false)));
            }
        }
    }
    Ok(rule)
}

#[cfg(test)]
mod tests {
    use super::fill;

    #[test]
    fn placeholders_take_the_rows_values_and_the_rest_stays_as_written() {
        let row = |c: &str| match c {
            "User" => Some("ana".to_string()),
            "N" => Some("3".to_string()),
            _ => None,
        };
        assert_eq!(fill("{{N}} reads by {{ User }}", &row), "3 reads by ana");
        // A column the row lacks reads empty; an unclosed brace is text.
        assert_eq!(fill("by {{Nobody}}.", &row), "by .");
        assert_eq!(fill("open {{User", &row), "open {{User");
        assert_eq!(fill("no placeholders", &row), "no placeholders");
    }
}
