//! One entity's events in time order under a histogram of its activity.
//! Only the lines on screen are built; the histogram is one pass over the
//! entity's compact columns.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};

use super::Theme;
use crate::engine::Sym;
use crate::model::Outcome;
use crate::text::{clip, clip_start};
use crate::tui::app::App;
use crate::tui::timeline::{Histogram, histogram};

const BARS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
const HIST_ROWS: usize = 3;

fn time_text(ms: i64, with_seconds: bool) -> String {
    match DateTime::<Utc>::from_timestamp_millis(ms) {
        Some(t) if ms != i64::MIN && with_seconds => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        Some(t) if ms != i64::MIN => t.format("%m-%d %H:%M").to_string(),
        _ => "-".into(),
    }
}

fn bucket_name(ms: i64) -> String {
    const HOUR: i64 = 3_600_000;
    match ms / HOUR {
        1 => "an hour".into(),
        24 => "a day".into(),
        h if h % 24 == 0 => format!("{} days", h / 24),
        h => format!("{h} hours"),
    }
}

/// The histogram's rows, bars of the highlighted range drawn in the
/// matched style.
fn bars(h: &Histogram, width: usize, lit: Option<(i64, i64)>, theme: &Theme) -> Vec<Line<'static>> {
    let max = h.counts.iter().copied().max().unwrap_or(0).max(1);
    let per = (width / h.counts.len().max(1)).max(1);
    let levels = (HIST_ROWS * 8) as u64;
    let mut rows = vec![Vec::new(); HIST_ROWS];
    for (i, &n) in h.counts.iter().enumerate() {
        let level = if n == 0 {
            0
        } else {
            (n * levels).div_ceil(max)
        };
        let from = h.start + i as i64 * h.bucket;
        let to = from + h.bucket - 1;
        let style = match lit {
            Some((a, b)) if from <= b && to >= a => theme.matched(),
            _ => theme.dim(),
        };
        for (r, row) in rows.iter_mut().enumerate() {
            // Row 0 is the top.
            let floor = ((HIST_ROWS - 1 - r) * 8) as u64;
            let part = level.saturating_sub(floor).min(8) as usize;
            row.push(Span::styled(BARS[part].to_string().repeat(per), style));
        }
    }
    rows.into_iter().map(Line::from).collect()
}

pub fn draw(f: &mut Frame<'_>, area: Rect, app: &mut App, theme: &Theme) {
    let Some(t) = &mut app.timeline else {
        f.render_widget(
            Paragraph::new(
                "No timeline yet: press t on an alert for its account's, \
                 or on a value in the evidence.",
            )
            .block(Block::default().borders(Borders::ALL)),
            area,
        );
        return;
    };
    let events = &app.events;
    let names = &app.names;
    let name = |s: Sym| -> &str { names.get(s.0 as usize).map_or("", |n| n) };
    let subject = name(t.sym).to_string();

    let [hist_area, list] =
        Layout::vertical([Constraint::Length(HIST_ROWS as u16 + 3), Constraint::Min(3)])
            .areas(area);
    let height = list.height.saturating_sub(3) as usize;
    t.scroll_to_selection(height);
    let end = (t.offset + height).min(t.lines.len());

    let mut filters = Vec::new();
    if let Some(k) = t.source {
        filters.push(format!("only {}", k.name()));
    }
    if let Some(o) = t.operation {
        filters.push(format!("only {}", clip(name(o), 40)));
    }
    if let Some((a, b)) = t.range {
        filters.push(format!(
            "{} to {}",
            time_text(a, false),
            time_text(b, false)
        ));
    }

    // The histogram covers the whole span; the range on screen (or the
    // zoomed range) is lit.
    let inner = hist_area.width.saturating_sub(2) as usize;
    let mut hist_lines = Vec::new();
    let mut hist_title = " Activity ".to_string();
    if let Some(span) = t.span(events) {
        let h = histogram(t.counted().iter().copied(), span, inner);
        let lit = t.range.or_else(|| {
            let on_screen = &t.lines[t.offset..end];
            let first = on_screen.first().map(|l| events[l.event].time_ms)?;
            let last = on_screen.last().map(|l| events[l.event].time_ms)?;
            Some((first, last))
        });
        hist_lines = bars(&h, inner, lit, theme);
        let from = time_text(span.0, false);
        let to = time_text(span.1, false);
        let gap = inner.saturating_sub(from.len() + to.len());
        hist_lines.push(Line::styled(
            format!("{from}{:gap$}{to}", "", gap = gap),
            theme.dim(),
        ));
        hist_title = format!(" Activity, a bar per {} ", bucket_name(h.bucket));
    }
    f.render_widget(
        Paragraph::new(hist_lines).block(Block::default().borders(Borders::ALL).title(hist_title)),
        hist_area,
    );

    // Below 110 columns the app column gives way and the rest narrow,
    // so a line still reads at 80.
    let wide = list.width >= 110;
    // What the narrow layout leaves the operation: borders, the fixed
    // columns and the gaps between the seven.
    let op_width = if wide {
        46
    } else {
        (list.width as usize)
            .saturating_sub(2 + 14 + 9 + 1 + 15 + 14 + 5)
            .max(8)
    };
    let rows: Vec<Row<'_>> = (t.offset..end)
        .map(|pos| {
            let line = t.lines[pos];
            let l = &events[line.event];
            let alert = line.alert.and_then(|a| app.alerts.get(a));
            let mark = match alert {
                Some(a) => Cell::from(Span::styled(
                    format!("● {}", clip(&a.rule_name, if wide { 40 } else { 12 })),
                    theme.severity(a.severity),
                )),
                None => Cell::from(""),
            };
            let count = if line.count > 1 {
                format!(" ×{}", line.count)
            } else {
                String::new()
            };
            let outcome = match (wide, l.outcome) {
                (true, o) => o.name(),
                (false, Outcome::Success) => "✓",
                (false, Outcome::Failure) => "✗",
                (false, Outcome::Unknown) => "·",
            };
            let operation = name(l.operation);
            let operation = if wide {
                clip(operation, op_width)
            } else {
                clip_start(operation, op_width)
            };
            let time = time_text(l.time_ms, true);
            let time = if wide { time } else { time[5..].to_string() };
            let detail = if l.app.is_none() { l.resource } else { l.app };
            let mut cells = vec![
                Cell::from(time),
                Cell::from(format!("{}{count}", l.kind.name())),
                Cell::from(outcome),
                Cell::from(operation),
                Cell::from(clip(name(l.ip), 15)),
            ];
            if wide {
                cells.push(Cell::from(clip(name(detail), 28)));
            }
            cells.push(mark);
            let row = Row::new(cells);
            if pos == t.selected {
                row.style(theme.selected())
            } else {
                row.style(Style::default())
            }
        })
        .collect();
    let mut titles = vec!["Time", "Log", "Outcome", "Operation", "IP"];
    if wide {
        titles.push("App/resource");
    } else {
        titles[2] = "";
    }
    titles.push("Alert");
    let header = Row::new(titles).style(theme.header());
    let title = Line::from(vec![
        Span::styled(" Timeline ", theme.header()),
        Span::raw(format!(
            "{}  {} of {}{} ",
            match &t.title {
                Some(title) => clip(title, 60),
                None => format!("{} {}", t.subject.name(), clip(&subject, 48)),
            },
            if t.lines.is_empty() {
                0
            } else {
                t.selected + 1
            },
            t.lines.len(),
            if filters.is_empty() {
                String::new()
            } else {
                format!("  ({})", filters.join(", "))
            }
        )),
    ]);
    let widths: Vec<Constraint> = if wide {
        vec![
            Constraint::Length(19),
            Constraint::Length(12),
            Constraint::Length(7),
            Constraint::Length(46),
            Constraint::Length(15),
            Constraint::Length(20),
            Constraint::Min(20),
        ]
    } else {
        vec![
            Constraint::Length(14),
            Constraint::Length(9),
            Constraint::Length(1),
            Constraint::Min(12),
            Constraint::Length(15),
            Constraint::Length(14),
        ]
    };
    f.render_widget(
        Table::new(rows, widths)
            .header(header)
            .block(Block::default().borders(Borders::ALL).title(title)),
        list,
    );
}
