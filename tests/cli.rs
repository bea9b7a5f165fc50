//! The `vigil` binary, run as a user runs it.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::fixture;
use serde_json::Value;

fn vigil() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
}

#[test]
fn inspect_json_is_one_object_for_scripts() {
    let out = vigil()
        .args(["inspect", "--format", "json"])
        .arg(fixture("demo-sentinel"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len(), 4);
    let csv = files
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with("SigninLogs.csv.gz"))
        .unwrap();
    assert_eq!(csv["format"], "log-analytics-csv");
    assert_eq!(csv["gzip"], true);
    assert_eq!(
        csv["kinds"]["signin"].as_u64().unwrap(),
        csv["records"].as_u64().unwrap()
    );
    assert_eq!(v["totals"]["records"], 3193);
    assert_eq!(v["totals"]["errors"], 0);
    assert!(
        v["totals"]["time"]["first"]
            .as_str()
            .unwrap()
            .starts_with("2026-03-02T00:00:23")
    );
    assert!(
        v["totals"]["time"]["last"]
            .as_str()
            .unwrap()
            .starts_with("2026-03-05T23:5")
    );
    assert!(v["totals"]["top_upns"][0]["events"].as_u64().unwrap() > 100);
}

#[test]
fn standard_input_is_read_and_errors_are_located() {
    let mut child = vigil()
        .args(["inspect", "-", "--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let input = "{\"time\":\"2026-03-02T09:00:00Z\",\"category\":\"AuditEvent\",\"resourceId\":\"/SUBSCRIPTIONS/X/RESOURCEGROUPS/R/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV1\",\"operationName\":\"SecretGet\"}\n{oops}\n";
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = &v["files"][0];
    assert_eq!(f["path"], "<stdin>");
    assert_eq!(f["records"], 1);
    assert_eq!(f["kinds"]["keyvault"], 1);
    assert_eq!(f["errors"], 1);
    assert_eq!(f["first_errors"][0]["at"]["line"], 2);
    assert_eq!(f["first_errors"][0]["at"]["column"], 2);
}

#[test]
fn table_output_escapes_terminal_control_sequences() {
    let dir = tempfile::tempdir().unwrap();
    let evil = dir.path().join("evil.ndjson");
    std::fs::write(
        &evil,
        "{\"time\":\"2026-03-02T09:00:00Z\",\"category\":\"SignInLogs\",\"properties\":{\"userPrincipalName\":\"x\\u001b]52;c;ZXZpbA==\\u0007@evil\\u202e.com\"}}\n",
    )
    .unwrap();
    let out = vigil().arg("inspect").arg(&evil).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        !text.contains('\x1b') && !text.contains('\u{7}') && !text.contains('\u{202e}'),
        "{text:?}"
    );
    assert!(
        text.contains("x\\x1b]52;c;zxzpba==\\x07@evil\\u{202e}.com"),
        "{text}"
    );
}

#[test]
fn search_prints_matching_documents_unchanged_and_exits_like_grep() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("kv.ndjson");
    let lines = [
        r#"{"time":"2026-03-04T09:41:03Z","category":"AuditEvent","resourceId":"/SUBSCRIPTIONS/S/RESOURCEGROUPS/R/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV1","operationName":"SecretGet","identity":{"claim":{"upn":"a@b.c"}}}"#,
        r#"{"time":"2026-03-04T09:41:04Z", "category":"AuditEvent","resourceId":"/SUBSCRIPTIONS/S/RESOURCEGROUPS/R/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV1","operationName":"KeyGet"}"#,
    ];
    std::fs::write(&logs, lines.join("\n") + "\n").unwrap();
    let out = vigil()
        .args([
            "search",
            "--kql",
            "event.action:SecretGet and azure.platformlogs.identity.claim.upn:a@b.c",
        ])
        .arg(&logs)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("{}\n", lines[0])
    );

    let none = vigil()
        .args(["search", "--kql", "event.action:VaultGet"])
        .arg(&logs)
        .output()
        .unwrap();
    assert_eq!(none.status.code(), Some(1));
    assert!(none.stdout.is_empty());

    let bad = vigil()
        .args(["search", "--kql", "event.action:(SecretGet or"])
        .arg(&logs)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8(bad.stderr).unwrap();
    assert!(err.contains("event.action:(SecretGet or\n"), "{err}");
    assert!(err.contains("^"), "{err}");
}
