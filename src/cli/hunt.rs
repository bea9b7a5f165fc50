//! `vigil hunt`: every rule over every log in one pass, alerts on standard
//! output, a summary of the run on standard error.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::{Context, Result};
use chrono::{DateTime, SecondsFormat, Utc};

use crate::engine::{self, Alert, Plan, Summary};
use crate::ingest::LoadOptions;
use crate::rules::load;
use crate::rules::rule::Located;
use crate::text::{clip, sanitize};

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum HuntFormat {
    /// One line per alert, for reading.
    Table,
    /// One JSON alert object per line.
    Ndjson,
    /// A header and one row per alert, for spreadsheets.
    Csv,
}

/// The rules shipped with Vigil, used when no `--rules` is given.
pub fn bundled_rules_dir() -> PathBuf {
    let local = PathBuf::from("rules");
    if local.is_dir() {
        return local;
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("rules")
}

/// Loaded rules, and the rule files that could not be read.
pub fn load_rules(paths: &[PathBuf]) -> (Vec<Arc<crate::rules::Rule>>, Vec<Located>) {
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    for f in load::load(paths) {
        rules.extend(f.rules.into_iter().map(Arc::new));
        errors.extend(f.errors);
    }
    (rules, errors)
}

pub fn run(
    rule_paths: &[PathBuf],
    logs: &[PathBuf],
    format: HuntFormat,
    now: Option<DateTime<Utc>>,
    opts: &LoadOptions,
) -> Result<()> {
    let paths = if rule_paths.is_empty() {
        vec![bundled_rules_dir()]
    } else {
        rule_paths.to_vec()
    };
    let (rules, rule_errors) = load_rules(&paths);
    let plan = Plan {
        rules,
        logs: logs.to_vec(),
        load: opts.clone(),
        now,
        only: None,
        locate: false,
    };
    let summary = engine::run(&plan, &Arc::new(AtomicBool::new(false)), &mut |_| {});
    let mut out = BufWriter::new(io::stdout().lock());
    let written = match format {
        HuntFormat::Table => write_table(&mut out, &summary.alerts),
        HuntFormat::Ndjson => summary.alerts.iter().try_for_each(|a| {
            serde_json::to_writer(&mut out, a)?;
            out.write_all(b"\n")
        }),
        HuntFormat::Csv => write_csv(&mut out, &summary.alerts),
    };
    match written.and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            return Err(e).context("writing alerts");
        }
        _ => {}
    }
    eprint!("{}", render_summary(&summary, &rule_errors));
    Ok(())
}

fn time(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(
        || "-".into(),
        |t| t.to_rfc3339_opts(SecondsFormat::Secs, true),
    )
}

fn write_table(out: &mut impl Write, alerts: &[Alert]) -> io::Result<()> {
    writeln!(
        out,
        "{:<20}  {:<8}  {:<44}  {:>5}  {:<32}  {:<15}  {:<16}",
        "FIRST", "SEVERITY", "RULE", "COUNT", "ACCOUNT", "IP", "ID"
    )?;
    for a in alerts {
        let first = |k| a.entities_of(k).next().unwrap_or("-");
        writeln!(
            out,
            "{:<20}  {:<8}  {:<44}  {:>5}  {:<32}  {:<15}  {}",
            time(a.first),
            a.severity.name(),
            clip(&a.rule_name, 44),
            a.count,
            clip(first("account"), 32),
            clip(first("ip"), 15),
            a.id
        )?;
    }
    Ok(())
}

/// A CSV field, quoted when it needs to be. Cells that a spreadsheet
/// would run as a formula are prefixed with a quote mark: log values are
/// attacker-controlled.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn write_csv(out: &mut impl Write, alerts: &[Alert]) -> io::Result<()> {
    writeln!(
        out,
        "id,rule_id,rule_name,severity,risk_score,first,last,count,accounts,ips,resources,apps,evidence,matched"
    )?;
    for a in alerts {
        let evidence: Vec<String> = a
            .evidence
            .iter()
            .map(|e| format!("{}:{}", e.file, e.line))
            .collect();
        let matched: Vec<String> = a
            .matched
            .iter()
            .map(|m| format!("{}={}", m.field, m.value))
            .collect();
        let cells = [
            a.id.clone(),
            a.rule_id.clone(),
            a.rule_name.clone(),
            a.severity.name().to_string(),
            a.risk_score.to_string(),
            time(a.first),
            time(a.last),
            a.count.to_string(),
            a.entities_of("account").collect::<Vec<_>>().join(";"),
            a.entities_of("ip").collect::<Vec<_>>().join(";"),
            a.entities_of("resource").collect::<Vec<_>>().join(";"),
            a.entities_of("app").collect::<Vec<_>>().join(";"),
            evidence.join(";"),
            matched.join(";"),
        ];
        let row: Vec<String> = cells.iter().map(|c| csv_field(c)).collect();
        writeln!(out, "{}", row.join(","))?;
    }
    Ok(())
}

fn file_label(p: &str) -> String {
    let name = Path::new(p)
        .file_name()
        .map_or_else(|| p.to_string(), |n| n.to_string_lossy().into_owned());
    sanitize(&name).into_owned()
}

/// The run in a few lines: inputs, rules by status, alerts and time per
/// rule, and why any rule did not run.
pub fn render_summary(s: &Summary, rule_errors: &[Located]) -> String {
    let mut out = String::new();
    let count = |status: &str| s.rules.iter().filter(|r| r.status == status).count();
    let failed = count("error") + rule_errors.len();
    out.push_str(&format!(
        "vigil hunt: {} events from {} files ({} unreadable records); {} rules: {} ok, {} unsupported, {} failed; {} alerts in {:.2}s\n",
        s.events,
        s.files.len(),
        s.errors,
        s.rules.len() + rule_errors.len(),
        count("ok"),
        count("unsupported"),
        failed,
        s.alerts.len(),
        s.elapsed_ms as f64 / 1000.0
    ));
    if let Some(now) = s.now {
        out.push_str(&format!("  now: {}\n", time(Some(now))));
    }
    for r in s.rules.iter().filter(|r| r.status == "ok") {
        out.push_str(&format!(
            "  {:>4} alerts  {:>8.1} ms  {}  ({}){}\n",
            r.alerts,
            r.micros as f64 / 1000.0,
            clip(&r.name, 60),
            file_label(&r.file),
            if r.second_pass {
                "  [read twice: its rows were not in time order]"
            } else {
                ""
            }
        ));
    }
    for r in s.rules.iter().filter(|r| r.status != "ok") {
        out.push_str(&format!(
            "  {}: {} ({}): {}\n",
            r.status,
            clip(&r.name, 60),
            file_label(&r.file),
            clip(r.reason.as_deref().unwrap_or(""), 160)
        ));
    }
    for e in rule_errors {
        out.push_str(&format!("  error: {}\n", clip(&e.to_string(), 200)));
    }
    for f in s.files.iter().filter(|f| f.errors > 0) {
        let first = f
            .first_errors
            .first()
            .map(|e| e.to_string())
            .unwrap_or_default();
        out.push_str(&format!(
            "  {}: {} unreadable records (first: {})\n",
            sanitize(&f.path),
            f.errors,
            clip(&first, 160)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("-1"), "'-1");
    }
}
