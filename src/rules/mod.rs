//! Rule languages and rule files. Each language parses by hand into an AST
//! with spans, so errors point at the query text, and evaluates against
//! events through the field mapping, so a rule written for one log shape
//! runs on all.

pub mod diag;
pub mod elastic;
pub mod esql;
pub mod fields;
pub mod guide;
pub mod index;
pub mod investigate;
pub mod kql;
pub mod kusto;
pub mod lex;
pub mod load;
pub mod regexes;
pub mod rule;
pub mod sentinel;
pub mod types;

pub use rule::{Rule, Status};
