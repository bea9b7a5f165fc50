//! Lexing pieces the hand-written parsers share.

use super::diag::{Diagnostic, Span};

/// Bytes of white space and comments at the start of `text`: `//` to the
/// end of the line, and `/* ... */` when `block` comments exist.
pub fn blank_len(text: &str, block: bool) -> usize {
    let mut at = 0;
    loop {
        let t = text[at..].trim_start();
        at = text.len() - t.len();
        if t.starts_with("//") {
            at += t.find('\n').unwrap_or(t.len());
        } else if block && t.starts_with("/*") {
            at += t.find("*/").map_or(t.len(), |i| i + 2);
        } else {
            return at;
        }
    }
}

/// The cursor a hand-written parser moves over its source text: each
/// parser says where it stands and how it skips white space; reading
/// characters, reporting errors and comma-separated lists are common.
pub trait Cursor<'a> {
    fn src(&self) -> &'a str;
    fn pos(&self) -> usize;
    fn set_pos(&mut self, pos: usize);
    /// Skips white space and the language's comments.
    fn ws(&mut self);
    /// Whether `c` after a word makes it part of a longer name, so the
    /// word is not a keyword there.
    fn continues_word(&self, c: char) -> bool;

    /// A case-insensitive keyword, consumed when it stands as a word.
    fn keyword(&mut self, word: &str) -> bool {
        let r = self.rest();
        let ok = r
            .get(..word.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(word))
            && !r[word.len()..].starts_with(|c: char| self.continues_word(c));
        if ok {
            self.set_pos(self.pos() + word.len());
        }
        ok
    }

    /// Whether the keyword comes next, without consuming it.
    fn peek_keyword(&mut self, word: &str) -> bool {
        let save = self.pos();
        let ok = self.keyword(word);
        self.set_pos(save);
        ok
    }

    fn rest(&self) -> &'a str {
        &self.src()[self.pos()..]
    }

    fn at_end(&self) -> bool {
        self.pos() >= self.src().len()
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn eat(&mut self, c: char) -> bool {
        let hit = self.peek() == Some(c);
        if hit {
            self.set_pos(self.pos() + c.len_utf8());
        }
        hit
    }

    /// Consumes `c` or fails with "Expected "c"".
    fn expect(&mut self, c: char) -> Result<(), Diagnostic> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.error(&format!("Expected \"{c}\"")))
        }
    }

    /// "`msg`, found X." at the cursor.
    fn error(&self, msg: &str) -> Diagnostic {
        let found = match self.peek() {
            None => "end of input".to_string(),
            Some(c) => format!("\"{}\"", c.escape_default()),
        };
        let end = self.pos() + self.peek().map_or(0, char::len_utf8);
        Diagnostic::new(Span::new(self.pos(), end), format!("{msg}, found {found}."))
    }

    /// A decimal number's digits, fraction and exponent from the cursor;
    /// whether it has a fraction or an exponent.
    fn scan_number(&mut self) -> bool {
        fn digits<'a>(c: &mut (impl Cursor<'a> + ?Sized)) {
            let n = c.rest().bytes().take_while(u8::is_ascii_digit).count();
            c.set_pos(c.pos() + n);
        }
        digits(self);
        let mut real = false;
        if self.peek() == Some('.') && self.rest()[1..].starts_with(|c: char| c.is_ascii_digit()) {
            real = true;
            self.set_pos(self.pos() + 1);
            digits(self);
        }
        if matches!(self.peek(), Some('e' | 'E'))
            && self.rest()[1..].starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '+')
        {
            real = true;
            self.set_pos(self.pos() + 2);
            digits(self);
        }
        real
    }

    /// Items separated by commas up to `close` (the opening bracket
    /// already read); the list may be empty. With `trailing`, a comma may
    /// also follow the last item, as `datatable` values allow.
    fn list<T>(
        &mut self,
        close: char,
        trailing: bool,
        mut item: impl FnMut(&mut Self) -> Result<T, Diagnostic>,
    ) -> Result<Vec<T>, Diagnostic>
    where
        Self: Sized,
    {
        let mut out = Vec::new();
        self.ws();
        if self.eat(close) {
            return Ok(out);
        }
        loop {
            self.ws();
            if trailing && !out.is_empty() && self.eat(close) {
                return Ok(out);
            }
            out.push(item(self)?);
            self.ws();
            if self.eat(close) {
                return Ok(out);
            }
            if !self.eat(',') {
                return Err(self.error(&format!("Expected \",\" or \"{close}\"")));
            }
        }
    }
}

/// Reads a quoted string's body from just after its opening `quote` in
/// `src` at `*pos`, resolving `\n`, `\t`, `\r` and `\x` (any other
/// character stands for itself); leaves `*pos` after the closing quote.
/// A line break or the end of input before the closing quote is an error
/// pointing at the opening quote.
pub fn quoted_body(src: &str, pos: &mut usize, quote: char) -> Result<String, Diagnostic> {
    let start = pos.saturating_sub(1);
    let mut out = String::new();
    let mut chars = src[*pos..].char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\n' => break,
            '\\' => match chars.next() {
                Some((_, e)) => out.push(match e {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    other => other,
                }),
                None => break,
            },
            c if c == quote => {
                *pos += i + c.len_utf8();
                return Ok(out);
            }
            c => out.push(c),
        }
    }
    Err(Diagnostic::new(
        Span::new(
            start,
            src.len()
                .min(*pos + src[*pos..].find('\n').unwrap_or(src.len() - *pos)),
        ),
        "Unterminated string: the quote is never closed.",
    ))
}

/// Random queries over the tokens that matter to a grammar, for the
/// parsers' never-panic property tests (xorshift, so every run is the same).
#[doc(hidden)]
pub fn random_queries<'a>(
    alphabet: &'a [&'a str],
    seed: u64,
    count: usize,
    max_tokens: u64,
) -> impl Iterator<Item = String> + 'a {
    let mut state = seed.max(1);
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..count).map(move |_| {
        let n = next() % max_tokens.max(1);
        (0..n)
            .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_strings() {
        let src = r#""a\"b\n" rest"#;
        let mut pos = 1;
        assert_eq!(quoted_body(src, &mut pos, '"').unwrap(), "a\"b\n");
        assert_eq!(&src[pos..], " rest");
        let mut pos = 1;
        assert!(quoted_body("\"open", &mut pos, '"').is_err());
    }
}
