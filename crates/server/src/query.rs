//! The aws-query protocol shared by IAM and STS: parameter checks with AWS's ValidationError
//! texts, and the failure type every layer of the pipeline renders the same way.

use roleplay_engine::{ApiError, ErrorCode};
use roleplay_sigv4::{Dialect, SigV4Error};
use roleplay_wire::query::{Params, QueryError, Violations};

/// A failure as the client will see it: code, HTTP status and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub code: String,
    pub status: u16,
    pub message: String,
}

impl Failure {
    pub(crate) fn new(code: &str, status: u16, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            status,
            message: message.into(),
        }
    }
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        // Internal details are logged by the pipeline, never shown.
        let message = if e.code.status() >= 500 {
            "An internal error occurred.".to_owned()
        } else {
            e.message
        };
        Failure::new(e.code.as_str(), e.code.status(), message)
    }
}

impl From<QueryError> for Failure {
    fn from(e: QueryError) -> Self {
        Failure::new(e.code(), 400, e.aws_message())
    }
}

impl Failure {
    /// A SigV4 failure in the query services' words.
    pub(crate) fn from_sigv4(e: &SigV4Error) -> Self {
        let code = e.code(Dialect::Query);
        let message = e
            .skew_message()
            .unwrap_or_else(|| e.message(Dialect::Query));
        let status = match code {
            "IncompleteSignature" | "InvalidParameterValue" | "MalformedQueryString" => 400,
            _ => 403,
        };
        Failure::new(code, status, message)
    }
}

/// Parameter constraints from the service models, checked in one pass so that the message
/// names every violation as AWS does.
pub(crate) struct Checks<'p> {
    pub params: &'p Params,
    pub violations: Violations,
}

/// `[\w+=,.@-]`: IAM and STS names.
pub(crate) fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

/// Characters IAM accepts in policy documents and descriptions.
pub(crate) fn policy_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}')
}

impl<'p> Checks<'p> {
    pub(crate) fn new(params: &'p Params) -> Self {
        Self {
            params,
            violations: Violations::new(),
        }
    }

    /// A required string of `min..=max` characters drawn from `allowed`.
    pub(crate) fn required(
        &mut self,
        name: &str,
        min: usize,
        max: usize,
        allowed: fn(char) -> bool,
        pattern: &str,
    ) -> String {
        match self.params.get(name) {
            None => {
                self.violations.missing(name);
                String::new()
            }
            Some(v) => {
                self.check(name, v, min, max, allowed, pattern);
                v.to_owned()
            }
        }
    }

    /// An optional string with the same rules.
    pub(crate) fn optional(
        &mut self,
        name: &str,
        min: usize,
        max: usize,
        allowed: fn(char) -> bool,
        pattern: &str,
    ) -> Option<String> {
        let v = self.params.get(name)?;
        self.check(name, v, min, max, allowed, pattern);
        Some(v.to_owned())
    }

    fn check(
        &mut self,
        name: &str,
        v: &str,
        min: usize,
        max: usize,
        allowed: fn(char) -> bool,
        pattern: &str,
    ) {
        if self.violations.check_length(name, v, min, max) && !v.chars().all(allowed) {
            self.violations.pattern(name, v, pattern);
        }
    }

    /// An IAM path: `/` or `/segments/`.
    pub(crate) fn path(&mut self, name: &str) -> Option<String> {
        let v = self.params.get(name)?;
        let ok = v == "/"
            || (v.len() >= 2
                && v.starts_with('/')
                && v.ends_with('/')
                && v.chars().all(|c| ('\u{21}'..='\u{7e}').contains(&c)));
        if self.violations.check_length(name, v, 1, 512) && !ok {
            self.violations
                .pattern(name, v, "(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)");
        }
        Some(v.to_owned())
    }

    /// An optional integer in `min..=max`.
    pub(crate) fn int(
        &mut self,
        name: &str,
        min: i64,
        max: i64,
    ) -> Result<Option<i64>, QueryError> {
        let v = self.params.optional_i64(name)?;
        if let Some(n) = v {
            self.violations.check_range(name, n, min, max);
        }
        Ok(v)
    }

    /// Ends the checks: every violation in one ValidationError.
    pub(crate) fn finish(self) -> Result<(), Failure> {
        self.violations
            .into_result()
            .map_err(|e| Failure::new(ErrorCode::ValidationError.as_str(), 400, e.aws_message()))
    }
}

pub(crate) const NAME_PATTERN: &str = "[\\w+=,.@-]+";
pub(crate) const POLICY_PATTERN: &str = "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+";
