//! `vigil hunt` with the bundled rules on the demo scenario: exactly the
//! expected alerts, the same in every shape the scenario ships, with ids
//! that stay the same from one run to the next.

mod common;

use std::process::Command;

use serde_json::Value;

fn hunt(dir: &str, format: &str) -> (String, String) {
    hunt_path(&format!("fixtures/{dir}"), format)
}

fn hunt_path(path: &str, format: &str) -> (String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["hunt", "--format", format])
        .arg(path)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn alerts(dir: &str) -> Vec<Value> {
    hunt(dir, "ndjson")
        .0
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn first_entity(a: &Value, kind: &str) -> String {
    a["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == kind)
        .map_or("-".into(), |e| e["value"].as_str().unwrap().to_string())
}

/// (rule, first account, first address, hits grouped, evidence events).
type Row = (String, String, String, u64, u64);

fn summary(alerts: &[Value]) -> Vec<Row> {
    alerts
        .iter()
        .map(|a| {
            (
                a["rule_name"].as_str().unwrap().to_string(),
                first_entity(a, "account"),
                first_entity(a, "ip"),
                a["count"].as_u64().unwrap(),
                a["evidence_total"].as_u64().unwrap(),
            )
        })
        .collect()
}

const MEGAN: &str = "megan.ross@contoso-lab.com";
const ATTACKER: &str = "185.220.101.47";
const ROTATION: &str = "3f9a1c2e-7b4d-4e8f-9a0b-1c2d3e4f5a6b";

#[test]
fn bundled_rules_find_exactly_the_story_in_every_shape() {
    let expected: Vec<(&str, &str, &str, u64, u64)> = vec![
        // The nightly key rotation: a benign positive of two rules, grouped
        // into one alert each over the four nights.
        (
            "Azure Storage Account Key Regenerated",
            ROTATION,
            "20.50.2.10",
            8,
            8,
        ),
        (
            "Azure Storage Account Keys Listed",
            ROTATION,
            "20.50.2.10",
            8,
            8,
        ),
        (
            "Azure Storage Account Keys Listed",
            "alex.kim@contoso-lab.com",
            "198.51.100.12",
            1,
            1,
        ),
        (
            "Entra ID Password Spray from One Address",
            MEGAN,
            "203.0.113.66",
            1,
            10,
        ),
        (
            "Storage Account Keys Listed from an Address that Also Changed Roles",
            MEGAN,
            ATTACKER,
            1,
            5,
        ),
        (
            "Successful Sign-ins from Two Countries within Two Hours",
            MEGAN,
            ATTACKER,
            1,
            1,
        ),
        ("Privileged Entra ID Role Assigned", MEGAN, ATTACKER, 1, 1),
        (
            "Azure Role Assignments Created in Bulk",
            MEGAN,
            ATTACKER,
            1,
            5,
        ),
        ("Azure Storage Account Keys Listed", MEGAN, ATTACKER, 1, 1),
        (
            "Azure Storage Account Key Regenerated",
            MEGAN,
            ATTACKER,
            1,
            1,
        ),
        (
            "Credentials Added to a Service Principal",
            MEGAN,
            ATTACKER,
            1,
            1,
        ),
        ("Conditional Access Policy Deleted", MEGAN, ATTACKER, 1, 1),
        ("Azure Key Vault Modified", MEGAN, ATTACKER, 1, 1),
        // Two crossing minutes, one alert: 14 and 11 reads.
        (
            "Excessive Secret or Key Retrieval from Azure Key Vault",
            MEGAN,
            ATTACKER,
            2,
            25,
        ),
        ("Azure Resource Lock Deleted", MEGAN, ATTACKER, 1, 1),
        ("Azure Diagnostic Settings Deleted", MEGAN, ATTACKER, 1, 1),
        (
            "Azure Key Vault Object or Vault Purged",
            MEGAN,
            ATTACKER,
            1,
            1,
        ),
        ("Azure VM Run Command Executed", MEGAN, ATTACKER, 1, 1),
        (
            "Entra ID MFA Push Flood",
            "lena.fischer@contoso-lab.com",
            "185.220.101.52",
            1,
            8,
        ),
        // The maintenance window: a benign positive.
        (
            "Azure Key Vault Modified",
            "alex.kim@contoso-lab.com",
            "198.51.100.12",
            2,
            2,
        ),
    ];
    let expected: Vec<Row> = expected
        .into_iter()
        .map(|(r, a, i, c, e)| (r.into(), a.into(), i.into(), c, e))
        .collect();
    for dir in ["demo", "demo-azure", "demo-sentinel"] {
        assert_eq!(summary(&alerts(dir)), expected, "{dir}");
    }
}

#[test]
fn alerts_carry_evidence_matched_values_and_stable_ids() {
    let first = alerts("demo");
    let again = alerts("demo");
    let ids = |v: &[Value]| v.iter().map(|a| a["id"].clone()).collect::<Vec<_>>();
    assert_eq!(ids(&first), ids(&again));
    let mut unique = ids(&first);
    unique.sort_by_key(|v| v.to_string());
    unique.dedup();
    assert_eq!(unique.len(), first.len());

    let purge = first
        .iter()
        .find(|a| a["rule_name"] == "Azure Key Vault Object or Vault Purged")
        .unwrap();
    assert_eq!(purge["severity"], "high");
    assert_eq!(purge["risk_score"], 73);
    assert_eq!(purge["first"], "2026-03-04T09:53:30Z");
    let ev = &purge["evidence"][0];
    assert!(
        ev["file"]
            .as_str()
            .unwrap()
            .ends_with("platformlogs.ndjson.gz")
    );
    assert!(ev["line"].as_u64().unwrap() > 0);
    let matched: Vec<(&str, &str)> = purge["matched"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["field"].as_str().unwrap(), m["value"].as_str().unwrap()))
        .collect();
    assert!(
        matched.contains(&("event.action", "SecretPurge")),
        "{matched:?}"
    );
    assert!(
        matched.contains(&("event.dataset", "azure.platformlogs")),
        "{matched:?}"
    );
    let resource = first_entity(purge, "resource");
    assert_eq!(resource, "kv-contoso-prod");

    // An aggregation's evidence is every event counted.
    let bulk = first
        .iter()
        .find(|a| a["rule_name"] == "Azure Role Assignments Created in Bulk")
        .unwrap();
    assert_eq!(bulk["evidence"].as_array().unwrap().len(), 5);
    let time = |k: &str| bulk[k].as_str().unwrap().to_string();
    assert!(
        time("first").starts_with("2026-03-04T09:06:0"),
        "{}",
        time("first")
    );
    assert!(
        time("last").starts_with("2026-03-04T09:14:2"),
        "{}",
        time("last")
    );
}

#[test]
fn table_and_csv_forms_and_the_summary() {
    let (table, stderr) = hunt("demo-sentinel", "table");
    assert!(table.starts_with("FIRST"), "{table}");
    assert_eq!(table.lines().count(), 21);
    assert!(table.contains("Entra ID MFA Push Flood"));
    assert!(
        stderr.contains("16 rules: 16 ok, 0 unsupported, 0 failed; 20 alerts"),
        "{stderr}"
    );
    assert!(stderr.contains("now: 2026-03-05T23:55:42Z"), "{stderr}");
    let (csv, _) = hunt("demo", "csv");
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("id,rule_id,rule_name,severity")
    );
    let spray = lines
        .find(|l| l.contains("Password Spray"))
        .unwrap()
        .to_string();
    // Five accounts sprayed, in one cell.
    assert_eq!(spray.matches("@contoso-lab.com").count(), 5, "{spray}");
}

#[test]
fn rules_that_cannot_run_are_reported_and_the_rest_still_runs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("eql.toml"),
        "[metadata]\n\n[rule]\nname = \"Sequence\"\nrule_id = \"s-1\"\nrisk_score = 21\nseverity = \"low\"\ntype = \"eql\"\nlanguage = \"eql\"\nquery = '''\nsequence [any where true]\n'''\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("broken.toml"),
        "[metadata]\n\n[rule]\nname = \"Broken\"\nrule_id = \"b-1\"\nrisk_score = 21\nseverity = \"low\"\ntype = \"query\"\nlanguage = \"kuery\"\nquery = '''\nevent.action:(SecretPurge or\n'''\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("purge.toml"),
        "[metadata]\n\n[rule]\nname = \"Purge\"\nrule_id = \"p-1\"\nrisk_score = 73\nseverity = \"high\"\ntype = \"query\"\nlanguage = \"kuery\"\nquery = '''\nevent.action:SecretPurge\n'''\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["hunt", "--format", "ndjson", "--rules"])
        .arg(dir.path())
        .arg("fixtures/demo")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("3 rules: 1 ok, 1 unsupported, 1 failed; 1 alerts"),
        "{stderr}"
    );
    assert!(stderr.contains("broken.toml:11:"), "{stderr}");
    assert!(stderr.contains("EQL"), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
}

/// Every record of the raw Azure demo, from its four files.
fn azure_records() -> Vec<Value> {
    let mut out = Vec::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo-azure");
    for sub in ["activity", "entra", "keyvault"] {
        for f in std::fs::read_dir(root.join(sub)).unwrap() {
            let gz = std::fs::File::open(f.unwrap().path()).unwrap();
            let mut text = String::new();
            std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(gz), &mut text)
                .unwrap();
            // Blob exports hold a record per line or a `records` array.
            for doc in serde_json::Deserializer::from_str(&text).into_iter::<Value>() {
                let doc = doc.unwrap();
                match doc["records"].as_array() {
                    Some(records) => out.extend(records.iter().cloned()),
                    None => out.push(doc),
                }
            }
        }
    }
    out
}

fn ndjson(records: &[Value]) -> String {
    records.iter().map(|r| format!("{r}\n")).collect()
}

#[test]
fn scheduled_rules_stream_in_time_order_and_read_again_when_not() {
    let mut records = azure_records();
    records.sort_by(|a, b| a["time"].as_str().cmp(&b["time"].as_str()));
    let dir = tempfile::tempdir().unwrap();
    let ordered = dir.path().join("ordered.ndjson");
    std::fs::write(&ordered, ndjson(&records)).unwrap();
    // Newest first, as a Log Analytics export sorted by time often is.
    records.reverse();
    let reversed = dir.path().join("reversed.ndjson");
    std::fs::write(&reversed, ndjson(&records)).unwrap();

    let expected = summary(&alerts("demo-azure"));
    let parse = |out: &str| -> Vec<Value> {
        out.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };

    let (out, err) = hunt_path(ordered.to_str().unwrap(), "ndjson");
    assert_eq!(summary(&parse(&out)), expected);
    assert!(!err.contains("read twice"), "{err}");

    let (out, err) = hunt_path(reversed.to_str().unwrap(), "ndjson");
    assert_eq!(summary(&parse(&out)), expected);
    let twice: Vec<&str> = err.lines().filter(|l| l.contains("read twice")).collect();
    assert!(
        twice
            .iter()
            .any(|l| l.contains("Two Countries within Two Hours")),
        "{err}"
    );
}

/// The alerts `vigil hunt` gives for one rule file over a demo shape.
fn alerts_of(rule: &std::path::Path, dir: &str, extra: &[&str]) -> Vec<Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["hunt", "--format", "ndjson"])
        .args(extra)
        .arg("--rules")
        .arg(rule)
        .arg(format!("fixtures/{dir}"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("vigil runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("an alert per line"))
        .collect()
}

#[test]
fn a_public_sentinel_rule_finds_the_self_assigned_role_in_every_shape() {
    // "New User Assigned to Privileged Role" reads the role from the
    // member's modified properties, as Entra ID writes it; its 14-day
    // period runs once the clock is set to just after the assignment.
    let Some(rule) = common::shared("corpus/rules/sentinel/UserAssignedPrivilegedRole.yaml") else {
        return;
    };
    for dir in ["demo", "demo-azure", "demo-sentinel"] {
        let alerts = alerts_of(&rule, dir, &["--now", "2026-03-04T10:00:00Z"]);
        assert_eq!(alerts.len(), 1, "{dir}: {alerts:?}");
        assert_eq!(first_entity(&alerts[0], "account"), "megan.ross", "{dir}");
    }
}

#[test]
fn sentinel_alert_details_fill_title_description_severity_and_custom_details_from_the_row() {
    let dir = tempfile::tempdir().expect("temp dir");
    let rule = dir.path().join("kv.yaml");
    std::fs::write(
        &rule,
        r#"id: 11111111-2222-3333-4444-555555555555
name: Key Vault secrets read in bulk
description: Secrets read in bulk.
severity: Low
queryFrequency: 1h
queryPeriod: 1h
triggerOperator: gt
triggerThreshold: 0
query: |
  AzureDiagnostics
  | where OperationName in ("SecretGet", "SecretList")
  | summarize Reads = count(), Secrets = dcount(id_s) by CallerIPAddress, Vault = Resource,
      Caller = identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_upn_s
  | where Reads > 15
  | extend Sev = iff(Reads > 20, "High", "Medium")
entityMappings:
  - entityType: IP
    fieldMappings:
      - identifier: Address
        columnName: CallerIPAddress
customDetails:
  SecretCount: Secrets
  ReadCount: Reads
alertDetailsOverride:
  alertDisplayNameFormat: "{{Reads}} secret reads from {{CallerIPAddress}} on {{Vault}}"
  alertDescriptionFormat: "{{ Caller }} read {{Secrets}} secrets."
  alertSeverityColumnName: Sev
"#,
    )
    .expect("rule written");
    for dir in ["demo", "demo-azure", "demo-sentinel"] {
        let alerts = alerts_of(&rule, dir, &[]);
        assert_eq!(alerts.len(), 1, "{dir}: {alerts:?}");
        let a = &alerts[0];
        assert_eq!(
            a["title"], "22 secret reads from 185.220.101.47 on KV-CONTOSO-PROD",
            "{dir}"
        );
        assert_eq!(
            a["description"], "megan.ross@contoso-lab.com read 10 secrets.",
            "{dir}"
        );
        assert_eq!(a["severity"], "high", "{dir}");
        assert_eq!(
            a["custom_details"],
            serde_json::json!({"SecretCount": 10, "ReadCount": 22}),
            "{dir}"
        );
        assert_eq!(a["rule_name"], "Key Vault secrets read in bulk", "{dir}");
    }
}
