//! Kusto operators and functions that hunting queries lean on, run end to
//! end from query text to result rows: series over time, geography of
//! sign-ins, wall-clock hours, sampling by hash, typed expansion.

use serde_json::{Value, json};
use vigil::rules::kusto::{self, tables::Builder};

fn run(query: &str) -> (Vec<String>, Vec<Value>) {
    let q = kusto::compile(query).unwrap_or_else(|e| panic!("{}", e.render(query)));
    let t = Builder::new(Vec::new()).run(&q, Some(0));
    let rows = t.to_json_rows();
    (t.columns, rows)
}

const SIGNINS: &str = r#"let SignIns = datatable(User:string, TimeGenerated:datetime, Lon:real, Lat:real)
[
  "ana", datetime(2024-03-01T08:10:00Z), 2.35, 48.85,
  "ana", datetime(2024-03-01T08:40:00Z), 2.35, 48.85,
  "ana", datetime(2024-03-01T11:05:00Z), 151.21, -33.87,
  "bo",  datetime(2024-03-01T09:00:00Z), -0.12, 51.50,
  "bo",  datetime(2024-03-01T09:30:00Z), 2.35, 48.85,
];
"#;

#[test]
fn make_series_lays_counts_out_per_hour_and_group() {
    let (cols, rows) = run(&format!(
        "{SIGNINS}SignIns | make-series n=count() default=0 on TimeGenerated from datetime(2024-03-01T08:00:00Z) to datetime(2024-03-01T12:00:00Z) step 1h by User"
    ));
    assert_eq!(cols, ["User", "n", "TimeGenerated"]);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["User"], "ana");
    assert_eq!(rows[0]["n"], json!([2, 0, 0, 1]));
    assert_eq!(rows[1]["n"], json!([0, 2, 0, 0]));
    let hours = rows[0]["TimeGenerated"].as_array().unwrap();
    assert_eq!(hours.len(), 4);
    assert_eq!(hours[0], "2024-03-01T08:00:00Z");
    assert_eq!(hours[3], "2024-03-01T11:00:00Z");

    // Without bounds, the axis spans the bins that hold rows.
    let (_, rows) = run(&format!(
        "{SIGNINS}SignIns | make-series n=count() on TimeGenerated step 1h"
    ));
    assert_eq!(rows[0]["n"], json!([2, 2, 0, 1]));

    // The older `in range()` form includes its stop.
    let (_, rows) = run(&format!(
        "{SIGNINS}SignIns | make-series n=count() on TimeGenerated in range(datetime(2024-03-01T08:00:00Z), datetime(2024-03-01T11:00:00Z), 1h)"
    ));
    assert_eq!(rows[0]["n"], json!([2, 2, 0, 1]));

    // Series functions read what make-series writes.
    let (_, rows) = run(&format!(
        "{SIGNINS}SignIns | make-series n=count() default=long(null) on TimeGenerated step 1h | extend filled = series_fill_linear(n), s = series_stats_dynamic(n)"
    ));
    assert_eq!(rows[0]["filled"], json!([2, 2, 1, 1]));
    assert_eq!(rows[0]["s"]["max"], 2.0);
}

#[test]
fn impossible_travel_reads_distance_and_speed_between_sign_ins() {
    let (_, rows) = run(&format!(
        "{SIGNINS}SignIns | sort by User asc, TimeGenerated asc
         | extend PrevLon = prev(Lon), PrevLat = prev(Lat), PrevTime = prev(TimeGenerated), PrevUser = prev(User)
         | where User == PrevUser
         | extend km = geo_distance_2points(PrevLon, PrevLat, Lon, Lat) / 1000.0
         | extend kmh = km / ((TimeGenerated - PrevTime) / 1h)
         | where kmh > 1000
         | project User, km = round(km)"
    ));
    // Paris to Sydney in under three hours; London to Paris by train is
    // not flagged.
    assert_eq!(rows, vec![json!({"User": "ana", "km": 16961.0})]);
}

#[test]
fn sign_ins_are_placed_on_the_local_clock_and_in_geohash_cells() {
    let (_, rows) = run(&format!(
        "{SIGNINS}SignIns | where User == 'bo'
         | extend Local = datetime_utc_to_local(TimeGenerated, 'Europe/London'), Cell = geo_point_to_geohash(Lon, Lat, 4)
         | project User, Local, Cell"
    ));
    // March is winter time in London: the clock reads UTC.
    assert_eq!(rows[0]["Local"], "2024-03-01T09:00:00Z");
    assert_eq!(rows[0]["Cell"], "gcpu");
    assert_eq!(rows[1]["Cell"], "u09t");
    let (_, rows) = run(
        "print Summer = datetime_utc_to_local(datetime(2024-07-01T09:00:00Z), 'Europe/London'), Back = datetime_local_to_utc(datetime(2024-07-01T10:00:00Z), 'Europe/London')",
    );
    assert_eq!(rows[0]["Summer"], "2024-07-01T10:00:00Z");
    assert_eq!(rows[0]["Back"], "2024-07-01T09:00:00Z");
}

#[test]
fn hash_samples_the_same_rows_every_run() {
    let (_, first) = run(&format!(
        "{SIGNINS}SignIns | where hash(User, 2) == hash('ana', 2) | summarize by User"
    ));
    assert_eq!(first, vec![json!({"User": "ana"})]);
}

#[test]
fn mv_expand_to_a_type_converts_each_element_and_keeps_the_column_name() {
    let (cols, rows) = run(
        "print Ports = dynamic([443, 3389]) | mv-expand Ports to typeof(string) | extend Remote = Ports == '3389'",
    );
    assert_eq!(cols, ["Ports", "Remote"]);
    assert_eq!(rows[0], json!({"Ports": "443", "Remote": false}));
    assert_eq!(rows[1], json!({"Ports": "3389", "Remote": true}));
}

#[test]
fn make_series_errors_name_what_is_missing() {
    let q = "T | make-series count() on Time from ago(1d)";
    let e = kusto::compile(q).unwrap_err();
    assert!(e.message.contains("STEP"), "{}", e.message);
}
