//! The seed KQL detections, saved from their published text as a user would
//! save them (line numbers stripped), load unchanged and fire on the demo
//! scenario in every log shape; `vigil rules check` reports rule files.

mod common;

use std::process::Command;

use chrono::{TimeZone, Utc};
use common::{fixture, load, shared};
use vigil::ingest::Mapping;
use vigil::rules::elastic;
use vigil::rules::fields::Mapped;
use vigil::rules::guide::SectionKind;
use vigil::rules::index;
use vigil::rules::kql::{self, Ctx};
use vigil::rules::rule::{Kind, Parsed, Severity, Status};

/// The TOML listing of a seed page: lines numbered 1, 2, 3... with the
/// number glued to the text, as the page shows them.
fn saved_toml(seed: &str) -> String {
    let mut out = String::new();
    let mut expected = 1;
    for line in seed.lines() {
        let prefix = expected.to_string();
        if let Some(rest) = line.strip_prefix(&prefix) {
            out.push_str(rest);
            out.push('\n');
            expected += 1;
        } else if expected > 1 {
            break;
        }
    }
    out
}

fn seed(prefix: &str) -> Option<String> {
    let dir = shared("seeds")?;
    let entry = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().starts_with(prefix))?;
    Some(std::fs::read_to_string(entry.path()).unwrap())
}

fn fire_count(rule: &vigil::rules::Rule, dir: &str) -> usize {
    let Parsed::Kql(q) = &rule.parsed else {
        panic!("not KQL")
    };
    let ctx = Ctx::new(Utc.with_ymd_and_hms(2026, 3, 6, 0, 0, 0).unwrap());
    let mapping = Mapping::builtin();
    load(fixture(dir))
        .records
        .iter()
        .filter(|r| index::covers(&rule.index, &index::names(&r.doc, r.kind, mapping)))
        .filter(|r| {
            kql::matches(
                q,
                &Mapped {
                    doc: &r.doc,
                    kind: r.kind,
                    mapping,
                },
                &ctx,
            )
        })
        .count()
}

#[test]
fn storage_key_regenerated_seed_loads_and_fires() {
    let Some(text) = seed("000_") else { return };
    let toml = saved_toml(&text);
    assert!(toml.starts_with("[metadata]\n"), "{toml}");
    let rule = elastic::from_toml("000.toml", &toml).unwrap();
    assert!(matches!(rule.status, Status::Ok), "{:?}", rule.status);
    assert_eq!(rule.name, "Azure Storage Account Key Regenerated");
    assert_eq!(rule.rule_id, "1e0b832e-957e-43ae-b319-db82d228c908");
    assert_eq!((rule.severity, rule.risk_score), (Severity::Low, 21));
    assert!(matches!(rule.kind, Kind::Query));
    assert_eq!(rule.index, ["filebeat-*", "logs-azure*"]);
    assert_eq!(rule.from.as_deref(), Some("now-25m"));
    assert_eq!(rule.timestamp_override.as_deref(), Some("event.ingested"));
    assert_eq!(rule.threat[0].tactic.as_ref().unwrap().id, "TA0006");
    assert_eq!(rule.threat[0].techniques[0].technique.id, "T1528");
    let steps = |k| {
        rule.guide
            .sections
            .iter()
            .find(|s| s.kind == k)
            .map_or(0, |s| s.steps.len())
    };
    assert_eq!(steps(SectionKind::Investigation), 5);
    assert_eq!(steps(SectionKind::FalsePositives), 5);
    assert_eq!(steps(SectionKind::Response), 7);
    let inv = rule
        .guide
        .sections
        .iter()
        .find(|s| s.kind == SectionKind::Investigation)
        .unwrap();
    assert_eq!(inv.steps[1].fields, ["event.outcome"]);
    for dir in ["demo", "demo-azure", "demo-sentinel"] {
        assert_eq!(fire_count(&rule, dir), 9, "{dir}");
    }
}

#[test]
fn key_vault_modified_seed_loads_and_fires() {
    let Some(text) = seed("003_") else { return };
    let rule = elastic::from_toml("003.toml", &saved_toml(&text)).unwrap();
    assert!(matches!(rule.status, Status::Ok), "{:?}", rule.status);
    assert_eq!(rule.name, "Azure Key Vault Modified");
    assert_eq!((rule.severity, rule.risk_score), (Severity::Medium, 47));
    let t = &rule.threat[0].techniques[0];
    assert_eq!(
        (t.technique.id.as_str(), t.subtechniques[0].id.as_str()),
        ("T1552", "T1552.001")
    );
    for dir in ["demo", "demo-azure", "demo-sentinel"] {
        assert_eq!(fire_count(&rule, dir), 3, "{dir}");
    }
}

#[test]
fn every_kuery_rule_in_the_corpus_parses() {
    let Some(dir) = shared("corpus/rules/elastic") else {
        return;
    };
    let files = vigil::rules::load::load(&[dir]);
    let rules: Vec<_> = files.iter().flat_map(|f| f.rules.iter()).collect();
    assert_eq!(rules.len(), 71);
    let kuery: Vec<_> = rules.iter().filter(|r| r.language == "kuery").collect();
    assert_eq!(kuery.len(), 54);
    for r in &kuery {
        assert!(matches!(r.status, Status::Ok), "{}: {:?}", r.file, r.status);
    }
    let thresholds = rules
        .iter()
        .filter(|r| matches!(r.kind, Kind::Threshold { .. }))
        .count();
    let new_terms = rules
        .iter()
        .filter(|r| matches!(r.kind, Kind::NewTerms { .. }))
        .count();
    assert_eq!((thresholds, new_terms), (4, 18));
    for r in rules.iter().filter(|r| r.language == "eql") {
        assert!(
            matches!(&r.status, Status::Unsupported(why) if why.contains("EQL")),
            "{}",
            r.file
        );
    }
}

#[test]
fn rules_check_reports_errors_with_positions_and_exit_status() {
    let dir = tempfile::tempdir().unwrap();
    let good = "[metadata]\nmaturity = \"production\"\n\n[rule]\nname = \"Good\"\nrule_id = \"g-1\"\nrisk_score = 21\nseverity = \"low\"\ntype = \"query\"\nlanguage = \"kuery\"\nquery = '''\nevent.action:SecretGet\n'''\n";
    let bad = "[metadata]\n\n[rule]\nname = \"Bad\"\nrule_id = \"b-1\"\nrisk_score = 21\nseverity = \"low\"\ntype = \"query\"\nlanguage = \"kuery\"\nquery = '''\nevent.action:(SecretGet or\n'''\n";
    let export = "{\"rule_id\":\"k-1\",\"name\":\"Exported\",\"type\":\"threshold\",\"language\":\"kuery\",\"query\":\"event.action:KeyGet\",\"risk_score\":47,\"severity\":\"medium\",\"threshold\":{\"field\":[\"user.name\"],\"value\":10,\"cardinality\":[]}}\n{\"exported_count\":1,\"missing_rules\":[]}\n";
    std::fs::write(dir.path().join("good.toml"), good).unwrap();
    std::fs::write(dir.path().join("bad.toml"), bad).unwrap();
    std::fs::write(dir.path().join("export.ndjson"), export).unwrap();
    std::fs::write(dir.path().join("README.md"), "# rules\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["rules", "check", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((v["ok"].as_u64(), v["errors"].as_u64()), (Some(2), Some(1)));
    let bad = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "Bad")
        .unwrap();
    assert_eq!(bad["status"], "error");
    assert_eq!(bad["reason"]["line"], 11);
    assert_eq!(bad["reason"]["column"], 27);
    let exported = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "Exported")
        .unwrap();
    assert_eq!(
        (exported["kind"].as_str(), exported["format"].as_str()),
        (Some("threshold"), Some("kibana-ndjson"))
    );

    std::fs::remove_file(dir.path().join("bad.toml")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["rules", "check"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8(out.stdout).unwrap().contains("2 ok"));
}
