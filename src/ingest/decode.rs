//! Turns the bytes of a file into UTF-8 text: gzip is undone and byte-order
//! marks are honoured, all decided by content rather than by file name.

use std::io::{self, Chain, Cursor, Read};
use std::sync::{Arc, Mutex};

use super::error::Position;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    Utf8,
    Utf8Bom,
    Utf16Le,
    Utf16Be,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Utf8Bom => "utf-8-bom",
            Encoding::Utf16Le => "utf-16le",
            Encoding::Utf16Be => "utf-16be",
        }
    }
}

/// A decoded stream plus what was learnt about the original bytes.
pub struct Decoded {
    pub reader: Box<dyn Read + Send>,
    pub gzip: bool,
    pub encoding: Encoding,
    /// Places where UTF-16 input held unpaired surrogates (replaced by U+FFFD).
    pub utf16_errors: Arc<Mutex<Vec<Position>>>,
}

type Peeked<R> = Chain<Cursor<Vec<u8>>, R>;

/// Reads up to `n` bytes without losing them: they are chained back in front.
fn peek<R: Read>(mut r: R, n: usize) -> io::Result<(Vec<u8>, Peeked<R>)> {
    let mut head = vec![0u8; n];
    let mut got = 0;
    while got < n {
        match r.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    head.truncate(got);
    Ok((head.clone(), Cursor::new(head).chain(r)))
}

/// Wraps a raw byte stream so that reading it yields UTF-8 text.
pub fn decode(raw: Box<dyn Read + Send>) -> io::Result<Decoded> {
    let (magic, r) = peek(raw, 2)?;
    let gzip = magic == [0x1f, 0x8b];
    let r: Box<dyn Read + Send> = if gzip {
        Box::new(flate2::read::MultiGzDecoder::new(
            io::BufReader::with_capacity(256 * 1024, r),
        ))
    } else {
        Box::new(r)
    };
    let (head, mut r) = peek(r, 4)?;
    let encoding = sniff_encoding(&head);
    let errors = Arc::new(Mutex::new(Vec::new()));
    let reader: Box<dyn Read + Send> = match encoding {
        Encoding::Utf8 => Box::new(r),
        Encoding::Utf8Bom => {
            let mut bom = [0u8; 3];
            r.read_exact(&mut bom)?;
            Box::new(r)
        }
        Encoding::Utf16Le | Encoding::Utf16Be => {
            let has_bom = matches!(head.get(..2), Some([0xff, 0xfe] | [0xfe, 0xff]));
            if has_bom {
                let mut bom = [0u8; 2];
                r.read_exact(&mut bom)?;
            }
            Box::new(Utf16Reader::new(
                r,
                encoding == Encoding::Utf16Be,
                errors.clone(),
            ))
        }
    };
    Ok(Decoded {
        reader,
        gzip,
        encoding,
        utf16_errors: errors,
    })
}

fn sniff_encoding(head: &[u8]) -> Encoding {
    match head {
        [0xef, 0xbb, 0xbf, ..] => Encoding::Utf8Bom,
        [0xff, 0xfe, ..] => Encoding::Utf16Le,
        [0xfe, 0xff, ..] => Encoding::Utf16Be,
        // Windows tools sometimes drop the BOM; ASCII text in UTF-16 still
        // shows itself by a zero in every other byte.
        [a, 0, b, 0] if *a != 0 && *b != 0 => Encoding::Utf16Le,
        [0, a, 0, b] if *a != 0 && *b != 0 => Encoding::Utf16Be,
        _ => Encoding::Utf8,
    }
}

/// Streaming UTF-16 to UTF-8 transcoder. Unpaired surrogates become U+FFFD
/// and their decoded position is recorded, so the record stays loadable.
struct Utf16Reader<R> {
    inner: R,
    big_endian: bool,
    raw: Vec<u8>,
    out: Vec<u8>,
    out_pos: usize,
    pending_high: Option<u16>,
    eof: bool,
    pos: Position,
    errors: Arc<Mutex<Vec<Position>>>,
}

impl<R: Read> Utf16Reader<R> {
    fn new(inner: R, big_endian: bool, errors: Arc<Mutex<Vec<Position>>>) -> Self {
        Utf16Reader {
            inner,
            big_endian,
            raw: Vec::with_capacity(64 * 1024),
            out: Vec::with_capacity(96 * 1024),
            out_pos: 0,
            pending_high: None,
            eof: false,
            pos: Position {
                line: 1,
                column: 1,
                byte: 0,
            },
            errors,
        }
    }

    fn emit(&mut self, c: char) {
        let mut b = [0u8; 4];
        let s = c.encode_utf8(&mut b);
        self.out.extend_from_slice(s.as_bytes());
        self.pos.byte += s.len() as u64;
        if c == '\n' {
            self.pos.line += 1;
            self.pos.column = 1;
        } else {
            self.pos.column += s.len() as u64;
        }
    }

    fn bad(&mut self) {
        if let Ok(mut e) = self.errors.lock() {
            if e.len() < 1000 {
                e.push(self.pos);
            }
        }
        self.emit(char::REPLACEMENT_CHARACTER);
    }

    fn unit(&mut self, u: u16) {
        if let Some(high) = self.pending_high.take() {
            if (0xdc00..0xe000).contains(&u) {
                let c = 0x10000 + ((u32::from(high) - 0xd800) << 10) + (u32::from(u) - 0xdc00);
                self.emit(char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER));
                return;
            }
            self.bad();
        }
        match u {
            0xd800..=0xdbff => self.pending_high = Some(u),
            0xdc00..=0xdfff => self.bad(),
            _ => self.emit(char::from_u32(u32::from(u)).unwrap_or(char::REPLACEMENT_CHARACTER)),
        }
    }

    fn refill(&mut self) -> io::Result<()> {
        self.out.clear();
        self.out_pos = 0;
        while self.out.is_empty() && !self.eof {
            let start = self.raw.len();
            self.raw.resize(start + 64 * 1024, 0);
            let n = loop {
                match self.inner.read(&mut self.raw[start..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        self.raw.truncate(start);
                        return Err(e);
                    }
                }
            };
            self.raw.truncate(start + n);
            if n == 0 {
                self.eof = true;
                if self.pending_high.take().is_some() || self.raw.len() % 2 == 1 {
                    self.bad();
                }
                self.raw.clear();
                break;
            }
            let whole = self.raw.len() / 2 * 2;
            let raw = std::mem::take(&mut self.raw);
            for pair in raw[..whole].chunks_exact(2) {
                let u = if self.big_endian {
                    u16::from_be_bytes([pair[0], pair[1]])
                } else {
                    u16::from_le_bytes([pair[0], pair[1]])
                };
                self.unit(u);
            }
            self.raw = raw;
            self.raw.drain(..whole);
        }
        Ok(())
    }
}

impl<R: Read> Read for Utf16Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.out_pos == self.out.len() {
            self.refill()?;
        }
        let n = buf.len().min(self.out.len() - self.out_pos);
        buf[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(bytes: Vec<u8>) -> (String, Decoded) {
        let mut d = decode(Box::new(Cursor::new(bytes))).unwrap();
        let mut s = String::new();
        d.reader.read_to_string(&mut s).unwrap();
        (s, d)
    }

    #[test]
    fn utf16_le_with_bom_becomes_utf8() {
        let mut bytes = vec![0xff, 0xfe];
        for u in "{\"a\":\"é😀\"}".encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        let (s, d) = read_all(bytes);
        assert_eq!(s, "{\"a\":\"é😀\"}");
        assert_eq!(d.encoding, Encoding::Utf16Le);
    }

    #[test]
    fn utf16_be_without_bom_is_recognised() {
        let mut bytes = vec![];
        for u in "{\"a\":1}".encode_utf16() {
            bytes.extend_from_slice(&u.to_be_bytes());
        }
        let (s, d) = read_all(bytes);
        assert_eq!(s, "{\"a\":1}");
        assert_eq!(d.encoding, Encoding::Utf16Be);
    }

    #[test]
    fn lone_surrogate_is_replaced_and_located() {
        let mut bytes = vec![0xff, 0xfe];
        for u in [u16::from(b'a'), u16::from(b'\n'), 0xdc00, u16::from(b'b')] {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        let (s, d) = read_all(bytes);
        assert_eq!(s, "a\n\u{fffd}b");
        let errs = d.utf16_errors.lock().unwrap().clone();
        assert_eq!(
            errs,
            vec![Position {
                line: 2,
                column: 1,
                byte: 2
            }]
        );
    }

    #[test]
    fn utf8_bom_is_stripped() {
        let (s, d) = read_all(b"\xef\xbb\xbf[1]".to_vec());
        assert_eq!(s, "[1]");
        assert_eq!(d.encoding, Encoding::Utf8Bom);
    }

    #[test]
    fn gzip_is_recognised_by_content() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"{\"x\":1}\n").unwrap();
        let (s, d) = read_all(gz.finish().unwrap());
        assert_eq!(s, "{\"x\":1}\n");
        assert!(d.gzip);
    }
}
