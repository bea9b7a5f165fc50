//! The case report from the console: the alerts as listed now, with
//! their state, and the exceptions in force, as Markdown beside the case
//! file.

use super::app::App;

impl App {
    /// Writes the case as Markdown beside the case file: every alert as
    /// listed now, with its state, and the exceptions in force.
    pub(super) fn write_report(&mut self) {
        if self.case.read_only.as_deref() == Some("read-only") {
            self.message = Some("read-only: no report written".into());
            return;
        }
        let path = self.case.path().with_extension("report.md");
        if path.as_os_str().is_empty() || self.case.path().as_os_str().is_empty() {
            self.message = Some("no case file to write the report beside".into());
            return;
        }
        let alerts: Vec<&crate::engine::Alert> =
            self.by_id.values().map(|&i| &self.alerts[i]).collect();
        let logs: Vec<String> = self
            .plan
            .as_ref()
            .map(|p| p.logs.iter().map(|l| l.display().to_string()).collect())
            .unwrap_or_default();
        let report = crate::case::report::build(crate::case::report::Inputs {
            case_path: &self.case.path().display().to_string(),
            logs: &logs,
            events: self.events.len() as u64,
            alerts,
            excepted: &self.excepted,
            case: &self.case.case,
            rules: &self.rules,
            exceptions: &self.exceptions,
        });
        self.message = Some(
            match crate::case::store::write_atomic(&path, report.markdown().as_bytes()) {
                Ok(()) => format!("report written to {}", path.display()),
                Err(e) => format!("NO REPORT: {}: {e}", path.display()),
            },
        );
    }
}
