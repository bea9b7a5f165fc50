//! The headless front-end: command-line parsing and the commands that run
//! without a terminal, so the engine can be scripted, tested and benchmarked.

pub mod case_cmd;
pub mod exceptions_cmd;
pub mod hunt;
pub mod inspect;
pub mod report;
pub mod rules_check;
pub mod search;

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};

use crate::ingest::{Limits, LoadOptions};
use crate::synth::{self, ShapeChoice};

#[derive(Parser, Debug)]
#[command(
    name = "vigil",
    version,
    about = "Offline console for investigating Azure security logs"
)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Logs to open in the console (files, folders, `-`); the bundled demo
    /// scenario when none are given.
    pub logs: Vec<PathBuf>,
    /// Rule files or folders for the console (default: the bundled rules).
    #[arg(long = "rules")]
    pub rules: Vec<PathBuf>,
    /// The time `now` stands for in rules (default: the latest event).
    #[arg(long)]
    pub now: Option<String>,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// The case file holding statuses, notes and checklist progress
    /// (default: one per set of logs under the user's data directory).
    #[arg(long)]
    pub case: Option<PathBuf>,
    /// Write nothing to disk: for demos and shared jump hosts.
    #[arg(long)]
    pub read_only: bool,
    /// A theme: dark, light, high-contrast, mono, one of yours (a file in
    /// the config directory's `themes/`), or a path.
    #[arg(long)]
    pub theme: Option<String>,
    /// Take mouse reports: the wheel scrolls, a click selects. Off by
    /// default, as it takes text selection away from the terminal.
    #[arg(long)]
    pub mouse: bool,
    /// Exception files or folders (default: `exceptions/` in each rule
    /// folder).
    #[arg(long = "exceptions", value_name = "PATH")]
    pub exceptions: Vec<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum InspectFormat {
    Table,
    Json,
}

/// The export shape `gen` writes.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ShapeArg {
    Ecs,
    Azure,
    Sentinel,
}

impl From<ShapeArg> for ShapeChoice {
    fn from(s: ShapeArg) -> Self {
        match s {
            ShapeArg::Ecs => ShapeChoice::Ecs,
            ShapeArg::Azure => ShapeChoice::Azure,
            ShapeArg::Sentinel => ShapeChoice::Sentinel,
        }
    }
}

#[derive(clap::Args, Debug, Clone)]
pub struct LimitArgs {
    /// Largest record accepted, in MiB.
    #[arg(long, default_value_t = 16)]
    pub max_record_mib: usize,
    /// Deepest nesting accepted inside one record.
    #[arg(long, default_value_t = 256)]
    pub max_depth: usize,
}

impl LimitArgs {
    pub fn options(&self) -> LoadOptions {
        let limits = Limits {
            max_record_bytes: self.max_record_mib.max(1) * 1024 * 1024,
            ..Limits::default()
        }
        .with_depth(self.max_depth);
        LoadOptions {
            limits,
            ..LoadOptions::default()
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Show what a set of log files holds: per file the format, records,
    /// time range and errors; in total, events per kind and the top UPNs.
    Inspect {
        /// Files or folders (walked recursively); `-` reads standard input.
        #[arg(required = true)]
        logs: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = InspectFormat::Table)]
        format: InspectFormat,
        /// Errors listed per file in the table form.
        #[arg(long, default_value_t = 5)]
        errors: usize,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Run an ad-hoc query over logs and print the matching events, in
    /// input order. Exit status: 0 when something matched, 1 when nothing
    /// did, 2 on an invalid query or unreadable input.
    Search {
        /// A Kibana Query Language query: prints matching documents.
        #[arg(long, required_unless_present_any = ["esql", "kusto"], conflicts_with_all = ["esql", "kusto"])]
        kql: Option<String>,
        /// An ES|QL query: prints its result rows.
        #[arg(long, conflicts_with = "kusto")]
        esql: Option<String>,
        /// A Kusto (Sentinel / Log Analytics) query: prints its result rows.
        #[arg(long)]
        kusto: Option<String>,
        /// Names the Log Analytics table of a file or folder for Kusto.
        #[arg(long = "table", value_name = "NAME=PATH", value_parser = parse_index)]
        table: Vec<(String, PathBuf)>,
        /// Names the index of a file or folder for ES|QL's FROM, for logs
        /// that carry no data stream of their own.
        #[arg(long = "index", value_name = "NAME=PATH", value_parser = parse_index)]
        index: Vec<(String, PathBuf)>,
        logs: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = search::SearchFormat::Ndjson)]
        format: search::SearchFormat,
        /// The time `now` stands for in date math (default: the latest
        /// event in the logs).
        #[arg(long)]
        now: Option<String>,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Run every rule over the logs in one pass and print the alerts; a
    /// summary of the run (events, rules by status, alerts and time per
    /// rule) goes to standard error. Exit status 0 whenever it ran.
    Hunt {
        /// Rule files or folders (default: the bundled rules).
        #[arg(long = "rules", value_name = "PATH")]
        rules: Vec<PathBuf>,
        /// Files or folders (walked recursively); `-` reads standard input.
        #[arg(required = true)]
        logs: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = hunt::HuntFormat::Table)]
        format: hunt::HuntFormat,
        /// The time `now` stands for (default: the latest event in the logs).
        #[arg(long)]
        now: Option<String>,
        /// Exception files or folders (default: `exceptions/` in each rule
        /// folder); the summary says what each one suppressed.
        #[arg(long = "exceptions", value_name = "PATH")]
        exceptions: Vec<PathBuf>,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Write the case over its logs: every alert with its status, reason
    /// and note, checklist progress, evidence, and the exceptions in force.
    Report {
        /// Logs the case is about (default: the bundled demo scenario).
        logs: Vec<PathBuf>,
        #[arg(long)]
        case: PathBuf,
        /// Rule files or folders (default: the bundled rules).
        #[arg(long = "rules", value_name = "PATH")]
        rules: Vec<PathBuf>,
        /// Exception files or folders (default: `exceptions/` in each rule
        /// folder).
        #[arg(long = "exceptions", value_name = "PATH")]
        exceptions: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = report::ReportFormat::Md)]
        format: report::ReportFormat,
        #[arg(long)]
        now: Option<String>,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Carry a case to another analyst: export a bundle, verify logs
    /// against it, open it.
    Case {
        #[command(subcommand)]
        command: case_cmd::CaseCommand,
    },
    /// Work with exception files: check them, export them for Kibana or
    /// Sentinel, import a Kibana export.
    Exceptions {
        #[command(subcommand)]
        command: exceptions_cmd::Command,
    },
    /// Work with rule files.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Write synthetic logs: `--demo` writes the demo scenario in every
    /// shape under OUT (`demo/`, `demo-azure/`, `demo-sentinel/`);
    /// `--events N` writes N routine events to the file OUT, for benchmarks.
    Gen {
        #[arg(long, conflicts_with = "events")]
        demo: bool,
        #[arg(long, required_unless_present = "demo")]
        events: Option<usize>,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, value_enum, default_value_t = ShapeArg::Ecs)]
        shape: ShapeArg,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

#[derive(Subcommand, Debug)]
pub enum RulesCommand {
    /// List each rule with its status: ok, unsupported (why), or error
    /// (file, line, column, message). Exit status 0 when no rule has an
    /// error, 1 when one has.
    Check {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = InspectFormat::Table)]
        format: InspectFormat,
    },
}

fn parse_index(s: &str) -> Result<(String, PathBuf), String> {
    match s.split_once('=') {
        Some((name, path)) if !name.is_empty() && !path.is_empty() => {
            Ok((name.to_string(), PathBuf::from(path)))
        }
        _ => Err(format!("expected NAME=PATH, got {s:?}")),
    }
}

/// The bundled demo scenario, for `vigil` with no arguments.
pub fn demo_dir() -> PathBuf {
    let local = PathBuf::from("fixtures/demo");
    if local.is_dir() {
        return local;
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo")
}

/// Runs a command; the result is the process exit status.
pub fn run(cli: Cli) -> Result<u8> {
    let Some(command) = cli.command else {
        open_console(cli)?;
        return Ok(0);
    };
    match command {
        Command::Search {
            kql,
            esql,
            kusto,
            index,
            table,
            logs,
            format,
            now,
            limits,
        } => {
            if logs.is_empty() && index.is_empty() && table.is_empty() {
                anyhow::bail!("no logs given");
            }
            let opts = limits.options();
            let outcome = match (kql, esql, kusto) {
                (Some(q), _, _) => search::run(&q, &logs, format, now.as_deref(), &opts)?,
                (None, Some(q), _) => {
                    search::run_esql(&q, &logs, &index, format, now.as_deref(), &opts)?
                }
                (None, None, Some(q)) => {
                    search::run_kusto(&q, &logs, &table, format, now.as_deref(), &opts)?
                }
                (None, None, None) => anyhow::bail!("give --kql, --esql or --kusto"),
            };
            Ok(match outcome {
                search::Outcome::Matched(_) => 0,
                search::Outcome::NoMatch => 1,
            })
        }
        Command::Rules {
            command: RulesCommand::Check { paths, format },
        } => {
            let report = rules_check::check(&paths);
            match format {
                InspectFormat::Table => print(&rules_check::render_table(&report))?,
                InspectFormat::Json => {
                    print(
                        &(serde_json::to_string_pretty(&report).context("encoding the report")?
                            + "\n"),
                    )?;
                }
            }
            Ok(u8::from(report.errors > 0))
        }
        Command::Case { command } => match case_cmd::run(command)? {
            case_cmd::Next::Exit(code) => Ok(code),
            case_cmd::Next::Console(args) => open_console(Cli::parse_from(args)).map(|()| 0),
        },
        other => run_other(other).map(|()| 0),
    }
}

/// The console over `logs` (the demo scenario when none) and `rules` (the
/// bundled rules when none).
fn open_console(cli: Cli) -> Result<()> {
    let now = search::now_flag(cli.now.as_deref())?;
    let logs = if cli.logs.is_empty() {
        vec![demo_dir()]
    } else {
        cli.logs
    };
    let rule_paths = if cli.rules.is_empty() {
        vec![hunt::bundled_rules_dir()]
    } else {
        cli.rules
    };
    let (rules, mut rule_errors) = hunt::load_rules(&rule_paths);
    let excepted = hunt::load_exceptions(&cli.exceptions, &rule_paths);
    // Exception files that do not load are shown with the rule files
    // that do not.
    rule_errors.extend(excepted.errors);
    let case = match cli.case {
        Some(p) => p,
        None => crate::case::store::default_path(&logs)
            .context("no data directory for the case file; name one with --case")?,
    };
    crate::tui::run(crate::tui::Options {
        logs,
        rules,
        rule_errors,
        load: cli.limits.options(),
        now,
        case: crate::case::Store::open(case, cli.read_only),
        settings: crate::tui::config::load(cli.theme.as_deref(), cli.mouse),
        exceptions: excepted.in_force,
        exceptions_dir: hunt::exceptions_dir(&cli.exceptions, &rule_paths),
    })
}

fn run_other(command: Command) -> Result<()> {
    match command {
        Command::Gen {
            demo,
            events,
            out,
            shape,
            seed,
        } => {
            if demo {
                let events = synth::demo();
                for (sub, shape) in [
                    ("demo", ShapeChoice::Ecs),
                    ("demo-azure", ShapeChoice::Azure),
                    ("demo-sentinel", ShapeChoice::Sentinel),
                ] {
                    let dir = out.join(sub);
                    let files = synth::write_scenario(&events, &dir, shape)
                        .with_context(|| format!("writing {}", dir.display()))?;
                    eprintln!(
                        "{}: {} events in {}",
                        dir.display(),
                        events.len(),
                        files.join(", ")
                    );
                }
            } else {
                let n = events.unwrap_or(0);
                let written = synth::write_bulk(synth::bulk(n, seed), &out, shape.into())
                    .with_context(|| format!("writing {}", out.display()))?;
                eprintln!("{}: {written} events", out.display());
            }
            Ok(())
        }
        Command::Hunt {
            rules,
            logs,
            format,
            now,
            exceptions,
            limits,
        } => {
            let now = search::now_flag(now.as_deref())?;
            hunt::run(hunt::HuntArgs {
                rule_paths: &rules,
                exceptions: &exceptions,
                logs: &logs,
                format,
                now,
                opts: &limits.options(),
            })
        }
        Command::Exceptions { command } => exceptions_cmd::run(command),
        Command::Report {
            logs,
            case,
            rules,
            exceptions,
            format,
            now,
            out,
            limits,
        } => report::run(report::ReportArgs {
            logs,
            case,
            rules,
            exceptions,
            format,
            now: search::now_flag(now.as_deref())?,
            out,
            load: limits.options(),
        }),
        Command::Search { .. } | Command::Rules { .. } | Command::Case { .. } => {
            unreachable!("handled by run")
        }
        Command::Inspect {
            logs,
            format,
            errors,
            limits,
        } => {
            let s = inspect::summarize(&logs, &limits.options());
            match format {
                InspectFormat::Table => print(&inspect::render_table(&s, errors)),
                InspectFormat::Json => {
                    let text = serde_json::to_string_pretty(&s).context("encoding the summary")?;
                    print(&(text + "\n"))
                }
            }
        }
    }
}

fn print(s: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|()| out.flush()) {
        // A closed pipe (`vigil inspect ... | head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r.context("writing to standard output"),
    }
}
