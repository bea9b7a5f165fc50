//! Kusto, the query language of Log Analytics and Microsoft Sentinel:
//! parsed by hand, run over tables built from loaded events of any shape,
//! result rows linked to the events behind them.

mod analytic_ops;
mod arrays;
pub mod ast;
mod autocluster;
mod basket;
mod bits;
mod columns;
mod date_math;
mod dates;
mod digest;
mod distributions;
pub mod eval;
pub mod exec;
mod external;
mod functions;
mod geo;
mod geo_arcs;
mod geo_h3;
mod geo_intersection;
mod geo_s2;
mod geo_shapes;
mod geo_union;
mod hash;
mod join;
mod nested;
mod net;
mod operators;
mod ops;
mod ordering;
mod parse_ops;
pub mod parser;
mod patterns;
mod plugins;
mod prepare;
pub mod projection;
pub mod pushdown;
mod reads;
mod sampling;
mod scalar;
mod scan;
mod schema;
pub mod search;
mod series;
mod sketch;
mod statements;
mod strings;
mod summarize;
pub mod tables;
mod text_extra;
mod text_parse;
mod types;
mod unions;
pub mod value;
mod window;

pub use parser::parse;

use ast::{Arg, Expr, FuncBody, Let, Op, Query, Tabular};

use crate::rules::diag::{Diagnostic, Span};

/// Evaluate plugins Vigil runs.
pub const PLUGINS: &[&str] = &[
    "autocluster",
    "bag_unpack",
    "basket",
    "dcount_intersect",
    "diffpatterns",
    "geo_line_lookup",
    "geo_polygon_lookup",
];

/// Checks that every operator and function can run, naming the first that
/// cannot.
pub fn validate(q: &Query) -> Result<(), Diagnostic> {
    let mut funcs = Vec::new();
    lets(&q.lets, &mut funcs)?;
    tabular(&q.body, &funcs)
}

fn lets(ls: &[Let], funcs: &mut Vec<String>) -> Result<(), Diagnostic> {
    for l in ls {
        match l {
            Let::Scalar(_, e) => expr(e, false, funcs)?,
            Let::Table(_, t) => tabular(t, funcs)?,
            Let::Func(name, f) => {
                let mut inner = funcs.clone();
                for p in &f.params {
                    if let Some(d) = &p.default {
                        expr(d, false, funcs)?;
                    }
                }
                lets(&f.lets, &mut inner)?;
                match &f.body {
                    FuncBody::Scalar(e) => expr(e, false, &inner)?,
                    FuncBody::Tabular(t) => tabular(t, &inner)?,
                }
                funcs.push(name.clone());
            }
        }
    }
    Ok(())
}

fn tabular(t: &Tabular, funcs: &[String]) -> Result<(), Diagnostic> {
    match t {
        Tabular::Source(..) => Ok(()),
        Tabular::Pipe(src, op) => {
            tabular(src, funcs)?;
            let aggregates = matches!(op, Op::Summarize { .. });
            match op {
                Op::Summarize { aggs, by } => {
                    aggs.iter().try_for_each(|(_, e)| expr(e, true, funcs))?;
                    return by.iter().try_for_each(|(_, e)| expr(e, false, funcs));
                }
                Op::TopNested(levels) => {
                    for l in levels {
                        expr(&l.agg.1, true, funcs)?;
                        let rest = l.n.iter().chain([&l.of.1]).chain(l.others.as_ref());
                        rest.into_iter().try_for_each(|e| expr(e, false, funcs))?;
                    }
                    return Ok(());
                }
                Op::MakeSeries(m) => {
                    m.aggs
                        .iter()
                        .try_for_each(|(_, e, _)| expr(e, true, funcs))?;
                    let rest = m.aggs.iter().filter_map(|(_, _, d)| d.as_ref());
                    let rest = rest.chain([&m.axis, &m.step]).chain(&m.from).chain(&m.to);
                    rest.chain(m.by.iter().map(|(_, e)| e))
                        .try_for_each(|e| expr(e, false, funcs))?;
                    return Ok(());
                }
                Op::Join { right, .. } => tabular(right, funcs)?,
                Op::Union(u) => u.legs.iter().try_for_each(|p| tabular(p, funcs))?,
                Op::MvApply { sub, .. } | Op::Partition { sub, .. } => tabular(sub, funcs)?,
                Op::Invoke { args, .. } => call_args(args, funcs)?,
                Op::Unsupported(name, span) => {
                    return Err(Diagnostic::new(
                        *span,
                        format!("The {name} operator is not supported."),
                    ));
                }
                Op::Evaluate { plugin, span, .. } if !PLUGINS.contains(&plugin.as_str()) => {
                    return Err(Diagnostic::new(
                        *span,
                        format!("The {plugin} plugin (evaluate {plugin}) is not supported."),
                    ));
                }
                Op::Evaluate {
                    plugin, span, args, ..
                } if plugin == "diffpatterns" && args.len() < 3 => {
                    return Err(Diagnostic::new(
                        *span,
                        "diffpatterns needs the column that splits the rows and the values of its two sets: diffpatterns(SplitColumn, SplitValueA, SplitValueB).",
                    ));
                }
                // `*` before a string operator stands for every column.
                Op::Where(e) => return expr(&search::without_every_column(e), false, funcs),
                _ => {}
            }
            op.exprs()
                .into_iter()
                .try_for_each(|e| expr(e, aggregates, funcs))
        }
        Tabular::Datatable { values, .. } => values.iter().try_for_each(|e| expr(e, false, funcs)),
        Tabular::Print(items) => items.iter().try_for_each(|(_, e)| expr(e, false, funcs)),
        Tabular::Range { from, to, step, .. } => [from, to, step]
            .into_iter()
            .try_for_each(|e| expr(e, false, funcs)),
        Tabular::Union(u) => {
            if let Some(f) = &u.filter {
                expr(&search::without_every_column(f), false, funcs)?;
            }
            u.legs.iter().try_for_each(|p| tabular(p, funcs))
        }
        Tabular::Invoke { args, .. } => call_args(args, funcs),
        Tabular::Watchlist(..) => Ok(()),
    }
}

/// The arguments of a user-defined function's call, by name or `invoke`.
fn call_args(args: &[Arg], funcs: &[String]) -> Result<(), Diagnostic> {
    args.iter().try_for_each(|a| match a {
        Arg::Scalar(e) => expr(e, false, funcs),
        Arg::Table(t) => tabular(t, funcs),
    })
}

fn expr(e: &Expr, aggregates: bool, funcs: &[String]) -> Result<(), Diagnostic> {
    match e {
        Expr::Call { name, args, .. } if funcs.contains(name) => {
            args.iter().try_for_each(|a| expr(a, aggregates, funcs))
        }
        Expr::Call { name, args, span } => {
            let agg = eval::AGGREGATE.iter().find(|(n, _, _)| n == name);
            let scalar = eval::SCALAR
                .iter()
                .chain(dates::FUNCTIONS)
                .chain(net::FUNCTIONS)
                .chain(arrays::FUNCTIONS)
                .chain(strings::FUNCTIONS)
                .chain(text_extra::FUNCTIONS)
                .chain(text_parse::FUNCTIONS)
                .chain(types::FUNCTIONS)
                .chain(bits::FUNCTIONS)
                .chain(window::FUNCTIONS)
                .chain(geo::FUNCTIONS)
                .chain(geo_shapes::FUNCTIONS)
                .chain(geo_s2::FUNCTIONS)
                .chain(geo_h3::FUNCTIONS)
                .chain(geo_union::FUNCTIONS)
                .chain(geo_intersection::FUNCTIONS)
                .chain(hash::FUNCTIONS)
                .chain(series::FUNCTIONS)
                .chain(sketch::FUNCTIONS)
                .chain(digest::FUNCTIONS)
                .chain(distributions::FUNCTIONS)
                .find(|(n, _, _)| n == name);
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
                .try_for_each(|a| expr(a, inner, funcs))
        }
        Expr::ToScalar(t) | Expr::Values(t) => tabular(t, funcs),
        Expr::Member(a, _) | Expr::Neg(a) => expr(a, aggregates, funcs),
        Expr::Index(a, b) | Expr::Bin(_, a, b) => {
            expr(a, aggregates, funcs).and_then(|()| expr(b, aggregates, funcs))
        }
        Expr::Str2 { left, right, .. } => {
            expr(left, aggregates, funcs).and_then(|()| expr(right, aggregates, funcs))
        }
        Expr::In { expr: x, list, .. } => {
            expr(x, aggregates, funcs)?;
            list.iter().try_for_each(|i| expr(i, aggregates, funcs))
        }
        Expr::Between {
            expr: x, lo, hi, ..
        } => [x, lo, hi]
            .into_iter()
            .try_for_each(|i| expr(i, aggregates, funcs)),
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
