//! Positions in rule text and parse errors that point at them.

use std::fmt;

use serde::Serialize;

/// A byte range in a query's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// A problem in a query, located by byte offset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub span: Span,
    pub message: String,
}

impl Diagnostic {
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            span,
            message: message.into(),
        }
    }

    /// Line and column (1-based, counting characters) of the start.
    pub fn line_col(&self, text: &str) -> (usize, usize) {
        let before = &text[..self.span.start.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[line_start..].chars().count() + 1)
    }

    /// The message with the query line and a caret under the problem.
    pub fn render(&self, text: &str) -> String {
        format!("{}\n{}", self.message, self.excerpt(text))
    }

    /// The query line with a caret under the problem.
    pub fn excerpt(&self, text: &str) -> String {
        let (line, col) = self.line_col(text);
        let src_line = text.lines().nth(line - 1).unwrap_or("");
        let shown = crate::text::sanitize(src_line);
        let width = text[self.span.start.min(text.len())..self.span.end.min(text.len())]
            .chars()
            .take_while(|c| *c != '\n')
            .count()
            .max(1);
        format!("{}\n{}{}", shown, " ".repeat(col - 1), "^".repeat(width))
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.message, self.span.start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_sits_under_the_problem() {
        let d = Diagnostic::new(Span::new(9, 10), "Expected a value but \"<\" found.");
        assert_eq!(
            d.render("field: a <b"),
            "Expected a value but \"<\" found.\nfield: a <b\n         ^"
        );
        assert_eq!(d.line_col("field: a <b"), (1, 10));
    }
}
