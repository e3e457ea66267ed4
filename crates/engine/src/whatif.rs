//! "Would this be allowed?": one check decided for a caller exactly as a live request would be,
//! traced, and not filed in the decision log.

use crate::authz::uses_trust_policy;
use crate::decisions::DecisionEvent;
use crate::error::{ApiError, ErrorCode};
use crate::identity::Identity;
use crate::{Engine, RequestInfo};
use roleplay_policy::{Policy, PolicyKind};
use roleplay_store::{ReadTx, StoreExt};
use roleplay_types::Arn;
use serde_json::Value;
use std::str::FromStr;
use std::sync::Arc;

impl Engine {
    /// Decides `action` on `resource` for `id` with the policies that would apply to a live
    /// request (a role's trust policy for `sts:AssumeRole*` on a role, a bucket's policy for
    /// S3) and returns the decision record, as the decision log would hold it.
    pub fn what_if(
        &self,
        id: &Identity,
        info: &RequestInfo,
        action: &str,
        resource: &str,
    ) -> Result<Value, ApiError> {
        if !action.contains(':') || action.len() > 128 {
            return Err(ApiError::new(
                ErrorCode::InvalidInput,
                format!("Invalid action name {action}: expected service:Action."),
            ));
        }
        self.store.read(|tx| {
            let ctx = self.context(id, info);
            let (resource_policy, resource_account) =
                self.resource_side(tx, id, action, resource)?;
            let policies = self.caller_policies(tx, id)?;
            let event = DecisionEvent {
                request_id: ctx.request_id.clone(),
                time: ctx.now,
                identity: id.clone(),
                action: action.to_owned(),
                resource: resource.to_owned(),
                resource_account,
                resource_policy,
                policies,
                context: ctx.shared(),
            };
            Ok(event.render())
        })
    }

    /// The resource-based policy and the owner of `resource`, as a live request would see them.
    fn resource_side(
        &self,
        tx: &dyn ReadTx,
        id: &Identity,
        action: &str,
        resource: &str,
    ) -> Result<(Option<Arc<Policy>>, String), ApiError> {
        let own = id.account.to_string();
        let Ok(arn) = Arn::from_str(resource) else {
            return Ok((None, own));
        };
        if arn.service == "s3" {
            let name = arn.resource.split('/').next().unwrap_or_default();
            let Some(bucket) = tx.get_bucket(name)? else {
                return Ok((None, own));
            };
            let text = self
                .resource_document(tx, &bucket, None, Some(id))
                .map_err(|e| ApiError::new(ErrorCode::InternalFailure, e.message))?;
            let policy = text.and_then(|t| {
                self.policies
                    .get(PolicyKind::Resource, &format!("{}#policy", bucket.name), &t)
            });
            return Ok((policy, bucket.owner.to_string()));
        }
        let account = if arn.account.is_empty() {
            own
        } else {
            arn.account.clone()
        };
        if arn.service == "iam"
            && uses_trust_policy(action)
            && let Some(role) = self.role_by_arn(tx, &arn)?
        {
            let trust = self.policies.get(
                PolicyKind::Trust,
                &format!("{}#trust", role.arn),
                &role.trust_policy,
            );
            return Ok((trust, account));
        }
        Ok((None, account))
    }
}
