//! The case written out: every alert of the run with its status, close
//! reason and note, checklist progress, evidence (marked events first),
//! and the exceptions in force with what each suppressed. Markdown for
//! people, JSON for tools. Every piece of log text is escaped: a value
//! cannot open a link, a table cell or raw HTML in the rendered report.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::{AlertState, Case, Status};
use crate::engine::{Alert, Summary};
use crate::exceptions::{Exception, Scope};
use crate::rules::Rule;

/// Evidence events listed per alert at most; the rest are counted.
const EVIDENCE_LISTED: usize = 20;

#[derive(Debug, Serialize)]
pub struct Report {
    pub generated: DateTime<Utc>,
    pub case: String,
    pub logs: Vec<String>,
    pub events: u64,
    pub alerts: Vec<AlertReport>,
    pub exceptions: Vec<ExceptionReport>,
}

#[derive(Debug, Serialize)]
pub struct AlertReport {
    #[serde(flatten)]
    pub alert: Alert,
    /// open, acknowledged, closed, or excepted (kept from firing by an
    /// exception).
    pub status: String,
    pub classification: Option<&'static str>,
    pub note: String,
    pub steps_done: usize,
    pub steps_total: usize,
    pub steps: Vec<StepReport>,
    /// Evidence marked in the case, as `file:line`.
    pub marked: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct StepReport {
    pub section: String,
    pub text: String,
    pub done: bool,
    pub note: String,
}

#[derive(Debug, Serialize)]
pub struct ExceptionReport {
    pub id: String,
    pub name: String,
    pub conditions: String,
    pub scope: String,
    pub created_by: String,
    pub created_at: String,
    pub expires: Option<String>,
    pub comment: String,
    /// Alerts it kept from firing, by id.
    pub suppressed: Vec<String>,
}

fn alerts_of_scope(
    excepted: &[&Alert],
    e: &Exception,
    rules: &[std::sync::Arc<Rule>],
) -> Vec<String> {
    excepted
        .iter()
        .filter(|a| {
            rules
                .iter()
                .any(|r| r.rule_id == a.rule_id && e.applies_to(r))
        })
        .map(|a| a.id.clone())
        .collect()
}

fn stamp(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(
        || "-".into(),
        |t| t.to_rfc3339_opts(SecondsFormat::Secs, true),
    )
}

/// What a report is made from: a run's alerts (those exceptions keep
/// from firing among them, marked) and the case kept for it.
pub struct Inputs<'a> {
    pub case_path: &'a str,
    pub logs: &'a [String],
    pub events: u64,
    pub alerts: Vec<&'a Alert>,
    pub excepted: &'a std::collections::HashSet<String>,
    pub case: &'a Case,
    pub rules: &'a [std::sync::Arc<Rule>],
    pub exceptions: &'a [Exception],
}

/// The alerts of a run, those its exceptions suppressed included and
/// marked, as a report takes them.
pub fn from_summary(s: &Summary) -> (Vec<&Alert>, std::collections::HashSet<String>) {
    let excepted = s.suppressed.iter().map(|a| a.id.clone()).collect();
    (s.alerts.iter().chain(&s.suppressed).collect(), excepted)
}

pub fn build(input: Inputs<'_>) -> Report {
    let Inputs {
        case_path,
        logs,
        events,
        alerts: mut all,
        excepted,
        case,
        rules,
        exceptions,
    } = input;
    all.sort_by(|a, b| (a.first, &a.rule_name, &a.id).cmp(&(b.first, &b.rule_name, &b.id)));
    let empty = AlertState::default();
    let report_alerts: Vec<&Alert> = all
        .iter()
        .copied()
        .filter(|a| excepted.contains(&a.id))
        .collect();
    let alerts = all
        .into_iter()
        .map(|a| {
            let s = case.get(&a.id).unwrap_or(&empty);
            let rule = rules.iter().find(|r| r.rule_id == a.rule_id);
            let mut steps = Vec::new();
            let mut total = 0;
            if let Some(r) = rule {
                for sec in &r.guide.sections {
                    for st in &sec.steps {
                        total += 1;
                        let state = s.steps.get(&super::step_id(&sec.title, &st.text));
                        if let Some(state) = state.filter(|x| x.done || !x.note.is_empty()) {
                            steps.push(StepReport {
                                section: sec.title.clone(),
                                text: st.text.clone(),
                                done: state.done,
                                note: state.note.clone(),
                            });
                        }
                    }
                }
            }
            let status = if excepted.contains(&a.id) && s.status != Status::Closed {
                "excepted".to_string()
            } else {
                match s.status {
                    Status::Open => "open",
                    Status::Acknowledged => "acknowledged",
                    Status::Closed => "closed",
                }
                .to_string()
            };
            AlertReport {
                alert: a.clone(),
                status,
                classification: s.classification.map(|c| c.name()),
                note: s.note.clone(),
                steps_done: s.steps_done(),
                steps_total: total,
                steps,
                marked: s.marked.iter().cloned().collect(),
            }
        })
        .collect();
    let exceptions = exceptions
        .iter()
        .map(|e| {
            // The alerts kept from firing of the rules it applies to.
            let suppressed = alerts_of_scope(&report_alerts, e, rules);
            ExceptionReport {
                id: e.id.clone(),
                name: e.name.clone(),
                conditions: e.describe(),
                scope: match &e.scope {
                    Scope::All => "all rules".into(),
                    Scope::ByList => format!("rules using list {}", e.list),
                    Scope::Rules(ids) => ids
                        .iter()
                        .map(|id| {
                            rules
                                .iter()
                                .find(|r| &r.rule_id == id)
                                .map_or_else(|| id.clone(), |r| r.name.clone())
                        })
                        .collect::<Vec<_>>()
                        .join(", "),
                },
                created_by: e.created_by.clone(),
                created_at: stamp(Some(e.created_at)),
                expires: e.expires.map(|t| stamp(Some(t))),
                comment: e.comment.clone(),
                suppressed,
            }
        })
        .collect();
    Report {
        generated: Utc::now(),
        case: case_path.to_string(),
        logs: logs.to_vec(),
        events,
        alerts,
        exceptions,
    }
}

/// Text safe to put in Markdown: control characters and escape sequences
/// made visible, line breaks flattened, and every character that means
/// something to Markdown or HTML in the middle of a line escaped (the
/// text never starts a line).
pub fn md(s: &str) -> String {
    // Line breaks go before sanitising, which would show them as `\n`.
    let flat = s.replace(['\n', '\r'], " ");
    let clean = crate::text::sanitize(&flat);
    let mut out = String::with_capacity(clean.len());
    for c in clean.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            // Emphasis, code, links, table cells, strikethrough; `:` keeps
            // a URL in a value from turning into a link.
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | ':' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

impl Report {
    pub fn markdown(&self) -> String {
        let mut o = String::new();
        o.push_str("# Case report\n\n");
        o.push_str(&format!(
            "Written {} from case `{}` over {} events of {}.\n\n",
            stamp(Some(self.generated)),
            self.case.replace('`', "'"),
            self.events,
            self.logs
                .iter()
                .map(|l| format!("`{}`", l.replace('`', "'")))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        let count = |st: &str| self.alerts.iter().filter(|a| a.status == st).count();
        o.push_str("| status | alerts |\n|---|---:|\n");
        for st in ["open", "acknowledged", "closed", "excepted"] {
            o.push_str(&format!("| {st} | {} |\n", count(st)));
        }
        o.push_str(&format!("| all | {} |\n\n", self.alerts.len()));
        o.push_str("## Alerts\n\n");
        for a in &self.alerts {
            let al = &a.alert;
            o.push_str(&format!(
                "### {} — {} ({})\n\n",
                md(&al.rule_name),
                a.status,
                a.classification.unwrap_or("no reason given")
            ));
            o.push_str(&format!(
                "- id `{}`, severity {}, risk {}, {} hits, {} to {}\n",
                al.id,
                al.severity.name(),
                al.risk_score,
                al.count,
                stamp(al.first),
                stamp(al.last)
            ));
            for kind in ["account", "ip", "resource", "app"] {
                let v: Vec<String> = al.entities_of(kind).map(md).collect();
                if !v.is_empty() {
                    o.push_str(&format!("- {kind}: {}\n", v.join(", ")));
                }
            }
            if !a.note.is_empty() {
                o.push_str(&format!("- note: {}\n", md(&a.note)));
            }
            if a.steps_total > 0 {
                o.push_str(&format!(
                    "- checklist: {} of {} steps done\n",
                    a.steps_done, a.steps_total
                ));
                for s in &a.steps {
                    o.push_str(&format!(
                        "  - [{}] {}{}\n",
                        if s.done { "x" } else { " " },
                        md(&s.text),
                        if s.note.is_empty() {
                            String::new()
                        } else {
                            format!(" — {}", md(&s.note))
                        }
                    ));
                }
            }
            o.push_str(&format!(
                "- evidence ({} events):\n",
                al.evidence_total.max(al.evidence.len() as u64)
            ));
            let marked =
                |e: &crate::engine::Evidence| a.marked.contains(&format!("{}:{}", e.file, e.line));
            let mut ev: Vec<&crate::engine::Evidence> = al.evidence.iter().collect();
            ev.sort_by_key(|e| !marked(e));
            for e in ev.iter().take(EVIDENCE_LISTED) {
                o.push_str(&format!(
                    "  - {}:{}{}\n",
                    md(&e.file),
                    e.line,
                    if marked(e) { " (marked)" } else { "" }
                ));
            }
            if al.evidence.len() > EVIDENCE_LISTED {
                o.push_str(&format!(
                    "  - and {} more\n",
                    al.evidence.len() - EVIDENCE_LISTED
                ));
            }
            o.push('\n');
        }
        o.push_str("## Exceptions\n\n");
        if self.exceptions.is_empty() {
            o.push_str("None in force.\n");
        }
        for e in &self.exceptions {
            o.push_str(&format!("### {}\n\n", md(&e.name)));
            o.push_str(&format!("- id `{}`\n", e.id.replace('`', "'")));
            o.push_str(&format!("- drops events where {}\n", md(&e.conditions)));
            o.push_str(&format!("- applies to {}\n", md(&e.scope)));
            o.push_str(&format!(
                "- made by {} at {}{}\n",
                md(&e.created_by),
                e.created_at,
                e.expires
                    .as_ref()
                    .map(|x| format!(", expires {x}"))
                    .unwrap_or_default()
            ));
            if !e.comment.is_empty() {
                o.push_str(&format!("- why: {}\n", md(&e.comment)));
            }
            o.push_str(&format!(
                "- suppressed: {}\n\n",
                if e.suppressed.is_empty() {
                    "no alert".to_string()
                } else {
                    e.suppressed
                        .iter()
                        .map(|id| format!("`{id}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ));
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::md;

    #[test]
    fn log_text_cannot_become_markdown_or_html() {
        assert_eq!(md("plain text"), "plain text");
        assert_eq!(md("a|b"), "a\\|b");
        assert_eq!(md("[click](http://x)"), "\\[click\\](http\\://x)");
        assert_eq!(md("<script>"), "&lt;script&gt;");
        assert_eq!(md("**bold**\n# head"), "\\*\\*bold\\*\\* # head");
        assert_eq!(
            md("megan.ross@contoso-lab.com"),
            "megan.ross@contoso-lab.com"
        );
        assert!(!md("a\x1b[31mred").contains('\x1b'));
    }
}
