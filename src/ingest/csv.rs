//! The Log Analytics portal's CSV export: RFC 4180 with quoted fields that
//! may hold commas, doubled quotes and line breaks (JSON-valued columns such
//! as `InitiatedBy` are exported as quoted JSON text). Written for this
//! loader so that record size, column count and positions are under its
//! control: a missing closing quote must cost one record, not the file.

use std::io::{self, BufRead, BufReader, Read};

use super::error::{Position, Problem};
use super::limits::Limits;

pub struct Row {
    pub at: Position,
    pub len: u64,
    pub fields: Vec<String>,
}

pub enum CsvItem {
    Header(Row),
    Row(Row),
    Error(Position, Problem),
}

struct Reader<R> {
    r: BufReader<R>,
    pos: Position,
    line_start: u64,
    read_error: Option<io::Error>,
}

impl<R: Read> Reader<R> {
    fn peek(&mut self) -> Option<u8> {
        match self.r.fill_buf() {
            Ok([]) => None,
            Ok(b) => Some(b[0]),
            Err(e) => {
                if self.read_error.is_none() {
                    self.read_error = Some(e);
                }
                None
            }
        }
    }

    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.r.consume(1);
        self.pos.byte += 1;
        if b == b'\n' {
            self.pos.line += 1;
            self.line_start = self.pos.byte;
        }
        self.pos.column = self.pos.byte - self.line_start + 1;
        Some(b)
    }
}

/// Reads the whole stream; the first record is the header.
pub fn read<R: Read>(r: R, limits: &Limits, sink: &mut dyn FnMut(CsvItem)) -> Option<io::Error> {
    let mut rd = Reader {
        r: BufReader::with_capacity(256 * 1024, r),
        pos: Position {
            line: 1,
            column: 1,
            byte: 0,
        },
        line_start: 0,
        read_error: None,
    };
    let mut header_seen = false;
    while rd.peek().is_some() {
        let at = rd.pos;
        match record(&mut rd, limits) {
            Ok(fields) => {
                if fields.len() == 1 && fields[0].is_empty() {
                    continue;
                }
                let row = Row {
                    at,
                    len: rd.pos.byte - at.byte,
                    fields,
                };
                if header_seen {
                    sink(CsvItem::Row(row));
                } else {
                    header_seen = true;
                    sink(CsvItem::Header(row));
                }
            }
            Err((pos, problem)) => sink(CsvItem::Error(pos, problem)),
        }
    }
    if let Some(e) = rd.read_error.take() {
        sink(CsvItem::Error(rd.pos, Problem::Read(e.to_string())));
        return Some(e);
    }
    None
}

type RecordResult = Result<Vec<String>, (Position, Problem)>;

/// One record, consuming its terminating line break.
fn record<R: Read>(rd: &mut Reader<R>, limits: &Limits) -> RecordResult {
    let start = rd.pos;
    let mut fields = Vec::new();
    let mut field: Vec<u8> = Vec::new();
    let mut size = 0usize;
    let mut problem: Option<(Position, Problem)> = None;
    loop {
        // One field.
        field.clear();
        if rd.peek() == Some(b'"') {
            rd.bump();
            let quote_at = rd.pos;
            loop {
                match rd.bump() {
                    None => {
                        return Err((
                            start,
                            Problem::Structure(format!(
                                "quoted field opened at {}:{} is never closed",
                                quote_at.line,
                                quote_at.column - 1
                            )),
                        ));
                    }
                    Some(b'"') => {
                        if rd.peek() == Some(b'"') {
                            rd.bump();
                            field.push(b'"');
                        } else {
                            break;
                        }
                    }
                    Some(b) => field.push(b),
                }
                size += 1;
                if size > limits.max_record_bytes {
                    break;
                }
            }
        }
        // Unquoted text, or text after a closing quote (kept, as spreadsheet
        // tools do, rather than dropping the row).
        loop {
            match rd.peek() {
                None | Some(b',' | b'\n') => break,
                Some(b'\r') => {
                    rd.bump();
                    if rd.peek() != Some(b'\n') {
                        field.push(b'\r');
                    }
                }
                Some(b) => {
                    rd.bump();
                    field.push(b);
                }
            }
            size += 1;
            if size > limits.max_record_bytes {
                break;
            }
        }
        if size > limits.max_record_bytes && problem.is_none() {
            problem = Some((start, Problem::TooLarge(limits.max_record_bytes)));
        }
        if problem.is_none() {
            if fields.len() >= limits.max_columns {
                problem = Some((
                    rd.pos,
                    Problem::Structure(format!("more than {} columns", limits.max_columns)),
                ));
            } else {
                fields.push(match String::from_utf8(std::mem::take(&mut field)) {
                    Ok(s) => s,
                    Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
                });
            }
        }
        match rd.bump() {
            Some(b',') => {}
            _ => break,
        }
    }
    match problem {
        Some(p) => Err(p),
        None => Ok(fields),
    }
}

/// Turns an exported column title into the column name: the portal appends
/// the time zone to datetime columns (`TimeGenerated [UTC]`).
pub fn column_name(title: &str) -> String {
    let t = title.trim();
    match t.rfind(" [") {
        Some(i) if t.ends_with(']') => t[..i].to_string(),
        _ => t.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(s: &str) -> Vec<Result<Vec<String>, String>> {
        let mut out = vec![];
        read(s.as_bytes(), &Limits::default(), &mut |i| match i {
            CsvItem::Header(r) | CsvItem::Row(r) => out.push(Ok(r.fields)),
            CsvItem::Error(p, e) => out.push(Err(format!("{p}: {e}"))),
        });
        out
    }

    #[test]
    fn quoted_fields_with_commas_quotes_and_newlines() {
        let r = rows("a,b\r\n\"x, \"\"y\"\"\",\"line1\nline2\"\r\nplain,\n");
        assert_eq!(
            r[1],
            Ok(vec!["x, \"y\"".to_string(), "line1\nline2".into()])
        );
        assert_eq!(r[2], Ok(vec!["plain".to_string(), String::new()]));
    }

    #[test]
    fn unclosed_quote_is_located() {
        let r = rows("a,b\n1,\"oops\n");
        assert_eq!(
            r[1],
            Err("2:1: quoted field opened at 2:3 is never closed".into())
        );
    }

    #[test]
    fn column_titles_lose_time_zone_suffix() {
        assert_eq!(column_name("TimeGenerated [UTC]"), "TimeGenerated");
        assert_eq!(column_name("UserPrincipalName"), "UserPrincipalName");
    }
}
