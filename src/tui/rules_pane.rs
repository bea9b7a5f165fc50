//! The rules pane's state: every rule with how its run went, rule files
//! that did not load, and turning a rule off or running it again without
//! reading the logs into memory again.

use std::collections::HashSet;

use super::app::App;
use super::keys::Action;
use crate::model::SourceKind;
use crate::rules::Rule;
use crate::rules::index::covers;

#[derive(Default)]
pub struct RulesPane {
    /// Index into the rules, then into the rule errors after them.
    pub selected: usize,
    pub offset: usize,
    /// Rules turned off (indices): their alerts leave the list.
    pub disabled: HashSet<usize>,
    /// A rule to run again, for the console's loop to start.
    pub rerun: Option<usize>,
    /// Rules running again now.
    pub running: HashSet<usize>,
}

/// The kinds of log a rule reads, when that can be told from its index
/// patterns or the tables it names.
pub fn kinds_read(rule: &Rule) -> Option<Vec<SourceKind>> {
    let mapping = crate::ingest::Mapping::builtin();
    let mut patterns = rule.index.clone();
    if rule.language == "esql" {
        // FROM names the indices, up to the first pipe, line end or option.
        let q = rule.query.trim_start();
        if q.get(..4).is_some_and(|k| k.eq_ignore_ascii_case("from")) {
            let list = q[4..].split(['|', '\n']).next().unwrap_or("");
            if let Some(list) = list.split_whitespace().next() {
                patterns.push(list.to_string());
            }
        }
    }
    let known: Vec<(SourceKind, &str, &str)> = SourceKind::ALL
        .into_iter()
        .filter_map(|k| mapping.dataset(k).map(|(ecs, sentinel)| (k, ecs, sentinel)))
        .collect();
    let kinds: Vec<SourceKind> = if rule.language == "kusto" {
        let words: Vec<&str> = rule
            .query
            .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .collect();
        known
            .iter()
            .filter(|(k, _, sentinel)| {
                words.iter().any(|w| {
                    w == sentinel || (*k == SourceKind::SignIn && w.ends_with("SignInLogs"))
                })
            })
            .map(|(k, ..)| *k)
            .collect()
    } else {
        // A query that names datasets reads those; otherwise the index
        // patterns tell, when they are narrower than every Azure log.
        let named: Vec<SourceKind> = known
            .iter()
            .filter(|(_, ecs, _)| rule.query.contains(ecs))
            .map(|(k, ..)| *k)
            .collect();
        if !named.is_empty() || patterns.is_empty() {
            named
        } else {
            let covered: Vec<SourceKind> = known
                .iter()
                .filter(|(_, ecs, _)| {
                    let names = [
                        format!("logs-{ecs}-default"),
                        ecs.to_string(),
                        format!("filebeat-{ecs}"),
                    ];
                    covers(&patterns, &names)
                })
                .map(|(k, ..)| *k)
                .collect();
            if covered.len() == known.len() {
                Vec::new()
            } else {
                covered
            }
        }
    };
    (!kinds.is_empty()).then_some(kinds)
}

impl App {
    /// Rows of the rules pane: rules, then rule files that did not load.
    pub fn rules_rows(&self) -> usize {
        self.rules.len() + self.rule_errors.len()
    }

    pub(super) fn act_rules(&mut self, action: Action) {
        let last = self.rules_rows().saturating_sub(1);
        let p = &mut self.rules_pane;
        match action {
            Action::Down => p.selected = (p.selected + 1).min(last),
            Action::Up => p.selected = p.selected.saturating_sub(1),
            Action::PageDown => p.selected = (p.selected + 20).min(last),
            Action::PageUp => p.selected = p.selected.saturating_sub(20),
            Action::Top => p.selected = 0,
            Action::Bottom => p.selected = last,
            Action::Toggle if p.selected < self.rules.len() => {
                let i = p.selected;
                let on = !p.disabled.remove(&i);
                if on {
                    p.disabled.insert(i);
                }
                self.order_changed();
                self.message = Some(format!(
                    "{} {}",
                    if on { "turned off:" } else { "turned on:" },
                    crate::text::clip(&self.rules[i].name, 60)
                ));
            }
            Action::Rerun if p.selected < self.rules.len() => {
                let i = p.selected;
                if !matches!(self.rules[i].status, crate::rules::rule::Status::Ok) {
                    self.message = Some("only a rule that loaded can run".into());
                } else if self.done.is_none() {
                    self.message = Some("wait for the first run to finish".into());
                } else {
                    p.rerun = Some(i);
                }
            }
            Action::Open | Action::Except if p.selected < self.rules.len() => self.open_tuning(),
            Action::Back => self.pane = super::app::Pane::Alerts,
            _ => {}
        }
    }

    /// Forgets a rule's alerts before it runs again; the run sends the
    /// ones it still finds.
    pub fn begin_rerun(&mut self, rule: usize) {
        let id = self.rules[rule].rule_id.clone();
        self.forget_rule_alerts(&id);
        self.rules_pane.running.insert(rule);
        self.message = Some(format!(
            "running again: {}",
            crate::text::clip(&self.rules[rule].name, 60)
        ));
    }

    pub fn rerun_done(&mut self, rule: usize) {
        self.rules_pane.running.remove(&rule);
        let n = self
            .rule_summaries
            .iter()
            .find(|s| s.index == rule)
            .map_or(0, |s| s.alerts);
        self.message = Some(format!(
            "ran again: {} ({n} alerts)",
            crate::text::clip(&self.rules[rule].name, 60)
        ));
    }
}
