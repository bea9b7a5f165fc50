//! The console: panes over the engine's stream of alerts. The first frame
//! is drawn before any log is read; detection runs on the tokio blocking
//! pool and its updates are applied between frames, so keys are answered
//! while the logs load.

pub mod app;
mod case_report;
pub mod checklist;
mod clipboard;
mod columns;
pub mod config;
pub mod draft;
pub mod events;
mod evidence;
pub mod except;
pub mod filter;
mod investigate;
pub mod jobs;
pub mod keymap;
pub mod keys;
mod listing;
pub mod mouse;
mod palette;
mod pivot;
pub mod rules_pane;
mod terminal;
pub mod theme;
pub mod timeline;
pub mod tree;
mod triage;
pub mod tuning;
pub mod view;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use crossterm::event::{self, Event};

use crate::case::Store;
use crate::engine::{self, Plan};
use crate::ingest::LoadOptions;
use crate::rules::Rule;
use crate::rules::rule::Located as RuleError;
use app::App;

pub struct Options {
    pub logs: Vec<PathBuf>,
    pub rules: Vec<Arc<Rule>>,
    /// Rule files that did not load, shown in the rules pane.
    pub rule_errors: Vec<RuleError>,
    pub load: LoadOptions,
    pub now: Option<DateTime<Utc>>,
    pub case: Store,
    pub settings: config::Settings,
    /// Exceptions in force, applied as the rules run.
    pub exceptions: Vec<crate::exceptions::Exception>,
    /// Where exceptions made in the console are written.
    pub exceptions_dir: Option<PathBuf>,
}

/// How long to wait for a key before looking at the engine's updates.
const TICK: Duration = Duration::from_millis(50);
/// Time spent applying updates before a frame is drawn, so a flood of
/// alerts never holds a key press back; checked every few updates.
const UPDATE_BUDGET: Duration = Duration::from_millis(12);
const UPDATES_BETWEEN_CHECKS: usize = 256;

pub fn run(opts: Options) -> Result<()> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        bail!(
            "the console needs a terminal; for scripts use `vigil hunt` or `vigil search` \
             (see `vigil --help`)"
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the engine's runtime")?;
    let theme = opts.settings.theme.clone();
    let mut app = App::new(opts.rules.clone(), opts.load.limits, opts.case);
    app.rule_errors = opts.rule_errors;
    app.keymap = opts.settings.keymap;
    app.background_reads = true;
    app.exceptions = opts.exceptions.clone();
    app.exceptions_dir = opts.exceptions_dir;
    let (read_tx, read_rx) = std::sync::mpsc::channel();
    // Asking for read-only needs no reminder beyond the tab bar's; any
    // other reason nothing will be saved must be seen.
    if let Some(why) = app.case.read_only.clone().filter(|w| w != "read-only") {
        app.message = Some(format!("case not saved: {why}"));
    } else if let Some(first) = opts.settings.problems.first() {
        let more = opts.settings.problems.len() - 1;
        app.message = Some(match more {
            0 => format!("settings: {first}"),
            n => format!("settings: {first} (and {n} more)"),
        });
    }
    let mut guard =
        terminal::Guard::enter(opts.settings.mouse).context("taking over the terminal")?;
    guard.term.draw(|f| view::draw(f, &mut app, &theme))?;

    let plan = Plan {
        rules: opts.rules,
        logs: opts.logs,
        load: opts.load,
        now: opts.now,
        only: None,
        locate: true,
        // Alerts the exceptions keep from firing are still listed, marked.
        compare: !opts.exceptions.is_empty(),
        exceptions: Arc::new(opts.exceptions),
        whole_records: false,
    };
    app.plan = Some(plan.clone());
    let mut running = {
        let _ctx = runtime.enter();
        engine::background::spawn(plan.clone())
    };
    // Rules running again, each run with its own channel.
    let mut reruns: Vec<(Vec<usize>, engine::background::Running)> = Vec::new();
    // The exception builder's preview, replaced when the draft changes.
    let mut preview: Option<(u64, engine::background::Running)> = None;
    // A hang-up (the SSH session dropped) or a polite kill ends the
    // console as q does: the terminal is given back and the case lock
    // released. Decisions are already on disk: each is saved as it is made.
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGHUP, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, stop.clone()).context("watching for signals")?;
    }
    loop {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let mut dirty = false;
        let began = std::time::Instant::now();
        'drain: while began.elapsed() < UPDATE_BUDGET {
            for _ in 0..UPDATES_BETWEEN_CHECKS {
                match running.updates.try_recv() {
                    Ok(u) => {
                        app.apply(u);
                        dirty = true;
                    }
                    Err(_) => break 'drain,
                }
            }
        }
        let again = app
            .rules_pane
            .rerun
            .take()
            .map(|r| vec![r])
            .or_else(|| app.apply_run.take());
        if let Some(only) = again {
            for &r in &only {
                app.begin_rerun(r);
            }
            let rerun = plan.again(only.clone(), app.exceptions.clone());
            let _ctx = runtime.enter();
            reruns.push((only, engine::background::spawn(rerun)));
            dirty = true;
        }
        if let Some(req) = app.preview_run.take() {
            if let Some((_, old)) = preview.take() {
                old.cancel();
            }
            let run = plan.again(req.only, req.exceptions);
            let _ctx = runtime.enter();
            preview = Some((req.token, engine::background::spawn(run)));
        }
        if let Some((token, run)) = &mut preview {
            let mut ended = false;
            while let Ok(u) = run.updates.try_recv() {
                if let engine::Update::Done(s) = u {
                    app.preview_done(*token, &s);
                    ended = true;
                    dirty = true;
                }
            }
            if ended {
                preview = None;
            }
        }
        for job in app.read_jobs.drain(..) {
            let tx = read_tx.clone();
            runtime.spawn_blocking(move || {
                let _ = tx.send(job.run());
            });
        }
        while let Ok(done) = read_rx.try_recv() {
            app.read_done(done);
            dirty = true;
        }
        reruns.retain_mut(|(rules, run)| {
            while let Ok(u) = run.updates.try_recv() {
                dirty = true;
                match u {
                    // The first run's summary stands; this one only ends
                    // the rules' run.
                    engine::Update::Done(_) => {
                        for &r in rules.iter() {
                            app.rerun_done(r);
                        }
                        app.rules_ran_again(rules);
                        return false;
                    }
                    u => app.apply(u),
                }
            }
            true
        });
        if dirty {
            app.settle();
            guard.term.draw(|f| view::draw(f, &mut app, &theme))?;
        }
        if event::poll(TICK)? {
            // Answer every key waiting before drawing once.
            loop {
                match event::read()? {
                    // An open question takes every key until answered.
                    Event::Key(k) if app.prompt.is_some() => {
                        app.prompt_key(k);
                        app.settle();
                    }
                    Event::Key(k) => match app.keymap.action_of(app.pane, k) {
                        Some(a) => app.act(a),
                        // Help closes on any key, bound or not.
                        None => app.help = false,
                    },
                    Event::Mouse(m) => app.mouse(m),
                    Event::Resize(..) => guard.term.autoresize()?,
                    _ => {}
                }
                if app.quit || !event::poll(Duration::ZERO)? {
                    break;
                }
            }
            if app.quit {
                break;
            }
            if let Some(text) = app.clipboard.take() {
                clipboard::send(guard.term.backend_mut(), &text)?;
            }
            guard.term.draw(|f| view::draw(f, &mut app, &theme))?;
        } else if app.done.is_none() {
            // Progress and the clock move even when nothing arrived.
            guard.term.draw(|f| view::draw(f, &mut app, &theme))?;
        }
    }
    running.cancel();
    for (_, r) in &reruns {
        r.cancel();
    }
    if let Some((_, p)) = &preview {
        p.cancel();
    }
    drop(guard);
    // Rules waiting for the end of their input stop at the next event;
    // the process does not wait for the blocking pool.
    runtime.shutdown_timeout(Duration::from_millis(200));
    Ok(())
}
