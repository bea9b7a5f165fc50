//! Elastic detection rules: the detection-rules repository's TOML files
//! (`[metadata]`, `[rule]`, `[[rule.threat]]`) and Kibana's rule export
//! (NDJSON, the same fields in JSON). Both deserialize into one shape.

use serde::Deserialize;
use serde_json::Value;

use super::guide;
use super::kql;
use super::rule::{
    Kind, Located, Parsed, Ref, Rule, Severity, Status, Suppression, Technique, Threat,
};

#[derive(Deserialize)]
struct TomlFile {
    #[serde(default)]
    metadata: Option<Metadata>,
    rule: RawRule,
    #[serde(default)]
    transform: Option<super::investigate::Transform>,
}

#[derive(Deserialize, Default)]
struct Metadata {
    maturity: Option<String>,
}

#[derive(Deserialize)]
struct RawRule {
    name: String,
    rule_id: String,
    #[serde(default)]
    description: String,
    #[serde(default = "default_severity")]
    severity: String,
    #[serde(default)]
    risk_score: f64,
    #[serde(rename = "type")]
    ty: String,
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    query: Option<String>,
    #[serde(default)]
    index: Vec<String>,
    from: Option<String>,
    interval: Option<String>,
    max_signals: Option<u64>,
    timestamp_override: Option<String>,
    #[serde(default)]
    false_positives: Vec<String>,
    #[serde(default)]
    references: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    note: Option<String>,
    setup: Option<String>,
    #[serde(default)]
    threat: Vec<RawThreat>,
    threshold: Option<RawThreshold>,
    /// detection-rules TOML form.
    new_terms: Option<RawNewTerms>,
    /// Kibana JSON form.
    #[serde(default)]
    new_terms_fields: Vec<String>,
    history_window_start: Option<String>,
    alert_suppression: Option<RawSuppression>,
    #[serde(default)]
    exceptions_list: Vec<RawListRef>,
}

/// A rule's reference to a shared exception list.
#[derive(Deserialize)]
struct RawListRef {
    list_id: String,
}

fn default_severity() -> String {
    "low".into()
}

#[derive(Deserialize, Default)]
struct RawRef {
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    reference: String,
}

impl From<RawRef> for Ref {
    fn from(r: RawRef) -> Ref {
        Ref {
            id: r.id,
            name: r.name,
            reference: r.reference,
        }
    }
}

#[derive(Deserialize)]
struct RawTechnique {
    #[serde(flatten)]
    r: RawRef,
    #[serde(default)]
    subtechnique: Vec<RawRef>,
}

#[derive(Deserialize)]
struct RawThreat {
    #[serde(default)]
    framework: String,
    tactic: Option<RawRef>,
    #[serde(default)]
    technique: Vec<RawTechnique>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) if s.is_empty() => Vec::new(),
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Deserialize)]
struct RawCardinality {
    field: String,
    value: u64,
}

#[derive(Deserialize)]
struct RawThreshold {
    field: OneOrMany,
    value: u64,
    #[serde(default)]
    cardinality: Vec<RawCardinality>,
}

#[derive(Deserialize)]
struct RawNewTerms {
    #[serde(default)]
    value: Vec<String>,
    #[serde(default)]
    history_window_start: Vec<RawFieldValue>,
}

#[derive(Deserialize)]
struct RawFieldValue {
    value: String,
}

#[derive(Deserialize)]
struct RawDuration {
    value: u64,
    unit: String,
}

#[derive(Deserialize)]
struct RawSuppression {
    #[serde(default)]
    group_by: Vec<String>,
    duration: Option<RawDuration>,
    missing_fields_strategy: Option<String>,
}

pub(crate) fn located(file: &str, text: &str, at: usize, message: String) -> Located {
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    let src_line = text[line_start..].lines().next().unwrap_or("");
    Located {
        file: file.to_string(),
        line,
        column,
        message,
        excerpt: format!(
            "{}\n{}^",
            crate::text::sanitize(src_line),
            " ".repeat(column - 1)
        ),
    }
}

/// A TOML rule file. `Err` when the file is not a rule at all (bad TOML,
/// missing required fields), located in the file.
pub fn from_toml(file: &str, text: &str) -> Result<Rule, Located> {
    let parsed: TomlFile = toml::from_str(text).map_err(|e| {
        let at = e.span().map_or(0, |s| s.start);
        located(file, text, at, e.message().trim().to_string())
    })?;
    let maturity = parsed.metadata.unwrap_or_default().maturity;
    let listed = parsed.transform.map(|t| t.investigate).unwrap_or_default();
    let mut rule = build(file, parsed.rule, maturity, &listed);
    // Literal strings ('''...''') stand verbatim in the file, so the query's
    // offset there turns query positions into file lines and columns.
    let offset = (!rule.query.is_empty())
        .then(|| text.find(&rule.query))
        .flatten();
    finish(&mut rule, text, offset);
    Ok(rule)
}

/// One object of a Kibana rule export. `Ok(None)` for the export's summary
/// line, which is not a rule.
pub fn from_json(file: &str, line: usize, v: &Value) -> Result<Option<Rule>, Located> {
    if v.get("rule_id").is_none()
        && (v.get("exported_count").is_some() || v.get("exported_rules_count").is_some())
    {
        return Ok(None);
    }
    let raw: RawRule = serde_json::from_value(v.clone()).map_err(|e| Located {
        file: file.to_string(),
        line,
        column: 1,
        message: e.to_string(),
        excerpt: String::new(),
    })?;
    let mut rule = build(file, raw, None, &[]);
    finish(&mut rule, "", None);
    Ok(Some(rule))
}

fn build(
    file: &str,
    r: RawRule,
    maturity: Option<String>,
    listed: &[super::investigate::Investigation],
) -> Rule {
    let kind = match r.ty.as_str() {
        "query" => Kind::Query,
        "threshold" => match r.threshold {
            Some(t) => Kind::Threshold {
                fields: t.field.into_vec(),
                value: t.value,
                cardinality: t
                    .cardinality
                    .into_iter()
                    .map(|c| (c.field, c.value))
                    .collect(),
            },
            None => Kind::Other("threshold rule without [rule.threshold]".into()),
        },
        "new_terms" => {
            let (fields, start) = match r.new_terms {
                Some(nt) => (
                    nt.value,
                    nt.history_window_start.into_iter().next().map(|f| f.value),
                ),
                None => (r.new_terms_fields, r.history_window_start),
            };
            Kind::NewTerms {
                fields,
                history_window_start: start.unwrap_or_else(|| "now-7d".into()),
            }
        }
        "esql" => Kind::Esql,
        "eql" => Kind::Eql,
        "machine_learning" => Kind::MachineLearning,
        other => Kind::Other(other.to_string()),
    };
    let threat = r
        .threat
        .into_iter()
        .map(|t| Threat {
            framework: t.framework,
            tactic: t.tactic.map(Ref::from),
            techniques: t
                .technique
                .into_iter()
                .map(|te| Technique {
                    technique: te.r.into(),
                    subtechniques: te.subtechnique.into_iter().map(Ref::from).collect(),
                })
                .collect(),
        })
        .collect();
    let guide =
        guide::parse_with(r.note.as_deref().unwrap_or(""), listed).with_setup(r.setup.as_deref());
    Rule {
        file: file.to_string(),
        rule_id: r.rule_id,
        name: r.name,
        description: r.description.trim().to_string(),
        severity: Severity::parse(&r.severity).unwrap_or(Severity::Low),
        risk_score: r.risk_score.clamp(0.0, 100.0) as u32,
        kind,
        language: r.language.unwrap_or_else(|| {
            match r.ty.as_str() {
                "esql" => "esql",
                "machine_learning" => "",
                _ => "kuery",
            }
            .into()
        }),
        query: r.query.unwrap_or_default().trim_end().to_string(),
        parsed: Parsed::None,
        index: r.index,
        from: r.from,
        interval: r.interval,
        max_signals: r.max_signals,
        timestamp_override: r.timestamp_override,
        false_positives: r
            .false_positives
            .into_iter()
            .map(|s| s.trim().to_string())
            .collect(),
        references: r.references,
        tags: r.tags,
        note: r.note,
        setup: r.setup,
        guide,
        threat,
        suppression: r.alert_suppression.map(|s| Suppression {
            group_by: s.group_by,
            duration: s.duration.map(|d| format!("{}{}", d.value, d.unit)),
            missing_fields: s.missing_fields_strategy,
        }),
        trigger: None,
        entities: Vec::new(),
        exception_lists: r.exceptions_list.into_iter().map(|l| l.list_id).collect(),
        details: None,
        maturity,
        status: Status::Ok,
    }
}

/// Parses the query and sets the status.
fn finish(rule: &mut Rule, text: &str, offset: Option<usize>) {
    let supported_kind = match &rule.kind {
        Kind::Query | Kind::Threshold { .. } | Kind::NewTerms { .. } => None,
        Kind::Esql => {
            match super::esql::compile(&rule.query) {
                Ok(q) => rule.parsed = Parsed::Esql(q),
                Err(d) => rule.status = Status::Error(rule.locate(&d, text, offset)),
            }
            return;
        }
        Kind::Eql => Some(
            "EQL (event correlation) rules are not supported: Vigil runs KQL, ES|QL and Kusto"
                .to_string(),
        ),
        Kind::MachineLearning => {
            Some("machine-learning rules need Elastic's anomaly-detection jobs".to_string())
        }
        Kind::Other(t) => Some(format!("rule type `{t}` is not supported")),
    };
    if let Some(why) = supported_kind {
        rule.status = Status::Unsupported(why);
        return;
    }
    if rule.language != "kuery" && rule.language != "kql" {
        rule.status = Status::Unsupported(format!(
            "query language `{}` is not supported here",
            rule.language
        ));
        return;
    }
    let checked =
        kql::parse(&rule.query).and_then(|q| kql::schema::check(&q, &super::types::of).map(|()| q));
    match checked {
        Ok(q) => rule.parsed = Parsed::Kql(q),
        Err(d) => rule.status = Status::Error(rule.locate(&d, text, offset)),
    }
}
