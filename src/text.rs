//! Making attacker-controlled text safe to show. Log values reach the
//! terminal only through [`sanitize`]: control characters (including ESC,
//! which starts terminal escape sequences), and the Unicode bidirectional
//! overrides that can make text read differently from what it is, are shown
//! as visible escapes instead of being interpreted.

use std::borrow::Cow;
use std::fmt::Write;

fn is_dangerous(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
            | '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// Returns `s` with every dangerous character replaced by a visible escape
/// (`\n`, `\t`, `\x1b`, `\u{202e}`); borrows when nothing needs escaping.
pub fn sanitize(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_dangerous) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !is_dangerous(c) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

/// Sanitises and cuts to at most `width` characters, marking the cut.
pub fn clip(s: &str, width: usize) -> String {
    let s = sanitize(s);
    if s.chars().count() <= width {
        return s.into_owned();
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Sanitises and cuts to at most `width` characters from the end,
/// marking the cut: for names whose last part tells them apart, as Azure
/// operations (`…/ROLEASSIGNMENTS/WRITE`) do.
pub fn clip_start(s: &str, width: usize) -> String {
    let s = sanitize(s);
    let n = s.chars().count();
    if n <= width {
        return s.into_owned();
    }
    let keep = width.saturating_sub(1);
    let mut out = String::from("…");
    out.extend(s.chars().skip(n - keep));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_controls_and_bidi() {
        assert_eq!(sanitize("a\x1b[31mred"), "a\\x1b[31mred");
        assert_eq!(sanitize("evil\u{202e}txt.exe"), "evil\\u{202e}txt.exe");
        assert_eq!(sanitize("line\nbreak\x07"), "line\\nbreak\\x07");
        assert_eq!(sanitize("\u{9b}2J"), "\\x9b2J");
        assert!(matches!(sanitize("plain é"), Cow::Borrowed(_)));
    }

    #[test]
    fn clip_marks_the_cut() {
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("abc", 4), "abc");
    }
}
