//! The console: panes over the engine's stream of alerts. The first frame
//! is drawn before any log is read; detection runs on the tokio blocking
//! pool and its updates are applied between frames, so keys are answered
//! while the logs load.

pub mod app;
mod clipboard;
mod evidence;
pub mod keys;
mod pivot;
mod terminal;
pub mod timeline;
pub mod tree;
pub mod view;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use crossterm::event::{self, Event};

use crate::engine::{self, Plan};
use crate::ingest::LoadOptions;
use crate::rules::Rule;
use app::App;

pub struct Options {
    pub logs: Vec<PathBuf>,
    pub rules: Vec<Arc<Rule>>,
    pub load: LoadOptions,
    pub now: Option<DateTime<Utc>>,
}

/// How long to wait for a key before looking at the engine's updates.
const TICK: Duration = Duration::from_millis(50);
/// Updates applied per frame at most, so a flood of alerts never holds a
/// key press back.
const UPDATES_PER_FRAME: usize = 10_000;

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
    let theme = view::Theme::from_env();
    let mut app = App::new(opts.rules.clone(), opts.load.limits);
    let mut guard = terminal::Guard::enter().context("taking over the terminal")?;
    guard.term.draw(|f| view::draw(f, &mut app, &theme))?;

    let plan = Plan {
        rules: opts.rules,
        logs: opts.logs,
        load: opts.load,
        now: opts.now,
        only: None,
        locate: true,
    };
    let mut running = {
        let _ctx = runtime.enter();
        engine::background::spawn(plan)
    };
    loop {
        let mut dirty = false;
        for _ in 0..UPDATES_PER_FRAME {
            match running.updates.try_recv() {
                Ok(u) => {
                    app.apply(u);
                    dirty = true;
                }
                Err(_) => break,
            }
        }
        if dirty {
            app.settle();
            guard.term.draw(|f| view::draw(f, &mut app, &theme))?;
        }
        if event::poll(TICK)? {
            // Answer every key waiting before drawing once.
            loop {
                match event::read()? {
                    Event::Key(k) => match keys::action_of(app.pane, k) {
                        Some(a) => app.act(a),
                        // Help closes on any key, bound or not.
                        None => app.help = false,
                    },
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
    drop(guard);
    // Rules waiting for the end of their input stop at the next event;
    // the process does not wait for the blocking pool.
    runtime.shutdown_timeout(Duration::from_millis(200));
    Ok(())
}
