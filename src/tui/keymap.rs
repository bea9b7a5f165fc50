//! The analyst's own keys, from `keys.toml` in the config directory, over
//! the built-in table: a section per pane (`global`, `alerts`, `evidence`,
//! `timeline`, `checklist`, `rules`), each line a key and an action name.
//!
//! ```toml
//! [alerts]
//! "ctrl-x" = "close"
//! [global]
//! "Q" = "quit"
//! ```
//!
//! A line that names no key or no action is reported with its line and
//! the rest still applies.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::app::Pane;
use super::keys::{self, Action};

use super::keys::Key;

#[derive(Debug, Clone, Default)]
pub struct Keymap {
    user: Vec<(Option<Pane>, Key, Action)>,
    /// Lines of the file that could not be used, each located.
    pub problems: Vec<String>,
}

/// The name an action has in a keymap file and the command palette:
/// `next-evidence`, `go-timeline`.
pub fn name_of(a: Action) -> String {
    let debug = format!("{a:?}");
    if let Some(inner) = debug.strip_prefix("Go(") {
        return format!("go-{}", inner.trim_end_matches(')').to_lowercase());
    }
    let mut out = String::new();
    for (i, c) in debug.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// Every action that a key can do, once each.
pub fn all_actions() -> Vec<Action> {
    let mut out: Vec<Action> = Vec::new();
    for b in keys::bindings() {
        if !out.contains(&b.action) {
            out.push(b.action);
        }
    }
    out
}

fn pane_of(section: &str) -> Option<Option<Pane>> {
    Some(match section {
        "global" => None,
        "alerts" => Some(Pane::Alerts),
        "evidence" => Some(Pane::Drill),
        "timeline" => Some(Pane::Timeline),
        "checklist" => Some(Pane::Checklist),
        "rules" => Some(Pane::Rules),
        _ => return None,
    })
}

/// Reads `ctrl-x`, `x`, `enter`, `f5` ...
pub fn parse_key(s: &str) -> Option<Key> {
    let (ctrl, rest) = match s.strip_prefix("ctrl-") {
        Some(r) if !r.is_empty() => (true, r),
        _ => (false, s),
    };
    let mut chars = rest.chars();
    let code = match (chars.next(), chars.next()) {
        (Some(c), None) => KeyCode::Char(c),
        _ => match rest.to_ascii_lowercase().as_str() {
            "enter" => KeyCode::Enter,
            "esc" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "space" => KeyCode::Char(' '),
            "backspace" => KeyCode::Backspace,
            "delete" => KeyCode::Delete,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pageup" => KeyCode::PageUp,
            "pagedown" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            f if f.starts_with('f') => {
                KeyCode::F(f[1..].parse().ok().filter(|n| (1..=12).contains(n))?)
            }
            _ => return None,
        },
    };
    Some((code, ctrl))
}

/// A key as the help shows it.
fn label_of((code, ctrl): Key) -> String {
    let base = match code {
        KeyCode::Char(' ') => "Space".to_string(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::F(n) => format!("F{n}"),
        other => format!("{other:?}"),
    };
    if ctrl { format!("Ctrl-{base}") } else { base }
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map_or(0, |i| i + 1)
}

impl Keymap {
    pub fn from_toml(file: &str, text: &str) -> Keymap {
        let mut map = Keymap::default();
        let table: toml::Table = match toml::from_str(text) {
            Ok(t) => t,
            Err(e) => {
                map.problems.push(format!("{file}: {}", e.message()));
                return map;
            }
        };
        let names: Vec<(String, Action)> =
            all_actions().into_iter().map(|a| (name_of(a), a)).collect();
        for (section, entries) in &table {
            let Some(pane) = pane_of(section) else {
                map.problems.push(format!(
                    "{file}:{}: [{section}] is no pane (global, alerts, evidence, timeline, checklist, rules)",
                    line_of(text, &format!("[{section}]"))
                ));
                continue;
            };
            let Some(entries) = entries.as_table() else {
                continue;
            };
            for (key, action) in entries {
                let at = line_of(text, &format!("\"{key}\""));
                let Some(k) = parse_key(key) else {
                    map.problems.push(format!("{file}:{at}: `{key}` is no key"));
                    continue;
                };
                let wanted = action.as_str().unwrap_or("");
                match names.iter().find(|(n, _)| n == wanted) {
                    Some((_, a)) => map.user.push((pane, k, *a)),
                    None => map.problems.push(format!(
                        "{file}:{at}: `{wanted}` is no action (the command palette, `:`, lists them)"
                    )),
                }
            }
        }
        map
    }

    /// What a key does in `pane`: the analyst's binding first.
    pub fn action_of(&self, pane: Pane, key: KeyEvent) -> Option<Action> {
        if key.kind == KeyEventKind::Release {
            return None;
        }
        let pressed = (key.code, key.modifiers.contains(KeyModifiers::CONTROL));
        let mine = |global: bool| {
            self.user
                .iter()
                .find(|(p, k, _)| *k == pressed && *p == if global { None } else { Some(pane) })
                .map(|(_, _, a)| *a)
        };
        mine(false)
            .or_else(|| keys::lookup(Some(pane), pressed))
            .or_else(|| mine(true))
            .or_else(|| keys::lookup(None, pressed))
    }

    /// The help of `pane`: the analyst's keys, then the built-in ones.
    pub fn help(&self, pane: Pane) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .user
            .iter()
            .filter(|(p, _, _)| p.is_none_or(|p| p == pane))
            .map(|(_, k, a)| (label_of(*k), format!("{} (yours)", name_of(*a))))
            .collect();
        out.extend(keys::help(pane).map(|(k, h)| (k.to_string(), h.to_string())));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_kebab_case_and_unique() {
        let names: Vec<String> = all_actions().into_iter().map(name_of).collect();
        assert!(names.contains(&"next-evidence".to_string()));
        assert!(names.contains(&"go-timeline".to_string()));
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len());
    }

    #[test]
    fn a_keymap_file_adds_keys_and_reports_bad_lines_with_their_line() {
        let text = "[alerts]\n\"ctrl-k\" = \"close\"\n\"ctrl-?!\" = \"quit\"\n[global]\n\"F2\" = \"no-such\"\n\"Q\" = \"quit\"\n";
        let map = Keymap::from_toml("keys.toml", text);
        let press = |c, m| KeyEvent::new(c, m);
        assert_eq!(
            map.action_of(
                Pane::Alerts,
                press(KeyCode::Char('k'), KeyModifiers::CONTROL)
            ),
            Some(Action::Close)
        );
        assert_eq!(
            map.action_of(Pane::Rules, press(KeyCode::Char('Q'), KeyModifiers::NONE)),
            Some(Action::Quit)
        );
        // Built-in keys still work.
        assert_eq!(
            map.action_of(Pane::Alerts, press(KeyCode::Char('j'), KeyModifiers::NONE)),
            Some(Action::Down)
        );
        assert_eq!(map.problems.len(), 2, "{:?}", map.problems);
        assert!(
            map.problems[0].starts_with("keys.toml:3:"),
            "{:?}",
            map.problems
        );
        assert!(map.problems[1].contains("`no-such` is no action"));
        assert!(
            map.help(Pane::Alerts)
                .iter()
                .any(|(k, h)| k == "Ctrl-k" && h == "close (yours)")
        );
    }
}
