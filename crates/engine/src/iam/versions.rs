//! Managed policy versions and the entities a policy is attached to.

use super::{Paging, managed_document};
use crate::error::{ApiError, ErrorCode};
use crate::identity::Identity;
use crate::{Engine, RequestInfo, write_error};
use roleplay_store::{
    ListQuery, ManagedPolicy, Page, PolicyScope, PolicyVersion, PrincipalKind, ReadTx, StoreExt,
    WriteError,
};

/// Versions one managed policy may have.
const VERSIONS_PER_POLICY: usize = 5;

/// `EntityFilter` of `ListEntitiesForPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityFilter {
    /// Users only.
    User,
    /// Groups only.
    Group,
    /// Roles only.
    Role,
    /// Everything (also `LocalManagedPolicy` and `AWSManagedPolicy`, which name no entity kind).
    All,
}

/// `PolicyUsageFilter` of `ListEntitiesForPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyUsage {
    /// Attached as a permissions policy.
    PermissionsPolicy,
    /// Used as a permissions boundary.
    PermissionsBoundary,
    /// Either.
    Any,
}

/// A user, group or role that uses a managed policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyEntity {
    /// User, group or role.
    pub kind: PrincipalKind,
    /// Its name.
    pub name: String,
    /// Its unique id.
    pub id: String,
}

fn version_missing(arn: &str, version_id: &str) -> ApiError {
    ApiError::new(
        ErrorCode::NoSuchEntity,
        format!("Policy {arn} version {version_id} does not exist or is not attachable."),
    )
}

impl Engine {
    /// The account's own policy at `arn`: AWS-managed policies cannot be changed.
    pub(super) fn own_policy(
        &self,
        tx: &dyn ReadTx,
        id: &Identity,
        arn: &str,
    ) -> Result<ManagedPolicy, ApiError> {
        let policy = self.visible_policy(tx, id, arn)?;
        if policy.scope == PolicyScope::Aws {
            return Err(ApiError::new(
                ErrorCode::InvalidInput,
                format!("ARN {arn} is not valid."),
            ));
        }
        Ok(policy)
    }

    /// `CreatePolicyVersion`: `v{N}` with N one past every version ever created.
    pub fn create_policy_version(
        &self,
        id: &Identity,
        info: &RequestInfo,
        arn: &str,
        document: &str,
        set_as_default: bool,
    ) -> Result<(PolicyVersion, bool), ApiError> {
        self.store.write(|tx| {
            self.iam_check(tx, id, info, "iam:CreatePolicyVersion", arn, &[])?;
            let mut policy = self.own_policy(tx, id, arn)?;
            managed_document(document)?;
            if policy.versions.len() >= VERSIONS_PER_POLICY {
                return Err(ApiError::new(
                    ErrorCode::LimitExceeded,
                    "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.",
                ));
            }
            let version = PolicyVersion {
                version_id: format!("v{}", policy.versions_created + 1),
                document: document.to_owned(),
                create_date: info.now,
            };
            tx.create_policy_version(&policy.arn, &version)
                .map_err(write_error)?;
            if set_as_default {
                policy.default_version_id = version.version_id.clone();
                policy.update_date = info.now;
                tx.update_policy(&policy).map_err(write_error)?;
            }
            Ok((version.clone(), set_as_default))
        })
    }

    /// `ListPolicyVersions`, newest first.
    pub fn list_policy_versions(
        &self,
        id: &Identity,
        info: &RequestInfo,
        arn: &str,
        paging: &Paging,
    ) -> Result<(ManagedPolicy, Page<PolicyVersion>), ApiError> {
        self.store.read(|tx| {
            self.iam_check(tx, id, info, "iam:ListPolicyVersions", arn, &[])?;
            let policy = self.visible_policy(tx, id, arn)?;
            let versions: Vec<PolicyVersion> = policy.versions.iter().rev().cloned().collect();
            let page = paging.page(versions)?;
            Ok((policy, page))
        })
    }

    /// `DeletePolicyVersion`: never the default version.
    pub fn delete_policy_version(
        &self,
        id: &Identity,
        info: &RequestInfo,
        arn: &str,
        version_id: &str,
    ) -> Result<(), ApiError> {
        self.store.write(|tx| {
            self.iam_check(tx, id, info, "iam:DeletePolicyVersion", arn, &[])?;
            let policy = self.own_policy(tx, id, arn)?;
            let conflict = || {
                ApiError::new(
                    ErrorCode::DeleteConflict,
                    "Cannot delete the default version of a policy.",
                )
            };
            if policy.default_version_id == version_id {
                return Err(conflict());
            }
            if !policy.versions.iter().any(|v| v.version_id == version_id) {
                return Err(version_missing(arn, version_id));
            }
            tx.delete_policy_version(&policy.arn, version_id)
                .map_err(|e| match e {
                    WriteError::Conflict(_) => conflict(),
                    WriteError::NotFound(_) => version_missing(arn, version_id),
                    other => write_error(other),
                })
        })
    }

    /// `SetDefaultPolicyVersion`.
    pub fn set_default_policy_version(
        &self,
        id: &Identity,
        info: &RequestInfo,
        arn: &str,
        version_id: &str,
    ) -> Result<(), ApiError> {
        self.store.write(|tx| {
            self.iam_check(tx, id, info, "iam:SetDefaultPolicyVersion", arn, &[])?;
            let mut policy = self.own_policy(tx, id, arn)?;
            if !policy.versions.iter().any(|v| v.version_id == version_id) {
                return Err(version_missing(arn, version_id));
            }
            if policy.default_version_id == version_id {
                return Ok(());
            }
            policy.default_version_id = version_id.to_owned();
            policy.update_date = info.now;
            tx.update_policy(&policy).map_err(|e| match e {
                WriteError::NotFound(_) => version_missing(arn, version_id),
                other => write_error(other),
            })
        })
    }

    /// `ListEntitiesForPolicy`: the account's users, groups and roles (in that order, each by
    /// name) that have the policy attached or use it as permissions boundary.
    pub fn list_entities_for_policy(
        &self,
        id: &Identity,
        info: &RequestInfo,
        arn: &str,
        filter: EntityFilter,
        usage: PolicyUsage,
        paging: &Paging,
    ) -> Result<Page<PolicyEntity>, ApiError> {
        self.store.read(|tx| {
            self.iam_check(tx, id, info, "iam:ListEntitiesForPolicy", arn, &[])?;
            let policy = self.visible_policy(tx, id, arn)?;
            let wanted = |kind: PrincipalKind| match filter {
                EntityFilter::All => true,
                EntityFilter::User => kind == PrincipalKind::User,
                EntityFilter::Group => kind == PrincipalKind::Group,
                EntityFilter::Role => kind == PrincipalKind::Role,
            };
            let prefix = paging.path_prefix.as_deref().unwrap_or("/");
            let mut found: Vec<(PolicyEntity, String)> = Vec::new();
            if usage != PolicyUsage::PermissionsBoundary {
                for r in tx.list_policy_attachments(&id.account, &policy.arn)? {
                    if !wanted(r.kind) {
                        continue;
                    }
                    let (path, unique) = match r.kind {
                        PrincipalKind::User => tx
                            .get_user(&id.account, &r.name)?
                            .map(|u| (u.path, u.unique_id)),
                        PrincipalKind::Group => tx
                            .get_group(&id.account, &r.name)?
                            .map(|g| (g.path, g.unique_id)),
                        PrincipalKind::Role => tx
                            .get_role(&id.account, &r.name)?
                            .map(|x| (x.path, x.unique_id)),
                    }
                    .unwrap_or_default();
                    found.push((
                        PolicyEntity {
                            kind: r.kind,
                            name: r.name,
                            id: unique,
                        },
                        path,
                    ));
                }
            }
            if usage != PolicyUsage::PermissionsPolicy {
                if wanted(PrincipalKind::User) {
                    for u in tx.list_users(&id.account, &ListQuery::all())?.items {
                        if u.permissions_boundary.as_ref() == Some(&policy.arn) {
                            found.push((
                                PolicyEntity {
                                    kind: PrincipalKind::User,
                                    name: u.name,
                                    id: u.unique_id,
                                },
                                u.path,
                            ));
                        }
                    }
                }
                if wanted(PrincipalKind::Role) {
                    for r in tx.list_roles(&id.account, &ListQuery::all())?.items {
                        if r.permissions_boundary.as_ref() == Some(&policy.arn) {
                            found.push((
                                PolicyEntity {
                                    kind: PrincipalKind::Role,
                                    name: r.name,
                                    id: r.unique_id,
                                },
                                r.path,
                            ));
                        }
                    }
                }
            }
            let order = |k: PrincipalKind| match k {
                PrincipalKind::User => 0,
                PrincipalKind::Group => 1,
                PrincipalKind::Role => 2,
            };
            found.sort_by_key(|(e, _)| (order(e.kind), e.name.to_lowercase()));
            found.dedup_by(|a, b| a.0 == b.0);
            let entities = found
                .into_iter()
                .filter(|(_, path)| path.starts_with(prefix))
                .map(|(e, _)| e)
                .collect();
            paging.page(entities)
        })
    }
}
