//! Console frame time with a large load: 1M located events and 100k
//! alerts, drawn into ratatui's test backend at 200x50. Reports the
//! median and worst frame and key-press-to-frame latency (the key's
//! action, the list rebuilt if it must be, the frame drawn) for the
//! things an analyst does, next to the yardstick measured in the same
//! run: one frame of a table built from every alert row, which is what
//! drawing without windowing costs.
//!
//! ```sh
//! cargo bench --bench frame
//! VIGIL_BENCH_EVENTS=200000 VIGIL_BENCH_ALERTS=20000 cargo bench --bench frame
//! ```

// Shared with the other benches, which use more of it.
#[allow(dead_code)]
mod common;

use std::time::{Duration, Instant};

use chrono::DateTime;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Constraint;
use ratatui::widgets::{Row, Table};
use vigil::case::Store;
use vigil::detect::EventRef;
use vigil::engine::{Alert, Entity, Evidence, Located, LocatedBatch, Sym, Update};
use vigil::ingest::{Frame, Limits, Position, RecordLoc};
use vigil::model::{Outcome, SourceKind};
use vigil::rules::rule::Severity;
use vigil::tui::app::App;
use vigil::tui::keys::Action;
use vigil::tui::view::{self, Theme};

const USERS: u32 = 1000;
const ADDRESSES: u32 = 5000;
const OPERATIONS: u32 = 50;
const START_MS: i64 = 1_772_400_000_000;

/// Events in batches as the engine sends them; one user in ten of all
/// events is the same account, a heavy timeline.
fn event_batches(n: u64) -> Vec<LocatedBatch> {
    let mut out = Vec::new();
    let mut names: Vec<Box<str>> = Vec::new();
    for u in 0..USERS {
        names.push(format!("user{u}@contoso-lab.com").into());
    }
    for a in 0..ADDRESSES {
        names.push(format!("198.51.{}.{}", a / 250, a % 250).into());
    }
    for o in 0..OPERATIONS {
        names.push(format!("MICROSOFT.STORAGE/STORAGEACCOUNTS/OPERATION{o}/ACTION").into());
    }
    let mut first = Some(names);
    let mut batch = Vec::with_capacity(4096);
    for i in 0..n {
        let user = if i % 10 == 0 {
            0
        } else {
            (i % u64::from(USERS)) as u32
        };
        batch.push(Located {
            loc: RecordLoc {
                source: 0,
                at: Position {
                    line: i + 1,
                    column: 1,
                    byte: i * 2000,
                },
                len: 2000,
                index: i,
                frame: Frame::Document,
            },
            time_ms: START_MS + i as i64 * 250,
            kind: SourceKind::ALL[(i % 4) as usize],
            outcome: Outcome::Success,
            upn: Sym(1 + user),
            ip: Sym(1 + USERS + (i % u64::from(ADDRESSES)) as u32),
            resource: Sym::NONE,
            operation: Sym(1 + USERS + ADDRESSES + (i % u64::from(OPERATIONS)) as u32),
            app: Sym::NONE,
            correlation: 0,
        });
        if batch.len() == 4096 {
            out.push(LocatedBatch {
                names: first.take().unwrap_or_default(),
                events: std::mem::take(&mut batch),
            });
        }
    }
    out.push(LocatedBatch {
        names: first.take().unwrap_or_default(),
        events: batch,
    });
    out
}

fn alert(i: u64, events: u64) -> Alert {
    let user = (i % u64::from(USERS)) as u32;
    let event = (i * 10) % events.max(1);
    let time = DateTime::from_timestamp_millis(START_MS + event as i64 * 250);
    Alert {
        id: format!("{i:016x}"),
        rule_id: format!("rule-{}", i % 20),
        rule_name: format!("Bench Rule {} on Azure Storage", i % 20),
        severity: [
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ][(i % 4) as usize],
        risk_score: 21 + (i % 4) as u32 * 26,
        first: time,
        last: time,
        count: 1 + i % 7,
        entities: vec![
            Entity {
                kind: "account".into(),
                value: format!("user{user}@contoso-lab.com"),
            },
            Entity {
                kind: "ip".into(),
                value: format!("198.51.{}.{}", (i % 5000) / 250, i % 250),
            },
        ],
        evidence: vec![Evidence {
            file: "bench.ndjson".into(),
            line: event + 1,
            record: event,
            event: EventRef {
                source: 0,
                index: event,
                line: event + 1,
                time_ms: START_MS + event as i64 * 250,
            },
        }],
        evidence_total: 1,
        matched: Vec::new(),
        title: None,
        description: None,
        custom_details: Default::default(),
        group: Vec::new(),
    }
}

struct Figures {
    samples: Vec<Duration>,
}

impl Figures {
    fn new() -> Figures {
        Figures {
            samples: Vec::new(),
        }
    }

    fn time(&mut self, f: impl FnOnce()) {
        let t = Instant::now();
        f();
        self.samples.push(t.elapsed());
    }

    fn report(&mut self, what: &str, yardstick: Duration) {
        self.samples.sort();
        let median = self.samples[self.samples.len() / 2];
        let worst = *self.samples.last().unwrap();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{what:<44} median {:>7.3} ms  worst {:>8.3} ms  ({:>6.4}x / {:>6.4}x the yardstick, {} frames)",
            ms(median),
            ms(worst),
            median.as_secs_f64() / yardstick.as_secs_f64(),
            worst.as_secs_f64() / yardstick.as_secs_f64(),
            self.samples.len()
        );
    }
}

fn main() {
    let n_events = common::env_num("VIGIL_BENCH_EVENTS", 1_000_000);
    let n_alerts = common::env_num("VIGIL_BENCH_ALERTS", 100_000);
    let theme = Theme::dark();
    let mut term = Terminal::new(TestBackend::new(200, 50)).unwrap();
    let mut app = App::new(Vec::new(), Limits::default(), Store::in_memory());

    // Loading: batches of events and alerts applied as the console's loop
    // does between frames, a frame drawn after each.
    let batches = event_batches(n_events);
    let per_batch = (n_alerts as usize).div_ceil(batches.len()).max(1);
    let mut next_alert = 0u64;
    let mut loading = Figures::new();
    let started = Instant::now();
    for batch in batches {
        loading.time(|| {
            app.apply(Update::Located(batch));
            for _ in 0..per_batch {
                if next_alert < n_alerts {
                    app.apply(Update::Alert(alert(next_alert, n_events)));
                    next_alert += 1;
                }
            }
            app.settle();
            term.draw(|f| view::draw(f, &mut app, &theme)).unwrap();
        });
    }
    let load_time = started.elapsed();
    println!(
        "loaded {} events and {} alerts in {:.2} s; resident peak {:.0} MiB",
        app.events.len(),
        app.order.len(),
        load_time.as_secs_f64(),
        common::peak_mib()
    );

    // The yardstick: one frame of a table holding every alert's row.
    let mut yard = Figures::new();
    for _ in 0..3 {
        yard.time(|| {
            let rows: Vec<Row<'_>> = app
                .order
                .iter()
                .map(|&i| {
                    let a = &app.alerts[i];
                    Row::new([
                        a.severity.name().to_string(),
                        a.rule_name.clone(),
                        vigil::tui::app::first_entity(a, "account").to_string(),
                        vigil::tui::app::first_entity(a, "ip").to_string(),
                        a.count.to_string(),
                    ])
                })
                .collect();
            term.draw(|f| f.render_widget(Table::new(rows, [Constraint::Length(10); 5]), f.area()))
                .unwrap();
        });
    }
    yard.samples.sort();
    let yardstick = yard.samples[1];
    println!(
        "yardstick: every row of {} alerts built into one frame: {:.1} ms",
        app.order.len(),
        yardstick.as_secs_f64() * 1000.0
    );
    loading.report("frame while loading (updates + draw)", yardstick);

    let key = |app: &mut App, term: &mut Terminal<TestBackend>, a: Action, figs: &mut Figures| {
        figs.time(|| {
            app.act(a);
            app.settle();
            term.draw(|f| view::draw(f, app, &theme)).unwrap();
        });
    };

    let mut idle = Figures::new();
    for _ in 0..200 {
        idle.time(|| {
            app.settle();
            term.draw(|f| view::draw(f, &mut app, &theme)).unwrap();
        });
    }
    idle.report("frame, alert list, nothing changing", yardstick);

    let mut scroll = Figures::new();
    for i in 0..500 {
        let a = if i % 50 == 49 {
            Action::PageDown
        } else {
            Action::Down
        };
        key(&mut app, &mut term, a, &mut scroll);
    }
    key(&mut app, &mut term, Action::Bottom, &mut scroll);
    key(&mut app, &mut term, Action::Top, &mut scroll);
    scroll.report("key to frame: move in the alert list", yardstick);

    let mut sort = Figures::new();
    for _ in 0..9 {
        key(&mut app, &mut term, Action::SortNext, &mut sort);
    }
    sort.report("key to frame: sort 100k alerts by a column", yardstick);

    let mut group = Figures::new();
    for _ in 0..3 {
        key(&mut app, &mut term, Action::Group, &mut group);
    }
    group.report("key to frame: group by rule / account / none", yardstick);

    let mut search = Figures::new();
    app.act(Action::Search);
    for c in "user42".chars() {
        search.time(|| {
            app.prompt_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
            app.settle();
            term.draw(|f| view::draw(f, &mut app, &theme)).unwrap();
        });
    }
    app.prompt_key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
    app.settle();
    search.report("key to frame: type a search letter", yardstick);

    // The heavy account's timeline: a tenth of all events.
    app.act(Action::Top);
    let mut open = Figures::new();
    key(&mut app, &mut term, Action::Timeline, &mut open);
    open.report(
        &format!(
            "key to frame: open a timeline of {} events",
            app.timeline.as_ref().map_or(0, |t| t.lines.len())
        ),
        yardstick,
    );
    let mut tl = Figures::new();
    for i in 0..300 {
        let a = if i % 30 == 29 {
            Action::PageDown
        } else {
            Action::Down
        };
        key(&mut app, &mut term, a, &mut tl);
    }
    tl.report("key to frame: move in the timeline", yardstick);
    let mut zoom = Figures::new();
    for a in [
        Action::ZoomIn,
        Action::ZoomIn,
        Action::ZoomOut,
        Action::Unzoom,
        Action::CycleSource,
        Action::CycleSource,
    ] {
        key(&mut app, &mut term, a, &mut zoom);
    }
    zoom.report("key to frame: zoom or filter the timeline", yardstick);
}
