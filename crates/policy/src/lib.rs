//! The IAM policy language, evaluated exactly as AWS does: parse and validate documents of
//! every kind, compile them once, and decide requests with AWS's evaluation logic, returning
//! the decision together with the statements and policy kinds that made it.
//!
//! Pure: no I/O, no clock, no environment. Time and addresses reach policies only through the
//! condition keys of the [`Context`].
//!
//! ```
//! use roleplay_policy::{decide, Caller, Context, Decision, Policy, PolicyKind, PolicySet, Principal, Request};
//!
//! let trust = Policy::parse(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow",
//!     "Principal":{"AWS":"arn:aws:iam::123123123123:root"},"Action":"sts:AssumeRole"}}"#,
//!     PolicyKind::Trust).unwrap();
//! let allow = Policy::parse(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow",
//!     "Action":"sts:AssumeRole","Resource":"arn:aws:iam::345345345345:role/accounta"}}"#,
//!     PolicyKind::Identity).unwrap();
//! let caller = Caller::new(Principal::User {
//!     arn: "arn:aws:iam::123123123123:user/alice".into(),
//!     id: "AIDAEXAMPLEALICE00001".into(),
//! });
//! let context = caller.context();
//! let request = Request {
//!     caller: &caller,
//!     action: "sts:AssumeRole",
//!     resource: "arn:aws:iam::345345345345:role/accounta",
//!     resource_account: Some("345345345345"),
//!     context: &context,
//! };
//! let outcome = decide(&request, &PolicySet { identity: &[&allow], resource: Some(&trust), ..Default::default() });
//! assert_eq!(outcome.decision, Decision::Allow);
//! ```
#![warn(missing_docs)]

mod arn_pattern;
mod condition;
mod context;
mod decide;
mod document;
mod error;
mod evaluate;
mod explain;
mod json;
mod parse;
mod position;
mod template;
mod wildcard;

pub use context::{Caller, Context, ContextValue, Principal, SharedKeys};
pub use decide::{Decision, Outcome, PolicySet, Request, StatementRef, decide};
pub use document::{Effect, Policy, PolicyKind, Statement, Version};
pub use error::{ErrorKind, ValidationError, ValidationErrors};
pub use explain::{ConditionFailure, PolicyTrace, StatementTrace, Trace, Verdict, explain};
pub use parse::{ParseOptions, has_valid_characters, policy_size};
pub use position::{Position, Span, statement_spans};
