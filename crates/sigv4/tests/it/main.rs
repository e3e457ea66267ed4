//! The one integration-test binary of `roleplay-sigv4`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic,
    reason = "test code fails loudly"
)]

mod chunked;
mod conformance;
mod errors;
mod roundtrip;
mod support;
