//! AWS account ids: exactly twelve ASCII digits.

use std::fmt;
use std::str::FromStr;

/// A twelve-digit AWS account id.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(String);

/// Why a text is not an account id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a 12-digit account id")]
pub struct AccountIdError(pub String);

impl AccountId {
    /// Whether `s` has the form of an account id.
    pub fn is_valid(s: &str) -> bool {
        s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for AccountId {
    type Err = AccountIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if Self::is_valid(s) {
            Ok(Self(s.to_owned()))
        } else {
            Err(AccountIdError(s.to_owned()))
        }
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccountId({})", self.0)
    }
}

impl AsRef<str> for AccountId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twelve_digits_only() {
        assert!("123123123123".parse::<AccountId>().is_ok());
        assert!("12312312312".parse::<AccountId>().is_err());
        assert!("1231231231234".parse::<AccountId>().is_err());
        assert!("12312312312a".parse::<AccountId>().is_err());
    }
}
