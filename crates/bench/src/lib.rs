//! roleplay's load tool: signs real IAM/STS/S3 requests with `roleplay_sigv4`, drives a
//! server on a loopback address over HTTP/1.1 keep-alive at a chosen concurrency for a
//! bounded time, and reports requests per second, latency percentiles, errors by code and
//! the server's resident memory.
//!
//! The pure parts (target checking, statistics, report formatting, `/proc` parsing) are
//! modules of this library and tested on their own; `client` and `load` do the I/O, and
//! `floor` is the server that does nothing, to measure the rest against.
#![warn(missing_docs)]

pub mod client;
pub mod floor;
pub mod load;
pub mod report;
pub mod rss;
pub mod stats;
pub mod target;
