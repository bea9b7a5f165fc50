//! Kusto's `hash()`: xxHash64 (seed 0) of a value's UTF-8 text, as a
//! signed long. Text hashes as Kusto documents it (`hash("World")` is
//! 1846988464401551951); other values are hashed through their text form,
//! which keeps sampling by `hash(x) % n` stable from run to run.

use super::value::KV;

pub(super) const FUNCTIONS: &[(&str, usize, usize)] = &[
    ("hash", 1, 2),
    ("hash_sha256", 1, 1),
    ("hash_sha1", 1, 1),
    ("hash_md5", 1, 1),
];

const P1: u64 = 0x9E37_79B1_85EB_CA87;
const P2: u64 = 0xC2B2_AE3D_27D4_EB4F;
const P3: u64 = 0x1656_67B1_9E37_79F9;
const P4: u64 = 0x85EB_CA77_C2B2_AE63;
const P5: u64 = 0x27D4_EB2F_1656_67C5;

fn word(b: &[u8]) -> u64 {
    u64::from_le_bytes(b[..8].try_into().expect("eight bytes"))
}

fn round(acc: u64, input: u64) -> u64 {
    acc.wrapping_add(input.wrapping_mul(P2))
        .rotate_left(31)
        .wrapping_mul(P1)
}

fn merge(acc: u64, v: u64) -> u64 {
    (acc ^ round(0, v)).wrapping_mul(P1).wrapping_add(P4)
}

pub fn xxh64(data: &[u8]) -> u64 {
    let mut rest = data;
    let mut h = if data.len() >= 32 {
        let mut v = [P1.wrapping_add(P2), P2, 0, 0u64.wrapping_sub(P1)];
        while rest.len() >= 32 {
            for (i, lane) in v.iter_mut().enumerate() {
                *lane = round(*lane, word(&rest[i * 8..]));
            }
            rest = &rest[32..];
        }
        let h = v[0]
            .rotate_left(1)
            .wrapping_add(v[1].rotate_left(7))
            .wrapping_add(v[2].rotate_left(12))
            .wrapping_add(v[3].rotate_left(18));
        v.iter().fold(h, |h, lane| merge(h, *lane))
    } else {
        P5
    };
    h = h.wrapping_add(data.len() as u64);
    while rest.len() >= 8 {
        h = (h ^ round(0, word(rest)))
            .rotate_left(27)
            .wrapping_mul(P1)
            .wrapping_add(P4);
        rest = &rest[8..];
    }
    if rest.len() >= 4 {
        let k = u64::from(u32::from_le_bytes(
            rest[..4].try_into().expect("four bytes"),
        ));
        h = (h ^ k.wrapping_mul(P1))
            .rotate_left(23)
            .wrapping_mul(P2)
            .wrapping_add(P3);
        rest = &rest[4..];
    }
    for &b in rest {
        h = (h ^ u64::from(b).wrapping_mul(P5))
            .rotate_left(11)
            .wrapping_mul(P1);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(P2);
    h ^= h >> 29;
    h = h.wrapping_mul(P3);
    h ^ (h >> 32)
}

pub(super) fn call(name: &str, args: &[KV]) -> Option<KV> {
    if !FUNCTIONS.iter().any(|(n, _, _)| *n == name) {
        return None;
    }
    let value = args.first()?;
    if value.is_null() {
        return Some(KV::Null);
    }
    let text = value.to_text();
    let hex =
        |digest: &[u8]| -> KV { KV::Str(digest.iter().map(|b| format!("{b:02x}")).collect()) };
    {
        use sha2::Digest;
        match name {
            "hash_sha256" => return Some(hex(&sha2::Sha256::digest(text.as_bytes()))),
            "hash_sha1" => return Some(hex(&sha1::Sha1::digest(text.as_bytes()))),
            "hash_md5" => return Some(hex(&md5::Md5::digest(text.as_bytes()))),
            _ => {}
        }
    }
    let h = xxh64(text.as_bytes()) as i64;
    Some(match args.get(1) {
        None => KV::Long(h),
        Some(KV::Long(m)) if *m > 0 => KV::Long(h % m),
        Some(_) => KV::Null,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_and_sha1_are_hex_digests_of_the_text() {
        assert_eq!(
            call("hash_md5", &[KV::Str("World".into())]),
            Some(KV::Str("f5a7924e621e84c9280a9a27e1bcb7f6".into()))
        );
        assert_eq!(
            call("hash_sha1", &[KV::Str("World".into())]),
            Some(KV::Str("70c07ec18ef89c5309bbb0937f3a6342411e1fdd".into()))
        );
        assert_eq!(call("hash_md5", &[KV::Null]), Some(KV::Null));
    }

    #[test]
    fn sha256_is_the_hex_digest_of_the_text() {
        assert_eq!(
            call("hash_sha256", &[KV::Str("World".into())]),
            Some(KV::Str(
                "78ae647dc5544d227130a0682a51e30bc7777fbb6d8a8f17007463a3ecd1d524".into()
            ))
        );
    }

    #[test]
    fn text_hashes_as_the_documentation_shows() {
        let hash = |s: &str| call("hash", &[KV::Str(s.into())]).unwrap();
        assert_eq!(hash("Hello"), KV::Long(753_694_413_698_530_628));
        assert_eq!(hash("World"), KV::Long(1_846_988_464_401_551_951));
        assert_eq!(
            call("hash", &[KV::Str("World".into()), KV::Long(100)]).unwrap(),
            KV::Long(51)
        );
    }

    #[test]
    fn long_inputs_take_the_four_lane_path() {
        // The reference value for the empty input, and a long input whose
        // every byte reaches the result.
        assert_eq!(xxh64(b""), 0xEF46_DB37_51D8_E999);
        let long = [7u8; 100];
        let mut changed = long;
        changed[97] = 8;
        assert_ne!(xxh64(&long), xxh64(&changed));
        assert_ne!(xxh64(&long[..99]), xxh64(&long));
        assert_eq!(xxh64(&long) as i64, -5_437_944_693_468_200_123);
    }
}
