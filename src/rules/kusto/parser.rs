//! A hand-written Kusto parser: `let` statements, a tabular expression of
//! piped operators, and the scalar language. Spacing is as forgiving as
//! Kusto's own (`$right. CallerIpAddress`, `count ()`, `x.[0]`).

use super::ast::{BinOp, Expr, JoinKind, Let, Op, ParsePiece, Query, Tabular};
use crate::rules::diag::{Diagnostic, Span};

pub(super) const MAX_DEPTH: usize = 128;

pub fn parse(src: &str) -> Result<Query, Diagnostic> {
    let mut p = Parser {
        src,
        pos: 0,
        depth: 0,
    };
    let mut lets = Vec::new();
    loop {
        p.ws();
        if p.keyword("let") {
            p.ws();
            let name = p.ident()?;
            p.ws();
            if !p.eat('=') {
                return Err(p.error("Expected \"=\" after the let name"));
            }
            p.ws();
            if p.peek() == Some('(') && p.looks_like_function() {
                return Err(
                    p.error("User-defined functions (let f = (...) {...}) are not supported")
                );
            }
            let body_start = p.pos;
            let tabular = p.statement_is_tabular();
            if tabular {
                lets.push(Let::Table(name, p.tabular()?));
            } else {
                let e = p.expr()?;
                let _ = body_start;
                lets.push(Let::Scalar(name, e));
            }
            p.ws();
            if !p.eat(';') {
                return Err(p.error("Expected \";\" after the let statement"));
            }
            continue;
        }
        break;
    }
    p.ws();
    let body = p.tabular()?;
    p.ws();
    while p.eat(';') {
        p.ws();
    }
    if !p.at_end() {
        return Err(p.error("Expected \"|\" or the end of the query"));
    }
    Ok(Query { lets, body })
}

pub(super) struct Parser<'a> {
    pub(super) src: &'a str,
    pub(super) pos: usize,
    pub(super) depth: usize,
}

pub(super) fn ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == '$'
}

pub(super) fn ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

impl<'a> Parser<'a> {
    pub(super) fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    pub(super) fn at_end(&self) -> bool {
        self.pos >= self.src.len()
    }

    pub(super) fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    pub(super) fn error(&self, msg: &str) -> Diagnostic {
        let found = match self.peek() {
            None => "end of input".to_string(),
            Some(c) => format!("\"{}\"", c.escape_default()),
        };
        let end = self.pos + self.peek().map_or(0, char::len_utf8);
        Diagnostic::new(Span::new(self.pos, end), format!("{msg}, found {found}."))
    }

    pub(super) fn ws(&mut self) {
        loop {
            let r = self.rest();
            let t = r.trim_start();
            self.pos += r.len() - t.len();
            if t.starts_with("//") {
                self.pos += t.find('\n').unwrap_or(t.len());
            } else {
                return;
            }
        }
    }

    pub(super) fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    pub(super) fn keyword(&mut self, word: &str) -> bool {
        let r = self.rest();
        let ok = r
            .get(..word.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(word))
            && !r[word.len()..].starts_with(|c: char| ident_char(c) || c == '-');
        if ok {
            self.pos += word.len();
        }
        ok
    }

    pub(super) fn peek_keyword(&mut self, word: &str) -> bool {
        let save = self.pos;
        let ok = self.keyword(word);
        self.pos = save;
        ok
    }

    pub(super) fn enter(&mut self) -> Result<(), Diagnostic> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(&format!("Query nested deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    pub(super) fn looks_like_function(&self) -> bool {
        let r = self.rest();
        let close = r.find(')').unwrap_or(0);
        r[close..]
            .trim_start_matches(|c: char| c == ')' || c.is_whitespace())
            .starts_with('{')
    }

    /// Whether the let body (up to its `;`) is a table: it pipes, or starts
    /// with a tabular keyword.
    pub(super) fn statement_is_tabular(&mut self) -> bool {
        for kw in [
            "datatable",
            "range",
            "union",
            "print",
            "materialize",
            "view",
        ] {
            if self.peek_keyword(kw) {
                return true;
            }
        }
        matches!(self.top_level(&['|', ';']), Some((_, '|')))
    }

    /// The first of `stops` at the top level of the rest of the text (not
    /// inside quotes or brackets), with its offset from the cursor.
    pub(super) fn top_level(&self, stops: &[char]) -> Option<(usize, char)> {
        let mut depth = 0i32;
        let mut quote: Option<char> = None;
        for (i, c) in self.rest().char_indices() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"') => quote = Some(c),
                (None, c) if depth == 0 && stops.contains(&c) => return Some((i, c)),
                (None, '(' | '[' | '{') => depth += 1,
                (None, ')' | ']' | '}') => depth -= 1,
                _ => {}
            }
        }
        None
    }

    /// A name: letters, digits, `_`, `$left`; or `['any text']`.
    pub(super) fn ident(&mut self) -> Result<String, Diagnostic> {
        if self.rest().starts_with("['") || self.rest().starts_with("[\"") {
            self.pos += 1;
            let q = self.peek().unwrap_or('\'');
            self.pos += 1;
            let s = self.string_body(q)?;
            self.ws();
            if !self.eat(']') {
                return Err(self.error("Expected \"]\""));
            }
            return Ok(s);
        }
        let s = self.pos;
        match self.peek() {
            Some(c) if ident_start(c) => {}
            _ => return Err(self.error("Expected a name")),
        }
        self.pos += 1;
        while self.peek().is_some_and(ident_char) {
            self.pos += 1;
        }
        Ok(self.src[s..self.pos].to_string())
    }

    /// An operator name, which may be hyphenated (`project-away`).
    pub(super) fn op_name(&mut self) -> Result<String, Diagnostic> {
        let mut name = self.ident()?.to_ascii_lowercase();
        while self.peek() == Some('-')
            && self.rest()[1..].starts_with(|c: char| c.is_ascii_alphabetic())
        {
            self.pos += 1;
            name.push('-');
            name.push_str(&self.ident()?.to_ascii_lowercase());
        }
        Ok(name)
    }

    pub(super) fn string_body(&mut self, quote: char) -> Result<String, Diagnostic> {
        crate::rules::lex::quoted_body(self.src, &mut self.pos, quote)
    }

    pub(super) fn verbatim(&mut self, quote: char) -> Result<String, Diagnostic> {
        let start = self.pos;
        match self.rest().find(quote) {
            Some(end) => {
                let s = self.rest()[..end].to_string();
                self.pos += end + 1;
                Ok(s)
            }
            None => Err(Diagnostic::new(
                Span::new(start, self.src.len()),
                "Unterminated string.",
            )),
        }
    }

    pub(super) fn tabular(&mut self) -> Result<Tabular, Diagnostic> {
        self.enter()?;
        self.ws();
        let mut t = self.source()?;
        loop {
            self.ws();
            if !self.eat('|') {
                break;
            }
            self.ws();
            let op = self.operator()?;
            t = Tabular::Pipe(Box::new(t), op);
        }
        self.depth -= 1;
        Ok(t)
    }

    pub(super) fn source(&mut self) -> Result<Tabular, Diagnostic> {
        let start = self.pos;
        if self.eat('(') {
            let t = self.tabular()?;
            self.ws();
            if !self.eat(')') {
                return Err(self.error("Expected \")\""));
            }
            return Ok(t);
        }
        if self.keyword("datatable") {
            self.ws();
            if !self.eat('(') {
                return Err(self.error("Expected \"(\" after datatable"));
            }
            let mut columns = Vec::new();
            loop {
                self.ws();
                if self.eat(')') {
                    break;
                }
                let name = self.ident()?;
                self.ws();
                if !self.eat(':') {
                    return Err(self.error("Expected \":\" and a type"));
                }
                self.ws();
                let ty = self.ident()?.to_ascii_lowercase();
                columns.push((name, ty));
                self.ws();
                if self.eat(')') {
                    break;
                }
                if !self.eat(',') {
                    return Err(self.error("Expected \",\" or \")\""));
                }
            }
            self.ws();
            if !self.eat('[') {
                return Err(self.error("Expected \"[\" and the values"));
            }
            let mut values = Vec::new();
            loop {
                self.ws();
                if self.eat(']') {
                    break;
                }
                values.push(self.expr()?);
                self.ws();
                if self.eat(']') {
                    break;
                }
                if !self.eat(',') {
                    return Err(self.error("Expected \",\" or \"]\""));
                }
            }
            return Ok(Tabular::Datatable { columns, values });
        }
        if self.keyword("print") {
            return Ok(Tabular::Print(self.named_exprs()?));
        }
        if self.keyword("range") {
            self.ws();
            let column = self.ident()?;
            self.ws();
            if !self.keyword("from") {
                return Err(self.error("Expected FROM"));
            }
            let from = self.expr()?;
            self.ws();
            if !self.keyword("to") {
                return Err(self.error("Expected TO"));
            }
            let to = self.expr()?;
            self.ws();
            if !self.keyword("step") {
                return Err(self.error("Expected STEP"));
            }
            let step = self.expr()?;
            return Ok(Tabular::Range {
                column,
                from,
                to,
                step,
            });
        }
        if self.keyword("union") {
            return Ok(Tabular::Union(self.union_list()?));
        }
        let name = self.ident()?;
        Ok(Tabular::Source(name, Span::new(start, self.pos)))
    }

    pub(super) fn union_list(&mut self) -> Result<Vec<Tabular>, Diagnostic> {
        let mut out = Vec::new();
        loop {
            self.ws();
            // Options such as `kind=outer` or `withsource=T` are accepted.
            for opt in ["kind", "withsource", "isfuzzy"] {
                if self.peek_keyword(opt) {
                    self.keyword(opt);
                    self.ws();
                    self.eat('=');
                    self.ws();
                    let _ = self.ident();
                    self.ws();
                }
            }
            out.push(self.source_or_pipeline()?);
            self.ws();
            if !self.eat(',') {
                break;
            }
        }
        Ok(out)
    }

    pub(super) fn source_or_pipeline(&mut self) -> Result<Tabular, Diagnostic> {
        if self.peek() == Some('(') {
            self.pos += 1;
            let t = self.tabular()?;
            self.ws();
            if !self.eat(')') {
                return Err(self.error("Expected \")\""));
            }
            return Ok(t);
        }
        self.source()
    }

    pub(super) fn operator(&mut self) -> Result<Op, Diagnostic> {
        let start = self.pos;
        let name = self.op_name()?;
        self.ws();
        Ok(match name.as_str() {
            "where" | "filter" => Op::Where(self.expr()?),
            "project" => {
                let items = self.named_exprs()?;
                let mut out = Vec::new();
                for (n, e) in items {
                    match (n, e) {
                        (Some(n), e) => out.push((n, Some(e))),
                        (None, Expr::Column(c, _)) => out.push((c, None)),
                        (None, e @ Expr::Member(..)) => out.push((default_name(&e), Some(e))),
                        // Other unnamed expressions are Column1, Column2...
                        (None, e) => {
                            let n = out.iter().filter(|(c, _)| c.starts_with("Column")).count();
                            out.push((format!("Column{}", n + 1), Some(e)))
                        }
                    }
                }
                Op::Project(out)
            }
            "project-away" => Op::ProjectAway(self.name_list()?),
            "project-keep" => Op::ProjectKeep(self.name_list()?),
            "project-rename" => {
                let mut out = Vec::new();
                for (n, e) in self.named_exprs()? {
                    match (n, e) {
                        (Some(n), Expr::Column(c, _)) => out.push((n, c)),
                        _ => return Err(self.error("Expected new = old")),
                    }
                }
                Op::ProjectRename(out)
            }
            "extend" => Op::Extend(self.named_exprs()?),
            "summarize" => {
                let aggs = if self.peek_keyword("by") {
                    Vec::new()
                } else {
                    self.named_exprs()?
                };
                self.ws();
                let by = if self.keyword("by") {
                    self.named_exprs()?
                } else {
                    Vec::new()
                };
                Op::Summarize { aggs, by }
            }
            "join" | "lookup" => self.join(name == "lookup")?,
            "sort" | "order" => {
                self.ws();
                if !self.keyword("by") {
                    return Err(self.error("Expected BY"));
                }
                let mut keys = Vec::new();
                loop {
                    self.ws();
                    let e = self.expr()?;
                    self.ws();
                    let desc = if self.keyword("asc") {
                        false
                    } else {
                        self.keyword("desc");
                        true
                    };
                    self.ws();
                    let mut nulls = None;
                    if self.keyword("nulls") {
                        self.ws();
                        nulls = Some(self.keyword("first") || !self.keyword("last"));
                    }
                    keys.push((e, desc, nulls));
                    self.ws();
                    if !self.eat(',') {
                        break;
                    }
                }
                Op::Sort(keys)
            }
            "top" => {
                let n = self.expr()?;
                self.ws();
                if !self.keyword("by") {
                    return Err(self.error("Expected BY"));
                }
                let by = self.expr()?;
                self.ws();
                let desc = if self.keyword("asc") {
                    false
                } else {
                    self.keyword("desc");
                    true
                };
                self.ws();
                if self.keyword("nulls") {
                    self.ws();
                    let _ = self.keyword("first") || self.keyword("last");
                }
                Op::Top { n, by, desc }
            }
            "take" | "limit" => Op::Take(self.expr()?),
            "distinct" => {
                if self.eat('*') {
                    Op::Distinct(Vec::new())
                } else {
                    Op::Distinct(self.name_list()?)
                }
            }
            "count" => Op::Count,
            "mv-expand" | "mvexpand" => {
                let items = self.named_exprs()?;
                self.ws();
                if self.keyword("to") {
                    self.ws();
                    self.keyword("typeof");
                    self.ws();
                    self.eat('(');
                    let _ = self.ident();
                    self.eat(')');
                }
                Op::MvExpand(items)
            }
            "union" => Op::Union(self.union_list()?),
            "parse" => {
                let mut regex = false;
                if self.keyword("kind") {
                    self.ws();
                    self.eat('=');
                    self.ws();
                    regex = self.ident()?.eq_ignore_ascii_case("regex");
                    self.ws();
                }
                let expr = self.expr()?;
                self.ws();
                if !self.keyword("with") {
                    return Err(self.error("Expected WITH"));
                }
                let mut pieces = Vec::new();
                loop {
                    self.ws();
                    match self.peek() {
                        Some('*') => {
                            self.pos += 1;
                            pieces.push(ParsePiece::Star);
                        }
                        Some(q @ ('"' | '\'')) => {
                            self.pos += 1;
                            pieces.push(ParsePiece::Text(self.string_body(q)?));
                        }
                        Some('@') => {
                            self.pos += 1;
                            let q = self.peek().unwrap_or('"');
                            self.pos += 1;
                            pieces.push(ParsePiece::Text(self.verbatim(q)?));
                        }
                        Some(c) if ident_start(c) => {
                            let name = self.ident()?;
                            self.ws();
                            let ty = if self.eat(':') {
                                self.ws();
                                self.ident()?.to_ascii_lowercase()
                            } else {
                                "string".into()
                            };
                            pieces.push(ParsePiece::Column(name, ty));
                        }
                        _ => break,
                    }
                }
                Op::Parse {
                    expr,
                    pieces,
                    regex,
                }
            }
            other => {
                // Skip to the next top-level pipe so the rest still checks.
                self.pos += self
                    .top_level(&['|', ';', ')', ']'])
                    .map_or(self.rest().len(), |(at, _)| at);
                Op::Unsupported(other.to_string(), Span::new(start, start + other.len()))
            }
        })
    }

    pub(super) fn join(&mut self, lookup: bool) -> Result<Op, Diagnostic> {
        let mut kind = if lookup {
            JoinKind::LeftOuter
        } else {
            JoinKind::InnerUnique
        };
        loop {
            self.ws();
            if self.keyword("kind") {
                self.ws();
                self.eat('=');
                self.ws();
                let k = self.ident()?.to_ascii_lowercase();
                kind = match k.as_str() {
                    "innerunique" => JoinKind::InnerUnique,
                    "inner" => JoinKind::Inner,
                    "leftouter" => JoinKind::LeftOuter,
                    "rightouter" => JoinKind::RightOuter,
                    "fullouter" => JoinKind::FullOuter,
                    "leftanti" | "anti" | "leftantisemi" => JoinKind::LeftAnti,
                    "rightanti" | "rightantisemi" => JoinKind::RightAnti,
                    "leftsemi" => JoinKind::LeftSemi,
                    "rightsemi" => JoinKind::RightSemi,
                    other => return Err(self.error(&format!("Unknown join kind {other}"))),
                };
                continue;
            }
            if self.peek_keyword("hint") {
                // hint.strategy=... and friends: accepted, no effect offline.
                while !self.rest().starts_with('(') && !self.at_end() && !self.peek_keyword("kind")
                {
                    let c = self.peek().unwrap_or(' ');
                    self.pos += c.len_utf8();
                }
                continue;
            }
            break;
        }
        self.ws();
        let right = self.source_or_pipeline()?;
        self.ws();
        if !self.keyword("on") {
            return Err(self.error("Expected ON"));
        }
        let mut on = Vec::new();
        loop {
            self.ws();
            let e = self.expr()?;
            match e {
                Expr::Bin(BinOp::Eq, a, b) => {
                    let (l, r) = if side_of(&a) == Some("$right") || side_of(&b) == Some("$left") {
                        (*b, *a)
                    } else {
                        (*a, *b)
                    };
                    on.push((strip_side(l), strip_side(r)));
                }
                Expr::Column(c, s) => on.push((Expr::Column(c.clone(), s), Expr::Column(c, s))),
                _ => return Err(self.error("Expected a column or $left.a == $right.b")),
            }
            self.ws();
            if !self.eat(',') {
                break;
            }
        }
        Ok(Op::Join {
            kind,
            right: Box::new(right),
            on,
        })
    }

    pub(super) fn name_list(&mut self) -> Result<Vec<String>, Diagnostic> {
        let mut out = Vec::new();
        loop {
            self.ws();
            let s = self.pos;
            let mut name = self.ident()?;
            // Wildcards in names (`project-away Prop*`).
            while self.eat('*') {
                name.push('*');
                if self.peek().is_some_and(ident_char) {
                    name.push_str(&self.ident()?);
                }
            }
            let _ = s;
            out.push(name);
            self.ws();
            if !self.eat(',') {
                break;
            }
        }
        Ok(out)
    }

    /// `name = expr` or `expr`, comma-separated; also `(a, b) = f(...)` is
    /// refused by the caller's checks.
    pub(super) fn named_exprs(&mut self) -> Result<Vec<(Option<String>, Expr)>, Diagnostic> {
        let mut out = Vec::new();
        loop {
            self.ws();
            let save = self.pos;
            let mut named = None;
            if let Ok(name) = self.ident() {
                self.ws();
                if self.peek() == Some('=')
                    && !self.rest().starts_with("==")
                    && !self.rest().starts_with("=~")
                {
                    self.pos += 1;
                    named = Some(name);
                } else {
                    self.pos = save;
                }
            } else {
                self.pos = save;
            }
            self.ws();
            let e = self.expr()?;
            out.push((named, e));
            self.ws();
            if !self.eat(',') {
                break;
            }
        }
        Ok(out)
    }
}

fn side_of(e: &Expr) -> Option<&str> {
    match e {
        Expr::Member(base, _) => match base.as_ref() {
            Expr::Column(c, _) if c == "$left" || c == "$right" => Some(c.as_str()),
            _ => None,
        },
        _ => None,
    }
}

fn strip_side(e: Expr) -> Expr {
    match e {
        Expr::Member(base, name) if matches!(base.as_ref(), Expr::Column(c, _) if c == "$left" || c == "$right") => {
            Expr::Column(name, Span::default())
        }
        other => other,
    }
}

/// The column name Kusto gives an unnamed expression.
pub fn default_name(e: &Expr) -> String {
    match e {
        Expr::Column(c, _) => c.clone(),
        Expr::Member(base, name) => format!("{}_{name}", default_name(base)),
        // `bin(x, 1h)` and `floor(x, 1h)` keep the column's name.
        Expr::Call { name, args, .. }
            if (name == "bin" || name == "floor")
                && matches!(args.first(), Some(Expr::Column(..))) =>
        {
            default_name(&args[0])
        }
        Expr::Call { name, args, .. } => {
            if args.is_empty() || matches!(args.as_slice(), [Expr::Star]) {
                if name == "count" {
                    return "count_".into();
                }
                return format!("{name}_");
            }
            match args.first() {
                Some(Expr::Column(c, _)) => format!("{name}_{c}"),
                _ => format!("{name}_"),
            }
        }
        _ => "Column1".into(),
    }
}
