//! Kusto values: typed scalars, `dynamic` (JSON), datetimes and timespans
//! in 100-nanosecond ticks.

use chrono::{DateTime, Utc};
use serde_json::Value as Json;

#[derive(Debug, Clone, PartialEq)]
pub enum KV {
    Null,
    Bool(bool),
    Long(i64),
    Real(f64),
    Str(String),
    /// Ticks since the Unix epoch.
    Date(i64),
    Span(i64),
    Dyn(Json),
}

pub const TICKS_PER_MS: i64 = 10_000;

/// Ticks in one unit of a timespan literal.
pub fn unit_ticks(unit: &str) -> Option<i64> {
    Some(match unit {
        "d" | "day" | "days" => 864_000_000_000,
        "h" | "hr" | "hrs" | "hour" | "hours" => 36_000_000_000,
        "m" | "min" | "minute" | "minutes" => 600_000_000,
        "s" | "sec" | "second" | "seconds" => 10_000_000,
        "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => 10_000,
        "microsecond" | "microseconds" => 10,
        "tick" | "ticks" => 1,
        _ => return None,
    })
}

pub fn date_from_str(s: &str) -> Option<i64> {
    crate::model::parse_time(s)
        .or_else(|| rfc822(s))
        .map(to_ticks)
}

/// The RFC 822 and RFC 850 forms Kusto reads besides ISO 8601:
/// `Sat, 8 Nov 14 15:05:02 GMT`, `Saturday, 08-Nov-14 15:05:02 GMT`, with
/// or without the weekday, seconds and zone, and with a four-digit year
/// as HTTP dates write it.
fn rfc822(s: &str) -> Option<DateTime<Utc>> {
    use chrono::{NaiveDateTime, TimeZone};
    let s = s.trim();
    let s = match s.split_once(", ") {
        Some((day, rest)) if day.chars().all(|c| c.is_ascii_alphabetic()) => rest,
        _ => s,
    };
    let mut parts: Vec<&str> = s.split_whitespace().collect();
    // A trailing zone: GMT and UTC are UTC, as is a zero offset.
    let mut offset = 0i64;
    if let Some(last) = parts.last().copied() {
        if ["GMT", "UTC", "UT", "Z"].contains(&last) {
            parts.pop();
        } else if let Some(sign) = last
            .strip_prefix('+')
            .map(|r| (1, r))
            .or_else(|| last.strip_prefix('-').map(|r| (-1, r)))
            .filter(|(_, r)| r.len() == 4 && r.bytes().all(|b| b.is_ascii_digit()))
        {
            let (k, r) = sign;
            let (h, m): (i64, i64) = (r[..2].parse().ok()?, r[2..].parse().ok()?);
            offset = k * (h * 3600 + m * 60);
            parts.pop();
        }
    }
    let text = parts.join(" ").replace('-', " ");
    // A two-digit year is of this century, as RFC 822 writes it.
    let short = text.split(' ').nth(2).is_some_and(|y| y.len() == 2);
    let formats: [&str; 2] = if short {
        ["%d %b %y %H:%M:%S", "%d %b %y %H:%M"]
    } else {
        ["%d %b %Y %H:%M:%S", "%d %b %Y %H:%M"]
    };
    for fmt in formats {
        if let Ok(t) = NaiveDateTime::parse_from_str(&text, fmt) {
            return Some(Utc.from_utc_datetime(&t) - chrono::Duration::seconds(offset));
        }
    }
    None
}

/// A time as Kusto's 100-nanosecond ticks since 1970.
pub fn to_ticks(t: DateTime<Utc>) -> i64 {
    t.timestamp() * 10_000_000 + i64::from(t.timestamp_subsec_nanos() / 100)
}

pub fn to_datetime(ticks: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(
        ticks.div_euclid(10_000_000),
        (ticks.rem_euclid(10_000_000) * 100) as u32,
    )
}

pub fn format_date(ticks: i64) -> String {
    match to_datetime(ticks) {
        Some(t) if ticks % 10_000_000 == 0 => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Some(t) => {
            let frac = format!("{:07}", ticks.rem_euclid(10_000_000));
            format!(
                "{}.{}Z",
                t.format("%Y-%m-%dT%H:%M:%S"),
                frac.trim_end_matches('0')
            )
        }
        None => String::new(),
    }
}

pub fn format_span(ticks: i64) -> String {
    let neg = ticks < 0;
    let t = ticks.unsigned_abs();
    let days = t / 864_000_000_000;
    let rem = t % 864_000_000_000;
    let (h, m, s, f) = (
        rem / 36_000_000_000,
        rem % 36_000_000_000 / 600_000_000,
        rem % 600_000_000 / 10_000_000,
        rem % 10_000_000,
    );
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if days > 0 {
        out.push_str(&format!("{days}."));
    }
    out.push_str(&format!("{h:02}:{m:02}:{s:02}"));
    if f > 0 {
        out.push_str(&format!(".{f:07}"));
    }
    out
}

impl KV {
    pub fn is_null(&self) -> bool {
        matches!(self, KV::Null)
    }

    /// A document field as Kusto would type it: text stays text (Log
    /// Analytics string columns), objects and arrays are dynamic.
    pub fn from_json(j: &Json) -> KV {
        match j {
            Json::Null => KV::Null,
            Json::Bool(b) => KV::Bool(*b),
            Json::Number(n) => n
                .as_i64()
                .map_or_else(|| n.as_f64().map_or(KV::Null, KV::Real), KV::Long),
            Json::String(s) => KV::Str(s.clone()),
            other => KV::Dyn(other.clone()),
        }
    }

    /// The JSON a dynamic value holds, or that text spells.
    pub fn parsed(self) -> Option<Json> {
        match self {
            KV::Dyn(j) => Some(j),
            KV::Str(s) => serde_json::from_str(&s).ok(),
            _ => None,
        }
    }

    /// The array a dynamic value holds, or that text spells.
    pub fn into_array(self) -> Option<Vec<Json>> {
        match self.parsed()? {
            Json::Array(a) => Some(a),
            _ => None,
        }
    }

    /// As a `dynamic` value.
    pub fn to_dyn(&self) -> Json {
        match self {
            KV::Null => Json::Null,
            KV::Bool(b) => Json::Bool(*b),
            KV::Long(i) => Json::from(*i),
            KV::Real(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
            KV::Str(s) => Json::String(s.clone()),
            KV::Date(t) => Json::String(format_date(*t)),
            KV::Span(t) => Json::String(format_span(*t)),
            KV::Dyn(j) => j.clone(),
        }
    }

    /// `tostring()`: text; null becomes the empty string.
    pub fn to_text(&self) -> String {
        match self {
            KV::Null => String::new(),
            KV::Bool(b) => b.to_string(),
            KV::Long(i) => i.to_string(),
            KV::Real(f) => f.to_string(),
            KV::Str(s) => s.clone(),
            // tostring() writes all seven fractional digits.
            KV::Date(t) => match to_datetime(*t) {
                Some(d) => format!(
                    "{}.{:07}Z",
                    d.format("%Y-%m-%dT%H:%M:%S"),
                    t.rem_euclid(10_000_000)
                ),
                None => String::new(),
            },
            KV::Span(t) => format_span(*t),
            KV::Dyn(Json::String(s)) => s.clone(),
            KV::Dyn(Json::Null) => String::new(),
            KV::Dyn(j) => j.to_string(),
        }
    }

    /// A whole number: a long, a finite real truncated, or a whole number
    /// inside a dynamic value.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            KV::Long(i) => Some(*i),
            KV::Real(r) if r.is_finite() => Some(*r as i64),
            KV::Dyn(j) => j.as_i64(),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            KV::Long(i) => Some(*i as f64),
            KV::Real(f) => Some(*f),
            KV::Dyn(Json::Number(n)) => n.as_f64(),
            _ => None,
        }
    }

    /// A key for grouping and joining: equal values give equal keys.
    pub fn key(&self) -> String {
        match self {
            KV::Null => "\u{0}null".into(),
            KV::Long(i) => format!("n{}", *i as f64),
            KV::Real(f) => format!("n{f}"),
            KV::Str(s) => format!("s{s}"),
            KV::Dyn(Json::String(s)) => format!("s{s}"),
            other => format!("{other:?}"),
        }
    }
}
