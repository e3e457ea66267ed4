//! The HTTP face of roleplay: one pipeline that gives every request an id, bounds its body,
//! authenticates it with SigV4, decodes it with the protocol of its service and hands it to
//! the engine. `build_app` returns the router; `serve` runs it until shutdown.
#![warn(missing_docs)]

mod conn;
mod iam;
pub mod log;
mod pipeline;
mod query;
mod s3;
mod sts;

use axum::Router;
pub use conn::{Timeouts, serve};
use roleplay_engine::Engine;
use roleplay_sigv4::KeyCache;
use roleplay_types::IdGen;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use time::OffsetDateTime;

/// Random bytes for ids and secrets: each thread's ChaCha12 generator, seeded from the
/// operating system and reseeded from it every 64 KiB of output (`rand::rng()`). That is a
/// cryptographically secure source, without a system call for every id: an AssumeRole
/// needs five (request id, key id, secret, token nonce, log).
#[derive(Debug, Default, Clone, Copy)]
pub struct SecureRandom;

impl IdGen for SecureRandom {
    fn fill(&self, buf: &mut [u8]) {
        rand::Rng::fill_bytes(&mut rand::rng(), buf);
    }
}

/// The clock of the server: system time (or a fixed instant, for byte-stable test output)
/// plus an offset that tests may move forward.
#[derive(Debug, Default)]
pub struct Clock {
    fixed: Option<OffsetDateTime>,
    offset_seconds: AtomicI64,
}

impl Clock {
    /// A clock standing at `t` until advanced.
    pub fn fixed(t: OffsetDateTime) -> Self {
        Self {
            fixed: Some(t),
            offset_seconds: AtomicI64::new(0),
        }
    }

    /// The current time.
    pub fn now(&self) -> OffsetDateTime {
        #[allow(clippy::disallowed_methods, reason = "the server owns the real clock")]
        let base = self.fixed.unwrap_or_else(OffsetDateTime::now_utc);
        base + time::Duration::seconds(self.offset_seconds.load(Ordering::Relaxed))
    }

    /// Moves the clock forward by `seconds`.
    pub fn advance(&self, seconds: i64) {
        self.offset_seconds.fetch_add(seconds, Ordering::Relaxed);
    }
}

/// What the request pipeline shares.
pub struct AppState {
    /// The operations.
    pub engine: Arc<Engine>,
    /// Derived SigV4 signing keys.
    pub keys: KeyCache,
    /// The clock.
    pub clock: Arc<Clock>,
    /// Request ids and other randomness.
    pub ids: Arc<dyn IdGen>,
    /// Whether `POST /_roleplay/clock?advance=SECONDS` may move the clock (tests only).
    pub clock_control: bool,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("clock_control", &self.clock_control)
            .finish_non_exhaustive()
    }
}

/// The router serving IAM, STS and the roleplay endpoints.
pub fn build_app(state: Arc<AppState>) -> Router {
    Router::new().fallback(pipeline::handle).with_state(state)
}
