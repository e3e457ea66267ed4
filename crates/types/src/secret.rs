//! Secrets: redacted in `Debug`, never `Display`ed, compared in constant time.

use std::fmt;
use subtle::ConstantTimeEq;

/// A secret access key (long-term or temporary).
#[derive(Clone)]
pub struct SecretAccessKey(String);

/// An STS session token.
#[derive(Clone)]
pub struct SessionToken(String);

macro_rules! secret {
    ($t:ident) => {
        impl $t {
            /// Wraps secret text.
            pub fn new(s: impl Into<String>) -> Self {
                Self(s.into())
            }

            /// The secret text, for signing, verifying and handing to its owner only.
            pub fn expose(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($t), "(** redacted **)"))
            }
        }

        impl PartialEq for $t {
            fn eq(&self, other: &Self) -> bool {
                self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
            }
        }

        impl Eq for $t {}
    };
}

secret!(SecretAccessKey);
secret!(SessionToken);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacted_and_compared() {
        let a = SecretAccessKey::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
        assert_eq!(format!("{a:?}"), "SecretAccessKey(** redacted **)");
        assert_eq!(
            a,
            SecretAccessKey::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
        );
        assert_ne!(a, SecretAccessKey::new("x"));
        assert_eq!(
            format!("{:?}", SessionToken::new("t")),
            "SessionToken(** redacted **)"
        );
    }
}
