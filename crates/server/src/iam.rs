//! The IAM adapter: decode and check parameters, call the engine, write the XML. Policy
//! documents go back URL-encoded, exactly as submitted.

use crate::query::{Checks, Failure, NAME_PATTERN, POLICY_PATTERN, name_char, policy_char};
use roleplay_engine::iam::{CreatePolicyInput, CreateRoleInput, Owner, Paging};
use roleplay_engine::{Engine, Identity, RequestInfo};
use roleplay_store::{KeyStatus, ManagedPolicy, Page, PolicyListScope, Role, Tag, User};
use roleplay_wire::envelope::{IAM_NAMESPACE, query_response, query_response_empty};
use roleplay_wire::query::{Params, percent_encode};
use roleplay_wire::xml::XmlWriter;

mod account;
mod groups;
mod oidc;
mod operations;
mod simulate;
mod tags;
mod updates;
mod versions;

/// The handler of one family of actions: `None` if the action is not the family's.
type Family =
    fn(&Engine, &Identity, &RequestInfo, &Params, &str, &str) -> Option<Result<String, Failure>>;

const FAMILIES: &[Family] = &[
    groups::handle,
    versions::handle,
    tags::handle,
    updates::handle,
    account::handle,
    oidc::handle,
    simulate::handle,
];

/// A success envelope with a result.
fn respond(action: &str, rid: &str, f: impl FnOnce(&mut XmlWriter)) -> String {
    query_response(action, IAM_NAMESPACE, rid, f)
}

/// A success envelope without a result.
fn respond_empty(action: &str, rid: &str) -> String {
    query_response_empty(action, IAM_NAMESPACE, rid)
}

fn group(w: &mut XmlWriter, g: &roleplay_store::Group) {
    w.text_element("Path", &g.path)
        .text_element("GroupName", &g.name)
        .text_element("GroupId", &g.unique_id)
        .text_element("Arn", &g.arn.to_string())
        .timestamp_element("CreateDate", g.create_date);
}

/// `VersionId`: `v1`, `v2`, ...
fn version_id(c: &mut Checks<'_>) -> String {
    c.required(
        "VersionId",
        1,
        128,
        |ch| ch.is_ascii_alphanumeric() || ch == '.' || ch == '-',
        "v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?",
    )
}

fn tags(w: &mut XmlWriter, tags: &[Tag]) {
    if !tags.is_empty() {
        w.member_list("Tags", tags, |w, t| {
            w.text_element("Key", &t.key)
                .text_element("Value", &t.value);
        });
    }
}

fn boundary(w: &mut XmlWriter, arn: Option<&roleplay_types::Arn>) {
    if let Some(b) = arn {
        w.element("PermissionsBoundary", |w| {
            w.text_element("PermissionsBoundaryType", "PermissionsBoundaryPolicy")
                .text_element("PermissionsBoundaryArn", &b.to_string());
        });
    }
}

fn user(w: &mut XmlWriter, u: &User) {
    if !u.name.is_empty() {
        w.text_element("Path", &u.path)
            .text_element("UserName", &u.name);
    }
    w.text_element("UserId", &u.unique_id)
        .text_element("Arn", &u.arn.to_string())
        .timestamp_element("CreateDate", u.create_date);
    boundary(w, u.permissions_boundary.as_ref());
    tags(w, &u.tags);
}

fn role(w: &mut XmlWriter, r: &Role, with_tags: bool) {
    w.text_element("Path", &r.path)
        .text_element("RoleName", &r.name)
        .text_element("RoleId", &r.unique_id)
        .text_element("Arn", &r.arn.to_string())
        .timestamp_element("CreateDate", r.create_date)
        .text_element("AssumeRolePolicyDocument", &percent_encode(&r.trust_policy))
        .optional_text_element("Description", r.description.as_deref())
        .display_element("MaxSessionDuration", r.max_session_duration);
    boundary(w, r.permissions_boundary.as_ref());
    if with_tags {
        tags(w, &r.tags);
    }
}

/// A managed policy; listings leave out the description and tags, as IAM's do.
fn policy_in(w: &mut XmlWriter, p: &ManagedPolicy, listing: bool) {
    w.text_element("PolicyName", &p.name)
        .text_element("PolicyId", &p.unique_id)
        .text_element("Arn", &p.arn.to_string())
        .text_element("Path", &p.path)
        .text_element("DefaultVersionId", &p.default_version_id)
        .display_element("AttachmentCount", p.attachment_count)
        .display_element("PermissionsBoundaryUsageCount", p.boundary_usage_count)
        .text_element("IsAttachable", "true");
    if !listing {
        w.optional_text_element("Description", p.description.as_deref());
    }
    w.timestamp_element("CreateDate", p.create_date)
        .timestamp_element("UpdateDate", p.update_date);
    if !listing {
        tags(w, &p.tags);
    }
}

fn policy(w: &mut XmlWriter, p: &ManagedPolicy) {
    policy_in(w, p, false);
}

fn page_end<T>(w: &mut XmlWriter, page: &Page<T>) {
    w.text_element(
        "IsTruncated",
        if page.is_truncated { "true" } else { "false" },
    );
    if page.is_truncated {
        w.optional_text_element("Marker", page.marker.as_deref());
    }
}

fn any_char(_: char) -> bool {
    true
}

fn paging(c: &mut Checks<'_>) -> Result<Paging, Failure> {
    let path_prefix = c.optional(
        "PathPrefix",
        1,
        512,
        |ch| ('\u{21}'..='\u{7f}').contains(&ch),
        "\\u002F[\\u0021-\\u007F]*",
    );
    let marker = c.optional(
        "Marker",
        1,
        320,
        |ch| matches!(ch, '\u{20}'..='\u{ff}'),
        "[\\u0020-\\u00FF]+",
    );
    let max = c.int("MaxItems", 1, 1000)?;
    Ok(Paging {
        path_prefix,
        marker,
        max_items: max.and_then(|m| usize::try_from(m).ok()),
    })
}

fn parse_tags(p: &Params, c: &mut Checks<'_>) -> Result<Vec<Tag>, Failure> {
    let mut out = Vec::new();
    for m in p.structs("Tags")? {
        let key = m.required("Key")?;
        let value = m.required("Value")?;
        c.violations.check_length(&m.name("Key"), key, 1, 128);
        c.violations.check_length(&m.name("Value"), value, 0, 256);
        out.push(Tag {
            key: key.to_owned(),
            value: value.to_owned(),
        });
    }
    if out.len() > 50 {
        c.violations.push(
            "Tags",
            None,
            "Member must have length less than or equal to 50",
        );
    }
    Ok(out)
}

fn owner_of(action: &str) -> Option<(Owner, &'static str)> {
    if action.contains("User") {
        Some((Owner::User, "UserName"))
    } else if action.contains("Group") {
        Some((Owner::Group, "GroupName"))
    } else if action.contains("Role") {
        Some((Owner::Role, "RoleName"))
    } else {
        None
    }
}

/// Runs one IAM action.
pub(crate) fn handle(
    engine: &Engine,
    id: &Identity,
    info: &RequestInfo,
    p: &Params,
    action: &str,
    rid: &str,
) -> Result<String, Failure> {
    for family in FAMILIES {
        if let Some(result) = family(engine, id, info, p, action, rid) {
            return result;
        }
    }
    let mut c = Checks::new(p);
    let ok = |f: &dyn Fn(&mut XmlWriter)| query_response(action, IAM_NAMESPACE, rid, |w| f(w));
    let empty = || query_response_empty(action, IAM_NAMESPACE, rid);
    match action {
        "CreateUser" => {
            let name = c.required("UserName", 1, 64, name_char, NAME_PATTERN);
            let path = c.path("Path");
            let pb = c.optional("PermissionsBoundary", 20, 2048, any_char, "");
            let t = parse_tags(p, &mut c)?;
            c.finish()?;
            let u = engine.create_user(id, info, &name, path, pb, t)?;
            Ok(ok(&|w| {
                w.element("User", |w| user(w, &u));
            }))
        }
        "GetUser" => {
            let name = c.optional("UserName", 1, 64, name_char, NAME_PATTERN);
            c.finish()?;
            let u = engine.get_user(id, info, name.as_deref())?;
            Ok(ok(&|w| {
                w.element("User", |w| user(w, &u));
            }))
        }
        "ListUsers" => {
            let pg = paging(&mut c)?;
            c.finish()?;
            let page = engine.list_users(id, info, &pg)?;
            Ok(ok(&|w| {
                w.member_list("Users", &page.items, user);
                page_end(w, &page);
            }))
        }
        "DeleteUser" => {
            let name = c.required("UserName", 1, 128, name_char, NAME_PATTERN);
            c.finish()?;
            engine.delete_user(id, info, &name)?;
            Ok(empty())
        }
        "CreateAccessKey" => {
            let name = c.optional("UserName", 1, 128, name_char, NAME_PATTERN);
            c.finish()?;
            let k = engine.create_access_key(id, info, name.as_deref())?;
            Ok(ok(&|w| {
                w.element("AccessKey", |w| {
                    w.optional_text_element("UserName", k.user_name.as_deref())
                        .text_element("AccessKeyId", &k.key.id)
                        .text_element("Status", k.key.status.as_str())
                        .text_element("SecretAccessKey", &k.key.secret)
                        .timestamp_element("CreateDate", k.key.create_date);
                });
            }))
        }
        "ListAccessKeys" => {
            let name = c.optional("UserName", 1, 128, name_char, NAME_PATTERN);
            let pg = paging(&mut c)?;
            c.finish()?;
            let (user_name, keys) = engine.list_access_keys(id, info, name.as_deref())?;
            let page = pg.page(keys)?;
            Ok(ok(&|w| {
                w.member_list("AccessKeyMetadata", &page.items, |w, k| {
                    w.optional_text_element("UserName", user_name.as_deref())
                        .text_element("AccessKeyId", &k.id)
                        .text_element("Status", k.status.as_str())
                        .timestamp_element("CreateDate", k.create_date);
                });
                page_end(w, &page);
            }))
        }
        "UpdateAccessKey" | "DeleteAccessKey" => {
            let name = c.optional("UserName", 1, 128, name_char, NAME_PATTERN);
            let key = c.required(
                "AccessKeyId",
                16,
                128,
                |ch| ch.is_ascii_alphanumeric() || ch == '_',
                "[\\w]+",
            );
            let status = if action == "UpdateAccessKey" {
                let s = c.required("Status", 1, 16, any_char, "");
                c.violations
                    .check_enum("Status", &s, &["Active", "Inactive"]);
                Some(if s == "Active" {
                    KeyStatus::Active
                } else {
                    KeyStatus::Inactive
                })
            } else {
                None
            };
            c.finish()?;
            match status {
                Some(s) => engine.update_access_key(id, info, name.as_deref(), &key, s)?,
                None => engine.delete_access_key(id, info, name.as_deref(), &key)?,
            }
            Ok(empty())
        }
        "CreateRole" => {
            let role_name = c.required("RoleName", 1, 64, name_char, NAME_PATTERN);
            let path = c.path("Path");
            let doc = c.required(
                "AssumeRolePolicyDocument",
                1,
                131_072,
                policy_char,
                POLICY_PATTERN,
            );
            let description = c.optional(
                "Description",
                0,
                1000,
                policy_char,
                "[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u00A1-\\u00FF]*",
            );
            let max = c.int("MaxSessionDuration", 3600, 43_200)?;
            let pb = c.optional("PermissionsBoundary", 20, 2048, any_char, "");
            let t = parse_tags(p, &mut c)?;
            c.finish()?;
            let r = engine.create_role(
                id,
                info,
                CreateRoleInput {
                    role_name,
                    path,
                    assume_role_policy_document: doc,
                    description,
                    max_session_duration: max.and_then(|m| u32::try_from(m).ok()),
                    permissions_boundary: pb,
                    tags: t,
                },
            )?;
            Ok(ok(&|w| {
                w.element("Role", |w| role(w, &r, true));
            }))
        }
        "GetRole" => {
            let name = c.required("RoleName", 1, 64, name_char, NAME_PATTERN);
            c.finish()?;
            let r = engine.get_role(id, info, &name)?;
            Ok(ok(&|w| {
                w.element("Role", |w| {
                    role(w, &r, true);
                    // Roles are not tracked for last use yet: IAM then answers an empty element.
                    w.empty_element("RoleLastUsed");
                });
            }))
        }
        "ListRoles" => {
            let pg = paging(&mut c)?;
            c.finish()?;
            let page = engine.list_roles(id, info, &pg)?;
            Ok(ok(&|w| {
                w.member_list("Roles", &page.items, |w, r| role(w, r, false));
                page_end(w, &page);
            }))
        }
        "DeleteRole" => {
            let name = c.required("RoleName", 1, 64, name_char, NAME_PATTERN);
            c.finish()?;
            engine.delete_role(id, info, &name)?;
            Ok(empty())
        }
        "UpdateAssumeRolePolicy" => {
            let name = c.required("RoleName", 1, 64, name_char, NAME_PATTERN);
            let doc = c.required("PolicyDocument", 1, 131_072, policy_char, POLICY_PATTERN);
            c.finish()?;
            engine.update_assume_role_policy(id, info, &name, &doc)?;
            Ok(empty())
        }
        "PutUserPolicy" | "PutGroupPolicy" | "PutRolePolicy" | "GetUserPolicy"
        | "GetGroupPolicy" | "GetRolePolicy" | "DeleteUserPolicy" | "DeleteGroupPolicy"
        | "DeleteRolePolicy" => {
            let Some((owner, field)) = owner_of(action) else {
                return Err(invalid_action(action));
            };
            let owner_name = c.required(field, 1, 128, name_char, NAME_PATTERN);
            let policy_name = c.required("PolicyName", 1, 128, name_char, NAME_PATTERN);
            if action.starts_with("Put") {
                let doc = c.required("PolicyDocument", 1, 131_072, policy_char, POLICY_PATTERN);
                c.finish()?;
                engine.put_inline_policy(id, info, owner, &owner_name, &policy_name, &doc)?;
                Ok(empty())
            } else if action.starts_with("Get") {
                c.finish()?;
                let pol = engine.get_inline_policy(id, info, owner, &owner_name, &policy_name)?;
                Ok(ok(&|w| {
                    w.text_element(field, &owner_name)
                        .text_element("PolicyName", &pol.name)
                        .text_element("PolicyDocument", &percent_encode(&pol.document));
                }))
            } else {
                c.finish()?;
                engine.delete_inline_policy(id, info, owner, &owner_name, &policy_name)?;
                Ok(empty())
            }
        }
        "ListUserPolicies" | "ListGroupPolicies" | "ListRolePolicies" => {
            let Some((owner, field)) = owner_of(action) else {
                return Err(invalid_action(action));
            };
            let owner_name = c.required(field, 1, 128, name_char, NAME_PATTERN);
            let pg = paging(&mut c)?;
            c.finish()?;
            let names = engine.list_inline_policies(id, info, owner, &owner_name)?;
            let page = pg.page(names)?;
            Ok(ok(&|w| {
                w.text_member_list("PolicyNames", &page.items);
                page_end(w, &page);
            }))
        }
        "AttachUserPolicy" | "AttachGroupPolicy" | "AttachRolePolicy" | "DetachUserPolicy"
        | "DetachGroupPolicy" | "DetachRolePolicy" => {
            let Some((owner, field)) = owner_of(action) else {
                return Err(invalid_action(action));
            };
            let owner_name = c.required(field, 1, 128, name_char, NAME_PATTERN);
            let arn = c.required("PolicyArn", 20, 2048, any_char, "");
            c.finish()?;
            if action.starts_with("Attach") {
                engine.attach_policy(id, info, owner, &owner_name, &arn)?;
            } else {
                engine.detach_policy(id, info, owner, &owner_name, &arn)?;
            }
            Ok(empty())
        }
        "ListAttachedUserPolicies" | "ListAttachedGroupPolicies" | "ListAttachedRolePolicies" => {
            let Some((owner, field)) = owner_of(action) else {
                return Err(invalid_action(action));
            };
            let owner_name = c.required(field, 1, 128, name_char, NAME_PATTERN);
            let pg = paging(&mut c)?;
            c.finish()?;
            let list = engine.list_attached_policies(id, info, owner, &owner_name)?;
            let page = pg.page(list)?;
            Ok(ok(&|w| {
                w.member_list("AttachedPolicies", &page.items, |w, a| {
                    w.text_element("PolicyName", &a.name)
                        .text_element("PolicyArn", &a.arn.to_string());
                });
                page_end(w, &page);
            }))
        }
        "CreatePolicy" => {
            let policy_name = c.required("PolicyName", 1, 128, name_char, NAME_PATTERN);
            let path = c.path("Path");
            let doc = c.required("PolicyDocument", 1, 131_072, policy_char, POLICY_PATTERN);
            let description = c.optional("Description", 0, 1000, any_char, "");
            let t = parse_tags(p, &mut c)?;
            c.finish()?;
            let pol = engine.create_policy(
                id,
                info,
                CreatePolicyInput {
                    policy_name,
                    path,
                    policy_document: doc,
                    description,
                    tags: t,
                },
            )?;
            Ok(ok(&|w| {
                w.element("Policy", |w| policy(w, &pol));
            }))
        }
        "GetPolicy" | "DeletePolicy" => {
            let arn = c.required("PolicyArn", 20, 2048, any_char, "");
            c.finish()?;
            if action == "DeletePolicy" {
                engine.delete_policy(id, info, &arn)?;
                return Ok(empty());
            }
            let pol = engine.get_policy(id, info, &arn)?;
            Ok(ok(&|w| {
                w.element("Policy", |w| policy(w, &pol));
            }))
        }
        "GetPolicyVersion" => {
            let arn = c.required("PolicyArn", 20, 2048, any_char, "");
            let version = version_id(&mut c);
            c.finish()?;
            let (pol, v) = engine.get_policy_version(id, info, &arn, &version)?;
            Ok(ok(&|w| {
                w.element("PolicyVersion", |w| {
                    w.text_element("Document", &percent_encode(&v.document))
                        .text_element("VersionId", &v.version_id)
                        .text_element(
                            "IsDefaultVersion",
                            if v.version_id == pol.default_version_id {
                                "true"
                            } else {
                                "false"
                            },
                        )
                        .timestamp_element("CreateDate", v.create_date);
                });
            }))
        }
        "ListPolicies" => {
            let scope = match c.optional("Scope", 1, 5, any_char, "").as_deref() {
                Some("AWS") => PolicyListScope::Aws,
                Some("Local") => PolicyListScope::Local,
                Some("All") | None => PolicyListScope::All,
                Some(other) => {
                    c.violations
                        .check_enum("Scope", other, &["All", "AWS", "Local"]);
                    PolicyListScope::All
                }
            };
            let only_attached = p.optional_bool("OnlyAttached")?.unwrap_or(false);
            let pg = paging(&mut c)?;
            c.finish()?;
            let page = engine.list_policies(id, info, scope, only_attached, &pg)?;
            Ok(ok(&|w| {
                w.member_list("Policies", &page.items, |w, p| policy_in(w, p, true));
                page_end(w, &page);
            }))
        }
        other => Err(invalid_action(other)),
    }
}

/// An action roleplay does not serve: `NotImplemented` if IAM has it (so the caller knows
/// the request is right and roleplay is missing it), AWS's `InvalidAction` otherwise.
fn invalid_action(action: &str) -> Failure {
    if operations::OPERATIONS.binary_search(&action).is_ok() {
        return Failure::new(
            "NotImplemented",
            501,
            format!("{action} is not implemented by roleplay yet."),
        );
    }
    Failure::new(
        "InvalidAction",
        400,
        format!("Could not find operation {action} for version 2010-05-08"),
    )
}
