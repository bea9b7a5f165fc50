//! The Kibana Query Language (`language = "kuery"` in Elastic rules).

pub mod ast;
mod datemath;
pub mod eval;
pub mod parser;
pub mod schema;

pub use ast::Query;
pub use eval::{Ctx, matches};
pub use parser::parse;
