//! The engine's integration tests: IAM operations over the SQLite store, authorized by the
//! policy engine, with the built-in scenario applied.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code fails loudly"
)]

mod account;
mod common;
mod decisions;
mod groups;
mod oidc;
mod s3;
mod scenario_props;
mod simulate;
mod tags;
mod updates;
mod versions;
