//! The `roleplay` client's foundation: profile and credential resolution exactly like
//! botocore (the AWS CLI v1's engine), endpoint and region resolution, the aws CLI's
//! credential cache, and `doctor`'s checks.
//!
//! Stages (`config/`): `source` finds and reads the files through the [`Env`] and [`Fs`]
//! traits; `parse` is Python's `RawConfigParser` as botocore uses it; `normalize` builds the
//! profile maps (`[profile x]` versus `[x]`, the credentials file overlaid on the config);
//! `resolve` turns the selected profile into a [`Chain`]: base credentials plus role hops.
//! [`aws`] executes chains and calls services (its session takes the world through a trait).
//! Everything but [`os`], `cache::disk` and the `aws` transport is pure: no clock, no
//! environment, no files.

pub mod aws;
pub mod cache;
pub mod cmd;
pub mod config;
pub mod doctor;
pub mod os;
pub mod process;
mod python;

pub use config::resolve::{Base, Chain, Hop, StaticSource};
pub use config::{Args, Config, Error, Resolved, load, resolve};

/// The environment, as a value. `OsEnv` is the real one; tests pass maps.
pub trait Env {
    /// The variable's value; `None` when unset (an empty value is `Some("")`).
    fn var(&self, name: &str) -> Option<String>;
    /// The home folder, as `~` expands (Python's `expanduser`: `HOME`, then the password
    /// database).
    fn home(&self) -> Option<String> {
        self.var("HOME")
    }
}

/// The file system, read-only, as the resolver needs it.
pub trait Fs {
    /// The bytes of a regular file. `Ok(None)` when there is no file at `path` (botocore
    /// treats a missing config file as empty); `Err` for a file that exists but cannot be
    /// read (botocore also treats it as empty; `doctor` reports it).
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, String>;
}

impl Env for std::collections::BTreeMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

impl Fs for std::collections::BTreeMap<String, String> {
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, String> {
        Ok(self.get(path).map(|s| s.as_bytes().to_vec()))
    }
}
