//! The policy simulator: `SimulatePrincipalPolicy` and `SimulateCustomPolicy`.

use super::{any_char, page_end, paging, respond};
use crate::query::{Checks, Failure, POLICY_PATTERN, policy_char};
use roleplay_engine::iam::{
    ContextEntry, ContextKeyType, EvaluationResult, MatchedStatement, ResourceResult, SimulateInput,
};
use roleplay_engine::{Engine, Identity, RequestInfo};
use roleplay_policy::{Decision, Position};
use roleplay_wire::query::Params;
use roleplay_wire::xml::XmlWriter;

/// A list of strings whose members must each have `min..=max` characters (policy
/// characters for policy documents): one violation for the list, naming every constraint of
/// the member, as AWS words it.
fn string_list(
    c: &mut Checks<'_>,
    name: &str,
    (min, max): (usize, usize),
    documents: bool,
) -> Result<Vec<String>, Failure> {
    let items: Vec<String> = c
        .params
        .list(name)?
        .into_iter()
        .map(str::to_owned)
        .collect();
    let bad = items.iter().any(|v| {
        let len = v.chars().count();
        len < min || len > max || (documents && !v.chars().all(policy_char))
    });
    if bad {
        let mut constraints = vec![
            format!("Member must have length less than or equal to {max}"),
            format!("Member must have length greater than or equal to {min}"),
        ];
        if documents {
            constraints.push(format!(
                "Member must satisfy regular expression pattern: {POLICY_PATTERN}"
            ));
        }
        c.violations.push(
            name,
            Some(&format!("[{}]", items.join(", "))),
            format!(
                "Member must satisfy constraint: [{}]",
                constraints.join(", ")
            ),
        );
    }
    Ok(items)
}

fn input(p: &Params, c: &mut Checks<'_>, custom: bool) -> Result<SimulateInput, Failure> {
    if custom && !p.contains("PolicyInputList") {
        c.violations.missing("PolicyInputList");
    }
    let policy_input_list = string_list(c, "PolicyInputList", (1, 131_072), true)?;
    let permissions_boundary_policy_input_list =
        string_list(c, "PermissionsBoundaryPolicyInputList", (1, 131_072), true)?;
    if !p.contains("ActionNames") {
        c.violations.missing("ActionNames");
    }
    let action_names = string_list(c, "ActionNames", (3, 128), false)?;
    let resource_arns = string_list(c, "ResourceArns", (1, 2048), false)?;
    let resource_policy = c.optional("ResourcePolicy", 1, 131_072, policy_char, POLICY_PATTERN);
    let resource_owner = c.optional("ResourceOwner", 1, 2048, any_char, "");
    let caller_arn = c.optional("CallerArn", 1, 2048, any_char, "");
    let mut context_entries = Vec::new();
    for m in p.structs("ContextEntries")? {
        let name = m.optional("ContextKeyName").unwrap_or_default();
        c.violations
            .check_length(&m.name("ContextKeyName"), name, 5, 256);
        let key_type = m.optional("ContextKeyType");
        if let Some(t) = key_type {
            c.violations
                .check_enum(&m.name("ContextKeyType"), t, &ContextKeyType::NAMES);
        }
        context_entries.push(ContextEntry {
            name: name.to_owned(),
            values: m
                .list("ContextKeyValues")?
                .into_iter()
                .map(str::to_owned)
                .collect(),
            key_type: key_type.map(str::to_owned),
        });
    }
    let resource_handling_option = c.optional("ResourceHandlingOption", 1, 64, any_char, "");
    Ok(SimulateInput {
        policy_input_list,
        permissions_boundary_policy_input_list,
        action_names,
        resource_arns,
        resource_policy,
        resource_owner,
        caller_arn,
        context_entries,
        resource_handling_option,
    })
}

fn decision(d: Decision) -> &'static str {
    match d {
        Decision::Allow => "allowed",
        Decision::ExplicitDeny => "explicitDeny",
        Decision::ImplicitDeny => "implicitDeny",
    }
}

fn position(w: &mut XmlWriter, name: &str, p: Option<Position>) {
    if let Some(p) = p {
        w.element(name, |w| {
            w.display_element("Line", p.line)
                .display_element("Column", p.column);
        });
    }
}

fn matched(w: &mut XmlWriter, statements: &[MatchedStatement]) {
    w.member_list("MatchedStatements", statements, |w, s| {
        w.text_element("SourcePolicyId", &s.source_policy_id)
            .text_element("SourcePolicyType", s.source_policy_type.as_str());
        position(w, "StartPosition", s.start);
        position(w, "EndPosition", s.end);
    });
}

/// The members a result and a resource-specific result share, after the decision.
fn details(w: &mut XmlWriter, r: &ResourceResult, with_details: bool) {
    matched(w, &r.matched);
    w.text_member_list("MissingContextValues", &r.missing);
    if let Some(allowed) = r.allowed_by_boundary {
        w.element("PermissionsBoundaryDecisionDetail", |w| {
            w.display_element("AllowedByPermissionsBoundary", allowed);
        });
    }
    if with_details {
        w.element("EvalDecisionDetails", |w| {
            for (source, d) in &r.details {
                w.element("entry", |w| {
                    w.text_element("key", source)
                        .text_element("value", decision(*d));
                });
            }
        });
    }
}

fn result(w: &mut XmlWriter, e: &EvaluationResult) {
    w.text_element("EvalActionName", &e.action)
        .text_element("EvalResourceName", &e.result.resource)
        .text_element("EvalDecision", decision(e.result.decision));
    details(w, &e.result, e.has_details);
    if !e.resource_specific.is_empty() {
        w.member_list("ResourceSpecificResults", &e.resource_specific, |w, r| {
            w.text_element("EvalResourceName", &r.resource)
                .text_element("EvalResourceDecision", decision(r.decision));
            details(w, r, !r.details.is_empty());
        });
    }
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
        let source = (action == "SimulatePrincipalPolicy")
            .then(|| c.required("PolicySourceArn", 20, 2048, any_char, ""));
        let sim = input(p, &mut c, source.is_none())?;
        let pg = paging(&mut c)?;
        c.finish()?;
        let results = match &source {
            Some(arn) => engine.simulate_principal_policy(id, info, arn, &sim)?,
            None => engine.simulate_custom_policy(id, info, &sim)?,
        };
        let page = pg.page(results)?;
        Ok(respond(action, rid, |w| {
            w.member_list("EvaluationResults", &page.items, result);
            page_end(w, &page);
        }))
    };
    match action {
        "SimulatePrincipalPolicy" | "SimulateCustomPolicy" => Some(run()),
        _ => None,
    }
}
