//! Buckets on SQLite; their objects are in the object log (see `crate::objects`).
//!
//! The trait impls in `read.rs` and `write.rs` delegate here.

use super::SqliteTx;
use super::codec::{account_at, constraint, conversion, millis, tags_at, tags_json, time_at};
use crate::error::{Entity, StoreError, WriteError};
use crate::objects;
use crate::s3::{Bucket, ObjectOwnership, PublicAccessBlock, Versioning};
use roleplay_types::AccountId;
use rusqlite::{OptionalExtension, Row, params};

fn json_err(e: serde_json::Error) -> StoreError {
    StoreError::Backend(Box::new(e))
}

fn opt_json_at<T: serde::de::DeserializeOwned>(
    r: &Row<'_>,
    column: usize,
) -> rusqlite::Result<Option<T>> {
    match r.get_ref(column)?.as_str_or_null()? {
        None => Ok(None),
        Some(s) => serde_json::from_str(s)
            .map(Some)
            .map_err(|e| conversion(column, e)),
    }
}

fn invalid(column: usize, what: String) -> rusqlite::Error {
    conversion(column, StoreError::Corrupt(what))
}

fn pab_json(pab: Option<&PublicAccessBlock>) -> Result<Option<String>, StoreError> {
    pab.map(|p| {
        serde_json::to_string(&[
            p.block_public_acls,
            p.ignore_public_acls,
            p.block_public_policy,
            p.restrict_public_buckets,
        ])
        .map_err(json_err)
    })
    .transpose()
}

const BUCKET_COLS: &str = "name, owner, region, create_date, policy, tags, versioning, \
     ownership, acl, public_access_block";

fn bucket_row(r: &Row<'_>) -> rusqlite::Result<Bucket> {
    let versioning = r.get_ref(6)?.as_str()?;
    let versioning = Versioning::parse(versioning)
        .ok_or_else(|| invalid(6, format!("versioning `{versioning}`")))?;
    let ownership = r.get_ref(7)?.as_str()?;
    let ownership = ObjectOwnership::parse(ownership)
        .ok_or_else(|| invalid(7, format!("ownership `{ownership}`")))?;
    let pab: Option<[bool; 4]> = opt_json_at(r, 9)?;
    Ok(Bucket {
        name: r.get(0)?,
        owner: account_at(r, 1)?,
        region: r.get(2)?,
        create_date: time_at(r, 3)?,
        policy: r.get(4)?,
        tags: tags_at(r, 5)?,
        versioning,
        ownership,
        acl: r.get(8)?,
        public_access_block: pab.map(|[a, b, c, d]| PublicAccessBlock {
            block_public_acls: a,
            ignore_public_acls: b,
            block_public_policy: c,
            restrict_public_buckets: d,
        }),
    })
}

impl SqliteTx<'_> {
    pub(super) fn s3_get_bucket(&self, name: &str) -> Result<Option<Bucket>, StoreError> {
        let sql = format!("SELECT {BUCKET_COLS} FROM buckets WHERE name = ?1");
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row([name], bucket_row)
            .optional()?)
    }

    pub(super) fn s3_list_buckets(&self, owner: &AccountId) -> Result<Vec<Bucket>, StoreError> {
        let sql = format!("SELECT {BUCKET_COLS} FROM buckets WHERE owner = ?1 ORDER BY name");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([owner.as_str()], bucket_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    // ---- writes ----

    pub(super) fn s3_create_bucket(&self, b: &Bucket) -> Result<(), WriteError> {
        self.conn
            .prepare_cached(
                "INSERT INTO buckets (name, owner, region, create_date, policy, tags, versioning, \
                 ownership, acl, public_access_block) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                b.name,
                b.owner.as_str(),
                b.region,
                millis(b.create_date),
                b.policy,
                tags_json(&b.tags)?,
                b.versioning.as_str(),
                b.ownership.as_str(),
                b.acl,
                pab_json(b.public_access_block.as_ref())?,
            ])
            .map(drop)
            .map_err(|e| {
                constraint(
                    e,
                    || WriteError::AlreadyExists(Entity::Bucket),
                    || WriteError::NotFound(Entity::Account),
                )
            })
    }

    pub(super) fn s3_update_bucket(&self, b: &Bucket) -> Result<(), WriteError> {
        let n = self
            .conn
            .prepare_cached(
                "UPDATE buckets SET policy = ?2, tags = ?3, versioning = ?4, ownership = ?5, \
                 acl = ?6, public_access_block = ?7 WHERE name = ?1",
            )?
            .execute(params![
                b.name,
                b.policy,
                tags_json(&b.tags)?,
                b.versioning.as_str(),
                b.ownership.as_str(),
                b.acl,
                pab_json(b.public_access_block.as_ref())?,
            ])?;
        match n {
            0 => Err(WriteError::NotFound(Entity::Bucket)),
            _ => Ok(()),
        }
    }

    pub(super) fn s3_delete_bucket(&self, name: &str) -> Result<(), WriteError> {
        if self
            .objects
            .read(|view| objects::holds_anything(view, name))
        {
            return Err(WriteError::Conflict(Entity::Bucket));
        }
        match self
            .conn
            .prepare_cached("DELETE FROM buckets WHERE name = ?1")?
            .execute([name])?
        {
            0 => Err(WriteError::NotFound(Entity::Bucket)),
            _ => Ok(()),
        }
    }

    /// `NotFound(Bucket)` unless the bucket exists.
    pub(super) fn bucket_exists(&self, name: &str) -> Result<(), WriteError> {
        let exists = match &self.buckets {
            Some(memo) => memo.bucket(name, || self.s3_get_bucket(name), Option::is_some)?,
            None => self
                .conn
                .prepare_cached("SELECT 1 FROM buckets WHERE name = ?1")?
                .exists([name])?,
        };
        if exists {
            Ok(())
        } else {
            Err(WriteError::NotFound(Entity::Bucket))
        }
    }
}
