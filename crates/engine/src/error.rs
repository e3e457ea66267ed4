//! The one table of AWS error codes roleplay answers with: code, HTTP status, fault side.

use std::fmt;

/// Which side AWS blames, the `<Type>` of a query-protocol error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The caller's request is at fault (4xx).
    Sender,
    /// The service failed (5xx).
    Receiver,
}

macro_rules! codes {
    ($( $(#[$doc:meta])* $name:ident = $status:literal ),* $(,)?) => {
        /// An AWS error code of IAM, STS or the authentication layer.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $( $(#[$doc])* $name, )*
        }

        impl ErrorCode {
            /// The code as AWS writes it.
            pub fn as_str(self) -> &'static str {
                match self { $( ErrorCode::$name => stringify!($name), )* }
            }

            /// The HTTP status AWS answers with.
            pub fn status(self) -> u16 {
                match self { $( ErrorCode::$name => $status, )* }
            }
        }
    };
}

codes! {
    /// Authorization failed.
    AccessDenied = 403,
    /// The access key id is unknown, or a temporary key came without a valid token.
    InvalidClientTokenId = 403,
    /// The signature does not match, or the request is too old.
    SignatureDoesNotMatch = 403,
    /// The Authorization header lacks parts.
    IncompleteSignature = 400,
    /// No authentication at all.
    MissingAuthenticationToken = 403,
    /// Temporary credentials past their expiry.
    ExpiredToken = 403,
    /// An unknown `Action`.
    InvalidAction = 400,
    /// A required parameter is missing.
    MissingParameter = 400,
    /// A parameter value is invalid.
    InvalidParameterValue = 400,
    /// A constraint on a parameter is violated.
    ValidationError = 400,
    /// IAM's form of an invalid parameter.
    InvalidInput = 400,
    /// The entity does not exist.
    NoSuchEntity = 404,
    /// The entity already exists.
    EntityAlreadyExists = 409,
    /// The entity still has dependents.
    DeleteConflict = 409,
    /// A quota would be exceeded.
    LimitExceeded = 409,
    /// A policy document is invalid.
    MalformedPolicyDocument = 400,
    /// Session policy and tags exceed the packed size.
    PackedPolicyTooLarge = 400,
    /// An AWS-managed entity cannot be changed.
    UnmodifiableEntity = 400,
    /// DecodeAuthorizationMessage was given a message that is not one of ours.
    InvalidAuthorizationMessageException = 400,
    /// The operation exists at AWS but not here.
    NotImplemented = 501,
    /// IAM's internal error.
    ServiceFailure = 500,
    /// STS's and the generic internal error.
    InternalFailure = 500,
}

impl ErrorCode {
    /// Sender for 4xx, Receiver for 5xx.
    pub fn fault(self) -> Fault {
        if self.status() >= 500 {
            Fault::Receiver
        } else {
            Fault::Sender
        }
    }
}

/// An error as AWS reports it: a code and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The code.
    pub code: ErrorCode,
    /// The message AWS would write.
    pub message: String,
}

impl ApiError {
    /// An error with `code` and `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        assert_eq!(ErrorCode::NoSuchEntity.as_str(), "NoSuchEntity");
        assert_eq!(ErrorCode::NoSuchEntity.status(), 404);
        assert_eq!(ErrorCode::ServiceFailure.fault(), Fault::Receiver);
        assert_eq!(ErrorCode::AccessDenied.fault(), Fault::Sender);
    }
}
