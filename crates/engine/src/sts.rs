//! STS operations: `GetCallerIdentity`, `AssumeRole`, `GetSessionToken`, `GetAccessKeyInfo`.
//!
//! Parameter constraints (lengths, patterns) are checked where the request is decoded; this
//! module holds the rules that need the store and the policy engine.

use crate::authz::Check;
use crate::error::{ApiError, ErrorCode};
use crate::identity::{Identity, IdentityKind};
use crate::session::{SessionClaims, SessionKind};
use crate::{Engine, RequestInfo};
use roleplay_policy::{Policy, PolicyKind, policy_size};
use roleplay_store::{ReadTx, StoreExt};
use roleplay_types::{AccessKeyKind, AccountId, Arn, account_of_access_key_id, new_access_key_id};
use std::str::FromStr;

/// Session policies: plaintext of inline and managed session policies.
const SESSION_POLICY_SIZE: usize = 2048;

/// Input of `AssumeRole`.
#[derive(Debug, Clone, Default)]
pub struct AssumeRoleInput {
    /// `RoleArn`.
    pub role_arn: String,
    /// `RoleSessionName`.
    pub role_session_name: String,
    /// `DurationSeconds` (default 3600).
    pub duration_seconds: Option<i64>,
    /// `Policy`.
    pub policy: Option<String>,
    /// `PolicyArns`.
    pub policy_arns: Vec<String>,
    /// `Tags`.
    pub tags: Vec<(String, String)>,
    /// `TransitiveTagKeys`.
    pub transitive_tag_keys: Vec<String>,
    /// `ExternalId`.
    pub external_id: Option<String>,
    /// `SourceIdentity`.
    pub source_identity: Option<String>,
    /// `SerialNumber`.
    pub serial_number: Option<String>,
    /// `TokenCode`.
    pub token_code: Option<String>,
}

/// Temporary credentials handed out by STS.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// `ASIA...`.
    pub access_key_id: String,
    /// The secret (derived, never stored).
    pub secret_access_key: String,
    /// The sealed session.
    pub session_token: String,
    /// Expiry, Unix seconds.
    pub expiration: i64,
}

/// Output of `AssumeRole`.
#[derive(Debug, Clone)]
pub struct AssumeRoleOutput {
    /// The credentials.
    pub credentials: Credentials,
    /// `ROLEID:session`.
    pub assumed_role_id: String,
    /// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
    pub arn: String,
    /// Percentage of the packed-policy allowance used, when a policy or tags were passed.
    pub packed_policy_size: Option<u32>,
    /// The source identity, when set.
    pub source_identity: Option<String>,
}

/// Output of `GetCallerIdentity`.
#[derive(Debug, Clone)]
pub struct CallerIdentity {
    /// `UserId`.
    pub user_id: String,
    /// `Account`.
    pub account: String,
    /// `Arn`.
    pub arn: String,
}

fn validation(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::ValidationError, message)
}

impl Engine {
    /// `GetCallerIdentity`: needs no permission and cannot be denied.
    pub fn get_caller_identity(&self, id: &Identity) -> CallerIdentity {
        CallerIdentity {
            user_id: id.user_id(),
            account: id.account.to_string(),
            arn: id.arn(),
        }
    }

    /// Authorizes an STS action that has no resource (`*`).
    fn sts_check(
        &self,
        tx: &dyn roleplay_store::ReadTx,
        id: &Identity,
        ctx: &crate::authz::RequestContext,
        action: &str,
    ) -> Result<(), ApiError> {
        let check = Check {
            action,
            resource: "*",
            resource_account: id.account.as_str(),
            resource_policy: None,
        };
        self.require(tx, id, &check, ctx)
    }

    /// `DecodeAuthorizationMessage`: the decision behind an encoded message of the decision
    /// log, for callers allowed `sts:DecodeAuthorizationMessage` in the denied account.
    pub fn decode_authorization_message(
        &self,
        id: &Identity,
        info: &RequestInfo,
        encoded: &str,
    ) -> Result<String, ApiError> {
        self.store.read(|tx| {
            let ctx = self.context(id, info);
            self.sts_check(tx, id, &ctx, "sts:DecodeAuthorizationMessage")
        })?;
        let invalid = || {
            ApiError::new(
                ErrorCode::InvalidAuthorizationMessageException,
                "The message could not be decoded.",
            )
        };
        let plain = self.tokens.open_message(encoded).ok_or_else(invalid)?;
        let message: serde_json::Value = serde_json::from_slice(&plain).map_err(|_| invalid())?;
        // Only the account whose request was denied may read why.
        let principal = message
            .pointer("/context/principal/arn")
            .and_then(serde_json::Value::as_str)
            .and_then(|a| Arn::from_str(a).ok());
        match principal {
            Some(arn) if arn.account == id.account.as_str() => Ok(message.to_string()),
            _ => Err(invalid()),
        }
    }

    /// `GetAccessKeyInfo`: the account owning any access key id.
    pub fn get_access_key_info(
        &self,
        id: &Identity,
        info: &RequestInfo,
        access_key_id: &str,
    ) -> Result<String, ApiError> {
        self.store.read(|tx| {
            let ctx = self.context(id, info);
            self.sts_check(tx, id, &ctx, "sts:GetAccessKeyInfo")?;
            if let Some(account) = account_of_access_key_id(access_key_id) {
                return Ok(format!("{account:012}"));
            }
            match tx.get_access_key(access_key_id)? {
                Some(k) => Ok(k.account.to_string()),
                None => Err(ApiError::new(
                    ErrorCode::InvalidParameterValue,
                    format!("The access key ID {access_key_id} is not valid."),
                )),
            }
        })
    }

    fn issue(
        &self,
        account: &AccountId,
        mut claims: SessionClaims,
        info: &RequestInfo,
        duration: i64,
    ) -> Credentials {
        let number: u64 = account.as_str().parse().unwrap_or(0);
        let access_key_id = new_access_key_id(AccessKeyKind::Temporary, number, self.ids.as_ref());
        claims.access_key_id = access_key_id.clone();
        claims.issued_at = info.now.unix_timestamp();
        claims.expires_at = claims.issued_at + duration;
        let token = self.tokens.seal(&claims, self.ids.as_ref());
        Credentials {
            secret_access_key: self
                .tokens
                .temporary_secret(&access_key_id)
                .expose()
                .to_owned(),
            access_key_id,
            session_token: token.expose().to_owned(),
            expiration: claims.expires_at,
        }
    }

    /// `GetSessionToken`: long-term credentials of a user or the root only.
    pub fn get_session_token(
        &self,
        id: &Identity,
        info: &RequestInfo,
        duration_seconds: Option<i64>,
    ) -> Result<Credentials, ApiError> {
        if id.session().is_some() {
            return Err(ApiError::new(
                ErrorCode::AccessDenied,
                "Cannot call GetSessionToken with session credentials",
            ));
        }
        let (max, default) = if id.is_root() {
            (3600, 3600)
        } else {
            (129_600, 43_200)
        };
        let duration = duration_seconds.unwrap_or(default);
        if !(900..=max).contains(&duration) {
            return Err(validation(format!(
                "1 validation error detected: Value '{duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to {max}"
            )));
        }
        let claims = SessionClaims {
            kind: SessionKind::SessionToken,
            access_key_id: String::new(),
            account: id.account.to_string(),
            principal_arn: id.arn(),
            principal_id: id.user_id(),
            session_name: String::new(),
            issued_at: 0,
            expires_at: 0,
            policy: None,
            policy_arns: Vec::new(),
            tags: Vec::new(),
            transitive_tag_keys: Vec::new(),
            source_identity: None,
            mfa_authenticated: false,
            chained: false,
        };
        Ok(self.issue(&id.account, claims, info, duration))
    }

    /// `AssumeRole`, with every rule AWS applies: root refused, trust policy always needed,
    /// identity policy needed across accounts and for account-wide trust, `sts:TagSession`
    /// and `sts:SetSourceIdentity` for tags and source identity, duration caps, session
    /// policies validated. A missing role is an AccessDenied like any other.
    pub fn assume_role(
        &self,
        id: &Identity,
        info: &RequestInfo,
        input: &AssumeRoleInput,
    ) -> Result<AssumeRoleOutput, ApiError> {
        if id.is_root() {
            return Err(ApiError::new(
                ErrorCode::AccessDenied,
                "Roles may not be assumed by root accounts.",
            ));
        }
        let plain_denial = || {
            ApiError::new(
                ErrorCode::AccessDenied,
                format!(
                    "User: {} is not authorized to perform: sts:AssumeRole on resource: {}",
                    id.arn(),
                    input.role_arn
                ),
            )
        };
        if let Some(text) = &input.policy {
            Policy::parse(text, PolicyKind::Session)
                .map_err(|e| ApiError::new(ErrorCode::MalformedPolicyDocument, e.aws_message()))?;
        }
        let inherited = id
            .session()
            .map(|s| s.source_identity.clone())
            .unwrap_or_default();
        if let (Some(old), Some(new)) = (&inherited, &input.source_identity)
            && old != new
        {
            return Err(ApiError::new(
                ErrorCode::AccessDenied,
                "SourceIdentity cannot be changed once set in a role chain.",
            ));
        }
        // roleplay has no MFA devices: a serial number with a six-digit code counts as MFA.
        let mfa = match (&input.serial_number, &input.token_code) {
            (None, None) => false,
            (Some(_), Some(code))
                if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) =>
            {
                true
            }
            _ => {
                return Err(ApiError::new(
                    ErrorCode::AccessDenied,
                    "MultiFactorAuthentication failed with invalid MFA one time pass code.",
                ));
            }
        };
        self.store.read(|tx| {
            let arn = Arn::from_str(&input.role_arn).map_err(|_| plain_denial())?;
            let role = self.role_by_arn(tx, &arn)?.ok_or_else(plain_denial)?;
            let account = role.account.clone();
            let trust = self.policies.get(PolicyKind::Trust, &role.arn.text_with("#trust"), &role.trust_policy).ok_or_else(plain_denial)?;

            let mut ctx = self.context(id, info);
            ctx.insert_static("sts:rolesessionname", input.role_session_name.clone());
            if mfa {
                ctx.insert_static("aws:multifactorauthpresent", "true");
                ctx.insert_static("aws:multifactorauthage", "0");
            }
            if let Some(e) = &input.external_id {
                ctx.insert_static("sts:externalid", e.clone());
            }
            if let Some(s) = &input.source_identity {
                ctx.insert_static("sts:sourceidentity", s.clone());
            }
            for (k, v) in &input.tags {
                ctx.insert(&format!("aws:RequestTag/{k}"), v.clone());
            }
            if !input.tags.is_empty() {
                ctx.insert_multi("aws:TagKeys", input.tags.iter().map(|(k, _)| k.clone()).collect());
            }
            if !input.transitive_tag_keys.is_empty() {
                ctx.insert_multi("sts:TransitiveTagKeys", input.transitive_tag_keys.clone());
            }
            let role_arn = role.arn.text();
            let mut actions = vec!["sts:AssumeRole"];
            if !input.tags.is_empty() {
                actions.push("sts:TagSession");
            }
            if input.source_identity.is_some() {
                actions.push("sts:SetSourceIdentity");
            }
            for action in actions {
                let check = Check { action, resource: &role_arn, resource_account: account.as_str(), resource_policy: Some(trust.clone()) };
                if let Err(e) = self.require(tx, id, &check, &ctx) {
                    // STS answers AssumeRole denials without a reason.
                    return Err(if action == "sts:AssumeRole" { plain_denial() } else { e });
                }
            }

            let chained = id.session().is_some();
            let duration = input.duration_seconds.unwrap_or(3600);
            if chained && duration > 3600 {
                return Err(validation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."));
            }
            if duration > i64::from(role.max_session_duration) {
                return Err(validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role."));
            }
            self.session_policy_arns(tx, &account, &input.policy_arns)?;
            let plain = input.policy.as_deref().map(policy_size).unwrap_or(0);
            if plain > SESSION_POLICY_SIZE {
                return Err(ApiError::new(ErrorCode::PackedPolicyTooLarge, "Packed policy consumes more than 100% of allotted space, please use smaller policy."));
            }
            let packed = packed_percent(plain, &input.tags, input.policy_arns.len());
            if packed > 100 {
                return Err(ApiError::new(ErrorCode::PackedPolicyTooLarge, format!("Packed policy consumes {packed}% of allotted space, please use smaller policy.")));
            }

            // Transitive tags of the calling session pass on to this one.
            let mut tags = input.tags.clone();
            let mut transitive = input.transitive_tag_keys.clone();
            if let Some(parent) = id.session() {
                for key in &parent.transitive_tag_keys {
                    if let Some((k, v)) = parent.tags.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)) {
                        if tags.iter().any(|(t, _)| t.eq_ignore_ascii_case(k)) {
                            return Err(ApiError::new(ErrorCode::InvalidParameterValue, format!("Cannot set the tag {k}: it is a transitive tag of the calling session.")));
                        }
                        tags.push((k.clone(), v.clone()));
                        transitive.push(k.clone());
                    }
                }
            }
            let claims = SessionClaims {
                kind: SessionKind::AssumedRole,
                access_key_id: String::new(),
                account: account.as_str().to_owned(),
                principal_arn: role_arn.clone(),
                principal_id: role.unique_id.clone(),
                session_name: input.role_session_name.clone(),
                issued_at: 0,
                expires_at: 0,
                policy: input.policy.clone(),
                policy_arns: input.policy_arns.clone(),
                tags,
                transitive_tag_keys: transitive,
                source_identity: input.source_identity.clone().or(inherited.clone()),
                mfa_authenticated: mfa || id.session().is_some_and(|s| s.mfa_authenticated),
                chained,
            };
            let credentials = self.issue(&account, claims, info, duration);
            let given = input.policy.is_some() || !input.tags.is_empty() || !input.policy_arns.is_empty();
            Ok(AssumeRoleOutput {
                credentials,
                assumed_role_id: [role.unique_id.as_str(), ":", input.role_session_name.as_str()].concat(),
                arn: Arn::sts_assumed_role(account.as_str(), &role.name, &input.role_session_name).text(),
                packed_policy_size: given.then_some(packed),
                source_identity: input.source_identity.clone().or(inherited.clone()),
            })
        })
    }

    fn session_policy_arns(
        &self,
        tx: &dyn ReadTx,
        account: &AccountId,
        arns: &[String],
    ) -> Result<(), ApiError> {
        for arn in arns {
            let parsed = Arn::from_str(arn).map_err(|_| {
                ApiError::new(
                    ErrorCode::InvalidParameterValue,
                    format!("Invalid policy ARN: {arn}"),
                )
            })?;
            let visible = parsed.account == "aws" || parsed.account == account.as_str();
            if !visible || tx.get_policy(&parsed)?.is_none() {
                return Err(ApiError::new(
                    ErrorCode::InvalidParameterValue,
                    format!("Policy {arn} does not exist or is not attachable."),
                ));
            }
        }
        Ok(())
    }
}

/// An estimate of AWS's packed size: the session policy, tags and managed policy ARNs
/// compressed into a fixed allowance, as a percentage.
fn packed_percent(policy_chars: usize, tags: &[(String, String)], arns: usize) -> u32 {
    let tag_chars: usize = tags.iter().map(|(k, v)| k.len() + v.len() + 4).sum();
    let units = policy_chars + tag_chars * 2 + arns * 64;
    u32::try_from(units * 100 / (SESSION_POLICY_SIZE * 2))
        .unwrap_or(u32::MAX)
        .max(1)
}

/// Whether the identity's keys are temporary.
pub fn is_temporary(id: &Identity) -> bool {
    matches!(
        id.kind,
        IdentityKind::RoleSession { .. } | IdentityKind::UserSession { .. }
    )
}
