//! One decision: what the request path hands over, and the JSON record made from it.

use crate::authz::{CallerPolicies, denial_text, kind_name};
use crate::identity::Identity;
use roleplay_policy::{
    Context, ContextValue, Decision, Effect, Policy, PolicyKind, PolicySet, Principal, Request,
    explain,
};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Value, json};
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
    pub(crate) context: Arc<Context>,
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

/// The condition keys, sorted, as a JSON object.
struct ContextRecord<'a>(&'a Context);

impl Serialize for ContextRecord<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut keys: Vec<(&str, &ContextValue)> = self.0.iter().collect();
        keys.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut map = s.serialize_map(Some(keys.len()))?;
        for (k, v) in keys {
            match v {
                ContextValue::Single(one) => map.serialize_entry(k, one)?,
                ContextValue::Multi(many) => map.serialize_entry(k, many)?,
            }
        }
        map.end()
    }
}

#[derive(Serialize)]
struct SessionRecord<'a> {
    principal: &'a str,
    name: &'a str,
    issued_at: String,
    expires_at: String,
    mfa: bool,
    chained: bool,
    source_identity: Option<&'a str>,
    session_policy: bool,
    session_policy_arns: &'a [String],
    tags: Vec<TagRecord<'a>>,
}

#[derive(Serialize)]
struct TagRecord<'a> {
    key: &'a str,
    value: &'a str,
}

#[derive(Serialize)]
struct StatementRecord<'a> {
    policy: &'a str,
    policy_type: &'static str,
    sid: Option<&'a str>,
    index: usize,
}

#[derive(Serialize)]
struct PolicyRecord<'a> {
    policy: &'a str,
    policy_type: &'static str,
    statements: Vec<TracedStatement<'a>>,
}

#[derive(Serialize)]
struct TracedStatement<'a> {
    index: usize,
    sid: Option<&'a str>,
    effect: &'static str,
    matched: bool,
    why: String,
}

/// One line of the decision log.
#[derive(Serialize)]
struct Record<'a> {
    request_id: &'a str,
    time: String,
    account: Option<&'a str>,
    principal: &'a str,
    session: Option<SessionRecord<'a>>,
    action: &'a str,
    resource: &'a str,
    resource_account: &'a str,
    decision: &'static str,
    statements: Vec<StatementRecord<'a>>,
    no_allow_in: Vec<&'static str>,
    missing_keys: &'a [String],
    context: ContextRecord<'a>,
    policies: Vec<PolicyRecord<'a>>,
    /// Denials only: the kind of policy that decided (null if none did).
    #[serde(skip_serializing_if = "Option::is_none")]
    denied_by: Option<Option<&'static str>>,
    /// Denials only: the AccessDenied text with its reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

impl DecisionEvent {
    /// Traces the decision and hands its record to `with`.
    fn with_record<T>(&self, with: impl FnOnce(&Record<'_>) -> T) -> T {
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
        let account = self.identity.account.to_string();

        // Which kinds of policy had no matching Allow (those that took part).
        let allows = |kind: PolicyKind| {
            trace.policies.iter().any(|p| {
                p.policy.kind() == kind
                    && p.statements
                        .iter()
                        .any(|s| s.effect == Effect::Allow && s.verdict.is_match())
            })
        };
        let mut no_allow: Vec<&'static str> = Vec::new();
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

        let denied = outcome.decision != Decision::Allow;
        let record = Record {
            request_id: &self.request_id,
            time: crate::iso8601(self.time),
            account: (!anonymous).then_some(account.as_str()),
            principal: &principal,
            session: self.identity.session().map(|s| SessionRecord {
                principal: &s.principal_arn,
                name: &s.session_name,
                issued_at: crate::iso8601_from_unix(s.issued_at),
                expires_at: crate::iso8601_from_unix(s.expires_at),
                mfa: s.mfa_authenticated,
                chained: s.chained,
                source_identity: s.source_identity.as_deref(),
                session_policy: s.policy.is_some(),
                session_policy_arns: &s.policy_arns,
                tags: s
                    .tags
                    .iter()
                    .map(|(key, value)| TagRecord { key, value })
                    .collect(),
            }),
            action: &self.action,
            resource: &self.resource,
            resource_account: &self.resource_account,
            decision: decision_name(outcome.decision),
            statements: outcome
                .matched
                .iter()
                .map(|s| StatementRecord {
                    policy: s.policy.id(),
                    policy_type: kind_name(s.policy.kind()),
                    sid: s.statement().and_then(|st| st.sid()),
                    index: s.index,
                })
                .collect(),
            no_allow_in: no_allow,
            missing_keys: &trace.missing_keys,
            context: ContextRecord(&self.context),
            policies: trace
                .policies
                .iter()
                .map(|p| PolicyRecord {
                    policy: p.policy.id(),
                    policy_type: kind_name(p.policy.kind()),
                    statements: p
                        .statements
                        .iter()
                        .map(|st| TracedStatement {
                            index: st.index,
                            sid: st.sid.as_deref(),
                            effect: effect_name(st.effect),
                            matched: st.verdict.is_match(),
                            why: st.verdict.describe(&self.action, &self.resource),
                        })
                        .collect(),
                })
                .collect(),
            denied_by: denied.then(|| outcome.denied_by.map(kind_name)),
            reason: denied.then(|| {
                denial_text(
                    &principal,
                    &self.action,
                    &self.resource,
                    outcome.decision,
                    outcome.denied_by,
                    false,
                )
            }),
        };
        with(&record)
    }

    /// The record as JSON.
    pub(crate) fn render(&self) -> Value {
        self.with_record(|r| serde_json::to_value(r).unwrap_or(Value::Null))
    }

    /// The record as one JSON line (newline included) appended to `out`; a denial also gets
    /// its encoded authorization message when `seal` is given.
    pub(crate) fn render_line(&self, out: &mut Vec<u8>, seal: Option<&super::Sealer>) {
        self.with_record(|r| {
            let sealed = match (r.reason.is_some(), seal) {
                (true, Some(seal)) => serde_json::to_value(r)
                    .ok()
                    .map(|v| seal(aws_message(&v).to_string().as_bytes())),
                _ => None,
            };
            let start = out.len();
            if serde_json::to_writer(&mut *out, r).is_err() {
                out.truncate(start);
                return;
            }
            if let Some(m) = sealed
                && out.last() == Some(&b'}')
            {
                // The record is an object: the message goes in as its last member.
                out.pop();
                out.extend_from_slice(b",\"encoded_message\":");
                let _ = serde_json::to_writer(&mut *out, &m);
                out.push(b'}');
            }
            out.push(b'\n');
        });
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
