//! One entity's events across every source, in time order: the state of
//! the timeline pane and how it is built from the compact per-event
//! columns, never from the events themselves.

use std::collections::HashMap;

use super::events::Events;
use crate::engine::alert::FnvBuild;
use crate::engine::{Alert, Located, Sym};
use crate::model::SourceKind;

/// Which column a timeline follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Upn,
    Ip,
    Resource,
}

impl Subject {
    pub fn name(self) -> &'static str {
        match self {
            Subject::Upn => "UPN",
            Subject::Ip => "IP",
            Subject::Resource => "resource",
        }
    }
}

/// One line of the timeline: an event, or the several records of one
/// sign-in shown once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    /// Index into the console's events.
    pub event: usize,
    pub count: u32,
    /// An alert that has this event as evidence (index into the alerts).
    pub alert: Option<usize>,
}

pub struct Timeline {
    pub subject: Subject,
    pub sym: Sym,
    /// Every event of the entity, as indices into the console's events,
    /// ordered by time (events without one last).
    all: Vec<usize>,
    /// How many of the entity's events have been taken in.
    scanned: usize,
    /// Alerts there were at the last rebuild: more may mark more lines.
    marked_alerts: usize,
    /// The lines shown, after filters.
    pub lines: Vec<Line>,
    /// See [`Timeline::counted`]; kept with the lines, not worked out
    /// per frame.
    counted: Vec<i64>,
    /// The filters and event count `counted` was worked out for.
    counted_for: Option<(Option<SourceKind>, Option<Sym>, usize)>,
    pub selected: usize,
    pub offset: usize,
    pub source: Option<SourceKind>,
    pub operation: Option<Sym>,
    /// The time range shown, in epoch milliseconds, both ends included;
    /// `None` for the whole span.
    pub range: Option<(i64, i64)>,
    /// Put the selected line mid-screen at the next frame, so a jump to a
    /// time shows what came before it and what followed.
    pub center: bool,
    /// What the timeline shows when it is not one entity's: a query's
    /// hits.
    pub title: Option<String>,
}

/// Zooming never narrows the range below this.
const MIN_RANGE_MS: i64 = 60_000;

impl Timeline {
    pub fn new(subject: Subject, sym: Sym) -> Timeline {
        Timeline {
            subject,
            sym,
            all: Vec::new(),
            scanned: 0,
            marked_alerts: 0,
            lines: Vec::new(),
            counted: Vec::new(),
            counted_for: None,
            selected: 0,
            offset: 0,
            source: None,
            operation: None,
            range: None,
            center: false,
            title: None,
        }
    }

    /// A timeline of given events (positions among the console's), as
    /// a query's hits.
    pub fn of_events(title: String, mut hits: Vec<usize>, events: &Events) -> Timeline {
        let mut t = Timeline::new(Subject::Upn, Sym::NONE);
        hits.sort_by_key(|&i| {
            let l = &events[i];
            let time = if l.time_ms == i64::MIN {
                i64::MAX
            } else {
                l.time_ms
            };
            (time, l.loc.source, l.loc.index)
        });
        t.all = hits;
        t.title = Some(title);
        t.rebuild(events);
        t
    }

    /// Takes in events and alerts that arrived since the last call and
    /// rebuilds the lines if anything changed, keeping the selected event.
    pub fn refresh(&mut self, events: &Events, alerts: &[Alert]) {
        // A query's hits are fixed; an entity's grow as events arrive.
        let mine = match self.title {
            Some(_) => &[][..],
            None => events.of(self.subject, self.sym),
        };
        let grew = self.scanned < mine.len();
        self.all.extend(
            mine[self.scanned.min(mine.len())..]
                .iter()
                .map(|&i| i as usize),
        );
        self.scanned = self.scanned.max(mine.len());
        let marked = self.marked_alerts < alerts.len();
        self.marked_alerts = alerts.len();
        if grew {
            let key = |&i: &usize| {
                let l = &events[i];
                let t = if l.time_ms == i64::MIN {
                    i64::MAX
                } else {
                    l.time_ms
                };
                (t, l.loc.source, l.loc.index)
            };
            self.all.sort_by_key(key);
        }
        if grew || marked || self.lines.is_empty() {
            self.rebuild(events);
        }
    }

    /// Applies the filters again, keeping the selected event selected.
    pub fn rebuild(&mut self, events: &Events) {
        let keep = self.lines.get(self.selected).map(|l| l.event);
        self.lines.clear();
        // The histogram's counts depend on the kind and operation filters
        // only, not on the range: zooming keeps them.
        let counts_for = (self.source, self.operation, self.all.len());
        let recount = self.counted_for != Some(counts_for);
        if recount {
            self.counted.clear();
            for &i in &self.all {
                let l = &events[i];
                let kept = self.source.is_none_or(|s| s == l.kind)
                    && self.operation.is_none_or(|o| o == l.operation);
                if kept && l.time_ms != i64::MIN {
                    self.counted.push(l.time_ms);
                }
            }
            self.counted_for = Some(counts_for);
        }
        // `all` is in time order (timeless events last), so a range is
        // one stretch of it.
        let span = match self.range {
            Some((a, b)) => {
                let from = self.all.partition_point(|&i| events[i].time_ms < a);
                let to = self.all.partition_point(|&i| {
                    let t = events[i].time_ms;
                    t != i64::MIN && t <= b
                });
                from..to.max(from)
            }
            None => 0..self.all.len(),
        };
        // Sign-in records sharing a correlation id are one sign-in.
        let mut signins: HashMap<u64, usize, FnvBuild> = HashMap::default();
        for &i in &self.all[span] {
            let l = &events[i];
            if !self.shows(l) {
                continue;
            }
            let alert = events.alert_of(l);
            if l.kind == SourceKind::SignIn && l.correlation != 0 {
                if let Some(&at) = signins.get(&l.correlation) {
                    let line = &mut self.lines[at];
                    line.count += 1;
                    line.alert = line.alert.or(alert);
                    continue;
                }
                signins.insert(l.correlation, self.lines.len());
            }
            self.lines.push(Line {
                event: i,
                count: 1,
                alert,
            });
        }
        self.selected = keep
            .and_then(|k| self.lines.iter().position(|l| l.event == k))
            .unwrap_or(self.selected)
            .min(self.lines.len().saturating_sub(1));
    }

    fn shows(&self, l: &Located) -> bool {
        self.source.is_none_or(|s| s == l.kind)
            && self.operation.is_none_or(|o| o == l.operation)
            && self
                .range
                .is_none_or(|(a, b)| l.time_ms >= a && l.time_ms <= b)
    }

    /// Times of the entity's events with the source and operation
    /// filters, but whatever the range: what the histogram counts.
    pub fn counted(&self) -> &[i64] {
        &self.counted
    }

    /// The first and last event times of the entity.
    pub fn span(&self, events: &Events) -> Option<(i64, i64)> {
        let mut times = self
            .all
            .iter()
            .map(|&i| events[i].time_ms)
            .filter(|&t| t != i64::MIN);
        let first = times.next()?;
        Some((first, times.next_back().unwrap_or(first)))
    }

    pub fn selected_event(&self) -> Option<usize> {
        self.lines.get(self.selected).map(|l| l.event)
    }

    /// Selects the line of the first event at or after `t`.
    pub fn select_time(&mut self, events: &Events, t: i64) {
        self.selected = self
            .lines
            .iter()
            .position(|l| events[l.event].time_ms >= t)
            .unwrap_or(self.lines.len().saturating_sub(1));
        self.center = true;
    }

    pub fn move_by(&mut self, d: isize) {
        let last = self.lines.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(d).min(last);
    }

    /// Moves to the next (or previous) line with an alert on it.
    pub fn next_alert(&mut self, forward: bool) {
        let found = if forward {
            (self.selected + 1..self.lines.len()).find(|&i| self.lines[i].alert.is_some())
        } else {
            (0..self.selected)
                .rev()
                .find(|&i| self.lines[i].alert.is_some())
        };
        if let Some(i) = found {
            self.selected = i;
        }
    }

    /// Halves (`zoom_in`) or doubles the time range around the selected
    /// event.
    pub fn zoom(&mut self, events: &Events, zoom_in: bool) {
        let Some((first, last)) = self.span(events) else {
            return;
        };
        let (a, b) = self.range.unwrap_or((first, last));
        let centre = self
            .selected_event()
            .map(|i| events[i].time_ms)
            .filter(|&t| t != i64::MIN)
            .unwrap_or(a / 2 + b / 2);
        let half = (b - a) / 2;
        let half = if zoom_in {
            (half / 2).max(MIN_RANGE_MS / 2)
        } else {
            half.saturating_mul(2).max(MIN_RANGE_MS)
        };
        let (a, b) = (centre.saturating_sub(half), centre.saturating_add(half));
        self.range = (a > first || b < last).then_some((a, b));
        self.rebuild(events);
    }

    /// Shows only one kind of source, cycling through those the entity
    /// has, then all of them again.
    pub fn cycle_source(&mut self, events: &Events) {
        let kinds: Vec<SourceKind> = SourceKind::ALL
            .into_iter()
            .filter(|k| self.all.iter().any(|&i| events[i].kind == *k))
            .collect();
        self.source = match self.source {
            None => kinds.first().copied(),
            Some(s) => {
                let at = kinds.iter().position(|k| *k == s);
                at.and_then(|p| kinds.get(p + 1)).copied()
            }
        };
        self.rebuild(events);
    }

    /// Shows only the selected event's operation, or every operation
    /// again.
    pub fn toggle_operation(&mut self, events: &Events) {
        self.operation = match (self.operation, self.selected_event()) {
            (Some(_), _) | (None, None) => None,
            (None, Some(i)) => Some(events[i].operation).filter(|o| !o.is_none()),
        };
        self.rebuild(events);
    }

    /// Keeps the selected line within a window of `height` lines.
    pub fn scroll_to_selection(&mut self, height: usize) {
        let height = height.max(1);
        if std::mem::take(&mut self.center) {
            self.offset = self.selected.saturating_sub(height / 2);
        }
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        // A list that shrank (a filter) fills the screen again.
        self.offset = self.offset.min(self.lines.len().saturating_sub(height));
    }
}

/// Event counts over a span of time, bucket by bucket.
#[derive(Debug, PartialEq, Eq)]
pub struct Histogram {
    /// Epoch milliseconds where the first bucket starts.
    pub start: i64,
    /// Bucket length in milliseconds.
    pub bucket: i64,
    pub counts: Vec<u64>,
}

/// A histogram over `span` with at most `columns` bars, each the
/// shortest of an hour, a few hours or a number of days that fits.
pub fn histogram(times: impl Iterator<Item = i64>, span: (i64, i64), columns: usize) -> Histogram {
    const HOUR: i64 = 3_600_000;
    const DAY: i64 = 24 * HOUR;
    let columns = columns.max(1) as i64;
    let (first, last) = span;
    let bars_of = |bucket: i64| last.div_euclid(bucket) - first.div_euclid(bucket) + 1;
    let bucket = [1, 2, 3, 4, 6, 8, 12]
        .into_iter()
        .map(|h| h * HOUR)
        .find(|&b| bars_of(b) <= columns)
        .unwrap_or_else(|| {
            let days = last.div_euclid(DAY) - first.div_euclid(DAY) + 1;
            DAY * ((days + columns - 1) / columns).max(1)
        });
    // Buckets line up on whole hours and days of UTC.
    let start = first.div_euclid(bucket) * bucket;
    let bars = ((last - start) / bucket + 1) as usize;
    let mut counts = vec![0u64; bars];
    for t in times.filter(|t| (start..=last).contains(t)) {
        counts[((t - start) / bucket) as usize] += 1;
    }
    Histogram {
        start,
        bucket,
        counts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(index: u64, time_ms: i64, correlation: u64) -> Located {
        Located {
            loc: crate::ingest::RecordLoc {
                source: 0,
                at: crate::ingest::Position::default(),
                len: 0,
                index,
                frame: crate::ingest::Frame::Document,
            },
            time_ms,
            kind: SourceKind::SignIn,
            outcome: crate::model::Outcome::Success,
            upn: Sym(1),
            ip: Sym(2),
            resource: Sym::NONE,
            operation: Sym(3),
            app: Sym::NONE,
            correlation,
        }
    }

    #[test]
    fn records_of_one_sign_in_are_one_line_with_their_count_and_time_orders_lines() {
        let mut events = Events::default();
        events.extend([
            event(0, 3_000, 7),
            event(1, 1_000, 7),
            event(2, 2_000, 0),
            event(3, 2_500, 9),
            event(4, i64::MIN, 0),
        ]);
        let mut t = Timeline::new(Subject::Upn, Sym(1));
        t.refresh(&events, &[]);
        let shown: Vec<(usize, u32)> = t.lines.iter().map(|l| (l.event, l.count)).collect();
        // Records without a correlation id stay apart; the timeless one
        // comes last.
        assert_eq!(shown, vec![(1, 2), (2, 1), (3, 1), (4, 1)]);
        let mut other = Timeline::new(Subject::Ip, Sym(1));
        other.refresh(&events, &[]);
        assert!(other.lines.is_empty());
    }

    #[test]
    fn a_histogram_uses_hours_when_they_fit_and_days_when_not() {
        let h = 3_600_000;
        let hist = histogram([0, 10, h, 5 * h].into_iter(), (0, 5 * h), 60);
        assert_eq!(hist.bucket, h);
        assert_eq!(hist.counts, vec![2, 1, 0, 0, 0, 1]);
        // Four days in 80 columns: two hours a bar.
        let hist = histogram([0, 95 * h].into_iter(), (0, 95 * h), 80);
        assert_eq!(hist.bucket, 2 * h);
        assert_eq!(hist.counts.len(), 48);
        // Thirty days in twenty columns: two days a bar.
        let day = 24 * h;
        let hist = histogram([0, 29 * day].into_iter(), (0, 29 * day), 20);
        assert_eq!(hist.bucket, 2 * day);
        assert_eq!(hist.counts.len(), 15);
        assert_eq!(hist.counts[0] + hist.counts[14], 2);
    }
}
