//! Changes to existing users and roles: descriptions, session duration, permissions
//! boundaries, renames.

use super::{Owner, capital, no_such, path_or_root};
use crate::error::{ApiError, ErrorCode};
use crate::identity::Identity;
use crate::{Engine, RequestInfo, write_error};
use roleplay_store::{Role, StoreExt, WriteError};
use roleplay_types::Arn;

impl Engine {
    /// `UpdateRole` (with `description_only`, `UpdateRoleDescription`): returns the role.
    pub fn update_role(
        &self,
        id: &Identity,
        info: &RequestInfo,
        role_name: &str,
        description: Option<String>,
        max_session_duration: Option<u32>,
        description_only: bool,
    ) -> Result<Role, ApiError> {
        let action = if description_only {
            "iam:UpdateRoleDescription"
        } else {
            "iam:UpdateRole"
        };
        self.store.write(|tx| {
            let arn = self.existing_role_arn(tx, id, role_name)?;
            self.iam_check(tx, id, info, action, &arn, &[])?;
            let mut role = tx
                .get_role(&id.account, role_name)?
                .ok_or_else(|| no_such("role", role_name))?;
            if let Some(d) = &description {
                role.description = Some(d.clone());
            }
            if let Some(m) = max_session_duration {
                role.max_session_duration = m;
            }
            tx.update_role(&role).map_err(write_error)?;
            Ok(role)
        })
    }

    /// `Put{User,Role}PermissionsBoundary`.
    pub fn put_permissions_boundary(
        &self,
        id: &Identity,
        info: &RequestInfo,
        owner: Owner,
        name: &str,
        boundary: &str,
    ) -> Result<(), ApiError> {
        let action = format!("iam:Put{}PermissionsBoundary", capital(owner.noun()));
        self.set_boundary(id, info, owner, name, &action, Some(boundary))
    }

    /// `Delete{User,Role}PermissionsBoundary`.
    pub fn delete_permissions_boundary(
        &self,
        id: &Identity,
        info: &RequestInfo,
        owner: Owner,
        name: &str,
    ) -> Result<(), ApiError> {
        let action = format!("iam:Delete{}PermissionsBoundary", capital(owner.noun()));
        self.set_boundary(id, info, owner, name, &action, None)
    }

    fn set_boundary(
        &self,
        id: &Identity,
        info: &RequestInfo,
        owner: Owner,
        name: &str,
        action: &str,
        boundary: Option<&str>,
    ) -> Result<(), ApiError> {
        self.store.write(|tx| {
            let arn = self.owner_arn(tx, id, owner, name)?;
            let mut ctx = self.context(id, info);
            if let Some(b) = boundary {
                ctx.insert_static("iam:permissionsboundary", b);
            }
            self.iam_check_with(tx, id, action, &arn, &ctx)?;
            let parsed = match boundary {
                Some(b) => Some(self.boundary_arn(tx, b)?),
                None => None,
            };
            match owner {
                Owner::Role => {
                    let mut role = tx
                        .get_role(&id.account, name)?
                        .ok_or_else(|| no_such("role", name))?;
                    role.permissions_boundary = parsed;
                    tx.update_role(&role).map_err(write_error)
                }
                Owner::User | Owner::Group => {
                    let mut user = tx
                        .get_user(&id.account, name)?
                        .ok_or_else(|| no_such("user", name))?;
                    let current = user.name.clone();
                    user.permissions_boundary = parsed;
                    tx.update_user(&current, &user).map_err(write_error)
                }
            }
        })
    }

    /// `UpdateUser`: a new name and/or path, authorized on the user both as it is and as it
    /// will be.
    pub fn update_user(
        &self,
        id: &Identity,
        info: &RequestInfo,
        user_name: &str,
        new_name: Option<&str>,
        new_path: Option<String>,
    ) -> Result<(), ApiError> {
        self.store.write(|tx| {
            let arn = self.existing_user_arn(tx, id, user_name)?;
            self.iam_check(tx, id, info, "iam:UpdateUser", &arn, &[])?;
            let mut user = tx
                .get_user(&id.account, user_name)?
                .ok_or_else(|| no_such("user", user_name))?;
            let current = user.name.clone();
            let name = new_name.unwrap_or(&current).to_owned();
            let path = match &new_path {
                Some(_) => path_or_root(&new_path),
                None => user.path.clone(),
            };
            let new_arn = Arn::iam_user(id.account.as_str(), &path, &name);
            if new_arn != user.arn {
                self.iam_check(tx, id, info, "iam:UpdateUser", &new_arn.to_string(), &[])?;
            }
            let exists = || {
                ApiError::new(
                    ErrorCode::EntityAlreadyExists,
                    format!("User with name {name} already exists."),
                )
            };
            if !name.eq_ignore_ascii_case(&current) && tx.get_user(&id.account, &name)?.is_some() {
                return Err(exists());
            }
            user.name = name.clone();
            user.path = path;
            user.arn = new_arn;
            tx.update_user(&current, &user).map_err(|e| match e {
                WriteError::AlreadyExists(_) => exists(),
                other => write_error(other),
            })
        })
    }
}
