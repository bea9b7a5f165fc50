//! ES|QL values: typed scalars, null, and multi-values.

use std::cmp::Ordering;
use std::fmt::Write;

use chrono::{DateTime, Datelike, Duration, Months, TimeZone, Utc};
use serde_json::Value as Json;

use crate::rules::kql::schema::FieldType;

#[derive(Debug, Clone, PartialEq)]
pub enum V {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// Milliseconds since the epoch.
    Date(i64),
    /// A time span: months and milliseconds (months cannot be milliseconds).
    Span {
        months: i64,
        millis: i64,
    },
    Multi(Vec<V>),
}

/// The unit words ES|QL accepts in time spans, as (months, milliseconds).
pub fn span_unit(unit: &str) -> Option<(i64, i64)> {
    Some(match unit {
        "millisecond" | "milliseconds" | "ms" => (0, 1),
        "second" | "seconds" | "sec" | "s" => (0, 1000),
        "minute" | "minutes" | "min" => (0, 60_000),
        "hour" | "hours" | "h" => (0, 3_600_000),
        "day" | "days" | "d" => (0, 86_400_000),
        "week" | "weeks" | "w" => (0, 7 * 86_400_000),
        "month" | "months" | "mo" => (1, 0),
        "quarter" | "quarters" | "q" => (3, 0),
        "year" | "years" | "yr" | "y" => (12, 0),
        _ => return None,
    })
}

impl V {
    pub fn is_null(&self) -> bool {
        matches!(self, V::Null)
    }

    /// From a document's JSON, with the field's type deciding whether text
    /// is a date.
    pub fn from_json(j: &Json, ty: Option<FieldType>) -> V {
        match j {
            Json::Null => V::Null,
            Json::Bool(b) => V::Bool(*b),
            Json::Number(n) => match (n.as_i64(), ty) {
                (Some(i), Some(FieldType::Date)) => V::Date(i),
                (Some(i), _) => V::Int(i),
                (None, _) => n.as_f64().map_or(V::Null, V::Float),
            },
            Json::String(s) => match ty {
                Some(FieldType::Date) => {
                    crate::model::parse_time(s).map_or(V::Null, |t| V::Date(t.timestamp_millis()))
                }
                _ => V::Str(s.clone()),
            },
            Json::Array(items) => {
                let mut vals = Vec::new();
                for x in items {
                    match V::from_json(x, ty) {
                        V::Null => {}
                        V::Multi(m) => vals.extend(m),
                        v => vals.push(v),
                    }
                }
                V::multi(vals)
            }
            Json::Object(_) => V::Str(j.to_string()),
        }
    }

    /// Several values as one: null when none, the value when one.
    pub fn multi(mut vals: Vec<V>) -> V {
        match vals.len() {
            0 => V::Null,
            1 => vals.remove(0),
            _ => V::Multi(vals),
        }
    }

    /// Every value, whether single or multi.
    pub fn each(&self) -> Vec<&V> {
        match self {
            V::Null => Vec::new(),
            V::Multi(v) => v.iter().collect(),
            v => vec![v],
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            V::Int(i) => Some(*i as f64),
            V::Float(f) => Some(*f),
            _ => None,
        }
    }

    pub fn to_json(&self) -> Json {
        match self {
            V::Null => Json::Null,
            V::Bool(b) => Json::Bool(*b),
            V::Int(i) => Json::from(*i),
            V::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
            V::Str(s) => Json::String(s.clone()),
            V::Date(ms) => Json::String(format_date(*ms)),
            V::Span { months, millis } => Json::String(format!("{months} months {millis} ms")),
            V::Multi(v) => Json::Array(v.iter().map(V::to_json).collect()),
        }
    }

    /// Text form, as TO_STRING gives it.
    pub fn text(&self) -> Option<String> {
        Some(match self {
            V::Null | V::Multi(_) => return None,
            V::Bool(b) => b.to_string(),
            V::Int(i) => i.to_string(),
            V::Float(f) => {
                let mut s = String::new();
                let _ = write!(s, "{f}");
                if !s.contains(['.', 'e', 'E', 'N', 'i']) {
                    s.push_str(".0");
                }
                s
            }
            V::Str(s) => s.clone(),
            V::Date(ms) => format_date(*ms),
            V::Span { .. } => return None,
        })
    }
}

pub fn format_date(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_default()
}

pub fn date_of(ms: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms)
}

/// Adds a span to a date; calendar units step whole months.
pub fn add_span(ms: i64, months: i64, millis: i64) -> Option<i64> {
    let mut t = date_of(ms)?;
    if months > 0 {
        t = t.checked_add_months(Months::new(u32::try_from(months).ok()?))?;
    } else if months < 0 {
        t = t.checked_sub_months(Months::new(u32::try_from(-months).ok()?))?;
    }
    t = t.checked_add_signed(Duration::try_milliseconds(millis)?)?;
    Some(t.timestamp_millis())
}

/// Rounds a date down to a span: calendar units to their start, fixed
/// units to a multiple since the epoch (weeks start on Monday).
pub fn truncate(ms: i64, months: i64, millis: i64) -> Option<i64> {
    let t = date_of(ms)?;
    if months > 0 {
        let total = i64::from(t.year()) * 12 + i64::from(t.month0());
        let floored = total - total.rem_euclid(months);
        let (y, m) = (floored.div_euclid(12), floored.rem_euclid(12) + 1);
        return Utc
            .with_ymd_and_hms(i32::try_from(y).ok()?, u32::try_from(m).ok()?, 1, 0, 0, 0)
            .single()
            .map(|t| t.timestamp_millis());
    }
    if millis <= 0 {
        return None;
    }
    const WEEK: i64 = 7 * 86_400_000;
    // 1970-01-01 was a Thursday; weeks are counted from Monday 1969-12-29.
    let offset = if millis % WEEK == 0 {
        3 * 86_400_000
    } else {
        0
    };
    Some((ms + offset).div_euclid(millis) * millis - offset)
}

/// ES|QL's ordering for SORT: numbers by value, text by bytes, false
/// before true, dates by time. Values of different types order by type.
pub fn compare(a: &V, b: &V) -> Ordering {
    match (a, b) {
        (V::Int(x), V::Int(y)) => x.cmp(y),
        (V::Date(x), V::Date(y)) => x.cmp(y),
        (V::Str(x), V::Str(y)) => x.as_bytes().cmp(y.as_bytes()),
        (V::Bool(x), V::Bool(y)) => x.cmp(y),
        _ => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
            _ => rank(a).cmp(&rank(b)),
        },
    }
}

fn rank(v: &V) -> u8 {
    match v {
        V::Null => 0,
        V::Bool(_) => 1,
        V::Int(_) | V::Float(_) => 2,
        V::Date(_) => 3,
        V::Str(_) => 4,
        V::Span { .. } => 5,
        V::Multi(_) => 6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> i64 {
        crate::model::parse_time(s).unwrap().timestamp_millis()
    }

    #[test]
    fn truncation_to_calendar_and_fixed_units() {
        let t = ms("1985-02-18T13:45:12Z");
        assert_eq!(
            format_date(truncate(t, 1, 0).unwrap()),
            "1985-02-01T00:00:00.000Z"
        );
        assert_eq!(
            format_date(truncate(t, 12, 0).unwrap()),
            "1985-01-01T00:00:00.000Z"
        );
        assert_eq!(
            format_date(truncate(t, 0, 60_000).unwrap()),
            "1985-02-18T13:45:00.000Z"
        );
        assert_eq!(
            format_date(truncate(t, 0, 7 * 86_400_000).unwrap()),
            "1985-02-18T00:00:00.000Z"
        );
        assert_eq!(
            format_date(add_span(t, 12, 0).unwrap()),
            "1986-02-18T13:45:12.000Z"
        );
    }
}
