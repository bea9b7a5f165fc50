//! Elastic's interactive investigation queries in a guide: written inline
//! as `!{investigate{...}}` (JSON), or kept in the rule file's
//! `[[transform.investigate]]` table and named in the note as
//! `$investigate_0`, `$investigate_1` ... Each is an OR of AND groups of
//! field conditions whose values may be `{{field}}` placeholders, filled
//! from the alert, over a time range relative to it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Condition {
    pub field: String,
    pub value: String,
    #[serde(default)]
    pub excluded: bool,
    #[serde(default, rename = "queryType")]
    pub query_type: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Investigation {
    pub label: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Groups joined by OR; the conditions of a group by AND.
    pub providers: Vec<Vec<Condition>>,
    #[serde(default, rename = "relativeFrom")]
    pub relative_from: Option<String>,
    #[serde(default, rename = "relativeTo")]
    pub relative_to: Option<String>,
}

impl Investigation {
    /// The fields named in `{{...}}` placeholders.
    pub fn placeholders(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in self.providers.iter().flatten() {
            if let Some(f) = placeholder(&c.value) {
                if !out.iter().any(|x| x == f) {
                    out.push(f.to_string());
                }
            }
        }
        out
    }
}

/// The field of a `{{field}}` value.
pub fn placeholder(value: &str) -> Option<&str> {
    let v = value.trim();
    v.strip_prefix("{{")
        .and_then(|v| v.strip_suffix("}}"))
        .map(str::trim)
}

/// The `[transform]` table of a detection-rules TOML file.
#[derive(Debug, Default, Deserialize)]
pub struct Transform {
    #[serde(default)]
    pub investigate: Vec<Investigation>,
}

const OPEN: &str = "!{investigate";

/// Takes the investigation out of a step's text: an inline block, or a
/// `$investigate_N` reference to the rule's list. Returns the text with
/// the block replaced by its label, and the investigation; or why the
/// block could not be read.
pub fn extract(
    text: &str,
    listed: &[Investigation],
) -> (String, Option<Result<Investigation, String>>) {
    if let Some(start) = text.find(OPEN) {
        let body_start = start + OPEN.len();
        let Some(len) = balanced(&text[body_start..]) else {
            return (
                text.to_string(),
                Some(Err("an investigate block that does not close".into())),
            );
        };
        let body = &text[body_start..body_start + len];
        // The block ends with the closing brace of `!{ ... }`.
        let end = (body_start + len + 1).min(text.len());
        let parsed = serde_json::from_str::<Investigation>(body)
            .map_err(|e| format!("an investigate block that cannot be read: {e}"));
        let label = parsed.as_ref().map_or("", |i| i.label.as_str());
        let rest = format!("{}{}{}", &text[..start], label, &text[end..]);
        return (rest.trim().to_string(), Some(parsed));
    }
    if let Some(at) = text.find("$investigate_") {
        let digits: String = text[at + 13..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let n: usize = digits.parse().unwrap_or(usize::MAX);
        let end = at + 13 + digits.len();
        let found = listed
            .get(n)
            .cloned()
            .ok_or_else(|| format!("$investigate_{digits} names no query of this rule"));
        let label = found.as_ref().map_or("", |i| i.label.as_str());
        let rest = format!("{}{}{}", &text[..at], label, &text[end..]);
        return (rest.trim().to_string(), Some(found));
    }
    (text.to_string(), None)
}

/// The length of a `{...}` object at the start of `s`, braces inside
/// JSON strings not counted.
fn balanced(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' => depth += 1,
            '}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const INLINE: &str = r#"Review the user's other sign-ins: !{investigate{"label":"Sign-ins by the user","providers":[[{"excluded":false,"field":"user.name","queryType":"phrase","value":"{{user.name}}","valueType":"string"}],[{"excluded":false,"field":"source.ip","queryType":"phrase","value":"{{source.ip}}","valueType":"string"}]],"relativeFrom":"now-48h/h","relativeTo":"now"}} and note new countries."#;

    #[test]
    fn an_inline_block_becomes_its_label_and_its_query() {
        let (text, found) = extract(INLINE, &[]);
        let inv = found.unwrap().unwrap();
        assert_eq!(
            text,
            "Review the user's other sign-ins: Sign-ins by the user and note new countries."
        );
        assert_eq!(inv.providers.len(), 2);
        assert_eq!(inv.providers[1][0].field, "source.ip");
        assert_eq!(inv.relative_from.as_deref(), Some("now-48h/h"));
        assert_eq!(inv.placeholders(), ["user.name", "source.ip"]);
    }

    #[test]
    fn a_reference_names_the_rules_list_and_a_bad_one_says_so() {
        let listed = vec![Investigation {
            label: "Alerts for the host".into(),
            description: None,
            providers: vec![vec![Condition {
                field: "host.name".into(),
                value: "{{host.name}}".into(),
                excluded: false,
                query_type: "phrase".into(),
            }]],
            relative_from: None,
            relative_to: None,
        }];
        let (text, found) = extract("- $investigate_0", &listed);
        assert_eq!(text, "- Alerts for the host");
        assert_eq!(found.unwrap().unwrap().label, "Alerts for the host");
        let (_, bad) = extract("$investigate_3", &listed);
        assert!(bad.unwrap().unwrap_err().contains("$investigate_3"));
        let (_, broken) = extract("!{investigate{\"label\": \"x\"", &listed);
        assert!(broken.unwrap().is_err());
    }
}
