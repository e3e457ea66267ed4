//! Phase one: read the authentication claims of a request, without secrets.
//!
//! Header authentication:
//! `Authorization: AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request, SignedHeaders=a;b, Signature=hex`
//! plus `x-amz-date` (or `Date`), `x-amz-security-token`, `x-amz-content-sha256`.
//! Query authentication (presigned URLs): the `X-Amz-*` parameters.

use std::borrow::Cow;

use time::OffsetDateTime;

use crate::amz_date::{format_amz_date, parse_amz_date, parse_http_date};
use crate::error::{AuthLocation, SigV4Error};
use crate::fields::{fields, split_once};
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

/// The credential scope: `DATE/REGION/SERVICE/aws4_request`, held as the one string the
/// string to sign uses, with its parts read from it (one allocation per request, not four).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialScope {
    text: String,
    /// Byte offsets of the `/` after the date, the region and the service.
    ends: [usize; 3],
}

impl CredentialScope {
    /// The scope of `date` (`YYYYMMDD`), `region` and `service`.
    #[must_use]
    pub fn new(date: &str, region: &str, service: &str) -> Self {
        let mut text = String::with_capacity(date.len() + region.len() + service.len() + 15);
        let mut ends = [0; 3];
        for (end, part) in ends.iter_mut().zip([date, region, service]) {
            text.push_str(part);
            *end = text.len();
            text.push('/');
        }
        text.push_str("aws4_request");
        Self { text, ends }
    }

    fn part(&self, i: usize) -> &str {
        part(&self.text, &self.ends, i, 1)
    }

    /// `YYYYMMDD`.
    #[must_use]
    pub fn date(&self) -> &str {
        self.part(0)
    }

    /// Region as signed; may be empty.
    #[must_use]
    pub fn region(&self) -> &str {
        self.part(1)
    }

    /// Service signing name (`s3`, `iam`, `sts`, ...).
    #[must_use]
    pub fn service(&self) -> &str {
        self.part(2)
    }

    /// The scope string used in the string to sign.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
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
///
/// The access key id, signed headers, signature, date and token are held end to end in
/// one string (one allocation per request, not five) and read through methods.
#[derive(Clone, PartialEq, Eq)]
pub struct Claims {
    /// Header or presigned.
    pub kind: AuthKind,
    /// The credential scope.
    pub scope: CredentialScope,
    /// The request timestamp.
    pub timestamp: OffsetDateTime,
    /// `x-amz-content-sha256`, if present.
    pub content_sha256: Option<ContentSha256>,
    text: String,
    /// Where each of the five parts of `text` ends.
    ends: [usize; 5],
    has_token: bool,
}

/// The textual claims, as found in the request.
struct Parts<'a> {
    access_key_id: &'a str,
    /// As given: lower-cased on the way in.
    signed_headers: &'a str,
    signature: &'a str,
    amz_date: &'a str,
    security_token: Option<&'a str>,
}

/// Part `i` of `text`, whose parts end at `ends` and are `gap` bytes apart.
fn part<'a>(text: &'a str, ends: &[usize], i: usize, gap: usize) -> &'a str {
    let start = match i.checked_sub(1).and_then(|j| ends.get(j)) {
        Some(end) => end + gap,
        None => 0,
    };
    let end = ends.get(i).copied().unwrap_or(start);
    text.get(start..end).unwrap_or_default()
}

impl std::fmt::Debug for Claims {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Claims")
            .field("kind", &self.kind)
            .field("access_key_id", &self.access_key_id())
            .field("scope", &self.scope)
            .field("signed_headers", &self.signed_headers())
            .field("signature", &self.signature())
            .field("timestamp", &self.timestamp)
            .field("amz_date", &self.amz_date())
            .field(
                "security_token",
                &self.security_token().map(|_| "** redacted **"),
            )
            .field("content_sha256", &self.content_sha256)
            .finish_non_exhaustive()
    }
}

impl Claims {
    fn new(
        kind: AuthKind,
        scope: CredentialScope,
        timestamp: OffsetDateTime,
        content_sha256: Option<ContentSha256>,
        parts: &Parts<'_>,
    ) -> Self {
        let token = parts.security_token.unwrap_or_default();
        let all = [
            parts.access_key_id,
            parts.signed_headers,
            parts.signature,
            parts.amz_date,
            token,
        ];
        let mut text = String::with_capacity(all.iter().map(|p| p.len()).sum());
        let mut ends = [0; 5];
        for (i, (end, part)) in ends.iter_mut().zip(all).enumerate() {
            let start = text.len();
            text.push_str(part);
            if i == 1
                && let Some(names) = text.get_mut(start..)
            {
                names.make_ascii_lowercase();
            }
            *end = text.len();
        }
        Self {
            kind,
            scope,
            timestamp,
            content_sha256,
            text,
            ends,
            has_token: parts.security_token.is_some(),
        }
    }

    /// The access key id from the credential.
    #[must_use]
    pub fn access_key_id(&self) -> &str {
        part(&self.text, &self.ends, 0, 0)
    }

    /// Signed header names, lowercase, `;`-separated in the order given.
    #[must_use]
    pub fn signed_headers(&self) -> &str {
        part(&self.text, &self.ends, 1, 0)
    }

    /// The signature as given (expected: 64 lowercase hex digits).
    #[must_use]
    pub fn signature(&self) -> &str {
        part(&self.text, &self.ends, 2, 0)
    }

    /// The request timestamp in `X-Amz-Date` form, as it enters the string to sign.
    #[must_use]
    pub fn amz_date(&self) -> &str {
        part(&self.text, &self.ends, 3, 0)
    }

    /// `x-amz-security-token` / `X-Amz-Security-Token`, if any.
    #[must_use]
    pub fn security_token(&self) -> Option<&str> {
        self.has_token.then(|| part(&self.text, &self.ends, 4, 0))
    }

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
    let headers = AuthHeaders::of(view);
    let algorithm = view.query_param("X-Amz-Algorithm");
    match (headers.authorization, algorithm) {
        (Some(_), Some(_)) => Err(SigV4Error::MultipleAuthMechanisms),
        (Some(h), None) => parse_header(view, &headers, h, settings),
        (None, Some(a)) => parse_query(view, &headers, &a, settings),
        (None, None)
            if view.query_param("AWSAccessKeyId").is_some()
                && view.query_param("Signature").is_some() =>
        {
            Err(SigV4Error::SignatureV2 {
                location: AuthLocation::Query,
            })
        }
        (None, None) => Err(SigV4Error::MissingAuthentication),
    }
}

/// The first value of each header authentication reads, found in one pass.
#[derive(Default)]
struct AuthHeaders<'a> {
    authorization: Option<&'a str>,
    x_amz_date: Option<&'a str>,
    date: Option<&'a str>,
    content_sha256: Option<&'a str>,
    security_token: Option<&'a str>,
}

impl<'a> AuthHeaders<'a> {
    fn of(view: &RequestView<'a>) -> Self {
        let mut found = Self::default();
        for &(name, value) in view.headers {
            let slot = match name.len() {
                4 if name.eq_ignore_ascii_case("date") => &mut found.date,
                10 if name.eq_ignore_ascii_case("x-amz-date") => &mut found.x_amz_date,
                13 if name.eq_ignore_ascii_case("authorization") => &mut found.authorization,
                20 if name.eq_ignore_ascii_case("x-amz-content-sha256") => {
                    &mut found.content_sha256
                }
                20 if name.eq_ignore_ascii_case("x-amz-security-token") => {
                    &mut found.security_token
                }
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(value);
            }
        }
        found
    }
}

fn parse_header(
    view: &RequestView<'_>,
    headers: &AuthHeaders<'_>,
    header: &str,
    settings: &SigningSettings,
) -> Result<Claims, SigV4Error> {
    // Whitespace here is ASCII whitespace, as in the canonical request (`push_trimmed`).
    let header = header.trim_ascii();
    let (algorithm, rest) = split_once(header, b' ').unwrap_or((header, ""));
    if algorithm == "AWS" {
        return Err(SigV4Error::SignatureV2 {
            location: AuthLocation::Header,
        });
    }
    if algorithm != crate::ALGORITHM {
        return Err(SigV4Error::UnsupportedAlgorithm {
            algorithm: algorithm.to_owned(),
        });
    }
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in fields(rest, b',') {
        let part = part.trim_ascii();
        let Some((name, value)) = split_once(part, b'=') else {
            continue;
        };
        let slot = match name.trim_ascii() {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(value.trim_ascii());
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
    parse_signed_headers(signed_headers, AuthLocation::Header)?;

    let malformed = |v: &str| SigV4Error::MalformedDate {
        location: AuthLocation::Header,
        value: v.to_owned(),
    };
    let (timestamp, amz_date) = if let Some(v) = headers.x_amz_date {
        let t = parse_amz_date(v.trim_ascii()).ok_or_else(|| malformed(v))?;
        // A value that parses is already in canonical `X-Amz-Date` form.
        (t, Cow::Borrowed(v.trim_ascii()))
    } else if let Some(v) = headers.date {
        let t = parse_http_date(v.trim_ascii()).ok_or_else(|| malformed(v))?;
        (t, Cow::Owned(format_amz_date(t)))
    } else {
        return Err(SigV4Error::MissingDate);
    };
    check_scope_date(&scope, &amz_date)?;

    let content_sha256 = match headers.content_sha256 {
        Some(v) => Some(parse_content_sha256(v, settings)?),
        None if settings.content_sha256_header => return Err(SigV4Error::MissingContentSha256),
        None => None,
    };
    if settings.require_signed_amz_headers {
        check_amz_headers_signed(view, signed_headers)?;
    }
    let parts = Parts {
        access_key_id,
        signed_headers,
        signature,
        amz_date: &amz_date,
        security_token: headers.security_token.map(str::trim_ascii),
    };
    Ok(Claims::new(
        AuthKind::Header,
        scope,
        timestamp,
        content_sha256,
        &parts,
    ))
}

fn parse_query(
    view: &RequestView<'_>,
    headers: &AuthHeaders<'_>,
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
    parse_signed_headers(&signed_headers, AuthLocation::Query)?;
    let timestamp = parse_amz_date(&date).ok_or_else(|| SigV4Error::MalformedDate {
        location: AuthLocation::Query,
        value: date.clone(),
    })?;
    let expires = match expires.parse::<u32>() {
        Ok(n) if (1..=MAX_PRESIGNED_EXPIRES).contains(&n) => n,
        _ => return Err(SigV4Error::InvalidExpires { value: expires }),
    };
    check_scope_date(&scope, &date)?;
    let content_sha256 = match headers.content_sha256 {
        Some(v) => Some(parse_content_sha256(v, settings)?),
        None => None,
    };
    if settings.require_signed_amz_headers {
        check_amz_headers_signed(view, &signed_headers)?;
    }
    let security_token = view.query_param("X-Amz-Security-Token");
    let parts = Parts {
        access_key_id,
        signed_headers: &signed_headers,
        signature: &signature,
        amz_date: &date,
        security_token: security_token.as_deref(),
    };
    Ok(Claims::new(
        AuthKind::Presigned { expires },
        scope,
        timestamp,
        content_sha256,
        &parts,
    ))
}

fn parse_credential(
    credential: &str,
    location: AuthLocation,
) -> Result<(&str, CredentialScope), SigV4Error> {
    let malformed = || SigV4Error::MalformedCredential {
        location,
        credential: credential.to_owned(),
    };
    // The access key id cannot contain `/`; everything else is positional.
    let mut parts = fields(credential, b'/');
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
    Ok((akid, CredentialScope::new(date, region, service)))
}

/// Checks a signed-header list as given (names are compared without regard to case): each
/// name is visible ASCII without `:` and not empty, and one of them is `host`.
fn parse_signed_headers(list: &str, location: AuthLocation) -> Result<(), SigV4Error> {
    // One pass over the bytes: an empty name shows as `;` at the start, after another
    // `;`, or at the end (the empty list too).
    let mut before = b';';
    let mut valid = true;
    for &b in list.as_bytes() {
        valid &= b.is_ascii_graphic() && b != b':' && !(b == b';' && before == b';');
        before = b;
    }
    valid &= before != b';';
    if !valid || !fields(list, b';').any(|name| name.eq_ignore_ascii_case("host")) {
        return Err(SigV4Error::MalformedSignedHeaders {
            location,
            signed_headers: list.to_owned(),
        });
    }
    Ok(())
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
            && !fields(signed, b';').any(|s| s.eq_ignore_ascii_case(name))
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
    if amz_date.get(..8) != Some(scope.date()) {
        return Err(SigV4Error::ScopeDateMismatch {
            scope_date: scope.date().to_owned(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(headers: &[(&str, &str)], query: &str) -> Result<Claims, SigV4Error> {
        let view = RequestView {
            method: "GET",
            path: "/",
            query,
            headers,
            payload_hash: "UNSIGNED-PAYLOAD",
        };
        parse(&view, &SigningSettings::QUERY)
    }

    #[test]
    fn signed_header_lists_are_judged_as_name_by_name() {
        // The rule as first written, one name at a time: the oracle for the one-pass check.
        fn by_name(list: &str) -> bool {
            let (mut valid, mut host) = (true, false);
            for name in list.split(';') {
                valid &=
                    !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic() && b != b':');
                host |= name.eq_ignore_ascii_case("host");
            }
            valid && host
        }
        // Every list of up to six symbols from names, separators and the bytes refused.
        let symbols = ["host", "HoSt", "x-amz-date", ";", ":", " ", "a", "\t", "é"];
        let mut lists = vec![String::new()];
        let mut from = 0;
        for _ in 0..6 {
            let end = lists.len();
            for i in from..end {
                for s in symbols {
                    let longer = format!("{}{s}", lists[i]);
                    lists.push(longer);
                }
            }
            from = end;
        }
        for list in &lists {
            let valid = parse_signed_headers(list, AuthLocation::Header).is_ok();
            assert_eq!(valid, by_name(list), "{list:?}");
        }
    }

    #[test]
    fn every_part_reads_back_from_the_one_string() {
        let auth = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, \
                    SignedHeaders=Host;X-Amz-Date, Signature=abc123";
        for token in [None, Some(""), Some("FwoGZXIvYXdzEJr//////////")] {
            let mut headers = vec![("authorization", auth), ("X-Amz-Date", "20150830T123600Z")];
            if let Some(t) = token {
                headers.push(("x-amz-security-token", t));
            }
            let c = claims(&headers, "").unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(c.access_key_id(), "AKIDEXAMPLE");
            assert_eq!(c.signed_headers(), "host;x-amz-date");
            assert_eq!(c.signature(), "abc123");
            assert_eq!(c.amz_date(), "20150830T123600Z");
            assert_eq!(c.security_token(), token);
            assert_eq!(c.scope.as_str(), "20150830/us-east-1/iam/aws4_request");
            assert_eq!(
                (c.scope.date(), c.scope.region(), c.scope.service()),
                ("20150830", "us-east-1", "iam")
            );
        }
        let c = claims(
            &[("host", "x")],
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F20150830%2F%2Fs3%2Faws4_request\
             &X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host\
             &X-Amz-Signature=ff&X-Amz-Security-Token=t%2Bk",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (c.access_key_id(), c.scope.region(), c.scope.service()),
            ("AK", "", "s3")
        );
        assert_eq!((c.signature(), c.security_token()), ("ff", Some("t+k")));
        let shown = format!("{c:?}");
        assert!(!shown.contains("t+k"), "{shown}");
    }
}
