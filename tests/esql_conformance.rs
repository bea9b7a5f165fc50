//! Elasticsearch's own ES|QL cases (`../shared/conformance/esql.jsonl`):
//! the same columns and rows as Elasticsearch gives.

mod common;

use serde_json::Value;
use vigil::rules::esql::{self, Runner, Source};
use vigil::rules::fields::Plain;
use vigil::rules::kql::schema::FieldType;

/// Values compare as Elasticsearch's tests do: numbers by value (1 and
/// 1.0), dates by instant, arrays element by element.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::String(x), Value::String(y)) => {
            x == y
                || matches!((vigil::model::parse_time(x), vigil::model::parse_time(y)), (Some(p), Some(q)) if p == q)
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        _ => a == b,
    }
}

fn row_same(a: &Value, b: &Value, cols: &[String]) -> bool {
    cols.iter().all(|c| {
        same(
            a.get(c).unwrap_or(&Value::Null),
            b.get(c).unwrap_or(&Value::Null),
        )
    })
}

#[test]
fn every_esql_conformance_case_passes() {
    let Some(path) = common::shared("conformance/esql.jsonl") else {
        return;
    };
    let text = std::fs::read_to_string(path).unwrap();
    let mut failures = Vec::new();
    let mut count = 0;
    for (i, line) in text.lines().enumerate() {
        count += 1;
        let case: Value = serde_json::from_str(line).unwrap();
        let query = case["query"].as_str().unwrap();
        let expect = &case["expect"];
        let compiled = esql::compile(query);
        if expect["error"] == Value::Bool(true) {
            if compiled.is_ok() {
                failures.push(format!("line {}: should be refused: {query}", i + 1));
            }
            continue;
        }
        let q = match compiled {
            Ok(q) => q,
            Err(e) => {
                failures.push(format!("line {}: refused: {}", i + 1, e.render(query)));
                continue;
            }
        };
        let types = |name: &str| -> Option<FieldType> {
            case["input_types"]
                .get(name)
                .and_then(Value::as_str)
                .map(FieldType::from_es)
        };
        let mut runner = Runner::new(q, 0);
        for doc in case["input"].as_array().unwrap() {
            runner.push(&Source {
                fields: &Plain(doc),
                types: &types,
                evidence: None,
                metadata: Vec::new(),
            });
        }
        let table = runner.finish();
        let want_cols: Vec<String> = expect["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().split(':').next().unwrap().to_string())
            .collect();
        if table.columns != want_cols {
            failures.push(format!(
                "line {}: columns {:?}, expected {want_cols:?}: {query}",
                i + 1,
                table.columns
            ));
            continue;
        }
        let got = table.to_json_rows();
        let want = expect["rows"].as_array().unwrap();
        let ok = got.len() == want.len()
            && if expect["ordered"] == Value::Bool(true) {
                got.iter()
                    .zip(want)
                    .all(|(a, b)| row_same(a, b, &want_cols))
            } else {
                let mut left: Vec<&Value> = got.iter().collect();
                want.iter().all(
                    |w| match left.iter().position(|g| row_same(g, w, &want_cols)) {
                        Some(p) => {
                            left.remove(p);
                            true
                        }
                        None => false,
                    },
                )
            };
        if !ok {
            failures.push(format!(
                "line {}: {query}\n  got  {}\n  want {}",
                i + 1,
                serde_json::to_string(&got)
                    .unwrap()
                    .chars()
                    .take(600)
                    .collect::<String>(),
                serde_json::to_string(want)
                    .unwrap()
                    .chars()
                    .take(600)
                    .collect::<String>()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
