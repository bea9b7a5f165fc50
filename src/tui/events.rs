//! The console's per-event columns, in input order, stored in fixed-size
//! chunks: a million events grow the store a chunk at a time, never by
//! copying all of it into a buffer twice the size, which would stall a
//! frame for as long as the copy takes.

use std::cmp::Ordering;
use std::ops::Index;

use std::collections::HashMap;

use super::timeline::Subject;
use crate::engine::alert::FnvBuild;
use crate::engine::{Alert, Located, Sym};

const CHUNK: usize = 1 << 16;

#[derive(Default)]
pub struct Events {
    chunks: Vec<Vec<Located>>,
    len: usize,
    /// Per entity column (account, address, resource), the positions of
    /// each value's events: a timeline opens without a pass over every
    /// event.
    postings: [Vec<Vec<u32>>; 3],
    /// The first alert with each event (file, ordinal) as evidence, so a
    /// timeline marks its lines without going through every alert.
    evidence: HashMap<(u32, u64), usize, FnvBuild>,
}

impl Events {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn extend(&mut self, more: impl IntoIterator<Item = Located>) {
        for l in more {
            let at = self.len as u32;
            for (column, sym) in self.postings.iter_mut().zip([l.upn, l.ip, l.resource]) {
                if sym.is_none() {
                    continue;
                }
                let n = sym.0 as usize;
                if column.len() <= n {
                    column.resize_with(n + 1, Vec::new);
                }
                column[n].push(at);
            }
            match self.chunks.last_mut() {
                Some(c) if c.len() < CHUNK => c.push(l),
                _ => {
                    let mut c = Vec::with_capacity(CHUNK);
                    c.push(l);
                    self.chunks.push(c);
                }
            }
            self.len += 1;
        }
    }

    /// Notes alert `alert` (an index into the alerts) on its evidence.
    pub fn mark(&mut self, alert: usize, a: &Alert) {
        for ev in &a.evidence {
            self.evidence
                .entry((ev.event.source, ev.event.index))
                .or_insert(alert);
        }
    }

    /// The alert that has this event as evidence, if any.
    pub fn alert_of(&self, l: &Located) -> Option<usize> {
        self.evidence.get(&(l.loc.source, l.loc.index)).copied()
    }

    /// Positions of the events whose `subject` column holds `sym`, in
    /// input order.
    pub fn of(&self, subject: Subject, sym: Sym) -> &[u32] {
        let column = match subject {
            Subject::Upn => 0,
            Subject::Ip => 1,
            Subject::Resource => 2,
        };
        self.postings[column]
            .get(sym.0 as usize)
            .map_or(&[], |v| v.as_slice())
    }

    pub fn get(&self, i: usize) -> Option<&Located> {
        self.chunks.get(i / CHUNK).and_then(|c| c.get(i % CHUNK))
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Located> + '_ {
        self.chunks.iter().flatten()
    }

    /// Binary search over events ordered by `f`, as a slice's.
    pub fn binary_search_by(
        &self,
        mut f: impl FnMut(&Located) -> Ordering,
    ) -> Result<usize, usize> {
        // The chunk whose last event is not before the target holds it.
        let n = self
            .chunks
            .partition_point(|c| c.last().is_some_and(|l| f(l) == Ordering::Less));
        match self.chunks.get(n) {
            None => Err(self.len),
            Some(c) => c
                .binary_search_by(f)
                .map(|i| n * CHUNK + i)
                .map_err(|i| n * CHUNK + i),
        }
    }
}

impl Index<usize> for Events {
    type Output = Located;

    fn index(&self, i: usize) -> &Located {
        &self.chunks[i / CHUNK][i % CHUNK]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{Frame, Position, RecordLoc};

    fn event(index: u64) -> Located {
        Located {
            loc: RecordLoc {
                source: 0,
                at: Position::default(),
                len: 0,
                index,
                frame: Frame::Document,
            },
            time_ms: 0,
            kind: crate::model::SourceKind::Activity,
            outcome: crate::model::Outcome::Unknown,
            upn: Sym::NONE,
            ip: Sym::NONE,
            resource: Sym::NONE,
            operation: Sym::NONE,
            app: Sym::NONE,
            correlation: 0,
        }
    }

    #[test]
    fn positions_and_searches_cross_chunks() {
        let mut e = Events::default();
        e.extend((0..(CHUNK as u64 * 2 + 5)).map(|i| event(i * 2)));
        assert_eq!(e.len(), CHUNK * 2 + 5);
        assert_eq!(e[CHUNK + 1].loc.index, (CHUNK as u64 + 1) * 2);
        let find = |x: u64| e.binary_search_by(|l| l.loc.index.cmp(&x));
        assert_eq!(find(0), Ok(0));
        assert_eq!(find(CHUNK as u64 * 2), Ok(CHUNK));
        assert_eq!(find(CHUNK as u64 * 2 + 1), Err(CHUNK + 1));
        assert_eq!(find(u64::MAX), Err(e.len()));
        assert_eq!(e.iter().count(), e.len());
    }
}
