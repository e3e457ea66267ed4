//! The operation logic of roleplay's IAM, STS and S3: authorization through the policy engine,
//! then the operation itself. Synchronous and free of HTTP; the server calls it.
#![warn(missing_docs)]

pub mod aws_managed;
pub mod error;
pub mod scenario;
pub mod session;
