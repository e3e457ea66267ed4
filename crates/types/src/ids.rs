//! Identifiers AWS hands out: access key ids that encode their account, IAM unique ids, and
//! secret access keys. Randomness is injected through [`IdGen`], so tests are reproducible.
//!
//! Access key ids (`AKIA...` long-term, `ASIA...` temporary) carry the owning account in the
//! current AWS format, which is what lets `sts:GetAccessKeyInfo` answer without a lookup.

use crate::secret::SecretAccessKey;
use base64::Engine as _;
use std::sync::Mutex;

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A source of random bytes for identifiers and secrets.
pub trait IdGen: Send + Sync {
    /// Fills `buf` with random bytes.
    fn fill(&self, buf: &mut [u8]);
}

/// A deterministic [`IdGen`] for tests and golden outputs (splitmix64).
#[derive(Debug)]
pub struct SeededIdGen {
    state: Mutex<u64>,
}

impl SeededIdGen {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            state: Mutex::new(seed),
        }
    }
}

impl IdGen for SeededIdGen {
    fn fill(&self, buf: &mut [u8]) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        for chunk in buf.chunks_mut(8) {
            *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = *state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            for (b, v) in chunk.iter_mut().zip(z.to_be_bytes()) {
                *b = v;
            }
        }
    }
}

/// The kind of access key, which decides its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessKeyKind {
    /// `AKIA`: a user's or the root's long-term key.
    LongTerm,
    /// `ASIA`: temporary credentials from STS.
    Temporary,
}

/// The prefix of IAM unique ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UniqueIdKind {
    /// `AIDA`: an IAM user.
    User,
    /// `AROA`: a role.
    Role,
    /// `AGPA`: a group.
    Group,
    /// `ANPA`: a managed policy.
    Policy,
}

impl UniqueIdKind {
    fn prefix(self) -> &'static str {
        match self {
            UniqueIdKind::User => "AIDA",
            UniqueIdKind::Role => "AROA",
            UniqueIdKind::Group => "AGPA",
            UniqueIdKind::Policy => "ANPA",
        }
    }
}

fn base32_char(v: u8) -> char {
    char::from(BASE32.get(usize::from(v & 31)).copied().unwrap_or(b'A'))
}

fn random_base32(ids: &dyn IdGen, n: usize) -> String {
    let mut bytes = vec![0u8; n];
    ids.fill(&mut bytes);
    bytes.iter().map(|b| base32_char(*b)).collect()
}

/// A new access key id of `kind` that encodes `account` (a 12-digit id).
pub fn new_access_key_id(kind: AccessKeyKind, account: u64, ids: &dyn IdGen) -> String {
    let prefix = match kind {
        AccessKeyKind::LongTerm => "AKIA",
        AccessKeyKind::Temporary => "ASIA",
    };
    // Five bytes hold account/2 + 2^39; the parity sits in the top bit of the next 5-bit group.
    let head: u64 = (account / 2) + (1 << 39);
    let mut out = String::with_capacity(20);
    out.push_str(prefix);
    for i in (0..8).rev() {
        out.push(base32_char(((head >> (i * 5)) & 31) as u8));
    }
    let mut tail = [0u8; 8];
    ids.fill(&mut tail);
    let parity = (account % 2) as u8;
    let ninth = (parity << 4) | (tail.first().copied().unwrap_or(0) & 15);
    out.push(base32_char(ninth));
    for b in tail.iter().skip(1) {
        out.push(base32_char(*b));
    }
    out
}

/// The account a current-format access key id encodes, or `None` for ids that do not
/// (old formats, malformed text).
pub fn account_of_access_key_id(id: &str) -> Option<u64> {
    let body = id.get(4..20)?;
    if id.len() != 20 || body.starts_with(['I', 'J']) {
        return None;
    }
    let mut bits: u128 = 0;
    for c in body.bytes() {
        let v = BASE32.iter().position(|b| *b == c)?;
        bits = (bits << 5) | v as u128;
    }
    // 80 bits; the first 48 hold the account.
    let x = (bits >> 32) as u64;
    Some((x & 0x7FFF_FFFF_FF80) >> 7)
}

/// A new IAM unique id such as `AIDA` followed by 17 characters.
pub fn new_unique_id(kind: UniqueIdKind, ids: &dyn IdGen) -> String {
    format!("{}{}", kind.prefix(), random_base32(ids, 17))
}

/// A new 40-character secret access key.
pub fn new_secret_access_key(ids: &dyn IdGen) -> SecretAccessKey {
    let mut bytes = [0u8; 30];
    ids.fill(&mut bytes);
    SecretAccessKey::new(base64::engine::general_purpose::STANDARD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_key_ids_round_trip_their_account() {
        let ids = SeededIdGen::new(7);
        for account in [
            111_111_111_111u64,
            222_222_222_222,
            123_456_789_012,
            1,
            0,
            999_999_999_999,
            123_123_123_123,
            345_345_345_345,
        ] {
            for kind in [AccessKeyKind::LongTerm, AccessKeyKind::Temporary] {
                let id = new_access_key_id(kind, account, &ids);
                assert_eq!(id.len(), 20, "{id}");
                assert_eq!(account_of_access_key_id(&id), Some(account), "{id}");
            }
        }
    }

    #[test]
    fn matches_aws_examples() {
        let ids = SeededIdGen::new(1);
        assert!(
            new_access_key_id(AccessKeyKind::LongTerm, 123_456_789_012, &ids)
                .starts_with("AKIARZPU")
        );
        assert!(new_access_key_id(AccessKeyKind::Temporary, 0, &ids).starts_with("ASIAQAAAAAAA"));
        // Old-format keys carry no account.
        assert_eq!(account_of_access_key_id("AKIAIOSFODNN7EXAMPLE"), None);
        assert_eq!(account_of_access_key_id("short"), None);
    }

    #[test]
    fn unique_ids_and_secrets() {
        let ids = SeededIdGen::new(3);
        let u = new_unique_id(UniqueIdKind::User, &ids);
        assert_eq!(u.len(), 21);
        assert!(u.starts_with("AIDA"));
        assert_ne!(u, new_unique_id(UniqueIdKind::User, &ids));
        let s = new_secret_access_key(&ids);
        assert_eq!(s.expose().len(), 40);
        assert!(!format!("{s:?}").contains(s.expose()));
    }
}
