//! What each key does, in one table: the console dispatches from it and the
//! help overlay is drawn from it, so the two cannot disagree. Panes work
//! from actions, never from raw keys, so the keymap can change without
//! touching them.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::app::Pane;

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

/// A key, with Control held or not. Shift is part of the character.
type Key = (KeyCode, bool);

const fn plain(c: char) -> Key {
    (KeyCode::Char(c), false)
}

const fn ctrl(c: char) -> Key {
    (KeyCode::Char(c), true)
}

const fn code(c: KeyCode) -> Key {
    (c, false)
}

pub struct Binding {
    /// The pane it works in; `None` for everywhere.
    pub pane: Option<Pane>,
    pub keys: &'static [Key],
    /// The keys as the help shows them.
    pub label: &'static str,
    pub action: Action,
    pub help: &'static str,
}

const fn bind(
    pane: Option<Pane>,
    keys: &'static [Key],
    label: &'static str,
    action: Action,
    help: &'static str,
) -> Binding {
    Binding {
        pane,
        keys,
        label,
        action,
        help,
    }
}

const ALERTS: Option<Pane> = Some(Pane::Alerts);
const DRILL: Option<Pane> = Some(Pane::Drill);

pub const BINDINGS: &[Binding] = &[
    bind(
        ALERTS,
        &[plain('j'), code(KeyCode::Down)],
        "j/k, Down/Up",
        Action::Down,
        "move",
    ),
    bind(ALERTS, &[plain('k'), code(KeyCode::Up)], "", Action::Up, ""),
    bind(
        ALERTS,
        &[code(KeyCode::PageDown), ctrl('d')],
        "PgDn/PgUp, Ctrl-D/U",
        Action::PageDown,
        "page",
    ),
    bind(
        ALERTS,
        &[code(KeyCode::PageUp), ctrl('u')],
        "",
        Action::PageUp,
        "",
    ),
    bind(
        ALERTS,
        &[plain('g'), code(KeyCode::Home)],
        "g/G, Home/End",
        Action::Top,
        "first/last alert",
    ),
    bind(
        ALERTS,
        &[plain('G'), code(KeyCode::End)],
        "",
        Action::Bottom,
        "",
    ),
    bind(
        ALERTS,
        &[plain('s')],
        "s/S",
        Action::SortNext,
        "sort by the next/previous column",
    ),
    bind(ALERTS, &[plain('S')], "", Action::SortPrev, ""),
    bind(
        ALERTS,
        &[plain('r')],
        "r",
        Action::Reverse,
        "reverse the order",
    ),
    bind(
        ALERTS,
        &[code(KeyCode::Enter), plain('l')],
        "Enter, l",
        Action::Open,
        "open the alert's evidence",
    ),
    bind(
        DRILL,
        &[plain('j'), code(KeyCode::Down)],
        "j/k, Down/Up",
        Action::Down,
        "scroll the event",
    ),
    bind(DRILL, &[plain('k'), code(KeyCode::Up)], "", Action::Up, ""),
    bind(
        DRILL,
        &[code(KeyCode::PageDown), ctrl('d')],
        "PgDn/PgUp, Ctrl-D/U",
        Action::PageDown,
        "scroll a page",
    ),
    bind(
        DRILL,
        &[code(KeyCode::PageUp), ctrl('u')],
        "",
        Action::PageUp,
        "",
    ),
    bind(
        DRILL,
        &[plain('n')],
        "n/p",
        Action::NextEvidence,
        "next/previous evidence event",
    ),
    bind(DRILL, &[plain('p')], "", Action::PrevEvidence, ""),
    bind(
        DRILL,
        &[code(KeyCode::Esc), plain('h')],
        "Esc, h",
        Action::Back,
        "back to the alerts",
    ),
    bind(None, &[plain('?')], "?", Action::Help, "this help"),
    bind(
        None,
        &[plain('q'), ctrl('c')],
        "q, Ctrl-C",
        Action::Quit,
        "quit",
    ),
    bind(
        None,
        &[code(KeyCode::Tab)],
        "Tab",
        Action::NextPane,
        "next pane",
    ),
];

/// What a key does in `pane`.
pub fn action_of(pane: Pane, key: KeyEvent) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let pressed = (key.code, key.modifiers.contains(KeyModifiers::CONTROL));
    BINDINGS
        .iter()
        .filter(|b| b.pane.is_none_or(|p| p == pane))
        .find(|b| b.keys.contains(&pressed))
        .map(|b| b.action)
}

/// The help lines of `pane`: its own keys, then those that work anywhere.
/// A binding without a label is described by the one before it.
pub fn help(pane: Pane) -> impl Iterator<Item = (&'static str, &'static str)> {
    let of = move |global: bool| {
        BINDINGS
            .iter()
            .filter(move |b| b.pane == if global { None } else { Some(pane) })
            .filter(|b| !b.label.is_empty())
            .map(|b| (b.label, b.help))
    };
    of(false).chain(of(true))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode, ctrl: bool) -> KeyEvent {
        let mods = if ctrl {
            KeyModifiers::CONTROL
        } else {
            KeyModifiers::NONE
        };
        KeyEvent::new(code, mods)
    }

    #[test]
    fn every_key_in_the_table_does_what_the_table_says_in_its_panes() {
        for b in BINDINGS {
            let panes = match b.pane {
                Some(p) => vec![p],
                None => vec![Pane::Alerts, Pane::Drill],
            };
            for pane in panes {
                for &(code, ctrl) in b.keys {
                    assert_eq!(
                        action_of(pane, press(code, ctrl)),
                        Some(b.action),
                        "{code:?} in {pane:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn keys_of_one_pane_do_nothing_in_another_and_help_shows_the_pane_in_use() {
        assert_eq!(
            action_of(Pane::Drill, press(KeyCode::Char('s'), false)),
            None
        );
        assert_eq!(
            action_of(Pane::Alerts, press(KeyCode::Char('n'), false)),
            None
        );
        assert_eq!(
            action_of(Pane::Alerts, press(KeyCode::Char('d'), false)),
            None
        );
        let help: Vec<_> = help(Pane::Drill).collect();
        assert!(help.contains(&("n/p", "next/previous evidence event")));
        assert!(help.contains(&("q, Ctrl-C", "quit")));
        assert!(
            !help
                .iter()
                .any(|(_, what)| *what == "open the alert's evidence")
        );
    }
}
