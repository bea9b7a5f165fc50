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
    PrevPane,
    /// To a pane by its number.
    Go(Pane),
    /// The timeline of the selected alert's account, or of the value
    /// under the cursor.
    Timeline,
    /// Every event of the value under the cursor five minutes either side.
    Window,
    Fold,
    Copy,
    NextAlert,
    PrevAlert,
    ZoomIn,
    ZoomOut,
    Unzoom,
    CycleSource,
    FilterOperation,
    /// The checklist of the selected alert.
    Checklist,
    Pick,
    PickAll,
    Unpick,
    Acknowledge,
    Reopen,
    Close,
    Note,
    /// Check or uncheck a checklist step.
    Check,
    /// Mark the evidence event shown as relevant, or unmark it.
    Mark,
    /// Open the exception builder, or add the value under the cursor to
    /// the draft.
    Except,
    /// Write the case report beside the case file.
    Report,
    /// Turn a rule off or on.
    Toggle,
    Rerun,
    /// Group the alerts by rule, by account, or not.
    Group,
    Search,
    Filter,
    /// Keep only alerts with the value under the cursor, or drop them.
    FilterIn,
    FilterOut,
    /// The command palette.
    Palette,
}

/// A key, with Control held or not. Shift is part of the character.
pub type Key = (KeyCode, bool);

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
const TIMELINE: Option<Pane> = Some(Pane::Timeline);
const CHECKLIST: Option<Pane> = Some(Pane::Checklist);
const RULES: Option<Pane> = Some(Pane::Rules);

/// Moving about a list, the same in every pane that has one.
macro_rules! moves {
    ($pane:expr, $what:expr) => {
        [
            bind(
                $pane,
                &[plain('j'), code(KeyCode::Down)],
                "j/k, Down/Up",
                Action::Down,
                $what,
            ),
            bind($pane, &[plain('k'), code(KeyCode::Up)], "", Action::Up, ""),
            bind(
                $pane,
                &[code(KeyCode::PageDown), ctrl('d')],
                "PgDn/PgUp, Ctrl-D/U",
                Action::PageDown,
                "a page down/up",
            ),
            bind(
                $pane,
                &[code(KeyCode::PageUp), ctrl('u')],
                "",
                Action::PageUp,
                "",
            ),
            bind(
                $pane,
                &[plain('g'), code(KeyCode::Home)],
                "g/G, Home/End",
                Action::Top,
                "to the first/last",
            ),
            bind(
                $pane,
                &[plain('G'), code(KeyCode::End)],
                "",
                Action::Bottom,
                "",
            ),
        ]
    };
}

static ALERT_MOVES: [Binding; 6] = moves!(ALERTS, "move");
static DRILL_MOVES: [Binding; 6] = moves!(DRILL, "move the cursor");
static TIMELINE_MOVES: [Binding; 6] = moves!(TIMELINE, "move");
static CHECKLIST_MOVES: [Binding; 6] = moves!(CHECKLIST, "move between steps");
static RULES_MOVES: [Binding; 6] = moves!(RULES, "move");

const ALERT_KEYS: &[Binding] = &[
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
        &[plain('e')],
        "e",
        Action::Except,
        "exception from the alert (its address), with a preview",
    ),
    bind(
        ALERTS,
        &[code(KeyCode::Enter), plain('l')],
        "Enter, l",
        Action::Open,
        "open the alert's evidence",
    ),
    bind(
        ALERTS,
        &[plain('t')],
        "t",
        Action::Timeline,
        "timeline of the alert's account",
    ),
    bind(
        ALERTS,
        &[plain('i')],
        "i",
        Action::Checklist,
        "investigation checklist of the alert",
    ),
    bind(
        ALERTS,
        &[plain(' ')],
        "Space",
        Action::Pick,
        "pick the alert for a bulk action",
    ),
    bind(
        ALERTS,
        &[plain('v')],
        "v/u",
        Action::PickAll,
        "pick every listed alert / none",
    ),
    bind(ALERTS, &[plain('u')], "", Action::Unpick, ""),
    bind(
        ALERTS,
        &[plain('a')],
        "a",
        Action::Acknowledge,
        "acknowledge (the picked alerts, or this one)",
    ),
    bind(
        ALERTS,
        &[plain('x')],
        "x",
        Action::Close,
        "close with a reason and a note",
    ),
    bind(ALERTS, &[plain('o')], "o", Action::Reopen, "open again"),
    bind(ALERTS, &[plain('n')], "n", Action::Note, "write a note"),
    bind(ALERTS, &[plain('/')], "/", Action::Search, "fuzzy search"),
    bind(
        ALERTS,
        &[plain('f')],
        "f",
        Action::Filter,
        "filter by severity, status, rule, kind of log",
    ),
    bind(
        ALERTS,
        &[plain('b')],
        "b",
        Action::Group,
        "group by rule, by account, or not (Enter folds)",
    ),
];

const DRILL_KEYS: &[Binding] = &[
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
        &[code(KeyCode::Enter), plain(' ')],
        "Enter, Space",
        Action::Fold,
        "fold or unfold an object or array",
    ),
    bind(
        DRILL,
        &[plain('t')],
        "t",
        Action::Timeline,
        "timeline of the value (account, IP, resource)",
    ),
    bind(
        DRILL,
        &[plain('w')],
        "w",
        Action::Window,
        "its events five minutes either side",
    ),
    bind(
        DRILL,
        &[plain('y')],
        "y",
        Action::Copy,
        "copy the value (works over SSH)",
    ),
    bind(
        DRILL,
        &[plain('+')],
        "+/-",
        Action::FilterIn,
        "list only alerts with this value / none with it",
    ),
    bind(DRILL, &[plain('-')], "", Action::FilterOut, ""),
    bind(
        DRILL,
        &[plain('m')],
        "m",
        Action::Mark,
        "mark the event as evidence, or unmark it",
    ),
    bind(
        DRILL,
        &[plain('e')],
        "e",
        Action::Except,
        "exception on this value (again: add it to the draft)",
    ),
    bind(
        DRILL,
        &[plain('i')],
        "i",
        Action::Checklist,
        "investigation checklist of the alert",
    ),
    bind(
        DRILL,
        &[code(KeyCode::Esc), plain('h')],
        "Esc, h",
        Action::Back,
        "back where you came from",
    ),
];

const TIMELINE_KEYS: &[Binding] = &[
    bind(
        TIMELINE,
        &[plain('a')],
        "a/A",
        Action::NextAlert,
        "next/previous event with an alert",
    ),
    bind(TIMELINE, &[plain('A')], "", Action::PrevAlert, ""),
    bind(
        TIMELINE,
        &[plain('+'), plain('z')],
        "+/-, z/Z",
        Action::ZoomIn,
        "zoom the time range in/out",
    ),
    bind(TIMELINE, &[plain('-'), plain('Z')], "", Action::ZoomOut, ""),
    bind(
        TIMELINE,
        &[plain('0')],
        "0",
        Action::Unzoom,
        "the whole time span",
    ),
    bind(
        TIMELINE,
        &[plain('f')],
        "f",
        Action::CycleSource,
        "only one kind of log, in turn",
    ),
    bind(
        TIMELINE,
        &[plain('o')],
        "o",
        Action::FilterOperation,
        "only this operation, or all again",
    ),
    bind(
        TIMELINE,
        &[code(KeyCode::Enter), plain('l')],
        "Enter, l",
        Action::Open,
        "open the event",
    ),
    bind(
        TIMELINE,
        &[code(KeyCode::Esc), plain('h')],
        "Esc, h",
        Action::Back,
        "back to the alerts",
    ),
];

const CHECKLIST_KEYS: &[Binding] = &[
    bind(
        CHECKLIST,
        &[plain(' '), plain('x')],
        "Space, x",
        Action::Check,
        "check the step, or uncheck it",
    ),
    bind(
        CHECKLIST,
        &[plain('n')],
        "n",
        Action::Note,
        "a note on the step",
    ),
    bind(
        CHECKLIST,
        &[plain('t'), code(KeyCode::Enter)],
        "t, Enter",
        Action::Timeline,
        "timeline of the step's account, address or resource",
    ),
    bind(
        CHECKLIST,
        &[code(KeyCode::Esc), plain('h')],
        "Esc, h",
        Action::Back,
        "back to the alerts",
    ),
];

const RULES_KEYS: &[Binding] = &[
    bind(
        RULES,
        &[plain(' ')],
        "Space",
        Action::Toggle,
        "turn the rule off or on",
    ),
    bind(
        RULES,
        &[code(KeyCode::Enter)],
        "Enter",
        Action::Open,
        "tune the rule: alerts with and without exceptions, top values",
    ),
    bind(
        RULES,
        &[plain('e')],
        "e",
        Action::Except,
        "in tuning: exception on the value",
    ),
    bind(
        RULES,
        &[plain('R')],
        "R",
        Action::Rerun,
        "run the rule again over the loaded logs",
    ),
    bind(
        RULES,
        &[code(KeyCode::Esc), plain('h')],
        "Esc, h",
        Action::Back,
        "back to the alerts",
    ),
];

const GLOBAL_KEYS: &[Binding] = &[
    bind(None, &[plain('?')], "?", Action::Help, "this help"),
    bind(
        None,
        &[plain(':')],
        ":",
        Action::Palette,
        "commands, found by name",
    ),
    bind(
        None,
        &[plain('W')],
        "W",
        Action::Report,
        "write the case report (Markdown, beside the case file)",
    ),
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
        "Tab/Shift-Tab",
        Action::NextPane,
        "next/previous pane",
    ),
    bind(None, &[code(KeyCode::BackTab)], "", Action::PrevPane, ""),
    bind(
        None,
        &[plain('1')],
        "1-5",
        Action::Go(Pane::Alerts),
        "a pane by its number",
    ),
    bind(None, &[plain('2')], "", Action::Go(Pane::Drill), ""),
    bind(None, &[plain('3')], "", Action::Go(Pane::Timeline), ""),
    bind(None, &[plain('4')], "", Action::Go(Pane::Checklist), ""),
    bind(None, &[plain('5')], "", Action::Go(Pane::Rules), ""),
];

/// Every binding: pane keys before global ones.
pub fn bindings() -> impl Iterator<Item = &'static Binding> {
    ALERT_MOVES
        .iter()
        .chain(ALERT_KEYS)
        .chain(&DRILL_MOVES)
        .chain(DRILL_KEYS)
        .chain(&TIMELINE_MOVES)
        .chain(TIMELINE_KEYS)
        .chain(&CHECKLIST_MOVES)
        .chain(CHECKLIST_KEYS)
        .chain(&RULES_MOVES)
        .chain(RULES_KEYS)
        .chain(GLOBAL_KEYS)
}

/// What a key does in `pane`.
pub fn action_of(pane: Pane, key: KeyEvent) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let pressed = (key.code, key.modifiers.contains(KeyModifiers::CONTROL));
    bindings()
        .filter(|b| b.pane.is_none_or(|p| p == pane))
        .find(|b| b.keys.contains(&pressed))
        .map(|b| b.action)
}

/// What a key does in exactly `pane` (`None`: the keys of every pane).
pub fn lookup(pane: Option<Pane>, pressed: Key) -> Option<Action> {
    bindings()
        .filter(|b| b.pane == pane)
        .find(|b| b.keys.contains(&pressed))
        .map(|b| b.action)
}

/// The help lines of `pane`: its own keys, then those that work anywhere.
/// A binding without a label is described by the one before it.
pub fn help(pane: Pane) -> impl Iterator<Item = (&'static str, &'static str)> {
    let of = move |global: bool| {
        bindings()
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
        for b in bindings() {
            let panes = match b.pane {
                Some(p) => vec![p],
                None => Pane::ALL.to_vec(),
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
        // n is a note in the list and the next event in the evidence.
        assert_eq!(
            action_of(Pane::Alerts, press(KeyCode::Char('n'), false)),
            Some(Action::Note)
        );
        assert_eq!(
            action_of(Pane::Drill, press(KeyCode::Char('n'), false)),
            Some(Action::NextEvidence)
        );
        assert_eq!(
            action_of(Pane::Rules, press(KeyCode::Char('x'), false)),
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
