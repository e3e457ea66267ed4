//! S3 authorization in one place: the bucket policy, ACL grants (when Object Ownership
//! enables ACLs) and the public access block become one resource-based policy per request.
//!
//! An ACL grant is an allow from the resource side: a grant to a canonical user is a
//! statement naming that account (`arn:aws:iam::ACCOUNT:root`, so it is delegated to the
//! account's identity policies), `AllUsers` a statement naming `*`, `AuthenticatedUsers` `*`
//! limited to signed requests. Each permission stands for the actions AWS maps it to.
//! `IgnorePublicAcls` drops the group grants; `RestrictPublicBuckets` on a bucket whose policy
//! is public keeps only the Deny statements for callers outside the owner's account.

use super::S3Error;
use crate::Engine;
use crate::authz::{Check, RequestContext, denial_text};
use crate::identity::Identity;
use roleplay_policy::Decision;
use roleplay_policy::PolicyKind;
use roleplay_store::{Bucket, ObjectOwnership, ObjectVersion, ReadTx};
use roleplay_types::AccountId;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The URI of the `AllUsers` group.
pub const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
/// The URI of the `AuthenticatedUsers` group.
pub const AUTHENTICATED_USERS: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
/// The URI of the log delivery group.
pub const LOG_DELIVERY: &str = "http://acs.amazonaws.com/groups/s3/LogDelivery";

/// Who an ACL grant is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Grantee {
    /// An account, by its canonical id (e-mail grants are resolved to this when stored).
    CanonicalUser(String),
    /// A predefined group, by URI.
    Group(String),
}

/// One ACL grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// The grantee.
    pub grantee: Grantee,
    /// `FULL_CONTROL`, `READ`, `WRITE`, `READ_ACP` or `WRITE_ACP`.
    pub permission: String,
}

/// The permissions an ACL can grant.
pub const PERMISSIONS: [&str; 5] = ["FULL_CONTROL", "READ", "WRITE", "READ_ACP", "WRITE_ACP"];

/// The actions a permission stands for, on a bucket or on an object.
fn actions(permission: &str, object: bool) -> &'static [&'static str] {
    match (permission, object) {
        ("READ", false) => &[
            "s3:ListBucket",
            "s3:ListBucketVersions",
            "s3:ListBucketMultipartUploads",
        ],
        ("WRITE", false) => &["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"],
        ("READ_ACP", false) => &["s3:GetBucketAcl"],
        ("WRITE_ACP", false) => &["s3:PutBucketAcl"],
        ("FULL_CONTROL", false) => &[
            "s3:ListBucket",
            "s3:ListBucketVersions",
            "s3:ListBucketMultipartUploads",
            "s3:PutObject",
            "s3:DeleteObject",
            "s3:DeleteObjectVersion",
            "s3:GetBucketAcl",
            "s3:PutBucketAcl",
        ],
        ("READ", true) => &["s3:GetObject", "s3:GetObjectVersion"],
        ("READ_ACP", true) => &["s3:GetObjectAcl", "s3:GetObjectVersionAcl"],
        ("WRITE_ACP", true) => &["s3:PutObjectAcl", "s3:PutObjectVersionAcl"],
        ("FULL_CONTROL", true) => &[
            "s3:GetObject",
            "s3:GetObjectVersion",
            "s3:GetObjectAcl",
            "s3:GetObjectVersionAcl",
            "s3:PutObjectAcl",
            "s3:PutObjectVersionAcl",
        ],
        _ => &[],
    }
}

/// The grants of a stored ACL; no ACL means the owner's full control.
pub fn grants(acl: Option<&str>, owner: &AccountId) -> Vec<Grant> {
    acl.and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_else(|| owner_full_control(owner))
}

/// The ACL every resource starts with.
pub fn owner_full_control(owner: &AccountId) -> Vec<Grant> {
    vec![Grant {
        grantee: Grantee::CanonicalUser(super::canonical_id(owner)),
        permission: "FULL_CONTROL".into(),
    }]
}

/// Whether grants give anything to `AllUsers` or `AuthenticatedUsers`.
pub fn is_public_acl(grants: &[Grant]) -> bool {
    grants.iter().any(
        |g| matches!(&g.grantee, Grantee::Group(u) if u == ALL_USERS || u == AUTHENTICATED_USERS),
    )
}

/// The grants of a canned ACL (`x-amz-acl`), `None` for an unknown name.
pub fn canned(
    name: &str,
    owner: &AccountId,
    bucket_owner: &AccountId,
    object: bool,
) -> Option<Vec<Grant>> {
    let mut g = owner_full_control(owner);
    let group = |uri: &str, permission: &str| Grant {
        grantee: Grantee::Group(uri.to_owned()),
        permission: permission.to_owned(),
    };
    let bucket_owner_grant = |permission: &str| Grant {
        grantee: Grantee::CanonicalUser(super::canonical_id(bucket_owner)),
        permission: permission.to_owned(),
    };
    match name {
        "private" => {}
        "public-read" => g.push(group(ALL_USERS, "READ")),
        "public-read-write" => {
            g.push(group(ALL_USERS, "READ"));
            g.push(group(ALL_USERS, "WRITE"));
        }
        "authenticated-read" => g.push(group(AUTHENTICATED_USERS, "READ")),
        "aws-exec-read" => {}
        "log-delivery-write" if !object => {
            g.push(group(LOG_DELIVERY, "WRITE"));
            g.push(group(LOG_DELIVERY, "READ_ACP"));
        }
        "bucket-owner-read" | "bucket-owner-full-control" if !object => {}
        "bucket-owner-read" => {
            if owner != bucket_owner {
                g.push(bucket_owner_grant("READ"));
            }
        }
        "bucket-owner-full-control" => {
            if owner != bucket_owner {
                g.push(bucket_owner_grant("FULL_CONTROL"));
            }
        }
        _ => return None,
    }
    Some(g)
}

/// Statements of a policy document, whether `Statement` is an object or an array.
fn statements(doc: &Value) -> Vec<Value> {
    match doc.get("Statement") {
        Some(Value::Array(a)) => a.clone(),
        Some(s @ Value::Object(_)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// Condition keys that make a statement naming `*` non-public when compared to fixed values.
const FIXED_KEYS: [&str; 12] = [
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceaccount",
    "aws:sourceowner",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalorgid",
    "aws:userid",
    "s3:dataaccesspointarn",
    "s3:dataaccesspointaccount",
    "aws:sourceip",
];

fn values(v: &Value) -> Vec<&str> {
    match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Whether a condition block limits a statement to fixed principals or networks.
fn restricts(condition: Option<&Value>) -> bool {
    let Some(Value::Object(ops)) = condition else {
        return false;
    };
    ops.iter().any(|(op, keys)| {
        let op = op.to_ascii_lowercase();
        let op = op
            .strip_prefix("forallvalues:")
            .or_else(|| op.strip_prefix("foranyvalue:"))
            .unwrap_or(&op);
        let op = op.strip_suffix("ifexists").unwrap_or(op);
        let fixed_op = matches!(
            op,
            "stringequals" | "stringequalsignorecase" | "stringlike" | "arnequals" | "arnlike"
        );
        let Value::Object(keys) = keys else {
            return false;
        };
        keys.iter().any(|(k, v)| {
            let k = k.to_ascii_lowercase();
            let vals = values(v);
            if vals.is_empty() {
                return false;
            }
            if k == "aws:sourceip" {
                return op == "ipaddress" && vals.iter().all(|c| narrow_cidr(c));
            }
            fixed_op
                && FIXED_KEYS.contains(&k.as_str())
                && vals.iter().all(|s| !s.contains('*') && !s.contains('?'))
        })
    })
}

/// An IP range AWS does not call public: IPv4 /8 or narrower, IPv6 /32 or narrower.
fn narrow_cidr(cidr: &str) -> bool {
    let (addr, len) = cidr.split_once('/').unwrap_or((cidr, ""));
    let v6 = addr.contains(':');
    let len = if len.is_empty() {
        if v6 { 128 } else { 32 }
    } else {
        match len.parse::<u8>() {
            Ok(n) => n,
            Err(_) => return false,
        }
    };
    if v6 { len >= 32 } else { len >= 8 }
}

fn names_everyone(st: &Value) -> bool {
    if st.get("NotPrincipal").is_some() {
        return true;
    }
    match st.get("Principal") {
        Some(Value::String(s)) => s == "*",
        Some(Value::Object(m)) => m.get("AWS").is_some_and(|v| values(v).contains(&"*")),
        _ => false,
    }
}

fn is_public_statement(st: &Value) -> bool {
    st.get("Effect").and_then(Value::as_str) == Some("Allow")
        && names_everyone(st)
        && !restricts(st.get("Condition"))
}

/// Whether a bucket policy is public as AWS defines it: an Allow naming everyone without a
/// condition that fixes the principal, its account or organization, the source, or a
/// narrow IP range.
pub fn is_public_policy(text: &str) -> bool {
    serde_json::from_str::<Value>(text)
        .map(|doc| statements(&doc).iter().any(is_public_statement))
        .unwrap_or(false)
}

/// Whether a bucket is public: its policy, or (with ACLs in effect) its ACL.
pub fn is_public_bucket(bucket: &Bucket) -> bool {
    let pab = bucket.public_access_block.unwrap_or_default();
    let policy_public = bucket.policy.as_deref().is_some_and(is_public_policy);
    let acl_public = bucket.ownership != ObjectOwnership::BucketOwnerEnforced
        && !pab.ignore_public_acls
        && is_public_acl(&grants(bucket.acl.as_deref(), &bucket.owner));
    policy_public || acl_public
}

impl Engine {
    /// The account a canonical id stands for.
    pub(crate) fn account_of_canonical(
        &self,
        tx: &dyn ReadTx,
        id: &str,
    ) -> Result<Option<AccountId>, S3Error> {
        Ok(tx
            .list_accounts()?
            .into_iter()
            .map(|a| a.id)
            .find(|a| super::canonical_id(a) == id))
    }

    /// The one S3 decision: identity policies and the bucket's resource side (bucket policy,
    /// ACL grants, public access block), with `object` for object-level requests.
    #[allow(
        clippy::too_many_arguments,
        reason = "one value per part of the request"
    )]
    pub(crate) fn s3_decide(
        &self,
        tx: &dyn ReadTx,
        id: Option<&Identity>,
        action: &str,
        resource: &str,
        bucket: Option<&Bucket>,
        object: Option<&ObjectVersion>,
        ctx: &RequestContext,
    ) -> Result<(), S3Error> {
        let anonymous;
        let caller = match (id, bucket) {
            (Some(id), _) => id,
            (None, Some(b)) => {
                anonymous = Identity::anonymous(b.owner.clone());
                &anonymous
            }
            (None, None) => return Err(S3Error::access_denied()),
        };
        let resource_policy = match bucket {
            Some(b) => {
                let text = self.resource_document(tx, b, object, id)?;
                text.and_then(|t| {
                    self.policies
                        .get(PolicyKind::Resource, &format!("{}#policy", b.name), &t)
                })
            }
            None => None,
        };
        let account = bucket.map_or(caller.account.as_str(), |b| b.owner.as_str());
        let check = Check {
            action,
            resource,
            resource_account: account,
            resource_policy,
        };
        let d = self.decide_check(tx, caller, &check, ctx)?;
        if d.decision == Decision::Allow {
            return Ok(());
        }
        // S3 gives the reason only to callers of the resource owner's own account.
        if id.is_some() && caller.account.as_str() == account {
            return Err(S3Error::new(
                "AccessDenied",
                403,
                denial_text(
                    &caller.arn(),
                    action,
                    resource,
                    d.decision,
                    d.denied_by,
                    true,
                ),
            ));
        }
        Err(S3Error::access_denied())
    }

    /// The bucket policy as stored when nothing else applies, or a document joining its
    /// statements with those standing for ACL grants.
    pub(crate) fn resource_document(
        &self,
        tx: &dyn ReadTx,
        bucket: &Bucket,
        object: Option<&ObjectVersion>,
        id: Option<&Identity>,
    ) -> Result<Option<String>, S3Error> {
        let pab = bucket.public_access_block.unwrap_or_default();
        let in_account = id.is_some_and(|i| i.account == bucket.owner);
        let restricted = pab.restrict_public_buckets
            && !in_account
            && bucket.policy.as_deref().is_some_and(is_public_policy);
        let acls = bucket.ownership != ObjectOwnership::BucketOwnerEnforced;
        if !acls && !restricted {
            return Ok(bucket.policy.clone());
        }
        let doc: Option<Value> = bucket
            .policy
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok());
        let mut all: Vec<Value> = doc.as_ref().map(statements).unwrap_or_default();
        if restricted {
            all.retain(|st| st.get("Effect").and_then(Value::as_str) == Some("Deny"));
        }
        if acls && !restricted {
            let mut add = |grants: Vec<Grant>, object: bool| -> Result<(), S3Error> {
                for g in grants {
                    let acts = actions(&g.permission, object);
                    if acts.is_empty() {
                        continue;
                    }
                    let (principal, condition) = match &g.grantee {
                        Grantee::CanonicalUser(c) => {
                            let Some(account) = self.account_of_canonical(tx, c)? else {
                                continue;
                            };
                            (json!({"AWS": format!("arn:aws:iam::{account}:root")}), None)
                        }
                        Grantee::Group(_) if pab.ignore_public_acls => continue,
                        Grantee::Group(u) if u == ALL_USERS => (json!("*"), None),
                        Grantee::Group(u) if u == AUTHENTICATED_USERS => (
                            json!("*"),
                            Some(json!({"StringNotEquals": {"aws:PrincipalType": "Anonymous"}})),
                        ),
                        Grantee::Group(_) => continue,
                    };
                    let st = match condition {
                        Some(c) => json!({"Effect": "Allow", "Principal": principal,
                            "Action": acts, "Resource": "*", "Condition": c}),
                        None => json!({"Effect": "Allow", "Principal": principal,
                            "Action": acts, "Resource": "*"}),
                    };
                    all.push(st);
                }
                Ok(())
            };
            add(grants(bucket.acl.as_deref(), &bucket.owner), false)?;
            if let Some(o) = object {
                add(grants(o.acl.as_deref(), &o.owner), true)?;
            }
        }
        if all.is_empty() {
            return Ok(None);
        }
        let version = doc
            .as_ref()
            .and_then(|d| d.get("Version").cloned())
            .unwrap_or_else(|| json!("2012-10-17"));
        Ok(Some(
            json!({"Version": version, "Statement": all}).to_string(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_policies_as_aws_defines_them() {
        let p = |st: &str| format!(r#"{{"Version":"2012-10-17","Statement":[{st}]}}"#);
        assert!(is_public_policy(&p(
            r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#
        )));
        assert!(is_public_policy(&p(
            r#"{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":"s3:*","Resource":"*"}"#
        )));
        assert!(!is_public_policy(&p(
            r#"{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}"#
        )));
        assert!(!is_public_policy(&p(
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"s3:*","Resource":"*"}"#
        )));
        assert!(!is_public_policy(&p(
            r#"{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"111111111111"}}}"#
        )));
        assert!(is_public_policy(&p(
            r#"{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"}}}"#
        )));
        assert!(!is_public_policy(&p(
            r#"{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}"#
        )));
        assert!(is_public_policy(&p(
            r#"{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}}"#
        )));
        assert!(is_public_policy(&p(
            r#"{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalAccount":"111111111111"}}}"#
        )));
    }

    #[test]
    fn canned_acls() {
        let a: AccountId = "111111111111".parse().unwrap();
        let b: AccountId = "222222222222".parse().unwrap();
        assert_eq!(canned("private", &a, &a, false).unwrap().len(), 1);
        let pr = canned("public-read", &a, &a, true).unwrap();
        assert!(is_public_acl(&pr));
        assert_eq!(
            canned("bucket-owner-full-control", &a, &b, true)
                .unwrap()
                .len(),
            2
        );
        assert!(canned("nope", &a, &a, true).is_none());
    }
}
