//! The ES|QL syntax tree.

use crate::rules::diag::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub from: From,
    pub commands: Vec<Command>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct From {
    pub patterns: Vec<String>,
    pub metadata: Vec<String>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Where(Expr),
    Eval(Vec<(String, Expr)>),
    Stats {
        aggs: Vec<(String, Expr)>,
        by: Vec<(String, Expr)>,
    },
    Keep(Vec<String>),
    Drop(Vec<String>),
    Rename(Vec<(String, String)>),
    Sort(Vec<SortKey>),
    Limit(usize),
    MvExpand(String),
    Dissect {
        field: Expr,
        pattern: String,
    },
    Grok {
        field: Expr,
        pattern: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    pub expr: Expr,
    pub desc: bool,
    /// `None` means the default: nulls last ascending, first descending.
    pub nulls_first: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// `1 minute`, `2 hours`: a quantity and its unit.
    Span(i64, String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Lit(Lit, Span),
    Field(String, Span),
    /// `*` inside `COUNT(*)`.
    Star(Span),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Bin(BinOp, Box<Expr>, Box<Expr>),
    In {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    IsNull {
        expr: Box<Expr>,
        negated: bool,
    },
    Like {
        expr: Box<Expr>,
        pattern: String,
        regex: bool,
        negated: bool,
    },
    Call {
        name: String,
        args: Vec<Expr>,
        span: Span,
    },
}

impl Expr {
    /// The name a column gets when the query does not name it: the
    /// expression's text, as ES|QL does.
    pub fn span(&self) -> Option<Span> {
        match self {
            Expr::Lit(_, s) | Expr::Field(_, s) | Expr::Star(s) => Some(*s),
            Expr::Call { span, .. } => Some(*span),
            Expr::Neg(e) | Expr::Not(e) => e.span(),
            Expr::Bin(_, a, b) => Some(a.span()?.to(b.span()?)),
            Expr::In { expr, .. } | Expr::IsNull { expr, .. } | Expr::Like { expr, .. } => {
                expr.span()
            }
        }
    }
}

impl Query {
    /// Whether the query calls NOW(), which offline means the end of the
    /// loaded data (and so needs a pass over the logs to find it).
    pub fn uses_now(&self) -> bool {
        self.uses_now_in(..)
    }

    /// Whether any of the given commands calls NOW().
    pub fn uses_now_in(
        &self,
        range: impl std::slice::SliceIndex<[Command], Output = [Command]>,
    ) -> bool {
        let mut found = false;
        let mut see = |e: &Expr| {
            e.walk(&mut |x| found |= matches!(x, Expr::Call { name, .. } if name == "now"));
        };
        for cmd in &self.commands[range] {
            match cmd {
                Command::Where(e) => see(e),
                Command::Eval(v) => v.iter().for_each(|(_, e)| see(e)),
                Command::Stats { aggs, by } => aggs.iter().chain(by).for_each(|(_, e)| see(e)),
                Command::Sort(keys) => keys.iter().for_each(|k| see(&k.expr)),
                Command::Dissect { field, .. } | Command::Grok { field, .. } => see(field),
                _ => {}
            }
        }
        found
    }

    /// Whether the query aggregates (`STATS`).
    pub fn aggregates(&self) -> bool {
        self.commands
            .iter()
            .any(|c| matches!(c, Command::Stats { .. }))
    }

    /// Source fields the query reads: names used before any command that
    /// replaces the columns (`STATS`, `KEEP`, `DROP`, `RENAME`), minus the
    /// columns the query itself computes.
    pub fn fields(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut computed: Vec<String> = Vec::new();
        let add = |e: &Expr, computed: &[String], out: &mut Vec<String>| {
            e.walk(&mut |x| {
                if let Expr::Field(n, _) = x {
                    if !computed.contains(n) && !out.contains(n) {
                        out.push(n.clone());
                    }
                }
            });
        };
        for cmd in &self.commands {
            match cmd {
                Command::Where(e) => add(e, &computed, &mut out),
                Command::Eval(v) => {
                    for (n, e) in v {
                        add(e, &computed, &mut out);
                        computed.push(n.clone());
                    }
                }
                Command::Sort(keys) => keys.iter().for_each(|k| add(&k.expr, &computed, &mut out)),
                Command::Dissect { field, .. } | Command::Grok { field, .. } => {
                    add(field, &computed, &mut out)
                }
                Command::Stats { aggs, by } => {
                    aggs.iter()
                        .chain(by)
                        .for_each(|(_, e)| add(e, &computed, &mut out));
                    break;
                }
                Command::Keep(_) | Command::Drop(_) | Command::Rename(_) => break,
                Command::MvExpand(col) => {
                    if !computed.contains(col) && !out.contains(col) {
                        out.push(col.clone());
                    }
                }
                Command::Limit(_) => {}
            }
        }
        out
    }
}

impl Expr {
    fn walk(&self, f: &mut dyn FnMut(&Expr)) {
        f(self);
        match self {
            Expr::Neg(a) | Expr::Not(a) => a.walk(f),
            Expr::Bin(_, a, b) => {
                a.walk(f);
                b.walk(f);
            }
            Expr::In { expr, list, .. } => {
                expr.walk(f);
                list.iter().for_each(|x| x.walk(f));
            }
            Expr::IsNull { expr, .. } | Expr::Like { expr, .. } => expr.walk(f),
            Expr::Call { args, .. } => args.iter().for_each(|x| x.walk(f)),
            Expr::Lit(..) | Expr::Field(..) | Expr::Star(_) => {}
        }
    }
}
