//! Does one statement apply to a request? Action, resource, principal and conditions.

use crate::context::{Caller, Context, Principal};
use crate::document::{
    AwsPrincipalForm, PrincipalBlock, PrincipalSet, ResourceBlock, ResourcePattern, Statement,
};

/// How a resource-based policy names the caller, which decides what may still cap the grant
/// (the table "Which grant survives which implicit deny" of the evaluation logic).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Grant {
    /// The account (`123456789012`, `arn:aws:iam::123456789012:root`, a canonical user):
    /// delegated to the account's own identity policies.
    Account,
    /// The role ARN for one of its sessions, or the user ARN for that user's federated
    /// session: capped by the permissions boundary and session policies.
    Capped,
    /// The user, the exact session, a service, a web identity, or an anonymous caller: no
    /// identity-side policy caps it.
    Direct,
}

/// Why a statement does not apply to a request: the first element that failed, in the order
/// they are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Miss {
    Action,
    Principal,
    Resource,
    /// The index of the first condition that did not hold.
    Condition(usize),
}

/// What a matching statement contributes: for resource-based policies, how it names the caller.
pub(crate) fn statement_applies(
    stmt: &Statement,
    caller: &Caller,
    action: &str,
    resource: &str,
    ctx: &Context,
) -> Option<Option<Grant>> {
    check_statement(stmt, caller, action, resource, ctx).ok()
}

/// [`statement_applies`], saying which element failed.
pub(crate) fn check_statement(
    stmt: &Statement,
    caller: &Caller,
    action: &str,
    resource: &str,
    ctx: &Context,
) -> Result<Option<Grant>, Miss> {
    if !stmt.action.matches(action) {
        return Err(Miss::Action);
    }
    let grant = match &stmt.principal {
        None => None,
        Some(block) => Some(principal_grant(block, caller).ok_or(Miss::Principal)?),
    };
    if let Some(block) = &stmt.resource
        && !resource_matches(block, resource, ctx)
    {
        return Err(Miss::Resource);
    }
    if let Some(i) = stmt.conditions.iter().position(|c| !c.evaluate(ctx)) {
        return Err(Miss::Condition(i));
    }
    Ok(grant)
}

fn resource_matches(block: &ResourceBlock, resource: &str, ctx: &Context) -> bool {
    let any = block.patterns.iter().any(|p| match p {
        ResourcePattern::Any => true,
        ResourcePattern::Arn(arn) => arn.matches(resource, ctx),
    });
    any != block.negated
}

fn principal_grant(block: &PrincipalBlock, caller: &Caller) -> Option<Grant> {
    match block {
        PrincipalBlock::Principal(set) => set_grant(set, caller),
        PrincipalBlock::NotPrincipal(set) => match set_grant(set, caller) {
            Some(_) => None,
            None => Some(own_grant(caller)),
        },
    }
}

/// The grant `"*"` gives this caller: as if the policy named the caller's own principal ARN.
fn own_grant(caller: &Caller) -> Grant {
    match &caller.principal {
        Principal::Root { .. } => Grant::Account,
        Principal::RoleSession { .. } | Principal::FederatedUser { .. } => Grant::Capped,
        _ => Grant::Direct,
    }
}

/// The strongest grant among the entries of `set` that name the caller.
fn set_grant(set: &PrincipalSet, caller: &Caller) -> Option<Grant> {
    let mut best: Option<Grant> = set.any.then(|| own_grant(caller));
    let mut offer = |g: Grant| best = best.max(Some(g));
    let account = caller.account();
    for p in &set.aws {
        let text = p.text.as_str();
        let grant = match (&p.form, &caller.principal) {
            (AwsPrincipalForm::Account(a), _) if Some(a.as_str()) == account => {
                Some(Grant::Account)
            }
            (AwsPrincipalForm::User, Principal::User { arn, .. }) if arn == text => {
                Some(Grant::Direct)
            }
            (AwsPrincipalForm::User, Principal::FederatedUser { user_arn, .. })
                if user_arn == text =>
            {
                Some(Grant::Capped)
            }
            (AwsPrincipalForm::Role, Principal::RoleSession { role_arn, .. })
                if role_arn == text =>
            {
                Some(Grant::Capped)
            }
            (AwsPrincipalForm::Session, Principal::RoleSession { arn, .. })
            | (AwsPrincipalForm::FederatedUser, Principal::FederatedUser { arn, .. })
                if arn == text =>
            {
                Some(Grant::Direct)
            }
            (AwsPrincipalForm::UniqueId, Principal::User { id, .. }) if id == text => {
                Some(Grant::Direct)
            }
            (AwsPrincipalForm::UniqueId, Principal::RoleSession { role_id, .. })
                if role_id == text =>
            {
                Some(Grant::Capped)
            }
            _ => None,
        };
        if let Some(g) = grant {
            offer(g);
        }
    }
    match &caller.principal {
        Principal::Service { name } if set.service.iter().any(|s| s == name) => {
            offer(Grant::Direct)
        }
        Principal::WebIdentity { provider } if set.federated.iter().any(|f| f == provider) => {
            offer(Grant::Direct)
        }
        _ => {}
    }
    if let Some(id) = &caller.canonical_id
        && set.canonical.iter().any(|c| c.eq_ignore_ascii_case(id))
    {
        offer(Grant::Account);
    }
    best
}
