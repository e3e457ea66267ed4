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

/// Runs a `credential_process` command line (split as botocore splits it) and judges its
/// output; the error is botocore's text where it has one.
pub fn run_process(
    command: &str,
    profile_account_id: Option<&str>,
) -> Result<crate::process::ProcessCredentials, String> {
    let argv = crate::process::argv(command)
        .ok_or_else(|| format!("credential_process cannot be split: {command}"))?;
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| "credential_process is empty".to_owned())?;
    let out = std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("credential_process {program}: {e}"))?;
    crate::process::parse_output(
        out.status.success(),
        &out.stdout,
        &out.stderr,
        profile_account_id,
    )
}
