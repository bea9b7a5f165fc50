//! `evaluate basket()` and `evaluate diffpatterns()`: patterns of column
//! values found level by level as Apriori does, a pattern of k+1 values
//! counted only when each of its k-value parts passes. `basket` lists
//! every pattern that at least `Threshold` of the rows (by weight) share;
//! `diffpatterns` splits the rows in two by a column's value and lists
//! the patterns whose shares of the two sets are furthest apart. A
//! pattern is reported when no pattern fixing one more column covers the
//! same rows, so `Damage == "NO"` is not listed beside `Damage == "NO",
//! DamageCrops == 0` when every undamaged row has no crop damage. Counts
//! are exact, where Kusto samples; patterns close to the threshold may
//! differ from its.

use std::collections::{HashMap, HashSet};

use super::exec::Table;
use super::patterns::{Args, Input, Pattern, Split};

const DEFAULT_THRESHOLD: f64 = 0.05;
const MIN_THRESHOLD: f64 = 0.015;
const DEFAULT_MAX_DIMENSIONS: usize = 5;
/// Patterns counted at most: past this, no longer ones are sought, so a
/// table of many correlated columns ends in bounded time.
const MAX_PATTERNS: usize = 20_000;

/// (column, value) pairs, in column order, one per column.
type Items = Vec<(usize, u32)>;

fn weights_of(input: &Input, items: &Items) -> [f64; 2] {
    input.weights_of_rows(&input.rows_with(items.iter().copied()))
}

/// Every pattern of at most `max_dims` values whose weights `passes`,
/// where `passes` fails for a pattern's extensions whenever it fails for
/// the pattern.
fn apriori(
    input: &Input,
    max_dims: usize,
    passes: &dyn Fn([f64; 2]) -> bool,
) -> Vec<(Items, [f64; 2])> {
    let mut singles: HashMap<(usize, u32), [f64; 2]> = HashMap::new();
    for d in &input.distinct {
        for (c, v) in d.values.iter().enumerate() {
            if input.is_value(*v) {
                singles.entry((c, *v)).or_default()[d.side] += d.weight;
            }
        }
    }
    let mut level: Vec<(Items, [f64; 2])> = singles
        .into_iter()
        .filter(|(_, w)| passes(*w))
        .map(|(item, w)| (vec![item], w))
        .collect();
    level.sort_by(|a, b| a.0.cmp(&b.0));
    let mut all: Vec<(Items, [f64; 2])> = Vec::new();
    for _ in 1..max_dims {
        if level.is_empty() || all.len() + level.len() > MAX_PATTERNS {
            break;
        }
        let known: HashSet<&Items> = level.iter().map(|(i, _)| i).collect();
        let mut next: Vec<(Items, [f64; 2])> = Vec::new();
        for (i, (a, _)) in level.iter().enumerate() {
            for (b, _) in &level[i + 1..] {
                // Sorted, so sets sharing all but their last item are
                // neighbours: stop at the first that does not.
                if a[..a.len() - 1] != b[..b.len() - 1] {
                    break;
                }
                let (last_a, last_b) = (a[a.len() - 1], b[b.len() - 1]);
                if last_a.0 == last_b.0 {
                    continue;
                }
                let mut joined = a.clone();
                joined.push(last_b);
                let parts_pass = (0..joined.len() - 2).all(|skip| {
                    let mut part = joined.clone();
                    part.remove(skip);
                    known.contains(&part)
                });
                if !parts_pass {
                    continue;
                }
                let w = weights_of(input, &joined);
                if passes(w) {
                    next.push((joined, w));
                }
            }
            if all.len() + level.len() + next.len() > MAX_PATTERNS {
                break;
            }
        }
        next.sort_by(|a, b| a.0.cmp(&b.0));
        all.append(&mut level);
        level = next;
    }
    all.append(&mut level);
    all
}

/// The patterns no pattern fixing one more column covers as much of, in
/// both sets.
fn closed(all: Vec<(Items, [f64; 2])>) -> Vec<(Items, [f64; 2])> {
    let same = |a: [f64; 2], b: [f64; 2]| {
        (0..2).all(|i| (a[i] - b[i]).abs() <= 1e-9 * a[i].abs().max(1.0))
    };
    all.iter()
        .filter(|(items, w)| {
            !all.iter().any(|(other, ow)| {
                other.len() == items.len() + 1
                    && same(*ow, *w)
                    && items.iter().all(|x| other.contains(x))
            })
        })
        .cloned()
        .collect()
}

fn pattern(input: &Input, items: &Items) -> Pattern {
    let mut p: Pattern = vec![None; input.dims.len()];
    for (c, v) in items {
        p[*c] = Some(*v);
    }
    p
}

fn threshold(args: &Args) -> f64 {
    args.number
        .map_or(DEFAULT_THRESHOLD, |x| x.clamp(MIN_THRESHOLD, 1.0))
}

pub(super) fn run(t: Table, args: &Args) -> Table {
    let threshold = threshold(args);
    let input = Input::of(&t, args.weight_column.as_deref(), None);
    let max_dims = args
        .count
        .unwrap_or(DEFAULT_MAX_DIMENSIONS)
        .clamp(1, input.dims.len().max(1));
    let least = threshold * input.totals[0];
    let passes = |w: [f64; 2]| w[0] > 0.0 && w[0] >= least - 1e-9;
    let mut kept = closed(apriori(&input, max_dims, &passes));
    kept.sort_by(|a, b| {
        b.1[0]
            .total_cmp(&a.1[0])
            .then(a.0.len().cmp(&b.0.len()))
            .then(a.0.cmp(&b.0))
    });
    let patterns = kept
        .iter()
        .map(|(items, _)| pattern(&input, items))
        .collect();
    input.table(&t, patterns, &args.wildcards)
}

/// `diffpatterns(SplitColumn, A, B, WeightColumn, Threshold,
/// MaxDimensions, Wildcard...)`: patterns whose shares of set A and set B
/// differ by at least the threshold, most different first. A pattern
/// that holds, or is held by, one already listed is left out, so each
/// difference is told once, by its strongest pattern.
pub(super) fn diff(t: Table, split: &Split, args: &Args) -> Table {
    let threshold = threshold(args);
    let input = Input::of(&t, args.weight_column.as_deref(), Some(split));
    let max_dims = args
        .count
        .unwrap_or(usize::MAX)
        .clamp(1, input.dims.len().max(1));
    let [total_a, total_b] = input.totals;
    let share = |w: [f64; 2]| {
        let a = if total_a > 0.0 { w[0] / total_a } else { 0.0 };
        let b = if total_b > 0.0 { w[1] / total_b } else { 0.0 };
        (a, b)
    };
    // A difference of `threshold` needs that share in one set at least.
    let passes = |w: [f64; 2]| {
        let (a, b) = share(w);
        a.max(b) >= threshold - 1e-12
    };
    let mut found: Vec<(Items, f64)> = closed(apriori(&input, max_dims, &passes))
        .into_iter()
        .map(|(items, w)| {
            let (a, b) = share(w);
            (items, (a - b).abs())
        })
        .filter(|(_, d)| *d >= threshold - 1e-12)
        .collect();
    found.sort_by(|a, b| {
        b.1.total_cmp(&a.1)
            .then(a.0.len().cmp(&b.0.len()))
            .then(a.0.cmp(&b.0))
    });
    let nested =
        |x: &Items, y: &Items| x.iter().all(|i| y.contains(i)) || y.iter().all(|i| x.contains(i));
    let mut kept: Vec<Items> = Vec::new();
    for (items, _) in found {
        if !kept.iter().any(|k| nested(k, &items)) {
            kept.push(items);
        }
    }
    let patterns = kept.iter().map(|items| pattern(&input, items)).collect();
    input.diff_table(&t, patterns, &args.wildcards)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::kusto::eval::Row;
    use crate::rules::kusto::exec::KRow;
    use crate::rules::kusto::value::KV;

    fn storms() -> Table {
        // 100 rows: hail without damage, wind with and without, a flood
        // in Texas with damage.
        let mut rows = Vec::new();
        let mut add = |n: usize, state: &str, kind: &str, damage: &str, crops: i64| {
            for _ in 0..n {
                rows.push(KRow {
                    cols: vec![
                        ("State".into(), KV::Str(state.into())),
                        ("EventType".into(), KV::Str(kind.into())),
                        ("Damage".into(), KV::Str(damage.into())),
                        ("DamageCrops".into(), KV::Long(crops)),
                    ],
                    doc: None,
                    evidence: Vec::new(),
                });
            }
        };
        add(40, "KANSAS", "Hail", "NO", 0);
        add(25, "IOWA", "Thunderstorm Wind", "NO", 0);
        add(20, "OHIO", "Thunderstorm Wind", "YES", 0);
        add(15, "TEXAS", "Flood", "YES", 500);
        Table {
            columns: ["State", "EventType", "Damage", "DamageCrops"]
                .map(String::from)
                .to_vec(),
            rows,
        }
    }

    fn args(threshold: f64) -> Args {
        Args {
            number: Some(threshold),
            weight_column: None,
            count: None,
            wildcards: vec![KV::Str("*".into()), KV::Long(-1)],
        }
    }

    fn rows(t: &Table) -> Vec<String> {
        t.rows
            .iter()
            .map(|r| {
                t.columns[1..]
                    .iter()
                    .filter(|c| *c != "Percent")
                    .map(|c| r.get(c).to_text())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    #[test]
    fn frequent_patterns_are_listed_unless_a_longer_one_covers_the_same_rows() {
        let t = run(storms(), &args(0.2));
        assert_eq!(
            rows(&t),
            [
                // Crops undamaged: 85 rows.
                "85 * * * 0",
                // Undamaged (always without crop damage): 65.
                "65 * * NO 0",
                // Wind, always without crop damage: 45.
                "45 * Thunderstorm Wind * 0",
                "40 KANSAS Hail NO 0",
                "35 * * YES -1",
                "25 IOWA Thunderstorm Wind NO 0",
                "20 OHIO Thunderstorm Wind YES 0",
            ]
        );
        assert_eq!(t.rows[0].get("Percent").to_text(), "85");
    }

    #[test]
    fn a_higher_threshold_keeps_fewer_and_max_dimensions_caps_their_length() {
        assert_eq!(
            rows(&run(storms(), &args(0.5))),
            ["85 * * * 0", "65 * * NO 0"]
        );
        let mut a = args(0.2);
        a.count = Some(1);
        assert_eq!(
            rows(&run(storms(), &a)),
            [
                "85 * * * 0",
                "65 * * NO -1",
                "45 * Thunderstorm Wind * -1",
                "40 KANSAS * * -1",
                "40 * Hail * -1",
                "35 * * YES -1",
                "25 IOWA * * -1",
                "20 OHIO * * -1",
            ]
        );
    }
}
