//! Ingest throughput: `vigil inspect`'s load over a large generated NDJSON
//! file, against a plain serde_json parse of the same file in the same run.
//!
//! ```sh
//! cargo bench --bench ingest                     # 1 GiB file
//! VIGIL_BENCH_MB=256 cargo bench --bench ingest  # smaller
//! ```
//!
//! The file is generated once under `target/bench-data/` and reused. Times
//! are the best of `VIGIL_BENCH_RUNS` (default 2) to damp a noisy machine;
//! figures that matter are the ratios to the baseline, not the absolutes.

mod common;

use std::time::{Duration, Instant};

use common::{env_num, peak_mib, reset_peak, value_per_line};

use vigil::cli::inspect;
use vigil::ingest::{self, LoadOptions};
use vigil::model::Shape;

fn data_file(mb: u64) -> std::path::PathBuf {
    common::data_file(
        &format!("bulk-{mb}mb.ndjson"),
        mb,
        Shape::Ecs,
        vigil::synth::bulk(usize::MAX, 7),
    )
}

struct Phase {
    name: &'static str,
    best: Duration,
    events: u64,
    peak: f64,
}

fn measure(name: &'static str, runs: u64, f: &dyn Fn() -> u64) -> Phase {
    let mut best = Duration::MAX;
    let mut events = 0;
    let mut peak: f64 = 0.0;
    for _ in 0..runs {
        reset_peak();
        let t = Instant::now();
        events = f();
        best = best.min(t.elapsed());
        peak = peak.max(peak_mib());
    }
    Phase {
        name,
        best,
        events,
        peak,
    }
}

fn main() {
    // `cargo test --benches` runs this with `--bench`; only a real bench run
    // (`cargo bench`) should spend minutes on a gigabyte.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let mb = env_num("VIGIL_BENCH_MB", 1024);
    let runs = env_num("VIGIL_BENCH_RUNS", 2).max(1);
    let path = data_file(mb);
    let bytes = path.metadata().expect("size").len();

    let baseline = measure("serde_json per line (baseline)", runs, &|| {
        value_per_line(&path)
    });
    let load = measure("ingest::load (framing, decode, classify)", runs, &|| {
        let mut n = 0;
        ingest::load(
            std::slice::from_ref(&path),
            &LoadOptions::default(),
            &mut |_| n += 1,
        );
        n
    });
    let inspect = measure("vigil inspect (load + canonical fields)", runs, &|| {
        inspect::summarize(std::slice::from_ref(&path), &LoadOptions::default())
            .totals
            .records
    });

    let mib = bytes as f64 / (1 << 20) as f64;
    println!("input: {} ({mib:.0} MiB), best of {runs}", path.display());
    println!(
        "{:<44} {:>9} {:>12} {:>13} {:>9} {:>10}",
        "phase", "MB/s", "events/s", "time", "vs base", "peak RSS"
    );
    for p in [&baseline, &load, &inspect] {
        let secs = p.best.as_secs_f64();
        println!(
            "{:<44} {:>9.1} {:>12.0} {:>12.2}s {:>8.2}x {:>7.0} MiB",
            p.name,
            mib / secs,
            p.events as f64 / secs,
            secs,
            secs / baseline.best.as_secs_f64(),
            p.peak
        );
    }
    assert_eq!(baseline.events, inspect.events, "every line is one event");
}
