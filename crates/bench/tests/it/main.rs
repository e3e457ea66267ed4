//! The load tool's pure parts (the loopback rule, percentiles, report formatting, /proc
//! parsing) and the floor server.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code fails loudly"
)]

mod floor;
mod report;
mod stats;
mod target;
