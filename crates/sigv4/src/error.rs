//! Verification failures, and the AWS error code and message each one earns.
//!
//! The same failure is reported differently by S3 (rest-xml) and by the query
//! services (IAM, STS); [`Dialect`] selects which. HTTP statuses are the
//! server's business.

use time::OffsetDateTime;

use crate::amz_date::format_amz_date;

/// Which family of AWS error codes and messages to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// IAM, STS and the other query-protocol services.
    Query,
    /// S3.
    S3,
}

/// Where the authentication parameters were found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthLocation {
    /// The `Authorization` header.
    Header,
    /// Presigned query parameters (`X-Amz-*`).
    Query,
}

/// Why a request failed authentication.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SigV4Error {
    /// Neither an `Authorization` header nor `X-Amz-Algorithm` query parameter.
    /// S3 treats such a request as anonymous.
    #[error("request carries no authentication")]
    MissingAuthentication,
    /// Both header and query authentication are present.
    #[error("both an authorization header and query authentication are present")]
    MultipleAuthMechanisms,
    /// Signature Version 2: an `Authorization: AWS key:signature` header, or
    /// `AWSAccessKeyId` and `Signature` query parameters (an S3 presigned URL of old).
    #[error("Signature Version 2 is not supported")]
    SignatureV2 {
        /// Where it was found.
        location: AuthLocation,
    },
    /// An algorithm other than `AWS4-HMAC-SHA256` (SigV4a, ...).
    #[error("unsupported authorization algorithm `{algorithm}`")]
    UnsupportedAlgorithm {
        /// The algorithm as given.
        algorithm: String,
    },
    /// Required authentication components are missing.
    #[error("{location:?} authentication is missing {missing:?}")]
    MissingComponents {
        /// Where authentication was found.
        location: AuthLocation,
        /// Names of the missing components (`Credential`, `X-Amz-Date`, ...).
        missing: Vec<&'static str>,
    },
    /// The credential is not `AKID/YYYYMMDD/REGION/SERVICE/aws4_request`.
    #[error("malformed credential `{credential}`")]
    MalformedCredential {
        /// Where authentication was found.
        location: AuthLocation,
        /// The credential as given.
        credential: String,
    },
    /// The signed headers list is empty, malformed, or does not include `host`.
    #[error("signed headers `{signed_headers}` are malformed or do not include `host`")]
    MalformedSignedHeaders {
        /// Where authentication was found.
        location: AuthLocation,
        /// The list as given.
        signed_headers: String,
    },
    /// Header authentication without `x-amz-date` or `Date`.
    #[error("no `x-amz-date` or `date` header")]
    MissingDate,
    /// The request timestamp does not parse.
    #[error("malformed request date `{value}`")]
    MalformedDate {
        /// Where authentication was found.
        location: AuthLocation,
        /// The value as given.
        value: String,
    },
    /// The credential scope date differs from the request date.
    #[error("credential scope date `{scope_date}` differs from request date `{amz_date}`")]
    ScopeDateMismatch {
        /// `YYYYMMDD` from the credential.
        scope_date: String,
        /// The request timestamp in `X-Amz-Date` form.
        amz_date: String,
    },
    /// `X-Amz-Expires` is not an integer in `1..=604800`.
    #[error("invalid `X-Amz-Expires` value `{value}`")]
    InvalidExpires {
        /// The value as given.
        value: String,
    },
    /// `x-amz-content-sha256` is neither a hex digest nor a known keyword.
    #[error("invalid `x-amz-content-sha256` value `{value}`")]
    InvalidContentSha256 {
        /// The value as given.
        value: String,
    },
    /// S3 header authentication without `x-amz-content-sha256`.
    #[error("missing `x-amz-content-sha256` header")]
    MissingContentSha256,
    /// `x-amz-*` headers present but not signed (S3).
    #[error("headers present but not signed: {names:?}")]
    HeadersNotSigned {
        /// Lowercase names of the unsigned headers, for `<HeadersNotSigned>`.
        names: Vec<String>,
    },
    /// A header named in the signed headers is not in the request.
    #[error("signed header `{name}` is not present")]
    SignedHeaderMissing {
        /// The lowercase header name.
        name: String,
    },
    /// The request time is more than the allowed skew away from the server time.
    #[error("request time {} is too far from server time {}", format_amz_date(*request_time), format_amz_date(*server_time))]
    RequestTimeTooSkewed {
        /// The request timestamp.
        request_time: OffsetDateTime,
        /// The server's `now`.
        server_time: OffsetDateTime,
        /// The allowed skew in seconds.
        max_skew_seconds: i64,
    },
    /// A presigned request used after `X-Amz-Date + X-Amz-Expires`.
    #[error("presigned request expired")]
    PresignedExpired {
        /// The request timestamp.
        request_time: OffsetDateTime,
        /// `X-Amz-Expires` in seconds.
        expires: u32,
        /// The server's `now`.
        server_time: OffsetDateTime,
    },
    /// A presigned request whose `X-Amz-Date` is in the future.
    #[error("presigned request is not valid yet")]
    PresignedNotYetValid {
        /// The request timestamp.
        request_time: OffsetDateTime,
        /// The server's `now`.
        server_time: OffsetDateTime,
    },
    /// The signature does not match. Carries what S3 echoes back.
    #[error("signature does not match")]
    SignatureDoesNotMatch {
        /// Our string to sign.
        string_to_sign: String,
        /// Our canonical request.
        canonical_request: String,
    },
}

impl SigV4Error {
    /// The AWS error code (`<Code>`) for this failure.
    #[must_use]
    pub fn code(&self, dialect: Dialect) -> &'static str {
        use AuthLocation as L;
        use Dialect::{Query, S3};
        match (self, dialect) {
            (Self::MissingAuthentication, Query)
            | (Self::SignatureV2 { location: L::Query }, Query) => "MissingAuthenticationToken",
            // S3 has refused SigV2 for every bucket created since June 2020.
            (Self::SignatureV2 { .. }, S3) => "InvalidRequest",
            (
                Self::SignatureV2 {
                    location: L::Header,
                },
                Query,
            ) => "IncompleteSignature",
            (Self::MissingAuthentication, S3) => "AccessDenied",
            (Self::MultipleAuthMechanisms | Self::UnsupportedAlgorithm { .. }, S3) => {
                "InvalidArgument"
            }
            (Self::MultipleAuthMechanisms | Self::UnsupportedAlgorithm { .. }, Query) => {
                "IncompleteSignature"
            }
            (
                Self::MissingComponents { location, .. }
                | Self::MalformedCredential { location, .. }
                | Self::MalformedSignedHeaders { location, .. },
                S3,
            ) => match location {
                L::Header => "AuthorizationHeaderMalformed",
                L::Query => "AuthorizationQueryParametersError",
            },
            (
                Self::MalformedDate {
                    location: L::Query, ..
                }
                | Self::InvalidExpires { .. },
                S3,
            ) => "AuthorizationQueryParametersError",
            (Self::MissingDate | Self::MalformedDate { .. }, S3) => "AccessDenied",
            (
                Self::MissingComponents { .. }
                | Self::MalformedCredential { .. }
                | Self::MalformedSignedHeaders { .. }
                | Self::MissingDate
                | Self::MalformedDate { .. }
                | Self::InvalidExpires { .. },
                Query,
            ) => "IncompleteSignature",
            (Self::ScopeDateMismatch { .. }, S3) => "AuthorizationHeaderMalformed",
            (Self::InvalidContentSha256 { .. }, _) => "InvalidArgument",
            (Self::MissingContentSha256, _) => "InvalidRequest",
            (Self::RequestTimeTooSkewed { .. }, S3) => "RequestTimeTooSkewed",
            (
                Self::PresignedExpired { .. }
                | Self::PresignedNotYetValid { .. }
                | Self::HeadersNotSigned { .. },
                _,
            ) => "AccessDenied",
            (
                Self::ScopeDateMismatch { .. }
                | Self::RequestTimeTooSkewed { .. }
                | Self::SignedHeaderMissing { .. }
                | Self::SignatureDoesNotMatch { .. },
                Query,
            )
            | (Self::SignedHeaderMissing { .. } | Self::SignatureDoesNotMatch { .. }, S3) => {
                "SignatureDoesNotMatch"
            }
        }
    }

    /// The AWS error message (`<Message>`) for this failure.
    #[must_use]
    pub fn message(&self, dialect: Dialect) -> String {
        use Dialect::{Query, S3};
        match (self, dialect) {
            (Self::MissingAuthentication, Query)
            | (
                Self::SignatureV2 {
                    location: AuthLocation::Query,
                },
                Query,
            ) => "Request is missing Authentication Token".into(),
            (Self::SignatureV2 { .. }, S3) => {
                "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.".into()
            }
            (
                Self::SignatureV2 {
                    location: AuthLocation::Header,
                },
                Query,
            ) => "Unsupported AWS 'algorithm': 'AWS'.".into(),
            (Self::MissingAuthentication, S3) => "Access Denied".into(),
            (Self::MultipleAuthMechanisms, _) => "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified".into(),
            (Self::UnsupportedAlgorithm { .. }, S3) => "Unsupported Authorization Type".into(),
            (Self::UnsupportedAlgorithm { algorithm }, Query) => {
                format!("Unsupported AWS 'algorithm': '{algorithm}'.")
            }
            (Self::MissingComponents { location: AuthLocation::Header, .. }, S3) => {
                "The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature.".into()
            }
            (Self::MissingComponents { location: AuthLocation::Query, .. }, S3) => {
                "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.".into()
            }
            (Self::MissingComponents { location, missing }, Query) => {
                let mut out = String::new();
                for name in missing {
                    if !out.is_empty() {
                        out.push(' ');
                    }
                    match location {
                        AuthLocation::Header => {
                            out.push_str(&format!("Authorization header requires '{name}' parameter."));
                        }
                        AuthLocation::Query => {
                            out.push_str(&format!("AWS query-string parameters must include '{name}'."));
                        }
                    }
                }
                out
            }
            (Self::MalformedCredential { location, .. }, S3) => {
                let lead = match location {
                    AuthLocation::Header => "The authorization header is malformed",
                    AuthLocation::Query => "Error parsing the X-Amz-Credential parameter",
                };
                format!("{lead}; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")
            }
            (Self::MalformedCredential { credential, .. }, Query) => format!(
                "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
            ),
            (Self::MalformedSignedHeaders { .. }, _) => {
                "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".into()
            }
            (Self::MissingDate, Query) => {
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.".into()
            }
            (Self::MissingDate | Self::MalformedDate { location: AuthLocation::Header, .. }, S3) => {
                "AWS authentication requires a valid Date or x-amz-date header".into()
            }
            (Self::MalformedDate { location: AuthLocation::Query, .. }, S3) => {
                "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"".into()
            }
            (Self::MalformedDate { value, .. }, Query) => {
                format!("Date must be in ISO-8601 'basic format'. Got '{value}'. See http://en.wikipedia.org/wiki/ISO_8601")
            }
            (Self::ScopeDateMismatch { .. }, S3) => {
                "The authorization header is malformed; Invalid credential date. Date is not the same as X-Amz-Date.".into()
            }
            (Self::ScopeDateMismatch { scope_date, amz_date }, Query) => format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{scope_date}' != '{}', from '{amz_date}'.",
                amz_date.get(..8).unwrap_or(amz_date)
            ),
            (Self::InvalidExpires { value }, _) => match value.parse::<i64>() {
                Ok(n) if n > i64::from(crate::verify::MAX_PRESIGNED_EXPIRES) => {
                    "X-Amz-Expires must be less than a week (in seconds) that is 604800".into()
                }
                Ok(n) if n < 0 => "X-Amz-Expires must be non-negative".into(),
                _ => "X-Amz-Expires should be a number".into(),
            },
            (Self::InvalidContentSha256 { .. }, _) => {
                "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.".into()
            }
            (Self::MissingContentSha256, _) => {
                "Missing required header for this request: x-amz-content-sha256".into()
            }
            (Self::SignedHeaderMissing { .. } | Self::SignatureDoesNotMatch { .. }, S3) => {
                "The request signature we calculated does not match the signature you provided. Check your key and signing method.".into()
            }
            (Self::SignedHeaderMissing { .. } | Self::SignatureDoesNotMatch { .. }, Query) => {
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.".into()
            }
            (Self::RequestTimeTooSkewed { .. }, S3) => {
                "The difference between the request time and the current time is too large.".into()
            }
            (Self::RequestTimeTooSkewed { .. }, Query) => self.skew_message().unwrap_or_default(),
            (Self::PresignedExpired { .. }, _) => "Request has expired".into(),
            (Self::PresignedNotYetValid { .. }, _) => "Request is not valid yet".into(),
            (Self::HeadersNotSigned { .. }, _) => {
                "There were headers present in the request which were not signed".into()
            }
        }
    }

    /// The query services' clock-skew text, for example
    /// `Signature expired: 20160609T184512Z is now earlier than 20160610T013008Z (20160610T014508Z - 15 min.)`,
    /// or `Signature not yet current: <req> is still later than <now+15> (<now> + 15 min.)`
    /// for a request from the future. `None` for other errors.
    #[must_use]
    pub fn skew_message(&self) -> Option<String> {
        let Self::RequestTimeTooSkewed {
            request_time,
            server_time,
            max_skew_seconds,
        } = self
        else {
            return None;
        };
        let skew = time::Duration::seconds(*max_skew_seconds);
        let minutes = max_skew_seconds / 60;
        let req = format_amz_date(*request_time);
        let now = format_amz_date(*server_time);
        Some(if request_time < server_time {
            let bound = format_amz_date(server_time.saturating_sub(skew));
            format!("Signature expired: {req} is now earlier than {bound} ({now} - {minutes} min.)")
        } else {
            let bound = format_amz_date(server_time.saturating_add(skew));
            format!(
                "Signature not yet current: {req} is still later than {bound} ({now} + {minutes} min.)"
            )
        })
    }
}
