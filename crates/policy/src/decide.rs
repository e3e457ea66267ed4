//! Combine every policy that applies to a request into one decision, as AWS does.
//!
//! See <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html>
//! and the cross-account page beside it. In order: an explicit deny anywhere wins; inside one
//! account, identity-based and resource-based grants are a union, except that a role trust
//! policy must always allow, and a grant to the account is delegated to the account's identity
//! policies; across accounts both sides must allow; permissions boundaries and session
//! policies cap the identity side and the grants made to a role (not to a user or a session).

use crate::context::{Caller, Context, Principal};
use crate::document::{Effect, Policy, PolicyKind, Statement};
use crate::evaluate::{Grant, statement_applies};

/// One request to authorize.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// Who calls.
    pub caller: &'a Caller,
    /// `service:Action`.
    pub action: &'a str,
    /// The resource ARN, or `*` for actions without a resource.
    pub resource: &'a str,
    /// The account owning the resource; `None` means the caller's own account.
    pub resource_account: Option<&'a str>,
    /// Condition keys, including those derived from the caller ([`Caller::context`]).
    pub context: &'a Context,
}

/// The policies that apply to one request.
#[derive(Debug, Clone, Copy, Default)]
pub struct PolicySet<'s, 'a> {
    /// The caller's identity-based policies (its own, its groups', its role's).
    pub identity: &'s [&'a Policy],
    /// The resource's resource-based policy: a bucket policy, or the role's trust policy
    /// (parsed as [`PolicyKind::Trust`]) when the action assumes a role.
    pub resource: Option<&'a Policy>,
    /// The caller's permissions boundary.
    pub boundary: Option<&'a Policy>,
    /// The session's policies; `None` when the session was created without any.
    pub session: Option<&'s [&'a Policy]>,
}

/// The three answers of IAM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Allowed.
    Allow,
    /// Denied by a matching `Deny` statement.
    ExplicitDeny,
    /// Denied because nothing (or not enough) allowed.
    ImplicitDeny,
}

/// A statement of one of the evaluated policies.
#[derive(Debug, Clone, Copy)]
pub struct StatementRef<'a> {
    /// The policy holding the statement.
    pub policy: &'a Policy,
    /// The statement's 0-based index in the policy.
    pub index: usize,
}

impl<'a> StatementRef<'a> {
    /// The statement itself.
    pub fn statement(&self) -> Option<&'a Statement> {
        self.policy.statements.get(self.index)
    }

    /// `policy-id/Sid`, or `policy-id/#index` for a statement without Sid.
    pub fn label(&self) -> String {
        match self
            .statement()
            .and_then(Statement::sid)
            .filter(|s| !s.is_empty())
        {
            Some(sid) => format!("{}/{sid}", self.policy.id()),
            None => format!("{}/#{}", self.policy.id(), self.index),
        }
    }
}

impl PartialEq for StatementRef<'_> {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.policy, other.policy) && self.index == other.index
    }
}

/// A decision and why.
#[derive(Debug, Clone)]
pub struct Outcome<'a> {
    /// The decision.
    pub decision: Decision,
    /// The statements that matched with the deciding effect: the Allow statements for an
    /// allow, the Deny statements for an explicit deny, none for an implicit deny.
    pub matched: Vec<StatementRef<'a>>,
    /// For a denial, the kind of policy AWS names: the one holding the Deny, or the one whose
    /// missing Allow caused the denial.
    pub denied_by: Option<PolicyKind>,
}

impl Outcome<'_> {
    /// Whether the request is allowed.
    pub fn is_allowed(&self) -> bool {
        self.decision == Decision::Allow
    }
}

/// What the statements of a group of policies said.
#[derive(Debug, Default, Clone, Copy)]
struct Said {
    allow: bool,
    deny: bool,
    /// Resource-based policies: the strongest grant of each kind seen.
    account: bool,
    capped: bool,
    direct: bool,
}

struct Evaluator<'a, 'r> {
    req: &'r Request<'r>,
    matches: Vec<(StatementRef<'a>, Effect)>,
}

impl<'a> Evaluator<'a, '_> {
    fn policies(&mut self, policies: &[&'a Policy]) -> Said {
        let mut said = Said::default();
        for p in policies {
            self.policy(p, &mut said);
        }
        said
    }

    fn policy(&mut self, policy: &'a Policy, said: &mut Said) {
        let r = self.req;
        for (index, stmt) in policy.statements.iter().enumerate() {
            let Some(grant) = statement_applies(stmt, r.caller, r.action, r.resource, r.context)
            else {
                continue;
            };
            self.matches
                .push((StatementRef { policy, index }, stmt.effect));
            match stmt.effect {
                Effect::Deny => said.deny = true,
                Effect::Allow => {
                    said.allow = true;
                    match grant {
                        Some(Grant::Account) => said.account = true,
                        Some(Grant::Capped) => said.capped = true,
                        Some(Grant::Direct) => said.direct = true,
                        None => {}
                    }
                }
            }
        }
    }
}

/// Decides `req` against `set`.
pub fn decide<'a>(req: &Request<'_>, set: &PolicySet<'_, 'a>) -> Outcome<'a> {
    let mut ev = Evaluator {
        req,
        matches: Vec::new(),
    };
    let resource_kind = set.resource.map(Policy::kind);
    let is_trust = resource_kind == Some(PolicyKind::Trust);
    let resource = set.resource.map(|p| ev.policies(&[p])).unwrap_or_default();
    let identity = ev.policies(set.identity);
    let boundary = set.boundary.map(|p| ev.policies(&[p]));
    let session = set.session.map(|ps| ev.policies(ps));

    let finish = |decision: Decision, denied_by: Option<PolicyKind>, ev: Evaluator<'a, '_>| {
        let wanted = match decision {
            Decision::Allow => Some(Effect::Allow),
            Decision::ExplicitDeny => Some(Effect::Deny),
            Decision::ImplicitDeny => None,
        };
        Outcome {
            decision,
            matched: ev
                .matches
                .into_iter()
                .filter(|(_, e)| Some(*e) == wanted)
                .map(|(s, _)| s)
                .collect(),
            denied_by,
        }
    };

    // 1. An explicit deny anywhere wins.
    let explicit = [
        (resource.deny, resource_kind.unwrap_or(PolicyKind::Resource)),
        (identity.deny, PolicyKind::Identity),
        (
            boundary.is_some_and(|b| b.deny),
            PolicyKind::PermissionsBoundary,
        ),
        (session.is_some_and(|s| s.deny), PolicyKind::Session),
    ]
    .into_iter()
    .find(|(deny, _)| *deny);
    if let Some((_, kind)) = explicit {
        return finish(Decision::ExplicitDeny, Some(kind), ev);
    }

    // 2. The identity side: identity policies, capped by boundary and session policies.
    let caller = req.caller;
    let is_root = matches!(caller.principal, Principal::Root { .. });
    let id_allow = is_root || identity.allow;
    let boundary_ok = boundary.is_none_or(|b| b.allow);
    // A federated-user session without a session policy has no permissions of its own.
    let session_ok = match session {
        Some(s) => s.allow,
        None => !matches!(caller.principal, Principal::FederatedUser { .. }),
    };
    let identity_side = id_allow && boundary_ok && session_ok;

    // 3. The resource side.
    let any_grant = resource.account || resource.capped || resource.direct;
    let caller_account = caller.account();
    let same_account = caller_account.is_some()
        && req
            .resource_account
            .is_none_or(|a| Some(a) == caller_account);
    let surviving_grant = resource.direct || (resource.capped && boundary_ok && session_ok);

    let allowed = if caller_account.is_none() {
        // Anonymous callers, services and web identities hold no identity policies.
        any_grant
    } else if same_account && is_trust {
        surviving_grant || (resource.account && identity_side)
    } else if same_account {
        identity_side || surviving_grant
    } else {
        identity_side && any_grant
    };
    if allowed {
        return finish(Decision::Allow, None, ev);
    }

    let resource_kind = if is_trust {
        PolicyKind::Trust
    } else {
        PolicyKind::Resource
    };
    let cap = if !boundary_ok {
        PolicyKind::PermissionsBoundary
    } else {
        PolicyKind::Session
    };
    // A grant to the role (or to the user behind a federated session) that only a boundary or
    // session policy stopped is denied by that cap, whatever the identity policies say.
    let denied_by = if is_trust && !any_grant {
        PolicyKind::Trust
    } else if caller_account.is_none() {
        resource_kind
    } else if same_account {
        if resource.capped || id_allow {
            cap
        } else {
            PolicyKind::Identity
        }
    } else if !id_allow {
        PolicyKind::Identity
    } else if !any_grant {
        resource_kind
    } else {
        cap
    };
    finish(Decision::ImplicitDeny, Some(denied_by), ev)
}
