//! The demo scenario: the committed fixtures are what the generator writes,
//! the three shapes of it read as the same events, and fields asked for by
//! one shape's names are found in the others.

mod common;

use std::collections::BTreeMap;

use common::{fixture, load, lookup};
use serde_json::{Value, json};
use vigil::model::{Canonical, Outcome, Shape, SourceKind};
use vigil::synth::{self, ShapeChoice};

fn files_under(dir: &std::path::Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

#[test]
fn committed_fixtures_are_what_the_generator_writes() {
    let events = synth::demo();
    let tmp = tempfile::tempdir().unwrap();
    for (sub, shape) in [
        ("demo", ShapeChoice::Ecs),
        ("demo-azure", ShapeChoice::Azure),
        ("demo-sentinel", ShapeChoice::Sentinel),
    ] {
        synth::write_scenario(&events, &tmp.path().join(sub), shape).unwrap();
        let fresh = files_under(&tmp.path().join(sub));
        let committed = files_under(&fixture(sub));
        assert_eq!(
            fresh.keys().collect::<Vec<_>>(),
            committed.keys().collect::<Vec<_>>(),
            "{sub}: run `cargo run --release -- gen --demo --out fixtures`"
        );
        for (name, bytes) in &fresh {
            assert!(
                committed[name] == *bytes,
                "{sub}/{name} differs from the generator: run `cargo run --release -- gen --demo --out fixtures`"
            );
        }
    }
}

fn canonical_set(dir: &str) -> (Vec<(SourceKind, Canonical)>, BTreeMap<Shape, usize>) {
    let l = load(fixture(dir));
    for r in &l.reports {
        assert_eq!(r.errors, 0, "{}: {:?}", r.path, r.first_errors);
    }
    let mut shapes = BTreeMap::new();
    let mut v: Vec<(SourceKind, Canonical)> = l
        .records
        .into_iter()
        .map(|r| {
            *shapes.entry(r.shape).or_default() += 1;
            (r.kind, r.canon)
        })
        .collect();
    v.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    (v, shapes)
}

#[test]
fn the_three_shapes_give_the_same_canonical_events() {
    let (ecs, ecs_shapes) = canonical_set("demo");
    let (azure, azure_shapes) = canonical_set("demo-azure");
    let (sentinel, sentinel_shapes) = canonical_set("demo-sentinel");
    assert!(ecs.len() > 3000, "{}", ecs.len());
    assert_eq!(ecs_shapes.keys().collect::<Vec<_>>(), [&Shape::Ecs]);
    assert_eq!(azure_shapes.keys().collect::<Vec<_>>(), [&Shape::Azure]);
    assert_eq!(
        sentinel_shapes.keys().collect::<Vec<_>>(),
        [&Shape::Sentinel]
    );
    for (name, other) in [("azure", &azure), ("sentinel", &sentinel)] {
        assert_eq!(ecs.len(), other.len(), "{name}");
        for (a, b) in ecs.iter().zip(other.iter()) {
            assert_eq!(a, b, "ecs vs {name}");
        }
    }
    // Every event has its entity fields, in every shape.
    for (kind, c) in &ecs {
        assert!(c.time.is_some());
        assert!(c.operation.is_some(), "{kind:?} {c:?}");
        assert!(c.ip.is_some(), "{kind:?} {c:?}");
        if *kind != SourceKind::KeyVault {
            assert!(c.upn.is_some(), "{kind:?} {c:?}");
        }
    }
}

fn first(doc: &Value, kind: SourceKind, name: &str) -> Value {
    lookup(doc, kind, name)
        .into_iter()
        .next()
        .unwrap_or(Value::Null)
}

/// The fields the four seed detections read, asked for by their own
/// shape's names, on every shape of the scenario.
#[test]
fn seed_fields_resolve_on_every_shape() {
    for dir in ["demo", "demo-azure", "demo-sentinel"] {
        let l = load(fixture(dir));
        let mut seen = BTreeMap::new();
        for r in &l.records {
            let d = &r.doc;
            *seen.entry(r.kind).or_insert(0) += 1;
            let (dataset, table) = match r.kind {
                SourceKind::Activity => ("azure.activitylogs", "AzureActivity"),
                SourceKind::SignIn => ("azure.signinlogs", "SigninLogs"),
                SourceKind::Audit => ("azure.auditlogs", "AuditLogs"),
                SourceKind::KeyVault => ("azure.platformlogs", "AzureDiagnostics"),
                SourceKind::Other => panic!("{dir}: unclassified record {d}"),
            };
            assert_eq!(first(d, r.kind, "event.dataset"), json!(dataset), "{dir}");
            assert_eq!(first(d, r.kind, "Type"), json!(table), "{dir}");
            let op = r.canon.operation.clone().unwrap();
            let ip = json!(r.canon.ip.clone().unwrap());
            match r.kind {
                SourceKind::Activity => {
                    assert_eq!(
                        first(d, r.kind, "azure.activitylogs.operation_name"),
                        json!(op),
                        "{dir}"
                    );
                    assert_eq!(first(d, r.kind, "OperationNameValue"), json!(op), "{dir}");
                    assert_eq!(first(d, r.kind, "CallerIpAddress"), ip, "{dir}");
                    assert_eq!(first(d, r.kind, "source.ip"), ip, "{dir}");
                    let status = first(d, r.kind, "ActivityStatus");
                    let outcome = first(d, r.kind, "event.outcome");
                    match r.canon.outcome {
                        Outcome::Success => {
                            assert_eq!(status, json!("Succeeded"), "{dir}");
                            assert_eq!(outcome, json!("success"), "{dir}");
                        }
                        Outcome::Failure => assert_eq!(status, json!("Failed"), "{dir}"),
                        Outcome::Unknown => assert_eq!(status, json!("Started"), "{dir}"),
                    }
                }
                SourceKind::KeyVault => {
                    assert_eq!(first(d, r.kind, "event.action"), json!(op), "{dir}");
                    assert_eq!(first(d, r.kind, "OperationName"), json!(op), "{dir}");
                    assert_eq!(first(d, r.kind, "source.ip"), ip, "{dir}");
                    let upn = first(d, r.kind, "azure.platformlogs.identity.claim.upn");
                    match &r.canon.upn {
                        Some(u) => assert_eq!(upn, json!(u), "{dir}"),
                        None => assert!(upn.is_null() || upn == json!(""), "{dir}: {upn}"),
                    }
                    assert!(
                        first(d, r.kind, "azure.platformlogs.identity.claim.appid").is_string(),
                        "{dir}"
                    );
                    assert!(first(d, r.kind, "azure.resource.name").is_string(), "{dir}");
                }
                SourceKind::SignIn => {
                    let code = first(d, r.kind, "ResultType");
                    assert_eq!(
                        code == json!("0"),
                        r.canon.outcome == Outcome::Success,
                        "{dir}: {code}"
                    );
                    assert_eq!(first(d, r.kind, "IPAddress"), ip, "{dir}");
                    assert_eq!(
                        first(d, r.kind, "UserPrincipalName"),
                        json!(r.canon.upn.clone().unwrap()),
                        "{dir}"
                    );
                    assert_eq!(
                        first(d, r.kind, "AppDisplayName"),
                        first(d, r.kind, "azure.signinlogs.properties.app_display_name"),
                        "{dir}"
                    );
                    assert!(first(d, r.kind, "AppDisplayName").is_string(), "{dir}");
                }
                SourceKind::Audit => {
                    let service = first(d, r.kind, "LoggedByService");
                    assert!(
                        service == json!("Core Directory")
                            || service == json!("Conditional Access"),
                        "{dir}: {service}"
                    );
                    assert!(first(d, r.kind, "Category").is_string(), "{dir}");
                    assert_eq!(
                        lookup(d, r.kind, "InitiatedBy.user.ipAddress"),
                        vec![ip.clone()],
                        "{dir}"
                    );
                    assert_eq!(
                        first(
                            d,
                            r.kind,
                            "azure.auditlogs.properties.initiated_by.user.ipAddress"
                        ),
                        ip,
                        "{dir}"
                    );
                    assert!(
                        first(d, r.kind, "TargetResources").is_array() || dir == "demo",
                        "{dir}"
                    );
                }
                SourceKind::Other => unreachable!(),
            }
        }
        assert_eq!(seen.len(), 4, "{dir}: {seen:?}");
    }
}

/// The story's shape, checked on its canonical fields: what each seed
/// detection must and must not find is in the data.
#[test]
fn the_story_holds_its_hits_and_near_misses() {
    let l = load(fixture("demo"));
    let attacker = "185.220.101.47";
    let is = |r: &&common::Rec, kind, op: &str| {
        r.kind == kind && r.canon.operation.as_deref() == Some(op)
    };
    // Key regeneration: attacker once, rotation twice a night, one failure.
    let regen: Vec<_> = l
        .records
        .iter()
        .filter(|r| {
            is(
                r,
                SourceKind::Activity,
                "MICROSOFT.STORAGE/STORAGEACCOUNTS/REGENERATEKEY/ACTION",
            )
        })
        .collect();
    let ok = regen
        .iter()
        .filter(|r| r.canon.outcome == Outcome::Success)
        .count();
    let failed = regen
        .iter()
        .filter(|r| r.canon.outcome == Outcome::Failure)
        .count();
    assert_eq!((ok, failed, regen.len() - ok - failed), (9, 1, 10));
    // Vault writes: attacker plus two maintenance updates succeed, one fails.
    let vault: Vec<_> = l
        .records
        .iter()
        .filter(|r| is(r, SourceKind::Activity, "MICROSOFT.KEYVAULT/VAULTS/WRITE"))
        .collect();
    assert_eq!(
        vault
            .iter()
            .filter(|r| r.canon.outcome == Outcome::Success)
            .count(),
        3
    );
    assert_eq!(
        vault
            .iter()
            .filter(|r| r.canon.outcome == Outcome::Failure)
            .count(),
        1
    );
    // Key Vault reads per UPN-minute.
    let mut per_minute: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for r in l.records.iter().filter(|r| r.kind == SourceKind::KeyVault) {
        if let Some(upn) = &r.canon.upn {
            let minute = r.canon.time.unwrap().format("%d %H:%M").to_string();
            per_minute
                .entry((upn.clone(), minute))
                .or_default()
                .push(r.canon.operation.clone().unwrap());
        }
    }
    let crossing: Vec<_> = per_minute
        .iter()
        .filter(|(_, ops)| {
            let kinds: std::collections::BTreeSet<&String> = ops.iter().collect();
            ops.len() >= 10 && kinds.len() >= 2
        })
        .map(|((upn, minute), ops)| (upn.as_str(), minute.as_str(), ops.len()))
        .collect();
    assert_eq!(
        crossing,
        [
            ("megan.ross@contoso-lab.com", "04 09:41", 14),
            ("megan.ross@contoso-lab.com", "04 09:42", 11)
        ]
    );
    let sizes: Vec<usize> = per_minute
        .values()
        .map(Vec::len)
        .filter(|n| *n >= 9)
        .collect();
    assert!(sizes.contains(&9) && sizes.contains(&10), "{sizes:?}");
    // The attacker's address is the only one with a sign-in, a key listing
    // and a role change.
    let ips_with = |f: &dyn Fn(&common::Rec) -> bool| -> Vec<String> {
        let mut v: Vec<String> = l
            .records
            .iter()
            .filter(|r| f(r))
            .filter_map(|r| r.canon.ip.clone())
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let signins =
        ips_with(&|r| r.kind == SourceKind::SignIn && r.canon.outcome == Outcome::Success);
    let listkeys = ips_with(&|r| {
        r.kind == SourceKind::Activity
            && r.canon.outcome == Outcome::Success
            && r.canon
                .operation
                .as_deref()
                .is_some_and(|o| o.ends_with("LISTKEYS/ACTION"))
    });
    let roles = ips_with(&|r| {
        r.kind == SourceKind::Audit && first(&r.doc, r.kind, "Category") == json!("RoleManagement")
    });
    let all3: Vec<_> = signins
        .iter()
        .filter(|ip| listkeys.contains(ip) && roles.contains(ip))
        .collect();
    assert_eq!(all3, [attacker]);
    assert!(
        listkeys.len() >= 3 && roles.len() >= 2,
        "{listkeys:?} {roles:?}"
    );
}
