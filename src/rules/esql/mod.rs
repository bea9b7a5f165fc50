//! ES|QL, the piped query language of Elastic's newer rules: parsed by
//! hand, run over loaded events with Elasticsearch's null and multi-value
//! rules, each result row linked to the events behind it.

pub mod ast;
pub mod eval;
pub mod exec;
pub mod parser;
mod patterns;
mod stats;
pub mod value;

pub use exec::{Runner, Source, Table};
pub use parser::parse;

use ast::{Command, Expr, Query};
use eval::{AGGREGATE, SCALAR};

use crate::rules::diag::Diagnostic;

/// Checks function names and argument counts, and that aggregates appear
/// only in STATS.
pub fn validate(q: &Query) -> Result<(), Diagnostic> {
    for cmd in &q.commands {
        match cmd {
            Command::Where(e) => check(e, false)?,
            Command::Eval(v) => v.iter().try_for_each(|(_, e)| check(e, false))?,
            Command::Stats { aggs, by } => {
                aggs.iter().try_for_each(|(_, e)| check(e, true))?;
                by.iter().try_for_each(|(_, e)| check(e, false))?;
            }
            Command::Sort(keys) => keys.iter().try_for_each(|k| check(&k.expr, false))?,
            _ => {}
        }
    }
    Ok(())
}

fn check(e: &Expr, aggregates: bool) -> Result<(), Diagnostic> {
    match e {
        Expr::Call { name, args, span } => {
            let agg = AGGREGATE.iter().find(|(n, _, _)| n == name);
            let scalar = SCALAR.iter().find(|(n, _, _)| n == name);
            let (min, max) = match (agg, scalar) {
                (Some(_), _) if !aggregates => {
                    return Err(Diagnostic::new(
                        *span,
                        format!(
                            "Aggregate function {} is only allowed in STATS.",
                            name.to_uppercase()
                        ),
                    ));
                }
                (Some((_, a, b)), _) | (None, Some((_, a, b))) => (*a, *b),
                (None, None) => {
                    return Err(Diagnostic::new(
                        *span,
                        format!("Unknown function {}.", name.to_uppercase()),
                    ));
                }
            };
            if args.len() < min || args.len() > max {
                return Err(Diagnostic::new(
                    *span,
                    format!(
                        "{} takes {min}..{max} arguments, not {}.",
                        name.to_uppercase(),
                        args.len()
                    ),
                ));
            }
            // COUNT(*) is the one place a star stands alone.
            if name == "count" && matches!(args.as_slice(), [Expr::Star(_)]) {
                return Ok(());
            }
            // Inside an aggregate, another aggregate is not allowed.
            let inner = aggregates && agg.is_none();
            args.iter().try_for_each(|a| check(a, inner))
        }
        Expr::Neg(a) | Expr::Not(a) => check(a, aggregates),
        Expr::Bin(_, a, b) => {
            check(a, aggregates)?;
            check(b, aggregates)
        }
        Expr::In { expr, list, .. } => {
            check(expr, aggregates)?;
            list.iter().try_for_each(|x| check(x, aggregates))
        }
        Expr::IsNull { expr, .. } | Expr::Like { expr, .. } => check(expr, aggregates),
        Expr::Lit(..) | Expr::Field(..) => Ok(()),
        Expr::Star(s) => Err(Diagnostic::new(*s, "\"*\" is only allowed in COUNT(*).")),
    }
}

/// Parses and validates.
pub fn compile(src: &str) -> Result<Query, Diagnostic> {
    let q = parse(src)?;
    validate(&q)?;
    Ok(q)
}
