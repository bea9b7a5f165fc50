//! Date arithmetic by calendar part: `datetime_part`, `datetime_add`,
//! `datetime_diff`, `make_datetime`, Unix times, and `format_timespan`.
//! Datetimes and timespans are 100-nanosecond ticks.

use chrono::{Datelike, Months, TimeZone, Timelike, Utc};

use super::dates::DAY;
use super::eval::plain;
use super::value::{KV, to_datetime, to_ticks};

const SECOND: i64 = 10_000_000;

/// A calendar part, as `datetime_part`, `datetime_add` and
/// `datetime_diff` name them (case aside).
#[derive(Clone, Copy, PartialEq)]
enum Part {
    Year,
    Quarter,
    Month,
    Week,
    Day,
    DayOfYear,
    Hour,
    Minute,
    Second,
    Millisecond,
    Microsecond,
    Nanosecond,
}

fn part(name: &KV) -> Option<Part> {
    Some(match name.to_text().to_ascii_lowercase().as_str() {
        "year" => Part::Year,
        "quarter" => Part::Quarter,
        "month" => Part::Month,
        "week" | "week_of_year" | "weekofyear" => Part::Week,
        "day" => Part::Day,
        "dayofyear" => Part::DayOfYear,
        "hour" => Part::Hour,
        "minute" => Part::Minute,
        "second" => Part::Second,
        "millisecond" => Part::Millisecond,
        "microsecond" => Part::Microsecond,
        "nanosecond" => Part::Nanosecond,
        _ => return None,
    })
}

/// Ticks in one unit of a part of fixed length.
fn ticks_of(p: Part) -> Option<i64> {
    Some(match p {
        Part::Week => 7 * DAY,
        Part::Day | Part::DayOfYear => DAY,
        Part::Hour => 3600 * SECOND,
        Part::Minute => 60 * SECOND,
        Part::Second => SECOND,
        Part::Millisecond => 10_000,
        Part::Microsecond => 10,
        _ => return None,
    })
}

fn number(v: Option<&KV>) -> Option<f64> {
    v.cloned().map(plain).and_then(|v| v.as_f64())
}

fn date(v: Option<&KV>) -> Option<i64> {
    match v {
        Some(KV::Date(t)) => Some(*t),
        _ => None,
    }
}

/// `None` for a name this module does not hold.
pub(super) fn call(name: &str, args: &[KV]) -> Option<KV> {
    let out = match name {
        "datetime_part" => date_part(args),
        "datetime_add" => date_add(args),
        "datetime_diff" => date_diff(args),
        "make_datetime" => make(args),
        "format_timespan" => format_span(args),
        "bin_at" => bin_at(args),
        // Offline, rows carry no ingestion time.
        "ingestion_time" => None,
        _ => {
            let per_unit = match name {
                "unixtime_seconds_todatetime" => SECOND as f64,
                "unixtime_milliseconds_todatetime" => 10_000.0,
                "unixtime_microseconds_todatetime" => 10.0,
                "unixtime_nanoseconds_todatetime" => 0.01,
                _ => return None,
            };
            number(args.first())
                .map(|n| n * per_unit)
                .filter(|t| t.is_finite() && t.abs() < 9.0e18)
                .map(|t| KV::Date(t.round() as i64))
        }
    };
    Some(out.unwrap_or(KV::Null))
}

/// `bin_at(value, size, fixed)`: bins of `size` laid out so that one
/// starts at `fixed`.
fn bin_at(args: &[KV]) -> Option<KV> {
    let arg = |i: usize| args.get(i).cloned().map(plain);
    let floor_at =
        |v: i64, s: i64, f: i64| -> Option<i64> { (s > 0).then(|| f + (v - f).div_euclid(s) * s) };
    Some(match (arg(0)?, arg(1)?, arg(2)?) {
        (KV::Date(v), KV::Span(s), KV::Date(f)) => KV::Date(floor_at(v, s, f)?),
        (KV::Span(v), KV::Span(s), KV::Span(f)) => KV::Span(floor_at(v, s, f)?),
        (KV::Long(v), KV::Long(s), KV::Long(f)) => KV::Long(floor_at(v, s, f)?),
        (v, s, f) => {
            let (v, s, f) = (v.as_f64()?, s.as_f64()?, f.as_f64()?);
            if s <= 0.0 {
                return None;
            }
            KV::Real(f + ((v - f) / s).floor() * s)
        }
    })
}

fn date_part(args: &[KV]) -> Option<KV> {
    let p = part(args.first()?)?;
    let t = date(args.get(1))?;
    let d = to_datetime(t)?;
    let sub = t.rem_euclid(SECOND);
    Some(KV::Long(match p {
        Part::Year => i64::from(d.year()),
        Part::Quarter => i64::from(d.month0() / 3 + 1),
        Part::Month => i64::from(d.month()),
        Part::Week => i64::from(d.iso_week().week()),
        Part::Day => i64::from(d.day()),
        Part::DayOfYear => i64::from(d.ordinal()),
        Part::Hour => i64::from(d.hour()),
        Part::Minute => i64::from(d.minute()),
        Part::Second => i64::from(d.second()),
        Part::Millisecond => sub / 10_000,
        Part::Microsecond => sub / 10,
        Part::Nanosecond => sub * 100,
    }))
}

fn date_add(args: &[KV]) -> Option<KV> {
    let p = part(args.first()?)?;
    let amount = match args.get(1).cloned().map(plain) {
        Some(KV::Long(n)) => n,
        Some(KV::Real(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => f as i64,
        _ => return None,
    };
    let t = date(args.get(2))?;
    let months = match p {
        Part::Year => Some(amount.checked_mul(12)?),
        Part::Quarter => Some(amount.checked_mul(3)?),
        Part::Month => Some(amount),
        _ => None,
    };
    let moved = match months {
        // Calendar months: the 31st of January plus a month is the last
        // day of February.
        Some(m) => {
            let d = to_datetime(t)?;
            let step = Months::new(u32::try_from(m.unsigned_abs()).ok()?);
            let d = if m >= 0 {
                d.checked_add_months(step)?
            } else {
                d.checked_sub_months(step)?
            };
            to_ticks(d) + t.rem_euclid(10)
        }
        None if p == Part::Nanosecond => t.checked_add(amount / 100)?,
        None => t.checked_add(amount.checked_mul(ticks_of(p)?)?)?,
    };
    Some(KV::Date(moved))
}

/// How many times the part's boundary is crossed going from the second
/// datetime to the first: `datetime_diff('day', 00:00 on the 29th, 23:59
/// on the 28th)` is 1.
fn date_diff(args: &[KV]) -> Option<KV> {
    let p = part(args.first()?)?;
    let (a, b) = (date(args.get(1))?, date(args.get(2))?);
    let index = |t: i64| -> Option<i64> {
        let d = to_datetime(t)?;
        Some(match p {
            Part::Year => i64::from(d.year()),
            Part::Quarter => i64::from(d.year()) * 4 + i64::from(d.month0() / 3),
            Part::Month => i64::from(d.year()) * 12 + i64::from(d.month0()),
            // Weeks start on Sunday; 1970-01-01 was a Thursday.
            Part::Week => (t.div_euclid(DAY) + 4).div_euclid(7),
            Part::Nanosecond => t.checked_mul(100)?,
            other => t.div_euclid(ticks_of(other)?),
        })
    };
    Some(KV::Long(index(a)?.checked_sub(index(b)?)?))
}

fn make(args: &[KV]) -> Option<KV> {
    let whole = |i: usize| -> Option<u32> {
        match args.get(i) {
            None => Some(0),
            Some(v) => number(Some(v))
                .filter(|n| *n >= 0.0 && n.fract() == 0.0)
                .map(|n| n as u32),
        }
    };
    let year = i32::try_from(whole(0)?).ok()?;
    let (month, day, hour, minute) = (whole(1)?, whole(2)?, whole(3)?, whole(4)?);
    let second = match args.get(5) {
        None => 0.0,
        v => number(v).filter(|s| (0.0..60.0).contains(s))?,
    };
    let start = Utc
        .with_ymd_and_hms(year, month, day, hour, minute, 0)
        .single()?;
    Some(KV::Date(
        to_ticks(start) + (second * SECOND as f64).round() as i64,
    ))
}

/// `format_timespan(span, "d.hh:mm:ss.fff")`: days `d`, hours `h`/`H`,
/// minutes `m`, seconds `s`, each padded to the length of its run;
/// `f` the fraction to that many digits, `F` the same without trailing
/// zeros; anything else is copied.
fn format_span(args: &[KV]) -> Option<KV> {
    let t = match args.first().cloned().map(plain)? {
        KV::Span(t) => t,
        _ => return None,
    };
    let format = args.get(1)?.to_text();
    let sign = if t < 0 { "-" } else { "" };
    let t = t.unsigned_abs();
    let second = SECOND as u64;
    let (days, rest) = (t / (DAY as u64), t % (DAY as u64));
    let (hours, minutes, seconds) = (
        rest / (3600 * second),
        rest / (60 * second) % 60,
        rest / second % 60,
    );
    let fraction = format!("{:07}", rest % second);
    let mut out = String::from(sign);
    for (c, run) in runs(&format) {
        let padded = |n: u64| format!("{n:0run$}");
        match c {
            'd' => out.push_str(&padded(days)),
            'h' | 'H' => out.push_str(&padded(hours)),
            'm' => out.push_str(&padded(minutes)),
            's' => out.push_str(&padded(seconds)),
            'f' => out.push_str(&fraction[..run.min(7)]),
            'F' => out.push_str(fraction[..run.min(7)].trim_end_matches('0')),
            _ => {
                out.extend(std::iter::repeat_n(c, run));
            }
        }
    }
    Some(KV::Str(out))
}

/// `format_datetime(t, "yyyy-MM-dd HH:mm:ss.fff tt")`: year `y`/`yy`/
/// `yyyy`, month `M`, day `d`, hours `H` (24) or `h` (12), minutes `m`,
/// seconds `s`, each padded to the length of its run; `f` the fraction to
/// that many digits, `F` the same without trailing zeros (and without its
/// dot when nothing is left); `tt` AM or PM; anything else is copied.
pub(super) fn format_datetime(ticks: i64, format: &str) -> Option<String> {
    let d = to_datetime(ticks)?;
    let fraction = format!("{:07}", ticks.rem_euclid(SECOND));
    let mut out = String::new();
    for (c, run) in runs(format) {
        let padded = |n: i64| format!("{n:0run$}");
        match c {
            'y' if run <= 2 => out.push_str(&format!("{:0run$}", d.year().rem_euclid(100))),
            'y' => out.push_str(&padded(i64::from(d.year()))),
            'M' => out.push_str(&padded(i64::from(d.month()))),
            'd' => out.push_str(&padded(i64::from(d.day()))),
            'H' => out.push_str(&padded(i64::from(d.hour()))),
            'h' => out.push_str(&padded(i64::from((d.hour() + 11) % 12 + 1))),
            'm' => out.push_str(&padded(i64::from(d.minute()))),
            's' => out.push_str(&padded(i64::from(d.second()))),
            'f' => out.push_str(&fraction[..run.min(7)]),
            'F' => {
                let digits = fraction[..run.min(7)].trim_end_matches('0');
                if digits.is_empty() && out.ends_with('.') {
                    out.pop();
                }
                out.push_str(digits);
            }
            't' => out.push_str(if d.hour() < 12 { "AM" } else { "PM" }),
            _ => out.extend(std::iter::repeat_n(c, run)),
        }
    }
    Some(out)
}

/// A format string as runs of one character (`yyyy`, `-`, `MM`), each with
/// its length: format specifiers are told by their letter and padded to
/// their run.
fn runs(format: &str) -> impl Iterator<Item = (char, usize)> + '_ {
    let mut rest = format.chars().peekable();
    std::iter::from_fn(move || {
        let c = rest.next()?;
        let mut run = 1;
        while rest.next_if_eq(&c).is_some() {
            run += 1;
        }
        Some((c, run))
    })
}

#[cfg(test)]
mod tests {
    use super::super::value::date_from_str;
    use super::*;

    fn at(s: &str) -> KV {
        KV::Date(date_from_str(s).unwrap())
    }

    fn s(x: &str) -> KV {
        KV::Str(x.into())
    }

    #[test]
    fn diff_counts_boundaries_crossed_as_kusto_documents() {
        let diff =
            |p: &str, a: &str, b: &str| call("datetime_diff", &[s(p), at(a), at(b)]).unwrap();
        assert_eq!(diff("year", "2017-01-01", "2000-12-31"), KV::Long(17));
        assert_eq!(diff("quarter", "2017-07-01", "2017-03-30"), KV::Long(2));
        assert_eq!(diff("month", "2017-01-01", "2015-12-30"), KV::Long(13));
        assert_eq!(
            diff("week", "2017-10-29 00:00", "2017-09-30 23:59"),
            KV::Long(5)
        );
        assert_eq!(
            diff("day", "2017-10-29 00:00", "2017-09-30 23:59"),
            KV::Long(29)
        );
        assert_eq!(
            diff("hour", "2017-10-31 01:00", "2017-10-30 23:59"),
            KV::Long(2)
        );
        assert_eq!(
            diff("minute", "2017-10-30 23:05:01", "2017-10-30 23:00:59"),
            KV::Long(5)
        );
        assert_eq!(
            diff(
                "second",
                "2017-10-30 23:00:10.100",
                "2017-10-30 23:00:00.900"
            ),
            KV::Long(10)
        );
        assert_eq!(
            diff(
                "millisecond",
                "2017-10-30 23:00:00.200100",
                "2017-10-30 23:00:00.100900"
            ),
            KV::Long(100)
        );
        assert_eq!(
            call(
                "datetime_diff",
                &[s("fortnight"), at("2017-01-01"), at("2017-01-02")]
            ),
            Some(KV::Null)
        );
    }

    #[test]
    fn add_moves_by_calendar_months_and_fixed_units() {
        let add =
            |p: &str, n: i64, t: &str| call("datetime_add", &[s(p), KV::Long(n), at(t)]).unwrap();
        assert_eq!(add("month", 1, "2017-01-31"), at("2017-02-28"));
        assert_eq!(add("year", -1, "2016-02-29"), at("2015-02-28"));
        assert_eq!(add("quarter", 1, "2017-01-01"), at("2017-04-01"));
        assert_eq!(add("week", 2, "2017-01-01"), at("2017-01-15"));
        assert_eq!(add("hour", 36, "2017-01-01"), at("2017-01-02 12:00"));
        assert_eq!(
            add("Millisecond", 1500, "2017-01-01"),
            at("2017-01-01 00:00:01.5")
        );
    }

    #[test]
    fn parts_make_and_unix_times() {
        let t = at("2017-10-30 01:02:03.7654321");
        let part = |p: &str| call("datetime_part", &[s(p), t.clone()]).unwrap();
        assert_eq!(part("Year"), KV::Long(2017));
        assert_eq!(part("Quarter"), KV::Long(4));
        assert_eq!(part("week_of_year"), KV::Long(44));
        assert_eq!(part("DayOfYear"), KV::Long(303));
        assert_eq!(part("Hour"), KV::Long(1));
        assert_eq!(part("Millisecond"), KV::Long(765));
        assert_eq!(part("Nanosecond"), KV::Long(765_432_100));
        let made = call(
            "make_datetime",
            &[
                KV::Long(2017),
                KV::Long(10),
                KV::Long(1),
                KV::Long(12),
                KV::Long(10),
                KV::Real(30.5),
            ],
        );
        assert_eq!(made, Some(at("2017-10-01 12:10:30.5")));
        assert_eq!(
            call(
                "make_datetime",
                &[KV::Long(2017), KV::Long(2), KV::Long(30)]
            ),
            Some(KV::Null)
        );
        assert_eq!(
            call("unixtime_seconds_todatetime", &[KV::Long(1546300800)]),
            Some(at("2019-01-01"))
        );
        assert_eq!(
            call(
                "unixtime_milliseconds_todatetime",
                &[KV::Long(1546300800123)]
            ),
            Some(at("2019-01-01 00:00:00.123"))
        );
    }

    #[test]
    fn bins_line_up_with_the_fixed_point() {
        let hour = KV::Span(3600 * SECOND);
        let got = call(
            "bin_at",
            &[
                at("2017-05-15 10:20:00"),
                hour.clone(),
                at("2017-05-15 10:02:00"),
            ],
        );
        assert_eq!(got, Some(at("2017-05-15 10:02:00")));
        let got = call(
            "bin_at",
            &[at("2017-05-15 09:59:00"), hour, at("2017-05-15 10:02:00")],
        );
        assert_eq!(got, Some(at("2017-05-15 09:02:00")));
        assert_eq!(
            call("bin_at", &[KV::Real(6.5), KV::Real(2.5), KV::Real(7.0)]),
            Some(KV::Real(4.5))
        );
        assert_eq!(
            call("bin_at", &[KV::Long(6), KV::Long(0), KV::Long(7)]),
            Some(KV::Null)
        );
    }

    #[test]
    fn timespans_format_as_the_documented_examples() {
        // 29 days, 9 hours, 5.12345 seconds.
        let span = KV::Span(29 * DAY + 9 * 3600 * SECOND + 5 * SECOND + 1_234_500);
        let f = |fmt: &str| call("format_timespan", &[span.clone(), s(fmt)]).unwrap();
        assert_eq!(f("dd.hh:mm:ss:FF"), s("29.09:00:05:12"));
        assert_eq!(f("ddd.h:mm:ss [fffffff]"), s("029.9:00:05 [1234500]"));
        assert_eq!(f("h:m:s.FFFFFFF"), s("9:0:5.12345"));
    }
}
