//! Records are parsed keeping only the fields the loaded rules, the
//! exceptions and the event model can read. An analyst must not be able to
//! tell: every rule gives the same alerts, with the same entities, matched
//! values and evidence, as when every record is parsed whole.

mod common;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use common::{fixture, shared};
use vigil::cli::hunt::{bundled_rules_dir, load_rules};
use vigil::engine::{self, Plan};
use vigil::rules::Rule;

fn alerts(rules: &[Arc<Rule>], logs: &[PathBuf], whole: bool) -> (Vec<String>, u64) {
    let plan = Plan {
        rules: rules.to_vec(),
        logs: logs.to_vec(),
        whole_records: whole,
        ..Plan::default()
    };
    let s = engine::run(&plan, &Arc::new(AtomicBool::new(false)), &mut |_| {});
    let lines = s
        .alerts
        .iter()
        .map(|a| serde_json::to_string(a).expect("alert serialises"))
        .collect();
    (lines, s.events)
}

fn same_alerts(rules: &[Arc<Rule>], logs: &[PathBuf]) -> usize {
    let (partial, n) = alerts(rules, logs, false);
    let (whole, m) = alerts(rules, logs, true);
    assert_eq!(n, m, "both runs read every event");
    assert_eq!(partial.len(), whole.len(), "alert count");
    for (p, w) in partial.iter().zip(&whole) {
        assert_eq!(p, w);
    }
    partial.len()
}

#[test]
fn bundled_rules_alert_alike_on_every_demo_shape() {
    let (rules, errors) = load_rules(&[bundled_rules_dir()]);
    assert!(errors.is_empty(), "{errors:?}");
    assert!(
        rules.iter().all(|r| !engine::reads_whole_records(r)),
        "no bundled rule needs whole records"
    );
    for shape in ["demo", "demo-azure", "demo-sentinel"] {
        let n = same_alerts(&rules, &[fixture(shape)]);
        assert_eq!(n, 20, "{shape}: the demo's alerts");
    }
}

#[test]
fn corpus_rules_alert_alike_on_corpus_logs_and_the_demo() {
    let (Some(rule_dir), Some(logs)) = (shared("corpus/rules"), shared("corpus/logs")) else {
        return;
    };
    let (mut rules, _) = load_rules(&[rule_dir, bundled_rules_dir()]);
    let before = rules.len();
    // Rules that read whole records parse them whole either way.
    rules.retain(|r| !engine::reads_whole_records(r));
    println!(
        "{} of {before} rules read only the fields they name",
        rules.len()
    );
    assert!(rules.len() * 2 > before, "most rules name their fields");
    let n = same_alerts(&rules, &[logs, fixture("demo-azure")]);
    assert!(n >= 20, "alerts found: {n}");
}
