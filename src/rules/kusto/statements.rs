//! Kusto's statements before a query's body: `let` (scalars, tables,
//! views and user-defined functions) and `set` options, of which only
//! `query_now` changes a result.

use std::sync::Arc;

use super::ast::{Func, FuncBody, Let, Param, Tabular};
use super::parser::{Parser, top_level};
use crate::rules::diag::Diagnostic;
use crate::rules::lex::Cursor;

impl Parser<'_> {
    /// `let` statements, up to the first statement that is not one.
    pub(super) fn lets(&mut self) -> Result<Vec<Let>, Diagnostic> {
        let mut lets = Vec::new();
        loop {
            self.ws();
            // `set option [= value];` tunes how a cluster runs the query;
            // only `query_now` changes its result.
            if self.keyword("set") {
                self.ws();
                let name = self.ident()?;
                self.ws();
                let value = if self.eat('=') {
                    Some(self.expr()?)
                } else {
                    None
                };
                if name == "query_now" {
                    self.query_now = value;
                }
                self.ws();
                if !self.eat(';') {
                    return Err(self.error("Expected \";\" after the set statement"));
                }
                continue;
            }
            if !self.keyword("let") {
                return Ok(lets);
            }
            self.ws();
            let name = self.ident()?;
            self.ws();
            if !self.eat('=') {
                return Err(self.error("Expected \"=\" after the let name"));
            }
            self.ws();
            if self.keyword("view") {
                self.ws();
            }
            if self.peek() == Some('(') && self.looks_like_function() {
                let f = self.function()?;
                let kinds = f.params.iter().map(|p| p.table).collect();
                let tabular = matches!(f.body, FuncBody::Tabular(_));
                self.funcs.insert(name.clone(), (kinds, tabular));
                lets.push(Let::Func(name, Arc::new(f)));
            } else if self.statement_is_tabular() {
                self.table_lets.insert(name.clone());
                lets.push(Let::Table(name, self.tabular()?));
            } else if let Some(t) = self.try_parse(|p| p.tabular(), ';') {
                self.table_lets.insert(name.clone());
                lets.push(Let::Table(name, t));
            } else {
                lets.push(Let::Scalar(name, self.expr()?));
            }
            self.ws();
            if !self.eat(';') {
                return Err(self.error("Expected \";\" after the let statement"));
            }
        }
    }

    /// `(a:long, T:(x:string), b:string = "d") { let ...; body }`
    fn function(&mut self) -> Result<Func, Diagnostic> {
        self.eat('(');
        let params = self.list(')', true, |p| {
            let name = p.ident()?;
            p.ws();
            if !p.eat(':') {
                return Err(p.error("Expected \":\" and the parameter's type"));
            }
            p.ws();
            let table = p.peek() == Some('(');
            if table {
                // The schema is not checked: columns are looked up by name.
                p.pos += 1;
                let (at, _) = p
                    .top_level(&[')'])
                    .ok_or_else(|| p.error("Expected \")\""))?;
                p.pos += at + 1;
            } else {
                p.ident()?;
            }
            p.ws();
            let default = if p.eat('=') { Some(p.expr()?) } else { None };
            Ok(Param {
                name,
                table,
                default,
            })
        })?;
        self.ws();
        if !self.eat('{') {
            return Err(self.error("Expected \"{\" and the function's body"));
        }
        let lets = self.lets()?;
        self.ws();
        let scalar_param = |t: &Tabular| matches!(t, Tabular::Source(n, _) if params.iter().any(|p| !p.table && p.name == *n));
        let body = match self.try_parse(|p| p.tabular(), '}') {
            Some(t) if !scalar_param(&t) => FuncBody::Tabular(t),
            _ => FuncBody::Scalar(self.expr()?),
        };
        self.ws();
        if !self.eat('}') {
            return Err(self.error("Expected \"}\" at the end of the function"));
        }
        Ok(Func { params, lets, body })
    }

    /// Whether the `(` at the cursor opens a parameter list followed by
    /// a `{ body }`.
    pub(super) fn looks_like_function(&self) -> bool {
        let params = &self.rest()[1..];
        top_level(params, &[')'])
            .is_some_and(|(at, _)| params[at + 1..].trim_start().starts_with('{'))
    }

    /// Whether the let body (up to its `;`) is a table: it pipes, or starts
    /// with a tabular keyword.
    pub(super) fn statement_is_tabular(&mut self) -> bool {
        let save = self.pos;
        if let Ok(name) = self.ident() {
            let tabular_call = self.funcs.get(&name).is_some_and(|(_, t)| *t);
            self.pos = save;
            if tabular_call {
                return true;
            }
        }
        self.pos = save;
        for kw in [
            "datatable",
            "range",
            "union",
            "search",
            "find",
            "externaldata",
            "_GetWatchlist",
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
}
