//! Elasticsearch date math in range values: `now`, `now-15m`, `now/d`,
//! `2026-03-02||+1d`, and plain dates. Rounding (`/d`) rounds down for
//! `>=` and `<` and up for `>` and `<=`, as Elasticsearch does, so `<= now/d`
//! includes the whole day.

use chrono::{DateTime, Datelike, Duration, Months, TimeZone, Timelike, Utc};

use super::ast::RangeOp;

pub fn resolve(text: &str, now: DateTime<Utc>, op: RangeOp) -> Option<DateTime<Utc>> {
    let text = text.trim();
    let (mut t, mut rest) = if let Some(r) = text.strip_prefix("now") {
        (now, r)
    } else if let Some((anchor, r)) = text.split_once("||") {
        (crate::model::parse_time(anchor)?, r)
    } else {
        return crate::model::parse_time(text);
    };
    while !rest.is_empty() {
        let sign = rest.chars().next()?;
        rest = &rest[1..];
        if sign == '/' {
            let unit = rest.chars().next()?;
            rest = &rest[unit.len_utf8()..];
            let up = matches!(op, RangeOp::Gt | RangeOp::Lte);
            t = round(t, unit, up)?;
            continue;
        }
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let n: i64 = if digits == 0 {
            1
        } else {
            rest[..digits].parse().ok()?
        };
        rest = &rest[digits..];
        let unit = rest.chars().next()?;
        rest = &rest[unit.len_utf8()..];
        let n = match sign {
            '+' => n,
            '-' => -n,
            _ => return None,
        };
        t = shift(t, n, unit)?;
    }
    Some(t)
}

fn shift(t: DateTime<Utc>, n: i64, unit: char) -> Option<DateTime<Utc>> {
    Some(match unit {
        'y' => add_months(t, n.checked_mul(12)?)?,
        'M' => add_months(t, n)?,
        'w' => t + Duration::try_weeks(n)?,
        'd' => t + Duration::try_days(n)?,
        'h' | 'H' => t + Duration::try_hours(n)?,
        'm' => t + Duration::try_minutes(n)?,
        's' => t + Duration::try_seconds(n)?,
        _ => return None,
    })
}

fn add_months(t: DateTime<Utc>, n: i64) -> Option<DateTime<Utc>> {
    let m = Months::new(u32::try_from(n.unsigned_abs()).ok()?);
    if n >= 0 {
        t.checked_add_months(m)
    } else {
        t.checked_sub_months(m)
    }
}

fn round(t: DateTime<Utc>, unit: char, up: bool) -> Option<DateTime<Utc>> {
    let d = t.date_naive();
    let floor = match unit {
        'y' => Utc.with_ymd_and_hms(d.year(), 1, 1, 0, 0, 0).single()?,
        'M' => Utc
            .with_ymd_and_hms(d.year(), d.month(), 1, 0, 0, 0)
            .single()?,
        'w' => {
            let monday = d - Duration::days(i64::from(d.weekday().num_days_from_monday()));
            Utc.from_utc_datetime(&monday.and_hms_opt(0, 0, 0)?)
        }
        'd' => Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?),
        'h' | 'H' => Utc.from_utc_datetime(&d.and_hms_opt(t.hour(), 0, 0)?),
        'm' => Utc.from_utc_datetime(&d.and_hms_opt(t.hour(), t.minute(), 0)?),
        's' => Utc.from_utc_datetime(&d.and_hms_opt(t.hour(), t.minute(), t.second())?),
        _ => return None,
    };
    if !up {
        return Some(floor);
    }
    let next = match unit {
        'y' => add_months(floor, 12)?,
        'M' => add_months(floor, 1)?,
        other => shift(floor, 1, if other == 'H' { 'h' } else { other })?,
    };
    Some(next - Duration::milliseconds(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_minus_and_rounding() {
        let now = Utc.with_ymd_and_hms(2026, 3, 4, 9, 41, 30).unwrap();
        let r = |s, op| resolve(s, now, op).map(|t| t.to_rfc3339());
        assert_eq!(
            r("now-15m", RangeOp::Gte).as_deref(),
            Some("2026-03-04T09:26:30+00:00")
        );
        assert_eq!(
            r("now/d", RangeOp::Gte).as_deref(),
            Some("2026-03-04T00:00:00+00:00")
        );
        assert_eq!(
            r("now/d", RangeOp::Lte).as_deref(),
            Some("2026-03-04T23:59:59.999+00:00")
        );
        assert_eq!(
            r("now-1M", RangeOp::Lt).as_deref(),
            Some("2026-02-04T09:41:30+00:00")
        );
        assert_eq!(
            r("2026-03-01||+1d", RangeOp::Lt).as_deref(),
            Some("2026-03-02T00:00:00+00:00")
        );
        assert_eq!(
            r("2026-03-01T10:00:00Z", RangeOp::Lt).as_deref(),
            Some("2026-03-01T10:00:00+00:00")
        );
        assert_eq!(r("now-x", RangeOp::Lt), None);
    }
}
