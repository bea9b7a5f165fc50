//! Kusto's scalar expressions: precedence from `or` down to member access,
//! the string operators with their case and negation forms, literals
//! (timespans, `datetime(...)`, `dynamic(...)`, verbatim strings).

use super::ast::{BinOp, Expr, Op, StrOp, Tabular};
use super::parser::{Parser, ident_start};
use crate::rules::diag::{Diagnostic, Span};
use crate::rules::lex::Cursor;

impl Parser<'_> {
    pub fn expr(&mut self) -> Result<Expr, Diagnostic> {
        self.enter()?;
        let e = self.or();
        self.depth -= 1;
        e
    }

    pub(super) fn or(&mut self) -> Result<Expr, Diagnostic> {
        let mut l = self.and()?;
        loop {
            self.ws();
            if !self.keyword("or") {
                return Ok(l);
            }
            let r = self.and()?;
            l = Expr::Bin(BinOp::Or, Box::new(l), Box::new(r));
        }
    }

    pub(super) fn and(&mut self) -> Result<Expr, Diagnostic> {
        let mut l = self.comparison()?;
        loop {
            self.ws();
            if !self.keyword("and") {
                return Ok(l);
            }
            let r = self.comparison()?;
            l = Expr::Bin(BinOp::And, Box::new(l), Box::new(r));
        }
    }

    pub(super) fn comparison(&mut self) -> Result<Expr, Diagnostic> {
        let left = self.additive()?;
        self.ws();
        let save = self.pos;
        for (sym, op) in [
            ("==", BinOp::Eq),
            ("!=", BinOp::Ne),
            ("<>", BinOp::Ne),
            ("=~", BinOp::EqCi),
            ("!~", BinOp::NeCi),
            ("<=", BinOp::Le),
            (">=", BinOp::Ge),
            ("<", BinOp::Lt),
            (">", BinOp::Gt),
        ] {
            if self.rest().starts_with(sym) {
                self.pos += sym.len();
                self.ws();
                let right = self.additive()?;
                return Ok(Expr::Bin(op, Box::new(left), Box::new(right)));
            }
        }
        let negated = self.eat('!');
        let word = match self.ident() {
            Ok(w) => w.to_ascii_lowercase(),
            Err(_) => {
                self.pos = save;
                return Ok(left);
            }
        };
        let str_op = |w: &str| -> Option<(StrOp, bool)> {
            Some(match w {
                "has" => (StrOp::Has, false),
                "has_cs" => (StrOp::Has, true),
                "hasprefix" => (StrOp::HasPrefix, false),
                "hasprefix_cs" => (StrOp::HasPrefix, true),
                "hassuffix" => (StrOp::HasSuffix, false),
                "hassuffix_cs" => (StrOp::HasSuffix, true),
                "contains" => (StrOp::Contains, false),
                "contains_cs" => (StrOp::Contains, true),
                "startswith" => (StrOp::StartsWith, false),
                "startswith_cs" => (StrOp::StartsWith, true),
                "endswith" => (StrOp::EndsWith, false),
                "endswith_cs" => (StrOp::EndsWith, true),
                _ => return None,
            })
        };
        if let Some((op, cs)) = str_op(&word) {
            self.ws();
            let right = self.additive()?;
            return Ok(Expr::Str2 {
                op,
                cs,
                negated,
                left: Box::new(left),
                right: Box::new(right),
            });
        }
        if word == "matches" && !negated {
            self.ws();
            if !self.keyword("regex") {
                return Err(self.error("Expected REGEX after MATCHES"));
            }
            self.ws();
            let right = self.additive()?;
            return Ok(Expr::Str2 {
                op: StrOp::MatchesRegex,
                cs: true,
                negated: false,
                left: Box::new(left),
                right: Box::new(right),
            });
        }
        if matches!(word.as_str(), "in" | "has_any" | "has_all") {
            let ci = word == "in" && self.eat('~');
            self.ws();
            self.expect('(')?;
            let list = self.list(')', true, |p| p.in_item())?;
            if word == "has_all" {
                // has_all: every term present.
                let mut e: Option<Expr> = None;
                for item in list {
                    let one = Expr::Str2 {
                        op: StrOp::Has,
                        cs: false,
                        negated: false,
                        left: Box::new(left.clone()),
                        right: Box::new(item),
                    };
                    e = Some(match e {
                        None => one,
                        Some(prev) => Expr::Bin(BinOp::And, Box::new(prev), Box::new(one)),
                    });
                }
                return Ok(e.unwrap_or(Expr::Bool(true)));
            }
            return Ok(Expr::In {
                expr: Box::new(left),
                list,
                ci: ci || word == "has_any",
                negated,
                any: word == "has_any",
            });
        }
        if word == "between" {
            self.ws();
            self.expect('(')?;
            let lo = self.expr()?;
            self.ws();
            if !(self.eat('.') && self.eat('.')) {
                return Err(self.error("Expected \"..\""));
            }
            let hi = self.expr()?;
            self.ws();
            self.expect(')')?;
            return Ok(Expr::Between {
                expr: Box::new(left),
                lo: Box::new(lo),
                hi: Box::new(hi),
                negated,
            });
        }
        self.pos = save;
        Ok(left)
    }

    pub(super) fn additive(&mut self) -> Result<Expr, Diagnostic> {
        let mut l = self.multiplicative()?;
        loop {
            self.ws();
            let op = match self.peek() {
                Some('+') => BinOp::Add,
                Some('-') => BinOp::Sub,
                _ => return Ok(l),
            };
            self.pos += 1;
            let r = self.multiplicative()?;
            l = Expr::Bin(op, Box::new(l), Box::new(r));
        }
    }

    pub(super) fn multiplicative(&mut self) -> Result<Expr, Diagnostic> {
        let mut l = self.unary()?;
        loop {
            self.ws();
            let op = match self.peek() {
                Some('*') => BinOp::Mul,
                Some('/') if !self.rest().starts_with("//") => BinOp::Div,
                Some('%') => BinOp::Mod,
                _ => return Ok(l),
            };
            self.pos += 1;
            let r = self.unary()?;
            l = Expr::Bin(op, Box::new(l), Box::new(r));
        }
    }

    pub(super) fn unary(&mut self) -> Result<Expr, Diagnostic> {
        self.ws();
        if self.peek() == Some('-') && !self.rest()[1..].starts_with('-') {
            self.pos += 1;
            self.enter()?;
            let e = self.unary()?;
            self.depth -= 1;
            return Ok(match e {
                Expr::Long(n) => Expr::Long(-n),
                Expr::Real(f) => Expr::Real(-f),
                Expr::Timespan(t) => Expr::Timespan(-t),
                e => Expr::Neg(Box::new(e)),
            });
        }
        self.postfix()
    }

    pub(super) fn postfix(&mut self) -> Result<Expr, Diagnostic> {
        let mut e = self.primary()?;
        loop {
            let save = self.pos;
            self.ws();
            if self.peek() == Some('.') && !self.rest().starts_with("..") {
                self.pos += 1;
                self.ws();
                if self.peek() == Some('[') {
                    // `x.[0]` and `x.["a"]` as Kusto accepts them.
                    continue;
                }
                let name = self.ident()?;
                e = Expr::Member(Box::new(e), name);
                continue;
            }
            if self.peek() == Some('[') {
                self.pos += 1;
                let idx = self.expr()?;
                self.ws();
                self.expect(']')?;
                e = Expr::Index(Box::new(e), Box::new(idx));
                continue;
            }
            self.pos = save;
            return Ok(e);
        }
    }

    pub(super) fn primary(&mut self) -> Result<Expr, Diagnostic> {
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
            Some('\'' | '"') => {
                let q = self.peek().unwrap_or('"');
                self.pos += 1;
                Ok(Expr::Str(self.string_body(q)?))
            }
            Some('@') if self.rest()[1..].starts_with(['\'', '"']) => {
                let q = self.rest()[1..].chars().next().unwrap_or('"');
                self.pos += 2;
                Ok(Expr::Str(self.verbatim(q)?))
            }
            // `h@"..."`: verbatim and hidden from logs alike.
            Some('h' | 'H')
                if self.rest()[1..].starts_with("@'") || self.rest()[1..].starts_with("@\"") =>
            {
                let q = self.rest()[2..].chars().next().unwrap_or('"');
                self.pos += 3;
                Ok(Expr::Str(self.verbatim(q)?))
            }
            Some('h' | 'H') if self.rest()[1..].starts_with(['\'', '"']) => {
                let q = self.rest()[1..].chars().next().unwrap_or('"');
                self.pos += 2;
                Ok(Expr::Str(self.string_body(q)?))
            }
            Some('*') => {
                self.pos += 1;
                Ok(Expr::Star)
            }
            Some(c) if c.is_ascii_digit() => self.number(),
            Some('[') if self.rest().starts_with("['") || self.rest().starts_with("[\"") => {
                let name = self.ident()?;
                Ok(Expr::Column(name, Span::new(start, self.pos)))
            }
            Some(c) if ident_start(c) => {
                let name = self.ident()?;
                if let Some(cs) = self.search_terms {
                    if self.peek() == Some(':') && !self.rest().starts_with("::") {
                        self.pos += 1;
                        let column = Expr::Column(name, Span::new(start, self.pos - 1));
                        return match self.primary()? {
                            Expr::Str(text) => Ok(super::search::term(column, &text, cs)),
                            _ => Err(self.error("Expected the term to search for, in quotes")),
                        };
                    }
                }
                let lower = name.to_ascii_lowercase();
                match lower.as_str() {
                    "true" => return Ok(Expr::Bool(true)),
                    "false" => return Ok(Expr::Bool(false)),
                    _ => {}
                }
                let save = self.pos;
                self.ws();
                if self.peek() == Some('(') {
                    if matches!(
                        lower.as_str(),
                        "datetime" | "timespan" | "dynamic" | "guid" | "time"
                    ) {
                        return self.typed_literal(&lower, start);
                    }
                    // Functions over a tabular subquery: parsed, so the
                    // rest of the query checks, and reported as missing.
                    if lower == "toscalar" {
                        self.pos += 1;
                        let t = match self.try_parse(|p| p.tabular(), ')') {
                            Some(t) => t,
                            None => Tabular::Print(vec![(None, self.expr()?)]),
                        };
                        self.ws();
                        self.expect(')')?;
                        return Ok(Expr::ToScalar(Box::new(t)));
                    }
                    // The names of a table's columns, in order: the first
                    // value of `T | getschema | summarize make_list(ColumnName)`.
                    if lower == "column_names_of" {
                        self.pos += 1;
                        self.ws();
                        let at = self.pos;
                        let table = self.ident()?;
                        let span = Span::new(at, self.pos);
                        self.ws();
                        self.expect(')')?;
                        let schema =
                            Tabular::Pipe(Box::new(Tabular::Source(table, span)), Op::GetSchema);
                        let names = Op::Summarize {
                            aggs: vec![(
                                Some("names".into()),
                                Expr::Call {
                                    name: "make_list".into(),
                                    args: vec![Expr::Column("ColumnName".into(), span)],
                                    span,
                                },
                            )],
                            by: Vec::new(),
                        };
                        return Ok(Expr::ToScalar(Box::new(Tabular::Pipe(
                            Box::new(schema),
                            names,
                        ))));
                    }
                    self.pos += 1;
                    let args = self.list(')', false, |p| p.expr())?;
                    return Ok(Expr::Call {
                        name: lower,
                        args,
                        span: Span::new(start, self.pos),
                    });
                }
                self.pos = save;
                Ok(Expr::Column(name, Span::new(start, self.pos)))
            }
            _ => Err(self.error("Expected an expression")),
        }
    }

    /// `datetime(2021-01-01)`, `timespan(1d)`, `dynamic({...})`: the text in
    /// the parentheses is taken as written.
    pub(super) fn typed_literal(&mut self, kind: &str, start: usize) -> Result<Expr, Diagnostic> {
        self.pos += 1;
        let inner_start = self.pos;
        self.pos += self
            .top_level(&[')'])
            .map_or(self.rest().len(), |(at, _)| at);
        let inner = self.src[inner_start..self.pos].trim().to_string();
        self.expect(')')?;
        let span = Span::new(start, self.pos);
        Ok(Expr::Call {
            name: format!("{kind}#literal"),
            args: vec![Expr::Str(inner)],
            span,
        })
    }

    pub(super) fn number(&mut self) -> Result<Expr, Diagnostic> {
        let start = self.pos;
        if self.rest().starts_with("0x") || self.rest().starts_with("0X") {
            self.pos += 2;
            let digits = self
                .rest()
                .bytes()
                .take_while(u8::is_ascii_hexdigit)
                .count();
            self.pos += digits;
            let span = Span::new(start, self.pos);
            return u64::from_str_radix(&self.src[start + 2..self.pos], 16)
                .map(|n| Expr::Long(n as i64))
                .map_err(|_| Diagnostic::new(span, "Invalid hexadecimal number."));
        }
        let mut real = self.scan_number();
        // `10.` is a real, but `1..5` is a range and `x.y` a member.
        if !real
            && self.peek() == Some('.')
            && !self.rest()[1..]
                .starts_with(|c: char| c == '.' || c.is_ascii_digit() || ident_start(c))
        {
            real = true;
            self.pos += 1;
        }
        let num = &self.src[start..self.pos];
        // A unit right after the number makes a timespan: 5m, 1.5h, 100ms.
        let unit_start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            self.pos += 1;
        }
        let unit = &self.src[unit_start..self.pos];
        let span = Span::new(start, self.pos);
        if !unit.is_empty() {
            let ticks_per = super::value::unit_ticks(unit).ok_or_else(|| {
                Diagnostic::new(span, format!("Unknown timespan unit \"{unit}\"."))
            })?;
            let n: f64 = num
                .parse()
                .map_err(|_| Diagnostic::new(span, "Invalid number."))?;
            return Ok(Expr::Timespan((n * ticks_per as f64).round() as i64));
        }
        if real {
            Ok(Expr::Real(
                num.parse()
                    .map_err(|_| Diagnostic::new(span, "Invalid number."))?,
            ))
        } else {
            match num.parse::<i64>() {
                Ok(n) => Ok(Expr::Long(n)),
                Err(_) => Ok(Expr::Real(
                    num.parse()
                        .map_err(|_| Diagnostic::new(span, "Invalid number."))?,
                )),
            }
        }
    }
}
