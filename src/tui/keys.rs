//! What each key does. The console works from actions, never from raw
//! keys, so the keymap can be changed without touching the panes; the
//! help overlay is drawn from the same table.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    Help,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    Back,
    NextPane,
    SortNext,
    SortPrev,
    Reverse,
    NextEvidence,
    PrevEvidence,
}

/// Keys as the help overlay lists them, with what they do, per pane.
pub const GLOBAL_KEYS: &[(&str, &str)] = &[
    ("?", "this help"),
    ("q, Ctrl-C", "quit"),
    ("Tab", "next pane"),
];

pub const ALERT_KEYS: &[(&str, &str)] = &[
    ("j/k, Down/Up", "move"),
    ("PgDn/PgUp, Ctrl-D/U", "page"),
    ("g/G, Home/End", "first/last alert"),
    ("s/S", "sort by the next/previous column"),
    ("r", "reverse the order"),
    ("Enter", "open the alert's evidence"),
];

pub const DRILL_KEYS: &[(&str, &str)] = &[
    ("j/k, Down/Up", "scroll the event"),
    ("n/p", "next/previous evidence event"),
    ("Esc, h", "back to the alerts"),
];

pub fn action_of(key: KeyEvent) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    Some(match key.code {
        KeyCode::Char('c') if ctrl => Action::Quit,
        KeyCode::Char('d') if ctrl => Action::PageDown,
        KeyCode::Char('u') if ctrl => Action::PageUp,
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Char('?') => Action::Help,
        KeyCode::Char('j') | KeyCode::Down => Action::Down,
        KeyCode::Char('k') | KeyCode::Up => Action::Up,
        KeyCode::PageDown => Action::PageDown,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::Char('g') | KeyCode::Home => Action::Top,
        KeyCode::Char('G') | KeyCode::End => Action::Bottom,
        KeyCode::Enter | KeyCode::Char('l') => Action::Open,
        KeyCode::Esc | KeyCode::Char('h') => Action::Back,
        KeyCode::Tab => Action::NextPane,
        KeyCode::Char('s') => Action::SortNext,
        KeyCode::Char('S') => Action::SortPrev,
        KeyCode::Char('r') => Action::Reverse,
        KeyCode::Char('n') => Action::NextEvidence,
        KeyCode::Char('p') => Action::PrevEvidence,
        _ => return None,
    })
}
