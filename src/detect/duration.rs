//! Rule time settings: Elastic's `interval = "5m"` and `from = "now-6m"`,
//! Sentinel's `PT1H` / `1h` / `5d`.

use chrono::Duration;

/// `5m`, `1h`, `2d`, `30s`, `1w`; also `now-9m` (the look-back of `from`)
/// and ISO 8601 `PT1H`, `P1D`.
pub fn parse(s: &str) -> Option<Duration> {
    let s = s.trim();
    if let Some(rest) = s.strip_prefix("now-") {
        return parse(rest);
    }
    if let Some(iso) = s.strip_prefix('P').or_else(|| s.strip_prefix('p')) {
        return iso8601(iso);
    }
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let n: i64 = s.get(..digits)?.parse().ok()?;
    let unit = &s[digits..];
    Some(match unit {
        "s" => Duration::try_seconds(n)?,
        "m" => Duration::try_minutes(n)?,
        "h" | "H" => Duration::try_hours(n)?,
        "d" => Duration::try_days(n)?,
        "w" => Duration::try_weeks(n)?,
        _ => return None,
    })
}

fn iso8601(s: &str) -> Option<Duration> {
    let mut total = Duration::zero();
    let mut in_time = false;
    let mut num = String::new();
    for c in s.chars() {
        match c {
            'T' | 't' => in_time = true,
            '0'..='9' => num.push(c),
            u => {
                let n: i64 = num.parse().ok()?;
                num.clear();
                total += match (u.to_ascii_uppercase(), in_time) {
                    ('D', false) => Duration::try_days(n)?,
                    ('W', false) => Duration::try_weeks(n)?,
                    ('H', true) => Duration::try_hours(n)?,
                    ('M', true) => Duration::try_minutes(n)?,
                    ('S', true) => Duration::try_seconds(n)?,
                    _ => return None,
                };
            }
        }
    }
    num.is_empty().then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert_eq!(parse("5m"), Some(Duration::minutes(5)));
        assert_eq!(parse("now-25m"), Some(Duration::minutes(25)));
        assert_eq!(parse("PT1H"), Some(Duration::hours(1)));
        assert_eq!(parse("P1DT12H"), Some(Duration::hours(36)));
        assert_eq!(parse("14d"), Some(Duration::days(14)));
        assert_eq!(parse("soon"), None);
    }
}
