//! Exceptions from files to results: the demo's false positive (the
//! automation identity's nightly key rotation) suppressed in every shape
//! the scenario ships, what each exception kept out reported, and the
//! files round-tripped through Kibana's format by the command line.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use vigil::cli::hunt::{bundled_rules_dir, load_rules};
use vigil::engine::{self, Plan};
use vigil::exceptions::{Exception, file};

const ROTATION: &str = r#"
[[exception]]
id = "vigil-rotation"
name = "Nightly key rotation by the automation identity"
comment = "Runbook KR-12 rotates the storage keys at 02:00"
created_by = "megan"
created_at = "2026-12-02T10:00:00Z"
rules = ["dddc2eed-292a-4386-afc5-c23093d9cea3", "662bb3ff-457f-4af4-870a-4d3eb8ca33da"]
close_alerts = true

[[exception.entry]]
field = "azure.activitylogs.identity.claims.appid"
operator = "is"
value = "8e1c5d3a-2f4b-4c6d-9e8f-0a1b2c3d4e5f"

[[exception.entry]]
field = "source.ip"
operator = "is"
value = "20.50.2.10"
"#;

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

fn rotation() -> Vec<Exception> {
    let (found, errors) = file::from_toml("rotation.toml", ROTATION);
    assert!(errors.is_empty(), "{errors:?}");
    found
}

fn run(shape: &str, exceptions: Vec<Exception>) -> engine::Summary {
    let (rules, errors) = load_rules(&[bundled_rules_dir()]);
    assert!(errors.is_empty(), "{errors:?}");
    let plan = Plan {
        rules,
        logs: vec![fixture(shape)],
        compare: !exceptions.is_empty(),
        exceptions: Arc::new(exceptions),
        ..Plan::default()
    };
    engine::run(&plan, &Arc::new(AtomicBool::new(false)), &mut |_| {})
}

fn rule_id_of(name: &str) -> String {
    let (rules, _) = load_rules(&[bundled_rules_dir()]);
    rules
        .iter()
        .find(|r| r.name == name)
        .map(|r| r.rule_id.clone())
        .unwrap_or_else(|| panic!("no rule {name}"))
}

#[test]
fn the_scoped_rule_ids_are_the_bundled_rules() {
    // The exception above names its rules by id; keep them in step.
    assert_eq!(
        rule_id_of("Azure Storage Account Key Regenerated"),
        "dddc2eed-292a-4386-afc5-c23093d9cea3"
    );
    assert_eq!(
        rule_id_of("Azure Storage Account Keys Listed"),
        "662bb3ff-457f-4af4-870a-4d3eb8ca33da"
    );
}

#[test]
fn the_rotation_exception_suppresses_exactly_the_automation_alerts_in_every_shape() {
    for shape in ["demo", "demo-azure", "demo-sentinel"] {
        let plain = run(shape, Vec::new());
        let excepted = run(shape, rotation());
        assert_eq!(plain.alerts.len(), 20, "{shape}");
        assert_eq!(excepted.alerts.len(), 18, "{shape}");
        // What is gone is the automation identity's two alerts, with the
        // ids they have without exceptions, so case state can follow.
        let gone: Vec<&str> = plain
            .alerts
            .iter()
            .filter(|a| !excepted.alerts.iter().any(|b| b.id == a.id))
            .map(|a| a.id.as_str())
            .collect();
        let mut suppressed: Vec<&str> = excepted.suppressed.iter().map(|a| a.id.as_str()).collect();
        suppressed.sort();
        let mut gone_sorted = gone.clone();
        gone_sorted.sort();
        assert_eq!(suppressed, gone_sorted, "{shape}");
        for a in &excepted.suppressed {
            assert_eq!(a.entities_of("ip").next(), Some("20.50.2.10"), "{shape}");
            assert_eq!(a.count, 8, "{shape}");
        }
        // The attacker's key listing from the same rules still fires.
        assert!(
            excepted
                .alerts
                .iter()
                .any(|a| a.rule_name == "Azure Storage Account Key Regenerated"
                    && a.entities_of("ip").any(|ip| ip == "185.220.101.47")),
            "{shape}"
        );
        let report = &excepted.exceptions[0];
        assert_eq!(report.id, "vigil-rotation");
        assert_eq!(report.alerts.len(), 2, "{shape}");
        // Only the two rules in scope saw fewer events.
        assert_eq!(report.rules.len(), 2, "{shape}: {:?}", report.rules);
        // A KQL rule counts only the events it would have matched: the
        // automation's eight key regenerations.
        for (rule, n) in &report.rules {
            assert_eq!(*n, 8, "{shape}: {}", excepted.rules[*rule].name);
        }
    }
}

#[test]
fn an_expired_exception_is_not_applied() {
    let mut ex = rotation();
    ex[0].expires = Some("2020-01-01T00:00:00Z".parse().unwrap());
    let (in_force, expired) = vigil::exceptions::in_force(ex, chrono::Utc::now());
    assert!(in_force.is_empty());
    assert_eq!(expired.len(), 1);
}

fn vigil() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vigil"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

#[test]
fn hunt_with_exceptions_prints_the_rest_and_says_what_each_suppressed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rotation.toml"), ROTATION).unwrap();
    std::fs::write(
        dir.path().join("broken.toml"),
        "[[exception]]\nname = \"half\"\n[[exception.entry]]\nfield = \"x\"\noperator = \"is\"\n",
    )
    .unwrap();
    let out = vigil()
        .args([
            "hunt",
            "fixtures/demo",
            "--format",
            "ndjson",
            "--exceptions",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let alerts = String::from_utf8_lossy(&out.stdout);
    assert_eq!(alerts.lines().count(), 18);
    assert!(!alerts.contains("20.50.2.10"), "{alerts}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("exceptions: 1 in force, 0 expired, 1 not loaded; 2 alerts suppressed"),
        "{err}"
    );
    let line = err
        .lines()
        .find(|l| l.contains("Azure Storage Account Key Regenerated:"))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(
        line.ends_with("alerts 2 without exceptions, 1 with"),
        "{line}"
    );
    assert!(
        err.contains("broken.toml:5:12: `is` needs a value"),
        "{err}"
    );
    assert!(err.contains("suppressed 8cccd4354d495d2d"), "{err}");
}

#[test]
fn exceptions_export_to_kibana_and_import_back_as_the_same_files() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(src.join("rotation.toml"), ROTATION).unwrap();
    let out = vigil()
        .args(["exceptions", "export", "--format", "elastic"])
        .arg(&src)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ndjson = dir.path().join("list.ndjson");
    std::fs::write(&ndjson, &out.stdout).unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(r#""type":"match","value":"20.50.2.10""#),
        "{text}"
    );
    assert_eq!(text.lines().count(), 3, "container, one item, summary");

    let back = dir.path().join("back");
    let out = vigil()
        .args(["exceptions", "import"])
        .arg(&ndjson)
        .arg("--into")
        .arg(&back)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let again = file::load(&back);
    assert!(again.errors.is_empty(), "{:?}", again.errors);
    assert_eq!(again.exceptions, rotation());

    let out = vigil()
        .args(["exceptions", "export", "--format", "sentinel"])
        .arg(&src)
        .output()
        .unwrap();
    let kusto = String::from_utf8_lossy(&out.stdout);
    assert!(
        kusto.contains(r#"| where not(tostring(azure.activitylogs.identity.claims.appid) == "8e1c5d3a-2f4b-4c6d-9e8f-0a1b2c3d4e5f" and tostring(source.ip) == "20.50.2.10")"#),
        "{kusto}"
    );
    let out = vigil()
        .args(["exceptions", "check"])
        .arg(&back)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 exceptions, 0 problems"));
}
