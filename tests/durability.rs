//! A case file survives a kill at any moment: a child process saves in a
//! loop and is killed with SIGKILL after a different delay each trial;
//! every time, the file left behind loads and holds a state that was
//! saved whole, never a mix and never nothing after a first save.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use vigil::case::Store;

const LOOP_ENV: &str = "VIGIL_TEST_SAVE_LOOP";
const TRIALS: u64 = 40;
/// Note text per save, large enough that a write takes a while.
const PADDING: usize = 256 * 1024;

/// The child's side: saves forever, each state numbered.
fn save_loop(path: &Path) {
    let mut store = Store::open(path.to_path_buf(), false);
    assert!(store.read_only.is_none(), "{:?}", store.read_only);
    let start: u64 = store
        .case
        .get("counter")
        .and_then(|s| s.note.split(':').next()?.parse().ok())
        .unwrap_or(0);
    for n in start + 1.. {
        let entry = store.case.entry("counter");
        // The number is repeated at both ends: a torn write would show
        // two different numbers.
        entry.note = format!("{n}:{}:{n}", "x".repeat(PADDING));
        store.save().expect("save");
    }
}

/// (number at the start, number at the end) of the saved note.
fn numbers(path: &Path) -> Option<(u64, u64)> {
    let store = Store::open(path.to_path_buf(), true);
    assert_eq!(
        store.read_only.as_deref(),
        Some("read-only"),
        "the case did not load"
    );
    let note = &store.case.get("counter")?.note;
    let first = note.split(':').next()?.parse().ok()?;
    let last = note.rsplit(':').next()?.parse().ok()?;
    Some((first, last))
}

#[cfg(unix)]
#[test]
fn saves_killed_at_random_moments_always_leave_a_case_that_loads() {
    if let Some(path) = std::env::var_os(LOOP_ENV) {
        save_loop(Path::new(&path));
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("case.json");
    let mut highest = 0;
    // A fixed sequence of delays (a linear congruential generator), so a
    // failure can be run again as it was.
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    for trial in 0..TRIALS {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let delay = Duration::from_millis(20 + (seed >> 33) % 180);
        let mut child = Command::new(std::env::current_exe().expect("test binary"))
            .args([
                "--exact",
                "saves_killed_at_random_moments_always_leave_a_case_that_loads",
                "--test-threads=1",
            ])
            .env(LOOP_ENV, &path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("the save loop starts");
        std::thread::sleep(delay);
        // Child::kill sends SIGKILL: no handler runs, nothing is flushed.
        child.kill().expect("kill");
        child.wait().expect("reaped");
        match numbers(&path) {
            Some((first, last)) => {
                assert_eq!(first, last, "trial {trial}: a torn state");
                assert!(
                    first >= highest,
                    "trial {trial}: went back from {highest} to {first}"
                );
                highest = first;
            }
            // Killed before the first save ever finished: no state yet.
            None => assert_eq!(highest, 0, "trial {trial}: a saved state was lost"),
        }
    }
    assert!(highest > 0, "no save finished in {TRIALS} trials");
    eprintln!("{TRIALS} kills, {highest} saves reached, every file loaded whole");
}
