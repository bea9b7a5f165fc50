//! Timestamps as Azure exports write them. All are read as UTC: a time
//! without a zone is UTC in every Azure log and export this reads.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// Parses RFC 3339 (any fraction, `Z` or offset), the same with a space
/// instead of `T` or without a zone, the portal's US-style export
/// (`8/2/2021, 1:29:25.983 PM`), and epoch seconds or milliseconds.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let normal = s.replacen(' ', "T", 1);
    if let Ok(t) = DateTime::parse_from_rfc3339(&normal) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(normal.trim_end_matches('Z'), fmt) {
            return Some(Utc.from_utc_datetime(&t));
        }
    }
    for fmt in [
        "%m/%d/%Y, %I:%M:%S%.f %p",
        "%m/%d/%Y %I:%M:%S%.f %p",
        "%m/%d/%Y %I:%M:%S %p %:z",
        "%m/%d/%Y %H:%M:%S%.f",
    ] {
        if let Ok(t) = DateTime::parse_from_str(s, fmt) {
            return Some(t.with_timezone(&Utc));
        }
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(Utc.from_utc_datetime(&t));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|t| Utc.from_utc_datetime(&t));
    }
    if s.bytes().all(|b| b.is_ascii_digit()) && (9..=13).contains(&s.len()) {
        let n: i64 = s.parse().ok()?;
        return if s.len() >= 12 {
            DateTime::from_timestamp_millis(n)
        } else {
            DateTime::from_timestamp(n, 0)
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(s: &str) -> String {
        parse_time(s).map(|t| t.to_rfc3339()).unwrap_or_default()
    }

    #[test]
    fn formats_seen_in_azure_exports() {
        assert_eq!(
            iso("2016-01-05T01:32:01.2691226Z"),
            "2016-01-05T01:32:01.269122600+00:00"
        );
        assert_eq!(
            iso("2019-10-18T04:45:48.0729893-05:00"),
            "2019-10-18T09:45:48.072989300+00:00"
        );
        assert_eq!(
            iso("2025-01-15 14:20:35.456"),
            "2025-01-15T14:20:35.456+00:00"
        );
        assert_eq!(
            iso("8/2/2021, 1:29:25.983 PM"),
            "2021-08-02T13:29:25.983+00:00"
        );
        assert_eq!(
            iso("11/5/2020 2:07:32 PM +00:00"),
            "2020-11-05T14:07:32+00:00"
        );
        assert_eq!(iso("1604306119"), "2020-11-02T08:35:19+00:00");
        assert_eq!(iso("not a time"), "");
    }
}
