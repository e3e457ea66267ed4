//! Shared identifiers of roleplay: ARNs, account ids, access key ids, unique ids and secrets.
//!
//! Every other crate builds and reads ARNs through [`Arn`]; no crate formats an ARN by hand.
//! Pure: randomness comes in through [`IdGen`].
#![warn(missing_docs)]

mod account;
mod arn;
mod ids;
mod secret;

pub use account::{AccountId, AccountIdError};
pub use arn::{Arn, ArnError};
pub use ids::{
    AccessKeyKind, IdGen, SeededIdGen, UniqueIdKind, account_of_access_key_id, new_access_key_id,
    new_secret_access_key, new_unique_id,
};
pub use secret::{SecretAccessKey, SessionToken};
