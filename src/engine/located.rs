//! What a console keeps per event instead of the event: where it is, when
//! it happened and the few entity columns a timeline needs, as numbers
//! into a table of distinct strings. A million sign-ins by a handful of
//! users cost a few dozen bytes each, and the event itself is read again
//! from its file only when it is opened.

use std::collections::HashMap;

use crate::ingest::RecordLoc;
use crate::model::{Canonical, Outcome, SourceKind};

/// A string of the console's table; [`Sym::NONE`] when the event has no
/// such field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Sym(pub u32);

impl Sym {
    pub const NONE: Sym = Sym(0);

    pub fn is_none(self) -> bool {
        self == Sym::NONE
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Located {
    pub loc: RecordLoc,
    /// Epoch milliseconds; `i64::MIN` when the event has no time.
    pub time_ms: i64,
    pub kind: SourceKind,
    pub outcome: Outcome,
    pub upn: Sym,
    pub ip: Sym,
    /// The resource id, or its name when no id is logged.
    pub resource: Sym,
    pub operation: Sym,
    pub app: Sym,
    /// A hash of the sign-in's correlation id, 0 when there is none: the
    /// several records Entra writes for one sign-in share it.
    pub correlation: u64,
}

/// The next events of a pass, with the strings first seen among them: a
/// receiver appends `names` to its table, whose entry 0 is the empty
/// string, and then every [`Sym`] in `events` is an index into it.
#[derive(Debug, Default)]
pub struct LocatedBatch {
    pub names: Vec<Box<str>>,
    pub events: Vec<Located>,
}

/// Numbers strings in the order they are first seen, from 1.
#[derive(Default)]
pub struct Interner {
    known: HashMap<Box<str>, u32>,
}

impl Interner {
    fn sym(&mut self, s: Option<&str>, fresh: &mut Vec<Box<str>>) -> Sym {
        let Some(s) = s.filter(|s| !s.is_empty()) else {
            return Sym::NONE;
        };
        if let Some(&n) = self.known.get(s) {
            return Sym(n);
        }
        let n = self.known.len() as u32 + 1;
        self.known.insert(s.into(), n);
        fresh.push(s.into());
        Sym(n)
    }

    /// The compact form of one event, its new strings added to `batch`.
    pub fn locate(
        &mut self,
        loc: RecordLoc,
        kind: SourceKind,
        c: &Canonical,
        batch: &mut LocatedBatch,
    ) -> Located {
        let names = &mut batch.names;
        let resource = c.resource_id.as_deref().or(c.resource_name.as_deref());
        Located {
            loc,
            time_ms: c.time.map_or(i64::MIN, |t| t.timestamp_millis()),
            kind,
            outcome: c.outcome,
            upn: self.sym(c.upn.as_deref(), names),
            ip: self.sym(c.ip.as_deref(), names),
            resource: self.sym(resource, names),
            operation: self.sym(c.operation.as_deref(), names),
            app: self.sym(c.app_name.as_deref().or(c.app_id.as_deref()), names),
            correlation: c.correlation.as_deref().map_or(0, |s| {
                let mut h = super::alert::Fnv::new();
                h.write(s.as_bytes());
                h.finish().max(1)
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_strings_share_one_number_and_only_new_ones_are_sent() {
        let mut i = Interner::default();
        let mut batch = LocatedBatch::default();
        let c = Canonical {
            upn: Some("a@x".into()),
            ip: Some("10.0.0.1".into()),
            ..Canonical::default()
        };
        let loc = RecordLoc {
            source: 0,
            at: crate::ingest::Position::default(),
            len: 0,
            index: 0,
            frame: crate::ingest::Frame::Document,
        };
        let first = i.locate(loc, SourceKind::SignIn, &c, &mut batch);
        let second = i.locate(loc, SourceKind::SignIn, &c, &mut batch);
        assert_eq!(first.upn, second.upn);
        assert_eq!(first.resource, Sym::NONE);
        assert_eq!(batch.names, vec!["a@x".into(), "10.0.0.1".into()]);
        assert_eq!(first.upn, Sym(1));
        assert_eq!(first.ip, Sym(2));
    }
}
