//! The decision log: one JSON record per authorization decision, with the deciding statements,
//! the policy kinds that lacked an allow, the condition keys, and the statement-by-statement
//! trace, appended as JSON lines (rotated by size) or kept in memory, and searchable.
//!
//! The request path only hands over what it already holds (the caller, the compiled policies,
//! the context); a writer thread traces, renders and writes, so a decision costs the request
//! a channel send.

mod record;
mod sink;

pub(crate) use record::DecisionEvent;
pub use record::DecisionQuery;
pub use sink::LogLocation;

use serde_json::Value;
use sink::Sink;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

/// Decisions waiting for the writer; a full queue makes requests wait rather than lose records.
const QUEUE: usize = 16_384;

/// How long the writer lets decisions gather between batches.
const BATCH_PAUSE: std::time::Duration = std::time::Duration::from_millis(2);

enum Msg {
    Event(Box<DecisionEvent>),
    /// Answers once everything sent before it is written.
    Flush(SyncSender<()>),
}

/// Seals a denial's authorization message for `DecodeAuthorizationMessage`.
pub(crate) type Sealer = Arc<dyn Fn(&[u8]) -> String + Send + Sync>;

/// A handle on the decision log; cheap to clone.
#[derive(Clone)]
pub struct DecisionLog {
    tx: SyncSender<Msg>,
    sink: Arc<Mutex<Sink>>,
    sealer: Arc<Mutex<Option<Sealer>>>,
}

impl std::fmt::Debug for DecisionLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecisionLog").finish_non_exhaustive()
    }
}

impl DecisionLog {
    /// Opens the log at `location` and starts its writer thread.
    pub fn open(location: LogLocation) -> std::io::Result<Self> {
        let sink = Arc::new(Mutex::new(Sink::open(location)?));
        let sealer: Arc<Mutex<Option<Sealer>>> = Arc::default();
        let (tx, rx) = sync_channel(QUEUE);
        let (writer, seal) = (sink.clone(), sealer.clone());
        std::thread::Builder::new()
            .name("decision-log".into())
            .spawn(move || write_loop(&rx, &writer, &seal))?;
        Ok(Self { tx, sink, sealer })
    }

    /// Denials get an encoded authorization message sealed by `sealer`.
    pub(crate) fn set_sealer(&self, sealer: Sealer) {
        *self.sealer.lock().unwrap_or_else(|e| e.into_inner()) = Some(sealer);
    }

    pub(crate) fn record(&self, event: DecisionEvent) {
        // The writer only stops when every handle is gone, so a send cannot fail while we
        // hold one.
        let _ = self.tx.send(Msg::Event(Box::new(event)));
    }

    /// Waits until every decision recorded so far is written.
    pub fn flush(&self) {
        let (tx, rx) = sync_channel(1);
        if self.tx.send(Msg::Flush(tx)).is_ok() {
            let _ = rx.recv();
        }
    }

    /// The records matching `query`, oldest first, at most `query.limit` of the newest.
    pub fn search(&self, query: &DecisionQuery) -> std::io::Result<Vec<Value>> {
        self.flush();
        let sink = self.sink.lock().unwrap_or_else(|e| e.into_inner());
        let mut found = std::collections::VecDeque::new();
        sink.scan(&mut |line: &str| {
            let Ok(record) = serde_json::from_str::<Value>(line) else {
                return;
            };
            if query.matches(&record) {
                if found.len() == query.limit {
                    found.pop_front();
                }
                found.push_back(record);
            }
        })?;
        Ok(found.into())
    }
}

fn write_loop(rx: &Receiver<Msg>, sink: &Mutex<Sink>, sealer: &Mutex<Option<Sealer>>) {
    let mut pending: Vec<u8> = Vec::with_capacity(64 * 1024);
    while let Ok(first) = rx.recv() {
        let mut waiters = Vec::new();
        let mut next = Some(first);
        // Render everything queued, then write it in one go.
        while let Some(msg) = next {
            match msg {
                Msg::Event(event) => {
                    let seal = sealer.lock().unwrap_or_else(|e| e.into_inner()).clone();
                    event.render_line(&mut pending, seal.as_ref());
                }
                Msg::Flush(done) => waiters.push(done),
            }
            next = if pending.len() < 1 << 20 {
                rx.try_recv().ok()
            } else {
                None
            };
        }
        if !pending.is_empty() {
            let mut s = sink.lock().unwrap_or_else(|e| e.into_inner());
            if let Err(e) = s.append(&pending) {
                eprintln!("decision log: cannot write: {e}");
            }
            pending.clear();
        }
        for w in waiters {
            let _ = w.send(());
        }
        // Gather the next decisions for a moment: one wake-up per batch rather than per
        // request keeps the log's share of the server's CPU small under load.
        std::thread::sleep(BATCH_PAUSE);
    }
}
