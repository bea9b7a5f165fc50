//! `vigil report` over the demo scenario: the case's decisions beside the
//! alerts they are about, log and analyst text escaped for Markdown.

use std::process::Command;

use serde_json::Value;
use vigil::case::{Case, Classification, Status, step_id};
use vigil::cli::hunt::{bundled_rules_dir, load_rules};

fn vigil() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vigil"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

/// The Key Vault alert of the phished account, by its stable id.
const KEY_VAULT: &str = "eaff80d03e317bfd";

fn case_with_decisions(dir: &std::path::Path) -> std::path::PathBuf {
    let (rules, _) = load_rules(&[bundled_rules_dir()]);
    let rule = rules
        .iter()
        .find(|r| r.name == "Azure Key Vault Modified")
        .unwrap();
    let section = rule
        .guide
        .sections
        .iter()
        .find(|s| !s.steps.is_empty())
        .unwrap();
    let step = &section.steps[0];
    let mut case = Case::default();
    let s = case.entry(KEY_VAULT);
    s.status = Status::Closed;
    s.classification = Some(Classification::TruePositive);
    s.note = "confirmed with [the owner](http://evil.example) | *not* a test <b>".into();
    let st = s
        .steps
        .entry(step_id(&section.title, &step.text))
        .or_default();
    st.done = true;
    st.note = "caller is megan".into();
    s.marked
        .insert("fixtures/demo/activitylogs.ndjson.gz:9999".into());
    let path = dir.join("case.json");
    std::fs::write(&path, serde_json::to_string(&case).unwrap()).unwrap();
    path
}

#[test]
fn the_markdown_report_has_every_alert_with_its_decision_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let case = case_with_decisions(dir.path());
    let out = vigil()
        .args(["report", "fixtures/demo", "--case"])
        .arg(&case)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.starts_with("# Case report\n"), "{md}");
    assert!(md.contains("| open | 19 |"), "{md}");
    assert!(md.contains("| closed | 1 |"), "{md}");
    assert!(md.contains("| all | 20 |"), "{md}");
    assert_eq!(md.matches("\n### ").count(), 20, "{md}");
    let at = md
        .find("### Azure Key Vault Modified — closed (True positive)")
        .expect("the closed alert's heading");
    let section = &md[at..];
    let section = &section[..section[4..].find("\n### ").map_or(section.len(), |i| i + 4)];
    assert!(
        section.contains(&format!("- id `{KEY_VAULT}`")),
        "{section}"
    );
    assert!(
        section.contains("- account: megan.ross@contoso-lab.com"),
        "{section}"
    );
    // The note cannot become a link, a table cell, emphasis or HTML.
    assert!(
        section.contains(
            "- note: confirmed with \\[the owner\\](http\\://evil.example) \\| \\*not\\* a test &lt;b&gt;"
        ),
        "{section}"
    );
    assert!(
        section.contains("- checklist: 1 of 11 steps done"),
        "{section}"
    );
    assert!(section.contains("  - [x] "), "{section}");
    assert!(section.contains(" — caller is megan"), "{section}");
    assert!(section.contains("- evidence ("), "{section}");
    assert!(md.contains("## Exceptions\n\nNone in force."), "{md}");
}

#[test]
fn the_json_report_carries_states_and_what_exceptions_suppressed() {
    let dir = tempfile::tempdir().unwrap();
    let case = case_with_decisions(dir.path());
    let exc = dir.path().join("exceptions");
    std::fs::create_dir(&exc).unwrap();
    std::fs::write(
        exc.join("rotation.toml"),
        r#"
[[exception]]
id = "vigil-rotation"
name = "Nightly rotation"
rules = ["dddc2eed-292a-4386-afc5-c23093d9cea3"]
[[exception.entry]]
field = "source.ip"
operator = "is"
value = "20.50.2.10"
"#,
    )
    .unwrap();
    let out = vigil()
        .args(["report", "fixtures/demo", "--format", "json", "--case"])
        .arg(&case)
        .arg("--exceptions")
        .arg(&exc)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let alerts = v["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 20, "suppressed alerts are reported too");
    let kv = alerts.iter().find(|a| a["id"] == KEY_VAULT).unwrap();
    assert_eq!(kv["status"], "closed");
    assert_eq!(kv["classification"], "True positive");
    assert_eq!(kv["steps_done"], 1);
    let excepted: Vec<&Value> = alerts
        .iter()
        .filter(|a| a["status"] == "excepted")
        .collect();
    assert_eq!(excepted.len(), 1);
    assert_eq!(v["exceptions"][0]["id"], "vigil-rotation");
    assert_eq!(v["exceptions"][0]["suppressed"][0], excepted[0]["id"]);
    assert_eq!(
        v["exceptions"][0]["scope"],
        "Azure Storage Account Key Regenerated"
    );
}

#[test]
fn an_unreadable_case_is_an_error_not_an_empty_report() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case.json");
    std::fs::write(&case, "{ not json").unwrap();
    let out = vigil()
        .args(["report", "fixtures/demo", "--case"])
        .arg(&case)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be read"));
}
