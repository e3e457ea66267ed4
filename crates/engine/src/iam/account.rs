//! Account-wide reads: aliases, the summary of counts and quotas, access key last use.

use super::{
    ACCESS_KEYS_PER_USER, ATTACHED_POLICIES, MANAGED_POLICY_SIZE, Paging, TRUST_POLICY_SIZE,
};
use crate::error::{ApiError, ErrorCode};
use crate::identity::{Identity, IdentityKind};
use crate::{Engine, RequestInfo};
use roleplay_store::{
    KeyLastUsed, KeyOwner, ListQuery, Page, PolicyFilter, PolicyListScope, PrincipalRef, StoreExt,
};
use roleplay_types::Arn;
use time::OffsetDateTime;

/// One `SummaryMap` entry of `GetAccountSummary`.
pub type SummaryEntry = (&'static str, u64);

/// What `GetAccessKeyLastUsed` reports.
#[derive(Debug, Clone)]
pub struct AccessKeyUse {
    /// The user holding the key; `None` for the root.
    pub user_name: Option<String>,
    /// The last use, if any.
    pub last_used: Option<KeyLastUsed>,
}

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

impl Engine {
    /// `ListAccountAliases`: the scenario's alias, if any.
    pub fn list_account_aliases(
        &self,
        id: &Identity,
        info: &RequestInfo,
        paging: &Paging,
    ) -> Result<Page<String>, ApiError> {
        self.store.read(|tx| {
            self.iam_check(tx, id, info, "iam:ListAccountAliases", "*", &[])?;
            let alias = tx.get_account(&id.account)?.and_then(|a| a.alias);
            paging.page(alias.into_iter().collect())
        })
    }

    /// `GetAccountSummary`: counts of the account's entities and IAM's quotas, by key.
    pub fn get_account_summary(
        &self,
        id: &Identity,
        info: &RequestInfo,
    ) -> Result<Vec<SummaryEntry>, ApiError> {
        self.store.read(|tx| {
            self.iam_check(tx, id, info, "iam:GetAccountSummary", "*", &[])?;
            let all = ListQuery::all();
            let users = tx.list_users(&id.account, &all)?.items;
            let groups = tx.list_groups(&id.account, &all)?.items;
            let roles = tx.list_roles(&id.account, &all)?.items;
            let local = tx.list_policies(
                &PolicyFilter {
                    account: id.account.clone(),
                    scope: PolicyListScope::Local,
                    only_attached: false,
                },
                &all,
            )?;
            let providers = tx.list_oidc_providers(&id.account)?.len();
            let root_keys = tx.list_access_keys(&id.account, &KeyOwner::Root)?.len();
            // Versions in use: attachments of any policy to the account's principals.
            let mut in_use = 0usize;
            let owners = users
                .iter()
                .map(|u| PrincipalRef::user(&id.account, &u.name))
                .chain(
                    groups
                        .iter()
                        .map(|g| PrincipalRef::group(&id.account, &g.name)),
                )
                .chain(
                    roles
                        .iter()
                        .map(|r| PrincipalRef::role(&id.account, &r.name)),
                );
            for owner in owners {
                in_use += tx.list_attached_policies(&owner)?.len();
            }
            let quota = |n: usize| count(n);
            Ok(vec![
                ("AccessKeysPerUserQuota", quota(ACCESS_KEYS_PER_USER)),
                ("AccountAccessKeysPresent", u64::from(root_keys > 0)),
                ("AccountMFAEnabled", 0),
                ("AccountPasswordPresent", 0),
                ("AccountSigningCertificatesPresent", 0),
                ("AssumeRolePolicySizeQuota", quota(TRUST_POLICY_SIZE)),
                ("AttachedPoliciesPerGroupQuota", quota(ATTACHED_POLICIES)),
                ("AttachedPoliciesPerRoleQuota", quota(ATTACHED_POLICIES)),
                ("AttachedPoliciesPerUserQuota", quota(ATTACHED_POLICIES)),
                ("GlobalEndpointTokenVersion", 1),
                ("GroupPolicySizeQuota", 5120),
                ("Groups", count(groups.len())),
                ("GroupsPerUserQuota", 10),
                ("GroupsQuota", 300),
                ("InstanceProfiles", 0),
                ("InstanceProfilesQuota", 1000),
                ("MFADevices", 0),
                ("MFADevicesInUse", 0),
                ("Policies", count(local.items.len())),
                ("PoliciesQuota", 1500),
                ("PolicySizeQuota", quota(MANAGED_POLICY_SIZE)),
                ("PolicyVersionsInUse", count(in_use)),
                ("PolicyVersionsInUseQuota", 10000),
                ("Providers", count(providers)),
                ("RolePolicySizeQuota", 10240),
                ("Roles", count(roles.len())),
                ("RolesQuota", 1000),
                ("ServerCertificates", 0),
                ("ServerCertificatesQuota", 20),
                ("SigningCertificatesPerUserQuota", 2),
                ("UserPolicySizeQuota", 2048),
                ("Users", count(users.len())),
                ("UsersQuota", 5000),
                ("VersionsPerPolicyQuota", 5),
            ])
        })
    }

    /// `GetAccessKeyLastUsed`, for keys of the caller's account.
    pub fn get_access_key_last_used(
        &self,
        id: &Identity,
        info: &RequestInfo,
        key_id: &str,
    ) -> Result<AccessKeyUse, ApiError> {
        self.store.read(|tx| {
            let key = tx
                .get_access_key(key_id)?
                .filter(|k| k.account == id.account);
            // The key's owner is the resource; an unknown key is authorized on `*`.
            let resource = match key.as_ref().map(|k| &k.owner) {
                Some(KeyOwner::User(n)) => self.existing_user_arn(tx, id, n)?,
                Some(KeyOwner::Root) => Arn::iam_root(id.account.as_str()).to_string(),
                None => "*".to_owned(),
            };
            self.iam_check(tx, id, info, "iam:GetAccessKeyLastUsed", &resource, &[])?;
            let key = key.ok_or_else(|| {
                ApiError::new(
                    ErrorCode::NoSuchEntity,
                    format!("The Access Key with id {key_id} cannot be found."),
                )
            })?;
            let user_name = match &key.owner {
                KeyOwner::User(n) => {
                    Some(tx.get_user(&id.account, n)?.map_or(n.clone(), |u| u.name))
                }
                KeyOwner::Root => None,
            };
            Ok(AccessKeyUse {
                user_name,
                last_used: key.last_used,
            })
        })
    }

    /// Records that the long-term key of `id` signed a request to `service` now: written only
    /// when the stored use is older than the current minute. The caller logs a failure and
    /// goes on with the request.
    pub fn record_key_use(
        &self,
        id: &Identity,
        service: &str,
        region: &str,
        now: OffsetDateTime,
    ) -> Result<(), ApiError> {
        if !matches!(id.kind, IdentityKind::Root | IdentityKind::User(_)) {
            return Ok(());
        }
        let minute = now.unix_timestamp().div_euclid(60);
        // Recorded (or found recorded) for this minute already: nothing to read or write.
        let recorded = |m: &std::collections::HashMap<String, i64>| {
            m.get(&id.access_key_id).is_some_and(|&r| r >= minute)
        };
        if recorded(&lock_key_use(self)) {
            return Ok(());
        }
        let fresh = |k: &roleplay_store::AccessKey| {
            k.last_used
                .as_ref()
                .is_some_and(|u| u.date.unix_timestamp().div_euclid(60) >= minute)
        };
        let stale = self.store.read(|tx| {
            Ok::<_, ApiError>(
                tx.get_access_key(&id.access_key_id)?
                    .is_some_and(|k| !fresh(&k)),
            )
        })?;
        if stale {
            self.store.write(|tx| {
                let Some(mut key) = tx.get_access_key(&id.access_key_id)? else {
                    return Ok(());
                };
                if fresh(&key) {
                    return Ok(());
                }
                key.last_used = Some(KeyLastUsed {
                    date: now,
                    service: service.to_owned(),
                    region: region.to_owned(),
                });
                tx.update_access_key(&key).map_err(crate::write_error)
            })?;
        }
        let mut map = lock_key_use(self);
        if map.len() >= 10_000 {
            map.clear();
        }
        map.insert(id.access_key_id.clone(), minute);
        Ok(())
    }
}

fn lock_key_use(
    engine: &Engine,
) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, i64>> {
    engine
        .cache
        .key_use
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}
