//! Stateless temporary credentials.
//!
//! A session token carries the whole session (role, session name, expiry, session policies,
//! tags, source identity, MFA state) sealed with a server key (AES-256-GCM), so
//! verifying a role session needs no store lookup and `AssumeRole` writes nothing. The
//! temporary secret is derived from the access key id with the same key, so it is never
//! stored either. A token that was altered, forged without the key, or paired with another
//! access key id does not open.

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Aead as _, KeyInit as _, Payload as AesPayload};
use base64::Engine as _;
use chacha20poly1305::aead::{Aead as _, Payload};
use chacha20poly1305::{ChaCha20Poly1305, KeyInit as _, Nonce};
use hmac::{Hmac, Mac};
use roleplay_types::{IdGen, SecretAccessKey, SessionToken};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::fmt;

/// `VERSION | nonce | AES-256-GCM(key, nonce, msg, aad)`: what is sealed now.
const VERSION: u8 = 2;
/// `1 | nonce | ChaCha20-Poly1305(key, nonce, msg, aad)`: what earlier servers sealed. Still
/// opened (a persisted server key outlives an upgrade, and so do the sessions it sealed);
/// never written.
const VERSION_CHACHA: u8 = 1;
const NONCE_LEN: usize = 12;
const AAD: &[u8] = b"roleplay session token v1";
/// Tokens longer than this are refused before any cryptography.
const MAX_TOKEN_LEN: usize = 16 * 1024;

/// How the temporary credentials were obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SessionKind {
    /// `AssumeRole`: a role session.
    AssumedRole,
    /// `GetSessionToken`: the same user (or root) with temporary keys.
    SessionToken,
    /// `GetFederationToken`: a federated user.
    FederatedUser,
}

/// Everything a later request needs to know about the session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionClaims {
    /// What kind of session this is.
    pub kind: SessionKind,
    /// The temporary access key id (`ASIA...`) the token belongs to.
    pub access_key_id: String,
    /// The account the session lives in (the role's account for role sessions).
    pub account: String,
    /// The principal ARN behind the session: the role ARN (with path), or the user ARN.
    pub principal_arn: String,
    /// The role's or user's unique id.
    pub principal_id: String,
    /// The role session name or federated user name; empty for GetSessionToken.
    pub session_name: String,
    /// Issue time, Unix seconds.
    pub issued_at: i64,
    /// Expiry, Unix seconds.
    pub expires_at: i64,
    /// The inline session policy, as submitted.
    pub policy: Option<String>,
    /// Managed session policy ARNs.
    pub policy_arns: Vec<String>,
    /// Session tags (override the principal's tags with the same key).
    pub tags: Vec<(String, String)>,
    /// Tag keys that pass on to chained sessions.
    pub transitive_tag_keys: Vec<String>,
    /// The source identity, immutable along a chain.
    pub source_identity: Option<String>,
    /// Whether MFA was used to obtain the session.
    pub mfa_authenticated: bool,
    /// Whether these credentials came from other temporary credentials (role chaining).
    pub chained: bool,
}

/// Why a session token was refused. Both map to AWS's `InvalidClientTokenId`
/// ("The security token included in the request is invalid."); expiry is the caller's check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a token of ours: bad encoding, wrong version, too long.
    #[error("malformed session token")]
    Malformed,
    /// The token does not open with the server key, or names another access key id.
    #[error("session token does not verify")]
    Invalid,
}

/// The server key that seals session tokens and derives temporary secrets.
#[derive(Clone)]
pub struct TokenKey {
    seal: SealKey,
    secrets: [u8; 32],
    messages: SealKey,
}

/// A sealing key, with its AES key schedule computed once.
#[derive(Clone)]
struct SealKey {
    raw: [u8; 32],
    aes: Aes256Gcm,
}

impl SealKey {
    fn new(raw: [u8; 32]) -> Self {
        Self {
            aes: Aes256Gcm::new(&raw.into()),
            raw,
        }
    }
}

const MESSAGE_AAD: &[u8] = b"roleplay authorization message v1";

/// `VERSION | nonce | AES-256-GCM(key, nonce, msg, aad)`, with a random nonce.
fn seal_bytes(key: &SealKey, aad: &[u8], msg: &[u8], ids: &dyn IdGen) -> Vec<u8> {
    let mut nonce = [0u8; NONCE_LEN];
    ids.fill(&mut nonce);
    let sealed = key
        .aes
        .encrypt(&nonce.into(), AesPayload { msg, aad })
        .unwrap_or_default();
    let mut raw = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
    raw.push(VERSION);
    raw.extend_from_slice(&nonce);
    raw.extend_from_slice(&sealed);
    raw
}

/// The inverse of [`seal_bytes`]; `Err(true)` when `raw` is not shaped as a sealed value,
/// `Err(false)` when it does not open.
fn open_bytes(key: &SealKey, aad: &[u8], raw: &[u8]) -> Result<Vec<u8>, bool> {
    let (version, rest) = raw.split_first().ok_or(true)?;
    if rest.len() < NONCE_LEN {
        return Err(true);
    }
    let (nonce, sealed) = rest.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| true)?;
    match *version {
        VERSION => key
            .aes
            .decrypt(&nonce.into(), AesPayload { msg: sealed, aad })
            .map_err(|_| false),
        VERSION_CHACHA => ChaCha20Poly1305::new(&key.raw.into())
            .decrypt(&Nonce::from(nonce), Payload { msg: sealed, aad })
            .map_err(|_| false),
        _ => Err(true),
    }
}

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenKey(** redacted **)")
    }
}

type HmacSha256 = Hmac<Sha256>;

fn derive(master: &[u8; 32], label: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    if let Ok(mut mac) = <HmacSha256 as hmac::KeyInit>::new_from_slice(master) {
        mac.update(label);
        out.copy_from_slice(&mac.finalize().into_bytes());
    }
    out
}

impl TokenKey {
    /// The key derived from a 32-byte master secret (kept by the server across restarts).
    pub fn from_master(master: &[u8; 32]) -> Self {
        Self {
            seal: SealKey::new(derive(master, b"seal")),
            secrets: derive(master, b"temporary secrets"),
            messages: SealKey::new(derive(master, b"authorization messages")),
        }
    }

    /// A fresh random key.
    pub fn generate(ids: &dyn IdGen) -> ([u8; 32], Self) {
        let mut master = [0u8; 32];
        ids.fill(&mut master);
        let key = Self::from_master(&master);
        (master, key)
    }

    /// The secret access key belonging to a temporary access key id.
    pub fn temporary_secret(&self, access_key_id: &str) -> SecretAccessKey {
        let mut bytes = [0u8; 32];
        if let Ok(mut mac) = <HmacSha256 as hmac::KeyInit>::new_from_slice(&self.secrets) {
            mac.update(access_key_id.as_bytes());
            bytes.copy_from_slice(&mac.finalize().into_bytes());
        }
        let text =
            base64::engine::general_purpose::STANDARD.encode(bytes.get(..30).unwrap_or(&bytes));
        SecretAccessKey::new(text)
    }

    /// Seals `claims` into a session token.
    pub fn seal(&self, claims: &SessionClaims, ids: &dyn IdGen) -> SessionToken {
        let plain = serde_json::to_vec(claims).unwrap_or_default();
        let raw = seal_bytes(&self.seal, AAD, &plain, ids);
        SessionToken::new(base64::engine::general_purpose::STANDARD.encode(raw))
    }

    /// Seals an authorization message for `DecodeAuthorizationMessage`.
    pub fn seal_message(&self, plain: &[u8], ids: &dyn IdGen) -> String {
        let raw = seal_bytes(&self.messages, MESSAGE_AAD, plain, ids);
        // '.' for '-': a message starting with '-' reads as an option to the aws CLI.
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(raw)
            .replace('-', ".")
    }

    /// Opens a message sealed by [`TokenKey::seal_message`].
    pub fn open_message(&self, text: &str) -> Option<Vec<u8>> {
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text.trim().replace('.', "-"))
            .ok()?;
        open_bytes(&self.messages, MESSAGE_AAD, &raw).ok()
    }

    /// Opens a token presented with `access_key_id`.
    pub fn open(&self, token: &str, access_key_id: &str) -> Result<SessionClaims, TokenError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(TokenError::Malformed);
        }
        let raw = base64::engine::general_purpose::STANDARD
            .decode(token)
            .map_err(|_| TokenError::Malformed)?;
        let plain = open_bytes(&self.seal, AAD, &raw).map_err(|malformed| {
            if malformed {
                TokenError::Malformed
            } else {
                TokenError::Invalid
            }
        })?;
        let claims: SessionClaims =
            serde_json::from_slice(&plain).map_err(|_| TokenError::Invalid)?;
        if claims.access_key_id != access_key_id {
            return Err(TokenError::Invalid);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use roleplay_types::SeededIdGen;

    fn claims() -> SessionClaims {
        SessionClaims {
            kind: SessionKind::AssumedRole,
            access_key_id: "ASIAEXAMPLE000000001".into(),
            account: "345345345345".into(),
            principal_arn: "arn:aws:iam::345345345345:role/accounta".into(),
            principal_id: "AROAEXAMPLE0000000001".into(),
            session_name: "botocore-session-1".into(),
            issued_at: 1_800_000_000,
            expires_at: 1_800_003_600,
            policy: Some(r#"{"Version":"2012-10-17"}"#.into()),
            policy_arns: vec![],
            tags: vec![("team".into(), "blue".into())],
            transitive_tag_keys: vec![],
            source_identity: None,
            mfa_authenticated: false,
            chained: false,
        }
    }

    #[test]
    fn messages_never_read_as_options_and_open_again() {
        let ids = SeededIdGen::new(3);
        let (_, key) = TokenKey::generate(&ids);
        // One message in 64 would start with '-' in plain base64url.
        for _ in 0..512 {
            let m = key.seal_message(b"why", &ids);
            assert!(!m.starts_with('-'), "{m}");
            assert_eq!(key.open_message(&m).as_deref(), Some(&b"why"[..]));
        }
    }

    #[test]
    fn seals_and_opens() {
        let ids = SeededIdGen::new(1);
        let (_, key) = TokenKey::generate(&ids);
        let token = key.seal(&claims(), &ids);
        assert_eq!(
            key.open(token.expose(), "ASIAEXAMPLE000000001"),
            Ok(claims())
        );
        // Bound to its access key id.
        assert_eq!(
            key.open(token.expose(), "ASIAEXAMPLE000000002"),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn refuses_altered_forged_and_garbage_tokens() {
        let ids = SeededIdGen::new(2);
        let (_, key) = TokenKey::generate(&ids);
        let (_, other) = TokenKey::generate(&ids);
        let token = key.seal(&claims(), &ids);
        let akid = "ASIAEXAMPLE000000001";
        assert_eq!(other.open(token.expose(), akid), Err(TokenError::Invalid));
        let mut raw = base64::engine::general_purpose::STANDARD
            .decode(token.expose())
            .unwrap();
        for i in [1, 13, raw.len() - 1] {
            raw[i] ^= 1;
            let altered = base64::engine::general_purpose::STANDARD.encode(&raw);
            assert_eq!(
                key.open(&altered, akid),
                Err(TokenError::Invalid),
                "byte {i}"
            );
            raw[i] ^= 1;
        }
        for garbage in ["", "!!!", "AQ==", &"A".repeat(20_000)] {
            assert_eq!(
                key.open(garbage, akid),
                Err(TokenError::Malformed),
                "{garbage:.10}"
            );
        }
    }

    /// A token as servers before AES-256-GCM sealed it.
    fn seal_chacha(key: &SealKey, aad: &[u8], msg: &[u8]) -> String {
        let nonce = [9u8; NONCE_LEN];
        let sealed = ChaCha20Poly1305::new(&key.raw.into())
            .encrypt(&Nonce::from(nonce), Payload { msg, aad })
            .unwrap();
        let raw = [&[VERSION_CHACHA][..], &nonce, &sealed].concat();
        base64::engine::general_purpose::STANDARD.encode(raw)
    }

    #[test]
    fn tokens_sealed_by_earlier_servers_still_open() {
        let key = TokenKey::from_master(&[5; 32]);
        let akid = "ASIAEXAMPLE000000001";
        let plain = serde_json::to_vec(&claims()).unwrap();
        let old = seal_chacha(&key.seal, AAD, &plain);
        assert_eq!(key.open(&old, akid), Ok(claims()));
        let other = TokenKey::from_master(&[6; 32]);
        assert_eq!(other.open(&old, akid), Err(TokenError::Invalid));

        // What is sealed now is version 2, and does not open as version 1.
        let new = key.seal(&claims(), &SeededIdGen::new(4));
        let mut raw = base64::engine::general_purpose::STANDARD
            .decode(new.expose())
            .unwrap();
        assert_eq!(raw[0], VERSION);
        raw[0] = VERSION_CHACHA;
        let relabelled = base64::engine::general_purpose::STANDARD.encode(&raw);
        assert_eq!(key.open(&relabelled, akid), Err(TokenError::Invalid));
        raw[0] = 3;
        let unknown = base64::engine::general_purpose::STANDARD.encode(&raw);
        assert_eq!(key.open(&unknown, akid), Err(TokenError::Malformed));
    }

    #[test]
    fn temporary_secrets_are_stable_and_distinct() {
        let key = TokenKey::from_master(&[7; 32]);
        let a = key.temporary_secret("ASIAEXAMPLE000000001");
        assert_eq!(a.expose().len(), 40);
        assert_eq!(
            a,
            TokenKey::from_master(&[7; 32]).temporary_secret("ASIAEXAMPLE000000001")
        );
        assert_ne!(a, key.temporary_secret("ASIAEXAMPLE000000002"));
        assert_ne!(
            a,
            TokenKey::from_master(&[8; 32]).temporary_secret("ASIAEXAMPLE000000001")
        );
        assert_eq!(format!("{key:?}"), "TokenKey(** redacted **)");
    }
}
