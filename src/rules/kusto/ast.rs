//! The Kusto (KQL for Log Analytics / Sentinel) syntax tree.

use std::sync::Arc;

use crate::rules::diag::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub lets: Vec<Let>,
    pub body: Tabular,
    /// `set query_now = datetime(...);`: what `now()` is for this query.
    pub now: Option<Expr>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Let {
    Scalar(String, Expr),
    Table(String, Tabular),
    /// `let f = (a:long, T:(x:string)) { ... };`
    Func(String, Arc<Func>),
}

/// A user-defined function: its parameters, the `let`s at the start of its
/// body, and the body's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Func {
    pub params: Vec<Param>,
    pub lets: Vec<Let>,
    pub body: FuncBody,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: String,
    /// A tabular parameter (`T:(col:type, ...)` or `T:(*)`).
    pub table: bool,
    pub default: Option<Expr>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FuncBody {
    Scalar(Expr),
    Tabular(Tabular),
}

/// An argument of a user-defined function called as a table.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Scalar(Expr),
    Table(Tabular),
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
    Union(Union),
    /// `_GetWatchlist('alias')`.
    Watchlist(String, Span),
    /// A user-defined tabular function called by name.
    Invoke {
        name: String,
        args: Vec<Arg>,
        span: Span,
    },
}

/// `union`'s legs and options. A leg may name tables by a wildcard
/// (`Signin*`, `*`): every loaded table whose name fits, in name order.
#[derive(Debug, Clone, PartialEq)]
pub struct Union {
    pub legs: Vec<Tabular>,
    /// `withsource=Column`: a first column naming each row's table
    /// (`union_arg0` ... for a leg that is not a table).
    pub source: Option<String>,
    /// `kind=inner`: only the columns every leg has.
    pub inner: bool,
    /// Rows of each leg are kept when this holds for them (a `search`),
    /// judged over that leg's own columns.
    pub filter: Option<Expr>,
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
        /// `lookup`: the right side's key columns are not repeated.
        lookup: bool,
    },
    Sort(Vec<(Expr, bool, Option<bool>)>),
    Top {
        n: Expr,
        by: Expr,
        desc: bool,
    },
    Take(Expr),
    Distinct(Vec<String>),
    /// `count`, or `count as Name`.
    Count(String),
    /// `getschema`: one row per column, with its name, position and type.
    GetSchema,
    /// `invoke F(args)`: a user-defined function given the input as its
    /// first, tabular, parameter.
    Invoke {
        name: String,
        args: Vec<Arg>,
        span: Span,
    },
    MvExpand(MvExpand),
    MakeSeries(Box<MakeSeries>),
    Scan(Box<Scan>),
    /// `top-nested`: the top values at each level within the one above.
    TopNested(Vec<NestedLevel>),
    /// `partition by Column (subquery)`: the subquery runs over the rows
    /// of each value of the column.
    Partition {
        by: String,
        sub: Box<Tabular>,
    },
    /// `mv-apply x = arr on (subquery)`: the subquery runs over each row's
    /// expanded arrays, its rows joined back to the row.
    MvApply {
        expand: MvExpand,
        sub: Box<Tabular>,
    },
    /// `as Name`: the table so far, named for the rest of the query.
    As(String),
    /// Columns matching the patterns first, the rest after, in order.
    ProjectReorder(Vec<(String, Option<bool>)>),
    /// Columns named by the values of the expressions (names, patterns,
    /// or arrays of them).
    ProjectByNames(Vec<Expr>),
    /// `parse-kv Expr as (Col:type, ...) with (options)`.
    ParseKv {
        expr: Expr,
        columns: Vec<(String, String)>,
        options: Vec<(String, String)>,
    },
    /// `evaluate plugin(args)`.
    Evaluate {
        plugin: String,
        args: Vec<Expr>,
        /// Arguments given by name (`return_unmatched = true`).
        named: Vec<(String, Expr)>,
        span: Span,
    },
    /// `T | union ...`: `T` is the first leg.
    Union(Union),
    /// `parse Expr with "lit" Col:type * ...`: new columns from text.
    /// `sample N`: up to N rows picked at random.
    Sample(Expr),
    /// `sample-distinct N of Column`: up to N of the column's values.
    SampleDistinct(Expr, Expr),
    /// `top-hitters N of Column [by Weight]`: the values that occur most
    /// (or weigh most), counted exactly.
    TopHitters {
        n: Expr,
        of: Expr,
        by: Option<Expr>,
    },
    Parse {
        expr: Expr,
        pieces: Vec<ParsePiece>,
        regex: bool,
        /// Regex flags (`i`, `m`, `s`, `U`) with `kind=regex`.
        flags: String,
        /// `parse-where`: rows whose text does not parse are dropped.
        only_parsed: bool,
    },
    /// Parsed so the rest of the query can be checked; running it is not
    /// supported.
    Unsupported(String, Span),
}

/// `make-series`: aggregations laid out in arrays along an axis, one row
/// per group.
#[derive(Debug, Clone, PartialEq)]
pub struct MakeSeries {
    /// `kind=nonempty`: a row of defaults when the input has no rows.
    pub nonempty: bool,
    /// (name, aggregation, value of a bin without rows).
    pub aggs: Vec<(Option<String>, Expr, Option<Expr>)>,
    pub axis: Expr,
    pub from: Option<Expr>,
    pub to: Option<Expr>,
    pub step: Expr,
    /// `in range(start, stop, step)`: `stop` is in the series, and bins
    /// are aligned to the step rather than to `start`.
    pub range: bool,
    pub by: Vec<(Option<String>, Expr)>,
}

/// One `top-nested [N] of Expr [with others = V] by Agg [asc|desc]`.
#[derive(Debug, Clone, PartialEq)]
pub struct NestedLevel {
    pub n: Option<Expr>,
    pub of: (Option<String>, Expr),
    /// The value naming the rows past the top N, when they are kept.
    pub others: Option<Expr>,
    pub agg: (Option<String>, Expr),
    pub desc: bool,
}

/// `scan`: records matched to a sequence of steps, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Scan {
    /// `with_match_id=Name`: each output row's sequence number.
    pub match_id: Option<String>,
    /// Columns the steps assign: (name, type, value until assigned).
    pub declare: Vec<(String, String, Option<Expr>)>,
    pub steps: Vec<ScanStep>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScanStep {
    pub name: String,
    pub output: ScanOutput,
    pub condition: Expr,
    pub assign: Vec<(String, Expr)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanOutput {
    All,
    Last,
    None,
}

/// What `mv-expand` and `mv-apply` expand.
#[derive(Debug, Clone, PartialEq)]
pub struct MvExpand {
    pub items: Vec<(Option<String>, Expr)>,
    /// `kind=array`: a property bag expands into `[key, value]` arrays.
    pub bag_as_array: bool,
    /// `with_itemindex=Name`: the item's position in a column.
    pub index: Option<String>,
    /// `to typeof(T)`, by item: the conversion (`tostring`, `tolong` ...)
    /// each expanded value goes through.
    pub casts: Vec<Option<String>>,
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
    /// `toscalar(T)`: the first column of the first row of a subquery,
    /// run once before the operator that uses it.
    ToScalar(Box<Tabular>),
    /// The values of a subquery's first column, as a list: an `in` list
    /// item that is a query (`x in (T | project c)`) or names a tabular
    /// `let`. Run once before the operator that uses it.
    Values(Box<Tabular>),
}

impl Op {
    /// The scalar expressions the operator evaluates itself (not those in
    /// subqueries it runs).
    pub fn exprs(&self) -> Vec<&Expr> {
        match self {
            Op::Where(e)
            | Op::Take(e)
            | Op::Sample(e)
            | Op::Parse { expr: e, .. }
            | Op::ParseKv { expr: e, .. } => {
                vec![e]
            }
            Op::SampleDistinct(n, of) => vec![n, of],
            Op::TopHitters { n, of, by } => [n, of].into_iter().chain(by).collect(),
            Op::Project(items) => items.iter().filter_map(|(_, e)| e.as_ref()).collect(),
            Op::Extend(items) => named(items),
            Op::MvExpand(m) | Op::MvApply { expand: m, .. } => named(&m.items),
            Op::Summarize { aggs, by } => {
                let mut v = named(aggs);
                v.extend(named(by));
                v
            }
            Op::Scan(scan) => {
                let mut v: Vec<&Expr> = scan
                    .declare
                    .iter()
                    .filter_map(|(_, _, d)| d.as_ref())
                    .collect();
                for step in &scan.steps {
                    v.push(&step.condition);
                    v.extend(step.assign.iter().map(|(_, e)| e));
                }
                v
            }
            Op::Partition { .. } => Vec::new(),
            Op::TopNested(levels) => levels
                .iter()
                .flat_map(|l| {
                    l.n.iter()
                        .chain([&l.of.1, &l.agg.1])
                        .chain(l.others.as_ref())
                })
                .collect(),
            Op::MakeSeries(m) => {
                let mut v: Vec<&Expr> = m.aggs.iter().map(|(_, e, _)| e).collect();
                v.extend(m.aggs.iter().filter_map(|(_, _, d)| d.as_ref()));
                v.extend([&m.axis, &m.step]);
                v.extend(m.from.iter().chain(&m.to));
                v.extend(named(&m.by));
                v
            }
            Op::Join { on, .. } => on.iter().flat_map(|(a, b)| [a, b]).collect(),
            Op::Sort(keys) => keys.iter().map(|(e, _, _)| e).collect(),
            Op::Top { n, by, .. } => vec![n, by],
            Op::ProjectByNames(v) => v.iter().collect(),
            Op::Evaluate { args, named, .. } => {
                args.iter().chain(named.iter().map(|(_, e)| e)).collect()
            }
            Op::Invoke { args, .. } => args
                .iter()
                .filter_map(|a| match a {
                    Arg::Scalar(e) => Some(e),
                    Arg::Table(_) => None,
                })
                .collect(),
            Op::ProjectAway(_)
            | Op::ProjectKeep(_)
            | Op::ProjectRename(_)
            | Op::Distinct(_)
            | Op::Count(_)
            | Op::GetSchema
            | Op::Union(_)
            | Op::As(_)
            | Op::ProjectReorder(_)
            | Op::Unsupported(..) => Vec::new(),
        }
    }
}

fn named(v: &[(Option<String>, Expr)]) -> Vec<&Expr> {
    v.iter().map(|(_, e)| e).collect()
}

impl Expr {
    /// Calls `f` on this expression and every expression inside it, not
    /// descending into subqueries.
    pub fn walk<'e>(&'e self, f: &mut dyn FnMut(&'e Expr)) {
        f(self);
        match self {
            Expr::Member(a, _) | Expr::Neg(a) => a.walk(f),
            Expr::Index(a, b) | Expr::Bin(_, a, b) => {
                a.walk(f);
                b.walk(f);
            }
            Expr::Str2 { left, right, .. } => {
                left.walk(f);
                right.walk(f);
            }
            Expr::In { expr, list, .. } => {
                expr.walk(f);
                list.iter().for_each(|e| e.walk(f));
            }
            Expr::Between { expr, lo, hi, .. } => {
                expr.walk(f);
                lo.walk(f);
                hi.walk(f);
            }
            Expr::Call { args, .. } => args.iter().for_each(|e| e.walk(f)),
            _ => {}
        }
    }
}
