//! Why a query-protocol request could not be decoded, with the AWS error code and message each
//! case is answered with.

use super::validation::{Violations, field_path};

/// A form body or query string that cannot be decoded, or a parameter that is missing or has
/// the wrong form. Every variant that concerns one parameter carries its name as sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// A `%` not followed by two hex digits.
    #[error("invalid percent-encoding in `{name}`")]
    BadEncoding {
        /// The parameter (its raw name when the name itself is undecodable).
        name: String,
    },
    /// A name or value that is not UTF-8 once decoded.
    #[error("parameter `{name}` is not valid UTF-8")]
    InvalidUtf8 {
        /// The parameter (its raw name, lossily decoded, when the name itself is not UTF-8).
        name: String,
    },
    /// A pair with an empty name (`=value`).
    #[error("parameter with an empty name")]
    EmptyName,
    /// More parameters than [`Limits::max_parameters`](super::Limits::max_parameters).
    #[error("more than {limit} parameters")]
    TooManyParameters {
        /// The limit.
        limit: usize,
    },
    /// A name longer than [`Limits::max_name_bytes`](super::Limits::max_name_bytes).
    #[error("parameter name `{name}` is longer than {limit} bytes")]
    NameTooLong {
        /// The start of the name.
        name: String,
        /// The limit.
        limit: usize,
    },
    /// A value longer than [`Limits::max_value_bytes`](super::Limits::max_value_bytes).
    #[error("value of `{name}` is longer than {limit} bytes")]
    ValueTooLong {
        /// The parameter.
        name: String,
        /// The limit.
        limit: usize,
    },
    /// The same name twice (in the body, the query string, or across both).
    #[error("parameter `{name}` is given more than once")]
    Duplicate {
        /// The parameter.
        name: String,
    },
    /// No `Action` parameter.
    #[error("missing `Action`")]
    MissingAction,
    /// A required parameter is absent. Answered as IAM and STS answer today: `ValidationError`,
    /// `… Value null at 'userName' failed to satisfy constraint: Member must not be null`.
    #[error("missing parameter `{name}`")]
    Missing {
        /// The parameter.
        name: String,
    },
    /// A value that should be an integer.
    #[error("`{name}` is not an integer: `{value}`")]
    NotInteger {
        /// The parameter.
        name: String,
        /// The value sent.
        value: String,
    },
    /// A value that should be `true` or `false`.
    #[error("`{name}` is not a boolean: `{value}`")]
    NotBoolean {
        /// The parameter.
        name: String,
        /// The value sent.
        value: String,
    },
    /// A list or map parameter whose index is not a positive decimal without leading zeros,
    /// or whose shape does not fit (`Tags.member.1` where `Tags.member.1.Key` is expected,
    /// `Tags=x` where a list is expected).
    #[error("unexpected list parameter `{name}`")]
    BadMember {
        /// The parameter.
        name: String,
    },
    /// A list or map whose indices do not run from 1 without gaps.
    #[error("list `{name}` has no member {index}")]
    ListGap {
        /// The list parameter (`Tags`).
        name: String,
        /// The first missing index.
        index: usize,
    },
    /// Constraint violations found by the caller with [`Violations`].
    #[error("{0}")]
    Validation(Violations),
}

impl QueryError {
    /// The AWS error code of the error envelope (the fault is always `Sender`):
    /// `MalformedQueryString` for undecodable input, `MissingAction`, `ValidationError` for
    /// missing parameters and constraint violations, `InvalidParameterValue` for the rest.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadEncoding { .. } | Self::InvalidUtf8 { .. } | Self::EmptyName => {
                "MalformedQueryString"
            }
            Self::MissingAction => "MissingAction",
            Self::Missing { .. } | Self::Validation(_) => "ValidationError",
            Self::TooManyParameters { .. }
            | Self::NameTooLong { .. }
            | Self::ValueTooLong { .. }
            | Self::Duplicate { .. }
            | Self::NotInteger { .. }
            | Self::NotBoolean { .. }
            | Self::BadMember { .. }
            | Self::ListGap { .. } => "InvalidParameterValue",
        }
    }

    /// The parameter concerned, if the error is about one.
    #[must_use]
    pub fn parameter(&self) -> Option<&str> {
        match self {
            Self::BadEncoding { name }
            | Self::InvalidUtf8 { name }
            | Self::NameTooLong { name, .. }
            | Self::ValueTooLong { name, .. }
            | Self::Duplicate { name }
            | Self::Missing { name }
            | Self::NotInteger { name, .. }
            | Self::NotBoolean { name, .. }
            | Self::BadMember { name }
            | Self::ListGap { name, .. } => Some(name),
            Self::MissingAction => Some("Action"),
            Self::EmptyName | Self::TooManyParameters { .. } | Self::Validation(_) => None,
        }
    }

    /// The `<Message>` of the error envelope, in AWS's words where AWS's are known.
    #[must_use]
    pub fn aws_message(&self) -> String {
        match self {
            Self::BadEncoding { .. } | Self::InvalidUtf8 { .. } | Self::EmptyName => {
                "The query string contains a syntax error.".to_owned()
            }
            Self::MissingAction => "Missing Action".to_owned(),
            Self::Missing { name } => {
                let mut v = Violations::new();
                v.missing(name);
                v.message()
            }
            Self::Validation(v) => v.message(),
            Self::TooManyParameters { limit } => {
                format!("The request has more than {limit} parameters.")
            }
            Self::NameTooLong { limit, .. } => {
                format!("A parameter name is longer than {limit} bytes.")
            }
            Self::ValueTooLong { name, limit } => {
                format!("The value of parameter {name} is longer than {limit} bytes.")
            }
            Self::Duplicate { name } => format!("Parameter {name} is given more than once."),
            Self::NotInteger { name, value } => format!(
                "Value '{value}' at '{}' is not a valid integer.",
                field_path(name)
            ),
            Self::NotBoolean { name, value } => format!(
                "Value '{value}' at '{}' is not a valid boolean.",
                field_path(name)
            ),
            Self::BadMember { name } => format!("Unexpected parameter {name}."),
            Self::ListGap { name, index } => {
                format!("List parameter {name} has no member {index}.")
            }
        }
    }
}
