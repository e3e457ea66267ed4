//! `credential_process`: the command line as botocore splits it (`shlex.split`) and its
//! output judged as botocore's `ProcessProvider` judges it, with its error texts. Running the
//! program is `os::run_process`.

use crate::python;
use serde_json::Value;

/// Credentials a process printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    /// `Expiration` as printed; when present the credentials are refreshed by running the
    /// process again.
    pub expiration: Option<String>,
    /// `AccountId`, else the profile's `aws_account_id`.
    pub account_id: Option<String>,
}

/// The program and its arguments; `None` where Python's `shlex.split` raises.
pub fn argv(command: &str) -> Option<Vec<String>> {
    python::shlex_split(command)
}

fn retrieval_error(message: &str) -> String {
    format!("Error when retrieving credentials from custom-process: {message}")
}

/// Judges a finished process: its exit status, standard output and standard error.
pub fn parse_output(
    success: bool,
    stdout: &[u8],
    stderr: &[u8],
    profile_account_id: Option<&str>,
) -> Result<ProcessCredentials, String> {
    if !success {
        return Err(retrieval_error(&String::from_utf8_lossy(stderr)));
    }
    let parsed: Value = serde_json::from_slice(stdout)
        .map_err(|e| format!("credential_process printed no JSON: {e}"))?;
    let Some(object) = parsed.as_object() else {
        return Err("credential_process printed JSON that is not an object".to_owned());
    };
    let version_ok = match object.get("Version") {
        Some(Value::Number(n)) => n.as_f64() == Some(1.0),
        Some(Value::Bool(b)) => *b,
        _ => false,
    };
    if !version_ok {
        let shown = match object.get("Version") {
            None => "<Version key not provided>".to_owned(),
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) => "None".to_owned(),
            Some(Value::Bool(false)) => "False".to_owned(),
            Some(other) => other.to_string(),
        };
        return Err(retrieval_error(&format!(
            "Unsupported version '{shown}' for credential process provider, supported versions: 1"
        )));
    }
    let text = |key: &str| match object.get(key) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Null) | None => None,
        Some(other) => Some(other.to_string()),
    };
    let required = |key: &str| {
        if object.contains_key(key) {
            Ok(text(key).unwrap_or_default())
        } else {
            Err(retrieval_error(&format!(
                "Missing required key in response: '{key}'"
            )))
        }
    };
    let access_key_id = required("AccessKeyId")?;
    let secret_access_key = required("SecretAccessKey")?;
    Ok(ProcessCredentials {
        access_key_id,
        secret_access_key,
        session_token: text("SessionToken"),
        expiration: text("Expiration"),
        account_id: text("AccountId")
            .filter(|a| !a.is_empty())
            .or_else(|| profile_account_id.map(str::to_owned)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_output() {
        let out = br#"{"Version": 1, "AccessKeyId": "AKIAX", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": "2026-11-27T23:00:00Z"}"#;
        let c = parse_output(true, out, b"", Some("123123123123")).unwrap();
        assert_eq!(c.access_key_id, "AKIAX");
        assert_eq!(c.session_token.as_deref(), Some("t"));
        assert_eq!(c.expiration.as_deref(), Some("2026-11-27T23:00:00Z"));
        assert_eq!(c.account_id.as_deref(), Some("123123123123"));
    }

    #[test]
    fn botocore_texts() {
        assert_eq!(
            parse_output(false, b"", b"boom\n", None).unwrap_err(),
            "Error when retrieving credentials from custom-process: boom\n"
        );
        assert_eq!(
            parse_output(true, br#"{"AccessKeyId": "A"}"#, b"", None).unwrap_err(),
            "Error when retrieving credentials from custom-process: Unsupported version '<Version key not provided>' for credential process provider, supported versions: 1"
        );
        assert_eq!(
            parse_output(true, br#"{"Version": 2}"#, b"", None).unwrap_err(),
            "Error when retrieving credentials from custom-process: Unsupported version '2' for credential process provider, supported versions: 1"
        );
        assert_eq!(
            parse_output(
                true,
                br#"{"Version": 1, "SecretAccessKey": "s"}"#,
                b"",
                None
            )
            .unwrap_err(),
            "Error when retrieving credentials from custom-process: Missing required key in response: 'AccessKeyId'"
        );
        assert_eq!(
            parse_output(true, br#"{"Version": 1, "AccessKeyId": "a"}"#, b"", None).unwrap_err(),
            "Error when retrieving credentials from custom-process: Missing required key in response: 'SecretAccessKey'"
        );
    }

    #[test]
    fn command_lines_split_as_shlex() {
        assert_eq!(
            argv("get-creds --name 'a b' \"c\\\"d\"").unwrap(),
            ["get-creds", "--name", "a b", "c\"d"]
        );
        assert_eq!(argv("broken 'quote"), None);
    }
}
