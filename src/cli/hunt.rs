//! `vigil hunt`: every rule over every log in one pass, alerts on standard
//! output, a summary of the run on standard error.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::{Context, Result};
use chrono::{DateTime, SecondsFormat, Utc};

use crate::engine::{self, Alert, Plan, Summary};
use crate::exceptions::{self, Exception};
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

/// Exceptions for a run: from the folders named, or else from an
/// `exceptions/` folder in each rule folder.
pub struct Excepted {
    pub in_force: Vec<Exception>,
    /// Exceptions past their expiry, not applied.
    pub expired: Vec<Exception>,
    pub errors: Vec<Located>,
}

pub fn load_exceptions(named: &[PathBuf], rule_paths: &[PathBuf]) -> Excepted {
    let places: Vec<PathBuf> = if named.is_empty() {
        rule_paths
            .iter()
            .filter(|p| p.is_dir())
            .map(|p| p.join("exceptions"))
            .collect()
    } else {
        named.to_vec()
    };
    let loaded = exceptions::file::load_all(&places);
    let (in_force, expired) = exceptions::in_force(loaded.exceptions, Utc::now());
    Excepted {
        in_force,
        expired,
        errors: loaded.errors,
    }
}

/// Where the console writes new exceptions: the folder named by
/// `--exceptions`, else `exceptions/` in the first rule folder.
pub fn exceptions_dir(named: &[PathBuf], rule_paths: &[PathBuf]) -> Option<PathBuf> {
    match named.first() {
        Some(p) if !p.is_file() => Some(p.clone()),
        Some(_) => None,
        None => rule_paths
            .iter()
            .find(|p| p.is_dir())
            .map(|p| p.join("exceptions")),
    }
}

pub struct HuntArgs<'a> {
    pub rule_paths: &'a [PathBuf],
    pub exceptions: &'a [PathBuf],
    pub logs: &'a [PathBuf],
    pub format: HuntFormat,
    pub now: Option<DateTime<Utc>>,
    pub opts: &'a LoadOptions,
}

pub fn run(args: HuntArgs<'_>) -> Result<()> {
    let paths = if args.rule_paths.is_empty() {
        vec![bundled_rules_dir()]
    } else {
        args.rule_paths.to_vec()
    };
    let (rules, rule_errors) = load_rules(&paths);
    let excepted = load_exceptions(args.exceptions, &paths);
    let format = args.format;
    let plan = Plan {
        rules,
        logs: args.logs.to_vec(),
        load: args.opts.clone(),
        now: args.now,
        only: None,
        locate: false,
        compare: !excepted.in_force.is_empty(),
        exceptions: Arc::new(excepted.in_force.clone()),
        whole_records: false,
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
    eprint!("{}", render_exceptions(&summary, &plan, &excepted));
    Ok(())
}

/// What each exception did: the events it kept from each rule and the
/// alerts that fire only without it; then those not applied, and why.
pub fn render_exceptions(s: &Summary, plan: &Plan, ex: &Excepted) -> String {
    let mut out = String::new();
    if ex.in_force.is_empty() && ex.expired.is_empty() && ex.errors.is_empty() {
        return out;
    }
    let suppressed: usize = s.suppressed.len();
    out.push_str(&format!(
        "exceptions: {} in force, {} expired, {} not loaded; {} alerts suppressed\n",
        ex.in_force.len(),
        ex.expired.len(),
        ex.errors.len(),
        suppressed
    ));
    for r in &s.exceptions {
        let events: u64 = r.rules.iter().map(|(_, n)| n).sum();
        out.push_str(&format!(
            "  {}  {}: matched {events} events of {} rules; {} alerts suppressed\n",
            sanitize(&r.id),
            clip(&r.name, 60),
            r.rules.len(),
            r.alerts.len()
        ));
        // Rules whose alerts it changed by name; the others summed up.
        let (mut agg, mut agg_events, mut each, mut each_events) = (0, 0, 0, 0);
        for (rule, n) in &r.rules {
            let rs = &s.rules[*rule];
            let without = rs.without_exceptions.unwrap_or(rs.alerts);
            if without == rs.alerts {
                if rs.aggregates {
                    agg += 1;
                    agg_events += n;
                } else {
                    each += 1;
                    each_events += n;
                }
                continue;
            }
            out.push_str(&format!(
                "      {}: {n} events it matches kept out; alerts {without} without exceptions, {} with\n",
                clip(&rs.name, 60),
                rs.alerts
            ));
        }
        if agg + each > 0 {
            out.push_str(&format!(
                "      alerts unchanged: {agg_events} events kept out of {agg} rules that \
                 count or join events, {each_events} out of {each} that judge each event\n"
            ));
        }
        for id in &r.alerts {
            if let Some(a) = s.suppressed.iter().find(|a| &a.id == id) {
                let first = |k| a.entities_of(k).next().unwrap_or("-");
                out.push_str(&format!(
                    "      suppressed {id}  {}  {}  {}  count {}\n",
                    time(a.first),
                    clip(first("account"), 40),
                    clip(first("ip"), 15),
                    a.count
                ));
            }
        }
    }
    for e in &ex.expired {
        out.push_str(&format!(
            "  expired, not applied: {}  {} (expired {})\n",
            sanitize(&e.id),
            clip(&e.name, 60),
            time(e.expires)
        ));
    }
    for e in &ex.errors {
        out.push_str(&format!("  not loaded: {}\n", clip(&e.to_string(), 200)));
    }
    let unknown: Vec<&Exception> = plan
        .exceptions
        .iter()
        .filter(|e| !plan.rules.iter().any(|r| e.applies_to(r)))
        .collect();
    for e in unknown {
        out.push_str(&format!(
            "  applies to no loaded rule: {}  {}\n",
            sanitize(&e.id),
            clip(&e.name, 60)
        ));
    }
    out
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
