//! The wire crate's integration tests: query decoding, XML escaping, golden envelopes,
//! timestamps, and botocore's own parser as an oracle for the envelopes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code fails loudly"
)]

mod envelope;
mod fixtures;
mod json;
mod oracle;
mod query;
mod time;
mod xml;
mod xml_read;
