//! The evidence of one alert: the rule that fired and why, then each
//! evidence event as it stands in its file, with the fields and values
//! that made the rule match highlighted.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::Theme;
use crate::engine::Alert;
use crate::text::{clip, sanitize};
use crate::tui::app::App;
use crate::tui::tree::Tree;

/// Tree lines as drawn: values the rule matched on are marked, a folded
/// container shows how much it hides, the cursor's line is reversed.
fn styled(tree: &Tree, from: usize, to: usize, cursor: usize, theme: &Theme) -> Vec<Line<'static>> {
    (from..to)
        .map(|pos| {
            let i = tree.shown[pos];
            let l = &tree.lines[i];
            let mut style = if l.hit {
                theme.matched()
            } else {
                Style::default()
            };
            let mut value = l.value.clone();
            if let (Some(end), true) = (l.end, tree.is_folded(i)) {
                let close = &tree.lines[end].value;
                value = format!("{value} … {close}  ({} lines)", end - i - 1);
            }
            let mut prefix = Span::raw(l.prefix.clone());
            if pos == cursor {
                style = style.add_modifier(Modifier::REVERSED);
                prefix = prefix.style(theme.header());
            }
            Line::from(vec![prefix, Span::styled(value, style)])
        })
        .collect()
}

pub fn draw(f: &mut Frame<'_>, area: Rect, app: &mut App, theme: &Theme) {
    let Some(drill) = &app.drill else {
        f.render_widget(
            Paragraph::new("Select an alert and press Enter to see its evidence.")
                .block(Block::default().borders(Borders::ALL)),
            area,
        );
        return;
    };
    let alert = drill.alert.map(|i| &app.alerts[i]);
    let head_rows = if alert.is_some() { 9 } else { 3 };
    let [head, body] =
        Layout::vertical([Constraint::Length(head_rows), Constraint::Min(3)]).areas(area);
    let lines = match alert {
        Some(alert) => rule_lines(app, alert, theme),
        None => vec![Line::from(
            "An event from a timeline; no alert has it as evidence.",
        )],
    };
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .block(Block::default().borders(Borders::ALL).title(" Rule ")),
        head,
    );
    draw_event(f, body, app, theme);
}

fn rule_lines(app: &App, alert: &Alert, theme: &Theme) -> Vec<Line<'static>> {
    let rule = app.rule_of(alert);
    let mut lines = vec![Line::from(vec![
        Span::styled(alert.severity.name(), theme.severity(alert.severity)),
        Span::raw(format!(
            "  risk {}  {} hits  ",
            alert.risk_score, alert.count
        )),
        Span::styled(sanitize(&alert.rule_name).into_owned(), theme.header()),
    ])];
    if let Some(rule) = rule {
        let tactics: Vec<String> = rule
            .threat
            .iter()
            .filter_map(|t| t.tactic.as_ref())
            .map(|t| format!("{} {}", t.id, t.name))
            .collect();
        let techniques: Vec<String> = rule
            .threat
            .iter()
            .flat_map(|t| t.techniques.iter().map(|x| x.technique.id.clone()))
            .collect();
        if !tactics.is_empty() || !techniques.is_empty() {
            lines.push(Line::from(format!(
                "MITRE: {}  {}",
                sanitize(&tactics.join(", ")),
                sanitize(&techniques.join(", "))
            )));
        }
        lines.push(Line::from(
            sanitize(&rule.description.replace('\n', " ")).into_owned(),
        ));
        for fp in rule.false_positives.iter().take(2) {
            lines.push(Line::styled(
                format!("False positives: {}", sanitize(fp)),
                theme.dim(),
            ));
        }
    }
    // A Sentinel rule's own words for this alert, filled from its row.
    if let Some(title) = &alert.title {
        lines.push(Line::styled(sanitize(title).into_owned(), theme.header()));
    }
    if let Some(d) = &alert.description {
        lines.push(Line::from(sanitize(&d.replace('\n', " ")).into_owned()));
    }
    if !alert.custom_details.is_empty() {
        let details: Vec<String> = alert
            .custom_details
            .iter()
            .map(|(k, v)| {
                let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                format!("{} = {}", sanitize(k), sanitize(&v))
            })
            .collect();
        lines.push(Line::from(format!("Details: {}", details.join(", "))));
    }
    let entities: Vec<String> = alert
        .entities
        .iter()
        .map(|e| format!("{} {}", e.kind, sanitize(&e.value)))
        .collect();
    lines.push(Line::from(format!("Entities: {}", entities.join(", "))));
    let matched: Vec<String> = alert
        .matched
        .iter()
        .map(|m| format!("{} = {}", sanitize(&m.field), sanitize(&m.value)))
        .collect();
    lines.push(Line::from(vec![
        Span::raw("Matched: "),
        Span::styled(matched.join(", "), theme.matched()),
    ]));
    lines
}

fn draw_event(f: &mut Frame<'_>, body: Rect, app: &mut App, theme: &Theme) {
    let Some(drill) = &mut app.drill else { return };
    let height = body.height.saturating_sub(2) as usize;
    drill.scroll_to_cursor(height);
    let (title, visible) = match drill.items.get(drill.at) {
        None => (" Evidence: none ".to_string(), Vec::new()),
        Some(ev) => {
            let title = if drill.of_alert {
                format!(
                    " Evidence {} of {} ({} in all): {}:{}  n/p next/previous ",
                    drill.at + 1,
                    drill.items.len(),
                    drill.total,
                    sanitize(&ev.file),
                    ev.line
                )
            } else {
                format!(" Event: {}:{} ", sanitize(&ev.file), ev.line)
            };
            let lines = match &drill.doc {
                Some(Ok(tree)) => {
                    // Only the lines on screen are styled.
                    let end = (drill.scroll + height).min(tree.shown.len());
                    styled(tree, drill.scroll.min(end), end, drill.cursor, theme)
                }
                Some(Err(e)) => vec![Line::from(format!("Cannot show it: {}", sanitize(e)))],
                None => vec![Line::styled(
                    "reading the event from its file…",
                    theme.dim(),
                )],
            };
            (title, lines)
        }
    };
    let path = drill
        .current()
        .map(|l| format!(" {} ", clip(&l.path, 60)))
        .unwrap_or_default();
    f.render_widget(
        Paragraph::new(visible).block(
            Block::default()
                .borders(Borders::ALL)
                .title(title)
                .title_bottom(Line::styled(path, theme.dim())),
        ),
        body,
    );
}
