//! Tuning one rule: its alerts with and without the exceptions in force,
//! those exceptions, and the values an analyst usually tunes on
//! (account, app, address, resource, operation) ranked by how many of its
//! alerts carry them. `e` on a value starts an exception draft on the
//! field that holds it, found by reading one of its events again.

use std::collections::HashMap;
use std::sync::Arc;

use super::app::App;
use super::except::{Condition, OpChoice};
use super::keys::Action;
use crate::engine::located::Located;
use crate::ingest::{Limits, Mapping, RecordLoc, SourceInfo};
use crate::rules::fields::{Fields, Mapped};

/// Values shown per column.
const TOP: usize = 5;
/// Evidence events looked at per alert.
const PER_ALERT: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Account,
    App,
    Address,
    Resource,
    Operation,
}

impl Column {
    pub const ALL: [Column; 5] = [
        Column::Account,
        Column::App,
        Column::Address,
        Column::Resource,
        Column::Operation,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Column::Account => "account",
            Column::App => "app",
            Column::Address => "address",
            Column::Resource => "resource",
            Column::Operation => "operation",
        }
    }

    /// The canonical column the mapping names, for finding the field.
    fn canonical(self) -> &'static [&'static str] {
        match self {
            Column::Account => &["upn"],
            Column::App => &["app_id", "app_name"],
            Column::Address => &["ip"],
            Column::Resource => &["resource_id", "resource_name"],
            Column::Operation => &["operation"],
        }
    }

    fn of(self, l: &Located) -> crate::engine::Sym {
        match self {
            Column::Account => l.upn,
            Column::App => l.app,
            Column::Address => l.ip,
            Column::Resource => l.resource,
            Column::Operation => l.operation,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Value_ {
    pub column: Column,
    pub value: String,
    /// Alerts of the rule with an event carrying it.
    pub alerts: usize,
    /// One such event: (alert index, event position).
    pub example: (usize, usize),
}

pub struct Tuning {
    pub rule: usize,
    pub values: Vec<Value_>,
    pub selected: usize,
    /// Alerts listed now, and those the exceptions keep from firing.
    pub alerts: usize,
    pub excepted: usize,
    /// The read under way for a draft, if any.
    pub reading: Option<u64>,
}

/// Alerts seen with a value, and one (alert, event position) having it.
type Seen = (usize, (usize, usize));

/// Finds the field holding a value in one event.
pub struct FieldJob {
    pub token: u64,
    pub info: Arc<SourceInfo>,
    pub loc: RecordLoc,
    pub kind: crate::model::SourceKind,
    pub limits: Limits,
    pub column: Column,
    pub value: String,
}

impl FieldJob {
    /// The field's path and its value as the event writes it.
    pub fn run(&self) -> Option<(String, String)> {
        let doc = crate::ingest::reparse(&self.info, &self.loc, &self.limits).ok()?;
        let mapping = Mapping::builtin();
        let mut found = Vec::new();
        let fields = Mapped {
            doc: &doc,
            kind: self.kind,
            mapping,
        };
        fields.for_each_leaf(&mut |path, v| {
            if let Some(text) = crate::ingest::doc::scalar_text(v) {
                found.push((path.to_string(), text));
            }
        });
        let same = |t: &str| {
            t == self.value
                || t.to_lowercase() == self.value
                || crate::ingest::mapping::clean_ip(t).as_deref() == Some(self.value.as_str())
        };
        let wanted = self.column.canonical();
        let mut first = None;
        for (path, text) in found.into_iter().filter(|(_, t)| same(t)) {
            if mapping
                .canonical_of(&path)
                .is_some_and(|c| wanted.contains(&c))
            {
                return Some((path, text));
            }
            first.get_or_insert((path, text));
        }
        first
    }
}

impl App {
    /// Opens the tuning view of the rule selected in the rules pane.
    pub(super) fn open_tuning(&mut self) {
        let rule = self.rules_pane.selected;
        if rule >= self.rules.len() {
            return;
        }
        let rule_id = self.rules[rule].rule_id.clone();
        // (column, value) -> (alerts with it, an (alert, event) that has it)
        let mut counts: HashMap<(usize, u32), Seen> = HashMap::new();
        let (mut alerts, mut excepted) = (0, 0);
        for (i, a) in self.alerts.iter().enumerate() {
            if a.rule_id != rule_id || self.by_id.get(&a.id) != Some(&i) {
                continue;
            }
            if self.excepted.contains(&a.id) {
                excepted += 1;
            } else {
                alerts += 1;
            }
            let mut seen = std::collections::HashSet::new();
            for ev in a.evidence.iter().take(PER_ALERT) {
                let Some(pos) = self.event_at(ev.event.source, ev.event.index) else {
                    continue;
                };
                let l = &self.events[pos];
                for (c, col) in Column::ALL.into_iter().enumerate() {
                    let sym = col.of(l);
                    if sym.is_none() || !seen.insert((c, sym.0)) {
                        continue;
                    }
                    let e = counts.entry((c, sym.0)).or_insert((0, (i, pos)));
                    e.0 += 1;
                }
            }
        }
        let mut values = Vec::new();
        for (c, col) in Column::ALL.into_iter().enumerate() {
            let mut of: Vec<(&u32, &Seen)> = counts
                .iter()
                .filter(|((cc, _), _)| *cc == c)
                .map(|((_, s), v)| (s, v))
                .collect();
            // Most alerts first; ties by the value, so the order is stable.
            of.sort_by(|a, b| {
                b.1.0
                    .cmp(&a.1.0)
                    .then_with(|| self.names[*a.0 as usize].cmp(&self.names[*b.0 as usize]))
            });
            for (sym, (n, example)) in of.into_iter().take(TOP) {
                values.push(Value_ {
                    column: col,
                    value: self.names[*sym as usize].to_string(),
                    alerts: *n,
                    example: *example,
                });
            }
        }
        self.tuning = Some(Tuning {
            rule,
            values,
            selected: 0,
            alerts,
            excepted,
            reading: None,
        });
    }

    pub(super) fn act_tuning(&mut self, action: Action) {
        let Some(t) = &mut self.tuning else { return };
        let last = t.values.len().saturating_sub(1);
        match action {
            Action::Down => t.selected = (t.selected + 1).min(last),
            Action::Up => t.selected = t.selected.saturating_sub(1),
            Action::Top => t.selected = 0,
            Action::Bottom => t.selected = last,
            Action::Back => self.tuning = None,
            Action::Except => self.except_from_tuning(),
            _ => {}
        }
    }

    fn except_from_tuning(&mut self) {
        let Some(t) = &self.tuning else { return };
        let Some(v) = t.values.get(t.selected) else {
            self.message = Some("no value to make an exception on".into());
            return;
        };
        let (_, pos) = v.example;
        let l = self.events[pos];
        let Some(info) = self.sources.get(&l.loc.source).cloned() else {
            return;
        };
        let mut job = FieldJob {
            token: 0,
            info,
            loc: l.loc,
            kind: l.kind,
            limits: self.limits,
            column: v.column,
            value: v.value.clone(),
        };
        if !self.background_reads {
            let found = job.run();
            self.field_found(found);
            return;
        }
        self.read_token += 1;
        job.token = self.read_token;
        if let Some(t) = &mut self.tuning {
            t.reading = Some(job.token);
        }
        self.read_jobs.push(super::jobs::Job::Field(job));
    }

    /// The field behind a tuning value was read: a draft on it opens.
    pub(super) fn field_read(&mut self, token: u64, found: Option<(String, String)>) {
        if self.tuning.as_ref().and_then(|t| t.reading) == Some(token) {
            self.field_found(found);
        }
    }

    fn field_found(&mut self, found: Option<(String, String)>) {
        let Some(t) = &mut self.tuning else { return };
        t.reading = None;
        let Some(v) = t.values.get(t.selected).cloned() else {
            return;
        };
        let Some((field, value)) = found else {
            self.message = Some(format!(
                "no field in its event holds {}",
                crate::text::clip(&v.value, 40)
            ));
            return;
        };
        let rule = t.rule;
        self.draft = Some(super::draft::new_draft(
            Some(v.example.0),
            Some(rule),
            vec![Condition {
                field,
                op: OpChoice::Is,
                value,
            }],
        ));
        self.open_draft();
    }
}
