//! An exception being drafted in the builder: its conditions, scope,
//! expiry and reason, and the preview of what it would do; and the
//! exception it stands for once complete.

use chrono::Utc;

use crate::exceptions::{Entry, Exception, Op, Scope, file};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpChoice {
    Is,
    IsNot,
    IsOneOf,
    Matches,
    Exists,
    DoesNotExist,
}

impl OpChoice {
    const ALL: [OpChoice; 6] = [
        OpChoice::Is,
        OpChoice::IsNot,
        OpChoice::IsOneOf,
        OpChoice::Matches,
        OpChoice::Exists,
        OpChoice::DoesNotExist,
    ];

    pub fn name(self) -> &'static str {
        match self {
            OpChoice::Is => "is",
            OpChoice::IsNot => "is not",
            OpChoice::IsOneOf => "is one of",
            OpChoice::Matches => "matches",
            OpChoice::Exists => "exists",
            OpChoice::DoesNotExist => "does not exist",
        }
    }

    pub fn takes_value(self) -> bool {
        !matches!(self, OpChoice::Exists | OpChoice::DoesNotExist)
    }

    pub(super) fn cycle(self, by: isize) -> OpChoice {
        let at = Self::ALL.iter().position(|&o| o == self).unwrap_or(0) as isize;
        Self::ALL[(at + by).rem_euclid(Self::ALL.len() as isize) as usize]
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub field: String,
    pub op: OpChoice,
    /// For `is one of`, values separated by commas.
    pub value: String,
}

/// What the preview run found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Preview {
    /// Not run yet, or the draft changed since.
    Stale,
    Running(u64),
    Ready {
        /// Alerts it would take away: (id, rule name, account).
        alerts: Vec<(String, String, String)>,
        /// Events it matches, and of how many rules.
        events: u64,
        rules: usize,
        /// Of those events, the ones kept from rules that count or join.
        aggregated: u64,
    },
    Invalid(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeChoice {
    ThisRule,
    Kin,
    All,
}

#[derive(Debug, Clone)]
pub struct Draft {
    /// The alert it was started from (index into the alerts).
    pub alert: Option<usize>,
    /// That alert's rule (index into the rules).
    pub rule: Option<usize>,
    pub conditions: Vec<Condition>,
    /// Which rules it applies to: the alert's own, `kin` (the rules with
    /// alerts on the same account or address), or all of them.
    pub scope: ScopeChoice,
    /// The rules that alerted on the alert's account (else its address),
    /// with that value: what `ScopeChoice::Kin` means.
    pub kin: Option<(String, Vec<usize>)>,
    pub close: bool,
    pub comment: String,
    /// A date (YYYY-MM-DD) or time after which it no longer applies.
    pub expires: String,
    /// The row with the cursor: conditions first, then scope, close,
    /// expiry and comment.
    pub row: usize,
    pub preview: Preview,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    Condition(usize),
    Scope,
    Close,
    Expires,
    Comment,
}

impl Draft {
    /// The scopes this draft can take, in the order arrows go through.
    pub(super) fn scopes(&self) -> Vec<ScopeChoice> {
        let mut out = Vec::new();
        if self.rule.is_some() {
            out.push(ScopeChoice::ThisRule);
        }
        if self.kin.as_ref().is_some_and(|(_, k)| k.len() > 1) {
            out.push(ScopeChoice::Kin);
        }
        out.push(ScopeChoice::All);
        out
    }

    pub(super) fn cycle_scope(&mut self, by: isize) {
        let all = self.scopes();
        let at = all.iter().position(|&s| s == self.scope).unwrap_or(0) as isize;
        self.scope = all[(at + by).rem_euclid(all.len() as isize) as usize];
    }

    pub fn rows(&self) -> Vec<Row> {
        let mut r: Vec<Row> = (0..self.conditions.len()).map(Row::Condition).collect();
        r.extend([Row::Scope, Row::Close, Row::Expires, Row::Comment]);
        r
    }

    pub fn current(&self) -> Row {
        let rows = self.rows();
        rows[self.row.min(rows.len() - 1)]
    }

    /// The exception the draft stands for, or what is missing.
    pub fn build(&self, rules: &[std::sync::Arc<crate::rules::Rule>]) -> Result<Exception, String> {
        if self.conditions.is_empty() {
            return Err("add a condition: e on a value in the evidence".into());
        }
        let mut entries = Vec::new();
        for c in &self.conditions {
            let v = c.value.trim().to_string();
            if c.op.takes_value() && v.is_empty() {
                return Err(format!("{} {} what?", c.field, c.op.name()));
            }
            let op = match c.op {
                OpChoice::Is => Op::Is(v),
                OpChoice::IsNot => Op::IsNot(v),
                OpChoice::IsOneOf => Op::IsOneOf(
                    v.split(',')
                        .map(|x| x.trim().to_string())
                        .filter(|x| !x.is_empty())
                        .collect(),
                ),
                OpChoice::Matches => Op::Matches(v),
                OpChoice::Exists => Op::Exists,
                OpChoice::DoesNotExist => Op::DoesNotExist,
            };
            entries.push(Entry {
                field: c.field.clone(),
                op,
            });
        }
        let expires = match self.expires.trim() {
            "" => None,
            t => Some(
                crate::model::parse_time(t)
                    .or_else(|| crate::model::parse_time(&format!("{t}T00:00:00Z")))
                    .ok_or_else(|| format!("expires `{t}`: write a date, 2027-03-01"))?,
            ),
        };
        let scope = match (self.scope, self.rule, &self.kin) {
            (ScopeChoice::ThisRule, Some(r), _) => Scope::Rules(vec![rules[r].rule_id.clone()]),
            (ScopeChoice::Kin, _, Some((_, kin))) => {
                Scope::Rules(kin.iter().map(|&r| rules[r].rule_id.clone()).collect())
            }
            _ => Scope::All,
        };
        let name = match (self.rule, self.comment.trim()) {
            (_, c) if !c.is_empty() => crate::text::clip(c, 60),
            (Some(r), _) => format!("Exception to {}", rules[r].name),
            (None, _) => "Exception".to_string(),
        };
        Ok(Exception {
            id: file::new_id(&name),
            list: file::DEFAULT_LIST.into(),
            name,
            comment: self.comment.trim().to_string(),
            created_by: std::env::var("USER").unwrap_or_default(),
            created_at: Utc::now(),
            expires,
            scope,
            close_alerts: self.close,
            entries,
        })
    }
}

pub(super) fn new_draft(
    alert: Option<usize>,
    rule: Option<usize>,
    conditions: Vec<Condition>,
) -> Draft {
    Draft {
        alert,
        rule,
        row: 0,
        conditions,
        scope: ScopeChoice::ThisRule,
        kin: None,
        close: true,
        comment: String::new(),
        expires: String::new(),
        preview: Preview::Stale,
    }
}

pub(super) fn text_of(d: &mut Draft, row: Row) -> Option<&mut String> {
    match row {
        Row::Condition(i) => Some(&mut d.conditions[i].value),
        Row::Expires => Some(&mut d.expires),
        Row::Comment => Some(&mut d.comment),
        Row::Scope | Row::Close => None,
    }
}
