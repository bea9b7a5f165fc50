//! Numbers as bit patterns (`binary_and`, `bitset_count_ones`), small
//! numeric helpers (`exp2`, `sign`), and chance: `rand()` for sampling
//! and `new_guid()` for ids. Chance is not repeatable between runs, as in
//! Kusto; it is never used for anything a result depends on otherwise.

use std::cell::Cell;
use std::time::{SystemTime, UNIX_EPOCH};

use super::value::KV;

pub(super) const FUNCTIONS: &[(&str, usize, usize)] = &[
    ("binary_and", 2, 2),
    ("binary_or", 2, 2),
    ("binary_xor", 2, 2),
    ("binary_not", 1, 1),
    ("binary_shift_left", 2, 2),
    ("binary_shift_right", 2, 2),
    ("bitset_count_ones", 1, 1),
    ("exp2", 1, 1),
    ("sign", 1, 1),
    ("rand", 0, 1),
    ("new_guid", 0, 0),
];

thread_local! {
    static STATE: Cell<u64> = Cell::new(seed());
}

/// A seed that differs by process and thread: std's hasher keys are
/// random per process, and each thread's first key differs.
fn seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::hash::RandomState::new().build_hasher();
    h.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish() | 1
}

/// The next number of an xorshift64* sequence.
fn next() -> u64 {
    STATE.with(|s| {
        let mut x = s.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        s.set(x);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    })
}

/// A number in [0, 1).
pub(super) fn unit() -> f64 {
    (next() >> 11) as f64 / (1u64 << 53) as f64
}

fn guid() -> String {
    let (a, b) = (next(), next());
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&a.to_be_bytes());
    bytes[8..].copy_from_slice(&b.to_be_bytes());
    // Version 4 (random), RFC 4122 variant.
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Bits of a long; a bool is one bit.
fn long(v: &KV) -> Option<i64> {
    match v {
        KV::Bool(b) => Some(i64::from(*b)),
        v => v.as_i64(),
    }
}

pub(super) fn call(name: &str, args: &[KV]) -> Option<KV> {
    if !FUNCTIONS.iter().any(|(n, _, _)| *n == name) {
        return None;
    }
    let a = || args.first().and_then(long);
    let b = || args.get(1).and_then(long);
    let pair = |f: fn(i64, i64) -> i64| match (a(), b()) {
        (Some(x), Some(y)) => KV::Long(f(x, y)),
        _ => KV::Null,
    };
    // A shift by 64 or more (or a negative one) leaves no bits.
    let shift = |f: fn(i64, u32) -> i64| match (a(), b()) {
        (Some(x), Some(n)) if (0..64).contains(&n) => KV::Long(f(x, n as u32)),
        (Some(_), Some(_)) => KV::Long(0),
        _ => KV::Null,
    };
    Some(match name {
        "binary_and" => pair(|x, y| x & y),
        "binary_or" => pair(|x, y| x | y),
        "binary_xor" => pair(|x, y| x ^ y),
        "binary_not" => a().map_or(KV::Null, |x| KV::Long(!x)),
        "binary_shift_left" => shift(|x, n| x << n),
        "binary_shift_right" => shift(|x, n| x >> n),
        "bitset_count_ones" => a().map_or(KV::Null, |x| KV::Long(i64::from(x.count_ones()))),
        "exp2" => args
            .first()
            .and_then(KV::as_f64)
            .map_or(KV::Null, |x| KV::Real(x.exp2())),
        "sign" => match args.first() {
            Some(KV::Long(i)) => KV::Long(i.signum()),
            Some(v) => v.as_f64().map_or(KV::Null, |x| {
                KV::Real(if x == 0.0 { 0.0 } else { x.signum() })
            }),
            None => KV::Null,
        },
        "rand" => match args.first() {
            None => KV::Real(unit()),
            Some(v) => match long(v) {
                Some(n) if n > 0 => KV::Long((unit() * n as f64) as i64),
                _ => KV::Null,
            },
        },
        "new_guid" => KV::Str(guid()),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(name: &str, args: &[KV]) -> KV {
        call(name, args).expect("known")
    }

    #[test]
    fn bit_operations_follow_twos_complement_longs() {
        assert_eq!(c("binary_and", &[KV::Long(12), KV::Long(10)]), KV::Long(8));
        assert_eq!(c("binary_or", &[KV::Long(12), KV::Long(10)]), KV::Long(14));
        assert_eq!(c("binary_xor", &[KV::Long(12), KV::Long(10)]), KV::Long(6));
        assert_eq!(c("binary_not", &[KV::Long(100)]), KV::Long(-101));
        assert_eq!(
            c("binary_shift_left", &[KV::Long(1), KV::Long(2)]),
            KV::Long(4)
        );
        assert_eq!(
            c("binary_shift_right", &[KV::Long(-8), KV::Long(1)]),
            KV::Long(-4)
        );
        assert_eq!(
            c("binary_shift_left", &[KV::Long(1), KV::Long(70)]),
            KV::Long(0)
        );
        assert_eq!(c("bitset_count_ones", &[KV::Long(42)]), KV::Long(3));
        assert_eq!(c("binary_and", &[KV::Null, KV::Long(1)]), KV::Null);
    }

    #[test]
    fn exp2_and_sign() {
        assert_eq!(c("exp2", &[KV::Long(3)]), KV::Real(8.0));
        assert_eq!(c("sign", &[KV::Long(-42)]), KV::Long(-1));
        assert_eq!(c("sign", &[KV::Real(0.0)]), KV::Real(0.0));
        assert_eq!(c("sign", &[KV::Real(2.5)]), KV::Real(1.0));
    }

    #[test]
    fn chance_stays_in_range_and_guids_are_version_4() {
        for _ in 0..1000 {
            match c("rand", &[]) {
                KV::Real(x) => assert!((0.0..1.0).contains(&x), "{x}"),
                other => panic!("{other:?}"),
            }
            match c("rand", &[KV::Long(10)]) {
                KV::Long(n) => assert!((0..10).contains(&n), "{n}"),
                other => panic!("{other:?}"),
            }
        }
        let KV::Str(g) = c("new_guid", &[]) else {
            panic!("text")
        };
        assert_eq!(g.len(), 36);
        assert_eq!(&g[14..15], "4");
        assert!(matches!(&g[19..20], "8" | "9" | "a" | "b"), "{g}");
        assert_ne!(c("new_guid", &[]), KV::Str(g));
    }
}
