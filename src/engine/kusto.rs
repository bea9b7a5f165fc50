//! A Kusto rule in the pass: rows of the tables it reads, kept only when
//! its first filters let them through, then the query run as Sentinel
//! schedules it. A scheduled rule runs every `queryFrequency` over the
//! `queryPeriod` before; offline, each such run whose period holds rows
//! is evaluated, with `now()` at its end, so a "10 in an hour" rule means
//! ten within one hour. A hunting query (no schedule) runs once over all
//! rows, `now()` being the end of the data.
//!
//! Scheduled runs are evaluated while the logs stream: once the latest
//! event time is a grace past a run's end, the run is evaluated and rows
//! no later run can see are dropped, so a day-long period over a year of
//! logs holds about a day of rows. A kept row older than a run already
//! evaluated (logs not in time order, or tables in separate files) makes
//! the rule ask for a second pass that keeps every row: results are then
//! exactly as if the input had been sorted.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::alert::Finding;
use super::evaluate::EventView;
use super::rows::Unique;
use super::{ceil_to, runs_holding};
use crate::detect::duration;
use crate::rules::kusto::ast::Query;
use crate::rules::kusto::projection::Projection;
use crate::rules::kusto::pushdown::Pushdown;
use crate::rules::kusto::tables::{Builder, NewRow, Source};
use crate::rules::kusto::value::{TICKS_PER_MS, to_ticks};
use crate::rules::rule::Rule;

/// Scheduled runs evaluated at most when every row is kept; a longer span
/// is evaluated in its latest runs only.
pub const MAX_RUNS: usize = 20_000;

const GRACE_TICKS: i64 = super::GRACE_MS * TICKS_PER_MS;

pub struct KustoRun {
    query: Query,
    pushdown: Pushdown,
    builder: Builder,
    /// The columns kept of each row, when the query names them all.
    projection: Option<Projection>,
    /// Rows with a time, in time order.
    rows: Vec<NewRow>,
    /// Rows without a time: in every run.
    untimed: Vec<NewRow>,
    /// (period, frequency) in ticks.
    schedule: Option<(i64, i64)>,
    stream: Option<Stream>,
}

/// Where streamed evaluation stands.
struct Stream {
    /// Runs never end after this (the given `now`).
    cap: i64,
    earliest: Option<i64>,
    latest: Option<i64>,
    /// The next run to evaluate; set once the first event is seen.
    next_end: Option<i64>,
    /// The last run evaluated.
    done: Option<i64>,
    /// A kept row arrived for a run already evaluated.
    late: bool,
    out: Unique,
}

impl Stream {
    /// The end of the next run to evaluate. Until one has been (or the end
    /// of the input sets it), it follows the earliest time seen: the first
    /// run whose period the data covers.
    fn pending(&self, (period, every): (i64, i64)) -> Option<i64> {
        match (self.done, self.next_end) {
            (Some(_), next) | (None, next @ Some(_)) => next,
            (None, None) => self
                .earliest
                .map(|e| ceil_to(e.saturating_add(period - every), every)),
        }
    }
}

impl KustoRun {
    /// `stream` evaluates scheduled runs as the data passes them, with
    /// `cap` (ticks) the latest a run may end.
    pub fn new(rule: &Rule, q: &Query, stream: Option<i64>) -> KustoRun {
        let ticks = |s: &Option<String>| {
            s.as_deref()
                .and_then(duration::parse)
                .and_then(|d| d.num_microseconds())
                .map(|us| us * 10)
                .filter(|t| *t > 0)
        };
        let period = ticks(&rule.from);
        let schedule = period.map(|p| (p, ticks(&rule.interval).unwrap_or(p)));
        KustoRun {
            query: q.clone(),
            pushdown: Pushdown::of(q),
            projection: Projection::for_rule(rule, q),
            builder: Builder::new(Vec::new()),
            rows: Vec::new(),
            untimed: Vec::new(),
            stream: stream.filter(|_| schedule.is_some()).map(|cap| Stream {
                cap,
                earliest: None,
                latest: None,
                next_end: None,
                done: None,
                late: false,
                out: Unique::default(),
            }),
            schedule,
        }
    }

    /// Whether the rule must be run again over a pass that keeps every
    /// row, because rows came after runs that should have seen them.
    pub fn needs_second_pass(&self) -> bool {
        self.stream.as_ref().is_some_and(|s| s.late)
    }

    /// Offers one event; runs its time closes add their findings to `out`.
    pub fn offer(&mut self, rule: &Rule, v: &EventView<'_, '_>, out: &mut Vec<Finding>) {
        let pushdown = &self.pushdown;
        let table = v.table().filter(|t| pushdown.reads(t));
        let read = table.is_some();
        let kept = table.and_then(|table| {
            let event = Source {
                ev: v.ev,
                fields: v,
                table,
                time: v.time(),
            };
            self.builder
                .row_if(event, v.mapping, self.projection.as_ref(), |table, row| {
                    pushdown.keeps(table, row)
                })
        });
        let t = v.time().map(to_ticks);
        if let (Some(s), Some(t)) = (&mut self.stream, t) {
            // Runs start where the data starts, but only the tables the
            // query reads say how far their rows have come: another
            // table's file read first does not make these rows late.
            s.earliest = Some(s.earliest.map_or(t, |e| e.min(t)));
            if read {
                s.latest = Some(s.latest.map_or(t, |l| l.max(t)));
            }
        }
        if let Some(row) = kept {
            match row.time {
                None => {
                    if let Some(s) = &mut self.stream {
                        s.late |= s.done.is_some();
                    }
                    self.untimed.push(row);
                }
                Some(rt) => {
                    if let Some(s) = &mut self.stream {
                        s.late |= s.done.is_some_and(|d| rt <= d);
                    }
                    let at = self.rows.partition_point(|r| r.time <= Some(rt));
                    self.rows.insert(at, row);
                }
            }
        }
        // Runs up to an hour behind the latest row of these tables close.
        let closing = match (&self.stream, self.schedule) {
            (Some(s), Some(schedule)) if !s.late => s.latest.filter(|l| {
                s.pending(schedule)
                    .is_some_and(|e| e.saturating_add(GRACE_TICKS) <= *l)
            }),
            _ => None,
        };
        if let Some(latest) = closing {
            self.advance(rule, latest - GRACE_TICKS);
            if let Some(s) = &mut self.stream {
                out.extend(s.out.take_new());
            }
        }
    }

    /// Evaluates, in order, the scheduled runs ending at or before `upto`
    /// that hold rows, dropping rows that no later run can see.
    fn advance(&mut self, rule: &Rule, upto: i64) {
        let Some((period, every)) = self.schedule else {
            return;
        };
        let Some(mut s) = self.stream.take() else {
            return;
        };
        let upto = upto.min(s.cap);
        let Some(mut end) = s.pending((period, every)) else {
            self.stream = Some(s);
            return;
        };
        while let Some(t) = self.rows.first().and_then(|r| r.time) {
            // Skip runs whose period holds no row.
            end = end.max(ceil_to(t, every));
            if end > upto {
                break;
            }
            let from = self.rows.partition_point(|r| r.time <= Some(end - period));
            let to = self.rows.partition_point(|r| r.time <= Some(end));
            if from < to {
                self.evaluate(rule, &self.rows[from..to], end, &mut s.out);
                s.done = Some(end);
            }
            end += every;
            let gone = self.rows.partition_point(|r| r.time <= Some(end - period));
            self.rows.drain(..gone);
        }
        if s.done.is_some() {
            s.next_end = Some(end);
            // Later runs read only rows after `end - period`.
            s.out.forget_before((end - period) / TICKS_PER_MS);
        }
        self.stream = Some(s);
    }

    /// `start` and `now` bound the loaded data: runs are those whose
    /// period the data covers (give or take one frequency), so that a run
    /// never sees only the first or last hours of a day-long period where
    /// Sentinel would have seen the whole day.
    pub fn finish(
        mut self,
        rule: &Rule,
        start: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Vec<Finding> {
        let now = to_ticks(now);
        let Some((period, every)) = self.schedule else {
            let mut out = Unique::default();
            let mut b = Builder::new(Vec::new());
            self.untimed
                .drain(..)
                .chain(self.rows.drain(..))
                .for_each(|r| b.push(r));
            self.emit(rule, &b, now, &mut out);
            return out.into_vec();
        };
        let start = start.map_or(i64::MIN, to_ticks);
        let last_run = ceil_to(now, every);
        let first_run = ceil_to(start.saturating_add(period - every), every).min(last_run);
        if let Some(mut s) = self.stream.take() {
            // A span shorter than one period is evaluated in its last run.
            if s.done.is_none() {
                s.next_end = Some(first_run);
            }
            s.cap = s.cap.min(last_run);
            self.stream = Some(s);
            self.advance(rule, last_run);
            return self.stream.map(|s| s.out.into_vec()).unwrap_or_default();
        }
        let mut out = Unique::default();
        let mut ends = BTreeSet::new();
        for t in self.rows.iter().rev().filter_map(|r| r.time) {
            if ends.len() >= MAX_RUNS {
                break;
            }
            ends.extend(
                runs_holding(t, period, every).filter(|e| (first_run..=last_run).contains(e)),
            );
        }
        for end in ends {
            let from = self.rows.partition_point(|r| r.time <= Some(end - period));
            let to = self.rows.partition_point(|r| r.time <= Some(end));
            self.evaluate(rule, &self.rows[from..to], end, &mut out);
        }
        out.into_vec()
    }

    /// One scheduled run over `timed` and the untimed rows.
    fn evaluate(&self, rule: &Rule, timed: &[NewRow], end: i64, out: &mut Unique) {
        let mut b = Builder::new(Vec::new());
        self.untimed
            .iter()
            .chain(timed)
            .for_each(|r| b.push(r.clone()));
        self.emit(rule, &b, end, out);
    }

    fn emit(&self, rule: &Rule, b: &Builder, now: i64, out: &mut Unique) {
        let table = b.run(&self.query, Some(now));
        let fires = match &rule.trigger {
            Some(t) => t.fires(table.rows.len()),
            None => !table.rows.is_empty(),
        };
        if fires {
            let evidence = table.rows.iter().map(|r| r.evidence.clone());
            out.extend_rows(rule, &table.columns, &table.to_json_rows(), evidence);
        }
    }
}
