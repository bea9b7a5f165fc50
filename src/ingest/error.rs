//! Located load problems. A problem with one record never stops a load: it is
//! recorded here, counted per file, and reading carries on with the next record.

use std::fmt;

/// Where in a decoded input a problem or a record sits.
///
/// `line` and `column` are 1-based and count UTF-8 bytes of the decoded text
/// (after gzip, BOM and UTF-16 handling), which is what an analyst sees when
/// opening the file in an editor. `byte` is the 0-based offset in that text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Position {
    pub line: u64,
    pub column: u64,
    pub byte: u64,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// What went wrong, in words an analyst can act on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    /// The text is not valid JSON at this point.
    Syntax(String),
    /// Valid JSON, but not an object where a log record was expected.
    NotAnObject(&'static str),
    /// Nesting went past the configured bound.
    TooDeep(usize),
    /// One record is larger than the configured bound.
    TooLarge(usize),
    /// Bytes that are not valid in the detected encoding; the record was kept
    /// with U+FFFD in their place.
    Encoding(String),
    /// A CSV row whose field count does not match the header.
    Ragged { fields: usize, header: usize },
    /// A table or row that cannot be interpreted (missing columns, wrong types).
    Structure(String),
    /// The underlying stream failed (truncated gzip, read error); nothing after
    /// this point of the file could be read.
    Read(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Syntax(s) => write!(f, "invalid JSON: {s}"),
            Problem::NotAnObject(what) => write!(f, "record is {what}, not a JSON object"),
            Problem::TooDeep(limit) => write!(f, "nesting deeper than {limit} levels"),
            Problem::TooLarge(limit) => write!(f, "record larger than {limit} bytes"),
            Problem::Encoding(s) => write!(f, "{s}"),
            Problem::Ragged { fields, header } => {
                write!(f, "row has {fields} fields but the header has {header}")
            }
            Problem::Structure(s) => write!(f, "{s}"),
            Problem::Read(s) => write!(f, "read failed: {s}"),
        }
    }
}

impl Problem {
    /// Whether the record this problem belongs to was still loaded (repaired).
    pub fn record_kept(&self) -> bool {
        matches!(self, Problem::Encoding(_))
    }
}

/// One located problem in one input.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LoadError {
    pub file: String,
    pub at: Position,
    pub problem: Problem,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{} (byte {}): {}",
            self.file, self.at.line, self.at.column, self.at.byte, self.problem
        )
    }
}
