//! A hand-written parser for the Kibana Query Language, following Kibana's
//! grammar: `or` binds looser than `and`, `not` binds tightest; keywords are
//! case-insensitive and must be set off by whitespace; unquoted values run
//! until a special character (`\ ( ) : < > " * { }` unless escaped) or a
//! keyword, may contain spaces, and are trimmed.

use super::ast::{Field, Literal, Piece, Query, RangeOp, Values};
use crate::rules::diag::{Diagnostic, Span};

/// Deepest nesting of parentheses and braces accepted; a query nested
/// deeper is refused rather than risking the stack.
const MAX_DEPTH: usize = 128;

pub fn parse(src: &str) -> Result<Query, Diagnostic> {
    let mut p = Parser {
        src,
        pos: 0,
        depth: 0,
    };
    p.ws();
    if p.at_end() {
        return Ok(Query::All);
    }
    let q = p.or_query()?;
    p.ws();
    if !p.at_end() {
        return Err(p.expected(&["AND", "OR", "end of input"]));
    }
    Ok(q)
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
    depth: usize,
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Case-insensitive ASCII prefix test that is safe on any UTF-8 text.
fn starts_with_ci(s: &str, word: &str) -> bool {
    s.get(..word.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(word))
}

fn is_special(c: char) -> bool {
    matches!(
        c,
        '\\' | '(' | ')' | ':' | '<' | '>' | '"' | '*' | '{' | '}'
    )
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn at_end(&self) -> bool {
        self.pos >= self.src.len()
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn ws(&mut self) -> usize {
        let start = self.pos;
        while self.peek().is_some_and(is_space) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn found(&self) -> String {
        match self.peek() {
            None => "end of input".into(),
            Some(c) => format!("\"{}\"", c.escape_default()),
        }
    }

    /// Kibana's error form: what could come here, and what did.
    fn expected(&self, what: &[&str]) -> Diagnostic {
        let list = match what {
            [] => String::new(),
            [one] => (*one).to_string(),
            [init @ .., last] => format!("{} or {last}", init.join(", ")),
        };
        let end = self.pos + self.peek().map_or(0, char::len_utf8);
        Diagnostic::new(
            Span::new(self.pos, end),
            format!("Expected {list} but {} found.", self.found()),
        )
    }

    /// Case-insensitive `word` at the cursor followed by whitespace (or,
    /// for `not`, an opening parenthesis); consumes both when it matches.
    fn word_then_space(&mut self, word: &str) -> bool {
        let rest = self.rest();
        if !starts_with_ci(rest, word) {
            return false;
        }
        let after = rest[word.len()..].chars().next();
        let ok = match after {
            Some(c) if is_space(c) => true,
            Some('(') => word == "not",
            _ => false,
        };
        if ok {
            self.pos += word.len();
            self.ws();
        }
        ok
    }

    /// A binary keyword needs whitespace on both sides.
    fn binary(&mut self, word: &str) -> bool {
        let save = self.pos;
        if self.ws() > 0 && self.word_then_space(word) {
            return true;
        }
        self.pos = save;
        false
    }

    /// Whether an unquoted literal must stop here because a keyword starts.
    fn keyword_here(&self, literal_start: usize) -> bool {
        let rest = self.rest();
        let spaced = |w: &str| {
            let t = rest.trim_start_matches(is_space);
            rest.len() > t.len() && starts_with_ci(t, w) && t[w.len()..].starts_with(is_space)
        };
        if spaced("or") || spaced("and") {
            return true;
        }
        // `not` starts a keyword only at the start of a word, so values
        // such as `cannot` stay whole.
        let word_start = self.pos == literal_start || self.src[..self.pos].ends_with(is_space);
        word_start && starts_with_ci(rest, "not") && rest[3..].starts_with(is_space)
    }

    fn enter(&mut self) -> Result<(), Diagnostic> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Diagnostic::new(
                Span::new(self.pos, self.pos + 1),
                format!("Query nested deeper than {MAX_DEPTH} levels."),
            ));
        }
        Ok(())
    }

    fn or_query(&mut self) -> Result<Query, Diagnostic> {
        let mut items = vec![self.and_query()?];
        while self.binary("or") {
            items.push(self.and_query()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Query::Or(items)
        })
    }

    fn and_query(&mut self) -> Result<Query, Diagnostic> {
        let mut items = vec![self.not_query()?];
        while self.binary("and") {
            items.push(self.not_query()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Query::And(items)
        })
    }

    fn not_query(&mut self) -> Result<Query, Diagnostic> {
        if self.word_then_space("not") {
            self.enter()?;
            let inner = self.not_query()?;
            self.depth -= 1;
            return Ok(Query::Not(Box::new(inner)));
        }
        self.sub_query()
    }

    fn sub_query(&mut self) -> Result<Query, Diagnostic> {
        if self.peek() == Some('(') {
            self.enter()?;
            self.bump();
            self.ws();
            let q = self.or_query()?;
            self.ws();
            if self.peek() != Some(')') {
                return Err(self.expected(&["\")\"", "AND", "OR"]));
            }
            self.bump();
            self.depth -= 1;
            return Ok(q);
        }
        self.expression()
    }

    fn expression(&mut self) -> Result<Query, Diagnostic> {
        let start = self.pos;
        let Some(first) = self.literal()? else {
            return Err(self.expected(&["NOT", "\"(\"", "field name", "value"]));
        };
        let after_literal = self.pos;
        self.ws();
        if self.peek() == Some(':') {
            self.bump();
            self.ws();
            let field = to_field(first);
            if self.peek() == Some('{') {
                self.enter()?;
                self.bump();
                self.ws();
                let q = self.or_query()?;
                self.ws();
                if self.peek() != Some('}') {
                    return Err(self.expected(&["\"}\"", "AND", "OR"]));
                }
                self.bump();
                self.depth -= 1;
                return Ok(Query::Nested {
                    field,
                    query: Box::new(q),
                });
            }
            // `field: not value` is accepted (Elastic's detection rules
            // write it), meaning `not field: value`.
            let values = self.not_values()?;
            return Ok(match values {
                Values::One(lit) if lit.is_star() => Query::Exists { field },
                values => Query::Match { field, values },
            });
        }
        if let Some(op) = self.range_op() {
            self.ws();
            let Some(value) = self.literal()? else {
                return Err(self.expected(&["literal", "whitespace"]));
            };
            return Ok(Query::Range {
                field: to_field(first),
                op,
                value,
            });
        }
        self.pos = after_literal;
        let _ = start;
        Ok(Query::Free(first))
    }

    fn range_op(&mut self) -> Option<RangeOp> {
        let rest = self.rest();
        let (op, len) = if rest.starts_with("<=") {
            (RangeOp::Lte, 2)
        } else if rest.starts_with(">=") {
            (RangeOp::Gte, 2)
        } else if rest.starts_with('<') {
            (RangeOp::Lt, 1)
        } else if rest.starts_with('>') {
            (RangeOp::Gt, 1)
        } else {
            return None;
        };
        self.pos += len;
        Some(op)
    }

    fn list_of_values(&mut self) -> Result<Values, Diagnostic> {
        if self.peek() == Some('(') {
            self.enter()?;
            self.bump();
            self.ws();
            let v = self.or_values()?;
            self.ws();
            if self.peek() != Some(')') {
                return Err(self.expected(&["\")\"", "AND", "OR"]));
            }
            self.bump();
            self.depth -= 1;
            return Ok(v);
        }
        match self.literal()? {
            Some(lit) => Ok(Values::One(lit)),
            None => Err(self.expected(&["\"(\"", "value", "whitespace"])),
        }
    }

    fn or_values(&mut self) -> Result<Values, Diagnostic> {
        let mut items = vec![self.and_values()?];
        while self.binary("or") {
            items.push(self.and_values()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Values::Or(items)
        })
    }

    fn and_values(&mut self) -> Result<Values, Diagnostic> {
        let mut items = vec![self.not_values()?];
        while self.binary("and") {
            items.push(self.not_values()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Values::And(items)
        })
    }

    fn not_values(&mut self) -> Result<Values, Diagnostic> {
        if self.word_then_space("not") {
            self.enter()?;
            let inner = self.not_values()?;
            self.depth -= 1;
            return Ok(Values::Not(Box::new(inner)));
        }
        self.list_of_values()
    }

    /// A quoted string or an unquoted literal; `None` when neither starts
    /// here.
    fn literal(&mut self) -> Result<Option<Literal>, Diagnostic> {
        if self.peek() == Some('"') {
            return self.quoted().map(Some);
        }
        self.unquoted()
    }

    fn quoted(&mut self) -> Result<Literal, Diagnostic> {
        let start = self.pos;
        self.bump();
        let mut text = String::new();
        loop {
            match self.bump() {
                None => {
                    return Err(Diagnostic::new(
                        Span::new(start, self.pos),
                        "Expected \"\\\"\" but end of input found: the quoted value is never closed.",
                    ));
                }
                Some('"') => break,
                Some('\\') => match self.peek() {
                    Some(c @ ('"' | '\\')) => {
                        self.bump();
                        text.push(c);
                    }
                    Some('t') => {
                        self.bump();
                        text.push('\t');
                    }
                    Some('r') => {
                        self.bump();
                        text.push('\r');
                    }
                    Some('n') => {
                        self.bump();
                        text.push('\n');
                    }
                    Some('u') => match self.unicode_escape() {
                        Some(c) => text.push(c),
                        None => text.push('\\'),
                    },
                    _ => text.push('\\'),
                },
                Some(c) => text.push(c),
            }
        }
        Ok(Literal {
            text,
            quoted: true,
            pattern: None,
            span: Span::new(start, self.pos),
        })
    }

    /// After `\`, at `u`: four hex digits.
    fn unicode_escape(&mut self) -> Option<char> {
        let hex = self.rest().get(1..5)?;
        if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        let c = char::from_u32(u32::from_str_radix(hex, 16).ok()?)?;
        self.pos += 5;
        Some(c)
    }

    fn unquoted(&mut self) -> Result<Option<Literal>, Diagnostic> {
        let start = self.pos;
        let mut pieces: Vec<Piece> = Vec::new();
        let mut text = String::new();
        let mut buf = String::new();
        let mut wildcard = false;
        loop {
            if self.keyword_here(start) {
                break;
            }
            let Some(c) = self.peek() else { break };
            match c {
                '\\' => {
                    let esc_at = self.pos;
                    self.bump();
                    let lit = match self.peek() {
                        Some(c) if is_special(c) => {
                            self.bump();
                            c.to_string()
                        }
                        Some('t') => {
                            self.bump();
                            "\t".into()
                        }
                        Some('r') => {
                            self.bump();
                            "\r".into()
                        }
                        Some('n') => {
                            self.bump();
                            "\n".into()
                        }
                        Some('u') => match self.unicode_escape() {
                            Some(c) => c.to_string(),
                            None => return Err(bad_escape(self.src, esc_at)),
                        },
                        _ => {
                            let rest = self.rest();
                            let kw = ["or", "and", "not"]
                                .into_iter()
                                .find(|w| starts_with_ci(rest, w));
                            match kw {
                                Some(w) => {
                                    let s = rest[..w.len()].to_string();
                                    self.pos += w.len();
                                    s
                                }
                                None => return Err(bad_escape(self.src, esc_at)),
                            }
                        }
                    };
                    buf.push_str(&lit);
                    text.push_str(&lit);
                }
                '*' => {
                    self.bump();
                    wildcard = true;
                    if !buf.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut buf)));
                    }
                    if pieces.last() != Some(&Piece::Star) {
                        pieces.push(Piece::Star);
                    }
                    text.push('*');
                }
                c if is_special(c) => break,
                c => {
                    self.bump();
                    buf.push(c);
                    text.push(c);
                }
            }
        }
        if self.pos == start {
            return Ok(None);
        }
        // Trailing whitespace belongs to what follows, not to the value.
        let trimmed_len = text.trim_end_matches(is_space).len();
        let cut = text.len() - trimmed_len;
        if cut > 0 {
            text.truncate(trimmed_len);
            let b = buf.trim_end_matches(is_space).len();
            buf.truncate(b);
            self.pos -=
                self.src[..self.pos].len() - self.src[..self.pos].trim_end_matches(is_space).len();
        }
        if text.is_empty() {
            self.pos = start;
            return Ok(None);
        }
        if !buf.is_empty() {
            pieces.push(Piece::Text(buf));
        }
        Ok(Some(Literal {
            text,
            quoted: false,
            pattern: wildcard.then_some(pieces),
            span: Span::new(start, self.pos),
        }))
    }
}

fn bad_escape(src: &str, at: usize) -> Diagnostic {
    let end = src[at..]
        .char_indices()
        .nth(2)
        .map_or(src.len(), |(i, _)| at + i);
    Diagnostic::new(
        Span::new(at, end),
        format!(
            "Unrecognised escape \"{}\": only \\\\ \\( \\) \\: \\< \\> \\\" \\* \\{{ \\}}, \\t \\r \\n, \\uXXXX and \\and \\or \\not are escapes.",
            &src[at..end]
        ),
    )
}

fn to_field(lit: Literal) -> Field {
    Field {
        name: lit.text,
        pattern: lit.pattern,
        span: lit.span,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(q: &str) -> String {
        parse(q).unwrap_err().render(q)
    }

    #[test]
    fn precedence_and_value_lists() {
        let q = parse("a:1 or b:1 and not c:(x or y*)").unwrap();
        let Query::Or(items) = q else { panic!("{q:?}") };
        assert_eq!(items.len(), 2);
        assert!(matches!(&items[1], Query::And(v) if matches!(v[1], Query::Not(_))));
    }

    #[test]
    fn upper_case_keywords_are_keywords() {
        assert_eq!(parse("a:b AND c:d").unwrap(), parse("a:b and c:d").unwrap());
        assert_eq!(
            parse("NOT a:(b OR c)").unwrap(),
            parse("not a:(b or c)").unwrap()
        );
    }

    #[test]
    fn unquoted_values_keep_inner_spaces_and_escapes() {
        let q = parse(r"field: *S3 Browser\: x*").unwrap();
        let Query::Match {
            values: Values::One(lit),
            ..
        } = q
        else {
            panic!()
        };
        assert_eq!(lit.text, "*S3 Browser: x*");
        assert!(lit.pattern.is_some());
        let q = parse(r"a:\*").unwrap();
        let Query::Match {
            values: Values::One(lit),
            ..
        } = q
        else {
            panic!()
        };
        assert_eq!((lit.text.as_str(), lit.pattern.is_none()), ("*", true));
    }

    #[test]
    fn errors_point_at_the_problem() {
        assert_eq!(
            err("response:200 or "),
            "Expected NOT, \"(\", field name or value but end of input found.\nresponse:200 or \n                ^"
        );
        assert_eq!(
            err("field: foo<bar"),
            "Expected AND, OR or end of input but \"<\" found.\nfield: foo<bar\n          ^"
        );
        assert!(err(r"field: foo\'bar").starts_with("Unrecognised escape \"\\'\""));
        assert!(err("foo:\"ba ").contains("never closed"));
    }

    #[test]
    fn deep_nesting_is_refused_not_a_crash() {
        let q = "(".repeat(10_000) + "a:b" + &")".repeat(10_000);
        assert!(err(&q).contains("nested deeper"));
    }

    /// Arbitrary input never panics: random strings over the characters
    /// that matter to the grammar, plus arbitrary Unicode.
    #[test]
    fn parser_never_panics() {
        const ALPHABET: &[&str] = &[
            "a", "b", ":", " ", "(", ")", "{", "}", "\"", "\\", "*", "<", ">", "=", "or", "and",
            "not", "OR", "é", "\u{202e}", "\n", "1", ".", "-", "/", "now", "\\u00", "'",
        ];
        for q in crate::rules::lex::random_queries(ALPHABET, 0x1234_5678_9abc_def0, 20_000, 24) {
            if let Err(e) = parse(&q) {
                let _ = e.render(&q);
            }
        }
    }
}
