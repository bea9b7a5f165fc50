//! The evidence of one alert: the rule that fired and why, then each
//! evidence event as it stands in its file, with the fields and values
//! that made the rule match highlighted.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::Theme;
use crate::text::sanitize;
use crate::tui::app::App;
use crate::tui::tree::TreeLine;

/// Tree lines as drawn: values the rule matched on are marked.
fn styled(lines: &[TreeLine], theme: &Theme) -> Vec<Line<'static>> {
    lines
        .iter()
        .map(|l| {
            let style = if l.hit {
                theme.matched()
            } else {
                Style::default()
            };
            Line::from(vec![
                Span::raw(l.prefix.clone()),
                Span::styled(l.value.clone(), style),
            ])
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
    let alert = &app.alerts[drill.alert];
    let rule = app.rule_of(alert);
    let [head, body] = Layout::vertical([Constraint::Length(9), Constraint::Min(3)]).areas(area);

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
        lines.push(Line::from(sanitize(&rule.description).into_owned()));
        for fp in rule.false_positives.iter().take(2) {
            lines.push(Line::styled(
                format!("False positives: {}", sanitize(fp)),
                theme.dim(),
            ));
        }
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
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .block(Block::default().borders(Borders::ALL).title(" Rule ")),
        head,
    );

    let n = alert.evidence.len();
    let height = body.height.saturating_sub(2) as usize;
    // The scroll position is clamped so the end of the event stays at the
    // bottom; kept, so scrolling back up starts from what is seen.
    let mut scroll = drill.scroll;
    let (title, visible) = match alert.evidence.get(drill.evidence) {
        None => (" Evidence: none ".to_string(), Vec::new()),
        Some(ev) => {
            let title = format!(
                " Evidence {} of {} ({} in all): {}:{}  n/p next/previous ",
                drill.evidence + 1,
                n,
                alert.evidence_total,
                sanitize(&ev.file),
                ev.line
            );
            let lines = match &drill.doc {
                Some(Ok(tree)) => {
                    // Only the lines on screen are styled.
                    scroll = scroll.min(tree.len().saturating_sub(height));
                    let end = (scroll + height).min(tree.len());
                    styled(&tree[scroll..end], theme)
                }
                Some(Err(e)) => vec![Line::from(format!("Cannot show it: {}", sanitize(e)))],
                None => vec![Line::from("…")],
            };
            (title, lines)
        }
    };
    if let Some(d) = &mut app.drill {
        d.scroll = scroll;
    }
    f.render_widget(
        Paragraph::new(visible).block(Block::default().borders(Borders::ALL).title(title)),
        body,
    );
}
