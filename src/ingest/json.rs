//! Frames JSON input into records. One reader covers every JSON export shape
//! because they differ only in where the records sit:
//!
//! * NDJSON, concatenated or pretty-printed documents: each top-level object;
//! * a JSON array: each element;
//! * Azure Monitor `{"records":[...]}` (also one such object per line);
//! * an Elasticsearch search response: `hits.hits[]`;
//! * a Microsoft Graph page: `value[]` beside `@odata.context`;
//! * the Log Analytics query API: `tables[].rows[]`, with `tables[].columns`.
//!
//! The container is recognised from the keys as they stream past, so a
//! 2 GB `{"records":[...]}` never has to fit in memory: only one record at a
//! time is held, bounded by [`Limits::max_record_bytes`].

use std::io::Read;

use super::error::{Position, Problem};
use super::limits::Limits;
use super::scan::{Input, Scan, ScanError};

/// How a record was framed in its file, which decides how its bytes become
/// an event document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame {
    Document,
    AzureRecord,
    EsHit,
    GraphValue,
    LaRow(u32),
}

impl Frame {
    pub fn container(self) -> &'static str {
        match self {
            Frame::Document => "document",
            Frame::AzureRecord => "azure-records",
            Frame::EsHit => "es-search-response",
            Frame::GraphValue => "graph-page",
            Frame::LaRow(_) => "log-analytics-json",
        }
    }
}

/// One framed record; its bytes are lent for the duration of the call.
pub struct Chunk<'a> {
    pub frame: Frame,
    pub at: Position,
    pub bytes: &'a [u8],
}

pub enum Item<'a> {
    Record(Chunk<'a>),
    /// A Log Analytics table's columns (raw JSON of the `columns` array).
    Table {
        index: u32,
        name: String,
        columns: &'a [u8],
        at: Position,
    },
    Error(ScanError),
}

struct Framer<'s, R> {
    input: Input<R>,
    sink: &'s mut dyn FnMut(Item<'_>),
    tables: u32,
    in_container: bool,
    key: Vec<u8>,
    /// The keys that make an object a container of records rather than
    /// one; an object whose text holds none of them is a record.
    container_keys: [memchr::memmem::Finder<'static>; 4],
}

/// Reads every record of a JSON-family stream, handing records, table
/// headers and located errors to `sink` in file order.
pub fn read<R: Read>(
    r: R,
    limits: &Limits,
    sink: &mut dyn FnMut(Item<'_>),
) -> Option<std::io::Error> {
    let mut f = Framer {
        input: Input::new(r, limits.max_record_bytes, limits.max_depth),
        sink,
        tables: 0,
        in_container: false,
        key: Vec::new(),
        container_keys: [
            memchr::memmem::Finder::new(b"\"records\""),
            memchr::memmem::Finder::new(b"\"tables\""),
            memchr::memmem::Finder::new(b"\"hits\""),
            memchr::memmem::Finder::new(b"\"@odata."),
        ],
    };
    let mut recovering = false;
    loop {
        f.input.skip_ws();
        match f.input.peek() {
            None => break,
            // After a broken container, its leftover separators and closers
            // are noise, not new errors.
            Some(b',' | b']' | b'}') if recovering => {
                f.input.bump();
                continue;
            }
            Some(_) => {}
        }
        f.input.start_capture();
        if let Err(e) = f.top_value() {
            if let Some(read) = f.input.read_error.take() {
                let at = f.input.position();
                (f.sink)(Item::Error(ScanError {
                    at,
                    problem: Problem::Read(read.to_string()),
                }));
                return Some(read);
            }
            recovering |= f.in_container;
            f.in_container = false;
            (f.sink)(Item::Error(blame_record_start(e, f.input.capture_start())));
            f.input.resync();
        }
    }
    f.input.read_error.take().inspect(|e| {
        let at = f.input.position();
        (f.sink)(Item::Error(ScanError {
            at,
            problem: Problem::Read(e.to_string()),
        }));
    })
}

/// A record that breaks on a later line than it starts (an NDJSON line cut
/// short, whose object swallowed the next lines) is reported at its start,
/// the line that is lost, with where parsing gave up in the message.
fn blame_record_start(e: ScanError, start: Position) -> ScanError {
    match e.problem {
        Problem::Syntax(msg) if e.at.line > start.line => ScanError {
            at: start,
            problem: Problem::Syntax(format!(
                "record starting here is incomplete: {msg} at {}:{}",
                e.at.line, e.at.column
            )),
        },
        problem => ScanError { at: e.at, problem },
    }
}

impl<R: Read> Framer<'_, R> {
    fn emit_capture(&mut self, frame: Frame) {
        let at = self.input.capture_start();
        let limit = self.input.limit();
        match self.input.take_capture() {
            Some(bytes) => (self.sink)(Item::Record(Chunk { frame, at, bytes })),
            None => (self.sink)(Item::Error(ScanError {
                at,
                problem: Problem::TooLarge(limit),
            })),
        }
    }

    fn not_an_object(&mut self, depth: usize) -> Scan<()> {
        let at = self.input.capture_start();
        let what = match self.input.peek() {
            Some(b'[') => "an array",
            Some(b'"') => "a string",
            Some(b'n') => "null",
            Some(b't' | b'f') => "a boolean",
            _ => "a number",
        };
        self.input.value(depth)?;
        self.input.stop_capture();
        (self.sink)(Item::Error(ScanError {
            at,
            problem: Problem::NotAnObject(what),
        }));
        Ok(())
    }

    /// A top-level value: a record, a container of records, or an array of
    /// either. The capture was started by the caller.
    fn top_value(&mut self) -> Scan<()> {
        match self.input.peek() {
            Some(b'{') => self.object_or_container(),
            Some(b'[') => {
                self.input.stop_capture();
                self.input.bump();
                self.input.skip_ws();
                if self.input.peek() == Some(b']') {
                    self.input.bump();
                    return Ok(());
                }
                self.in_container = true;
                loop {
                    self.input.skip_ws();
                    self.input.start_capture();
                    if self.input.peek() == Some(b'{') {
                        self.object_or_container()?;
                    } else {
                        self.not_an_object(1)?;
                    }
                    if self.input.end_of_member(b']', "array element")? {
                        break;
                    }
                }
                self.in_container = false;
                Ok(())
            }
            _ => self.not_an_object(0),
        }
    }

    fn object_or_container(&mut self) -> Scan<()> {
        // Most records are one line each: skipped by brackets and strings
        // alone, their grammar checked once, by the parse that reads them.
        if self.input.skip_object_without(&self.container_keys) {
            self.emit_capture(Frame::Document);
            return Ok(());
        }
        self.input.bump();
        self.input.skip_ws();
        let mut container = false;
        let mut odata = false;
        if self.input.peek() != Some(b'}') {
            loop {
                let mut key = std::mem::take(&mut self.key);
                self.input.key(&mut key)?;
                let next = self.input.peek();
                let done = match (key.as_slice(), next) {
                    (b"records", Some(b'[')) if !container => {
                        container = true;
                        self.elements(Frame::AzureRecord)?;
                        true
                    }
                    (b"value", Some(b'[')) if odata && !container => {
                        container = true;
                        self.elements(Frame::GraphValue)?;
                        true
                    }
                    (b"tables", Some(b'[')) if !container => {
                        container = true;
                        self.tables()?;
                        true
                    }
                    (b"hits", Some(b'{')) if !container => {
                        container = self.es_hits()?;
                        true
                    }
                    _ => false,
                };
                if !done {
                    odata |= key.starts_with(b"@odata.");
                    self.input.value(1)?;
                }
                self.key = key;
                if self.input.end_of_member(b'}', "object member")? {
                    break;
                }
            }
        } else {
            self.input.bump();
        }
        if container {
            self.input.stop_capture();
        } else {
            self.emit_capture(Frame::Document);
        }
        Ok(())
    }

    /// Streams the elements of an array of records, one capture each.
    fn elements(&mut self, frame: Frame) -> Scan<()> {
        let outer = self.in_container;
        self.in_container = true;
        self.input.stop_capture();
        self.input.bump();
        self.input.skip_ws();
        if self.input.peek() == Some(b']') {
            self.input.bump();
        } else {
            loop {
                self.input.skip_ws();
                self.input.start_capture();
                let row = matches!(frame, Frame::LaRow(_));
                let open = if row { b'[' } else { b'{' };
                if self.input.peek() == Some(open) {
                    self.input.value(2)?;
                    self.emit_capture(frame);
                } else {
                    self.not_an_object(2)?;
                }
                if self.input.end_of_member(b']', "array element")? {
                    break;
                }
            }
        }
        self.in_container = outer;
        Ok(())
    }

    /// Inside `"hits": {...}`: streams `hits.hits[]` when present. Returns
    /// whether it was an Elasticsearch response after all.
    fn es_hits(&mut self) -> Scan<bool> {
        self.input.bump();
        self.input.skip_ws();
        let mut found = false;
        if self.input.peek() == Some(b'}') {
            self.input.bump();
            return Ok(false);
        }
        let mut key = Vec::new();
        loop {
            self.input.key(&mut key)?;
            if key == b"hits" && self.input.peek() == Some(b'[') && !found {
                found = true;
                self.elements(Frame::EsHit)?;
            } else {
                self.input.value(2)?;
            }
            if self.input.end_of_member(b'}', "object member")? {
                return Ok(found);
            }
        }
    }

    /// Inside `"tables": [...]`: each table's name, columns, then rows.
    fn tables(&mut self) -> Scan<()> {
        self.in_container = true;
        self.input.stop_capture();
        self.input.bump();
        self.input.skip_ws();
        if self.input.peek() == Some(b']') {
            self.input.bump();
            return Ok(());
        }
        let mut key = Vec::new();
        loop {
            self.input.skip_ws();
            let index = self.tables;
            self.tables += 1;
            let at = self.input.position();
            if self.input.peek() != Some(b'{') {
                self.input.start_capture();
                self.not_an_object(2)?;
            } else {
                self.input.bump();
                self.input.skip_ws();
                let mut name = String::new();
                if self.input.peek() == Some(b'}') {
                    self.input.bump();
                } else {
                    loop {
                        self.input.key(&mut key)?;
                        match (key.as_slice(), self.input.peek()) {
                            (b"name" | b"TableName", Some(b'"')) => {
                                let mut raw = Vec::new();
                                self.input.string(Some(&mut raw))?;
                                name = String::from_utf8_lossy(&raw).into_owned();
                            }
                            (b"columns" | b"Columns", Some(b'[')) => {
                                self.input.start_capture();
                                self.input.value(3)?;
                                let limit = self.input.limit();
                                match self.input.take_capture() {
                                    Some(columns) => (self.sink)(Item::Table {
                                        index,
                                        name: name.clone(),
                                        columns,
                                        at,
                                    }),
                                    None => (self.sink)(Item::Error(ScanError {
                                        at,
                                        problem: Problem::TooLarge(limit),
                                    })),
                                }
                            }
                            (b"rows" | b"Rows", Some(b'[')) => {
                                self.elements(Frame::LaRow(index))?;
                                self.in_container = true;
                            }
                            _ => self.input.value(3)?,
                        }
                        if self.input.end_of_member(b'}', "object member")? {
                            break;
                        }
                    }
                }
            }
            if self.input.end_of_member(b']', "array element")? {
                break;
            }
        }
        self.in_container = false;
        Ok(())
    }
}
