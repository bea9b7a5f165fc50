//! A hand-written Kusto parser: `let` statements, a tabular expression of
//! piped operators, and the scalar language. Spacing is as forgiving as
//! Kusto's own (`$right. CallerIpAddress`, `count ()`, `x.[0]`).

use std::collections::HashMap;

use super::ast::{Arg, Expr, Query, Tabular};
use crate::rules::diag::{Diagnostic, Span};
use crate::rules::lex::Cursor;

pub(super) const MAX_DEPTH: usize = 128;

pub fn parse(src: &str) -> Result<Query, Diagnostic> {
    let mut p = Parser {
        src,
        pos: 0,
        depth: 0,
        funcs: HashMap::new(),
        search_terms: None,
        table_lets: Default::default(),
        query_now: None,
    };
    let lets = p.lets()?;
    p.ws();
    let body = p.tabular()?;
    p.ws();
    while p.eat(';') {
        p.ws();
    }
    if !p.at_end() {
        return Err(p.error("Expected \"|\" or the end of the query"));
    }
    Ok(Query {
        lets,
        body,
        now: p.query_now.take(),
    })
}

pub(super) struct Parser<'a> {
    pub(super) src: &'a str,
    pub(super) pos: usize,
    pub(super) depth: usize,
    /// User-defined functions seen so far: which parameters are tables,
    /// and whether the function returns a table.
    pub(super) funcs: HashMap<String, (Vec<bool>, bool)>,
    /// Inside a `search` predicate: `Column:"term"` is a term, searched
    /// case-sensitively when this is true.
    pub(super) search_terms: Option<bool>,
    /// Names of the tabular `let`s seen so far: in an `in` list, such a
    /// name stands for its first column's values.
    pub(super) table_lets: std::collections::HashSet<String>,
    /// The value of a `set query_now = ...;` statement.
    pub(super) query_now: Option<Expr>,
}

impl Parser<'_> {
    /// One item of an `in` list: a value, or a query (`T | project c`) or
    /// tabular `let` whose first column gives the values.
    pub(super) fn in_item(&mut self) -> Result<Expr, Diagnostic> {
        let (save, depth) = (self.pos, self.depth);
        if let Ok(t) = self.tabular() {
            self.ws();
            let query = matches!(t, Tabular::Pipe(..) | Tabular::Datatable { .. });
            if query && matches!(self.peek(), Some(',' | ')')) {
                return Ok(Expr::Values(Box::new(t)));
            }
        }
        self.pos = save;
        self.depth = depth;
        match self.expr()? {
            Expr::Column(name, span) if self.table_lets.contains(&name) => {
                Ok(Expr::Values(Box::new(Tabular::Source(name, span))))
            }
            e => Ok(e),
        }
    }

    /// Runs `f`; keeps its result if it succeeds and `end` follows,
    /// otherwise puts the cursor back.
    pub(super) fn try_parse<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, Diagnostic>,
        end: char,
    ) -> Option<T> {
        let (save, depth) = (self.pos, self.depth);
        if let Ok(t) = f(self) {
            self.ws();
            if self.peek() == Some(end) {
                return Some(t);
            }
        }
        self.pos = save;
        self.depth = depth;
        None
    }

    /// `name = value` when the cursor stands at one of `names`: the value,
    /// a name or word.
    pub(super) fn option(&mut self, names: &[&str]) -> Result<Option<String>, Diagnostic> {
        for n in names {
            if self.keyword(n) {
                self.ws();
                self.eat('=');
                self.ws();
                let v = self.ident()?;
                self.ws();
                return Ok(Some(v));
            }
        }
        Ok(None)
    }

    /// `Name:type` in a schema. Without the type, a string column, unless
    /// the type is required.
    pub(super) fn column_decl(
        &mut self,
        type_required: bool,
    ) -> Result<(String, String), Diagnostic> {
        let name = self.ident()?;
        self.ws();
        if !self.eat(':') {
            if type_required {
                return Err(self.error("Expected \":\" and a type"));
            }
            return Ok((name, "string".into()));
        }
        self.ws();
        Ok((name, self.ident()?.to_ascii_lowercase()))
    }
}

pub(super) fn ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == '$'
}

pub(super) fn ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

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

    // `project-away` is one operator, not `project` and a name.
    fn continues_word(&self, c: char) -> bool {
        ident_char(c) || c == '-'
    }

    fn ws(&mut self) {
        self.pos += crate::rules::lex::blank_len(self.rest(), false);
    }
}

impl<'a> Parser<'a> {
    pub(super) fn enter(&mut self) -> Result<(), Diagnostic> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(&format!("Query nested deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    /// The first of `stops` at the top level of the rest of the text (not
    /// inside quotes or brackets), with its offset from the cursor.
    pub(super) fn top_level(&self, stops: &[char]) -> Option<(usize, char)> {
        top_level(self.rest(), stops)
    }

    /// A name: letters, digits, `_`, `$left`; or `['any text']`.
    pub(super) fn ident(&mut self) -> Result<String, Diagnostic> {
        if self.rest().starts_with("['") || self.rest().starts_with("[\"") {
            self.pos += 1;
            let q = self.peek().unwrap_or('\'');
            self.pos += 1;
            let s = self.string_body(q)?;
            self.ws();
            self.expect(']')?;
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
        let t = self.source()?;
        let t = self.pipes(t)?;
        self.depth -= 1;
        Ok(t)
    }

    /// `| operator` after `| operator`, onto `t`.
    pub(super) fn pipes(&mut self, mut t: Tabular) -> Result<Tabular, Diagnostic> {
        loop {
            self.ws();
            if !self.eat('|') {
                return Ok(t);
            }
            self.ws();
            if self.keyword("search") {
                t = self.search_pipe(t)?;
                continue;
            }
            t = Tabular::Pipe(Box::new(t), self.operator()?);
        }
    }

    pub(super) fn source(&mut self) -> Result<Tabular, Diagnostic> {
        let start = self.pos;
        if self.eat('(') {
            let t = self.tabular()?;
            self.ws();
            self.expect(')')?;
            return Ok(t);
        }
        if self.keyword("search") {
            return self.search_source();
        }
        if self.peek_keyword("find") {
            return Err(self.find(start));
        }
        if self.keyword("externaldata") {
            return self.external_data(start);
        }
        if self.keyword("_GetWatchlist") {
            return self.watchlist(start);
        }
        if self.keyword("datatable") {
            self.ws();
            if !self.eat('(') {
                return Err(self.error("Expected \"(\" after datatable"));
            }
            let columns = self.list(')', true, |p| p.column_decl(true))?;
            self.ws();
            if !self.eat('[') {
                return Err(self.error("Expected \"[\" and the values"));
            }
            let values = self.list(']', true, |p| p.expr())?;
            return Ok(Tabular::Datatable { columns, values });
        }
        if self.keyword("print") {
            return Ok(Tabular::Print(super::columns::spread_columns(
                self.named_exprs()?,
            )));
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
        // `evaluate plugin(...)` may start a query.
        if self.peek_keyword("evaluate") {
            let empty = Tabular::Datatable {
                columns: Vec::new(),
                values: Vec::new(),
            };
            return Ok(Tabular::Pipe(Box::new(empty), self.operator()?));
        }
        // `materialize(T)` caches T; every table here is computed once.
        if self.keyword("materialize") || self.keyword("view") {
            self.ws();
            return self.source();
        }
        let name = self.ident()?;
        let span = Span::new(start, self.pos);
        let save = self.pos;
        self.ws();
        if self.peek() == Some('(') {
            if let Some((kinds, _)) = self.funcs.get(&name).cloned() {
                self.pos += 1;
                let args = self.call_args(&kinds)?;
                return Ok(Tabular::Invoke {
                    name,
                    args,
                    span: Span::new(start, self.pos),
                });
            }
        }
        self.pos = save;
        Ok(Tabular::Source(name, span))
    }

    pub(super) fn source_or_pipeline(&mut self) -> Result<Tabular, Diagnostic> {
        if self.peek() == Some('(') {
            self.pos += 1;
            let t = self.tabular()?;
            self.ws();
            self.expect(')')?;
            return Ok(t);
        }
        self.source()
    }

    pub(super) fn name_list(&mut self) -> Result<Vec<String>, Diagnostic> {
        let mut out = Vec::new();
        loop {
            self.ws();
            // Wildcards in names (`project-away Prop*`, `*Id`).
            let mut name = String::new();
            while self.eat('*') {
                name.push('*');
            }
            if name.is_empty() || self.peek().is_some_and(ident_char) {
                name.push_str(&self.ident()?);
            }
            while self.eat('*') {
                name.push('*');
                if self.peek().is_some_and(ident_char) {
                    name.push_str(&self.ident()?);
                }
            }
            out.push(name);
            self.ws();
            if !self.eat(',') {
                break;
            }
        }
        Ok(out)
    }

    /// `name = expr` or `expr`, comma-separated; `(a, b) = f(...)` names
    /// each column a function of several gives.
    pub(super) fn named_exprs(&mut self) -> Result<Vec<(Option<String>, Expr)>, Diagnostic> {
        let mut out = Vec::new();
        loop {
            if let Some(names) = self.tuple_names() {
                let e = self.expr()?;
                out.extend(super::columns::tuple_columns(names, e));
            } else {
                out.push(self.named_exprs_one()?);
            }
            self.ws();
            if !self.eat(',') {
                break;
            }
        }
        Ok(out)
    }

    /// `(a, b, c) =` before a function of several columns.
    fn tuple_names(&mut self) -> Option<Vec<String>> {
        self.ws();
        let save = self.pos;
        let names = (|| {
            if !self.eat('(') {
                return None;
            }
            let names = self.list(')', false, |p| p.ident()).ok()?;
            self.ws();
            (self.eat('=') && !matches!(self.peek(), Some('=' | '~'))).then_some(names)
        })();
        if names.is_none() {
            self.pos = save;
        }
        names
    }

    /// `Name = expr` or `expr`.
    pub(super) fn named_exprs_one(&mut self) -> Result<(Option<String>, Expr), Diagnostic> {
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
        Ok((named, self.expr()?))
    }
}

/// The first of `stops` at the top level of `text` (not inside quotes or
/// brackets), with its offset.
pub(super) fn top_level(text: &str, stops: &[char]) -> Option<(usize, char)> {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    for (i, c) in text.char_indices() {
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

/// The column name Kusto gives an unnamed expression.
impl Parser<'_> {
    /// The arguments of a call to a user-defined function, up to its `)`:
    /// each parsed as a table or a scalar, as the parameter it fills is
    /// declared in `kinds`.
    pub(super) fn call_args(&mut self, kinds: &[bool]) -> Result<Vec<Arg>, Diagnostic> {
        let mut next = 0;
        self.list(')', true, |p| {
            next += 1;
            Ok(if kinds.get(next - 1).copied().unwrap_or(false) {
                Arg::Table(p.tabular()?)
            } else {
                Arg::Scalar(p.expr()?)
            })
        })
    }
}

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
