//! What the benchmarks share: generated input files kept between runs,
//! peak memory per phase, and the yardstick parse.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use vigil::model::Shape;
use vigil::synth::SynthEvent;

pub fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `target/bench-data/NAME`, written from `events` in `shape` until it
/// holds `mb` MiB, unless a file that large is already there. The file
/// appears only once complete, so an interrupted run starts over.
pub fn data_file(
    name: &str,
    mb: u64,
    shape: Shape,
    events: impl Iterator<Item = SynthEvent>,
) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).expect("bench data folder");
    let path = dir.join(name);
    if path.metadata().is_ok_and(|m| m.len() >= mb << 20) {
        return path;
    }
    eprintln!("generating {} ...", path.display());
    let partial = path.with_extension("partial");
    let mut w = BufWriter::with_capacity(1 << 20, File::create(&partial).expect("create"));
    let mut written = 0u64;
    for e in events {
        let line = serde_json::to_vec(&vigil::synth::render(&e, shape)).expect("json");
        w.write_all(&line).expect("write");
        w.write_all(b"\n").expect("write");
        written += line.len() as u64 + 1;
        if written >= mb << 20 {
            break;
        }
    }
    w.flush().expect("flush");
    std::fs::rename(&partial, &path).expect("rename");
    path
}

/// Resets the kernel's peak-RSS mark (Linux `clear_refs` 5), so each phase
/// reports its own peak.
pub fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

pub fn peak_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// The yardstick: every line parsed into a `serde_json::Value`, on one
/// thread. Returns the number of objects.
pub fn value_per_line(path: &Path) -> u64 {
    let mut r = BufReader::with_capacity(1 << 20, File::open(path).expect("open"));
    let mut line = Vec::new();
    let mut n = 0;
    loop {
        line.clear();
        if r.read_until(b'\n', &mut line).expect("read") == 0 {
            break;
        }
        let v: serde_json::Value = serde_json::from_slice(&line).expect("valid JSON");
        n += u64::from(v.is_object());
    }
    n
}
