//! The KQL syntax tree. Every node keeps the span of text it came from, so
//! a match can be explained and an error pointed at.

use crate::rules::diag::Span;

#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    /// The empty query: matches every document.
    All,
    Or(Vec<Query>),
    And(Vec<Query>),
    Not(Box<Query>),
    /// `field: values` where values may combine literals with and/or/not.
    Match {
        field: Field,
        values: Values,
    },
    /// `field:*`.
    Exists {
        field: Field,
    },
    Range {
        field: Field,
        op: RangeOp,
        value: Literal,
    },
    /// `field:{ query }`: the inner query holds for one object of `field`.
    Nested {
        field: Field,
        query: Box<Query>,
    },
    /// A value with no field: searched for in every field.
    Free(Literal),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    Or(Vec<Values>),
    And(Vec<Values>),
    Not(Box<Values>),
    One(Literal),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeOp {
    Lt,
    Lte,
    Gt,
    Gte,
}

impl RangeOp {
    pub fn symbol(self) -> &'static str {
        match self {
            RangeOp::Lt => "<",
            RangeOp::Lte => "<=",
            RangeOp::Gt => ">",
            RangeOp::Gte => ">=",
        }
    }
}

/// A piece of a wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Star,
}

/// A value as written: its text with escapes resolved, whether it was
/// quoted, and its wildcard pattern when it has unescaped `*`.
#[derive(Debug, Clone, PartialEq)]
pub struct Literal {
    pub text: String,
    pub quoted: bool,
    pub pattern: Option<Vec<Piece>>,
    pub span: Span,
}

impl Literal {
    /// `*` alone, unquoted.
    pub fn is_star(&self) -> bool {
        matches!(self.pattern.as_deref(), Some([Piece::Star]))
    }
}

/// A field name; `pattern` is set when it has wildcards (`azure.*.name`).
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub pattern: Option<Vec<Piece>>,
    pub span: Span,
}

impl Query {
    /// Every field name the query reads, in order of first use.
    pub fn fields(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.collect_fields("", &mut out);
        out
    }

    fn collect_fields(&self, prefix: &str, out: &mut Vec<String>) {
        let mut add = |f: &Field| {
            let name = format!("{prefix}{}", f.name);
            if !out.contains(&name) {
                out.push(name);
            }
        };
        match self {
            Query::All | Query::Free(_) => {}
            Query::Or(v) | Query::And(v) => v.iter().for_each(|q| q.collect_fields(prefix, out)),
            Query::Not(q) => q.collect_fields(prefix, out),
            Query::Match { field, .. } | Query::Exists { field } | Query::Range { field, .. } => {
                add(field)
            }
            Query::Nested { field, query } => {
                add(field);
                query.collect_fields(&format!("{prefix}{}.", field.name), out);
            }
        }
    }
}
