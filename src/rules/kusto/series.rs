//! `make-series` and the functions over the arrays it makes. Rows are
//! grouped by the `by` columns and by the axis bin they fall in; each
//! aggregation is computed per bin and laid out in an array that holds a
//! default where a bin has no rows, beside an array of the bins' starts.
//! Anomaly hunting in Sentinel starts this way (sign-ins per hour per
//! account, then a look at the series).

use std::collections::HashMap;

use serde_json::Value as Json;

use super::ast::{Expr, MakeSeries};
use super::exec::{Empty, Exec, KRow, Table, add_column};
use super::parser::default_name;
use super::value::KV;
use crate::detect::EventRef;

/// Kusto's own cap on a series' length.
const MAX_BINS: usize = 1 << 20;

/// Where a value sits on the axis: time and durations in exact ticks,
/// other numbers as reals.
#[derive(Clone, Copy)]
enum Pos {
    Ticks(i64),
    Num(f64),
}

fn position(v: &KV) -> Option<Pos> {
    match v {
        KV::Date(t) | KV::Span(t) => Some(Pos::Ticks(*t)),
        other => other.as_f64().filter(|x| x.is_finite()).map(Pos::Num),
    }
}

/// The axis: where its first bin starts, its step, how many bins, and
/// what kind of value its bins' starts are.
struct Axis {
    start: Pos,
    step: Pos,
    bins: usize,
    dates: bool,
}

impl Axis {
    fn bin(&self, at: Pos) -> Option<usize> {
        let k = match (at, self.start, self.step) {
            (Pos::Ticks(t), Pos::Ticks(s), Pos::Ticks(d)) => (t - s).div_euclid(d) as f64,
            (at, s, d) => ((num(at) - num(s)) / num(d)).floor(),
        };
        (k >= 0.0 && k < self.bins as f64).then_some(k as usize)
    }

    fn starts(&self) -> Json {
        let at = |k: usize| match (self.start, self.step) {
            (Pos::Ticks(s), Pos::Ticks(d)) => {
                let t = s + d * k as i64;
                if self.dates {
                    KV::Date(t).to_dyn()
                } else {
                    KV::Span(t).to_dyn()
                }
            }
            (s, d) => KV::Real(num(s) + num(d) * k as f64).to_dyn(),
        };
        Json::Array((0..self.bins).map(at).collect())
    }
}

fn num(p: Pos) -> f64 {
    match p {
        Pos::Ticks(t) => t as f64,
        Pos::Num(x) => x,
    }
}

fn floor_to(p: Pos, step: Pos) -> Pos {
    match (p, step) {
        (Pos::Ticks(t), Pos::Ticks(d)) => Pos::Ticks(t.div_euclid(d) * d),
        (p, d) => Pos::Num((num(p) / num(d)).floor() * num(d)),
    }
}

fn plus(p: Pos, step: Pos) -> Pos {
    match (p, step) {
        (Pos::Ticks(t), Pos::Ticks(d)) => Pos::Ticks(t.saturating_add(d)),
        (p, d) => Pos::Num(num(p) + num(d)),
    }
}

fn bins_between(start: Pos, end: Pos, step: Pos) -> usize {
    let n = match (start, end, step) {
        (Pos::Ticks(s), Pos::Ticks(e), Pos::Ticks(d)) => {
            (e.saturating_sub(s) as f64 / d as f64).ceil()
        }
        (s, e, d) => ((num(e) - num(s)) / num(d)).ceil(),
    };
    if n.is_finite() && n > 0.0 {
        (n as usize).min(MAX_BINS)
    } else {
        0
    }
}

impl Exec<'_> {
    /// The axis the query names, or the one its rows span.
    fn series_axis(&self, m: &MakeSeries, at: &[Option<Pos>], dates: bool) -> Option<Axis> {
        let step = position(&self.ev(&m.step, &Empty))?;
        if num(step) <= 0.0 {
            return None;
        }
        let given = |e: &Option<Expr>| e.as_ref().and_then(|e| position(&self.ev(e, &Empty)));
        let (lo, hi) = at
            .iter()
            .flatten()
            .fold((None::<Pos>, None::<Pos>), |(lo, hi), p| {
                let lo = Some(lo.map_or(*p, |l| if num(*p) < num(l) { *p } else { l }));
                let hi = Some(hi.map_or(*p, |h| if num(*p) > num(h) { *p } else { h }));
                (lo, hi)
            });
        let (start, end) = if m.range {
            // The older form: bins aligned to the step, `stop` included.
            let start = floor_to(given(&m.from).or(lo)?, step);
            (start, plus(floor_to(given(&m.to).or(hi)?, step), step))
        } else {
            let start = given(&m.from).or_else(|| lo.map(|l| floor_to(l, step)))?;
            let end = given(&m.to).or_else(|| hi.map(|h| plus(floor_to(h, step), step)))?;
            (start, end)
        };
        Some(Axis {
            start,
            step,
            bins: bins_between(start, end, step),
            dates,
        })
    }

    pub(super) fn make_series(&mut self, mut t: Table, m: &MakeSeries) -> Table {
        t.materialize();
        let by_names: Vec<String> =
            m.by.iter()
                .map(|(n, e)| n.clone().unwrap_or_else(|| default_name(e)))
                .collect();
        let agg_names: Vec<String> = m
            .aggs
            .iter()
            .map(|(n, e, _)| {
                self.aggregate(n.as_deref(), e, &[])
                    .into_iter()
                    .next()
                    .map_or_else(|| default_name(e), |(name, _)| name)
            })
            .collect();
        let axis_name = default_name(&m.axis);
        let mut columns = by_names.clone();
        for n in agg_names.iter().chain([&axis_name]) {
            add_column(&mut columns, n);
        }
        let values: Vec<KV> = t.rows.iter().map(|r| self.ev(&m.axis, r)).collect();
        let at: Vec<Option<Pos>> = values.iter().map(position).collect();
        let dates = !values.iter().any(|v| matches!(v, KV::Span(_)));
        let Some(axis) = self.series_axis(m, &at, dates) else {
            return Table {
                columns,
                rows: Vec::new(),
            };
        };
        // Groups in the order they first appear, each with its rows by bin.
        let mut order: Vec<(Vec<KV>, Vec<Vec<usize>>)> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for (i, r) in t.rows.iter().enumerate() {
            let key_vals: Vec<KV> = m.by.iter().map(|(_, e)| self.ev(e, r)).collect();
            let key = key_vals
                .iter()
                .map(KV::key)
                .collect::<Vec<_>>()
                .join("\u{1}");
            let g = *index.entry(key).or_insert_with(|| {
                order.push((key_vals, Vec::new()));
                order.len() - 1
            });
            if let Some(k) = at[i].and_then(|p| axis.bin(p)) {
                let bins = &mut order[g].1;
                if bins.len() <= k {
                    bins.resize(k + 1, Vec::new());
                }
                bins[k].push(i);
            }
        }
        if order.is_empty() && m.nonempty && m.by.is_empty() {
            order.push((Vec::new(), Vec::new()));
        }
        let defaults: Vec<Json> = m
            .aggs
            .iter()
            .map(|(_, _, d)| {
                d.as_ref()
                    .map_or(KV::Long(0), |d| self.ev(d, &Empty))
                    .to_dyn()
            })
            .collect();
        let starts = axis.starts();
        let mut rows = Vec::with_capacity(order.len());
        for (key_vals, bins) in order {
            let mut cols: Vec<(String, KV)> = by_names.iter().cloned().zip(key_vals).collect();
            for (((_, agg, _), name), default) in m.aggs.iter().zip(&agg_names).zip(&defaults) {
                let mut series = vec![default.clone(); axis.bins];
                for (k, members) in bins.iter().enumerate().filter(|(_, b)| !b.is_empty()) {
                    let group: Vec<&KRow> = members.iter().map(|i| &t.rows[*i]).collect();
                    if let Some((_, v)) = self.aggregate(Some(name), agg, &group).into_iter().next()
                    {
                        series[k] = v.to_dyn();
                    }
                }
                cols.push((name.clone(), KV::Dyn(Json::Array(series))));
            }
            cols.push((axis_name.clone(), KV::Dyn(starts.clone())));
            let mut evidence: Vec<EventRef> = bins
                .iter()
                .flatten()
                .flat_map(|i| t.rows[*i].evidence.iter().copied())
                .collect();
            evidence.sort();
            evidence.dedup();
            rows.push(KRow {
                cols,
                doc: None,
                evidence,
            });
        }
        Table { columns, rows }
    }
}

/// The array a series function reads: its elements as reals, nulls (and
/// anything not a number) as missing.
fn reals(v: &KV) -> Option<Vec<Option<f64>>> {
    let a = v.clone().into_array()?;
    Some(a.iter().map(Json::as_f64).collect())
}

/// Whether the array holds numbers and every one is whole, so results
/// stay whole; an array of nulls fills with reals.
fn integral(v: &KV) -> bool {
    v.clone().into_array().is_some_and(|a| {
        a.iter().any(|x| !x.is_null())
            && a.iter()
                .all(|x| x.is_null() || x.as_i64().is_some() || x.as_u64().is_some())
    })
}

fn to_array(xs: &[Option<f64>], whole: bool) -> KV {
    KV::Dyn(Json::Array(
        xs.iter()
            .map(|x| match x {
                Some(x) if whole => Json::from(x.trunc() as i64),
                Some(x) => KV::Real(*x).to_dyn(),
                None => Json::Null,
            })
            .collect(),
    ))
}

pub(super) const FUNCTIONS: &[(&str, usize, usize)] = &[
    ("series_fill_linear", 1, 4),
    ("series_fill_forward", 1, 2),
    ("series_fill_backward", 1, 2),
    ("series_fill_const", 2, 3),
    ("series_stats_dynamic", 1, 2),
    ("series_fit_line_dynamic", 1, 1),
];

/// Positions to fill: nulls, or elements equal to the given missing
/// value.
fn missing(xs: &mut [Option<f64>], marker: Option<&KV>) {
    if let Some(m) = marker.and_then(KV::as_f64) {
        for x in xs.iter_mut() {
            if *x == Some(m) {
                *x = None;
            }
        }
    }
}

fn fill_linear(xs: &mut [Option<f64>], edges: bool, constant: Option<f64>) {
    let known: Vec<usize> = (0..xs.len()).filter(|i| xs[*i].is_some()).collect();
    if known.is_empty() {
        if let Some(c) = constant {
            xs.iter_mut().for_each(|x| *x = Some(c));
        }
        return;
    }
    for w in known.windows(2) {
        let (a, b) = (w[0], w[1]);
        let (ya, yb) = (xs[a].unwrap_or(0.0), xs[b].unwrap_or(0.0));
        for (i, x) in xs.iter_mut().enumerate().take(b).skip(a + 1) {
            *x = Some(ya + (yb - ya) * (i - a) as f64 / (b - a) as f64);
        }
    }
    if edges {
        let (first, last) = (known[0], known[known.len() - 1]);
        let (head, tail) = (xs[first], xs[last]);
        xs[..first].iter_mut().for_each(|x| *x = head);
        xs[last + 1..].iter_mut().for_each(|x| *x = tail);
    }
}

pub(super) fn call(name: &str, args: &[KV]) -> Option<KV> {
    if !FUNCTIONS.iter().any(|(n, _, _)| *n == name) {
        return None;
    }
    let Some(mut xs) = args.first().and_then(reals) else {
        return Some(KV::Null);
    };
    let whole = args.first().is_some_and(integral);
    Some(match name {
        "series_fill_linear" => {
            missing(&mut xs, args.get(1));
            let edges = !matches!(args.get(2), Some(KV::Bool(false)));
            // An array with no number at all fills with the constant,
            // zero unless given.
            let constant = args.get(3).map_or(Some(0.0), KV::as_f64);
            fill_linear(&mut xs, edges, constant);
            to_array(&xs, whole)
        }
        "series_fill_forward" | "series_fill_backward" => {
            missing(&mut xs, args.get(1));
            let forward = name.ends_with("forward");
            let mut last = None;
            let mut step = |x: &mut Option<f64>| match x {
                Some(v) => last = Some(*v),
                None => *x = last,
            };
            if forward {
                xs.iter_mut().for_each(&mut step);
            } else {
                xs.iter_mut().rev().for_each(&mut step);
            }
            to_array(&xs, whole)
        }
        "series_fill_const" => {
            missing(&mut xs, args.get(2));
            let c = args.get(1).and_then(KV::as_f64);
            xs.iter_mut().filter(|x| x.is_none()).for_each(|x| *x = c);
            to_array(&xs, whole && c.is_none_or(|c| c.fract() == 0.0))
        }
        "series_stats_dynamic" => stats(&xs),
        "series_fit_line_dynamic" => fit_line(&xs),
        _ => return None,
    })
}

/// The least-squares line through the series at x = 1, 2, ...: its fit
/// (r²), slope and interception, the sample variance of the values and
/// of what the line leaves (both over n - 1, as Kusto's documented
/// example works out), and the line's values. Missing values are left
/// out of the fit.
fn fit_line(xs: &[Option<f64>]) -> KV {
    let pts: Vec<(f64, f64)> = xs
        .iter()
        .enumerate()
        .filter_map(|(i, y)| y.filter(|v| v.is_finite()).map(|v| ((i + 1) as f64, v)))
        .collect();
    let n = pts.len() as f64;
    if pts.is_empty() {
        return KV::Null;
    }
    let (mx, my) = (
        pts.iter().map(|p| p.0).sum::<f64>() / n,
        pts.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let sxx: f64 = pts.iter().map(|(x, _)| (x - mx).powi(2)).sum();
    let sxy: f64 = pts.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    let interception = my - slope * mx;
    let ss: f64 = pts.iter().map(|(_, y)| (y - my).powi(2)).sum();
    let rss: f64 = pts
        .iter()
        .map(|(x, y)| (y - (slope * x + interception)).powi(2))
        .sum();
    let dof = (n - 1.0).max(1.0);
    let rsquare = if ss > 0.0 { 1.0 - rss / ss } else { 1.0 };
    let line: Vec<Json> = (1..=xs.len())
        .map(|x| Json::from(slope * x as f64 + interception))
        .collect();
    KV::Dyn(serde_json::json!({
        "rsquare": rsquare,
        "slope": slope,
        "variance": ss / dof,
        "rvariance": rss / dof,
        "interception": interception,
        "line_fit": line,
    }))
}

/// min, its index, max, its index, average, sample standard deviation
/// and variance, over the array's numbers.
fn stats(xs: &[Option<f64>]) -> KV {
    let vals: Vec<(usize, f64)> = xs
        .iter()
        .enumerate()
        .filter_map(|(i, x)| x.filter(|v| v.is_finite()).map(|v| (i, v)))
        .collect();
    let n = vals.len() as f64;
    let (min, max) = vals.iter().fold((None, None), |(lo, hi), &(i, v)| {
        (
            match lo {
                Some((_, l)) if l <= v => lo,
                _ => Some((i, v)),
            },
            match hi {
                Some((_, h)) if h >= v => hi,
                _ => Some((i, v)),
            },
        )
    });
    let avg = vals.iter().map(|(_, v)| v).sum::<f64>() / n;
    let variance = if vals.len() > 1 {
        vals.iter().map(|(_, v)| (v - avg).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    let real = |x: f64| KV::Real(x).to_dyn();
    let mut bag = serde_json::Map::new();
    bag.insert("min".into(), min.map_or(Json::Null, |(_, v)| real(v)));
    bag.insert(
        "min_idx".into(),
        min.map_or(Json::Null, |(i, _)| Json::from(i)),
    );
    bag.insert("max".into(), max.map_or(Json::Null, |(_, v)| real(v)));
    bag.insert(
        "max_idx".into(),
        max.map_or(Json::Null, |(i, _)| Json::from(i)),
    );
    bag.insert("avg".into(), if n > 0.0 { real(avg) } else { Json::Null });
    bag.insert("stdev".into(), real(variance.sqrt()));
    bag.insert("variance".into(), real(variance));
    KV::Dyn(Json::Object(bag))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arr(xs: &[Option<f64>]) -> Vec<Option<f64>> {
        xs.to_vec()
    }

    #[test]
    fn linear_fill_interpolates_between_known_points_and_holds_the_edges() {
        let mut xs = arr(&[
            None,
            Some(111.0),
            None,
            Some(36.0),
            Some(41.0),
            None,
            None,
            Some(16.0),
            None,
        ]);
        fill_linear(&mut xs, true, None);
        let got: Vec<f64> = xs.iter().map(|x| x.unwrap()).collect();
        let want = [
            111.0, 111.0, 73.5, 36.0, 41.0, 32.666_666, 24.333_333, 16.0, 16.0,
        ];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-5, "{got:?}");
        }
        let mut open = arr(&[None, Some(1.0), None, Some(3.0), None]);
        fill_linear(&mut open, false, None);
        assert_eq!(open, [None, Some(1.0), Some(2.0), Some(3.0), None]);
        let mut empty = arr(&[None, None]);
        fill_linear(&mut empty, true, Some(3.5));
        assert_eq!(empty, [Some(3.5), Some(3.5)]);
    }

    #[test]
    fn stats_follow_the_documented_example() {
        let xs: Vec<Option<f64>> = [23, 46, 23, 87, 4, 8, 3, 75, 2, 56, 13, 75, 32, 16, 29]
            .iter()
            .map(|x| Some(f64::from(*x)))
            .collect();
        let KV::Dyn(bag) = stats(&xs) else { panic!() };
        assert_eq!(bag["min"], 2.0);
        assert_eq!(bag["min_idx"], 8);
        assert_eq!(bag["max"], 87.0);
        assert_eq!(bag["max_idx"], 3);
        assert!((bag["avg"].as_f64().unwrap() - 32.8).abs() < 1e-9);
        assert!((bag["variance"].as_f64().unwrap() - 812.457_142_857_143).abs() < 1e-6);
    }
}
