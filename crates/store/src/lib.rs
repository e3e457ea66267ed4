//! The state of roleplay: accounts and their IAM entities, behind one transactional API.
//!
//! The engine reaches the store only through [`Store`]: a closure runs in a read or write
//! transaction and uses the typed operations of [`ReadTx`] and [`WriteTx`]; there is no
//! key-value access. Every record is keyed by its account, IAM names are unique per account
//! regardless of case (see [`name_key`]), and access key ids form a global index to their
//! owners. Policy documents are kept as text, exactly as submitted. Times and ids come from
//! the caller.
//!
//! [`SqliteStore`] is the embedded backend. The `testsuite` feature exposes the conformance
//! suite every backend must pass.
//!
//! ```
//! use roleplay_store::{Account, SqliteStore, StoreError, StoreExt, WriteError};
//!
//! let store = SqliteStore::open_in_memory()?;
//! let id: roleplay_types::AccountId = "123123123123".parse().unwrap();
//! store.write(|tx| {
//!     tx.create_account(&Account {
//!         id: id.clone(),
//!         alias: Some("main".into()),
//!         email: None,
//!         create_date: time::OffsetDateTime::UNIX_EPOCH,
//!     })
//! })?;
//! let alias = store.read(|tx| Ok::<_, StoreError>(tx.get_account(&id)?.and_then(|a| a.alias)))?;
//! assert_eq!(alias.as_deref(), Some("main"));
//! # Ok::<(), WriteError>(())
//! ```
#![warn(missing_docs)]

mod error;
mod model;
mod sqlite;
#[cfg(feature = "testsuite")]
pub mod testsuite;
mod transaction;

pub use error::{Entity, StoreError, WriteError};
pub use model::{
    AccessKey, Account, AttachedPolicy, Group, InlinePolicy, KeyLastUsed, KeyOwner, KeyStatus,
    ManagedPolicy, OidcProvider, PolicyScope, PolicyVersion, PrincipalKind, PrincipalRef, Role,
    Tag, User, name_key,
};
pub use sqlite::{DB_FILE, SqliteStore};
pub use transaction::{
    ListQuery, Page, PolicyFilter, PolicyListScope, ReadTx, Store, StoreExt, WriteTx,
};
