//! Lexing pieces the hand-written parsers share.

use super::diag::{Diagnostic, Span};

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
