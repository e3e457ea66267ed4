//! `roleplay`: a local AWS where IAM is real. `roleplay serve` runs the server; `roleplay
//! doctor` checks the aws configuration and its profile chains; the client commands (`sts`,
//! `iam`, `configure`, `exec`) live in `roleplay-cli` and are dispatched from here.

mod demo;

use anyhow::{Context as _, Result, bail};
use clap::{Parser, Subcommand};
use roleplay_engine::Engine;
use roleplay_engine::decisions::{DecisionLog, LogLocation};
use roleplay_engine::scenario::{BUILT_IN, Scenario};
use roleplay_engine::session::TokenKey;
use roleplay_server::{AppState, Clock, SecureRandom, Timeouts, build_app, serve};
use roleplay_sigv4::KeyCache;
use roleplay_store::{BlobStore, SqliteStore, Store};
use roleplay_types::IdGen;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

// A request allocates and frees many small values across threads (hyper's buffers, the
// decision log's records); jemalloc keeps those off glibc's locked, consolidating paths
// and returns what a burst took, where per-thread heaps would keep it.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser, Debug)]
#[command(name = "roleplay", version, about = "A local AWS where IAM is real")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the IAM, STS and S3 server.
    Serve(ServeArgs),
    /// Check ~/.aws/config, ~/.aws/credentials and every profile chain (offline; `--live`
    /// tries each hop against the endpoint).
    Doctor(DoctorArgs),
    /// AWS STS, as the aws CLI: `roleplay sts get-caller-identity --profile P`.
    #[command(disable_help_flag = true)]
    Sts(ClientArgs),
    /// AWS IAM, as the aws CLI: `roleplay iam list-users --profile P`.
    #[command(disable_help_flag = true)]
    Iam(ClientArgs),
    /// Walk through the how-to against an in-memory server in this process.
    Demo,
    /// Amazon S3, as the aws CLI's high-level commands: `roleplay s3 ls s3://bucket --profile P`.
    #[command(disable_help_flag = true)]
    S3(ClientArgs),
    /// Amazon S3's API, as the aws CLI's `s3api`: `roleplay s3api get-object --bucket B --key K out`.
    #[command(name = "s3api", disable_help_flag = true)]
    S3api(ClientArgs),
    /// `roleplay configure export-credentials --profile P --format env|process|...`.
    #[command(disable_help_flag = true)]
    Configure(ClientArgs),
    /// Run a program with a profile's credentials: `roleplay exec --profile P -- CMD ARGS...`.
    #[command(disable_help_flag = true)]
    Exec(ClientArgs),
    /// Why a request was allowed or denied (`roleplay explain REQUEST_ID`), or whether a
    /// profile's identity would be (`roleplay explain --profile P ACTION [RESOURCE]`).
    #[command(disable_help_flag = true)]
    Explain(ClientArgs),
}

/// The aws CLI's own syntax, parsed by `roleplay-cli`.
#[derive(clap::Args, Debug)]
struct ClientArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
    args: Vec<String>,
}

#[derive(clap::Args, Debug)]
struct DoctorArgs {
    /// Check only this profile's chain.
    #[arg(long)]
    profile: Option<String>,
    /// Also try each chain against its endpoint: the source keys, then every hop's
    /// AssumeRole (nothing is cached), with the service's reason for a refusal.
    #[arg(long)]
    live: bool,
}

#[derive(clap::Args, Debug)]
struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:4566")]
    listen: SocketAddr,
    /// Folder of the embedded store.
    #[arg(long, default_value = "roleplay-data")]
    data_dir: PathBuf,
    /// Keep all state in memory; nothing survives the process.
    #[arg(long)]
    in_memory: bool,
    /// Scenario file (TOML) declaring accounts, users, roles and policies; without it, the
    /// built-in cross-account scenario.
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// Let `POST /_roleplay/clock?advance=SECONDS` move the server's clock (tests only).
    #[arg(long, hide = true)]
    clock_control: bool,
    /// Seconds a client may leave its connection idle mid-request (head, body, or an unread
    /// response) before it is closed; S3's is about 20.
    #[arg(long, hide = true, default_value_t = 20.0)]
    io_timeout: f64,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve_command(args),
        Command::Doctor(args) => return doctor_command(&args),
        Command::Sts(a) => return client("sts", &a),
        Command::Iam(a) => return client("iam", &a),
        Command::S3(a) => return client("s3", &a),
        Command::S3api(a) => return client("s3api", &a),
        Command::Demo => demo::run(),
        Command::Configure(a) => return client("configure", &a),
        Command::Exec(a) => return client("exec", &a),
        Command::Explain(a) => return client("explain", &a),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("roleplay: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

fn client(command: &str, args: &ClientArgs) -> std::process::ExitCode {
    let code = roleplay_cli::cmd::run(command, &args.args);
    std::process::ExitCode::from(u8::try_from(code).unwrap_or(255))
}

/// `roleplay doctor`, run by the client crate.
fn doctor_command(args: &DoctorArgs) -> std::process::ExitCode {
    let code = roleplay_cli::cmd::doctor::run(args.profile.as_deref(), args.live);
    std::process::ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// The server key that seals session tokens, kept beside the store so sessions survive a
/// restart.
fn token_key(data_dir: Option<&Path>, ids: &dyn IdGen) -> Result<TokenKey> {
    let Some(dir) = data_dir else {
        return Ok(TokenKey::generate(ids).1);
    };
    let path = dir.join("server.key");
    match std::fs::read(&path) {
        Ok(bytes) => {
            let master: [u8; 32] = bytes
                .as_slice()
                .try_into()
                .with_context(|| format!("{} is not a 32-byte key", path.display()))?;
            Ok(TokenKey::from_master(&master))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let (master, key) = TokenKey::generate(ids);
            let tmp = dir.join("server.key.tmp");
            {
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create(true).truncate(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let mut f = options
                    .open(&tmp)
                    .with_context(|| format!("creating {}", tmp.display()))?;
                f.write_all(&master)?;
                f.sync_all()?;
            }
            std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
            Ok(key)
        }
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

fn load_scenario(path: Option<&Path>) -> Result<(Scenario, bool)> {
    let (text, name) = match path {
        Some(p) => (
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?,
            p.display().to_string(),
        ),
        None => (BUILT_IN.to_owned(), "built-in scenario".to_owned()),
    };
    match Scenario::parse(&text) {
        Ok(s) => Ok((s, path.is_none())),
        Err(errors) => {
            for e in &errors {
                eprintln!("{name}:{}: {}", e.line, e.message);
            }
            bail!("the scenario is invalid; nothing was applied")
        }
    }
}

fn serve_command(args: ServeArgs) -> Result<()> {
    let (log, _flush_log) =
        roleplay_server::log::BatchedLog::stderr().context("starting the request log")?;
    tracing_subscriber::fmt()
        .event_format(roleplay_server::log::JsonLines)
        .with_writer(log)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let (scenario, built_in) = load_scenario(args.scenario.as_deref())?;
    let data_dir = (!args.in_memory).then_some(args.data_dir.as_path());
    let (state, timeouts) = build_state(&scenario, data_dir, args.clock_control, args.io_timeout)?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("listening on {}", args.listen))?;
        let addr = listener.local_addr()?;
        let mut out = std::io::stdout().lock();
        writeln!(out, "roleplay listening on http://{addr}")?;
        if built_in {
            writeln!(out, "{}", profile_lines(addr))?;
        }
        out.flush()?;
        drop(out);
        serve(listener, build_app(state), timeouts, shutdown_signal()).await?;
        Ok(())
    })
}

/// The server's state for a scenario: the store and blobs in `data_dir` (in memory without
/// one), the engine with the scenario applied, the decision log.
fn build_state(
    scenario: &Scenario,
    data_dir: Option<&Path>,
    clock_control: bool,
    io_timeout: f64,
) -> Result<(Arc<AppState>, Timeouts)> {
    let ids: Arc<dyn IdGen> =
        Arc::new(SecureRandom::new().context("seeding from the system's random source")?);
    let store: Arc<dyn Store> = match data_dir {
        None => Arc::new(SqliteStore::open_in_memory().context("opening the in-memory store")?),
        Some(dir) => Arc::new(
            SqliteStore::open(dir)
                .with_context(|| format!("opening the store in {}", dir.display()))?,
        ),
    };
    let tokens = token_key(data_dir, ids.as_ref())?;
    let blobs = match data_dir {
        Some(dir) => BlobStore::on_disk(dir)
            .with_context(|| format!("opening the object store in {}", dir.display()))?,
        None => BlobStore::in_memory(),
    };
    // Bodies written before a crash but never committed are removed before serving.
    let swept = blobs
        .sweep_orphans(store.as_ref())
        .context("sweeping orphaned object bodies")?;
    if swept.removed > 0 {
        eprintln!("roleplay: removed {} orphaned object bodies", swept.removed);
    }
    let clock = Arc::new(Clock::default());
    let engine = Engine::new(store, ids.clone(), tokens, clock.now())
        .map_err(|e| anyhow::anyhow!("starting the engine: {e}"))?
        .with_blobs(blobs);
    engine
        .apply_scenario(scenario, clock.now())
        .map_err(|e| anyhow::anyhow!("applying the scenario: {e}"))?;
    let timeouts = Timeouts::uniform(
        std::time::Duration::try_from_secs_f64(io_timeout)
            .ok()
            .filter(|d| !d.is_zero())
            .context("--io-timeout must be a positive number of seconds")?,
    );
    let location = match data_dir {
        Some(dir) => LogLocation::files(dir),
        None => LogLocation::memory(),
    };
    let engine =
        engine.with_decision_log(DecisionLog::open(location).context("opening the decision log")?);
    let state = Arc::new(AppState {
        engine: Arc::new(engine),
        keys: KeyCache::default(),
        clock,
        ids,
        clock_control,
    });
    Ok((state, timeouts))
}

/// The `~/.aws` lines that use the built-in scenario, as the how-to writes them.
fn profile_lines(addr: SocketAddr) -> String {
    format!(
        r#"
Built-in scenario: account A 123123123123 (user alice), account B 345345345345 (role accounta).
Put these lines in ~/.aws/credentials:

[account-a]
aws_access_key_id = AKIARZKVVYOZRFFXKTQN
aws_secret_access_key = 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

and these in ~/.aws/config:

[profile account-a]
region = us-east-1
endpoint_url = http://{addr}

[profile accountb]
role_arn = arn:aws:iam::345345345345:role/accounta
source_profile = account-a
region = us-east-1
endpoint_url = http://{addr}

then: aws sts get-caller-identity --profile accountb
      aws s3 ls s3://account-b-data --recursive --profile accountb"#
    )
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
