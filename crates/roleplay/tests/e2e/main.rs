//! End-to-end tests: the real `aws` CLI (v1) against the `roleplay` binary.
//!
//! A missing `aws` is a failure, never a skip: `.ci/run` installs the pinned version.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::string_slice,
    reason = "test code fails loudly"
)]

mod auth;
mod boto3;
mod client;
mod concurrency;
mod crash;
mod doctor;
mod explain;
mod harness;
mod hostile;
mod ops;
mod raw;
mod restart;
mod s3;
mod s3_bad_input;
mod s3_chunked;
mod s3_multipart;
mod s3_versioning;
mod s3api;
mod story;
