//! Client side: sign a request with an `Authorization` header, or presign it
//! into a URL query. The same canonicalisation as verification.

use time::OffsetDateTime;

use crate::amz_date::format_amz_date;
use crate::canonical::{encode_into, string_to_sign, write_canonical_request};
use crate::error::SigV4Error;
use crate::key::SigningKey;
use crate::parse::CredentialScope;
use crate::settings::SigningSettings;
use crate::verify::MAX_PRESIGNED_EXPIRES;
use crate::view::RequestView;

/// Headers never signed because proxies may change them (botocore's list).
const UNSIGNED_HEADERS: &[&str] = &[
    "authorization",
    "connection",
    "expect",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
    "x-amzn-trace-id",
];

/// Access key, secret and optional session token. `Debug` redacts the secrets.
#[derive(Clone, Copy)]
pub struct Credentials<'a> {
    /// Access key id.
    pub access_key_id: &'a str,
    /// Secret access key.
    pub secret_access_key: &'a str,
    /// Session token of temporary credentials.
    pub session_token: Option<&'a str>,
}

impl std::fmt::Debug for Credentials<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .field(
                "session_token",
                &self.session_token.map(|_| "** redacted **"),
            )
            .finish()
    }
}

/// Whether the session token is part of what is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SessionTokenMode {
    /// Sign the token (the usual behaviour).
    #[default]
    Signed,
    /// Add the token after signing, unsigned (what some services, e.g. IoT, expect).
    AddedAfterSigning,
}

/// Everything needed to sign besides the request.
#[derive(Debug, Clone, Copy)]
pub struct SigningParams<'a> {
    /// Credentials to sign with.
    pub credentials: Credentials<'a>,
    /// Region of the credential scope (may be empty).
    pub region: &'a str,
    /// Service signing name.
    pub service: &'a str,
    /// Signing time.
    pub time: OffsetDateTime,
    /// Canonicalisation settings for the service.
    pub settings: SigningSettings,
    /// Whether the session token is signed.
    pub session_token_mode: SessionTokenMode,
}

/// The result of header signing.
#[derive(Debug, Clone)]
pub struct SignedRequest {
    /// Headers to set on the request, replacing any of the same name:
    /// `x-amz-date`, `x-amz-security-token`, `x-amz-content-sha256` as
    /// applicable, and `authorization`.
    pub headers: Vec<(String, String)>,
    /// The canonical request that was signed.
    pub canonical_request: String,
    /// The string to sign.
    pub string_to_sign: String,
    /// The hex signature.
    pub signature: String,
}

/// The result of presigning.
#[derive(Debug, Clone)]
pub struct PresignedUrl {
    /// The complete query string to send (original parameters plus `X-Amz-*`), without `?`.
    pub query: String,
    /// The canonical request that was signed.
    pub canonical_request: String,
    /// The string to sign.
    pub string_to_sign: String,
    /// The hex signature.
    pub signature: String,
}

fn sorted_names(headers: &[(&str, &str)]) -> Vec<String> {
    let mut names: Vec<String> = headers
        .iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

fn is_replaced(name: &str, replaced: &[&str]) -> bool {
    UNSIGNED_HEADERS
        .iter()
        .chain(replaced)
        .any(|r| name.eq_ignore_ascii_case(r))
}

/// Signs `view` with an `Authorization` header.
///
/// Signs every header of `view` except hop-by-hop and proxy-mutable ones,
/// plus the headers it adds. The payload hash is `view.payload_hash`.
///
/// # Errors
/// Only if the request lacks a `host` header ([`SigV4Error::SignedHeaderMissing`]).
pub fn sign_request(
    view: &RequestView<'_>,
    params: &SigningParams<'_>,
) -> Result<SignedRequest, SigV4Error> {
    let amz_date = format_amz_date(params.time);
    let mut added: Vec<(&str, &str)> = vec![("x-amz-date", &amz_date)];
    let token = params.credentials.session_token;
    if let (Some(token), SessionTokenMode::Signed) = (token, params.session_token_mode) {
        added.push(("x-amz-security-token", token));
    }
    if params.settings.content_sha256_header {
        added.push(("x-amz-content-sha256", view.payload_hash));
    }
    let mut replaced: Vec<&str> = added.iter().map(|(n, _)| *n).collect();
    replaced.push("x-amz-security-token");
    let mut headers: Vec<(&str, &str)> = view
        .headers
        .iter()
        .copied()
        .filter(|(n, _)| !is_replaced(n, &replaced))
        .collect();
    headers.extend(added.iter().copied());
    let names = sorted_names(&headers);
    if !names.iter().any(|n| n == "host") {
        return Err(SigV4Error::SignedHeaderMissing {
            name: "host".into(),
        });
    }
    let signed_headers = names.join(";");

    let mut canonical_request = String::with_capacity(256);
    let signed_view = RequestView {
        headers: &headers,
        ..*view
    };
    write_canonical_request(
        &mut canonical_request,
        &signed_view,
        &signed_headers,
        &params.settings,
        false,
    )?;
    let scope = CredentialScope::new(
        amz_date.get(..8).unwrap_or_default(),
        params.region,
        params.service,
    );
    let string_to_sign = string_to_sign(&amz_date, scope.as_str(), &canonical_request);
    let key = SigningKey::derive(
        params.credentials.secret_access_key,
        amz_date.get(..8).unwrap_or_default(),
        params.region,
        params.service,
    );
    let signature = key.sign(&string_to_sign);
    let authorization = format!(
        "{} Credential={}/{}, SignedHeaders={}, Signature={signature}",
        crate::ALGORITHM,
        params.credentials.access_key_id,
        scope.as_str(),
        signed_headers,
    );
    let mut out: Vec<(String, String)> = added
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    if let (Some(token), SessionTokenMode::AddedAfterSigning) = (token, params.session_token_mode) {
        out.push(("x-amz-security-token".into(), token.to_owned()));
    }
    out.push(("authorization".into(), authorization));
    Ok(SignedRequest {
        headers: out,
        canonical_request,
        string_to_sign,
        signature,
    })
}

fn push_param(query: &mut String, name: &str, value: &str) {
    if !query.is_empty() {
        query.push('&');
    }
    query.push_str(name);
    query.push('=');
    encode_into(query, value.as_bytes(), false);
}

/// Presigns `view` into a query string valid for `expires` seconds.
///
/// Signs every header of `view` except hop-by-hop and proxy-mutable ones
/// (usually just `host`). The payload hash is `view.payload_hash`
/// (`UNSIGNED-PAYLOAD` for S3).
///
/// # Errors
/// [`SigV4Error::InvalidExpires`] outside `1..=604800`, or
/// [`SigV4Error::SignedHeaderMissing`] without a `host` header.
pub fn presign_request(
    view: &RequestView<'_>,
    params: &SigningParams<'_>,
    expires: u32,
) -> Result<PresignedUrl, SigV4Error> {
    if !(1..=MAX_PRESIGNED_EXPIRES).contains(&expires) {
        return Err(SigV4Error::InvalidExpires {
            value: expires.to_string(),
        });
    }
    let amz_date = format_amz_date(params.time);
    let headers: Vec<(&str, &str)> = view
        .headers
        .iter()
        .copied()
        .filter(|(n, _)| !is_replaced(n, &["x-amz-date"]))
        .collect();
    let names = sorted_names(&headers);
    if !names.iter().any(|n| n == "host") {
        return Err(SigV4Error::SignedHeaderMissing {
            name: "host".into(),
        });
    }
    let signed_headers = names.join(";");
    let date = amz_date.get(..8).unwrap_or_default();
    let scope = CredentialScope::new(date, params.region, params.service);

    let mut query = view.query.to_owned();
    push_param(&mut query, "X-Amz-Algorithm", crate::ALGORITHM);
    push_param(
        &mut query,
        "X-Amz-Credential",
        &format!("{}/{}", params.credentials.access_key_id, scope.as_str()),
    );
    push_param(&mut query, "X-Amz-Date", &amz_date);
    push_param(&mut query, "X-Amz-Expires", &expires.to_string());
    push_param(&mut query, "X-Amz-SignedHeaders", &signed_headers);
    let token = params.credentials.session_token;
    if let (Some(token), SessionTokenMode::Signed) = (token, params.session_token_mode) {
        push_param(&mut query, "X-Amz-Security-Token", token);
    }

    let mut canonical_request = String::with_capacity(256);
    let signed_view = RequestView {
        query: &query,
        headers: &headers,
        ..*view
    };
    write_canonical_request(
        &mut canonical_request,
        &signed_view,
        &signed_headers,
        &params.settings,
        true,
    )?;
    let string_to_sign = string_to_sign(&amz_date, scope.as_str(), &canonical_request);
    let key = SigningKey::derive(
        params.credentials.secret_access_key,
        date,
        params.region,
        params.service,
    );
    let signature = key.sign(&string_to_sign);
    if let (Some(token), SessionTokenMode::AddedAfterSigning) = (token, params.session_token_mode) {
        push_param(&mut query, "X-Amz-Security-Token", token);
    }
    push_param(&mut query, "X-Amz-Signature", &signature);
    Ok(PresignedUrl {
        query,
        canonical_request,
        string_to_sign,
        signature,
    })
}
