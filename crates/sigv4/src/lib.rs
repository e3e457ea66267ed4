//! AWS Signature Version 4: verify incoming requests and sign outgoing ones.
//!
//! A pure library: no I/O, no clock, no environment. The caller builds a
//! [`RequestView`] of the request as received, and verification runs in two
//! phases so that the secret lookup stays outside this crate:
//!
//! 1. [`parse`] extracts the [`Claims`] (access key id, credential scope,
//!    signed headers, signature, timestamp, session token, payload kind);
//! 2. the caller looks up the secret for `claims.access_key_id()`;
//! 3. [`verify`] checks the signature in constant time, the clock skew and the
//!    presigned expiry against an explicit `now`, deriving signing keys through
//!    a shared [`KeyCache`].
//!
//! Streaming uploads (`aws-chunked`) are decoded by [`ChunkedDecoder`], which
//! continues the signature chain started by a [`Verified`] request. Clients
//! sign with [`sign_request`] and [`presign_request`].
//!
//! ```
//! use roleplay_sigv4::{KeyCache, RequestView, SigningSettings, parse, parse_amz_date, sha256_hex, verify};
//!
//! let body = b"Action=GetCallerIdentity&Version=2011-06-15";
//! let hash = sha256_hex(body);
//! let headers = [
//!     ("Host", "sts.amazonaws.com"),
//!     ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
//!     ("X-Amz-Date", "20150830T123600Z"),
//!     ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/sts/aws4_request, \
//!       SignedHeaders=content-type;host;x-amz-date, \
//!       Signature=0000000000000000000000000000000000000000000000000000000000000000"),
//! ];
//! let view = RequestView { method: "POST", path: "/", query: "", headers: &headers, payload_hash: &hash };
//! let settings = SigningSettings::QUERY;
//! let claims = parse(&view, &settings).unwrap();
//! assert_eq!(claims.access_key_id(), "AKIDEXAMPLE");
//! // ... look up the secret of `claims.access_key_id()`, then:
//! let cache = KeyCache::default();
//! let now = parse_amz_date("20150830T124000Z").unwrap();
//! let err = verify(claims, &view, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", now, &cache, &settings)
//!     .unwrap_err();
//! assert_eq!(err.code(settings.dialect), "SignatureDoesNotMatch");
//! ```
//!
//! Specification: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html>
//! and, for S3, <https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-authenticating-requests.html>.
#![warn(missing_docs)]

mod amz_date;
mod canonical;
mod chunked;
mod error;
mod fields;
mod key;
mod parse;
mod settings;
mod sign;
mod verify;
mod view;

pub use amz_date::{format_amz_date, parse_amz_date, parse_http_date};
pub use canonical::{EMPTY_SHA256, canonical_query_string, canonical_uri, sha256_hex};
pub use chunked::{ChunkSigner, ChunkedDecoder, ChunkedError, ChunkedLimits, Trailer};
pub use error::{AuthLocation, Dialect, SigV4Error};
pub use key::{KeyCache, SigningKey};
pub use parse::{AuthKind, Claims, ContentSha256, CredentialScope, parse};
pub use settings::{SigningSettings, UriEncoding};
pub use sign::{
    Credentials, PresignedUrl, SessionTokenMode, SignedRequest, SigningParams, presign_request,
    sign_request,
};
pub use verify::{MAX_PRESIGNED_EXPIRES, Verified, verify};
pub use view::RequestView;

/// The only algorithm this crate speaks: `AWS4-HMAC-SHA256`.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
