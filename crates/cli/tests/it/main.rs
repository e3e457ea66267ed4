//! The cli crate's one integration binary: profile-resolution vectors (checked by our
//! resolver and, with `python3` and botocore, by botocore itself), the credential cache on
//! disk, and the parser's properties.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "test code fails loudly and reads its vector files directly"
)]

mod cache;
mod chain;
mod oracle;
mod process;
mod props;
mod vectors;
