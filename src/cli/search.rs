//! `vigil search`: an ad-hoc query over logs, printing the matching events.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, SecondsFormat, Utc};

use std::sync::Arc;

use crate::engine::needs;
use crate::ingest::keep::Parts;
use crate::ingest::{self, LoadOptions, Mapping};
use crate::rules::fields::Mapped;
use crate::rules::kql::{self, Ctx};
use crate::rules::kusto;
use crate::rules::kusto::projection::Projection;
use crate::rules::kusto::pushdown::Pushdown;
use crate::rules::kusto::tables::{Builder, Source};
use crate::rules::kusto::value::to_ticks;
use crate::text::clip;

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum SearchFormat {
    /// One matching document per line, as it stands in the log.
    Ndjson,
    /// A summary line per match, for reading.
    Table,
}

/// How a search ended, for the exit code: like grep, 0 when something
/// matched, 1 when nothing did.
pub enum Outcome {
    Matched(u64),
    NoMatch,
}

pub fn run(
    query_text: &str,
    logs: &[PathBuf],
    format: SearchFormat,
    now: Option<&str>,
    opts: &LoadOptions,
) -> Result<Outcome> {
    let query = match kql::parse(query_text) {
        Ok(q) => q,
        Err(d) => bail!("invalid KQL query: {}", d.render(query_text)),
    };
    let now = match now_flag(now)? {
        Some(t) => t,
        None if kql::uses_now(&query) => ingest::end_of_data(logs, opts).unwrap_or_else(Utc::now),
        None => Utc::now(),
    };
    let ctx = Ctx::new(now);
    let mapping = Mapping::builtin();
    let mut out = BufWriter::new(io::stdout().lock());
    let mut matched = 0u64;
    let mut write_error: Option<io::Error> = None;
    let loaded = ingest::load(logs, opts, &mut |ev| {
        if write_error.is_some() {
            return;
        }
        let fields = Mapped {
            doc: &ev.doc,
            kind: ev.kind,
            mapping,
        };
        if !kql::matches(&query, &fields, &ctx) {
            return;
        }
        matched += 1;
        let r = match format {
            SearchFormat::Ndjson => write_document(&mut out, ev.raw, &ev.doc),
            SearchFormat::Table => {
                let c = mapping.canonical(&ev.doc, ev.kind);
                let time = c
                    .time
                    .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
                    .unwrap_or_else(|| "-".into());
                writeln!(
                    out,
                    "{time:<20}  {:<8}  {:<32}  {:<15}  {:<48}  {:<7}  {}:{}",
                    ev.kind.name(),
                    clip(c.upn.as_deref().unwrap_or("-"), 32),
                    clip(c.ip.as_deref().unwrap_or("-"), 15),
                    clip(c.operation.as_deref().unwrap_or("-"), 48),
                    c.outcome.name(),
                    clip(&ev.source.path, 60),
                    ev.loc.at.line
                )
            }
        };
        if let Err(e) = r {
            write_error = Some(e);
        }
    });
    match write_error {
        Some(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(Outcome::Matched(matched)),
        Some(e) => return Err(e).context("writing results"),
        None => {}
    }
    match out.flush() {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            return Err(e).context("writing results");
        }
        _ => {}
    }
    for r in &loaded.reports {
        if r.errors > 0 {
            eprintln!(
                "vigil: {}: {} unreadable records (first: {})",
                crate::text::sanitize(&r.path),
                r.errors,
                r.first_errors
                    .first()
                    .map(|e| crate::text::sanitize(&e.to_string()).into_owned())
                    .unwrap_or_default()
            );
        }
    }
    Ok(outcome(matched as usize))
}

/// Runs an ES|QL query; `named` gives files an index name
/// (`--index NAME=PATH`). Rows print as JSON objects, columns as keys.
pub fn run_esql(
    query_text: &str,
    logs: &[PathBuf],
    named: &[(String, PathBuf)],
    format: SearchFormat,
    now: Option<&str>,
    opts: &LoadOptions,
) -> Result<Outcome> {
    let query = match crate::rules::esql::compile(query_text) {
        Ok(q) => q,
        Err(d) => bail!("invalid ES|QL query: {}", d.render(query_text)),
    };
    let (inputs, names) = with_named(logs, named);
    let now = match now_flag(now)? {
        Some(t) => t,
        None if query.uses_now() => ingest::end_of_data(&inputs, opts).unwrap_or_else(Utc::now),
        None => Utc::now(),
    };
    let mapping = Mapping::builtin();
    let mut run = crate::detect::esql::EsqlRun::new(query, now.timestamp_millis());
    ingest::load(&inputs, opts, &mut |ev| {
        run.offer(
            &ev,
            mapping,
            ingest::source::named_for(&ev.source.path, &names),
        );
    });
    let table = run.finish();
    print_rows(&table.columns, &table.to_json_rows(), format)?;
    Ok(outcome(table.rows.len()))
}

/// `--now`, when given.
pub(super) fn now_flag(now: Option<&str>) -> Result<Option<DateTime<Utc>>> {
    now.map(|t| crate::model::parse_time(t).with_context(|| format!("--now {t:?} is not a time")))
        .transpose()
}

/// All inputs (plain and named), and the (path, name) pairs for naming.
fn with_named(
    logs: &[PathBuf],
    named: &[(String, PathBuf)],
) -> (Vec<PathBuf>, Vec<(String, String)>) {
    let mut inputs: Vec<PathBuf> = logs.to_vec();
    inputs.extend(named.iter().map(|(_, p)| p.clone()));
    let names = named
        .iter()
        .map(|(n, p)| (p.display().to_string(), n.clone()))
        .collect();
    (inputs, names)
}

fn outcome(rows: usize) -> Outcome {
    if rows == 0 {
        Outcome::NoMatch
    } else {
        Outcome::Matched(rows as u64)
    }
}

/// Runs a Kusto query over tables built from the logs; `named` gives files
/// a table name (`--table NAME=PATH`).
pub fn run_kusto(
    query_text: &str,
    logs: &[PathBuf],
    named: &[(String, PathBuf)],
    format: SearchFormat,
    now: Option<&str>,
    opts: &LoadOptions,
) -> Result<Outcome> {
    let query = match crate::rules::kusto::compile(query_text) {
        Ok(q) => q,
        Err(d) => bail!("invalid Kusto query: {}", d.render(query_text)),
    };
    let now_ticks = now_flag(now)?.map(crate::rules::kusto::value::to_ticks);
    let mapping = Mapping::builtin();
    let (inputs, names) = with_named(logs, named);
    let mut builder = Builder::new(names);
    // Rows the query's first filters would drop are never stored, and a
    // result of named columns keeps only the columns the query reads: a
    // large export costs the rows the query looks at, not its size.
    let pushdown = Pushdown::of(&query);
    let projection = Projection::for_query(query_text, &query, &[]).filter(|p| p.named_result);
    let opts = LoadOptions {
        keep: projection
            .as_ref()
            .map(|p| Arc::new(Parts::new(needs::of_projection(p, mapping)))),
        ..opts.clone()
    };
    let mut latest: Option<i64> = None;
    ingest::load(&inputs, &opts, &mut |ev| {
        let Some(table) = builder.table_for(&ev, mapping) else {
            return;
        };
        let time = mapping.time(&ev.doc, ev.kind);
        // `now()` is the end of the data, kept rows or not.
        if let Some(t) = time.map(to_ticks) {
            latest = Some(latest.map_or(t, |l| l.max(t)));
        }
        if !pushdown.reads(&table) {
            return;
        }
        let fields = Mapped {
            doc: &ev.doc,
            kind: ev.kind,
            mapping,
        };
        let source = Source {
            ev: &ev,
            fields: &fields,
            table: &table,
            time,
        };
        let keeps = |t: &str, row: &dyn kusto::eval::Row| pushdown.keeps(t, row);
        if let Some(row) = builder.row_if(source, mapping, projection.as_ref(), keeps) {
            builder.push(row);
        }
    });
    builder.latest = latest;
    let table = builder.run(&query, now_ticks);
    let rows = table.to_json_rows();
    print_rows(&table.columns, &rows, format)?;
    Ok(outcome(rows.len()))
}

/// Result rows (JSON objects keyed by column) as NDJSON or an aligned
/// table; every cell shown in the table is sanitised and clipped.
fn print_rows(columns: &[String], rows: &[serde_json::Value], format: SearchFormat) -> Result<()> {
    let mut out = BufWriter::new(io::stdout().lock());
    let r = match format {
        SearchFormat::Ndjson => rows.iter().try_for_each(|row| writeln!(out, "{row}")),
        SearchFormat::Table => {
            let header: Vec<String> = columns.iter().map(|c| clip(c, 28)).collect();
            writeln!(out, "{}", header.join("  ")).and_then(|()| {
                rows.iter().try_for_each(|row| {
                    let cells: Vec<String> = columns
                        .iter()
                        .map(|c| match &row[c.as_str()] {
                            serde_json::Value::String(s) => clip(s, 28),
                            other => clip(&other.to_string(), 28),
                        })
                        .collect();
                    writeln!(out, "{}", cells.join("  "))
                })
            })
        }
    };
    match r.and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e).context("writing results"),
        _ => Ok(()),
    }
}

/// The document as it stands in the log when that is one line of JSON;
/// otherwise (pretty-printed records, table rows) the document compacted.
fn write_document(
    out: &mut impl Write,
    raw: Option<&[u8]>,
    doc: &serde_json::Value,
) -> io::Result<()> {
    match raw {
        Some(bytes) if !bytes.contains(&b'\n') => out.write_all(bytes)?,
        Some(bytes) => match serde_json::from_slice::<serde_json::Value>(bytes) {
            Ok(v) => serde_json::to_writer(&mut *out, &v)?,
            Err(_) => serde_json::to_writer(&mut *out, doc)?,
        },
        None => serde_json::to_writer(&mut *out, doc)?,
    }
    out.write_all(b"\n")
}
