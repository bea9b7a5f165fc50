//! The alert list: one row per alert, only the rows on screen built.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Row, Table};

use super::Theme;
use crate::text::clip;
use crate::tui::app::{App, Column, ListRow, first_entity};
use fuzzy_matcher::FuzzyMatcher;

/// The columns shown at a given width. At 80 columns a cut-down UPN or
/// IP is no use to anyone, so whole columns give way instead, the least
/// needed first.
fn columns(width: u16) -> Vec<Column> {
    let drop: &[Column] = match width {
        0..100 => &[Column::Last, Column::Risk, Column::Status],
        100..120 => &[Column::Last, Column::Risk],
        _ => &[],
    };
    Column::ALL
        .into_iter()
        .filter(|c| !drop.contains(c))
        .collect()
}

/// A severity's name, or its first four letters in a narrow column
/// ("crit", "med" ...).
fn severity_text(s: crate::rules::rule::Severity, narrow: bool) -> &'static str {
    let name = s.name();
    match (narrow, name) {
        (true, "medium") => "med",
        (true, _) => &name[..name.len().min(4)],
        (false, _) => name,
    }
}

fn width(c: Column, narrow: bool) -> Constraint {
    match c {
        Column::Severity if narrow => Constraint::Length(4),
        Column::Severity => Constraint::Length(8),
        Column::Risk => Constraint::Length(4),
        Column::Rule => Constraint::Min(16),
        Column::Upn if narrow => Constraint::Length(20),
        Column::Upn => Constraint::Length(24),
        Column::Ip => Constraint::Length(15),
        Column::First | Column::Last => Constraint::Length(11),
        Column::Count => Constraint::Length(5),
        Column::Status => Constraint::Length(11),
    }
}

fn chars(c: Column, narrow: bool) -> usize {
    match width(c, narrow) {
        Constraint::Length(n) => n as usize,
        _ => 60,
    }
}

/// Cuts text to a column; an account too long for it loses its domain
/// first, which is the part an analyst needs least to tell users apart.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() > width {
        if let Some((user, _)) = text.split_once('@') {
            if user.chars().count() + 2 <= width {
                return format!("{}@…", clip(user, width));
            }
        }
    }
    clip(text, width)
}

/// Status, close reason and checklist progress in a few letters:
/// `open 2/7`, `closed TP`.
fn status_text(app: &App, a: &crate::engine::Alert) -> String {
    let excepted = app.excepted.contains(&a.id);
    let Some(s) = app.case.case.get(&a.id) else {
        return if excepted { "excepted" } else { "open" }.into();
    };
    if excepted {
        return match s.classification {
            Some(c) => format!("excepted {}", c.short()),
            None => "excepted".into(),
        };
    }
    let mut text = s.status.name().to_string();
    if let Some(c) = s.classification {
        text = format!("{text} {}", c.short());
    } else if s.steps_done() > 0 {
        let total: usize = app
            .rule_of(a)
            .map_or(0, |r| r.guide.sections.iter().map(|s| s.steps.len()).sum());
        text = format!("{text} {}/{total}", s.steps_done());
    }
    text
}

/// A cell's text with the characters the fuzzy search matched marked.
fn highlight(text: &str, search: &str, app: &App, theme: &Theme) -> Line<'static> {
    let Some((_, hits)) = app.matcher.fuzzy_indices(text, search) else {
        return Line::from(text.to_string());
    };
    let spans: Vec<Span<'static>> = text
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if hits.contains(&i) {
                Span::styled(c.to_string(), theme.matched())
            } else {
                Span::raw(c.to_string())
            }
        })
        .collect();
    Line::from(spans)
}

pub fn short_time(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(|| "-".into(), |t| t.format("%m-%d %H:%M").to_string())
}

pub fn draw(f: &mut Frame<'_>, area: Rect, app: &mut App, theme: &Theme) {
    // Borders take two rows and the header one.
    let height = area.height.saturating_sub(3) as usize;
    app.scroll_to_selection(height);
    let end = (app.offset + height).min(app.rows.len());
    app.regions.alerts = Some(crate::tui::mouse::Rows {
        top: area.y + 2,
        height: height as u16,
        first: app.offset,
    });
    let shown = columns(area.width);
    let narrow = area.width < 100;
    let search = app.filters.search.as_str();
    let rows: Vec<Row<'_>> = (app.offset..end)
        .map(|pos| {
            let i = match &app.rows[pos] {
                ListRow::Alert(i) => *i,
                ListRow::Group { key, count, folded } => {
                    // The heading sits in the column it groups by.
                    let mark = if *folded { "▸" } else { "▾" };
                    let home = match app.filters.grouping {
                        crate::tui::filter::Grouping::Account => Column::Upn,
                        _ => Column::Rule,
                    };
                    let cells = shown.iter().map(|&c| {
                        if c == Column::Severity {
                            Cell::from(format!("{mark} ({count})")).style(theme.header())
                        } else if c == home {
                            Cell::from(fit(key, chars(c, narrow))).style(theme.header())
                        } else {
                            Cell::from("")
                        }
                    });
                    let row = Row::new(cells);
                    return if pos == app.selected {
                        row.style(theme.selected())
                    } else {
                        row
                    };
                }
            };
            let a = &app.alerts[i];
            let cells = shown.iter().map(|&c| {
                let text = match c {
                    Column::Severity => severity_text(a.severity, narrow).to_string(),
                    Column::Risk => a.risk_score.to_string(),
                    // A Sentinel rule's alerts may carry a title of their own.
                    Column::Rule => a.title.clone().unwrap_or_else(|| a.rule_name.clone()),
                    Column::Upn => first_entity(a, "account").to_string(),
                    Column::Ip => first_entity(a, "ip").to_string(),
                    Column::First => short_time(a.first),
                    Column::Last => short_time(a.last),
                    Column::Count => a.count.to_string(),
                    Column::Status => status_text(app, a),
                };
                let text = fit(&text, chars(c, narrow));
                let cell =
                    if !search.is_empty() && matches!(c, Column::Rule | Column::Upn | Column::Ip) {
                        Cell::from(highlight(&text, search, app, theme))
                    } else {
                        Cell::from(text)
                    };
                if c == Column::Severity {
                    cell.style(theme.severity(a.severity))
                } else {
                    cell
                }
            });
            let row = Row::new(cells);
            let row = if app.picked.contains(&a.id) {
                row.style(theme.matched())
            } else {
                row
            };
            if pos == app.selected {
                row.style(theme.selected())
            } else {
                row
            }
        })
        .collect();
    let header = Row::new(shown.iter().map(|&c| {
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
            if app.rows.is_empty() {
                0
            } else {
                app.selected + 1
            },
            app.rows.len()
        )),
        Span::styled(
            if app.filters.is_active() {
                format!(
                    " {} of {} listed: {} ",
                    app.order.len(),
                    app.alert_total(),
                    app.filters.describe()
                )
            } else {
                String::new()
            },
            theme.header(),
        ),
        Span::styled(
            if app.picked.is_empty() {
                String::new()
            } else {
                format!(" {} picked ", app.picked.len())
            },
            theme.matched(),
        ),
    ]);
    let table = Table::new(rows, shown.iter().map(|&c| width(c, narrow)))
        .header(header)
        .block(Block::default().borders(Borders::ALL).title(title));
    f.render_widget(table, area);
}
