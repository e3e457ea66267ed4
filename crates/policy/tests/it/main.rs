//! The policy crate's integration tests: decision vectors, validation vectors, properties.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "test code reads its vector files and fails loudly"
)]

mod positions;
mod properties;
mod validation;
mod vectors;
