//! What a run reports, as a table for people and as tab-separated lines for scripts.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use crate::stats::Summary;

/// The result of one operation's run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OpReport {
    /// Operation name (`GetObject`, ...).
    pub op: String,
    /// Wall time of the measured phase.
    pub elapsed: Duration,
    /// Latency of the successful requests.
    pub latency: Summary,
    /// Failed requests by error code (`<Code>` of the body, `HTTP 503`, `io`, ...).
    pub errors: BTreeMap<String, u64>,
    /// Server RSS at the end of the run, KiB.
    pub rss_kib: Option<u64>,
    /// Largest server RSS seen during the run (sampled), KiB.
    pub peak_rss_kib: Option<u64>,
    /// Server RSS before the run, KiB.
    pub rss_before_kib: Option<u64>,
    /// Payload bytes moved (large-object runs), for MB/s.
    pub bytes: Option<u64>,
    /// Server CPU time (user + system) over the measured window, microseconds.
    pub server_cpu_us: Option<u64>,
}

impl OpReport {
    /// Successful requests per second.
    #[must_use]
    pub fn rate(&self) -> f64 {
        per_second(self.latency.count, self.elapsed)
    }

    /// Payload throughput in MB/s (10^6 bytes), when bytes were counted.
    #[must_use]
    pub fn mb_per_s(&self) -> Option<f64> {
        #[allow(clippy::cast_precision_loss, reason = "display only")]
        self.bytes.map(|b| per_second(b, self.elapsed) / 1e6)
    }

    /// Server CPU microseconds per successful request.
    #[must_use]
    pub fn cpu_per_request(&self) -> Option<u64> {
        self.server_cpu_us
            .and_then(|cpu| cpu.checked_div(self.latency.count))
    }

    /// Failed requests.
    #[must_use]
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }
}

fn per_second(n: u64, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    #[allow(clippy::cast_precision_loss, reason = "display only")]
    if secs > 0.0 { n as f64 / secs } else { 0.0 }
}

/// A latency in microseconds as `850µs` or `1.23ms`.
#[must_use]
pub fn format_latency(micros: u32) -> String {
    if micros < 1000 {
        format!("{micros}µs")
    } else if micros < 10_000 {
        format!("{:.2}ms", f64::from(micros) / 1000.0)
    } else if micros < 1_000_000 {
        format!("{:.1}ms", f64::from(micros) / 1000.0)
    } else {
        format!("{:.2}s", f64::from(micros) / 1e6)
    }
}

/// KiB as `12.3MiB`; `-` when unknown.
#[must_use]
pub fn format_kib(kib: Option<u64>) -> String {
    #[allow(clippy::cast_precision_loss, reason = "display only")]
    kib.map_or_else(
        || "-".to_owned(),
        |k| format!("{:.1}MiB", k as f64 / 1024.0),
    )
}

/// Errors as `AccessDenied=3 io=1`; `0` when there were none.
#[must_use]
pub fn format_errors(errors: &BTreeMap<String, u64>) -> String {
    if errors.is_empty() {
        return "0".to_owned();
    }
    errors
        .iter()
        .map(|(code, n)| format!("{code}={n}"))
        .collect::<Vec<_>>()
        .join(" ")
}

const HEADER: [&str; 10] = [
    "operation",
    "requests/s",
    "server CPU/req",
    "p50",
    "p99",
    "p99.9",
    "max",
    "MB/s",
    "server RSS (end/peak)",
    "errors",
];

/// The human table: one line per operation, columns aligned.
#[must_use]
pub fn format_table(reports: &[OpReport]) -> String {
    let rows: Vec<[String; 10]> = reports
        .iter()
        .map(|r| {
            [
                r.op.clone(),
                format!("{:.0}", r.rate()),
                r.cpu_per_request()
                    .map_or_else(|| "-".to_owned(), |us| format!("{us}µs")),
                format_latency(r.latency.p50),
                format_latency(r.latency.p99),
                format_latency(r.latency.p999),
                format_latency(r.latency.max),
                r.mb_per_s()
                    .map_or_else(|| "-".to_owned(), |m| format!("{m:.0}")),
                format!("{}/{}", format_kib(r.rss_kib), format_kib(r.peak_rss_kib)),
                format_errors(&r.errors),
            ]
        })
        .collect();
    let mut widths = HEADER.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[String]| {
        let mut text = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            let pad = w.saturating_sub(cell.chars().count());
            if i == 0 || i + 1 == cells.len() {
                let _ = write!(text, "{cell}{}", " ".repeat(pad));
            } else {
                let _ = write!(text, "{}{cell}", " ".repeat(pad));
            }
            if i + 1 < cells.len() {
                text.push_str("  ");
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&HEADER.map(str::to_owned));
    for row in &rows {
        line(row);
    }
    out
}

/// Machine-readable lines for scripts: `op rps p50_us p99_us p999_us max_us mb_s
/// rss_kib peak_rss_kib errors cpu_us_per_request` separated by tabs (`-` for unknown values).
#[must_use]
pub fn format_tsv(reports: &[OpReport]) -> String {
    let opt = |v: Option<u64>| v.map_or_else(|| "-".to_owned(), |v| v.to_string());
    let mut out = String::new();
    for r in reports {
        let _ = writeln!(
            out,
            "{}\t{:.1}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            r.op,
            r.rate(),
            r.latency.p50,
            r.latency.p99,
            r.latency.p999,
            r.latency.max,
            r.mb_per_s()
                .map_or_else(|| "-".to_owned(), |m| format!("{m:.1}")),
            opt(r.rss_kib),
            opt(r.peak_rss_kib),
            r.error_count(),
            opt(r.cpu_per_request()),
        );
    }
    out
}

/// The error code of a failed AWS response: the first `<Code>` of an XML body, else `HTTP <status>`.
#[must_use]
pub fn error_code(status: u16, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    text.split_once("<Code>")
        .and_then(|(_, rest)| rest.split_once("</Code>"))
        .map(|(code, _)| code.trim().to_owned())
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| format!("HTTP {status}"))
}
