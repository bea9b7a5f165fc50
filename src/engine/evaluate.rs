//! One rule's evaluation during the pass: offered every event once, it
//! keeps only what its kind needs (nothing for a query rule, compact hits
//! for a threshold, aggregation state for ES|QL, pre-filtered rows for
//! Kusto) and turns that into findings.

use std::cell::{OnceCell, RefCell};
use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use super::aggregating::Aggregating;
use super::alert::{Entity, Finding, Matched};
use super::kusto::KustoRun;
use super::rows::Unique;
use super::{GRACE_MS, runs_holding};
use crate::detect::EventRef;
use crate::detect::duration;
use crate::detect::esql::EsqlRun;
use crate::ingest::{self, Mapping};
use crate::model::Canonical;
use crate::rules::esql::ast::Query as EsqlQuery;
use crate::rules::fields::{Fields, Plain, Values};
use crate::rules::index;
use crate::rules::kql::{self, Ctx};
use crate::rules::rule::{Kind, Parsed, Rule};

/// Fields already looked up on one event, by the name rules asked.
type Memo<'e> = HashMap<Box<str>, Values<'e>, foldhash::fast::FixedState>;

/// One event, with what several rules ask of it computed once: rules of
/// one source mostly read the same fields, and a lookup through the
/// mapping may try several names before it finds one.
pub struct EventView<'e, 'a> {
    pub ev: &'e ingest::Event<'a>,
    pub mapping: &'static Mapping,
    names: OnceCell<Vec<String>>,
    canon: OnceCell<Canonical>,
    time: OnceCell<Option<DateTime<Utc>>>,
    table: OnceCell<Option<String>>,
    memo: RefCell<Memo<'e>>,
}

impl<'e> Fields for EventView<'e, '_> {
    fn values(&self, name: &str) -> Values<'_> {
        if let Some(found) = self.memo.borrow().get(name) {
            return found.clone();
        }
        let doc = &self.ev.doc;
        let found: Values<'e> = self.mapping.lookup(doc, self.ev.kind, name).into();
        self.memo.borrow_mut().insert(name.into(), found.clone());
        found
    }

    fn for_each_leaf(&self, f: &mut dyn FnMut(&str, &serde_json::Value)) {
        Plain(&self.ev.doc).for_each_leaf(f);
    }
}

/// What every rule of a run asks of an event alike, worked out while the
/// event is read, on the reading thread.
pub struct Prepared {
    time: Option<DateTime<Utc>>,
    names: Option<Vec<String>>,
    table: Option<Option<String>>,
}

impl Prepared {
    /// The event's time, and its index names (for Elastic rules) and
    /// table (for Kusto rules) when the run has such rules.
    pub fn of(ev: &ingest::Event<'_>, mapping: &Mapping, names: bool, table: bool) -> Prepared {
        Prepared {
            time: mapping.time(&ev.doc, ev.kind),
            names: names.then(|| index::names(&ev.doc, ev.kind, mapping)),
            table: table.then(|| crate::rules::kusto::tables::table_of(&ev.doc, ev.kind, mapping)),
        }
    }
}

impl<'e, 'a> EventView<'e, 'a> {
    /// A view with what was prepared of the event already known.
    pub fn prepared(ev: &'e ingest::Event<'a>, mapping: &'static Mapping, p: Prepared) -> Self {
        let v = EventView::new(ev, mapping);
        let _ = v.time.set(p.time);
        if let Some(names) = p.names {
            let _ = v.names.set(names);
        }
        if let Some(table) = p.table {
            let _ = v.table.set(table);
        }
        v
    }

    pub fn new(ev: &'e ingest::Event<'a>, mapping: &'static Mapping) -> Self {
        EventView {
            ev,
            mapping,
            names: OnceCell::new(),
            canon: OnceCell::new(),
            time: OnceCell::new(),
            table: OnceCell::new(),
            memo: RefCell::default(),
        }
    }

    pub fn names(&self) -> &[String] {
        self.names
            .get_or_init(|| index::names(&self.ev.doc, self.ev.kind, self.mapping))
    }

    pub fn canonical(&self) -> &Canonical {
        self.canon
            .get_or_init(|| self.mapping.canonical(&self.ev.doc, self.ev.kind))
    }

    pub fn time(&self) -> Option<DateTime<Utc>> {
        *self.time.get_or_init(|| match self.canon.get() {
            Some(c) => c.time,
            None => self.mapping.time(&self.ev.doc, self.ev.kind),
        })
    }

    /// The Log Analytics table the event is a row of.
    pub fn table(&self) -> Option<&str> {
        self.table
            .get_or_init(|| {
                crate::rules::kusto::tables::table_of(&self.ev.doc, self.ev.kind, self.mapping)
            })
            .as_deref()
    }

    pub fn event_ref(&self) -> EventRef {
        EventRef::new(&self.ev.loc, self.time())
    }
}

/// A KQL rule's query, with the indices it reads.
pub struct KqlMatch {
    query: kql::Query,
    ctx: Ctx,
    index: index::Patterns,
}

impl KqlMatch {
    fn new(rule: &Rule, query: &kql::Query, now: DateTime<Utc>) -> KqlMatch {
        KqlMatch {
            query: query.clone(),
            ctx: Ctx::new(now),
            index: index::Patterns::new(&rule.index),
        }
    }

    /// Whether the event is of the rule's indices.
    pub fn covers(&self, v: &EventView<'_, '_>) -> bool {
        self.index.covers(v.names())
    }

    /// Whether the event matches the query, whatever its index.
    pub fn query_matches(&self, v: &EventView<'_, '_>) -> bool {
        kql::matches(&self.query, v, &self.ctx)
    }

    fn matches(&self, v: &EventView<'_, '_>) -> bool {
        self.covers(v) && self.query_matches(v)
    }

    /// The fields and values that made the event match.
    pub fn explain(&self, v: &EventView<'_, '_>) -> Vec<Matched> {
        kql::explain::explain(&self.query, v, &self.ctx)
            .into_iter()
            .map(|(field, value)| Matched { field, value })
            .collect()
    }
}

pub enum Evaluation {
    /// A KQL query rule: each matching event is a finding, at once.
    Query(Box<KqlMatch>),
    /// A KQL threshold or new-terms rule: hits counted as the logs pass
    /// them.
    Aggregate(Box<Aggregating>),
    Esql(Box<EsqlWindows>),
    Kusto(Box<KustoRun>),
    /// Finished.
    Done,
}

impl Evaluation {
    /// `None` for rules Vigil cannot run.
    /// `stream_cap` lets ES|QL windows and scheduled Kusto runs be closed
    /// while the logs stream, none ending after it (ticks); `None` keeps
    /// every window and row to the end.
    pub fn new(rule: &Rule, now: DateTime<Utc>, stream_cap: Option<i64>) -> Option<Evaluation> {
        match (&rule.parsed, &rule.kind) {
            (Parsed::Kql(q), Kind::Query) => {
                Some(Evaluation::Query(Box::new(KqlMatch::new(rule, q, now))))
            }
            (Parsed::Kql(q), Kind::Threshold { .. } | Kind::NewTerms { .. }) => {
                Aggregating::new(rule, KqlMatch::new(rule, q, now), stream_cap.is_some())
                    .map(|a| Evaluation::Aggregate(Box::new(a)))
            }
            (Parsed::Esql(q), _) => Some(Evaluation::Esql(Box::new(EsqlWindows::new(
                rule,
                q,
                now,
                stream_cap.is_some(),
            )))),
            (Parsed::Kusto(q), _) => Some(Evaluation::Kusto(Box::new(KustoRun::new(
                rule, q, stream_cap,
            )))),
            _ => None,
        }
    }

    /// Offers one event; query rules add their finding to `out`.
    pub fn offer(&mut self, rule: &Rule, v: &EventView<'_, '_>, out: &mut Vec<Finding>) {
        match self {
            Evaluation::Query(m) => {
                if !m.matches(v) {
                    return;
                }
                out.push(Finding {
                    events: vec![v.event_ref()],
                    time: None,
                    entities: Entity::of_event(v.canonical()),
                    matched: m.explain(v),
                    key: suppression_key(rule, v),
                    details: None,
                });
            }
            Evaluation::Aggregate(a) => a.offer(rule, v, out),
            Evaluation::Esql(w) => w.offer(rule, v, out),
            Evaluation::Kusto(k) => k.offer(rule, v, out),
            Evaluation::Done => {}
        }
    }

    /// Whether the rule would use the event at all, when that can be told
    /// per event (a KQL query; for ES|QL, only that it surely would not);
    /// `None` when only the rule's own pipeline can tell.
    pub fn would_use(&self, v: &EventView<'_, '_>) -> Option<bool> {
        match self {
            Evaluation::Query(m) => Some(m.matches(v)),
            Evaluation::Aggregate(a) => Some(a.kql.matches(v)),
            // An event outside the indices FROM names is surely not used;
            // within them, only the pipeline can tell.
            Evaluation::Esql(w) => (!w.template.covers(v.names())).then_some(false),
            _ => None,
        }
    }

    /// Whether the rule must be evaluated again over a pass that keeps
    /// everything it reads.
    pub fn needs_second_pass(&self) -> bool {
        match self {
            Evaluation::Kusto(k) => k.needs_second_pass(),
            Evaluation::Esql(w) => w.needs_second_pass(),
            Evaluation::Aggregate(a) => a.needs_second_pass(),
            _ => false,
        }
    }

    /// The findings that only the end of the input decides.
    pub fn finish(
        self,
        rule: &Rule,
        start: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Vec<Finding> {
        match self {
            Evaluation::Query(_) => Vec::new(),
            Evaluation::Aggregate(a) => a.finish(),
            Evaluation::Esql(w) => w.finish(rule),
            Evaluation::Kusto(k) => k.finish(rule, start, now),
            Evaluation::Done => Vec::new(),
        }
    }
}

/// The values of the rule's suppression fields, when it names any.
fn suppression_key(rule: &Rule, fields: &dyn Fields) -> Option<Vec<String>> {
    let s = rule
        .suppression
        .as_ref()
        .filter(|s| !s.group_by.is_empty())?;
    Some(
        s.group_by
            .iter()
            .map(|f| {
                fields
                    .values(f)
                    .first()
                    .and_then(|v| crate::ingest::doc::scalar_text(v))
                    .unwrap_or_default()
            })
            .collect(),
    )
}

/// An ES|QL rule. One that aggregates (`STATS`) runs as Elastic schedules
/// it: every `interval`, over the `from` look-back before it, so a count
/// is a count within the look-back, not over the whole file. Its windows
/// end on multiples of the interval and overlap when the look-back is
/// longer; a row found in two windows is one finding.
pub struct EsqlWindows {
    /// Every window starts as a copy of this one.
    template: EsqlRun,
    /// (look-back, interval) in milliseconds.
    windows: Option<(i64, i64)>,
    runs: BTreeMap<i64, EsqlRun>,
    whole: Option<EsqlRun>,
    /// Windows are closed as the logs stream past them.
    stream: bool,
    latest: Option<i64>,
    /// The latest window closed.
    closed: Option<i64>,
    /// An event arrived for a window already closed.
    late: bool,
    out: Unique,
}

impl EsqlWindows {
    fn new(rule: &Rule, q: &EsqlQuery, now: DateTime<Utc>, stream: bool) -> EsqlWindows {
        let aggregates = q.aggregates();
        let from = rule.from.as_deref().and_then(duration::parse);
        let every = rule.interval.as_deref().and_then(duration::parse).or(from);
        let windows = match (aggregates, from, every) {
            (true, Some(f), Some(e)) if f.num_milliseconds() > 0 && e.num_milliseconds() > 0 => {
                Some((f.num_milliseconds(), e.num_milliseconds()))
            }
            _ => None,
        };
        let template = EsqlRun::new(q.clone(), now.timestamp_millis());
        EsqlWindows {
            whole: windows
                .is_none()
                .then(|| template.fresh(now.timestamp_millis())),
            template,
            windows,
            runs: BTreeMap::new(),
            stream,
            latest: None,
            closed: None,
            late: false,
            out: Unique::default(),
        }
    }

    fn offer(&mut self, rule: &Rule, v: &EventView<'_, '_>, out: &mut Vec<Finding>) {
        if let Some(run) = &mut self.whole {
            run.offer_named(v.ev, v, v.names(), v.event_ref());
            return;
        }
        let (Some((from, every)), Some(t)) = (self.windows, v.time()) else {
            return;
        };
        // Only events of the indices the query reads say how far its
        // windows have come: another source's file read first does not
        // make these events late.
        if !self.template.covers(v.names()) {
            return;
        }
        let t = t.timestamp_millis();
        // A WHERE or EVAL that does not read NOW() runs once for all the
        // windows the event falls in.
        let shared = self
            .template
            .shares_prefix()
            .then(|| self.template.source(v.ev, v, v.names(), v.event_ref()))
            .flatten();
        let passed = shared.as_ref().map(|s| self.template.pass(s));
        for end in runs_holding(t, from, every) {
            if self.closed.is_some_and(|c| end <= c) {
                self.late = true;
                continue;
            }
            let run = self
                .runs
                .entry(end)
                .or_insert_with(|| self.template.fresh(end));
            match (&shared, &passed) {
                (Some(s), Some(Some(extra))) => run.push_passed(s, extra.clone()),
                // Dropped by a WHERE, for every window alike.
                (Some(_), _) => {}
                (None, _) => run.offer_named(v.ev, v, v.names(), v.event_ref()),
            }
        }
        if !self.stream || self.late {
            return;
        }
        let latest = self.latest.map_or(t, |l| l.max(t));
        self.latest = Some(latest);
        let mut closed_any = false;
        while let Some(entry) = self.runs.first_entry() {
            if entry.key().saturating_add(GRACE_MS) > latest {
                break;
            }
            let end = *entry.key();
            let run = entry.remove();
            self.closed = Some(end);
            emit_esql(rule, run, &mut self.out);
            closed_any = true;
        }
        // Windows still to come start after the last one closed began.
        if let (true, Some(c)) = (closed_any, self.closed) {
            self.out
                .forget_before(c.saturating_sub(from).saturating_add(every));
        }
        out.extend(self.out.take_new());
    }

    fn needs_second_pass(&self) -> bool {
        self.late
    }

    fn finish(self, rule: &Rule) -> Vec<Finding> {
        let mut out = self.out;
        for run in self.whole.into_iter().chain(self.runs.into_values()) {
            emit_esql(rule, run, &mut out);
        }
        out.into_vec()
    }
}

fn emit_esql(rule: &Rule, run: EsqlRun, out: &mut Unique) {
    let table = run.finish();
    let evidence = table.rows.iter().map(|r| r.evidence.clone());
    out.extend_rows(rule, &table.columns, &table.to_json_rows(), evidence);
}
