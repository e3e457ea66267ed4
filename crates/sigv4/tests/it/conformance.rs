//! The AWS SigV4 signing suite, read in place from `shared/conformance`.
//!
//! Every case is run through our signer on `request.txt` + `context.json`
//! and compared stage by stage (canonical request, string to sign,
//! signature) for header and query signing; every signed request is then
//! verified by our verifier. All mismatches are collected and reported together.
//!
//! Settings per case:
//! - With `context.json` (the CRT v4 corpus): its expected canonical URIs
//!   are one encoding pass of the request path (`get-space-normalized` sends
//!   `%20` and expects `%20`; `get-utf8` sends raw UTF-8 and expects
//!   `%E1%88%B4`), so these run with [`UriEncoding::Single`] and
//!   `normalize_path` from the context's `normalize` flag.
//! - Without `context.json` (`double-encode-path`, `double-url-encode`, the
//!   smithy-rs double-encoding cases): [`SigningSettings::QUERY`]; the time
//!   comes from the `x-amz-date` line of the expected canonical request and
//!   the scope from the expected string to sign when there is one.

#![allow(clippy::disallowed_methods, reason = "tests read the suite from disk")]

use std::path::{Path, PathBuf};

use roleplay_sigv4::{
    Credentials, Dialect, KeyCache, SessionTokenMode, SigningParams, SigningSettings, UriEncoding,
    parse, presign_request, sha256_hex, sign_request, verify,
};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::support::{RawRequest, SECRET, amz};

const SUITE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/conformance/sigv4-test-suite"
);

struct Case {
    name: String,
    dir: PathBuf,
    request: RawRequest,
    access_key_id: String,
    secret: String,
    token: Option<String>,
    token_mode: SessionTokenMode,
    region: String,
    service: String,
    time: OffsetDateTime,
    expires: u32,
    settings: SigningSettings,
    has_context: bool,
}

impl Case {
    fn read(&self, file: &str) -> Option<String> {
        std::fs::read_to_string(self.dir.join(file)).ok()
    }

    fn credentials(&self) -> Credentials<'_> {
        Credentials {
            access_key_id: &self.access_key_id,
            secret_access_key: &self.secret,
            session_token: self.token.as_deref(),
        }
    }

    fn params(&self) -> SigningParams<'_> {
        SigningParams {
            credentials: self.credentials(),
            region: &self.region,
            service: &self.service,
            time: self.time,
            settings: self.settings,
            session_token_mode: self.token_mode,
        }
    }
}

fn load_case(dir: &Path) -> Case {
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let request = RawRequest::parse(&std::fs::read_to_string(dir.join("request.txt")).unwrap());
    let context = std::fs::read_to_string(dir.join("context.json")).ok();
    match context {
        Some(text) => {
            let c: serde_json::Value = serde_json::from_str(&text).unwrap();
            let creds = &c["credentials"];
            let omit = c["omit_session_token"].as_bool().unwrap_or(false);
            Case {
                name,
                dir: dir.to_owned(),
                request,
                access_key_id: creds["access_key_id"].as_str().unwrap().to_owned(),
                secret: creds["secret_access_key"].as_str().unwrap().to_owned(),
                token: creds["token"].as_str().map(str::to_owned),
                token_mode: if omit {
                    SessionTokenMode::AddedAfterSigning
                } else {
                    SessionTokenMode::Signed
                },
                region: c["region"].as_str().unwrap().to_owned(),
                service: c["service"].as_str().unwrap().to_owned(),
                time: OffsetDateTime::parse(c["timestamp"].as_str().unwrap(), &Rfc3339).unwrap(),
                expires: u32::try_from(c["expiration_in_seconds"].as_u64().unwrap()).unwrap(),
                settings: SigningSettings {
                    uri_encoding: UriEncoding::Single,
                    normalize_path: c["normalize"].as_bool().unwrap(),
                    dialect: Dialect::Query,
                    content_sha256_header: c["sign_body"].as_bool().unwrap(),
                    ..SigningSettings::QUERY
                },
                has_context: true,
            }
        }
        None => {
            let creq = std::fs::read_to_string(dir.join("header-canonical-request.txt")).unwrap();
            let date = creq
                .lines()
                .find_map(|l| l.strip_prefix("x-amz-date:"))
                .unwrap();
            let sts = std::fs::read_to_string(dir.join("header-string-to-sign.txt")).ok();
            let scope: Vec<String> = sts
                .as_deref()
                .and_then(|s| s.lines().nth(2))
                .map(|s| s.split('/').map(str::to_owned).collect())
                .unwrap_or_else(|| vec![String::new(), "us-east-1".into(), "service".into()]);
            Case {
                name,
                dir: dir.to_owned(),
                request,
                access_key_id: "AKIDEXAMPLE".into(),
                secret: SECRET.into(),
                token: None,
                token_mode: SessionTokenMode::Signed,
                region: scope[1].clone(),
                service: scope[2].clone(),
                time: amz(date),
                expires: 3600,
                settings: SigningSettings::QUERY,
                has_context: false,
            }
        }
    }
}

fn load_suite() -> Vec<Case> {
    let entries = std::fs::read_dir(SUITE).unwrap_or_else(|e| {
        panic!(
            "the SigV4 conformance suite must exist at {SUITE} (shared/ beside the repository): {e}"
        )
    });
    let mut dirs: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.iter().map(|d| load_case(d)).collect()
}

fn compare(
    failures: &mut Vec<String>,
    case: &str,
    stage: &str,
    ours: &str,
    expected: Option<String>,
) -> bool {
    let Some(expected) = expected else {
        return false;
    };
    if ours != expected.trim_end_matches('\n') {
        failures.push(format!(
            "{case} {stage}:\n--- ours\n{ours}\n--- expected\n{expected}\n"
        ));
    }
    true
}

fn verify_signed(failures: &mut Vec<String>, case: &Case, file: &str) -> bool {
    let Some(text) = case.read(file) else {
        return false;
    };
    let signed = RawRequest::parse(&text);
    let headers = signed.header_refs();
    let hash = sha256_hex(&signed.body);
    let view = signed.view(&headers, &hash);
    let cache = KeyCache::default();
    // smithy-rs signed `double-encode-path` with its own test credentials.
    let secret = match view.header("authorization") {
        Some(a) if a.contains("Credential=ANOTREAL/") => "notrealrnrELgWzOk3IfjzDKtFBhDby",
        _ => case.secret.as_str(),
    };
    let result = parse(&view, &case.settings).and_then(|claims| {
        // Cases without a context sign at the date their own signed request carries.
        let now = if case.has_context {
            case.time
        } else {
            claims.timestamp
        };
        verify(claims, &view, secret, now, &cache, &case.settings)
    });
    if let Err(e) = result {
        failures.push(format!(
            "{} {file}: our verifier rejects it: {e:?}",
            case.name
        ));
    }
    true
}

#[test]
fn aws_signing_suite_passes_stage_by_stage() {
    let cases = load_suite();
    assert!(
        cases.len() >= 40,
        "expected the 40 suite cases, found {}",
        cases.len()
    );
    let mut failures = Vec::new();
    let mut compared = 0usize;
    let mut verified = 0usize;
    for case in &cases {
        let headers = case.request.header_refs();
        let hash = sha256_hex(&case.request.body);
        let view = case.request.view(&headers, &hash);

        match sign_request(&view, &case.params()) {
            Ok(s) => {
                for (stage, ours, file) in [
                    (
                        "header canonical request",
                        &s.canonical_request,
                        "header-canonical-request.txt",
                    ),
                    (
                        "header string to sign",
                        &s.string_to_sign,
                        "header-string-to-sign.txt",
                    ),
                    ("header signature", &s.signature, "header-signature.txt"),
                ] {
                    compared += usize::from(compare(
                        &mut failures,
                        &case.name,
                        stage,
                        ours,
                        case.read(file),
                    ));
                }
            }
            Err(e) => failures.push(format!("{} header signing failed: {e:?}", case.name)),
        }

        if case.has_context {
            let mut query_view = view;
            query_view.headers = &headers;
            match presign_request(&query_view, &case.params(), case.expires) {
                Ok(p) => {
                    for (stage, ours, file) in [
                        (
                            "query canonical request",
                            &p.canonical_request,
                            "query-canonical-request.txt",
                        ),
                        (
                            "query string to sign",
                            &p.string_to_sign,
                            "query-string-to-sign.txt",
                        ),
                        ("query signature", &p.signature, "query-signature.txt"),
                    ] {
                        compared += usize::from(compare(
                            &mut failures,
                            &case.name,
                            stage,
                            ours,
                            case.read(file),
                        ));
                    }
                }
                Err(e) => failures.push(format!("{} query signing failed: {e:?}", case.name)),
            }
            verified += usize::from(verify_signed(
                &mut failures,
                case,
                "header-signed-request.txt",
            ));
            // A presigned URL cannot say which of its parameters were left
            // unsigned, so a token added after signing (`omit_session_token`)
            // is, rightly, a mismatch for a verifier that signs every parameter.
            if case.token_mode == SessionTokenMode::Signed {
                verified += usize::from(verify_signed(
                    &mut failures,
                    case,
                    "query-signed-request.txt",
                ));
            }
        } else {
            verified += usize::from(verify_signed(
                &mut failures,
                case,
                "header-signed-request.txt",
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // 38 cases x 6 stages, plus 1 + 2 stages for the two cases without context.
    assert!(compared >= 38 * 6 + 3, "only {compared} stages compared");
    assert!(
        verified >= 38 * 2 - 1 + 2,
        "only {verified} signed requests verified"
    );
}
