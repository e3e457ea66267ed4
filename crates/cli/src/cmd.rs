//! The aws-compatible commands: the aws CLI's global options, exit codes and error texts;
//! `sts` and `iam` driven by the service models (`service`), `s3api` by S3's (`s3api`), the output formats (`output`),
//! and what the aws CLI lacks (`export`: `configure export-credentials`, `exec`).

mod args;
pub mod doctor;
mod explain;
mod export;
mod output;
mod s3;
mod s3api;
mod service;
mod shorthand;
mod table;

pub use args::Globals;

use crate::aws::{CallError, OsIo, Session};
use crate::os::{OsEnv, OsFs};
use crate::{Args, Env as _};

/// Exit status of a service or client error (the aws CLI v1's).
pub const EXIT_ERROR: i32 = 255;
/// Exit status of a command line that does not parse (argparse's).
pub const EXIT_USAGE: i32 = 2;

/// Runs `roleplay COMMAND ARGS...` for a client command (`sts`, `iam`, `configure`, `exec`)
/// and returns the exit status. Output goes to stdout, errors to stderr, as the aws CLI's.
pub fn run(command: &str, argv: &[String]) -> i32 {
    let (globals, rest) = match args::Globals::parse(argv) {
        Ok(v) => v,
        Err(e) => return usage_error(&e),
    };
    let mut io = OsIo::new(OsEnv.home(), globals.debug);
    if globals.connect_timeout.is_some() || globals.read_timeout.is_some() {
        let secs =
            |v: Option<u64>| std::time::Duration::from_secs(v.filter(|s| *s > 0).unwrap_or(60));
        io.agent =
            crate::aws::http::Agent::new(secs(globals.connect_timeout), secs(globals.read_timeout));
    }
    match command {
        "exec" => export::exec(&globals, &rest, &io),
        "configure" => export::configure(&globals, &rest, &io),
        "explain" => explain::run(&globals, &rest, &io),
        "s3" => s3::run(&globals, &rest, &io),
        "s3api" => s3api::run(&globals, &rest, &io),
        service => service::run(service, &globals, &rest, &io),
    }
}

/// The session for the global options.
fn session<'a>(globals: &Globals, io: &'a OsIo) -> Result<Session<'a>, CallError> {
    Session::new(
        &OsEnv,
        &OsFs,
        io,
        Args {
            profile: globals.profile.clone(),
            region: globals.region.clone(),
            endpoint_url: globals.endpoint_url.clone(),
        },
    )
    .map(|s| {
        if globals.no_sign_request {
            s.unsigned()
        } else {
            s
        }
    })
}

/// Prints an error as the aws CLI does (a blank line, then the text) and returns 255.
fn fail(e: &dyn std::fmt::Display) -> i32 {
    eprintln!("\n{e}");
    EXIT_ERROR
}

/// The aws CLI's argparse failure: the usage lines, then the error; exit 2.
fn usage_error(message: &str) -> i32 {
    eprintln!("{}\nroleplay: error: {message}", usage());
    EXIT_USAGE
}

fn usage() -> &'static str {
    "usage: roleplay [options] <command> <subcommand> [<subcommand> ...] [parameters]\n\
     To see help text, you can run:\n\n  roleplay --help\n  roleplay <command> <subcommand> --help\n"
}
