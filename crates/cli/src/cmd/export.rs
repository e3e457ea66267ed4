//! What the aws CLI v1 lacks: `configure export-credentials` (the aws CLI v2's formats) and
//! `exec`, which runs a program with the resolved credentials in its environment.

use super::{Globals, fail, usage_error};
use crate::aws::{Credentials, OsIo, Session};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// `roleplay configure export-credentials [--format F]`.
pub fn configure(globals: &Globals, argv: &[String], io: &OsIo) -> i32 {
    let Some((sub, rest)) = argv.split_first() else {
        return usage_error("the following arguments are required: operation");
    };
    if sub != "export-credentials" {
        return usage_error(&format!(
            "argument operation: Invalid choice, valid choices are:\n\nexport-credentials\n(got '{sub}')"
        ));
    }
    let mut format = "process".to_owned();
    let mut it = rest.iter();
    while let Some(arg) = it.next() {
        match arg.strip_prefix("--format") {
            Some("") => match it.next() {
                Some(f) => format = f.clone(),
                None => return usage_error("argument --format: expected one argument"),
            },
            Some(inline) if inline.starts_with('=') => {
                format = inline.trim_start_matches('=').to_owned()
            }
            _ => {
                eprintln!("{}\nUnknown options: {arg}", super::usage());
                return super::EXIT_ERROR;
            }
        }
    }
    if !FORMATS.contains(&format.as_str()) {
        return usage_error(&format!(
            "argument --format: invalid choice: '{format}' (choose from {})",
            FORMATS.map(|f| format!("'{f}'")).join(", ")
        ));
    }
    let session = match super::session(globals, io) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    match session.credentials() {
        Ok(c) => {
            print!("{}", export(&format, c));
            0
        }
        Err(e) => fail(&e),
    }
}

const FORMATS: [&str; 6] = [
    "process",
    "json",
    "env",
    "env-no-export",
    "powershell",
    "windows-cmd",
];

/// The credentials in one of the aws CLI v2's `export-credentials` formats (`json` is the
/// `process` format under the name people look for).
pub fn export(format: &str, c: &Credentials) -> String {
    let expiry = c.expiration.as_deref().map(isoformat);
    let mut vars = vec![
        ("AWS_ACCESS_KEY_ID", c.access_key_id.clone()),
        ("AWS_SECRET_ACCESS_KEY", c.secret_access_key.clone()),
    ];
    if let Some(t) = &c.session_token {
        vars.push(("AWS_SESSION_TOKEN", t.clone()));
    }
    if let Some(e) = &expiry {
        vars.push(("AWS_CREDENTIAL_EXPIRATION", e.clone()));
    }
    let line = |k: &str, v: &str| match format {
        "env" => format!("export {k}={v}\n"),
        "env-no-export" => format!("{k}={v}\n"),
        "powershell" => format!("$Env:{k}=\"{v}\"\n"),
        _ => format!("set {k}={v}\n"),
    };
    match format {
        "process" | "json" => {
            let mut members = vec![
                ("Version", serde_json::Value::from(1)),
                ("AccessKeyId", c.access_key_id.clone().into()),
                ("SecretAccessKey", c.secret_access_key.clone().into()),
            ];
            if let Some(t) = &c.session_token {
                members.push(("SessionToken", t.clone().into()));
            }
            if let Some(e) = expiry {
                members.push(("Expiration", e.into()));
            }
            let body: Vec<String> = members
                .iter()
                .map(|(k, v)| format!("  \"{k}\": {v}"))
                .collect();
            format!("{{\n{}\n}}\n", body.join(",\n"))
        }
        _ => vars.iter().map(|(k, v)| line(k, v)).collect(),
    }
}

/// An expiry as Python's `datetime.isoformat()` prints it (`2026-11-28T00:20:41+00:00`).
fn isoformat(text: &str) -> String {
    match OffsetDateTime::parse(text, &Rfc3339) {
        Ok(t) => {
            let t = t.to_offset(time::UtcOffset::UTC);
            let base = t
                .format(time::macros::format_description!(
                    "[year]-[month]-[day]T[hour]:[minute]:[second]"
                ))
                .unwrap_or_default();
            match t.microsecond() {
                0 => format!("{base}+00:00"),
                micros => format!("{base}.{micros:06}+00:00"),
            }
        }
        Err(_) => text.to_owned(),
    }
}

/// `roleplay exec [--profile P] -- COMMAND ARGS...`: the program runs with the chain's
/// credentials (and the region and endpoint, when known) in its environment; its exit status
/// is returned.
pub fn exec(globals: &Globals, argv: &[String], io: &OsIo) -> i32 {
    let command: &[String] = match argv.split_first() {
        Some((first, rest)) if first == "--" => rest,
        _ => argv,
    };
    let Some((program, args)) = command.split_first() else {
        return usage_error("the following arguments are required: COMMAND");
    };
    let session = match super::session(globals, io) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let credentials = match session.credentials() {
        Ok(c) => c.clone(),
        Err(e) => return fail(&e),
    };
    let mut cmd = std::process::Command::new(program);
    cmd.args(args);
    for (k, v) in exec_env(&session, &credentials) {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    match cmd.status() {
        Ok(status) => status.code().unwrap_or_else(|| {
            #[cfg(unix)]
            {
                std::os::unix::process::ExitStatusExt::signal(&status).map_or(1, |s| 128 + s)
            }
            #[cfg(not(unix))]
            {
                1
            }
        }),
        Err(e) => fail(&format!("{program}: {e}")),
    }
}

/// The variables set (`Some`) or removed (`None`) for the program.
fn exec_env(session: &Session<'_>, c: &Credentials) -> Vec<(&'static str, Option<String>)> {
    let mut vars = vec![
        ("AWS_ACCESS_KEY_ID", Some(c.access_key_id.clone())),
        ("AWS_SECRET_ACCESS_KEY", Some(c.secret_access_key.clone())),
        ("AWS_SESSION_TOKEN", c.session_token.clone()),
        ("AWS_SECURITY_TOKEN", None),
        (
            "AWS_CREDENTIAL_EXPIRATION",
            c.expiration.as_deref().map(isoformat),
        ),
        // The credentials are the answer; a profile would compete with them.
        ("AWS_PROFILE", None),
        ("AWS_DEFAULT_PROFILE", None),
    ];
    if let Some(r) = session.region() {
        vars.push(("AWS_REGION", Some(r.to_owned())));
        vars.push(("AWS_DEFAULT_REGION", Some(r.to_owned())));
    }
    if let Ok(Some(url)) = session.configured_endpoint("sts") {
        vars.push(("AWS_ENDPOINT_URL", Some(url)));
    }
    vars
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_as_the_aws_cli_v2() {
        let c = Credentials {
            access_key_id: "ASIA1".into(),
            secret_access_key: "s".into(),
            session_token: Some("t".into()),
            expiration: Some("2026-11-28T00:20:41Z".into()),
        };
        assert_eq!(
            export("process", &c),
            "{\n  \"Version\": 1,\n  \"AccessKeyId\": \"ASIA1\",\n  \"SecretAccessKey\": \"s\",\n  \"SessionToken\": \"t\",\n  \"Expiration\": \"2026-11-28T00:20:41+00:00\"\n}\n"
        );
        assert_eq!(
            export("env", &c),
            "export AWS_ACCESS_KEY_ID=ASIA1\nexport AWS_SECRET_ACCESS_KEY=s\nexport AWS_SESSION_TOKEN=t\nexport AWS_CREDENTIAL_EXPIRATION=2026-11-28T00:20:41+00:00\n"
        );
        assert_eq!(
            export("powershell", &c).lines().next(),
            Some("$Env:AWS_ACCESS_KEY_ID=\"ASIA1\"")
        );
    }
}
