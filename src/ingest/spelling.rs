//! How one field is spelled in each log shape (`user_principal_name`,
//! `userPrincipalName`, `UserPrincipalName`), and the values the mapping
//! table derives from others: parts of a resource id, a bare address.

use std::net::IpAddr;

use serde_json::Value;

/// The segment after `key` in an Azure resource id (`/subscriptions/X/...`).
pub(super) fn id_part(id: &str, key: &str) -> Option<String> {
    let mut parts = id.split('/');
    while let Some(p) = parts.next() {
        if p.eq_ignore_ascii_case(key) {
            return parts.next().filter(|s| !s.is_empty()).map(str::to_string);
        }
    }
    None
}

pub(super) fn last_segment(id: &str) -> Option<String> {
    id.trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// An address without port or brackets, or `None` when it is not one.
pub fn clean_ip(s: &str) -> Option<String> {
    let s = s.trim();
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip.to_string());
    }
    if let Some(rest) = s.strip_prefix('[') {
        let inner = rest.split(']').next()?;
        return inner.parse::<IpAddr>().ok().map(|ip| ip.to_string());
    }
    if let Some((host, port)) = s.rsplit_once(':') {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            return host.parse::<IpAddr>().ok().map(|ip| ip.to_string());
        }
    }
    None
}

fn map_segments(path: &str, f: impl Fn(&str) -> String) -> String {
    path.split('.').map(f).collect::<Vec<_>>().join(".")
}

fn camel(seg: &str) -> String {
    let mut out = String::with_capacity(seg.len());
    let mut up = false;
    for c in seg.chars() {
        if c == '_' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn snake(seg: &str) -> String {
    let mut out = String::with_capacity(seg.len() + 4);
    for (i, c) in seg.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A value as the record itself writes it, from the form Filebeat gives
/// it under `azure.<dataset>.properties`: snake_case keys back to
/// camelCase, and arrays Filebeat spread into objects keyed by position
/// (`{"0": {...}, "1": {...}}`) back to arrays.
pub(super) fn logged_form(v: &Value) -> Value {
    match v {
        Value::Object(m) if !m.is_empty() && positions(m) => {
            let mut items: Vec<(usize, &Value)> = m
                .iter()
                .filter_map(|(k, x)| Some((k.parse().ok()?, x)))
                .collect();
            items.sort_by_key(|(i, _)| *i);
            Value::Array(items.into_iter().map(|(_, x)| logged_form(x)).collect())
        }
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| {
                    let key = if k.contains('_') { camel(k) } else { k.clone() };
                    (key, logged_form(x))
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(logged_form).collect()),
        other => other.clone(),
    }
}

/// A sign-in's location as Log Analytics writes it (`LocationDetails`),
/// from an ECS document's `source.geo`, where Filebeat puts it.
pub(super) fn geo_details(doc: &Value) -> Option<Value> {
    let geo = doc.get("source")?.get("geo")?;
    let mut out = serde_json::Map::new();
    for (from, to) in [
        ("city_name", "city"),
        ("region_name", "state"),
        ("country_iso_code", "countryOrRegion"),
    ] {
        if let Some(v) = geo.get(from).filter(|v| !v.is_null()) {
            out.insert(to.to_string(), v.clone());
        }
    }
    if let Some(at) = geo.get("location") {
        let mut c = serde_json::Map::new();
        for (from, to) in [("lat", "latitude"), ("lon", "longitude")] {
            if let Some(v) = at.get(from).filter(|v| !v.is_null()) {
                c.insert(to.to_string(), v.clone());
            }
        }
        if !c.is_empty() {
            out.insert("geoCoordinates".to_string(), Value::Object(c));
        }
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

/// Token claims as the record writes them, from Filebeat's form, which
/// writes the dots of a claim type's host as underscores
/// (`http://schemas_xmlsoap_org/ws/...`); other names keep theirs
/// (`xms_tcdt`).
pub(super) fn logged_claims(m: &serde_json::Map<String, Value>) -> Value {
    let key = |k: &str| -> String {
        let Some((scheme, rest)) = k.split_once("://") else {
            return k.to_string();
        };
        let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        format!("{scheme}://{}{path}", host.replace('_', "."))
    };
    Value::Object(m.iter().map(|(k, v)| (key(k), v.clone())).collect())
}

/// Whether an object's keys are the positions 0..n: keys are distinct,
/// so n of them written as numbers below n are each position once.
fn positions(m: &serde_json::Map<String, Value>) -> bool {
    m.keys().all(|k| {
        k.parse::<usize>()
            .is_ok_and(|i| i < m.len() && i.to_string() == *k)
    })
}

pub(super) fn camel_path(p: &str) -> String {
    map_segments(p, camel)
}

pub(super) fn snake_path(p: &str) -> String {
    map_segments(p, snake)
}

pub(super) fn snake_first(p: &str) -> String {
    match p.split_once('.') {
        Some((head, rest)) => format!("{}.{rest}", snake(head)),
        None => snake(p),
    }
}

pub(super) fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

pub(super) fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_forms() {
        assert_eq!(clean_ip("10.0.0.1:443").as_deref(), Some("10.0.0.1"));
        assert_eq!(
            clean_ip("[2001:db8::1]:443").as_deref(),
            Some("2001:db8::1")
        );
        assert_eq!(clean_ip("2001:db8::1").as_deref(), Some("2001:db8::1"));
        assert_eq!(clean_ip("Not Available"), None);
    }

    #[test]
    fn case_conversions() {
        assert_eq!(
            camel_path("initiated_by.user.userPrincipalName"),
            "initiatedBy.user.userPrincipalName"
        );
        assert_eq!(snake_path("status.errorCode"), "status.error_code");
        assert_eq!(
            snake_first("initiatedBy.user.ipAddress"),
            "initiated_by.user.ipAddress"
        );
    }

    #[test]
    fn filebeat_values_return_to_the_records_form() {
        let fb = serde_json::json!({"0": {"display_name": "Role", "modified_properties":
            {"0": {"display_name": "x", "new_value": "\"a\""}, "1": {"display_name": "y"}}},
            "1": {"id": "2"}});
        assert_eq!(
            logged_form(&fb),
            serde_json::json!([{"displayName": "Role", "modifiedProperties":
                [{"displayName": "x", "newValue": "\"a\""}, {"displayName": "y"}]}, {"id": "2"}])
        );
        // Keys that are not every position 0..n, once, name members.
        for bag in [
            serde_json::json!({"0": 1, "2": 2}),
            serde_json::json!({"00": 1}),
            serde_json::json!({"+0": 1}),
        ] {
            assert_eq!(logged_form(&bag), bag);
        }
        let claims = serde_json::json!({"xms_tcdt": "1",
            "http://schemas_xmlsoap_org/ws/2005/05/identity/claims/upn": "a@b"});
        assert_eq!(
            logged_claims(claims.as_object().unwrap()),
            serde_json::json!({"xms_tcdt": "1",
                "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn": "a@b"})
        );
    }
}
