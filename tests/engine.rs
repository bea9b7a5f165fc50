//! The engine driven through its channel, as the console drives it: alerts
//! and progress arrive while the pass runs, a run can be cancelled midway,
//! and one rule can be run again on its own.

use std::collections::BTreeMap;
use std::path::PathBuf;

use vigil::cli::hunt::{bundled_rules_dir, load_rules};
use vigil::engine::background::{spawn, spawn_rule};
use vigil::engine::{Alert, Plan, Summary, Update};

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

fn plan(logs: Vec<PathBuf>) -> Plan {
    let (rules, errors) = load_rules(&[bundled_rules_dir()]);
    assert!(errors.is_empty(), "{errors:?}");
    Plan {
        rules,
        logs,
        ..Plan::default()
    }
}

struct Seen {
    alerts: BTreeMap<String, Alert>,
    progress: Vec<u64>,
    alerts_before_done: usize,
    /// Alerts sent before the first rule summary, which comes only once
    /// the input has ended.
    alerts_during_pass: usize,
    done: Option<Summary>,
}

async fn drain(mut running: vigil::engine::background::Running, cancel_on_progress: bool) -> Seen {
    let mut seen = Seen {
        alerts: BTreeMap::new(),
        progress: Vec::new(),
        alerts_before_done: 0,
        alerts_during_pass: 0,
        done: None,
    };
    let mut pass_over = false;
    while let Some(u) = running.updates.recv().await {
        match u {
            Update::Alert(a) => {
                seen.alerts_before_done += 1;
                if !pass_over {
                    seen.alerts_during_pass += 1;
                }
                seen.alerts.insert(a.id.clone(), a);
            }
            Update::Progress(p) => {
                seen.progress.push(p.events);
                if cancel_on_progress {
                    running.cancel();
                }
            }
            Update::Withdrawn(id) => {
                seen.alerts.remove(&id);
            }
            Update::Rule(_) => pass_over = true,
            Update::Source(_) | Update::Located(_) | Update::Suppressed(_) => {}
            Update::Done(s) => seen.done = Some(*s),
        }
    }
    let joined = running.join().await;
    assert_eq!(
        joined.alerts.len(),
        seen.done.as_ref().unwrap().alerts.len()
    );
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_stream_while_the_pass_runs_and_match_the_summary() {
    let seen = drain(spawn(plan(vec![fixture("demo")])), false).await;
    let done = seen.done.unwrap();
    assert!(!done.cancelled);
    assert_eq!(done.events, 3193);
    assert_eq!(done.alerts.len(), 20);
    // The last state sent of each alert is its final state.
    let streamed: Vec<&Alert> = seen.alerts.values().collect();
    assert_eq!(streamed.len(), 20);
    for a in &done.alerts {
        assert_eq!(&seen.alerts[&a.id], a);
    }
    // Grouping sends updates: the rotation alert was sent once per night.
    assert!(seen.alerts_before_done > 20);
    // Query rules' alerts are sent as their events are read, before any
    // rule is finished.
    assert!(seen.alerts_during_pass > 0);
    assert!(done.first_alert_ms.is_some());
    assert!(seen.progress.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(seen.progress.last(), Some(&3193));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_run_stops_early_and_one_rule_runs_again_alone() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("bulk.ndjson");
    vigil::synth::write_bulk(
        vigil::synth::bulk(60_000, 7),
        &big,
        vigil::synth::ShapeChoice::Ecs,
    )
    .unwrap();
    let seen = drain(spawn(plan(vec![big.clone()])), true).await;
    let done = seen.done.unwrap();
    assert!(done.cancelled);
    assert!(done.events < 60_000, "{}", done.events);

    // The role-assignment rule alone, over the demo: its alert and no
    // other; every other rule is reported as skipped.
    let p = plan(vec![fixture("demo")]);
    let index = p
        .rules
        .iter()
        .position(|r| r.name == "Azure Role Assignments Created in Bulk")
        .unwrap();
    let seen = drain(spawn_rule(&p, index), false).await;
    let done = seen.done.unwrap();
    assert_eq!(done.alerts.len(), 1);
    assert_eq!(
        done.alerts[0].rule_name,
        "Azure Role Assignments Created in Bulk"
    );
    assert_eq!(done.alerts[0].evidence_total, 5);
    let skipped = done.rules.iter().filter(|r| r.status == "skipped").count();
    assert_eq!(skipped, p.rules.len() - 1);

    // The same rule in the full run gave the same alert, id included.
    let full = drain(spawn(plan(vec![fixture("demo")])), false).await;
    assert!(full.alerts.contains_key(&done.alerts[0].id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn windows_close_and_send_their_alerts_while_time_ordered_logs_stream() {
    let dir = tempfile::tempdir().unwrap();
    let ordered = dir.path().join("story.ndjson");
    let mut story = vigil::synth::demo();
    story.sort_by_key(|e| e.time);
    vigil::synth::write_bulk(
        story.into_iter(),
        &ordered,
        vigil::synth::ShapeChoice::Azure,
    )
    .unwrap();
    let mut p = plan(vec![ordered]);
    let windowed = [
        "Successful Sign-ins from Two Countries within Two Hours",
        "Entra ID MFA Push Flood",
        "Entra ID Password Spray from One Address",
        "Azure Role Assignments Created in Bulk",
    ];
    p.only = Some(
        p.rules
            .iter()
            .enumerate()
            .filter(|(_, r)| windowed.contains(&r.name.as_str()))
            .map(|(i, _)| i)
            .collect(),
    );
    let seen = drain(spawn(p), false).await;
    let done = seen.done.unwrap();
    assert_eq!(done.alerts.len(), 4);
    // All were sent before the input ended: their windows closed, and the
    // thresholds were counted, as the logs passed them, not at the end.
    assert_eq!(seen.alerts_during_pass, 4);
    assert!(done.rules.iter().all(|r| !r.second_pass));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thresholds_count_logs_written_newest_first_as_if_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, newest_first: bool| {
        let path = dir.path().join(name);
        let mut story = vigil::synth::demo();
        story.sort_by_key(|e| e.time);
        if newest_first {
            story.reverse();
        }
        vigil::synth::write_bulk(story.into_iter(), &path, vigil::synth::ShapeChoice::Azure)
            .unwrap();
        path
    };
    let only = |p: &mut Plan| {
        p.only = Some(
            p.rules
                .iter()
                .enumerate()
                .filter(|(_, r)| {
                    r.name == "Entra ID Password Spray from One Address"
                        || r.name == "Azure Role Assignments Created in Bulk"
                })
                .map(|(i, _)| i)
                .collect(),
        );
    };
    let mut forward = plan(vec![write("forward.ndjson", false)]);
    only(&mut forward);
    let mut backward = plan(vec![write("backward.ndjson", true)]);
    only(&mut backward);
    let forward = drain(spawn(forward), false).await.done.unwrap();
    let backward = drain(spawn(backward), false).await.done.unwrap();
    let summary = |d: &Summary| -> Vec<(String, String, u64)> {
        d.alerts
            .iter()
            .map(|a| (a.rule_name.clone(), a.group.join("|"), a.evidence_total))
            .collect()
    };
    assert_eq!(summary(&backward), summary(&forward));
    assert_eq!(forward.alerts.len(), 2);
    // Read newest first, the hits came out of time order: the rules were
    // counted again over the whole input rather than miscounted.
    let again = |d: &Summary| d.rules.iter().filter(|r| r.second_pass).count();
    assert_eq!((again(&forward), again(&backward)), (0, 2));
}

#[test]
fn a_console_run_is_told_where_every_event_is_and_can_read_each_again() {
    let plan = Plan {
        locate: true,
        ..plan(vec![fixture("demo")])
    };
    let mut sources = std::collections::HashMap::new();
    let mut located = Vec::new();
    let mut names: Vec<Box<str>> = vec!["".into()];
    let summary = vigil::engine::run(
        &plan,
        &std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)),
        &mut |u| match u {
            Update::Source(info) => {
                sources.insert(info.id, info);
            }
            Update::Located(batch) => {
                names.extend(batch.names);
                located.extend(batch.events);
            }
            _ => {}
        },
    );
    assert_eq!(located.len() as u64, summary.events);
    // In input order: by file, then by ordinal, which is how a console
    // finds an alert's evidence among them.
    assert!(
        located
            .windows(2)
            .all(|w| (w[0].loc.source, w[0].loc.index) < (w[1].loc.source, w[1].loc.index))
    );
    let alert = summary
        .alerts
        .iter()
        .find(|a| a.rule_name == "Azure Key Vault Modified")
        .expect("the key vault alert");
    let ev = &alert.evidence[0];
    let at = located
        .binary_search_by(|l| (l.loc.source, l.loc.index).cmp(&(ev.event.source, ev.event.index)))
        .expect("evidence is located");
    let doc = vigil::ingest::reparse(
        &sources[&ev.event.source],
        &located[at].loc,
        &vigil::ingest::Limits::default(),
    )
    .expect("read again");
    assert_eq!(
        doc["azure"]["activitylogs"]["operation_name"],
        "MICROSOFT.KEYVAULT/VAULTS/WRITE"
    );
    // What a timeline needs is kept per event, without the event.
    let l = &located[at];
    assert_eq!(
        &*names[l.upn.0 as usize],
        alert.entities_of("account").next().unwrap()
    );
    assert_eq!(
        &*names[l.operation.0 as usize],
        "MICROSOFT.KEYVAULT/VAULTS/WRITE"
    );
    assert_eq!(l.time_ms, alert.first.unwrap().timestamp_millis());
}
