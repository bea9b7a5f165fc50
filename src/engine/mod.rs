//! The detection engine: every loaded rule over every event in one pass.
//! Each event is parsed once and offered to every rule; what a rule keeps
//! is its own compact state, never the events. Alerts are sent as soon as
//! they are final (a query rule's at once, an aggregation's at the end of
//! the input), with progress between, so a console shows the first alerts
//! while the rest still loads. Nothing here knows about a terminal.

mod aggregating;
pub mod alert;
pub mod background;
mod evaluate;
mod kusto;
pub mod located;
pub(crate) mod needs;
mod pipeline;
mod rows;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use alert::{Alert, Entity, Evidence, Matched};
use alert::{Finding, Grouper};
use evaluate::{Evaluation, EventView, Prepared};
pub use located::{Located, LocatedBatch, Sym};

use crate::exceptions::Exception;
use crate::ingest::{self, FileReport, LoadOptions, Mapping, SourceInfo};
use crate::rules::rule::{Parsed, Rule, Status};

/// What to run.
#[derive(Clone, Default)]
pub struct Plan {
    pub rules: Vec<Arc<Rule>>,
    pub logs: Vec<PathBuf>,
    pub load: LoadOptions,
    /// What `now` means; the end of the loaded data when not given.
    pub now: Option<DateTime<Utc>>,
    /// Run only these rules (indices into `rules`), as when one rule or
    /// its exception changed.
    pub only: Option<Vec<usize>>,
    /// Report where every event is ([`Update::Located`]) and the files
    /// they are in ([`Update::Source`]), for a console that reads events
    /// again on demand.
    pub locate: bool,
    /// Exceptions in force: an event one of them matches is not offered
    /// to the rules in its scope.
    pub exceptions: Arc<Vec<Exception>>,
    /// Also run each rule that has exceptions without them, unseen, to
    /// tell which alerts the exceptions take away
    /// ([`Summary::suppressed`]).
    pub compare: bool,
    /// Parse every record whole, even the parts no rule reads: slower,
    /// and the same alerts.
    pub whole_records: bool,
}

impl Plan {
    /// The same logs and rules, for running some rules (indices) again
    /// with these exceptions, alerts they suppress named.
    pub fn again(&self, only: Vec<usize>, exceptions: Vec<Exception>) -> Plan {
        Plan {
            only: Some(only),
            compare: !exceptions.is_empty(),
            exceptions: Arc::new(exceptions),
            locate: false,
            ..self.clone()
        }
    }
}

/// Whether a rule can read parts of a record it does not name (free
/// text, wildcard field names, rows of every field): a run with it parses
/// records whole.
pub fn reads_whole_records(rule: &Rule) -> bool {
    needs::of([rule], &[], Mapping::builtin()).is_none()
}

/// Events reported per [`Update::Located`].
const LOCATED_BATCH: usize = 4096;

#[derive(Debug, Clone, Default, Serialize)]
pub struct Progress {
    /// Decoded bytes read.
    pub bytes: u64,
    /// Size of the inputs on disk.
    pub total_bytes: u64,
    pub events: u64,
    pub alerts: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleSummary {
    /// Index into the plan's rules.
    pub index: usize,
    pub rule_id: String,
    pub name: String,
    pub file: String,
    /// `ok`, `unsupported`, `error` or `skipped` (not in this run).
    pub status: &'static str,
    pub reason: Option<String>,
    pub alerts: usize,
    /// Time spent on the rule; per-event work is sampled.
    pub micros: u64,
    /// The rule's rows came out of time order, so it was evaluated again
    /// over a second pass that kept them all.
    pub second_pass: bool,
    /// Events exceptions kept from the rule.
    pub excepted: u64,
    /// The rule counts, groups or joins events rather than judging each
    /// alone: an event kept from it can change an alert without removing
    /// it.
    pub aggregates: bool,
    /// Alerts the rule gives without its exceptions, when compared.
    pub without_exceptions: Option<usize>,
}

/// What one exception did in a run.
#[derive(Debug, Clone, Serialize)]
pub struct ExceptionReport {
    pub id: String,
    pub name: String,
    /// Events it kept from each rule (index into the plan's rules), for
    /// the rules where it kept any.
    pub rules: Vec<(usize, u64)>,
    /// Ids of the alerts that fire only without the exceptions, of the
    /// rules it kept events from (when compared).
    pub alerts: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub events: u64,
    pub errors: u64,
    pub files: Vec<FileReport>,
    pub rules: Vec<RuleSummary>,
    /// Every alert, ordered by first time, then rule, then id.
    pub alerts: Vec<Alert>,
    pub now: Option<DateTime<Utc>>,
    pub cancelled: bool,
    pub elapsed_ms: u64,
    /// From the start of the run to the first alert sent.
    pub first_alert_ms: Option<u64>,
    /// One report per exception in force, in the plan's order.
    pub exceptions: Vec<ExceptionReport>,
    /// Alerts that fire only without the exceptions (when compared).
    pub suppressed: Vec<Alert>,
}

pub enum Update {
    Progress(Progress),
    /// A new alert, or a newer state of one already sent (same id): more
    /// hits grouped into it.
    Alert(Alert),
    /// An alert sent earlier that a second, exact evaluation of its rule
    /// did not find again (its rule's rows were out of time order).
    Withdrawn(String),
    /// An alert the rule gives only without its exceptions: they keep it
    /// from firing (sent when the plan compares).
    Suppressed(Alert),
    Rule(RuleSummary),
    /// A file being read, sent again when more of its tables are known.
    Source(Arc<SourceInfo>),
    /// The next events of the first pass, in input order.
    Located(LocatedBatch),
    Done(Box<Summary>),
}

/// How far behind the latest event a window's end must be before the
/// window is closed while streaming: records a little out of order, as
/// exports often are, still land in their windows.
const GRACE_MS: i64 = 3_600_000;

/// Per-event timing is taken on one event in this many.
const SAMPLE: u64 = 64;
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

struct Slot {
    index: usize,
    rule: Arc<Rule>,
    eval: Evaluation,
    grouper: Grouper,
    sampled: Duration,
    /// Alerts of an earlier evaluation, withdrawn unless found again.
    withdrawn: Vec<String>,
    /// The exceptions that apply (indices into the plan's), and the
    /// events each kept from the rule.
    exceptions: Vec<usize>,
    dropped: Vec<u64>,
    /// Runs without exceptions to compare: finds alerts, sends none.
    shadow: bool,
}

/// Which exceptions match the event being offered, each worked out once
/// however many rules it applies to.
struct Excepting<'p> {
    list: &'p [Exception],
    /// Per exception: not yet known, no, or yes.
    memo: Vec<Option<bool>>,
}

impl Excepting<'_> {
    fn next_event(&mut self) {
        self.memo.iter_mut().for_each(|m| *m = None);
    }

    fn holds(&mut self, i: usize, view: &EventView<'_, '_>) -> bool {
        *self.memo[i]
            .get_or_insert_with(|| self.list[i].matches(&view.ev.doc, view.ev.kind, view.mapping))
    }
}

fn status_of(rule: &Rule) -> (&'static str, Option<String>) {
    match &rule.status {
        Status::Ok if matches!(rule.parsed, Parsed::None) => (
            "unsupported",
            Some(format!("{} rules do not run", rule.language)),
        ),
        Status::Ok => ("ok", None),
        Status::Unsupported(why) => ("unsupported", Some(why.clone())),
        Status::Error(e) => ("error", Some(e.to_string())),
    }
}

/// Whether a rule reads `now` while events stream (date math in a filter),
/// so the end of the data must be known before the pass.
fn needs_now_early(rule: &Rule) -> bool {
    match &rule.parsed {
        Parsed::Kql(q) => crate::rules::kql::uses_now(q),
        Parsed::Esql(q) => q.uses_now(),
        _ => false,
    }
}

/// Sends alerts as slots find them, and remembers where files are.
struct Sender<'s> {
    started: Instant,
    send: &'s mut dyn FnMut(Update),
    paths: Vec<String>,
    first_alert: Option<Duration>,
    alerts_sent: usize,
}

impl Sender<'_> {
    fn see_source(&mut self, id: u32, path: &str) {
        let id = id as usize;
        if self.paths.len() <= id {
            self.paths.resize(id + 1, String::new());
            self.paths[id] = path.to_string();
        }
    }

    fn findings(&mut self, slot: &mut Slot, found: impl IntoIterator<Item = Finding>) {
        let paths = &self.paths;
        let path_of = |s: u32| paths.get(s as usize).cloned().unwrap_or_default();
        for f in found {
            let added = slot.grouper.add(f, &path_of);
            if slot.shadow {
                continue;
            }
            if let Some(a) = added {
                let a = a.clone();
                self.first_alert
                    .get_or_insert_with(|| self.started.elapsed());
                self.alerts_sent += 1;
                (self.send)(Update::Alert(a));
            }
        }
    }

    /// Sends the events located since the last batch, if any.
    fn located(&mut self, batch: &mut LocatedBatch) {
        if !batch.events.is_empty() {
            (self.send)(Update::Located(std::mem::take(batch)));
        }
    }

    /// Offers one event to every slot whose exceptions let it through.
    fn offer(
        &mut self,
        slots: &mut [Slot],
        view: &EventView<'_, '_>,
        timed: bool,
        ex: &mut Excepting<'_>,
    ) {
        let mut found = Vec::new();
        ex.next_event();
        for slot in slots {
            if !slot.exceptions.is_empty() {
                // An event a KQL rule would not match anyway is not one
                // an exception kept from it: only those it would are
                // counted (and the exception is not even asked).
                if slot.eval.would_use(view) == Some(false) {
                    continue;
                }
                let kept = slot.exceptions.iter().position(|&e| ex.holds(e, view));
                if let Some(k) = kept {
                    slot.dropped[k] += 1;
                    continue;
                }
            }
            let t0 = timed.then(Instant::now);
            slot.eval.offer(&slot.rule, view, &mut found);
            if let Some(t0) = t0 {
                slot.sampled += t0.elapsed();
            }
            if !found.is_empty() {
                self.findings(slot, found.drain(..));
            }
        }
    }
}

/// Runs the plan, sending updates as they come; stops early, without
/// aggregations' alerts, when `cancel` is set.
pub fn run(plan: &Plan, cancel: &Arc<AtomicBool>, send: &mut dyn FnMut(Update)) -> Summary {
    let started = Instant::now();
    let mapping = Mapping::builtin();
    let selected = |i: usize| plan.only.as_ref().is_none_or(|o| o.contains(&i));
    let early = plan
        .rules
        .iter()
        .enumerate()
        .any(|(i, r)| selected(i) && needs_now_early(r));
    let mut now = plan.now;
    if now.is_none() && early {
        let opts = LoadOptions {
            progress: None,
            ..plan.load.clone()
        };
        now = ingest::end_of_data(&plan.logs, &opts);
    }
    let provisional = now.unwrap_or_else(Utc::now);
    // Scheduled runs may be evaluated while streaming, but never past a
    // `now` that is known.
    let stream_cap = Some(now.map_or(i64::MAX, crate::rules::kusto::value::to_ticks));

    let mut summaries: Vec<RuleSummary> = Vec::new();
    let mut slots: Vec<Slot> = Vec::new();
    for (i, rule) in plan.rules.iter().enumerate() {
        let (mut status, reason) = status_of(rule);
        let eval = (status == "ok" && selected(i))
            .then(|| Evaluation::new(rule, provisional, stream_cap))
            .flatten();
        if status == "ok" && !selected(i) {
            status = "skipped";
        }
        summaries.push(RuleSummary {
            index: i,
            rule_id: rule.rule_id.clone(),
            name: rule.name.clone(),
            file: rule.file.clone(),
            status,
            reason,
            alerts: 0,
            micros: 0,
            second_pass: false,
            excepted: 0,
            without_exceptions: None,
            aggregates: eval
                .as_ref()
                .is_some_and(|e| !matches!(e, Evaluation::Query(_))),
        });
        if let Some(eval) = eval {
            let exceptions: Vec<usize> = (0..plan.exceptions.len())
                .filter(|&e| plan.exceptions[e].applies_to(rule))
                .collect();
            if plan.compare && !exceptions.is_empty() {
                if let Some(twin) = Evaluation::new(rule, provisional, stream_cap) {
                    slots.push(Slot {
                        index: i,
                        rule: rule.clone(),
                        eval: twin,
                        grouper: Grouper::new(rule),
                        sampled: Duration::ZERO,
                        withdrawn: Vec::new(),
                        exceptions: Vec::new(),
                        dropped: Vec::new(),
                        shadow: true,
                    });
                }
            }
            slots.push(Slot {
                index: i,
                rule: rule.clone(),
                eval,
                grouper: Grouper::new(rule),
                sampled: Duration::ZERO,
                withdrawn: Vec::new(),
                dropped: vec![0; exceptions.len()],
                exceptions,
                shadow: false,
            });
        }
    }
    let mut excepting = Excepting {
        list: &plan.exceptions,
        memo: vec![None; plan.exceptions.len()],
    };

    let bytes = Arc::new(AtomicU64::new(0));
    let keep = (!plan.whole_records)
        .then(|| needs::of(slots.iter().map(|s| &*s.rule), &plan.exceptions, mapping))
        .flatten();
    let opts = LoadOptions {
        cancel: Some(cancel.clone()),
        progress: Some(bytes.clone()),
        keep: keep.map(|k| Arc::new(ingest::keep::Parts::new(k))),
        ..plan.load.clone()
    };
    let total_bytes = total_size(&plan.logs);
    let mut events = 0u64;
    let mut latest: Option<DateTime<Utc>> = None;
    let mut earliest: Option<DateTime<Utc>> = None;
    let mut last_progress = Instant::now();
    let mut out = Sender {
        started,
        send,
        paths: Vec::new(),
        first_alert: None,
        alerts_sent: 0,
    };

    let mut located = LocatedBatch::default();
    let mut interner = located::Interner::default();
    let mut source_sent: Option<(u32, usize)> = None;
    let elastic = slots
        .iter()
        .any(|s| matches!(s.rule.parsed, Parsed::Kql(_) | Parsed::Esql(_)));
    let kusto = slots
        .iter()
        .any(|s| matches!(s.rule.parsed, Parsed::Kusto(_)));
    let prepare = |ev: &ingest::Event<'_>| Prepared::of(ev, mapping, elastic, kusto);
    let loaded = pipeline::load(&plan.logs, &opts, &prepare, &mut |ev, prepared| {
        if cancel.load(Ordering::Relaxed) {
            return;
        }
        events += 1;
        out.see_source(ev.source.id, &ev.source.path);
        let view = EventView::prepared(ev, mapping, prepared);
        if let Some(t) = view.time() {
            latest = Some(latest.map_or(t, |l| l.max(t)));
            earliest = Some(earliest.map_or(t, |l| l.min(t)));
        }
        if plan.locate {
            let known = (ev.source.id, ev.source.tables.len());
            if source_sent != Some(known) {
                source_sent = Some(known);
                (out.send)(Update::Source(Arc::new(ev.source.clone())));
            }
            let l = interner.locate(ev.loc, ev.kind, view.canonical(), &mut located);
            located.events.push(l);
            if located.events.len() >= LOCATED_BATCH {
                out.located(&mut located);
            }
        }
        out.offer(&mut slots, &view, events % SAMPLE == 0, &mut excepting);
        if events % 1024 == 0 && last_progress.elapsed() >= PROGRESS_EVERY {
            last_progress = Instant::now();
            out.located(&mut located);
            (out.send)(Update::Progress(Progress {
                bytes: bytes.load(Ordering::Relaxed),
                total_bytes,
                events,
                alerts: out.alerts_sent,
            }));
        }
    });
    out.located(&mut located);
    let cancelled = cancel.load(Ordering::Relaxed);
    let now = now.or(latest).unwrap_or(provisional);
    out.paths = loaded.sources.iter().map(|s| s.path.clone()).collect();

    // Rules whose rows came out of time order run again over a pass that
    // keeps every row; their first alerts stand until then.
    let (again, mut slots): (Vec<Slot>, Vec<Slot>) = slots
        .into_iter()
        .partition(|s| !cancelled && s.eval.needs_second_pass());
    if !again.is_empty() {
        let mut redo: Vec<Slot> = again
            .into_iter()
            .filter_map(|s| {
                let eval = Evaluation::new(&s.rule, provisional, None)?;
                summaries[s.index].second_pass = true;
                Some(Slot {
                    eval,
                    grouper: Grouper::new(&s.rule),
                    withdrawn: if s.shadow {
                        Vec::new()
                    } else {
                        s.grouper.ids()
                    },
                    dropped: vec![0; s.exceptions.len()],
                    ..s
                })
            })
            .collect();
        let opts = LoadOptions {
            progress: None,
            ..opts.clone()
        };
        let mut n = 0u64;
        pipeline::load(&plan.logs, &opts, &prepare, &mut |ev, prepared| {
            n += 1;
            let view = EventView::prepared(ev, mapping, prepared);
            out.offer(&mut redo, &view, n % SAMPLE == 0, &mut excepting);
        });
        slots.extend(redo);
        // A rule's twin without exceptions comes just before it.
        slots.sort_by_key(|s| (s.index, !s.shadow));
    }

    let mut alerts = Vec::new();
    let mut reports: Vec<ExceptionReport> = plan
        .exceptions
        .iter()
        .map(|e| ExceptionReport {
            id: e.id.clone(),
            name: e.name.clone(),
            rules: Vec::new(),
            alerts: Vec::new(),
        })
        .collect();
    let mut suppressed = Vec::new();
    // Alerts of the rule's twin without exceptions, met just before it.
    let mut twin: Option<(usize, Vec<Alert>)> = None;
    for mut slot in slots {
        let t0 = Instant::now();
        let eval = std::mem::replace(&mut slot.eval, Evaluation::Done);
        if !cancel.load(Ordering::Relaxed) {
            let findings = eval.finish(&slot.rule, earliest, now);
            out.findings(&mut slot, findings);
        }
        if slot.shadow {
            twin = Some((slot.index, slot.grouper.into_alerts()));
            continue;
        }
        for id in std::mem::take(&mut slot.withdrawn) {
            if !slot.grouper.has(&id) {
                (out.send)(Update::Withdrawn(id));
            }
        }
        let s = &mut summaries[slot.index];
        s.micros = (slot.sampled * SAMPLE as u32 + t0.elapsed()).as_micros() as u64;
        s.alerts = slot.grouper.len();
        s.excepted = slot.dropped.iter().sum();
        let gone: Vec<Alert> = match twin.take() {
            Some((i, all)) if i == slot.index => {
                s.without_exceptions = Some(all.len());
                all.into_iter()
                    .filter(|a| !slot.grouper.has(&a.id))
                    .collect()
            }
            _ => Vec::new(),
        };
        for (k, &e) in slot.exceptions.iter().enumerate() {
            if slot.dropped[k] > 0 {
                reports[e].rules.push((slot.index, slot.dropped[k]));
                reports[e].alerts.extend(gone.iter().map(|a| a.id.clone()));
            }
        }
        for a in &gone {
            (out.send)(Update::Suppressed(a.clone()));
        }
        suppressed.extend(gone);
        (out.send)(Update::Rule(s.clone()));
        alerts.extend(slot.grouper.into_alerts());
    }
    let cancelled = cancel.load(Ordering::Relaxed);
    alerts.sort_by(|a, b| (a.first, &a.rule_name, &a.id).cmp(&(b.first, &b.rule_name, &b.id)));
    (out.send)(Update::Progress(Progress {
        bytes: bytes.load(Ordering::Relaxed),
        total_bytes,
        events,
        alerts: alerts.len(),
    }));
    let summary = Summary {
        events,
        errors: loaded.reports.iter().map(|r| r.errors).sum(),
        files: loaded.reports,
        rules: summaries,
        alerts,
        now: Some(now).filter(|_| plan.now.is_some() || latest.is_some()),
        cancelled,
        elapsed_ms: started.elapsed().as_millis() as u64,
        first_alert_ms: out.first_alert.map(|d| d.as_millis() as u64),
        exceptions: reports,
        suppressed,
    };
    (out.send)(Update::Done(Box::new(summary.clone())));
    summary
}

/// The smallest multiple of `step` at or after `t`.
fn ceil_to(t: i64, step: i64) -> i64 {
    (t.div_euclid(step) + i64::from(t.rem_euclid(step) != 0)) * step
}

/// The ends of the scheduled runs, every `every`, whose look-back of
/// `period` before them holds time `t`: (end - period, end].
fn runs_holding(t: i64, period: i64, every: i64) -> impl Iterator<Item = i64> {
    let first = ceil_to(t, every);
    (0..)
        .map(move |k| first + k * every)
        .take_while(move |end| *end < t.saturating_add(period))
}

fn total_size(logs: &[PathBuf]) -> u64 {
    fn walk(p: &std::path::Path) -> u64 {
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => std::fs::read_dir(p)
                .map(|rd| rd.filter_map(Result::ok).map(|e| walk(&e.path())).sum())
                .unwrap_or(0),
            Ok(m) => m.len(),
            Err(_) => 0,
        }
    }
    logs.iter().map(|p| walk(p)).sum()
}
