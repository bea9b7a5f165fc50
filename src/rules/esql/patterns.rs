//! `DISSECT` and `GROK`: named fields out of text.

use super::value::V;

/// Fields a pattern extracts from `text`; every named field is present,
/// null when the text does not fit.
pub fn extract(pattern: &str, text: Option<&str>, grok: bool) -> Vec<(String, V)> {
    if grok {
        grok_fields(pattern, text)
    } else {
        dissect(pattern, text)
    }
}

/// `%{key}` placeholders between literal delimiters. `%{?key}` is matched
/// and dropped; `->` (padding) is accepted.
fn dissect(pattern: &str, text: Option<&str>) -> Vec<(String, V)> {
    let mut keys: Vec<(String, bool)> = Vec::new();
    let mut delims: Vec<String> = Vec::new();
    let mut rest = pattern;
    let mut lead = String::new();
    while let Some(start) = rest.find("%{") {
        let Some(end) = rest[start..].find('}') else {
            break;
        };
        if keys.is_empty() {
            lead = rest[..start].to_string();
        } else {
            delims.push(rest[..start].to_string());
        }
        let raw = rest[start + 2..start + end].trim_end_matches("->");
        let skip = raw.starts_with('?') || raw.is_empty();
        keys.push((raw.trim_start_matches(['?', '+', '&']).to_string(), skip));
        rest = &rest[start + end + 1..];
    }
    let trail = rest.to_string();
    let named = |vals: Option<Vec<String>>| -> Vec<(String, V)> {
        keys.iter()
            .enumerate()
            .filter(|(_, (_, skip))| !skip)
            .map(|(i, (k, _))| {
                let v = vals
                    .as_ref()
                    .and_then(|v| v.get(i))
                    .map_or(V::Null, |s| V::Str(s.clone()));
                (k.clone(), v)
            })
            .collect()
    };
    let Some(mut t) = text.and_then(|t| t.strip_prefix(lead.as_str())) else {
        return named(None);
    };
    let mut vals = Vec::new();
    for (i, _) in keys.iter().enumerate() {
        match delims.get(i) {
            Some(d) if !d.is_empty() => match t.find(d.as_str()) {
                Some(at) => {
                    vals.push(t[..at].to_string());
                    t = t[at + d.len()..].trim_start_matches(d.as_str());
                }
                None => return named(None),
            },
            _ => {
                let v = t.strip_suffix(trail.as_str()).unwrap_or(t);
                vals.push(v.to_string());
                t = "";
            }
        }
    }
    named(Some(vals))
}

fn grok_regex(name: &str) -> &'static str {
    match name {
        "WORD" => r"\b\w+\b",
        "NOTSPACE" => r"\S+",
        "SPACE" => r"\s*",
        "DATA" => r".*?",
        "GREEDYDATA" => r".*",
        "INT" => r"[+-]?\d+",
        "NUMBER" | "BASE10NUM" => r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)",
        "IP" | "IPV4" => r"(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]+",
        "IPV6" => r"[0-9A-Fa-f:]*:[0-9A-Fa-f:.]+",
        "USERNAME" | "USER" => r"[a-zA-Z0-9._-]+",
        "EMAILADDRESS" => r"[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+",
        "HOSTNAME" => r"\b[0-9A-Za-z][0-9A-Za-z-]{0,62}(?:\.[0-9A-Za-z][0-9A-Za-z-]{0,62})*\.?\b",
        "TIMESTAMP_ISO8601" => {
            r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::?\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?"
        }
        "UUID" => r"[A-Fa-f0-9]{8}-(?:[A-Fa-f0-9]{4}-){3}[A-Fa-f0-9]{12}",
        "URIPATH" => r"(?:/[A-Za-z0-9$.+!*'(){},~:;=@#%&_\-]*)+",
        _ => r".*?",
    }
}

/// `%{PATTERN:field[:int|float]}` with the common patterns, the rest of
/// the text taken as a (linear-time) regular expression.
fn grok_fields(pattern: &str, text: Option<&str>) -> Vec<(String, V)> {
    let mut re = String::from("^");
    let mut fields: Vec<(String, Option<String>)> = Vec::new();
    let mut rest = pattern;
    while let Some(start) = rest.find("%{") {
        let Some(end) = rest[start..].find('}') else {
            break;
        };
        re.push_str(&rest[..start]);
        let spec: Vec<&str> = rest[start + 2..start + end].split(':').collect();
        match spec.as_slice() {
            [name] => {
                re.push_str("(?:");
                re.push_str(grok_regex(name));
                re.push(')');
            }
            [name, field, ty @ ..] => {
                let group = format!("g{}", fields.len());
                re.push_str(&format!("(?P<{group}>{})", grok_regex(name)));
                fields.push((field.to_string(), ty.first().map(|t| t.to_string())));
            }
            _ => {}
        }
        rest = &rest[start + end + 1..];
    }
    re.push_str(rest);
    let caps = text.and_then(|t| {
        crate::rules::regexes::compiled(&re).and_then(|r| {
            r.captures(t).map(|c| {
                (0..fields.len())
                    .map(|i| c.name(&format!("g{i}")).map(|m| m.as_str().to_string()))
                    .collect::<Vec<_>>()
            })
        })
    });
    fields
        .iter()
        .enumerate()
        .map(|(i, (name, ty))| {
            let s = caps.as_ref().and_then(|c| c[i].clone());
            let v = match (s, ty.as_deref()) {
                (None, _) => V::Null,
                (Some(s), Some("int")) => s.parse().map_or(V::Null, V::Int),
                (Some(s), Some("float")) => s.parse().map_or(V::Null, V::Float),
                (Some(s), _) => V::Str(s),
            };
            (name.clone(), v)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dissect_splits_on_delimiters() {
        let f = extract(
            "%{date} - %{msg} (%{ip})",
            Some("2023-01-23 - some text (10.0.0.1)"),
            false,
        );
        assert_eq!(
            f,
            [
                ("date".to_string(), V::Str("2023-01-23".into())),
                ("msg".into(), V::Str("some text".into())),
                ("ip".into(), V::Str("10.0.0.1".into()))
            ]
        );
        assert_eq!(extract("%{a}-%{b}", Some("nodash"), false)[0].1, V::Null);
    }

    #[test]
    fn grok_common_patterns() {
        let f = extract(
            "%{IP:ip} %{WORD:verb} %{NUMBER:bytes:int}",
            Some("10.1.2.3 GET 512"),
            true,
        );
        assert_eq!(f[0].1, V::Str("10.1.2.3".into()));
        assert_eq!(f[1].1, V::Str("GET".into()));
        assert_eq!(f[2].1, V::Int(512));
    }
}
