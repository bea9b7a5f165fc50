//! The evidence of one alert: the rule that fired and why, then each
//! evidence event as it stands in its file, with the fields and values
//! that made the rule match highlighted.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use serde_json::Value;

use super::Theme;
use crate::engine::Matched;
use crate::text::sanitize;
use crate::tui::app::App;

/// Lines of a JSON document, indented as a tree; a line is marked when
/// its key path or its value is one the rule matched on.
fn tree_lines(v: &Value, matched: &[Matched], theme: &Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    walk(v, "", None, 0, matched, theme, &mut out);
    out
}

fn walk(
    v: &Value,
    path: &str,
    key: Option<&str>,
    depth: usize,
    matched: &[Matched],
    theme: &Theme,
    out: &mut Vec<Line<'static>>,
) {
    let indent = "  ".repeat(depth);
    let label = key
        .map(|k| format!("{}: ", sanitize(k)))
        .unwrap_or_default();
    match v {
        Value::Object(m) => {
            out.push(Line::from(format!("{indent}{label}{{")));
            for (k, x) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                walk(x, &p, Some(k), depth + 1, matched, theme, out);
            }
            out.push(Line::from(format!("{indent}}}")));
        }
        Value::Array(items) => {
            out.push(Line::from(format!("{indent}{label}[")));
            for x in items {
                walk(x, path, None, depth + 1, matched, theme, out);
            }
            out.push(Line::from(format!("{indent}]")));
        }
        scalar => {
            let text = match scalar {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let hit = matched.iter().any(|m| {
                let field_hit = m.field == path || path.ends_with(&format!(".{}", m.field));
                field_hit || (!m.value.is_empty() && m.value == text)
            });
            let shown = match scalar {
                Value::String(_) => format!("\"{}\"", sanitize(&text)),
                _ => sanitize(&text).into_owned(),
            };
            let style = if hit {
                theme.matched()
            } else {
                ratatui::style::Style::default()
            };
            out.push(Line::from(vec![
                Span::raw(format!("{indent}{label}")),
                Span::styled(shown, style),
            ]));
        }
    }
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
        Span::styled(
            format!("{:?}", alert.severity).to_lowercase(),
            theme.severity(alert.severity),
        ),
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
    let (title, doc_lines) = match alert.evidence.get(drill.evidence) {
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
                Some(Ok(v)) => tree_lines(v, &alert.matched, theme),
                Some(Err(e)) => vec![Line::from(format!("Cannot show it: {}", sanitize(e)))],
                None => vec![Line::from("…")],
            };
            (title, lines)
        }
    };
    let height = body.height.saturating_sub(2) as usize;
    let scroll = drill.scroll.min(doc_lines.len().saturating_sub(height));
    if let Some(d) = &mut app.drill {
        d.scroll = scroll;
    }
    let visible: Vec<Line<'_>> = doc_lines.into_iter().skip(scroll).take(height).collect();
    f.render_widget(
        Paragraph::new(visible).block(Block::default().borders(Borders::ALL).title(title)),
        body,
    );
}
