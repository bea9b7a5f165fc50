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

#[test]
fn scan_finds_failures_followed_by_a_success_per_account() {
    let (cols, rows) = run(r#"datatable(User:string, Ts:datetime, Result:string)
        [
          "ana", datetime(2024-03-01T08:00:00Z), "fail",
          "ana", datetime(2024-03-01T08:01:00Z), "fail",
          "ana", datetime(2024-03-01T08:02:00Z), "fail",
          "ana", datetime(2024-03-01T08:03:00Z), "ok",
          "bo",  datetime(2024-03-01T08:00:00Z), "fail",
          "bo",  datetime(2024-03-01T09:00:00Z), "ok",
        ]
        | partition hint.strategy=native by User (
            sort by Ts asc
            | scan declare (Failures:long = 0, FirstFail:datetime) with (
                step failed output=none: Result == "fail" => Failures = failed.Failures + 1, FirstFail = iff(isnull(failed.FirstFail), Ts, failed.FirstFail);
                step success: Result == "ok" and Ts - failed.FirstFail <= 10m and failed.Failures >= 3 => Failures = failed.Failures, FirstFail = failed.FirstFail;
            )
        )
        | project User, Failures, FirstFail, Ts"#);
    assert_eq!(cols, ["User", "Failures", "FirstFail", "Ts"]);
    // bo's one failure an hour before is no spray.
    assert_eq!(
        rows,
        vec![json!({
            "User": "ana",
            "Failures": 3,
            "FirstFail": "2024-03-01T08:00:00Z",
            "Ts": "2024-03-01T08:03:00Z"
        })]
    );
}

#[test]
fn scan_numbers_sequences_and_holds_back_steps_that_do_not_output() {
    // Sessions end 30 minutes after they start; the documentation's
    // example.
    let (_, rows) = run(
        r#"datatable(Ts:timespan, Event:string) [0m, "A", 1m, "A", 2m, "B", 3m, "D", 32m, "B", 36m, "C", 38m, "D", 41m, "E", 75m, "A"]
        | sort by Ts asc
        | scan with_match_id=session_id declare (sessionStart: timespan) with (
            step inSession: true => sessionStart = iff(isnull(inSession.sessionStart), Ts, inSession.sessionStart);
            step endSession output=none: Ts - inSession.sessionStart > 30m;
        )
        | project Event, session_id"#,
    );
    let ids: Vec<i64> = rows
        .iter()
        .map(|r| r["session_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [0, 0, 0, 0, 1, 1, 1, 1, 2]);
    // output=last keeps only the last of a run of matches (1, 2, 3 match
    // the first step; 4 matches neither; 5 moves the sequence on).
    let (_, rows) = run(
        r#"range x from 1 to 5 step 1 | scan with (step s1 output=last: x < 4; step s2: x == 5;)"#,
    );
    let xs: Vec<i64> = rows.iter().map(|r| r["x"].as_i64().unwrap()).collect();
    assert_eq!(xs, [3, 5]);
}

#[test]
fn top_nested_ranks_addresses_within_the_busiest_accounts() {
    let (cols, rows) = run(r#"datatable(User:string, IP:string)
        ["ana","a1", "ana","a1", "ana","a2", "ana","a3", "bo","b1", "bo","b1", "cy","c1"]
        | top-nested 2 of User with others = "other" by Signins = count(),
          top-nested 1 of IP by PerIP = count()"#);
    assert_eq!(cols, ["User", "Signins", "IP", "PerIP"]);
    assert_eq!(
        rows,
        vec![
            json!({"User": "ana", "Signins": 4, "IP": "a1", "PerIP": 2}),
            json!({"User": "bo", "Signins": 2, "IP": "b1", "PerIP": 2}),
            json!({"User": "other", "Signins": 1, "IP": "c1", "PerIP": 1}),
        ]
    );
}

#[test]
fn invoke_pipes_a_table_into_a_function_that_keeps_its_own_columns() {
    // A shared enrichment function: whatever table comes in keeps its
    // columns, plus the ones asked for from the lookup.
    let query = format!(
        "{SIGNINS}let Owners = datatable(User:string, Team:string, Manager:string)
        [\"ana\", \"finance\", \"eve\", \"bo\", \"it\", \"joe\"];
        let Enrich = (T:(User:string), extra:dynamic) {{
            T | lookup Owners on User | project-by-names column_names_of(T), extra
        }};
        SignIns | where Lon > 100 | invoke Enrich(dynamic(['Team']))"
    );
    let (cols, rows) = run(&query);
    assert_eq!(cols, ["User", "TimeGenerated", "Lon", "Lat", "Team"]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["Team"], "finance");

    let (cols, rows) = run(&format!("{SIGNINS}SignIns | getschema"));
    assert_eq!(
        cols,
        ["ColumnName", "ColumnOrdinal", "DataType", "ColumnType"]
    );
    let types: Vec<_> = rows.iter().map(|r| r["ColumnType"].clone()).collect();
    assert_eq!(types, ["string", "datetime", "real", "real"]);

    let err = kusto::compile("datatable(x:long)[1] | invoke Missing()").unwrap_err();
    assert!(err.message.contains("Missing"), "{}", err.message);
}

#[test]
fn line_and_polygon_functions_measure_routes_and_areas() {
    let (_, rows) = run(
        r#"let route = dynamic({"type":"LineString","coordinates":[[0,0],[1,0],[1,1]]});
        let area = dynamic({"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]});
        print km = geo_line_length(route) / 1000,
            half = geo_line_interpolate_point(route, 0.5),
            centre = geo_polygon_centroid(area),
            inside = geo_distance_point_to_polygon(0.5, 0.5, area),
            away = geo_distance_point_to_polygon(3, 0.5, area) / 1000,
            bad = isnull(geo_line_centroid(dynamic({"type":"LineString","coordinates":[[1,1]]})))"#,
    );
    let r = &rows[0];
    assert!((r["km"].as_f64().unwrap() - 222.39).abs() < 0.1, "{r}");
    assert_eq!(r["half"]["coordinates"], json!([1, 0]));
    let c = &r["centre"]["coordinates"];
    assert!((c[0].as_f64().unwrap() - 0.5).abs() < 1e-3, "{c}");
    assert!((c[1].as_f64().unwrap() - 0.5).abs() < 1e-2, "{c}");
    assert_eq!(r["inside"], json!(0.0));
    assert!((r["away"].as_f64().unwrap() - 222.4).abs() < 0.5, "{r}");
    assert_eq!(r["bad"], json!(true));
}

#[test]
fn commands_are_put_in_time_order_by_sorting_their_timestamps() {
    let (cols, rows) = run(
        r#"let ts = dynamic(["2024-03-01T10:00:00Z", "2024-03-01T08:00:00Z", "2024-03-01T09:00:00Z"]);
let cmds = dynamic(["whoami", "ls", "curl"]);
print array_sort_asc(ts, cmds)"#,
    );
    assert_eq!(cols, ["ts_sorted", "cmds_sorted"]);
    assert_eq!(rows[0]["cmds_sorted"], json!(["ls", "curl", "whoami"]));

    let (cols, rows) = run(r#"datatable(cmd:string, at:datetime, user:string)
[
  "whoami", datetime(2024-03-01T10:00:00Z), "ana",
  "ls",     datetime(2024-03-01T08:00:00Z), "ana",
  "curl",   datetime(2024-03-01T09:00:00Z), "ana",
]
| summarize at = make_list(at), cmds = make_list(cmd) by user
| project user, latest_first = array_sort_desc(at, cmds)[1]"#);
    assert_eq!(cols, ["user", "latest_first"]);
    assert_eq!(rows[0]["latest_first"], json!(["whoami", "curl", "ls"]));
}

#[test]
fn basket_and_autocluster_describe_sign_in_failures_by_shared_values() {
    let table = r#"let Failures = datatable(App:string, Country:string, Code:long)
[
  "Outlook", "DE", 50126, "Outlook", "DE", 50126, "Outlook", "DE", 50126,
  "Outlook", "FR", 50126, "Teams", "DE", 50053, "Teams", "US", 50053,
];
"#;
    let (cols, rows) = run(&format!(
        "{table}Failures | evaluate basket(0.3, '~', '~', '*', long(-1))"
    ));
    assert_eq!(
        cols,
        ["SegmentId", "Count", "Percent", "App", "Country", "Code"]
    );
    let found: Vec<(i64, &str, &str, i64)> = rows
        .iter()
        .map(|r| {
            (
                r["Count"].as_i64().unwrap(),
                r["App"].as_str().unwrap(),
                r["Country"].as_str().unwrap(),
                r["Code"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            // Germany: three Outlook failures and one in Teams.
            (4, "*", "DE", -1),
            // Outlook always fails with the same code, so Outlook alone
            // is not listed beside it.
            (4, "Outlook", "*", 50126),
            (3, "Outlook", "DE", 50126),
            // Two of six rows: a third of the table, over the 30% threshold.
            (2, "Teams", "*", 50053),
        ]
    );

    let (_, rows) = run(&format!("{table}Failures | evaluate autocluster()"));
    assert_eq!(rows[0]["Count"], 3);
    assert_eq!(rows[0]["App"], "Outlook");
    assert_eq!(rows[0]["Country"], "DE");
}

#[test]
fn diffpatterns_tells_what_sets_failed_sign_ins_apart() {
    // Failures come mostly from one legacy client in one country; the
    // successes are spread out.
    let mut rows = String::new();
    for _ in 0..8 {
        rows.push_str("\"Failure\", \"IMAP\", \"RU\",\n");
    }
    for _ in 0..2 {
        rows.push_str("\"Failure\", \"Browser\", \"DE\",\n");
    }
    for (app, country) in [
        ("Browser", "DE"),
        ("Browser", "FR"),
        ("Mobile", "DE"),
        ("Mobile", "FR"),
    ] {
        for _ in 0..5 {
            rows.push_str(&format!("\"Success\", \"{app}\", \"{country}\",\n"));
        }
    }
    let query = format!(
        "datatable(Result:string, Client:string, Country:string)[\n{rows}]\n| evaluate diffpatterns(Result, \"Failure\", \"Success\", '~', 0.2, '~', '*')"
    );
    let (cols, out) = run(&query);
    assert_eq!(
        cols,
        [
            "SegmentId",
            "CountA",
            "CountB",
            "PercentA",
            "PercentB",
            "PercentDiffAB",
            "Client",
            "Country"
        ]
    );
    let got: Vec<(i64, i64, f64, &str, &str)> = out
        .iter()
        .map(|r| {
            (
                r["CountA"].as_i64().unwrap(),
                r["CountB"].as_i64().unwrap(),
                r["PercentDiffAB"].as_f64().unwrap(),
                r["Client"].as_str().unwrap(),
                r["Country"].as_str().unwrap(),
            )
        })
        .collect();
    // IMAP from Russia is 80% of failures and no success; that one
    // pattern also stands for IMAP alone and Russia alone. Mobile and
    // France are no failure and half the successes; browsers and Germany
    // a fifth of failures and half the successes.
    assert_eq!(
        got,
        [
            (8, 0, 80.0, "IMAP", "RU"),
            (0, 10, 50.0, "Mobile", "*"),
            (0, 10, 50.0, "*", "FR"),
            (2, 10, 30.0, "Browser", "*"),
            (2, 10, 30.0, "*", "DE"),
        ]
    );
}

#[test]
fn diffpatterns_without_its_split_is_refused_when_loaded() {
    let Err(err) = kusto::compile("datatable(a:string)['x'] | evaluate diffpatterns(a)") else {
        panic!("a split needs its column and two values")
    };
    assert!(err.message.contains("SplitColumn"), "{}", err.message);
}

#[test]
fn an_outer_join_leaves_unmatched_text_empty_and_numbers_null() {
    let (_, rows) = run(r#"datatable(User:string)["ana", "bo"]
| join kind=leftouter (datatable(User:string, Country:string, Risk:long)["ana", "DE", 3]) on User
| extend NoCountry = isnull(Country), EmptyCountry = isempty(Country), NoRisk = isnull(Risk)"#);
    assert_eq!(rows[1]["User"], "bo");
    assert_eq!(rows[1]["Country"], "");
    assert_eq!(rows[1]["NoCountry"], false);
    assert_eq!(rows[1]["EmptyCountry"], true);
    assert_eq!(rows[1]["NoRisk"], true);
}

#[test]
fn sign_ins_are_placed_in_named_areas_and_near_named_routes() {
    let areas = r#"let Areas = datatable(Area:string, Shape:dynamic)
[
  "Paris office", dynamic({"type":"Polygon","coordinates":[[[2.30,48.84],[2.40,48.84],[2.40,48.88],[2.30,48.88],[2.30,48.84]]]}),
];
let SignIns = datatable(User:string, Lon:real, Lat:real)
[
  "ana", 2.35, 48.86,
  "bo", 2.45, 48.86,
  "cy", 151.21, -33.87,
];
"#;
    let (cols, rows) = run(&format!(
        "{areas}SignIns | evaluate geo_polygon_lookup(Areas, Lon, Lat, Shape)"
    ));
    assert_eq!(cols, ["User", "Lon", "Lat", "Area", "Shape"]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["User"], "ana");
    assert_eq!(rows[0]["Area"], "Paris office");

    // bo is 3.7 km east of the area: within 5 km, with the unmatched kept.
    let (_, rows) = run(&format!(
        "{areas}SignIns | evaluate geo_polygon_lookup(Areas, Lon, Lat, Shape, radius = 5000, return_unmatched = true) | project User, Area"
    ));
    let got: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r["User"].as_str().unwrap(), r["Area"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        [("ana", "Paris office"), ("bo", "Paris office"), ("cy", "")]
    );

    let (_, rows) = run(&format!(
        r#"{areas}let Routes = datatable(Route:string, Path:dynamic)
[
  "Seine", dynamic({{"type":"LineString","coordinates":[[2.25,48.85],[2.40,48.85]]}}),
];
SignIns | evaluate geo_line_lookup(Routes, Lon, Lat, Path, 2000) | project User, Route"#
    ));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["User"], "ana");
}

#[test]
fn polygon_intersections_give_what_kusto_documents() {
    // A triangle that touches one part of a multipolygon at a corner and
    // overlaps the other: a point and a polygon.
    let (_, rows) = run(
        r#"let a = dynamic({"type":"Polygon","coordinates":[[[2,45],[0,45],[1,44],[2,45]]]});
let b = dynamic({"type":"MultiPolygon","coordinates":[[[[3,44],[2,45],[2,43],[3,44]]],[[[1.192,45.265],[1.005,44.943],[1.356,44.937],[1.192,45.265]]]]});
print i = geo_intersection_2polygons(a, b)"#,
    );
    let i = &rows[0]["i"];
    assert_eq!(i["type"], "GeometryCollection");
    assert_eq!(
        i["geometries"][0],
        json!({"type": "Point", "coordinates": [2, 45]})
    );
    let ring = i["geometries"][1]["coordinates"][0].as_array().unwrap();
    let documented = [
        [1.3227075526410679, 45.00390914506874],
        [1.0404565374899824, 45.00435640306655],
        [1.005, 44.943],
        [1.356, 44.937],
        [1.3227075526410679, 45.00390914506874],
    ];
    assert_eq!(ring.len(), documented.len());
    for (got, want) in ring.iter().zip(documented) {
        for k in 0..2 {
            let g = got[k].as_f64().unwrap();
            assert!((g - want[k]).abs() < 1e-9, "{got} vs {want:?}");
        }
    }
}

#[test]
fn off_hours_sign_ins_by_hour_week_and_calendar_distance() {
    let (cols, rows) = run(&format!(
        "{SIGNINS}SignIns | extend Hour = hourofday(TimeGenerated), Week = week_of_year(TimeGenerated),\n\
         DaysAgo = datetime_diff('day', datetime(2024-03-04T00:00:00Z), TimeGenerated),\n\
         Due = datetime_add('month', 1, TimeGenerated), Took = format_timespan(TimeGenerated - datetime(2024-03-01), 'hh:mm')\n\
         | where Hour >= 9 | project User, Hour, Week, DaysAgo, Due, Took\n\
         | render table with (title = 'after nine')"
    ));
    assert_eq!(cols, ["User", "Hour", "Week", "DaysAgo", "Due", "Took"]);
    assert_eq!(
        rows,
        [
            json!({"User": "ana", "Hour": 11, "Week": 9, "DaysAgo": 3, "Due": "2024-04-01T11:05:00Z", "Took": "11:05"}),
            json!({"User": "bo", "Hour": 9, "Week": 9, "DaysAgo": 3, "Due": "2024-04-01T09:00:00Z", "Took": "09:00"}),
            json!({"User": "bo", "Hour": 9, "Week": 9, "DaysAgo": 3, "Due": "2024-04-01T09:30:00Z", "Took": "09:30"}),
        ]
    );
}

#[test]
fn a_function_of_several_columns_names_them_in_a_tuple() {
    let (cols, rows) = run(
        "print y = dynamic([4, 1, 9]) | extend (low, low_at, high, high_at) = series_stats(y) | project-away y",
    );
    assert_eq!(cols, ["low", "low_at", "high", "high_at"]);
    assert_eq!(
        rows,
        [json!({"low": 1.0, "low_at": 1, "high": 9.0, "high_at": 2})]
    );
    // A function not built is named, not a syntax error.
    let e =
        kusto::compile("print y = dynamic([1]) | extend (a, b, c) = series_decompose_anomalies(y)")
            .unwrap_err();
    assert!(
        e.message.contains("series_decompose_anomalies"),
        "{}",
        e.message
    );
}

#[test]
fn encoded_commands_and_addresses_in_free_text_are_unpacked_per_host() {
    let (cols, rows) = run("datatable(Host:string, Line:string, Blob:string)\n\
         [\"web-1\", \"GET from 203.0.113.9 ok\", \"aWV4IChuZXctb2JqZWN0IG5ldC53ZWJjbGllbnQp\",\n\
          \"web-1\", \"GET from 10.1.2.3 ok\", \"\",\n\
          \"web-2\", \"GET from 203.0.113.90 ok\", \"\"]\n\
         | extend Decoded = base64_decode_tostring(Blob), Flagged = has_any_ipv4(Line, dynamic(['203.0.113.9']))\n\
         | summarize Seen = make_bag(bag_pack(Line, Flagged)), Command = take_anyif(Decoded, isnotempty(Decoded)),\n\
           Hits = countif(Flagged) by Host");
    assert_eq!(cols, ["Host", "Seen", "Command", "Hits"]);
    assert_eq!(rows[0]["Host"], "web-1");
    assert_eq!(rows[0]["Command"], "iex (new-object net.webclient)");
    assert_eq!(rows[0]["Hits"], 1);
    assert_eq!(
        rows[0]["Seen"],
        json!({"GET from 203.0.113.9 ok": true, "GET from 10.1.2.3 ok": false})
    );
    // 203.0.113.90 is another address, not the one looked for.
    assert_eq!(rows[1]["Hits"], 0);
    assert_eq!(rows[1]["Command"], Value::Null);
}

#[test]
fn the_next_and_previous_rows_are_read_in_order() {
    let (_, rows) = run(&format!(
        "{SIGNINS}SignIns | where User == 'ana' | sort by TimeGenerated asc | serialize n = row_number()\n\
         | extend Gap = next(TimeGenerated) - TimeGenerated, Before = prev(Lon), After = next(Lon, 1, 0.0)\n\
         | project n, Gap, Before, After"
    ));
    assert_eq!(
        rows,
        [
            json!({"n": 1, "Gap": "00:30:00", "Before": null, "After": 2.35}),
            json!({"n": 2, "Gap": "02:25:00", "Before": 2.35, "After": 151.21}),
            json!({"n": 3, "Gap": null, "Before": 2.35, "After": 0.0}),
        ]
    );
}

#[test]
fn set_query_now_moves_now_and_other_set_options_are_ignored() {
    let (_, rows) = run(&format!(
        "set query_now = datetime(2024-03-01T09:15:00Z);\nset notruncation;\n\
         {SIGNINS}SignIns | where TimeGenerated between (ago(1h) .. now()) | project User, TimeGenerated"
    ));
    assert_eq!(
        rows,
        [
            json!({"User": "ana", "TimeGenerated": "2024-03-01T08:40:00Z"}),
            json!({"User": "bo", "TimeGenerated": "2024-03-01T09:00:00Z"}),
        ]
    );
    assert!(kusto::compile("set query_now = datetime(2024-03-01) SignIns").is_err());
}

#[test]
fn process_paths_and_hashes_are_taken_apart_for_hunting() {
    // A typical hunt: which executables ran with an alternate data stream,
    // keyed by a hash of the full path.
    let (_, rows) = run(r#"datatable(Path:string)
[
  @"C:\Windows\System32\cmd.exe:evil.ps1",
  @"C:\Users\ana\Downloads\invoice.pdf.exe",
  "/usr/bin/curl",
]
| extend p = parse_path(Path)
| extend File = tostring(p.Filename), Ext = tostring(p.Extension), Stream = tostring(p.AlternateDataStreamName)
| extend Kind = gettype(p), Key = hash_md5(Path), Suspicious = Ext == "exe" and (isnotempty(Stream) or File has_any (".pdf.", ".doc."))
| project File, Ext, Stream, Kind, KeyLength = strlen(Key), Suspicious"#);
    assert_eq!(
        rows,
        [
            json!({"File": "cmd.exe", "Ext": "exe", "Stream": "evil.ps1", "Kind": "dictionary", "KeyLength": 32, "Suspicious": true}),
            json!({"File": "invoice.pdf.exe", "Ext": "exe", "Stream": "", "Kind": "dictionary", "KeyLength": 32, "Suspicious": true}),
            json!({"File": "curl", "Ext": "", "Stream": "", "Kind": "dictionary", "KeyLength": 32, "Suspicious": false}),
        ]
    );
}

const AGENTS: &str = r#"let Agents = datatable(User:string, UserAgent:string, TimeGenerated:datetime)
[
  "ana", "Mozilla/5.0 Chrome/131.0.0.0 Safari/537.36", datetime(2024-03-01T08:00:00Z),
  "ana", "Mozilla/5.0 CHROME/120.1 Safari/537.36", datetime(2024-03-01T09:00:00Z),
  "bo",  "curl/8.4.0", datetime(2024-03-02T08:00:00Z),
  "cy",  "Mozilla/5.0 Chrome/131.0.0.0 Safari/537.36", datetime(2024-03-03T08:00:00Z),
];
"#;

#[test]
fn parse_where_keeps_only_the_rows_that_parse_and_regex_flags_apply() {
    let (_, rows) = run(&format!(
        "{AGENTS}Agents | parse-where kind=regex flags=i UserAgent with * @\"chrome/\" Major:long @\"\\.\" * \
         | project User, Major"
    ));
    assert_eq!(
        rows,
        [
            json!({"User": "ana", "Major": 131}),
            json!({"User": "ana", "Major": 120}),
            json!({"User": "cy", "Major": 131}),
        ]
    );
    // Plain parse keeps every row, with nulls where the text did not parse.
    let (_, rows) = run(&format!(
        "{AGENTS}Agents | parse UserAgent with * \"Chrome/\" Major:long \".\" * | summarize n = countif(isnull(Major))"
    ));
    assert_eq!(rows, [json!({"n": 2})]);
}

#[test]
fn between_a_datetime_and_a_timespan_is_a_window_of_that_length() {
    let (_, rows) = run(&format!(
        "{AGENTS}Agents | where TimeGenerated between (datetime(2024-03-01) .. 1d) | count"
    ));
    assert_eq!(rows, [json!({"Count": 2})]);
}

#[test]
fn lookup_does_not_repeat_its_key_and_hints_are_accepted() {
    let (cols, rows) = run(&format!(
        "{AGENTS}Agents | summarize hint.shufflekey=User n = count() by User \
         | lookup (datatable(User:string, Dept:string)[\"ana\", \"Finance\"]) on User | sort by User asc"
    ));
    assert_eq!(cols, ["User", "n", "Dept"]);
    assert_eq!(rows[0], json!({"User": "ana", "n": 2, "Dept": "Finance"}));
    assert_eq!(rows[1], json!({"User": "bo", "n": 1, "Dept": ""}));
}

#[test]
fn percentiles_of_an_expression_are_named_after_its_column() {
    let (cols, _) = run(&format!(
        "{AGENTS}Agents | extend L = strlen(UserAgent) | summarize percentiles(todouble(L), 50, 95)"
    ));
    assert_eq!(cols, ["percentile_L_50", "percentile_L_95"]);
}

#[test]
fn sampling_and_top_hitters() {
    let (_, rows) = run(&format!(
        "{AGENTS}Agents | sample 2 | summarize n = count(), d = dcount(TimeGenerated)"
    ));
    assert_eq!(rows, [json!({"n": 2, "d": 2})]);
    let (_, rows) = run(&format!(
        "{AGENTS}Agents | sample-distinct 5 of User | count"
    ));
    assert_eq!(rows, [json!({"Count": 3})]);
    let (cols, rows) = run(&format!("{AGENTS}Agents | top-hitters 1 of UserAgent"));
    assert_eq!(cols, ["UserAgent", "approximate_count_UserAgent"]);
    assert_eq!(
        rows,
        [
            json!({"UserAgent": "Mozilla/5.0 Chrome/131.0.0.0 Safari/537.36", "approximate_count_UserAgent": 2})
        ]
    );
}

#[test]
fn series_fit_line_gives_the_documented_fit() {
    // The example in Kusto's documentation: r² 0.982, slope 2.730,
    // variance 98.628, residual variance 1.686, interception -1.666.
    let (cols, rows) = run(
        "print y = dynamic([2, 5, 6, 8, 11, 15, 17, 18, 25, 26, 30, 30]) \
         | extend (RSquare, Slope, Variance, RVariance, Interception, LineFit) = series_fit_line(y) \
         | project-away y",
    );
    assert_eq!(
        cols,
        [
            "RSquare",
            "Slope",
            "Variance",
            "RVariance",
            "Interception",
            "LineFit"
        ]
    );
    let r = &rows[0];
    let near = |name: &str, want: f64| {
        let got = r[name].as_f64().unwrap_or(f64::NAN);
        assert!((got - want).abs() < 0.001, "{name}: {got} vs {want}");
    };
    near("RSquare", 0.9829);
    near("Slope", 2.7308);
    near("Variance", 98.6288);
    near("RVariance", 1.6865);
    near("Interception", -1.6667);
    let line = r["LineFit"].as_array().expect("an array");
    assert_eq!(line.len(), 12);
    assert!((line[0].as_f64().unwrap() - 1.0641).abs() < 0.001);
    assert!((line[11].as_f64().unwrap() - 31.1026).abs() < 0.001);
    // Unnamed, each part is a column named after the function and series.
    let (cols, _) =
        run("print y = dynamic([1, 2, 3]) | extend series_fit_line(y) | project-away y");
    assert_eq!(cols[0], "series_fit_line_y_rsquare");
    assert_eq!(cols[5], "series_fit_line_y_line_fit");
}

#[test]
fn datetimes_format_and_parse_as_kusto_documents() {
    let (_, rows) = run(
        "print a = format_datetime(datetime(2015-12-14 02:03:04.12345), 'y-M-d h:m:s.fffffff'), \
         b = format_datetime(datetime(2017-01-29 09:00:05), 'yy-MM-dd [HH:mm:ss]'), \
         c = format_datetime(datetime(2017-01-29 09:00:05), 'yyyy-M-dd [H:mm:ss]'), \
         d = format_datetime(datetime(2017-01-29 21:00:05), 'yy-MM-dd [hh:mm:ss tt]'), \
         e = format_datetime(datetime(2017-01-29 09:00:05), 'HH:mm:ss.FFF')",
    );
    assert_eq!(
        rows,
        [
            json!({"a": "15-12-14 2:3:4.1234500", "b": "17-01-29 [09:00:05]", "c": "2017-1-29 [9:00:05]",
                "d": "17-01-29 [09:00:05 PM]", "e": "09:00:05"})
        ]
    );
    // RFC 822 and RFC 850 forms, as in mail and HTTP headers.
    let (_, rows) = run(
        "print a = todatetime('Sat, 8 Nov 14 15:05:02 GMT'), b = todatetime('Saturday, 08-Nov-14 15:05:02 GMT'), \
         c = todatetime('8 Nov 14 15:05'), d = todatetime('Mon, 02 Mar 2026 07:11:25 +0100'), e = todatetime('Mon, 1 x')",
    );
    assert_eq!(
        rows,
        [
            json!({"a": "2014-11-08T15:05:02Z", "b": "2014-11-08T15:05:02Z", "c": "2014-11-08T15:05:00Z",
                "d": "2026-03-02T06:11:25Z", "e": null})
        ]
    );
}
