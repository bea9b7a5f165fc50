//! The drill-down's state: the events being looked at (an alert's
//! evidence, or one event opened from a timeline), each read again from
//! its file and shown as a foldable tree with a cursor on one line.

use super::app::{App, Pane};
use super::jobs::{Finished, Job};
use super::keys::Action;
use super::tree::{self, Tree};
use std::sync::Arc;

use crate::engine::Matched;
use crate::ingest::{Limits, RecordLoc, SourceInfo};

/// One event of a drill-down, and where it is for the title.
#[derive(Debug, Clone)]
pub struct Item {
    pub source: u32,
    pub index: u64,
    pub file: String,
    pub line: u64,
}

pub struct Drill {
    /// The alert whose evidence this is (index into `App::alerts`); an
    /// event opened from a timeline keeps the alert it is evidence of.
    pub alert: Option<usize>,
    pub items: Vec<Item>,
    /// Evidence events the alert has in all; `items` holds the first.
    pub total: u64,
    /// Which item is shown.
    pub at: usize,
    /// The shown event as a tree, or why it could not be read.
    pub doc: Option<Result<Tree, String>>,
    /// The cursor, as a position in the tree's shown lines.
    pub cursor: usize,
    /// First shown line on screen.
    pub scroll: usize,
    /// Where Esc goes back to.
    pub from: Pane,
    /// The items are an alert's evidence, not one event opened alone.
    pub of_alert: bool,
    /// The read under way for the shown event, if any.
    pub reading: Option<u64>,
}

/// One event to read again from its file and lay out as a tree.
pub struct ReadJob {
    pub token: u64,
    pub info: Arc<SourceInfo>,
    pub loc: RecordLoc,
    pub limits: Limits,
    pub matched: Vec<Matched>,
}

impl ReadJob {
    pub fn run(self) -> (u64, Result<Tree, String>) {
        let doc = crate::ingest::reparse(&self.info, &self.loc, &self.limits)
            .map(|v| Tree::new(tree::lines(&v, &self.matched)));
        (self.token, doc)
    }
}

impl Drill {
    pub fn tree(&self) -> Option<&Tree> {
        self.doc.as_ref().and_then(|d| d.as_ref().ok())
    }

    /// The tree line under the cursor.
    pub fn current(&self) -> Option<&tree::TreeLine> {
        let t = self.tree()?;
        t.shown.get(self.cursor).map(|&i| &t.lines[i])
    }

    /// Keeps the cursor within a window of `height` lines.
    pub fn scroll_to_cursor(&mut self, height: usize) {
        let height = height.max(1);
        if self.cursor < self.scroll {
            self.scroll = self.cursor;
        } else if self.cursor >= self.scroll + height {
            self.scroll = self.cursor + 1 - height;
        }
    }
}

impl App {
    /// Opens an alert's evidence.
    pub fn open_alert(&mut self, alert: usize) {
        let a = &self.alerts[alert];
        let items = a
            .evidence
            .iter()
            .map(|e| Item {
                source: e.event.source,
                index: e.event.index,
                file: e.file.clone(),
                line: e.line,
            })
            .collect();
        self.drill = Some(Drill {
            alert: Some(alert),
            items,
            total: a.evidence_total,
            at: 0,
            doc: None,
            cursor: 0,
            scroll: 0,
            from: self.pane,
            of_alert: true,
            reading: None,
        });
        self.load_evidence();
        self.pane = Pane::Drill;
    }

    /// Opens one event (index into `events`), with the alert it is
    /// evidence of, if any.
    pub fn open_event(&mut self, event: usize, alert: Option<usize>) {
        let loc = self.events[event].loc;
        let file = self
            .sources
            .get(&loc.source)
            .map(|s| s.path.clone())
            .unwrap_or_default();
        self.drill = Some(Drill {
            alert,
            items: vec![Item {
                source: loc.source,
                index: loc.index,
                file,
                line: loc.at.line,
            }],
            total: 1,
            at: 0,
            doc: None,
            cursor: 0,
            scroll: 0,
            from: self.pane,
            of_alert: false,
            reading: None,
        });
        self.load_evidence();
        self.pane = Pane::Drill;
    }

    pub(super) fn act_drill(&mut self, action: Action) {
        let Some(drill) = &mut self.drill else { return };
        let shown = drill.tree().map_or(0, |t| t.shown.len());
        let step = |d: &mut Drill, by: isize| {
            d.cursor = d
                .cursor
                .saturating_add_signed(by)
                .min(shown.saturating_sub(1));
        };
        match action {
            Action::Down => step(drill, 1),
            Action::Up => step(drill, -1),
            Action::PageDown => step(drill, 20),
            Action::PageUp => step(drill, -20),
            Action::Top => drill.cursor = 0,
            Action::Bottom => drill.cursor = shown.saturating_sub(1),
            Action::Back => self.pane = drill.from,
            Action::NextEvidence => self.step_evidence(1),
            Action::PrevEvidence => self.step_evidence(-1),
            Action::Fold | Action::Open => {
                let cursor = drill.cursor;
                if let Some(Ok(t)) = &mut drill.doc {
                    if let Some(&line) = t.shown.get(cursor) {
                        t.toggle(line);
                    }
                }
            }
            Action::Copy => self.copy_value(),
            Action::Mark => self.mark_evidence(),
            Action::Except => self.except_from_value(),
            Action::FilterIn | Action::FilterOut => {
                let Some(value) = drill.current().and_then(|l| l.raw.clone()) else {
                    self.message = Some("move to a value to filter on it".into());
                    return;
                };
                let keep = action == Action::FilterIn;
                self.filters
                    .values
                    .push(super::filter::ValueFilter { value, keep });
                self.selected = 0;
                self.order_changed();
                self.pane = Pane::Alerts;
            }
            Action::Checklist => {
                if let Some(a) = drill.alert {
                    self.open_checklist(a);
                }
            }
            Action::Timeline => self.value_timeline(false),
            Action::Window => self.value_timeline(true),
            _ => {}
        }
    }

    /// Marks the shown event as evidence of its alert in the case.
    fn mark_evidence(&mut self) {
        let Some(drill) = &self.drill else { return };
        let (Some(alert), Some(item)) = (drill.alert, drill.items.get(drill.at)) else {
            self.message = Some("only an alert's events can be marked".into());
            return;
        };
        let key = format!("{}:{}", item.file, item.line);
        let id = self.alerts[alert].id.clone();
        let marks = &mut self.case.case.entry(&id).marked;
        let done = if marks.remove(&key) {
            "unmarked"
        } else {
            marks.insert(key);
            "marked as evidence"
        };
        self.save(done.into());
    }

    fn copy_value(&mut self) {
        let Some(line) = self.drill.as_ref().and_then(|d| d.current()) else {
            return;
        };
        match &line.raw {
            Some(v) => {
                self.message = Some(format!(
                    "copied {} ({} bytes)",
                    crate::text::clip(&line.path, 40),
                    v.len()
                ));
                self.clipboard = Some(v.clone());
            }
            None => self.message = Some("only a value can be copied".into()),
        }
    }

    fn step_evidence(&mut self, d: isize) {
        let Some(drill) = &mut self.drill else { return };
        let next = drill
            .at
            .saturating_add_signed(d)
            .min(drill.items.len().saturating_sub(1));
        if next != drill.at {
            drill.at = next;
            drill.scroll = 0;
            drill.cursor = 0;
            self.load_evidence();
        }
    }

    /// Reads the shown event again from its file: at once in tests, off
    /// the UI thread in the console, where a record deep in a large
    /// compressed file takes a while to reach.
    fn load_evidence(&mut self) {
        let Some(drill) = &self.drill else { return };
        let Some(it) = drill.items.get(drill.at) else {
            return;
        };
        let job = self.event_at(it.source, it.index).and_then(|pos| {
            let info = self.sources.get(&it.source)?.clone();
            Some(ReadJob {
                token: 0,
                info,
                loc: self.events[pos].loc,
                limits: self.limits,
                matched: drill
                    .alert
                    .map(|a| self.alerts[a].matched.clone())
                    .unwrap_or_default(),
            })
        });
        let Some(mut job) = job else {
            if let Some(d) = &mut self.drill {
                d.doc = Some(Err("this event is not indexed yet".into()));
            }
            return;
        };
        if !self.background_reads {
            let (_, doc) = job.run();
            if let Some(d) = &mut self.drill {
                d.doc = Some(doc);
            }
            return;
        }
        self.read_token += 1;
        job.token = self.read_token;
        if let Some(d) = &mut self.drill {
            d.doc = None;
            d.reading = Some(job.token);
        }
        self.read_jobs.push(Job::Event(job));
    }

    /// A read finished; shown if what it read is still what is wanted.
    pub fn read_done(&mut self, done: Finished) {
        match done {
            Finished::Event(token, doc) => {
                if let Some(d) = &mut self.drill {
                    if d.reading == Some(token) {
                        d.reading = None;
                        d.doc = Some(doc);
                    }
                }
            }
            Finished::Values(token, values) => self.values_read(token, values),
            Finished::Field(token, found) => self.field_read(token, found),
        }
    }

    /// Where an event (file, ordinal) is among the located events: they
    /// arrive in input order, so a binary search finds it.
    pub fn event_at(&self, source: u32, index: u64) -> Option<usize> {
        self.events
            .binary_search_by(|e| (e.loc.source, e.loc.index).cmp(&(source, index)))
            .ok()
    }
}
