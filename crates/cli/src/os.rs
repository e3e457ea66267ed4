//! The real environment and file system behind [`Env`] and [`Fs`].
#![allow(
    clippy::disallowed_methods,
    reason = "the one place the real ones are used"
)]

use crate::{Env, Fs};

/// The process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsEnv;

impl Env for OsEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }

    fn home(&self) -> Option<String> {
        std::env::var("HOME")
            .ok()
            .or_else(|| std::env::home_dir().map(|p| p.display().to_string()))
    }
}

/// The real file system.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsFs;

impl Fs for OsFs {
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, String> {
        let p = std::path::Path::new(path);
        if !p.is_file() {
            return Ok(None);
        }
        std::fs::read(p).map(Some).map_err(|e| e.to_string())
    }
}
