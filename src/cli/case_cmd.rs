//! `vigil case`: carrying a case to another analyst. `export` writes a
//! bundle (decisions, exceptions, rule files with hashes, log hashes);
//! `verify` tells whether the logs at hand are the bundle's; `open`
//! unpacks it and opens the console on it, or says which input differs.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use chrono::Utc;

use crate::case::bundle::{self, Bundle};
use crate::case::{Store, bundle::Differences};

#[derive(clap::Subcommand, Debug)]
pub enum CaseCommand {
    /// Write one file holding the case, the exceptions in force, the rule
    /// files used (with SHA-256) and the SHA-256 of every input log.
    Export {
        #[arg(long)]
        case: PathBuf,
        /// Logs the case is about (default: the bundled demo scenario).
        logs: Vec<PathBuf>,
        #[arg(long = "rules", value_name = "PATH")]
        rules: Vec<PathBuf>,
        #[arg(long = "exceptions", value_name = "PATH")]
        exceptions: Vec<PathBuf>,
        #[arg(long)]
        out: PathBuf,
    },
    /// Compare the logs at hand with a bundle's: exit status 0 when they
    /// are the same files, 1 (with each difference) when not.
    Verify { bundle: PathBuf, logs: Vec<PathBuf> },
    /// Open a bundle in the console over the logs at hand, once they are
    /// checked to be the bundle's.
    Open {
        bundle: PathBuf,
        logs: Vec<PathBuf>,
        /// Open even when the logs differ (alerts may then differ too).
        #[arg(long)]
        force: bool,
        /// Where to unpack (default: under the user's data directory).
        #[arg(long)]
        into: Option<PathBuf>,
        #[arg(long)]
        read_only: bool,
    },
}

/// What `vigil case` leaves to do: nothing, or the console to open with
/// these arguments.
pub enum Next {
    Exit(u8),
    Console(Vec<String>),
}

fn logs_or_demo(logs: Vec<PathBuf>) -> Vec<PathBuf> {
    if logs.is_empty() {
        vec![super::demo_dir()]
    } else {
        logs
    }
}

fn report(d: &Differences) {
    for line in d.lines() {
        eprintln!("  {}", crate::text::sanitize(&line));
    }
}

pub fn run(command: CaseCommand) -> Result<Next> {
    match command {
        CaseCommand::Export {
            case,
            logs,
            rules,
            exceptions,
            out,
        } => {
            let store = Store::open(case.clone(), true);
            match store.read_only.as_deref() {
                Some("read-only") => {}
                Some(why) => bail!("{why}"),
                None => unreachable!("opened read-only"),
            }
            if !case.exists() {
                bail!("no case at {}", case.display());
            }
            let logs = logs_or_demo(logs);
            let rule_paths = if rules.is_empty() {
                vec![super::hunt::bundled_rules_dir()]
            } else {
                rules
            };
            let excepted = super::hunt::load_exceptions(&exceptions, &rule_paths);
            let b = Bundle {
                format: bundle::FORMAT.into(),
                version: bundle::VERSION,
                created: Utc::now(),
                created_by: std::env::var("USER").unwrap_or_default(),
                case: store.case.clone(),
                exceptions: crate::exceptions::file::to_toml(&excepted.in_force),
                rules: bundle::rule_texts(&rule_paths)?,
                logs: bundle::hash_logs(&logs)?,
            };
            let text = serde_json::to_string_pretty(&b).context("encoding the bundle")?;
            crate::case::store::write_atomic(&out, text.as_bytes())
                .with_context(|| format!("writing {}", out.display()))?;
            eprintln!(
                "{}: {} alert states, {} exceptions, {} rule files, {} log files",
                out.display(),
                b.case.alerts.len(),
                excepted.in_force.len(),
                b.rules.len(),
                b.logs.len()
            );
            Ok(Next::Exit(0))
        }
        CaseCommand::Verify { bundle: path, logs } => {
            let b = bundle::read(&path)?;
            let d = bundle::compare(&b.logs, &logs_or_demo(logs))?;
            if d.is_empty() {
                eprintln!("the logs are the bundle's: {} files", b.logs.len());
                Ok(Next::Exit(0))
            } else {
                eprintln!("the logs differ from the bundle's:");
                report(&d);
                Ok(Next::Exit(1))
            }
        }
        CaseCommand::Open {
            bundle: path,
            logs,
            force,
            into,
            read_only,
        } => {
            let b = bundle::read(&path)?;
            let logs = logs_or_demo(logs);
            let d = bundle::compare(&b.logs, &logs)?;
            if !d.is_empty() {
                eprintln!("the logs differ from the bundle's:");
                report(&d);
                if !force {
                    eprintln!("nothing opened; --force opens it anyway (alerts may differ)");
                    return Ok(Next::Exit(1));
                }
            }
            let dir = match into {
                Some(d) => d,
                None => bundle::unpack_dir(&b).context("no data directory; give --into")?,
            };
            let (rules, exceptions, case) = bundle::unpack(&b, &dir)?;
            let mut args: Vec<String> = vec!["vigil".into()];
            args.extend(logs.iter().map(|l| l.display().to_string()));
            for (flag, p) in [
                ("--rules", &rules),
                ("--exceptions", &exceptions),
                ("--case", &case),
            ] {
                args.push(flag.into());
                args.push(p.display().to_string());
            }
            if read_only {
                args.push("--read-only".into());
            }
            Ok(Next::Console(args))
        }
    }
}
