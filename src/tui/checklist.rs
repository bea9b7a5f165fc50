//! The checklist of one alert: its rule's investigation guide as steps
//! grouped by section. Steps are checked and annotated in the case; a
//! step that names fields shows their values in the alert's evidence and
//! offers the pivot to their timeline.

use std::collections::BTreeMap;

use super::app::{App, Pane};
use super::investigate::Hits;
use super::jobs::{EVIDENCE_READ, Job, ValuesJob};
use super::keys::Action;
use super::triage::Prompt;
use crate::case::step_id;
use crate::rules::guide::SectionKind;
use crate::rules::investigate::Investigation;

#[derive(Debug, Clone)]
pub enum Row {
    Section { title: String, kind: SectionKind },
    Step(Step),
}

#[derive(Debug, Clone)]
pub struct Step {
    pub id: String,
    pub text: String,
    pub fields: Vec<String>,
    /// The step's interactive query, or why it cannot be read.
    pub investigate: Option<Result<Investigation, String>>,
    /// The query's hits over the loaded events, or why it cannot run.
    pub hits: Option<Hits>,
}

pub struct Checklist {
    /// Index into the alerts.
    pub alert: usize,
    pub rows: Vec<Row>,
    /// Index into `rows`; always a step when there is one.
    pub selected: usize,
    pub offset: usize,
    /// Values of the fields the steps name, in the alert's evidence.
    pub values: BTreeMap<String, Vec<String>>,
    /// The read of the evidence under way for those values, if any.
    pub reading: Option<u64>,
}

impl Checklist {
    pub fn steps(&self) -> impl Iterator<Item = &Step> {
        self.rows.iter().filter_map(|r| match r {
            Row::Step(s) => Some(s),
            Row::Section { .. } => None,
        })
    }

    pub fn current(&self) -> Option<&Step> {
        match self.rows.get(self.selected) {
            Some(Row::Step(s)) => Some(s),
            _ => None,
        }
    }

    /// Moves to the next (or previous) step, skipping section titles.
    fn step(&mut self, by: isize) {
        let mut at = self.selected;
        let mut left = by.unsigned_abs();
        while left > 0 {
            let next = if by > 0 {
                (at + 1..self.rows.len()).find(|&i| matches!(self.rows[i], Row::Step(_)))
            } else {
                (0..at)
                    .rev()
                    .find(|&i| matches!(self.rows[i], Row::Step(_)))
            };
            match next {
                Some(n) => at = n,
                None => break,
            }
            left -= 1;
        }
        self.selected = at;
    }

    pub fn scroll_to_selection(&mut self, height: usize) {
        let height = height.max(1);
        // Keep the section title above the first step in view.
        let top = self.selected.saturating_sub(1);
        if top < self.offset {
            self.offset = top;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
    }
}

impl App {
    /// Opens the checklist of an alert (index into the alerts).
    pub fn open_checklist(&mut self, alert: usize) {
        let a = &self.alerts[alert];
        let mut rows = Vec::new();
        if let Some(rule) = self.rule_of(a) {
            for sec in &rule.guide.sections {
                if sec.steps.is_empty() {
                    continue;
                }
                rows.push(Row::Section {
                    title: sec.title.clone(),
                    kind: sec.kind,
                });
                for st in &sec.steps {
                    rows.push(Row::Step(Step {
                        id: step_id(&sec.title, &st.text),
                        text: st.text.clone(),
                        fields: st.fields.clone(),
                        investigate: st.investigate.clone(),
                        hits: None,
                    }));
                }
            }
        }
        let selected = rows
            .iter()
            .position(|r| matches!(r, Row::Step(_)))
            .unwrap_or(0);
        self.checklist = Some(Checklist {
            alert,
            rows,
            selected,
            offset: 0,
            values: BTreeMap::new(),
            reading: None,
        });
        self.pane = Pane::Checklist;
        self.read_field_values();
    }

    /// Reads the alert's first evidence events for the values of the
    /// fields its steps name: at once in tests, off the UI thread in the
    /// console. The step queries wait for them, as their placeholders do.
    fn read_field_values(&mut self) {
        let Some(list) = &self.checklist else { return };
        let mut fields: Vec<String> = list
            .steps()
            .flat_map(|s| &s.fields)
            .filter(|f| !f.ends_with('*'))
            .cloned()
            .collect();
        fields.sort();
        fields.dedup();
        let events = self.alerts[list.alert]
            .evidence
            .iter()
            .take(EVIDENCE_READ)
            .filter_map(|ev| {
                let pos = self.event_at(ev.event.source, ev.event.index)?;
                let info = self.sources.get(&ev.event.source)?.clone();
                Some((info, self.events[pos].loc, self.events[pos].kind))
            })
            .collect();
        let mut job = ValuesJob {
            token: 0,
            events,
            fields,
            limits: self.limits,
        };
        if !self.background_reads || job.fields.is_empty() {
            let values = job.run();
            self.values_done(values);
            return;
        }
        self.read_token += 1;
        job.token = self.read_token;
        if let Some(list) = &mut self.checklist {
            list.reading = Some(job.token);
        }
        self.read_jobs.push(Job::Values(job));
    }

    /// The field values arrived: shown, and each step's query run with
    /// them, once.
    pub(super) fn values_read(&mut self, token: u64, values: BTreeMap<String, Vec<String>>) {
        if self.checklist.as_ref().and_then(|l| l.reading) == Some(token) {
            self.values_done(values);
        }
    }

    fn values_done(&mut self, values: BTreeMap<String, Vec<String>>) {
        let Some(mut list) = self.checklist.take() else {
            return;
        };
        list.reading = None;
        list.values = values;
        for row in &mut list.rows {
            if let Row::Step(step) = row {
                step.hits = match &step.investigate {
                    Some(Ok(inv)) => Some(self.investigate(inv, &list.values, list.alert)),
                    Some(Err(why)) => Some(Err(why.clone())),
                    None => None,
                };
            }
        }
        self.checklist = Some(list);
    }

    pub(super) fn act_checklist(&mut self, action: Action) {
        let Some(list) = &mut self.checklist else {
            return;
        };
        match action {
            Action::Down => list.step(1),
            Action::Up => list.step(-1),
            Action::PageDown => list.step(10),
            Action::PageUp => list.step(-10),
            Action::Top => list.step(-(list.rows.len() as isize)),
            Action::Bottom => list.step(list.rows.len() as isize),
            Action::Back => self.pane = Pane::Alerts,
            Action::Check => self.check_step(),
            Action::Note => {
                let Some(step) = list.current().map(|s| s.id.clone()) else {
                    return;
                };
                let id = self.alerts[list.alert].id.clone();
                let text = self
                    .case
                    .case
                    .get(&id)
                    .and_then(|s| s.steps.get(&step))
                    .map(|s| s.note.clone())
                    .unwrap_or_default();
                self.prompt = Some(Prompt::Note {
                    ids: vec![id],
                    step: Some(step),
                    close: None,
                    text,
                });
            }
            Action::Timeline | Action::Open => self.step_timeline(),
            _ => {}
        }
    }

    fn check_step(&mut self) {
        let Some(list) = &self.checklist else { return };
        let Some(step) = list.current().map(|s| s.id.clone()) else {
            return;
        };
        let id = self.alerts[list.alert].id.clone();
        let total = list.steps().count();
        let state = self.case.case.entry(&id);
        let s = state.steps.entry(step).or_default();
        s.done = !s.done;
        let done = state.steps_done();
        self.save(format!("{done} of {total} steps done"));
    }

    /// The hits of the step's query in a timeline; for a step without
    /// one, the timeline of the first value of its fields that is an
    /// account, address or resource.
    fn step_timeline(&mut self) {
        let Some(list) = &self.checklist else { return };
        let Some(step) = list.current() else { return };
        if let Some(hits) = &step.hits {
            match hits {
                Ok(hits) => {
                    let label = match &step.investigate {
                        Some(Ok(inv)) => inv.label.clone(),
                        _ => step.text.clone(),
                    };
                    let t = super::timeline::Timeline::of_events(label, hits.clone(), &self.events);
                    self.timeline = Some(t);
                    self.pane = Pane::Timeline;
                }
                Err(why) => self.message = Some(format!("this query cannot run here: {why}")),
            }
            return;
        }
        let values: Vec<String> = step
            .fields
            .iter()
            .flat_map(|f| list.values.get(f).into_iter().flatten())
            .cloned()
            .collect();
        let focus = self.alerts[list.alert].first.map(|t| t.timestamp_millis());
        for v in values {
            if self.entity_timeline(&v, focus, None) {
                return;
            }
        }
        self.message = Some("this step names no account, address or resource to follow".into());
    }
}
