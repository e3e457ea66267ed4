//! AWS's constraint-violation messages for query-protocol input, in the form IAM and STS send
//! with `ValidationError`:
//!
//! `1 validation error detected: Value 'x' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*`
//!
//! Fields are named by their member path in lower camel case (`roleSessionName`,
//! `tags.1.member.key`), which [`field_path`] derives from the query parameter name.

use super::QueryError;
use std::fmt;

/// One violated constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The member path, lower camel (`roleSessionName`, `tags.1.member.key`).
    pub field: String,
    /// The offending value, `None` for a missing one (written `null`).
    pub value: Option<String>,
    /// The constraint text (`Member must not be null`).
    pub constraint: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(value) => write!(f, "Value '{value}'")?,
            None => f.write_str("Value null")?,
        }
        write!(
            f,
            " at '{}' failed to satisfy constraint: {}",
            self.field, self.constraint
        )
    }
}

/// Builds a `ValidationError` message from the violations found in one request, in the order
/// they are added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Violations {
    items: Vec<Violation>,
}

impl Violations {
    /// No violations yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that parameter `param` (a query name such as `RoleSessionName` or
    /// `Tags.member.1.Key`) violates `constraint`.
    pub fn push(
        &mut self,
        param: &str,
        value: Option<&str>,
        constraint: impl Into<String>,
    ) -> &mut Self {
        self.items.push(Violation {
            field: field_path(param),
            value: value.map(str::to_owned),
            constraint: constraint.into(),
        });
        self
    }

    /// Records a missing required parameter: `Value null at '…' failed to satisfy constraint:
    /// Member must not be null`.
    pub fn missing(&mut self, param: &str) -> &mut Self {
        self.push(param, None, "Member must not be null")
    }

    /// Records a value that does not match `pattern` (the regular expression as AWS's model
    /// writes it, e.g. `[\w+=,.@-]*`). The caller does the matching.
    pub fn pattern(&mut self, param: &str, value: &str, pattern: &str) -> &mut Self {
        self.push(
            param,
            Some(value),
            format!("Member must satisfy regular expression pattern: {pattern}"),
        )
    }

    /// Checks that `value` has `min..=max` characters, recording AWS's length violation if not.
    /// Returns whether the value passed.
    pub fn check_length(&mut self, param: &str, value: &str, min: usize, max: usize) -> bool {
        let len = value.chars().count();
        if len < min {
            self.push(
                param,
                Some(value),
                format!("Member must have length greater than or equal to {min}"),
            );
            false
        } else if len > max {
            self.push(
                param,
                Some(value),
                format!("Member must have length less than or equal to {max}"),
            );
            false
        } else {
            true
        }
    }

    /// Checks that `value` lies in `min..=max`, recording AWS's range violation if not.
    /// Returns whether the value passed.
    pub fn check_range(&mut self, param: &str, value: i64, min: i64, max: i64) -> bool {
        let text = value.to_string();
        if value < min {
            self.push(
                param,
                Some(&text),
                format!("Member must have value greater than or equal to {min}"),
            );
            false
        } else if value > max {
            self.push(
                param,
                Some(&text),
                format!("Member must have value less than or equal to {max}"),
            );
            false
        } else {
            true
        }
    }

    /// Checks that `value` is one of `allowed` (case-sensitive), recording AWS's enum violation
    /// (`Member must satisfy enum value set: [Active, Inactive]`) if not.
    pub fn check_enum(&mut self, param: &str, value: &str, allowed: &[&str]) -> bool {
        if allowed.contains(&value) {
            return true;
        }
        self.push(
            param,
            Some(value),
            format!(
                "Member must satisfy enum value set: [{}]",
                allowed.join(", ")
            ),
        );
        false
    }

    /// Whether no violation was recorded.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// How many violations were recorded.
    #[must_use]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// The violations in the order they were recorded.
    pub fn iter(&self) -> impl Iterator<Item = &Violation> {
        self.items.iter()
    }

    /// AWS's message: `1 validation error detected: …`, or `N validation errors detected: …; …`.
    #[must_use]
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// `Ok(())` when empty, else [`QueryError::Validation`].
    pub fn into_result(self) -> Result<(), QueryError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(QueryError::Validation(self))
        }
    }
}

impl fmt::Display for Violations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.items.len();
        write!(
            f,
            "{n} validation error{} detected: ",
            if n == 1 { "" } else { "s" }
        )?;
        for (i, v) in self.items.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{v}")?;
        }
        Ok(())
    }
}

/// AWS's member path for a query parameter name: each segment lower camel, and list indices
/// placed before `member` (`RoleSessionName` → `roleSessionName`, `Tags.member.1.Key` →
/// `tags.1.member.key`, `Attributes.entry.2.value` → `attributes.2.entry.value`).
#[must_use]
pub fn field_path(param: &str) -> String {
    let segments: Vec<&str> = param.split('.').collect();
    let mut out: Vec<String> = Vec::with_capacity(segments.len());
    let mut i = 0;
    while let Some(seg) = segments.get(i) {
        let next = segments.get(i + 1);
        let is_index = |s: &&str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if matches!(*seg, "member" | "entry") && next.is_some_and(is_index) {
            if let Some(index) = next {
                out.push((*index).to_owned());
            }
            out.push((*seg).to_owned());
            i += 2;
        } else {
            out.push(lower_first(seg));
            i += 1;
        }
    }
    out.join(".")
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_lower_camel_with_indices_first() {
        assert_eq!(field_path("RoleSessionName"), "roleSessionName");
        assert_eq!(field_path("Tags.member.1.Key"), "tags.1.member.key");
        assert_eq!(
            field_path("PolicyArns.member.10.arn"),
            "policyArns.10.member.arn"
        );
        assert_eq!(
            field_path("TransitiveTagKeys.member.3"),
            "transitiveTagKeys.3.member"
        );
        assert_eq!(
            field_path("Attributes.entry.2.value"),
            "attributes.2.entry.value"
        );
        assert_eq!(field_path("SAMLAssertion"), "sAMLAssertion");
    }

    #[test]
    fn one_and_many() {
        let mut v = Violations::new();
        v.pattern("RoleSessionName", "a b", r"[\w+=,.@-]*");
        assert_eq!(
            v.message(),
            r"1 validation error detected: Value 'a b' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*"
        );
        v.check_range("DurationSeconds", 100, 900, 43200);
        v.missing("RoleArn");
        assert_eq!(
            v.message(),
            r"3 validation errors detected: Value 'a b' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*; Value '100' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900; Value null at 'roleArn' failed to satisfy constraint: Member must not be null"
        );
    }

    #[test]
    fn checks_pass_silently() {
        let mut v = Violations::new();
        assert!(v.check_length("UserName", "alice", 1, 64));
        assert!(v.check_range("MaxItems", 1000, 1, 1000));
        assert!(v.check_enum("Status", "Active", &["Active", "Inactive"]));
        assert!(v.into_result().is_ok());
    }

    #[test]
    fn length_counts_characters() {
        let mut v = Violations::new();
        assert!(v.check_length("UserName", "éé", 2, 2));
        assert!(!v.check_length("UserName", "ééé", 1, 2));
        assert!(!v.check_enum("Status", "active", &["Active", "Inactive"]));
        assert_eq!(
            v.message(),
            "2 validation errors detected: Value 'ééé' at 'userName' failed to satisfy constraint: Member must have length less than or equal to 2; Value 'active' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]"
        );
    }
}
