//! Scenario files: the accounts, users, roles, policies and buckets a server starts with,
//! declared in one TOML file and validated whole before anything is applied.
//!
//! Every problem is reported with the line it is on. The built-in scenario reproduces the
//! how-to this project comes from: a user in account A assumes role `accounta` in account B
//! and reaches B's bucket.

use roleplay_policy::{ParseOptions, Policy, PolicyKind};
use roleplay_types::{AccountId, account_of_access_key_id};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use toml::Spanned;

/// The scenario `roleplay serve` starts with when given none (also `examples/cross-account-s3.toml`).
pub const BUILT_IN: &str = include_str!("../../../examples/cross-account-s3.toml");

/// A problem in a scenario file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ScenarioError {
    /// 1-based line of the problem.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// A validated scenario.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// The accounts.
    #[serde(default)]
    pub accounts: Vec<Account>,
}

/// One account and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// The 12-digit account id.
    pub id: Spanned<String>,
    /// The account alias.
    pub alias: Option<String>,
    /// The account's e-mail address (S3 grants by e-mail).
    pub email: Option<String>,
    /// The root user's access key id.
    pub root_access_key_id: Option<Spanned<String>>,
    /// The root user's secret access key.
    pub root_secret_access_key: Option<String>,
    /// Customer managed policies.
    #[serde(default)]
    pub policies: Vec<ManagedPolicy>,
    /// IAM users.
    #[serde(default)]
    pub users: Vec<User>,
    /// IAM roles.
    #[serde(default)]
    pub roles: Vec<Role>,
    /// S3 buckets.
    #[serde(default)]
    pub buckets: Vec<Bucket>,
}

/// A customer managed policy.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManagedPolicy {
    /// The policy name.
    pub name: Spanned<String>,
    /// The IAM path, `/` by default.
    #[serde(default = "root_path")]
    pub path: String,
    /// The policy document (JSON text).
    pub document: Spanned<String>,
    /// A description.
    pub description: Option<String>,
}

/// An inline policy.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InlinePolicy {
    /// The policy name.
    pub name: Spanned<String>,
    /// The policy document (JSON text).
    pub document: Spanned<String>,
}

/// An access key given in the scenario.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessKey {
    /// The access key id (`AKIA...`).
    pub id: Spanned<String>,
    /// The secret access key.
    pub secret: String,
}

/// An IAM user.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    /// The user name.
    pub name: Spanned<String>,
    /// The IAM path, `/` by default.
    #[serde(default = "root_path")]
    pub path: String,
    /// Access keys.
    #[serde(default)]
    pub access_keys: Vec<AccessKey>,
    /// Inline policies.
    #[serde(default)]
    pub inline_policies: Vec<InlinePolicy>,
    /// Attached managed policy ARNs.
    #[serde(default)]
    pub managed_policies: Vec<Spanned<String>>,
    /// Tags.
    #[serde(default)]
    pub tags: HashMap<String, String>,
}

/// An IAM role.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    /// The role name.
    pub name: Spanned<String>,
    /// The IAM path, `/` by default.
    #[serde(default = "root_path")]
    pub path: String,
    /// The trust policy (JSON text).
    pub trust_policy: Spanned<String>,
    /// Maximum session duration in seconds (3600 to 43200).
    #[serde(default = "default_max_session")]
    pub max_session_duration: Spanned<i64>,
    /// A description.
    pub description: Option<String>,
    /// Inline policies.
    #[serde(default)]
    pub inline_policies: Vec<InlinePolicy>,
    /// Attached managed policy ARNs.
    #[serde(default)]
    pub managed_policies: Vec<Spanned<String>>,
    /// Tags.
    #[serde(default)]
    pub tags: HashMap<String, String>,
}

/// An S3 bucket.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bucket {
    /// The bucket name.
    pub name: Spanned<String>,
    /// The bucket policy (JSON text).
    pub policy: Option<Spanned<String>>,
    /// Objects the bucket starts with.
    #[serde(default)]
    pub objects: Vec<SeedObject>,
}

/// An object a scenario puts in a bucket.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedObject {
    /// The key.
    pub key: Spanned<String>,
    /// The body, as text.
    pub content: String,
    /// The content type.
    pub content_type: Option<String>,
}

fn root_path() -> String {
    "/".into()
}

fn default_max_session() -> Spanned<i64> {
    Spanned::new(0..0, 3600)
}

struct Checker<'t> {
    text: &'t str,
    errors: Vec<ScenarioError>,
}

impl Checker<'_> {
    fn line(&self, offset: usize) -> usize {
        let upto = self.text.get(..offset).unwrap_or(self.text);
        upto.bytes().filter(|b| *b == b'\n').count() + 1
    }

    fn fail<T>(&mut self, at: &Spanned<T>, message: impl Into<String>) {
        self.errors.push(ScenarioError {
            line: self.line(at.span().start),
            message: message.into(),
        });
    }

    fn policy(
        &mut self,
        doc: &Spanned<String>,
        kind: PolicyKind,
        options: ParseOptions,
        what: &str,
    ) {
        if let Err(e) = Policy::parse_with(doc.get_ref(), kind, options) {
            let detail = e.first().map(ToString::to_string).unwrap_or_default();
            self.fail(doc, format!("{what}: {} ({detail})", e.aws_message()));
        }
    }

    fn name(&mut self, name: &Spanned<String>, what: &str, max: usize, seen: &mut HashSet<String>) {
        let n = name.get_ref();
        let valid = !n.is_empty()
            && n.len() <= max
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
        if !valid {
            self.fail(name, format!("{what} name `{n}` is not valid"));
        }
        if !seen.insert(n.to_ascii_lowercase()) {
            self.fail(
                name,
                format!("{what} `{n}` is declared twice (names ignore case)"),
            );
        }
    }
}

impl Checker<'_> {
    /// The inline policies and managed policy attachments of a user or role.
    fn attached(
        &mut self,
        inline: &[InlinePolicy],
        managed: &[Spanned<String>],
        account: &str,
        attachable: &dyn Fn(&str) -> bool,
    ) {
        let mut names = HashSet::new();
        for p in inline {
            self.name(&p.name, "inline policy", 128, &mut names);
            self.policy(
                &p.document,
                PolicyKind::Identity,
                ParseOptions::default(),
                "inline policy",
            );
        }
        for arn in managed {
            if !attachable(arn.get_ref()) {
                self.fail(
                    arn,
                    format!(
                        "policy `{}` does not exist in account {account}",
                        arn.get_ref()
                    ),
                );
            }
        }
    }
}

impl Scenario {
    /// Parses and validates a scenario; nothing is returned unless all of it is valid.
    pub fn parse(text: &str) -> Result<Scenario, Vec<ScenarioError>> {
        let scenario: Scenario = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text.get(..s.start).unwrap_or(text).matches('\n').count() + 1)
                .unwrap_or(1);
            vec![ScenarioError {
                line,
                message: e.message().to_owned(),
            }]
        })?;
        let mut c = Checker {
            text,
            errors: Vec::new(),
        };
        scenario.check(&mut c);
        if c.errors.is_empty() {
            Ok(scenario)
        } else {
            Err(c.errors)
        }
    }

    fn check(&self, c: &mut Checker<'_>) {
        let mut account_ids = HashSet::new();
        let mut key_ids = HashSet::new();
        let mut buckets = HashSet::new();
        let managed = ParseOptions {
            require_current_version: true,
        };
        for a in &self.accounts {
            let id = a.id.get_ref();
            if !AccountId::is_valid(id) {
                c.fail(&a.id, format!("account id `{id}` is not 12 digits"));
            }
            if !account_ids.insert(id.clone()) {
                c.fail(&a.id, format!("account `{id}` is declared twice"));
            }
            let mut keys: Vec<(&Spanned<String>, Option<&String>)> = Vec::new();
            match (&a.root_access_key_id, &a.root_secret_access_key) {
                (Some(k), s) => keys.push((k, s.as_ref())),
                (None, Some(_)) => {
                    c.fail(&a.id, "root_secret_access_key without root_access_key_id")
                }
                (None, None) => {}
            }
            let mut policy_names = HashSet::new();
            for p in &a.policies {
                c.name(&p.name, "policy", 128, &mut policy_names);
                c.policy(
                    &p.document,
                    PolicyKind::Identity,
                    managed,
                    "policy document",
                );
            }
            let attachable = |arn: &str| {
                crate::aws_managed::find(arn).is_some()
                    || a.policies.iter().any(|p| {
                        let path = p.path.trim_start_matches('/');
                        arn == format!("arn:aws:iam::{id}:policy/{path}{}", p.name.get_ref())
                    })
            };
            let mut user_names = HashSet::new();
            for u in &a.users {
                c.name(&u.name, "user", 64, &mut user_names);
                for k in &u.access_keys {
                    keys.push((&k.id, Some(&k.secret)));
                }
                c.attached(&u.inline_policies, &u.managed_policies, id, &attachable);
            }
            let mut role_names = HashSet::new();
            for r in &a.roles {
                c.name(&r.name, "role", 64, &mut role_names);
                c.policy(
                    &r.trust_policy,
                    PolicyKind::Trust,
                    ParseOptions::default(),
                    "trust policy",
                );
                let d = *r.max_session_duration.get_ref();
                if !(3600..=43200).contains(&d) {
                    c.fail(
                        &r.max_session_duration,
                        format!("max_session_duration {d} is outside 3600..=43200"),
                    );
                }
                c.attached(&r.inline_policies, &r.managed_policies, id, &attachable);
            }
            for b in &a.buckets {
                let n = b.name.get_ref();
                if !valid_bucket_name(n) {
                    c.fail(&b.name, format!("bucket name `{n}` is not valid"));
                }
                if !buckets.insert(n.clone()) {
                    c.fail(
                        &b.name,
                        format!("bucket `{n}` is declared twice (bucket names are global)"),
                    );
                }
                if let Some(p) = &b.policy {
                    c.policy(
                        p,
                        PolicyKind::Resource,
                        ParseOptions::default(),
                        "bucket policy",
                    );
                }
            }
            for (key, secret) in keys {
                let k = key.get_ref();
                let well_formed = k.len() == 20
                    && k.starts_with("AKIA")
                    && k.bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
                if !well_formed {
                    c.fail(
                        key,
                        format!("access key id `{k}` is not of the form AKIA + 16 characters"),
                    );
                } else if let Some(encoded) = account_of_access_key_id(k)
                    && format!("{encoded:012}") != *id
                {
                    c.fail(
                        key,
                        format!("access key id `{k}` encodes account {encoded:012}, not {id}"),
                    );
                }
                if !key_ids.insert(k.clone()) {
                    c.fail(key, format!("access key id `{k}` is used twice"));
                }
                match secret {
                    Some(s) if s.len() == 40 => {}
                    _ => c.fail(key, format!("the secret of `{k}` must be 40 characters")),
                }
            }
        }
    }
}

/// S3's bucket naming rules (general purpose buckets).
pub fn valid_bucket_name(n: &str) -> bool {
    let ok_chars = n
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    let edges = n.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && n.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric());
    let ip_like = n.split('.').count() == 4 && n.split('.').all(|p| p.parse::<u8>().is_ok());
    (3..=63).contains(&n.len())
        && ok_chars
        && edges
        && !n.contains("..")
        && !ip_like
        && !n.starts_with("xn--")
        && !n.ends_with("-s3alias")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_scenario_is_valid() {
        let s = Scenario::parse(BUILT_IN).unwrap();
        assert_eq!(s.accounts.len(), 2);
        let b = &s.accounts[1];
        assert_eq!(b.roles[0].name.get_ref(), "accounta");
    }

    #[test]
    fn errors_name_the_line() {
        let text = "[[accounts]]\nid = \"1234\"\n\n[[accounts.users]]\nname = \"bad name\"\n";
        let errors = Scenario::parse(text).unwrap_err();
        assert_eq!(errors[0].line, 2, "{errors:?}");
        assert!(errors[0].message.contains("12 digits"));
        assert_eq!(errors[1].line, 5, "{errors:?}");
        let errors = Scenario::parse("[[accounts]]\nid = \"111111111111\"\nfoo = 1\n").unwrap_err();
        assert_eq!(errors[0].line, 3, "{errors:?}");
    }

    #[test]
    fn refuses_bad_policies_and_dangling_references() {
        let text = r#"
[[accounts]]
id = "111111111111"

[[accounts.roles]]
name = "r"
trust_policy = '{"Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*","Principal":"*"}}'
managed_policies = ["arn:aws:iam::111111111111:policy/missing"]
"#;
        let errors = Scenario::parse(text).unwrap_err();
        assert!(
            errors[0].message.contains("Has prohibited field Resource."),
            "{errors:?}"
        );
        assert_eq!(errors[0].line, 7);
        assert!(errors[1].message.contains("does not exist"), "{errors:?}");
        assert_eq!(errors[1].line, 8);
    }

    #[test]
    fn bucket_names() {
        assert!(valid_bucket_name("bucket-b"));
        assert!(!valid_bucket_name("Bucket"));
        assert!(!valid_bucket_name("ab"));
        assert!(!valid_bucket_name("192.168.1.1"));
        assert!(!valid_bucket_name("a..b"));
    }
}
