//! Text functions hunting queries use to unpack what attackers hide:
//! base64 (encoded commands), regex replacement and search, character
//! translation, URLs taken apart, JSON values picked by path, and the
//! IPv4 addresses inside free text (`has_ipv4`).

use std::net::Ipv4Addr;

use serde_json::{Map, Value as Json};

use super::eval::plain;
use super::value::KV;

pub(super) const FUNCTIONS: &[(&str, usize, usize)] = &[
    ("base64_decode_tostring", 1, 1),
    ("base64_decodestring", 1, 1),
    ("base64_decode_toarray", 1, 1),
    ("replace_regex", 3, 3),
    ("translate", 3, 3),
    ("strrep", 2, 3),
    ("indexof_regex", 2, 5),
    ("isascii", 1, 1),
    ("isutf8", 1, 1),
    ("string_size", 1, 1),
    ("dynamic_to_json", 1, 1),
    ("parse_url", 1, 1),
    ("extract_json", 2, 3),
    ("extractjson", 2, 3),
    ("has_ipv4", 2, 2),
    ("has_ipv4_prefix", 2, 2),
    ("has_any_ipv4", 2, 64),
    ("has_any_ipv4_prefix", 2, 64),
];

/// Repetitions `strrep` makes at most, so a hostile count cannot exhaust
/// memory.
const MAX_REPEAT: i64 = 1_000_000;

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32)
    };
    let body = s.trim().trim_end_matches('=');
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for c in body.bytes() {
        acc = acc << 6 | value(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // A single leftover character cannot end a valid encoding.
    (bits < 6).then_some(out)
}

/// `\1`-style references in a Kusto rewrite become the regex crate's.
fn rewrite(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek().is_some_and(char::is_ascii_digit) => {
                out.push_str("${");
                while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                    out.push(d);
                    chars.next();
                }
                out.push('}');
            }
            '$' => out.push_str("$$"),
            c => out.push(c),
        }
    }
    out
}

fn translate(from: &str, to: &str, s: &str) -> String {
    let to: Vec<char> = to.chars().collect();
    s.chars()
        .filter_map(|c| match from.chars().position(|f| f == c) {
            // An empty replacement list removes; a short one repeats its
            // last character.
            Some(i) => to.get(i).or(to.last()).copied(),
            None => Some(c),
        })
        .collect()
}

/// `scheme://user:password@host:port/path?k=v#fragment` taken apart, as
/// `parse_url` names the parts.
fn parse_url(s: &str) -> Option<Json> {
    let (scheme, rest) = s.split_once("://")?;
    let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let (user_info, host_port) = authority.rsplit_once('@').unwrap_or(("", authority));
    let (user, password) = user_info.split_once(':').unwrap_or((user_info, ""));
    let (host, port) = if host_port.starts_with('[') {
        match host_port.split_once("]:") {
            Some((h, p)) => (format!("{h}]"), p),
            None => (host_port.to_string(), ""),
        }
    } else {
        match host_port.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), p),
            None => (host_port.to_string(), ""),
        }
    };
    let mut params = Map::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        params.insert(k.to_string(), Json::String(v.to_string()));
    }
    let mut m = Map::new();
    for (k, v) in [
        ("Scheme", scheme),
        ("Host", &host),
        ("Port", port),
        ("Path", path),
        ("Username", user),
        ("Password", password),
    ] {
        m.insert(k.into(), Json::String(v.to_string()));
    }
    m.insert("Query Parameters".into(), Json::Object(params));
    m.insert("Fragment".into(), Json::String(fragment.to_string()));
    Some(Json::Object(m))
}

/// The value at a JSONPath of names and indices (`$.a.b[0]`, `$['a']`).
fn json_path<'j>(root: &'j Json, path: &str) -> Option<&'j Json> {
    let mut rest = path.trim().strip_prefix('$')?;
    let mut at = root;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            at = at.get(&r[..end])?;
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            let key = r[..end].trim();
            at = match key.parse::<usize>() {
                Ok(i) => at.get(i)?,
                Err(_) => at.get(key.trim_matches(['\'', '"']))?,
            };
            rest = &r[end + 1..];
        } else {
            return None;
        }
    }
    Some(at)
}

/// Keys in order at every depth: the canonical form `dynamic_to_json`
/// writes.
fn sorted(j: &Json) -> Json {
    match j {
        Json::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Json::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), sorted(&m[k])))
                    .collect(),
            )
        }
        Json::Array(a) => Json::Array(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// Whether `text` holds a valid IPv4 address starting with `prefix` (a
/// whole address, or its first octets ending in a dot) standing on its
/// own: not part of a longer run of digits, letters and dots.
fn has_ipv4(text: &str, prefix: &str, whole: bool) -> bool {
    if prefix.is_empty() || (!whole && !prefix.ends_with('.')) {
        return false;
    }
    if whole && prefix.parse::<Ipv4Addr>().is_err() {
        return false;
    }
    let bytes = text.as_bytes();
    let part = |b: u8| b.is_ascii_alphanumeric() || b == b'.';
    let mut from = 0;
    while let Some(i) = text[from..].find(prefix) {
        let at = from + i;
        from = at + 1;
        if at > 0 && part(bytes[at - 1]) {
            continue;
        }
        let end = at + bytes[at..].iter().take_while(|b| part(**b)).count();
        let found = &text[at..end];
        let ok = found.parse::<Ipv4Addr>().is_ok() && (!whole || found == prefix);
        if ok {
            return true;
        }
    }
    false
}

pub(super) fn call(name: &str, args: &[KV]) -> Option<KV> {
    let text = |i: usize| {
        args.get(i)
            .cloned()
            .map(plain)
            .map(|v| v.to_text())
            .unwrap_or_default()
    };
    let long = |i: usize| match args.get(i).cloned().map(plain) {
        Some(KV::Long(n)) => Some(n),
        _ => None,
    };
    Some(match name {
        "base64_decode_tostring" | "base64_decodestring" => base64_decode(&text(0))
            .and_then(|b| String::from_utf8(b).ok())
            .map_or(KV::Null, KV::Str),
        "base64_decode_toarray" => base64_decode(&text(0)).map_or(KV::Null, |b| {
            KV::Dyn(Json::Array(b.into_iter().map(Json::from).collect()))
        }),
        "replace_regex" => match regex::Regex::new(&text(1)) {
            Ok(re) => KV::Str(
                re.replace_all(&text(0), rewrite(&text(2)).as_str())
                    .into_owned(),
            ),
            Err(_) => KV::Null,
        },
        "translate" => KV::Str(translate(&text(0), &text(1), &text(2))),
        "strrep" => {
            let n = long(1).filter(|n| (1..=MAX_REPEAT).contains(n));
            let Some(n) = n else { return Some(KV::Null) };
            let v = text(0);
            let delim = if args.len() > 2 {
                text(2)
            } else {
                String::new()
            };
            KV::Str(vec![v; n as usize].join(&delim))
        }
        "indexof_regex" => indexof_regex(args, &text(0), &text(1), long(2), long(3), long(4)),
        "isascii" => KV::Bool(text(0).is_ascii()),
        // Text here is always valid UTF-8 by the time it is a value.
        "isutf8" => KV::Bool(true),
        "string_size" => KV::Long(text(0).len() as i64),
        "dynamic_to_json" => match args.first() {
            Some(KV::Dyn(j)) => KV::Str(sorted(j).to_string()),
            Some(KV::Null) | None => KV::Str("null".into()),
            Some(other) => KV::Str(sorted(&other.to_dyn()).to_string()),
        },
        "parse_url" => parse_url(&text(0)).map_or(KV::Null, KV::Dyn),
        "extract_json" | "extractjson" => {
            let doc = match args.get(1) {
                Some(KV::Dyn(j)) => Some(j.clone()),
                Some(v) => serde_json::from_str(&v.to_text()).ok(),
                None => None,
            };
            let found = doc.as_ref().and_then(|d| json_path(d, &text(0)));
            let Some(found) = found else {
                return Some(KV::Null);
            };
            let as_text = match found {
                Json::String(s) => s.clone(),
                other => other.to_string(),
            };
            match args.get(2).map(|t| t.to_text().to_ascii_lowercase()) {
                Some(t) if t.contains("long") || t.contains("int") => {
                    as_text.trim().parse().map_or(KV::Null, KV::Long)
                }
                Some(t) if t.contains("real") || t.contains("double") => {
                    as_text.trim().parse().map_or(KV::Null, KV::Real)
                }
                _ => KV::Str(as_text),
            }
        }
        "has_ipv4" => KV::Bool(has_ipv4(&text(0), &text(1), true)),
        "has_ipv4_prefix" => KV::Bool(has_ipv4(&text(0), &text(1), false)),
        "has_any_ipv4" | "has_any_ipv4_prefix" => {
            let whole = name == "has_any_ipv4";
            let source = text(0);
            let mut wanted = Vec::new();
            for a in &args[1..] {
                match a {
                    KV::Dyn(Json::Array(items)) => wanted.extend(
                        items
                            .iter()
                            .map(|j| j.as_str().map_or_else(|| j.to_string(), str::to_string)),
                    ),
                    v => wanted.push(v.to_text()),
                }
            }
            KV::Bool(wanted.iter().any(|w| has_ipv4(&source, w, whole)))
        }
        _ => return None,
    })
}

/// The character offset of a regex's match, from `start`, within `length`
/// characters, the `occurrence`-th (from 1); -1 when there is none.
fn indexof_regex(
    args: &[KV],
    source: &str,
    pattern: &str,
    start: Option<i64>,
    length: Option<i64>,
    occurrence: Option<i64>,
) -> KV {
    let Ok(re) = regex::Regex::new(pattern) else {
        return KV::Null;
    };
    let start = start.unwrap_or(0);
    let occurrence = occurrence.unwrap_or(1);
    if start < 0 || occurrence < 1 || (args.len() > 3 && length.is_none_or(|l| l < -1)) {
        return KV::Null;
    }
    // Byte offsets of each character, and of the end.
    let offsets: Vec<usize> = source
        .char_indices()
        .map(|(b, _)| b)
        .chain([source.len()])
        .collect();
    let Some(&from) = offsets.get(start as usize) else {
        return KV::Long(-1);
    };
    let to = match length.filter(|l| *l >= 0) {
        Some(l) => offsets
            .get(start as usize + l as usize)
            .copied()
            .unwrap_or(source.len()),
        None => source.len(),
    };
    match re.find_iter(&source[from..to]).nth(occurrence as usize - 1) {
        Some(m) => KV::Long(source[..from + m.start()].chars().count() as i64),
        None => KV::Long(-1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> KV {
        KV::Str(x.into())
    }

    #[test]
    fn base64_decodes_to_text_or_bytes_and_refuses_what_is_not() {
        assert_eq!(
            call("base64_decode_tostring", &[s("S3VzdG8=")]),
            Some(s("Kusto"))
        );
        // A PowerShell -EncodedCommand is UTF-16: bytes, not text.
        assert_eq!(call("base64_decode_tostring", &[s("//8=")]), Some(KV::Null));
        assert_eq!(
            call("base64_decode_toarray", &[s("S3VzdG8=")]),
            Some(KV::Dyn(serde_json::json!([75, 117, 115, 116, 111])))
        );
        assert_eq!(
            call("base64_decode_tostring", &[s("S3Vz*G8=")]),
            Some(KV::Null)
        );
    }

    #[test]
    fn regex_replace_translate_and_repeat() {
        let r = call("replace_regex", &[s("abc123def"), s(r"(\d+)"), s(r"<\1>")]);
        assert_eq!(r, Some(s("abc<123>def")));
        assert_eq!(
            call("translate", &[s("abc"), s("x"), s("abcd")]),
            Some(s("xxxd"))
        );
        assert_eq!(
            call("translate", &[s("ab"), s(""), s("abcd")]),
            Some(s("cd"))
        );
        assert_eq!(
            call("strrep", &[s("ab"), KV::Long(3), s(",")]),
            Some(s("ab,ab,ab"))
        );
        assert_eq!(call("strrep", &[s("ab"), KV::Long(0)]), Some(KV::Null));
        assert_eq!(
            call(
                "indexof_regex",
                &[s("abcabc"), s("b"), KV::Long(0), KV::Long(-1), KV::Long(2)]
            ),
            Some(KV::Long(4))
        );
        assert_eq!(
            call("indexof_regex", &[s("abcabc"), s("z")]),
            Some(KV::Long(-1))
        );
    }

    #[test]
    fn urls_and_json_paths_come_apart_by_name() {
        let u = call(
            "parse_url",
            &[s("https://user:pw@login.example.com:8443/a/b?x=1&y=2#top")],
        );
        let Some(KV::Dyn(u)) = u else { panic!("{u:?}") };
        assert_eq!(u["Host"], "login.example.com");
        assert_eq!(u["Port"], "8443");
        assert_eq!(u["Path"], "/a/b");
        assert_eq!(u["Username"], "user");
        assert_eq!(u["Query Parameters"]["y"], "2");
        assert_eq!(u["Fragment"], "top");
        let doc = s(r#"{"user": {"roles": ["admin", "reader"], "age": 41}}"#);
        assert_eq!(
            call("extract_json", &[s("$.user.roles[1]"), doc.clone()]),
            Some(s("reader"))
        );
        assert_eq!(
            call(
                "extract_json",
                &[s("$['user'].age"), doc.clone(), s("typeof(long)")]
            ),
            Some(KV::Long(41))
        );
        assert_eq!(
            call("extract_json", &[s("$.user.none"), doc]),
            Some(KV::Null)
        );
        let bag = KV::Dyn(serde_json::json!({"b": 1, "a": {"d": 2, "c": 3}}));
        assert_eq!(
            call("dynamic_to_json", &[bag]),
            Some(s(r#"{"a":{"c":3,"d":2},"b":1}"#))
        );
    }

    #[test]
    fn an_ipv4_address_counts_only_standing_alone() {
        let line = "05:04:54 127.0.0.1 GET /favicon.ico 404";
        let has = |t: &str, ip: &str| call("has_ipv4", &[s(t), s(ip)]) == Some(KV::Bool(true));
        assert!(has(line, "127.0.0.1"));
        assert!(
            !has("05:04:54127.0.0.1 GET", "127.0.0.1"),
            "glued to other digits"
        );
        assert!(!has("x 127.0.0.256 y", "127.0.0.256"), "not an address");
        assert!(!has("x 127.0.0.12 y", "127.0.0.1"), "a longer address");
        let prefix =
            |t: &str, p: &str| call("has_ipv4_prefix", &[s(t), s(p)]) == Some(KV::Bool(true));
        assert!(prefix(line, "127.0."));
        assert!(!prefix(line, "127.0"), "a prefix ends in a dot");
        let any = call(
            "has_any_ipv4",
            &[
                s(line),
                KV::Dyn(serde_json::json!(["10.0.0.1", "127.0.0.1"])),
            ],
        );
        assert_eq!(any, Some(KV::Bool(true)));
    }
}
