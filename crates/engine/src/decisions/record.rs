//! One decision: what the request path hands over, and the JSON record made from it.

use crate::authz::{CallerPolicies, denial_text, kind_name};
use crate::identity::Identity;
use roleplay_policy::{
    Context, ContextValue, Decision, Effect, Policy, PolicyKind, PolicySet, Principal, Request,
    explain,
};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use time::OffsetDateTime;

/// What the request path knows of one decision; traced and rendered by the writer.
pub(crate) struct DecisionEvent {
    pub(crate) request_id: Arc<str>,
    pub(crate) time: OffsetDateTime,
    pub(crate) identity: Identity,
    pub(crate) action: String,
    pub(crate) resource: String,
    pub(crate) resource_account: String,
    pub(crate) resource_policy: Option<Arc<Policy>>,
    pub(crate) policies: CallerPolicies,
    pub(crate) context: Context,
}

fn decision_name(d: Decision) -> &'static str {
    match d {
        Decision::Allow => "Allow",
        Decision::ExplicitDeny => "ExplicitDeny",
        Decision::ImplicitDeny => "ImplicitDeny",
    }
}

fn effect_name(e: Effect) -> &'static str {
    match e {
        Effect::Allow => "Allow",
        Effect::Deny => "Deny",
    }
}

fn context_json(ctx: &Context) -> Value {
    let mut keys: Vec<(&str, &ContextValue)> = ctx.iter().collect();
    keys.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = Map::new();
    for (k, v) in keys {
        let value = match v {
            ContextValue::Single(s) => Value::String(s.clone()),
            ContextValue::Multi(vs) => {
                Value::Array(vs.iter().cloned().map(Value::String).collect())
            }
        };
        out.insert(k.to_owned(), value);
    }
    Value::Object(out)
}

impl DecisionEvent {
    /// The JSON record: who, what, the decision, why, and the full trace.
    pub(crate) fn render(&self) -> Value {
        let caller = &self.identity.caller;
        let identity: Vec<&Policy> = self.policies.identity.iter().map(|p| p.as_ref()).collect();
        let session: Option<Vec<&Policy>> = self
            .policies
            .session
            .as_ref()
            .map(|s| s.iter().map(|p| p.as_ref()).collect());
        let set = PolicySet {
            identity: &identity,
            resource: self.resource_policy.as_deref(),
            boundary: self.policies.boundary.as_deref(),
            session: session.as_deref(),
        };
        let request = Request {
            caller,
            action: &self.action,
            resource: &self.resource,
            resource_account: Some(&self.resource_account),
            context: &self.context,
        };
        let trace = explain(&request, &set);
        let outcome = &trace.outcome;
        let anonymous = matches!(caller.principal, Principal::Anonymous);
        let principal = if anonymous {
            "*".to_owned()
        } else {
            self.identity.arn()
        };

        let statements: Vec<Value> = outcome
            .matched
            .iter()
            .map(|s| {
                json!({
                    "policy": s.policy.id(),
                    "policy_type": kind_name(s.policy.kind()),
                    "sid": s.statement().and_then(|st| st.sid()),
                    "index": s.index,
                })
            })
            .collect();

        // Which kinds of policy had no matching Allow (those that took part).
        let mut no_allow: Vec<&str> = Vec::new();
        let allows = |kind: PolicyKind| {
            trace.policies.iter().any(|p| {
                p.policy.kind() == kind
                    && p.statements
                        .iter()
                        .any(|s| s.effect == Effect::Allow && s.verdict.is_match())
            })
        };
        let is_root = matches!(caller.principal, Principal::Root { .. });
        if !anonymous && !is_root && !allows(PolicyKind::Identity) {
            no_allow.push(kind_name(PolicyKind::Identity));
        }
        match &self.resource_policy {
            Some(r) if !allows(r.kind()) => no_allow.push(kind_name(r.kind())),
            // Across accounts the resource side must allow too, and nothing there does.
            None if caller.account() != Some(self.resource_account.as_str()) => {
                no_allow.push(kind_name(PolicyKind::Resource));
            }
            _ => {}
        }
        if self.policies.boundary.is_some() && !allows(PolicyKind::PermissionsBoundary) {
            no_allow.push(kind_name(PolicyKind::PermissionsBoundary));
        }
        if self.policies.session.is_some() && !allows(PolicyKind::Session) {
            no_allow.push(kind_name(PolicyKind::Session));
        }

        let policies: Vec<Value> = trace
            .policies
            .iter()
            .map(|p| {
                json!({
                    "policy": p.policy.id(),
                    "policy_type": kind_name(p.policy.kind()),
                    "statements": p.statements.iter().map(|s| json!({
                        "index": s.index,
                        "sid": s.sid,
                        "effect": effect_name(s.effect),
                        "matched": s.verdict.is_match(),
                        "why": s.verdict.describe(&self.action, &self.resource),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();

        let session = self.identity.session().map(|s| {
            json!({
                "principal": s.principal_arn,
                "name": s.session_name,
                "issued_at": crate::iso8601_from_unix(s.issued_at),
                "expires_at": crate::iso8601_from_unix(s.expires_at),
                "mfa": s.mfa_authenticated,
                "chained": s.chained,
                "source_identity": s.source_identity,
                "session_policy": s.policy.is_some(),
                "session_policy_arns": s.policy_arns,
                "tags": s.tags.iter().map(|(k, v)| json!({"key": k, "value": v})).collect::<Vec<_>>(),
            })
        });

        let mut record = json!({
            "request_id": &*self.request_id,
            "time": crate::iso8601(self.time),
            "account": if anonymous { Value::Null } else { Value::String(self.identity.account.to_string()) },
            "principal": principal,
            "session": session,
            "action": self.action,
            "resource": self.resource,
            "resource_account": self.resource_account,
            "decision": decision_name(outcome.decision),
            "statements": statements,
            "no_allow_in": no_allow,
            "missing_keys": trace.missing_keys,
            "context": context_json(&self.context),
            "policies": policies,
        });
        if outcome.decision != Decision::Allow
            && let Some(obj) = record.as_object_mut()
        {
            obj.insert(
                "denied_by".into(),
                outcome
                    .denied_by
                    .map(kind_name)
                    .map_or(Value::Null, |k| Value::String(k.into())),
            );
            obj.insert(
                "reason".into(),
                Value::String(denial_text(
                    &principal,
                    &self.action,
                    &self.resource,
                    outcome.decision,
                    outcome.denied_by,
                    false,
                )),
            );
        }
        record
    }
}

/// A search of the decision log; every given field must match.
#[derive(Debug, Clone)]
pub struct DecisionQuery {
    /// The request id.
    pub request_id: Option<String>,
    /// The principal ARN (exact).
    pub principal: Option<String>,
    /// The action, `service:Action`, any case.
    pub action: Option<String>,
    /// `Allow`, `Deny` (either denial), `ExplicitDeny` or `ImplicitDeny`.
    pub decision: Option<String>,
    /// Records at or after this time (ISO 8601, UTC, `Z`).
    pub since: Option<String>,
    /// Records at or before this time.
    pub until: Option<String>,
    /// At most this many records, the newest.
    pub limit: usize,
}

impl Default for DecisionQuery {
    fn default() -> Self {
        Self {
            request_id: None,
            principal: None,
            action: None,
            decision: None,
            since: None,
            until: None,
            limit: 100,
        }
    }
}

impl DecisionQuery {
    pub(crate) fn matches(&self, r: &Value) -> bool {
        let field = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or_default();
        let time = field("time");
        self.request_id
            .as_deref()
            .is_none_or(|v| field("request_id") == v)
            && self
                .principal
                .as_deref()
                .is_none_or(|v| field("principal") == v)
            && self
                .action
                .as_deref()
                .is_none_or(|v| field("action").eq_ignore_ascii_case(v))
            && self.decision.as_deref().is_none_or(|v| {
                let d = field("decision");
                d.eq_ignore_ascii_case(v) || (v.eq_ignore_ascii_case("deny") && d != "Allow")
            })
            && self.since.as_deref().is_none_or(|v| time >= v)
            && self.until.as_deref().is_none_or(|v| time <= v)
    }
}

/// The decoded form of an encoded authorization message, in the shape
/// `DecodeAuthorizationMessage` returns at AWS.
pub(crate) fn aws_message(r: &Value) -> Value {
    let s = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or_default();
    let ctx = r.get("context").and_then(Value::as_object);
    let key = |k: &str| ctx.and_then(|c| c.get(k)).and_then(Value::as_str);
    let statements: Vec<Value> = r
        .get("statements")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|st| {
            json!({
                "statementId": st.get("sid").and_then(Value::as_str).unwrap_or_default(),
                "effect": if s("decision") == "Allow" { "ALLOW" } else { "DENY" },
                "sourcePolicyId": st.get("policy"),
                "sourcePolicyType": st.get("policy_type"),
            })
        })
        .collect();
    let conditions: Vec<Value> = ctx
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            let values: Vec<Value> = match v {
                Value::Array(items) => items.iter().map(|i| json!({ "value": i })).collect(),
                other => vec![json!({ "value": other })],
            };
            json!({ "key": k, "values": { "items": values } })
        })
        .collect();
    json!({
        "allowed": s("decision") == "Allow",
        "explicitDeny": s("decision") == "ExplicitDeny",
        "matchedStatements": { "items": statements },
        "failures": { "items": [] },
        "context": {
            "principal": {
                "id": key("aws:userid"),
                "name": key("aws:username"),
                "arn": s("principal"),
            },
            "action": s("action"),
            "resource": s("resource"),
            "conditions": { "items": conditions },
        },
    })
}
