//! The two seed KQL detections, as their queries are written, over every
//! shape of the demo scenario: the same events match in each.

mod common;

use chrono::{TimeZone, Utc};
use common::{fixture, load};
use vigil::ingest::Mapping;
use vigil::rules::fields::Mapped;
use vigil::rules::kql::{self, Ctx};

const KEY_REGENERATED: &str = r#"event.dataset:azure.activitylogs and azure.activitylogs.operation_name:"MICROSOFT.STORAGE/STORAGEACCOUNTS/REGENERATEKEY/ACTION" and event.outcome:(Success or success)"#;
const VAULT_MODIFIED: &str = r#"event.dataset:azure.activitylogs and azure.activitylogs.operation_name:"MICROSOFT.KEYVAULT/VAULTS/WRITE" and event.outcome:(Success or success)"#;

/// (time, upn, ip, resource) of each matching event, in time order.
fn hits(dir: &str, query: &str) -> Vec<String> {
    let q = kql::parse(query).unwrap();
    let ctx = Ctx::new(Utc.with_ymd_and_hms(2026, 3, 6, 0, 0, 0).unwrap());
    let l = load(fixture(dir));
    let mapping = Mapping::builtin();
    let mut out: Vec<String> = l
        .records
        .iter()
        .filter(|r| {
            let f = Mapped {
                doc: &r.doc,
                kind: r.kind,
                mapping,
            };
            kql::matches(&q, &f, &ctx)
        })
        .map(|r| {
            format!(
                "{} {} {} {}",
                r.canon.time.unwrap().to_rfc3339(),
                r.canon.upn.clone().unwrap_or_default(),
                r.canon.ip.clone().unwrap_or_default(),
                r.canon.resource_name.clone().unwrap_or_default()
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn key_regeneration_rule_matches_the_same_events_in_every_shape() {
    let ecs = hits("demo", KEY_REGENERATED);
    // Two nightly rotations for four nights, and the attacker's.
    assert_eq!(ecs.len(), 9, "{ecs:#?}");
    assert_eq!(
        ecs.iter()
            .filter(|h| h.contains("megan.ross@contoso-lab.com 185.220.101.47 stcontosofin01"))
            .count(),
        1
    );
    assert_eq!(hits("demo-azure", KEY_REGENERATED), ecs);
    assert_eq!(hits("demo-sentinel", KEY_REGENERATED), ecs);
}

#[test]
fn key_vault_modified_rule_matches_the_same_events_in_every_shape() {
    let ecs = hits("demo", VAULT_MODIFIED);
    assert_eq!(ecs.len(), 3, "{ecs:#?}");
    assert!(
        ecs[0].contains("megan.ross@contoso-lab.com 185.220.101.47 kv-contoso-prod"),
        "{ecs:#?}"
    );
    assert!(
        ecs[1..]
            .iter()
            .all(|h| h.contains("alex.kim@contoso-lab.com 198.51.100.12")),
        "{ecs:#?}"
    );
    assert_eq!(hits("demo-azure", VAULT_MODIFIED), ecs);
    assert_eq!(hits("demo-sentinel", VAULT_MODIFIED), ecs);
}

#[test]
fn sentinel_and_raw_names_work_in_kql_too() {
    let by_sentinel_names = hits(
        "demo",
        r#"OperationNameValue:"MICROSOFT.STORAGE/STORAGEACCOUNTS/REGENERATEKEY/ACTION" and ActivityStatus:Succeeded"#,
    );
    assert_eq!(by_sentinel_names, hits("demo", KEY_REGENERATED));
    let ranged = hits(
        "demo-azure",
        r#"event.dataset:azure.platformlogs and @timestamp >= "2026-03-04T09:41:00Z" and @timestamp < "2026-03-04T09:42:00Z""#,
    );
    assert_eq!(ranged.len(), 14);
}

#[test]
fn index_patterns_select_events_by_data_stream_in_every_shape() {
    use vigil::rules::index;
    let mapping = Mapping::builtin();
    for dir in ["demo", "demo-azure", "demo-sentinel"] {
        let l = load(fixture(dir));
        let covered = |patterns: &[&str]| {
            let p: Vec<String> = patterns.iter().map(|s| s.to_string()).collect();
            l.records
                .iter()
                .filter(|r| index::covers(&p, &index::names(&r.doc, r.kind, mapping)))
                .count()
        };
        assert_eq!(
            covered(&["filebeat-*", "logs-azure*"]),
            l.records.len(),
            "{dir}"
        );
        let kv = l
            .records
            .iter()
            .filter(|r| r.kind == vigil::model::SourceKind::KeyVault)
            .count();
        assert_eq!(covered(&["logs-azure.platformlogs-*"]), kv, "{dir}");
        assert_eq!(covered(&["logs-aws*"]), 0, "{dir}");
    }
}
