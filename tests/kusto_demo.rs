//! The seed Sentinel hunting query (two joins) over the demo scenario in
//! every shape: the attacker's row, with links to the sign-ins, key
//! listings and role change behind it, and nothing for the admins.

mod common;

use std::collections::HashMap;

use common::{fixture, shared};
use vigil::detect::EventRef;
use vigil::ingest::{self, LoadOptions, Mapping};
use vigil::model::SourceKind;
use vigil::rules::kusto::{self, tables::Builder};

fn seed_query() -> Option<String> {
    let dir = shared("seeds")?;
    let entry = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .find(|e| e.file_name().to_string_lossy().starts_with("002_"))?;
    let text = std::fs::read_to_string(entry.path()).unwrap();
    let start = text.find("\nquery: |\n")? + "\nquery: |\n".len();
    let end = start + text[start..].find("\nentityMappings:")?;
    Some(text[start..end].to_string())
}

#[test]
fn seed_hunting_query_finds_the_attacker_in_every_shape() {
    let Some(query) = seed_query() else { return };
    let q = kusto::compile(&query).unwrap_or_else(|e| panic!("{}", e.render(&query)));
    for dir in ["demo", "demo-azure", "demo-sentinel"] {
        let mapping = Mapping::builtin();
        let mut b = Builder::new(Vec::new());
        let mut kinds: HashMap<EventRef, (SourceKind, String)> = HashMap::new();
        ingest::load(&[fixture(dir)], &LoadOptions::default(), &mut |ev| {
            b.offer(&ev, mapping);
            let c = mapping.canonical(&ev.doc, ev.kind);
            kinds.insert(
                EventRef::new(&ev.loc, c.time),
                (ev.kind, c.ip.unwrap_or_default()),
            );
        });
        let t = b.run(&q, None);
        let rows = t.to_json_rows();
        assert_eq!(rows.len(), 1, "{dir}: {rows:?}");
        let r = &rows[0];
        assert_eq!(r["IPCustomEntity"], "185.220.101.47", "{dir}");
        assert_eq!(
            r["AccountCustomEntity"], "megan.ross@contoso-lab.com",
            "{dir}"
        );
        assert_eq!(
            // The target of a role assignment is the member added: here
            // the attacker's own account.
            r["TargetResourceName"],
            "megan ross",
            "{dir}"
        );
        assert_eq!(r["TimeGenerated"], "2026-03-04T09:05:10Z", "{dir}");
        // Three successful sign-ins from the address joined to one key
        // listing and one role change.
        assert_eq!(r["count_"], 3, "{dir}");
        let ev: Vec<&(SourceKind, String)> = t.rows[0].evidence.iter().map(|e| &kinds[e]).collect();
        let count = |k| ev.iter().filter(|(kind, _)| *kind == k).count();
        assert_eq!(
            (
                count(SourceKind::SignIn),
                count(SourceKind::Activity),
                count(SourceKind::Audit)
            ),
            (3, 1, 1),
            "{dir}"
        );
        assert!(ev.iter().all(|(_, ip)| ip == "185.220.101.47"), "{dir}");
    }
}

#[test]
fn parser_accepts_kustos_spacing_and_never_panics() {
    for q in [
        "T | join kind=inner (U | project a) on $left.a == $right. b",
        "T | summarize count () by x",
        "T | extend y = tostring(x.[0].name), z = x[\"k\"], w = x.a.b",
        "let n = 5;\nT | where x > ago(1h) and y !in~ (\"A\", \"b\") | top n by x desc",
        "T | where s has_any (\"a\", \"b\") and s !contains_cs \"X\" and t between (1 .. 5)",
    ] {
        kusto::parse(q).unwrap_or_else(|e| panic!("{q}: {}", e.render(q)));
    }
    const ALPHABET: &[&str] = &[
        "T",
        " | ",
        "where ",
        "x",
        "==",
        "(",
        ")",
        "'",
        "\"",
        "[",
        "]",
        ".",
        "$left",
        " join ",
        " on ",
        "summarize ",
        " by ",
        "let ",
        "=",
        ";",
        "1h",
        "é",
        "!",
        "~",
        "in",
        ",",
        "..",
        "dynamic(",
        "{",
        "}",
        "toscalar(",
        " | mv-apply ",
        " | parse-kv ",
        " as ",
        "(a:long)",
        "(t:(x:string))",
        " with (",
        " | evaluate ",
        "0x",
        "search ",
        " kind=case_sensitive ",
        " in (",
        "*",
        "x:",
        " union withsource=S ",
        "Sign*",
    ];
    for q in vigil::rules::lex::random_queries(ALPHABET, 0x2545_f491_4f6c_dd1d, 20_000, 20) {
        let _ = kusto::compile(&q);
    }
}

/// The seed's YAML, saved from the page as it stands (its indentation lost
/// in the page's rendering), loads as a Sentinel rule and its entity
/// mappings name the attacker's account and address.
#[test]
fn seed_sentinel_yaml_loads_with_its_entities_and_runs() {
    let Some(dir) = shared("seeds") else { return };
    let entry = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .find(|e| e.file_name().to_string_lossy().starts_with("002_"))
        .unwrap();
    let text = std::fs::read_to_string(entry.path()).unwrap();
    let start = text.find("\nid: ").unwrap() + 1;
    let end = text.find("\n| Sentinel Table").unwrap();
    let yaml = &text[start..end];
    let rule = vigil::rules::sentinel::from_yaml("seed.yaml", yaml).unwrap();
    assert!(
        matches!(rule.status, vigil::rules::Status::Ok),
        "{:?}",
        rule.status
    );
    assert_eq!(rule.name, "Storage Account Key Enumeration");
    assert_eq!(rule.rule_id, "f19f913f-292a-41ed-9ac0-f3ea5e703d36");
    let tactics: Vec<&str> = rule
        .threat
        .iter()
        .filter_map(|t| t.tactic.as_ref())
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(tactics, ["InitialAccess", "LateralMovement"]);
    let entities: Vec<(String, String, String)> = rule
        .entities
        .iter()
        .flat_map(|e| {
            e.fields
                .iter()
                .map(move |(id, col)| (e.entity_type.clone(), id.clone(), col.clone()))
        })
        .collect();
    assert_eq!(
        entities,
        [
            (
                "Account".to_string(),
                "FullName".to_string(),
                "AccountCustomEntity".to_string()
            ),
            (
                "IP".to_string(),
                "Address".to_string(),
                "IPCustomEntity".to_string()
            )
        ]
    );
    let vigil::rules::rule::Parsed::Kusto(q) = &rule.parsed else {
        panic!("not Kusto")
    };
    let mapping = Mapping::builtin();
    let mut b = Builder::new(Vec::new());
    ingest::load(
        &[fixture("demo-azure")],
        &LoadOptions::default(),
        &mut |ev| b.offer(&ev, mapping),
    );
    let rows = b.run(q, None).to_json_rows();
    assert_eq!(rows.len(), 1);
    let col = |entity: &str| {
        let m = rule
            .entities
            .iter()
            .find(|e| e.entity_type == entity)
            .unwrap();
        rows[0][m.fields[0].1.as_str()].clone()
    };
    assert_eq!(col("Account"), "megan.ross@contoso-lab.com");
    assert_eq!(col("IP"), "185.220.101.47");
}

#[test]
fn parse_operator_extracts_typed_columns() {
    let q = kusto::compile(
        "datatable(Text:string) [\"User: James, Age: 29, from 10.0.0.1\", \"no match\"] | parse Text with \"User: \" UserName \", Age: \" Age:long \",\" * | project UserName, Age",
    )
    .unwrap();
    let rows = Builder::new(Vec::new()).run(&q, Some(0)).to_json_rows();
    assert_eq!(
        rows,
        [
            serde_json::json!({"UserName": "James", "Age": 29}),
            serde_json::json!({"UserName": "", "Age": null})
        ]
    );
}

/// The Sentinel rules in the shared corpus run, and give the same rows on
/// the demo scenario in every shape it ships.
#[test]
fn corpus_sentinel_rules_run_alike_on_every_shape() {
    let Some(dir) = shared("corpus/rules/sentinel") else {
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    let mapping = Mapping::builtin();
    let builders: Vec<Builder> = ["demo", "demo-azure", "demo-sentinel"]
        .iter()
        .map(|d| {
            let mut b = Builder::new(Vec::new());
            ingest::load(&[fixture(d)], &LoadOptions::default(), &mut |ev| {
                b.offer(&ev, mapping)
            });
            b
        })
        .collect();
    let (mut ran, mut refused) = (Vec::new(), Vec::new());
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let rule = vigil::rules::sentinel::from_yaml(&f.to_string_lossy(), &text).unwrap();
        match (&rule.status, &rule.parsed) {
            (vigil::rules::Status::Ok, vigil::rules::rule::Parsed::Kusto(q)) => {
                let results: Vec<_> = builders
                    .iter()
                    .map(|b| b.run(q, None).to_json_rows())
                    .collect();
                assert_eq!(
                    results[0], results[1],
                    "{}: ECS and raw Azure differ",
                    rule.name
                );
                assert_eq!(
                    results[0], results[2],
                    "{}: ECS and Sentinel differ",
                    rule.name
                );
                ran.push((rule.name.clone(), results[0].len()));
            }
            (status, _) => refused.push(format!("{}: {status:?}", rule.name)),
        }
    }
    println!("ran {ran:?}\nrefused {refused:?}");
    assert!(refused.is_empty(), "{refused:?}");
    // The storage key rule looks for `Succeeded` listings, a status the
    // scenario's activity log spells `Success`. The app that reads a secret every five minutes passes the mass
    // retrieval threshold over the scenario's span, on both vaults. The
    // attacker deletes and purges a secret and an admin deletes another
    // (sensitive operations: 2). The role changes name only the role as
    // target, so the last finds nothing.
    let ran: Vec<(&str, usize)> = ran.iter().map(|(n, c)| (n.as_str(), *c)).collect();
    assert_eq!(
        ran,
        [
            ("Azure storage key enumeration", 0),
            ("Sensitive Azure Key Vault operations", 2),
            ("Mass secret retrieval from Azure Key Vault", 2),
            ("New User Assigned to Privileged Role", 0),
        ]
    );
}

/// The corpus rule that learns each caller's usual address with
/// `autocluster` and reports key listings from any other.
#[test]
fn corpus_storage_key_rule_reports_listings_away_from_the_usual_address() {
    let Some(dir) = shared("corpus/rules/sentinel") else {
        return;
    };
    let text = std::fs::read_to_string(dir.join("Anomalous_Listing_Of_Storage_Keys.yaml")).unwrap();
    let rule = vigil::rules::sentinel::from_yaml("rule.yaml", &text).unwrap();
    assert!(
        matches!(rule.status, vigil::rules::Status::Ok),
        "{:?}",
        rule.status
    );
    let start = text.find("query: |\n").unwrap() + "query: |\n".len();
    let end = text.find("\nentityMappings:").unwrap();
    let mut rows = String::new();
    let list = "microsoft.storage/storageaccounts/listkeys/action";
    for day in 1..=9 {
        rows.push_str(&format!(
            "datetime(2024-03-0{day}T09:00:00Z), '{list}', 'Succeeded', '10.1.1.1', 'ana@contoso.com', 'sa1',\n"
        ));
    }
    rows.push_str(&format!(
        "datetime(2024-03-09T23:00:00Z), '{list}', 'Succeeded', '203.0.113.9', 'ana@contoso.com', 'sa2',\n"
    ));
    rows.push_str(&format!(
        "datetime(2024-03-09T23:05:00Z), '{list}', 'Failed', '203.0.113.10', 'ana@contoso.com', 'sa3',\n"
    ));
    let query = format!(
        "let AzureActivity = datatable(TimeGenerated:datetime, OperationNameValue:string, ActivityStatusValue:string, CallerIpAddress:string, Caller:string, ResourceId:string)[\n{rows}];\n{}",
        &text[start..end]
    );
    let q = kusto::compile(&query).unwrap_or_else(|e| panic!("{}", e.render(&query)));
    let out = Builder::new(Vec::new()).run(&q, None).to_json_rows();
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0]["CallerIpAddress"], "203.0.113.9");
    assert_eq!(out[0]["Name"], "ana");
    assert_eq!(out[0]["UPNSuffix"], "contoso.com");
    assert_eq!(out[0]["ResourceIds"], serde_json::json!(["sa2"]));
}

/// Log Analytics names a service principal caller by its object id, and
/// has no null strings: both hold whatever shape the logs came in.
#[test]
fn callers_and_missing_text_read_alike_in_every_shape() {
    let mapping = Mapping::builtin();
    let query = r#"AzureActivity
| where OperationNameValue =~ "microsoft.storage/storageaccounts/listkeys/action"
| summarize n = count(), null_text = countif(isnull(ActivitySubstatusValue)) by Caller
| order by n desc"#;
    let q = kusto::compile(query).unwrap_or_else(|e| panic!("{}", e.render(query)));
    for dir in ["demo", "demo-azure", "demo-sentinel"] {
        let mut b = Builder::new(Vec::new());
        ingest::load(&[fixture(dir)], &LoadOptions::default(), &mut |ev| {
            b.offer(&ev, mapping)
        });
        let rows = b.run(&q, None).to_json_rows();
        assert_eq!(rows.len(), 3, "{dir}: {rows:?}");
        assert_eq!(
            rows[0]["Caller"], "3f9a1c2e-7b4d-4e8f-9a0b-1c2d3e4f5a6b",
            "{dir}"
        );
        assert_eq!(rows[0]["n"], 16, "{dir}");
        assert!(rows.iter().all(|r| r["null_text"] == 0), "{dir}: {rows:?}");

        let signins = kusto::compile(
            "SigninLogs | summarize n = count(), null_text = countif(isnull(RiskDetail))",
        )
        .unwrap();
        let rows = b.run(&signins, None).to_json_rows();
        assert_eq!(rows[0]["null_text"], 0, "{dir}: {rows:?}");
        assert!(rows[0]["n"].as_i64().unwrap() > 0, "{dir}");

        // The provider is the operation's namespace in every shape.
        let providers = kusto::compile(
            "AzureActivity | summarize n = count() by ResourceProviderValue | sort by ResourceProviderValue asc",
        )
        .unwrap();
        let rows = b.run(&providers, None).to_json_rows();
        let names: Vec<&str> = rows
            .iter()
            .map(|r| r["ResourceProviderValue"].as_str().unwrap())
            .collect();
        assert!(names.contains(&"MICROSOFT.STORAGE"), "{dir}: {names:?}");
        assert!(
            names.iter().all(|n| n.starts_with("MICROSOFT.")),
            "{dir}: {names:?}"
        );
    }
}
