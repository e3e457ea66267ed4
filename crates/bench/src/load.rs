//! The operations and the load loop: `connections` workers, each on its own keep-alive
//! connection, send back to back until the deadline. Requests completing inside the measured
//! window (after the warm-up) count: every successful one's latency is kept, failures are
//! counted by code; requests still in flight at the deadline are awaited but not counted.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::Full;
use roleplay_sigv4::{EMPTY_SHA256, sha256_hex};
use time::OffsetDateTime;

use crate::client::{self, Call, Keys, RepeatBody};
use crate::report::{OpReport, error_code};
use crate::rss;
use crate::stats::summarize;
use crate::target::Endpoint;

/// An operation the tool can load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Op {
    /// STS GetCallerIdentity (authentication only).
    GetCallerIdentity,
    /// STS AssumeRole across accounts (trust and identity policy evaluated).
    AssumeRole,
    /// S3 GetObject of a 4 KiB object.
    GetObject,
    /// S3 PutObject of 4 KiB under a fresh key each time.
    PutObject,
    /// S3 ListObjectsV2 of 1,000 keys (one page).
    ListObjectsV2,
    /// One large object up, then down (`--large-size`).
    Large,
}

impl Op {
    /// Every operation, in report order.
    pub const ALL: [Op; 6] = [
        Op::GetCallerIdentity,
        Op::AssumeRole,
        Op::GetObject,
        Op::PutObject,
        Op::ListObjectsV2,
        Op::Large,
    ];

    /// The AWS operation name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Op::GetCallerIdentity => "GetCallerIdentity",
            Op::AssumeRole => "AssumeRole",
            Op::GetObject => "GetObject 4KiB",
            Op::PutObject => "PutObject 4KiB",
            Op::ListObjectsV2 => "ListObjectsV2 1000",
            Op::Large => "large object",
        }
    }

    fn is_s3(self) -> bool {
        !matches!(self, Op::GetCallerIdentity | Op::AssumeRole)
    }
}

/// Everything a run needs.
#[derive(Debug, Clone)]
pub struct Config {
    /// The checked loopback target.
    pub endpoint: Endpoint,
    /// Concurrent connections.
    pub connections: usize,
    /// Measured time per operation.
    pub duration: Duration,
    /// Unmeasured load before it.
    pub warmup: Duration,
    /// The server process, for RSS.
    pub server_pid: Option<u32>,
    /// Keys for STS calls (alice in account A).
    pub sts_keys: Keys,
    /// Keys for S3 calls (account B's root).
    pub s3_keys: Keys,
    /// Role to assume.
    pub role_arn: String,
    /// Bucket the S3 operations use (created if missing).
    pub bucket: String,
    /// Signing region.
    pub region: String,
    /// Size of the large object.
    pub large_size: u64,
    /// Sign every request; otherwise identical requests reuse their signature within a second.
    pub sign_each: bool,
    /// Bound on any single request.
    pub timeout: Duration,
    /// Connections used to seed the list keys.
    pub list_keys: usize,
}

const GET_KEY: &str = "bench/get-4k";
const SMALL: usize = 4096;

fn small_body() -> Bytes {
    Bytes::from(pattern(SMALL, 7))
}

fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    (0..len)
        .map(|_| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            x.to_be_bytes().first().copied().unwrap_or(0)
        })
        .collect()
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn sts_call(body: &str) -> Call {
    Call {
        method: "POST",
        path: "/".into(),
        query: String::new(),
        service: "sts",
        content_type: Some("application/x-www-form-urlencoded; charset=utf-8"),
        payload_hash: sha256_hex(body.as_bytes()),
        content_length: body.len() as u64,
    }
}

fn s3_call(method: &'static str, path: String, query: &str, body: &[u8]) -> Call {
    Call {
        method,
        path,
        query: query.into(),
        service: "s3",
        content_type: None,
        payload_hash: if body.is_empty() {
            EMPTY_SHA256.into()
        } else {
            sha256_hex(body)
        },
        content_length: body.len() as u64,
    }
}

/// What one worker sends: a fixed request (signature reusable) or one built per request.
struct Workload {
    fixed: Option<(Call, Bytes, Keys)>,
    put_body: Bytes,
    put_hash: String,
}

impl Workload {
    fn new(cfg: &Config, op: Op) -> Self {
        let bucket = &cfg.bucket;
        let fixed = match op {
            Op::GetCallerIdentity => {
                let body = "Action=GetCallerIdentity&Version=2011-06-15";
                Some((sts_call(body), Bytes::from(body), cfg.sts_keys.clone()))
            }
            Op::AssumeRole => {
                let body = format!(
                    "Action=AssumeRole&Version=2011-06-15&RoleArn={}&RoleSessionName=bench",
                    client::form_encode(&cfg.role_arn)
                );
                Some((sts_call(&body), Bytes::from(body), cfg.sts_keys.clone()))
            }
            Op::GetObject => Some((
                s3_call("GET", format!("/{bucket}/{GET_KEY}"), "", b""),
                Bytes::new(),
                cfg.s3_keys.clone(),
            )),
            Op::ListObjectsV2 => Some((
                s3_call(
                    "GET",
                    format!("/{bucket}"),
                    "list-type=2&prefix=list%2F",
                    b"",
                ),
                Bytes::new(),
                cfg.s3_keys.clone(),
            )),
            Op::PutObject | Op::Large => None,
        };
        let put_body = small_body();
        let put_hash = sha256_hex(&put_body);
        Self {
            fixed,
            put_body,
            put_hash,
        }
    }
}

struct WorkerResult {
    samples: Vec<u32>,
    errors: BTreeMap<String, u64>,
}

async fn worker(
    cfg: Arc<Config>,
    load: Arc<Workload>,
    id: usize,
    measure_from: Instant,
    deadline: Instant,
) -> WorkerResult {
    let mut samples = Vec::with_capacity(65_536);
    let mut errors: BTreeMap<String, u64> = BTreeMap::new();
    let mut conn = client::Conn::<Full<Bytes>>::new(cfg.endpoint.addr);
    let mut cached: Option<(i64, Vec<(String, String)>)> = None;
    let mut n: u64 = 0;
    let host = cfg.endpoint.host.as_str();
    while Instant::now() < deadline {
        let start = Instant::now();
        let built = match &load.fixed {
            Some((call, body, keys)) => {
                let t = now();
                let second = t.unix_timestamp();
                let headers = match &cached {
                    Some((s, h)) if *s == second && !cfg.sign_each => Ok(h.clone()),
                    _ => client::sign(call, host, keys, &cfg.region, t),
                };
                headers.and_then(|h| {
                    let req = client::request(call, host, &h, Full::new(body.clone()));
                    cached = Some((second, h));
                    req
                })
            }
            None => {
                let call = Call {
                    payload_hash: load.put_hash.clone(),
                    ..s3_call("PUT", format!("/{}/put/w{id}-{n}", cfg.bucket), "", b"")
                };
                let call = Call {
                    content_length: load.put_body.len() as u64,
                    ..call
                };
                client::sign(&call, host, &cfg.s3_keys, &cfg.region, now()).and_then(|h| {
                    client::request(&call, host, &h, Full::new(load.put_body.clone()))
                })
            }
        };
        n += 1;
        let req = match built {
            Ok(r) => r,
            Err(_) => {
                *errors.entry("client".into()).or_default() += 1;
                continue;
            }
        };
        let outcome = tokio::time::timeout(cfg.timeout, conn.send(req)).await;
        // A request counts when it completes inside the measured window.
        let end = Instant::now();
        let measured = end >= measure_from && end <= deadline;
        match outcome {
            Ok(Ok((status, _))) if (200..300).contains(&status) => {
                if measured {
                    let us = end.saturating_duration_since(start).as_micros();
                    samples.push(u32::try_from(us).unwrap_or(u32::MAX));
                }
            }
            Ok(Ok((status, body))) => {
                if measured {
                    *errors.entry(error_code(status, &body)).or_default() += 1;
                }
            }
            Ok(Err(_)) => {
                if measured {
                    *errors.entry("io".into()).or_default() += 1;
                }
                // Do not spin on a refused connection.
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            Err(_) => {
                if measured {
                    *errors.entry("timeout".into()).or_default() += 1;
                }
                conn.reset();
            }
        }
    }
    WorkerResult { samples, errors }
}

/// Samples the server's RSS every `every` until `stop`; returns the largest value seen.
fn sample_rss(pid: Option<u32>, every: Duration, stop: Arc<AtomicBool>) -> Arc<AtomicU64> {
    let peak = Arc::new(AtomicU64::new(0));
    if let Some(pid) = pid {
        let peak = peak.clone();
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                if let Some(r) = rss::read(pid) {
                    peak.fetch_max(r.current_kib, Ordering::Relaxed);
                }
                tokio::time::sleep(every).await;
            }
        });
    }
    peak
}

fn current_rss(pid: Option<u32>) -> Option<u64> {
    pid.and_then(rss::read).map(|r| r.current_kib)
}

/// Loads one request-response operation for the configured time.
pub async fn run_op(cfg: &Arc<Config>, op: Op) -> anyhow::Result<OpReport> {
    let load = Arc::new(Workload::new(cfg, op));
    let rss_before = current_rss(cfg.server_pid);
    let stop = Arc::new(AtomicBool::new(false));
    let peak = sample_rss(cfg.server_pid, Duration::from_millis(100), stop.clone());
    let start = Instant::now();
    let measure_from = start + cfg.warmup;
    let deadline = measure_from + cfg.duration;
    let handles: Vec<_> = (0..cfg.connections)
        .map(|id| {
            tokio::spawn(worker(
                cfg.clone(),
                load.clone(),
                id,
                measure_from,
                deadline,
            ))
        })
        .collect();
    // The server's CPU time over exactly the measured window.
    let pid = cfg.server_pid;
    let cpu = tokio::spawn(async move {
        tokio::time::sleep_until(measure_from.into()).await;
        let before = pid.and_then(rss::cpu_micros);
        tokio::time::sleep_until(deadline.into()).await;
        let after = pid.and_then(rss::cpu_micros);
        before.zip(after).map(|(b, a)| a.saturating_sub(b))
    });
    let mut samples = Vec::new();
    let mut errors: BTreeMap<String, u64> = BTreeMap::new();
    for h in handles {
        let r = h.await.context("a worker failed")?;
        samples.extend_from_slice(&r.samples);
        for (code, count) in r.errors {
            *errors.entry(code).or_default() += count;
        }
    }
    let elapsed = cfg.duration;
    let server_cpu_us = cpu.await.ok().flatten();
    stop.store(true, Ordering::Relaxed);
    let rss_end = current_rss(cfg.server_pid);
    let peak_seen = peak.load(Ordering::Relaxed);
    Ok(OpReport {
        op: op.name().into(),
        elapsed,
        latency: summarize(&mut samples),
        errors,
        rss_kib: rss_end,
        peak_rss_kib: rss_end.map(|e| e.max(peak_seen)),
        rss_before_kib: rss_before,
        bytes: None,
        server_cpu_us,
    })
}

/// One signed request on a fresh connection, body in memory.
async fn once(cfg: &Config, call: &Call, body: Bytes, keys: &Keys) -> anyhow::Result<(u16, Bytes)> {
    let host = cfg.endpoint.host.as_str();
    let headers = client::sign(call, host, keys, &cfg.region, now())?;
    let req = client::request(call, host, &headers, Full::new(body))?;
    let mut conn = client::Conn::new(cfg.endpoint.addr);
    tokio::time::timeout(cfg.timeout, conn.send(req))
        .await
        .context("timed out")?
}

/// Creates the bucket (if needed), the 4 KiB object and the 1,000 list keys.
pub async fn seed(cfg: &Arc<Config>) -> anyhow::Result<()> {
    let bucket = &cfg.bucket;
    let (status, body) = once(
        cfg,
        &s3_call("PUT", format!("/{bucket}"), "", b""),
        Bytes::new(),
        &cfg.s3_keys,
    )
    .await?;
    let code = error_code(status, &body);
    if !(200..300).contains(&status) && code != "BucketAlreadyOwnedByYou" {
        anyhow::bail!("creating bucket {bucket}: {code}");
    }
    let get = small_body();
    let (status, body) = once(
        cfg,
        &s3_call("PUT", format!("/{bucket}/{GET_KEY}"), "", &get),
        get,
        &cfg.s3_keys,
    )
    .await?;
    if !(200..300).contains(&status) {
        anyhow::bail!("putting {GET_KEY}: {}", error_code(status, &body));
    }
    let next = Arc::new(AtomicU64::new(0));
    let total = cfg.list_keys as u64;
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let cfg = cfg.clone();
            let next = next.clone();
            tokio::spawn(async move {
                let host = cfg.endpoint.host.clone();
                let mut conn = client::Conn::<Full<Bytes>>::new(cfg.endpoint.addr);
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total {
                        return anyhow::Ok(());
                    }
                    let body = Bytes::from(format!("list key {i}\n"));
                    let call = s3_call("PUT", format!("/{}/list/k{i:05}", cfg.bucket), "", &body);
                    let headers = client::sign(&call, &host, &cfg.s3_keys, &cfg.region, now())?;
                    let req = client::request(&call, &host, &headers, Full::new(body))?;
                    let (status, body) = tokio::time::timeout(cfg.timeout, conn.send(req))
                        .await
                        .context("timed out")??;
                    if !(200..300).contains(&status) {
                        anyhow::bail!("seeding list/k{i:05}: {}", error_code(status, &body));
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.context("a seeding task failed")??;
    }
    Ok(())
}

/// Uploads then downloads one `large_size` object on one connection; two reports.
pub async fn run_large(cfg: &Arc<Config>) -> anyhow::Result<Vec<OpReport>> {
    let host = cfg.endpoint.host.as_str();
    let size = cfg.large_size;
    let label = human_size(size);
    let path = format!("/{}/bench/large", cfg.bucket);
    let chunk = Bytes::from(pattern(1 << 20, 11));
    let mut reports = Vec::new();

    // Up: UNSIGNED-PAYLOAD, so the client does not hash the body (the server still verifies
    // nothing it was not asked to; Content-Length bounds the body).
    let call = Call {
        payload_hash: "UNSIGNED-PAYLOAD".into(),
        content_length: size,
        ..s3_call("PUT", path.clone(), "", b"")
    };
    let mut conn = client::Conn::<RepeatBody>::new(cfg.endpoint.addr);
    let rss_before = current_rss(cfg.server_pid);
    let stop = Arc::new(AtomicBool::new(false));
    let peak = sample_rss(cfg.server_pid, Duration::from_millis(20), stop.clone());
    let headers = client::sign(&call, host, &cfg.s3_keys, &cfg.region, now())?;
    let req = client::request(&call, host, &headers, RepeatBody::new(chunk, size))?;
    let cpu_before = cfg.server_pid.and_then(rss::cpu_micros);
    let start = Instant::now();
    let result = tokio::time::timeout(cfg.timeout, conn.send(req)).await;
    let elapsed = start.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut errors = BTreeMap::new();
    let ok = match result {
        Ok(Ok((status, _))) if (200..300).contains(&status) => true,
        Ok(Ok((status, body))) => {
            errors.insert(error_code(status, &body), 1);
            false
        }
        Ok(Err(_)) => {
            errors.insert("io".into(), 1);
            false
        }
        Err(_) => {
            errors.insert("timeout".into(), 1);
            false
        }
    };
    reports.push(large_report(
        format!("PutObject {label}"),
        elapsed,
        ok,
        size,
        errors,
        cfg.server_pid,
        rss_before,
        peak.load(Ordering::Relaxed),
        cpu_before,
    ));
    if !ok {
        return Ok(reports);
    }

    // Down: counted as it arrives, never buffered.
    let call = s3_call("GET", path, "", b"");
    let mut conn = client::Conn::<Full<Bytes>>::new(cfg.endpoint.addr);
    let rss_before = current_rss(cfg.server_pid);
    let stop = Arc::new(AtomicBool::new(false));
    let peak = sample_rss(cfg.server_pid, Duration::from_millis(20), stop.clone());
    let headers = client::sign(&call, host, &cfg.s3_keys, &cfg.region, now())?;
    let req = client::request(&call, host, &headers, Full::new(Bytes::new()))?;
    let cpu_before = cfg.server_pid.and_then(rss::cpu_micros);
    let start = Instant::now();
    let result = tokio::time::timeout(cfg.timeout, conn.send_counting(req)).await;
    let elapsed = start.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut errors = BTreeMap::new();
    let ok = match result {
        Ok(Ok((status, count, _))) if (200..300).contains(&status) && count == size => true,
        Ok(Ok((status, count, _))) if (200..300).contains(&status) => {
            errors.insert(format!("short body ({count} bytes)"), 1);
            false
        }
        Ok(Ok((status, _, head))) => {
            errors.insert(error_code(status, &head), 1);
            false
        }
        Ok(Err(_)) => {
            errors.insert("io".into(), 1);
            false
        }
        Err(_) => {
            errors.insert("timeout".into(), 1);
            false
        }
    };
    reports.push(large_report(
        format!("GetObject {label}"),
        elapsed,
        ok,
        size,
        errors,
        cfg.server_pid,
        rss_before,
        peak.load(Ordering::Relaxed),
        cpu_before,
    ));
    Ok(reports)
}

#[allow(
    clippy::too_many_arguments,
    reason = "a private constructor of the report"
)]
fn large_report(
    op: String,
    elapsed: Duration,
    ok: bool,
    size: u64,
    errors: BTreeMap<String, u64>,
    pid: Option<u32>,
    rss_before: Option<u64>,
    peak_seen: u64,
    cpu_before: Option<u64>,
) -> OpReport {
    let cpu_after = pid.and_then(rss::cpu_micros);
    let micros = u32::try_from(elapsed.as_micros()).unwrap_or(u32::MAX);
    let mut one = if ok { vec![micros] } else { Vec::new() };
    let rss_end = current_rss(pid);
    OpReport {
        op,
        elapsed,
        latency: summarize(&mut one),
        errors,
        rss_kib: rss_end,
        peak_rss_kib: rss_end.map(|e| e.max(peak_seen)),
        rss_before_kib: rss_before,
        bytes: ok.then_some(size),
        server_cpu_us: cpu_before.zip(cpu_after).map(|(b, a)| a.saturating_sub(b)),
    }
}

/// `1GiB`, `256MiB`, `4KiB` or a byte count.
#[must_use]
pub fn human_size(n: u64) -> String {
    for (unit, name) in [(1u64 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")] {
        if n >= unit && n.is_multiple_of(unit) {
            return format!("{}{name}", n / unit);
        }
    }
    format!("{n}B")
}

/// Parses `1GiB`, `512MiB`, `4KiB`, `1G`, `100M` or a byte count.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits.parse().map_err(|_| format!("bad size: {text}"))?;
    let mult: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        _ => return Err(format!("bad size unit: {text}")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("size too large: {text}"))
}

/// Whether any of `ops` needs the bucket and its seed objects.
#[must_use]
pub fn needs_seed(ops: &[Op]) -> bool {
    ops.iter().any(|op| op.is_s3())
}
