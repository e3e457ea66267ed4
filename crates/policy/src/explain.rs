//! The evaluation of one request statement by statement, for explanations: each statement of
//! each policy, whether it matched, and if not, which element failed and on what values.

use crate::context::{Context, ContextValue};
use crate::decide::{Outcome, PolicySet, Request, decide};
use crate::document::{Effect, Policy, PrincipalBlock, Statement};
use crate::evaluate::{Miss, check_statement};

/// A decision with every statement that was considered.
#[derive(Debug, Clone)]
pub struct Trace<'a> {
    /// The decision, exactly as [`decide`] makes it.
    pub outcome: Outcome<'a>,
    /// The policies in the order they are evaluated: the resource-based policy, the identity
    /// policies, the permissions boundary, the session policies.
    pub policies: Vec<PolicyTrace<'a>>,
    /// Condition keys that statements otherwise matching the request referred to and that the
    /// request's context lacks, as written in the policies, each once.
    pub missing_keys: Vec<String>,
}

/// One policy of a [`Trace`].
#[derive(Debug, Clone)]
pub struct PolicyTrace<'a> {
    /// The policy (its kind and id say which one it is).
    pub policy: &'a Policy,
    /// Each of its statements, in document order.
    pub statements: Vec<StatementTrace>,
}

/// One statement of a [`PolicyTrace`].
#[derive(Debug, Clone, PartialEq)]
pub struct StatementTrace {
    /// The statement's 0-based index in the policy.
    pub index: usize,
    /// Its `Sid`, if any.
    pub sid: Option<String>,
    /// Its effect.
    pub effect: Effect,
    /// Whether it matched the request, and if not why.
    pub verdict: Verdict,
}

/// Whether a statement applies to a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Every element matched: the statement's effect applies.
    Matched,
    /// The action is not in `Action` (or is in `NotAction`).
    Action {
        /// The statement uses `NotAction`.
        negated: bool,
    },
    /// The caller is not named by `Principal` (or is named by `NotPrincipal`).
    Principal {
        /// The statement uses `NotPrincipal`.
        negated: bool,
    },
    /// The resource is not in `Resource` (or is in `NotResource`).
    Resource {
        /// The statement uses `NotResource`.
        negated: bool,
    },
    /// A condition did not hold.
    Condition(ConditionFailure),
}

/// The first condition of a statement that did not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionFailure {
    /// The operator as written, e.g. `ForAnyValue:StringLike`.
    pub operator: String,
    /// The condition key as written.
    pub key: String,
    /// The policy's values as written.
    pub policy_values: Vec<String>,
    /// The request's values for the key; `None` when the request does not have the key.
    pub request_values: Option<Vec<String>>,
}

impl Verdict {
    /// Whether the statement applies.
    pub fn is_match(&self) -> bool {
        matches!(self, Verdict::Matched)
    }

    /// The verdict in plain words, for the request's action and resource.
    pub fn describe(&self, action: &str, resource: &str) -> String {
        match self {
            Verdict::Matched => "matches the request".to_owned(),
            Verdict::Action { negated: false } => format!("Action does not include {action}"),
            Verdict::Action { negated: true } => format!("NotAction includes {action}"),
            Verdict::Principal { negated: false } => {
                "Principal does not name the caller".to_owned()
            }
            Verdict::Principal { negated: true } => "NotPrincipal names the caller".to_owned(),
            Verdict::Resource { negated: false } => {
                format!("Resource does not include {resource}")
            }
            Verdict::Resource { negated: true } => format!("NotResource includes {resource}"),
            Verdict::Condition(c) => {
                let wanted = c.policy_values.join(", ");
                match &c.request_values {
                    None => format!(
                        "condition {} {} [{wanted}] is not met: the request has no {}",
                        c.operator, c.key, c.key
                    ),
                    Some(v) => format!(
                        "condition {} {} [{wanted}] is not met: the request has [{}]",
                        c.operator,
                        c.key,
                        v.join(", ")
                    ),
                }
            }
        }
    }
}

/// Decides `req` against `set` as [`decide`] does and traces every statement.
pub fn explain<'a>(req: &Request<'_>, set: &PolicySet<'_, 'a>) -> Trace<'a> {
    let outcome = decide(req, set);
    let mut ordered: Vec<&'a Policy> = Vec::new();
    ordered.extend(set.resource);
    ordered.extend(set.identity.iter().copied());
    ordered.extend(set.boundary);
    if let Some(session) = set.session {
        ordered.extend(session.iter().copied());
    }
    let mut missing_keys: Vec<String> = Vec::new();
    let policies = ordered
        .into_iter()
        .map(|policy| PolicyTrace {
            policy,
            statements: policy
                .statements
                .iter()
                .enumerate()
                .map(|(index, stmt)| {
                    let verdict = verdict(stmt, req);
                    // A key only matters where the rest of the statement matched.
                    if matches!(verdict, Verdict::Matched | Verdict::Condition(_)) {
                        note_missing(stmt, req.context, &mut missing_keys);
                    }
                    StatementTrace {
                        index,
                        sid: stmt.sid.clone(),
                        effect: stmt.effect,
                        verdict,
                    }
                })
                .collect(),
        })
        .collect();
    Trace {
        outcome,
        policies,
        missing_keys,
    }
}

fn verdict(stmt: &Statement, req: &Request<'_>) -> Verdict {
    match check_statement(stmt, req.caller, req.action, req.resource, req.context) {
        Ok(_) => Verdict::Matched,
        Err(Miss::Action) => Verdict::Action {
            negated: stmt.action.negated,
        },
        Err(Miss::Principal) => Verdict::Principal {
            negated: matches!(stmt.principal, Some(PrincipalBlock::NotPrincipal(_))),
        },
        Err(Miss::Resource) => Verdict::Resource {
            negated: stmt.resource.as_ref().is_some_and(|r| r.negated),
        },
        Err(Miss::Condition(i)) => match stmt.conditions.get(i) {
            Some(c) => Verdict::Condition(ConditionFailure {
                operator: c.op.name(),
                key: c.written_key.clone(),
                policy_values: c.texts.clone(),
                request_values: request_values(req.context, &c.key),
            }),
            None => Verdict::Matched,
        },
    }
}

fn request_values(ctx: &Context, lower_key: &str) -> Option<Vec<String>> {
    match ctx.get_lower(lower_key)? {
        ContextValue::Single(v) => Some(vec![v.clone()]),
        ContextValue::Multi(vs) => Some(vs.clone()),
    }
}

/// Records the condition keys of `stmt` absent from the request's context.
fn note_missing(stmt: &Statement, ctx: &Context, out: &mut Vec<String>) {
    for c in &stmt.conditions {
        if ctx.get_lower(&c.key).is_none()
            && !out.iter().any(|k| k.eq_ignore_ascii_case(&c.written_key))
        {
            out.push(c.written_key.clone());
        }
    }
}
