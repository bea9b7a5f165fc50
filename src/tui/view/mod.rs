//! Drawing a frame from the console's state. Every string that came from
//! a log or a rule goes through [`crate::text`] before it is drawn, and
//! only the rows that fit on screen are built.

mod alerts;
mod checklist;
mod drill;
mod except;
mod rules;
mod timeline;
mod tuning;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Row, Table};

use super::app::{App, Pane, Prompt};
use crate::case::Classification;

/// The smallest terminal the panes are laid out for.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

pub use super::theme::Theme;

pub fn draw(f: &mut Frame<'_>, app: &mut App, theme: &Theme) {
    let area = f.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = format!(
            "Vigil needs a terminal of at least {MIN_WIDTH}x{MIN_HEIGHT}; this one is {}x{}.",
            area.width, area.height
        );
        f.render_widget(
            Paragraph::new(msg).wrap(ratatui::widgets::Wrap { trim: true }),
            area,
        );
        return;
    }
    let [tabs, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    app.regions = Default::default();
    draw_tabs(f, tabs, app, theme);
    match app.pane {
        Pane::Alerts => alerts::draw(f, body, app, theme),
        Pane::Drill => drill::draw(f, body, app, theme),
        Pane::Timeline => timeline::draw(f, body, app, theme),
        Pane::Checklist => checklist::draw(f, body, app, theme),
        Pane::Rules => rules::draw(f, body, app, theme),
    }
    draw_status(f, status, app, theme);
    if app.help {
        draw_help(f, body, app, theme);
    }
    if let Some(p) = &app.prompt {
        draw_prompt(f, body, app, p, theme);
    }
}

/// A question in a box over the pane: the reasons to choose from, or the
/// line being typed.
fn draw_prompt(frame: &mut Frame<'_>, area: Rect, app: &App, p: &Prompt, theme: &Theme) {
    let mut lines: Vec<Line<'static>> = Vec::new();
    let f = &app.filters;
    match p {
        Prompt::Palette { text, at } => {
            lines.push(Line::from(format!(": {}█", crate::text::sanitize(text))));
            let commands = app.commands(text);
            let shown = (area.height as usize).saturating_sub(5).clamp(1, 14);
            let first = at.saturating_sub(shown - 1);
            for (i, c) in commands.iter().enumerate().skip(first).take(shown) {
                let line = Line::from(format!(
                    "  {:<18} {:<44} {}",
                    c.name,
                    crate::text::clip(&c.help, 44),
                    c.keys
                ));
                lines.push(if i == *at {
                    line.style(theme.selected())
                } else {
                    line
                });
            }
            lines.push(Line::styled(
                format!(
                    "  {} commands   Up/Down choose   Enter run   Esc close",
                    commands.len()
                ),
                theme.dim(),
            ));
        }
        Prompt::Search { text } => {
            lines.push(Line::from(format!("/ {}█", crate::text::sanitize(text))));
            lines.push(Line::styled(
                format!(
                    "  {} alerts match   Enter keep   Esc clear",
                    app.order.len()
                ),
                theme.dim(),
            ));
        }
        Prompt::Filter => {
            let status = match f.status {
                crate::tui::filter::StatusFilter::Any => "any".to_string(),
                crate::tui::filter::StatusFilter::Unclosed => "not closed".to_string(),
                crate::tui::filter::StatusFilter::Only(s) => s.name().to_string(),
            };
            let rows = [
                (
                    "s",
                    "severity at least",
                    f.severity.map_or("any", |s| s.name()).to_string(),
                ),
                ("t", "status", status),
                (
                    "r",
                    "only the selected alert's rule",
                    if f.rule.is_some() { "on" } else { "off" }.to_string(),
                ),
                (
                    "l",
                    "kind of log",
                    f.source.map_or("any", |k| k.name()).to_string(),
                ),
                ("c", "clear every filter and the search", String::new()),
            ];
            for (k, what, now) in rows {
                lines.push(Line::from(format!("  {k}  {what:<36}{now}")));
            }
            lines.push(Line::styled(
                format!("  {} alerts listed   Esc/Enter close", app.order.len()),
                theme.dim(),
            ));
        }
        Prompt::Classify { .. } => {
            for (i, c) in Classification::ALL.iter().enumerate() {
                lines.push(Line::from(format!("  {}  {}", i + 1, c.name())));
            }
            lines.push(Line::styled("  Esc  cancel", theme.dim()));
        }
        Prompt::Note { text, .. } => {
            let w = area.width.saturating_sub(8) as usize;
            // The end of a long note stays in view while typing.
            let shown: String = {
                let s = crate::text::sanitize(text);
                let n = s.chars().count();
                s.chars().skip(n.saturating_sub(w)).collect()
            };
            lines.push(Line::from(format!("> {shown}█")));
            lines.push(Line::styled(
                "  Enter save   Esc cancel   Ctrl-U clear",
                theme.dim(),
            ));
        }
        Prompt::Exception => {
            lines = except::lines(app, area.width.saturating_sub(4).min(110) as usize, theme);
        }
    }
    let h = (lines.len() as u16 + 2).min(area.height);
    let widest = if matches!(p, Prompt::Exception) {
        110
    } else {
        92
    };
    let w = area.width.saturating_sub(4).min(widest);
    // The search sits at the bottom so the list it narrows stays in view.
    let y = match p {
        Prompt::Search { .. } | Prompt::Filter => area.y + area.height - h,
        _ => area.y + (area.height - h) / 2,
    };
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y,
        width: w,
        height: h,
    };
    frame.render_widget(Clear, r);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(format!(" {} ", p.title()))
                .title_style(theme.header()),
        ),
        r,
    );
}

fn draw_tabs(f: &mut Frame<'_>, area: Rect, app: &mut App, theme: &Theme) {
    let mut spans = vec![Span::styled(" Vigil ", theme.header())];
    // Short names when the full ones would push the help hint off a
    // narrow terminal.
    let short = area.width < 90;
    for (n, pane) in Pane::ALL.into_iter().enumerate() {
        let title = match (short, pane) {
            (true, Pane::Drill) => "Evid.",
            (true, Pane::Timeline) => "Time",
            (true, Pane::Checklist) => "Check",
            _ => pane.title(),
        };
        let name = format!("{} {title}", n + 1);
        let style = if app.pane == pane {
            theme.selected()
        } else {
            theme.dim()
        };
        spans.push(Span::raw(" "));
        let x = area.x + spans.iter().map(|s| s.width() as u16).sum::<u16>();
        let label = format!(" {name} ");
        app.regions
            .tabs
            .push((x, x + label.chars().count() as u16 - 1, pane));
        spans.push(Span::styled(label, style));
    }
    if app.case.read_only.is_some() {
        spans.push(Span::styled(" read-only", theme.header()));
    }
    // "q quit" gives way first on a narrow terminal; "? help" stays.
    let used: usize = spans.iter().map(|s| s.width()).sum();
    let hint = if used + 16 <= area.width as usize {
        "  ? help  q quit"
    } else {
        "  ? help"
    };
    spans.push(Span::styled(hint, theme.dim()));
    f.render_widget(Line::from(spans), area);
}

fn draw_status(f: &mut Frame<'_>, area: Rect, app: &App, theme: &Theme) {
    let p = &app.progress;
    let secs = app.started.elapsed().as_secs_f64().max(0.001);
    if let Some(m) = &app.message {
        f.render_widget(
            Paragraph::new(format!(" {}", crate::text::sanitize(m))).style(theme.header()),
            area,
        );
        return;
    }
    let text = match &app.done {
        Some(s) => format!(
            " {} events from {} files, {} errors, {} alerts; detection took {:.1} s",
            s.events,
            s.files.len(),
            s.errors,
            app.alert_total(),
            s.elapsed_ms as f64 / 1000.0
        ),
        None => {
            let pct = (p.bytes * 100)
                .checked_div(p.total_bytes)
                .map_or_else(String::new, |pct| format!("{:>3}% ", pct.min(100)));
            format!(
                " loading {pct}{} events, {:.1} MB/s, {} alerts so far",
                p.events,
                p.bytes as f64 / 1e6 / secs,
                app.alert_total()
            )
        }
    };
    f.render_widget(Paragraph::new(text).style(theme.dim()), area);
}

fn draw_help(f: &mut Frame<'_>, area: Rect, app: &App, theme: &Theme) {
    let help = app.keymap.help(app.pane);
    let rows_fit = area.height.saturating_sub(2) as usize;
    // When one column of keys is taller than the pane, two sit side by
    // side, each description cut to fit: every key stays in view.
    let halves = if help.len() <= rows_fit { 1 } else { 2 };
    let per_half = help.len().div_ceil(halves);
    let w = if halves == 1 { 72 } else { 120 }.min(area.width);
    let key_w = help
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(8)
        .min(20);
    let what_w = ((w as usize).saturating_sub(2) / halves).saturating_sub(key_w + 2);
    let rows: Vec<Row<'_>> = (0..per_half)
        .map(|r| {
            let mut cells = Vec::new();
            for h in 0..halves {
                match help.get(h * per_half + r) {
                    Some((k, what)) => {
                        cells.push(crate::text::clip(k, key_w));
                        cells.push(crate::text::clip(what, what_w));
                    }
                    None => cells.extend([String::new(), String::new()]),
                }
            }
            Row::new(cells)
        })
        .collect();
    let h = (rows.len() as u16 + 2).min(area.height);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    let widths: Vec<Constraint> = (0..halves)
        .flat_map(|_| {
            [
                Constraint::Length(key_w as u16),
                Constraint::Length(what_w as u16),
            ]
        })
        .collect();
    f.render_widget(Clear, r);
    f.render_widget(
        Table::new(rows, widths).block(
            Block::default()
                .borders(Borders::ALL)
                .title(" Keys (any key closes; : finds commands by name) ")
                .title_style(theme.header()),
        ),
        r,
    );
}
