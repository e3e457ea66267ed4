//! Phase two: check the claims against the secret and the clock.

use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use crate::canonical::{string_to_sign, write_canonical_request};
use crate::error::SigV4Error;
use crate::key::{KeyCache, SigningKey};
use crate::parse::{AuthKind, Claims};
use crate::settings::SigningSettings;
use crate::view::RequestView;

/// The longest presigned validity AWS accepts: one week, in seconds.
pub const MAX_PRESIGNED_EXPIRES: u32 = 604_800;

/// A request whose signature checked out: its claims, and what a streaming
/// body needs to continue the signature chain ([`crate::ChunkedDecoder`]).
/// `Debug` redacts the session token and the key.
#[derive(Clone)]
pub struct Verified {
    /// The claims the signature proved.
    pub claims: Claims,
    pub(crate) key: SigningKey,
}

impl std::fmt::Debug for Verified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verified")
            .field("claims", &self.claims)
            .finish_non_exhaustive()
    }
}

impl Verified {
    /// The signing key that verified the request (redacted in `Debug`).
    #[must_use]
    pub fn signing_key(&self) -> &SigningKey {
        &self.key
    }
}

/// Verifies a parsed request against the secret of its access key.
///
/// Checks, in order: clock skew (header auth) or validity window (presigned),
/// then the signature, in constant time. The signing key comes from `cache`.
///
/// # Errors
/// [`SigV4Error::RequestTimeTooSkewed`], [`SigV4Error::PresignedExpired`],
/// [`SigV4Error::PresignedNotYetValid`], [`SigV4Error::SignedHeaderMissing`]
/// or [`SigV4Error::SignatureDoesNotMatch`].
pub fn verify(
    claims: Claims,
    view: &RequestView<'_>,
    secret: &str,
    now: OffsetDateTime,
    cache: &KeyCache,
    settings: &SigningSettings,
) -> Result<Verified, SigV4Error> {
    check_time(&claims, now, settings)?;

    let presigned = matches!(claims.kind, AuthKind::Presigned { .. });
    let mut canonical_request = String::with_capacity(256 + view.query.len() + view.path.len());
    write_canonical_request(
        &mut canonical_request,
        view,
        claims.signed_headers(),
        settings,
        presigned,
    )?;
    let string_to_sign =
        string_to_sign(claims.amz_date(), claims.scope.as_str(), &canonical_request);

    let key = cache.get_or_derive(
        secret,
        claims.scope.date(),
        claims.scope.region(),
        claims.scope.service(),
    );
    let expected = key.sign_raw(string_to_sign.as_bytes());
    let mut expected_hex = [0u8; 64];
    // 32 bytes always fit 64 hex digits; on failure the comparison fails.
    let encoded = hex::encode_to_slice(expected, &mut expected_hex).is_ok();
    if !(encoded && same_bytes(&expected_hex, claims.signature().as_bytes())) {
        return Err(SigV4Error::SignatureDoesNotMatch {
            string_to_sign,
            canonical_request,
        });
    }
    Ok(Verified { claims, key })
}

/// Whether `given` equals the `expected` signature (of a request, chunk or trailer), in time
/// that depends only on the lengths: the bytes are compared eight at a time into one
/// accumulator, tested once behind an optimization barrier (a per-byte barrier costs more
/// than the rest of the comparison).
pub(crate) fn same_bytes(expected: &[u8; 64], given: &[u8]) -> bool {
    if given.len() != expected.len() {
        return false;
    }
    let mut diff = 0u64;
    for (a, b) in expected.chunks_exact(8).zip(given.chunks_exact(8)) {
        let lane = |c: &[u8]| u64::from_ne_bytes(c.try_into().unwrap_or([0; 8]));
        diff |= lane(a) ^ lane(b);
    }
    bool::from(diff.ct_eq(&0))
}

fn check_time(
    claims: &Claims,
    now: OffsetDateTime,
    settings: &SigningSettings,
) -> Result<(), SigV4Error> {
    let skew = time::Duration::seconds(settings.max_skew_seconds);
    let request_time = claims.timestamp;
    match claims.kind {
        AuthKind::Header => {
            if request_time < now.saturating_sub(skew) || request_time > now.saturating_add(skew) {
                return Err(SigV4Error::RequestTimeTooSkewed {
                    request_time,
                    server_time: now,
                    max_skew_seconds: settings.max_skew_seconds,
                });
            }
        }
        AuthKind::Presigned { expires } => {
            if request_time > now.saturating_add(skew) {
                return Err(SigV4Error::PresignedNotYetValid {
                    request_time,
                    server_time: now,
                });
            }
            if now > request_time.saturating_add(time::Duration::seconds(i64::from(expires))) {
                return Err(SigV4Error::PresignedExpired {
                    request_time,
                    expires,
                    server_time: now,
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::same_bytes;

    #[test]
    fn every_byte_of_a_signature_counts() {
        let expected = *b"f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d";
        assert!(same_bytes(&expected, &expected));
        for i in 0..expected.len() {
            let mut given = expected;
            given[i] ^= 1;
            assert!(!same_bytes(&expected, &given), "byte {i}");
        }
        assert!(!same_bytes(&expected, &expected[..63]));
        assert!(!same_bytes(&expected, b""));
    }
}
