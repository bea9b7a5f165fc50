//! The exception builder's box: the conditions, scope, what happens to
//! the alerts it matches, expiry, comment, and the preview of what it
//! would do, computed before anything is saved.

use ratatui::style::Style;
use ratatui::text::Line;

use super::Theme;
use crate::text::{clip, sanitize};
use crate::tui::app::App;
use crate::tui::except::{Preview, Row, ScopeChoice};

/// Alerts named in the preview at most; the rest are counted.
const NAMED: usize = 5;

pub fn lines(app: &App, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let Some(d) = &app.draft else {
        return out;
    };
    let w = width.saturating_sub(4).max(20);
    let rule = d.rule.map(|r| app.rules[r].name.clone());
    out.push(Line::styled(
        "  Drop events from the rule when all of these hold:".to_string(),
        theme.dim(),
    ));
    let mark = |row: Row| -> (&'static str, Style) {
        if d.current() == row {
            ("▶ ", theme.selected())
        } else {
            ("  ", Style::default())
        }
    };
    for (i, c) in d.conditions.iter().enumerate() {
        let (m, style) = mark(Row::Condition(i));
        let value = if c.op.takes_value() {
            let cursor = if d.current() == Row::Condition(i) {
                "█"
            } else {
                ""
            };
            format!(" {}{cursor}", sanitize(&c.value))
        } else {
            String::new()
        };
        let text = format!("{m}{}  ‹{}›{value}", sanitize(&c.field), c.op.name());
        out.push(Line::styled(clip(&text, w), style));
    }
    if d.conditions.is_empty() {
        out.push(Line::styled(
            "  (none yet: e on a value in the evidence adds one)".to_string(),
            theme.dim(),
        ));
    }
    let scope = match (d.scope, &rule, &d.kin) {
        (ScopeChoice::ThisRule, Some(name), _) => format!("this rule: {}", sanitize(name)),
        (ScopeChoice::Kin, _, Some((value, rules))) => format!(
            "the {} rules with alerts on {}",
            rules.len(),
            sanitize(value)
        ),
        _ => "all rules".to_string(),
    };
    let rows = [
        (Row::Scope, format!("applies to    ‹{scope}›")),
        (
            Row::Close,
            format!(
                "its alerts    ‹{}›",
                if d.close {
                    "close them (benign positive)"
                } else {
                    "leave them; keep new ones from firing"
                }
            ),
        ),
        (
            Row::Expires,
            format!(
                "expires       {}{}",
                if d.expires.is_empty() && d.current() != Row::Expires {
                    "never".to_string()
                } else {
                    sanitize(&d.expires).into_owned()
                },
                if d.current() == Row::Expires {
                    "█"
                } else {
                    ""
                }
            ),
        ),
        (
            Row::Comment,
            format!(
                "why           {}{}",
                sanitize(&d.comment),
                if d.current() == Row::Comment {
                    "█"
                } else {
                    ""
                }
            ),
        ),
    ];
    for (row, text) in rows {
        let (m, style) = mark(row);
        out.push(Line::styled(clip(&format!("{m}{text}"), w), style));
    }
    out.push(Line::from(""));
    match &d.preview {
        Preview::Stale | Preview::Running(_) => {
            out.push(Line::styled(
                "  Preview: running the rules it touches…".to_string(),
                theme.dim(),
            ));
        }
        Preview::Invalid(why) => {
            out.push(Line::styled(
                clip(&format!("  Preview: {}", sanitize(why)), w),
                theme.dim(),
            ));
        }
        Preview::Ready {
            alerts,
            events,
            rules,
            aggregated,
        } => {
            let verb = if d.close { "close" } else { "take away" };
            out.push(Line::styled(
                format!(
                    "  Preview: would {verb} {} alert{}; matches {events} events of {rules} rule{} \
                     ({aggregated} kept from counts and joins)",
                    alerts.len(),
                    if alerts.len() == 1 { "" } else { "s" },
                    if *rules == 1 { "" } else { "s" }
                ),
                theme.matched(),
            ));
            for (id, rule, account) in alerts.iter().take(NAMED) {
                out.push(Line::from(clip(
                    &format!("    {id}  {}  {}", sanitize(rule), sanitize(account)),
                    w,
                )));
            }
            if alerts.len() > NAMED {
                out.push(Line::from(format!("    and {} more", alerts.len() - NAMED)));
            }
        }
    }
    out.push(Line::styled(
        "  ↑↓ row  ←→ choose  type to edit  Del drop condition  Enter save  Esc keep draft  Ctrl-D discard"
            .to_string(),
        theme.dim(),
    ));
    out
}
