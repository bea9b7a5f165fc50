//! Kusto's calendar functions: the start and end of a day, week, month
//! or year (with an offset in whole units), parts of a date, and
//! `format_datetime`. Datetimes are 100-nanosecond ticks since 1970.

use chrono::{Datelike, TimeZone, Timelike, Utc};

use super::eval::plain;
use super::value::{KV, to_datetime, to_ticks};

pub(super) const FUNCTIONS: &[(&str, usize, usize)] = &[
    ("startofday", 1, 2),
    ("startofweek", 1, 2),
    ("startofmonth", 1, 2),
    ("startofyear", 1, 2),
    ("endofday", 1, 2),
    ("endofweek", 1, 2),
    ("endofmonth", 1, 2),
    ("endofyear", 1, 2),
    ("dayofweek", 1, 1),
    ("dayofmonth", 1, 1),
    ("dayofyear", 1, 1),
    ("getyear", 1, 1),
    ("getmonth", 1, 1),
    ("hourofday", 1, 1),
    ("monthofyear", 1, 1),
    ("week_of_year", 1, 1),
    ("weekofyear", 1, 1),
    ("format_datetime", 2, 2),
    ("datetime_utc_to_local", 2, 2),
    ("datetime_local_to_utc", 2, 2),
    ("datetime_part", 2, 2),
    ("datetime_add", 3, 3),
    ("datetime_diff", 3, 3),
    ("make_datetime", 3, 7),
    ("unixtime_seconds_todatetime", 1, 1),
    ("unixtime_milliseconds_todatetime", 1, 1),
    ("unixtime_microseconds_todatetime", 1, 1),
    ("unixtime_nanoseconds_todatetime", 1, 1),
    ("format_timespan", 2, 2),
    ("bin_at", 3, 3),
    ("ingestion_time", 0, 0),
];

pub(super) const DAY: i64 = 864_000_000_000;

#[derive(Clone, Copy)]
enum Unit {
    Day,
    Week,
    Month,
    Year,
}

/// The start of the unit holding `t`, moved by `offset` whole units.
fn start_of(unit: Unit, t: i64, offset: i64) -> Option<i64> {
    let day_start = t.div_euclid(DAY) * DAY;
    match unit {
        Unit::Day => Some(day_start + offset * DAY),
        Unit::Week => {
            let d = to_datetime(t)?;
            let sunday = day_start - i64::from(d.weekday().num_days_from_sunday()) * DAY;
            Some(sunday + offset * 7 * DAY)
        }
        Unit::Month | Unit::Year => {
            let d = to_datetime(t)?;
            let per = if matches!(unit, Unit::Year) { 12 } else { 1 };
            let month0 = if matches!(unit, Unit::Year) {
                0
            } else {
                i64::from(d.month0())
            };
            let months = i64::from(d.year()) * 12 + month0 + offset.checked_mul(per)?;
            let year = i32::try_from(months.div_euclid(12)).ok()?;
            let month = u32::try_from(months.rem_euclid(12)).ok()? + 1;
            Utc.with_ymd_and_hms(year, month, 1, 0, 0, 0)
                .single()
                .map(to_ticks)
        }
    }
}

/// Seconds to add to `at` to move it between UTC and the wall clock of
/// an IANA zone (`US/Pacific`, `Europe/Paris`). A wall-clock time that
/// happens twice when clocks go back is read as the first; one skipped
/// when they go forward, with the offset in force before the change.
fn zone_offset(at: &chrono::NaiveDateTime, zone: &str, to_local: bool) -> Option<i64> {
    use chrono::Offset;
    let tz: chrono_tz::Tz = zone.trim().parse().ok()?;
    let secs = |o: <chrono_tz::Tz as TimeZone>::Offset| i64::from(o.fix().local_minus_utc());
    if to_local {
        return Some(secs(tz.offset_from_utc_datetime(at)));
    }
    let offset = match tz.offset_from_local_datetime(at) {
        chrono::LocalResult::Single(o) | chrono::LocalResult::Ambiguous(o, _) => o,
        chrono::LocalResult::None => {
            tz.offset_from_utc_datetime(&(*at - chrono::Duration::days(1)))
        }
    };
    Some(-secs(offset))
}

pub(super) fn call(name: &str, args: &[KV]) -> Option<KV> {
    if let Some(v) = super::date_math::call(name, args) {
        return Some(v);
    }
    let unit = |n: &str| match n {
        "day" => Some(Unit::Day),
        "week" => Some(Unit::Week),
        "month" => Some(Unit::Month),
        "year" => Some(Unit::Year),
        _ => None,
    };
    let offset = match args.get(1).cloned().map(plain) {
        Some(KV::Long(n)) => n,
        _ => 0,
    };
    let date = match args.first() {
        Some(KV::Date(t)) => Some(*t),
        _ => None,
    };
    if let Some(u) = name.strip_prefix("startof").and_then(unit) {
        return Some(
            date.and_then(|t| start_of(u, t, offset))
                .map_or(KV::Null, KV::Date),
        );
    }
    // The end of a unit is the tick before the next one starts.
    if let Some(u) = name.strip_prefix("endof").and_then(unit) {
        let next = date.and_then(|t| start_of(u, t, offset.checked_add(1)?));
        return Some(next.map_or(KV::Null, |n| KV::Date(n - 1)));
    }
    let Some(d) = date.and_then(to_datetime) else {
        return FUNCTIONS
            .iter()
            .any(|(n, _, _)| *n == name)
            .then_some(KV::Null);
    };
    if let Some(to_local) = match name {
        "datetime_utc_to_local" => Some(true),
        "datetime_local_to_utc" => Some(false),
        _ => None,
    } {
        let zone = args.get(1).map(KV::to_text).unwrap_or_default();
        let shifted = zone_offset(&d.naive_utc(), &zone, to_local)
            .and_then(|secs| date?.checked_add(secs * 10_000_000));
        return Some(shifted.map_or(KV::Null, KV::Date));
    }
    Some(match name {
        "dayofweek" => KV::Span(i64::from(d.weekday().num_days_from_sunday()) * DAY),
        "dayofmonth" => KV::Long(i64::from(d.day())),
        "dayofyear" => KV::Long(i64::from(d.ordinal())),
        "getyear" => KV::Long(i64::from(d.year())),
        "getmonth" | "monthofyear" => KV::Long(i64::from(d.month())),
        "hourofday" => KV::Long(i64::from(d.hour())),
        "week_of_year" | "weekofyear" => KV::Long(i64::from(d.iso_week().week())),
        "format_datetime" => {
            let f = args.get(1).map(KV::to_text).unwrap_or_default();
            date.and_then(|t| super::date_math::format_datetime(t, &f))
                .map_or(KV::Null, KV::Str)
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> KV {
        KV::Date(super::super::value::date_from_str(s).unwrap())
    }

    #[test]
    fn wall_clocks_convert_both_ways_across_daylight_saving() {
        let convert =
            |name: &str, t: &str, zone: &str| call(name, &[at(t), KV::Str(zone.into())]).unwrap();
        // Winter in Paris is an hour ahead of UTC; summer, two.
        assert_eq!(
            convert(
                "datetime_local_to_utc",
                "2020-02-02T20:02:20Z",
                "Europe/Paris"
            ),
            at("2020-02-02T19:02:20Z")
        );
        assert_eq!(
            convert(
                "datetime_utc_to_local",
                "2022-07-11T22:18:48.467862Z",
                "US/Pacific"
            ),
            at("2022-07-11T15:18:48.467862Z")
        );
        // 02:30 on the morning clocks go back happens twice: the first.
        assert_eq!(
            convert(
                "datetime_local_to_utc",
                "2022-10-30T02:30:00Z",
                "Europe/Paris"
            ),
            at("2022-10-30T00:30:00Z")
        );
        assert_eq!(
            convert(
                "datetime_local_to_utc",
                "2020-02-02T20:02:20Z",
                "Mars/Olympus"
            ),
            KV::Null
        );
    }
}
