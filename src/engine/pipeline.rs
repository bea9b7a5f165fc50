//! Loading on one thread while rules run on another: the reader frames,
//! decodes and classifies records and hands them over in batches, in file
//! order, so results are the same as reading and evaluating in turn. What
//! every rule asks of an event alike is worked out on the reading thread
//! too (`prepare`), so the two threads share the work.

use std::sync::Arc;
use std::sync::mpsc::sync_channel;

use serde_json::Value;

use crate::ingest::{self, Event, LoadOptions, Loaded, RecordLoc, SourceInfo};
use crate::model::{Shape, SourceKind};

/// Records per hand-over: large enough that the channel costs nothing per
/// record, small enough that the first alerts are not held back.
const BATCH: usize = 256;
/// Batches in flight: bounds the memory of records read but not yet
/// evaluated.
const IN_FLIGHT: usize = 4;

struct Owned<P> {
    prepared: P,
    loc: RecordLoc,
    source: Arc<SourceInfo>,
    doc: Value,
    kind: SourceKind,
    shape: Shape,
}

/// As [`ingest::load`], with reading on a thread of its own, and each
/// event handed over with what `prepare` made of it. Events lack their raw
/// text (`raw` is `None`).
pub fn load<P: Send>(
    inputs: &[std::path::PathBuf],
    opts: &LoadOptions,
    prepare: &(dyn Fn(&Event<'_>) -> P + Sync),
    on_event: &mut dyn FnMut(&Event<'_>, P),
) -> Loaded {
    let (tx, rx) = sync_channel::<Vec<Owned<P>>>(IN_FLIGHT);
    // Documents go back to be freed where they were built: a free from
    // another thread costs the allocator several times a local one.
    let (back_tx, back_rx) = sync_channel::<Vec<Value>>(IN_FLIGHT);
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || {
            let mut batch = Vec::with_capacity(BATCH);
            let mut current: Option<Arc<SourceInfo>> = None;
            let mut gone = false;
            let loaded = ingest::load(inputs, opts, &mut |ev| {
                if gone {
                    return;
                }
                while let Ok(done) = back_rx.try_recv() {
                    drop(done);
                }
                let source = match &current {
                    Some(s) if s.id == ev.source.id => s.clone(),
                    _ => {
                        let s = Arc::new(ev.source.clone());
                        current = Some(s.clone());
                        s
                    }
                };
                batch.push(Owned {
                    prepared: prepare(&ev),
                    loc: ev.loc,
                    source,
                    doc: ev.doc,
                    kind: ev.kind,
                    shape: ev.shape,
                });
                if batch.len() >= BATCH {
                    // The receiver goes away only when evaluation stopped.
                    gone = tx.send(std::mem::take(&mut batch)).is_err();
                }
            });
            if !batch.is_empty() && !gone {
                let _ = tx.send(batch);
            }
            loaded
        });
        for batch in rx.iter() {
            let mut done = Vec::with_capacity(batch.len());
            for o in batch {
                let ev = Event {
                    loc: o.loc,
                    source: &o.source,
                    doc: o.doc,
                    raw: None,
                    kind: o.kind,
                    shape: o.shape,
                };
                on_event(&ev, o.prepared);
                done.push(ev.doc);
            }
            // A reader that has finished, or is behind, leaves them here.
            let _ = back_tx.try_send(done);
        }
        match reader.join() {
            Ok(loaded) => loaded,
            Err(e) => std::panic::resume_unwind(e),
        }
    })
}
