//! A streaming JSON scanner that finds where each value starts and ends
//! without building it. It checks the grammar as it goes, so that a broken
//! record is caught where it breaks (and not ten thousand lines later), it
//! bounds nesting and record size, and it can copy ("capture") the bytes of
//! the value being read so that only those bytes are handed to a parser.

use std::io::{self, Read};

use super::error::{Position, Problem};

#[derive(Debug)]
pub struct ScanError {
    pub at: Position,
    pub problem: Problem,
}

pub type Scan<T> = Result<T, ScanError>;

const CHUNK: usize = 256 * 1024;

struct Capture {
    active: bool,
    overflow: bool,
    start: Position,
    bytes: Vec<u8>,
}

pub struct Input<R> {
    r: R,
    buf: Vec<u8>,
    pos: usize,
    eof: bool,
    pub read_error: Option<io::Error>,
    byte: u64,
    line: u64,
    line_start: u64,
    capture: Capture,
    limit: usize,
    max_depth: usize,
}

fn describe(b: Option<u8>) -> String {
    match b {
        None => "end of input".to_string(),
        Some(b) if b.is_ascii_graphic() => format!("'{}'", b as char),
        Some(b'\n') => "a line break".to_string(),
        Some(b) => format!("byte 0x{b:02x}"),
    }
}

impl<R: Read> Input<R> {
    pub fn new(r: R, limit: usize, max_depth: usize) -> Self {
        Input {
            r,
            buf: Vec::with_capacity(CHUNK),
            pos: 0,
            eof: false,
            read_error: None,
            byte: 0,
            line: 1,
            line_start: 0,
            capture: Capture {
                active: false,
                overflow: false,
                start: Position::default(),
                bytes: Vec::new(),
            },
            limit,
            max_depth,
        }
    }

    pub fn position(&self) -> Position {
        Position {
            line: self.line,
            column: self.byte - self.line_start + 1,
            byte: self.byte,
        }
    }

    #[inline]
    fn fill(&mut self) -> bool {
        self.pos < self.buf.len() || self.refill()
    }

    #[cold]
    fn refill(&mut self) -> bool {
        if self.eof {
            return false;
        }
        self.buf.clear();
        self.buf.resize(CHUNK, 0);
        self.pos = 0;
        loop {
            match self.r.read(&mut self.buf) {
                Ok(n) => {
                    self.buf.truncate(n);
                    if n == 0 {
                        self.eof = true;
                    }
                    return n > 0;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.buf.clear();
                    self.read_error = Some(e);
                    self.eof = true;
                    return false;
                }
            }
        }
    }

    #[inline]
    pub fn peek(&mut self) -> Option<u8> {
        if self.fill() {
            Some(self.buf[self.pos])
        } else {
            None
        }
    }

    /// Consumes `n` bytes of the current buffer, feeding the capture.
    #[inline]
    fn advance(&mut self, n: usize) {
        if self.capture.active && !self.capture.overflow {
            if self.capture.bytes.len() + n > self.limit {
                self.capture.overflow = true;
                self.capture.bytes = Vec::new();
            } else {
                self.capture
                    .bytes
                    .extend_from_slice(&self.buf[self.pos..self.pos + n]);
            }
        }
        self.pos += n;
        self.byte += n as u64;
    }

    fn err<T>(&self, problem: Problem) -> Scan<T> {
        Err(ScanError {
            at: self.position(),
            problem,
        })
    }

    fn expected<T>(&mut self, what: &str) -> Scan<T> {
        let found = self.peek();
        self.err(Problem::Syntax(format!(
            "expected {what}, found {}",
            describe(found)
        )))
    }

    pub fn start_capture(&mut self) {
        self.capture.active = true;
        self.capture.overflow = false;
        self.capture.start = self.position();
        self.capture.bytes.clear();
    }

    pub fn stop_capture(&mut self) {
        self.capture.active = false;
        self.capture.overflow = false;
        self.capture.bytes.clear();
    }

    pub fn capture_start(&self) -> Position {
        self.capture.start
    }

    /// Ends the capture and lends its bytes, or `None` when the value
    /// outgrew the record limit. The buffer is reused by the next capture,
    /// so reading a record costs no allocation once the buffer has grown.
    pub fn take_capture(&mut self) -> Option<&[u8]> {
        self.capture.active = false;
        if self.capture.overflow {
            self.capture.overflow = false;
            None
        } else {
            Some(&self.capture.bytes)
        }
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    pub fn skip_ws(&mut self) {
        while self.fill() {
            let rest = &self.buf[self.pos..];
            let mut n = 0;
            let mut last_nl = None;
            for &b in rest {
                match b {
                    b' ' | b'\t' | b'\r' => {}
                    b'\n' => last_nl = Some(n),
                    _ => break,
                }
                n += 1;
            }
            if let Some(nl) = last_nl {
                let nls = memchr::memchr_iter(b'\n', &rest[..n]).count() as u64;
                self.line += nls;
                self.line_start = self.byte + nl as u64 + 1;
            }
            self.advance(n);
            if self.pos < self.buf.len() {
                return;
            }
        }
    }

    /// Skips to just after the next line break (or the end of input).
    pub fn skip_line(&mut self) {
        let was = self.capture.active;
        self.capture.active = false;
        while self.fill() {
            let rest = &self.buf[self.pos..];
            if let Some(i) = memchr::memchr(b'\n', rest) {
                self.advance(i + 1);
                self.line += 1;
                self.line_start = self.byte;
                break;
            }
            let n = rest.len();
            self.advance(n);
        }
        self.capture.active = was;
    }

    /// After a broken record, resumes reading at the line after the one the
    /// record started on, so one bad NDJSON line costs only that line.
    pub fn resync(&mut self) {
        let start = self.capture.start;
        let captured = self.capture.active && !self.capture.overflow;
        let bytes = std::mem::take(&mut self.capture.bytes);
        self.stop_capture();
        if captured {
            if let Some(nl) = memchr::memchr(b'\n', &bytes) {
                let tail = &bytes[nl + 1..];
                let mut buf = Vec::with_capacity(tail.len() + self.buf.len() - self.pos);
                buf.extend_from_slice(tail);
                buf.extend_from_slice(&self.buf[self.pos..]);
                self.buf = buf;
                self.pos = 0;
                self.byte = start.byte + nl as u64 + 1;
                self.line = start.line + 1;
                self.line_start = self.byte;
                return;
            }
        }
        if self.position().column > 1 || self.peek() != Some(b'\n') {
            self.skip_line();
        }
    }

    pub fn expect(&mut self, b: u8, what: &str) -> Scan<()> {
        if self.peek() == Some(b) {
            self.advance(1);
            Ok(())
        } else {
            self.expected(what)
        }
    }

    /// Reads one string; when `side` is given, its raw bytes (escapes left as
    /// written) are also copied there, up to 1 KiB.
    pub fn string(&mut self, mut side: Option<&mut Vec<u8>>) -> Scan<()> {
        self.expect(b'"', "'\"'")?;
        loop {
            if !self.fill() {
                return self.err(Problem::Syntax("unterminated string".into()));
            }
            let rest = &self.buf[self.pos..];
            match memchr::memchr3(b'"', b'\\', b'\n', rest) {
                Some(i) => {
                    let b = rest[i];
                    if let Some(s) = side.as_deref_mut() {
                        if s.len() + i <= 1024 {
                            s.extend_from_slice(&rest[..i]);
                        }
                    }
                    self.advance(i);
                    match b {
                        b'"' => {
                            self.advance(1);
                            return Ok(());
                        }
                        b'\\' => {
                            self.advance(1);
                            match self.peek() {
                                Some(b'\n') | None => {
                                    return self.err(Problem::Syntax("unterminated string".into()));
                                }
                                Some(e) => {
                                    if let Some(s) = side.as_deref_mut() {
                                        s.extend_from_slice(&[b'\\', e]);
                                    }
                                    self.advance(1);
                                }
                            }
                        }
                        _ => {
                            return self.err(Problem::Syntax(
                                "line break inside a string (unterminated string?)".into(),
                            ));
                        }
                    }
                }
                None => {
                    let n = rest.len();
                    if let Some(s) = side.as_deref_mut() {
                        if s.len() + n <= 1024 {
                            s.extend_from_slice(rest);
                        }
                    }
                    self.advance(n);
                }
            }
        }
    }

    /// Consumes a run of bytes that `accept` allows, keeping the first
    /// eight in `out`; returns the run's length.
    fn scalar_run(&mut self, accept: fn(u8) -> bool, out: &mut [u8; 8]) -> usize {
        let mut len = 0;
        while self.fill() {
            let rest = &self.buf[self.pos..];
            let n = rest.iter().position(|&b| !accept(b)).unwrap_or(rest.len());
            for (i, &b) in rest[..n].iter().enumerate() {
                if len + i < out.len() {
                    out[len + i] = b;
                } else {
                    break;
                }
            }
            len += n;
            self.advance(n);
            if self.pos < self.buf.len() {
                break;
            }
        }
        len
    }

    /// Reads any JSON value, checking its grammar and nesting depth.
    pub fn value(&mut self, depth: usize) -> Scan<()> {
        if depth > self.max_depth {
            return self.err(Problem::TooDeep(self.max_depth));
        }
        match self.peek() {
            Some(b'{' | b'[') if self.skip_structure(depth) => Ok(()),
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string(None),
            Some(b'-' | b'0'..=b'9') => {
                let mut tmp = [0u8; 8];
                self.scalar_run(
                    |b| matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'),
                    &mut tmp,
                );
                Ok(())
            }
            Some(b't' | b'f' | b'n') => {
                let at = self.position();
                let mut word = [0u8; 8];
                let len = self.scalar_run(|b| b.is_ascii_alphanumeric(), &mut word);
                match &word[..len.min(8)] {
                    b"true" | b"false" | b"null" if len <= 5 => Ok(()),
                    _ => Err(ScanError {
                        at,
                        problem: Problem::Syntax("expected a value (unknown literal)".into()),
                    }),
                }
            }
            _ => self.expected("a value"),
        }
    }

    /// Skips a whole object or array that the buffer holds on one line,
    /// following only brackets and strings: the record's parse checks the
    /// rest of the grammar, and reports what it finds where it is. Anything
    /// else (a line break, a bracket that does not match, nesting past the
    /// limit or past what is tracked here, the end of the buffer) is left,
    /// unconsumed, to the token-by-token path.
    fn skip_structure(&mut self, depth: usize) -> bool {
        match self.structure_len(depth) {
            Some(n) => {
                self.advance(n);
                true
            }
            None => false,
        }
    }

    /// Skips an object held on one line of the buffer when none of
    /// `needles` occurs in its text, which proves that none of them is one
    /// of its keys; otherwise consumes nothing.
    pub fn skip_object_without(&mut self, needles: &[memchr::memmem::Finder<'_>]) -> bool {
        if self.peek() != Some(b'{') {
            return false;
        }
        let Some(n) = self.structure_len(0) else {
            return false;
        };
        let text = &self.buf[self.pos..self.pos + n];
        if needles.iter().any(|f| f.find(text).is_some()) {
            return false;
        }
        self.advance(n);
        true
    }

    /// The length of the object or array at the cursor when the buffer
    /// holds all of it on one line; see [`Input::skip_structure`].
    fn structure_len(&self, depth: usize) -> Option<usize> {
        let rest = &self.buf[self.pos..];
        // One bit per open bracket: 1 for an object.
        let mut stack: u64 = 0;
        let mut nest = 0usize;
        let mut i = 0;
        while i < rest.len() {
            match rest[i] {
                b'"' => {
                    i += 1;
                    loop {
                        let k = memchr::memchr3(b'"', b'\\', b'\n', &rest[i..])?;
                        i += k;
                        match rest[i] {
                            b'"' => break,
                            b'\\' if rest.get(i + 1).is_some_and(|&e| e != b'\n') => i += 2,
                            _ => return None,
                        }
                    }
                }
                b @ (b'{' | b'[') => {
                    if nest >= 64 || depth + nest > self.max_depth {
                        return None;
                    }
                    stack = (stack << 1) | u64::from(b == b'{');
                    nest += 1;
                }
                b @ (b'}' | b']') => {
                    if nest == 0 || (stack & 1 == 1) != (b == b'}') {
                        return None;
                    }
                    stack >>= 1;
                    nest -= 1;
                    if nest == 0 {
                        return Some(i + 1);
                    }
                }
                b'\n' => return None,
                _ => {}
            }
            i += 1;
        }
        None
    }

    fn object(&mut self, depth: usize) -> Scan<()> {
        self.advance(1);
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.advance(1);
            return Ok(());
        }
        loop {
            self.member_key()?;
            self.value(depth + 1)?;
            if self.end_of_member(b'}', "object member")? {
                return Ok(());
            }
        }
    }

    fn array(&mut self, depth: usize) -> Scan<()> {
        self.advance(1);
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.advance(1);
            return Ok(());
        }
        loop {
            self.skip_ws();
            self.value(depth + 1)?;
            if self.end_of_member(b']', "array element")? {
                return Ok(());
            }
        }
    }

    /// Reads `"key" :` and the whitespace after it, returning nothing; see
    /// [`Input::key`] for when the key's text matters.
    pub fn member_key(&mut self) -> Scan<()> {
        self.skip_ws();
        if self.peek() != Some(b'"') {
            return self.expected("a string key");
        }
        self.string(None)?;
        self.skip_ws();
        self.expect(b':', "':' after an object key")?;
        self.skip_ws();
        Ok(())
    }

    /// Like [`Input::member_key`] but returns the key's raw text.
    pub fn key(&mut self, out: &mut Vec<u8>) -> Scan<()> {
        out.clear();
        self.skip_ws();
        if self.peek() != Some(b'"') {
            return self.expected("a string key");
        }
        self.string(Some(out))?;
        self.skip_ws();
        self.expect(b':', "':' after an object key")?;
        self.skip_ws();
        Ok(())
    }

    /// After a member or element: `,` (returns false) or the closer (true).
    pub fn end_of_member(&mut self, close: u8, what: &str) -> Scan<bool> {
        self.skip_ws();
        match self.peek() {
            Some(b',') => {
                self.advance(1);
                self.skip_ws();
                Ok(false)
            }
            Some(b) if b == close => {
                self.advance(1);
                Ok(true)
            }
            _ => self.expected(&format!("',' or '{}' after {what}", close as char)),
        }
    }

    /// Consumes one byte the caller has already peeked at.
    pub fn bump(&mut self) {
        if self.fill() {
            self.advance(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan_one(s: &str) -> Scan<()> {
        let mut i = Input::new(s.as_bytes(), 1 << 20, 8);
        i.skip_ws();
        i.value(0)
    }

    #[test]
    fn accepts_valid_json() {
        for s in [
            r#"{"a":[1,2,{"b":"x\"y"}],"c":null,"d":true,"e":-1.5e3}"#,
            "[]",
            "{}",
            r#""\u00e9""#,
        ] {
            assert!(scan_one(s).is_ok(), "{s}");
        }
    }

    #[test]
    fn reports_where_an_object_breaks() {
        let e = scan_one("{\"a\": 1\n{\"b\": 2}").unwrap_err();
        assert_eq!((e.at.line, e.at.column), (2, 1));
        assert!(
            e.problem.to_string().contains("expected ',' or '}'"),
            "{}",
            e.problem
        );
    }

    #[test]
    fn bounds_depth() {
        let deep = "[".repeat(20) + &"]".repeat(20);
        let e = scan_one(&deep).unwrap_err();
        assert_eq!(e.problem, Problem::TooDeep(8));
    }

    #[test]
    fn rejects_line_break_in_string() {
        let e = scan_one("{\"a\": \"abc\n\"}").unwrap_err();
        assert_eq!(e.at.line, 1);
        assert_eq!(e.at.column, 11);
    }

    #[test]
    fn capture_copies_value_bytes() {
        let mut i = Input::new(&b"  {\"a\": [1, 2]}  "[..], 1 << 20, 8);
        i.skip_ws();
        i.start_capture();
        i.value(0).unwrap();
        assert_eq!(i.take_capture().unwrap(), b"{\"a\": [1, 2]}".as_slice());
    }

    #[test]
    fn capture_overflow_is_reported_as_none() {
        let mut i = Input::new(&b"[1,2,3,4,5,6,7,8,9]"[..], 4, 8);
        i.start_capture();
        i.value(0).unwrap();
        assert!(i.take_capture().is_none());
    }
}
