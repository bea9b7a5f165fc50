//! A detection rule as Vigil holds it, whatever file it came from.

use serde::Serialize;

use super::diag::Diagnostic;
use super::guide::Guide;
use super::kql;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn parse(s: &str) -> Option<Severity> {
        match s.to_ascii_lowercase().as_str() {
            "low" | "informational" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }

    /// Elastic's risk score for the severity, for rules that give none.
    pub fn default_risk(self) -> u32 {
        match self {
            Severity::Low => 21,
            Severity::Medium => 47,
            Severity::High => 73,
            Severity::Critical => 99,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// MITRE ATT&CK references of a rule.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Threat {
    pub framework: String,
    pub tactic: Option<Ref>,
    pub techniques: Vec<Technique>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Ref {
    pub id: String,
    pub name: String,
    pub reference: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Technique {
    #[serde(flatten)]
    pub technique: Ref,
    pub subtechniques: Vec<Ref>,
}

/// What kind of detection a rule is, with the settings of that kind.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Kind {
    /// One alert per matching event.
    Query,
    /// Alerts when events grouped by `fields` reach `value`, optionally with
    /// at least `cardinality` distinct values of another field.
    Threshold {
        fields: Vec<String>,
        value: u64,
        cardinality: Vec<(String, u64)>,
    },
    /// Alerts on the first occurrence of a combination of values that was
    /// not seen since `history_window_start`.
    NewTerms {
        fields: Vec<String>,
        history_window_start: String,
    },
    Esql,
    Eql,
    MachineLearning,
    Other(String),
}

/// Grouping of repeated alerts, as Elastic's alert suppression.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Suppression {
    pub group_by: Vec<String>,
    /// Like `5m`; `None` for the whole run.
    pub duration: Option<String>,
    pub missing_fields: Option<String>,
}

/// Sentinel's alert trigger: the number of result rows compared with a
/// threshold.
#[derive(Debug, Clone, Serialize)]
pub struct Trigger {
    /// `gt`, `lt`, `eq` or `ne`.
    pub op: String,
    pub threshold: u64,
}

impl Trigger {
    pub fn fires(&self, rows: usize) -> bool {
        let n = rows as u64;
        match self.op.to_ascii_lowercase().as_str() {
            "lt" | "lessthan" => n < self.threshold,
            "eq" | "equal" => n == self.threshold,
            "ne" | "notequal" => n != self.threshold,
            _ => n > self.threshold,
        }
    }
}

/// Whether Vigil can run a rule.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "reason")]
pub enum Status {
    Ok,
    Unsupported(String),
    Error(Located),
}

/// A problem located in a rule file.
#[derive(Debug, Clone, Serialize)]
pub struct Located {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// The offending line with a caret under the problem.
    pub excerpt: String,
}

impl std::fmt::Display for Located {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// The rule's query, parsed when its language is one Vigil runs.
#[derive(Debug, Clone)]
pub enum Parsed {
    Kql(kql::Query),
    Esql(super::esql::ast::Query),
    Kusto(super::kusto::ast::Query),
    None,
}

#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    pub file: String,
    pub rule_id: String,
    pub name: String,
    pub description: String,
    pub severity: Severity,
    pub risk_score: u32,
    pub kind: Kind,
    pub language: String,
    pub query: String,
    #[serde(skip)]
    pub parsed: Parsed,
    pub index: Vec<String>,
    pub from: Option<String>,
    pub interval: Option<String>,
    pub max_signals: Option<u64>,
    pub timestamp_override: Option<String>,
    pub false_positives: Vec<String>,
    pub references: Vec<String>,
    pub tags: Vec<String>,
    pub note: Option<String>,
    pub setup: Option<String>,
    pub guide: Guide,
    pub threat: Vec<Threat>,
    pub suppression: Option<Suppression>,
    pub trigger: Option<Trigger>,
    /// Sentinel entity mappings: which result columns are which entities.
    pub entities: Vec<super::sentinel::EntityMapping>,
    /// Sentinel's alert title, description, severity column and custom
    /// details, read from each result row.
    pub details: Option<super::sentinel::AlertDetails>,
    /// The `list_id`s of the exception lists an Elastic rule uses.
    pub exception_lists: Vec<String>,
    pub maturity: Option<String>,
    pub status: Status,
}

impl Rule {
    /// Locates a query diagnostic in the rule file, given where the query
    /// text starts in it.
    pub fn locate(&self, d: &Diagnostic, file_text: &str, query_offset: Option<usize>) -> Located {
        let excerpt = d.excerpt(&self.query);
        match query_offset {
            Some(off) => {
                let at = off + d.span.start;
                let before = &file_text[..at.min(file_text.len())];
                let line = before.matches('\n').count() + 1;
                let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                Located {
                    file: self.file.clone(),
                    line,
                    column: col,
                    message: d.message.clone(),
                    excerpt,
                }
            }
            None => {
                let (line, column) = d.line_col(&self.query);
                Located {
                    file: self.file.clone(),
                    line,
                    column,
                    message: format!("{} (in the query)", d.message),
                    excerpt,
                }
            }
        }
    }
}
