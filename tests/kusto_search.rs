//! `vigil search --kusto`, run as an analyst runs it over the demo
//! scenario's exports.

mod common;

use std::process::Command;

use common::fixture;
use serde_json::Value;

const SHAPES: [&str; 3] = ["demo", "demo-azure", "demo-sentinel"];

/// The result rows of a query over `logs`, and the exit code.
fn search(query: &str, logs: &[std::path::PathBuf], extra: &[&str]) -> (Vec<Value>, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["search", "--kusto", query, "--format", "ndjson"])
        .args(logs)
        .args(extra)
        .output()
        .expect("vigil runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let rows = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}\n{stderr}")))
        .collect();
    (rows, out.status.code().expect("exit code"))
}

fn keys(row: &Value) -> Vec<&str> {
    row.as_object()
        .expect("a row is an object")
        .keys()
        .map(String::as_str)
        .collect()
}

#[test]
fn every_shape_of_the_scenario_gives_the_same_tables() {
    let q = "union SigninLogs, AzureActivity, AuditLogs, AzureDiagnostics \
             | summarize n = count() by Type | sort by Type asc";
    let mut seen = Vec::new();
    for shape in SHAPES {
        let (rows, code) = search(q, &[fixture(shape)], &[]);
        assert_eq!(code, 0, "{shape}");
        seen.push(rows);
    }
    let counts: Vec<(String, u64)> = seen[0]
        .iter()
        .map(|r| {
            (
                r["Type"].as_str().unwrap().to_string(),
                r["n"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        counts,
        [
            ("AuditLogs".to_string(), 54),
            ("AzureActivity".to_string(), 616),
            ("AzureDiagnostics".to_string(), 1813),
            ("SigninLogs".to_string(), 710),
        ]
    );
    assert!(seen.iter().all(|s| *s == seen[0]), "{seen:?}");
}

#[test]
fn now_is_the_end_of_every_loaded_record_not_only_the_rows_kept() {
    // The Key Vault log runs later than the sign-ins: a query that reads
    // only sign-ins still measures `ago` from the end of the data.
    for shape in SHAPES {
        let (rows, _) = search(
            "SigninLogs | where ResultType == \"0\" | take 1 | project n = now()",
            &[fixture(shape)],
            &[],
        );
        assert_eq!(
            rows,
            [serde_json::json!({"n": "2026-03-05T23:55:42Z"})],
            "{shape}"
        );
        // Six hours and three minutes before 23:55:42 leaves the sign-ins
        // at 23:50:00 and 17:58:57; before 23:50:00 (the last sign-in) it
        // would take in two more.
        let (rows, _) = search(
            "SigninLogs | where TimeGenerated > ago(6h + 3m) | count",
            &[fixture(shape)],
            &[],
        );
        assert_eq!(rows, [serde_json::json!({"Count": 2})], "{shape}");
    }
}

#[test]
fn a_result_of_whole_rows_keeps_every_column_and_a_summary_only_its_own() {
    let logs = [fixture("demo-sentinel")];
    let (rows, _) = search(
        "SigninLogs | where ResultType != \"0\" | take 1",
        &logs,
        &[],
    );
    let cols = keys(&rows[0]);
    for c in [
        "TimeGenerated",
        "UserPrincipalName",
        "IPAddress",
        "ResultDescription",
        "UserAgent",
    ] {
        assert!(cols.contains(&c), "{c} missing from {cols:?}");
    }
    let (rows, _) = search(
        "SigninLogs | where ResultType != \"0\" | summarize n = count() by IPAddress \
         | top 1 by n | extend seen = true",
        &logs,
        &[],
    );
    assert_eq!(keys(&rows[0]), ["IPAddress", "n", "seen"]);
}

#[test]
fn a_filter_that_drops_every_row_finds_nothing_and_exits_one() {
    let (rows, code) = search(
        "AzureActivity | where OperationNameValue =~ \"NO/SUCH/ACTION\" | project Caller",
        &[fixture("demo")],
        &[],
    );
    assert!(rows.is_empty(), "{rows:?}");
    assert_eq!(code, 1);
}

#[test]
fn a_named_file_is_a_table_of_its_own_columns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hosts.ndjson");
    std::fs::write(
        &path,
        "{\"Host\":\"web-1\",\"Cpu\":91,\"Zone\":\"a\"}\n{\"Host\":\"web-2\",\"Cpu\":12,\"Zone\":\"b\"}\n",
    )
    .unwrap();
    let named = format!("Hosts={}", path.display());
    let (rows, code) = search(
        "Hosts | where Cpu > 50 | project Host",
        &[],
        &["--table", &named],
    );
    assert_eq!(code, 0);
    assert_eq!(rows, [serde_json::json!({"Host": "web-1"})]);
    let (rows, _) = search("Hosts | where Zone == \"b\"", &[], &["--table", &named]);
    assert_eq!(keys(&rows[0]), ["Host", "Cpu", "Zone"]);
}

#[test]
fn search_finds_the_attackers_address_in_every_table_of_every_shape() {
    let q = "search \"185.220.101.47\" | summarize n = count() by $table | sort by $table asc";
    for shape in SHAPES {
        let (rows, code) = search(q, &[fixture(shape)], &[]);
        assert_eq!(code, 0, "{shape}");
        let got: Vec<(String, u64)> = rows
            .iter()
            .map(|r| {
                (
                    r["$table"].as_str().unwrap().to_string(),
                    r["n"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("AuditLogs".to_string(), 3),
                ("AzureActivity".to_string(), 22),
                ("AzureDiagnostics".to_string(), 31),
                ("SigninLogs".to_string(), 4),
            ],
            "{shape}"
        );
    }
    // A secret's name is nested in a raw export's properties and a column
    // of its own in Log Analytics: searched alike either way.
    for shape in SHAPES {
        let (rows, _) = search(
            "search \"payments-db*\" | summarize n = count() by $table",
            &[fixture(shape)],
            &[],
        );
        assert_eq!(
            rows,
            [serde_json::json!({"$table": "AzureDiagnostics", "n": 1729})],
            "{shape}"
        );
    }
    // The same through a wildcard union and a filter over every column.
    let (rows, _) = search(
        "union withsource=Source *Logs | where * has \"185.220.101.47\" | summarize n = count() by Source | sort by Source asc",
        &[fixture("demo")],
        &[],
    );
    assert_eq!(
        rows,
        [
            serde_json::json!({"Source": "AuditLogs", "n": 3}),
            serde_json::json!({"Source": "SigninLogs", "n": 4}),
        ]
    );
}

#[test]
fn in_takes_the_first_column_of_a_tabular_let_or_a_subquery() {
    let expected = [
        serde_json::json!({"CallerIpAddress": "185.220.101.47", "n": 2}),
        serde_json::json!({"CallerIpAddress": "198.51.100.12", "n": 2}),
    ];
    for shape in SHAPES {
        let (rows, _) = search(
            "let seen = SigninLogs | where ResultType == \"0\" | distinct IPAddress;\n\
             AzureActivity | where OperationNameValue has \"listKeys\" and CallerIpAddress in (seen)\n\
             | summarize n = count() by CallerIpAddress | sort by CallerIpAddress asc",
            &[fixture(shape)],
            &[],
        );
        assert_eq!(rows, expected, "{shape}");
        // The service's own address lists keys too, but never signs in.
        let (rows, _) = search(
            "AzureActivity | where OperationNameValue has \"listKeys\"\n\
             | where CallerIpAddress !in (SigninLogs | project IPAddress) | distinct CallerIpAddress",
            &[fixture(shape)],
            &[],
        );
        assert_eq!(
            rows,
            [serde_json::json!({"CallerIpAddress": "20.50.2.10"})],
            "{shape}"
        );
    }
}

#[test]
fn partition_runs_its_subquery_once_per_value_of_a_column_it_alone_names() {
    // The partition column appears nowhere else in the query, so only the
    // partition clause tells that sign-in rows must keep it.
    for shape in SHAPES {
        let (rows, _) = search(
            "SigninLogs | partition hint.strategy=native by UserPrincipalName (take 1) | count",
            &[fixture(shape)],
            &[],
        );
        assert_eq!(rows, [serde_json::json!({"Count": 20})], "{shape}");
    }
}

/// The rows a query gives on every shape, which must agree.
fn alike_on_every_shape(q: &str) -> Vec<Value> {
    let runs: Vec<Vec<Value>> = SHAPES
        .iter()
        .map(|shape| search(q, &[fixture(shape)], &[]).0)
        .collect();
    for (shape, rows) in SHAPES.iter().zip(&runs) {
        assert_eq!(
            *rows, runs[1],
            "{shape} differs from the raw export on\n{q}"
        );
    }
    runs[1].clone()
}

#[test]
fn nested_columns_read_alike_from_filebeat_documents() {
    // Filebeat spreads TargetResources into an object keyed by position,
    // snake-cases its keys, and moves a sign-in's location to source.geo.
    let rows = alike_on_every_shape(
        "AuditLogs | mv-expand TargetResources | extend t = tostring(TargetResources.displayName) \
         | summarize n = count() by t | sort by n desc, t asc | take 2",
    );
    assert_eq!(
        rows,
        [
            serde_json::json!({"t": "Finance Analysts", "n": 15}),
            serde_json::json!({"t": "yusuf.demir@contoso-lab.com", "n": 4}),
        ]
    );
    let rows = alike_on_every_shape(
        "SigninLogs | extend city = tostring(LocationDetails.city) \
         | summarize cities = dcount(city) by UserPrincipalName | sort by cities desc | take 1",
    );
    assert_eq!(
        rows,
        [serde_json::json!({"UserPrincipalName": "lena.fischer@contoso-lab.com", "cities": 4})]
    );
    // Filebeat writes the dots of a claim type's host as underscores.
    let rows = alike_on_every_shape(
        "AzureActivity | extend upn = tostring(parse_json(Claims)\
         [\"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn\"]) \
         | where isnotempty(upn) | summarize n = count() by upn | sort by upn asc | take 1",
    );
    assert_eq!(
        rows,
        [serde_json::json!({"upn": "alex.kim@contoso-lab.com", "n": 12})]
    );
}

#[test]
fn a_joined_row_keeps_the_nested_columns_of_its_table() {
    // A join settles each row's columns: a sign-in row from a raw or ECS
    // export must still carry LocationDetails and UserAgent after it.
    let rows = alike_on_every_shape(
        "SigninLogs | join kind=inner (AzureActivity | summarize n = count() by Caller) \
           on $left.UserPrincipalName == $right.Caller \
         | extend city = tostring(LocationDetails.city), edge = UserAgent has \"Edg/\" \
         | summarize n = count() by city, edge | sort by n desc, city asc | take 2",
    );
    assert_eq!(
        rows,
        [
            serde_json::json!({"city": "Seattle", "edge": true, "n": 274}),
            serde_json::json!({"city": "Hamburg", "edge": true, "n": 20}),
        ]
    );
    let rows = alike_on_every_shape(
        "SigninLogs | where ResultType != \"0\" \
         | summarize n = count(), ips = count_distinct(IPAddress) by ResultDescription",
    );
    assert_eq!(
        rows,
        [serde_json::json!({"ResultDescription": "Sign-in failed", "n": 46, "ips": 16})]
    );
    // Log Analytics writes _ResourceId in lower case whatever the record did.
    let rows = alike_on_every_shape(
        "AzureActivity | where OperationNameValue has \"listKeys\" \
         | summarize by _ResourceId | sort by _ResourceId asc | take 1",
    );
    assert_eq!(
        rows,
        [
            serde_json::json!({"_ResourceId": "/subscriptions/6a2f0b61-0d3e-4c55-9c0f-3b1e2e7d9a10/resourcegroups/rg-data/providers/microsoft.storage/storageaccounts/stcontosofin01"})
        ]
    );
}

#[test]
fn a_role_assignment_names_the_role_among_the_members_modified_properties() {
    // As Entra ID writes it: the target is the member; the role is the new
    // value of its Role.DisplayName property, in JSON quotes.
    let rows = alike_on_every_shape(
        "AuditLogs | where OperationName == \"Add member to role\" \
         | mv-expand Target = TargetResources | mv-expand Change = Target.modifiedProperties \
         | where tostring(Change.displayName) == \"Role.DisplayName\" \
         | project Member = tostring(Target.userPrincipalName), Role = trim('\"', tostring(Change.newValue)), \
             By = tostring(InitiatedBy.user.userPrincipalName) \
         | sort by Role asc",
    );
    assert_eq!(
        rows,
        [
            serde_json::json!({"Member": "megan.ross@contoso-lab.com", "Role": "Application Administrator",
                               "By": "megan.ross@contoso-lab.com"}),
            serde_json::json!({"Member": "hannah.wright@contoso-lab.com", "Role": "Security Reader",
                               "By": "priya.natarajan@contoso-lab.com"}),
        ]
    );
}

#[test]
fn a_watchlist_is_a_named_file_and_externaldata_is_refused_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vip.ndjson");
    std::fs::write(
        &path,
        "{\"UPN\":\"grace.liu@contoso-lab.com\",\"Tier\":\"0\"}\n{\"UPN\":\"nobody@contoso-lab.com\",\"Tier\":\"1\"}\n",
    )
    .unwrap();
    let named = format!("VIPUsers={}", path.display());
    let (rows, code) = search(
        "let vip = _GetWatchlist('VIPUsers') | project SearchKey;\n\
         SigninLogs | where UserPrincipalName in (vip) | summarize n = count() by UserPrincipalName",
        &[fixture("demo")],
        &["--table", &named],
    );
    assert_eq!(code, 0);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["UserPrincipalName"], "grace.liu@contoso-lab.com");
    assert!(rows[0]["n"].as_u64().unwrap() > 0);

    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args([
            "search",
            "--kusto",
            "let bad = externaldata(ip:string)[h@'https://example.com/ips.csv'];\nSigninLogs | where IPAddress in (bad)",
        ])
        .arg(fixture("demo"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("https://example.com/ips.csv") && err.contains("--table"),
        "{err}"
    );
}

#[test]
fn a_rows_latest_state_carries_every_column_whatever_the_shape() {
    for shape in SHAPES {
        let (rows, _) = search(
            "SigninLogs | summarize arg_max(TimeGenerated, *) by UserPrincipalName\n\
             | where UserPrincipalName == \"grace.liu@contoso-lab.com\"\n\
             | extend Everything = pack_all() | project IPAddress, AppDisplayName, Packed = Everything.IPAddress",
            &[fixture(shape)],
            &[],
        );
        assert_eq!(
            rows,
            [
                serde_json::json!({"IPAddress": "192.0.2.51", "AppDisplayName": "OfficeHome", "Packed": "192.0.2.51"})
            ],
            "{shape}"
        );
    }
}
