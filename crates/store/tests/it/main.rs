//! The store's integration tests: the conformance suite on every SQLite flavour, reopening,
//! the schema version and its migration, and `kill -9` during writes of records and objects.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod crash;
mod crash_objects;
mod sqlite;
