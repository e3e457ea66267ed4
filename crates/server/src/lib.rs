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

/// Random bytes for ids and secrets: each thread's ChaCha12 generator (`StdRng`), seeded
/// from the operating system and reseeded from it every 64 KiB of output. That is a
/// cryptographically secure source without a system call for every id (an AssumeRole needs
/// five: request id, key id, secret, token nonce, log).
///
/// It never panics on a request's thread (as `rand::rng()` does when the system refuses a
/// seed): a thread the system refuses is seeded from the process's own generator, which
/// [`SecureRandom::new`] seeded from the system at start-up, and a refused reseed leaves the
/// thread's generator running on its current, still secret, state.
#[derive(Clone)]
pub struct SecureRandom {
    root: Arc<std::sync::Mutex<rand::rngs::StdRng>>,
}

impl std::fmt::Debug for SecureRandom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecureRandom").finish_non_exhaustive()
    }
}

/// Output after which a thread's generator takes a fresh seed.
const RESEED_AFTER: usize = 64 * 1024;

struct ThreadGen {
    rng: rand::rngs::StdRng,
    since_seed: usize,
}

thread_local! {
    static THREAD_GEN: std::cell::RefCell<Option<ThreadGen>> = const { std::cell::RefCell::new(None) };
}

impl SecureRandom {
    /// Seeds the process's generator from the operating system; fails if it cannot.
    pub fn new() -> Result<Self, rand::rngs::SysError> {
        let mut seed = [0u8; 32];
        rand::TryRng::try_fill_bytes(&mut rand::rngs::SysRng, &mut seed)?;
        Ok(Self {
            root: Arc::new(std::sync::Mutex::new(rand::SeedableRng::from_seed(seed))),
        })
    }

    /// A seed from `system`, or from the process's generator when `system` refuses.
    fn seed(&self, system: impl FnOnce(&mut [u8]) -> bool) -> [u8; 32] {
        let mut seed = [0u8; 32];
        if !system(&mut seed) {
            let mut root = self.root.lock().unwrap_or_else(|e| e.into_inner());
            rand::Rng::fill_bytes(&mut *root, &mut seed);
        }
        seed
    }

    fn fill_with(&self, buf: &mut [u8], system: impl Fn(&mut [u8]) -> bool) {
        THREAD_GEN.with_borrow_mut(|slot| {
            let local = slot.get_or_insert_with(|| ThreadGen {
                rng: rand::SeedableRng::from_seed(self.seed(&system)),
                since_seed: 0,
            });
            if local.since_seed >= RESEED_AFTER {
                let mut seed = [0u8; 32];
                if system(&mut seed) {
                    local.rng = rand::SeedableRng::from_seed(seed);
                }
                local.since_seed = 0;
            }
            rand::Rng::fill_bytes(&mut local.rng, buf);
            local.since_seed = local.since_seed.saturating_add(buf.len());
        });
    }
}

/// Fills `buf` from the operating system; `false` if it refused.
fn system_random(buf: &mut [u8]) -> bool {
    rand::TryRng::try_fill_bytes(&mut rand::rngs::SysRng, buf).is_ok()
}

impl IdGen for SecureRandom {
    fn fill(&self, buf: &mut [u8]) {
        self.fill_with(buf, system_random);
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;

    /// Bytes from a fresh thread (its generator not yet seeded), with the system's source
    /// answering `system_works`.
    fn from_a_fresh_thread(ids: &SecureRandom, system_works: bool, len: usize) -> Vec<u8> {
        let ids = ids.clone();
        std::thread::spawn(move || {
            let mut out = vec![0u8; len];
            for chunk in out.chunks_mut(1024) {
                ids.fill_with(chunk, |buf| system_works && system_random(buf));
            }
            out
        })
        .join()
        .unwrap()
    }

    #[test]
    fn threads_the_system_refuses_still_get_distinct_secret_bytes() {
        let ids = SecureRandom::new().unwrap();
        // Past the reseed point too: a refused reseed goes on, it does not panic.
        let len = 3 * RESEED_AFTER;
        let a = from_a_fresh_thread(&ids, false, len);
        let b = from_a_fresh_thread(&ids, false, len);
        let c = from_a_fresh_thread(&ids, true, len);
        assert_ne!(a, b, "two threads seeded from the process's generator");
        assert_ne!(a, c);
        for out in [&a, &b, &c] {
            let (head, tail) = out.split_at(RESEED_AFTER);
            assert_ne!(head.get(..32), tail.get(..32));
            assert!(out.chunks(32).all(|w| w.iter().any(|&x| x != 0)));
        }
        // Another process generator, another stream: nothing is fixed at build time.
        let other = from_a_fresh_thread(&SecureRandom::new().unwrap(), false, 32);
        assert_ne!(a.get(..32), other.get(..32));
    }

    #[test]
    fn ids_differ_from_call_to_call() {
        let ids = SecureRandom::new().unwrap();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..10_000 {
            let mut id = [0u8; 16];
            ids.fill(&mut id);
            assert!(seen.insert(id));
        }
    }
}
