//! The Kusto (KQL for Log Analytics / Sentinel) syntax tree.

use crate::rules::diag::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub lets: Vec<Let>,
    pub body: Tabular,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Let {
    Scalar(String, Expr),
    Table(String, Tabular),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Tabular {
    /// A table name (or a `let` name).
    Source(String, Span),
    Pipe(Box<Tabular>, Op),
    Datatable {
        columns: Vec<(String, String)>,
        values: Vec<Expr>,
    },
    Print(Vec<(Option<String>, Expr)>),
    Range {
        column: String,
        from: Expr,
        to: Expr,
        step: Expr,
    },
    Union(Vec<Tabular>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    InnerUnique,
    Inner,
    LeftOuter,
    RightOuter,
    FullOuter,
    LeftAnti,
    RightAnti,
    LeftSemi,
    RightSemi,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Where(Expr),
    Project(Vec<(String, Option<Expr>)>),
    ProjectAway(Vec<String>),
    ProjectRename(Vec<(String, String)>),
    ProjectKeep(Vec<String>),
    Extend(Vec<(Option<String>, Expr)>),
    Summarize {
        aggs: Vec<(Option<String>, Expr)>,
        by: Vec<(Option<String>, Expr)>,
    },
    Join {
        kind: JoinKind,
        right: Box<Tabular>,
        /// (left column expression, right column expression).
        on: Vec<(Expr, Expr)>,
    },
    Sort(Vec<(Expr, bool, Option<bool>)>),
    Top {
        n: Expr,
        by: Expr,
        desc: bool,
    },
    Take(Expr),
    Distinct(Vec<String>),
    Count,
    MvExpand(Vec<(Option<String>, Expr)>),
    Union(Vec<Tabular>),
    /// `parse Expr with "lit" Col:type * ...`: new columns from text.
    Parse {
        expr: Expr,
        pieces: Vec<ParsePiece>,
        regex: bool,
    },
    /// Parsed so the rest of the query can be checked; running it is not
    /// supported.
    Unsupported(String, Span),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParsePiece {
    Text(String),
    Column(String, String),
    Star,
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
    EqCi,
    NeCi,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

/// String operators: `has`, `contains`, ... with case sensitivity and
/// negation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrOp {
    Has,
    HasPrefix,
    HasSuffix,
    Contains,
    StartsWith,
    EndsWith,
    MatchesRegex,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Null(Span),
    Bool(bool),
    Long(i64),
    Real(f64),
    Str(String),
    /// 100-nanosecond ticks.
    Timespan(i64),
    Column(String, Span),
    Member(Box<Expr>, String),
    Index(Box<Expr>, Box<Expr>),
    Neg(Box<Expr>),
    Bin(BinOp, Box<Expr>, Box<Expr>),
    Str2 {
        op: StrOp,
        cs: bool,
        negated: bool,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    In {
        expr: Box<Expr>,
        list: Vec<Expr>,
        ci: bool,
        negated: bool,
        any: bool,
    },
    Between {
        expr: Box<Expr>,
        lo: Box<Expr>,
        hi: Box<Expr>,
        negated: bool,
    },
    Call {
        name: String,
        args: Vec<Expr>,
        span: Span,
    },
    /// `*` in `count(*)`-like positions.
    Star,
}
