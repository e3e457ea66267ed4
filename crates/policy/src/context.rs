//! The request as the policy language sees it: who calls, and the condition keys.
//!
//! Condition key names are case-insensitive, so keys are stored lower-cased.
//! See <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html>.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

/// A key's name, lower-cased; the names AWS defines are borrowed, not copied.
type KeyName = Cow<'static, str>;

/// The value of one condition key: single-valued or multi-valued (`aws:TagKeys`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextValue {
    /// A single value.
    Single(String),
    /// A set of values; may be empty.
    Multi(Vec<String>),
}

/// The condition keys of one request.
///
/// Every request builds one, so it is made cheap: the names of AWS's own keys are static and
/// stored lower-cased without a copy, and the map hashes with foldhash (the keys come from the
/// server and from policies the caller may write, but a map of a few dozen entries built per
/// request gives hash flooding nothing to work with). The keys every request of one caller
/// carries can be built once and shared ([`SharedKeys`]): a request's own keys then sit
/// above them ([`Context::over`]).
#[derive(Debug, Clone, Default)]
pub struct Context {
    keys: KeyMap,
    /// Keys shared with other requests, beneath `keys` (a key in both is `keys`').
    base: Option<SharedKeys>,
}

type KeyMap = HashMap<KeyName, ContextValue, foldhash::fast::RandomState>;

/// Condition keys shared by many requests, such as a caller's, to build contexts over.
#[derive(Debug, Clone, Default)]
pub struct SharedKeys(Arc<Shared>);

#[derive(Debug, Default)]
struct Shared {
    map: KeyMap,
    /// The names in order, for [`Context::sorted`]: sorted once, not on every request.
    names: Vec<KeyName>,
}

/// `key` lower-cased, borrowed when it already is.
fn key_name(key: &'static str) -> KeyName {
    if key.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(key.to_ascii_lowercase())
    } else {
        Cow::Borrowed(key)
    }
}

impl Context {
    /// An empty context, with room for a request's usual keys (about twenty: the caller's,
    /// the request's, the service's), so that building one does not grow its map.
    pub fn new() -> Self {
        Self::with_room(32)
    }

    fn with_room(capacity: usize) -> Self {
        Self {
            keys: HashMap::with_capacity_and_hasher(
                capacity,
                foldhash::fast::RandomState::default(),
            ),
            base: None,
        }
    }

    /// A context holding `base`'s keys, with room for about a dozen of its own on top.
    pub fn over(base: SharedKeys) -> Self {
        Self {
            base: Some(base),
            ..Self::with_room(16)
        }
    }

    /// These keys, to be shared by the contexts built [`over`](Self::over) them.
    pub fn into_shared(mut self) -> SharedKeys {
        self.flatten();
        let mut names: Vec<KeyName> = self.keys.keys().cloned().collect();
        names.sort_unstable();
        SharedKeys(Arc::new(Shared {
            map: self.keys,
            names,
        }))
    }

    /// Copies the shared keys up into this context's own.
    fn flatten(&mut self) {
        if let Some(base) = self.base.take() {
            for (k, v) in base.0.map.iter() {
                if !self.keys.contains_key(k) {
                    self.keys.insert(k.clone(), v.clone());
                }
            }
        }
    }

    /// The keys AWS derives from the caller (see [`Caller::context`]).
    pub fn for_caller(caller: &Caller) -> Self {
        caller.context()
    }

    /// Sets a single-valued key.
    pub fn insert(&mut self, key: &str, value: impl Into<String>) {
        self.keys.insert(
            Cow::Owned(key.to_ascii_lowercase()),
            ContextValue::Single(value.into()),
        );
    }

    /// Sets a single-valued key whose name is a constant, such as `aws:SourceIp`: written
    /// in lower case, its name is not copied.
    pub fn insert_static(&mut self, key: &'static str, value: impl Into<String>) {
        self.keys
            .insert(key_name(key), ContextValue::Single(value.into()));
    }

    /// Sets a multi-valued key.
    pub fn insert_multi(&mut self, key: &str, values: Vec<String>) {
        self.keys.insert(
            Cow::Owned(key.to_ascii_lowercase()),
            ContextValue::Multi(values),
        );
    }

    /// Removes a key.
    pub fn remove(&mut self, key: &str) {
        // A shared key cannot be removed from the others' view: this context leaves them.
        self.flatten();
        self.keys.remove(key.to_ascii_lowercase().as_str());
    }

    /// Looks a key up, case-insensitively.
    pub fn get(&self, key: &str) -> Option<&ContextValue> {
        if key.bytes().any(|b| b.is_ascii_uppercase()) {
            self.get_lower(key.to_ascii_lowercase().as_str())
        } else {
            self.get_lower(key)
        }
    }

    /// Looks up an already lower-cased key.
    pub(crate) fn get_lower(&self, key: &str) -> Option<&ContextValue> {
        self.keys
            .get(key)
            .or_else(|| self.base.as_ref().and_then(|b| b.0.map.get(key)))
    }

    /// The value of an already lower-cased single-valued key.
    pub(crate) fn single_lower(&self, key: &str) -> Option<&str> {
        match self.get_lower(key) {
            Some(ContextValue::Single(v)) => Some(v),
            _ => None,
        }
    }

    /// Every key and value, keys lower-cased.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ContextValue)> {
        let shared = self
            .base
            .iter()
            .flat_map(|b| b.0.map.iter())
            .filter(|(k, _)| !self.keys.contains_key(*k));
        self.keys.iter().chain(shared).map(|(k, v)| (k.as_ref(), v))
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.base.as_ref().is_none_or(|b| b.0.map.is_empty())
    }

    /// Every key and value, keys lower-cased, in order of the keys: the request's own
    /// sorted and merged with the shared ones, which are sorted already.
    pub fn sorted(&self) -> Vec<(&str, &ContextValue)> {
        let mut own: Vec<(&str, &ContextValue)> =
            self.keys.iter().map(|(k, v)| (k.as_ref(), v)).collect();
        own.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let Some(base) = &self.base else {
            return own;
        };
        let mut out = Vec::with_capacity(own.len() + base.0.names.len());
        let mut own = own.into_iter().peekable();
        for name in &base.0.names {
            let name = name.as_ref();
            while let Some(next) = own.next_if(|(k, _)| *k < name) {
                out.push(next);
            }
            if own.peek().is_some_and(|(k, _)| *k == name) {
                continue;
            }
            if let Some(value) = base.0.map.get(name) {
                out.push((name, value));
            }
        }
        out.extend(own);
        out
    }
}

/// Equal when they hold the same keys and values, however they are layered.
impl PartialEq for Context {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get_lower(k) == Some(v))
    }
}

impl Eq for Context {}

/// Who makes the request: a typed principal of one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The account root user.
    Root {
        /// The account.
        account: String,
    },
    /// An IAM user (also a user calling with GetSessionToken credentials).
    User {
        /// `arn:aws:iam::A:user/path/name`.
        arn: String,
        /// The user's unique id (`AIDA...`).
        id: String,
    },
    /// A session of an assumed role.
    RoleSession {
        /// `arn:aws:sts::A:assumed-role/name/session`.
        arn: String,
        /// `arn:aws:iam::A:role/path/name`.
        role_arn: String,
        /// The role's unique id (`AROA...`).
        role_id: String,
    },
    /// A GetFederationToken session.
    FederatedUser {
        /// `arn:aws:sts::A:federated-user/name`.
        arn: String,
        /// The IAM user that created the session.
        user_arn: String,
    },
    /// An AWS service principal such as `s3.amazonaws.com`.
    Service {
        /// The service principal name.
        name: String,
    },
    /// A web identity or SAML caller of `AssumeRoleWithWebIdentity` / `AssumeRoleWithSAML`.
    WebIdentity {
        /// The provider: an OIDC/SAML provider ARN or a name such as `cognito-identity.amazonaws.com`.
        provider: String,
    },
    /// An unsigned request.
    Anonymous,
}

/// The caller of a request: its principal plus the facts policies can test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The principal.
    pub principal: Principal,
    /// Principal tags (`aws:PrincipalTag/*`).
    pub tags: Vec<(String, String)>,
    /// The S3 canonical user id of the caller's account, when known.
    pub canonical_id: Option<String>,
}

impl Caller {
    /// A caller with no tags.
    pub fn new(principal: Principal) -> Self {
        Self {
            principal,
            tags: Vec::new(),
            canonical_id: None,
        }
    }

    /// The caller's account, if it has one.
    pub fn account(&self) -> Option<&str> {
        match &self.principal {
            Principal::Root { account } => Some(account),
            Principal::User { arn, .. }
            | Principal::RoleSession { arn, .. }
            | Principal::FederatedUser { arn, .. } => arn_account(arn),
            Principal::Service { .. } | Principal::WebIdentity { .. } | Principal::Anonymous => {
                None
            }
        }
    }

    /// The caller's ARN as GetCallerIdentity reports it.
    pub fn arn(&self) -> Option<String> {
        match &self.principal {
            Principal::Root { account } => Some(format!("arn:aws:iam::{account}:root")),
            Principal::User { arn, .. }
            | Principal::RoleSession { arn, .. }
            | Principal::FederatedUser { arn, .. } => Some(arn.clone()),
            _ => None,
        }
    }

    /// The keys AWS derives from the caller: `aws:PrincipalArn`, `aws:PrincipalAccount`,
    /// `aws:PrincipalType`, `aws:userid`, `aws:username`, `aws:PrincipalTag/*`,
    /// `aws:PrincipalIsAWSService`.
    pub fn context(&self) -> Context {
        let mut c = Context::new();
        let account = self.account().unwrap_or("").to_owned();
        match &self.principal {
            Principal::Root { account } => {
                c.insert_static("aws:principalarn", format!("arn:aws:iam::{account}:root"));
                c.insert_static("aws:principaltype", "Account");
                c.insert_static("aws:userid", account.clone());
            }
            Principal::User { arn, id } => {
                c.insert_static("aws:principalarn", arn.clone());
                c.insert_static("aws:principaltype", "User");
                c.insert_static("aws:userid", id.clone());
                c.insert_static("aws:username", arn_last_segment(arn));
            }
            Principal::RoleSession {
                arn,
                role_arn,
                role_id,
            } => {
                c.insert_static("aws:principalarn", role_arn.clone());
                c.insert_static("aws:principaltype", "AssumedRole");
                c.insert_static("aws:userid", format!("{role_id}:{}", arn_last_segment(arn)));
            }
            Principal::FederatedUser { arn, .. } => {
                c.insert_static("aws:principalarn", arn.clone());
                c.insert_static("aws:principaltype", "FederatedUser");
                c.insert_static("aws:userid", format!("{account}:{}", arn_last_segment(arn)));
            }
            Principal::Service { name } => {
                c.insert_static("aws:principalservicename", name.clone());
                c.insert_static("aws:principalisawsservice", "true");
                return c;
            }
            Principal::WebIdentity { .. } => return c,
            Principal::Anonymous => {
                c.insert_static("aws:principaltype", "Anonymous");
                c.insert_static("aws:userid", "anonymous");
                c.insert_static("aws:principalaccount", "anonymous");
                return c;
            }
        }
        c.insert_static("aws:principalaccount", account);
        c.insert_static("aws:principalisawsservice", "false");
        for (k, v) in &self.tags {
            let mut name = String::with_capacity(17 + k.len());
            name.push_str("aws:principaltag/");
            name.extend(k.chars().map(|ch| ch.to_ascii_lowercase()));
            c.keys
                .insert(Cow::Owned(name), ContextValue::Single(v.clone()));
        }
        c
    }
}

/// The account field of an ARN (`arn:p:s:r:ACCOUNT:...`).
pub(crate) fn arn_account(arn: &str) -> Option<&str> {
    // The fifth colon-separated field, found by one pass over the few bytes before it: a
    // trust policy asks for the caller's account once per statement naming principals.
    let mut start = None;
    let mut colons = 0;
    for (i, b) in arn.bytes().enumerate() {
        if b == b':' {
            colons += 1;
            match colons {
                4 => start = Some(i + 1),
                5 => return arn.get(start?..i),
                _ => {}
            }
        }
    }
    arn.get(start?..)
}

fn arn_last_segment(arn: &str) -> String {
    arn.rsplit('/').next().unwrap_or(arn).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_arns_account_is_its_fifth_field() {
        for arn in [
            "arn:aws:iam::123456789012:user/a:b",
            "arn:aws:sts::345345345345:assumed-role/r/s",
            "arn:aws:s3:::bucket/key",
            "arn:aws:iam::123456789012",
            "arn:aws:iam::",
            "arn:aws:iam:",
            "a:b:c:d:e:f:g",
            "::::::",
            "",
            "no colons",
            "arn:aws:iam::é:user/x",
        ] {
            assert_eq!(arn_account(arn), arn.split(':').nth(4), "{arn}");
        }
    }

    #[test]
    fn derives_principal_keys() {
        let caller = Caller {
            principal: Principal::RoleSession {
                arn: "arn:aws:sts::345345345345:assumed-role/accounta/s1".into(),
                role_arn: "arn:aws:iam::345345345345:role/p/accounta".into(),
                role_id: "AROAEXAMPLE".into(),
            },
            tags: vec![("Team".into(), "blue".into())],
            canonical_id: None,
        };
        let c = caller.context();
        assert_eq!(caller.account(), Some("345345345345"));
        let single = |k: &str| match c.get(k) {
            Some(ContextValue::Single(v)) => v.clone(),
            other => panic!("{k}: {other:?}"),
        };
        assert_eq!(
            single("aws:PrincipalArn"),
            "arn:aws:iam::345345345345:role/p/accounta"
        );
        assert_eq!(single("AWS:userid"), "AROAEXAMPLE:s1");
        assert_eq!(single("aws:principaltag/team"), "blue");
        assert_eq!(single("aws:PrincipalAccount"), "345345345345");
        assert!(c.get("aws:username").is_none());
    }

    #[test]
    fn sorted_keys_merge_own_and_shared_in_order() {
        let mut shared = Context::new();
        for k in ["aws:b", "aws:d", "aws:f", "aws:h"] {
            shared.insert_static(k, "shared");
        }
        let shared = shared.into_shared();
        let mut own = Context::over(shared.clone());
        // Before, between and after the shared names, and over two of them.
        for k in ["aws:a", "aws:c", "aws:d", "aws:h", "aws:z"] {
            own.insert_static(k, "own");
        }
        let mut want: Vec<(&str, &ContextValue)> = own.iter().collect();
        want.sort_unstable_by(|a, b| a.0.cmp(b.0));
        assert_eq!(own.sorted(), want);
        let names: Vec<&str> = own.sorted().iter().map(|(k, _)| *k).collect();
        assert_eq!(
            names,
            [
                "aws:a", "aws:b", "aws:c", "aws:d", "aws:f", "aws:h", "aws:z"
            ]
        );
        assert_eq!(own.single_lower("aws:d"), Some("own"));
        assert!(
            own.sorted()
                .iter()
                .all(|(k, v)| own.get_lower(k) == Some(*v))
        );
        // Nothing of its own, or no shared keys at all.
        let bare = Context::over(shared);
        assert_eq!(bare.sorted().len(), 4);
        let mut flat = Context::new();
        flat.insert_static("aws:y", "1");
        flat.insert_static("aws:x", "2");
        let names: Vec<&str> = flat.sorted().iter().map(|(k, _)| *k).collect();
        assert_eq!(names, ["aws:x", "aws:y"]);
    }

    #[test]
    fn a_context_over_shared_keys_reads_as_one() {
        let mut shared = Context::new();
        shared.insert_static("aws:userid", "AIDAEXAMPLE");
        shared.insert_static("aws:principaltype", "User");
        let shared = shared.into_shared();

        let mut own = Context::over(shared.clone());
        own.insert_static("aws:sourceip", "10.0.0.1");
        own.insert_static("aws:principaltype", "AssumedRole");
        let single = |c: &Context, k: &str| match c.get(k) {
            Some(ContextValue::Single(v)) => Some(v.clone()),
            _ => None,
        };
        assert_eq!(single(&own, "aws:UserId").as_deref(), Some("AIDAEXAMPLE"));
        assert_eq!(
            single(&own, "aws:PrincipalType").as_deref(),
            Some("AssumedRole")
        );
        let mut keys: Vec<&str> = own.iter().map(|(k, _)| k).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["aws:principaltype", "aws:sourceip", "aws:userid"]);

        let mut flat = Context::new();
        flat.insert_static("aws:userid", "AIDAEXAMPLE");
        flat.insert_static("aws:principaltype", "AssumedRole");
        flat.insert_static("aws:sourceip", "10.0.0.1");
        assert_eq!(own, flat);

        // Removing a shared key hides it here and nowhere else.
        own.remove("aws:userid");
        assert!(own.get("aws:userid").is_none());
        assert_eq!(own.len(), 2);
        assert_eq!(
            single(&Context::over(shared), "aws:userid").as_deref(),
            Some("AIDAEXAMPLE")
        );
    }
}
