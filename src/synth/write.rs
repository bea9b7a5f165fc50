//! Writing synthetic events as the files each export path produces.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::{Map, Value, json};

use super::render::{render, render_sentinel_row};
use super::{Detail, SynthEvent};
use crate::model::Shape;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShapeChoice {
    Ecs,
    Azure,
    Sentinel,
}

impl ShapeChoice {
    pub fn shape(self) -> Shape {
        match self {
            ShapeChoice::Ecs => Shape::Ecs,
            ShapeChoice::Azure => Shape::Azure,
            ShapeChoice::Sentinel => Shape::Sentinel,
        }
    }
}

/// A gzip writer whose output depends only on its input (no timestamp,
/// no file name), so regenerated fixtures are byte-identical.
fn gz(path: &Path) -> io::Result<GzEncoder<BufWriter<File>>> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    Ok(GzEncoder::new(
        BufWriter::new(File::create(path)?),
        Compression::default(),
    ))
}

fn finish(w: GzEncoder<BufWriter<File>>) -> io::Result<()> {
    w.finish()?.flush()
}

fn ndjson_gz<'a>(path: &Path, docs: impl Iterator<Item = Value> + 'a) -> io::Result<usize> {
    let mut w = gz(path)?;
    let mut n = 0;
    for d in docs {
        serde_json::to_writer(&mut w, &d)?;
        w.write_all(b"\n")?;
        n += 1;
    }
    finish(w)?;
    Ok(n)
}

fn is(e: &SynthEvent, which: &str) -> bool {
    matches!(
        (&e.detail, which),
        (Detail::Activity { .. }, "activity")
            | (Detail::SignIn { .. }, "signin")
            | (Detail::Audit { .. }, "audit")
            | (Detail::KeyVault { .. }, "keyvault")
    )
}

/// Writes a scenario in one shape under `dir`; returns the files written.
pub fn write_scenario(
    events: &[SynthEvent],
    dir: &Path,
    shape: ShapeChoice,
) -> io::Result<Vec<String>> {
    let mut written = Vec::new();
    let of = |which: &'static str| events.iter().filter(move |e| is(e, which));
    match shape {
        ShapeChoice::Ecs => {
            for (which, name) in [
                ("activity", "activitylogs.ndjson.gz"),
                ("signin", "signinlogs.ndjson.gz"),
                ("audit", "auditlogs.ndjson.gz"),
                ("keyvault", "platformlogs.ndjson.gz"),
            ] {
                ndjson_gz(&dir.join(name), of(which).map(|e| render(e, Shape::Ecs)))?;
                written.push(name.to_string());
            }
        }
        ShapeChoice::Azure => {
            // Storage-account blobs from diagnostic settings: one record per line.
            ndjson_gz(
                &dir.join("activity/PT1H.json.gz"),
                of("activity").map(|e| render(e, Shape::Azure)),
            )?;
            ndjson_gz(
                &dir.join("entra/audit-PT1H.json.gz"),
                of("audit").map(|e| render(e, Shape::Azure)),
            )?;
            // Event Hub captures: batches of records, one batch per line.
            let signins: Vec<Value> = of("signin").map(|e| render(e, Shape::Azure)).collect();
            let batches = signins.chunks(50).map(|c| json!({"records": c}));
            ndjson_gz(&dir.join("entra/signin-records.json.gz"), batches)?;
            // A single pretty-printed export.
            let kv: Vec<Value> = of("keyvault").map(|e| render(e, Shape::Azure)).collect();
            let mut w = gz(&dir.join("keyvault/records.json.gz"))?;
            serde_json::to_writer_pretty(&mut w, &json!({"records": kv}))?;
            finish(w)?;
            written.extend(
                [
                    "activity/PT1H.json.gz",
                    "entra/audit-PT1H.json.gz",
                    "entra/signin-records.json.gz",
                    "keyvault/records.json.gz",
                ]
                .map(String::from),
            );
        }
        ShapeChoice::Sentinel => {
            for (which, name) in [
                ("signin", "SigninLogs.csv.gz"),
                ("audit", "AuditLogs.csv.gz"),
            ] {
                let rows: Vec<Map<String, Value>> =
                    of(which).map(|e| render_sentinel_row(e).1).collect();
                write_csv(&dir.join(name), &rows)?;
                written.push(name.to_string());
            }
            for (which, name) in [
                ("activity", "AzureActivity.json.gz"),
                ("keyvault", "AzureDiagnostics.json.gz"),
            ] {
                let rows: Vec<Map<String, Value>> =
                    of(which).map(|e| render_sentinel_row(e).1).collect();
                write_la_json(&dir.join(name), &rows)?;
                written.push(name.to_string());
            }
        }
    }
    Ok(written)
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The portal's CSV export: a title row (datetime columns carry the time
/// zone), CRLF line ends, quoting where needed.
fn write_csv(path: &Path, rows: &[Map<String, Value>]) -> io::Result<()> {
    let mut w = gz(path)?;
    if let Some(first) = rows.first() {
        let titles: Vec<String> = first
            .keys()
            .map(|k| {
                if k == "TimeGenerated" {
                    format!("{k} [UTC]")
                } else {
                    k.clone()
                }
            })
            .collect();
        w.write_all(titles.join(",").as_bytes())?;
        w.write_all(b"\r\n")?;
        for row in rows {
            let line: Vec<String> = first.keys().map(|k| csv_field(&cell(&row[k]))).collect();
            w.write_all(line.join(",").as_bytes())?;
            w.write_all(b"\r\n")?;
        }
    }
    finish(w)
}

fn column_type(name: &str) -> &'static str {
    match name {
        "TimeGenerated" => "datetime",
        "Authorization" | "Claims" | "Properties" => "dynamic",
        n if n.ends_with("_d") => "real",
        _ => "string",
    }
}

/// The Log Analytics query API's response.
fn write_la_json(path: &Path, rows: &[Map<String, Value>]) -> io::Result<()> {
    let columns: Vec<Value> = rows
        .first()
        .map(|r| {
            r.keys()
                .map(|k| json!({"name": k, "type": column_type(k)}))
                .collect()
        })
        .unwrap_or_default();
    let names: Vec<&String> = rows.first().map(|r| r.keys().collect()).unwrap_or_default();
    let mut w = gz(path)?;
    write!(
        w,
        "{{\"tables\":[{{\"name\":\"PrimaryResult\",\"columns\":{},\"rows\":[",
        Value::Array(columns)
    )?;
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            w.write_all(b",\n")?;
        }
        let cells: Vec<Value> = names.iter().map(|k| row[k.as_str()].clone()).collect();
        serde_json::to_writer(&mut w, &cells)?;
    }
    w.write_all(b"]}]}\n")?;
    finish(w)
}

/// Writes `events` as NDJSON in one shape (gzip when the name ends in `.gz`).
pub fn write_bulk(
    events: impl Iterator<Item = SynthEvent>,
    out: &Path,
    shape: ShapeChoice,
) -> io::Result<u64> {
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir)?;
    }
    let file = BufWriter::with_capacity(1 << 20, File::create(out)?);
    let mut w: Box<dyn Write> = if out.extension().is_some_and(|e| e == "gz") {
        Box::new(GzEncoder::new(file, Compression::fast()))
    } else {
        Box::new(file)
    };
    let mut n = 0u64;
    for e in events {
        let doc = render(&e, shape.shape());
        serde_json::to_writer(&mut w, &doc)?;
        w.write_all(b"\n")?;
        n += 1;
    }
    w.flush()?;
    Ok(n)
}
