//! The records the store keeps: plain values, written and read whole.
//!
//! Times and ids come from the caller; the store generates neither. Times are kept to the
//! millisecond, in UTC.

use roleplay_types::{AccountId, Arn};
use std::fmt;
use time::OffsetDateTime;

/// The case-folded key under which an IAM name is unique within its account.
///
/// IAM names are unique regardless of case but keep the case they were created with.
pub fn name_key(name: &str) -> String {
    name.to_lowercase()
}

/// A key and value attached to an entity; order is kept as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// The tag key.
    pub key: String,
    /// The tag value, possibly empty.
    pub value: String,
}

/// An AWS account served by this store.
///
/// The root's access keys are [`AccessKey`]s with [`KeyOwner::Root`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Twelve-digit account id.
    pub id: AccountId,
    /// The account alias (`ListAccountAliases`), if any.
    pub alias: Option<String>,
    /// The root user's e-mail address, if any.
    pub email: Option<String>,
    /// When the account was created.
    pub create_date: OffsetDateTime,
}

/// An IAM user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The account the user belongs to.
    pub account: AccountId,
    /// The name in its display case.
    pub name: String,
    /// The IAM path, `/` by default.
    pub path: String,
    /// The `AIDA...` unique id.
    pub unique_id: String,
    /// `arn:aws:iam::ACCOUNT:user/PATH/NAME`.
    pub arn: Arn,
    /// When the user was created.
    pub create_date: OffsetDateTime,
    /// The managed policy used as permissions boundary, if any.
    pub permissions_boundary: Option<Arn>,
    /// Tags in the order given.
    pub tags: Vec<Tag>,
}

/// Who an access key belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOwner {
    /// The account's root user.
    Root,
    /// An IAM user of the key's account, by name.
    User(String),
}

/// Whether an access key may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStatus {
    /// The key authenticates requests.
    Active,
    /// The key is kept but rejected.
    Inactive,
}

impl KeyStatus {
    /// `Active` or `Inactive`, as on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Inactive => "Inactive",
        }
    }
}

/// When, where and for what an access key was last used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyLastUsed {
    /// When the key was last used.
    pub date: OffsetDateTime,
    /// The service called, e.g. `iam` or `s3`.
    pub service: String,
    /// The region of the request's credential scope.
    pub region: String,
}

/// A long-term access key of a user or of an account root.
///
/// The secret is kept because verifying a SigV4 signature needs it; `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessKey {
    /// The `AKIA...` key id, unique across all accounts.
    pub id: String,
    /// The secret access key.
    pub secret: String,
    /// The account the key belongs to.
    pub account: AccountId,
    /// The root or the user holding the key.
    pub owner: KeyOwner,
    /// Active or inactive.
    pub status: KeyStatus,
    /// When the key was created.
    pub create_date: OffsetDateTime,
    /// The last use, if the key was ever used.
    pub last_used: Option<KeyLastUsed>,
}

impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessKey")
            .field("id", &self.id)
            .field("secret", &"** redacted **")
            .field("account", &self.account)
            .field("owner", &self.owner)
            .field("status", &self.status)
            .field("create_date", &self.create_date)
            .field("last_used", &self.last_used)
            .finish()
    }
}

/// An IAM group; members are kept apart (see [`crate::WriteTx::add_user_to_group`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The account the group belongs to.
    pub account: AccountId,
    /// The name in its display case.
    pub name: String,
    /// The IAM path.
    pub path: String,
    /// The `AGPA...` unique id.
    pub unique_id: String,
    /// `arn:aws:iam::ACCOUNT:group/PATH/NAME`.
    pub arn: Arn,
    /// When the group was created.
    pub create_date: OffsetDateTime,
}

/// An IAM role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// The account the role belongs to.
    pub account: AccountId,
    /// The name in its display case.
    pub name: String,
    /// The IAM path.
    pub path: String,
    /// The `AROA...` unique id.
    pub unique_id: String,
    /// `arn:aws:iam::ACCOUNT:role/PATH/NAME`.
    pub arn: Arn,
    /// The trust policy, exactly as submitted.
    pub trust_policy: String,
    /// The description, if any.
    pub description: Option<String>,
    /// The longest session `AssumeRole` may grant, in seconds.
    pub max_session_duration: u32,
    /// The managed policy used as permissions boundary, if any.
    pub permissions_boundary: Option<Arn>,
    /// Tags in the order given.
    pub tags: Vec<Tag>,
    /// When the role was created.
    pub create_date: OffsetDateTime,
}

/// Who owns a managed policy.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PolicyScope {
    /// An AWS-managed policy (`arn:aws:iam::aws:policy/...`), visible to every account.
    Aws,
    /// A customer-managed policy of one account.
    Account(AccountId),
}

impl PolicyScope {
    /// `aws` or the account id: the account part of the policy's ARN.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Aws => "aws",
            Self::Account(id) => id.as_str(),
        }
    }
}

/// One version of a managed policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVersion {
    /// `v1`, `v2`, ... as chosen by the caller.
    pub version_id: String,
    /// The document, exactly as submitted.
    pub document: String,
    /// When the version was created.
    pub create_date: OffsetDateTime,
}

/// A managed policy with its versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedPolicy {
    /// AWS-managed or the owning account.
    pub scope: PolicyScope,
    /// The name in its display case.
    pub name: String,
    /// The IAM path.
    pub path: String,
    /// The `ANPA...` unique id.
    pub unique_id: String,
    /// `arn:aws:iam::ACCOUNT-or-aws:policy/PATH/NAME`; unique across the store.
    pub arn: Arn,
    /// The version in force.
    pub default_version_id: String,
    /// The versions in the order they were created.
    pub versions: Vec<PolicyVersion>,
    /// How many versions were ever created, deleted ones included. Maintained by the store
    /// (the value written is ignored) so the caller can number versions without reuse.
    pub versions_created: u32,
    /// How many users, groups and roles have the policy attached, in all accounts. Computed by
    /// the store; the value written is ignored.
    pub attachment_count: u32,
    /// How many users and roles, in all accounts, use the policy as permissions boundary.
    /// Computed by the store; the value written is ignored.
    pub boundary_usage_count: u32,
    /// The description, if any.
    pub description: Option<String>,
    /// Tags in the order given.
    pub tags: Vec<Tag>,
    /// When the policy was created.
    pub create_date: OffsetDateTime,
    /// When the policy last changed (its default version).
    pub update_date: OffsetDateTime,
}

impl ManagedPolicy {
    /// The version in force, if present.
    pub fn default_version(&self) -> Option<&PolicyVersion> {
        self.versions
            .iter()
            .find(|v| v.version_id == self.default_version_id)
    }
}

/// The kind of principal that holds inline policies and attachments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrincipalKind {
    /// An IAM user.
    User,
    /// An IAM group.
    Group,
    /// An IAM role.
    Role,
}

/// A user, group or role of an account, by name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PrincipalRef {
    /// The account.
    pub account: AccountId,
    /// User, group or role.
    pub kind: PrincipalKind,
    /// The name, in any case.
    pub name: String,
}

impl PrincipalRef {
    /// A user of `account`.
    pub fn user(account: &AccountId, name: &str) -> Self {
        Self::new(account, PrincipalKind::User, name)
    }

    /// A group of `account`.
    pub fn group(account: &AccountId, name: &str) -> Self {
        Self::new(account, PrincipalKind::Group, name)
    }

    /// A role of `account`.
    pub fn role(account: &AccountId, name: &str) -> Self {
        Self::new(account, PrincipalKind::Role, name)
    }

    fn new(account: &AccountId, kind: PrincipalKind, name: &str) -> Self {
        Self {
            account: account.clone(),
            kind,
            name: name.to_owned(),
        }
    }
}

/// A policy embedded in one user, group or role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlinePolicy {
    /// The policy name in its display case; unique per owner regardless of case.
    pub name: String,
    /// The document, exactly as submitted.
    pub document: String,
}

/// A managed policy attached to a principal, as `ListAttached*Policies` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachedPolicy {
    /// The policy's name.
    pub name: String,
    /// The policy's ARN.
    pub arn: Arn,
}

/// An OpenID Connect identity provider of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcProvider {
    /// The account.
    pub account: AccountId,
    /// `arn:aws:iam::ACCOUNT:oidc-provider/HOST/PATH`; the key of the provider.
    pub arn: Arn,
    /// The issuer URL as given.
    pub url: String,
    /// The audiences (client ids), in order.
    pub client_ids: Vec<String>,
    /// Server certificate thumbprints, in order.
    pub thumbprints: Vec<String>,
    /// Tags in the order given.
    pub tags: Vec<Tag>,
    /// When the provider was created.
    pub create_date: OffsetDateTime,
}
