//! Hostile input: every bad record is reported where it is, and every good
//! record around it still loads.

mod common;

use std::fs;
use std::io::Write;
use std::path::Path;

use common::load_with;
use vigil::ingest::{Format, Limits, LoadError, LoadOptions, Problem};

fn good(n: usize) -> String {
    format!(
        "{{\"time\":\"2026-03-02T09:{n:02}:00Z\",\"category\":\"Administrative\",\"operationName\":\"MICROSOFT.STORAGE/STORAGEACCOUNTS/LISTKEYS/ACTION\",\"resultType\":\"Success\",\"seq\":{n}}}"
    )
}

fn errors_of<'a>(l: &'a common::Load, file: &str) -> Vec<&'a LoadError> {
    l.reports
        .iter()
        .filter(|r| r.path.ends_with(file))
        .flat_map(|r| r.first_errors.iter())
        .collect()
}

fn seqs(l: &common::Load, source: &str) -> Vec<u64> {
    l.records
        .iter()
        .filter(|r| l.sources[r.loc.source as usize].path.ends_with(source))
        .filter_map(|r| r.doc.get("seq").and_then(|v| v.as_u64()))
        .collect()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    fs::write(dir.join(name), bytes).unwrap();
}

#[test]
fn hostile_folder_loads_good_records_and_locates_every_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    // Invalid JSON lines between good ones.
    let lines = [
        good(1),
        "{\"time\": \"2026-03-02T09:02:00Z\", \"broken\": ".to_string(),
        good(3),
        "this is not json".to_string(),
        good(5),
        "[1, 2]".to_string(),
        good(7),
        "{\"a\": \"unterminated".to_string(),
        good(9),
    ];
    write(d, "lines.ndjson", lines.join("\n").as_bytes());

    // A gzip stream cut off part-way.
    let body: String = (0..400).map(|n| good(n % 60) + "\n").collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(body.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    write(d, "truncated.json.gz", &gz[..gz.len() / 2]);

    // UTF-16 with a lone surrogate inside a value.
    let mut utf16 = vec![0xff, 0xfe];
    let text = good(11) + "\n";
    for u in text.encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    let mut bad = vec![0xff, 0xfe];
    for u in "{\"x\":\""
        .encode_utf16()
        .chain([0xd800])
        .chain("\"}\n".encode_utf16())
    {
        bad.extend_from_slice(&u.to_le_bytes());
    }
    utf16.extend_from_slice(&bad[2..]);
    write(d, "windows.json", &utf16);

    // A 10,000-deep object between two good lines.
    let deep = "{\"a\":".repeat(10_000) + "1" + &"}".repeat(10_000);
    write(
        d,
        "deep.ndjson",
        format!("{}\n{deep}\n{}\n", good(20), good(21)).as_bytes(),
    );

    // A line over the size bound (set low for the test).
    let huge = format!("{{\"pad\":\"{}\"}}", "x".repeat(8192));
    write(
        d,
        "huge.ndjson",
        format!("{}\n{huge}\n{}\n", good(30), good(31)).as_bytes(),
    );

    // Invalid UTF-8 inside a value: kept, with the bytes replaced.
    let mut latin1 = good(40).into_bytes();
    latin1.extend_from_slice(b"\n{\"name\":\"Jos\xe9\",\"seq\":41}\n");
    write(d, "latin1.ndjson", &latin1);

    // A pretty-printed records document with one broken record.
    let records = format!(
        "{{\n  \"records\": [\n    {},\n    {{ \"time\": \"x\", \"oops\" }},\n    {},\n    {}\n  ]\n}}\n",
        good(50),
        good(52),
        good(53)
    );
    write(d, "records.json", records.as_bytes());

    // Not a log at all.
    write(
        d,
        "photo.bin",
        &[0x89, b'P', b'N', b'G', 0, 0, 0, 0x0d, 0xff, 0xfe, 0x00],
    );

    let opts = LoadOptions {
        limits: Limits {
            max_record_bytes: 4096,
            ..Limits::default()
        },
        ..LoadOptions::default()
    };
    let l = load_with(&[d.to_path_buf()], &opts);

    // lines.ndjson: the five good lines load; four located errors.
    assert_eq!(seqs(&l, "lines.ndjson"), [1, 3, 5, 7, 9]);
    let e = errors_of(&l, "lines.ndjson");
    let at: Vec<(u64, u64)> = e.iter().map(|e| (e.at.line, e.at.column)).collect();
    assert_eq!(at, [(2, 1), (4, 1), (6, 2), (6, 5), (8, 20)], "{e:#?}");
    assert!(matches!(e[0].problem, Problem::Syntax(_)));
    assert_eq!(e[2].problem, Problem::NotAnObject("a number"));
    assert!(
        e[4].problem.to_string().contains("string"),
        "{}",
        e[4].problem
    );

    // truncated gzip: a prefix loads, then one read error.
    let got = seqs(&l, "truncated.json.gz");
    assert!(got.len() > 10 && got.len() < 400, "{}", got.len());
    let e = errors_of(&l, "truncated.json.gz");
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!(matches!(e[0].problem, Problem::Read(_)));
    assert_eq!(e[0].at.line, got.len() as u64 + 1);

    // UTF-16: both records load; the surrogate is reported on line 2.
    assert_eq!(seqs(&l, "windows.json"), [11]);
    let w: Vec<_> = l
        .records
        .iter()
        .filter(|r| {
            l.sources[r.loc.source as usize]
                .path
                .ends_with("windows.json")
        })
        .collect();
    assert_eq!(w.len(), 2);
    assert_eq!(w[1].doc["x"], "\u{fffd}");
    let e = errors_of(&l, "windows.json");
    assert_eq!(e.len(), 1);
    assert_eq!((e[0].at.line, e[0].at.column), (2, 7));

    // deep nesting stops at the bound, on line 2.
    assert_eq!(seqs(&l, "deep.ndjson"), [20, 21]);
    let e = errors_of(&l, "deep.ndjson");
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].problem, Problem::TooDeep(256));
    assert_eq!(e[0].at.line, 2);

    // the huge line is refused; its neighbours load.
    assert_eq!(seqs(&l, "huge.ndjson"), [30, 31]);
    let e = errors_of(&l, "huge.ndjson");
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].problem, Problem::TooLarge(4096));
    assert_eq!((e[0].at.line, e[0].at.column), (2, 1));

    // invalid UTF-8: the record is kept and the byte located.
    assert_eq!(seqs(&l, "latin1.ndjson"), [40, 41]);
    let e = errors_of(&l, "latin1.ndjson");
    assert_eq!(e.len(), 1);
    assert!(matches!(e[0].problem, Problem::Encoding(_)));
    assert_eq!(e[0].at.line, 2);
    assert_eq!(e[0].at.byte, good(40).len() as u64 + 1 + 12);

    // a broken record inside a records array costs that record only.
    assert_eq!(seqs(&l, "records.json"), [50, 52, 53]);
    let e = errors_of(&l, "records.json");
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(e[0].at.line, 4);

    let png = l
        .reports
        .iter()
        .find(|r| r.path.ends_with("photo.bin"))
        .unwrap();
    assert_eq!(png.format, Format::Unrecognised);
    assert_eq!(png.errors, 1);
    assert_eq!(png.records, 0);
}

#[test]
fn missing_input_is_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ok.ndjson", (good(1) + "\n").as_bytes());
    let l = load_with(
        &[dir.path().join("nope.json"), dir.path().join("ok.ndjson")],
        &LoadOptions::default(),
    );
    assert_eq!(l.records.len(), 1);
    let missing = l
        .reports
        .iter()
        .find(|r| r.path.ends_with("nope.json"))
        .unwrap();
    assert_eq!(missing.format, Format::Unreadable);
    assert_eq!(missing.errors, 1);
}

#[test]
fn broken_nested_values_on_one_line_are_located_and_the_next_lines_load() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let deep = format!(
        "{{\"seq\":4,\"p\":{}1{}}}",
        "[".repeat(300),
        "]".repeat(300)
    );
    let lines = [
        good(1),
        // A bad literal deep inside a value.
        r#"{"seq":2,"properties":{"a":{"b":tru}},"x":1}"#.to_string(),
        good(3),
        // Brackets that do not match.
        r#"{"seq":4,"properties":{"a":[1,2}}"#.to_string(),
        good(5),
        deep,
        good(7),
        // Escaped quotes and brackets inside strings are text.
        r#"{"seq":8,"p":{"s":"a \"}\" ]{ [","t":["\\",{"u":"}"}]}}"#.to_string(),
    ];
    write(d, "nested.ndjson", (lines.join("\n") + "\n").as_bytes());
    let l = load_with(&[d.to_path_buf()], &LoadOptions::default());
    assert_eq!(seqs(&l, "nested.ndjson"), [1, 3, 5, 7, 8]);
    let e = errors_of(&l, "nested.ndjson");
    let lines_of: Vec<u64> = e.iter().map(|e| e.at.line).collect();
    assert_eq!(lines_of, [2, 4, 6], "{e:#?}");
    assert!(
        e[0].at.column > 30,
        "the bad literal, not the line start: {e:#?}"
    );
    assert!(matches!(e[2].problem, Problem::TooDeep(_)), "{e:#?}");
}
