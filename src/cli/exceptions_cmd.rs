//! `vigil exceptions`: exception files outside the console. `check` lists
//! what a folder holds and where it breaks; `export` writes the list for
//! Kibana (exception-list NDJSON), for Sentinel (the condition to append
//! to each rule's query) or as TOML; `import` turns a Kibana export into
//! TOML files for review.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use crate::exceptions::{Exception, Scope, elastic, file, sentinel};
use crate::text::sanitize;

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum ExportFormat {
    /// Kibana's exception-list NDJSON (Security > Exceptions > Import).
    Elastic,
    /// The `| where not(...)` to append to each Sentinel rule's query.
    Sentinel,
    /// Vigil's own TOML, all in one file.
    Toml,
}

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// List the exceptions under the paths (default: rules/exceptions)
    /// and every problem, located; exit status 1 when there is one.
    Check { paths: Vec<PathBuf> },
    /// Write the exceptions under the paths to standard output.
    Export {
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = ExportFormat::Elastic)]
        format: ExportFormat,
    },
    /// Read a Kibana exception-list export and write each exception as a
    /// TOML file in DIR.
    Import {
        file: PathBuf,
        #[arg(long, value_name = "DIR")]
        into: PathBuf,
        /// For exceptions that say nothing of their rules: the rule ids
        /// they are for (default: the rules whose `exceptions_list` names
        /// their list).
        #[arg(long = "rule", value_name = "RULE_ID")]
        rules: Vec<String>,
    },
}

fn load(paths: &[PathBuf]) -> (Vec<Exception>, Vec<crate::rules::rule::Located>) {
    let paths = if paths.is_empty() {
        vec![super::hunt::bundled_rules_dir().join("exceptions")]
    } else {
        paths.to_vec()
    };
    let loaded = file::load_all(&paths);
    (loaded.exceptions, loaded.errors)
}

fn scope_text(s: &Scope) -> String {
    match s {
        Scope::All => "all rules".into(),
        Scope::ByList => "rules using its list".into(),
        Scope::Rules(ids) => format!("rules {}", ids.join(", ")),
    }
}

pub fn run(command: Command) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match command {
        Command::Check { paths } => {
            let (all, errors) = load(&paths);
            let now = chrono::Utc::now();
            for e in &all {
                let state = if e.expired(now) {
                    "expired"
                } else {
                    "in force"
                };
                writeln!(
                    out,
                    "{}  {}  [{state}; {}]\n    {}",
                    sanitize(&e.id),
                    sanitize(&e.name),
                    scope_text(&e.scope),
                    sanitize(&e.describe())
                )?;
            }
            for e in &errors {
                writeln!(out, "error: {e}")?;
                if !e.excerpt.is_empty() {
                    writeln!(out, "{}", e.excerpt)?;
                }
            }
            writeln!(out, "{} exceptions, {} problems", all.len(), errors.len())?;
            if !errors.is_empty() {
                bail!("{} exception problems", errors.len());
            }
        }
        Command::Export { paths, format } => {
            let (all, errors) = load(&paths);
            for e in &errors {
                eprintln!("not exported: {e}");
            }
            let text = match format {
                ExportFormat::Elastic => elastic::export(&all),
                ExportFormat::Toml => file::to_toml(&all),
                ExportFormat::Sentinel => all
                    .iter()
                    .map(|e| {
                        format!(
                            "// {} ({}), for {}: {}\n{}\n",
                            e.name.replace('\n', " "),
                            e.id,
                            scope_text(&e.scope),
                            e.comment.replace('\n', " "),
                            sentinel::where_clause(e, &|f| f.to_string())
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
            };
            out.write_all(text.as_bytes())?;
        }
        Command::Import {
            file: f,
            into,
            rules,
        } => {
            let text =
                std::fs::read_to_string(&f).with_context(|| format!("reading {}", f.display()))?;
            let (found, errors) = elastic::import(&f.display().to_string(), &text);
            for e in &errors {
                eprintln!("not imported: {e}");
            }
            for mut e in found {
                if e.scope == Scope::ByList && !rules.is_empty() {
                    e.scope = Scope::Rules(rules.clone());
                }
                let path = file::save(&into, &e)
                    .with_context(|| format!("writing into {}", into.display()))?;
                writeln!(out, "{}  {}", path.display(), sanitize(&e.name))?;
            }
            if !errors.is_empty() {
                bail!("{} exceptions not imported", errors.len());
            }
        }
    }
    Ok(())
}
