//! The server's log: one JSON object per line ([`JsonLines`]), reaching stderr in batches
//! written by a thread of their own ([`BatchedLog`]).
//!
//! One `write` system call per request cost about 5% of the server's CPU under load, and a
//! slow terminal or pipe on stderr slowed every request. Here a request's thread only
//! appends its line to a buffer; the log thread wakes once per batch, waits a moment for
//! more lines, and writes them all at once. Nothing is dropped: when the buffer is full,
//! writers wait for the log thread to take it. Dropping the [`LogFlusher`] writes what is
//! left and stops the thread.

use std::fmt::{self, Write as _};
use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long the log thread gathers lines after the first of a batch arrives.
const GATHER: Duration = Duration::from_millis(2);
/// Buffered bytes at which writers wait for the log thread.
const FULL: usize = 1 << 20;

struct State {
    buf: Vec<u8>,
    closed: bool,
}

struct Shared {
    state: Mutex<State>,
    /// Signalled when a batch starts and when the log closes.
    wake: Condvar,
    /// Signalled when the log thread has taken the buffer.
    taken: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A `tracing_subscriber` writer whose lines reach `out` in batches (see the module docs).
#[derive(Clone)]
pub struct BatchedLog {
    shared: Arc<Shared>,
    out: Arc<Mutex<Box<dyn Write + Send>>>,
}

/// Owns the log thread; dropping it writes the remaining lines and stops the thread.
pub struct LogFlusher {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl BatchedLog {
    /// A batched log of stderr.
    pub fn stderr() -> std::io::Result<(Self, LogFlusher)> {
        Self::new(Box::new(std::io::stderr()))
    }

    /// A batched log of `out`.
    pub fn new(out: Box<dyn Write + Send>) -> std::io::Result<(Self, LogFlusher)> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                buf: Vec::with_capacity(64 * 1024),
                closed: false,
            }),
            wake: Condvar::new(),
            taken: Condvar::new(),
        });
        let out = Arc::new(Mutex::new(out));
        let thread = {
            let (shared, out) = (shared.clone(), out.clone());
            std::thread::Builder::new()
                .name("request-log".into())
                .spawn(move || write_loop(&shared, &out))?
        };
        Ok((
            Self {
                shared: shared.clone(),
                out,
            },
            LogFlusher {
                shared,
                thread: Some(thread),
            },
        ))
    }

    fn append(&self, line: &[u8]) -> std::io::Result<()> {
        let mut st = self.shared.lock();
        while st.buf.len() >= FULL && !st.closed {
            st = self
                .shared
                .taken
                .wait(st)
                .unwrap_or_else(|e| e.into_inner());
        }
        if st.closed {
            // After shutdown (a line logged while the runtime winds down): write it directly.
            drop(st);
            let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
            out.write_all(line)?;
            return out.flush();
        }
        let starts_batch = st.buf.is_empty();
        st.buf.extend_from_slice(line);
        drop(st);
        if starts_batch {
            self.shared.wake.notify_one();
        }
        Ok(())
    }
}

fn write_loop(shared: &Shared, out: &Mutex<Box<dyn Write + Send>>) {
    let mut spare: Vec<u8> = Vec::with_capacity(64 * 1024);
    loop {
        let mut st = shared.lock();
        while st.buf.is_empty() && !st.closed {
            st = shared.wake.wait(st).unwrap_or_else(|e| e.into_inner());
        }
        if st.buf.is_empty() {
            return;
        }
        if !st.closed {
            drop(st);
            std::thread::sleep(GATHER);
            st = shared.lock();
        }
        std::mem::swap(&mut st.buf, &mut spare);
        drop(st);
        shared.taken.notify_all();
        let mut o = out.lock().unwrap_or_else(|e| e.into_inner());
        // Nowhere to report a failing stderr; the lines are lost but the server goes on.
        let _ = o.write_all(&spare).and_then(|()| o.flush());
        drop(o);
        spare.clear();
        if spare.capacity() > 4 * FULL {
            spare.shrink_to(64 * 1024);
        }
    }
}

impl Drop for LogFlusher {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.wake.notify_all();
        self.shared.taken.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// One event's writer: the formatter hands it the whole line in one `write_all`.
pub struct LineWriter<'a>(&'a BatchedLog);

impl Write for LineWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.append(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for BatchedLog {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter(self)
    }
}

/// Formats each event as one JSON object, in the shape of `tracing_subscriber`'s JSON format:
/// `{"timestamp":..,"level":..,"fields":{"message":..,..},"target":..}`.
///
/// Written straight into the line, where the stock JSON formatter builds a map of
/// `serde_json::Value`s per event: the request line is logged for every request, and that
/// map cost about 4% of the server's CPU.
#[derive(Debug, Default, Clone, Copy)]
pub struct JsonLines;

impl<S, N> tracing_subscriber::fmt::FormatEvent<S, N> for JsonLines
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut w: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> fmt::Result {
        // The line is built in a buffer of this thread's and handed over in one piece:
        // written member by member, each of its dozens of pieces was a dynamic call.
        LINE.with_borrow_mut(|line| {
            line.clear();
            format_line(line, event);
            w.write_str(line)
        })
    }
}

thread_local! {
    /// The line being formatted on this thread, kept for its capacity.
    static LINE: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// Writes `event` as one JSON line into `line`.
fn format_line(line: &mut String, event: &tracing::Event<'_>) {
    #[allow(
        clippy::disallowed_methods,
        reason = "log lines carry the wall-clock time, not the server's test clock"
    )]
    let now = time::OffsetDateTime::now_utc();
    let meta = event.metadata();
    line.push_str("{\"timestamp\":\"");
    line.push_str(&roleplay_wire::time::format_iso8601_micros(now));
    line.push_str("\",\"level\":\"");
    line.push_str(meta.level().as_str());
    line.push_str("\",\"fields\":{");
    let mut fields = JsonFields {
        out: line,
        first: true,
        scratch: String::new(),
    };
    event.record(&mut fields);
    line.push_str("},\"target\":");
    json_string(line, meta.target());
    line.push_str("}\n");
}

/// Writes an event's fields as the members of a JSON object.
struct JsonFields<'w> {
    out: &'w mut String,
    first: bool,
    /// For values that format themselves (`%value`, `?value`).
    scratch: String,
}

impl JsonFields<'_> {
    /// Writes the separator and `"name":`; the value follows.
    fn name(&mut self, field: &tracing::field::Field) {
        if !std::mem::replace(&mut self.first, false) {
            self.out.push(',');
        }
        json_string(self.out, field.name());
        self.out.push(':');
    }
}

impl tracing::field::Visit for JsonFields<'_> {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.name(field);
        json_string(self.out, value);
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn fmt::Debug) {
        self.name(field);
        self.scratch.clear();
        let _ = write!(self.scratch, "{value:?}");
        json_string(self.out, &self.scratch);
    }

    fn record_i64(&mut self, field: &tracing::field::Field, value: i64) {
        self.name(field);
        self.out.push_str(itoa::Buffer::new().format(value));
    }

    fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
        self.name(field);
        self.out.push_str(itoa::Buffer::new().format(value));
    }

    fn record_bool(&mut self, field: &tracing::field::Field, value: bool) {
        self.name(field);
        self.out.push_str(if value { "true" } else { "false" });
    }
}

/// A JSON string literal, escaped as the decision log's strings are.
fn json_string(out: &mut String, text: &str) {
    out.reserve(text.len() + 2);
    out.push('"');
    roleplay_wire::json::escaped(text, |piece| out.push_str(piece));
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<(Vec<u8>, usize)>>);

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let mut s = self.0.lock().unwrap();
            s.0.extend_from_slice(buf);
            s.1 += 1;
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_line_arrives_in_order_in_few_writes() {
        let sink = Sink::default();
        let (log, flusher) = BatchedLog::new(Box::new(sink.clone())).unwrap();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let log = log.clone();
                std::thread::spawn(move || {
                    for i in 0..5_000 {
                        let mut w = tracing_subscriber::fmt::MakeWriter::make_writer(&log);
                        w.write_all(format!("t{t} line {i}\n").as_bytes()).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        drop(flusher);
        let (bytes, writes) = sink.0.lock().unwrap().clone();
        let text = String::from_utf8(bytes).unwrap();
        for t in 0..4 {
            let mine: Vec<&str> = text
                .lines()
                .filter(|l| l.starts_with(&format!("t{t} ")))
                .collect();
            let want: Vec<String> = (0..5_000).map(|i| format!("t{t} line {i}")).collect();
            assert_eq!(mine, want, "thread {t}'s lines, in its order");
        }
        assert_eq!(text.lines().count(), 20_000);
        assert!(writes < 20_000 / 10, "{writes} writes for 20,000 lines");
    }

    #[test]
    fn a_line_is_written_without_a_flush_and_after_close() {
        let sink = Sink::default();
        let (log, flusher) = BatchedLog::new(Box::new(sink.clone())).unwrap();
        log.append(b"first\n").unwrap();
        let mut waited = 0;
        while sink.0.lock().unwrap().0.is_empty() {
            assert!(waited < 5_000, "the line never reached the output");
            std::thread::sleep(Duration::from_millis(1));
            waited += 1;
        }
        drop(flusher);
        log.append(b"late\n").unwrap();
        assert_eq!(sink.0.lock().unwrap().0, b"first\nlate\n");
    }

    #[test]
    fn events_are_json_lines_in_the_stock_shape() {
        let sink = Sink::default();
        let out = sink.clone();
        let make = move || out.clone();
        let subscriber = tracing_subscriber::fmt()
            .event_format(JsonLines)
            .with_writer(make)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(
                request_id = %"r-1",
                principal = "say \"hi\"\\\n\u{1}é",
                status = 200u16,
                latency_us = 17u64,
                delta = -3i64,
                ok = true,
                "request"
            );
            tracing::warn!(error = ?"bad", "it failed");
        });
        let text = String::from_utf8(sink.0.lock().unwrap().0.clone()).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2, "{text}");
        let first = &lines[0];
        assert_eq!(first["level"], "INFO");
        assert_eq!(first["target"], module_path!());
        assert_eq!(
            first["fields"],
            serde_json::json!({
                "message": "request",
                "request_id": "r-1",
                "principal": "say \"hi\"\\\n\u{1}é",
                "status": 200,
                "latency_us": 17,
                "delta": -3,
                "ok": true,
            })
        );
        let ts = first["timestamp"].as_str().unwrap();
        assert!(
            time::OffsetDateTime::parse(ts, &time::format_description::well_known::Rfc3339).is_ok(),
            "{ts}"
        );
        assert_eq!(ts.len(), "2026-11-28T04:47:04.595661Z".len());
        assert_eq!(lines[1]["level"], "WARN");
        assert_eq!(lines[1]["fields"]["error"], "\"bad\"");
    }
}
