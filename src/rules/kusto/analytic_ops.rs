//! Parsing the analytic operators: `scan`, `make-series` and
//! `top-nested`, whose clauses read differently from the pipeline's
//! others.

use super::ast::{Expr, MakeSeries, NestedLevel, Scan, ScanOutput, ScanStep};
use super::parser::Parser;
use crate::rules::diag::{Diagnostic, Span};
use crate::rules::lex::Cursor;

impl Parser<'_> {
    /// `scan [with_match_id=Id] [declare (c:type [= v], ...)] with (step ...;)`
    pub(super) fn scan(&mut self) -> Result<Scan, Diagnostic> {
        let match_id = self.option(&["with_match_id"])?;
        self.ws();
        let mut declare = Vec::new();
        if self.keyword("declare") {
            self.ws();
            self.expect('(')?;
            declare = self.list(')', true, |p| {
                let (name, ty) = p.column_decl(true)?;
                p.ws();
                let default = if p.eat('=') { Some(p.expr()?) } else { None };
                Ok((name, ty, default))
            })?;
            self.ws();
        }
        if !self.keyword("with") {
            return Err(self.error("Expected WITH and the steps"));
        }
        self.ws();
        self.expect('(')?;
        let mut steps: Vec<ScanStep> = Vec::new();
        loop {
            self.ws();
            if self.eat(')') {
                break;
            }
            if !self.keyword("step") {
                return Err(self.error("Expected a step"));
            }
            self.ws();
            let name = self.ident()?;
            if steps.iter().any(|s| s.name == name) {
                return Err(self.error(&format!("Step {name} is defined twice")));
            }
            self.ws();
            let output = match self.option(&["output"])?.map(|o| o.to_ascii_lowercase()) {
                None => ScanOutput::All,
                Some(o) if o == "all" => ScanOutput::All,
                Some(o) if o == "last" => ScanOutput::Last,
                Some(o) if o == "none" => ScanOutput::None,
                Some(o) => {
                    return Err(self.error(&format!("Unknown output {o}: all, last or none")));
                }
            };
            self.ws();
            self.expect(':')?;
            let condition = self.expr()?;
            self.ws();
            let mut assign = Vec::new();
            if self.rest().starts_with("=>") {
                self.pos += 2;
                loop {
                    self.ws();
                    let column = self.ident()?;
                    self.ws();
                    self.expect('=')?;
                    assign.push((column, self.expr()?));
                    self.ws();
                    if !self.eat(',') {
                        break;
                    }
                }
            }
            self.ws();
            self.expect(';')?;
            steps.push(ScanStep {
                name,
                output,
                condition,
                assign,
            });
        }
        if steps.is_empty() {
            return Err(self.error("scan needs at least one step"));
        }
        Ok(Scan {
            match_id,
            declare,
            steps,
        })
    }

    pub(super) fn make_series(&mut self) -> Result<MakeSeries, Diagnostic> {
        let mut nonempty = false;
        loop {
            self.ws();
            if let Some(kind) = self.option(&["kind"])? {
                nonempty = kind.eq_ignore_ascii_case("nonempty");
            } else if self.peek_keyword("hint") {
                self.skip_option()?;
            } else {
                break;
            }
        }
        let mut aggs = Vec::new();
        loop {
            self.ws();
            let (name, agg) = self.named_exprs_one()?;
            self.ws();
            let default = if self.keyword("default") {
                self.ws();
                if !self.eat('=') {
                    return Err(self.error("Expected = after default"));
                }
                Some(self.expr()?)
            } else {
                None
            };
            aggs.push((name, agg, default));
            self.ws();
            if !self.eat(',') {
                break;
            }
        }
        self.ws();
        if !self.keyword("on") {
            return Err(self.error("Expected ON and the axis column"));
        }
        // The axis is a column: an expression here would read `in` as
        // the operator.
        self.ws();
        let at = self.pos;
        let axis = Expr::Column(self.ident()?, Span::new(at, self.pos));
        self.ws();
        let (mut from, mut to, step, range);
        if self.keyword("in") {
            self.ws();
            if !self.keyword("range")
                || !{
                    self.ws();
                    self.eat('(')
                }
            {
                return Err(self.error("Expected range(start, stop, step)"));
            }
            let mut parts = Vec::with_capacity(3);
            for closer in [',', ',', ')'] {
                parts.push(self.expr()?);
                self.ws();
                if !self.eat(closer) {
                    return Err(self.error(&format!("Expected {closer}")));
                }
            }
            step = parts.pop();
            to = parts.pop();
            from = parts.pop();
            range = true;
        } else {
            (from, to) = (None, None);
            if self.keyword("from") {
                from = Some(self.expr()?);
                self.ws();
            }
            if self.keyword("to") {
                to = Some(self.expr()?);
                self.ws();
            }
            if !self.keyword("step") {
                return Err(self.error("Expected STEP and the bin size"));
            }
            step = Some(self.expr()?);
            range = false;
        }
        self.ws();
        let by = if self.keyword("by") {
            self.named_exprs()?
        } else {
            Vec::new()
        };
        Ok(MakeSeries {
            nonempty,
            aggs,
            axis,
            from,
            to,
            step: step.expect("a step was parsed"),
            range,
            by,
        })
    }

    /// The levels of `top-nested`, the operator's name already read.
    pub(super) fn top_nested(&mut self) -> Result<Vec<NestedLevel>, Diagnostic> {
        let mut levels = Vec::new();
        loop {
            self.ws();
            let n = if self.peek_keyword("of") {
                None
            } else {
                let n = self.expr()?;
                self.ws();
                Some(n)
            };
            if !self.keyword("of") {
                return Err(self.error("Expected OF and the column to group by"));
            }
            let of = self.named_exprs_one()?;
            self.ws();
            let others = if self.keyword("with") {
                self.ws();
                if !self.keyword("others") {
                    return Err(self.error("Expected OTHERS"));
                }
                self.ws();
                self.expect('=')?;
                Some(self.expr()?)
            } else {
                None
            };
            self.ws();
            if !self.keyword("by") {
                return Err(self.error("Expected BY and an aggregation"));
            }
            let agg = self.named_exprs_one()?;
            self.ws();
            let desc = !self.keyword("asc");
            if desc {
                self.keyword("desc");
            }
            levels.push(NestedLevel {
                n,
                of,
                others,
                agg,
                desc,
            });
            self.ws();
            let save = self.pos;
            if !self.eat(',') {
                break;
            }
            self.ws();
            if !self.keyword("top-nested") {
                self.pos = save;
                break;
            }
        }
        Ok(levels)
    }
}
