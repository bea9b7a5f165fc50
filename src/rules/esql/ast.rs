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
