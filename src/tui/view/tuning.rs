//! The tuning view of one rule: alerts with and without exceptions, the
//! exceptions that apply to it, and the values its alerts share most.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::Theme;
use crate::text::{clip, clip_start, sanitize};
use crate::tui::app::App;
use crate::tui::tuning::Column;

pub fn draw(f: &mut Frame<'_>, area: Rect, app: &App, theme: &Theme) {
    let Some(t) = &app.tuning else { return };
    let rule = &app.rules[t.rule];
    let width = area.width.saturating_sub(2) as usize;
    let mut lines: Vec<Line<'static>> = Vec::new();
    let without = t.alerts + t.excepted;
    lines.push(Line::from(format!(
        "Alerts: {without} without exceptions, {} with them ({} kept from firing)",
        t.alerts, t.excepted
    )));
    let applying: Vec<&crate::exceptions::Exception> = app
        .exceptions
        .iter()
        .filter(|e| e.applies_to(rule))
        .collect();
    if applying.is_empty() {
        lines.push(Line::styled("No exception applies to it.", theme.dim()));
    }
    for e in applying {
        lines.push(Line::from(clip(
            &format!(
                "Exception {}: {}",
                sanitize(&e.name),
                sanitize(&e.describe())
            ),
            width,
        )));
    }
    lines.push(Line::from(""));
    lines.push(Line::styled(
        "Values its alerts share most (alerts with it); e makes an exception on one".to_string(),
        theme.header(),
    ));
    let mut last_column = None;
    let mut selected_line = 0;
    for (i, v) in t.values.iter().enumerate() {
        if last_column != Some(v.column) {
            lines.push(Line::styled(format!("  {}", v.column.title()), theme.dim()));
            last_column = Some(v.column);
        }
        // A resource id says what it is at its end.
        let value = match v.column {
            Column::Resource => clip_start(&sanitize(&v.value), width.saturating_sub(11)),
            _ => sanitize(&v.value).into_owned(),
        };
        let text = clip(&format!("    {:>5}  {value}", v.alerts), width);
        if i == t.selected {
            selected_line = lines.len();
            lines.push(Line::styled(text, theme.selected()));
        } else {
            lines.push(Line::from(text));
        }
    }
    if t.values.is_empty() {
        lines.push(Line::styled(
            "    (its alerts' events are not indexed yet)".to_string(),
            theme.dim(),
        ));
    }
    if t.reading.is_some() {
        lines.push(Line::styled(
            "  reading the event for the field…".to_string(),
            theme.dim(),
        ));
    }
    // Keep the selected value on screen.
    let height = area.height.saturating_sub(2) as usize;
    let scroll = selected_line.saturating_sub(height.saturating_sub(2));
    let title = Line::from(vec![
        Span::styled(" Tuning ", theme.header()),
        Span::raw(format!("{} ", clip(&sanitize(&rule.name), 60))),
        Span::styled(" Esc back ", theme.dim()),
    ]);
    f.render_widget(
        Paragraph::new(lines)
            .scroll((scroll as u16, 0))
            .block(Block::default().borders(Borders::ALL).title(title)),
        area,
    );
}
