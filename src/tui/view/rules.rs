//! Every rule with how its run went, the rule files that did not load and
//! the log records that could not be read, each with where and why.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Wrap};

use super::Theme;
use crate::rules::rule::Status;
use crate::text::{clip, clip_start, sanitize};
use crate::tui::app::App;
use crate::tui::rules_pane::kinds_read;

/// What the pane says of rule `i`, and why at length.
fn status_of(app: &App, i: usize) -> (String, String) {
    let rule = &app.rules[i];
    if app.rules_pane.running.contains(&i) {
        return (
            "running".into(),
            "running again over the loaded logs".into(),
        );
    }
    if app.rules_pane.disabled.contains(&i) {
        return ("off".into(), "turned off: its alerts are not listed".into());
    }
    match &rule.status {
        Status::Unsupported(why) => ("unsupported".into(), why.clone()),
        Status::Error(e) => (
            "error".into(),
            format!("{}:{}:{}: {}", e.file, e.line, e.column, e.message),
        ),
        Status::Ok => {
            let missing = kinds_read(rule).filter(|kinds| {
                app.done.is_some() && kinds.iter().all(|&k| app.kind_counts[k as usize] == 0)
            });
            match missing {
                Some(kinds) => {
                    let names: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
                    (
                        "no data".into(),
                        format!("reads {} logs; none are loaded", names.join(" or ")),
                    )
                }
                None => ("ok".into(), String::new()),
            }
        }
    }
}

pub fn draw(f: &mut Frame<'_>, area: Rect, app: &mut App, theme: &Theme) {
    if app.tuning.is_some() {
        super::tuning::draw(f, area, app, theme);
        return;
    }
    let problems: Vec<String> = app
        .done
        .iter()
        .flat_map(|d| &d.files)
        .flat_map(|r| &r.first_errors)
        .map(|e| sanitize(&e.to_string()).into_owned())
        .collect();
    let problem_rows = if problems.is_empty() {
        0
    } else {
        (problems.len() as u16 + 2).min(8)
    };
    let [list, detail, logs] = Layout::vertical([
        Constraint::Min(5),
        Constraint::Length(5),
        Constraint::Length(problem_rows),
    ])
    .areas(area);

    let height = list.height.saturating_sub(3) as usize;
    let total = app.rules_rows();
    let p = &mut app.rules_pane;
    p.selected = p.selected.min(total.saturating_sub(1));
    if p.selected < p.offset {
        p.offset = p.selected;
    } else if p.selected >= p.offset + height {
        p.offset = p.selected + 1 - height;
    }
    let (offset, selected) = (p.offset, p.selected);
    let end = (offset + height).min(total);
    let rows: Vec<Row<'_>> = (offset..end)
        .map(|i| {
            let row = if i < app.rules.len() {
                let rule = &app.rules[i];
                let summary = app.rule_summaries.iter().find(|s| s.index == i);
                let (status, _) = status_of(app, i);
                let style = match status.as_str() {
                    "ok" | "running" => theme.dim(),
                    "error" => theme.severity(crate::rules::rule::Severity::High),
                    _ => theme.severity(crate::rules::rule::Severity::Medium),
                };
                Row::new([
                    Cell::from(Span::styled(status, style)),
                    Cell::from(clip(&rule.language, 6)),
                    Cell::from(summary.map_or("-".into(), |s| s.alerts.to_string())),
                    Cell::from(
                        summary.map_or("-".into(), |s| format!("{:.1}", s.micros as f64 / 1000.0)),
                    ),
                    Cell::from(clip(&rule.name, 60)),
                    Cell::from(clip_start(&rule.file, 40)),
                ])
            } else {
                let e = &app.rule_errors[i - app.rules.len()];
                Row::new([
                    Cell::from(Span::styled(
                        "not loaded",
                        theme.severity(crate::rules::rule::Severity::High),
                    )),
                    Cell::from(""),
                    Cell::from(""),
                    Cell::from(""),
                    Cell::from(clip(&e.message, 60)),
                    Cell::from(clip_start(
                        &format!("{}:{}:{}", e.file, e.line, e.column),
                        40,
                    )),
                ])
            };
            if i == selected {
                row.style(theme.selected())
            } else {
                row
            }
        })
        .collect();
    let header = Row::new(["Status", "Lang", "Alerts", "ms", "Rule", "File"]).style(theme.header());
    let title = Line::from(vec![
        Span::styled(" Rules ", theme.header()),
        Span::raw(format!(
            "{} loaded, {} not loaded ",
            app.rules.len(),
            match app.rule_errors.len() {
                1 => "1 file".to_string(),
                n => format!("{n} files"),
            }
        )),
    ]);
    f.render_widget(
        Table::new(
            rows,
            [
                Constraint::Length(11),
                Constraint::Length(6),
                Constraint::Length(6),
                Constraint::Length(7),
                Constraint::Min(20),
                Constraint::Length(40),
            ],
        )
        .header(header)
        .block(Block::default().borders(Borders::ALL).title(title)),
        list,
    );

    let why = if selected < app.rules.len() {
        let (_, why) = status_of(app, selected);
        let rule = &app.rules[selected];
        format!(
            "{}  {}{}",
            rule.file,
            if why.is_empty() { "ran" } else { "" },
            why
        )
    } else {
        app.rule_errors
            .get(selected - app.rules.len())
            .map(|e| format!("{e}\n{}", e.excerpt))
            .unwrap_or_default()
    };
    let why: Vec<Line<'static>> = why
        .lines()
        .map(|l| Line::from(sanitize(l).into_owned()))
        .collect();
    f.render_widget(
        Paragraph::new(why)
            .wrap(Wrap { trim: false })
            .block(Block::default().borders(Borders::ALL).title(" Details ")),
        detail,
    );
    if problem_rows > 0 {
        let lines: Vec<Line<'static>> = problems.into_iter().map(Line::from).collect();
        f.render_widget(
            Paragraph::new(lines).block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(" Log records that could not be read "),
            ),
            logs,
        );
    }
}
