//! Managed policy versions and the entities using a policy.

use super::{any_char, page_end, paging, respond, respond_empty, version_id};
use crate::query::{Checks, Failure, POLICY_PATTERN, policy_char};
use roleplay_engine::iam::{EntityFilter, PolicyUsage};
use roleplay_engine::{Engine, Identity, RequestInfo};
use roleplay_store::{PolicyVersion, PrincipalKind};
use roleplay_wire::query::Params;
use roleplay_wire::xml::XmlWriter;

fn version(w: &mut XmlWriter, v: &PolicyVersion, is_default: bool) {
    w.text_element("VersionId", &v.version_id)
        .display_element("IsDefaultVersion", is_default)
        .timestamp_element("CreateDate", v.create_date);
}

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
        let arn = c.required("PolicyArn", 20, 2048, any_char, "");
        match action {
            "CreatePolicyVersion" => {
                let doc = c.required("PolicyDocument", 1, 131_072, policy_char, POLICY_PATTERN);
                let set_default = p.optional_bool("SetAsDefault")?.unwrap_or(false);
                c.finish()?;
                let (v, is_default) =
                    engine.create_policy_version(id, info, &arn, &doc, set_default)?;
                Ok(respond(action, rid, |w| {
                    w.element("PolicyVersion", |w| version(w, &v, is_default));
                }))
            }
            "ListPolicyVersions" => {
                let pg = paging(&mut c)?;
                c.finish()?;
                let (policy, page) = engine.list_policy_versions(id, info, &arn, &pg)?;
                Ok(respond(action, rid, |w| {
                    w.member_list("Versions", &page.items, |w, v| {
                        version(w, v, v.version_id == policy.default_version_id);
                    });
                    page_end(w, &page);
                }))
            }
            "DeletePolicyVersion" | "SetDefaultPolicyVersion" => {
                let v = version_id(&mut c);
                c.finish()?;
                if action == "DeletePolicyVersion" {
                    engine.delete_policy_version(id, info, &arn, &v)?;
                } else {
                    engine.set_default_policy_version(id, info, &arn, &v)?;
                }
                Ok(respond_empty(action, rid))
            }
            _ => {
                // ListEntitiesForPolicy
                let filter = match c.optional("EntityFilter", 1, 32, any_char, "").as_deref() {
                    None | Some("LocalManagedPolicy" | "AWSManagedPolicy") => EntityFilter::All,
                    Some("User") => EntityFilter::User,
                    Some("Group") => EntityFilter::Group,
                    Some("Role") => EntityFilter::Role,
                    Some(other) => {
                        c.violations.check_enum(
                            "EntityFilter",
                            other,
                            &[
                                "User",
                                "Role",
                                "Group",
                                "LocalManagedPolicy",
                                "AWSManagedPolicy",
                            ],
                        );
                        EntityFilter::All
                    }
                };
                let usage = match c
                    .optional("PolicyUsageFilter", 1, 32, any_char, "")
                    .as_deref()
                {
                    None => PolicyUsage::Any,
                    Some("PermissionsPolicy") => PolicyUsage::PermissionsPolicy,
                    Some("PermissionsBoundary") => PolicyUsage::PermissionsBoundary,
                    Some(other) => {
                        c.violations.check_enum(
                            "PolicyUsageFilter",
                            other,
                            &["PermissionsPolicy", "PermissionsBoundary"],
                        );
                        PolicyUsage::Any
                    }
                };
                let pg = paging(&mut c)?;
                c.finish()?;
                let page = engine.list_entities_for_policy(id, info, &arn, filter, usage, &pg)?;
                let of = |kind: PrincipalKind| {
                    page.items
                        .iter()
                        .filter(move |e| e.kind == kind)
                        .collect::<Vec<_>>()
                };
                Ok(respond(action, rid, |w| {
                    w.member_list("PolicyGroups", of(PrincipalKind::Group), |w, e| {
                        w.text_element("GroupName", &e.name)
                            .text_element("GroupId", &e.id);
                    });
                    w.member_list("PolicyUsers", of(PrincipalKind::User), |w, e| {
                        w.text_element("UserName", &e.name)
                            .text_element("UserId", &e.id);
                    });
                    w.member_list("PolicyRoles", of(PrincipalKind::Role), |w, e| {
                        w.text_element("RoleName", &e.name)
                            .text_element("RoleId", &e.id);
                    });
                    page_end(w, &page);
                }))
            }
        }
    };
    match action {
        "CreatePolicyVersion"
        | "ListPolicyVersions"
        | "DeletePolicyVersion"
        | "SetDefaultPolicyVersion"
        | "ListEntitiesForPolicy" => Some(run()),
        _ => None,
    }
}
