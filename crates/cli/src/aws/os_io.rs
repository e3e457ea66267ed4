//! The real [`Io`]: the system clock, HTTP through [`Agent`], the aws CLI's cache folder, the
//! terminal for MFA codes, `credential_process` programs, `--debug` lines on stderr.
#![allow(clippy::disallowed_methods, reason = "the client's I/O")]

use crate::aws::http::{Agent, Request, Response, TransportError};
use crate::aws::session::Io;
use crate::cache::{Entry, disk};
use crate::process::ProcessCredentials;
use std::io::{BufRead as _, Write as _};
use std::path::PathBuf;
use time::OffsetDateTime;

pub struct OsIo {
    pub agent: Agent,
    /// `~/.aws/cli/cache`; `None` without a home folder.
    pub cache_dir: Option<PathBuf>,
    pub debug: bool,
}

impl OsIo {
    /// The real world for `home` (the cache lives under it).
    pub fn new(home: Option<String>, debug: bool) -> OsIo {
        OsIo {
            agent: Agent::default(),
            cache_dir: home.map(|h| disk::dir(std::path::Path::new(&h))),
            debug,
        }
    }
}

impl Io for OsIo {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    fn send(&self, request: &Request) -> Result<Response, TransportError> {
        self.agent.send(request)
    }

    fn send_to(
        &self,
        request: &Request,
        sink: &mut dyn std::io::Write,
    ) -> Result<Response, TransportError> {
        self.agent.send_to(request, sink)
    }

    fn cache_read(&self, key: &str) -> Option<Entry> {
        disk::read(self.cache_dir.as_deref()?, key)
    }

    fn cache_write(&self, key: &str, entry: &Entry) {
        if let Some(dir) = &self.cache_dir
            && let Err(e) = disk::write(dir, key, entry)
        {
            self.debug(&format!("cannot write the cache entry {key}: {e}"));
        }
    }

    fn mfa_code(&self, serial: &str) -> Result<String, String> {
        let prompt = format!("Enter MFA code for {serial}: ");
        // As getpass: the terminal when there is one, else standard input.
        if let Ok(tty) = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")
        {
            let mut writer = &tty;
            let _ = writer.write_all(prompt.as_bytes());
            let _ = writer.flush();
            let mut line = String::new();
            std::io::BufReader::new(&tty)
                .read_line(&mut line)
                .map_err(|e| format!("reading the MFA code: {e}"))?;
            return Ok(line.trim().to_owned());
        }
        eprint!("{prompt}");
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| format!("reading the MFA code: {e}"))?;
        Ok(line.trim().to_owned())
    }

    fn run_process(&self, command: &str) -> Result<ProcessCredentials, String> {
        crate::os::run_process(command, None)
    }

    fn debug(&self, line: &str) {
        if self.debug {
            let now = OffsetDateTime::now_utc()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default();
            eprintln!("{now} - roleplay - DEBUG - {line}");
        }
    }
}
