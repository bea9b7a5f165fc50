//! The console's state, and how engine updates and the analyst's actions
//! change it. Nothing here draws: a frame is a function of this state.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use super::checklist::Checklist;
use super::columns::{AlertCols, Texts};
use super::events::Events;
pub use super::evidence::{Drill, Item, ReadJob};
pub use super::filter::{Filters, ListRow};
use super::keymap::Keymap;
use super::keys::Action;
use super::rules_pane::RulesPane;
use super::timeline::Timeline;
pub use super::triage::Prompt;
use crate::case::Store;
use crate::engine::{Alert, Progress, RuleSummary, Summary, Update};
use crate::ingest::{Limits, SourceInfo};
use crate::model::SourceKind;
use crate::rules::Rule;
use crate::rules::rule::Located as RuleError;
use fuzzy_matcher::skim::SkimMatcherV2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Alerts,
    Drill,
    Timeline,
    Checklist,
    Rules,
}

impl Pane {
    /// In tab order; number keys count from 1.
    pub const ALL: [Pane; 5] = [
        Pane::Alerts,
        Pane::Drill,
        Pane::Timeline,
        Pane::Checklist,
        Pane::Rules,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Pane::Alerts => "Alerts",
            Pane::Drill => "Evidence",
            Pane::Timeline => "Timeline",
            Pane::Checklist => "Checklist",
            Pane::Rules => "Rules",
        }
    }
}

/// The alerts pane's columns, in order; the sort key is one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Severity,
    Risk,
    Rule,
    Upn,
    Ip,
    First,
    Last,
    Count,
    Status,
}

impl Column {
    pub const ALL: [Column; 9] = [
        Column::Severity,
        Column::Risk,
        Column::Rule,
        Column::Upn,
        Column::Ip,
        Column::First,
        Column::Last,
        Column::Count,
        Column::Status,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Column::Severity => "Severity",
            Column::Risk => "Risk",
            Column::Rule => "Rule",
            Column::Upn => "UPN",
            Column::Ip => "IP",
            Column::First => "First",
            Column::Last => "Last",
            Column::Count => "Count",
            Column::Status => "Status",
        }
    }
}

pub struct App {
    pub rules: Vec<Arc<Rule>>,
    pub alerts: Vec<Alert>,
    pub(super) by_id: HashMap<String, usize>,
    /// Alerts withdrawn or forgotten: kept, so indices stay valid, but
    /// never listed.
    pub(super) hidden: HashSet<usize>,
    /// Alerts that arrived since the list was last built.
    pub(super) arrived: Vec<usize>,
    /// Each alert's text for the search, in lower case.
    pub(super) search_texts: Vec<String>,
    /// Each alert's sort, filter and group columns.
    pub(super) cols: Vec<AlertCols>,
    pub(super) texts: Texts,
    /// Events located per kind of log, by `SourceKind as usize`.
    pub kind_counts: [u64; SourceKind::ALL.len()],
    /// Indices of the alerts the filters keep, in display order.
    pub order: Vec<usize>,
    /// The list as shown: `order`, under group headings when grouped.
    pub rows: Vec<ListRow>,
    pub(super) order_stale: bool,
    pub filters: Filters,
    pub(super) matcher: SkimMatcherV2,
    pub sort: Column,
    pub descending: bool,
    /// Position of the selected row in `rows`.
    pub selected: usize,
    /// First row of `rows` on screen.
    pub offset: usize,
    pub pane: Pane,
    pub help: bool,
    pub quit: bool,
    pub drill: Option<Drill>,
    pub timeline: Option<Timeline>,
    /// Text to put on the analyst's clipboard with the next frame.
    pub clipboard: Option<String>,
    /// A one-line message shown in the status line until the next key.
    pub message: Option<String>,
    pub progress: Progress,
    pub rule_summaries: Vec<RuleSummary>,
    pub done: Option<Box<Summary>>,
    /// The rules pane's tuning view of one rule, when open.
    pub tuning: Option<super::tuning::Tuning>,
    /// The exception being drafted, kept when the builder closes.
    pub draft: Option<super::except::Draft>,
    /// Exceptions in force, and where new ones are written (none: kept
    /// for the session only).
    pub exceptions: Vec<crate::exceptions::Exception>,
    pub exceptions_dir: Option<std::path::PathBuf>,
    /// A preview the console's loop is to run.
    pub preview_run: Option<super::except::RunRequest>,
    /// An exception saved to close its alerts, until its rules have run.
    pub closing: Option<super::except::Closing>,
    /// Rules to run again with the exceptions in force.
    pub apply_run: Option<Vec<usize>>,
    /// What the engine was asked to run, for previews and runs again.
    pub plan: Option<crate::engine::Plan>,
    /// Ids of alerts that fire only without the exceptions in force.
    pub excepted: std::collections::HashSet<String>,
    pub started: Instant,
    pub(super) sources: HashMap<u32, Arc<SourceInfo>>,
    /// Every event of the first pass, in input order: sorted by file,
    /// then by ordinal within it.
    pub events: Events,
    /// The strings the events' columns number, from the engine; entry 0
    /// is the empty string.
    pub names: Vec<Box<str>>,
    pub(super) limits: Limits,
    /// Statuses, notes and checklist progress, saved as they change.
    pub case: Store,
    /// Rule files that could not be loaded, for the rules pane.
    pub rule_errors: Vec<RuleError>,
    /// Alerts picked for a bulk action, by id.
    pub picked: HashSet<String>,
    /// A question waiting for the analyst's answer (a close reason, a
    /// note); keys go to it first.
    pub prompt: Option<Prompt>,
    pub checklist: Option<Checklist>,
    pub rules_pane: RulesPane,
    pub keymap: Keymap,
    /// Read events in the background ([`App::read_jobs`], for the
    /// console's loop to run), not on the spot.
    pub background_reads: bool,
    pub read_jobs: Vec<super::jobs::Job>,
    /// Where the last frame put what the mouse can click.
    pub regions: super::mouse::Regions,
    pub(super) read_token: u64,
}

impl App {
    pub fn new(rules: Vec<Arc<Rule>>, limits: Limits, case: Store) -> App {
        App {
            rules,
            alerts: Vec::new(),
            by_id: HashMap::new(),
            hidden: HashSet::new(),
            arrived: Vec::new(),
            search_texts: Vec::new(),
            cols: Vec::new(),
            texts: Texts::default(),
            kind_counts: [0; SourceKind::ALL.len()],
            order: Vec::new(),
            rows: Vec::new(),
            filters: Filters::default(),
            matcher: SkimMatcherV2::default(),
            order_stale: false,
            sort: Column::First,
            descending: false,
            selected: 0,
            offset: 0,
            pane: Pane::Alerts,
            help: false,
            quit: false,
            drill: None,
            timeline: None,
            clipboard: None,
            message: None,
            progress: Progress::default(),
            rule_summaries: Vec::new(),
            done: None,
            started: Instant::now(),
            sources: HashMap::new(),
            events: Events::default(),
            names: vec!["".into()],
            limits,
            case,
            rule_errors: Vec::new(),
            picked: HashSet::new(),
            prompt: None,
            checklist: None,
            rules_pane: RulesPane::default(),
            keymap: Keymap::default(),
            background_reads: false,
            read_jobs: Vec::new(),
            excepted: Default::default(),
            draft: None,
            tuning: None,
            exceptions: Vec::new(),
            exceptions_dir: None,
            preview_run: None,
            apply_run: None,
            closing: None,
            plan: None,
            regions: Default::default(),
            read_token: 0,
        }
    }

    pub fn apply(&mut self, u: Update) {
        match u {
            Update::Progress(p) => self.progress = p,
            Update::Alert(a) => match self.by_id.get(&a.id) {
                Some(&i) => {
                    // More hits move an alert only in orders by what
                    // hits change.
                    if matches!(self.sort, Column::Count | Column::Last | Column::First) {
                        self.order_stale = true;
                    }
                    self.search_texts[i] = super::filter::search_text(&a);
                    self.cols[i] = AlertCols::of(&a, &mut self.texts);
                    self.events.mark(i, &a);
                    self.alerts[i] = a;
                }
                None => {
                    self.by_id.insert(a.id.clone(), self.alerts.len());
                    self.arrived.push(self.alerts.len());
                    self.search_texts.push(super::filter::search_text(&a));
                    self.cols.push(AlertCols::of(&a, &mut self.texts));
                    self.events.mark(self.alerts.len(), &a);
                    self.alerts.push(a);
                }
            },
            Update::Suppressed(a) => {
                // Listed, marked as kept from firing by an exception, so
                // the decisions on it stay in view.
                self.excepted.insert(a.id.clone());
                self.apply(Update::Alert(a));
            }
            Update::Withdrawn(id) => {
                if let Some(i) = self.by_id.remove(&id) {
                    // Indices into `alerts` stay valid: the alert leaves
                    // the display order only.
                    self.hidden.insert(i);
                    self.order_stale = true;
                }
            }
            Update::Rule(s) => match self.rule_summaries.iter_mut().find(|r| r.index == s.index) {
                Some(r) => *r = s,
                None => self.rule_summaries.push(s),
            },
            Update::Source(info) => {
                self.sources.insert(info.id, info);
            }
            Update::Located(batch) => {
                for l in &batch.events {
                    self.kind_counts[l.kind as usize] += 1;
                }
                self.names.extend(batch.names);
                self.events.extend(batch.events);
            }
            Update::Done(s) => self.done = Some(s),
        }
    }

    /// Brings what is derived from the alerts and events up to date
    /// before a frame: the open timeline, and the list if alerts, filters
    /// or decisions changed since it was last built.
    pub fn settle(&mut self) {
        if let Some(t) = &mut self.timeline {
            t.refresh(&self.events, &self.alerts);
        }
        if std::mem::take(&mut self.order_stale) {
            self.relist();
        } else if !self.arrived.is_empty() {
            self.insert_arrived();
        }
    }

    /// The list must be filtered and sorted again before the next frame.
    pub fn order_changed(&mut self) {
        self.order_stale = true;
    }

    /// Takes a rule's alerts off the list, as when it runs again.
    pub fn forget_rule_alerts(&mut self, rule_id: &str) {
        for (i, a) in self.alerts.iter().enumerate() {
            if a.rule_id == rule_id && self.by_id.remove(&a.id).is_some() {
                self.hidden.insert(i);
            }
        }
        self.order_stale = true;
    }

    pub(super) fn clamp(&mut self) {
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
    }

    pub fn selected_alert(&self) -> Option<&Alert> {
        match self.rows.get(self.selected) {
            Some(&ListRow::Alert(i)) => Some(&self.alerts[i]),
            _ => None,
        }
    }

    /// Alerts found and not withdrawn, whatever the filters.
    pub fn alert_total(&self) -> usize {
        self.by_id.len()
    }

    pub fn rule_of(&self, a: &Alert) -> Option<&Arc<Rule>> {
        self.rules.iter().find(|r| r.rule_id == a.rule_id)
    }

    /// Keeps the selected row within a window of `height` rows.
    pub fn scroll_to_selection(&mut self, height: usize) {
        let height = height.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        self.offset = self.offset.min(self.rows.len().saturating_sub(height));
    }

    pub fn act(&mut self, action: Action) {
        self.message = None;
        if self.help {
            // Any key closes help; it is an overlay, not a place to work.
            self.help = false;
            if action != Action::Quit {
                return;
            }
        }
        match (self.pane, action) {
            (_, Action::Quit) => self.quit = true,
            (_, Action::Help) => self.help = true,
            (_, Action::Report) => self.write_report(),
            (_, Action::Palette) => {
                self.prompt = Some(Prompt::Palette {
                    text: String::new(),
                    at: 0,
                })
            }
            (_, Action::Go(p)) => self.pane = p,
            (_, Action::NextPane) => self.cycle_pane(1),
            (_, Action::PrevPane) => self.cycle_pane(-1),
            (Pane::Alerts, a) => self.act_alerts(a),
            (Pane::Drill, a) => self.act_drill(a),
            (Pane::Timeline, a) => self.act_timeline(a),
            (Pane::Checklist, a) => self.act_checklist(a),
            (Pane::Rules, a) if self.tuning.is_some() => self.act_tuning(a),
            (Pane::Rules, a) => self.act_rules(a),
        }
        self.settle();
    }

    fn cycle_pane(&mut self, d: isize) {
        let n = Pane::ALL.len() as isize;
        let at = Pane::ALL.iter().position(|p| *p == self.pane).unwrap_or(0) as isize;
        self.pane = Pane::ALL[(at + d).rem_euclid(n) as usize];
    }

    fn act_alerts(&mut self, action: Action) {
        match action {
            Action::Down => self.move_by(1),
            Action::Up => self.move_by(-1),
            Action::PageDown => self.move_by(20),
            Action::PageUp => self.move_by(-20),
            Action::Top => self.selected = 0,
            Action::Bottom => self.selected = self.rows.len().saturating_sub(1),
            Action::SortNext => self.sort_by(1),
            Action::SortPrev => self.sort_by(-1),
            Action::Except => self.except_from_alert(),
            Action::Reverse => {
                self.descending = !self.descending;
                self.order_stale = true;
            }
            Action::Open => match self.rows.get(self.selected) {
                Some(&ListRow::Alert(i)) => self.open_alert(i),
                Some(ListRow::Group { key, .. }) => {
                    let key = key.clone();
                    if !self.filters.folded.remove(&key) {
                        self.filters.folded.insert(key);
                    }
                    self.order_stale = true;
                }
                None => {}
            },
            Action::Group => {
                self.filters.grouping = self.filters.grouping.next();
                self.order_stale = true;
            }
            Action::Search => {
                self.prompt = Some(Prompt::Search {
                    text: self.filters.search.clone(),
                })
            }
            Action::Filter => self.prompt = Some(Prompt::Filter),
            Action::Timeline => self.alert_timeline(),
            Action::Checklist => {
                if let Some(&ListRow::Alert(i)) = self.rows.get(self.selected) {
                    self.open_checklist(i);
                }
            }
            Action::Pick => self.pick_selected(),
            Action::PickAll => self.pick_all(),
            Action::Unpick => self.picked.clear(),
            Action::Acknowledge => self.set_status(crate::case::Status::Acknowledged, None),
            Action::Reopen => self.set_status(crate::case::Status::Open, None),
            Action::Close => self.ask_close(),
            Action::Note => self.ask_alert_note(),
            _ => {}
        }
    }

    pub(super) fn move_by(&mut self, d: isize) {
        let last = self.rows.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(d).min(last);
    }

    fn sort_by(&mut self, d: isize) {
        let i = Column::ALL
            .iter()
            .position(|c| *c == self.sort)
            .unwrap_or(0);
        let n = Column::ALL.len() as isize;
        self.sort = Column::ALL[(i as isize + d).rem_euclid(n) as usize];
        self.order_stale = true;
    }
}

/// The first entity of a kind, for a column; empty when there is none.
pub fn first_entity<'a>(a: &'a Alert, kind: &'a str) -> &'a str {
    a.entities_of(kind).next().unwrap_or("")
}
