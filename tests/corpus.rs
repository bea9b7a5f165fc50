//! Every public log sample in the shared corpus loads, with the format,
//! record count, kinds and error count an analyst would expect.

mod common;

use common::{load, lookup, shared};
use serde_json::json;
use vigil::ingest::Format;
use vigil::model::{Outcome, Shape, SourceKind};

#[test]
fn every_corpus_log_loads_without_errors() {
    let Some(root) = shared("corpus/logs") else {
        return;
    };
    let expected: &[(&str, Format, u64)] = &[
        (
            "elastic-integrations/activitylogs/sample_event.json",
            Format::Json,
            1,
        ),
        (
            "elastic-integrations/activitylogs/test-activitylogs-raw.log",
            Format::Ndjson,
            3,
        ),
        (
            "elastic-integrations/auditlogs/sample_event.json",
            Format::Json,
            1,
        ),
        (
            "elastic-integrations/platformlogs/sample_event.json",
            Format::Json,
            1,
        ),
        (
            "elastic-integrations/signinlogs/sample_event.json",
            Format::Json,
            1,
        ),
        (
            "microsoft-docs/keyvault-auditevent-records.json",
            Format::AzureRecords,
            1,
        ),
        (
            "otrf-security-datasets/GoldenSAMLADFSMailAccess/AADAuditEvents.json",
            Format::Ndjson,
            4,
        ),
        ("panther-tests/Azure_Audit.jsonl", Format::Ndjson, 25),
        (
            "panther-tests/Azure_MonitorActivity.jsonl",
            Format::Ndjson,
            117,
        ),
        ("panther-tests/expected.jsonl", Format::Ndjson, 142),
    ];
    let l = load(&root);
    assert_eq!(
        l.reports.len(),
        expected.len(),
        "a corpus file was added or removed"
    );
    for (rel, format, records) in expected {
        let r = l
            .reports
            .iter()
            .find(|r| r.path.ends_with(rel))
            .unwrap_or_else(|| panic!("{rel} not loaded"));
        assert_eq!(r.format, *format, "{rel}");
        assert_eq!(r.records, *records, "{rel}");
        assert_eq!(r.errors, 0, "{rel}: {:?}", r.first_errors);
    }
}

#[test]
fn corpus_samples_are_classified_and_mapped() {
    let Some(root) = shared("corpus/logs") else {
        return;
    };
    let l = load(root.join("elastic-integrations"));
    let by_file = |name: &str| {
        l.records
            .iter()
            .find(|r| l.sources[r.loc.source as usize].path.contains(name))
            .unwrap()
    };
    let signin = by_file("signinlogs");
    assert_eq!(
        (signin.kind, signin.shape),
        (SourceKind::SignIn, Shape::Ecs)
    );
    assert_eq!(signin.canon.upn.as_deref(), Some("test@elastic.co"));
    assert_eq!(signin.canon.outcome, Outcome::Failure);
    assert_eq!(signin.canon.ip.as_deref(), Some("1.1.1.1"));
    // Sentinel's column name reaches the ECS field.
    assert_eq!(
        lookup(&signin.doc, signin.kind, "AppDisplayName"),
        vec![json!("Office 365")]
    );

    let activity = by_file("activitylogs/sample_event");
    assert_eq!(activity.canon.upn.as_deref(), Some("john@gmail.com"));
    assert_eq!(
        lookup(&activity.doc, activity.kind, "OperationNameValue"),
        vec![json!("MICROSOFT.RESOURCES/DEPLOYMENTS/WRITE")]
    );

    let audit = by_file("auditlogs");
    assert_eq!(audit.kind, SourceKind::Audit);
    assert_eq!(
        lookup(&audit.doc, audit.kind, "LoggedByService"),
        vec![json!("Core Directory")]
    );
    assert_eq!(audit.canon.resource_name.as_deref(), Some("laptop-12"));

    let raw = l
        .records
        .iter()
        .find(|r| l.sources[r.loc.source as usize].path.ends_with(".log"))
        .unwrap();
    assert_eq!(raw.shape, Shape::Azure);
    assert_eq!(
        lookup(&raw.doc, raw.kind, "event.dataset"),
        vec![json!("azure.activitylogs")]
    );
    assert_eq!(
        lookup(&raw.doc, raw.kind, "azure.activitylogs.operation_name"),
        vec![json!(
            "MICROSOFT.EVENTHUB/NAMESPACES/AUTHORIZATIONRULES/LISTKEYS/ACTION"
        )]
    );
}

#[test]
fn key_vault_docs_example_maps_to_ecs_names() {
    let Some(p) = shared("corpus/logs/microsoft-docs/keyvault-auditevent-records.json") else {
        return;
    };
    let l = load(p);
    let r = &l.records[0];
    assert_eq!((r.kind, r.shape), (SourceKind::KeyVault, Shape::Azure));
    assert_eq!(
        r.canon.upn.as_deref(),
        Some("live.com#username@outlook.com")
    );
    assert_eq!(r.canon.resource_name.as_deref(), Some("contosokeyvault"));
    assert_eq!(
        lookup(&r.doc, r.kind, "event.action"),
        vec![json!("VaultGet")]
    );
    assert_eq!(
        lookup(&r.doc, r.kind, "event.dataset"),
        vec![json!("azure.platformlogs")]
    );
    assert_eq!(
        lookup(&r.doc, r.kind, "event.outcome"),
        vec![json!("success")]
    );
    assert_eq!(
        lookup(&r.doc, r.kind, "azure.platformlogs.identity.claim.upn"),
        vec![json!("live.com#username@outlook.com")]
    );
    assert_eq!(
        lookup(&r.doc, r.kind, "source.ip"),
        vec![json!("104.40.82.76")]
    );
}

#[test]
fn sentinel_audit_export_maps_to_ecs_names() {
    let Some(p) =
        shared("corpus/logs/otrf-security-datasets/GoldenSAMLADFSMailAccess/AADAuditEvents.json")
    else {
        return;
    };
    let l = load(p);
    let r = &l.records[0];
    assert_eq!((r.kind, r.shape), (SourceKind::Audit, Shape::Sentinel));
    assert_eq!(r.canon.upn.as_deref(), Some("pgustavo@simulandlabs.com"));
    assert_eq!(
        lookup(
            &r.doc,
            r.kind,
            "azure.auditlogs.properties.initiated_by.user.userPrincipalName"
        ),
        vec![json!("pgustavo@simulandlabs.com")]
    );
    assert_eq!(
        lookup(&r.doc, r.kind, "event.dataset"),
        vec![json!("azure.auditlogs")]
    );
    assert_eq!(r.canon.resource_name.as_deref(), Some("simulandapp"));
}
