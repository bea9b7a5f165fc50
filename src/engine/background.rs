//! The engine off the caller's thread: a tokio task over the blocking pool,
//! updates through a channel, a flag to cancel. A console keeps one
//! [`Running`] per run and starts another for one rule when that rule (or
//! its exception) changes, replacing that rule's alerts with the new run's.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::{Plan, Summary, Update};

pub struct Running {
    pub updates: mpsc::UnboundedReceiver<Update>,
    cancel: Arc<AtomicBool>,
    task: JoinHandle<Summary>,
}

impl Running {
    /// Stops the run; its task ends soon after, without the alerts of
    /// rules that wait for the end of the input.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Waits for the run to end.
    pub async fn join(self) -> Summary {
        match self.task.await {
            Ok(s) => s,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
}

/// Starts a run on the current tokio runtime.
pub fn spawn(plan: Plan) -> Running {
    let (tx, rx) = mpsc::unbounded_channel();
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    let task = tokio::task::spawn_blocking(move || {
        // A receiver that went away is not an error: the run's summary is
        // still returned to whoever joins it.
        super::run(&plan, &flag, &mut |u| {
            let _ = tx.send(u);
        })
    });
    Running {
        updates: rx,
        cancel,
        task,
    }
}

/// Starts a run of one rule of the plan over the same logs.
pub fn spawn_rule(plan: &Plan, index: usize) -> Running {
    spawn(Plan {
        only: Some(vec![index]),
        ..plan.clone()
    })
}
