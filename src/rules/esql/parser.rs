//! A hand-written ES|QL parser: `FROM` then `|`-separated processing
//! commands, expressions with SQL-like precedence, case-insensitive
//! keywords, `//` and `/* */` comments, backquoted identifiers.

use super::ast::{BinOp, Command, Expr, From, Lit, Query, SortKey};
use crate::rules::diag::{Diagnostic, Span};
use crate::rules::lex::Cursor;

const MAX_DEPTH: usize = 128;

pub fn parse(src: &str) -> Result<Query, Diagnostic> {
    let mut p = Parser {
        src,
        pos: 0,
        depth: 0,
    };
    p.ws();
    let start = p.pos;
    if !p.keyword("from") {
        return Err(p.error("Expected FROM at the start of the query"));
    }
    let from = p.from(start)?;
    let mut commands = Vec::new();
    loop {
        p.ws();
        if p.at_end() {
            break;
        }
        if !p.eat('|') {
            return Err(p.error("Expected \"|\" or the end of the query"));
        }
        p.ws();
        commands.push(p.command()?);
    }
    Ok(Query { from, commands })
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
    depth: usize,
}

fn ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == '@'
}

fn ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '@' | '.')
}

const COMMANDS: &[&str] = &[
    "where",
    "eval",
    "stats",
    "keep",
    "drop",
    "rename",
    "sort",
    "limit",
    "mv_expand",
    "dissect",
    "grok",
];

impl<'a> Cursor<'a> for Parser<'a> {
    fn src(&self) -> &'a str {
        self.src
    }

    fn pos(&self) -> usize {
        self.pos
    }

    fn set_pos(&mut self, pos: usize) {
        self.pos = pos;
    }

    // `from*` in an index pattern is a name, not `FROM`.
    fn continues_word(&self, c: char) -> bool {
        ident_char(c) || c == '*'
    }

    fn ws(&mut self) {
        self.pos += crate::rules::lex::blank_len(self.rest(), true);
    }
}

impl<'a> Parser<'a> {
    fn enter(&mut self) -> Result<(), Diagnostic> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(&format!("Expression nested deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    fn from(&mut self, start: usize) -> Result<From, Diagnostic> {
        let mut patterns = Vec::new();
        loop {
            self.ws();
            let s = self.pos;
            if self.eat('"') {
                let text = self.string_body('"')?;
                patterns.push(text);
            } else {
                while let Some(c) = self.peek() {
                    if c.is_whitespace() || c == ',' || c == '|' {
                        break;
                    }
                    self.pos += c.len_utf8();
                }
                if self.pos == s {
                    return Err(self.error("Expected an index pattern"));
                }
                patterns.push(self.src[s..self.pos].to_string());
            }
            self.ws();
            if !self.eat(',') {
                break;
            }
        }
        let mut metadata = Vec::new();
        self.ws();
        if self.keyword("metadata") {
            loop {
                self.ws();
                metadata.push(self.ident()?);
                self.ws();
                if !self.eat(',') {
                    break;
                }
            }
        }
        Ok(From {
            patterns,
            metadata,
            span: Span::new(start, self.pos),
        })
    }

    fn command(&mut self) -> Result<Command, Diagnostic> {
        if self.keyword("where") {
            self.ws();
            return Ok(Command::Where(self.expr()?));
        }
        if self.keyword("eval") {
            return Ok(Command::Eval(self.assignments()?));
        }
        if self.keyword("stats") {
            self.ws();
            let aggs = if self.peek_keyword("by") {
                Vec::new()
            } else {
                self.assignments()?
            };
            self.ws();
            let by = if self.keyword("by") {
                self.assignments()?
            } else {
                Vec::new()
            };
            return Ok(Command::Stats { aggs, by });
        }
        if self.keyword("keep") {
            return Ok(Command::Keep(self.name_list()?));
        }
        if self.keyword("drop") {
            return Ok(Command::Drop(self.name_list()?));
        }
        if self.keyword("rename") {
            let mut pairs = Vec::new();
            loop {
                self.ws();
                let a = self.ident()?;
                self.ws();
                if self.keyword("as") {
                    self.ws();
                    pairs.push((a, self.ident()?));
                } else if self.eat('=') {
                    self.ws();
                    pairs.push((self.ident()?, a));
                } else {
                    return Err(self.error("Expected AS"));
                }
                self.ws();
                if !self.eat(',') {
                    break;
                }
            }
            return Ok(Command::Rename(pairs));
        }
        if self.keyword("sort") {
            let mut keys = Vec::new();
            loop {
                self.ws();
                let expr = self.expr()?;
                self.ws();
                let desc = if self.keyword("desc") {
                    true
                } else {
                    self.keyword("asc");
                    false
                };
                self.ws();
                let mut nulls_first = None;
                if self.keyword("nulls") {
                    self.ws();
                    if self.keyword("first") {
                        nulls_first = Some(true);
                    } else if self.keyword("last") {
                        nulls_first = Some(false);
                    } else {
                        return Err(self.error("Expected FIRST or LAST"));
                    }
                }
                keys.push(SortKey {
                    expr,
                    desc,
                    nulls_first,
                });
                self.ws();
                if !self.eat(',') {
                    break;
                }
            }
            return Ok(Command::Sort(keys));
        }
        if self.keyword("limit") {
            self.ws();
            let s = self.pos;
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.pos += 1;
            }
            return self.src[s..self.pos]
                .parse()
                .map(Command::Limit)
                .map_err(|_| self.error("Expected a number after LIMIT"));
        }
        if self.keyword("mv_expand") {
            self.ws();
            return Ok(Command::MvExpand(self.ident()?));
        }
        for (word, grok) in [("dissect", false), ("grok", true)] {
            if self.keyword(word) {
                self.ws();
                let field = self.primary()?;
                self.ws();
                if !self.eat('"') {
                    return Err(self.error("Expected a quoted pattern"));
                }
                let pattern = self.string_body('"')?;
                self.ws();
                // `APPEND_SEPARATOR="..."` is accepted and ignored.
                if self.keyword("append_separator") {
                    self.ws();
                    self.eat('=');
                    self.ws();
                    self.eat('"');
                    self.string_body('"')?;
                }
                return Ok(if grok {
                    Command::Grok { field, pattern }
                } else {
                    Command::Dissect { field, pattern }
                });
            }
        }
        Err(self.error(&format!(
            "Expected a command ({})",
            COMMANDS.join(", ").to_uppercase()
        )))
    }

    /// `name = expr` or a bare `expr` (named after its text), comma-separated.
    fn assignments(&mut self) -> Result<Vec<(String, Expr)>, Diagnostic> {
        let mut out = Vec::new();
        loop {
            self.ws();
            let save = self.pos;
            let named = match self.ident() {
                Ok(name) => {
                    self.ws();
                    if self.peek() == Some('=') && !self.rest().starts_with("==") {
                        self.pos += 1;
                        self.ws();
                        Some(name)
                    } else {
                        self.pos = save;
                        None
                    }
                }
                Err(_) => {
                    self.pos = save;
                    None
                }
            };
            let start = self.pos;
            let e = self.expr()?;
            let name = named.unwrap_or_else(|| self.src[start..self.pos].trim().to_string());
            out.push((name, e));
            self.ws();
            if !self.eat(',') {
                break;
            }
        }
        Ok(out)
    }

    /// Names or patterns (`Esql.*`), comma-separated.
    fn name_list(&mut self) -> Result<Vec<String>, Diagnostic> {
        let mut out = Vec::new();
        loop {
            self.ws();
            out.push(self.ident()?);
            self.ws();
            if !self.eat(',') {
                break;
            }
        }
        Ok(out)
    }

    /// An identifier: dot-separated parts, each either letters, digits,
    /// `_`, `@` (and `*` for name patterns) or any text in backquotes, as
    /// in ``source.`as`.organization.name``.
    fn ident(&mut self) -> Result<String, Diagnostic> {
        let mut out = String::new();
        loop {
            if self.eat('`') {
                loop {
                    match self.peek() {
                        None => return Err(self.error("Expected a closing backquote")),
                        Some('`') => {
                            self.pos += 1;
                            if self.eat('`') {
                                out.push('`');
                            } else {
                                break;
                            }
                        }
                        Some(c) => {
                            self.pos += c.len_utf8();
                            out.push(c);
                        }
                    }
                }
            } else {
                let s = self.pos;
                match self.peek() {
                    Some(c)
                        if ident_start(c)
                            || c == '*'
                            || (!out.is_empty() && c.is_ascii_digit()) => {}
                    _ => return Err(self.error("Expected a name")),
                }
                while self
                    .peek()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '@' | '*'))
                {
                    self.pos += 1;
                }
                out.push_str(&self.src[s..self.pos]);
            }
            let r = self.rest();
            let continues = r.starts_with('.')
                && r[1..].starts_with(|c: char| {
                    ident_start(c) || c.is_ascii_digit() || c == '`' || c == '*'
                });
            if !continues {
                return Ok(out);
            }
            self.pos += 1;
            out.push('.');
        }
    }

    fn string_body(&mut self, quote: char) -> Result<String, Diagnostic> {
        let start = self.pos - 1;
        if self.rest().starts_with("\"\"") && quote == '"' {
            // Triple-quoted: no escapes, until the next `"""`.
            self.pos += 2;
            let end = self.rest().find("\"\"\"").ok_or_else(|| {
                Diagnostic::new(
                    Span::new(start, self.src.len()),
                    "Unterminated triple-quoted string.",
                )
            })?;
            let s = self.rest()[..end].to_string();
            self.pos += end + 3;
            return Ok(s);
        }
        crate::rules::lex::quoted_body(self.src, &mut self.pos, quote)
    }

    pub fn expr(&mut self) -> Result<Expr, Diagnostic> {
        self.enter()?;
        let e = self.or();
        self.depth -= 1;
        e
    }

    fn or(&mut self) -> Result<Expr, Diagnostic> {
        let mut left = self.and()?;
        loop {
            self.ws();
            if !self.keyword("or") {
                return Ok(left);
            }
            self.ws();
            let right = self.and()?;
            left = Expr::Bin(BinOp::Or, Box::new(left), Box::new(right));
        }
    }

    fn and(&mut self) -> Result<Expr, Diagnostic> {
        let mut left = self.not()?;
        loop {
            self.ws();
            if !self.keyword("and") {
                return Ok(left);
            }
            self.ws();
            let right = self.not()?;
            left = Expr::Bin(BinOp::And, Box::new(left), Box::new(right));
        }
    }

    fn not(&mut self) -> Result<Expr, Diagnostic> {
        self.ws();
        if self.keyword("not") {
            self.enter()?;
            let inner = self.not()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, Diagnostic> {
        let left = self.additive()?;
        self.ws();
        let save = self.pos;
        let negated = self.keyword("not");
        self.ws();
        if self.keyword("in") {
            self.ws();
            if !self.eat('(') {
                return Err(self.error("Expected \"(\" after IN"));
            }
            self.ws();
            // IN needs at least one value.
            if self.peek() == Some(')') {
                self.expr()?;
            }
            let list = self.list(')', false, |p| p.expr())?;
            return Ok(Expr::In {
                expr: Box::new(left),
                list,
                negated,
            });
        }
        for (word, regex) in [("like", false), ("rlike", true)] {
            if self.keyword(word) {
                self.ws();
                if !self.eat('"') {
                    return Err(self.error("Expected a quoted pattern"));
                }
                let pattern = self.string_body('"')?;
                return Ok(Expr::Like {
                    expr: Box::new(left),
                    pattern,
                    regex,
                    negated,
                });
            }
        }
        if negated {
            self.pos = save;
            return Ok(left);
        }
        if self.keyword("is") {
            self.ws();
            let negated = self.keyword("not");
            self.ws();
            if !self.keyword("null") {
                return Err(self.error("Expected NULL"));
            }
            return Ok(Expr::IsNull {
                expr: Box::new(left),
                negated,
            });
        }
        let op = [
            ("==", BinOp::Eq),
            ("!=", BinOp::Ne),
            ("<=", BinOp::Le),
            (">=", BinOp::Ge),
            ("<", BinOp::Lt),
            (">", BinOp::Gt),
        ]
        .into_iter()
        .find(|(s, _)| self.rest().starts_with(s));
        match op {
            Some((s, op)) => {
                self.pos += s.len();
                self.ws();
                let right = self.additive()?;
                Ok(Expr::Bin(op, Box::new(left), Box::new(right)))
            }
            None => Ok(left),
        }
    }

    fn additive(&mut self) -> Result<Expr, Diagnostic> {
        let mut left = self.multiplicative()?;
        loop {
            self.ws();
            let op = if self.peek() == Some('+') {
                BinOp::Add
            } else if self.peek() == Some('-') {
                BinOp::Sub
            } else {
                return Ok(left);
            };
            self.pos += 1;
            self.ws();
            let right = self.multiplicative()?;
            left = Expr::Bin(op, Box::new(left), Box::new(right));
        }
    }

    fn multiplicative(&mut self) -> Result<Expr, Diagnostic> {
        let mut left = self.unary()?;
        loop {
            self.ws();
            let op = match self.peek() {
                Some('*') => BinOp::Mul,
                Some('/') if !self.rest().starts_with("//") && !self.rest().starts_with("/*") => {
                    BinOp::Div
                }
                Some('%') => BinOp::Mod,
                _ => return Ok(left),
            };
            self.pos += 1;
            self.ws();
            let right = self.unary()?;
            left = Expr::Bin(op, Box::new(left), Box::new(right));
        }
    }

    fn unary(&mut self) -> Result<Expr, Diagnostic> {
        self.ws();
        if self.eat('-') {
            self.enter()?;
            let e = self.unary()?;
            self.depth -= 1;
            return Ok(match e {
                Expr::Lit(Lit::Int(n), s) => Expr::Lit(Lit::Int(-n), s),
                Expr::Lit(Lit::Float(f), s) => Expr::Lit(Lit::Float(-f), s),
                other => Expr::Neg(Box::new(other)),
            });
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, Diagnostic> {
        self.ws();
        let start = self.pos;
        match self.peek() {
            Some('(') => {
                self.pos += 1;
                let e = self.expr()?;
                self.ws();
                self.expect(')')?;
                Ok(e)
            }
            Some('"') => {
                self.pos += 1;
                let s = self.string_body('"')?;
                Ok(Expr::Lit(Lit::Str(s), Span::new(start, self.pos)))
            }
            Some('*') => {
                self.pos += 1;
                Ok(Expr::Star(Span::new(start, self.pos)))
            }
            Some(c) if c.is_ascii_digit() => self.number(),
            Some(c) if ident_start(c) || c == '`' => {
                let name = self.ident()?;
                let span = Span::new(start, self.pos);
                let lower = name.to_ascii_lowercase();
                match lower.as_str() {
                    "null" => return Ok(Expr::Lit(Lit::Null, span)),
                    "true" => return Ok(Expr::Lit(Lit::Bool(true), span)),
                    "false" => return Ok(Expr::Lit(Lit::Bool(false), span)),
                    _ => {}
                }
                let save = self.pos;
                self.ws();
                if self.eat('(') {
                    let args = self.list(')', false, |p| p.expr())?;
                    return Ok(Expr::Call {
                        name: lower,
                        args,
                        span: Span::new(start, self.pos),
                    });
                }
                self.pos = save;
                Ok(Expr::Field(name, span))
            }
            _ => Err(self.error("Expected an expression")),
        }
    }

    fn number(&mut self) -> Result<Expr, Diagnostic> {
        let start = self.pos;
        let float = self.scan_number();
        let text = &self.src[start..self.pos];
        let span = Span::new(start, self.pos);
        let lit = if float {
            Lit::Float(
                text.parse()
                    .map_err(|_| Diagnostic::new(span, "Invalid number."))?,
            )
        } else {
            Lit::Int(
                text.parse()
                    .map_err(|_| Diagnostic::new(span, "Number out of range."))?,
            )
        };
        // `1 minute`, `5 hours`: a time span.
        if let Lit::Int(n) = lit {
            let save = self.pos;
            self.ws();
            let unit_start = self.pos;
            while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
                self.pos += 1;
            }
            let unit = self.src[unit_start..self.pos].to_ascii_lowercase();
            if super::value::span_unit(&unit).is_some() {
                return Ok(Expr::Lit(Lit::Span(n, unit), Span::new(start, self.pos)));
            }
            self.pos = save;
        }
        Ok(Expr::Lit(lit, span))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_shape_of_an_elastic_esql_rule() {
        let q = parse(
            "from logs-azure.platformlogs-* metadata _id, _index\n// comment\n| where event.dataset == \"azure.platformlogs\" and event.action in (\"SecretGet\", \"KeyGet\")\n| eval Esql.w = date_trunc(1 minute, @timestamp)\n| stats Esql_priv.v = values(x), c = count(*) by Esql.w, azure.platformlogs.identity.claim.upn\n| keep Esql.*, c\n| where c >= 10 /* inline */ and not x is null\n| sort Esql.w desc nulls last\n| limit 10",
        )
        .unwrap();
        assert_eq!(q.from.patterns, ["logs-azure.platformlogs-*"]);
        assert_eq!(q.from.metadata, ["_id", "_index"]);
        assert_eq!(q.commands.len(), 7);
        let Command::Stats { aggs, by } = &q.commands[2] else {
            panic!()
        };
        assert_eq!(aggs[0].0, "Esql_priv.v");
        assert_eq!(by[1].0, "azure.platformlogs.identity.claim.upn");
        assert!(
            matches!(&q.commands[1], Command::Eval(v) if matches!(&v[0].1, Expr::Call { args, .. } if matches!(args[0], Expr::Lit(Lit::Span(1, _), _))))
        );
    }

    #[test]
    fn errors_are_located() {
        let e = parse("from x | wher a == 1").unwrap_err();
        assert_eq!(e.span.start, 9);
        let e = parse("from x | where a == \"oops").unwrap_err();
        assert!(e.message.contains("Unterminated"));
        assert!(parse("from x | where (".repeat(5000).as_str()).is_err());
    }

    #[test]
    fn parser_never_panics() {
        const ALPHABET: &[&str] = &[
            "from ", "x", "|", " where ", " stats ", " by ", "(", ")", "\"", "`", "==", "1", ".",
            "*", ",", " and ", " not ", " in ", "é", "/*", "//", "\n", "-", "=", " is ", "null",
            " sort ", " desc ", " nulls ", "\"\"\"",
        ];
        for q in crate::rules::lex::random_queries(ALPHABET, 0x9e37_79b9_7f4a_7c15, 20_000, 20) {
            let _ = parse(&q);
        }
    }
}
