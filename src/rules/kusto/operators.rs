//! Parsing Kusto's tabular operators, the part after each `|`.

use super::ast::{BinOp, Expr, JoinKind, MvExpand, Op, ParsePiece, Tabular};
use super::parser::{Parser, default_name, ident_start};
use crate::rules::diag::{Diagnostic, Span};
use crate::rules::lex::Cursor;

/// The name of the table an `mv-apply` subquery starts from.
pub const MV_APPLY_INPUT: &str = "$mv-apply";
/// The name of the table a `partition` subquery starts from.
pub const PARTITION_INPUT: &str = "$partition";

impl Parser<'_> {
    /// Operators piped onto `src`, the first with no `|` before it (as in
    /// an `mv-apply` subquery).
    pub(super) fn piped(&mut self, src: Tabular) -> Result<Tabular, Diagnostic> {
        self.enter()?;
        self.ws();
        let first = Tabular::Pipe(Box::new(src), self.operator()?);
        let t = self.pipes(first)?;
        self.depth -= 1;
        Ok(t)
    }

    /// `name=value` (or `name.sub=value`), skipped.
    pub(super) fn skip_option(&mut self) -> Result<(), Diagnostic> {
        self.ident()?;
        while self.eat('.') {
            self.ident()?;
        }
        self.ws();
        self.expect('=')?;
        self.ws();
        // A name, number or string; never a call, so that a following
        // parenthesised subquery stays the operator's.
        match self.peek() {
            Some('"' | '\'') => {
                self.primary()?;
            }
            Some(c) if c.is_ascii_digit() => {
                self.number()?;
            }
            _ => {
                self.ident()?;
            }
        }
        self.ws();
        Ok(())
    }

    /// `expr [asc|desc] [nulls first|last]`: descending unless `asc`, as
    /// Kusto sorts; the nulls placement when given.
    fn sort_key(&mut self) -> Result<(Expr, bool, Option<bool>), Diagnostic> {
        self.ws();
        let e = self.expr()?;
        self.ws();
        let desc = !self.keyword("asc");
        if desc {
            self.keyword("desc");
        }
        self.ws();
        let mut nulls = None;
        if self.keyword("nulls") {
            self.ws();
            nulls = Some(self.keyword("first") || !self.keyword("last"));
        }
        self.ws();
        Ok((e, desc, nulls))
    }

    /// What `mv-expand` and `mv-apply` take: options, then the columns.
    fn mv_expand(&mut self) -> Result<MvExpand, Diagnostic> {
        let mut out = MvExpand {
            items: Vec::new(),
            bag_as_array: false,
            index: None,
            casts: Vec::new(),
        };
        loop {
            self.ws();
            if let Some(kind) = self.option(&["kind", "bagexpansion"])? {
                out.bag_as_array = kind.eq_ignore_ascii_case("array");
            } else if let Some(name) = self.option(&["with_itemindex"])? {
                out.index = Some(name);
            } else if self.peek_keyword("hint") {
                self.skip_option()?;
            } else {
                break;
            }
        }
        loop {
            self.ws();
            let item = self.named_exprs_one()?;
            let mut cast = None;
            self.ws();
            if self.keyword("to") {
                self.ws();
                if !self.keyword("typeof") {
                    return Err(self.error("Expected typeof(...)"));
                }
                self.ws();
                self.eat('(');
                self.ws();
                let ty = self.ident()?.to_ascii_lowercase();
                self.ws();
                self.eat(')');
                // Each value is converted after the expansion, so the
                // column keeps its name.
                cast = Some(
                    match ty.as_str() {
                        "bool" | "boolean" => "tobool",
                        "datetime" | "date" => "todatetime",
                        "dynamic" => "todynamic",
                        "int" => "toint",
                        "long" => "tolong",
                        "real" | "double" | "decimal" => "toreal",
                        "string" | "guid" => "tostring",
                        "timespan" | "time" => "totimespan",
                        _ => return Err(self.error(&format!("Unknown type {ty}"))),
                    }
                    .to_string(),
                );
            }
            out.items.push(item);
            out.casts.push(cast);
            self.ws();
            if !self.eat(',') {
                break;
            }
        }
        self.ws();
        // `limit N` caps the rows per input row; Vigil expands them all.
        if self.keyword("limit") {
            self.expr()?;
        }
        Ok(out)
    }

    fn parse_kv(&mut self) -> Result<Op, Diagnostic> {
        let expr = self.expr()?;
        self.ws();
        if !self.keyword("as") {
            return Err(self.error("Expected AS and the columns in parentheses"));
        }
        self.ws();
        self.expect('(')?;
        if self.peek() == Some(')') {
            return Err(self.error("Expected a name"));
        }
        let columns = self.list(')', false, |p| p.column_decl(false))?;
        self.ws();
        let mut options = Vec::new();
        if self.keyword("with") {
            self.ws();
            self.expect('(')?;
            options = self.list(')', false, |p| {
                let key = p.ident()?.to_ascii_lowercase();
                p.ws();
                if !p.eat('=') {
                    return Err(p.error("Expected \"=\""));
                }
                p.ws();
                match p.primary()? {
                    Expr::Str(s) => Ok((key, s)),
                    Expr::Bool(b) => Ok((key, b.to_string())),
                    Expr::Column(c, _) => Ok((key, c)),
                    _ => Err(p.error("Expected a string")),
                }
            })?;
        }
        Ok(Op::ParseKv {
            expr,
            columns,
            options,
        })
    }
    pub(super) fn operator(&mut self) -> Result<Op, Diagnostic> {
        let start = self.pos;
        let name = self.op_name()?;
        self.ws();
        Ok(match name.as_str() {
            "where" | "filter" => Op::Where(self.expr()?),
            "project" => {
                let items = super::columns::spread_columns(self.named_exprs()?);
                let mut out = Vec::new();
                for (n, e) in items {
                    match (n, e) {
                        (Some(n), e) => out.push((n, Some(e))),
                        (None, Expr::Column(c, _)) => out.push((c, None)),
                        (None, e @ Expr::Member(..)) => out.push((default_name(&e), Some(e))),
                        // A call on one column is named for both:
                        // `dcount_hll(merged)` is dcount_hll_merged.
                        (None, e @ Expr::Call { .. }) if matches!(&e, Expr::Call { args, .. } if matches!(args.as_slice(), [Expr::Column(..)])) => {
                            out.push((default_name(&e), Some(e)))
                        }
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
            // Rows here are always in order: `serialize` only adds its columns.
            "serialize" => {
                if matches!(self.peek(), None | Some('|' | ')' | ';')) {
                    Op::Extend(Vec::new())
                } else {
                    Op::Extend(self.named_exprs()?)
                }
            }
            "extend" => Op::Extend(super::columns::spread_columns(self.named_exprs()?)),
            "summarize" => {
                // hint.shufflekey=..., hint.strategy=...: no effect offline.
                self.ws();
                while self.peek_keyword("hint") {
                    self.skip_option()?;
                    self.ws();
                }
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
            "make-series" => Op::MakeSeries(Box::new(self.make_series()?)),
            "scan" => Op::Scan(Box::new(self.scan()?)),
            "top-nested" => Op::TopNested(self.top_nested()?),
            "partition" => {
                while self.peek_keyword("hint") {
                    self.skip_option()?;
                    self.ws();
                }
                if !self.keyword("by") {
                    return Err(self.error("Expected BY and the partition column"));
                }
                self.ws();
                let by = self.ident()?;
                self.ws();
                if self.peek() != Some('(') {
                    return Err(self.error(
                        "Expected \"(\" and a subquery (partition with \"{ ... }\" is not supported)",
                    ));
                }
                self.expect('(')?;
                let sub = self.piped(Tabular::Source(PARTITION_INPUT.into(), Span::default()))?;
                self.ws();
                self.expect(')')?;
                Op::Partition {
                    by,
                    sub: Box::new(sub),
                }
            }
            "join" | "lookup" => self.join(name == "lookup")?,
            "sort" | "order" => {
                self.ws();
                if !self.keyword("by") {
                    return Err(self.error("Expected BY"));
                }
                let mut keys = vec![self.sort_key()?];
                while self.eat(',') {
                    keys.push(self.sort_key()?);
                }
                Op::Sort(keys)
            }
            "top" => {
                let n = self.expr()?;
                self.ws();
                if !self.keyword("by") {
                    return Err(self.error("Expected BY"));
                }
                // An explicit nulls placement is read; top places nulls as
                // sort does by default.
                let (by, desc, _) = self.sort_key()?;
                Op::Top { n, by, desc }
            }
            "take" | "limit" => Op::Take(self.expr()?),
            "sample" => Op::Sample(self.expr()?),
            "sample-distinct" | "top-hitters" => {
                let n = self.expr()?;
                self.ws();
                if !self.keyword("of") {
                    return Err(self.error("Expected OF and a column"));
                }
                self.ws();
                let of = self.expr()?;
                self.ws();
                if name == "sample-distinct" {
                    Op::SampleDistinct(n, of)
                } else {
                    let by = if self.keyword("by") {
                        self.ws();
                        Some(self.expr()?)
                    } else {
                        None
                    };
                    Op::TopHitters { n, of, by }
                }
            }
            "getschema" => Op::GetSchema,
            "invoke" => self.invoke_op(start)?,
            "distinct" => {
                if self.eat('*') {
                    Op::Distinct(Vec::new())
                } else {
                    Op::Distinct(self.name_list()?)
                }
            }
            "count" => {
                if self.keyword("as") {
                    self.ws();
                    Op::Count(self.ident()?)
                } else {
                    Op::Count("Count".into())
                }
            }
            "mv-expand" | "mvexpand" => Op::MvExpand(self.mv_expand()?),
            "mv-apply" | "mvapply" => {
                let expand = self.mv_expand()?;
                self.ws();
                if !self.keyword("on") {
                    return Err(self.error("Expected ON and a subquery in parentheses"));
                }
                self.ws();
                self.expect('(')?;
                let sub = self.piped(Tabular::Source(MV_APPLY_INPUT.into(), Span::default()))?;
                self.ws();
                self.expect(')')?;
                Op::MvApply {
                    expand,
                    sub: Box::new(sub),
                }
            }
            "as" => {
                // `as hint.materialized=true T`
                while self.peek_keyword("hint") {
                    self.skip_option()?;
                }
                Op::As(self.ident()?)
            }
            "project-reorder" => {
                let mut out = Vec::new();
                loop {
                    self.ws();
                    let mut name = self.ident()?;
                    if self.eat('*') {
                        name.push('*');
                    }
                    self.ws();
                    let order = if self.keyword("asc") || self.keyword("granny-asc") {
                        Some(true)
                    } else if self.keyword("desc") || self.keyword("granny-desc") {
                        Some(false)
                    } else {
                        None
                    };
                    out.push((name, order));
                    self.ws();
                    if !self.eat(',') {
                        break;
                    }
                }
                Op::ProjectReorder(out)
            }
            "project-by-names" => {
                let mut out = vec![self.expr()?];
                self.ws();
                while self.eat(',') {
                    out.push(self.expr()?);
                    self.ws();
                }
                Op::ProjectByNames(out)
            }
            "parse-kv" => self.parse_kv()?,
            "evaluate" => {
                while self.peek_keyword("hint") {
                    self.skip_option()?;
                }
                let at = self.pos;
                let plugin = self.ident()?.to_ascii_lowercase();
                self.ws();
                if !self.eat('(') {
                    return Err(self.error("Expected \"(\" after the plugin name"));
                }
                let items = self.list(')', false, |p| p.named_exprs_one())?;
                let mut args = Vec::new();
                let mut named = Vec::new();
                for (name, e) in items {
                    match name {
                        Some(n) => named.push((n.to_ascii_lowercase(), e)),
                        None => args.push(e),
                    }
                }
                Op::Evaluate {
                    plugin,
                    args,
                    named,
                    span: Span::new(at, self.pos),
                }
            }
            "union" => Op::Union(self.union_list()?),
            "parse" | "parse-where" => {
                let (mut regex, mut flags) = (false, String::new());
                loop {
                    if let Some(k) = self.option(&["kind"])? {
                        regex = k.eq_ignore_ascii_case("regex");
                    } else if let Some(f) = self.option(&["flags"])? {
                        flags = f;
                    } else {
                        break;
                    }
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
                            let (name, ty) = self.column_decl(false)?;
                            pieces.push(ParsePiece::Column(name, ty));
                        }
                        _ => break,
                    }
                }
                Op::Parse {
                    expr,
                    pieces,
                    regex,
                    flags,
                    only_parsed: name == "parse-where",
                }
            }
            // `render` draws a chart in a visual client; elsewhere the table
            // it is given is the result, so it reads as an empty `extend`.
            "render" => {
                self.pos += self
                    .top_level(&['|', ';', ')', ']'])
                    .map_or(self.rest().len(), |(at, _)| at);
                Op::Extend(Vec::new())
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
            if let Some(k) = self.option(&["kind"])? {
                kind = match k.to_ascii_lowercase().as_str() {
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
                self.skip_option()?;
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
            lookup,
        })
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

impl Parser<'_> {
    /// `invoke F(args)`: F's first parameter is the piped table, so its
    /// arguments here fill the parameters after it.
    fn invoke_op(&mut self, start: usize) -> Result<Op, Diagnostic> {
        self.ws();
        let at = self.pos;
        let name = self.ident()?;
        let Some((kinds, _)) = self.funcs.get(&name).cloned() else {
            return Err(Diagnostic::new(
                Span::new(at, self.pos),
                format!("invoke needs a function defined in the query; {name} is not one"),
            ));
        };
        self.ws();
        self.expect('(')?;
        let args = self.call_args(kinds.get(1..).unwrap_or_default())?;
        Ok(Op::Invoke {
            name,
            args,
            span: Span::new(start, self.pos),
        })
    }
}
