//! The wire formats of roleplay's AWS APIs, written once: decoding of aws-query form bodies and
//! query strings ([`query`]), the project's only XML writer ([`xml`]) and a strict reader for
//! small request bodies ([`xml_read`]), the IAM/STS query envelopes and the S3 error body
//! ([`envelope`]), S3 routing ([`s3_route`]), the timestamp formats ([`time`]), and JSON
//! strings for the per-request logs ([`json`]).
//!
//! Pure: no I/O, no clock, no environment. Request ids and times are passed in.
//!
//! ```
//! use roleplay_wire::{envelope, query::{Limits, Params}};
//!
//! let params = Params::from_form(b"Action=GetUser&Version=2010-05-08&UserName=alice", &Limits::default()).unwrap();
//! assert_eq!(params.action().unwrap(), "GetUser");
//! let body = envelope::query_response("GetUser", envelope::IAM_NAMESPACE, "req-1", |w| {
//!     w.element("User", |w| {
//!         w.text_element("UserName", params.required("UserName").unwrap());
//!     });
//! });
//! assert!(body.starts_with(r#"<GetUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetUserResult><User>"#));
//! ```
#![warn(missing_docs)]

pub mod decisions;
pub mod envelope;
pub mod json;
pub mod query;
pub mod s3_route;
mod swar;
pub mod time;
pub mod xml;
pub mod xml_read;
