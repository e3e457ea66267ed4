//! The operation logic of roleplay's IAM, STS and S3: authentication of access keys and
//! sessions, authorization through the policy engine, then the operation itself.
//! Synchronous and free of HTTP; the server calls it. Authorization happens inside each
//! operation, before any change, so no caller can forget it.
#![warn(missing_docs)]

mod authz;
pub mod aws_managed;
mod cache;
pub mod decisions;
pub mod error;
pub mod iam;
mod identity;
pub mod s3;
pub mod scenario;
pub mod session;
pub mod sts;
mod whatif;

pub use decisions::DecisionLog;
pub use error::{ApiError, ErrorCode, Fault};
pub use identity::{Identity, IdentityData, IdentityKind};

use roleplay_store::{
    AccessKey, Account, BlobStore, Checksums, KeyOwner, KeyStatus, ManagedPolicy, PolicyScope,
    PolicyVersion, Store, StoreError, StoreExt, WriteError,
};
use roleplay_types::{AccountId, Arn, IdGen, SecretAccessKey, UniqueIdKind, new_unique_id};
use session::TokenKey;
use std::net::IpAddr;
use std::str::FromStr;
use std::sync::Arc;
use time::OffsetDateTime;

/// Facts about the request that are not its parameters.
#[derive(Debug, Clone)]
pub struct RequestInfo {
    /// The request id returned to the client, under which the decision log files the request.
    pub request_id: String,
    /// When the request is handled.
    pub now: OffsetDateTime,
    /// The client's address (`aws:SourceIp`).
    pub source_ip: Option<IpAddr>,
    /// The region of the credential scope (`aws:RequestedRegion`).
    pub region: String,
    /// Whether the request came over TLS (`aws:SecureTransport`).
    pub secure: bool,
    /// The `User-Agent` header (`aws:UserAgent`).
    pub user_agent: Option<String>,
    /// S3's condition keys that come from the request itself (`s3:x-amz-acl`,
    /// `s3:x-amz-server-side-encryption`, `s3:authType`, ...), lower-case names; empty for
    /// the other services.
    pub s3_keys: Vec<(&'static str, String)>,
}

/// The result of authenticating an access key: who it is and the secret to verify with.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The caller.
    pub identity: Identity,
    /// The secret the request must be signed with.
    pub secret: SecretAccessKey,
}

/// IAM, STS (and later S3) over one store.
pub struct Engine {
    store: Arc<dyn Store>,
    blobs: BlobStore,
    ids: Arc<dyn IdGen>,
    tokens: TokenKey,
    policies: authz::PolicyCache,
    decisions: Option<DecisionLog>,
    cache: cache::IamCache,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

impl ApiError {
    /// A failure of the store: logged by the server, shown to clients without detail.
    pub(crate) fn internal(e: StoreError) -> Self {
        ApiError::new(
            ErrorCode::InternalFailure,
            format!("internal store failure: {e}"),
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::internal(e)
    }
}

/// ISO 8601 UTC with whole seconds, as IAM and STS write times.
pub(crate) fn iso8601(t: OffsetDateTime) -> String {
    roleplay_wire::time::format_iso8601(t)
}

pub(crate) fn iso8601_from_unix(secs: i64) -> String {
    OffsetDateTime::from_unix_timestamp(secs)
        .map(iso8601)
        .unwrap_or_default()
}

const INVALID_TOKEN: &str = "The security token included in the request is invalid.";

impl Engine {
    /// An engine over `store`. AWS managed policies are added to the store if missing.
    pub fn new(
        store: Arc<dyn Store>,
        ids: Arc<dyn IdGen>,
        tokens: TokenKey,
        now: OffsetDateTime,
    ) -> Result<Self, ApiError> {
        let engine = Self {
            store,
            blobs: BlobStore::in_memory(),
            ids,
            tokens,
            policies: authz::PolicyCache::default(),
            decisions: None,
            cache: cache::IamCache::default(),
        };
        engine.seed_aws_managed(now)?;
        Ok(engine)
    }

    /// Files every authorization decision in `log`.
    pub fn with_decision_log(mut self, log: DecisionLog) -> Self {
        let (tokens, ids) = (self.tokens.clone(), self.ids.clone());
        log.set_sealer(std::sync::Arc::new(move |plain: &[u8]| {
            tokens.seal_message(plain, ids.as_ref())
        }));
        self.decisions = Some(log);
        self
    }

    /// The decision log, if decisions are filed.
    pub fn decision_log(&self) -> Option<&DecisionLog> {
        self.decisions.as_ref()
    }

    /// The store.
    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// Keeps object bodies in `blobs` (memory by default).
    pub fn with_blobs(mut self, blobs: BlobStore) -> Self {
        self.blobs = blobs;
        self
    }

    /// Where object bodies live.
    pub fn blobs(&self) -> &BlobStore {
        &self.blobs
    }

    fn seed_aws_managed(&self, now: OffsetDateTime) -> Result<(), ApiError> {
        let ids = self.ids.clone();
        self.store.write(|tx| {
            for p in aws_managed::AWS_MANAGED_POLICIES {
                let arn = Arn::from_str(&p.arn())
                    .map_err(|e| ApiError::new(ErrorCode::InternalFailure, e.to_string()))?;
                if tx.get_policy(&arn)?.is_some() {
                    continue;
                }
                let policy = ManagedPolicy {
                    scope: PolicyScope::Aws,
                    name: p.name.to_owned(),
                    path: p.path.to_owned(),
                    unique_id: new_unique_id(UniqueIdKind::Policy, ids.as_ref()),
                    arn,
                    default_version_id: "v1".to_owned(),
                    versions: vec![PolicyVersion {
                        version_id: "v1".to_owned(),
                        document: p.document.to_owned(),
                        create_date: now,
                    }],
                    versions_created: 1,
                    attachment_count: 0,
                    boundary_usage_count: 0,
                    description: Some(p.description.to_owned()),
                    tags: Vec::new(),
                    create_date: now,
                    update_date: now,
                };
                tx.create_policy(&policy).map_err(write_error)?;
            }
            Ok(())
        })
    }

    /// Resolves an access key (and, for temporary keys, its session token) to the caller and
    /// the secret its requests are signed with.
    pub fn authenticate(
        &self,
        access_key_id: &str,
        session_token: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<Authenticated, ApiError> {
        let invalid = || ApiError::new(ErrorCode::InvalidClientTokenId, INVALID_TOKEN);
        // Read before the store: an entry is tagged no newer than the state it came from.
        let generation = self.store.iam_generation();
        if access_key_id.starts_with("ASIA") {
            let token = session_token.ok_or_else(invalid)?;
            let claims = self
                .tokens
                .open(token, access_key_id)
                .map_err(|_| invalid())?;
            if claims.expires_at <= now.unix_timestamp() {
                return Err(ApiError::new(
                    ErrorCode::ExpiredToken,
                    "The security token included in the request is expired",
                ));
            }
            let account = AccountId::from_str(&claims.account).map_err(|_| invalid())?;
            let secret = self.tokens.temporary_secret(access_key_id);
            let key = (
                claims.account.clone(),
                claims.principal_arn.clone(),
                claims.principal_id.clone(),
            );
            let principal = match self.cache.sessions.get(generation, &key) {
                Some(p) => p,
                None => {
                    let p = self.session_principal(&account, &claims)?;
                    self.cache.sessions.insert(generation, key, p.clone());
                    p
                }
            };
            let identity =
                Identity::from_session(account, claims, principal.user, principal.role_tags)?;
            return Ok(Authenticated { identity, secret });
        }
        if let Some(hit) = self.cache.keys.get(generation, access_key_id) {
            return Ok(hit.as_ref().clone());
        }
        let found = self.store.read(|tx| {
            let key = tx
                .get_access_key(access_key_id)?
                .filter(|k| k.status == KeyStatus::Active)
                .ok_or_else(invalid)?;
            let user = match &key.owner {
                KeyOwner::Root => None,
                KeyOwner::User(name) => Some(tx.get_user(&key.account, name)?.ok_or_else(invalid)?),
            };
            Ok::<_, ApiError>(Authenticated {
                identity: Identity::long_term(key.account.clone(), user, access_key_id),
                secret: SecretAccessKey::new(key.secret.clone()),
            })
        })?;
        self.cache.keys.insert(
            generation,
            access_key_id.to_owned(),
            Arc::new(found.clone()),
        );
        Ok(found)
    }

    /// What a session's identity takes from the store: the user behind a user session, the
    /// tags of the role behind a role session (none if the role was deleted or recreated).
    fn session_principal(
        &self,
        account: &AccountId,
        claims: &session::SessionClaims,
    ) -> Result<cache::SessionPrincipal, ApiError> {
        let invalid = || ApiError::new(ErrorCode::InvalidClientTokenId, INVALID_TOKEN);
        self.store.read(|tx| {
            let (user, role_tags) = match claims.kind {
                session::SessionKind::AssumedRole => {
                    let name = claims.principal_arn.rsplit('/').next().unwrap_or_default();
                    let tags = tx
                        .get_role(account, name)?
                        .filter(|r| r.unique_id == claims.principal_id)
                        .map(|r| r.tags.into_iter().map(|t| (t.key, t.value)).collect())
                        .unwrap_or_default();
                    (None, tags)
                }
                _ => {
                    let name = claims
                        .principal_arn
                        .strip_prefix(&format!("arn:aws:iam::{account}:user/"))
                        .map(|p| p.rsplit('/').next().unwrap_or(p).to_owned());
                    let user = match name {
                        Some(n) => Some(tx.get_user(account, &n)?.ok_or_else(invalid)?),
                        None => None,
                    };
                    (user, Vec::new())
                }
            };
            Ok(cache::SessionPrincipal { user, role_tags })
        })
    }

    /// Creates the accounts of a scenario that the store does not hold yet, with everything
    /// they declare, in one transaction.
    pub fn apply_scenario(
        &self,
        s: &scenario::Scenario,
        now: OffsetDateTime,
    ) -> Result<Vec<String>, ApiError> {
        // Seed bodies are made durable before the metadata that names them.
        let blob_error = |e: std::io::Error| {
            ApiError::new(
                ErrorCode::InternalFailure,
                format!("writing a seed object: {e}"),
            )
        };
        let mut seeds = Vec::new();
        let existing: Vec<String> = self
            .store
            .read(|tx| Ok::<_, ApiError>(tx.list_accounts()?))?
            .into_iter()
            .map(|a| a.id.to_string())
            .collect();
        for a in s
            .accounts
            .iter()
            .filter(|a| !existing.contains(a.id.get_ref()))
        {
            for b in &a.buckets {
                for o in &b.objects {
                    let blob = self
                        .blobs
                        .put(o.content.as_bytes(), Checksums::NONE)
                        .map_err(blob_error)?;
                    let key = (b.name.get_ref().clone(), o.key.get_ref().clone());
                    seeds.push((key.0, key.1, o.content_type.clone(), blob));
                }
            }
        }
        self.store.write(|tx| {
            let mut created = Vec::new();
            for a in &s.accounts {
                let id = AccountId::from_str(a.id.get_ref())
                    .map_err(|e| ApiError::new(ErrorCode::ValidationError, e.to_string()))?;
                if tx.get_account(&id)?.is_some() {
                    continue;
                }
                tx.create_account(&Account {
                    id: id.clone(),
                    alias: a.alias.clone(),
                    email: a.email.clone(),
                    create_date: now,
                })
                .map_err(write_error)?;
                if let (Some(k), Some(secret)) = (&a.root_access_key_id, &a.root_secret_access_key)
                {
                    tx.create_access_key(&AccessKey {
                        id: k.get_ref().clone(),
                        secret: secret.clone(),
                        account: id.clone(),
                        owner: KeyOwner::Root,
                        status: KeyStatus::Active,
                        create_date: now,
                        last_used: None,
                    })
                    .map_err(write_error)?;
                }
                self.apply_account(tx, &id, a, now)?;
                for b in &a.buckets {
                    let mut bucket = s3::new_bucket(b.name.get_ref(), &id, "us-east-1", now);
                    bucket.policy = b.policy.as_ref().map(|p| p.get_ref().clone());
                    tx.create_bucket(&bucket).map_err(write_error)?;
                    for (bucket_name, key, content_type, blob) in
                        seeds.iter().filter(|s| s.0 == bucket.name)
                    {
                        let version = roleplay_store::ObjectVersion {
                            bucket: bucket_name.clone(),
                            key: key.clone(),
                            version_id: roleplay_store::NULL_VERSION.to_owned(),
                            is_latest: true,
                            delete_marker: false,
                            size: blob.size,
                            etag: blob.etag().ok_or_else(|| {
                                ApiError::new(ErrorCode::InternalFailure, "a seed object's MD5")
                            })?,
                            last_modified: now,
                            headers: roleplay_store::ContentHeaders {
                                content_type: content_type.clone(),
                                ..Default::default()
                            },
                            metadata: Default::default(),
                            checksums: Default::default(),
                            tags: Vec::new(),
                            owner: id.clone(),
                            storage_class: "STANDARD".to_owned(),
                            acl: None,
                            parts_count: None,
                            body: vec![blob.segment()],
                        };
                        tx.put_object_version(&version).map_err(write_error)?;
                    }
                }
                created.push(id.to_string());
            }
            Ok(created)
        })
    }
}

/// Store write failures that reach the engine unexpectedly.
pub(crate) fn write_error(e: WriteError) -> ApiError {
    match e {
        WriteError::Store(e) => ApiError::internal(e),
        other => ApiError::new(ErrorCode::InternalFailure, other.to_string()),
    }
}

#[cfg(test)]
mod time_tests {
    use super::*;

    #[test]
    fn iso8601_writes_whole_seconds_in_utc() {
        for (secs, want) in [
            (0, "1970-01-01T00:00:00Z"),
            (1_795_000_000, "2026-11-18T11:06:40Z"),
            (951_782_399, "2000-02-28T23:59:59Z"),
            (253_402_300_799, "9999-12-31T23:59:59Z"),
            (-62_135_596_800, "0001-01-01T00:00:00Z"),
        ] {
            assert_eq!(iso8601_from_unix(secs), want, "{secs}");
        }
        let offset = OffsetDateTime::from_unix_timestamp(3600)
            .unwrap()
            .to_offset(time::UtcOffset::from_hms(5, 30, 0).unwrap());
        assert_eq!(iso8601(offset), "1970-01-01T01:00:00Z");
    }
}
