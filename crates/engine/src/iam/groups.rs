//! Groups and membership.

use super::{Paging, no_such, path_or_root};
use crate::error::{ApiError, ErrorCode};
use crate::identity::Identity;
use crate::{Engine, RequestInfo, write_error};
use roleplay_store::{Group, ListQuery, Page, PrincipalRef, ReadTx, StoreExt, User, WriteError};
use roleplay_types::{Arn, UniqueIdKind, new_unique_id};

/// Groups per account (quota GroupsPerAccount).
const GROUPS_PER_ACCOUNT: usize = 300;
/// Groups one user may belong to (quota GroupsPerUser).
const GROUPS_PER_USER: usize = 10;

impl Engine {
    fn existing_group_arn(
        &self,
        tx: &dyn ReadTx,
        id: &Identity,
        name: &str,
    ) -> Result<String, ApiError> {
        Ok(match tx.get_group(&id.account, name)? {
            Some(g) => g.arn.to_string(),
            None => Arn::iam_group(id.account.as_str(), "/", name).to_string(),
        })
    }

    fn existing_group(
        &self,
        tx: &dyn ReadTx,
        id: &Identity,
        name: &str,
    ) -> Result<Group, ApiError> {
        tx.get_group(&id.account, name)?
            .ok_or_else(|| no_such("group", name))
    }

    /// `CreateGroup`.
    pub fn create_group(
        &self,
        id: &Identity,
        info: &RequestInfo,
        group_name: &str,
        path: Option<String>,
    ) -> Result<Group, ApiError> {
        let path = path_or_root(&path);
        let arn = Arn::iam_group(id.account.as_str(), &path, group_name);
        self.store.write(|tx| {
            self.iam_check(tx, id, info, "iam:CreateGroup", &arn.to_string(), &[])?;
            let exists = || {
                ApiError::new(
                    ErrorCode::EntityAlreadyExists,
                    format!("Group with name {group_name} already exists."),
                )
            };
            if tx.get_group(&id.account, group_name)?.is_some() {
                return Err(exists());
            }
            if tx.list_groups(&id.account, &ListQuery::all())?.items.len() >= GROUPS_PER_ACCOUNT {
                return Err(ApiError::new(
                    ErrorCode::LimitExceeded,
                    format!("Cannot exceed quota for GroupsPerAccount: {GROUPS_PER_ACCOUNT}"),
                ));
            }
            let group = Group {
                account: id.account.clone(),
                name: group_name.to_owned(),
                path: path.clone(),
                unique_id: new_unique_id(UniqueIdKind::Group, self.ids.as_ref()),
                arn: arn.clone(),
                create_date: info.now,
            };
            tx.create_group(&group).map_err(|e| match e {
                WriteError::AlreadyExists(_) => exists(),
                other => write_error(other),
            })?;
            Ok(group)
        })
    }

    /// `GetGroup`: the group and a page of its members.
    pub fn get_group(
        &self,
        id: &Identity,
        info: &RequestInfo,
        group_name: &str,
        paging: &Paging,
    ) -> Result<(Group, Page<User>), ApiError> {
        self.store.read(|tx| {
            let arn = self.existing_group_arn(tx, id, group_name)?;
            self.iam_check(tx, id, info, "iam:GetGroup", &arn, &[])?;
            let group = self.existing_group(tx, id, group_name)?;
            let members = tx.list_group_members(&id.account, group_name)?;
            Ok((group, paging.page(members)?))
        })
    }

    /// `ListGroups`.
    pub fn list_groups(
        &self,
        id: &Identity,
        info: &RequestInfo,
        paging: &Paging,
    ) -> Result<Page<Group>, ApiError> {
        self.store.read(|tx| {
            let resource = format!("arn:aws:iam::{}:group/", id.account);
            self.iam_check(tx, id, info, "iam:ListGroups", &resource, &[])?;
            Ok(tx.list_groups(&id.account, &paging.query())?)
        })
    }

    /// `DeleteGroup`: refused while the group has members, inline or attached policies.
    pub fn delete_group(
        &self,
        id: &Identity,
        info: &RequestInfo,
        group_name: &str,
    ) -> Result<(), ApiError> {
        self.store.write(|tx| {
            let arn = self.existing_group_arn(tx, id, group_name)?;
            self.iam_check(tx, id, info, "iam:DeleteGroup", &arn, &[])?;
            self.existing_group(tx, id, group_name)?;
            let conflict = |what: &str| {
                ApiError::new(
                    ErrorCode::DeleteConflict,
                    format!("Cannot delete entity, must {what} first."),
                )
            };
            if !tx.list_group_members(&id.account, group_name)?.is_empty() {
                return Err(conflict("remove users from group"));
            }
            let owner = PrincipalRef::group(&id.account, group_name);
            if !tx.list_inline_policies(&owner)?.is_empty() {
                return Err(conflict("delete policies"));
            }
            if !tx.list_attached_policies(&owner)?.is_empty() {
                return Err(conflict("detach all policies"));
            }
            tx.delete_group(&id.account, group_name)
                .map_err(|e| match e {
                    WriteError::NotFound(_) => no_such("group", group_name),
                    WriteError::Conflict(_) => conflict("remove users from group"),
                    other => write_error(other),
                })
        })
    }

    /// `AddUserToGroup`; adding a member again changes nothing.
    pub fn add_user_to_group(
        &self,
        id: &Identity,
        info: &RequestInfo,
        group_name: &str,
        user_name: &str,
    ) -> Result<(), ApiError> {
        self.store.write(|tx| {
            let arn = self.existing_group_arn(tx, id, group_name)?;
            self.iam_check(tx, id, info, "iam:AddUserToGroup", &arn, &[])?;
            let group = self.existing_group(tx, id, group_name)?;
            if tx.get_user(&id.account, user_name)?.is_none() {
                return Err(no_such("user", user_name));
            }
            let groups = tx.list_groups_for_user(&id.account, user_name)?;
            if groups.iter().any(|g| g.unique_id == group.unique_id) {
                return Ok(());
            }
            if groups.len() >= GROUPS_PER_USER {
                return Err(ApiError::new(
                    ErrorCode::LimitExceeded,
                    format!("Cannot exceed quota for GroupsPerUser: {GROUPS_PER_USER}"),
                ));
            }
            match tx.add_user_to_group(&id.account, group_name, user_name) {
                Ok(()) | Err(WriteError::AlreadyExists(_)) => Ok(()),
                Err(WriteError::NotFound(roleplay_store::Entity::Group)) => {
                    Err(no_such("group", group_name))
                }
                Err(WriteError::NotFound(_)) => Err(no_such("user", user_name)),
                Err(other) => Err(write_error(other)),
            }
        })
    }

    /// `RemoveUserFromGroup`.
    pub fn remove_user_from_group(
        &self,
        id: &Identity,
        info: &RequestInfo,
        group_name: &str,
        user_name: &str,
    ) -> Result<(), ApiError> {
        self.store.write(|tx| {
            let arn = self.existing_group_arn(tx, id, group_name)?;
            self.iam_check(tx, id, info, "iam:RemoveUserFromGroup", &arn, &[])?;
            self.existing_group(tx, id, group_name)?;
            if tx.get_user(&id.account, user_name)?.is_none() {
                return Err(no_such("user", user_name));
            }
            tx.remove_user_from_group(&id.account, group_name, user_name)
                .map_err(|e| match e {
                    WriteError::NotFound(_) => ApiError::new(
                        ErrorCode::NoSuchEntity,
                        format!("User {user_name} is not in group {group_name}."),
                    ),
                    other => write_error(other),
                })
        })
    }

    /// `ListGroupsForUser`.
    pub fn list_groups_for_user(
        &self,
        id: &Identity,
        info: &RequestInfo,
        user_name: &str,
        paging: &Paging,
    ) -> Result<Page<Group>, ApiError> {
        self.store.read(|tx| {
            let arn = self.existing_user_arn(tx, id, user_name)?;
            self.iam_check(tx, id, info, "iam:ListGroupsForUser", &arn, &[])?;
            if tx.get_user(&id.account, user_name)?.is_none() {
                return Err(no_such("user", user_name));
            }
            paging.page(tx.list_groups_for_user(&id.account, user_name)?)
        })
    }
}
