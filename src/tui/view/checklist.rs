//! The checklist of one alert: sections, steps with their checks and
//! notes, and under a step the values its fields take in the evidence.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::Theme;
use crate::text::{clip, sanitize};
use crate::tui::app::App;
use crate::tui::checklist::Row;

/// Breaks text into lines of at most `width` characters at spaces, the
/// lines after the first indented by `indent`.
fn wrap(text: &str, width: usize, indent: usize) -> Vec<String> {
    let width = width.max(indent + 8);
    let mut out = Vec::new();
    let mut line = String::new();
    let mut len = 0;
    for word in text.split(' ') {
        let n = word.chars().count();
        if len > 0 && len + 1 + n > width {
            out.push(std::mem::take(&mut line));
            line.push_str(&" ".repeat(indent));
            len = indent;
        }
        if len > indent || (len > 0 && out.is_empty()) {
            line.push(' ');
            len += 1;
        }
        // A word longer than a line is cut into pieces.
        let mut rest: Vec<char> = word.chars().collect();
        while len + rest.len() > width {
            let take = width - len;
            line.extend(rest.drain(..take));
            out.push(std::mem::take(&mut line));
            line.push_str(&" ".repeat(indent));
            len = indent;
        }
        len += rest.len();
        line.extend(rest);
    }
    out.push(line);
    out
}

pub fn draw(f: &mut Frame<'_>, area: Rect, app: &mut App, theme: &Theme) {
    let Some(list) = &mut app.checklist else {
        f.render_widget(
            Paragraph::new("No checklist yet: press i on an alert.")
                .block(Block::default().borders(Borders::ALL)),
            area,
        );
        return;
    };
    let alert = &app.alerts[list.alert];
    let state = app.case.case.get(&alert.id);
    let total = list.steps().count();
    let done = list
        .steps()
        .filter(|s| {
            state
                .and_then(|a| a.steps.get(&s.id))
                .is_some_and(|x| x.done)
        })
        .count();
    let width = area.width.saturating_sub(4) as usize;
    let height = area.height.saturating_sub(2) as usize;
    // Each row is one line; the selected step also shows its note and
    // its fields' values under it, so scroll on rows with room for those.
    list.scroll_to_selection(height.saturating_sub(3));
    let mut lines: Vec<Line<'static>> = Vec::new();
    if list.rows.is_empty() {
        lines.push(Line::from(
            "This alert's rule has no investigation guide with steps.",
        ));
    }
    for (i, row) in list.rows.iter().enumerate().skip(list.offset) {
        if lines.len() >= height {
            break;
        }
        match row {
            Row::Section { title, .. } => {
                lines.push(Line::styled(clip(title, width), theme.header()));
            }
            Row::Step(step) => {
                let s = state.and_then(|a| a.steps.get(&step.id));
                let mark = if s.is_some_and(|x| x.done) {
                    "[x]"
                } else {
                    "[ ]"
                };
                let note = s.map(|x| x.note.as_str()).filter(|n| !n.is_empty());
                let query = match &step.hits {
                    Some(Ok(h)) => format!("  ▶ {} events (Enter shows them)", h.len()),
                    Some(Err(why)) => format!("  ▶ cannot run here: {why}"),
                    None if list.reading.is_some() && step.investigate.is_some() => {
                        "  ▶ reading the alert's events…".to_string()
                    }
                    None => String::new(),
                };
                let text = format!(
                    "{mark} {}{}{query}",
                    step.text.replace('\n', " "),
                    if note.is_some() { "  ✎" } else { "" }
                );
                if i != list.selected {
                    lines.push(Line::from(clip(&text, width)));
                    continue;
                }
                // The selected step is read in full.
                for part in wrap(&sanitize(&text), width, 4) {
                    lines.push(Line::styled(part, theme.selected()));
                }
                if let Some(n) = note {
                    lines.push(Line::styled(
                        format!("      note: {}", clip(n, width.saturating_sub(12))),
                        theme.dim(),
                    ));
                }
                for field in &step.fields {
                    let values = list.values.get(field).map_or_else(
                        || match list.reading {
                            Some(_) => "reading the alert's events…".to_string(),
                            None => "not in this alert's events".to_string(),
                        },
                        |v| {
                            v.iter()
                                .map(|x| sanitize(x).into_owned())
                                .collect::<Vec<_>>()
                                .join(", ")
                        },
                    );
                    lines.push(Line::from(vec![
                        Span::raw("      "),
                        Span::styled(sanitize(field).into_owned(), theme.matched()),
                        Span::raw(" = "),
                        Span::raw(clip(&values, width.saturating_sub(field.len() + 10))),
                    ]));
                }
            }
        }
    }
    let title = Line::from(vec![
        Span::styled(" Checklist ", theme.header()),
        Span::raw(format!(
            "{}  {done} of {total} steps done ",
            clip(&alert.rule_name, 50)
        )),
    ]);
    f.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(title)),
        area,
    );
}
