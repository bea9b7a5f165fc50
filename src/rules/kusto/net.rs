//! Kusto's IP address functions: parsing with an optional `/prefix`,
//! comparing and matching under a prefix, ranges, and formatting. IPv4
//! addresses compare with IPv6 ones as IPv4-mapped (`::ffff:a.b.c.d`).

use std::net::{Ipv4Addr, Ipv6Addr};

use serde_json::Value as Json;

use super::value::KV;

pub(super) const FUNCTIONS: &[(&str, usize, usize)] = &[
    ("parse_ipv4", 1, 1),
    ("parse_ipv4_mask", 2, 2),
    ("parse_ipv6", 1, 1),
    ("parse_ipv6_mask", 2, 2),
    ("ipv4_compare", 2, 3),
    ("ipv4_is_match", 2, 3),
    ("ipv6_compare", 2, 3),
    ("ipv6_is_match", 2, 3),
    ("ipv4_netmask_suffix", 1, 1),
    ("ipv4_range_to_cidr_list", 2, 2),
    ("format_ipv4", 1, 2),
    ("format_ipv4_mask", 1, 2),
    ("ipv4_is_in_any_range", 2, 64),
    ("ipv6_is_in_range", 2, 2),
    ("ipv6_is_in_any_range", 2, 64),
];

/// An IPv4 address (text or number) with its prefix length.
fn v4(v: &KV) -> Option<(u32, u32)> {
    match v {
        KV::Long(n) => u32::try_from(*n).ok().map(|a| (a, 32)),
        _ => {
            let s = v.to_text();
            let (addr, prefix) = split_prefix(&s, 32)?;
            Some((u32::from(addr.parse::<Ipv4Addr>().ok()?), prefix))
        }
    }
}

fn split_prefix(s: &str, max: u32) -> Option<(&str, u32)> {
    match s.trim().split_once('/') {
        Some((a, p)) => {
            let p: u32 = p.trim().parse().ok()?;
            (p <= max).then_some((a.trim(), p))
        }
        None => Some((s.trim(), max)),
    }
}

/// An address of either family as 128 bits, with its prefix length
/// counted over the 128.
fn v6(v: &KV) -> Option<(u128, u32)> {
    let s = v.to_text();
    if let Some((a, p)) = v4(v) {
        return Some(((0xffff_u128 << 32) | u128::from(a), 96 + p));
    }
    let (addr, prefix) = split_prefix(&s, 128)?;
    Some((u128::from(addr.parse::<Ipv6Addr>().ok()?), prefix))
}

fn mask32(p: u32) -> u32 {
    if p == 0 {
        0
    } else {
        u32::MAX << (32 - p.min(32))
    }
}

fn mask128(p: u32) -> u128 {
    if p == 0 {
        0
    } else {
        u128::MAX << (128 - p.min(128))
    }
}

fn prefix_arg(v: Option<&KV>, max: u32) -> Option<Option<u32>> {
    match v {
        None | Some(KV::Null) => Some(None),
        Some(x) => {
            let p = x.as_f64()?;
            (0.0..=f64::from(max))
                .contains(&p)
                .then_some(Some(p as u32))
        }
    }
}

fn ordering(a: u128, b: u128) -> KV {
    KV::Long(match a.cmp(&b) {
        std::cmp::Ordering::Less => -1,
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Greater => 1,
    })
}

fn compare4(args: &[KV]) -> Option<KV> {
    let (a, pa) = v4(&args[0])?;
    let (b, pb) = v4(&args[1])?;
    let p = prefix_arg(args.get(2), 32)?.map_or(pa.min(pb), |p| p.min(pa).min(pb));
    let m = mask32(p);
    Some(ordering(u128::from(a & m), u128::from(b & m)))
}

fn compare6(args: &[KV]) -> Option<KV> {
    let (a, pa) = v6(&args[0])?;
    let (b, pb) = v6(&args[1])?;
    let p = prefix_arg(args.get(2), 128)?.map_or(pa.min(pb), |p| p.min(pa).min(pb));
    let m = mask128(p);
    Some(ordering(a & m, b & m))
}

fn ranges(args: &[KV]) -> Vec<KV> {
    args.iter()
        .flat_map(|a| match a {
            KV::Dyn(Json::Array(items)) => items.iter().map(KV::from_json).collect(),
            other => vec![other.clone()],
        })
        .collect()
}

fn in_range6(ip: &KV, range: &KV) -> Option<bool> {
    let (a, pa) = v6(ip)?;
    let (r, pr) = v6(range)?;
    let m = mask128(pr.min(pa));
    Some(a & m == r & m)
}

/// The smallest list of CIDR blocks covering `start..=end`.
fn cidr_list(start: u32, end: u32) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = u64::from(start);
    let end = u64::from(end);
    while cur <= end {
        let mut size = if cur == 0 {
            32
        } else {
            cur.trailing_zeros().min(32)
        };
        while size > 0 && cur + (1u64 << size) - 1 > end {
            size -= 1;
        }
        out.push(format!("{}/{}", Ipv4Addr::from(cur as u32), 32 - size));
        cur += 1u64 << size;
    }
    out
}

fn hex_groups(a: u128) -> String {
    (0..8)
        .map(|i| format!("{:04x}", (a >> (112 - 16 * i)) & 0xffff))
        .collect::<Vec<_>>()
        .join(":")
}

pub(super) fn call(name: &str, args: &[KV]) -> Option<KV> {
    let bool_of = |v: Option<KV>| v.map(|x| KV::Bool(matches!(x, KV::Long(0))));
    let out = match name {
        "parse_ipv4" => v4(&args[0]).map(|(a, p)| KV::Long(i64::from(a & mask32(p)))),
        "parse_ipv4_mask" => {
            let (a, p) = v4(&args[0])?;
            let p = prefix_arg(args.get(1), 32)?.map_or(p, |q| q.min(p));
            Some(KV::Long(i64::from(a & mask32(p))))
        }
        "parse_ipv6" => v6(&args[0]).map(|(a, p)| KV::Str(hex_groups(a & mask128(p)))),
        "parse_ipv6_mask" => {
            let (a, p) = v6(&args[0])?;
            let extra = prefix_arg(args.get(1), 128)?;
            let p = extra.map_or(p, |q| q.min(p));
            Some(KV::Str(hex_groups(a & mask128(p))))
        }
        "ipv4_compare" => compare4(args),
        "ipv4_is_match" => bool_of(compare4(args)),
        "ipv6_compare" => compare6(args),
        "ipv6_is_match" => bool_of(compare6(args)),
        "ipv4_netmask_suffix" => v4(&args[0]).map(|(_, p)| KV::Long(i64::from(p))),
        "ipv4_range_to_cidr_list" => {
            let (a, _) = v4(&args[0])?;
            let (b, _) = v4(&args[1])?;
            Some(KV::Dyn(Json::Array(
                cidr_list(a, b).into_iter().map(Json::String).collect(),
            )))
        }
        "format_ipv4" | "format_ipv4_mask" => {
            let (a, p) = v4(&args[0])?;
            let p = prefix_arg(args.get(1), 32)?.map_or(p, |q| q.min(p));
            let shown = Ipv4Addr::from(a & mask32(p));
            Some(KV::Str(if name == "format_ipv4" {
                shown.to_string()
            } else {
                format!("{shown}/{p}")
            }))
        }
        "ipv4_is_in_any_range" => {
            let (a, pa) = v4(&args[0])?;
            Some(KV::Bool(ranges(&args[1..]).iter().any(|r| {
                v4(r).is_some_and(|(b, pb)| {
                    let m = mask32(pb.min(pa));
                    a & m == b & m
                })
            })))
        }
        "ipv6_is_in_range" => in_range6(&args[0], &args[1]).map(KV::Bool),
        "ipv6_is_in_any_range" => {
            v6(&args[0])?;
            Some(KV::Bool(
                ranges(&args[1..])
                    .iter()
                    .any(|r| in_range6(&args[0], r) == Some(true)),
            ))
        }
        _ => return None,
    };
    // A known function with input it cannot read gives null (or the empty
    // string, for the formatting ones).
    Some(out.unwrap_or(match name {
        "format_ipv4" | "format_ipv4_mask" => KV::Str(String::new()),
        _ => KV::Null,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_cover_is_minimal() {
        assert_eq!(
            cidr_list(
                u32::from(Ipv4Addr::new(1, 1, 128, 0)),
                u32::from(Ipv4Addr::new(1, 1, 140, 255))
            ),
            ["1.1.128.0/21", "1.1.136.0/22", "1.1.140.0/24"]
        );
        assert_eq!(cidr_list(0, u32::MAX), ["0.0.0.0/0"]);
    }

    #[test]
    fn v4_and_v6_compare_as_mapped() {
        let s = |x: &str| KV::Str(x.into());
        assert!(matches!(
            compare6(&[s("192.168.1.1/24"), s("::ffff:c0a8:01ff")]),
            Some(KV::Long(0))
        ));
        assert!(matches!(
            compare4(&[s("10.0.0.1"), s("10.0.0.2")]),
            Some(KV::Long(-1))
        ));
        assert!(compare4(&[s("10.0.0.1/33"), s("10.0.0.2")]).is_none());
    }
}
