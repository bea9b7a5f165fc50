//! Functions that give several columns: `series_stats(x)` gives
//! `series_stats_x_min`, `series_stats_x_min_idx` ..., `series_fit_line`
//! its fit's parts; an unnamed
//! `array_sort_asc(a, b)` gives `a_sorted` and `b_sorted`; and
//! `(lo, hi) = f(...)` names the parts of any such function.

use super::ast::Expr;
use super::parser::default_name;

/// Functions whose parts are columns of their own, the function that
/// gives them all as one bag, and the parts in order.
const PARTS: &[(&str, &str, &[&str])] = &[
    (
        "series_stats",
        "series_stats_dynamic",
        &[
            "min", "min_idx", "max", "max_idx", "avg", "stdev", "variance",
        ],
    ),
    (
        "series_fit_line",
        "series_fit_line_dynamic",
        &[
            "rsquare",
            "slope",
            "variance",
            "rvariance",
            "interception",
            "line_fit",
        ],
    ),
];

fn parts_of(f: &str) -> Option<(&'static str, &'static [&'static str])> {
    PARTS
        .iter()
        .find(|(name, _, _)| *name == f)
        .map(|(_, whole, parts)| (*whole, *parts))
}

/// Functions that give several columns (`series_stats(x)` gives
/// series_stats_x_min, series_stats_x_min_idx ...; an unnamed
/// `array_sort_asc(a, b)` gives a_sorted and b_sorted) become one item
/// per column, each reading its part of the one-value form.
pub(super) fn spread_columns(items: Vec<(Option<String>, Expr)>) -> Vec<(Option<String>, Expr)> {
    let mut out = Vec::with_capacity(items.len());
    for (name, e) in items {
        match e {
            Expr::Call {
                name: f,
                args,
                span,
            } if parts_of(&f).is_some() => {
                let (bag, parts) = parts_of(&f).expect("checked above");
                let prefix = name.unwrap_or_else(|| {
                    default_name(&Expr::Call {
                        name: f.clone(),
                        args: args.clone(),
                        span,
                    })
                });
                let whole = Expr::Call {
                    name: bag.into(),
                    args,
                    span,
                };
                for part in parts {
                    out.push((
                        Some(format!("{prefix}_{part}")),
                        Expr::Index(
                            Box::new(whole.clone()),
                            Box::new(Expr::Str(part.to_string())),
                        ),
                    ));
                }
            }
            Expr::Call {
                name: f,
                args,
                span,
            } if name.is_none()
                && (f == "array_sort_asc" || f == "array_sort_desc")
                && args.len() > 1
                && args.iter().all(|a| matches!(a, Expr::Column(..))) =>
            {
                let names: Vec<String> = args.iter().map(default_name).collect();
                let whole = Expr::Call {
                    name: f,
                    args,
                    span,
                };
                for (i, n) in names.into_iter().enumerate() {
                    out.push((
                        Some(format!("{n}_sorted")),
                        Expr::Index(Box::new(whole.clone()), Box::new(Expr::Long(i as i64))),
                    ));
                }
            }
            e => out.push((name, e)),
        }
    }
    out
}

/// `(a, b, ...) = f(...)`: column `a` is f's first part, `b` its
/// second... `series_stats` names its parts; other functions of several
/// columns give them in order.
pub(super) fn tuple_columns(names: Vec<String>, e: Expr) -> Vec<(Option<String>, Expr)> {
    let (whole, parts): (Expr, Vec<Expr>) = match e {
        Expr::Call { name, args, span } if parts_of(&name).is_some() => {
            let (bag, parts) = parts_of(&name).expect("checked above");
            (
                Expr::Call {
                    name: bag.into(),
                    args,
                    span,
                },
                parts.iter().map(|p| Expr::Str(p.to_string())).collect(),
            )
        }
        other => (other, (0..names.len() as i64).map(Expr::Long).collect()),
    };
    names
        .into_iter()
        .zip(parts)
        .map(|(n, part)| {
            (
                Some(n),
                Expr::Index(Box::new(whole.clone()), Box::new(part)),
            )
        })
        .collect()
}
