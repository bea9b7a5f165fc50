//! Panes drawn into ratatui's test backend: what the analyst would see,
//! cell by cell, from the state the engine's updates build.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Modifier;
use vigil::cli::hunt::{bundled_rules_dir, load_rules};
use vigil::engine::{self, Plan, Update};
use vigil::ingest::Limits;
use vigil::tui::app::{App, Pane};
use vigil::tui::keys::Action;
use vigil::tui::view::{self, Theme};

fn demo_app() -> App {
    app_over("fixtures/demo")
}

fn app_over(logs: &str) -> App {
    app_with(&bundled_rules_dir(), logs)
}

fn app_with(rules_dir: &std::path::Path, logs: &str) -> App {
    let (rules, errors) = load_rules(&[rules_dir.to_path_buf()]);
    assert!(errors.is_empty(), "{errors:?}");
    let plan = Plan {
        rules: rules.clone(),
        logs: vec![PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(logs)],
        locate: true,
        ..Plan::default()
    };
    let mut app = App::new(rules, Limits::default(), vigil::case::Store::in_memory());
    app.plan = Some(plan.clone());
    let mut updates = Vec::new();
    engine::run(&plan, &Arc::new(AtomicBool::new(false)), &mut |u| {
        updates.push(u)
    });
    for u in updates {
        app.apply(u);
    }
    app.settle();
    app
}

fn render(app: &mut App, w: u16, h: u16) -> ratatui::buffer::Buffer {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    let theme = Theme::dark().without_color();
    term.draw(|f| view::draw(f, app, &theme)).unwrap();
    term.backend().buffer().clone()
}

fn lines(buf: &ratatui::buffer::Buffer) -> Vec<String> {
    let area = buf.area;
    (0..area.height)
        .map(|y| (0..area.width).map(|x| buf[(x, y)].symbol()).collect())
        .collect()
}

#[test]
fn the_alert_list_fits_80x24_with_every_column_and_the_selection_marked() {
    let mut app = demo_app();
    let buf = render(&mut app, 80, 24);
    let text = lines(&buf);
    let header = text
        .iter()
        .position(|l| l.contains("Sev") && l.contains("UPN") && l.contains("Count"))
        .unwrap_or_else(|| panic!("no header:\n{}", text.join("\n")));
    assert!(text[header].contains("First▲"), "{}", text[header]);
    // Entities stay readable at 80 columns: other columns give way, and
    // an account loses its domain before its name.
    let all = text.join("\n");
    assert!(all.contains("megan.ross@…"), "{all}");
    assert!(all.contains("185.220.101.47"), "{all}");
    assert!(text[0].contains("1 Alerts"));
    assert!(
        text[23].contains("3193 events from 4 files, 0 errors, 20 alerts"),
        "{}",
        text[23]
    );
    assert!(text.iter().any(|l| l.contains("1 of 20")));
    // The first alert's row is drawn reversed, the next one is not.
    let row = (header + 1) as u16;
    assert!(buf[(5, row)].modifier.contains(Modifier::REVERSED));
    assert!(!buf[(5, row + 1)].modifier.contains(Modifier::REVERSED));
}

#[test]
fn moving_past_the_screen_scrolls_and_sorting_keeps_the_alert_selected() {
    let mut app = demo_app();
    app.act(Action::Bottom);
    let buf = render(&mut app, 80, 24);
    let text = lines(&buf);
    assert!(text.iter().any(|l| l.contains("20 of 20")));
    // 20 alerts do not fit in 19 rows: the list scrolled, so the selected
    // (last) row is on screen, drawn reversed, just above the border.
    let last_row = (0..24u16)
        .rev()
        .find(|&y| text[y as usize].starts_with('└'))
        .unwrap()
        - 1;
    assert!(buf[(5, last_row)].modifier.contains(Modifier::REVERSED));
    let last = app.selected_alert().unwrap();
    let shown = &text[last_row as usize];
    assert!(
        shown.contains(&last.rule_name[..10]),
        "{shown} is not {}",
        last.rule_name
    );
    let chosen = app.selected_alert().unwrap().id.clone();
    for _ in 0..3 {
        app.act(Action::SortPrev);
    }
    let text = lines(&render(&mut app, 80, 24));
    assert!(
        text.iter().any(|l| l.contains("Rule▲")),
        "{}",
        text.join("\n")
    );
    assert_eq!(app.selected_alert().unwrap().id, chosen);
    let names: Vec<&str> = app
        .order
        .iter()
        .map(|&i| app.alerts[i].rule_name.as_str())
        .collect();
    assert!(names.windows(2).all(|w| w[0] <= w[1]), "{names:?}");
}

#[test]
fn enter_shows_the_rule_and_the_evidence_with_matched_values_marked() {
    let mut app = demo_app();
    let at = app
        .order
        .iter()
        .position(|&i| app.alerts[i].rule_name == "Azure Key Vault Modified")
        .unwrap();
    for _ in 0..at {
        app.act(Action::Down);
    }
    app.act(Action::Open);
    assert_eq!(app.pane, Pane::Drill);
    let buf = render(&mut app, 100, 40);
    let text = lines(&buf);
    let all = text.join("\n");
    assert!(all.contains("Azure Key Vault Modified"), "{all}");
    assert!(all.contains("Evidence 1 of"), "{all}");
    assert!(all.contains("activitylogs.ndjson.gz:"), "{all}");
    // Scroll until the matched operation name is on screen; it is drawn
    // in bold, the mark for what made the rule match.
    let wanted = "\"MICROSOFT.KEYVAULT/VAULTS/WRITE\"";
    let mut found = None;
    for _ in 0..200 {
        let buf = render(&mut app, 100, 40);
        let text = lines(&buf);
        if let Some((y, l)) = text.iter().enumerate().find(|(_, l)| l.contains(wanted)) {
            let x = l[..l.find(wanted).unwrap()].chars().count() as u16;
            found = Some(buf[(x, y as u16)].modifier);
            break;
        }
        app.act(Action::Down);
    }
    let style = found.expect("the matched value is in the event");
    assert!(style.contains(Modifier::BOLD), "{style:?}");
    app.act(Action::Back);
    assert_eq!(app.pane, Pane::Alerts);
}

#[test]
fn the_help_lists_the_keys_of_the_pane_in_use() {
    let mut app = demo_app();
    app.act(Action::Help);
    let all = lines(&render(&mut app, 120, 40)).join("\n");
    assert!(all.contains("sort by the next/previous column"), "{all}");
    assert!(all.contains("open the alert's evidence"), "{all}");
    app.act(Action::Down);
    assert!(!app.help);
    assert_eq!(app.selected, 0, "the key that closed help did nothing else");
}

#[test]
fn a_small_terminal_gets_a_message_not_a_broken_layout() {
    let mut app = demo_app();
    let all = lines(&render(&mut app, 60, 20)).join("\n");
    assert!(all.contains("at least 80x24"), "{all}");
    assert!(all.contains("60x20"), "{all}");
}

#[test]
fn withdrawn_alerts_leave_the_list() {
    let mut app = demo_app();
    let id = app.selected_alert().unwrap().id.clone();
    app.apply(Update::Withdrawn(id.clone()));
    app.settle();
    assert_eq!(app.order.len(), 19);
    assert!(app.order.iter().all(|&i| app.alerts[i].id != id));
    let all = lines(&render(&mut app, 80, 24)).join("\n");
    assert!(all.contains("of 19"), "{all}");
}

/// Selects the first alert of a rule.
fn select_rule(app: &mut App, name: &str) {
    let at = app
        .order
        .iter()
        .position(|&i| app.alerts[i].rule_name == name)
        .unwrap_or_else(|| panic!("no {name} alert"));
    app.act(Action::Top);
    for _ in 0..at {
        app.act(Action::Down);
    }
}

#[test]
fn an_alerts_timeline_at_80x24_selects_its_event_marks_alerts_and_zooms() {
    let mut app = demo_app();
    select_rule(&mut app, "Azure Key Vault Modified");
    app.act(Action::Timeline);
    assert_eq!(app.pane, Pane::Timeline);
    let buf = render(&mut app, 80, 24);
    let text = lines(&buf);
    let all = text.join("\n");
    assert!(
        all.contains("Timeline UPN megan.ross@contoso-lab.com"),
        "{all}"
    );
    assert!(all.contains("Activity, a bar per 2 hours"), "{all}");
    assert!(all.contains('█'), "the burst shows as a full bar:\n{all}");
    // The alert's own event is selected, reversed, and marked.
    let (y, row) = text
        .iter()
        .enumerate()
        .find(|(_, l)| l.contains("09:31:03") && l.contains("VAULTS/WRITE"))
        .unwrap_or_else(|| panic!("{all}"));
    assert!(
        buf[(3, y as u16)].modifier.contains(Modifier::REVERSED),
        "{row}"
    );
    assert!(row.contains("● Azure Key") && row.contains('✓'), "{row}");
    // Every line fits: nothing runs past the right border.
    assert!(text.iter().all(|l| l.chars().count() == 80));

    let before = app.timeline.as_ref().unwrap().lines.len();
    for _ in 0..6 {
        app.act(Action::ZoomIn);
    }
    let t = app.timeline.as_ref().unwrap();
    let (a, b) = t.range.expect("zoomed");
    assert!(t.lines.len() < before);
    let selected = &app.events[t.selected_event().unwrap()];
    assert!(selected.time_ms >= a && selected.time_ms <= b);
    let all = lines(&render(&mut app, 80, 24)).join("\n");
    assert!(
        all.contains("03-04 09:"),
        "the range is in the title:\n{all}"
    );
    app.act(Action::Unzoom);
    assert_eq!(app.timeline.as_ref().unwrap().lines.len(), before);
}

#[test]
fn a_value_in_the_evidence_pivots_to_its_timeline_and_folds() {
    let mut app = demo_app();
    select_rule(&mut app, "Azure Key Vault Modified");
    app.act(Action::Open);
    // Folding the whole document leaves one line saying what it hides.
    app.act(Action::Fold);
    let all = lines(&render(&mut app, 100, 40)).join("\n");
    assert!(all.contains("{ … }  ("), "{all}");
    app.act(Action::Fold);
    // Down to the source address, then its timeline.
    for _ in 0..200 {
        let d = app.drill.as_ref().unwrap();
        if d.current().is_some_and(|l| l.path == "source.ip") {
            break;
        }
        app.act(Action::Down);
    }
    let all = lines(&render(&mut app, 100, 40)).join("\n");
    assert!(all.contains(" source.ip "), "the path is shown:\n{all}");
    app.act(Action::Window);
    assert_eq!(app.pane, Pane::Timeline);
    let t = app.timeline.as_ref().unwrap();
    let (a, b) = t.range.unwrap();
    assert_eq!(b - a, 10 * 60_000, "five minutes either side");
    for l in &t.lines {
        let e = &app.events[l.event];
        assert!(e.time_ms >= a && e.time_ms <= b);
        assert_eq!(&*app.names[e.ip.0 as usize], "185.220.101.47");
    }
    let all = lines(&render(&mut app, 100, 40)).join("\n");
    assert!(all.contains("Timeline IP 185.220.101.47"), "{all}");
    // A value that is no entity says so.
    app.act(Action::Go(Pane::Drill));
    app.act(Action::Top);
    app.act(Action::Down);
    app.act(Action::Timeline);
    assert_eq!(app.pane, Pane::Drill);
    assert!(app.message.is_some());
}

#[test]
fn the_checklist_answers_at_once_and_fills_in_values_and_query_hits_when_the_read_returns() {
    let mut app = demo_app();
    app.background_reads = true;
    select_rule(&mut app, "Azure Key Vault Modified");
    app.act(Action::Checklist);
    assert_eq!(app.pane, Pane::Checklist);
    let all = lines(&render(&mut app, 100, 30)).join("\n");
    assert!(all.contains("= reading the alert's events…"), "{all}");
    assert!(!all.contains("megan.ross@contoso-lab.com"), "{all}");
    // Keys are answered while the read is out.
    app.act(Action::Down);
    app.act(Action::Up);
    let jobs: Vec<_> = app.read_jobs.drain(..).collect();
    assert_eq!(jobs.len(), 1);
    for job in jobs {
        app.read_done(job.run());
    }
    let all = lines(&render(&mut app, 100, 30)).join("\n");
    assert!(all.contains("= megan.ross@contoso-lab.com"), "{all}");
    assert!(!all.contains("reading the alert's events"), "{all}");
    let list = app.checklist.as_ref().unwrap();
    let ran = list.steps().filter(|s| s.hits.is_some()).count();
    assert_eq!(
        ran, 2,
        "both of the rule's queries run once the values are in"
    );
}

#[test]
fn the_checklist_shows_the_guide_by_section_with_field_values_from_the_evidence() {
    let mut app = demo_app();
    select_rule(&mut app, "Azure Key Vault Modified");
    app.act(Action::Checklist);
    assert_eq!(app.pane, Pane::Checklist);
    let all = lines(&render(&mut app, 100, 30)).join("\n");
    let at = |what: &str| {
        all.find(what)
            .unwrap_or_else(|| panic!("{what} missing from:\n{all}"))
    };
    assert!(at("Possible investigation steps") < at("False positive analysis"));
    assert!(at("False positive analysis") < at("Response and remediation"));
    assert!(all.contains("0 of 11 steps done"), "{all}");
    // The selected step is shown whole, with the values its fields take
    // in this alert's events.
    assert!(all.contains("= megan.ross@contoso-lab.com"), "{all}");
    assert!(
        all.contains("azure.resource.name = KV-CONTOSO-PROD"),
        "{all}"
    );
    assert!(!all.contains("and the v…"), "{all}");

    app.act(Action::Check);
    app.act(Action::Note);
    for c in "seen in the CAB log".chars() {
        app.prompt_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    }
    app.prompt_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    assert!(app.prompt.is_none());
    let all = lines(&render(&mut app, 100, 30)).join("\n");
    assert!(all.contains("1 of 11 steps done"), "{all}");
    assert!(all.contains("[x] Identify the caller"), "{all}");
    assert!(all.contains("note: seen in the CAB log"), "{all}");
    // The next step is unchecked; from the first, t follows the caller.
    app.act(Action::Down);
    let all = lines(&render(&mut app, 100, 30)).join("\n");
    assert!(all.contains("[ ] Check `source.ip`"), "{all}");
    app.act(Action::Up);
    app.act(Action::Timeline);
    assert_eq!(app.pane, Pane::Timeline);
    let all = lines(&render(&mut app, 100, 30)).join("\n");
    assert!(
        all.contains("Timeline UPN megan.ross@contoso-lab.com"),
        "{all}"
    );
}

#[test]
fn closing_picked_alerts_sets_each_with_its_reason_in_one_action() {
    let mut app = demo_app();
    app.act(Action::Top);
    app.act(Action::Pick);
    app.act(Action::Pick);
    app.act(Action::Pick);
    assert_eq!(app.picked.len(), 3);
    let all = lines(&render(&mut app, 120, 30)).join("\n");
    assert!(all.contains("3 picked"), "{all}");
    let picked: Vec<String> = app.targets();
    app.act(Action::Close);
    app.prompt_key(KeyEvent::new(KeyCode::Char('2'), KeyModifiers::NONE));
    app.prompt_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    assert!(app.picked.is_empty());
    for id in &picked {
        let s = app.case.case.get(id).unwrap();
        assert_eq!(s.status, vigil::case::Status::Closed);
        assert_eq!(
            s.classification,
            Some(vigil::case::Classification::BenignPositive)
        );
    }
    let all = lines(&render(&mut app, 120, 30)).join("\n");
    assert_eq!(all.matches("closed BP").count(), 3, "{all}");
    // Escape leaves a prompt without deciding anything.
    app.act(Action::Bottom);
    app.act(Action::Acknowledge);
    let id = app.selected_alert().unwrap().id.clone();
    assert_eq!(app.case.case.status(&id), vigil::case::Status::Acknowledged);
    app.act(Action::Close);
    app.prompt_key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
    assert_eq!(app.case.case.status(&id), vigil::case::Status::Acknowledged);
}

#[test]
fn the_rules_pane_lists_rules_with_status_and_alerts_and_turns_one_off() {
    let mut app = demo_app();
    app.act(Action::Go(Pane::Rules));
    let all = lines(&render(&mut app, 120, 40)).join("\n");
    assert!(all.contains("Rules "), "{all}");
    assert!(all.contains("Azure Key Vault Modified"), "{all}");
    let (i, rule) = app
        .rules
        .iter()
        .enumerate()
        .find(|(_, r)| r.name == "Azure Key Vault Modified")
        .unwrap();
    let rule_id = rule.rule_id.clone();
    for _ in 0..i {
        app.act(Action::Down);
    }
    let before = app.order.len();
    app.act(Action::Toggle);
    assert!(app.order.len() < before);
    assert!(app.order.iter().all(|&a| app.alerts[a].rule_id != rule_id));
    let all = lines(&render(&mut app, 120, 40)).join("\n");
    assert!(all.contains("turned off"), "{all}");
    app.act(Action::Toggle);
    assert_eq!(app.order.len(), before);
}

#[test]
fn a_rule_whose_logs_are_not_loaded_says_no_data() {
    let mut app = app_over("fixtures/demo/signinlogs.ndjson.gz");
    app.act(Action::Go(Pane::Rules));
    let text = lines(&render(&mut app, 140, 40));
    let row = |name: &str| {
        text.iter()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name} missing:\n{}", text.join("\n")))
            .clone()
    };
    assert!(row("Azure Key Vault Modified").contains("no data"));
    assert!(row("Conditional Access Policy Deleted").contains("no data"));
    assert!(row("Entra ID Password Spray").contains("ok"));
    assert!(row("Successful Sign-ins from Two Countries").contains("ok"));
}

fn key(app: &mut App, c: char) {
    app.prompt_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    app.settle();
}

#[test]
fn search_narrows_the_list_as_it_is_typed_and_marks_what_matched() {
    let mut app = demo_app();
    app.act(Action::Search);
    for c in "kvmod".chars() {
        key(&mut app, c);
    }
    let names: Vec<&str> = app
        .order
        .iter()
        .map(|&i| app.alerts[i].rule_name.as_str())
        .collect();
    assert!(!names.is_empty());
    assert!(names.iter().all(|n| n.contains("Key Vault")), "{names:?}");
    let buf = render(&mut app, 160, 30);
    let text = lines(&buf);
    let all = text.join("\n");
    assert!(
        all.contains("/kvmod"),
        "the title says what is searched:\n{all}"
    );
    // The K of "Key Vault Modified" is marked on its row.
    let (y, l) = text
        .iter()
        .enumerate()
        .find(|(_, l)| l.contains("Azure Key Vault Modified"))
        .unwrap();
    let x = l[..l.find("Key Vault Modified").unwrap()].chars().count() as u16;
    assert!(buf[(x, y as u16)].modifier.contains(Modifier::BOLD), "{l}");
    // Escape clears the search and lists everything again.
    app.prompt_key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
    app.settle();
    assert_eq!(app.order.len(), 20);
}

#[test]
fn filters_by_severity_and_rule_and_grouping_that_folds() {
    let mut app = demo_app();
    app.act(Action::Filter);
    key(&mut app, 's');
    key(&mut app, 's');
    let kept: Vec<_> = app.order.iter().map(|&i| app.alerts[i].severity).collect();
    assert!(!kept.is_empty() && kept.len() < 20);
    assert!(
        kept.iter()
            .all(|s| *s >= vigil::rules::rule::Severity::High)
    );
    let all = lines(&render(&mut app, 120, 30)).join("\n");
    assert!(all.contains("≥high"), "{all}");
    key(&mut app, 'c');
    assert_eq!(app.order.len(), 20);
    app.prompt_key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));

    // Grouped by account: a heading per account, then its alerts.
    app.act(Action::Group);
    app.act(Action::Group);
    app.act(Action::Top);
    let all = lines(&render(&mut app, 120, 40)).join("\n");
    let heading = all
        .lines()
        .find(|l| l.contains("megan.ross@") && l.contains("▾ ("))
        .unwrap_or_else(|| panic!("{all}"));
    assert!(heading.contains("▾ (15)"), "{heading}");
    let rows = app.rows.len();
    assert!(rows > 20);
    assert!(app.selected_alert().is_none(), "a heading is selected");
    // Space on a heading picks the group's alerts; Enter folds it.
    app.act(Action::Pick);
    let picked = app.picked.len();
    assert!(picked > 1);
    app.act(Action::Up);
    app.act(Action::Open);
    assert_eq!(app.rows.len(), rows - picked);
    let all = lines(&render(&mut app, 120, 40)).join("\n");
    assert!(all.contains("▸ "), "{all}");
}

#[test]
fn a_value_in_the_evidence_filters_the_list_out() {
    let mut app = demo_app();
    select_rule(&mut app, "Azure Key Vault Modified");
    app.act(Action::Open);
    for _ in 0..200 {
        let d = app.drill.as_ref().unwrap();
        if d.current().is_some_and(|l| l.path == "source.ip") {
            break;
        }
        app.act(Action::Down);
    }
    app.act(Action::FilterOut);
    assert_eq!(app.pane, Pane::Alerts);
    assert!(app.order.len() < 20);
    for &i in &app.order {
        assert!(
            app.alerts[i]
                .entities_of("ip")
                .all(|ip| ip != "185.220.101.47")
        );
    }
    let all = lines(&render(&mut app, 120, 30)).join("\n");
    assert!(all.contains("-185.220.101.47"), "{all}");
}

#[test]
fn the_palette_finds_a_command_by_name_and_runs_it() {
    let mut app = demo_app();
    select_rule(&mut app, "Azure Key Vault Modified");
    app.act(Action::Palette);
    for c in "timel".chars() {
        key(&mut app, c);
    }
    let all = lines(&render(&mut app, 120, 30)).join("\n");
    assert!(all.contains(": timel"), "{all}");
    assert!(all.contains("timeline of the alert's account"), "{all}");
    assert_eq!(app.commands("timel")[0].name, "timeline");
    app.prompt_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    app.settle();
    assert!(app.prompt.is_none());
    assert_eq!(app.pane, Pane::Timeline);
    // Only the pane's own commands and the global ones are offered.
    app.act(Action::Palette);
    let names: Vec<String> = app.commands("").into_iter().map(|c| c.name).collect();
    assert!(names.contains(&"zoom-in".to_string()), "{names:?}");
    assert!(!names.contains(&"close".to_string()), "{names:?}");
    assert!(names.contains(&"quit".to_string()), "{names:?}");
}

#[test]
fn a_theme_colours_what_it_names_and_no_color_keeps_only_emphasis() {
    let mut app = demo_app();
    let draw = |app: &mut App, theme: &Theme| {
        let mut term = Terminal::new(TestBackend::new(100, 30)).unwrap();
        term.draw(|f| view::draw(f, app, theme)).unwrap();
        term.backend().buffer().clone()
    };
    let light = Theme::find("light", None).unwrap();
    let buf = draw(&mut app, &light);
    // The tab bar's name is drawn in the header style.
    assert_eq!(buf[(2, 0)].fg, ratatui::style::Color::Blue);
    let buf = draw(&mut app, &light.clone().without_color());
    assert_eq!(buf[(2, 0)].fg, ratatui::style::Color::Reset);
    assert!(buf[(2, 0)].modifier.contains(Modifier::BOLD));
    let err = Theme::find("neon", None).unwrap_err();
    assert!(err.contains("neon"), "{err}");
}

#[test]
fn a_guides_query_runs_over_the_loaded_events_and_enter_shows_its_hits() {
    let mut app = demo_app();
    select_rule(&mut app, "Azure Key Vault Modified");
    let alert = app.selected_alert().unwrap().clone();
    app.act(Action::Checklist);
    // Down to the first query step.
    for _ in 0..20 {
        let list = app.checklist.as_ref().unwrap();
        if list.current().is_some_and(|s| s.investigate.is_some()) {
            break;
        }
        app.act(Action::Down);
    }
    let all = lines(&render(&mut app, 140, 40)).join("\n");
    assert!(
        all.contains("Everything from the caller's address in the two hours before the change  ▶ "),
        "{all}"
    );
    let hits = match &app.checklist.as_ref().unwrap().current().unwrap().hits {
        Some(Ok(h)) => h.clone(),
        other => panic!("{other:?}"),
    };
    assert!(!hits.is_empty());
    let end = alert.last.unwrap().timestamp_millis();
    for &i in &hits {
        let e = &app.events[i];
        assert!(e.time_ms <= end && e.time_ms >= end - 2 * 3_600_000);
        assert_eq!(&*app.names[e.ip.0 as usize], "185.220.101.47");
    }
    app.act(Action::Open);
    assert_eq!(app.pane, Pane::Timeline);
    let all = lines(&render(&mut app, 140, 40)).join("\n");
    assert!(
        all.contains("Everything from the caller's address"),
        "{all}"
    );
    assert_eq!(app.timeline.as_ref().unwrap().lines.len(), hits.len());

    // The second query: the caller's sign-ins, an AND of account and log.
    app.act(Action::Go(Pane::Checklist));
    app.act(Action::Down);
    let step = app.checklist.as_ref().unwrap().current().unwrap();
    let hits = match &step.hits {
        Some(Ok(h)) => h.clone(),
        other => panic!("{other:?}"),
    };
    assert!(!hits.is_empty());
    for &i in &hits {
        let e = &app.events[i];
        assert_eq!(e.kind, vigil::model::SourceKind::SignIn);
        assert_eq!(&*app.names[e.upn.0 as usize], "megan.ross@contoso-lab.com");
    }
}

#[test]
fn the_help_shows_every_key_of_the_pane_even_at_80x24() {
    let mut app = demo_app();
    app.act(Action::Help);
    let text = lines(&render(&mut app, 80, 24));
    let all = text.join("\n");
    for (keys, _) in app.keymap.help(Pane::Alerts) {
        assert!(all.contains(keys.as_str()), "{keys} missing:\n{all}");
    }
    assert!(all.contains("Tab/Shift-Tab"), "{all}");
    assert!(text[0].contains("? help"), "{}", text[0]);
}

#[test]
fn the_wheel_moves_three_rows_and_a_click_selects_the_row_under_it() {
    use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let mut app = demo_app();
    app.act(Action::Top);
    let buf = render(&mut app, 120, 30);
    let mouse = |kind, column, row| MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    };
    app.mouse(mouse(MouseEventKind::ScrollDown, 5, 10));
    assert_eq!(app.selected, 3);
    app.mouse(mouse(MouseEventKind::ScrollUp, 5, 10));
    assert_eq!(app.selected, 0);
    // The sixth alert row on screen is the sixth in the list.
    let shown = lines(&buf);
    let header = shown.iter().position(|l| l.contains("Severity")).unwrap();
    let sixth = &shown[header + 6];
    app.mouse(mouse(
        MouseEventKind::Down(MouseButton::Left),
        5,
        header as u16 + 6,
    ));
    assert_eq!(app.selected, 5);
    let name = &app.selected_alert().unwrap().rule_name;
    assert!(
        sixth.contains(&name[..20.min(name.len())]),
        "{sixth} / {name}"
    );
    assert_eq!(app.pane, Pane::Alerts);
    app.mouse(mouse(
        MouseEventKind::Down(MouseButton::Left),
        5,
        header as u16 + 6,
    ));
    assert_eq!(app.pane, Pane::Drill);
}

/// Selects the alert of `rule` whose address is `ip`.
fn select_alert_of(app: &mut App, rule: &str, ip: &str) {
    app.act(Action::Top);
    for _ in 0..app.rows.len() {
        let a = app.selected_alert().unwrap();
        if a.rule_name == rule && a.entities_of("ip").any(|x| x == ip) {
            return;
        }
        app.act(Action::Down);
    }
    panic!("no {rule} alert from {ip}");
}

/// Moves the evidence cursor to the first line whose path ends so.
fn cursor_to(app: &mut App, path_end: &str) {
    app.act(Action::Top);
    for _ in 0..400 {
        let line = app.drill.as_ref().unwrap().current().unwrap();
        if line.path.ends_with(path_end) && line.raw.is_some() {
            return;
        }
        app.act(Action::Down);
    }
    panic!("no {path_end} in the event");
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        app.prompt_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    }
}

fn press(app: &mut App, code: KeyCode) {
    app.prompt_key(KeyEvent::new(code, KeyModifiers::NONE));
}

#[test]
fn an_exception_from_the_evidence_previews_what_it_closes_then_saves_and_closes_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = demo_app();
    app.case = vigil::case::Store::open(dir.path().join("case.json"), false);
    app.exceptions_dir = Some(dir.path().join("exceptions"));
    select_alert_of(
        &mut app,
        "Azure Storage Account Key Regenerated",
        "20.50.2.10",
    );
    let id = app.selected_alert().unwrap().id.clone();
    app.act(Action::Open);
    cursor_to(&mut app, "appid");
    app.act(Action::Except);
    let all = lines(&render(&mut app, 120, 36)).join("\n");
    assert!(all.contains("New exception"), "{all}");
    assert!(
        all.contains("‹is› 8e1c5d3a-2f4b-4c6d-9e8f-0a1b2c3d4e5f"),
        "{all}"
    );
    assert!(
        all.contains("this rule: Azure Storage Account Key Regenerated"),
        "{all}"
    );
    assert!(all.contains("Preview: would close 1 alert;"), "{all}");
    assert!(all.contains(&id), "{all}");
    // Esc keeps the draft; e on the address adds it as a second condition.
    press(&mut app, KeyCode::Esc);
    assert!(app.prompt.is_none());
    cursor_to(&mut app, "source.ip");
    app.act(Action::Except);
    let d = app.draft.as_ref().unwrap();
    assert_eq!(d.conditions.len(), 2);
    // The comment is typed on its row; the operator changes with arrows
    // and the preview follows.
    press(&mut app, KeyCode::Right);
    let all = lines(&render(&mut app, 120, 36)).join("\n");
    assert!(all.contains("‹is not› 20.50.2.10"), "{all}");
    assert!(all.contains("Preview: would close 0 alerts;"), "{all}");
    press(&mut app, KeyCode::Left);
    for _ in 0..4 {
        press(&mut app, KeyCode::Down);
    }
    typed(&mut app, "runbook KR-12 rotates keys nightly");
    press(&mut app, KeyCode::Enter);
    assert!(app.prompt.is_none());
    let msg = app.message.clone().unwrap_or_default();
    assert_eq!(msg, "exception applied: 1 alerts closed");
    // Written as a file that loads back, with both conditions.
    let loaded = vigil::exceptions::file::load(&dir.path().join("exceptions"));
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    assert_eq!(loaded.exceptions.len(), 1);
    assert_eq!(loaded.exceptions[0].entries.len(), 2);
    assert_eq!(
        loaded.exceptions[0].comment,
        "runbook KR-12 rotates keys nightly"
    );
    // The alert is closed in the case and marked as excepted in the list.
    let state = app.case.case.get(&id).unwrap();
    assert_eq!(state.status, vigil::case::Status::Closed);
    app.pane = Pane::Alerts;
    let all = lines(&render(&mut app, 160, 40)).join("\n");
    assert!(all.contains("excepted BP"), "{all}");
}

#[test]
fn tuning_a_rule_shows_its_top_values_and_e_on_one_drafts_an_exception_with_a_preview() {
    let mut app = demo_app();
    app.act(Action::Go(Pane::Rules));
    let at = app
        .rules
        .iter()
        .position(|r| r.name == "Azure Storage Account Keys Listed")
        .unwrap();
    app.act(Action::Top);
    for _ in 0..at {
        app.act(Action::Down);
    }
    app.act(Action::Open);
    let all = lines(&render(&mut app, 120, 40)).join("\n");
    assert!(
        all.contains("Tuning Azure Storage Account Keys Listed"),
        "{all}"
    );
    assert!(
        all.contains("Alerts: 3 without exceptions, 3 with them (0 kept from firing)"),
        "{all}"
    );
    assert!(all.contains("No exception applies to it."), "{all}");
    for column in ["account", "address", "resource", "operation"] {
        assert!(all.contains(&format!("│  {column} ")), "{column}: {all}");
    }
    // The address the automation lists keys from is among them.
    let t = app.tuning.as_ref().unwrap();
    let at = t
        .values
        .iter()
        .position(|v| v.value == "20.50.2.10")
        .expect("the automation's address is a top value");
    for _ in 0..at {
        app.act(Action::Down);
    }
    app.act(Action::Except);
    let d = app.draft.as_ref().expect("a draft");
    assert_eq!(d.conditions.len(), 1);
    assert_eq!(d.conditions[0].value, "20.50.2.10");
    assert_eq!(d.conditions[0].field, "source.ip");
    let all = lines(&render(&mut app, 120, 40)).join("\n");
    assert!(all.contains("Preview: would close 1 alert;"), "{all}");
    assert!(
        all.contains("this rule: Azure Storage Account Keys Listed"),
        "{all}"
    );
    // Esc keeps the draft and the tuning view.
    app.prompt_key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
    app.act(Action::Back);
    assert!(app.tuning.is_none());
    assert_eq!(app.pane, Pane::Rules);
}

#[test]
fn the_builder_scope_reaches_every_rule_that_alerted_on_the_same_account() {
    let mut app = demo_app();
    select_alert_of(
        &mut app,
        "Azure Storage Account Key Regenerated",
        "20.50.2.10",
    );
    app.act(Action::Open);
    cursor_to(&mut app, "appid");
    app.act(Action::Except);
    // Down from the condition to the scope, then the next scope.
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Right);
    let all = lines(&render(&mut app, 130, 36)).join("\n");
    assert!(
        all.contains("the 2 rules with alerts on 3f9a1c2e-7b4d-4e8f-9a0b-1c2d3e4f5a6b"),
        "{all}"
    );
    assert!(all.contains("Preview: would close 2 alerts;"), "{all}");
    press(&mut app, KeyCode::Right);
    let all = lines(&render(&mut app, 130, 36)).join("\n");
    assert!(all.contains("‹all rules›"), "{all}");
    press(&mut app, KeyCode::Right);
    let all = lines(&render(&mut app, 130, 36)).join("\n");
    assert!(
        all.contains("this rule: Azure Storage Account Key Regenerated"),
        "{all}"
    );
}

#[test]
fn saving_before_the_preview_returns_still_closes_what_the_exception_suppresses() {
    let mut app = demo_app();
    app.background_reads = true;
    select_alert_of(
        &mut app,
        "Azure Storage Account Key Regenerated",
        "20.50.2.10",
    );
    let id = app.selected_alert().unwrap().id.clone();
    app.act(Action::Open);
    // The console's loop would read the event; here it is read at once.
    for job in std::mem::take(&mut app.read_jobs) {
        app.read_done(job.run());
    }
    cursor_to(&mut app, "appid");
    app.act(Action::Except);
    assert!(app.preview_run.is_some(), "the preview is left to the loop");
    press(&mut app, KeyCode::Enter);
    // The loop runs the rules again with the exception.
    let only = app.apply_run.take().expect("a run with the exception");
    for &r in &only {
        app.begin_rerun(r);
    }
    let plan = Plan {
        only: Some(only.clone()),
        exceptions: Arc::new(app.exceptions.clone()),
        compare: true,
        ..app.plan.clone().unwrap()
    };
    let mut updates = Vec::new();
    engine::run(&plan, &Arc::new(AtomicBool::new(false)), &mut |u| {
        updates.push(u)
    });
    for u in updates {
        if !matches!(u, Update::Done(_)) {
            app.apply(u);
        }
    }
    app.rules_ran_again(&only);
    assert_eq!(app.case.case.status(&id), vigil::case::Status::Closed);
    assert_eq!(
        app.message.as_deref(),
        Some("exception applied: 1 alerts closed (not saved: kept in memory only)")
    );
}

#[test]
fn a_sentinel_alert_shows_its_own_title_description_and_details() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("kv.yaml"),
        r#"id: 11111111-2222-3333-4444-555555555555
name: Key Vault secrets read in bulk
description: Secrets read in bulk.
severity: Medium
query: |
  AzureDiagnostics
  | where OperationName in ("SecretGet", "SecretList")
  | summarize Reads = count(), Secrets = dcount(id_s) by CallerIPAddress, Vault = Resource
  | where Reads > 15
customDetails:
  SecretCount: Secrets
alertDetailsOverride:
  alertDisplayNameFormat: "{{Reads}} secret reads on {{Vault}}"
  alertDescriptionFormat: "From {{CallerIPAddress}}."
"#,
    )
    .expect("rule written");
    let mut app = app_with(dir.path(), "fixtures/demo");
    // The list's rule column shows each alert's title, as wide as it fits.
    let list = lines(&render(&mut app, 100, 30)).join("\n");
    assert!(list.contains("22 secret reads on"), "{list}");
    assert!(list.contains("576 secret reads o"), "{list}");
    let at = app
        .order
        .iter()
        .position(|&i| app.alerts[i].title.as_deref() == Some("22 secret reads on KV-CONTOSO-PROD"))
        .expect("the attacker's alert");
    app.act(Action::Top);
    for _ in 0..at {
        app.act(Action::Down);
    }
    app.act(Action::Open);
    assert_eq!(app.pane, Pane::Drill);
    let all = lines(&render(&mut app, 100, 40)).join("\n");
    assert!(all.contains("Key Vault secrets read in bulk"), "{all}");
    assert!(all.contains("22 secret reads on KV-CONTOSO-PROD"), "{all}");
    assert!(all.contains("From 185.220.101.47."), "{all}");
    assert!(all.contains("Details: SecretCount = 10"), "{all}");
}
