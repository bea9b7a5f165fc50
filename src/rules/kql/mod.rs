//! The Kibana Query Language (`language = "kuery"` in Elastic rules).

pub mod ast;
pub mod datemath;
pub mod eval;
pub mod explain;
pub mod parser;
pub mod schema;

pub use ast::Query;
pub use eval::{Ctx, matches};
pub use parser::parse;

/// Whether the query's date math refers to `now`.
pub fn uses_now(q: &Query) -> bool {
    match q {
        Query::Or(v) | Query::And(v) => v.iter().any(uses_now),
        Query::Not(q) => uses_now(q),
        Query::Nested { query, .. } => uses_now(query),
        Query::Range { value, .. } => value.text.trim_start().starts_with("now"),
        _ => false,
    }
}
