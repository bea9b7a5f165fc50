//! `vigil inspect`: what is in a set of log files, per file and in total.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::path::PathBuf;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::ingest::{self, FileReport, LoadError, LoadOptions};
use crate::model::{Shape, SourceKind};
use crate::text::{clip, sanitize};

#[derive(Debug, Default, Clone, Serialize)]
pub struct TimeRange {
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
}

impl TimeRange {
    fn add(&mut self, t: DateTime<Utc>) {
        self.first = Some(self.first.map_or(t, |f| f.min(t)));
        self.last = Some(self.last.map_or(t, |l| l.max(t)));
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct FileSummary {
    #[serde(flatten)]
    pub report: FileReport,
    pub time: TimeRange,
    pub kinds: BTreeMap<SourceKind, u64>,
    pub shapes: BTreeMap<Shape, u64>,
    /// Records without a readable timestamp.
    pub untimed: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct UpnCount {
    pub upn: String,
    pub events: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    pub files: usize,
    pub records: u64,
    pub errors: u64,
    pub bytes: u64,
    pub time: TimeRange,
    pub kinds: BTreeMap<SourceKind, u64>,
    pub top_upns: Vec<UpnCount>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub files: Vec<FileSummary>,
    pub totals: Totals,
}

/// What one file's records hold, gathered while they stream past.
#[derive(Default)]
struct Content {
    time: TimeRange,
    kinds: BTreeMap<SourceKind, u64>,
    shapes: BTreeMap<Shape, u64>,
    untimed: u64,
}

/// Loads the inputs and summarises them.
pub fn summarize(inputs: &[PathBuf], opts: &LoadOptions) -> Summary {
    let mapping = ingest::Mapping::builtin();
    let mut per_source: HashMap<u32, Content> = HashMap::new();
    let mut upns: HashMap<String, u64> = HashMap::new();
    let loaded = ingest::load(inputs, opts, &mut |ev| {
        let c = mapping.canonical(&ev.doc, ev.kind);
        let entry = per_source.entry(ev.loc.source).or_default();
        match c.time {
            Some(t) => entry.time.add(t),
            None => entry.untimed += 1,
        }
        *entry.kinds.entry(ev.kind).or_default() += 1;
        *entry.shapes.entry(ev.shape).or_default() += 1;
        if let Some(u) = c.upn {
            *upns.entry(u).or_default() += 1;
        }
    });
    let mut files = Vec::new();
    let mut totals = Totals {
        files: loaded.reports.len(),
        records: 0,
        errors: 0,
        bytes: 0,
        time: TimeRange::default(),
        kinds: BTreeMap::new(),
        top_upns: Vec::new(),
    };
    let by_path: HashMap<&str, u32> = loaded
        .sources
        .iter()
        .map(|s| (s.path.as_str(), s.id))
        .collect();
    for report in loaded.reports {
        let Content {
            time,
            kinds,
            shapes,
            untimed,
        } = by_path
            .get(report.path.as_str())
            .and_then(|id| per_source.remove(id))
            .unwrap_or_default();
        totals.records += report.records;
        totals.errors += report.errors;
        totals.bytes += report.bytes;
        for t in [time.first, time.last].into_iter().flatten() {
            totals.time.add(t);
        }
        for (k, n) in &kinds {
            *totals.kinds.entry(*k).or_default() += n;
        }
        files.push(FileSummary {
            report,
            time,
            kinds,
            shapes,
            untimed,
        });
    }
    let mut top: Vec<UpnCount> = upns
        .into_iter()
        .map(|(upn, events)| UpnCount { upn, events })
        .collect();
    top.sort_by(|a, b| b.events.cmp(&a.events).then_with(|| a.upn.cmp(&b.upn)));
    top.truncate(10);
    totals.top_upns = top;
    Summary { files, totals }
}

fn when(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_else(|| "-".into())
}

fn counts<K: Copy>(m: &BTreeMap<K, u64>, name: impl Fn(K) -> &'static str) -> String {
    if m.is_empty() {
        return "-".into();
    }
    m.iter()
        .map(|(k, n)| format!("{} {n}", name(*k)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn error_line(e: &LoadError) -> String {
    sanitize(&e.to_string()).into_owned()
}

/// The human-readable report. Every log-derived string is sanitised.
pub fn render_table(s: &Summary, errors_shown: usize) -> String {
    let mut out = String::new();
    for f in &s.files {
        let r = &f.report;
        let mut enc = r.encoding.name().to_string();
        if r.gzip {
            enc.push_str(", gzip");
        }
        let _ = writeln!(out, "{}", sanitize(&r.path));
        let _ = writeln!(out, "  format   {} ({enc})", r.format.name());
        let _ = writeln!(
            out,
            "  records  {}   errors {}   size {}",
            r.records,
            r.errors,
            human_bytes(r.bytes)
        );
        let _ = writeln!(
            out,
            "  time     {} .. {}",
            when(f.time.first),
            when(f.time.last)
        );
        if f.untimed > 0 {
            let _ = writeln!(
                out,
                "           ({} records without a timestamp)",
                f.untimed
            );
        }
        let _ = writeln!(out, "  kinds    {}", counts(&f.kinds, SourceKind::name));
        let _ = writeln!(out, "  shapes   {}", counts(&f.shapes, Shape::name));
        for e in r.first_errors.iter().take(errors_shown) {
            let _ = writeln!(out, "  error    {}", error_line(e));
        }
        if r.errors as usize > errors_shown.min(r.first_errors.len()) {
            let _ = writeln!(
                out,
                "           ... {} more",
                r.errors as usize - errors_shown.min(r.first_errors.len())
            );
        }
    }
    let t = &s.totals;
    let _ = writeln!(out, "total");
    let _ = writeln!(
        out,
        "  files {}   records {}   errors {}   size {}",
        t.files,
        t.records,
        t.errors,
        human_bytes(t.bytes)
    );
    let _ = writeln!(
        out,
        "  time     {} .. {}",
        when(t.time.first),
        when(t.time.last)
    );
    let _ = writeln!(out, "  kinds    {}", counts(&t.kinds, SourceKind::name));
    if !t.top_upns.is_empty() {
        let _ = writeln!(out, "  top UPNs");
        for u in &t.top_upns {
            let _ = writeln!(out, "    {:>8}  {}", u.events, clip(&u.upn, 64));
        }
    }
    out
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}
