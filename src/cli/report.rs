//! `vigil report`: the case over its logs, as Markdown or JSON. The logs
//! are run again with the rules and exceptions, so each alert is reported
//! whole (entities, evidence) beside what the case says of it.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};

use crate::case::{Store, report};
use crate::engine::{self, Plan};
use crate::ingest::LoadOptions;

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum ReportFormat {
    Md,
    Json,
}

pub struct ReportArgs {
    pub logs: Vec<PathBuf>,
    pub case: PathBuf,
    pub rules: Vec<PathBuf>,
    pub exceptions: Vec<PathBuf>,
    pub format: ReportFormat,
    pub now: Option<DateTime<Utc>>,
    pub out: Option<PathBuf>,
    pub load: LoadOptions,
}

pub fn run(args: ReportArgs) -> Result<()> {
    let store = Store::open(args.case.clone(), true);
    match store.read_only.as_deref() {
        Some("read-only") => {}
        Some(why) => bail!("{why}"),
        None => unreachable!("opened read-only"),
    }
    if !args.case.exists() {
        bail!("no case at {}", args.case.display());
    }
    let logs = if args.logs.is_empty() {
        vec![super::demo_dir()]
    } else {
        args.logs
    };
    let rule_paths = if args.rules.is_empty() {
        vec![super::hunt::bundled_rules_dir()]
    } else {
        args.rules
    };
    let (rules, _) = super::hunt::load_rules(&rule_paths);
    let excepted = super::hunt::load_exceptions(&args.exceptions, &rule_paths);
    let plan = Plan {
        rules: rules.clone(),
        logs: logs.clone(),
        load: args.load,
        now: args.now,
        compare: !excepted.in_force.is_empty(),
        exceptions: Arc::new(excepted.in_force.clone()),
        ..Plan::default()
    };
    let summary = engine::run(&plan, &Arc::new(AtomicBool::new(false)), &mut |_| {});
    let (alerts, suppressed) = report::from_summary(&summary);
    let names: Vec<String> = logs.iter().map(|l| l.display().to_string()).collect();
    let r = report::build(report::Inputs {
        case_path: &args.case.display().to_string(),
        logs: &names,
        events: summary.events,
        alerts,
        excepted: &suppressed,
        case: &store.case,
        rules: &rules,
        exceptions: &excepted.in_force,
    });
    let text = match args.format {
        ReportFormat::Md => r.markdown(),
        ReportFormat::Json => {
            serde_json::to_string_pretty(&r).context("encoding the report")? + "\n"
        }
    };
    match args.out {
        Some(path) => crate::case::store::write_atomic(&path, text.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?,
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    return Err(e).context("writing the report");
                }
                _ => {}
            }
        }
    }
    Ok(())
}
