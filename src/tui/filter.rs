//! Which alerts the list shows, and how it groups them: filters by
//! severity, status, rule, kind of log and by values picked in the
//! evidence; a fuzzy search; groups by rule or by account that fold.

use std::collections::HashSet;

use super::app::first_entity;
use super::columns::AlertCols;
use crate::case::{Case, Status};
use crate::engine::Alert;
use crate::model::SourceKind;
use crate::rules::rule::Severity;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatusFilter {
    #[default]
    Any,
    /// Open or acknowledged: what is left to do.
    Unclosed,
    Only(Status),
}

impl StatusFilter {
    fn next(self) -> StatusFilter {
        match self {
            StatusFilter::Any => StatusFilter::Unclosed,
            StatusFilter::Unclosed => StatusFilter::Only(Status::Open),
            StatusFilter::Only(Status::Open) => StatusFilter::Only(Status::Acknowledged),
            StatusFilter::Only(Status::Acknowledged) => StatusFilter::Only(Status::Closed),
            StatusFilter::Only(Status::Closed) => StatusFilter::Any,
        }
    }

    fn keeps(self, s: Status) -> bool {
        match self {
            StatusFilter::Any => true,
            StatusFilter::Unclosed => s != Status::Closed,
            StatusFilter::Only(x) => s == x,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Grouping {
    #[default]
    None,
    Rule,
    Account,
}

impl Grouping {
    pub fn next(self) -> Grouping {
        match self {
            Grouping::None => Grouping::Rule,
            Grouping::Rule => Grouping::Account,
            Grouping::Account => Grouping::None,
        }
    }

    /// The group an alert falls in.
    pub fn key(self, a: &Alert) -> &str {
        match self {
            Grouping::None => "",
            Grouping::Rule => &a.rule_name,
            Grouping::Account => match first_entity(a, "account") {
                "" => "(no account)",
                upn => upn,
            },
        }
    }
}

/// A value picked in the evidence: alerts that have it (as an entity or
/// a matched value) are kept, or dropped when `keep` is false.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueFilter {
    pub value: String,
    pub keep: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// Alerts at least this severe.
    pub severity: Option<Severity>,
    pub status: StatusFilter,
    /// Only this rule's alerts (a rule id).
    pub rule: Option<String>,
    /// Only alerts whose first evidence event is of this kind.
    pub source: Option<SourceKind>,
    pub values: Vec<ValueFilter>,
    /// Fuzzy search over rule name, accounts and addresses.
    pub search: String,
    pub grouping: Grouping,
    /// Groups folded, by key.
    pub folded: HashSet<String>,
}

/// One row of the alert list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListRow {
    Group {
        key: String,
        count: usize,
        folded: bool,
    },
    /// Index into the alerts.
    Alert(usize),
}

const SEVERITIES: [Severity; 4] = [
    Severity::Low,
    Severity::Medium,
    Severity::High,
    Severity::Critical,
];

impl Filters {
    pub fn is_active(&self) -> bool {
        self.severity.is_some()
            || self.status != StatusFilter::Any
            || self.rule.is_some()
            || self.source.is_some()
            || !self.values.is_empty()
            || !self.search.is_empty()
    }

    /// Raises the severity floor one step, back to none after critical.
    pub fn cycle_severity(&mut self) {
        self.severity = match self.severity {
            None => Some(Severity::Medium),
            Some(s) => SEVERITIES
                .iter()
                .position(|x| *x == s)
                .and_then(|i| SEVERITIES.get(i + 1))
                .copied(),
        };
    }

    pub fn cycle_status(&mut self) {
        self.status = self.status.next();
    }

    pub fn cycle_source(&mut self) {
        let kinds = SourceKind::ALL;
        self.source = match self.source {
            None => Some(kinds[0]),
            Some(k) => kinds
                .iter()
                .position(|x| *x == k)
                .and_then(|i| kinds.get(i + 1))
                .copied(),
        };
    }

    /// Clears every filter and the search; grouping stays.
    pub fn clear(&mut self) {
        *self = Filters {
            grouping: self.grouping,
            folded: std::mem::take(&mut self.folded),
            ..Filters::default()
        };
    }

    /// A short account of the filters in force, for the list's title.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(s) = self.severity {
            parts.push(format!("≥{}", s.name()));
        }
        match self.status {
            StatusFilter::Any => {}
            StatusFilter::Unclosed => parts.push("not closed".into()),
            StatusFilter::Only(s) => parts.push(s.name().into()),
        }
        if self.rule.is_some() {
            parts.push("one rule".into());
        }
        if let Some(k) = self.source {
            parts.push(format!("{} logs", k.name()));
        }
        for v in &self.values {
            let sign = if v.keep { "+" } else { "-" };
            parts.push(format!("{sign}{}", crate::text::clip(&v.value, 30)));
        }
        if !self.search.is_empty() {
            parts.push(format!("/{}", crate::text::clip(&self.search, 30)));
        }
        parts.join(" ")
    }

    /// Whether the list shows an alert. `source` is the kind of its first
    /// evidence event, when known; `text` what the search looks through,
    /// in lower case.
    pub fn keeps(
        &self,
        a: &Alert,
        c: &AlertCols,
        case: &Case,
        source: Option<SourceKind>,
        text: &str,
    ) -> bool {
        if self.severity.is_some_and(|s| c.severity < s) {
            return false;
        }
        if self.status != StatusFilter::Any && !self.status.keeps(case.status(&a.id)) {
            return false;
        }
        if self.rule.as_ref().is_some_and(|r| *r != a.rule_id) {
            return false;
        }
        if self.source.is_some_and(|k| source != Some(k)) {
            return false;
        }
        for v in &self.values {
            let has = a
                .entities
                .iter()
                .any(|e| e.value.eq_ignore_ascii_case(&v.value))
                || a.matched
                    .iter()
                    .any(|m| m.value.eq_ignore_ascii_case(&v.value));
            if has != v.keep {
                return false;
            }
        }
        // The search is typed in lower case; see the prompt.
        self.search.is_empty() || in_order(text, &self.search)
    }
}

/// What the fuzzy search looks through for one alert, in lower case.
pub fn search_text(a: &Alert) -> String {
    format!(
        "{} {} {}",
        a.rule_name,
        first_entity(a, "account"),
        first_entity(a, "ip")
    )
    .to_lowercase()
}

/// Whether every character of `needle` appears in `hay` in order: the
/// condition for a fuzzy match, checked without scoring it. Scoring is
/// only needed for the cells on screen.
pub fn in_order(hay: &str, needle: &str) -> bool {
    // An ASCII byte never occurs inside a multi-byte character, so an
    // ASCII search can hop from byte to byte.
    if needle.is_ascii() {
        let mut rest = hay.as_bytes();
        for b in needle.bytes().filter(|b| !b.is_ascii_whitespace()) {
            match memchr::memchr(b, rest) {
                Some(at) => rest = &rest[at + 1..],
                None => return false,
            }
        }
        return true;
    }
    let mut want = needle.chars().filter(|c| !c.is_whitespace()).peekable();
    for c in hay.chars() {
        match want.peek() {
            None => return true,
            Some(&w) if w == c => {
                want.next();
            }
            Some(_) => {}
        }
    }
    want.peek().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_severity_floor_rises_then_clears() {
        let mut f = Filters::default();
        let seen: Vec<Option<Severity>> = (0..4)
            .map(|_| {
                f.cycle_severity();
                f.severity
            })
            .collect();
        assert_eq!(
            seen,
            [
                Some(Severity::Medium),
                Some(Severity::High),
                Some(Severity::Critical),
                None
            ]
        );
    }

    #[test]
    fn letters_in_order_match_as_a_fuzzy_search_does() {
        assert!(in_order("azure key vault modified", "kvmod"));
        assert!(in_order("azure key vault modified", "key vault"));
        assert!(!in_order("azure key vault modified", "vk"));
        assert!(in_order("anything", ""));
    }

    #[test]
    fn the_status_filter_comes_back_to_any() {
        let mut s = StatusFilter::Any;
        for _ in 0..5 {
            s = s.next();
        }
        assert_eq!(s, StatusFilter::Any);
        assert!(StatusFilter::Unclosed.keeps(Status::Acknowledged));
        assert!(!StatusFilter::Unclosed.keeps(Status::Closed));
    }
}
