//! Kusto, the query language of Log Analytics and Microsoft Sentinel:
//! parsed by hand, run over tables built from loaded events of any shape,
//! result rows linked to the events behind them.

pub mod ast;
pub mod eval;
pub mod exec;
mod functions;
mod join;
pub mod parser;
mod scalar;
mod summarize;
pub mod tables;
pub mod value;

pub use parser::parse;

use ast::{Expr, Let, Op, Query, Tabular};

use crate::rules::diag::{Diagnostic, Span};

/// Checks that every operator and function can run, naming the first that
/// cannot.
pub fn validate(q: &Query) -> Result<(), Diagnostic> {
    for l in &q.lets {
        match l {
            Let::Scalar(_, e) => expr(e, false)?,
            Let::Table(_, t) => tabular(t)?,
        }
    }
    tabular(&q.body)
}

fn tabular(t: &Tabular) -> Result<(), Diagnostic> {
    match t {
        Tabular::Source(..) => Ok(()),
        Tabular::Pipe(src, op) => {
            tabular(src)?;
            match op {
                Op::Where(e) => expr(e, false),
                Op::Project(items) => items
                    .iter()
                    .filter_map(|(_, e)| e.as_ref())
                    .try_for_each(|e| expr(e, false)),
                Op::Extend(items) | Op::MvExpand(items) => {
                    items.iter().try_for_each(|(_, e)| expr(e, false))
                }
                Op::Summarize { aggs, by } => {
                    aggs.iter().try_for_each(|(_, e)| expr(e, true))?;
                    by.iter().try_for_each(|(_, e)| expr(e, false))
                }
                Op::Join { right, on, .. } => {
                    tabular(right)?;
                    on.iter()
                        .try_for_each(|(a, b)| expr(a, false).and_then(|()| expr(b, false)))
                }
                Op::Sort(keys) => keys.iter().try_for_each(|(e, _, _)| expr(e, false)),
                Op::Top { n, by, .. } => expr(n, false).and_then(|()| expr(by, false)),
                Op::Take(n) => expr(n, false),
                Op::Parse { expr: e, .. } => expr(e, false),
                Op::Union(parts) => parts.iter().try_for_each(tabular),
                Op::Unsupported(name, span) => Err(Diagnostic::new(
                    *span,
                    format!("The {name} operator is not supported."),
                )),
                Op::ProjectAway(_)
                | Op::ProjectKeep(_)
                | Op::ProjectRename(_)
                | Op::Distinct(_)
                | Op::Count => Ok(()),
            }
        }
        Tabular::Datatable { values, .. } => values.iter().try_for_each(|e| expr(e, false)),
        Tabular::Print(items) => items.iter().try_for_each(|(_, e)| expr(e, false)),
        Tabular::Range { from, to, step, .. } => [from, to, step]
            .into_iter()
            .try_for_each(|e| expr(e, false)),
        Tabular::Union(parts) => parts.iter().try_for_each(tabular),
    }
}

fn expr(e: &Expr, aggregates: bool) -> Result<(), Diagnostic> {
    match e {
        Expr::Call { name, args, span } => {
            let agg = eval::AGGREGATE.iter().find(|(n, _, _)| n == name);
            let scalar = eval::SCALAR.iter().find(|(n, _, _)| n == name);
            let (min, max) = match (agg, scalar) {
                (Some((_, a, b)), _) if aggregates => (*a, *b),
                (_, Some((_, a, b))) => (*a, *b),
                (Some(_), None) => {
                    return Err(Diagnostic::new(
                        *span,
                        format!("{name}() is an aggregation: use it in summarize."),
                    ));
                }
                (None, None) => {
                    return Err(Diagnostic::new(
                        *span,
                        format!("The function {name}() is not supported."),
                    ));
                }
            };
            if args.len() < min || args.len() > max {
                return Err(Diagnostic::new(
                    *span,
                    format!("{name}() takes {min}..{max} arguments, not {}.", args.len()),
                ));
            }
            let inner = aggregates && agg.is_none();
            args.iter()
                .filter(|a| !matches!(a, Expr::Star))
                .try_for_each(|a| expr(a, inner))
        }
        Expr::Member(a, _) | Expr::Neg(a) => expr(a, aggregates),
        Expr::Index(a, b) | Expr::Bin(_, a, b) => {
            expr(a, aggregates).and_then(|()| expr(b, aggregates))
        }
        Expr::Str2 { left, right, .. } => {
            expr(left, aggregates).and_then(|()| expr(right, aggregates))
        }
        Expr::In { expr: x, list, .. } => {
            expr(x, aggregates)?;
            list.iter().try_for_each(|i| expr(i, aggregates))
        }
        Expr::Between {
            expr: x, lo, hi, ..
        } => [x, lo, hi]
            .into_iter()
            .try_for_each(|i| expr(i, aggregates)),
        Expr::Star => Err(Diagnostic::new(
            Span::default(),
            "\"*\" is not allowed here.",
        )),
        _ => Ok(()),
    }
}

/// Parses and validates.
pub fn compile(src: &str) -> Result<Query, Diagnostic> {
    let q = parse(src)?;
    validate(&q)?;
    Ok(q)
}
