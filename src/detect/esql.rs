//! Running an ES|QL query over loaded events: `FROM` picks events by the
//! index names they would have in Elasticsearch, `METADATA _id, _index`
//! exposes those names, and each row keeps links to its events.

use crate::ingest::{self, Mapping};
use crate::rules::esql::ast::Query;
use crate::rules::esql::value::V;
use crate::rules::esql::{Runner, Source, Table};
use crate::rules::fields::{Fields, Mapped};
use crate::rules::index;

use super::EventRef;

pub struct EsqlRun {
    runner: Runner,
    patterns: index::Patterns,
    wants_id: bool,
    wants_index: bool,
}

impl EsqlRun {
    pub fn new(query: Query, now_ms: i64) -> EsqlRun {
        let patterns = index::Patterns::new(&query.from.patterns);
        let wants_id = query.from.metadata.iter().any(|m| m == "_id");
        let wants_index = query.from.metadata.iter().any(|m| m == "_index");
        EsqlRun {
            runner: Runner::new(query, now_ms),
            patterns,
            wants_id,
            wants_index,
        }
    }

    /// Offers one event; `named` is an index name given on the command line
    /// for the event's file (`--index NAME=PATH`).
    pub fn offer(&mut self, ev: &ingest::Event<'_>, mapping: &Mapping, named: Option<&str>) {
        let mut names = index::names(&ev.doc, ev.kind, mapping);
        if let Some(n) = named {
            names.insert(0, n.to_string());
        }
        let fields = Mapped {
            doc: &ev.doc,
            kind: ev.kind,
            mapping,
        };
        let evidence = EventRef::new(&ev.loc, mapping.time(&ev.doc, ev.kind));
        self.offer_named(ev, &fields, &names, evidence);
    }

    /// Offers one event whose index names and evidence (where it is,
    /// its time) are known, its fields read through `fields`.
    pub fn offer_named(
        &mut self,
        ev: &ingest::Event<'_>,
        fields: &dyn Fields,
        names: &[String],
        evidence: EventRef,
    ) {
        if !self.patterns.covers(names) {
            return;
        }
        let mut metadata = Vec::new();
        if self.wants_id {
            let id = ev.doc.get("_id").and_then(|v| v.as_str()).map_or_else(
                || format!("{}:{}", ev.source.path, ev.loc.index),
                str::to_string,
            );
            metadata.push(("_id".to_string(), V::Str(id)));
        }
        if self.wants_index {
            metadata.push((
                "_index".to_string(),
                names.first().map_or(V::Null, |n| V::Str(n.clone())),
            ));
        }
        self.runner.push(&Source {
            fields,
            types: &crate::rules::types::of,
            evidence: Some(evidence),
            metadata,
        });
    }

    pub fn finish(self) -> Table {
        self.runner.finish()
    }
}
