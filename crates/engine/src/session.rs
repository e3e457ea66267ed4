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

/// `3 | nonce | AES-256-GCM(key, nonce, claims, AAD_V3)`, the claims in postcard's compact
/// encoding: what is sealed now. A token is a third of its JSON-sealed length, and is
/// sealed and read without JSON on every request a role session signs.
const VERSION: u8 = 3;
/// `2 | nonce | AES-256-GCM(key, nonce, msg, aad)`, the claims as JSON: tokens sealed by
/// earlier servers, and authorization messages (still written). Tokens of this version and
/// of version 1 are still opened: a persisted server key outlives an upgrade, and so do
/// the sessions it sealed.
const VERSION_AES_JSON: u8 = 2;
/// `1 | nonce | ChaCha20-Poly1305(key, nonce, msg, aad)`, the claims as JSON: opened, never
/// written.
const VERSION_CHACHA: u8 = 1;
const NONCE_LEN: usize = 12;
/// Authenticated with the JSON claims of versions 1 and 2.
const AAD: &[u8] = b"roleplay session token v1";
/// Authenticated with version 3's claims, so that relabelling a token's version makes it
/// fail to open rather than decode one encoding as the other.
const AAD_V3: &[u8] = b"roleplay session token v3";
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
    /// HMAC keyed once with the secret-deriving key; cloned per temporary secret.
    secrets: HmacSha256,
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

/// `version | nonce | AES-256-GCM(key, nonce, msg, aad)`, with a random nonce.
fn seal_bytes(key: &SealKey, version: u8, aad: &[u8], msg: &[u8], ids: &dyn IdGen) -> Vec<u8> {
    let mut nonce = [0u8; NONCE_LEN];
    ids.fill(&mut nonce);
    let sealed = key
        .aes
        .encrypt(&nonce.into(), AesPayload { msg, aad })
        .unwrap_or_default();
    let mut raw = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
    raw.push(version);
    raw.extend_from_slice(&nonce);
    raw.extend_from_slice(&sealed);
    raw
}

/// The inverse of [`seal_bytes`] for the versions in `accepted`, each with its AAD: the
/// version and the plain bytes. `Err(true)` when `raw` is not shaped as a sealed value of
/// those versions, `Err(false)` when it does not open.
fn open_bytes(key: &SealKey, accepted: &[(u8, &[u8])], raw: &[u8]) -> Result<(u8, Vec<u8>), bool> {
    let (&version, rest) = raw.split_first().ok_or(true)?;
    let &(_, aad) = accepted.iter().find(|(v, _)| *v == version).ok_or(true)?;
    if rest.len() < NONCE_LEN {
        return Err(true);
    }
    let (nonce, sealed) = rest.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| true)?;
    let plain = if version == VERSION_CHACHA {
        ChaCha20Poly1305::new(&key.raw.into())
            .decrypt(&Nonce::from(nonce), Payload { msg: sealed, aad })
            .map_err(|_| false)?
    } else {
        key.aes
            .decrypt(&nonce.into(), AesPayload { msg: sealed, aad })
            .map_err(|_| false)?
    };
    Ok((version, plain))
}

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenKey(** redacted **)")
    }
}

type HmacSha256 = Hmac<Sha256>;

fn derive(master: &[u8; 32], label: &[u8]) -> [u8; 32] {
    let mut mac = keyed(master);
    mac.update(label);
    mac.finalize().into_bytes().into()
}

/// HMAC-SHA256 keyed with `key`. HMAC pads a key shorter than its block with zeros, so the
/// padded block is the same key, and keying this way cannot fail.
fn keyed(key: &[u8; 32]) -> HmacSha256 {
    let mut block = [0u8; 64];
    for (b, k) in block.iter_mut().zip(key) {
        *b = *k;
    }
    <HmacSha256 as hmac::KeyInit>::new(&block.into())
}

impl TokenKey {
    /// The key derived from a 32-byte master secret (kept by the server across restarts).
    pub fn from_master(master: &[u8; 32]) -> Self {
        Self {
            seal: SealKey::new(derive(master, b"seal")),
            secrets: keyed(&derive(master, b"temporary secrets")),
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
        let mut mac = self.secrets.clone();
        mac.update(access_key_id.as_bytes());
        let bytes = mac.finalize().into_bytes();
        let text =
            base64::engine::general_purpose::STANDARD.encode(bytes.get(..30).unwrap_or(&bytes));
        SecretAccessKey::new(text)
    }

    /// Seals `claims` into a session token.
    pub fn seal(&self, claims: &SessionClaims, ids: &dyn IdGen) -> SessionToken {
        // Sized for a plain role session's claims (about 150 bytes), so that they are
        // written without growing the buffer.
        let plain = postcard::to_extend(claims, Vec::with_capacity(256)).unwrap_or_default();
        let raw = seal_bytes(&self.seal, VERSION, AAD_V3, &plain, ids);
        SessionToken::new(base64::engine::general_purpose::STANDARD.encode(raw))
    }

    /// Seals an authorization message for `DecodeAuthorizationMessage`.
    pub fn seal_message(&self, plain: &[u8], ids: &dyn IdGen) -> String {
        let raw = seal_bytes(&self.messages, VERSION_AES_JSON, MESSAGE_AAD, plain, ids);
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
        open_bytes(
            &self.messages,
            &[
                (VERSION_AES_JSON, MESSAGE_AAD),
                (VERSION_CHACHA, MESSAGE_AAD),
            ],
            &raw,
        )
        .ok()
        .map(|(_, plain)| plain)
    }

    /// Opens a token presented with `access_key_id`.
    pub fn open(&self, token: &str, access_key_id: &str) -> Result<SessionClaims, TokenError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(TokenError::Malformed);
        }
        let raw = base64::engine::general_purpose::STANDARD
            .decode(token)
            .map_err(|_| TokenError::Malformed)?;
        let accepted = [
            (VERSION, AAD_V3),
            (VERSION_AES_JSON, AAD),
            (VERSION_CHACHA, AAD),
        ];
        let (version, plain) = open_bytes(&self.seal, &accepted, &raw).map_err(|malformed| {
            if malformed {
                TokenError::Malformed
            } else {
                TokenError::Invalid
            }
        })?;
        let claims: SessionClaims = if version == VERSION {
            postcard::from_bytes(&plain).map_err(|_| TokenError::Invalid)?
        } else {
            serde_json::from_slice(&plain).map_err(|_| TokenError::Invalid)?
        };
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
        let other = TokenKey::from_master(&[6; 32]);
        let v1 = seal_chacha(&key.seal, AAD, &plain);
        let v2 = base64::engine::general_purpose::STANDARD.encode(seal_bytes(
            &key.seal,
            VERSION_AES_JSON,
            AAD,
            &plain,
            &SeededIdGen::new(5),
        ));
        for old in [&v1, &v2] {
            assert_eq!(key.open(old, akid), Ok(claims()));
            assert_eq!(other.open(old, akid), Err(TokenError::Invalid));
        }

        // What is sealed now is version 3, a fraction of the JSON token's length, and does
        // not open under an earlier version's label.
        let new = key.seal(&claims(), &SeededIdGen::new(4));
        assert!(
            new.expose().len() * 2 < v2.len(),
            "{} against {}",
            new.expose().len(),
            v2.len()
        );
        let mut raw = base64::engine::general_purpose::STANDARD
            .decode(new.expose())
            .unwrap();
        assert_eq!(raw[0], VERSION);
        for earlier in [VERSION_AES_JSON, VERSION_CHACHA] {
            raw[0] = earlier;
            let relabelled = base64::engine::general_purpose::STANDARD.encode(&raw);
            assert_eq!(key.open(&relabelled, akid), Err(TokenError::Invalid));
        }
        raw[0] = 4;
        let unknown = base64::engine::general_purpose::STANDARD.encode(&raw);
        assert_eq!(key.open(&unknown, akid), Err(TokenError::Malformed));
    }

    #[test]
    fn every_claim_survives_the_compact_encoding() {
        let ids = SeededIdGen::new(6);
        let (_, key) = TokenKey::generate(&ids);
        let full = SessionClaims {
            kind: SessionKind::FederatedUser,
            access_key_id: "ASIAEXAMPLE000000009".into(),
            account: "123456789012".into(),
            principal_arn: "arn:aws:iam::123456789012:user/ops/ana".into(),
            principal_id: "AIDAEXAMPLE0000000009".into(),
            session_name: "é \"quoted\" \u{1}".into(),
            issued_at: -1,
            expires_at: i64::MAX,
            policy: Some("{}".repeat(1_000)),
            policy_arns: vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into(); 10],
            tags: vec![("k".into(), String::new()), (String::new(), "v".into())],
            transitive_tag_keys: vec!["k".into()],
            source_identity: Some("ana".into()),
            mfa_authenticated: true,
            chained: true,
        };
        let empty = SessionClaims {
            kind: SessionKind::SessionToken,
            access_key_id: "ASIAEXAMPLE000000010".into(),
            account: String::new(),
            principal_arn: String::new(),
            principal_id: String::new(),
            session_name: String::new(),
            issued_at: 0,
            expires_at: 0,
            policy: None,
            policy_arns: vec![],
            tags: vec![],
            transitive_tag_keys: vec![],
            source_identity: None,
            mfa_authenticated: false,
            chained: false,
        };
        for claims in [full, empty] {
            let token = key.seal(&claims, &ids);
            assert_eq!(key.open(token.expose(), &claims.access_key_id), Ok(claims));
        }
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
        // The secret given out by every earlier server for the same key and id, computed
        // as they computed it: HMAC keyed from the slice, at both steps.
        let hmac = |key: &[u8], data: &[u8]| {
            let mut mac = <HmacSha256 as hmac::KeyInit>::new_from_slice(key).unwrap();
            mac.update(data);
            mac.finalize().into_bytes()
        };
        let derived = hmac(&[7; 32], b"temporary secrets");
        assert_eq!(derive(&[7; 32], b"temporary secrets")[..], derived[..]);
        let want = base64::engine::general_purpose::STANDARD
            .encode(&hmac(&derived, b"ASIAEXAMPLE000000001")[..30]);
        assert_eq!(a.expose(), want);
        assert_ne!(
            a,
            TokenKey::from_master(&[8; 32]).temporary_secret("ASIAEXAMPLE000000001")
        );
        assert_eq!(format!("{key:?}"), "TokenKey(** redacted **)");
    }
}
