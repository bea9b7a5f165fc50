//! The exception builder: from an alert, or from a value in its evidence,
//! a draft exception the analyst shapes from the keyboard. Before it is
//! saved, the rules it touches run again with it, unseen, and the builder
//! shows which alerts it would close and how many events it would keep
//! from them. Saved, it is written as a file of its own, applied at once
//! (the rules run again with it) and, if asked, closes those alerts.
//! A draft left with Esc is kept: nothing typed is lost.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::App;
pub use super::draft::{Condition, Draft, OpChoice, Preview, Row, ScopeChoice};
use super::draft::{new_draft, text_of};
use super::triage::Prompt;
use crate::case::{Classification, Status};
use crate::engine::Summary;
use crate::exceptions::{Exception, file};

/// Longest value, comment or date typed, in characters.
const MAX_TEXT: usize = 1000;

/// A preview or an applied exception the console's loop is to run: the
/// rules (indices) and the exceptions to run them with.
pub struct RunRequest {
    pub token: u64,
    pub only: Vec<usize>,
    pub exceptions: Vec<Exception>,
}

impl App {
    /// `e`: a draft from the alert selected, or a condition on the value
    /// under the cursor added to the draft for its alert.
    pub(super) fn except_from_alert(&mut self) {
        let Some(&super::app::ListRow::Alert(i)) = self.rows.get(self.selected) else {
            self.message = Some("select an alert to make an exception for".into());
            return;
        };
        if self.draft.as_ref().is_none_or(|d| d.alert != Some(i)) {
            let a = &self.alerts[i];
            let rule = self.rules.iter().position(|r| r.rule_id == a.rule_id);
            // The alert's address is the usual first condition; the
            // evidence offers every other field.
            let conditions = a
                .entities_of("ip")
                .next()
                .map(|ip| Condition {
                    field: "source.ip".into(),
                    op: OpChoice::Is,
                    value: ip.to_string(),
                })
                .into_iter()
                .collect();
            self.draft = Some(new_draft(Some(i), rule, conditions));
        }
        self.open_draft();
    }

    pub(super) fn except_from_value(&mut self) {
        let Some(drill) = &self.drill else { return };
        let Some(line) = drill.current() else { return };
        let (Some(value), path) = (line.raw.clone(), line.path.clone()) else {
            self.message = Some("move to a value to make an exception on it".into());
            return;
        };
        let alert = drill.alert;
        let cond = Condition {
            field: path,
            op: OpChoice::Is,
            value,
        };
        match &mut self.draft {
            Some(d) if d.alert == alert => {
                if !d.conditions.iter().any(|c| c.field == cond.field) {
                    d.conditions.push(cond);
                    d.preview = Preview::Stale;
                }
                d.row = d.conditions.len() - 1;
            }
            _ => {
                let rule = alert.and_then(|a| {
                    let id = &self.alerts[a].rule_id;
                    self.rules.iter().position(|r| &r.rule_id == id)
                });
                self.draft = Some(new_draft(alert, rule, vec![cond]));
            }
        }
        self.open_draft();
    }

    /// The rules with alerts on the same account as the draft's alert
    /// (else the same address).
    fn kin_of(&self, alert: usize) -> Option<(String, Vec<usize>)> {
        let a = &self.alerts[alert];
        let (kind, value) = ["account", "ip"]
            .into_iter()
            .find_map(|k| a.entities_of(k).next().map(|v| (k, v.to_string())))?;
        let mut rules: Vec<usize> = self
            .by_id
            .values()
            .map(|&i| &self.alerts[i])
            .filter(|b| b.entities_of(kind).any(|v| v == value))
            .filter_map(|b| self.rules.iter().position(|r| r.rule_id == b.rule_id))
            .collect();
        rules.sort_unstable();
        rules.dedup();
        Some((value, rules))
    }

    pub(super) fn open_draft(&mut self) {
        if let Some(d) = &self.draft {
            if d.kin.is_none() {
                let kin = d.alert.and_then(|a| self.kin_of(a));
                if let Some(d) = &mut self.draft {
                    d.kin = kin;
                }
            }
        }
        self.prompt = Some(Prompt::Exception);
        self.request_preview();
    }

    /// Asks for the draft to be run, when it changed; at once in tests.
    pub(super) fn request_preview(&mut self) {
        let Some(d) = &self.draft else { return };
        if d.preview != Preview::Stale {
            return;
        }
        let exception = match d.build(&self.rules) {
            Ok(e) => e,
            Err(why) => {
                if let Some(d) = &mut self.draft {
                    d.preview = Preview::Invalid(why);
                }
                return;
            }
        };
        let only = self.rules_of(&exception);
        // The exceptions in force go with it, so what it adds is its own.
        let mut exceptions = self.exceptions.clone();
        exceptions.push(exception);
        self.read_token += 1;
        let token = self.read_token;
        if let Some(d) = &mut self.draft {
            d.preview = Preview::Running(token);
        }
        self.preview_run = Some(RunRequest {
            token,
            only,
            exceptions,
        });
        if !self.background_reads {
            if let (Some(req), Some(plan)) = (self.preview_run.take(), self.plan.clone()) {
                let plan = plan.again(req.only, req.exceptions);
                let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
                let s = crate::engine::run(&plan, &cancel, &mut |_| {});
                self.preview_done(req.token, &s);
            }
        }
    }

    fn rules_of(&self, e: &Exception) -> Vec<usize> {
        (0..self.rules.len())
            .filter(|&i| e.applies_to(&self.rules[i]))
            .collect()
    }

    /// The preview run ended; shown if the draft is still the one run.
    pub fn preview_done(&mut self, token: u64, s: &Summary) {
        let Some(d) = &mut self.draft else { return };
        if d.preview != Preview::Running(token) {
            return;
        }
        let Some(report) = s.exceptions.last() else {
            d.preview = Preview::Invalid("the run gave no report".into());
            return;
        };
        let aggregated = report
            .rules
            .iter()
            .filter(|(r, _)| s.rules[*r].aggregates)
            .map(|(_, n)| n)
            .sum();
        d.preview = Preview::Ready {
            alerts: s
                .suppressed
                .iter()
                .filter(|a| !self.excepted.contains(&a.id))
                .map(|a| {
                    (
                        a.id.clone(),
                        a.rule_name.clone(),
                        a.entities_of("account").next().unwrap_or("-").to_string(),
                    )
                })
                .collect(),
            events: report.rules.iter().map(|(_, n)| n).sum(),
            rules: report.rules.len(),
            aggregated,
        };
    }

    /// A key while the builder is open.
    pub(super) fn draft_key(&mut self, key: KeyEvent) {
        let Some(mut d) = self.draft.take() else {
            return;
        };
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let rows = d.rows().len();
        let row = d.current();
        let mut changed = false;
        let mut keep_open = true;
        match key.code {
            KeyCode::Esc => {
                keep_open = false;
                self.message = Some("draft kept: e opens it again".into());
            }
            KeyCode::Char('d') if ctrl => {
                self.message = Some("draft discarded".into());
                self.prompt = None;
                return;
            }
            KeyCode::Enter => {
                self.draft = Some(d);
                self.save_draft();
                return;
            }
            KeyCode::Down | KeyCode::Tab => d.row = (d.row + 1) % rows,
            KeyCode::Up | KeyCode::BackTab => d.row = (d.row + rows - 1) % rows,
            KeyCode::Left | KeyCode::Right => {
                let by = if key.code == KeyCode::Left { -1 } else { 1 };
                changed = true;
                match row {
                    Row::Condition(i) => d.conditions[i].op = d.conditions[i].op.cycle(by),
                    Row::Scope => d.cycle_scope(by),
                    Row::Close => d.close = !d.close,
                    Row::Expires | Row::Comment => changed = false,
                }
            }
            KeyCode::Delete => {
                if let Row::Condition(i) = row {
                    d.conditions.remove(i);
                    d.row = d.row.min(d.rows().len() - 1);
                    changed = true;
                }
            }
            KeyCode::Backspace => {
                if let Some(t) = text_of(&mut d, row) {
                    changed = t.pop().is_some();
                }
            }
            KeyCode::Char('u') if ctrl => {
                if let Some(t) = text_of(&mut d, row) {
                    t.clear();
                    changed = true;
                }
            }
            KeyCode::Char(' ') if matches!(row, Row::Scope | Row::Close) => {
                match row {
                    Row::Scope => d.cycle_scope(1),
                    _ => d.close = !d.close,
                }
                changed = true;
            }
            KeyCode::Char(c) if !ctrl && !c.is_control() => {
                if let Some(t) = text_of(&mut d, row) {
                    if t.chars().count() < MAX_TEXT {
                        t.push(c);
                        // A comment or a date changes no result.
                        changed = matches!(row, Row::Condition(_));
                    }
                }
            }
            _ => {}
        }
        if changed {
            d.preview = Preview::Stale;
        }
        self.draft = Some(d);
        if keep_open {
            self.prompt = Some(Prompt::Exception);
            self.request_preview();
        }
    }

    /// Saves the draft: a file in the exceptions folder, applied at once;
    /// the alerts it takes away are closed if the draft says so.
    fn save_draft(&mut self) {
        let Some(d) = self.draft.take() else { return };
        let exception = match d.build(&self.rules) {
            Ok(e) => e,
            Err(why) => {
                self.message = Some(why);
                self.draft = Some(d);
                self.prompt = Some(Prompt::Exception);
                return;
            }
        };
        let written = match (&self.exceptions_dir, &self.case.read_only) {
            (Some(dir), None) => match file::save(dir, &exception) {
                Ok(p) => format!("saved to {}", p.display()),
                Err(e) => {
                    // Nothing typed is lost: the draft stays.
                    self.message = Some(format!("NOT SAVED: {}: {e}", dir.display()));
                    self.draft = Some(d);
                    self.prompt = Some(Prompt::Exception);
                    return;
                }
            },
            (None, _) => "for this session only: no exceptions folder".into(),
            (_, Some(why)) => format!("for this session only ({why})"),
        };
        let only = self.rules_of(&exception);
        self.exceptions.push(exception.clone());
        // The alerts to close are those its rules' run with it newly keeps
        // from firing, known when that run ends: not the preview's, which
        // may not have finished (or may be of an older draft).
        self.closing = exception.close_alerts.then(|| Closing {
            before: self.excepted.clone(),
            rules: only.clone(),
            note: format!("exception: {}", exception.name),
        });
        self.save(format!("exception saved, {written}; its rules run again"));
        self.run_with_exceptions(only);
    }

    /// A run of rules again ended: if it applied an exception that closes
    /// its alerts, the alerts it newly keeps from firing are closed.
    pub fn rules_ran_again(&mut self, rules: &[usize]) {
        if self.closing.as_ref().is_none_or(|c| c.rules != rules) {
            return;
        }
        let Some(c) = self.closing.take() else { return };
        let mut newly: Vec<String> = self
            .excepted
            .iter()
            .filter(|id| !c.before.contains(*id))
            .cloned()
            .collect();
        newly.sort();
        for id in &newly {
            let s = self.case.case.entry(id);
            s.status = Status::Closed;
            s.classification = Some(Classification::BenignPositive);
            if s.note.is_empty() {
                s.note = c.note.clone();
            }
        }
        self.order_changed();
        self.save(format!("exception applied: {} alerts closed", newly.len()));
    }
}

/// An exception saved to close its alerts, waiting for its rules' run.
pub struct Closing {
    /// Alerts kept from firing before it.
    before: std::collections::HashSet<String>,
    rules: Vec<usize>,
    note: String,
}

impl App {
    /// Runs rules again with the exceptions in force: by the console's
    /// loop in the background, at once in tests.
    pub(super) fn run_with_exceptions(&mut self, only: Vec<usize>) {
        if self.background_reads {
            self.apply_run = Some(only);
            return;
        }
        let Some(plan) = self.plan.clone() else {
            return;
        };
        for &r in &only {
            self.begin_rerun(r);
        }
        let plan = plan.again(only.clone(), self.exceptions.clone());
        let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut updates = Vec::new();
        crate::engine::run(&plan, &cancel, &mut |u| updates.push(u));
        for u in updates {
            if !matches!(u, crate::engine::Update::Done(_)) {
                self.apply(u);
            }
        }
        for &r in &only {
            self.rerun_done(r);
        }
        self.rules_ran_again(&only);
        self.settle();
    }
}
