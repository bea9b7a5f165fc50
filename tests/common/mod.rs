#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::Value;
use vigil::ingest::{self, FileReport, LoadOptions, RecordLoc, SourceInfo};
use vigil::model::{Canonical, Shape, SourceKind};

pub struct Rec {
    pub loc: RecordLoc,
    pub doc: Value,
    pub kind: SourceKind,
    pub shape: Shape,
    pub canon: Canonical,
}

pub struct Load {
    pub records: Vec<Rec>,
    pub sources: Vec<SourceInfo>,
    pub reports: Vec<FileReport>,
}

pub fn load_with(paths: &[PathBuf], opts: &LoadOptions) -> Load {
    let mapping = ingest::Mapping::builtin();
    let mut records = Vec::new();
    let loaded = ingest::load(paths, opts, &mut |ev| {
        let canon = mapping.canonical(&ev.doc, ev.kind);
        records.push(Rec {
            loc: ev.loc,
            doc: ev.doc,
            kind: ev.kind,
            shape: ev.shape,
            canon,
        });
    });
    Load {
        records,
        sources: loaded.sources,
        reports: loaded.reports,
    }
}

pub fn load(path: impl AsRef<Path>) -> Load {
    load_with(&[path.as_ref().to_path_buf()], &LoadOptions::default())
}

pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

/// The shared corpus beside the repository, when present.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(rel);
    if p.exists() {
        Some(p)
    } else {
        println!(
            "skipped: {} is not present (the shared corpus lives beside the repository)",
            p.display()
        );
        None
    }
}

pub fn lookup(doc: &Value, kind: SourceKind, name: &str) -> Vec<Value> {
    ingest::Mapping::builtin()
        .lookup(doc, kind, name)
        .into_iter()
        .map(|v| v.into_owned())
        .collect()
}
