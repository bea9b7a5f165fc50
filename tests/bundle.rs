//! Case bundles between two analysts: exported over the demo scenario,
//! checked against the same logs and against logs that changed, and
//! opened in the console with the same alerts and states.

use std::path::{Path, PathBuf};
use std::process::Command;

use vigil::case::{Case, Classification, Status};

const KEY_VAULT: &str = "eaff80d03e317bfd";
const ROTATION: &str = r#"
[[exception]]
id = "vigil-rotation"
name = "Nightly rotation"
rules = ["dddc2eed-292a-4386-afc5-c23093d9cea3"]
[[exception.entry]]
field = "source.ip"
operator = "is"
value = "20.50.2.10"
"#;

fn vigil() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vigil"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

/// A case with one decision and an exception folder, and the bundle of
/// both over the demo logs.
fn export(dir: &Path) -> PathBuf {
    let mut case = Case::default();
    let s = case.entry(KEY_VAULT);
    s.status = Status::Closed;
    s.classification = Some(Classification::TruePositive);
    s.note = "handed over".into();
    let case_path = dir.join("case.json");
    std::fs::write(&case_path, serde_json::to_string(&case).unwrap()).unwrap();
    let exc = dir.join("exceptions");
    std::fs::create_dir_all(&exc).unwrap();
    std::fs::write(exc.join("rotation.toml"), ROTATION).unwrap();
    let out = dir.join("case.bundle.json");
    let run = vigil()
        .args(["case", "export", "fixtures/demo", "--case"])
        .arg(&case_path)
        .arg("--exceptions")
        .arg(&exc)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    out
}

#[test]
fn a_bundle_holds_the_case_exceptions_rules_and_log_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let b = vigil::case::bundle::read(&export(dir.path())).unwrap();
    assert_eq!(b.case.status(KEY_VAULT), Status::Closed);
    assert!(b.exceptions.contains("vigil-rotation"), "{}", b.exceptions);
    assert_eq!(b.logs.len(), 4);
    assert!(b.logs.iter().all(|l| l.sha256.len() == 64 && l.bytes > 0));
    let (rules, _) = vigil::cli::hunt::load_rules(&[vigil::cli::hunt::bundled_rules_dir()]);
    assert!(b.rules.len() >= rules.len(), "{} rule files", b.rules.len());
    assert!(
        b.rules
            .iter()
            .any(|r| r.path.ends_with("azure_key_vault_modified.toml"))
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

#[test]
fn verify_names_every_log_that_is_missing_extra_or_changed() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = export(dir.path());
    let same = vigil()
        .args(["case", "verify"])
        .arg(&bundle)
        .arg("fixtures/demo")
        .output()
        .unwrap();
    assert!(
        same.status.success(),
        "{}",
        String::from_utf8_lossy(&same.stderr)
    );

    let logs = dir.path().join("logs");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo"),
        &logs,
    );
    std::fs::remove_file(logs.join("auditlogs.ndjson.gz")).unwrap();
    std::fs::write(logs.join("extra.ndjson"), "{}\n").unwrap();
    let mut bytes = std::fs::read(logs.join("signinlogs.ndjson.gz")).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(logs.join("signinlogs.ndjson.gz"), bytes).unwrap();
    let other = vigil()
        .args(["case", "verify"])
        .arg(&bundle)
        .arg(&logs)
        .output()
        .unwrap();
    assert_eq!(other.status.code(), Some(1));
    let err = String::from_utf8_lossy(&other.stderr);
    assert!(err.contains("missing: auditlogs.ndjson.gz"), "{err}");
    assert!(err.contains("not in the bundle: extra.ndjson"), "{err}");
    assert!(
        err.contains("different: signinlogs.ndjson.gz (same size, other content)"),
        "{err}"
    );

    // Opening over those logs says so and opens nothing.
    let open = vigil()
        .args(["case", "open"])
        .arg(&bundle)
        .arg(&logs)
        .arg("--into")
        .arg(dir.path().join("unpacked"))
        .output()
        .unwrap();
    assert_eq!(open.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&open.stderr).contains("nothing opened"));
    assert!(!dir.path().join("unpacked").exists());
}

#[test]
fn a_tampered_rule_in_a_bundle_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = export(dir.path());
    let text = std::fs::read_to_string(&bundle).unwrap();
    let tampered = text.replacen("Azure Key Vault Modified", "Azure Key Vault Modifyed", 1);
    assert_ne!(text, tampered);
    std::fs::write(&bundle, tampered).unwrap();
    let err = vigil::case::bundle::read(&bundle).unwrap_err().to_string();
    assert!(err.contains("does not match its hash"), "{err}");
}
