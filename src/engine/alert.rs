//! Alerts as the analyst works with them: one per rule and entity, with a
//! count of the hits grouped into it, the evidence to drill into and the
//! values that made it fire. An alert's id depends only on the rule and
//! its evidence, so triage saved against it survives a re-run.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::detect::EventRef;
use crate::model::Canonical;
use crate::rules::rule::{Rule, Severity};

/// Evidence references kept per alert; the count goes on past it.
pub const MAX_EVIDENCE: usize = 200;
/// Entities kept per alert.
const MAX_ENTITIES: usize = 16;
/// Longest entity value kept.
const MAX_ENTITY_CHARS: usize = 512;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Entity {
    /// `account`, `ip`, `resource`, `app`, `host`, or a Sentinel entity
    /// type in lower case.
    pub kind: String,
    pub value: String,
}

impl Entity {
    pub fn new(kind: &str, value: &str) -> Option<Entity> {
        let value = value.trim();
        if value.is_empty() {
            return None;
        }
        Some(Entity {
            kind: kind.to_string(),
            value: value.chars().take(MAX_ENTITY_CHARS).collect(),
        })
    }

    /// The entities of one event, from its canonical fields.
    pub fn of_event(c: &Canonical) -> Vec<Entity> {
        let resource = c.resource_name.as_deref().or(c.resource_id.as_deref());
        let app = c.app_name.as_deref().or(c.app_id.as_deref());
        [
            ("account", c.upn.as_deref()),
            ("ip", c.ip.as_deref()),
            ("resource", resource),
            ("app", app),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.and_then(|v| Entity::new(k, v)))
        .collect()
    }
}

/// Adds entities not already present, up to the bound.
pub fn merge_entities(into: &mut Vec<Entity>, more: impl IntoIterator<Item = Entity>) {
    for e in more {
        if into.len() >= MAX_ENTITIES {
            return;
        }
        if !into.contains(&e) {
            into.push(e);
        }
    }
}

/// A field and the value it had, for highlighting.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Matched {
    pub field: String,
    pub value: String,
}

/// One event behind an alert, located for drill-down.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub file: String,
    pub line: u64,
    /// 0-based ordinal of the record in its file.
    pub record: u64,
    #[serde(skip)]
    pub event: EventRef,
}

/// What one rule evaluation produced before grouping: one matching event,
/// one aggregation group or one result row.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub events: Vec<EventRef>,
    /// Time of the finding when its events carry none (result rows).
    pub time: Option<DateTime<Utc>>,
    pub entities: Vec<Entity>,
    pub matched: Vec<Matched>,
    /// The rule's suppression fields' values, when the rule names them.
    pub key: Option<Vec<String>>,
    /// What a Sentinel rule's row says of its alert.
    pub details: Option<Box<RowDetails>>,
}

/// A Sentinel alert's title, description, severity and custom details,
/// filled from the result row that made it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RowDetails {
    pub title: Option<String>,
    pub description: Option<String>,
    pub severity: Option<Severity>,
    pub custom: serde_json::Map<String, serde_json::Value>,
}

impl Finding {
    fn span(&self) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        let times = self.events.iter().filter_map(EventRef::time);
        let first = times.clone().min().or(self.time);
        let last = times.max().or(self.time);
        (first, last)
    }

    /// The suppression key: the rule's fields when it names them, else the
    /// first entity of the most telling kind.
    fn group_key(&self) -> Vec<String> {
        if let Some(k) = &self.key {
            return k.clone();
        }
        for kind in ["account", "ip", "resource", "app", "host"] {
            if let Some(e) = self.entities.iter().find(|e| e.kind == kind) {
                return vec![e.kind.clone(), e.value.clone()];
            }
        }
        self.entities
            .first()
            .map(|e| vec![e.kind.clone(), e.value.clone()])
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    pub id: String,
    pub rule_id: String,
    pub rule_name: String,
    pub severity: Severity,
    pub risk_score: u32,
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
    /// Hits grouped into this alert (events, groups or rows).
    pub count: u64,
    pub entities: Vec<Entity>,
    pub evidence: Vec<Evidence>,
    /// Evidence events in all, including those past [`MAX_EVIDENCE`].
    pub evidence_total: u64,
    pub matched: Vec<Matched>,
    /// Sentinel's alert display name and description, when the rule
    /// overrides them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub custom_details: serde_json::Map<String, serde_json::Value>,
    #[serde(skip)]
    pub group: Vec<String>,
}

impl Alert {
    /// The values of the alert's entities of one kind (`account`, `ip`,
    /// ...), in the order they were found.
    pub fn entities_of<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.entities
            .iter()
            .filter(move |e| e.kind == kind)
            .map(|e| e.value.as_str())
    }
}

/// 64-bit FNV-1a: a hash whose value is fixed by its definition, unlike
/// the standard library's, so ids stay the same across builds.
pub struct Fnv(u64);

impl Fnv {
    pub fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    pub fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
        // A separator, so ("ab", "c") and ("a", "bc") differ.
        self.0 ^= 0xff;
        self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
    }

    pub fn finish(&self) -> u64 {
        self.0
    }
}

impl Default for Fnv {
    fn default() -> Self {
        Fnv::new()
    }
}

/// FNV as the hasher of in-memory maps keyed by short strings and
/// numbers the program made itself: much cheaper per key than the
/// standard library's, and those keys are not chosen by an attacker.
impl std::hash::Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        Fnv::write(self, bytes);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

pub type FnvBuild = std::hash::BuildHasherDefault<Fnv>;

fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// Groups one rule's findings into alerts, as they come.
pub struct Grouper {
    rule_id: String,
    rule_name: String,
    severity: Severity,
    risk_score: u32,
    window: Option<Duration>,
    alerts: Vec<Alert>,
    /// Evidence already counted per alert, so a row seen again in an
    /// overlapping window is not counted twice.
    seen: Vec<std::collections::HashSet<EventRef>>,
}

impl Grouper {
    pub fn new(rule: &Rule) -> Grouper {
        let window = rule
            .suppression
            .as_ref()
            .and_then(|s| s.duration.as_deref())
            .and_then(crate::detect::duration::parse);
        Grouper {
            rule_id: rule.rule_id.clone(),
            rule_name: rule.name.clone(),
            severity: rule.severity,
            risk_score: rule.risk_score,
            window,
            alerts: Vec::new(),
            seen: Vec::new(),
        }
    }

    /// Adds a finding; returns the alert it created or changed, or `None`
    /// when it added nothing new (the same evidence seen again).
    pub fn add(&mut self, f: Finding, path_of: &dyn Fn(u32) -> String) -> Option<&Alert> {
        let key = f.group_key();
        let (first, last) = f.span();
        let window = self.window;
        let open = self.alerts.iter().rposition(|a| {
            a.group == key
                && match (window, a.first, first) {
                    (Some(w), Some(a0), Some(t)) => (t - a0).abs() <= w,
                    _ => true,
                }
        });
        let i = match open {
            Some(i) => i,
            None => {
                let mut h = Fnv::new();
                h.write(self.rule_id.as_bytes());
                for k in &key {
                    h.write(k.as_bytes());
                }
                match f.events.first() {
                    Some(e) => {
                        h.write(file_name(&path_of(e.source)).as_bytes());
                        h.write(&e.index.to_le_bytes());
                    }
                    None => {
                        for m in &f.matched {
                            h.write(m.value.as_bytes());
                        }
                    }
                }
                // An alert reads its title and details from the row that
                // opened it, as Sentinel's does.
                let d = f.details.as_deref().cloned().unwrap_or_default();
                self.alerts.push(Alert {
                    id: format!("{:016x}", h.finish()),
                    rule_id: self.rule_id.clone(),
                    rule_name: self.rule_name.clone(),
                    severity: d.severity.unwrap_or(self.severity),
                    risk_score: d.severity.map_or(self.risk_score, |s| s.default_risk()),
                    first,
                    last,
                    count: 0,
                    entities: Vec::new(),
                    evidence: Vec::new(),
                    evidence_total: 0,
                    matched: Vec::new(),
                    title: d.title,
                    description: d.description,
                    custom_details: d.custom,
                    group: key,
                });
                self.seen.push(Default::default());
                self.alerts.len() - 1
            }
        };
        let seen = &mut self.seen[i];
        let fresh: Vec<EventRef> = f
            .events
            .iter()
            .copied()
            .filter(|e| seen.insert(*e))
            .collect();
        let a = &mut self.alerts[i];
        if !f.events.is_empty() && fresh.is_empty() {
            return None;
        }
        a.count += 1;
        a.first = min_opt(a.first, first);
        a.last = max_opt(a.last, last);
        a.evidence_total += fresh.len() as u64;
        for e in fresh {
            if a.evidence.len() < MAX_EVIDENCE {
                a.evidence.push(Evidence {
                    file: path_of(e.source),
                    line: e.line,
                    record: e.index,
                    event: e,
                });
            }
        }
        merge_entities(&mut a.entities, f.entities);
        for m in f.matched {
            if a.matched.len() < 24 && !a.matched.contains(&m) {
                a.matched.push(m);
            }
        }
        Some(&self.alerts[i])
    }

    pub fn ids(&self) -> Vec<String> {
        self.alerts.iter().map(|a| a.id.clone()).collect()
    }

    pub fn has(&self, id: &str) -> bool {
        self.alerts.iter().any(|a| a.id == id)
    }

    pub fn into_alerts(self) -> Vec<Alert> {
        self.alerts
    }

    pub fn len(&self) -> usize {
        self.alerts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.alerts.is_empty()
    }
}

fn min_opt(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

fn max_opt(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    }
}
