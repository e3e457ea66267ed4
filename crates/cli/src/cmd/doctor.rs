//! `roleplay doctor [--profile P] [--live]`: the offline checks of [`crate::doctor`], then,
//! with `--live`, each profile's chain tried against its endpoint: who the base keys are,
//! then one AssumeRole per hop (bypassing the cache, writing nothing), stopping at the first
//! refusal with the service's own text (roleplay's says which policy refuses and why).

use crate::aws::{OsIo, Session};
use crate::doctor::{Report, Severity};
use crate::os::{OsEnv, OsFs};
use crate::{Args, Env as _};
use std::io::Write as _;

/// Prints one line per finding; returns 1 when something is broken.
pub fn run(profile: Option<&str>, live: bool) -> i32 {
    let mut report = crate::doctor::check(&OsEnv, &OsFs, profile, time::OffsetDateTime::now_utc());
    if live {
        live_checks(profile, &mut report);
    }
    let mut out = std::io::stdout().lock();
    for finding in &report.findings {
        let _ = writeln!(out, "{finding}");
    }
    i32::from(report.broken())
}

fn live_checks(profile: Option<&str>, report: &mut Report) {
    let config = crate::config::load(&OsEnv, &OsFs);
    let names: Vec<String> = match profile {
        Some(p) => vec![p.to_owned()],
        None => config.profiles.keys().cloned().collect(),
    };
    let io = OsIo::new(OsEnv.home(), false);
    for name in names {
        let args = Args {
            profile: Some(name.clone()),
            ..Args::default()
        };
        // A profile that does not resolve is already reported by the offline checks.
        let Ok(session) = Session::new(&OsEnv, &OsFs, &io, args) else {
            continue;
        };
        check_chain(&session, &name, report);
    }
}

fn check_chain(session: &Session<'_>, name: &str, report: &mut Report) {
    let mut current = match session.base_credentials() {
        Ok(c) => c,
        Err(e) => {
            report.push(Severity::Error, format!("profile {name}: live: {e}"));
            return;
        }
    };
    match session.whoami(&current) {
        Ok(arn) => report.push(
            Severity::Ok,
            format!("profile {name}: live: the source keys are {arn}"),
        ),
        Err(e) => {
            report.push(
                Severity::Error,
                format!("profile {name}: live: the source keys: {e}"),
            );
            return;
        }
    }
    for (i, hop) in session.resolved().chain.hops.iter().enumerate() {
        match session.try_hop(hop, &current, "roleplay-doctor") {
            Ok((next, arn)) => {
                report.push(
                    Severity::Ok,
                    format!(
                        "profile {name}: live: hop {} may assume {} (as {arn})",
                        i + 1,
                        hop.role_arn
                    ),
                );
                current = next;
            }
            Err(e) => {
                report.push(
                    Severity::Error,
                    format!(
                        "profile {name}: live: hop {} to {} (profile {}) is refused: {e}",
                        i + 1,
                        hop.role_arn,
                        hop.profile
                    ),
                );
                return;
            }
        }
    }
}
