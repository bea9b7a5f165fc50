//! `tdigest()` sketches: the distribution of a column kept as weighted
//! centroids, so percentiles can be taken later and from merged sketches
//! (`tdigest_merge`, `percentile_tdigest`, `percentiles_array_tdigest`,
//! `rank_tdigest`). Until a sketch holds more distinct values than
//! [`MAX_CENTROIDS`], it holds them all and its percentiles are exactly
//! those `percentile()` gives; past that, neighbouring centroids merge
//! into their weighted mean.
//!
//! A sketch is the dynamic value `["tdigest", type, [x, weight], ...]`,
//! with `x` a number, or ticks for datetimes and timespans.

use serde_json::{Value as Json, json};

use super::value::KV;

pub(super) const FUNCTIONS: &[(&str, usize, usize)] = &[
    ("tdigest_merge", 1, 64),
    ("merge_tdigest", 1, 64),
    ("percentile_tdigest", 2, 3),
    ("percentiles_array_tdigest", 2, 64),
    ("rank_tdigest", 2, 2),
];

const TAG: &str = "tdigest";
/// Centroids a sketch keeps at most; a few thousand keep percentiles
/// within a fraction of a percent of the exact ones.
const MAX_CENTROIDS: usize = 2048;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Long,
    Real,
    Date,
    Span,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Long => "long",
            Kind::Real => "real",
            Kind::Date => "datetime",
            Kind::Span => "timespan",
        }
    }

    fn from_name(s: &str) -> Option<Kind> {
        Some(match s {
            "long" => Kind::Long,
            "real" => Kind::Real,
            "datetime" => Kind::Date,
            "timespan" => Kind::Span,
            _ => return None,
        })
    }

    fn value(self, x: f64) -> KV {
        match self {
            Kind::Long => KV::Long(x.round() as i64),
            Kind::Real => KV::Real(x),
            Kind::Date => KV::Date(x.round() as i64),
            Kind::Span => KV::Span(x.round() as i64),
        }
    }
}

pub(super) struct Digest {
    kind: Option<Kind>,
    /// (value, weight), sorted by value once [`Digest::compress`] ran.
    centroids: Vec<(f64, f64)>,
}

impl Digest {
    pub(super) fn new() -> Digest {
        Digest {
            kind: None,
            centroids: Vec::new(),
        }
    }

    /// Adds a value with a weight; values of another type than the first
    /// are left out, as one sketch describes one column.
    pub(super) fn add(&mut self, v: &KV, weight: f64) {
        let (kind, x) = match v {
            KV::Long(n) => (Kind::Long, *n as f64),
            KV::Real(x) if x.is_finite() => (Kind::Real, *x),
            KV::Date(t) => (Kind::Date, *t as f64),
            KV::Span(t) => (Kind::Span, *t as f64),
            _ => return,
        };
        if weight <= 0.0 || !weight.is_finite() || self.kind.is_some_and(|k| k != kind) {
            return;
        }
        self.kind = Some(kind);
        self.centroids.push((x, weight));
        if self.centroids.len() > 2 * MAX_CENTROIDS {
            self.compress();
        }
    }

    fn merge(&mut self, other: Digest) {
        let Some(kind) = other.kind else { return };
        if self.kind.is_some_and(|k| k != kind) {
            return;
        }
        self.kind = Some(kind);
        self.centroids.extend(other.centroids);
        self.compress();
    }

    /// Sorts, folds equal values together, and merges neighbours until
    /// the centroids fit.
    fn compress(&mut self) {
        self.centroids.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut folded: Vec<(f64, f64)> = Vec::with_capacity(self.centroids.len());
        for &(x, w) in &self.centroids {
            match folded.last_mut() {
                Some(last) if last.0 == x => last.1 += w,
                _ => folded.push((x, w)),
            }
        }
        if folded.len() > MAX_CENTROIDS {
            // Neighbours merge while the merged weight stays within twice
            // an even share: no centroid grows large enough to blur a
            // percentile by more than that share, and any two neighbours
            // outweigh it, so at most MAX_CENTROIDS + 1 remain.
            let total: f64 = folded.iter().map(|c| c.1).sum();
            let limit = 2.0 * total / MAX_CENTROIDS as f64;
            let mut merged: Vec<(f64, f64)> = Vec::with_capacity(MAX_CENTROIDS + 1);
            for (x, w) in folded {
                match merged.last_mut() {
                    Some((m, cw)) if *cw + w <= limit => {
                        *m = (*m * *cw + x * w) / (*cw + w);
                        *cw += w;
                    }
                    _ => merged.push((x, w)),
                }
            }
            folded = merged;
        }
        self.centroids = folded;
    }

    pub(super) fn into_kv(mut self) -> KV {
        let Some(kind) = self.kind else {
            return KV::Null;
        };
        self.compress();
        let mut out = vec![json!(TAG), json!(kind.name())];
        out.extend(self.centroids.iter().map(|(x, w)| json!([x, w])));
        KV::Dyn(Json::Array(out))
    }

    fn from_kv(v: &KV) -> Option<Digest> {
        let items = v.clone().into_array()?;
        if items.first()?.as_str()? != TAG {
            return None;
        }
        let kind = Kind::from_name(items.get(1)?.as_str()?)?;
        let centroids = items[2..]
            .iter()
            .map(|c| Some((c.get(0)?.as_f64()?, c.get(1)?.as_f64()?)))
            .collect::<Option<Vec<_>>>()?;
        Some(Digest {
            kind: Some(kind),
            centroids,
        })
    }

    /// Nearest rank over the weights, as `percentile()` picks.
    fn percentile(&self, p: f64) -> KV {
        let (Some(kind), false) = (self.kind, self.centroids.is_empty()) else {
            return KV::Null;
        };
        let total: f64 = self.centroids.iter().map(|c| c.1).sum();
        let rank = ((p.clamp(0.0, 100.0) / 100.0) * total).ceil().max(1.0);
        let mut seen = 0.0;
        for &(x, w) in &self.centroids {
            seen += w;
            if seen >= rank - 1e-9 {
                return kind.value(x);
            }
        }
        self.centroids.last().map_or(KV::Null, |c| kind.value(c.0))
    }

    /// The weight of values at or below `x`.
    fn rank(&self, x: f64) -> f64 {
        self.centroids
            .iter()
            .take_while(|c| c.0 <= x)
            .map(|c| c.1)
            .sum()
    }
}

/// Merges sketches given as values (the scalar form and the aggregation).
pub(super) fn merge_all<'a>(sketches: impl IntoIterator<Item = &'a KV>) -> KV {
    let mut out = Digest::new();
    for s in sketches {
        if let Some(d) = Digest::from_kv(s) {
            out.merge(d);
        }
    }
    out.into_kv()
}

fn number(v: &KV) -> Option<f64> {
    match v {
        KV::Date(t) | KV::Span(t) => Some(*t as f64),
        other => other.as_f64(),
    }
}

pub(super) fn call(name: &str, args: &[KV]) -> Option<KV> {
    Some(match name {
        "tdigest_merge" | "merge_tdigest" => merge_all(args),
        "percentile_tdigest" => match (Digest::from_kv(args.first()?), args.get(1)?.as_f64()) {
            (Some(d), Some(p)) => d.percentile(p),
            _ => KV::Null,
        },
        "percentiles_array_tdigest" => {
            let Some(d) = Digest::from_kv(args.first()?) else {
                return Some(KV::Null);
            };
            // Percentiles listed, or given as one dynamic array.
            let ps: Vec<f64> = match args.get(1) {
                Some(KV::Dyn(Json::Array(a))) if args.len() == 2 => {
                    a.iter().filter_map(Json::as_f64).collect()
                }
                _ => args[1..].iter().filter_map(KV::as_f64).collect(),
            };
            KV::Dyn(Json::Array(
                ps.iter().map(|p| d.percentile(*p).to_dyn()).collect(),
            ))
        }
        "rank_tdigest" => match (Digest::from_kv(args.first()?), args.get(1).and_then(number)) {
            (Some(d), Some(x)) => KV::Long(d.rank(x).round() as i64),
            _ => KV::Null,
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(xs: impl IntoIterator<Item = i64>) -> KV {
        let mut d = Digest::new();
        xs.into_iter().for_each(|x| d.add(&KV::Long(x), 1.0));
        d.into_kv()
    }

    #[test]
    fn small_sketches_give_exact_percentiles_and_ranks() {
        let s = digest(1..=100);
        assert_eq!(
            call("percentile_tdigest", &[s.clone(), KV::Long(95)]),
            Some(KV::Long(95))
        );
        assert_eq!(
            call("rank_tdigest", &[s.clone(), KV::Long(10)]),
            Some(KV::Long(10))
        );
        let merged = call("tdigest_merge", &[s, digest(101..=200)]).unwrap();
        assert_eq!(
            call("percentile_tdigest", &[merged, KV::Long(50)]),
            Some(KV::Long(100))
        );
    }

    #[test]
    fn large_sketches_stay_bounded_and_close() {
        let s = digest(0..1_000_000);
        let KV::Dyn(Json::Array(items)) = &s else {
            panic!()
        };
        assert!(items.len() <= MAX_CENTROIDS + 3);
        let Some(KV::Long(p)) = call("percentile_tdigest", &[s, KV::Long(90)]) else {
            panic!()
        };
        assert!((p - 900_000).abs() < 2_000, "{p}");
    }
}
