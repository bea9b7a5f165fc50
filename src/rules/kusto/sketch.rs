//! `hll()` sketches: HyperLogLog registers a distinct count can be merged
//! from, so daily counts roll up into weekly ones (`hll_merge`,
//! `dcount_hll`) and overlaps between sets are estimated
//! (`evaluate dcount_intersect`). A sketch is a dynamic value holding its
//! precision and its non-zero registers, so a small set stays small.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::hash::xxh64;
use super::value::KV;

pub(super) const FUNCTIONS: &[(&str, usize, usize)] = &[("hll_merge", 1, 64), ("dcount_hll", 1, 1)];

/// The most sketches `dcount_intersect` takes, as Kusto allows.
pub const MAX_INTERSECT: usize = 16;
const TAG: &str = "hll";

/// Register-index bits for Kusto's accuracy levels 0 to 4 (1 by default).
fn precision(accuracy: i64) -> u8 {
    match accuracy {
        0 => 12,
        2 => 16,
        3 => 17,
        4 => 18,
        _ => 14,
    }
}

struct Sketch {
    p: u8,
    registers: BTreeMap<u32, u8>,
}

impl Sketch {
    fn new(p: u8) -> Sketch {
        Sketch {
            p,
            registers: BTreeMap::new(),
        }
    }

    fn add(&mut self, v: &KV) {
        let h = xxh64(v.key().as_bytes());
        let index = (h >> (64 - self.p)) as u32;
        let rest = h << self.p;
        let rank = (rest.leading_zeros() as u8).min(64 - self.p) + 1;
        let r = self.registers.entry(index).or_insert(0);
        *r = (*r).max(rank);
    }

    fn merge(&mut self, other: &Sketch) {
        for (&i, &r) in &other.registers {
            let mine = self.registers.entry(i).or_insert(0);
            *mine = (*mine).max(r);
        }
    }

    fn estimate(&self) -> f64 {
        let m = f64::from(1u32 << self.p);
        let zeros = m - self.registers.len() as f64;
        let sum = zeros
            + self
                .registers
                .values()
                .map(|r| 2f64.powi(-i32::from(*r)))
                .sum::<f64>();
        let alpha = 0.7213 / (1.0 + 1.079 / m);
        let raw = alpha * m * m / sum;
        if raw <= 2.5 * m && zeros > 0.0 {
            m * (m / zeros).ln()
        } else {
            raw
        }
    }

    fn to_json(&self) -> Json {
        let mut out = Vec::with_capacity(2 + self.registers.len() * 2);
        out.push(Json::from(TAG));
        out.push(Json::from(self.p));
        for (&i, &r) in &self.registers {
            out.push(Json::from(i));
            out.push(Json::from(r));
        }
        Json::Array(out)
    }

    fn from_kv(v: &KV) -> Option<Sketch> {
        let a = v.clone().into_array()?;
        if a.first()?.as_str()? != TAG {
            return None;
        }
        let p = u8::try_from(a.get(1)?.as_u64()?)
            .ok()
            .filter(|p| (4..=18).contains(p))?;
        let mut s = Sketch::new(p);
        for pair in a[2..].chunks(2) {
            let i = u32::try_from(pair.first()?.as_u64()?).ok()?;
            let r = u8::try_from(pair.get(1)?.as_u64()?).ok()?;
            if i >> p != 0 {
                return None;
            }
            s.registers.insert(i, r);
        }
        Some(s)
    }
}

/// The sketch of a group's values (nulls left out) at an accuracy level.
pub fn of<'a>(values: impl Iterator<Item = &'a KV>, accuracy: i64) -> KV {
    let mut s = Sketch::new(precision(accuracy));
    for v in values.filter(|v| !matches!(v, KV::Null | KV::Dyn(Json::Null))) {
        s.add(v);
    }
    KV::Dyn(s.to_json())
}

/// One sketch of several; sketches of different precisions merge at the
/// coarser one's, as registers can only be folded down.
pub fn merge<'a>(sketches: impl Iterator<Item = &'a KV>) -> KV {
    let parsed: Vec<Sketch> = sketches.filter_map(Sketch::from_kv).collect();
    let Some(p) = parsed.iter().map(|s| s.p).min() else {
        return KV::Null;
    };
    let mut out = Sketch::new(p);
    for s in &parsed {
        if s.p == p {
            out.merge(s);
        } else {
            for (&i, &r) in &s.registers {
                let shift = s.p - p;
                let low = i & ((1 << shift) - 1);
                // The bits that fall out of the index join the rank's run.
                let rank = if low == 0 {
                    r + shift
                } else {
                    (low.leading_zeros() - (32 - u32::from(shift))) as u8 + 1
                };
                let e = out.registers.entry(i >> shift).or_insert(0);
                *e = (*e).max(rank);
            }
        }
    }
    KV::Dyn(out.to_json())
}

pub fn count(v: &KV) -> KV {
    Sketch::from_kv(v).map_or(KV::Null, |s| KV::Long(s.estimate().round() as i64))
}

/// `dcount_intersect`: for each k, the estimated size of the first k sets'
/// intersection, by inclusion and exclusion over the sizes of their
/// unions.
pub fn intersections(sketches: &[KV]) -> Vec<KV> {
    let parsed: Vec<Option<Sketch>> = sketches
        .iter()
        .take(MAX_INTERSECT)
        .map(Sketch::from_kv)
        .collect();
    (1..=parsed.len())
        .map(|k| {
            if parsed[..k].iter().any(Option::is_none) {
                return KV::Null;
            }
            let mut total = 0.0;
            for subset in 1u32..(1 << k) {
                let members: Vec<KV> = (0..k)
                    .filter(|i| subset >> i & 1 == 1)
                    .map(|i| sketches[i].clone())
                    .collect();
                let union = match merge(members.iter()) {
                    KV::Dyn(j) => Sketch::from_kv(&KV::Dyn(j)).map_or(0.0, |s| s.estimate()),
                    _ => 0.0,
                };
                let sign = if subset.count_ones() % 2 == 1 {
                    1.0
                } else {
                    -1.0
                };
                total += sign * union;
            }
            KV::Long(total.round().max(0.0) as i64)
        })
        .collect()
}

pub(super) fn call(name: &str, args: &[KV]) -> Option<KV> {
    Some(match name {
        "hll_merge" => merge(args.iter()),
        "dcount_hll" => count(args.first()?),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn longs(r: std::ops::Range<i64>) -> Vec<KV> {
        r.map(KV::Long).collect()
    }

    #[test]
    fn small_sets_count_exactly_and_merge_as_unions() {
        let a = of(longs(1..11).iter(), 1);
        let b = of(longs(11..21).iter(), 1);
        assert_eq!(count(&a), KV::Long(10));
        assert_eq!(count(&merge([a.clone(), b].iter())), KV::Long(20));
        // Merging a set with itself adds nothing.
        assert_eq!(count(&merge([a.clone(), a].iter())), KV::Long(10));
        assert_eq!(count(&KV::Str("not a sketch".into())), KV::Null);
    }

    #[test]
    fn large_sets_stay_within_the_documented_error() {
        let s = of(longs(0..200_000).iter(), 1);
        let KV::Long(n) = count(&s) else { panic!() };
        assert!((n - 200_000).abs() < 200_000 * 3 / 100, "{n}");
        // A coarser sketch merged with a finer one counts the union.
        let coarse = of(longs(0..50_000).iter(), 0);
        let KV::Long(u) = count(&merge([coarse, s].iter())) else {
            panic!()
        };
        assert!((u - 200_000).abs() < 200_000 * 5 / 100, "{u}");
    }

    #[test]
    fn intersections_follow_the_documented_example() {
        // Multiples of 2, of 3 and of 5 in 1..=100, each with 0 added.
        let set = |m: i64| {
            of(
                (0..=100)
                    .map(|x| KV::Long(if x % m == 0 { x } else { 0 }))
                    .collect::<Vec<_>>()
                    .iter(),
                2,
            )
        };
        let got = intersections(&[set(2), set(3), set(5)]);
        assert_eq!(got, [KV::Long(51), KV::Long(17), KV::Long(4)]);
    }
}
