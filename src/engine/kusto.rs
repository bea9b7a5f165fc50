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
use super::rows;
use crate::detect::duration;
use crate::rules::kusto::ast::Query;
use crate::rules::kusto::pushdown::Pushdown;
use crate::rules::kusto::tables::{Builder, NewRow};
use crate::rules::kusto::value::to_ticks;
use crate::rules::rule::Rule;

/// Scheduled runs evaluated at most; a longer span is evaluated in its
/// latest runs only, and says so in the rule's summary.
pub const MAX_RUNS: usize = 20_000;

pub struct KustoRun {
    query: Query,
    pushdown: Pushdown,
    builder: Builder,
    rows: Vec<NewRow>,
    /// (period, frequency) in ticks.
    schedule: Option<(i64, i64)>,
    /// Set when the span needed more runs than [`MAX_RUNS`].
    pub truncated: bool,
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
            truncated: false,
        }
    }

    pub fn offer(&mut self, v: &EventView<'_, '_>) {
        let Some(row) = self.builder.row_of(v.ev, v.mapping) else {
            return;
        };
        if self.pushdown.keeps(&row.table, &row.row) {
            self.rows.push(row);
        }
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
        let mut out = Vec::new();
        let Some((period, every)) = self.schedule else {
            let mut b = Builder::new(Vec::new());
            std::mem::take(&mut self.rows)
                .into_iter()
                .for_each(|r| b.push(r));
            self.emit(rule, &b, now, &mut out);
            return out;
        };
        let start = start.map_or(i64::MIN, to_ticks);
        let last_run = ceil_to(now, every);
        let first_run = ceil_to(start.saturating_add(period - every), every).min(last_run);
        let mut ends = BTreeSet::new();
        for t in self.rows.iter().filter_map(|r| r.time) {
            let mut k = ceil_to(t, every).max(first_run) / every;
            while k * every < t + period && k * every <= last_run && ends.len() <= MAX_RUNS {
                ends.insert(k * every);
                k += 1;
            }
        }
        if ends.len() > MAX_RUNS {
            self.truncated = true;
            while ends.len() > MAX_RUNS {
                ends.pop_first();
            }
        }
        self.rows.sort_by_key(|r| r.time);
        for end in ends {
            let mut b = Builder::new(Vec::new());
            for r in &self.rows {
                let inside = r.time.is_none_or(|t| t > end - period && t <= end);
                if inside {
                    b.push(NewRow {
                        table: r.table.clone(),
                        columns: r.columns.clone(),
                        time: r.time,
                        row: r.row.clone(),
                    });
                }
            }
            self.emit(rule, &b, end, &mut out);
        }
        out
    }

    fn emit(&self, rule: &Rule, b: &Builder, now: i64, out: &mut Vec<Finding>) {
        let table = b.run(&self.query, Some(now));
        if !rule
            .trigger
            .as_ref()
            .map_or(!table.rows.is_empty(), |t| t.fires(table.rows.len()))
        {
            return;
        }
        let json = table.to_json_rows();
        for (row, r) in json.iter().zip(&table.rows) {
            let f = rows::finding(rule, &table.columns, row, r.evidence.clone());
            if !out
                .iter()
                .any(|o: &Finding| o.events == f.events && o.matched == f.matched)
            {
                out.push(f);
            }
        }
    }
}

/// The smallest multiple of `step` at or after `t`.
fn ceil_to(t: i64, step: i64) -> i64 {
    (t.div_euclid(step) + i64::from(t.rem_euclid(step) != 0)) * step
}
