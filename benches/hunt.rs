//! `hunt` throughput: every bundled rule over a large raw Azure NDJSON
//! export, against a single-threaded `serde_json::Value` parse of every line
//! of the same file measured in the same run (the yardstick).
//!
//! ```sh
//! cargo bench --bench hunt                                   # 1 GiB and 10 GiB
//! VIGIL_BENCH_MB=256 VIGIL_BENCH_LARGE_MB=0 cargo bench --bench hunt
//! ```
//!
//! Files are generated once under `target/bench-data/` and reused: the demo
//! story first (so query rules fire early), then routine activity until the
//! size is reached. Each phase reports its own peak resident memory. The
//! figures that matter are the ratios to the yardstick; this machine is
//! shared and its absolute speed varies. `hunt` runs twice: as it does,
//! parsing only the fields its rules can read, and parsing every record
//! whole, which tells what the partial parse is worth.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use common::{env_num, peak_mib, reset_peak, value_per_line};
use vigil::cli::hunt::{bundled_rules_dir, load_rules};
use vigil::engine::{self, Plan, Update};
use vigil::model::Shape;

fn data_file(mb: u64) -> PathBuf {
    // Routine days follow the story's, so the file is in time order as an
    // export is.
    let story = vigil::synth::demo();
    let offset = story.last().map_or(chrono::Duration::zero(), |e| {
        e.time - story[0].time + chrono::Duration::days(1)
    });
    let routine = vigil::synth::bulk(usize::MAX, 11).map(move |mut e| {
        e.time += offset;
        e
    });
    common::data_file(
        &format!("azure-v2-{mb}mb.ndjson"),
        mb,
        Shape::Azure,
        story.into_iter().chain(routine),
    )
}

struct Phase {
    time: Duration,
    events: u64,
    peak: f64,
    first_alert: Option<Duration>,
    alerts: usize,
    alert_bytes: usize,
}

fn yardstick(path: &Path) -> Phase {
    reset_peak();
    let t = Instant::now();
    let n = value_per_line(path);
    Phase {
        time: t.elapsed(),
        events: n,
        peak: peak_mib(),
        first_alert: None,
        alerts: 0,
        alert_bytes: 0,
    }
}

fn hunt(path: &Path, rules: &[Arc<vigil::rules::Rule>], whole: bool) -> Phase {
    let plan = Plan {
        rules: rules.to_vec(),
        logs: vec![path.to_path_buf()],
        whole_records: whole,
        ..Plan::default()
    };
    reset_peak();
    let t = Instant::now();
    let mut first = None;
    let summary = engine::run(&plan, &Arc::new(AtomicBool::new(false)), &mut |u| {
        if matches!(u, Update::Alert(_)) && first.is_none() {
            first = Some(t.elapsed());
        }
    });
    let time = t.elapsed();
    let peak = peak_mib();
    let alert_bytes = summary
        .alerts
        .iter()
        .map(|a| serde_json::to_vec(a).map_or(0, |v| v.len()))
        .sum();
    Phase {
        time,
        events: summary.events,
        peak,
        first_alert: first,
        alerts: summary.alerts.len(),
        alert_bytes,
    }
}

fn report(path: &Path, runs: u64, rules: &[Arc<vigil::rules::Rule>]) {
    let bytes = path.metadata().expect("size").len();
    let mib = bytes as f64 / (1 << 20) as f64;
    let best = |phases: Vec<Phase>| {
        phases
            .into_iter()
            .min_by_key(|p| p.time)
            .expect("at least one run")
    };
    let base = best((0..runs).map(|_| yardstick(path)).collect());
    let ours = best((0..runs).map(|_| hunt(path, rules, false)).collect());
    let whole = best((0..runs).map(|_| hunt(path, rules, true)).collect());
    println!(
        "input: {} ({mib:.0} MiB, {} events), best of {runs}",
        path.display(),
        base.events
    );
    println!(
        "{:<34} {:>9} {:>12} {:>10} {:>9} {:>10}",
        "phase", "MB/s", "events/s", "time", "vs base", "peak RSS"
    );
    for (name, p) in [
        ("serde_json::Value per line", &base),
        ("hunt, all bundled rules", &ours),
        ("hunt, records parsed whole", &whole),
    ] {
        let secs = p.time.as_secs_f64();
        println!(
            "{:<34} {:>9.1} {:>12.0} {:>9.2}s {:>8.2}x {:>6.0} MiB",
            name,
            mib / secs,
            p.events as f64 / secs,
            secs,
            secs / base.time.as_secs_f64(),
            p.peak
        );
    }
    println!(
        "hunt: {} rules, {} alerts ({:.1} KiB as JSON), first alert after {}",
        rules.len(),
        ours.alerts,
        ours.alert_bytes as f64 / 1024.0,
        ours.first_alert
            .map_or_else(|| "-".into(), |d| format!("{} ms", d.as_millis()))
    );
    println!();
    assert_eq!(base.events, ours.events, "every line is one event");
}

fn main() {
    // `cargo test --benches` runs this without `--bench`; only a real bench
    // run should spend minutes on gigabytes.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let (rules, errors) = load_rules(&[bundled_rules_dir()]);
    assert!(errors.is_empty(), "bundled rules load: {errors:?}");
    let runs = env_num("VIGIL_BENCH_RUNS", 1).max(1);
    let mb = env_num("VIGIL_BENCH_MB", 1024);
    let large = env_num("VIGIL_BENCH_LARGE_MB", 10 * 1024);
    for size in [mb, large] {
        if size > 0 {
            report(&data_file(size), runs, &rules);
        }
    }
}
