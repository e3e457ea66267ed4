//! One decision: what the request path hands over, and the JSON record made from it.

use crate::authz::{CallerPolicies, denial_text, kind_name};
use crate::identity::Identity;
use roleplay_policy::{
    Context, ContextValue, Decision, Effect, Policy, PolicyKind, PolicySet, Principal, Request,
    explain,
};
use roleplay_wire::json;
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

/// Appends a JSON string or `null`.
fn opt_string(out: &mut Vec<u8>, value: Option<&str>) {
    match value {
        Some(v) => json::string(out, v),
        None => out.extend_from_slice(b"null"),
    }
}

fn number(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

fn boolean(out: &mut Vec<u8>, b: bool) {
    out.extend_from_slice(if b { b"true" } else { b"false" });
}

/// Appends a JSON array of what `each` writes for every item.
fn array<T>(
    out: &mut Vec<u8>,
    items: impl IntoIterator<Item = T>,
    mut each: impl FnMut(&mut Vec<u8>, T),
) {
    out.push(b'[');
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        each(out, item);
    }
    out.push(b']');
}

/// Opens an object naming a policy: its id and type.
fn open_policy(out: &mut Vec<u8>, policy: &Policy) {
    out.extend_from_slice(b"{\"policy\":");
    json::string(out, policy.id());
    out.extend_from_slice(b",\"policy_type\":");
    json::string(out, kind_name(policy.kind()));
}

/// The condition keys, sorted, as a JSON object.
fn context_object(out: &mut Vec<u8>, context: &Context) {
    let keys = context.sorted();
    out.push(b'{');
    for (i, (key, value)) in keys.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        json::string(out, key);
        out.push(b':');
        match value {
            ContextValue::Single(one) => json::string(out, one),
            ContextValue::Multi(many) => array(out, many, |out, v| json::string(out, v)),
        }
    }
    out.push(b'}');
}

impl DecisionEvent {
    /// Traces the decision and appends its record, one JSON object, to `out`; returns
    /// whether the request was denied.
    ///
    /// Written straight into the line (strings through [`json::string`], which copies
    /// the common string that needs no escape whole) rather than through `serde_json`'s
    /// serializer: a record is written for every authorized request, and this costs the
    /// log's thread about a tenth less. The members, in order: `request_id`, `time`,
    /// `account` (null when anonymous), `principal`, `session` (null, or the session's
    /// principal, name, times, MFA, chaining, source identity, session policies and
    /// tags), `action`, `resource`, `resource_account`, `decision`, `statements` (the
    /// deciding ones), `no_allow_in`, `missing_keys`, `context`, `policies` (each
    /// statement's verdict and why), and for denials `denied_by` and `reason`.
    fn write_record(&self, out: &mut Vec<u8>) -> bool {
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

        out.extend_from_slice(b"{\"request_id\":");
        json::string(out, &self.request_id);
        out.extend_from_slice(b",\"time\":");
        json::string(out, &crate::iso8601(self.time));
        out.extend_from_slice(b",\"account\":");
        if anonymous {
            out.extend_from_slice(b"null");
        } else {
            json::string(out, self.identity.account.as_ref());
        }
        out.extend_from_slice(b",\"principal\":");
        json::string(out, &principal);
        out.extend_from_slice(b",\"session\":");
        match self.identity.session() {
            None => out.extend_from_slice(b"null"),
            Some(s) => {
                out.extend_from_slice(b"{\"principal\":");
                json::string(out, &s.principal_arn);
                out.extend_from_slice(b",\"name\":");
                json::string(out, &s.session_name);
                out.extend_from_slice(b",\"issued_at\":");
                json::string(out, &crate::iso8601_from_unix(s.issued_at));
                out.extend_from_slice(b",\"expires_at\":");
                json::string(out, &crate::iso8601_from_unix(s.expires_at));
                out.extend_from_slice(b",\"mfa\":");
                boolean(out, s.mfa_authenticated);
                out.extend_from_slice(b",\"chained\":");
                boolean(out, s.chained);
                out.extend_from_slice(b",\"source_identity\":");
                opt_string(out, s.source_identity.as_deref());
                out.extend_from_slice(b",\"session_policy\":");
                boolean(out, s.policy.is_some());
                out.extend_from_slice(b",\"session_policy_arns\":");
                array(out, &s.policy_arns, |out, arn| json::string(out, arn));
                out.extend_from_slice(b",\"tags\":");
                array(out, &s.tags, |out, (key, value)| {
                    out.extend_from_slice(b"{\"key\":");
                    json::string(out, key);
                    out.extend_from_slice(b",\"value\":");
                    json::string(out, value);
                    out.push(b'}');
                });
                out.push(b'}');
            }
        }
        out.extend_from_slice(b",\"action\":");
        json::string(out, &self.action);
        out.extend_from_slice(b",\"resource\":");
        json::string(out, &self.resource);
        out.extend_from_slice(b",\"resource_account\":");
        json::string(out, &self.resource_account);
        out.extend_from_slice(b",\"decision\":");
        json::string(out, decision_name(outcome.decision));
        out.extend_from_slice(b",\"statements\":");
        array(out, &outcome.matched, |out, s| {
            open_policy(out, s.policy);
            out.extend_from_slice(b",\"sid\":");
            opt_string(out, s.statement().and_then(|st| st.sid()));
            out.extend_from_slice(b",\"index\":");
            number(out, s.index);
            out.push(b'}');
        });
        out.extend_from_slice(b",\"no_allow_in\":");
        array(out, no_allow, json::string);
        out.extend_from_slice(b",\"missing_keys\":");
        array(out, &trace.missing_keys, |out, key| json::string(out, key));
        out.extend_from_slice(b",\"context\":");
        context_object(out, &self.context);
        out.extend_from_slice(b",\"policies\":");
        array(out, &trace.policies, |out, p| {
            open_policy(out, p.policy);
            out.extend_from_slice(b",\"statements\":");
            array(out, &p.statements, |out, st| {
                out.extend_from_slice(b"{\"index\":");
                number(out, st.index);
                out.extend_from_slice(b",\"sid\":");
                opt_string(out, st.sid.as_deref());
                out.extend_from_slice(b",\"effect\":");
                json::string(out, effect_name(st.effect));
                out.extend_from_slice(b",\"matched\":");
                boolean(out, st.verdict.is_match());
                out.extend_from_slice(b",\"why\":");
                json::string(out, &st.verdict.describe(&self.action, &self.resource));
                out.push(b'}');
            });
            out.push(b'}');
        });
        let denied = outcome.decision != Decision::Allow;
        if denied {
            out.extend_from_slice(b",\"denied_by\":");
            opt_string(out, outcome.denied_by.map(kind_name));
            out.extend_from_slice(b",\"reason\":");
            json::string(
                out,
                &denial_text(
                    &principal,
                    &self.action,
                    &self.resource,
                    outcome.decision,
                    outcome.denied_by,
                    false,
                ),
            );
        }
        out.push(b'}');
        denied
    }

    /// The record as JSON.
    pub(crate) fn render(&self) -> Value {
        let mut out = Vec::new();
        self.write_record(&mut out);
        serde_json::from_slice(&out).unwrap_or(Value::Null)
    }

    /// The record as one JSON line (newline included) appended to `out`; a denial also gets
    /// its encoded authorization message when `seal` is given.
    pub(crate) fn render_line(&self, out: &mut Vec<u8>, seal: Option<&super::Sealer>) {
        let start = out.len();
        let denied = self.write_record(out);
        let sealed = match (denied, seal) {
            (true, Some(seal)) => out
                .get(start..)
                .and_then(|record| serde_json::from_slice::<Value>(record).ok())
                .map(|v| seal(aws_message(&v).to_string().as_bytes())),
            _ => None,
        };
        if let Some(m) = sealed
            && out.last() == Some(&b'}')
        {
            // The record is an object: the message goes in as its last member.
            out.pop();
            out.extend_from_slice(b",\"encoded_message\":");
            json::string(out, &m);
            out.push(b'}');
        }
        out.push(b'\n');
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
