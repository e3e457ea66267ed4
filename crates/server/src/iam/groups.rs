//! Groups and membership.

use super::{group, page_end, paging, respond, respond_empty, user};
use crate::query::{Checks, Failure, NAME_PATTERN, name_char};
use roleplay_engine::{Engine, Identity, RequestInfo};
use roleplay_wire::query::Params;

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
            "CreateGroup" => {
                let name = c.required("GroupName", 1, 128, name_char, NAME_PATTERN);
                let path = c.path("Path");
                c.finish()?;
                let g = engine.create_group(id, info, &name, path)?;
                Ok(respond(action, rid, |w| {
                    w.element("Group", |w| group(w, &g));
                }))
            }
            "GetGroup" => {
                let name = c.required("GroupName", 1, 128, name_char, NAME_PATTERN);
                let pg = paging(&mut c)?;
                c.finish()?;
                let (g, members) = engine.get_group(id, info, &name, &pg)?;
                Ok(respond(action, rid, |w| {
                    w.element("Group", |w| group(w, &g));
                    w.member_list("Users", &members.items, user);
                    page_end(w, &members);
                }))
            }
            "ListGroups" => {
                let pg = paging(&mut c)?;
                c.finish()?;
                let page = engine.list_groups(id, info, &pg)?;
                Ok(respond(action, rid, |w| {
                    w.member_list("Groups", &page.items, group);
                    page_end(w, &page);
                }))
            }
            "ListGroupsForUser" => {
                let name = c.required("UserName", 1, 128, name_char, NAME_PATTERN);
                let pg = paging(&mut c)?;
                c.finish()?;
                let page = engine.list_groups_for_user(id, info, &name, &pg)?;
                Ok(respond(action, rid, |w| {
                    w.member_list("Groups", &page.items, group);
                    page_end(w, &page);
                }))
            }
            "DeleteGroup" => {
                let name = c.required("GroupName", 1, 128, name_char, NAME_PATTERN);
                c.finish()?;
                engine.delete_group(id, info, &name)?;
                Ok(respond_empty(action, rid))
            }
            _ => {
                // AddUserToGroup, RemoveUserFromGroup
                let g = c.required("GroupName", 1, 128, name_char, NAME_PATTERN);
                let u = c.required("UserName", 1, 128, name_char, NAME_PATTERN);
                c.finish()?;
                if action == "AddUserToGroup" {
                    engine.add_user_to_group(id, info, &g, &u)?;
                } else {
                    engine.remove_user_from_group(id, info, &g, &u)?;
                }
                Ok(respond_empty(action, rid))
            }
        }
    };
    match action {
        "CreateGroup"
        | "GetGroup"
        | "ListGroups"
        | "ListGroupsForUser"
        | "DeleteGroup"
        | "AddUserToGroup"
        | "RemoveUserFromGroup" => Some(run()),
        _ => None,
    }
}
