//! The command palette (`:`): every action of the pane in use, found by
//! a fuzzy search over its name and what it does, run with Enter.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use fuzzy_matcher::FuzzyMatcher;

use super::app::{App, Prompt};
use super::keymap::name_of;
use super::keys::{self, Action};

/// One command as the palette lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub action: Action,
    pub name: String,
    pub help: String,
    pub keys: String,
}

impl App {
    /// The commands of the pane in use whose name or help match `query`,
    /// best first.
    pub fn commands(&self, query: &str) -> Vec<Command> {
        let mut seen: Vec<Action> = Vec::new();
        let mut out: Vec<(i64, Command)> = Vec::new();
        let mut last_help = ("", "");
        for b in keys::bindings() {
            // A binding without a label shares the line before it; its
            // action still gets its own command.
            if !b.label.is_empty() {
                last_help = (b.label, b.help);
            }
            if b.pane.is_some_and(|p| p != self.pane) || seen.contains(&b.action) {
                continue;
            }
            if matches!(b.action, Action::Palette) {
                continue;
            }
            seen.push(b.action);
            let name = name_of(b.action);
            let help = if b.help.is_empty() {
                last_help.1
            } else {
                b.help
            };
            let score = if query.is_empty() {
                Some(0)
            } else {
                self.matcher.fuzzy_match(&format!("{name} {help}"), query)
            };
            if let Some(score) = score {
                out.push((
                    score,
                    Command {
                        action: b.action,
                        name,
                        help: help.to_string(),
                        keys: if b.label.is_empty() {
                            last_help.0
                        } else {
                            b.label
                        }
                        .to_string(),
                    },
                ));
            }
        }
        // Stable: equal scores keep the table's order.
        out.sort_by_key(|(score, _)| std::cmp::Reverse(*score));
        out.into_iter().map(|(_, c)| c).collect()
    }

    pub(super) fn palette_key(&mut self, key: KeyEvent, mut text: String, mut at: usize) {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => return,
            KeyCode::Enter => {
                if let Some(c) = self.commands(&text).get(at) {
                    let action = c.action;
                    self.act(action);
                }
                return;
            }
            KeyCode::Down => at += 1,
            KeyCode::Char('n') if ctrl => at += 1,
            KeyCode::Up => at = at.saturating_sub(1),
            KeyCode::Char('p') if ctrl => at = at.saturating_sub(1),
            KeyCode::Backspace => {
                text.pop();
                at = 0;
            }
            KeyCode::Char(c) if !ctrl && !c.is_control() && text.len() < 100 => {
                text.push(c);
                at = 0;
            }
            _ => {}
        }
        let n = self.commands(&text).len();
        at = at.min(n.saturating_sub(1));
        self.prompt = Some(Prompt::Palette { text, at });
    }
}
