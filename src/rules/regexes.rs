//! Regular expressions that rules use, compiled once per thread instead of
//! once per row. A pattern is the query's own text, or is built from it,
//! so a pass meets the same few patterns over and over.

use std::cell::RefCell;
use std::collections::HashMap;

use regex::Regex;

/// Patterns held per thread. Rules hold few; a pattern taken from the
/// data itself could hold many, and the cache starts over past this.
const HELD: usize = 1024;

/// The compiled pattern; `None` when it is not a valid one.
pub fn compiled(pattern: &str) -> Option<Regex> {
    thread_local! {
        static COMPILED: RefCell<HashMap<String, Option<Regex>>> = RefCell::default();
    }
    COMPILED.with(|c| {
        let mut c = c.borrow_mut();
        if let Some(r) = c.get(pattern) {
            return r.clone();
        }
        if c.len() >= HELD {
            c.clear();
        }
        let r = Regex::new(pattern).ok();
        c.insert(pattern.to_string(), r.clone());
        r
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pattern_answers_alike_each_time_it_is_asked() {
        let a = compiled("^a+b$").expect("valid");
        assert!(a.is_match("aab") && !a.is_match("ba"));
        assert!(compiled("^a+b$").expect("still valid").is_match("ab"));
        assert!(compiled("(").is_none());
        assert!(compiled("(").is_none(), "an invalid pattern stays invalid");
    }
}
