//! Deciding about alerts: picking several, setting their status, closing
//! them with a reason and a note. Every decision is written to the case
//! at once; a bulk action is one write however many alerts it touches.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::app::{App, ListRow};
use crate::case::{Classification, Status};

/// Longest note accepted from the keyboard, in characters.
const MAX_NOTE: usize = 4000;

/// A question the console is waiting on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prompt {
    /// The fuzzy search being typed; the list follows each key.
    Search { text: String },
    /// The filter menu, open until Esc or Enter.
    Filter,
    /// The command palette: what is typed, and which command is chosen.
    Palette { text: String, at: usize },
    /// Which reason to close these alerts with.
    Classify { ids: Vec<String> },
    /// A line of text: a note for alerts (closing them when `close` is
    /// set), or for one checklist step of one alert.
    Note {
        ids: Vec<String>,
        step: Option<String>,
        close: Option<Classification>,
        text: String,
    },
    /// The exception builder over the draft in `App::draft`.
    Exception,
}

impl Prompt {
    pub fn title(&self) -> String {
        match self {
            Prompt::Search { .. } => "Search alerts (rule, account, address)".into(),
            Prompt::Filter => "Filter alerts".into(),
            Prompt::Palette { .. } => "Commands".into(),
            Prompt::Classify { ids } => format!("Close {} with which reason?", alerts(ids.len())),
            Prompt::Note {
                ids, step: Some(_), ..
            } => format!("Note on this step of {}", alerts(ids.len())),
            Prompt::Note {
                ids,
                close: Some(c),
                ..
            } => format!(
                "Closing {} as {}; note (optional)",
                alerts(ids.len()),
                c.name()
            ),
            Prompt::Note { ids, .. } => format!("Note on {}", alerts(ids.len())),
            Prompt::Exception => "New exception".into(),
        }
    }
}

fn alerts(n: usize) -> String {
    if n == 1 {
        "1 alert".into()
    } else {
        format!("{n} alerts")
    }
}

impl App {
    /// The alerts an action applies to: those picked, or else the one
    /// selected.
    pub fn targets(&self) -> Vec<String> {
        if !self.picked.is_empty() {
            let mut ids: Vec<String> = self.picked.iter().cloned().collect();
            ids.sort();
            return ids;
        }
        self.selected_alert()
            .map(|a| vec![a.id.clone()])
            .unwrap_or_default()
    }

    /// Picks the selected alert, or every alert of the selected group;
    /// picking again unpicks.
    pub(super) fn pick_selected(&mut self) {
        let members = match self.rows.get(self.selected) {
            Some(&ListRow::Alert(i)) => vec![i],
            Some(ListRow::Group { key, .. }) => self.group_members(&key.clone()),
            None => return,
        };
        let ids: Vec<String> = members.iter().map(|&i| self.alerts[i].id.clone()).collect();
        let all_in = ids.iter().all(|id| self.picked.contains(id));
        for id in ids {
            if all_in {
                self.picked.remove(&id);
            } else {
                self.picked.insert(id);
            }
        }
        self.move_by(1);
    }

    /// Picks every alert in the list as shown.
    pub(super) fn pick_all(&mut self) {
        let ids: Vec<String> = self
            .order
            .iter()
            .map(|&i| self.alerts[i].id.clone())
            .collect();
        self.picked.extend(ids);
    }

    pub(super) fn set_status(&mut self, status: Status, close: Option<Classification>) {
        let ids = self.targets();
        self.decide(&ids, status, close, None);
    }

    fn decide(
        &mut self,
        ids: &[String],
        status: Status,
        close: Option<Classification>,
        note: Option<&str>,
    ) {
        if ids.is_empty() {
            return;
        }
        for id in ids {
            let s = self.case.case.entry(id);
            s.status = status;
            s.classification = close.filter(|_| status == Status::Closed);
            if let Some(n) = note.filter(|n| !n.is_empty()) {
                s.note = n.to_string();
            }
        }
        self.picked.clear();
        self.order_changed();
        self.save(format!("{} {}", status.name(), alerts(ids.len())));
    }

    /// Writes the case; says so on the status line, or why it could not.
    pub(super) fn save(&mut self, done: String) {
        self.message = Some(match self.case.save() {
            Ok(()) => match &self.case.read_only {
                Some(why) => format!("{done} (not saved: {why})"),
                None => done,
            },
            Err(e) => format!("NOT SAVED: {e:#}"),
        });
    }

    pub(super) fn ask_close(&mut self) {
        let ids = self.targets();
        if !ids.is_empty() {
            self.prompt = Some(Prompt::Classify { ids });
        }
    }

    pub(super) fn ask_alert_note(&mut self) {
        let ids = self.targets();
        if ids.is_empty() {
            return;
        }
        let text = match ids.as_slice() {
            [one] => self
                .case
                .case
                .get(one)
                .map(|s| s.note.clone())
                .unwrap_or_default(),
            _ => String::new(),
        };
        self.prompt = Some(Prompt::Note {
            ids,
            step: None,
            close: None,
            text,
        });
    }

    /// A key while a prompt is open: it answers the prompt, nothing else.
    pub fn prompt_key(&mut self, key: KeyEvent) {
        if key.kind == KeyEventKind::Release {
            return;
        }
        let Some(prompt) = self.prompt.take() else {
            return;
        };
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match prompt {
            Prompt::Palette { text, at } => self.palette_key(key, text, at),
            Prompt::Exception => self.draft_key(key),
            Prompt::Search { mut text } => {
                match key.code {
                    KeyCode::Esc => text.clear(),
                    KeyCode::Enter => {}
                    KeyCode::Backspace => {
                        text.pop();
                        self.prompt = Some(Prompt::Search { text: text.clone() });
                    }
                    // Kept in lower case: the search ignores case.
                    KeyCode::Char(c) if !ctrl && !c.is_control() && text.len() < 200 => {
                        text.extend(c.to_lowercase());
                        self.prompt = Some(Prompt::Search { text: text.clone() });
                    }
                    _ => self.prompt = Some(Prompt::Search { text: text.clone() }),
                }
                if text != self.filters.search {
                    // A longer search keeps a subset of what the shorter
                    // one kept, already in order: no need to sort again.
                    let narrower = text.starts_with(self.filters.search.as_str());
                    self.filters.search = text;
                    self.selected = 0;
                    if narrower {
                        self.narrow();
                    } else {
                        self.order_changed();
                    }
                }
            }
            Prompt::Filter => {
                let rule = self.selected_alert().map(|a| a.rule_id.clone());
                let f = &mut self.filters;
                match key.code {
                    KeyCode::Esc | KeyCode::Enter | KeyCode::Char('f') => return,
                    KeyCode::Char('s') => f.cycle_severity(),
                    KeyCode::Char('t') => f.cycle_status(),
                    KeyCode::Char('l') => f.cycle_source(),
                    KeyCode::Char('r') => {
                        f.rule = match f.rule {
                            Some(_) => None,
                            None => rule,
                        }
                    }
                    KeyCode::Char('c') => f.clear(),
                    _ => {}
                }
                self.order_changed();
                self.prompt = Some(Prompt::Filter);
            }
            Prompt::Classify { ids } => match key.code {
                KeyCode::Char(c @ '1'..='5') => {
                    let class = Classification::ALL[c as usize - '1' as usize];
                    self.prompt = Some(Prompt::Note {
                        ids,
                        step: None,
                        close: Some(class),
                        text: String::new(),
                    });
                }
                KeyCode::Esc => {}
                _ => self.prompt = Some(Prompt::Classify { ids }),
            },
            Prompt::Note {
                ids,
                step,
                close,
                mut text,
            } => match key.code {
                KeyCode::Esc => self.message = Some("cancelled".into()),
                KeyCode::Enter => self.answer_note(ids, step, close, &text),
                KeyCode::Backspace => {
                    text.pop();
                    self.prompt = Some(Prompt::Note {
                        ids,
                        step,
                        close,
                        text,
                    });
                }
                KeyCode::Char('u') if ctrl => {
                    self.prompt = Some(Prompt::Note {
                        ids,
                        step,
                        close,
                        text: String::new(),
                    });
                }
                KeyCode::Char(c) if !ctrl => {
                    if text.chars().count() < MAX_NOTE && !c.is_control() {
                        text.push(c);
                    }
                    self.prompt = Some(Prompt::Note {
                        ids,
                        step,
                        close,
                        text,
                    });
                }
                _ => {
                    self.prompt = Some(Prompt::Note {
                        ids,
                        step,
                        close,
                        text,
                    })
                }
            },
        }
    }

    fn answer_note(
        &mut self,
        ids: Vec<String>,
        step: Option<String>,
        close: Option<Classification>,
        text: &str,
    ) {
        match (step, close) {
            (Some(step), _) => {
                for id in &ids {
                    self.case
                        .case
                        .entry(id)
                        .steps
                        .entry(step.clone())
                        .or_default()
                        .note = text.to_string();
                }
                self.save("note saved".into());
            }
            (None, Some(class)) => self.decide(&ids, Status::Closed, Some(class), Some(text)),
            (None, None) => {
                for id in &ids {
                    self.case.case.entry(id).note = text.to_string();
                }
                self.save(format!("note saved on {}", alerts(ids.len())));
            }
        }
    }
}
