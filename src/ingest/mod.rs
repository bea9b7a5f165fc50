//! Reading logs: every export shape an Azure analyst has, chosen by content,
//! turned into event documents with a located error for anything that cannot
//! be read. Nothing here knows about rules or the console.
//!
//! `load` streams: each record is decoded, classified and handed to the
//! caller, which keeps what it needs (canonical fields, a location) and drops
//! the document; `reparse` gives the document back from its file later.

mod csv;
pub mod decode;
pub mod doc;
pub mod error;
pub mod json;
pub mod keep;
pub mod limits;
pub mod mapping;
mod records;
mod scan;
pub mod source;
mod spelling;

use std::collections::HashMap;
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use serde::Serialize;
use serde_json::Value;

pub use decode::Encoding;
pub use doc::Column;
pub use error::{LoadError, Position, Problem};
pub use json::Frame;
pub use limits::Limits;
pub use mapping::Mapping;
pub use source::Origin;

use crate::model::{Shape, SourceKind};

/// The export format of a file, as recognised from its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    Ndjson,
    /// Pretty-printed or concatenated JSON documents.
    Json,
    JsonArray,
    AzureRecords,
    EsSearchResponse,
    GraphPage,
    LogAnalyticsJson,
    LogAnalyticsCsv,
    /// Neither JSON nor CSV; nothing was read.
    Unrecognised,
    /// The file could not be opened.
    Unreadable,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Ndjson => "ndjson",
            Format::Json => "json",
            Format::JsonArray => "json-array",
            Format::AzureRecords => "azure-records",
            Format::EsSearchResponse => "es-search-response",
            Format::GraphPage => "graph-page",
            Format::LogAnalyticsJson => "log-analytics-json",
            Format::LogAnalyticsCsv => "log-analytics-csv",
            Format::Unrecognised => "unrecognised",
            Format::Unreadable => "unreadable",
        }
    }
}

/// Where one record sits, enough to read it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordLoc {
    pub source: u32,
    /// Start of the record in the decoded text.
    pub at: Position,
    pub len: u64,
    /// 0-based ordinal of the record in its file.
    pub index: u64,
    pub frame: Frame,
}

/// One input file as loaded.
#[derive(Debug, Clone)]
pub struct SourceInfo {
    pub id: u32,
    pub path: String,
    pub origin: Origin,
    pub format: Format,
    pub encoding: Encoding,
    pub gzip: bool,
    /// Columns of each Log Analytics table (index 0 for CSV).
    pub tables: HashMap<u32, Arc<Vec<Column>>>,
}

/// What loading one file found.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub path: String,
    pub format: Format,
    pub encoding: Encoding,
    pub gzip: bool,
    /// Size on disk (0 for standard input).
    pub bytes: u64,
    /// Decoded text read.
    pub text_bytes: u64,
    pub records: u64,
    pub errors: u64,
    pub first_errors: Vec<LoadError>,
}

/// One loaded record, lent to the caller of [`load`].
pub struct Event<'a> {
    pub loc: RecordLoc,
    pub source: &'a SourceInfo,
    pub doc: Value,
    /// The record's JSON text as it stands in the file, for records that
    /// are JSON objects there (not table rows or search hits).
    pub raw: Option<&'a [u8]>,
    pub kind: SourceKind,
    pub shape: Shape,
}

#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    pub limits: Limits,
    /// Set to stop loading: the file being read ends as if truncated and
    /// the rest are skipped.
    pub cancel: Option<Arc<AtomicBool>>,
    /// Decoded bytes read so far, across files, for progress reports.
    pub progress: Option<Arc<AtomicU64>>,
    /// Only these parts of each record are parsed into its document; all
    /// of it when not given.
    pub keep: Option<Arc<keep::Parts>>,
}

impl LoadOptions {
    fn cancelled(&self) -> bool {
        self.cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
    }
}

/// Everything a load produced besides the events themselves.
pub struct Loaded {
    pub sources: Vec<SourceInfo>,
    pub reports: Vec<FileReport>,
}

struct Counting<R> {
    inner: R,
    n: Arc<AtomicU64>,
    total: Option<Arc<AtomicU64>>,
    cancel: Option<Arc<AtomicBool>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
        {
            return Ok(0);
        }
        let k = self.inner.read(buf)?;
        self.n.fetch_add(k as u64, Ordering::Relaxed);
        if let Some(t) = &self.total {
            t.fetch_add(k as u64, Ordering::Relaxed);
        }
        Ok(k)
    }
}

/// Loads every input (files, folders, `-` for standard input), calling
/// `on_event` for each record in file order.
pub fn load(inputs: &[PathBuf], opts: &LoadOptions, on_event: &mut dyn FnMut(Event<'_>)) -> Loaded {
    let (files, problems) = source::expand(inputs);
    let mut loaded = Loaded {
        sources: Vec::new(),
        reports: Vec::new(),
    };
    for (path, reason) in problems {
        loaded.reports.push(FileReport {
            path: path.clone(),
            format: Format::Unreadable,
            encoding: Encoding::Utf8,
            gzip: false,
            bytes: 0,
            text_bytes: 0,
            records: 0,
            errors: 1,
            first_errors: vec![LoadError {
                file: path,
                at: Position::default(),
                problem: Problem::Read(reason),
            }],
        });
    }
    for (path, origin) in files {
        if opts.cancelled() {
            break;
        }
        let id = loaded.sources.len() as u32;
        let (info, report) = load_one(id, path, origin, opts, on_event);
        loaded.sources.push(info);
        loaded.reports.push(report);
    }
    loaded
}

/// The latest event time in the inputs: what `now` means offline. Reads
/// everything once.
pub fn end_of_data(
    inputs: &[PathBuf],
    opts: &LoadOptions,
) -> Option<chrono::DateTime<chrono::Utc>> {
    let mapping = Mapping::builtin();
    let mut last = None;
    load(inputs, opts, &mut |ev| {
        if let Some(t) = mapping.time(&ev.doc, ev.kind) {
            last = Some(last.map_or(t, |l: chrono::DateTime<chrono::Utc>| l.max(t)));
        }
    });
    last
}

pub(super) struct FileState<'a> {
    report: FileReport,
    limits: &'a Limits,
    mapping: &'static Mapping,
    keep: Option<&'a keep::Parts>,
    index: u64,
    multiline_docs: bool,
    frames: [bool; 5],
}

impl FileState<'_> {
    fn error(&mut self, at: Position, problem: Problem) {
        self.report.errors += 1;
        if self.report.first_errors.len() < self.limits.max_errors_kept {
            self.report.first_errors.push(LoadError {
                file: self.report.path.clone(),
                at,
                problem,
            });
        }
    }
}

pub(super) fn frame_slot(f: Frame) -> usize {
    match f {
        Frame::Document => 0,
        Frame::AzureRecord => 1,
        Frame::EsHit => 2,
        Frame::GraphValue => 3,
        Frame::LaRow(_) => 4,
    }
}

fn load_one(
    id: u32,
    path: String,
    origin: Origin,
    opts: &LoadOptions,
    on_event: &mut dyn FnMut(Event<'_>),
) -> (SourceInfo, FileReport) {
    let bytes = match &origin {
        Origin::Path(p) => std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
        Origin::Spool(f) => f.metadata().map(|m| m.len()).unwrap_or(0),
    };
    let mut info = SourceInfo {
        id,
        path: path.clone(),
        origin: origin.clone(),
        format: Format::Unreadable,
        encoding: Encoding::Utf8,
        gzip: false,
        tables: HashMap::new(),
    };
    let mut st = FileState {
        report: FileReport {
            path,
            format: Format::Unreadable,
            encoding: Encoding::Utf8,
            gzip: false,
            bytes,
            text_bytes: 0,
            records: 0,
            errors: 0,
            first_errors: Vec::new(),
        },
        limits: &opts.limits,
        mapping: Mapping::builtin(),
        keep: opts.keep.as_deref(),
        index: 0,
        multiline_docs: false,
        frames: [false; 5],
    };
    let decoded = match origin.open().and_then(decode::decode) {
        Ok(d) => d,
        Err(e) => {
            st.error(Position::default(), Problem::Read(e.to_string()));
            return (info, st.report);
        }
    };
    info.encoding = decoded.encoding;
    info.gzip = decoded.gzip;
    st.report.encoding = decoded.encoding;
    st.report.gzip = decoded.gzip;
    let counter = Arc::new(AtomicU64::new(0));
    let reader = Counting {
        inner: decoded.reader,
        n: counter.clone(),
        total: opts.progress.clone(),
        cancel: opts.cancel.clone(),
    };
    let (head, reader) = match sniff(reader) {
        Ok(x) => x,
        Err(e) => {
            st.error(Position::default(), Problem::Read(e.to_string()));
            return (info, st.report);
        }
    };
    match head {
        Sniffed::Json { array } => {
            records::read_json(reader, &mut info, &mut st, on_event);
            st.report.format = json_format(&st, array);
        }
        Sniffed::Csv => {
            st.report.format = Format::LogAnalyticsCsv;
            info.format = Format::LogAnalyticsCsv;
            records::read_csv(reader, &mut info, &mut st, on_event);
        }
        Sniffed::Neither(what) => {
            st.report.format = Format::Unrecognised;
            st.error(
                Position {
                    line: 1,
                    column: 1,
                    byte: 0,
                },
                Problem::Structure(format!(
                    "not a log export this reads (neither JSON nor CSV; starts with {what})"
                )),
            );
        }
    }
    info.format = st.report.format;
    if let Ok(errs) = decoded.utf16_errors.lock() {
        for at in errs.iter() {
            st.error(
                *at,
                Problem::Encoding("unpaired UTF-16 surrogate (replaced with U+FFFD)".into()),
            );
        }
    }
    st.report.text_bytes = counter.load(Ordering::Relaxed);
    (info, st.report)
}

fn json_format(st: &FileState<'_>, array: bool) -> Format {
    let f = st.frames;
    if f[4] {
        Format::LogAnalyticsJson
    } else if f[2] {
        Format::EsSearchResponse
    } else if f[3] {
        Format::GraphPage
    } else if f[1] {
        Format::AzureRecords
    } else if array {
        Format::JsonArray
    } else if st.multiline_docs {
        Format::Json
    } else {
        Format::Ndjson
    }
}

enum Sniffed {
    Json { array: bool },
    Csv,
    Neither(String),
}

type Rest<R> = io::Chain<io::Cursor<Vec<u8>>, R>;

/// Decides between the JSON family and CSV from the first 64 KiB.
fn sniff<R: Read>(mut r: R) -> io::Result<(Sniffed, Rest<R>)> {
    let mut head = vec![0u8; 64 * 1024];
    let mut got = 0;
    while got < head.len() {
        match r.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // A truncated gzip can fail this early; let the reader report it
            // at its position.
            Err(_) => break,
        }
    }
    head.truncate(got);
    let first = head.iter().position(|b| !b.is_ascii_whitespace());
    let sniffed = match first.map(|i| head[i]) {
        None => Sniffed::Json { array: false },
        Some(b'{') => Sniffed::Json { array: false },
        Some(b'[') => Sniffed::Json { array: true },
        Some(_) => {
            let line_end = memchr::memchr(b'\n', &head).unwrap_or(head.len());
            let line = String::from_utf8_lossy(&head[..line_end]);
            let any_json_line = head.split(|b| *b == b'\n').any(|l| {
                matches!(
                    l.iter().find(|b| !b.is_ascii_whitespace()),
                    Some(b'{' | b'[')
                )
            });
            if looks_like_csv_header(&line) {
                Sniffed::Csv
            } else if any_json_line {
                Sniffed::Json { array: false }
            } else {
                let shown: String = line.chars().take(24).collect();
                Sniffed::Neither(format!("{:?}", shown))
            }
        }
    };
    Ok((sniffed, io::Cursor::new(head).chain(r)))
}

fn looks_like_csv_header(line: &str) -> bool {
    let line = line.trim_end_matches('\r');
    if !line.contains(',') || line.starts_with('{') || line.starts_with('[') {
        return false;
    }
    let fields: Vec<&str> = line.split(',').collect();
    fields.len() >= 2
        && fields.iter().all(|f| {
            let f = f.trim().trim_matches('"');
            !f.is_empty() && f.len() <= 128 && !f.contains(['{', '}', ':']) || f.ends_with(']')
        })
}

/// Reads one record again from its file, for drill-down.
pub fn reparse(info: &SourceInfo, loc: &RecordLoc, limits: &Limits) -> Result<Value, String> {
    let decoded = info
        .origin
        .open()
        .and_then(decode::decode)
        .map_err(|e| format!("{}: {e}", info.path))?;
    let mut r = decoded.reader;
    io::copy(&mut (&mut r).take(loc.at.byte), &mut io::sink()).map_err(|e| e.to_string())?;
    let mut bytes = Vec::with_capacity(loc.len as usize);
    (&mut r)
        .take(loc.len)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    let mapping = Mapping::builtin();
    let columns = match loc.frame {
        Frame::LaRow(t) => info.tables.get(&t).cloned(),
        _ => None,
    };
    if info.format == Format::LogAnalyticsCsv {
        let cols = columns.ok_or("CSV header was not read")?;
        let mut out = None;
        csv::read(&bytes[..], limits, &mut |item| {
            if let csv::CsvItem::Header(row) = item {
                out = Some(row.fields);
            }
        });
        let fields = out.ok_or("record not found")?;
        let mut m = doc::csv_row_to_doc(&cols, fields);
        doc::expand_json_text(&mut m, &mapping.json_fields, limits);
        return Ok(Value::Object(m));
    }
    let d = doc::decode_record(
        loc.frame,
        loc.at,
        &bytes,
        columns.as_deref().map(Vec::as_slice),
        &mapping.json_fields,
        limits,
        None,
    );
    d.doc
        .map(Value::Object)
        .map_err(|(at, p)| format!("{}:{at}: {p}", info.path))
}
