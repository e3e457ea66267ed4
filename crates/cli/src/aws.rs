//! Calling AWS: query-protocol services (IAM, STS) driven by botocore's models, signed with
//! `roleplay-sigv4`, from a [`session::Session`] whose profile chain is executed with the aws
//! CLI's credential cache. This is the client's public API:
//!
//! ```no_run
//! use roleplay_cli::aws::{OsIo, Session};
//! use roleplay_cli::os::{OsEnv, OsFs};
//! use roleplay_cli::{Args, Env as _};
//!
//! let io = OsIo::new(OsEnv.home(), false);
//! let args = Args { profile: Some("accountb".into()), ..Args::default() };
//! let session = Session::new(&OsEnv, &OsFs, &io, args)?;
//! let who = session.call("sts", "GetCallerIdentity", &serde_json::json!({}))?;
//! println!("{}", who.result.pretty());
//! # Ok::<(), roleplay_cli::aws::CallError>(())
//! ```

pub mod http;
pub mod json;
pub mod model;
mod os_io;
pub mod query;
pub mod rest_xml;
pub mod s3;
pub mod session;

pub use json::Json;
pub use os_io::OsIo;
pub use session::{CallError, Credentials, Io, Output, Session};
