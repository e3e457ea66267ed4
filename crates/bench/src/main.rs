//! `roleplay-bench`: see the library documentation and BENCHMARKS.md.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use bytes::Bytes;
use clap::{Parser, Subcommand};
use http_body_util::Full;
use roleplay_bench::client::{self, Call, Keys};
use roleplay_bench::load::{self, Config, Op};
use roleplay_bench::report::{self, OpReport};
use roleplay_bench::{floor, rss, target};

// The built-in scenario (examples/cross-account-s3.toml): alice in account A, B's root.
const ALICE_ID: &str = "AKIARZKVVYOZRFFXKTQN";
const ALICE_SECRET: &str = "StVXxl2FXw4dQKGX4cS+09IfLqwY23yRVuaJel3Q";
const B_ROOT_ID: &str = "AKIAVA2BPY5AXIX6EA6Q";
const B_ROOT_SECRET: &str = "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";
const ROLE_ARN: &str = "arn:aws:iam::345345345345:role/accounta";

#[derive(Parser)]
#[command(
    name = "roleplay-bench",
    about = "Signed load against a loopback AWS endpoint"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Load each operation in turn and print one line per operation.
    Load(Box<LoadArgs>),
    /// Start a server command, time its first answered request, then read its idle RSS.
    Startup(StartupArgs),
    /// Serve the floor: every request's body read and answered 200 at once, nothing checked
    /// or stored; the load against it is the ceiling of what a server can do beside the tool.
    Floor(FloorArgs),
}

#[derive(clap::Args)]
struct FloorArgs {
    /// Where to listen (loopback only; port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: std::net::SocketAddr,
}

#[derive(clap::Args)]
struct LoadArgs {
    /// The server: http://HOST:PORT where HOST is in 127.0.0.0/8, ::1 or localhost.
    #[arg(long, default_value = "http://127.0.0.1:4566")]
    endpoint: String,
    /// Operations, in order (default: all).
    #[arg(long, value_enum, value_delimiter = ',')]
    ops: Vec<Op>,
    /// Concurrent keep-alive connections.
    #[arg(long, short = 'c', default_value_t = 64)]
    connections: usize,
    /// Measured seconds per operation (at most 600).
    #[arg(long, short = 'd', default_value_t = 10.0)]
    duration: f64,
    /// Unmeasured seconds of load before each operation.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// The server's process id, for its RSS (from /proc/PID/status).
    #[arg(long)]
    server_pid: Option<u32>,
    /// Size of the large object (e.g. 1GiB, 256MiB).
    #[arg(long, default_value = "1GiB", value_parser = load::parse_size)]
    large_size: u64,
    /// Access key id for STS calls (default: alice in account A of the built-in scenario).
    #[arg(long, default_value = ALICE_ID)]
    sts_key_id: String,
    /// Secret for STS calls.
    #[arg(long, default_value = ALICE_SECRET)]
    sts_secret: String,
    /// Access key id for S3 calls (default: account B's root).
    #[arg(long, default_value = B_ROOT_ID)]
    s3_key_id: String,
    /// Secret for S3 calls.
    #[arg(long, default_value = B_ROOT_SECRET)]
    s3_secret: String,
    /// Role to assume.
    #[arg(long, default_value = ROLE_ARN)]
    role_arn: String,
    /// Bucket for the S3 operations (created if missing).
    #[arg(long, default_value = "roleplay-bench")]
    bucket: String,
    /// Signing region.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// Sign every request (by default identical requests reuse their signature within one second).
    #[arg(long)]
    sign_each: bool,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 300.0)]
    timeout: f64,
    /// Exit non-zero if any operation failed a request or completed none (for CI's smoke).
    #[arg(long)]
    check: bool,
    /// Also print tab-separated lines (op, rps, p50, p99, p99.9, max in µs, MB/s, RSS KiB, peak KiB, errors).
    #[arg(long)]
    tsv: bool,
}

#[derive(clap::Args)]
struct StartupArgs {
    /// Times to start the server.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Seconds to wait after the first answer before reading the idle RSS.
    #[arg(long, default_value_t = 1.0)]
    idle: f64,
    /// The server command; it must print its `http://127.x.x.x:PORT` address on stdout.
    #[arg(trailing_var_arg = true, required = true)]
    command: Vec<String>,
}

fn seconds(s: f64, what: &str) -> anyhow::Result<Duration> {
    if !(0.0..=600.0).contains(&s) {
        anyhow::bail!("{what} must be between 0 and 600 seconds");
    }
    Ok(Duration::from_secs_f64(s))
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Cmd::Load(args) => load_main(*args),
        Cmd::Startup(args) => startup_main(&args),
        Cmd::Floor(args) => floor_main(&args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("roleplay-bench: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn load_main(args: LoadArgs) -> anyhow::Result<()> {
    let endpoint = target::parse_endpoint(&args.endpoint).map_err(anyhow::Error::msg)?;
    if args.connections == 0 || args.connections > 4096 {
        anyhow::bail!("--connections must be between 1 and 4096");
    }
    let ops = if args.ops.is_empty() {
        Op::ALL.to_vec()
    } else {
        args.ops.clone()
    };
    let cfg = Arc::new(Config {
        endpoint,
        connections: args.connections,
        duration: seconds(args.duration, "--duration")?,
        warmup: seconds(args.warmup, "--warmup")?,
        server_pid: args.server_pid,
        sts_keys: Keys {
            id: args.sts_key_id,
            secret: args.sts_secret,
        },
        s3_keys: Keys {
            id: args.s3_key_id,
            secret: args.s3_secret,
        },
        role_arn: args.role_arn,
        bucket: args.bucket,
        region: args.region,
        large_size: args.large_size,
        sign_each: args.sign_each,
        timeout: seconds(args.timeout, "--timeout")?,
        list_keys: 1000,
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let reports = runtime.block_on(async {
        if load::needs_seed(&ops) {
            eprintln!(
                "seeding bucket {} (4 KiB object, 1,000 list keys)",
                cfg.bucket
            );
            load::seed(&cfg).await?;
        }
        let mut reports: Vec<OpReport> = Vec::new();
        for op in &ops {
            eprintln!("running {} ...", op.name());
            let mut rs = match op {
                Op::Large => load::run_large(&cfg).await?,
                _ => vec![load::run_op(&cfg, *op).await?],
            };
            for r in &rs {
                eprint!("{}", report::format_tsv(std::slice::from_ref(r)));
            }
            reports.append(&mut rs);
        }
        anyhow::Ok(reports)
    })?;
    println!(
        "{} connections, {} s per operation, target {}",
        cfg.connections,
        cfg.duration.as_secs_f64(),
        args.endpoint
    );
    print!("{}", report::format_table(&reports));
    if args.tsv {
        print!("{}", report::format_tsv(&reports));
    }
    runtime.shutdown_timeout(Duration::from_millis(100));
    if args.check {
        let bad: Vec<&str> = reports
            .iter()
            .filter(|r| r.error_count() > 0 || r.latency.count == 0)
            .map(|r| r.op.as_str())
            .collect();
        if !bad.is_empty() {
            anyhow::bail!("failed requests or none completed: {}", bad.join(", "));
        }
    }
    Ok(())
}

fn floor_main(args: &FloorArgs) -> anyhow::Result<()> {
    // Built as the server's runtime is: one worker per core.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(async {
        let listener = floor::bind(args.listen).await?;
        println!("floor listening on http://{}", listener.local_addr()?);
        floor::serve(listener).await;
        anyhow::Ok(())
    })
}

fn startup_main(args: &StartupArgs) -> anyhow::Result<()> {
    let (program, rest) = args
        .command
        .split_first()
        .context("no server command given")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let mut firsts = Vec::new();
    for run in 0..args.runs.max(1) {
        let started = Instant::now();
        let mut child = Command::new(program)
            .args(rest)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {program}"))?;
        let result = (|| -> anyhow::Result<(Duration, Option<rss::Rss>)> {
            let stdout = child.stdout.take().context("no stdout")?;
            let mut lines = BufReader::new(stdout).lines();
            let endpoint = loop {
                let line = lines
                    .next()
                    .context("the server exited before printing its address")??;
                if let Some(url) = line.split_whitespace().find(|w| w.starts_with("http://")) {
                    break target::parse_endpoint(url).map_err(anyhow::Error::msg)?;
                }
                if started.elapsed() > Duration::from_secs(10) {
                    anyhow::bail!("no address printed within 10 s");
                }
            };
            // Keep draining stdout so the server never blocks on a full pipe.
            std::thread::spawn(move || for _ in lines {});
            let first = runtime.block_on(first_answer(&endpoint, started))?;
            std::thread::sleep(seconds(args.idle, "--idle")?);
            Ok((first, rss::read(child.id())))
        })();
        let _ = child.kill();
        let _ = child.wait();
        let (first, idle) = result?;
        println!(
            "run {}: first answered GetCallerIdentity {:.1} ms after spawn; idle RSS {}",
            run + 1,
            first.as_secs_f64() * 1000.0,
            report::format_kib(idle.map(|r| r.current_kib))
        );
        firsts.push(first);
    }
    firsts.sort_unstable();
    if let Some(median) = firsts.get(firsts.len() / 2) {
        println!(
            "median start to first answer: {:.1} ms",
            median.as_secs_f64() * 1000.0
        );
    }
    Ok(())
}

/// Sends signed GetCallerIdentity calls until one answers 200; the time since `started`.
async fn first_answer(endpoint: &target::Endpoint, started: Instant) -> anyhow::Result<Duration> {
    let body = "Action=GetCallerIdentity&Version=2011-06-15";
    let call = Call {
        method: "POST",
        path: "/".into(),
        query: String::new(),
        service: "sts",
        content_type: Some("application/x-www-form-urlencoded; charset=utf-8"),
        payload_hash: roleplay_sigv4::sha256_hex(body.as_bytes()),
        content_length: body.len() as u64,
    };
    let keys = Keys {
        id: ALICE_ID.into(),
        secret: ALICE_SECRET.into(),
    };
    loop {
        let headers = client::sign(
            &call,
            &endpoint.host,
            &keys,
            "us-east-1",
            time::OffsetDateTime::now_utc(),
        )?;
        let req = client::request(
            &call,
            &endpoint.host,
            &headers,
            Full::new(Bytes::from(body)),
        )?;
        if let Ok((200, _)) = client::Conn::new(endpoint.addr).send(req).await {
            return Ok(started.elapsed());
        }
        if started.elapsed() > Duration::from_secs(10) {
            anyhow::bail!("no answer within 10 s");
        }
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
}
