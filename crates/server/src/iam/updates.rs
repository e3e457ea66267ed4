//! Changes to existing users and roles.

use super::{any_char, respond, respond_empty, role};
use crate::query::{Checks, Failure, NAME_PATTERN, name_char, policy_char};
use roleplay_engine::iam::Owner;
use roleplay_engine::{Engine, Identity, RequestInfo};
use roleplay_wire::query::Params;

const DESCRIPTION_PATTERN: &str = "[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u00A1-\\u00FF]*";

pub(super) fn handle(
    engine: &Engine,
    id: &Identity,
    info: &RequestInfo,
    p: &Params,
    action: &str,
    rid: &str,
) -> Option<Result<String, Failure>> {
    let run = || -> Result<String, Failure> {
        let mut c = Checks::new(p);
        match action {
            "UpdateRole" | "UpdateRoleDescription" => {
                let name = c.required("RoleName", 1, 64, name_char, NAME_PATTERN);
                let only = action == "UpdateRoleDescription";
                let description = if only {
                    Some(c.required("Description", 0, 1000, policy_char, DESCRIPTION_PATTERN))
                } else {
                    c.optional("Description", 0, 1000, policy_char, DESCRIPTION_PATTERN)
                };
                let max = if only {
                    None
                } else {
                    c.int("MaxSessionDuration", 3600, 43_200)?
                };
                c.finish()?;
                let r = engine.update_role(
                    id,
                    info,
                    &name,
                    description,
                    max.and_then(|m| u32::try_from(m).ok()),
                    only,
                )?;
                Ok(respond(action, rid, |w| {
                    if only {
                        w.element("Role", |w| role(w, &r, true));
                    }
                }))
            }
            "UpdateUser" => {
                let name = c.required("UserName", 1, 128, name_char, NAME_PATTERN);
                let new_name = c.optional("NewUserName", 1, 64, name_char, NAME_PATTERN);
                let new_path = c.path("NewPath");
                c.finish()?;
                engine.update_user(id, info, &name, new_name.as_deref(), new_path)?;
                Ok(respond_empty(action, rid))
            }
            _ => {
                // {Put,Delete}{User,Role}PermissionsBoundary
                let (owner, field) = if action.contains("User") {
                    (Owner::User, "UserName")
                } else {
                    (Owner::Role, "RoleName")
                };
                let name = c.required(field, 1, 64, name_char, NAME_PATTERN);
                if action.starts_with("Put") {
                    let b = c.required("PermissionsBoundary", 20, 2048, any_char, "");
                    c.finish()?;
                    engine.put_permissions_boundary(id, info, owner, &name, &b)?;
                } else {
                    c.finish()?;
                    engine.delete_permissions_boundary(id, info, owner, &name)?;
                }
                Ok(respond_empty(action, rid))
            }
        }
    };
    match action {
        "UpdateRole"
        | "UpdateRoleDescription"
        | "UpdateUser"
        | "PutUserPermissionsBoundary"
        | "PutRolePermissionsBoundary"
        | "DeleteUserPermissionsBoundary"
        | "DeleteRolePermissionsBoundary" => Some(run()),
        _ => None,
    }
}
