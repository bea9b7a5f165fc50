//! How one field is spelled in each log shape (`user_principal_name`,
//! `userPrincipalName`, `UserPrincipalName`), and the values the mapping
//! table derives from others: parts of a resource id, a bare address.

use std::net::IpAddr;

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
}
