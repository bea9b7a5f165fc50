//! `vigil rules check`: every rule file with its status.

use std::fmt::Write;
use std::path::PathBuf;

use serde::Serialize;

use crate::ingest::Mapping;
use crate::rules::load::{self, RuleFile};
use crate::rules::rule::{Kind, Parsed, Status};
use crate::text::{clip, sanitize};

#[derive(Serialize)]
pub struct Entry {
    pub file: String,
    pub format: &'static str,
    pub rule_id: Option<String>,
    pub name: Option<String>,
    pub kind: Option<String>,
    pub language: Option<String>,
    #[serde(flatten)]
    pub status: Status,
    /// Fields the query reads that the mapping table cannot find in other
    /// log shapes (they match only records that carry that exact name).
    pub unmapped_fields: Vec<String>,
}

#[derive(Serialize)]
pub struct Report {
    pub entries: Vec<Entry>,
    pub ok: usize,
    pub unsupported: usize,
    pub errors: usize,
    /// Rules that run and read only fields the mapping resolves in every shape.
    pub fully_mapped: usize,
}

fn kind_name(k: &Kind) -> String {
    match k {
        Kind::Query => "query".into(),
        Kind::Threshold { .. } => "threshold".into(),
        Kind::NewTerms { .. } => "new_terms".into(),
        Kind::Esql => "esql".into(),
        Kind::Eql => "eql".into(),
        Kind::MachineLearning => "machine_learning".into(),
        Kind::Other(t) => t.clone(),
    }
}

pub fn check(paths: &[PathBuf]) -> Report {
    let mapping = Mapping::builtin();
    let mut entries = Vec::new();
    for RuleFile {
        path,
        format,
        rules,
        errors,
        unsupported,
    } in load::load(paths)
    {
        let file_level = |status| Entry {
            file: path.clone(),
            format,
            rule_id: None,
            name: None,
            kind: None,
            language: None,
            status,
            unmapped_fields: Vec::new(),
        };
        entries.extend(errors.into_iter().map(|e| file_level(Status::Error(e))));
        entries.extend(unsupported.map(|why| file_level(Status::Unsupported(why))));
        for r in rules {
            let mut fields = match &r.parsed {
                Parsed::Kql(q) => q.fields(),
                Parsed::Esql(q) => q.fields(),
                Parsed::Kusto(_) => Vec::new(),
                Parsed::None => Vec::new(),
            };
            match &r.kind {
                Kind::Threshold {
                    fields: f,
                    cardinality,
                    ..
                } => {
                    fields.extend(f.iter().cloned());
                    fields.extend(cardinality.iter().map(|(f, _)| f.clone()));
                }
                Kind::NewTerms { fields: f, .. } => fields.extend(f.iter().cloned()),
                _ => {}
            }
            let mut unmapped: Vec<String> = Vec::new();
            for f in fields {
                if !mapping.knows(&f) && !unmapped.contains(&f) {
                    unmapped.push(f);
                }
            }
            entries.push(Entry {
                file: path.clone(),
                format,
                rule_id: Some(r.rule_id.clone()),
                name: Some(r.name.clone()),
                kind: Some(kind_name(&r.kind)),
                language: Some(r.language.clone()),
                status: r.status.clone(),
                unmapped_fields: unmapped,
            });
        }
    }
    let count = |f: fn(&Status) -> bool| entries.iter().filter(|e| f(&e.status)).count();
    let ok = count(|s| matches!(s, Status::Ok));
    let unsupported = count(|s| matches!(s, Status::Unsupported(_)));
    let errors = count(|s| matches!(s, Status::Error(_)));
    let fully_mapped = entries
        .iter()
        .filter(|e| matches!(e.status, Status::Ok) && e.unmapped_fields.is_empty())
        .count();
    Report {
        entries,
        ok,
        unsupported,
        errors,
        fully_mapped,
    }
}

pub fn render_table(r: &Report) -> String {
    let mut out = String::new();
    for e in &r.entries {
        let name = e.name.as_deref().unwrap_or("-");
        match &e.status {
            Status::Ok => {
                let _ = writeln!(
                    out,
                    "ok           {:<10} {}  ({})",
                    e.kind.as_deref().unwrap_or("-"),
                    clip(name, 70),
                    sanitize(&e.file)
                );
                if !e.unmapped_fields.is_empty() {
                    let _ = writeln!(
                        out,
                        "             only on records with these exact names: {}",
                        sanitize(&e.unmapped_fields.join(", "))
                    );
                }
            }
            Status::Unsupported(why) => {
                let _ = writeln!(
                    out,
                    "unsupported  {:<10} {}  ({}): {}",
                    e.kind.as_deref().unwrap_or("-"),
                    clip(name, 70),
                    sanitize(&e.file),
                    why
                );
            }
            Status::Error(loc) => {
                let _ = writeln!(out, "error        {}", sanitize(&loc.to_string()));
                for l in loc.excerpt.lines() {
                    let _ = writeln!(out, "             {l}");
                }
            }
        }
    }
    let _ = writeln!(
        out,
        "{} ok ({} with every field mapped across log shapes), {} unsupported, {} errors",
        r.ok, r.fully_mapped, r.unsupported, r.errors
    );
    out
}
