//! Each reader on its own fixture, and every record given back by reparse.

mod common;

use common::{fixture, load, lookup};
use serde_json::json;
use vigil::ingest::{Format, LoadOptions, reparse};
use vigil::model::{Outcome, Shape, SourceKind};

#[test]
fn ndjson_with_flat_dotted_keys_mixed_with_nested_objects() {
    let l = load(fixture("readers/ecs-mixed.ndjson"));
    assert_eq!(l.reports[0].format, Format::Ndjson);
    assert_eq!(l.records.len(), 2);
    let a = &l.records[0];
    assert_eq!((a.kind, a.shape), (SourceKind::Activity, Shape::Ecs));
    assert_eq!(
        lookup(&a.doc, a.kind, "azure.activitylogs.operation_name"),
        vec![json!("MICROSOFT.STORAGE/STORAGEACCOUNTS/LISTKEYS/ACTION")]
    );
    assert_eq!(a.canon.upn.as_deref(), Some("megan.ross@contoso-lab.com"));
    let kv = &l.records[1];
    assert_eq!((kv.kind, kv.shape), (SourceKind::KeyVault, Shape::Ecs));
    assert_eq!(kv.canon.upn.as_deref(), Some("megan.ross@contoso-lab.com"));
    assert_eq!(kv.canon.ip.as_deref(), Some("203.0.113.77"));
    assert_eq!(kv.canon.operation.as_deref(), Some("SecretGet"));
    assert_eq!(kv.canon.resource_name.as_deref(), Some("kv-contoso-prod"));
}

#[test]
fn utf8_bom_reads_like_plain_utf8() {
    let plain = load(fixture("readers/ecs-mixed.ndjson"));
    let bom = load(fixture("readers/ecs-bom.ndjson"));
    assert_eq!(bom.reports[0].encoding.name(), "utf-8-bom");
    let docs = |l: &common::Load| l.records.iter().map(|r| r.doc.clone()).collect::<Vec<_>>();
    assert_eq!(docs(&plain), docs(&bom));
}

#[test]
fn json_array_strips_ports_and_keeps_ipv6() {
    let l = load(fixture("readers/array.json"));
    assert_eq!(l.reports[0].format, Format::JsonArray);
    assert_eq!(l.records[0].canon.ip.as_deref(), Some("203.0.113.77"));
    assert_eq!(l.records[1].canon.ip.as_deref(), Some("2001:db8:4::17"));
    assert_eq!(l.records[0].canon.outcome, Outcome::Success);
    assert_eq!(l.records[1].canon.outcome, Outcome::Failure);
    assert_eq!(
        l.records[0].canon.resource_name.as_deref(),
        Some("stcontosofin01")
    );
}

#[test]
fn gzip_is_found_by_content_not_name() {
    let gz = load(fixture("readers/activity-gzip.log"));
    let plain = load(fixture("readers/array.json"));
    assert!(gz.reports[0].gzip);
    assert_eq!(gz.reports[0].format, Format::Ndjson);
    let docs = |l: &common::Load| l.records.iter().map(|r| r.doc.clone()).collect::<Vec<_>>();
    assert_eq!(docs(&gz), docs(&plain));
}

#[test]
fn azure_records_with_properties_as_object_or_as_json_text() {
    let l = load(fixture("readers/keyvault-records.json"));
    assert_eq!(l.reports[0].format, Format::AzureRecords);
    assert_eq!(l.records.len(), 2);
    for r in &l.records {
        assert_eq!((r.kind, r.shape), (SourceKind::KeyVault, Shape::Azure));
        assert_eq!(r.canon.upn.as_deref(), Some("megan.ross@contoso-lab.com"));
    }
    assert_eq!(
        lookup(
            &l.records[1].doc,
            SourceKind::KeyVault,
            "properties.clientInfo"
        ),
        vec![json!("azsdk-python-keyvault-keys/4.9.0")]
    );
    assert_eq!(
        l.records[1].canon.user_agent.as_deref(),
        Some("azsdk-python-keyvault-keys/4.9.0")
    );
}

#[test]
fn utf16_exports_read_like_utf8() {
    let utf8 = load(fixture("readers/keyvault-records.json"));
    for name in [
        "readers/keyvault-utf16le.json",
        "readers/keyvault-utf16be.json",
    ] {
        let l = load(fixture(name));
        assert_eq!(l.reports[0].errors, 0, "{name}");
        let a: Vec<_> = l.records.iter().map(|r| r.doc.clone()).collect();
        let b: Vec<_> = utf8.records.iter().map(|r| r.doc.clone()).collect();
        assert_eq!(a, b, "{name}");
    }
}

#[test]
fn storage_blob_lines_including_a_records_line() {
    let l = load(fixture("readers/PT1H.json"));
    assert_eq!(l.records.len(), 3);
    let kinds: Vec<_> = l.records.iter().map(|r| r.kind).collect();
    assert_eq!(
        kinds,
        [SourceKind::SignIn, SourceKind::SignIn, SourceKind::Audit]
    );
    assert_eq!(l.records[0].canon.outcome, Outcome::Success);
    assert_eq!(l.records[1].canon.outcome, Outcome::Failure);
    assert_eq!(l.records[0].canon.app_name.as_deref(), Some("Azure Portal"));
    let audit = &l.records[2];
    assert_eq!(
        audit.canon.upn.as_deref(),
        Some("megan.ross@contoso-lab.com")
    );
    assert_eq!(
        audit.canon.resource_name.as_deref(),
        Some("storage account contributor")
    );
    assert_eq!(audit.loc.at.line, 3);
}

#[test]
fn elasticsearch_response_keeps_id_and_index() {
    let l = load(fixture("readers/es-response.json"));
    assert_eq!(l.reports[0].format, Format::EsSearchResponse);
    assert_eq!(l.records.len(), 2);
    assert_eq!(l.records[0].doc["_id"], json!("Zr3x8Y0BcYk1"));
    assert_eq!(
        l.records[0].doc["_index"],
        json!(".ds-logs-azure.signinlogs-default-2026.03.02-000001")
    );
    assert_eq!(l.records[1].canon.outcome, Outcome::Failure);
    assert!(l.records[0].doc.get("_score").is_none());
}

#[test]
fn log_analytics_query_api_rows_become_documents() {
    let l = load(fixture("readers/la-query.json"));
    assert_eq!(l.reports[0].format, Format::LogAnalyticsJson);
    let r = &l.records[0];
    assert_eq!((r.kind, r.shape), (SourceKind::Activity, Shape::Sentinel));
    assert_eq!(
        r.doc["Authorization"]["action"],
        json!("Microsoft.Storage/storageAccounts/listKeys/action")
    );
    assert_eq!(l.records[1].doc["Authorization"], json!(null));
    assert_eq!(r.canon.upn.as_deref(), Some("megan.ross@contoso-lab.com"));
    assert_eq!(r.canon.resource_name.as_deref(), Some("stcontosofin01"));
}

#[test]
fn portal_csv_with_quotes_newlines_and_json_columns() {
    let l = load(fixture("readers/la-export.csv"));
    assert_eq!(l.reports[0].format, Format::LogAnalyticsCsv);
    assert_eq!(l.reports[0].errors, 0);
    assert_eq!(l.records.len(), 2);
    let r = &l.records[0];
    assert_eq!((r.kind, r.shape), (SourceKind::Audit, Shape::Sentinel));
    assert_eq!(
        r.doc["InitiatedBy"]["user"]["ipAddress"],
        json!("203.0.113.77")
    );
    assert_eq!(
        r.doc["AdditionalDetails"][0]["value"],
        json!("line one\nline two")
    );
    assert_eq!(
        r.doc["ResultReason"],
        json!("Approved by ticket CHG-4411\nrequested by \"platform team\"")
    );
    assert_eq!(
        r.canon.time.map(|t| t.to_rfc3339()).as_deref(),
        Some("2026-03-02T09:05:10+00:00")
    );
    assert_eq!(r.canon.ip.as_deref(), Some("203.0.113.77"));
    assert_eq!(
        l.records[1].canon.app_name.as_deref(),
        Some("Microsoft Substrate Management")
    );
    assert_eq!(l.records[1].loc.at.line, 4);
}

#[test]
fn graph_pages_read_their_value_array() {
    let l = load(fixture("readers/graph-signins.json"));
    assert_eq!(l.reports[0].format, Format::GraphPage);
    assert_eq!(l.records.len(), 1);
    assert_eq!(l.records[0].kind, SourceKind::SignIn);
    assert_eq!(l.records[0].canon.outcome, Outcome::Success);
}

#[test]
fn every_record_reparses_to_the_same_document() {
    let l = load(fixture("readers"));
    assert!(l.records.len() >= 20);
    for r in &l.records {
        let src = &l.sources[r.loc.source as usize];
        let again = reparse(src, &r.loc, &LoadOptions::default().limits)
            .unwrap_or_else(|e| panic!("{}: {e}", src.path));
        assert_eq!(again, r.doc, "{} record {}", src.path, r.loc.index);
    }
}

#[test]
fn a_line_that_only_mentions_container_keys_is_one_record() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("mixed.ndjson");
    let lines = [
        r#"{"operationName": "x", "message": "moved \"records\": and \"hits\"", "props": {"tables": [1]}}"#,
        r#"{"hits": 5, "callerIpAddress": "10.0.0.9"}"#,
        r#"{"broken": [1, }"#,
        r#"{"records": [{"operationName": "a"}, {"operationName": "b"}]}"#,
    ];
    std::fs::write(&path, lines.join("\n")).expect("write");
    let l = load(&path);
    let ops: Vec<_> = l
        .records
        .iter()
        .map(|r| r.doc.get("operationName").cloned())
        .collect();
    assert_eq!(
        ops,
        [Some(json!("x")), None, Some(json!("a")), Some(json!("b"))]
    );
    assert_eq!(l.records[1].doc["hits"], json!(5));
    assert_eq!(l.reports[0].errors, 1);
    let e = &l.reports[0].first_errors[0];
    assert_eq!(e.at.line, 3, "{e:?}");
}
