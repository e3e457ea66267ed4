//! Authorization: gather the policies that apply to a request, decide with the policy engine,
//! and turn a denial into AWS's AccessDenied text.

use crate::cache::{PrincipalKey, PrincipalPolicies};
use crate::decisions::DecisionEvent;
use crate::error::{ApiError, ErrorCode};
use crate::identity::{Identity, IdentityKind};
use crate::{Engine, RequestInfo};
use roleplay_policy::{Context, Decision, Outcome, Policy, PolicyKind, PolicySet, Request, decide};
use roleplay_store::{PrincipalKind, PrincipalRef, ReadTx, Role};
use roleplay_types::{AccountId, Arn};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;

const CACHE_LIMIT: usize = 10_000;

/// Parsed policies by (kind, id, text), so a document is compiled once while it is in use.
///
/// Looked up by the borrowed id: every request looks up each of its policies, and a key
/// built per lookup copied and hashed the whole document.
#[derive(Debug, Default)]
pub(crate) struct PolicyCache {
    /// By id: the policy of each kind under that id (a managed policy can be both an
    /// identity policy and a boundary), with the text it was compiled from.
    map: Mutex<HashMap<String, Vec<CachedPolicy>>>,
}

#[derive(Debug)]
struct CachedPolicy {
    kind: PolicyKind,
    text: String,
    policy: Arc<Policy>,
}

impl PolicyCache {
    /// The compiled policy; documents that no longer parse (stored before a rule changed)
    /// count as absent rather than failing every request.
    pub(crate) fn get(&self, kind: PolicyKind, id: &str, text: &str) -> Option<Arc<Policy>> {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let cached = map
            .get(id)
            .and_then(|kinds| kinds.iter().find(|c| c.kind == kind && c.text == text));
        if let Some(c) = cached {
            return Some(c.policy.clone());
        }
        let policy = Arc::new(Policy::parse(text, kind).ok()?.with_id(id));
        if map.len() >= CACHE_LIMIT {
            map.clear();
        }
        let kinds = map.entry(id.to_owned()).or_default();
        // A changed document replaces the one compiled before under the same id and kind.
        kinds.retain(|c| c.kind != kind);
        kinds.push(CachedPolicy {
            kind,
            text: text.to_owned(),
            policy: policy.clone(),
        });
        Some(policy)
    }
}

/// The condition keys of one request, with what the decision log files it under.
#[derive(Clone)]
pub(crate) struct RequestContext {
    /// Shared with the decision log's records; copied only if changed after a decision.
    keys: Arc<Context>,
    pub(crate) request_id: Arc<str>,
    pub(crate) now: OffsetDateTime,
}

impl RequestContext {
    pub(crate) fn new(keys: Context, info: &RequestInfo) -> Self {
        Self {
            keys: Arc::new(keys),
            request_id: Arc::from(info.request_id.as_str()),
            now: info.now,
        }
    }

    /// The condition keys alone.
    pub(crate) fn into_keys(self) -> Context {
        Arc::unwrap_or_clone(self.keys)
    }

    /// The keys, shared.
    pub(crate) fn shared(&self) -> Arc<Context> {
        self.keys.clone()
    }
}

impl std::ops::Deref for RequestContext {
    type Target = Context;
    fn deref(&self) -> &Context {
        &self.keys
    }
}

impl std::ops::DerefMut for RequestContext {
    fn deref_mut(&mut self) -> &mut Context {
        Arc::make_mut(&mut self.keys)
    }
}

/// The identity-side policies of a caller.
#[derive(Default, Clone)]
pub(crate) struct CallerPolicies {
    pub(crate) identity: Vec<Arc<Policy>>,
    pub(crate) boundary: Option<Arc<Policy>>,
    pub(crate) session: Option<Vec<Arc<Policy>>>,
}

/// One authorization check inside an operation.
pub(crate) struct Check<'a> {
    /// `service:Action`.
    pub action: &'a str,
    /// The resource ARN or `*`.
    pub resource: &'a str,
    /// The resource's owner.
    pub resource_account: &'a str,
    /// The resource-based policy (a trust policy for `sts:AssumeRole`).
    pub resource_policy: Option<Arc<Policy>>,
}

impl Engine {
    fn managed_document(
        &self,
        tx: &dyn ReadTx,
        arn: &str,
        kind: PolicyKind,
    ) -> Result<Option<Arc<Policy>>, ApiError> {
        let key = (kind, arn.to_owned());
        self.cache
            .managed
            .get_or_fill(tx.iam_generation(), key, || {
                let Ok(parsed) = Arn::from_str(arn) else {
                    return Ok(None);
                };
                let policy = tx.get_policy(&parsed).map_err(ApiError::internal)?;
                Ok(policy.and_then(|p| {
                    p.default_version()
                        .and_then(|v| self.policies.get(kind, arn, &v.document))
                }))
            })
    }

    fn principal_policies(
        &self,
        tx: &dyn ReadTx,
        owner: &PrincipalRef,
        out: &mut Vec<Arc<Policy>>,
    ) -> Result<(), ApiError> {
        for inline in tx.list_inline_policies(owner).map_err(ApiError::internal)? {
            // Names are unique only per owner; the id says whose policy it is.
            let kind = match owner.kind {
                PrincipalKind::User => "user",
                PrincipalKind::Group => "group",
                PrincipalKind::Role => "role",
            };
            let id = format!("inline:{kind}/{}/{}", owner.name, inline.name);
            if let Some(p) = self
                .policies
                .get(PolicyKind::Identity, &id, &inline.document)
            {
                out.push(p);
            }
        }
        for attached in tx
            .list_attached_policies(owner)
            .map_err(ApiError::internal)?
        {
            let arn = attached.arn.text();
            if let Some(p) = self.managed_document(tx, &arn, PolicyKind::Identity)? {
                out.push(p);
            }
        }
        Ok(())
    }

    /// The identity-based policies, boundary and session policies of `id`.
    pub(crate) fn caller_policies(
        &self,
        tx: &dyn ReadTx,
        id: &Identity,
    ) -> Result<CallerPolicies, ApiError> {
        let mut out = CallerPolicies::default();
        let key = match &id.kind {
            IdentityKind::Root | IdentityKind::UserSession { user: None, .. } => return Ok(out),
            IdentityKind::User(u) | IdentityKind::UserSession { user: Some(u), .. } => {
                PrincipalKey {
                    account: id.account.as_str().to_owned(),
                    role: false,
                    name: u.name.clone(),
                    unique_id: u.unique_id.clone(),
                }
            }
            IdentityKind::RoleSession { role_name, claims } => PrincipalKey {
                account: id.account.as_str().to_owned(),
                role: true,
                name: role_name.clone(),
                unique_id: claims.principal_id.clone(),
            },
        };
        let principal = self
            .cache
            .principals
            .get_or_fill(tx.iam_generation(), key, || {
                self.principal_of(tx, id).map(Arc::new)
            })?;
        out.identity = principal.identity.clone();
        out.boundary = principal.boundary.clone();
        if let IdentityKind::RoleSession { claims, .. } = &id.kind
            && (claims.policy.is_some() || !claims.policy_arns.is_empty())
        {
            let mut session = Vec::new();
            if let Some(p) = claims.policy.as_ref().and_then(|text| {
                self.policies
                    .get(PolicyKind::Session, "session-policy", text)
            }) {
                session.push(p);
            }
            for arn in &claims.policy_arns {
                if let Some(p) = self.managed_document(tx, arn, PolicyKind::Session)? {
                    session.push(p);
                }
            }
            out.session = Some(session);
        }
        Ok(out)
    }

    /// The identity-based policies and boundary of the user or role behind `id`, from the
    /// store.
    fn principal_of(&self, tx: &dyn ReadTx, id: &Identity) -> Result<PrincipalPolicies, ApiError> {
        let mut out = PrincipalPolicies::default();
        match &id.kind {
            IdentityKind::Root | IdentityKind::UserSession { user: None, .. } => {}
            IdentityKind::User(u) | IdentityKind::UserSession { user: Some(u), .. } => {
                let owner = PrincipalRef::user(&id.account, &u.name);
                self.principal_policies(tx, &owner, &mut out.identity)?;
                for g in tx
                    .list_groups_for_user(&id.account, &u.name)
                    .map_err(ApiError::internal)?
                {
                    self.principal_policies(
                        tx,
                        &PrincipalRef::group(&id.account, &g.name),
                        &mut out.identity,
                    )?;
                }
                if let Some(b) = &u.permissions_boundary {
                    out.boundary =
                        self.managed_document(tx, &b.to_string(), PolicyKind::PermissionsBoundary)?;
                }
            }
            IdentityKind::RoleSession { role_name, claims } => {
                let role = tx
                    .get_role(&id.account, role_name)
                    .map_err(ApiError::internal)?;
                // A deleted or recreated role leaves its sessions valid but without permissions.
                if let Some(role) = role.filter(|r| r.unique_id == claims.principal_id) {
                    self.principal_policies(
                        tx,
                        &PrincipalRef::role(&id.account, &role.name),
                        &mut out.identity,
                    )?;
                    if let Some(b) = &role.permissions_boundary {
                        out.boundary = self.managed_document(
                            tx,
                            &b.to_string(),
                            PolicyKind::PermissionsBoundary,
                        )?;
                    }
                }
            }
        }
        Ok(out)
    }

    /// The condition keys of a request by `id`.
    pub(crate) fn context(&self, id: &Identity, info: &RequestInfo) -> RequestContext {
        let mut ctx = Context::over(id.caller_keys());
        ctx.insert_static("aws:currenttime", crate::iso8601(info.now));
        ctx.insert_static(
            "aws:epochtime",
            itoa::Buffer::new().format(info.now.unix_timestamp()),
        );
        ctx.insert_static(
            "aws:securetransport",
            if info.secure { "true" } else { "false" },
        );
        ctx.insert_static("aws:viaawsservice", "false");
        if !info.region.is_empty() {
            ctx.insert_static("aws:requestedregion", info.region.clone());
        }
        if let Some(ip) = info.source_ip {
            ctx.insert_static("aws:sourceip", ip_text(ip));
        }
        if let Some(ua) = &info.user_agent {
            ctx.insert_static("aws:useragent", ua.clone());
        }
        if let Some(s) = id.session() {
            ctx.insert_static("aws:tokenissuetime", crate::iso8601_from_unix(s.issued_at));
            ctx.insert_static(
                "aws:multifactorauthpresent",
                if s.mfa_authenticated { "true" } else { "false" },
            );
            if let Some(si) = &s.source_identity {
                ctx.insert_static("aws:sourceidentity", si.clone());
            }
        }
        RequestContext::new(ctx, info)
    }
}

/// An address as text. Every request states one, so IPv4's is pushed octet by octet rather
/// than going through the formatter (whose padding support costs more than the rest).
fn ip_text(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => {
            let mut out = String::with_capacity(15);
            let mut digits = itoa::Buffer::new();
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                out.push_str(digits.format(octet));
            }
            out
        }
        std::net::IpAddr::V6(_) => ip.to_string(),
    }
}

fn evaluate(
    id: &Identity,
    check: &Check<'_>,
    ctx: &Context,
    pols: &CallerPolicies,
) -> (Decision, Option<PolicyKind>) {
    let identity: Vec<&Policy> = pols.identity.iter().map(|p| p.as_ref()).collect();
    let session: Option<Vec<&Policy>> = pols
        .session
        .as_ref()
        .map(|s| s.iter().map(|p| p.as_ref()).collect());
    let request = Request {
        caller: &id.caller,
        action: check.action,
        resource: check.resource,
        resource_account: Some(check.resource_account),
        context: ctx,
    };
    let set = PolicySet {
        identity: &identity,
        resource: check.resource_policy.as_deref(),
        boundary: pols.boundary.as_deref(),
        session: session.as_deref(),
    };
    let out: Outcome<'_> = decide(&request, &set);
    (out.decision, out.denied_by)
}

/// AWS's AccessDenied text: `User: ARN is not authorized to perform: ACTION on resource: ARN`
/// and the reason, naming the kind of policy that denied or lacked an allow. S3 writes the
/// resource in double quotes.
pub(crate) fn denial_text(
    principal: &str,
    action: &str,
    resource: &str,
    decision: Decision,
    kind: Option<PolicyKind>,
    quoted: bool,
) -> String {
    let resource = if quoted {
        format!("\"{resource}\"")
    } else {
        resource.to_owned()
    };
    let base =
        format!("User: {principal} is not authorized to perform: {action} on resource: {resource}");
    let reason = match (decision, kind) {
        (Decision::ExplicitDeny, Some(PolicyKind::Trust)) => {
            " with an explicit deny in the role trust policy".to_owned()
        }
        (Decision::ExplicitDeny, Some(PolicyKind::Identity)) => {
            " with an explicit deny in an identity-based policy".to_owned()
        }
        (Decision::ExplicitDeny, Some(k)) => format!(" with an explicit deny in a {}", noun(k)),
        (_, Some(k)) => format!(" because no {} allows the {action} action", noun(k)),
        (_, None) => String::new(),
    };
    base + &reason
}

/// The AccessDenied error of a denied check.
pub(crate) fn denial(
    id: &Identity,
    check: &Check<'_>,
    decision: Decision,
    kind: Option<PolicyKind>,
) -> ApiError {
    ApiError::new(
        ErrorCode::AccessDenied,
        denial_text(
            &id.arn(),
            check.action,
            check.resource,
            decision,
            kind,
            false,
        ),
    )
}

/// Whether `action` on a role is decided with the role's trust policy as its resource policy.
pub(crate) fn uses_trust_policy(action: &str) -> bool {
    let lower = action.to_ascii_lowercase();
    lower.starts_with("sts:assumerole")
        || lower == "sts:tagsession"
        || lower == "sts:setsourceidentity"
}

impl Engine {
    /// The role an ARN names, path included; `None` for other ARNs and missing roles.
    pub(crate) fn role_by_arn(
        &self,
        tx: &dyn ReadTx,
        arn: &Arn,
    ) -> Result<Option<Arc<Role>>, ApiError> {
        let Some(path) = arn.resource.strip_prefix("role/") else {
            return Ok(None);
        };
        let Ok(account) = AccountId::from_str(&arn.account) else {
            return Ok(None);
        };
        let name = path.rsplit('/').next().unwrap_or(path);
        self.cache
            .roles
            .get_or_fill(tx.iam_generation(), arn.text(), || {
                Ok(tx
                    .get_role(&account, name)?
                    .filter(|r| &r.arn == arn)
                    .map(Arc::new))
            })
    }
}

/// The short name of a policy kind in the decision log and the test vectors.
pub(crate) fn kind_name(kind: PolicyKind) -> &'static str {
    match kind {
        PolicyKind::Identity => "identity",
        PolicyKind::Resource => "resource",
        PolicyKind::Trust => "trust",
        PolicyKind::PermissionsBoundary => "boundary",
        PolicyKind::Session => "session",
    }
}

fn noun(kind: PolicyKind) -> &'static str {
    match kind {
        PolicyKind::Identity => "identity-based policy",
        PolicyKind::Resource => "resource-based policy",
        PolicyKind::Trust => "role trust policy",
        PolicyKind::PermissionsBoundary => "permissions boundary",
        PolicyKind::Session => "session policy",
    }
}

/// A decided check: the decision and the kind of policy behind a denial.
pub(crate) struct Decided {
    pub(crate) decision: Decision,
    pub(crate) denied_by: Option<PolicyKind>,
}

impl Engine {
    /// Decides one check and files it in the decision log.
    pub(crate) fn decide_check(
        &self,
        tx: &dyn ReadTx,
        id: &Identity,
        check: &Check<'_>,
        ctx: &RequestContext,
    ) -> Result<Decided, ApiError> {
        let pols = self.caller_policies(tx, id)?;
        let (decision, denied_by) = evaluate(id, check, ctx, &pols);
        if let Some(log) = &self.decisions {
            log.record(DecisionEvent {
                request_id: ctx.request_id.clone(),
                time: ctx.now,
                identity: id.clone(),
                action: check.action.to_owned(),
                resource: check.resource.to_owned(),
                resource_account: check.resource_account.to_owned(),
                resource_policy: check.resource_policy.clone(),
                policies: pols,
                context: ctx.shared(),
            });
        }
        Ok(Decided {
            decision,
            denied_by,
        })
    }

    /// Decides one check; a denial carries AWS's AccessDenied text.
    pub(crate) fn require(
        &self,
        tx: &dyn ReadTx,
        id: &Identity,
        check: &Check<'_>,
        ctx: &RequestContext,
    ) -> Result<(), ApiError> {
        match self.decide_check(tx, id, check, ctx)? {
            Decided {
                decision: Decision::Allow,
                ..
            } => Ok(()),
            d => Err(denial(id, check, d.decision, d.denied_by)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{PolicyCache, ip_text};
    use roleplay_policy::PolicyKind;
    use std::sync::Arc;

    fn allow(action: &str) -> String {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"*"}}]}}"#
        )
    }

    #[test]
    fn policies_compile_once_per_id_kind_and_text() {
        let cache = PolicyCache::default();
        let (list, get) = (allow("s3:ListBucket"), allow("s3:GetObject"));
        let a = cache.get(PolicyKind::Identity, "p", &list).unwrap();
        assert!(Arc::ptr_eq(
            &a,
            &cache.get(PolicyKind::Identity, "p", &list).unwrap()
        ));
        // The same id as another kind (a managed policy used as a boundary) is its own.
        let b = cache
            .get(PolicyKind::PermissionsBoundary, "p", &list)
            .unwrap();
        assert_eq!(b.kind(), PolicyKind::PermissionsBoundary);
        assert!(Arc::ptr_eq(
            &a,
            &cache.get(PolicyKind::Identity, "p", &list).unwrap()
        ));
        // A changed document under the same id is compiled again, and replaces the old.
        let c = cache.get(PolicyKind::Identity, "p", &get).unwrap();
        assert!(!Arc::ptr_eq(&a, &c));
        assert_eq!(c.id(), "p");
        assert!(Arc::ptr_eq(
            &c,
            &cache.get(PolicyKind::Identity, "p", &get).unwrap()
        ));
        assert!(Arc::ptr_eq(
            &b,
            &cache
                .get(PolicyKind::PermissionsBoundary, "p", &list)
                .unwrap()
        ));
        // A document that does not parse is absent.
        assert!(cache.get(PolicyKind::Identity, "q", "{").is_none());
    }

    #[test]
    fn addresses_read_as_the_formatter_writes_them() {
        for ip in [
            "127.0.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "10.20.3.40",
            "::1",
            "2001:db8::8a2e:370:7334",
        ] {
            let ip: std::net::IpAddr = ip.parse().unwrap_or(std::net::IpAddr::from([0, 0, 0, 0]));
            assert_eq!(ip_text(ip), ip.to_string());
        }
    }
}
