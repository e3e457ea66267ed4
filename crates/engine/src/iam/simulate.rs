//! The IAM policy simulator: `SimulatePrincipalPolicy` and `SimulateCustomPolicy`.
//!
//! Each action is decided on each resource by the policy engine exactly as a live request is
//! (`roleplay_policy::explain`, which decides with `decide`), with the context a live request
//! of the simulated caller would carry plus the given `ContextEntries`. Beyond AWS: for
//! `sts:AssumeRole*` (and `sts:TagSession`, `sts:SetSourceIdentity`) on a role that exists, the
//! role's trust policy is the resource-based policy, as it is for a live `AssumeRole`; its
//! statements are reported with the role's ARN and `SourcePolicyType` `resource`.

use super::no_such;
use crate::authz::uses_trust_policy;
use crate::error::{ApiError, ErrorCode};
use crate::identity::Identity;
use crate::session::{SessionClaims, SessionKind};
use crate::{Engine, RequestInfo};
use base64::Engine as _;
use roleplay_policy::{
    Context, Decision, Policy, PolicyKind, PolicySet, Position, Principal, Request, Span, explain,
    statement_spans,
};
use roleplay_store::{PrincipalRef, ReadTx, Role, StoreExt, User};
use roleplay_types::{AccountId, Arn};
use std::net::IpAddr;
use std::str::FromStr;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The session name of a simulated role's session.
const SIMULATED_SESSION: &str = "simulation";
/// Action and resource pairs one simulation may decide: every page of a paginated
/// simulation decides them all again, so their number is bounded.
const MAX_EVALUATIONS: usize = 10_000;

/// The type of a context entry's values (`ContextKeyType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContextKeyType {
    /// `string` / `stringList`.
    String,
    /// `numeric` / `numericList`.
    Numeric,
    /// `boolean` / `booleanList`.
    Boolean,
    /// `ip` / `ipList`.
    Ip,
    /// `binary` / `binaryList`.
    Binary,
    /// `date` / `dateList`.
    Date,
}

impl ContextKeyType {
    /// The wire names, `string` ... `dateList`.
    pub const NAMES: [&'static str; 12] = [
        "string",
        "stringList",
        "numeric",
        "numericList",
        "boolean",
        "booleanList",
        "ip",
        "ipList",
        "binary",
        "binaryList",
        "date",
        "dateList",
    ];

    /// The type and whether it is a list, from its wire name.
    pub fn parse(name: &str) -> Option<(Self, bool)> {
        let (base, list) = match name.strip_suffix("List") {
            Some(b) => (b, true),
            None => (name, false),
        };
        let t = match base {
            "string" => Self::String,
            "numeric" => Self::Numeric,
            "boolean" => Self::Boolean,
            "ip" => Self::Ip,
            "binary" => Self::Binary,
            "date" => Self::Date,
            _ => return None,
        };
        Some((t, list))
    }

    fn accepts(self, v: &str) -> bool {
        match self {
            Self::String => true,
            Self::Numeric => v.trim().parse::<f64>().is_ok_and(f64::is_finite),
            Self::Boolean => v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false"),
            Self::Ip => {
                let (addr, prefix) = v.split_once('/').unwrap_or((v, ""));
                IpAddr::from_str(addr).is_ok_and(|a| {
                    let max = if a.is_ipv4() { 32 } else { 128 };
                    prefix.is_empty() || prefix.parse::<u8>().is_ok_and(|p| p <= max)
                })
            }
            Self::Binary => base64::engine::general_purpose::STANDARD.decode(v).is_ok(),
            Self::Date => v.parse::<i64>().is_ok() || OffsetDateTime::parse(v, &Rfc3339).is_ok(),
        }
    }
}

/// One `ContextEntries` member.
#[derive(Debug, Clone)]
pub struct ContextEntry {
    /// `ContextKeyName`.
    pub name: String,
    /// `ContextKeyValues`.
    pub values: Vec<String>,
    /// `ContextKeyType`, as its wire name (checked by the engine).
    pub key_type: Option<String>,
}

/// The parameters both simulations share.
#[derive(Debug, Clone, Default)]
pub struct SimulateInput {
    /// `PolicyInputList`.
    pub policy_input_list: Vec<String>,
    /// `PermissionsBoundaryPolicyInputList` (at most one).
    pub permissions_boundary_policy_input_list: Vec<String>,
    /// `ActionNames`.
    pub action_names: Vec<String>,
    /// `ResourceArns`; empty means `*`.
    pub resource_arns: Vec<String>,
    /// `ResourcePolicy`.
    pub resource_policy: Option<String>,
    /// `ResourceOwner`: an account id or `arn:aws:iam::ACCOUNT:root`.
    pub resource_owner: Option<String>,
    /// `CallerArn`: an IAM user.
    pub caller_arn: Option<String>,
    /// `ContextEntries`.
    pub context_entries: Vec<ContextEntry>,
    /// `ResourceHandlingOption`.
    pub resource_handling_option: Option<String>,
}

/// `SourcePolicyType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourcePolicyType {
    /// A user's inline policy.
    User,
    /// A group's inline policy.
    Group,
    /// A role's inline policy.
    Role,
    /// An AWS managed policy.
    AwsManaged,
    /// A customer managed policy.
    UserManaged,
    /// The resource-based policy (the `ResourcePolicy`, or a role's trust policy).
    Resource,
    /// A policy of the input lists.
    None,
}

impl SourcePolicyType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Group => "group",
            Self::Role => "role",
            Self::AwsManaged => "aws-managed",
            Self::UserManaged => "user-managed",
            Self::Resource => "resource",
            Self::None => "none",
        }
    }
}

/// One of `MatchedStatements`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedStatement {
    /// `SourcePolicyId`: the policy's name, `PolicyInputList.N`, `ResourcePolicy`, or the
    /// role's ARN for a trust policy.
    pub source_policy_id: String,
    /// `SourcePolicyType`.
    pub source_policy_type: SourcePolicyType,
    /// `StartPosition`.
    pub start: Option<Position>,
    /// `EndPosition`.
    pub end: Option<Position>,
}

/// The decision on one resource.
#[derive(Debug, Clone)]
pub struct ResourceResult {
    /// `EvalResourceName`.
    pub resource: String,
    /// `EvalResourceDecision`.
    pub decision: Decision,
    /// `MatchedStatements`.
    pub matched: Vec<MatchedStatement>,
    /// `MissingContextValues`.
    pub missing: Vec<String>,
    /// `EvalDecisionDetails`: each side's decision across accounts, empty inside one account.
    pub details: Vec<(&'static str, Decision)>,
    /// `PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary`, with a boundary.
    pub allowed_by_boundary: Option<bool>,
}

/// One `EvaluationResults` member.
#[derive(Debug, Clone)]
pub struct EvaluationResult {
    /// `EvalActionName`.
    pub action: String,
    /// The result itself; `resource.resource` is `EvalResourceName`.
    pub result: ResourceResult,
    /// Whether `EvalDecisionDetails` is written (not for `*` inside one account).
    pub has_details: bool,
    /// `ResourceSpecificResults`: empty when the only resource is `*`.
    pub resource_specific: Vec<ResourceResult>,
}

/// A policy of the simulation with where it came from.
struct Sourced {
    policy: Policy,
    id: String,
    kind: SourcePolicyType,
    spans: Vec<Span>,
}

impl Sourced {
    fn parse(text: &str, kind: PolicyKind, id: String, source: SourcePolicyType) -> Option<Self> {
        let policy = Policy::parse(text, kind).ok()?.with_id(id.clone());
        Some(Self {
            policy,
            id,
            kind: source,
            spans: statement_spans(text),
        })
    }

    /// An input document: refused with InvalidInput when it is not a valid policy.
    fn input(text: &str, kind: PolicyKind, id: String) -> Result<Self, ApiError> {
        let policy = Policy::parse(text, kind).map_err(|e| {
            ApiError::new(
                ErrorCode::InvalidInput,
                format!("{id} is not a valid policy: {}", e.aws_message()),
            )
        })?;
        Ok(Self {
            policy: policy.with_id(id.clone()),
            spans: statement_spans(text),
            kind: if kind == PolicyKind::Resource {
                SourcePolicyType::Resource
            } else {
                SourcePolicyType::None
            },
            id,
        })
    }
}

/// Everything fixed for one simulation.
struct Simulation {
    identity: Vec<Sourced>,
    boundary: Option<Sourced>,
    resource_policy: Option<Sourced>,
    /// The simulated caller; `None` when only policies were given.
    caller: Option<Identity>,
    /// The account of the caller, or of the simulation when there is none.
    account: AccountId,
    resource_owner: Option<String>,
    /// An identity policy allowing everything: the identity side of a resource-side-only
    /// decision.
    allow_all: Option<Policy>,
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidInput, message)
}

/// Whether a live request for `action` on a role is decided with the role's trust policy.
impl Engine {
    /// `SimulatePrincipalPolicy`: the policies of a user (with its groups'), group or role,
    /// plus the inputs.
    pub fn simulate_principal_policy(
        &self,
        id: &Identity,
        info: &RequestInfo,
        policy_source_arn: &str,
        input: &SimulateInput,
    ) -> Result<Vec<EvaluationResult>, ApiError> {
        self.store.read(|tx| {
            self.iam_check(
                tx,
                id,
                info,
                "iam:SimulatePrincipalPolicy",
                policy_source_arn,
                &[],
            )?;
            let source = Arn::from_str(policy_source_arn)
                .ok()
                .filter(|a| a.service == "iam")
                .ok_or_else(|| invalid(format!("Invalid Entity Arn: {policy_source_arn}")))?;
            let kind = source.resource_type().to_owned();
            let name = source
                .resource
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_owned();
            let entity_kind = match kind.as_str() {
                "user" => "user",
                "group" => "group",
                "role" => "role",
                _ => return Err(invalid(format!("Invalid Entity Arn: {policy_source_arn}"))),
            };
            // IAM entities are looked up in the caller's own account only.
            let account = id.account.clone();
            let not_found = || no_such(entity_kind, &name);
            if source.account != account.as_str() {
                return Err(not_found());
            }
            let mut identity = Vec::new();
            let mut boundary_arn = None;
            let mut caller = None;
            match entity_kind {
                "user" => {
                    let user = tx
                        .get_user(&account, &name)?
                        .filter(|u| u.arn == source)
                        .ok_or_else(not_found)?;
                    self.sourced_policies(
                        tx,
                        &PrincipalRef::user(&account, &user.name),
                        SourcePolicyType::User,
                        &mut identity,
                    )?;
                    for g in tx.list_groups_for_user(&account, &user.name)? {
                        self.sourced_policies(
                            tx,
                            &PrincipalRef::group(&account, &g.name),
                            SourcePolicyType::Group,
                            &mut identity,
                        )?;
                    }
                    boundary_arn = user.permissions_boundary.clone();
                    caller = Some(user_identity(account.clone(), user));
                }
                "group" => {
                    let group = tx
                        .get_group(&account, &name)?
                        .filter(|g| g.arn == source)
                        .ok_or_else(not_found)?;
                    self.sourced_policies(
                        tx,
                        &PrincipalRef::group(&account, &group.name),
                        SourcePolicyType::Group,
                        &mut identity,
                    )?;
                }
                _ => {
                    let role = tx
                        .get_role(&account, &name)?
                        .filter(|r| r.arn == source)
                        .ok_or_else(not_found)?;
                    self.sourced_policies(
                        tx,
                        &PrincipalRef::role(&account, &role.name),
                        SourcePolicyType::Role,
                        &mut identity,
                    )?;
                    boundary_arn = role.permissions_boundary.clone();
                    caller = Some(role_identity(account.clone(), &role, info)?);
                }
            }
            let boundary = match boundary_arn {
                Some(arn) => self.sourced_managed(tx, &arn, PolicyKind::PermissionsBoundary)?,
                None => None,
            };
            if input.resource_policy.is_some() && input.caller_arn.is_none() && kind != "user" {
                return Err(invalid(
                    "CallerArn is required when a ResourcePolicy is given and the PolicySourceArn is not an IAM user.",
                ));
            }
            self.simulate(tx, id, info, input, identity, boundary, caller)
        })
    }

    /// `SimulateCustomPolicy`: only the given policies.
    pub fn simulate_custom_policy(
        &self,
        id: &Identity,
        info: &RequestInfo,
        input: &SimulateInput,
    ) -> Result<Vec<EvaluationResult>, ApiError> {
        self.store.read(|tx| {
            self.iam_check(tx, id, info, "iam:SimulateCustomPolicy", "*", &[])?;
            if input.resource_policy.is_some() && input.caller_arn.is_none() {
                return Err(invalid(
                    "CallerArn is required when a ResourcePolicy is given.",
                ));
            }
            self.simulate(tx, id, info, input, Vec::new(), None, None)
        })
    }

    /// The inline and attached policies of a user, group or role, each with its source.
    fn sourced_policies(
        &self,
        tx: &dyn ReadTx,
        owner: &PrincipalRef,
        inline_type: SourcePolicyType,
        out: &mut Vec<Sourced>,
    ) -> Result<(), ApiError> {
        for inline in tx.list_inline_policies(owner)? {
            out.extend(Sourced::parse(
                &inline.document,
                PolicyKind::Identity,
                inline.name.clone(),
                inline_type,
            ));
        }
        for attached in tx.list_attached_policies(owner)? {
            out.extend(self.sourced_managed(tx, &attached.arn, PolicyKind::Identity)?);
        }
        Ok(())
    }

    /// A managed policy's default version; documents that no longer parse count as absent,
    /// as they do for live requests.
    fn sourced_managed(
        &self,
        tx: &dyn ReadTx,
        arn: &Arn,
        kind: PolicyKind,
    ) -> Result<Option<Sourced>, ApiError> {
        let Some(p) = tx.get_policy(arn)? else {
            return Ok(None);
        };
        let source = if arn.account == "aws" {
            SourcePolicyType::AwsManaged
        } else {
            SourcePolicyType::UserManaged
        };
        Ok(p.default_version()
            .and_then(|v| Sourced::parse(&v.document, kind, p.name.clone(), source)))
    }

    #[allow(clippy::too_many_arguments, reason = "the simulation's pieces")]
    fn simulate(
        &self,
        tx: &dyn ReadTx,
        id: &Identity,
        info: &RequestInfo,
        input: &SimulateInput,
        mut identity: Vec<Sourced>,
        entity_boundary: Option<Sourced>,
        source_caller: Option<Identity>,
    ) -> Result<Vec<EvaluationResult>, ApiError> {
        if input.action_names.is_empty() {
            return Err(invalid("ActionNames must not be empty."));
        }
        for action in &input.action_names {
            if !action.contains(':') {
                return Err(invalid(format!(
                    "Action {action} must include the service prefix, such as iam:CreateUser."
                )));
            }
        }
        let pairs = input
            .action_names
            .len()
            .saturating_mul(input.resource_arns.len().max(1));
        if pairs > MAX_EVALUATIONS {
            return Err(invalid(format!(
                "The simulation would decide {pairs} action and resource pairs; at most {MAX_EVALUATIONS} are allowed."
            )));
        }
        for r in &input.resource_arns {
            if r != "*" && Arn::from_str(r).is_err() {
                return Err(invalid(format!(
                    "ResourceNames are not in a valid ARN format: {r}."
                )));
            }
        }
        if let Some(option) = &input.resource_handling_option
            && !RESOURCE_HANDLING_OPTIONS.contains(&option.as_str())
        {
            return Err(invalid(format!(
                "Invalid ResourceHandlingOption: {option}."
            )));
        }
        for (i, text) in input.policy_input_list.iter().enumerate() {
            identity.push(Sourced::input(
                text,
                PolicyKind::Identity,
                format!("PolicyInputList.{}", i + 1),
            )?);
        }
        let boundary = match input.permissions_boundary_policy_input_list.as_slice() {
            [] => entity_boundary,
            [text] => Some(Sourced::input(
                text,
                PolicyKind::PermissionsBoundary,
                "PermissionsBoundaryPolicyInputList.1".to_owned(),
            )?),
            _ => {
                return Err(invalid(
                    "Only one permissions boundary can be simulated: PermissionsBoundaryPolicyInputList must have at most one member.",
                ));
            }
        };
        let resource_policy = input
            .resource_policy
            .as_deref()
            .map(|t| Sourced::input(t, PolicyKind::Resource, "ResourcePolicy".to_owned()))
            .transpose()?;
        let caller = match &input.caller_arn {
            Some(arn) => Some(self.simulated_user(tx, arn)?),
            None => source_caller,
        };
        let resource_owner = input
            .resource_owner
            .as_deref()
            .map(resource_owner)
            .transpose()?;
        let account = caller
            .as_ref()
            .map_or_else(|| id.account.clone(), |c| c.account.clone());
        let sim = Simulation {
            identity,
            boundary,
            resource_policy,
            caller,
            account,
            resource_owner,
            allow_all: Policy::parse(
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
                PolicyKind::Identity,
            )
            .ok(),
        };
        let ctx = self.simulation_context(&sim, info, &input.context_entries)?;

        let resources: Vec<&str> = if input.resource_arns.is_empty() {
            vec!["*"]
        } else {
            input.resource_arns.iter().map(String::as_str).collect()
        };
        let mut out = Vec::new();
        for action in &input.action_names {
            let results = resources
                .iter()
                .map(|r| self.simulate_one(tx, &sim, action, r, &ctx))
                .collect::<Result<Vec<_>, ApiError>>()?;
            if input.resource_handling_option.is_some() {
                // One scenario: the action needs every resource.
                out.push(combined(action, results));
                continue;
            }
            for r in results {
                let star = r.resource == "*";
                let cross = !r.details.is_empty();
                let mut top = r.clone();
                if !star {
                    // Missing keys are reported per resource when resources are named.
                    top.missing = Vec::new();
                }
                out.push(EvaluationResult {
                    action: action.clone(),
                    result: top,
                    has_details: !star || cross,
                    resource_specific: if star { Vec::new() } else { vec![r] },
                });
            }
        }
        Ok(out)
    }

    /// The caller named by `CallerArn`: an IAM user, existing or not.
    fn simulated_user(&self, tx: &dyn ReadTx, arn: &str) -> Result<Identity, ApiError> {
        let parsed = Arn::from_str(arn)
            .ok()
            .filter(|a| a.service == "iam" && a.resource_type() == "user")
            .ok_or_else(|| {
                invalid(format!(
                    "Invalid CallerArn: {arn}. Only the ARN of an IAM user can be the caller."
                ))
            })?;
        let account = AccountId::from_str(&parsed.account)
            .map_err(|_| invalid(format!("Invalid CallerArn: {arn}.")))?;
        let name = parsed.resource.rsplit('/').next().unwrap_or_default();
        let user = tx.get_user(&account, name)?.filter(|u| u.arn == parsed);
        Ok(match user {
            Some(u) => user_identity(account, u),
            None => Identity::long_term(account, None, "").with_principal(Principal::User {
                arn: parsed.to_string(),
                id: String::new(),
            }),
        })
    }

    /// The keys a live request of the simulated caller would carry, then the entries.
    fn simulation_context(
        &self,
        sim: &Simulation,
        info: &RequestInfo,
        entries: &[ContextEntry],
    ) -> Result<Context, ApiError> {
        let mut ctx = match &sim.caller {
            Some(c) => {
                let mut ctx = self.context(c, info);
                if matches!(&c.caller.principal, Principal::User { id, .. } if id.is_empty()) {
                    // A user that does not exist has no unique id.
                    ctx.remove("aws:userid");
                }
                ctx
            }
            None => {
                // No caller: only the keys of the request itself.
                let placeholder = Identity::long_term(sim.account.clone(), None, "");
                let mut ctx = self.context(&placeholder, info);
                for k in [
                    "aws:PrincipalArn",
                    "aws:PrincipalType",
                    "aws:userid",
                    "aws:PrincipalAccount",
                    "aws:PrincipalIsAWSService",
                ] {
                    ctx.remove(k);
                }
                ctx
            }
        };
        for e in entries {
            let type_name = e.key_type.as_deref().unwrap_or("string");
            let (t, list) = ContextKeyType::parse(type_name).ok_or_else(|| {
                invalid(format!(
                    "Invalid ContextKeyType {type_name} for context key {}.",
                    e.name
                ))
            })?;
            if let Some(bad) = e.values.iter().find(|v| !t.accepts(v)) {
                return Err(invalid(format!(
                    "Invalid value {bad} for context key {} of type {type_name}.",
                    e.name
                )));
            }
            if list {
                ctx.insert_multi(&e.name, e.values.clone());
            } else {
                match e.values.as_slice() {
                    [v] => ctx.insert(&e.name, v.clone()),
                    _ => {
                        return Err(invalid(format!(
                            "Context key {} of type {type_name} takes exactly one value.",
                            e.name
                        )));
                    }
                }
            }
        }
        Ok(ctx.into_keys())
    }

    /// A role's trust policy, when `action` on `resource` is decided with it.
    fn trust_policy_for(
        &self,
        tx: &dyn ReadTx,
        action: &str,
        resource: &str,
    ) -> Result<Option<(Sourced, AccountId)>, ApiError> {
        if !uses_trust_policy(action) {
            return Ok(None);
        }
        let Ok(arn) = Arn::from_str(resource) else {
            return Ok(None);
        };
        let Some(role) = self.role_by_arn(tx, &arn)? else {
            return Ok(None);
        };
        let account = role.account.clone();
        Ok(Sourced::parse(
            &role.trust_policy,
            PolicyKind::Trust,
            role.arn.to_string(),
            SourcePolicyType::Resource,
        )
        .map(|s| (s, account)))
    }

    fn simulate_one(
        &self,
        tx: &dyn ReadTx,
        sim: &Simulation,
        action: &str,
        resource: &str,
        ctx: &Context,
    ) -> Result<ResourceResult, ApiError> {
        // The trust policy needs a caller for its Principal; without one, as at AWS, only the
        // identity side is simulated.
        let trust = match &sim.caller {
            Some(_) => self.trust_policy_for(tx, action, resource)?,
            None => None,
        };
        let resource_account = match Arn::from_str(resource) {
            Ok(a) if !a.account.is_empty() && a.account != "aws" => a.account.clone(),
            _ => sim
                .resource_owner
                .clone()
                .unwrap_or_else(|| sim.account.to_string()),
        };
        let resource_policy = trust
            .as_ref()
            .map(|(s, _)| s)
            .or(sim.resource_policy.as_ref());
        let placeholder;
        let caller = match &sim.caller {
            Some(c) => &c.caller,
            None => {
                placeholder = roleplay_policy::Caller::new(Principal::User {
                    arn: Arn::iam_user(sim.account.as_str(), "/", "").to_string(),
                    id: String::new(),
                });
                &placeholder
            }
        };
        let identity: Vec<&Policy> = sim.identity.iter().map(|s| &s.policy).collect();
        let request = Request {
            caller,
            action,
            resource,
            resource_account: Some(&resource_account),
            context: ctx,
        };
        let set = PolicySet {
            identity: &identity,
            resource: resource_policy.map(|s| &s.policy),
            boundary: sim.boundary.as_ref().map(|s| &s.policy),
            session: None,
        };
        let trace = explain(&request, &set);
        let sources = sim
            .identity
            .iter()
            .chain(sim.boundary.as_ref())
            .chain(resource_policy);
        let matched = trace
            .outcome
            .matched
            .iter()
            .filter_map(|m| {
                let s = sources
                    .clone()
                    .find(|s| std::ptr::eq(&s.policy, m.policy))?;
                let span = s.spans.get(m.index);
                Some(MatchedStatement {
                    source_policy_id: s.id.clone(),
                    source_policy_type: s.kind,
                    start: span.map(|sp| sp.start),
                    end: span.map(|sp| sp.end),
                })
            })
            .collect();

        // Each side on its own, for cross-account requests.
        let same_account = caller.account() == Some(resource_account.as_str());
        let details = if same_account {
            Vec::new()
        } else {
            let own = caller.account().unwrap_or_default();
            let identity_side = roleplay_policy::decide(
                &Request {
                    resource_account: Some(own),
                    ..request
                },
                &PolicySet {
                    resource: None,
                    ..set
                },
            )
            .decision;
            let resource_side = match (&sim.allow_all, resource_policy) {
                (Some(all), Some(rp)) => {
                    roleplay_policy::decide(
                        &request,
                        &PolicySet {
                            identity: &[all],
                            resource: Some(&rp.policy),
                            boundary: None,
                            session: None,
                        },
                    )
                    .decision
                }
                _ => Decision::ImplicitDeny,
            };
            vec![
                ("IAM Policy", identity_side),
                ("Resource Policy", resource_side),
            ]
        };
        let allowed_by_boundary = sim.boundary.as_ref().map(|b| {
            let boundary_only = [&b.policy];
            roleplay_policy::decide(
                &request,
                &PolicySet {
                    identity: &boundary_only,
                    ..PolicySet::default()
                },
            )
            .decision
                == Decision::Allow
        });
        Ok(ResourceResult {
            resource: resource.to_owned(),
            decision: trace.outcome.decision,
            matched,
            missing: trace.missing_keys,
            details,
            allowed_by_boundary,
        })
    }
}

/// The EC2 scenarios of `ResourceHandlingOption`.
const RESOURCE_HANDLING_OPTIONS: [&str; 4] = [
    "EC2-VPC-InstanceStore",
    "EC2-VPC-InstanceStore-Subnet",
    "EC2-VPC-EBS",
    "EC2-VPC-EBS-Subnet",
];

/// One result for a scenario needing every resource: the strongest denial wins.
fn combined(action: &str, results: Vec<ResourceResult>) -> EvaluationResult {
    let decision = if results.iter().any(|r| r.decision == Decision::ExplicitDeny) {
        Decision::ExplicitDeny
    } else if results.iter().any(|r| r.decision == Decision::ImplicitDeny) {
        Decision::ImplicitDeny
    } else {
        Decision::Allow
    };
    let allowed_by_boundary = results
        .iter()
        .filter_map(|r| r.allowed_by_boundary)
        .reduce(|a, b| a && b);
    EvaluationResult {
        action: action.to_owned(),
        result: ResourceResult {
            resource: "*".to_owned(),
            decision,
            matched: Vec::new(),
            missing: Vec::new(),
            details: Vec::new(),
            allowed_by_boundary,
        },
        has_details: true,
        resource_specific: results,
    }
}

/// `ResourceOwner`: an account id or the account's root ARN.
fn resource_owner(text: &str) -> Result<String, ApiError> {
    let account = match Arn::from_str(text) {
        Ok(a) if a.service == "iam" && a.is_iam_root() => a.account,
        _ => text.to_owned(),
    };
    AccountId::from_str(&account)
        .map(|a| a.to_string())
        .map_err(|_| invalid(format!("'{text}' is not a valid as a Resource Owner.")))
}

fn user_identity(account: AccountId, user: User) -> Identity {
    Identity::long_term(account, Some(user), "")
}

/// A fresh session of `role`, as the role acts in live requests.
fn role_identity(
    account: AccountId,
    role: &Role,
    info: &RequestInfo,
) -> Result<Identity, ApiError> {
    let now = info.now.unix_timestamp();
    let claims = SessionClaims {
        kind: SessionKind::AssumedRole,
        access_key_id: String::new(),
        account: account.to_string(),
        principal_arn: role.arn.to_string(),
        principal_id: role.unique_id.clone(),
        session_name: SIMULATED_SESSION.to_owned(),
        issued_at: now,
        expires_at: now.saturating_add(3600),
        policy: None,
        policy_arns: Vec::new(),
        tags: Vec::new(),
        transitive_tag_keys: Vec::new(),
        source_identity: None,
        mfa_authenticated: false,
        chained: false,
    };
    let tags = role
        .tags
        .iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect();
    Identity::from_session(account, claims, None, tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_types_check_their_values() {
        assert_eq!(
            ContextKeyType::parse("ipList"),
            Some((ContextKeyType::Ip, true))
        );
        assert_eq!(ContextKeyType::parse("text"), None);
        assert!(ContextKeyType::Ip.accepts("203.0.113.0/24"));
        assert!(!ContextKeyType::Ip.accepts("203.0.113.0/33"));
        assert!(ContextKeyType::Date.accepts("2026-03-01T12:00:00Z"));
        assert!(!ContextKeyType::Date.accepts("yesterday"));
        assert!(ContextKeyType::Boolean.accepts("TRUE"));
        assert!(!ContextKeyType::Numeric.accepts("ten"));
        assert!(ContextKeyType::Binary.accepts("aGVsbG8="));
    }

    #[test]
    fn resource_owner_is_an_account_or_its_root() {
        assert_eq!(resource_owner("123456789012").unwrap(), "123456789012");
        assert_eq!(
            resource_owner("arn:aws:iam::123456789012:root").unwrap(),
            "123456789012"
        );
        assert!(resource_owner("arn:aws:iam::123456789012:user/x").is_err());
    }
}
