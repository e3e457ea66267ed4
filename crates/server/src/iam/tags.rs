//! Tags of users, roles and managed policies.

use super::{any_char, page_end, paging, parse_tags, respond, respond_empty};
use crate::query::{Checks, Failure, NAME_PATTERN, name_char};
use roleplay_engine::iam::TagTarget;
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
    let (verb, noun) = ["Tag", "Untag", "List"].iter().find_map(|verb| {
        let rest = action.strip_prefix(verb)?;
        let noun = match verb {
            &"List" => rest.strip_suffix("Tags")?,
            _ => rest,
        };
        matches!(noun, "User" | "Role" | "Policy").then_some((*verb, noun))
    })?;
    let run = || -> Result<String, Failure> {
        let mut c = Checks::new(p);
        let owner = match noun {
            "User" => c.required("UserName", 1, 128, name_char, NAME_PATTERN),
            "Role" => c.required("RoleName", 1, 64, name_char, NAME_PATTERN),
            _ => c.required("PolicyArn", 20, 2048, any_char, ""),
        };
        let target = match noun {
            "User" => TagTarget::User(&owner),
            "Role" => TagTarget::Role(&owner),
            _ => TagTarget::Policy(&owner),
        };
        match verb {
            "Tag" => {
                if !p.contains("Tags") {
                    c.violations.missing("Tags");
                }
                let tags = parse_tags(p, &mut c)?;
                c.finish()?;
                engine.tag_resource(id, info, target, &tags)?;
                Ok(respond_empty(action, rid))
            }
            "Untag" => {
                if !p.contains("TagKeys") {
                    c.violations.missing("TagKeys");
                }
                let keys: Vec<String> = p.list("TagKeys")?.into_iter().map(str::to_owned).collect();
                for (i, k) in keys.iter().enumerate() {
                    c.violations
                        .check_length(&format!("TagKeys.member.{}", i + 1), k, 1, 128);
                }
                if keys.len() > 50 {
                    c.violations.push(
                        "TagKeys",
                        None,
                        "Member must have length less than or equal to 50",
                    );
                }
                c.finish()?;
                engine.untag_resource(id, info, target, &keys)?;
                Ok(respond_empty(action, rid))
            }
            _ => {
                let pg = paging(&mut c)?;
                c.finish()?;
                let page = engine.list_resource_tags(id, info, target, &pg)?;
                Ok(respond(action, rid, |w| {
                    w.member_list("Tags", &page.items, |w, t| {
                        w.text_element("Key", &t.key)
                            .text_element("Value", &t.value);
                    });
                    page_end(w, &page);
                }))
            }
        }
    };
    Some(run())
}
