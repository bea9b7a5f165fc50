//! The alert list: one row per alert, only the rows on screen built.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Row, Table};

use super::Theme;
use crate::text::clip;
use crate::tui::app::{App, Column, entity};

fn width(c: Column) -> Constraint {
    match c {
        Column::Severity => Constraint::Length(8),
        Column::Risk => Constraint::Length(4),
        Column::Rule => Constraint::Min(20),
        Column::Upn => Constraint::Length(24),
        Column::Ip => Constraint::Length(15),
        Column::First | Column::Last => Constraint::Length(11),
        Column::Count => Constraint::Length(5),
        Column::Status => Constraint::Length(6),
    }
}

fn chars(c: Column) -> usize {
    match width(c) {
        Constraint::Length(n) => n as usize,
        _ => 60,
    }
}

pub fn short_time(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(|| "-".into(), |t| t.format("%m-%d %H:%M").to_string())
}

pub fn draw(f: &mut Frame<'_>, area: Rect, app: &mut App, theme: &Theme) {
    // Borders take two rows and the header one.
    let height = area.height.saturating_sub(3) as usize;
    app.scroll_to_selection(height);
    let end = (app.offset + height).min(app.order.len());
    let rows: Vec<Row<'_>> = (app.offset..end)
        .map(|pos| {
            let a = &app.alerts[app.order[pos]];
            let cells = Column::ALL.map(|c| {
                let text = match c {
                    Column::Severity => format!("{:?}", a.severity).to_lowercase(),
                    Column::Risk => a.risk_score.to_string(),
                    Column::Rule => a.rule_name.clone(),
                    Column::Upn => entity(a, "account").to_string(),
                    Column::Ip => entity(a, "ip").to_string(),
                    Column::First => short_time(a.first),
                    Column::Last => short_time(a.last),
                    Column::Count => a.count.to_string(),
                    Column::Status => "open".to_string(),
                };
                let cell = Cell::from(clip(&text, chars(c)));
                if c == Column::Severity {
                    cell.style(theme.severity(a.severity))
                } else {
                    cell
                }
            });
            let row = Row::new(cells);
            if pos == app.selected {
                row.style(theme.selected())
            } else {
                row
            }
        })
        .collect();
    let header = Row::new(Column::ALL.map(|c| {
        let mark = match (c == app.sort, app.descending) {
            (true, false) => "▲",
            (true, true) => "▼",
            _ => "",
        };
        Cell::from(format!("{}{mark}", c.title()))
    }))
    .style(theme.header());
    let title = Line::from(vec![
        Span::styled(" Alerts ", theme.header()),
        Span::raw(format!(
            "{} of {} ",
            if app.order.is_empty() {
                0
            } else {
                app.selected + 1
            },
            app.order.len()
        )),
    ]);
    let table = Table::new(rows, Column::ALL.map(width))
        .header(header)
        .block(Block::default().borders(Borders::ALL).title(title));
    f.render_widget(table, area);
}
