//! A Kusto rule in the pass: rows of the tables it reads, kept only when
//! its first filters let them through, then the query run as Sentinel
//! schedules it. A scheduled rule runs every `queryFrequency` over the
//! `queryPeriod` before; offline, each such run whose period holds rows
//! is evaluated, with `now()` at its end, so a "10 in an hour" rule means
//! ten within one hour. A hunting query (no schedule) runs once over all
//! rows, `now()` being the end of the data.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::alert::Finding;
use super::evaluate::EventView;
use super::rows::Unique;
use super::{ceil_to, runs_holding};
use crate::detect::duration;
use crate::rules::kusto::ast::Query;
use crate::rules::kusto::pushdown::Pushdown;
use crate::rules::kusto::tables::{Builder, NewRow};
use crate::rules::kusto::value::to_ticks;
use crate::rules::rule::Rule;

/// Scheduled runs evaluated at most; a longer span is evaluated in its
/// latest runs only.
pub const MAX_RUNS: usize = 20_000;

pub struct KustoRun {
    query: Query,
    pushdown: Pushdown,
    builder: Builder,
    rows: Vec<NewRow>,
    /// (period, frequency) in ticks.
    schedule: Option<(i64, i64)>,
}

impl KustoRun {
    pub fn new(rule: &Rule, q: &Query) -> KustoRun {
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
            builder: Builder::new(Vec::new()),
            rows: Vec::new(),
            schedule,
        }
    }

    pub fn offer(&mut self, v: &EventView<'_, '_>) {
        let pushdown = &self.pushdown;
        let kept = self
            .builder
            .row_if(v.ev, v.mapping, |table, row| pushdown.keeps(table, row));
        self.rows.extend(kept);
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
        let mut out = Unique::default();
        let Some((period, every)) = self.schedule else {
            let mut b = Builder::new(Vec::new());
            std::mem::take(&mut self.rows)
                .into_iter()
                .for_each(|r| b.push(r));
            self.emit(rule, &b, now, &mut out);
            return out.into_vec();
        };
        let start = start.map_or(i64::MIN, to_ticks);
        let last_run = ceil_to(now, every);
        let first_run = ceil_to(start.saturating_add(period - every), every).min(last_run);
        // Rows without a time are in every run; the rest, in time order,
        // are sliced per run.
        self.rows.sort_by_key(|r| r.time);
        let untimed = self.rows.partition_point(|r| r.time.is_none());
        let (always, timed) = self.rows.split_at(untimed);
        let mut ends = BTreeSet::new();
        for t in timed.iter().rev().filter_map(|r| r.time) {
            if ends.len() >= MAX_RUNS {
                break;
            }
            ends.extend(
                runs_holding(t, period, every).filter(|e| (first_run..=last_run).contains(e)),
            );
        }
        for end in ends {
            let from = timed.partition_point(|r| r.time <= Some(end - period));
            let to = timed.partition_point(|r| r.time <= Some(end));
            let mut b = Builder::new(Vec::new());
            always
                .iter()
                .chain(&timed[from..to])
                .for_each(|r| b.push(r.clone()));
            self.emit(rule, &b, end, &mut out);
        }
        out.into_vec()
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
