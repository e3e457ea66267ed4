//! Why a policy document is invalid, where, and the text AWS answers with.

use crate::document::PolicyKind;
use std::fmt;

/// One problem in a policy document, with its location (`Statement[1].Condition`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// JSON location of the problem, e.g. `Statement[0].Principal.AWS`.
    pub location: String,
    /// What is wrong.
    pub kind: ErrorKind,
}

/// What is wrong with a policy document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The text is not JSON (or nests too deeply, or repeats a member name).
    #[error("not valid JSON: {0}")]
    NotJson(String),
    /// A member has the wrong JSON type.
    #[error("expected {expected}, found {found}")]
    WrongType {
        /// What the grammar allows.
        expected: &'static str,
        /// The JSON type found.
        found: &'static str,
    },
    /// An element the grammar does not know.
    #[error("unknown element `{0}`")]
    UnknownElement(String),
    /// `Version` other than `2012-10-17` or `2008-10-17`.
    #[error("unknown version `{0}`")]
    UnknownVersion(String),
    /// Managed policies need `Version: 2012-10-17`.
    #[error("version 2012-10-17 is required")]
    VersionRequired,
    /// No `Statement`, or an empty list of statements.
    #[error("no statement")]
    MissingStatement,
    /// No `Effect`.
    #[error("missing `Effect`")]
    MissingEffect,
    /// `Effect` that is not `Allow` or `Deny` in any case.
    #[error("invalid effect `{0}`")]
    InvalidEffect(String),
    /// `Effect` that is `allow`/`deny` in another case.
    #[error("effect `{0}` must be written `Allow` or `Deny`")]
    EffectCase(String),
    /// Both an element and its `Not` form.
    #[error("both `{0}` and `Not{0}`")]
    Both(&'static str),
    /// No `Action` nor `NotAction`.
    #[error("missing `Action`")]
    MissingAction,
    /// No `Resource` nor `NotResource` where one is required.
    #[error("missing `Resource`")]
    MissingResource,
    /// `Principal`/`NotPrincipal` in a policy kind that forbids it.
    #[error("`{0}` is not allowed in this kind of policy")]
    PrincipalNotAllowed(&'static str),
    /// A field the policy kind forbids (`Resource` in a trust policy).
    #[error("prohibited field `{0}`")]
    ProhibitedField(&'static str),
    /// No `Principal` where one is required.
    #[error("missing `Principal`")]
    MissingPrincipal,
    /// A principal that is not valid.
    #[error("invalid principal {0}")]
    InvalidPrincipal(String),
    /// An action without a `vendor:` prefix.
    #[error("action `{0}` has no vendor prefix")]
    ActionWithoutVendor(String),
    /// An action with more than one colon.
    #[error("action `{0}` has more than one colon")]
    ActionColons(String),
    /// A vendor with characters outside `[A-Za-z0-9-.]`.
    #[error("vendor `{0}` is not valid")]
    InvalidVendor(String),
    /// A trust policy action that is not an STS action.
    #[error("trust policy action `{0}` is not an sts action")]
    TrustAction(String),
    /// A resource that is neither `*` nor an ARN.
    #[error("resource `{0}` is not an ARN")]
    ResourceNotArn(String),
    /// An ARN with `::` but fewer than five colons.
    #[error("resource `{0}` has too few ARN segments")]
    ResourceSegments(String),
    /// An unknown partition.
    #[error("partition `{partition}` of `{resource}` is not valid")]
    InvalidPartition {
        /// The partition.
        partition: String,
        /// The resource.
        resource: String,
    },
    /// A wildcard or empty value in the service segment.
    #[error("resource vendor of `{0}` must be fully qualified")]
    ResourceVendor(String),
    /// A region in an IAM or S3 resource.
    #[error("resource `{0}` cannot contain region information")]
    ResourceRegion(String),
    /// An IAM resource whose type is not known.
    #[error("iam resource `{0}` has an invalid resource type")]
    IamResourceType(String),
    /// An unknown condition operator.
    #[error("unknown condition operator `{0}`")]
    UnknownOperator(String),
    /// A date that does not parse.
    #[error("invalid date `{0}`")]
    InvalidDate(String),
    /// Two statements with one Sid.
    #[error("duplicate sid `{0}`")]
    DuplicateSid(String),
    /// A Sid with characters IAM refuses.
    #[error("sid `{0}` is not alphanumeric")]
    InvalidSid(String),
}

impl ErrorKind {
    /// AWS checks documents in phases and reports the first failing phase.
    fn phase(&self) -> u8 {
        use ErrorKind::*;
        match self {
            NotJson(_) => 0,
            WrongType { .. }
            | UnknownElement(_)
            | UnknownVersion(_)
            | MissingStatement
            | MissingEffect
            | InvalidEffect(_)
            | Both(_)
            | UnknownOperator(_) => 1,
            VersionRequired => 2,
            PrincipalNotAllowed(_) | ProhibitedField(_) | MissingPrincipal => 3,
            EffectCase(_) | InvalidDate(_) | ResourceSegments(_) => 4,
            InvalidSid(_) => 5,
            DuplicateSid(_) => 6,
            MissingAction => 7,
            MissingResource => 8,
            InvalidPrincipal(_) => 9,
            ResourceNotArn(_)
            | InvalidPartition { .. }
            | ResourceVendor(_)
            | ResourceRegion(_)
            | IamResourceType(_) => 10,
            ActionWithoutVendor(_) | ActionColons(_) | InvalidVendor(_) | TrustAction(_) => 11,
        }
    }

    /// The message IAM and STS return in `MalformedPolicyDocument`.
    pub fn iam_message(&self) -> String {
        use ErrorKind::*;
        match self {
            NotJson(_) => "This policy contains invalid Json".into(),
            WrongType { .. }
            | UnknownElement(_)
            | UnknownVersion(_)
            | MissingStatement
            | MissingEffect
            | InvalidEffect(_)
            | Both(_)
            | UnknownOperator(_) => "Syntax errors in policy.".into(),
            VersionRequired => "Policy document must be version 2012-10-17 or greater.".into(),
            PrincipalNotAllowed(_) => "Policy document should not specify a principal.".into(),
            ProhibitedField(f) => format!("Has prohibited field {f}."),
            MissingPrincipal => "The passed in policy has a statement with no principals!".into(),
            InvalidPrincipal(p) => format!("Invalid principal in policy: {p}"),
            EffectCase(_) | InvalidDate(_) | ResourceSegments(_) => {
                "The policy failed legacy parsing".into()
            }
            InvalidSid(_) => "Statement IDs (SID) must be alpha-numeric. Check that your input \
                              satisfies the regular expression [0-9A-Za-z]*"
                .into(),
            DuplicateSid(_) => "Statement IDs (SID) in a single policy must be unique.".into(),
            MissingAction => "Policy statement must contain actions.".into(),
            MissingResource => "Policy statement must contain resources.".into(),
            ResourceNotArn(r) => format!("Resource {r} must be in ARN format or \"*\"."),
            InvalidPartition {
                partition,
                resource,
            } => format!("Partition \"{partition}\" is not valid for resource \"{resource}\"."),
            ResourceVendor(_) => {
                "Resource vendor must be fully qualified and cannot contain regexes.".into()
            }
            ResourceRegion(r) if r.starts_with("arn:aws:s3:") => {
                format!("Resource {r} can not contain region information.")
            }
            ResourceRegion(r) => format!("IAM resource {r} cannot contain region information."),
            IamResourceType(_) => "IAM resource path must either be \"*\" or start with user/, \
                federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, \
                policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/."
                .into(),
            ActionWithoutVendor(_) => {
                "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.".into()
            }
            ActionColons(_) => "Actions/Condition can contain only one colon.".into(),
            InvalidVendor(v) => format!("Vendor {v} is not valid"),
            TrustAction(_) => "AssumeRole policy may only specify STS AssumeRole actions.".into(),
        }
    }

    /// The message S3 returns in `MalformedPolicy` for a bucket policy.
    pub fn s3_message(&self) -> String {
        use ErrorKind::*;
        match self {
            NotJson(_) => "Policies must be valid JSON and the first byte must be '{'".into(),
            MissingPrincipal => "Missing required field Principal".into(),
            InvalidPrincipal(_) => "Invalid principal in policy".into(),
            MissingResource => "Missing required field Resource".into(),
            MissingAction => "Missing required field Action".into(),
            MissingEffect => "Missing required field Effect".into(),
            ResourceNotArn(_)
            | InvalidPartition { .. }
            | ResourceVendor(_)
            | ResourceRegion(_)
            | ResourceSegments(_)
            | IamResourceType(_) => "Policy has invalid resource".into(),
            UnknownOperator(_) => "Policy has an invalid condition key".into(),
            UnknownVersion(_) | VersionRequired => "Invalid Version".into(),
            InvalidEffect(_) | EffectCase(_) => "Invalid effect".into(),
            UnknownElement(e) => format!("Unknown field {e}"),
            _ => "Invalid policy syntax.".into(),
        }
    }
}

/// Every problem found in one document; never empty. The first is the one AWS reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationErrors {
    kind: PolicyKind,
    errors: Vec<ValidationError>,
}

impl ValidationErrors {
    pub(crate) fn new(kind: PolicyKind, mut errors: Vec<ValidationError>) -> Self {
        // Stable: inside one phase, document order decides.
        errors.sort_by_key(|e| e.kind.phase());
        Self { kind, errors }
    }

    /// The error AWS reports.
    pub fn first(&self) -> Option<&ValidationError> {
        self.errors.first()
    }

    /// All errors, the reported one first.
    pub fn all(&self) -> &[ValidationError] {
        &self.errors
    }

    /// The `MalformedPolicyDocument` (IAM, STS) or `MalformedPolicy` (S3) message for the
    /// kind of policy that was parsed.
    pub fn aws_message(&self) -> String {
        let Some(first) = self.first() else {
            return "Syntax errors in policy.".into();
        };
        match self.kind {
            PolicyKind::Resource => first.kind.s3_message(),
            _ => first.kind.iam_message(),
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.location.is_empty() {
            write!(f, "{}", self.kind)
        } else {
            write!(f, "{}: {}", self.location, self.kind)
        }
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        for e in &self.errors {
            write!(f, "{sep}{e}")?;
            sep = "; ";
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}
