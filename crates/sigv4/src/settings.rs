//! Per-service canonicalisation and verification settings.
//!
//! S3 differs from every other service in how the canonical URI is built (one
//! encoding pass, no dot-segment removal) and in which error codes it returns;
//! that difference lives here, in one value, rather than in branches.

use crate::error::Dialect;

/// How the canonical URI encodes the request path as received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UriEncoding {
    /// Encode the received (already encoded) path once more: `%3D` becomes
    /// `%253D`. Every service except S3.
    Double,
    /// Decode the received path, then encode it once with the SigV4 rules
    /// (`%2F` is kept as is). S3.
    Single,
}

/// Settings that vary by service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SigningSettings {
    /// Canonical URI encoding.
    pub uri_encoding: UriEncoding,
    /// Remove `.` and `..` segments and collapse `//` before encoding.
    pub normalize_path: bool,
    /// Which family of AWS error codes and messages applies.
    pub dialect: Dialect,
    /// Header-authenticated requests must carry `x-amz-content-sha256` (S3),
    /// and the client signer adds it.
    pub content_sha256_header: bool,
    /// Allowed difference between the request time and the server time, in seconds.
    pub max_skew_seconds: i64,
    /// Every `x-amz-*` header present (except `x-amz-content-sha256`) must
    /// be signed, as S3 requires.
    pub require_signed_amz_headers: bool,
}

impl SigningSettings {
    /// S3: single encoding, no normalisation, `x-amz-content-sha256` required.
    pub const S3: Self = Self {
        uri_encoding: UriEncoding::Single,
        normalize_path: false,
        dialect: Dialect::S3,
        content_sha256_header: true,
        max_skew_seconds: 15 * 60,
        require_signed_amz_headers: true,
    };

    /// Every other service (IAM, STS, ...): double encoding and normalisation.
    pub const QUERY: Self = Self {
        uri_encoding: UriEncoding::Double,
        normalize_path: true,
        dialect: Dialect::Query,
        content_sha256_header: false,
        max_skew_seconds: 15 * 60,
        require_signed_amz_headers: false,
    };

    /// Settings for a credential-scope service name (`s3`, `iam`, `sts`, ...).
    #[must_use]
    pub fn for_service(service: &str) -> Self {
        if service == "s3" {
            Self::S3
        } else {
            Self::QUERY
        }
    }
}
