//! Finding and reading rule files: a file or a folder (walked recursively),
//! the format recognised from the content. One bad file never stops the
//! others from loading.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::elastic;
use super::rule::{Located, Rule};

/// What one rule file gave.
#[derive(Debug, Serialize)]
pub struct RuleFile {
    pub path: String,
    pub format: &'static str,
    pub rules: Vec<Rule>,
    /// Problems that kept (part of) the file from being a rule.
    pub errors: Vec<Located>,
    /// Set when the file is a rule format Vigil does not read.
    pub unsupported: Option<String>,
}

fn walk(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        entries.sort();
        for p in entries {
            let hidden = p
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            // Exceptions live beside the rules, in a folder of their own.
            let exceptions = p.is_dir() && p.file_name().is_some_and(|n| n == "exceptions");
            if !hidden && !exceptions {
                walk(&p, out);
            }
        }
    } else {
        out.push(path.to_path_buf());
    }
}

/// Loads every rule file under the given paths, in a stable order.
pub fn load(paths: &[PathBuf]) -> Vec<RuleFile> {
    let mut files = Vec::new();
    for p in paths {
        walk(p, &mut files);
    }
    files
        .iter()
        .filter_map(|p| {
            let mut f = load_file(p)?;
            with_sidecar_guide(p, &mut f.rules);
            Some(f)
        })
        .collect()
}

/// A rule format with no place for an investigation guide (Sentinel YAML)
/// takes it from a Markdown file beside it with the same name:
/// `rule.yaml` and `rule.md`.
fn with_sidecar_guide(path: &Path, rules: &mut [Rule]) {
    if rules.iter().all(|r| r.note.is_some()) {
        return;
    }
    let Ok(text) = std::fs::read_to_string(path.with_extension("md")) else {
        return;
    };
    for r in rules.iter_mut().filter(|r| r.note.is_none()) {
        r.guide = super::guide::parse(&text).with_setup(r.setup.as_deref());
        r.note = Some(text.clone());
    }
}

/// One file; `None` for files that are plainly not rules (documentation,
/// images) so a rules folder's README is not reported as a broken rule.
pub fn load_file(path: &Path) -> Option<RuleFile> {
    let name = path.display().to_string();
    let mut file = RuleFile {
        path: name.clone(),
        format: "unknown",
        rules: Vec::new(),
        errors: Vec::new(),
        unsupported: None,
    };
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            file.errors.push(Located {
                file: name,
                line: 0,
                column: 0,
                message: e.to_string(),
                excerpt: String::new(),
            });
            return Some(file);
        }
    };
    let text =
        String::from_utf8_lossy(bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes)).into_owned();
    let head = text.trim_start();
    if head.starts_with('{') {
        file.format = "kibana-ndjson";
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<serde_json::Value>(line) {
                Ok(v) => match elastic::from_json(&name, i + 1, &v) {
                    Ok(Some(rule)) => file.rules.push(rule),
                    Ok(None) => {}
                    Err(e) => file.errors.push(e),
                },
                Err(e) => file.errors.push(Located {
                    file: name.clone(),
                    line: i + 1,
                    column: e.column(),
                    message: e.to_string(),
                    excerpt: String::new(),
                }),
            }
        }
        return Some(file);
    }
    if text.lines().any(|l| l.trim() == "[rule]") {
        file.format = "detection-rules-toml";
        match elastic::from_toml(&name, &text) {
            Ok(rule) => file.rules.push(rule),
            Err(e) => file.errors.push(e),
        }
        return Some(file);
    }
    let is_yaml = path.extension().is_some_and(|e| e == "yml" || e == "yaml");
    if is_yaml {
        file.format = "yaml";
        if text.contains("\nlogsource:") || text.starts_with("title:") {
            file.format = "sigma-yaml";
            file.unsupported = Some("Sigma rules are not supported yet".into());
        } else if text.contains("\nquery:") || text.starts_with("query:") {
            file.format = "sentinel-yaml";
            match super::sentinel::from_yaml(&name, &text) {
                Ok(rule) => file.rules.push(rule),
                Err(e) => file.errors.push(e),
            }
        } else {
            file.unsupported = Some("not a rule format Vigil reads".into());
        }
        return Some(file);
    }
    None
}
