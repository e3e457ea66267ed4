//! IAM operations: users, access keys, roles, managed and inline policies, attachments.
//!
//! Each operation authorizes `iam:<Operation>` on the entity's ARN before it changes
//! anything, then validates the documents it stores (MalformedPolicyDocument with AWS's
//! texts, size quotas, principals that must exist).

use crate::authz::{Check, RequestContext};
use crate::error::{ApiError, ErrorCode};
use crate::identity::Identity;
use crate::{Engine, RequestInfo, write_error};
use roleplay_policy::{Context, ParseOptions, Policy, PolicyKind, policy_size};
use roleplay_store::{
    AccessKey, AttachedPolicy, Entity, InlinePolicy, KeyOwner, KeyStatus, ListQuery, ManagedPolicy,
    Page, PolicyFilter, PolicyListScope, PolicyScope, PolicyVersion, PrincipalKind, PrincipalRef,
    ReadTx, Role, StoreExt, Tag, User, WriteError, WriteTx,
};
use roleplay_types::{
    AccessKeyKind, AccountId, Arn, UniqueIdKind, new_access_key_id, new_secret_access_key,
    new_unique_id,
};
use std::str::FromStr;

mod account;
mod groups;
mod oidc;
mod simulate;
mod tags;
mod updates;
mod versions;

pub use account::{AccessKeyUse, SummaryEntry};
pub use oidc::CreateOidcProviderInput;
pub use simulate::{
    ContextEntry, ContextKeyType, EvaluationResult, MatchedStatement, ResourceResult,
    SimulateInput, SourcePolicyType,
};
pub use tags::TagTarget;
pub use versions::{EntityFilter, PolicyEntity, PolicyUsage};

/// Managed policy documents: at most this many non-whitespace characters.
const MANAGED_POLICY_SIZE: usize = 6144;
/// Role trust policies (quota ACLSizePerRole).
const TRUST_POLICY_SIZE: usize = 2048;
/// Access keys per user (or root).
const ACCESS_KEYS_PER_USER: usize = 2;
/// Managed policies attached to one user, group or role.
const ATTACHED_POLICIES: usize = 10;

/// Paging parameters of IAM list operations.
#[derive(Debug, Clone, Default)]
pub struct Paging {
    /// `PathPrefix`.
    pub path_prefix: Option<String>,
    /// `Marker`.
    pub marker: Option<String>,
    /// `MaxItems` (1 to 1000, default 100).
    pub max_items: Option<usize>,
}

impl Paging {
    fn query(&self) -> ListQuery {
        ListQuery {
            path_prefix: self.path_prefix.clone(),
            marker: self.marker.clone(),
            max_items: self.max_items.unwrap_or(100),
        }
    }

    /// One page of a listing the store does not page: the marker is the offset of the next
    /// item.
    pub fn page<T>(&self, items: Vec<T>) -> Result<Page<T>, ApiError> {
        let start = match &self.marker {
            None => 0,
            Some(m) => m
                .parse::<usize>()
                .ok()
                .filter(|n| *n <= items.len())
                .ok_or_else(|| ApiError::new(ErrorCode::InvalidInput, "Invalid Marker."))?,
        };
        let max = self.max_items.unwrap_or(100);
        let end = start.saturating_add(max).min(items.len());
        let is_truncated = end < items.len();
        Ok(Page {
            items: items.into_iter().skip(start).take(end - start).collect(),
            is_truncated,
            marker: is_truncated.then(|| end.to_string()),
        })
    }
}

/// A new access key with its secret, returned once.
#[derive(Debug, Clone)]
pub struct NewAccessKey {
    /// The key.
    pub key: AccessKey,
    /// The user name, if the key is a user's.
    pub user_name: Option<String>,
}

/// Input of `CreateRole`.
#[derive(Debug, Clone, Default)]
pub struct CreateRoleInput {
    /// `RoleName`.
    pub role_name: String,
    /// `Path`.
    pub path: Option<String>,
    /// `AssumeRolePolicyDocument`.
    pub assume_role_policy_document: String,
    /// `Description`.
    pub description: Option<String>,
    /// `MaxSessionDuration`.
    pub max_session_duration: Option<u32>,
    /// `PermissionsBoundary`.
    pub permissions_boundary: Option<String>,
    /// `Tags`.
    pub tags: Vec<Tag>,
}

/// Input of `CreatePolicy`.
#[derive(Debug, Clone, Default)]
pub struct CreatePolicyInput {
    /// `PolicyName`.
    pub policy_name: String,
    /// `Path`.
    pub path: Option<String>,
    /// `PolicyDocument`.
    pub policy_document: String,
    /// `Description`.
    pub description: Option<String>,
    /// `Tags`.
    pub tags: Vec<Tag>,
}

/// Whose inline policies or attachments an operation addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// A user.
    User,
    /// A group.
    Group,
    /// A role.
    Role,
}

impl Owner {
    fn kind(self) -> PrincipalKind {
        match self {
            Owner::User => PrincipalKind::User,
            Owner::Group => PrincipalKind::Group,
            Owner::Role => PrincipalKind::Role,
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Owner::User => "user",
            Owner::Group => "group",
            Owner::Role => "role",
        }
    }

    /// The aggregate inline policy quota of the owner kind.
    fn inline_quota(self) -> usize {
        match self {
            Owner::User => 2048,
            Owner::Group => 5120,
            Owner::Role => 10240,
        }
    }
}

fn no_such(what: &str, name: &str) -> ApiError {
    ApiError::new(
        ErrorCode::NoSuchEntity,
        format!("The {what} with name {name} cannot be found."),
    )
}

fn malformed(e: &roleplay_policy::ValidationErrors) -> ApiError {
    ApiError::new(ErrorCode::MalformedPolicyDocument, e.aws_message())
}

fn path_or_root(path: &Option<String>) -> String {
    path.clone().unwrap_or_else(|| "/".to_owned())
}

fn parse_arn(text: &str, what: &str) -> Result<Arn, ApiError> {
    Arn::from_str(text).map_err(|_| {
        ApiError::new(
            ErrorCode::InvalidInput,
            format!("ARN {text} is not valid for {what}."),
        )
    })
}

/// Checks a managed policy document: grammar (Version 2012-10-17 required) and size.
fn managed_document(text: &str) -> Result<(), ApiError> {
    Policy::parse_with(
        text,
        PolicyKind::Identity,
        ParseOptions {
            require_current_version: true,
        },
    )
    .map_err(|e| malformed(&e))?;
    if policy_size(text) > MANAGED_POLICY_SIZE {
        return Err(ApiError::new(
            ErrorCode::LimitExceeded,
            format!("Cannot exceed quota for PolicySize: {MANAGED_POLICY_SIZE}"),
        ));
    }
    Ok(())
}

fn request_tags(ctx: &mut Context, tags: &[Tag]) {
    for t in tags {
        ctx.insert(&format!("aws:RequestTag/{}", t.key), t.value.clone());
    }
    if !tags.is_empty() {
        ctx.insert_multi("aws:TagKeys", tags.iter().map(|t| t.key.clone()).collect());
    }
}

impl Engine {
    /// Authorizes `action` on an IAM resource of the caller's own account.
    fn iam_check(
        &self,
        tx: &dyn ReadTx,
        id: &Identity,
        info: &RequestInfo,
        action: &str,
        resource: &str,
        tags: &[Tag],
    ) -> Result<(), ApiError> {
        let mut ctx = self.context(id, info);
        request_tags(&mut ctx, tags);
        self.require(
            tx,
            id,
            &Check {
                action,
                resource,
                resource_account: id.account.as_str(),
                resource_policy: None,
            },
            &ctx,
        )
    }

    /// Authorizes `action` with a context the caller has prepared.
    fn iam_check_with(
        &self,
        tx: &dyn ReadTx,
        id: &Identity,
        action: &str,
        resource: &str,
        ctx: &RequestContext,
    ) -> Result<(), ApiError> {
        self.require(
            tx,
            id,
            &Check {
                action,
                resource,
                resource_account: id.account.as_str(),
                resource_policy: None,
            },
            ctx,
        )
    }

    fn user_arn(&self, account: &AccountId, path: &str, name: &str) -> String {
        Arn::iam_user(account.as_str(), path, name).to_string()
    }

    /// The ARN authorizing an action on an existing user (or on the name, if absent).
    fn existing_user_arn(
        &self,
        tx: &dyn ReadTx,
        id: &Identity,
        name: &str,
    ) -> Result<String, ApiError> {
        Ok(match tx.get_user(&id.account, name)? {
            Some(u) => u.arn.to_string(),
            None => self.user_arn(&id.account, "/", name),
        })
    }

    fn existing_role_arn(
        &self,
        tx: &dyn ReadTx,
        id: &Identity,
        name: &str,
    ) -> Result<String, ApiError> {
        Ok(match tx.get_role(&id.account, name)? {
            Some(r) => r.arn.to_string(),
            None => Arn::iam_role(id.account.as_str(), "/", name).to_string(),
        })
    }

    fn owner_arn(
        &self,
        tx: &dyn ReadTx,
        id: &Identity,
        owner: Owner,
        name: &str,
    ) -> Result<String, ApiError> {
        match owner {
            Owner::User => self.existing_user_arn(tx, id, name),
            Owner::Role => self.existing_role_arn(tx, id, name),
            Owner::Group => Ok(match tx.get_group(&id.account, name)? {
                Some(g) => g.arn.to_string(),
                None => Arn::iam_group(id.account.as_str(), "/", name).to_string(),
            }),
        }
    }

    /// Authorizes `action` on an existing user, group or role (with `iam:PolicyARN` when a
    /// managed policy is named) and returns the store's reference to it.
    #[allow(clippy::too_many_arguments, reason = "the request's pieces")]
    fn owner_access(
        &self,
        tx: &dyn ReadTx,
        id: &Identity,
        info: &RequestInfo,
        owner: Owner,
        owner_name: &str,
        action: &str,
        policy_arn: Option<&str>,
    ) -> Result<PrincipalRef, ApiError> {
        let arn = self.owner_arn(tx, id, owner, owner_name)?;
        let mut ctx = self.context(id, info);
        if let Some(p) = policy_arn {
            ctx.insert_static("iam:policyarn", p);
        }
        self.require(
            tx,
            id,
            &Check {
                action,
                resource: &arn,
                resource_account: id.account.as_str(),
                resource_policy: None,
            },
            &ctx,
        )?;
        self.owner_exists(tx, id, owner, owner_name)?;
        Ok(PrincipalRef {
            account: id.account.clone(),
            kind: owner.kind(),
            name: owner_name.to_owned(),
        })
    }

    fn owner_exists(
        &self,
        tx: &dyn ReadTx,
        id: &Identity,
        owner: Owner,
        name: &str,
    ) -> Result<(), ApiError> {
        let exists = match owner {
            Owner::User => tx.get_user(&id.account, name)?.is_some(),
            Owner::Role => tx.get_role(&id.account, name)?.is_some(),
            Owner::Group => tx.get_group(&id.account, name)?.is_some(),
        };
        if exists {
            Ok(())
        } else {
            Err(no_such(owner.noun(), name))
        }
    }

    // ---- users ----------------------------------------------------------------------------

    /// `CreateUser`.
    pub fn create_user(
        &self,
        id: &Identity,
        info: &RequestInfo,
        user_name: &str,
        path: Option<String>,
        permissions_boundary: Option<String>,
        tags: Vec<Tag>,
    ) -> Result<User, ApiError> {
        let path = path_or_root(&path);
        let arn = Arn::iam_user(id.account.as_str(), &path, user_name);
        self.store.write(|tx| {
            self.iam_check(tx, id, info, "iam:CreateUser", &arn.to_string(), &tags)?;
            let boundary = match &permissions_boundary {
                Some(b) => Some(self.boundary_arn(tx, b)?),
                None => None,
            };
            let user = User {
                account: id.account.clone(),
                name: user_name.to_owned(),
                path: path.clone(),
                unique_id: new_unique_id(UniqueIdKind::User, self.ids.as_ref()),
                arn: arn.clone(),
                create_date: info.now,
                permissions_boundary: boundary,
                tags: tags.clone(),
            };
            tx.create_user(&user).map_err(|e| match e {
                WriteError::AlreadyExists(_) => ApiError::new(
                    ErrorCode::EntityAlreadyExists,
                    format!("User with name {user_name} already exists."),
                ),
                other => write_error(other),
            })?;
            Ok(user)
        })
    }

    fn boundary_arn(&self, tx: &dyn ReadTx, text: &str) -> Result<Arn, ApiError> {
        let arn = parse_arn(text, "PermissionsBoundary")?;
        if tx.get_policy(&arn)?.is_none() {
            return Err(ApiError::new(
                ErrorCode::NoSuchEntity,
                format!("Scope ARN: {text} does not exist or is not attachable."),
            ));
        }
        Ok(arn)
    }

    /// `GetUser`; without a name, the caller itself (the root answers with its own ARN).
    pub fn get_user(
        &self,
        id: &Identity,
        info: &RequestInfo,
        user_name: Option<&str>,
    ) -> Result<User, ApiError> {
        self.store.read(|tx| {
            let name = match (user_name, &id.kind) {
                (Some(n), _) => n.to_owned(),
                (None, crate::IdentityKind::User(u)) => u.name.clone(),
                (None, crate::IdentityKind::UserSession { user: Some(u), .. }) => u.name.clone(),
                (None, _) if id.is_root() => {
                    let account = tx.get_account(&id.account)?;
                    return Ok(User {
                        account: id.account.clone(),
                        name: String::new(),
                        path: "/".into(),
                        unique_id: id.account.to_string(),
                        arn: Arn::iam_root(id.account.as_str()),
                        create_date: account.map(|a| a.create_date).unwrap_or(info.now),
                        permissions_boundary: None,
                        tags: Vec::new(),
                    });
                }
                (None, _) => {
                    return Err(ApiError::new(
                        ErrorCode::ValidationError,
                        "Must specify userName when calling with non-User credentials",
                    ));
                }
            };
            let arn = self.existing_user_arn(tx, id, &name)?;
            self.iam_check(tx, id, info, "iam:GetUser", &arn, &[])?;
            tx.get_user(&id.account, &name)?
                .ok_or_else(|| no_such("user", &name))
        })
    }

    /// `ListUsers`.
    pub fn list_users(
        &self,
        id: &Identity,
        info: &RequestInfo,
        paging: &Paging,
    ) -> Result<Page<User>, ApiError> {
        self.store.read(|tx| {
            let resource = format!("arn:aws:iam::{}:user/", id.account);
            self.iam_check(tx, id, info, "iam:ListUsers", &resource, &[])?;
            Ok(tx.list_users(&id.account, &paging.query())?)
        })
    }

    /// `DeleteUser`: refused while the user still has keys, groups or policies.
    pub fn delete_user(
        &self,
        id: &Identity,
        info: &RequestInfo,
        user_name: &str,
    ) -> Result<(), ApiError> {
        self.store.write(|tx| {
            let arn = self.existing_user_arn(tx, id, user_name)?;
            self.iam_check(tx, id, info, "iam:DeleteUser", &arn, &[])?;
            if tx.get_user(&id.account, user_name)?.is_none() {
                return Err(no_such("user", user_name));
            }
            tx.delete_user(&id.account, user_name).map_err(|e| match e {
                WriteError::Conflict(_) => ApiError::new(
                    ErrorCode::DeleteConflict,
                    "Cannot delete entity, must delete access keys, policies and group memberships first.",
                ),
                WriteError::NotFound(_) => no_such("user", user_name),
                other => write_error(other),
            })
        })
    }

    // ---- access keys ----------------------------------------------------------------------

    fn key_owner(&self, id: &Identity, user_name: Option<&str>) -> (KeyOwner, Option<String>) {
        match (user_name, &id.kind) {
            (Some(n), _) => (KeyOwner::User(n.to_owned()), Some(n.to_owned())),
            (None, crate::IdentityKind::User(u))
            | (None, crate::IdentityKind::UserSession { user: Some(u), .. }) => {
                (KeyOwner::User(u.name.clone()), Some(u.name.clone()))
            }
            (None, _) => (KeyOwner::Root, None),
        }
    }

    fn key_resource(
        &self,
        tx: &dyn ReadTx,
        id: &Identity,
        user: &Option<String>,
    ) -> Result<String, ApiError> {
        match user {
            Some(n) => self.existing_user_arn(tx, id, n),
            None => Ok(Arn::iam_root(id.account.as_str()).to_string()),
        }
    }

    /// `CreateAccessKey`, for a user or (without `UserName`) the caller itself.
    pub fn create_access_key(
        &self,
        id: &Identity,
        info: &RequestInfo,
        user_name: Option<&str>,
    ) -> Result<NewAccessKey, ApiError> {
        let (owner, user) = self.key_owner(id, user_name);
        self.store.write(|tx| {
            let resource = self.key_resource(tx, id, &user)?;
            self.iam_check(tx, id, info, "iam:CreateAccessKey", &resource, &[])?;
            if let Some(n) = &user
                && tx.get_user(&id.account, n)?.is_none()
            {
                return Err(no_such("user", n));
            }
            if tx.list_access_keys(&id.account, &owner)?.len() >= ACCESS_KEYS_PER_USER {
                return Err(ApiError::new(
                    ErrorCode::LimitExceeded,
                    format!("Cannot exceed quota for AccessKeysPerUser: {ACCESS_KEYS_PER_USER}"),
                ));
            }
            let account_number: u64 = id.account.as_str().parse().unwrap_or(0);
            let key = AccessKey {
                id: new_access_key_id(AccessKeyKind::LongTerm, account_number, self.ids.as_ref()),
                secret: new_secret_access_key(self.ids.as_ref()).expose().to_owned(),
                account: id.account.clone(),
                owner: owner.clone(),
                status: KeyStatus::Active,
                create_date: info.now,
                last_used: None,
            };
            tx.create_access_key(&key).map_err(write_error)?;
            Ok(NewAccessKey {
                key,
                user_name: user.clone(),
            })
        })
    }

    /// `ListAccessKeys`.
    pub fn list_access_keys(
        &self,
        id: &Identity,
        info: &RequestInfo,
        user_name: Option<&str>,
    ) -> Result<(Option<String>, Vec<AccessKey>), ApiError> {
        let (owner, user) = self.key_owner(id, user_name);
        self.store.read(|tx| {
            let resource = self.key_resource(tx, id, &user)?;
            self.iam_check(tx, id, info, "iam:ListAccessKeys", &resource, &[])?;
            if let Some(n) = &user
                && tx.get_user(&id.account, n)?.is_none()
            {
                return Err(no_such("user", n));
            }
            Ok((user.clone(), tx.list_access_keys(&id.account, &owner)?))
        })
    }

    fn owned_key(
        &self,
        tx: &dyn ReadTx,
        id: &Identity,
        owner: &KeyOwner,
        key_id: &str,
    ) -> Result<AccessKey, ApiError> {
        tx.get_access_key(key_id)?
            .filter(|k| k.account == id.account && k.owner == *owner)
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::NoSuchEntity,
                    format!("The Access Key with id {key_id} cannot be found."),
                )
            })
    }

    /// `UpdateAccessKey`.
    pub fn update_access_key(
        &self,
        id: &Identity,
        info: &RequestInfo,
        user_name: Option<&str>,
        key_id: &str,
        status: KeyStatus,
    ) -> Result<(), ApiError> {
        let (owner, user) = self.key_owner(id, user_name);
        self.store.write(|tx| {
            let resource = self.key_resource(tx, id, &user)?;
            self.iam_check(tx, id, info, "iam:UpdateAccessKey", &resource, &[])?;
            let mut key = self.owned_key(tx, id, &owner, key_id)?;
            key.status = status;
            tx.update_access_key(&key).map_err(write_error)
        })
    }

    /// `DeleteAccessKey`.
    pub fn delete_access_key(
        &self,
        id: &Identity,
        info: &RequestInfo,
        user_name: Option<&str>,
        key_id: &str,
    ) -> Result<(), ApiError> {
        let (owner, user) = self.key_owner(id, user_name);
        self.store.write(|tx| {
            let resource = self.key_resource(tx, id, &user)?;
            self.iam_check(tx, id, info, "iam:DeleteAccessKey", &resource, &[])?;
            self.owned_key(tx, id, &owner, key_id)?;
            tx.delete_access_key(key_id).map_err(write_error)
        })
    }

    // ---- roles ----------------------------------------------------------------------------

    /// Validates a trust policy: grammar, size, and that named users and roles exist.
    fn trust_policy(&self, tx: &dyn ReadTx, text: &str) -> Result<(), ApiError> {
        let policy = Policy::parse(text, PolicyKind::Trust).map_err(|e| malformed(&e))?;
        if policy_size(text) > TRUST_POLICY_SIZE {
            return Err(ApiError::new(
                ErrorCode::LimitExceeded,
                format!("Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_SIZE}"),
            ));
        }
        self.principals_exist(tx, &policy)
    }

    /// Users and roles named by ARN must exist (AWS refuses "Invalid principal in policy").
    pub(crate) fn principals_exist(
        &self,
        tx: &dyn ReadTx,
        policy: &Policy,
    ) -> Result<(), ApiError> {
        for p in policy.aws_principals() {
            let Ok(arn) = Arn::from_str(p) else { continue };
            let Ok(account) = AccountId::from_str(&arn.account) else {
                continue;
            };
            let name = arn.resource.rsplit('/').next().unwrap_or_default();
            let exists = match (arn.service.as_str(), arn.resource_type()) {
                ("iam", "user") => tx.get_user(&account, name)?.is_some_and(|u| u.arn == arn),
                ("iam", "role") => tx.get_role(&account, name)?.is_some_and(|r| r.arn == arn),
                _ => true,
            };
            if !exists {
                return Err(ApiError::new(
                    ErrorCode::MalformedPolicyDocument,
                    format!("Invalid principal in policy: \"AWS\":\"{p}\""),
                ));
            }
        }
        Ok(())
    }

    /// `CreateRole`.
    pub fn create_role(
        &self,
        id: &Identity,
        info: &RequestInfo,
        input: CreateRoleInput,
    ) -> Result<Role, ApiError> {
        let path = path_or_root(&input.path);
        let arn = Arn::iam_role(id.account.as_str(), &path, &input.role_name);
        self.store.write(|tx| {
            self.iam_check(
                tx,
                id,
                info,
                "iam:CreateRole",
                &arn.to_string(),
                &input.tags,
            )?;
            self.trust_policy(tx, &input.assume_role_policy_document)?;
            let boundary = match &input.permissions_boundary {
                Some(b) => Some(self.boundary_arn(tx, b)?),
                None => None,
            };
            let role = Role {
                account: id.account.clone(),
                name: input.role_name.clone(),
                path: path.clone(),
                unique_id: new_unique_id(UniqueIdKind::Role, self.ids.as_ref()),
                arn: arn.clone(),
                trust_policy: input.assume_role_policy_document.clone(),
                description: input.description.clone(),
                max_session_duration: input.max_session_duration.unwrap_or(3600),
                permissions_boundary: boundary,
                tags: input.tags.clone(),
                create_date: info.now,
            };
            tx.create_role(&role).map_err(|e| match e {
                WriteError::AlreadyExists(_) => ApiError::new(
                    ErrorCode::EntityAlreadyExists,
                    format!("Role with name {} already exists.", input.role_name),
                ),
                other => write_error(other),
            })?;
            Ok(role)
        })
    }

    /// `GetRole`.
    pub fn get_role(
        &self,
        id: &Identity,
        info: &RequestInfo,
        role_name: &str,
    ) -> Result<Role, ApiError> {
        self.store.read(|tx| {
            let arn = self.existing_role_arn(tx, id, role_name)?;
            self.iam_check(tx, id, info, "iam:GetRole", &arn, &[])?;
            tx.get_role(&id.account, role_name)?
                .ok_or_else(|| no_such("role", role_name))
        })
    }

    /// `ListRoles`.
    pub fn list_roles(
        &self,
        id: &Identity,
        info: &RequestInfo,
        paging: &Paging,
    ) -> Result<Page<Role>, ApiError> {
        self.store.read(|tx| {
            let resource = format!("arn:aws:iam::{}:role/", id.account);
            self.iam_check(tx, id, info, "iam:ListRoles", &resource, &[])?;
            Ok(tx.list_roles(&id.account, &paging.query())?)
        })
    }

    /// `UpdateAssumeRolePolicy`.
    pub fn update_assume_role_policy(
        &self,
        id: &Identity,
        info: &RequestInfo,
        role_name: &str,
        document: &str,
    ) -> Result<(), ApiError> {
        self.store.write(|tx| {
            let arn = self.existing_role_arn(tx, id, role_name)?;
            self.iam_check(tx, id, info, "iam:UpdateAssumeRolePolicy", &arn, &[])?;
            let mut role = tx
                .get_role(&id.account, role_name)?
                .ok_or_else(|| no_such("role", role_name))?;
            self.trust_policy(tx, document)?;
            role.trust_policy = document.to_owned();
            tx.update_role(&role).map_err(write_error)
        })
    }

    /// `DeleteRole`: refused while policies are attached or inline.
    pub fn delete_role(
        &self,
        id: &Identity,
        info: &RequestInfo,
        role_name: &str,
    ) -> Result<(), ApiError> {
        self.store.write(|tx| {
            let arn = self.existing_role_arn(tx, id, role_name)?;
            self.iam_check(tx, id, info, "iam:DeleteRole", &arn, &[])?;
            if tx.get_role(&id.account, role_name)?.is_none() {
                return Err(no_such("role", role_name));
            }
            tx.delete_role(&id.account, role_name).map_err(|e| match e {
                WriteError::Conflict(_) => ApiError::new(
                    ErrorCode::DeleteConflict,
                    "Cannot delete entity, must detach all policies first.",
                ),
                other => write_error(other),
            })
        })
    }

    // ---- inline policies ------------------------------------------------------------------

    /// `Put{User,Group,Role}Policy`.
    pub fn put_inline_policy(
        &self,
        id: &Identity,
        info: &RequestInfo,
        owner: Owner,
        owner_name: &str,
        policy_name: &str,
        document: &str,
    ) -> Result<(), ApiError> {
        let action = format!("iam:Put{}Policy", capital(owner.noun()));
        self.store.write(|tx| {
            let pref = self.owner_access(tx, id, info, owner, owner_name, &action, None)?;
            Policy::parse(document, PolicyKind::Identity).map_err(|e| malformed(&e))?;
            let others: usize = tx
                .list_inline_policies(&pref)?
                .iter()
                .filter(|p| !p.name.eq_ignore_ascii_case(policy_name))
                .map(|p| policy_size(&p.document))
                .sum();
            let quota = owner.inline_quota();
            if others + policy_size(document) > quota {
                return Err(ApiError::new(
                    ErrorCode::LimitExceeded,
                    format!(
                        "Maximum policy size of {quota} bytes exceeded for {} {owner_name}",
                        owner.noun()
                    ),
                ));
            }
            tx.put_inline_policy(
                &pref,
                &InlinePolicy {
                    name: policy_name.to_owned(),
                    document: document.to_owned(),
                },
            )
            .map_err(|e| match e {
                WriteError::NotFound(_) => no_such(owner.noun(), owner_name),
                other => write_error(other),
            })
        })
    }

    /// `Get{User,Group,Role}Policy`.
    pub fn get_inline_policy(
        &self,
        id: &Identity,
        info: &RequestInfo,
        owner: Owner,
        owner_name: &str,
        policy_name: &str,
    ) -> Result<InlinePolicy, ApiError> {
        let action = format!("iam:Get{}Policy", capital(owner.noun()));
        self.store.read(|tx| {
            let pref = self.owner_access(tx, id, info, owner, owner_name, &action, None)?;
            tx.get_inline_policy(&pref, policy_name)?.ok_or_else(|| {
                ApiError::new(
                    ErrorCode::NoSuchEntity,
                    format!(
                        "The {} policy with name {policy_name} cannot be found.",
                        owner.noun()
                    ),
                )
            })
        })
    }

    /// `Delete{User,Group,Role}Policy`.
    pub fn delete_inline_policy(
        &self,
        id: &Identity,
        info: &RequestInfo,
        owner: Owner,
        owner_name: &str,
        policy_name: &str,
    ) -> Result<(), ApiError> {
        let action = format!("iam:Delete{}Policy", capital(owner.noun()));
        self.store.write(|tx| {
            let pref = self.owner_access(tx, id, info, owner, owner_name, &action, None)?;
            tx.delete_inline_policy(&pref, policy_name)
                .map_err(|e| match e {
                    WriteError::NotFound(_) => ApiError::new(
                        ErrorCode::NoSuchEntity,
                        format!(
                            "The {} policy with name {policy_name} cannot be found.",
                            owner.noun()
                        ),
                    ),
                    other => write_error(other),
                })
        })
    }

    /// `List{User,Group,Role}Policies`: the names.
    pub fn list_inline_policies(
        &self,
        id: &Identity,
        info: &RequestInfo,
        owner: Owner,
        owner_name: &str,
    ) -> Result<Vec<String>, ApiError> {
        let action = format!("iam:List{}Policies", capital(owner.noun()));
        self.store.read(|tx| {
            let pref = self.owner_access(tx, id, info, owner, owner_name, &action, None)?;
            Ok(tx
                .list_inline_policies(&pref)?
                .into_iter()
                .map(|p| p.name)
                .collect())
        })
    }

    // ---- managed policies -----------------------------------------------------------------

    /// `CreatePolicy`.
    pub fn create_policy(
        &self,
        id: &Identity,
        info: &RequestInfo,
        input: CreatePolicyInput,
    ) -> Result<ManagedPolicy, ApiError> {
        let path = path_or_root(&input.path);
        let arn = Arn::iam_policy(id.account.as_str(), &path, &input.policy_name);
        self.store.write(|tx| {
            self.iam_check(
                tx,
                id,
                info,
                "iam:CreatePolicy",
                &arn.to_string(),
                &input.tags,
            )?;
            managed_document(&input.policy_document)?;
            let policy = ManagedPolicy {
                scope: PolicyScope::Account(id.account.clone()),
                name: input.policy_name.clone(),
                path: path.clone(),
                unique_id: new_unique_id(UniqueIdKind::Policy, self.ids.as_ref()),
                arn: arn.clone(),
                default_version_id: "v1".to_owned(),
                versions: vec![PolicyVersion {
                    version_id: "v1".to_owned(),
                    document: input.policy_document.clone(),
                    create_date: info.now,
                }],
                versions_created: 1,
                attachment_count: 0,
                boundary_usage_count: 0,
                description: input.description.clone(),
                tags: input.tags.clone(),
                create_date: info.now,
                update_date: info.now,
            };
            tx.create_policy(&policy).map_err(|e| match e {
                WriteError::AlreadyExists(_) => ApiError::new(
                    ErrorCode::EntityAlreadyExists,
                    format!(
                        "A policy called {} already exists. Duplicate names are not allowed.",
                        input.policy_name
                    ),
                ),
                other => write_error(other),
            })?;
            Ok(policy)
        })
    }

    fn visible_policy(
        &self,
        tx: &dyn ReadTx,
        id: &Identity,
        arn_text: &str,
    ) -> Result<ManagedPolicy, ApiError> {
        let missing = || {
            ApiError::new(
                ErrorCode::NoSuchEntity,
                format!("Policy {arn_text} does not exist or is not attachable."),
            )
        };
        let arn = parse_arn(arn_text, "PolicyArn")?;
        let policy = tx.get_policy(&arn)?.ok_or_else(missing)?;
        match &policy.scope {
            PolicyScope::Aws => Ok(policy),
            PolicyScope::Account(a) if *a == id.account => Ok(policy),
            PolicyScope::Account(_) => Err(missing()),
        }
    }

    /// `GetPolicy`.
    pub fn get_policy(
        &self,
        id: &Identity,
        info: &RequestInfo,
        arn: &str,
    ) -> Result<ManagedPolicy, ApiError> {
        self.store.read(|tx| {
            self.iam_check(tx, id, info, "iam:GetPolicy", arn, &[])?;
            self.visible_policy(tx, id, arn)
        })
    }

    /// `GetPolicyVersion`.
    pub fn get_policy_version(
        &self,
        id: &Identity,
        info: &RequestInfo,
        arn: &str,
        version_id: &str,
    ) -> Result<(ManagedPolicy, PolicyVersion), ApiError> {
        self.store.read(|tx| {
            self.iam_check(tx, id, info, "iam:GetPolicyVersion", arn, &[])?;
            let policy = self.visible_policy(tx, id, arn)?;
            let version = policy
                .versions
                .iter()
                .find(|v| v.version_id == version_id)
                .cloned()
                .ok_or_else(|| {
                    ApiError::new(
                        ErrorCode::NoSuchEntity,
                        format!(
                            "Policy {arn} version {version_id} does not exist or is not attachable."
                        ),
                    )
                })?;
            Ok((policy, version))
        })
    }

    /// `ListPolicies`.
    pub fn list_policies(
        &self,
        id: &Identity,
        info: &RequestInfo,
        scope: PolicyListScope,
        only_attached: bool,
        paging: &Paging,
    ) -> Result<Page<ManagedPolicy>, ApiError> {
        self.store.read(|tx| {
            let resource = format!("arn:aws:iam::{}:policy/", id.account);
            self.iam_check(tx, id, info, "iam:ListPolicies", &resource, &[])?;
            let filter = PolicyFilter {
                account: id.account.clone(),
                scope,
                only_attached,
            };
            Ok(tx.list_policies(&filter, &paging.query())?)
        })
    }

    /// `DeletePolicy`: refused while attached or while it has non-default versions.
    pub fn delete_policy(
        &self,
        id: &Identity,
        info: &RequestInfo,
        arn: &str,
    ) -> Result<(), ApiError> {
        self.store.write(|tx| {
            self.iam_check(tx, id, info, "iam:DeletePolicy", arn, &[])?;
            let policy = self.visible_policy(tx, id, arn)?;
            if policy.scope == PolicyScope::Aws {
                return Err(ApiError::new(
                    ErrorCode::InvalidInput,
                    format!("ARN {arn} is not valid."),
                ));
            }
            if policy.attachment_count > 0 {
                return Err(ApiError::new(
                    ErrorCode::DeleteConflict,
                    "Cannot delete a policy attached to entities.",
                ));
            }
            if policy.versions.len() > 1 {
                return Err(ApiError::new(
                    ErrorCode::DeleteConflict,
                    "Cannot delete a policy with versions. Delete the non-default versions first.",
                ));
            }
            tx.delete_policy(&policy.arn).map_err(write_error)
        })
    }

    /// `Attach{User,Group,Role}Policy`.
    pub fn attach_policy(
        &self,
        id: &Identity,
        info: &RequestInfo,
        owner: Owner,
        owner_name: &str,
        policy_arn: &str,
    ) -> Result<(), ApiError> {
        let action = format!("iam:Attach{}Policy", capital(owner.noun()));
        self.store.write(|tx| {
            let pref =
                self.owner_access(tx, id, info, owner, owner_name, &action, Some(policy_arn))?;
            let policy = self.visible_policy(tx, id, policy_arn)?;
            let attached = tx.list_attached_policies(&pref)?;
            if attached.iter().any(|a| a.arn == policy.arn) {
                return Ok(());
            }
            if attached.len() >= ATTACHED_POLICIES {
                return Err(ApiError::new(
                    ErrorCode::LimitExceeded,
                    format!("Cannot exceed quota for PoliciesPerUser: {ATTACHED_POLICIES}")
                        .replace("User", &capital(owner.noun())),
                ));
            }
            tx.attach_policy(&pref, &policy.arn).map_err(|e| match e {
                WriteError::NotFound(Entity::Policy) => ApiError::new(
                    ErrorCode::NoSuchEntity,
                    format!("Policy {policy_arn} does not exist or is not attachable."),
                ),
                WriteError::NotFound(_) => no_such(owner.noun(), owner_name),
                other => write_error(other),
            })
        })
    }

    /// `Detach{User,Group,Role}Policy`.
    pub fn detach_policy(
        &self,
        id: &Identity,
        info: &RequestInfo,
        owner: Owner,
        owner_name: &str,
        policy_arn: &str,
    ) -> Result<(), ApiError> {
        let action = format!("iam:Detach{}Policy", capital(owner.noun()));
        self.store.write(|tx| {
            let pref =
                self.owner_access(tx, id, info, owner, owner_name, &action, Some(policy_arn))?;
            let parsed = parse_arn(policy_arn, "PolicyArn")?;
            tx.detach_policy(&pref, &parsed).map_err(|e| match e {
                WriteError::NotFound(_) => ApiError::new(
                    ErrorCode::NoSuchEntity,
                    format!("Policy {policy_arn} was not found."),
                ),
                other => write_error(other),
            })
        })
    }

    /// `ListAttached{User,Group,Role}Policies`.
    pub fn list_attached_policies(
        &self,
        id: &Identity,
        info: &RequestInfo,
        owner: Owner,
        owner_name: &str,
    ) -> Result<Vec<AttachedPolicy>, ApiError> {
        let action = format!("iam:ListAttached{}Policies", capital(owner.noun()));
        self.store.read(|tx| {
            let pref = self.owner_access(tx, id, info, owner, owner_name, &action, None)?;
            Ok(tx.list_attached_policies(&pref)?)
        })
    }

    /// Creates what one scenario account declares (the account itself exists already).
    pub(crate) fn apply_account(
        &self,
        tx: &mut dyn WriteTx,
        account: &AccountId,
        a: &crate::scenario::Account,
        now: time::OffsetDateTime,
    ) -> Result<(), ApiError> {
        let ids = self.ids.as_ref();
        let scenario_error = |what: &str, e: WriteError| {
            ApiError::new(ErrorCode::ValidationError, format!("scenario: {what}: {e}"))
        };
        for p in &a.policies {
            let arn = Arn::iam_policy(account.as_str(), &p.path, p.name.get_ref());
            tx.create_policy(&ManagedPolicy {
                scope: PolicyScope::Account(account.clone()),
                name: p.name.get_ref().clone(),
                path: p.path.clone(),
                unique_id: new_unique_id(UniqueIdKind::Policy, ids),
                arn,
                default_version_id: "v1".into(),
                versions: vec![PolicyVersion {
                    version_id: "v1".into(),
                    document: p.document.get_ref().clone(),
                    create_date: now,
                }],
                versions_created: 1,
                attachment_count: 0,
                boundary_usage_count: 0,
                description: p.description.clone(),
                tags: Vec::new(),
                create_date: now,
                update_date: now,
            })
            .map_err(|e| scenario_error(p.name.get_ref(), e))?;
        }
        for u in &a.users {
            let name = u.name.get_ref();
            tx.create_user(&User {
                account: account.clone(),
                name: name.clone(),
                path: u.path.clone(),
                unique_id: new_unique_id(UniqueIdKind::User, ids),
                arn: Arn::iam_user(account.as_str(), &u.path, name),
                create_date: now,
                permissions_boundary: None,
                tags: sorted_tags(&u.tags),
            })
            .map_err(|e| scenario_error(name, e))?;
            for k in &u.access_keys {
                tx.create_access_key(&AccessKey {
                    id: k.id.get_ref().clone(),
                    secret: k.secret.clone(),
                    account: account.clone(),
                    owner: KeyOwner::User(name.clone()),
                    status: KeyStatus::Active,
                    create_date: now,
                    last_used: None,
                })
                .map_err(|e| scenario_error(k.id.get_ref(), e))?;
            }
            let owner = PrincipalRef::user(account, name);
            for p in &u.inline_policies {
                tx.put_inline_policy(
                    &owner,
                    &InlinePolicy {
                        name: p.name.get_ref().clone(),
                        document: p.document.get_ref().clone(),
                    },
                )
                .map_err(|e| scenario_error(p.name.get_ref(), e))?;
            }
            for arn in &u.managed_policies {
                let parsed = parse_arn(arn.get_ref(), "a managed policy")?;
                tx.attach_policy(&owner, &parsed)
                    .map_err(|e| scenario_error(arn.get_ref(), e))?;
            }
        }
        for r in &a.roles {
            let name = r.name.get_ref();
            tx.create_role(&Role {
                account: account.clone(),
                name: name.clone(),
                path: r.path.clone(),
                unique_id: new_unique_id(UniqueIdKind::Role, ids),
                arn: Arn::iam_role(account.as_str(), &r.path, name),
                trust_policy: r.trust_policy.get_ref().clone(),
                description: r.description.clone(),
                max_session_duration: u32::try_from(*r.max_session_duration.get_ref())
                    .unwrap_or(3600),
                permissions_boundary: None,
                tags: sorted_tags(&r.tags),
                create_date: now,
            })
            .map_err(|e| scenario_error(name, e))?;
            let owner = PrincipalRef::role(account, name);
            for p in &r.inline_policies {
                tx.put_inline_policy(
                    &owner,
                    &InlinePolicy {
                        name: p.name.get_ref().clone(),
                        document: p.document.get_ref().clone(),
                    },
                )
                .map_err(|e| scenario_error(p.name.get_ref(), e))?;
            }
            for arn in &r.managed_policies {
                let parsed = parse_arn(arn.get_ref(), "a managed policy")?;
                tx.attach_policy(&owner, &parsed)
                    .map_err(|e| scenario_error(arn.get_ref(), e))?;
            }
        }
        Ok(())
    }
}

fn sorted_tags(tags: &std::collections::HashMap<String, String>) -> Vec<Tag> {
    let mut out: Vec<Tag> = tags
        .iter()
        .map(|(k, v)| Tag {
            key: k.clone(),
            value: v.clone(),
        })
        .collect();
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}
