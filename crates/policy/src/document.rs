//! The compiled policy model: statements with their patterns prepared once, evaluated many times.
//!
//! Grammar: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html>.

use crate::arn_pattern::ArnPattern;
use crate::condition::Condition;
use crate::wildcard::Pattern;

/// Where a policy is attached, which decides its grammar and its place in evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// An identity-based policy (inline or managed) of a user, group or role.
    Identity,
    /// A resource-based policy such as a bucket policy (needs `Principal`).
    Resource,
    /// A role trust policy: the resource-based policy of a role for `sts:AssumeRole*`.
    Trust,
    /// A permissions boundary.
    PermissionsBoundary,
    /// A session policy passed to `AssumeRole*` or `GetFederationToken`.
    Session,
}

impl PolicyKind {
    /// How AWS names this kind in AccessDenied messages (`identity-based`, `resource-based`,
    /// `permissions boundary`, `session`, `role trust`).
    pub fn aws_name(self) -> &'static str {
        match self {
            PolicyKind::Identity => "identity-based",
            PolicyKind::Resource => "resource-based",
            PolicyKind::Trust => "role trust",
            PolicyKind::PermissionsBoundary => "permissions boundary",
            PolicyKind::Session => "session",
        }
    }

    /// Whether statements of this kind name a principal.
    pub fn has_principal(self) -> bool {
        matches!(self, PolicyKind::Resource | PolicyKind::Trust)
    }
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// `Allow`.
    Allow,
    /// `Deny`.
    Deny,
}

/// The policy language version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// `2012-10-17`: policy variables are substituted.
    V2012_10_17,
    /// `2008-10-17`: `${...}` is literal text.
    V2008_10_17,
    /// No `Version`: 2008 semantics.
    Absent,
}

impl Version {
    /// Whether policy variables are substituted.
    pub fn has_variables(self) -> bool {
        self == Version::V2012_10_17
    }
}

/// A parsed, validated and compiled policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub(crate) id: String,
    pub(crate) kind: PolicyKind,
    pub(crate) version: Version,
    pub(crate) document_id: Option<String>,
    pub(crate) statements: Vec<Statement>,
}

impl Policy {
    /// The caller-given name of this policy (a policy ARN, an inline policy name, ...), used
    /// in diagnostics. Empty unless set with [`Policy::with_id`].
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Names the policy for diagnostics.
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = id.into();
        self
    }

    /// The kind the policy was parsed as.
    pub fn kind(&self) -> PolicyKind {
        self.kind
    }

    /// The language version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The document's own `Id` element.
    pub fn document_id(&self) -> Option<&str> {
        self.document_id.as_deref()
    }

    /// The statements, in document order.
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }

    /// Every `AWS` principal the policy names (account ids, ARNs, unique ids), so the caller
    /// can check that they exist.
    pub fn aws_principals(&self) -> impl Iterator<Item = &str> {
        self.statements
            .iter()
            .filter_map(|s| s.principal.as_ref())
            .flat_map(|p| p.set().aws.iter().map(|a| a.text.as_str()))
    }
}

/// One statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub(crate) sid: Option<String>,
    pub(crate) effect: Effect,
    pub(crate) principal: Option<PrincipalBlock>,
    pub(crate) action: ActionBlock,
    pub(crate) resource: Option<ResourceBlock>,
    pub(crate) conditions: Vec<Condition>,
}

impl Statement {
    /// The `Sid`, if any.
    pub fn sid(&self) -> Option<&str> {
        self.sid.as_deref()
    }

    /// The effect.
    pub fn effect(&self) -> Effect {
        self.effect
    }
}

/// `Action` or `NotAction`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ActionBlock {
    pub(crate) negated: bool,
    pub(crate) patterns: Vec<Pattern>,
}

impl ActionBlock {
    pub(crate) fn matches(&self, action: &str) -> bool {
        self.patterns.iter().any(|p| p.matches(action, true)) != self.negated
    }
}

/// One entry of `Resource` / `NotResource`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ResourcePattern {
    /// `*`.
    Any,
    /// An ARN pattern.
    Arn(ArnPattern),
}

/// `Resource` or `NotResource`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ResourceBlock {
    pub(crate) negated: bool,
    pub(crate) patterns: Vec<ResourcePattern>,
}

/// `Principal` or `NotPrincipal`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PrincipalBlock {
    Principal(PrincipalSet),
    NotPrincipal(PrincipalSet),
}

impl PrincipalBlock {
    pub(crate) fn set(&self) -> &PrincipalSet {
        match self {
            PrincipalBlock::Principal(s) | PrincipalBlock::NotPrincipal(s) => s,
        }
    }
}

/// The principals one `Principal` element names.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct PrincipalSet {
    /// `"*"` or `{"AWS": "*"}`.
    pub(crate) any: bool,
    pub(crate) aws: Vec<AwsPrincipal>,
    pub(crate) service: Vec<String>,
    pub(crate) federated: Vec<String>,
    pub(crate) canonical: Vec<String>,
}

/// One `AWS` principal, classified once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AwsPrincipal {
    /// As written in the policy.
    pub(crate) text: String,
    pub(crate) form: AwsPrincipalForm,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AwsPrincipalForm {
    /// `123456789012` or `arn:aws:iam::123456789012:root`.
    Account(String),
    /// `arn:aws:iam::A:user/...`.
    User,
    /// `arn:aws:iam::A:role/...`.
    Role,
    /// `arn:aws:sts::A:assumed-role/R/S`.
    Session,
    /// `arn:aws:sts::A:federated-user/N`.
    FederatedUser,
    /// `AIDA...`, `AROA...`: a principal saved by unique id.
    UniqueId,
}
