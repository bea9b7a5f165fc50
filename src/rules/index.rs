//! Which rules see which events: Elastic rules name index patterns
//! (`logs-azure*`, `filebeat-*`, `logs-azure.platformlogs-*`). Each event is
//! given the names it would have in Elasticsearch — its data stream, its
//! `_index` when it came from a search response — and a rule sees the event
//! when one of its patterns covers one of them.

use serde_json::Value;

use crate::ingest::Mapping;
use crate::ingest::doc::first_scalar;
use crate::model::SourceKind;

use super::kql::ast::Piece;
use super::kql::eval::{glob, glob_pattern};

/// The index and data-stream names an event would be found under.
pub fn names(doc: &Value, kind: SourceKind, mapping: &Mapping) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(index) = first_scalar(doc, "_index") {
        // A backing index `.ds-<stream>-<date>-<generation>` answers to
        // its data stream's name.
        if let Some(rest) = index.strip_prefix(".ds-") {
            let parts: Vec<&str> = rest.rsplitn(3, '-').collect();
            if parts.len() == 3 {
                out.push(parts[2].to_string());
            }
        }
        out.push(index);
    }
    let dataset = first_scalar(doc, "data_stream.dataset")
        .or_else(|| first_scalar(doc, "event.dataset"))
        .or_else(|| mapping.dataset(kind).map(|(ecs, _)| ecs.to_string()));
    if let Some(dataset) = dataset {
        let ty = first_scalar(doc, "data_stream.type").unwrap_or_else(|| "logs".into());
        let ns = first_scalar(doc, "data_stream.namespace").unwrap_or_else(|| "default".into());
        out.push(format!("{ty}-{dataset}-{ns}"));
        // Documents shipped by filebeat's azure module (no data stream)
        // live in filebeat indices.
        let filebeat = first_scalar(doc, "agent.type").is_some_and(|t| t == "filebeat")
            || first_scalar(doc, "data_stream.dataset").is_none();
        if filebeat {
            out.push(format!("filebeat-{dataset}"));
        }
    }
    out
}

/// Index patterns compiled once (comma-separated lists allowed, `-pattern`
/// excludes): every rule asks of every event whether it covers it.
#[derive(Debug, Clone, Default)]
pub struct Patterns {
    include: Vec<Vec<Piece>>,
    exclude: Vec<Vec<Piece>>,
}

impl Patterns {
    pub fn new(patterns: &[String]) -> Patterns {
        let mut out = Patterns::default();
        for p in patterns
            .iter()
            .flat_map(|p| p.split(','))
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            match p.strip_prefix('-') {
                Some(x) => out.exclude.push(glob_pattern(x)),
                None => out.include.push(glob_pattern(p)),
            }
        }
        out
    }

    /// Whether the patterns cover any of an event's names. No patterns
    /// cover everything.
    pub fn covers(&self, names: &[String]) -> bool {
        if self.include.is_empty() {
            return true;
        }
        names.iter().any(|n| {
            self.include.iter().any(|p| glob(p, n)) && !self.exclude.iter().any(|p| glob(p, n))
        })
    }
}

/// Whether index patterns cover any of an event's names (see
/// [`Patterns`]).
pub fn covers(patterns: &[String], names: &[String]) -> bool {
    Patterns::new(patterns).covers(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn data_streams_backing_indices_and_mapped_kinds() {
        let m = Mapping::builtin();
        let ecs = json!({"data_stream": {"dataset": "azure.platformlogs", "namespace": "prod", "type": "logs"}});
        assert_eq!(
            names(&ecs, SourceKind::KeyVault, m),
            ["logs-azure.platformlogs-prod"]
        );
        let hit = json!({"_index": ".ds-logs-azure.signinlogs-default-2026.03.02-000001", "event": {"dataset": "azure.signinlogs"}});
        let n = names(&hit, SourceKind::SignIn, m);
        assert!(
            n.contains(&"logs-azure.signinlogs-default".to_string()),
            "{n:?}"
        );
        let raw = json!({"category": "Administrative", "operationName": "X"});
        let n = names(&raw, SourceKind::Activity, m);
        assert!(covers(&v(&["filebeat-*", "logs-azure*"]), &n));
        assert!(covers(&v(&["logs-azure.activitylogs-*"]), &n));
        assert!(!covers(&v(&["logs-azure.platformlogs-*"]), &n));
        assert!(!covers(&v(&["logs-*", "-logs-azure.activitylogs-*"]), &n));
        assert!(covers(&[], &n));
    }
}
