//! Signing-key derivation and a bounded cache of derived keys.
//!
//! `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
use std::sync::{Mutex, PoisonError};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use siphasher::sip128::{Hasher128, SipHasher13};

/// HMAC-SHA256 of `data` under `key`.
pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC takes keys of any length, so the fallback (an all-zero key, which
    // can only make verification fail) is never taken.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| <Hmac<Sha256> as KeyInit>::new(&Default::default()));
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// A derived SigV4 signing key, kept with its HMAC state already keyed so
/// that signing costs only the message blocks. Its `Debug` output is redacted.
#[derive(Clone)]
pub struct SigningKey {
    raw: [u8; 32],
    mac: Hmac<Sha256>,
}

impl SigningKey {
    /// Derives the signing key for a secret and a credential scope.
    #[must_use]
    pub fn derive(secret: &str, date: &str, region: &str, service: &str) -> Self {
        let mut k_secret = Vec::with_capacity(secret.len() + 4);
        k_secret.extend_from_slice(b"AWS4");
        k_secret.extend_from_slice(secret.as_bytes());
        let k_date = hmac_sha256(&k_secret, date.as_bytes());
        let k_region = hmac_sha256(&k_date, region.as_bytes());
        let k_service = hmac_sha256(&k_region, service.as_bytes());
        let raw = hmac_sha256(&k_service, b"aws4_request");
        let mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&raw)
            .unwrap_or_else(|_| <Hmac<Sha256> as KeyInit>::new(&Default::default()));
        Self { raw, mac }
    }

    /// The lowercase hex HMAC-SHA256 signature of `string_to_sign`.
    #[must_use]
    pub fn sign(&self, string_to_sign: &str) -> String {
        hex::encode(self.sign_raw(string_to_sign.as_bytes()))
    }

    pub(crate) fn sign_raw(&self, data: &[u8]) -> [u8; 32] {
        let mut mac = self.mac.clone();
        mac.update(data);
        mac.finalize().into_bytes().into()
    }
}

impl PartialEq for SigningKey {
    fn eq(&self, other: &Self) -> bool {
        bool::from(subtle::ConstantTimeEq::ct_eq(&self.raw[..], &other.raw[..]))
    }
}

impl Eq for SigningKey {}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(** redacted **)")
    }
}

/// Cache index: 128-bit SipHash-1-3 over the length-prefixed (secret, date, region,
/// service), under a random key drawn per cache. The cache never holds a secret in
/// readable form; without the key nobody can aim a collision, and one by chance is
/// negligible (below 2^-100 per lookup in a full cache).
struct IndexKeys(SipHasher13);

impl IndexKeys {
    fn new() -> Self {
        // std's `RandomState` is seeded from the OS; hashing a constant under two of
        // them yields two unpredictable 64-bit words.
        let [k0, k1] = [0u8, 1].map(|n| RandomState::new().hash_one(n));
        Self(SipHasher13::new_with_keys(k0, k1))
    }

    fn index(&self, secret: &str, date: &str, region: &str, service: &str) -> u128 {
        let mut h = self.0;
        for part in [secret, date, region, service] {
            h.write_usize(part.len());
            h.write(part.as_bytes());
        }
        h.finish128().as_u128()
    }
}

/// The map's own hasher: the index is already a keyed hash, so its low bits serve.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u128` is used; any other input still hashes, if poorly.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u128(&mut self, n: u128) {
        // Truncation intended: the low half of a keyed hash.
        #[allow(clippy::cast_possible_truncation)]
        {
            self.0 = n as u64;
        }
    }
}

/// A thread-safe cache of derived signing keys, keyed by
/// (secret, date, region, service). Bounded: when full it is emptied.
///
/// Share one per server. `Debug` shows only the number of entries.
pub struct KeyCache {
    entries: Mutex<HashMap<u128, SigningKey, BuildHasherDefault<PassThrough>>>,
    keys: IndexKeys,
    capacity: usize,
}

impl KeyCache {
    /// A cache holding at most `capacity` keys (0 disables caching).
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::default()),
            keys: IndexKeys::new(),
            capacity,
        }
    }

    /// The cached key for this scope, deriving and caching it if absent.
    #[must_use]
    pub fn get_or_derive(
        &self,
        secret: &str,
        date: &str,
        region: &str,
        service: &str,
    ) -> SigningKey {
        if self.capacity == 0 {
            return SigningKey::derive(secret, date, region, service);
        }
        let index = self.keys.index(secret, date, region, service);
        {
            let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(key) = entries.get(&index) {
                return key.clone();
            }
        }
        let key = SigningKey::derive(secret, date, region, service);
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= self.capacity {
            entries.clear();
        }
        entries.insert(index, key.clone());
        key
    }

    /// Number of cached keys.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether the cache is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every cached key.
    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

impl Default for KeyCache {
    /// A cache of 1024 keys.
    fn default() -> Self {
        Self::new(1024)
    }
}

impl fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyCache")
            .field("len", &self.len())
            .field("capacity", &self.capacity)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivation_matches_aws_example() {
        // docs.aws.amazon.com "Examples of how to derive a signing key".
        let key = SigningKey::derive(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20120215",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex::encode(key.raw),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    #[test]
    fn every_part_of_the_scope_and_the_secret_selects_the_key() {
        let cache = KeyCache::default();
        let parts = [
            ("secret", "20150830", "us-east-1", "iam"),
            ("secreT", "20150830", "us-east-1", "iam"),
            ("secret", "20150831", "us-east-1", "iam"),
            ("secret", "20150830", "us-east-2", "iam"),
            ("secret", "20150830", "us-east-1", "sts"),
            // Same bytes, split differently: the lengths keep them apart.
            ("secret2", "0150830", "us-east-1", "iam"),
        ];
        for _ in 0..2 {
            for (secret, date, region, service) in parts {
                assert_eq!(
                    cache.get_or_derive(secret, date, region, service),
                    SigningKey::derive(secret, date, region, service),
                    "{secret} {date} {region} {service}"
                );
            }
        }
        assert_eq!(cache.len(), parts.len());
    }

    #[test]
    fn cache_is_bounded_and_redacted() {
        let cache = KeyCache::new(2);
        let a = cache.get_or_derive("secret", "20150830", "us-east-1", "iam");
        assert_eq!(
            cache.get_or_derive("secret", "20150830", "us-east-1", "iam"),
            a
        );
        let _ = cache.get_or_derive("secret", "20150830", "", "iam");
        assert_eq!(cache.len(), 2);
        let _ = cache.get_or_derive("secret", "20150831", "", "iam");
        assert_eq!(cache.len(), 1);
        let shown = format!("{cache:?} {a:?}");
        assert!(!shown.contains("secret"), "{shown}");
    }
}
