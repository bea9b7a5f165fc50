//! Elastic's own KQL cases (from `../shared/conformance/kql.jsonl`): every
//! query parses or is refused as Elastic does, and matches exactly the
//! documents Elastic matches.

mod common;

use chrono::{TimeZone, Utc};
use serde_json::Value;
use vigil::rules::fields::Plain;
use vigil::rules::kql::{self, Ctx, schema};

#[test]
fn every_kql_conformance_case_passes() {
    let Some(path) = common::shared("conformance/kql.jsonl") else {
        return;
    };
    let text = std::fs::read_to_string(path).unwrap();
    let ctx = Ctx::untyped(Utc.with_ymd_and_hms(2026, 3, 4, 12, 0, 0).unwrap());
    let mut failures = Vec::new();
    let mut count = 0;
    let mut kibana_accepts = 0;
    for (i, line) in text.lines().enumerate() {
        let case: Value = serde_json::from_str(line).unwrap();
        count += 1;
        let query = case["query"].as_str().unwrap();
        let expect = &case["expect"];
        let parsed = kql::parse(query);
        let types = |name: &str| {
            case["schema"]
                .get(name)
                .and_then(Value::as_str)
                .map(schema::FieldType::from_es)
        };
        let checked = parsed
            .clone()
            .and_then(|q| schema::check(&q, &types).map(|()| q));
        if expect["error"] == Value::Bool(true) {
            // Cases that only detection-rules' strict parser refuses:
            // Kibana accepts upper-case keywords, and so does Vigil.
            if case["profile"] == "detection-rules-strict" {
                kibana_accepts += 1;
                if let Err(e) = &checked {
                    failures.push(format!(
                        "line {}: {query:?} should parse as in Kibana: {e}",
                        i + 1
                    ));
                }
            } else if let Ok(q) = &checked {
                failures.push(format!(
                    "line {}: {query:?} should be refused, parsed as {q:?}",
                    i + 1
                ));
            }
            continue;
        }
        let q = match checked {
            Ok(q) => q,
            Err(e) => {
                failures.push(format!(
                    "line {}: {query:?} refused: {}",
                    i + 1,
                    e.render(query)
                ));
                continue;
            }
        };
        let want: Vec<u64> = expect["matches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        let got: Vec<u64> = case["input"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .filter(|(_, doc)| kql::matches(&q, &Plain(doc), &ctx))
            .map(|(i, _)| i as u64)
            .collect();
        if got != want {
            failures.push(format!(
                "line {}: {query:?}: matched {got:?}, expected {want:?} ({})",
                i + 1,
                case["note"].as_str().unwrap_or("")
            ));
        }
    }
    println!("{count} KQL cases, {kibana_accepts} accepted as Kibana accepts them");
    assert!(
        failures.is_empty(),
        "{} of {count} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
