//! The engine never depends on a terminal: only the front-ends (`cli`,
//! and later `tui`) may touch terminal crates, so the engine can run
//! headless and be lifted into its own crate.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn engine_modules_do_not_import_front_ends() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for m in [
        "model", "ingest", "rules", "detect", "store", "text", "synth",
    ] {
        rust_files(&src.join(m), &mut files);
        let single = src.join(format!("{m}.rs"));
        if single.exists() {
            files.push(single);
        }
    }
    assert!(files.len() > 5);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for banned in ["crate::tui", "crate::cli", "ratatui", "crossterm", "clap"] {
            assert!(!text.contains(banned), "{} uses {banned}", f.display());
        }
    }
}
