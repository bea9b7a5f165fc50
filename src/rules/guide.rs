//! Investigation guides (a rule's `note`, in Markdown) turned into steps: the
//! checklist pane's source. Each section holds its list items; each step
//! keeps the field names it mentions, so the console can pivot from a step
//! to those fields.

use serde::Serialize;

use super::investigate::{self, Investigation};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SectionKind {
    Investigation,
    FalsePositives,
    Response,
    Setup,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub text: String,
    pub fields: Vec<String>,
    /// An interactive query the step carries, or why it cannot be read.
    pub investigate: Option<Result<Investigation, String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Section {
    pub kind: SectionKind,
    pub title: String,
    /// Prose before the list, kept for context.
    pub intro: String,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Guide {
    pub sections: Vec<Section>,
}

fn kind_of(title: &str) -> SectionKind {
    let t = title.to_ascii_lowercase();
    if t.contains("false positive") {
        SectionKind::FalsePositives
    } else if t.contains("response") || t.contains("remediation") {
        SectionKind::Response
    } else if t.contains("investigat") && (t.contains("step") || t.contains("possible")) {
        SectionKind::Investigation
    } else if t.contains("setup") || t.contains("prerequisite") {
        SectionKind::Setup
    } else {
        SectionKind::Other
    }
}

/// Top-level names of Elastic Common Schema and Azure integration fields;
/// a dotted word starting with one of these is a field, not prose.
const FIELD_ROOTS: &[&str] = &[
    "azure",
    "event",
    "source",
    "destination",
    "client",
    "server",
    "user",
    "user_agent",
    "cloud",
    "host",
    "geo",
    "related",
    "data_stream",
    "agent",
    "network",
    "url",
    "process",
    "file",
    "observer",
    "organization",
    "service",
    "threat",
    "rule",
    "http",
    "dns",
    "tls",
    "orchestrator",
    "container",
    "kubernetes",
    "o365",
    "okta",
    "gcp",
    "aws",
    "Esql",
    "Esql_priv",
];

/// Field names a step mentions: anything in backquotes that looks like a
/// field, and dotted names under a known root.
pub fn fields_in(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |f: &str| {
        let f = f.trim_matches(|c: char| c == '.' || c == ',' || c == ')' || c == '(');
        if !f.is_empty() && !out.iter().any(|x| x == f) {
            out.push(f.to_string());
        }
    };
    let mut in_tick = false;
    for part in text.split('`') {
        if in_tick && is_field_like(part) && part.contains(['.', '_']) {
            push(part);
        }
        in_tick = !in_tick;
    }
    for word in text
        .split(|c: char| c.is_whitespace() || matches!(c, '`' | '"' | '\'' | ',' | ';' | '(' | ')'))
    {
        let w = word.trim_end_matches(['.', ':']);
        if let Some((root, _)) = w.split_once('.') {
            if FIELD_ROOTS.contains(&root) && is_field_like(w) {
                push(w);
            }
        }
    }
    out
}

fn is_field_like(s: &str) -> bool {
    !s.is_empty()
        && s.len() < 128
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '*' | '-'))
        && !s.starts_with('.')
        && !s.ends_with('.')
}

/// Splits a Markdown guide into sections at its headings; list items
/// (`-`, `*`, `1.`) become steps, continuation lines join their item.
pub fn parse(note: &str) -> Guide {
    parse_with(note, &[])
}

/// [`parse`], with the rule's own investigation queries for the steps
/// that name them (`$investigate_0` ...).
pub fn parse_with(note: &str, listed: &[Investigation]) -> Guide {
    let mut sections: Vec<Section> = Vec::new();
    let mut current: Option<Section> = None;
    for line in note.lines() {
        let trimmed = line.trim();
        if let Some(title) = trimmed.strip_prefix('#') {
            let title = title.trim_start_matches('#').trim().to_string();
            if let Some(s) = current.take() {
                sections.push(s);
            }
            current = Some(Section {
                kind: kind_of(&title),
                title,
                intro: String::new(),
                steps: Vec::new(),
            });
            continue;
        }
        let Some(sec) = current.as_mut() else {
            continue;
        };
        let item = trimmed
            .strip_prefix("- ")
            .or_else(|| trimmed.strip_prefix("* "))
            .or_else(|| {
                let digits = trimmed.bytes().take_while(u8::is_ascii_digit).count();
                (digits > 0)
                    .then(|| trimmed[digits..].strip_prefix(". "))
                    .flatten()
            });
        match item {
            Some(text) if !line.starts_with("    ") && !line.starts_with('\t') => {
                sec.steps.push(Step {
                    text: text.trim().to_string(),
                    fields: Vec::new(),
                    investigate: None,
                })
            }
            _ if trimmed.is_empty() => {}
            _ => match sec.steps.last_mut() {
                Some(step) => {
                    step.text.push(' ');
                    step.text.push_str(trimmed);
                }
                None => {
                    if !sec.intro.is_empty() {
                        sec.intro.push(' ');
                    }
                    sec.intro.push_str(trimmed);
                }
            },
        }
    }
    if let Some(s) = current.take() {
        sections.push(s);
    }
    for s in &mut sections {
        for step in &mut s.steps {
            let (text, found) = investigate::extract(&step.text, listed);
            step.text = text;
            step.fields = fields_in(&step.text);
            // A query's placeholders are fields the step needs values of.
            if let Some(Ok(inv)) = &found {
                for f in inv.placeholders() {
                    if !step.fields.contains(&f) {
                        step.fields.push(f);
                    }
                }
            }
            step.investigate = found;
        }
    }
    Guide { sections }
}

impl Guide {
    /// Adds a `setup` text given outside the note (detection-rules keeps it
    /// in its own field) as a section.
    pub fn with_setup(mut self, setup: Option<&str>) -> Guide {
        if let Some(text) = setup {
            if !self.sections.iter().any(|s| s.kind == SectionKind::Setup) {
                let mut g = parse(&format!("## Setup\n{text}"));
                self.sections.append(&mut g.sections);
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOTE: &str = "## Triage and analysis\n\n### Investigating X\n\nSome prose.\n\n### Possible investigation steps\n\n- Review the `azure.platformlogs.identity.claim.upn` field to identify the user.\n- Check source.ip or geo.* fields, e.g. the city.\n  Continued here.\n\n### False positive analysis\n\n- Routine rotation by automation.\n\n### Response and remediation\n\n1. Revoke the keys.\n2. Rotate secrets.\n\n## Setup\n\nEnable AuditEvent logs.\n";

    #[test]
    fn sections_steps_and_fields() {
        let g = parse(NOTE);
        let kinds: Vec<SectionKind> = g.sections.iter().map(|s| s.kind).collect();
        assert_eq!(
            kinds,
            [
                SectionKind::Other,
                SectionKind::Other,
                SectionKind::Investigation,
                SectionKind::FalsePositives,
                SectionKind::Response,
                SectionKind::Setup
            ]
        );
        let inv = &g.sections[2];
        assert_eq!(inv.steps.len(), 2);
        assert_eq!(
            inv.steps[0].fields,
            ["azure.platformlogs.identity.claim.upn"]
        );
        assert_eq!(inv.steps[1].fields, ["source.ip", "geo.*"]);
        assert!(inv.steps[1].text.ends_with("Continued here."));
        assert_eq!(g.sections[4].steps.len(), 2);
        assert_eq!(g.sections[5].intro, "Enable AuditEvent logs.");
    }
}
