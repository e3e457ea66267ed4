//! The aws CLI's assume-role credential cache (`~/.aws/cli/cache`), so that `roleplay` and
//! `aws` share cached sessions: the same file names (sha1 of Python's
//! `json.dumps(args, sort_keys=True)`), the same JSON (the AssumeRole response), the same
//! reuse rule (at least 15 minutes left). This module is pure; `disk` reads and writes.

pub mod disk;

use crate::config::resolve::Hop;
use crate::python;
use serde::{Deserialize, Serialize};
use sha1::{Digest as _, Sha1};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Cached entries are reused while at least this much time remains (botocore's
/// `DEFAULT_EXPIRY_WINDOW_SECONDS`).
pub const EXPIRY_WINDOW_SECONDS: i64 = 15 * 60;

/// The AssumeRole arguments that name a cache entry: `RoleArn`, and `RoleSessionName`,
/// `ExternalId`, `SerialNumber`, `DurationSeconds` when configured.
pub fn key_args(hop: &Hop) -> serde_json::Value {
    let mut args = serde_json::Map::new();
    args.insert("RoleArn".into(), hop.role_arn.clone().into());
    if let Some(v) = &hop.role_session_name {
        args.insert("RoleSessionName".into(), v.clone().into());
    }
    if let Some(v) = &hop.external_id {
        args.insert("ExternalId".into(), v.clone().into());
    }
    if let Some(v) = &hop.mfa_serial {
        args.insert("SerialNumber".into(), v.clone().into());
    }
    if let Some(v) = hop.duration_seconds {
        args.insert("DurationSeconds".into(), v.into());
    }
    serde_json::Value::Object(args)
}

/// The cache key of a set of AssumeRole arguments (`_create_cache_key`).
pub fn key_of(args: &serde_json::Value) -> String {
    let dumped = python::json_dumps_sorted(args);
    let digest = Sha1::digest(dumped.as_bytes());
    // `_make_file_safe`: a no-op for hex, kept for exactness.
    hex::encode(digest).replace([':', '/'], "_")
}

/// The cache key of a hop.
pub fn key(hop: &Hop) -> String {
    key_of(&key_args(hop))
}

/// The file name of a hop's entry.
pub fn file_name(hop: &Hop) -> String {
    format!("{}.json", key(hop))
}

/// A cache entry: the AssumeRole response as botocore parses it (field names as AWS's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Entry {
    pub credentials: Credentials,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assumed_role_user: Option<AssumedRoleUser>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packed_policy_size: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_metadata: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    /// As the aws CLI writes it: the raw text of the response (`2026-11-27T23:00:00Z`).
    pub expiration: String,
    /// Added by botocore from the assumed-role ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AssumedRoleUser {
    pub assumed_role_id: String,
    pub arn: String,
}

impl Entry {
    /// An entry for an AssumeRole response; the account id comes from the assumed-role ARN.
    pub fn new(credentials: Credentials, user: AssumedRoleUser, request_id: &str) -> Entry {
        let mut credentials = credentials;
        if credentials.account_id.is_none() {
            credentials.account_id = user.arn.split(':').nth(4).map(str::to_owned);
        }
        Entry {
            credentials,
            assumed_role_user: Some(user),
            packed_policy_size: None,
            response_metadata: Some(serde_json::json!({
                "RequestId": request_id,
                "HTTPStatusCode": 200,
                "HTTPHeaders": {},
                "RetryAttempts": 0,
            })),
        }
    }

    /// The expiry instant, if the text is a timestamp botocore would parse.
    pub fn expiration(&self) -> Option<OffsetDateTime> {
        OffsetDateTime::parse(&self.credentials.expiration, &Rfc3339).ok()
    }

    /// Reusable at `now`: at least 15 minutes remain (an unparsable expiry is not reused).
    pub fn is_fresh(&self, now: OffsetDateTime) -> bool {
        self.expiration()
            .is_some_and(|end| (end - now).whole_seconds() >= EXPIRY_WINDOW_SECONDS)
    }

    /// The JSON text as the aws CLI writes it (`json.dumps` with default separators).
    pub fn to_json(&self) -> String {
        python::dumps(self)
    }

    pub fn from_json(text: &str) -> Option<Entry> {
        serde_json::from_str(text).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hop(role_arn: &str) -> Hop {
        Hop {
            profile: "p".into(),
            role_arn: role_arn.into(),
            role_session_name: None,
            external_id: None,
            mfa_serial: None,
            duration_seconds: None,
        }
    }

    #[test]
    fn documented_example_file_name() {
        assert_eq!(
            file_name(&hop("arn:aws:iam::123456789012:role/CrossAccountRole")),
            "a906fd5df25d8daa2357fbaceaf8d610ffc69925.json"
        );
    }

    #[test]
    fn freshness_window() {
        let now = OffsetDateTime::parse("2026-11-27T22:00:00Z", &Rfc3339).unwrap();
        let entry = |exp: &str| Entry {
            credentials: Credentials {
                access_key_id: "ASIA".into(),
                secret_access_key: "s".into(),
                session_token: "t".into(),
                expiration: exp.into(),
                account_id: None,
            },
            assumed_role_user: None,
            packed_policy_size: None,
            response_metadata: None,
        };
        assert!(entry("2026-11-27T22:15:00Z").is_fresh(now));
        assert!(!entry("2026-11-27T22:14:59Z").is_fresh(now));
        assert!(entry("2026-11-27T22:15:00.000000+00:00").is_fresh(now));
        assert!(!entry("garbage").is_fresh(now));
    }
}
