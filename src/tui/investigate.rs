//! Running a guide's interactive query for one alert over the loaded
//! events, locally: placeholders filled with the values the alert's
//! events hold, the time range taken relative to the alert, each
//! condition checked against the columns kept per event. A condition on a
//! field no column holds makes the query say so, rather than guess.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::app::App;
use super::timeline::Subject;
use crate::engine::{Located, Sym};
use crate::ingest::Mapping;
use crate::model::SourceKind;
use crate::rules::investigate::{Investigation, placeholder};
use crate::rules::kql::ast::RangeOp;
use crate::rules::kql::datemath;

/// What a condition compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Entity(Subject),
    Operation,
    App,
    Kind,
    Outcome,
}

/// The column a field feeds, in any shape's vocabulary.
fn column_of(field: &str) -> Option<Column> {
    match field {
        "user.name" | "related.user" => return Some(Column::Entity(Subject::Upn)),
        "related.ip" => return Some(Column::Entity(Subject::Ip)),
        "event.dataset" | "data_stream.dataset" => return Some(Column::Kind),
        _ => {}
    }
    Some(match Mapping::builtin().canonical_of(field)? {
        "upn" => Column::Entity(Subject::Upn),
        "ip" => Column::Entity(Subject::Ip),
        "resource_id" | "resource_name" => Column::Entity(Subject::Resource),
        "operation" => Column::Operation,
        "app_id" | "app_name" => Column::App,
        "outcome" => Column::Outcome,
        _ => return None,
    })
}

/// One condition, ready to check.
struct Check {
    column: Column,
    /// Accepted values, in lower case.
    values: Vec<String>,
    excluded: bool,
}

/// A query's hits, or why it cannot run here.
pub type Hits = Result<Vec<usize>, String>;

impl App {
    fn column_text(&self, l: &Located, c: Column) -> String {
        let name = |s: Sym| {
            self.names
                .get(s.0 as usize)
                .map_or("", |n| n)
                .to_lowercase()
        };
        match c {
            Column::Entity(s) => name(match s {
                Subject::Upn => l.upn,
                Subject::Ip => l.ip,
                Subject::Resource => l.resource,
            }),
            Column::Operation => name(l.operation),
            Column::App => name(l.app),
            Column::Kind => {
                let (ecs, sentinel) = Mapping::builtin().dataset(l.kind).unwrap_or(("", ""));
                format!("{ecs}\u{0}{}", sentinel.to_lowercase())
            }
            Column::Outcome => l.outcome.name().to_string(),
        }
    }

    fn passes(&self, l: &Located, check: &Check) -> bool {
        let text = self.column_text(l, check.column);
        let hit = check.values.iter().any(|v| match check.column {
            // A dataset matches its ECS or its Sentinel name.
            Column::Kind => text.split('\u{0}').any(|t| t == v),
            _ => text == *v,
        });
        hit != check.excluded
    }

    /// Runs `inv` for alert `alert`, with `values` the field values its
    /// events hold.
    pub fn investigate(
        &self,
        inv: &Investigation,
        values: &BTreeMap<String, Vec<String>>,
        alert: usize,
    ) -> Hits {
        let a = &self.alerts[alert];
        let now = a.last.or(a.first).unwrap_or_else(Utc::now);
        let bound = |text: &Option<String>, op: RangeOp, default: DateTime<Utc>| match text {
            None => Ok(default),
            Some(t) => datemath::resolve(t, now, op)
                .ok_or_else(|| format!("`{t}` is no time Vigil can read")),
        };
        let from = bound(&inv.relative_from, RangeOp::Gte, DateTime::<Utc>::MIN_UTC)?;
        let to = bound(&inv.relative_to, RangeOp::Lte, DateTime::<Utc>::MAX_UTC)?;
        let (from, to) = (from.timestamp_millis(), to.timestamp_millis());

        let mut groups: Vec<Vec<Check>> = Vec::new();
        for group in &inv.providers {
            let mut checks = Vec::new();
            for c in group {
                if c.field == "event.kind" && c.value == "signal"
                    || c.field.starts_with("kibana.alert")
                {
                    return Err("it searches alerts, not events".into());
                }
                let column = column_of(&c.field)
                    .ok_or_else(|| format!("`{}` is not kept per event", c.field))?;
                let values = match placeholder(&c.value) {
                    Some(f) => values
                        .get(f)
                        .filter(|v| !v.is_empty())
                        .cloned()
                        .ok_or_else(|| format!("this alert's events have no `{f}`"))?,
                    None => vec![c.value.clone()],
                };
                let values = values
                    .iter()
                    .map(|v| match column {
                        Column::Outcome => Mapping::builtin()
                            .outcome(SourceKind::Other, v)
                            .name()
                            .to_string(),
                        _ => v.to_lowercase(),
                    })
                    .collect();
                checks.push(Check {
                    column,
                    values,
                    excluded: c.excluded,
                });
            }
            groups.push(checks);
        }

        let mut hits: Vec<usize> = Vec::new();
        for checks in &groups {
            // An entity with one value narrows the events to its own.
            let narrow =
                checks
                    .iter()
                    .find_map(|c| match (c.column, c.excluded, c.values.as_slice()) {
                        (Column::Entity(s), false, [v]) => Some((s, v)),
                        _ => None,
                    });
            let candidates: Box<dyn Iterator<Item = usize>> = match narrow {
                Some((subject, v)) => match self.sym_of(v) {
                    Some(sym) => Box::new(self.events.of(subject, sym).iter().map(|&i| i as usize)),
                    None => Box::new(std::iter::empty()),
                },
                None => Box::new(0..self.events.len()),
            };
            for i in candidates {
                let l = &self.events[i];
                if l.time_ms < from || l.time_ms > to {
                    continue;
                }
                if checks.iter().all(|c| self.passes(l, c)) {
                    hits.push(i);
                }
            }
        }
        hits.sort_unstable();
        hits.dedup();
        Ok(hits)
    }
}
