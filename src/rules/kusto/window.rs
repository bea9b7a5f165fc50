//! Kusto's row-window functions (`row_cumsum`, `row_number`,
//! `row_rank_min`, `row_rank_dense`, `prev`): each call site keeps its
//! state across the rows of the one operator that evaluates it, in order.

use super::ast::Expr;
use super::eval::{Ctx, Row, eval, truth};
use super::value::KV;

pub(super) const FUNCTIONS: &[(&str, usize, usize)] = &[
    ("row_cumsum", 1, 2),
    ("row_number", 0, 2),
    ("row_rank_min", 1, 2),
    ("row_rank_dense", 1, 2),
    ("prev", 1, 3),
    ("next", 1, 3),
];

/// The most rows back `prev` can look.
const MAX_OFFSET: usize = 4096;

pub(super) fn call(name: &str, args: &[Expr], row: &dyn Row, ctx: &Ctx) -> Option<KV> {
    if !FUNCTIONS.iter().any(|(n, _, _)| *n == name) {
        return None;
    }
    // Arguments first: they may hold window functions of their own.
    let vals: Vec<KV> = args.iter().map(|a| eval(a, row, ctx)).collect();
    let arg = |i: usize| vals.get(i).cloned().unwrap_or(KV::Null);
    let restart = |i: usize| matches!(truth(&arg(i)), Some(true));
    let site = args.as_ptr() as usize;
    let mut windows = ctx.window.borrow_mut();
    let state = windows.entry(site).or_default();
    Some(match name {
        "row_cumsum" => {
            let v = arg(0);
            if restart(1) || state.is_empty() {
                *state = vec![KV::Long(0)];
            }
            let sum = match (&state[0], &v) {
                (KV::Long(a), KV::Long(b)) => KV::Long(a.wrapping_add(*b)),
                (a, KV::Null) => a.clone(),
                (a, b) => KV::Real(a.as_f64().unwrap_or(0.0) + b.as_f64().unwrap_or(0.0)),
            };
            state[0] = sum.clone();
            sum
        }
        "row_number" => {
            let start = match arg(0) {
                KV::Long(n) => n,
                _ => 1,
            };
            let n = match state.first() {
                Some(KV::Long(n)) if !restart(1) => n + 1,
                _ => start,
            };
            *state = vec![KV::Long(n)];
            KV::Long(n)
        }
        "row_rank_min" | "row_rank_dense" => {
            // State: rows seen, the last value, its rank.
            let v = arg(0);
            if restart(1) || state.len() != 3 {
                *state = vec![KV::Long(0), KV::Null, KV::Long(0)];
            }
            let seen = if let KV::Long(n) = state[0] { n + 1 } else { 1 };
            let last_rank = if let KV::Long(n) = state[2] { n } else { 0 };
            let same = seen > 1 && state[1].key() == v.key();
            let rank = match (same, name) {
                (true, _) => last_rank,
                (false, "row_rank_min") => seen,
                (false, _) => last_rank + 1,
            };
            *state = vec![KV::Long(seen), v, KV::Long(rank)];
            KV::Long(rank)
        }
        // The values were laid out before the rows ran (`look_ahead`),
        // after the cursor.
        "next" => {
            let offset = match arg(1) {
                KV::Long(n) if n >= 1 => usize::try_from(n).unwrap_or(usize::MAX),
                KV::Null => 1,
                _ => return Some(KV::Null),
            };
            let Some(KV::Long(at)) = state.first().cloned() else {
                return Some(KV::Null);
            };
            state[0] = KV::Long(at + 1);
            let i = usize::try_from(at).unwrap_or(0).saturating_add(1 + offset);
            state.get(i).cloned().unwrap_or_else(|| arg(2))
        }
        "prev" => {
            let offset = match arg(1) {
                KV::Long(n) if n >= 1 => (n as usize).min(MAX_OFFSET),
                KV::Null => 1,
                _ => return Some(KV::Null),
            };
            let out = if state.len() >= offset {
                state[state.len() - offset].clone()
            } else {
                arg(2)
            };
            state.push(arg(0));
            if state.len() > MAX_OFFSET {
                state.remove(0);
            }
            out
        }
        _ => return None,
    })
}
