//! The seed ES|QL detection over the demo scenario, in every log shape:
//! one row per UPN-minute that crosses the threshold, each linked to the
//! events behind it.

mod common;

use std::collections::HashMap;
use std::process::Command;

use common::{fixture, shared};
use vigil::detect::EventRef;
use vigil::detect::esql::EsqlRun;
use vigil::ingest::{self, LoadOptions, Mapping};
use vigil::model::{Canonical, SourceKind};
use vigil::rules::esql;

/// The query as the seed page shows it, under "Rule query".
fn seed_query() -> Option<String> {
    let dir = shared("seeds")?;
    let entry = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().starts_with("004_"))?;
    let text = std::fs::read_to_string(entry.path()).unwrap();
    let start = text.find("Rule query\n\nedit\n")? + "Rule query\n\nedit\n".len();
    let end = start + text[start..].find("\nFramework:")?;
    Some(text[start..end].trim().to_string())
}

struct Outcome {
    rows: Vec<serde_json::Value>,
    evidence: Vec<Vec<(SourceKind, Canonical)>>,
}

fn run(query: &str, dir: &str) -> Outcome {
    let q = esql::compile(query).unwrap_or_else(|e| panic!("{}", e.render(query)));
    let mapping = Mapping::builtin();
    let mut run = EsqlRun::new(q, 0);
    let mut canon: HashMap<EventRef, (SourceKind, Canonical)> = HashMap::new();
    ingest::load(&[fixture(dir)], &LoadOptions::default(), &mut |ev| {
        run.offer(&ev, mapping, None);
        let c = mapping.canonical(&ev.doc, ev.kind);
        canon.insert(EventRef::new(&ev.loc, c.time), (ev.kind, c));
    });
    let table = run.finish();
    Outcome {
        rows: table.to_json_rows(),
        evidence: table
            .rows
            .iter()
            .map(|r| r.evidence.iter().map(|e| canon[e].clone()).collect())
            .collect(),
    }
}

#[test]
fn seed_esql_rule_fires_once_per_crossing_minute_with_its_evidence() {
    let Some(query) = seed_query() else { return };
    let mut first: Option<Vec<serde_json::Value>> = None;
    for dir in ["demo", "demo-azure", "demo-sentinel"] {
        let r = run(&query, dir);
        let summary: Vec<(String, String, i64, i64)> = r
            .rows
            .iter()
            .map(|row| {
                (
                    row["Esql.time_window_date_trunc"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                    row["Esql_priv.azure_platformlogs_identity_claim_upn_values"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                    row["Esql.event_count"].as_i64().unwrap(),
                    row["Esql.event_action_count_distinct"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "2026-03-04T09:42:00.000Z".into(),
                    "megan.ross@contoso-lab.com".into(),
                    11,
                    2
                ),
                (
                    "2026-03-04T09:41:00.000Z".into(),
                    "megan.ross@contoso-lab.com".into(),
                    14,
                    5
                ),
            ],
            "{dir}"
        );
        // Each row links to exactly the reads that made it.
        for (row, ev) in r.rows.iter().zip(&r.evidence) {
            assert_eq!(
                ev.len() as i64,
                row["Esql.event_count"].as_i64().unwrap(),
                "{dir}"
            );
            let minute = &row["Esql.time_window_date_trunc"].as_str().unwrap()[..16];
            for (kind, c) in ev {
                assert_eq!(*kind, SourceKind::KeyVault);
                assert_eq!(c.upn.as_deref(), Some("megan.ross@contoso-lab.com"));
                assert!(
                    c.time.unwrap().to_rfc3339().starts_with(minute),
                    "{minute} {c:?}"
                );
            }
        }
        // Detection columns agree in every shape; enrichment that only the
        // Elastic agent adds (cloud.region, agent.name, geo) may not.
        let keys = |rows: &[serde_json::Value]| -> Vec<String> {
            rows.iter()
                .map(|row| {
                    [
                        "Esql.time_window_date_trunc",
                        "Esql_priv.azure_platformlogs_identity_claim_upn_values",
                        "Esql.event_action_values",
                        "Esql.source_ip_values",
                        "Esql.azure_resource_name_values",
                        "Esql.azure_subscription_id_values",
                        "Esql.azure_resource_group_values",
                        "Esql.azure_platformlogs_identity_claim_appid_values",
                    ]
                    .iter()
                    .map(|k| row[*k].to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
                })
                .collect()
        };
        match &first {
            None => first = Some(r.rows),
            Some(f) => assert_eq!(keys(f), keys(&r.rows), "{dir} differs from the ECS shape"),
        }
    }
}

#[test]
fn corpus_esql_rules_parse_and_the_key_vault_rule_runs() {
    let Some(dir) = shared("corpus/rules/elastic") else {
        return;
    };
    let files = vigil::rules::load::load(&[dir]);
    let esql_rules: Vec<_> = files
        .iter()
        .flat_map(|f| f.rules.iter())
        .filter(|r| r.language == "esql")
        .collect();
    assert_eq!(esql_rules.len(), 11);
    for r in &esql_rules {
        assert!(
            matches!(r.status, vigil::rules::Status::Ok),
            "{}: {:?}",
            r.file,
            r.status
        );
    }
    let kv = esql_rules
        .iter()
        .find(|r| {
            r.file
                .ends_with("credential_access_key_vault_excessive_retrieval.toml")
        })
        .unwrap();
    let rows = run(&kv.query, "demo").rows;
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|r| r.to_string().contains("megan.ross@contoso-lab.com")),
        "{rows:?}"
    );
}

#[test]
fn search_esql_prints_rows_and_names_indices() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("anything.json");
    std::fs::write(
        &f,
        "{\"user\":\"a\",\"n\":1}\n{\"user\":\"b\",\"n\":2}\n{\"user\":\"a\",\"n\":5}\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args([
            "search",
            "--esql",
            "FROM mine | STATS total = SUM(n), c = COUNT(*) BY user | SORT user",
            "--index",
        ])
        .arg(format!("mine={}", f.display()))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "{\"total\":6,\"c\":2,\"user\":\"a\"}\n{\"total\":2,\"c\":1,\"user\":\"b\"}\n"
    );
    let bad = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["search", "--esql", "FROM x | STATS c = NOPE(n)"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("Unknown function NOPE"));
}
