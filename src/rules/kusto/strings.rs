//! Kusto's text functions beyond the basics: URL and base64 encoding,
//! edit distance and similarity, version numbers.

use super::value::KV;

pub(super) const FUNCTIONS: &[(&str, usize, usize)] = &[
    ("url_encode", 1, 1),
    ("url_encode_component", 1, 1),
    ("url_decode", 1, 1),
    ("base64_encode_tostring", 1, 1),
    ("levenshtein", 2, 2),
    ("string_similarity", 2, 2),
    ("parse_version", 1, 1),
];

fn percent_encode(s: &str, keep: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) || keep.as_bytes().contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Edits (insert, delete, substitute) between two texts, by character.
pub(super) fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(cur).min(row[j])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

/// Four dot-separated parts of up to eight digits each, as one number
/// that orders like the version.
fn version(s: &str) -> Option<f64> {
    let parts: Vec<&str> = s.trim().split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut n: u128 = 0;
    for i in 0..4 {
        let p = parts.get(i).copied().unwrap_or("0");
        if p.is_empty() || p.len() > 8 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        n = n * 100_000_000 + p.parse::<u128>().ok()?;
    }
    Some(n as f64)
}

pub(super) fn call(name: &str, args: &[KV]) -> Option<KV> {
    let text = |i: usize| args.get(i).map(KV::to_text).unwrap_or_default();
    Some(match name {
        "url_encode_component" => KV::Str(percent_encode(&text(0), "")),
        "url_encode" => KV::Str(percent_encode(&text(0), ":/?#[]@!$&'()*+,;=")),
        "url_decode" => KV::Str(percent_decode(&text(0))),
        "base64_encode_tostring" => KV::Str(base64(text(0).as_bytes())),
        "levenshtein" => KV::Long(levenshtein(&text(0), &text(1)) as i64),
        "string_similarity" => {
            let (a, b) = (text(0), text(1));
            let longest = a.chars().count().max(b.chars().count());
            if longest == 0 {
                KV::Real(1.0)
            } else {
                KV::Real(1.0 - levenshtein(&a, &b) as f64 / longest as f64)
            }
        }
        "parse_version" => version(&text(0)).map_or(KV::Null, KV::Real),
        _ => return None,
    })
}
