//! Running an ES|QL query over loaded events: `FROM` picks events by the
//! index names they would have in Elasticsearch, `METADATA _id, _index`
//! exposes those names, and each row keeps links to its events.

use std::sync::Arc;

use crate::ingest::{self, Mapping};
use crate::rules::esql::ast::Query;
use crate::rules::esql::value::V;
use crate::rules::esql::{Runner, Source, Table};
use crate::rules::fields::{Fields, Mapped};
use crate::rules::index;

use super::EventRef;

pub struct EsqlRun {
    runner: Runner,
    patterns: Arc<index::Patterns>,
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
            patterns: Arc::new(patterns),
            wants_id,
            wants_index,
        }
    }

    /// The same query, with no rows yet, run at another `now`: what a
    /// rule's next time window starts from, without parsing or compiling
    /// anything again.
    pub fn fresh(&self, now_ms: i64) -> EsqlRun {
        EsqlRun {
            runner: self.runner.fresh(now_ms),
            patterns: self.patterns.clone(),
            wants_id: self.wants_id,
            wants_index: self.wants_index,
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
        if let Some(src) = self.source(ev, fields, names, evidence) {
            self.runner.push(&src);
        }
    }

    /// Whether the query reads an index of one of these names.
    pub fn covers(&self, names: &[String]) -> bool {
        self.patterns.covers(names)
    }

    /// Whether every window's run of this query may take the leading
    /// per-event commands' result from [`EsqlRun::pass`] once.
    pub fn shares_prefix(&self) -> bool {
        self.runner.shares_prefix()
    }

    /// The leading per-event commands over a record: the columns they add,
    /// or none when it is dropped.
    pub fn pass(&self, src: &Source<'_>) -> Option<Vec<(String, V)>> {
        self.runner.pass(src)
    }

    pub fn push_passed(&mut self, src: &Source<'_>, extra: Vec<(String, V)>) {
        self.runner.push_passed(src, extra);
    }

    /// A record as the query sees it, when its index is one the query
    /// reads.
    pub fn source<'a>(
        &self,
        ev: &ingest::Event<'_>,
        fields: &'a dyn Fields,
        names: &[String],
        evidence: EventRef,
    ) -> Option<Source<'a>> {
        if !self.patterns.covers(names) {
            return None;
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
        Some(Source {
            fields,
            types: &crate::rules::types::of,
            evidence: Some(evidence),
            metadata,
        })
    }

    pub fn finish(self) -> Table {
        self.runner.finish()
    }
}
