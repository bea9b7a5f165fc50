//! Threshold and new-terms rules, written as detection-rules TOML, over the
//! demo scenario in every log shape.

mod common;

use common::{fixture, load};
use vigil::detect::{EventRef, Firing, hits};
use vigil::ingest::Mapping;
use vigil::rules::elastic;
use vigil::rules::fields::Mapped;
use vigil::rules::kql::{self, Ctx};
use vigil::rules::rule::{Parsed, Status};

const THRESHOLD: &str = r#"
[metadata]
maturity = "development"

[rule]
name = "Key Vault read burst"
rule_id = "t-1"
risk_score = 47
severity = "medium"
type = "threshold"
language = "kuery"
from = "now-1m"
index = ["logs-azure.platformlogs-*"]
query = '''
event.dataset:azure.platformlogs and event.action:(SecretGet or SecretList or SecretListVersions or KeyGet or KeyList)
'''

[rule.threshold]
field = ["azure.platformlogs.identity.claim.upn"]
value = 10
"#;

const NEW_TERMS: &str = r#"
[metadata]
maturity = "development"

[rule]
name = "Sign-in from a new country for the user"
rule_id = "n-1"
risk_score = 47
severity = "medium"
type = "new_terms"
language = "kuery"
query = '''
event.dataset:azure.signinlogs and event.outcome:success
'''

[rule.new_terms]
field = "new_terms_fields"
value = ["azure.signinlogs.properties.user_principal_name", "source.geo.country_iso_code"]
[[rule.new_terms.history_window_start]]
field = "history_window_start"
value = "now-14d"
"#;

fn run(
    rule_text: &str,
    dir: &str,
    tweak: impl Fn(&mut vigil::rules::Rule),
) -> Vec<(String, String, usize)> {
    let mut rule = elastic::from_toml("rule.toml", rule_text).unwrap();
    tweak(&mut rule);
    assert!(matches!(rule.status, Status::Ok), "{:?}", rule.status);
    let Parsed::Kql(q) = &rule.parsed else {
        panic!()
    };
    let ctx = Ctx::new(chrono::Utc::now());
    let mapping = Mapping::builtin();
    let l = load(fixture(dir));
    let mut all = Vec::new();
    for r in &l.records {
        let f = Mapped {
            doc: &r.doc,
            kind: r.kind,
            mapping,
        };
        if kql::matches(q, &f, &ctx) {
            let ev = EventRef::new(&r.loc, r.canon.time);
            all.extend(hits::hits_of(&rule, &f, r.canon.time.unwrap(), ev));
        }
    }
    hits::fire(&rule, all)
        .into_iter()
        .map(
            |Firing {
                 group,
                 first,
                 events,
                 ..
             }| {
                (
                    group.join(" / "),
                    first.format("%d %H:%M:%S").to_string(),
                    events.len(),
                )
            },
        )
        .collect()
}

#[test]
fn threshold_with_and_without_cardinality() {
    let plain = run(THRESHOLD, "demo", |_| {});
    let who: Vec<&str> = plain.iter().map(|f| f.0.as_str()).collect();
    // Megan's burst crosses twice; Priya's script's ten reads of one secret
    // in fifty seconds cross once; Alex's nine never do.
    assert_eq!(
        who,
        [
            "priya.natarajan@contoso-lab.com",
            "megan.ross@contoso-lab.com",
            "megan.ross@contoso-lab.com"
        ],
        "{plain:?}"
    );
    assert!(plain.iter().all(|f| f.2 == 10));
    let with_kinds = run(THRESHOLD, "demo", |r| {
        if let vigil::rules::rule::Kind::Threshold { cardinality, .. } = &mut r.kind {
            cardinality.push(("event.action".into(), 2));
        }
    });
    assert!(
        with_kinds.iter().all(|f| f.0.starts_with("megan.ross")),
        "{with_kinds:?}"
    );
    assert_eq!(with_kinds.len(), 2);
    for dir in ["demo-azure", "demo-sentinel"] {
        assert_eq!(run(THRESHOLD, dir, |_| {}), plain, "{dir}");
    }
}

#[test]
fn new_terms_find_the_new_country_in_every_shape() {
    let ecs = run(NEW_TERMS, "demo", |_| {});
    assert!(
        ecs.iter()
            .any(|f| f.0 == "megan.ross@contoso-lab.com / NL" && f.1 == "03 14:22:48"),
        "{ecs:?}"
    );
    assert!(ecs.iter().all(|f| f.2 == 1));
    for dir in ["demo-azure", "demo-sentinel"] {
        assert_eq!(run(NEW_TERMS, dir, |_| {}), ecs, "{dir}");
    }
}
