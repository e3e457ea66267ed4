//! Phase one: read the authentication claims of a request, without secrets.
//!
//! Header authentication:
//! `Authorization: AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request, SignedHeaders=a;b, Signature=hex`
//! plus `x-amz-date` (or `Date`), `x-amz-security-token`, `x-amz-content-sha256`.
//! Query authentication (presigned URLs): the `X-Amz-*` parameters.

use time::OffsetDateTime;

use crate::amz_date::{format_amz_date, parse_amz_date, parse_http_date};
use crate::error::{AuthLocation, SigV4Error};
use crate::settings::SigningSettings;
use crate::verify::MAX_PRESIGNED_EXPIRES;
use crate::view::RequestView;

/// How the request was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthKind {
    /// `Authorization` header.
    Header,
    /// Presigned query parameters, valid for `expires` seconds after the request date.
    Presigned {
        /// `X-Amz-Expires`, in `1..=604800`.
        expires: u32,
    },
}

/// The credential scope: `DATE/REGION/SERVICE/aws4_request`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialScope {
    /// `YYYYMMDD`.
    pub date: String,
    /// Region as signed; may be empty.
    pub region: String,
    /// Service signing name (`s3`, `iam`, `sts`, ...).
    pub service: String,
}

impl CredentialScope {
    /// The scope string used in the string to sign.
    #[must_use]
    pub fn to_scope_string(&self) -> String {
        // Pushed rather than formatted: this runs for every signed request.
        let parts = [
            self.date.as_str(),
            &self.region,
            &self.service,
            "aws4_request",
        ];
        let mut scope = String::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
        for (i, part) in parts.into_iter().enumerate() {
            if i > 0 {
                scope.push('/');
            }
            scope.push_str(part);
        }
        scope
    }
}

/// What `x-amz-content-sha256` declares about the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContentSha256 {
    /// A lowercase hex SHA-256 of the body.
    Sha256(String),
    /// `UNSIGNED-PAYLOAD`.
    Unsigned,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: aws-chunked with chunk signatures.
    StreamingSigned,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: signed chunks and a signed trailer.
    StreamingSignedTrailer,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: unsigned chunks and a trailer.
    StreamingUnsignedTrailer,
    /// `STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD[-TRAILER]` (SigV4a; not verifiable here).
    StreamingEcdsa(String),
    /// Any other value. Only S3 gives the header meaning (and rejects such
    /// values); elsewhere it is just another header.
    Other(String),
}

impl ContentSha256 {
    /// Parses a header value; `None` if it is neither a digest nor a keyword.
    #[must_use]
    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "UNSIGNED-PAYLOAD" => Self::Unsigned,
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" => Self::StreamingSigned,
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" => Self::StreamingSignedTrailer,
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER" => Self::StreamingUnsignedTrailer,
            "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"
            | "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER" => {
                Self::StreamingEcdsa(value.to_owned())
            }
            v if v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Self::Sha256(v.to_ascii_lowercase())
            }
            _ => return None,
        })
    }

    /// Whether the body is aws-chunked.
    #[must_use]
    pub fn is_streaming(&self) -> bool {
        !matches!(self, Self::Sha256(_) | Self::Unsigned | Self::Other(_))
    }

    /// The header value this was parsed from (digests in lowercase).
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Sha256(s) | Self::StreamingEcdsa(s) | Self::Other(s) => s,
            Self::Unsigned => "UNSIGNED-PAYLOAD",
            Self::StreamingSigned => "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            Self::StreamingSignedTrailer => "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
            Self::StreamingUnsignedTrailer => "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        }
    }
}

/// Everything the request claims about its authentication, before any secret
/// is known. `Debug` redacts the session token.
#[derive(Clone, PartialEq, Eq)]
pub struct Claims {
    /// Header or presigned.
    pub kind: AuthKind,
    /// The access key id from the credential.
    pub access_key_id: String,
    /// The credential scope.
    pub scope: CredentialScope,
    /// Signed header names, lowercase, `;`-separated in the order given.
    pub signed_headers: String,
    /// The signature as given (expected: 64 lowercase hex digits).
    pub signature: String,
    /// The request timestamp.
    pub timestamp: OffsetDateTime,
    /// The request timestamp in `X-Amz-Date` form, as it enters the string to sign.
    pub amz_date: String,
    /// `x-amz-security-token` / `X-Amz-Security-Token`, if any.
    pub security_token: Option<String>,
    /// `x-amz-content-sha256`, if present.
    pub content_sha256: Option<ContentSha256>,
}

impl std::fmt::Debug for Claims {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Claims")
            .field("kind", &self.kind)
            .field("access_key_id", &self.access_key_id)
            .field("scope", &self.scope)
            .field("signed_headers", &self.signed_headers)
            .field("signature", &self.signature)
            .field("timestamp", &self.timestamp)
            .field("amz_date", &self.amz_date)
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "** redacted **"),
            )
            .field("content_sha256", &self.content_sha256)
            .finish_non_exhaustive()
    }
}

impl Claims {
    /// The payload hash S3 signs, for [`RequestView::payload_hash`]: the
    /// declared `x-amz-content-sha256`, or `UNSIGNED-PAYLOAD` for a presigned
    /// request without one. (Other services sign the hex SHA-256 of the body;
    /// S3 must still compare a declared digest with the body it receives.)
    #[must_use]
    pub fn s3_payload_hash(&self) -> &str {
        self.content_sha256
            .as_ref()
            .map_or("UNSIGNED-PAYLOAD", ContentSha256::as_str)
    }
}

/// Reads the authentication claims of a request.
///
/// # Errors
/// [`SigV4Error::MissingAuthentication`] when the request carries no
/// authentication at all (anonymous for S3), otherwise the malformation found.
pub fn parse(view: &RequestView<'_>, settings: &SigningSettings) -> Result<Claims, SigV4Error> {
    let header = view.header("authorization");
    let algorithm = view.query_param("X-Amz-Algorithm");
    match (header, algorithm) {
        (Some(_), Some(_)) => Err(SigV4Error::MultipleAuthMechanisms),
        (Some(h), None) => parse_header(view, h, settings),
        (None, Some(a)) => parse_query(view, &a, settings),
        (None, None) => Err(SigV4Error::MissingAuthentication),
    }
}

fn parse_header(
    view: &RequestView<'_>,
    header: &str,
    settings: &SigningSettings,
) -> Result<Claims, SigV4Error> {
    let header = header.trim();
    let (algorithm, rest) = header.split_once(' ').unwrap_or((header, ""));
    if algorithm != crate::ALGORITHM {
        return Err(SigV4Error::UnsupportedAlgorithm {
            algorithm: algorithm.to_owned(),
        });
    }
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        let Some((name, value)) = part.split_once('=') else {
            continue;
        };
        let slot = match name.trim() {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(value.trim());
        }
    }
    let mut missing = Vec::new();
    if credential.is_none() {
        missing.push("Credential");
    }
    if signature.is_none() {
        missing.push("Signature");
    }
    if signed_headers.is_none() {
        missing.push("SignedHeaders");
    }
    let (Some(credential), Some(signed_headers), Some(signature)) =
        (credential, signed_headers, signature)
    else {
        return Err(SigV4Error::MissingComponents {
            location: AuthLocation::Header,
            missing,
        });
    };
    let (access_key_id, scope) = parse_credential(credential, AuthLocation::Header)?;
    let signed_headers = parse_signed_headers(signed_headers, AuthLocation::Header)?;

    let malformed = |v: &str| SigV4Error::MalformedDate {
        location: AuthLocation::Header,
        value: v.to_owned(),
    };
    let (timestamp, amz_date) = if let Some(v) = view.header("x-amz-date") {
        let t = parse_amz_date(v.trim()).ok_or_else(|| malformed(v))?;
        // A value that parses is already in canonical `X-Amz-Date` form.
        (t, v.trim().to_owned())
    } else if let Some(v) = view.header("date") {
        let t = parse_http_date(v.trim()).ok_or_else(|| malformed(v))?;
        (t, format_amz_date(t))
    } else {
        return Err(SigV4Error::MissingDate);
    };
    check_scope_date(&scope, &amz_date)?;

    let content_sha256 = match view.header("x-amz-content-sha256") {
        Some(v) => Some(parse_content_sha256(v, settings)?),
        None if settings.content_sha256_header => return Err(SigV4Error::MissingContentSha256),
        None => None,
    };
    if settings.require_signed_amz_headers {
        check_amz_headers_signed(view, &signed_headers)?;
    }
    Ok(Claims {
        kind: AuthKind::Header,
        access_key_id,
        scope,
        signed_headers,
        signature: signature.to_owned(),
        timestamp,
        amz_date,
        security_token: view
            .header("x-amz-security-token")
            .map(|t| t.trim().to_owned()),
        content_sha256,
    })
}

fn parse_query(
    view: &RequestView<'_>,
    algorithm: &str,
    settings: &SigningSettings,
) -> Result<Claims, SigV4Error> {
    if algorithm != crate::ALGORITHM {
        return Err(SigV4Error::UnsupportedAlgorithm {
            algorithm: algorithm.to_owned(),
        });
    }
    let mut missing = Vec::new();
    let mut get = |name: &'static str| {
        let v = view.query_param(name);
        if v.is_none() {
            missing.push(name);
        }
        v
    };
    let credential = get("X-Amz-Credential");
    let date = get("X-Amz-Date");
    let expires = get("X-Amz-Expires");
    let signed_headers = get("X-Amz-SignedHeaders");
    let signature = get("X-Amz-Signature");
    let (Some(credential), Some(date), Some(expires), Some(signed_headers), Some(signature)) =
        (credential, date, expires, signed_headers, signature)
    else {
        return Err(SigV4Error::MissingComponents {
            location: AuthLocation::Query,
            missing,
        });
    };
    let (access_key_id, scope) = parse_credential(&credential, AuthLocation::Query)?;
    let signed_headers = parse_signed_headers(&signed_headers, AuthLocation::Query)?;
    let timestamp = parse_amz_date(&date).ok_or_else(|| SigV4Error::MalformedDate {
        location: AuthLocation::Query,
        value: date.clone(),
    })?;
    let expires = match expires.parse::<u32>() {
        Ok(n) if (1..=MAX_PRESIGNED_EXPIRES).contains(&n) => n,
        _ => return Err(SigV4Error::InvalidExpires { value: expires }),
    };
    check_scope_date(&scope, &date)?;
    let amz_date = date;
    let content_sha256 = match view.header("x-amz-content-sha256") {
        Some(v) => Some(parse_content_sha256(v, settings)?),
        None => None,
    };
    if settings.require_signed_amz_headers {
        check_amz_headers_signed(view, &signed_headers)?;
    }
    Ok(Claims {
        kind: AuthKind::Presigned { expires },
        access_key_id,
        scope,
        signed_headers,
        signature,
        timestamp,
        amz_date,
        security_token: view.query_param("X-Amz-Security-Token"),
        content_sha256,
    })
}

fn parse_credential(
    credential: &str,
    location: AuthLocation,
) -> Result<(String, CredentialScope), SigV4Error> {
    let malformed = || SigV4Error::MalformedCredential {
        location,
        credential: credential.to_owned(),
    };
    // The access key id cannot contain `/`; everything else is positional.
    let mut parts = credential.split('/');
    let (Some(akid), Some(date), Some(region), Some(service), Some(term), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(malformed());
    };
    if akid.is_empty()
        || date.len() != 8
        || !date.bytes().all(|b| b.is_ascii_digit())
        || service.is_empty()
        || term != "aws4_request"
    {
        return Err(malformed());
    }
    Ok((
        akid.to_owned(),
        CredentialScope {
            date: date.to_owned(),
            region: region.to_owned(),
            service: service.to_owned(),
        },
    ))
}

fn parse_signed_headers(list: &str, location: AuthLocation) -> Result<String, SigV4Error> {
    let names = list.to_ascii_lowercase();
    let valid = names
        .split(';')
        .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_graphic() && b != b':'));
    if !valid || !names.split(';').any(|n| n == "host") {
        return Err(SigV4Error::MalformedSignedHeaders {
            location,
            signed_headers: list.to_owned(),
        });
    }
    Ok(names)
}

/// S3 refuses `x-amz-*` headers that are present but unsigned, except
/// `x-amz-content-sha256`.
fn check_amz_headers_signed(view: &RequestView<'_>, signed: &str) -> Result<(), SigV4Error> {
    let mut names: Vec<String> = Vec::new();
    for (name, _) in view.headers {
        let is_amz = name
            .get(..6)
            .is_some_and(|p| p.eq_ignore_ascii_case("x-amz-"));
        if is_amz
            && !name.eq_ignore_ascii_case("x-amz-content-sha256")
            && !signed.split(';').any(|s| s.eq_ignore_ascii_case(name))
        {
            let lower = name.to_ascii_lowercase();
            if !names.contains(&lower) {
                names.push(lower);
            }
        }
    }
    if names.is_empty() {
        Ok(())
    } else {
        Err(SigV4Error::HeadersNotSigned { names })
    }
}

fn check_scope_date(scope: &CredentialScope, amz_date: &str) -> Result<(), SigV4Error> {
    if amz_date.get(..8) != Some(scope.date.as_str()) {
        return Err(SigV4Error::ScopeDateMismatch {
            scope_date: scope.date.clone(),
            amz_date: amz_date.to_owned(),
        });
    }
    Ok(())
}

fn parse_content_sha256(
    value: &str,
    settings: &SigningSettings,
) -> Result<ContentSha256, SigV4Error> {
    match ContentSha256::parse(value.trim()) {
        Some(c) => Ok(c),
        None if settings.content_sha256_header => Err(SigV4Error::InvalidContentSha256 {
            value: value.to_owned(),
        }),
        None => Ok(ContentSha256::Other(value.trim().to_owned())),
    }
}
