//! ES|QL semantics an analyst relies on: nulls, multi-values, functions and
//! aggregations, checked on small tables.

use serde_json::{Value, json};
use vigil::rules::esql::{self, Runner, Source};
use vigil::rules::fields::Plain;
use vigil::rules::kql::schema::FieldType;

fn run(query: &str, docs: &[Value]) -> Vec<Value> {
    let q = esql::compile(query).unwrap_or_else(|e| panic!("{}", e.render(query)));
    let types = |n: &str| (n == "t").then_some(FieldType::Date);
    let mut r = Runner::new(q, 1_700_000_000_000);
    for d in docs {
        r.push(&Source {
            fields: &Plain(d),
            types: &types,
            evidence: None,
            metadata: Vec::new(),
        });
    }
    r.finish().to_json_rows()
}

fn docs() -> Vec<Value> {
    vec![
        json!({"u": "a", "n": 1, "ip": "10.0.0.5", "tags": ["x", "y"], "t": "2026-03-04T09:41:10Z"}),
        json!({"u": "a", "n": 5, "ip": "192.168.1.9", "tags": ["y"], "t": "2026-03-04T09:41:50Z"}),
        json!({"u": "b", "n": null, "ip": "10.1.2.3", "t": "2026-03-04T10:00:00Z"}),
        json!({"n": 7, "t": "2026-03-04T11:00:00Z"}),
    ]
}

#[test]
fn null_in_a_comparison_is_null_not_false() {
    // `not (n > 3)` keeps only rows where the comparison is false: the
    // null row is neither.
    let rows = run("FROM x | WHERE NOT n > 3 | KEEP u", &docs());
    assert_eq!(rows, [json!({"u": "a"})]);
    let rows = run("FROM x | WHERE u IS NULL | KEEP n", &docs());
    assert_eq!(rows, [json!({"n": 7})]);
    let rows = run(
        "FROM x | EVAL s = n + 1 | WHERE u == \"b\" | KEEP s",
        &docs(),
    );
    assert_eq!(rows, [json!({"s": null})]);
}

#[test]
fn multi_values_in_single_value_places_give_null() {
    let rows = run("FROM x | WHERE tags == \"y\" | KEEP u", &docs());
    assert_eq!(
        rows,
        [json!({"u": "a"})],
        "only the single-valued row compares"
    );
    let rows = run(
        "FROM x | EVAL c = MV_COUNT(tags), j = MV_CONCAT(tags, \"+\") | WHERE c IS NOT NULL | KEEP c, j",
        &docs(),
    );
    assert_eq!(
        rows,
        [json!({"c": 2, "j": "x+y"}), json!({"c": 1, "j": "y"})]
    );
}

#[test]
fn aggregations() {
    let rows = run(
        "FROM x | STATS c = COUNT(*), cn = COUNT(n), d = COUNT_DISTINCT(u), v = VALUES(u), lo = MIN(n), hi = MAX(n), s = SUM(n), a = AVG(n), m = MEDIAN(n), t = TOP(n, 2, \"desc\")",
        &docs(),
    );
    assert_eq!(
        rows,
        [
            json!({"c": 4, "cn": 3, "d": 2, "v": ["a", "b"], "lo": 1, "hi": 7, "s": 13, "a": 13.0 / 3.0, "m": 5.0, "t": [7, 5]})
        ]
    );
    // Groups by a multi-valued field: a row counts in each value's group;
    // a missing key is the null group.
    let rows = run("FROM x | STATS c = COUNT(*) BY tags | SORT tags", &docs());
    assert_eq!(
        rows,
        [
            json!({"c": 1, "tags": "x"}),
            json!({"c": 2, "tags": "y"}),
            json!({"c": 2, "tags": null})
        ]
    );
}

#[test]
fn functions() {
    let rows = run(
        "FROM x | WHERE u == \"a\" | EVAL w = DATE_TRUNC(1 minute, t), up = TO_UPPER(u), sub = SUBSTRING(ip, 1, 4), priv = CIDR_MATCH(ip, \"10.0.0.0/8\"), k = CASE(n > 2, \"big\", \"small\"), f = COALESCE(missing, u), sw = STARTS_WITH(ip, \"192\"), h = DATE_EXTRACT(\"HOUR_OF_DAY\", t), len = LENGTH(ip) | KEEP w, up, sub, priv, k, f, sw, h, len",
        &docs(),
    );
    assert_eq!(
        rows,
        [
            json!({"w": "2026-03-04T09:41:00.000Z", "up": "A", "sub": "10.0", "priv": true, "k": "small", "f": "a", "sw": false, "h": 9, "len": 8}),
            json!({"w": "2026-03-04T09:41:00.000Z", "up": "A", "sub": "192.", "priv": false, "k": "big", "f": "a", "sw": true, "h": 9, "len": 11})
        ]
    );
    let rows = run(
        "FROM x | WHERE ip LIKE \"10.*\" AND u IN (\"a\", \"b\") | EVAL d = DATE_DIFF(\"minute\", t, TO_DATETIME(\"2026-03-04T12:00:00Z\")) | KEEP u, d",
        &docs(),
    );
    assert_eq!(
        rows,
        [json!({"u": "a", "d": 138}), json!({"u": "b", "d": 120})]
    );
    let rows = run(
        "FROM x | WHERE ip RLIKE \"10\\\\.[0-9]+\\\\.2\\\\..*\" | KEEP u",
        &docs(),
    );
    assert_eq!(rows, [json!({"u": "b"})]);
}

#[test]
fn sort_nulls_rename_drop_limit_mv_expand() {
    let rows = run(
        "FROM x | SORT u DESC NULLS LAST, n | KEEP u, n | LIMIT 3",
        &docs(),
    );
    assert_eq!(
        rows,
        [
            json!({"u": "b", "n": null}),
            json!({"u": "a", "n": 1}),
            json!({"u": "a", "n": 5})
        ]
    );
    let rows = run(
        "FROM x | WHERE u == \"a\" | RENAME u AS who | DROP t, ip, tags | MV_EXPAND who | KEEP who, n",
        &docs(),
    );
    assert_eq!(
        rows,
        [json!({"who": "a", "n": 1}), json!({"who": "a", "n": 5})]
    );
    let rows = run(
        "FROM x | MV_EXPAND tags | WHERE tags IS NOT NULL | KEEP tags",
        &docs(),
    );
    assert_eq!(
        rows,
        [
            json!({"tags": "x"}),
            json!({"tags": "y"}),
            json!({"tags": "y"})
        ]
    );
}

#[test]
fn invalid_queries_are_refused_with_positions() {
    for (q, at) in [
        ("FROM x | WHERE COUNT(*) > 1", 15),
        ("FROM x | STATS c = COUNT(*) BY", 30),
        ("FROM x | EVAL y = TO_LOWER(a, b)", 18),
        ("FROM x | SORT a NULLS SOMETIMES", 22),
    ] {
        let e = esql::compile(q).unwrap_err();
        assert_eq!(e.span.start, at, "{q}: {}", e.render(q));
    }
}
