//! Who is calling: the principal behind an access key, resolved once per request.

use crate::error::{ApiError, ErrorCode};
use crate::session::{SessionClaims, SessionKind};
use roleplay_policy::{Caller, Principal, SharedKeys};
use roleplay_store::User;
use roleplay_types::{AccountId, Arn};
use std::sync::{Arc, OnceLock};

/// How the caller authenticated.
#[derive(Debug, Clone)]
pub enum IdentityKind {
    /// The account root user with a long-term key.
    Root,
    /// An IAM user with a long-term key.
    User(Arc<User>),
    /// A role session (`AssumeRole`).
    RoleSession {
        /// The role's name.
        role_name: String,
        /// The session.
        claims: SessionClaims,
    },
    /// The temporary credentials of `GetSessionToken`: the same user (or root).
    UserSession {
        /// The user; `None` for the root.
        user: Option<Arc<User>>,
        /// The session.
        claims: SessionClaims,
    },
}

/// An authenticated caller. Cheap to clone (one reference count): a request hands its
/// identity on to every decision record it makes, and a cached identity serves many
/// requests.
#[derive(Debug, Clone)]
pub struct Identity(Arc<IdentityData>);

/// What an [`Identity`] holds; read through the identity.
#[derive(Debug, Clone)]
pub struct IdentityData {
    /// The account the caller acts in.
    pub account: AccountId,
    /// How it authenticated.
    pub kind: IdentityKind,
    /// The access key id of the request.
    pub access_key_id: String,
    /// The caller as the policy language sees it.
    pub caller: Caller,
    /// What is derived from the identity at its first use and shared by its clones (a
    /// cached identity serves many requests), so `caller` must not change after.
    derived: Arc<Derived>,
}

impl std::ops::Deref for Identity {
    type Target = IdentityData;

    fn deref(&self) -> &IdentityData {
        &self.0
    }
}

#[derive(Debug, Default)]
struct Derived {
    /// The caller's condition keys.
    caller_keys: OnceLock<SharedKeys>,
    /// The caller's ARN.
    arn: OnceLock<String>,
}

impl Identity {
    /// The condition keys AWS derives from the caller ([`Caller::context`]), built once.
    pub(crate) fn caller_keys(&self) -> SharedKeys {
        self.derived
            .caller_keys
            .get_or_init(|| self.caller.context().into_shared())
            .clone()
    }

    /// The caller's ARN as `GetCallerIdentity` reports it.
    pub fn arn(&self) -> String {
        self.derived.arn.get_or_init(|| self.derive_arn()).clone()
    }

    fn derive_arn(&self) -> String {
        match &self.kind {
            IdentityKind::Root | IdentityKind::UserSession { user: None, .. } => {
                Arn::iam_root(self.account.as_str()).to_string()
            }
            IdentityKind::User(u) | IdentityKind::UserSession { user: Some(u), .. } => {
                u.arn.to_string()
            }
            IdentityKind::RoleSession { role_name, claims } => {
                Arn::sts_assumed_role(self.account.as_str(), role_name, &claims.session_name)
                    .to_string()
            }
        }
    }

    /// The `UserId` of `GetCallerIdentity`.
    pub fn user_id(&self) -> String {
        match &self.kind {
            IdentityKind::Root | IdentityKind::UserSession { user: None, .. } => {
                self.account.to_string()
            }
            IdentityKind::User(u) | IdentityKind::UserSession { user: Some(u), .. } => {
                u.unique_id.clone()
            }
            IdentityKind::RoleSession { claims, .. } => {
                format!("{}:{}", claims.principal_id, claims.session_name)
            }
        }
    }

    /// The session, for temporary credentials.
    pub fn session(&self) -> Option<&SessionClaims> {
        match &self.kind {
            IdentityKind::RoleSession { claims, .. } | IdentityKind::UserSession { claims, .. } => {
                Some(claims)
            }
            _ => None,
        }
    }

    /// Whether the caller is the account root (with long-term or session credentials).
    pub fn is_root(&self) -> bool {
        matches!(
            self.kind,
            IdentityKind::Root | IdentityKind::UserSession { user: None, .. }
        )
    }

    /// An unsigned caller, for S3 requests a bucket policy may grant to `*`. Only its policy
    /// `Caller` (anonymous) matters; it holds no identity policies.
    pub(crate) fn anonymous(account: AccountId) -> Self {
        Self(Arc::new(IdentityData {
            account,
            kind: IdentityKind::Root,
            access_key_id: String::new(),
            caller: Caller::new(Principal::Anonymous),
            derived: Arc::default(),
        }))
    }

    /// The same identity as another principal: a simulated caller that does not exist.
    /// Only for an identity nothing has been derived from yet.
    pub(crate) fn with_principal(mut self, principal: Principal) -> Self {
        let data = Arc::make_mut(&mut self.0);
        data.caller.principal = principal;
        data.derived = Arc::default();
        self
    }

    /// Builds the identity of a long-term key's owner.
    pub(crate) fn long_term(account: AccountId, user: Option<User>, access_key_id: &str) -> Self {
        let (kind, principal, tags) = match user {
            None => (
                IdentityKind::Root,
                Principal::Root {
                    account: account.to_string(),
                },
                Vec::new(),
            ),
            Some(u) => {
                let principal = Principal::User {
                    arn: u.arn.to_string(),
                    id: u.unique_id.clone(),
                };
                let tags = u
                    .tags
                    .iter()
                    .map(|t| (t.key.clone(), t.value.clone()))
                    .collect();
                (IdentityKind::User(Arc::new(u)), principal, tags)
            }
        };
        Self(Arc::new(IdentityData {
            account,
            kind,
            access_key_id: access_key_id.to_owned(),
            caller: Caller {
                principal,
                tags,
                canonical_id: None,
            },
            derived: Arc::default(),
        }))
    }

    /// Builds the identity of a session; `role_tags` are the role's own tags (session tags
    /// override them, keys compared without case).
    pub(crate) fn from_session(
        account: AccountId,
        claims: SessionClaims,
        user: Option<User>,
        role_tags: Vec<(String, String)>,
    ) -> Result<Self, ApiError> {
        let access_key_id = claims.access_key_id.clone();
        let (kind, principal, mut tags) = match claims.kind {
            SessionKind::AssumedRole => {
                let role_name = claims
                    .principal_arn
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                let principal = Principal::RoleSession {
                    arn: Arn::sts_assumed_role(account.as_str(), &role_name, &claims.session_name)
                        .to_string(),
                    role_arn: claims.principal_arn.clone(),
                    role_id: claims.principal_id.clone(),
                };
                (
                    IdentityKind::RoleSession { role_name, claims },
                    principal,
                    role_tags,
                )
            }
            SessionKind::SessionToken => {
                let principal = match &user {
                    None => Principal::Root {
                        account: account.to_string(),
                    },
                    Some(u) => Principal::User {
                        arn: u.arn.to_string(),
                        id: u.unique_id.clone(),
                    },
                };
                let tags = user
                    .iter()
                    .flat_map(|u| u.tags.iter().map(|t| (t.key.clone(), t.value.clone())))
                    .collect();
                (
                    IdentityKind::UserSession {
                        user: user.map(Arc::new),
                        claims,
                    },
                    principal,
                    tags,
                )
            }
            SessionKind::FederatedUser => {
                return Err(ApiError::new(
                    ErrorCode::InvalidClientTokenId,
                    "The security token included in the request is invalid.",
                ));
            }
        };
        if let IdentityKind::RoleSession { claims, .. } = &kind {
            for (k, v) in &claims.tags {
                tags.retain(|(old, _)| !old.eq_ignore_ascii_case(k));
                tags.push((k.clone(), v.clone()));
            }
        }
        Ok(Self(Arc::new(IdentityData {
            account,
            kind,
            access_key_id,
            caller: Caller {
                principal,
                tags,
                canonical_id: None,
            },
            derived: Arc::default(),
        })))
    }
}
