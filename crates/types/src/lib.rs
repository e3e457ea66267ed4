//! Shared identifiers of roleplay: ARNs and account ids.
//!
//! Every other crate builds and reads ARNs through [`Arn`]; no crate formats an ARN by hand.
#![warn(missing_docs)]

mod account;
mod arn;

pub use account::{AccountId, AccountIdError};
pub use arn::{Arn, ArnError};
