//! The server crate's one integration binary: golden exchanges with the app built in process.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::string_slice,
    reason = "test code fails loudly"
)]

mod errors;
mod golden;
mod iam;
mod simulate;
mod sts;
