//! The SQLite schema and its migrations.
//!
//! `meta.schema_version` counts the migrations applied. Opening a database applies the
//! missing ones in one transaction and refuses a database newer than this build.
//!
//! Names are stored twice: `name` in display case and `name_key` case-folded, the key that
//! is unique per account. Children refer to principals by `(account, name_key)` with
//! `ON UPDATE CASCADE`, so renames carry keys, memberships and policies along, and with the
//! default `NO ACTION` on delete, so a principal with dependents cannot disappear. Times are
//! unix milliseconds; tags and lists are JSON arrays.
//!
//! Migration 2 adds S3: buckets (one global namespace of names), object versions with the
//! blobs of their bodies, and multipart uploads with their parts. Object keys are `TEXT`
//! compared with the default `BINARY` collation, which is binary UTF-8 order as S3 lists.
//!
//! Migration 3 lets a segment or a part hold a small body itself (`data`, NULL for a body in
//! the blob store), so a small object is written by the same commit as its metadata.
//!
//! Migration 4 narrows the blob indexes to the rows whose body is in the blob store: an
//! inline body is never looked up by blob id, and its index entry (a random id, so a page
//! of its own in each commit) was a fifth of what a small PUT wrote.
//!
//! Migration 5 moves object versions, uploads and parts out of SQLite into the object log
//! (`objects.log`, see `crate::objects`) and drops their tables; buckets stay.

use crate::error::StoreError;
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior};
use std::path::Path;

/// One step of the schema, applied inside the opening transaction; the data directory
/// (`None` in memory) for a step that moves data out of the database.
type Migration = fn(&Transaction<'_>, Option<&Path>) -> Result<(), StoreError>;

/// Every migration in order; append new ones, never edit applied ones.
const MIGRATIONS: &[Migration] = &[
    |tx, _| Ok(v1(tx)?),
    |tx, _| Ok(v2(tx)?),
    |tx, _| Ok(v3(tx)?),
    |tx, _| Ok(v4(tx)?),
    super::legacy::move_objects,
];

/// The schema version this build writes.
pub(super) fn supported_version() -> i64 {
    i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX)
}

/// Brings the database to the current schema.
pub(super) fn migrate(
    conn: &mut rusqlite::Connection,
    dir: Option<&Path>,
) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL)",
    )?;
    let found: i64 = tx
        .query_row(
            "SELECT value FROM meta WHERE key = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0);
    let supported = supported_version();
    if found > supported {
        return Err(StoreError::UnsupportedSchema { found, supported });
    }
    let applied = usize::try_from(found).unwrap_or(0);
    for migration in MIGRATIONS.iter().skip(applied) {
        migration(&tx, dir)?;
    }
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ('schema_version', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [supported],
    )?;
    tx.commit()?;
    Ok(())
}

fn v1(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(V1)?;
    for (kind, principals) in [
        ("user", "users"),
        ("group", "iam_groups"),
        ("role", "roles"),
    ] {
        tx.execute_batch(&format!(
            "CREATE TABLE {kind}_policies (
                account   TEXT NOT NULL,
                owner_key TEXT NOT NULL,
                name_key  TEXT NOT NULL,
                name      TEXT NOT NULL,
                document  TEXT NOT NULL,
                PRIMARY KEY (account, owner_key, name_key),
                FOREIGN KEY (account, owner_key) REFERENCES {principals} (account, name_key)
                    ON UPDATE CASCADE
            );
            CREATE TABLE {kind}_attachments (
                account    TEXT NOT NULL,
                owner_key  TEXT NOT NULL,
                policy_arn TEXT NOT NULL REFERENCES policies (arn),
                PRIMARY KEY (account, owner_key, policy_arn),
                FOREIGN KEY (account, owner_key) REFERENCES {principals} (account, name_key)
                    ON UPDATE CASCADE
            );
            CREATE INDEX {kind}_attachments_policy ON {kind}_attachments (policy_arn);"
        ))?;
    }
    Ok(())
}

const V1: &str = "
CREATE TABLE accounts (
    id          TEXT PRIMARY KEY NOT NULL,
    alias       TEXT,
    email       TEXT,
    create_date INTEGER NOT NULL
);

CREATE TABLE users (
    account              TEXT NOT NULL REFERENCES accounts (id),
    name_key             TEXT NOT NULL,
    name                 TEXT NOT NULL,
    path                 TEXT NOT NULL,
    unique_id            TEXT NOT NULL UNIQUE,
    arn                  TEXT NOT NULL,
    create_date          INTEGER NOT NULL,
    permissions_boundary TEXT,
    tags                 TEXT NOT NULL,
    PRIMARY KEY (account, name_key)
);
CREATE INDEX users_boundary ON users (permissions_boundary);

-- The global index from access key id to owner; user_key NULL means the account root.
CREATE TABLE access_keys (
    id                TEXT PRIMARY KEY NOT NULL,
    account           TEXT NOT NULL REFERENCES accounts (id),
    user_key          TEXT,
    secret            TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('Active', 'Inactive')),
    create_date       INTEGER NOT NULL,
    last_used_date    INTEGER,
    last_used_service TEXT,
    last_used_region  TEXT,
    FOREIGN KEY (account, user_key) REFERENCES users (account, name_key) ON UPDATE CASCADE
);
CREATE INDEX access_keys_owner ON access_keys (account, user_key);

CREATE TABLE iam_groups (
    account     TEXT NOT NULL REFERENCES accounts (id),
    name_key    TEXT NOT NULL,
    name        TEXT NOT NULL,
    path        TEXT NOT NULL,
    unique_id   TEXT NOT NULL UNIQUE,
    arn         TEXT NOT NULL,
    create_date INTEGER NOT NULL,
    PRIMARY KEY (account, name_key)
);

CREATE TABLE group_members (
    account   TEXT NOT NULL,
    group_key TEXT NOT NULL,
    user_key  TEXT NOT NULL,
    PRIMARY KEY (account, group_key, user_key),
    FOREIGN KEY (account, group_key) REFERENCES iam_groups (account, name_key) ON UPDATE CASCADE,
    FOREIGN KEY (account, user_key) REFERENCES users (account, name_key) ON UPDATE CASCADE
);
CREATE INDEX group_members_user ON group_members (account, user_key);

CREATE TABLE roles (
    account              TEXT NOT NULL REFERENCES accounts (id),
    name_key             TEXT NOT NULL,
    name                 TEXT NOT NULL,
    path                 TEXT NOT NULL,
    unique_id            TEXT NOT NULL UNIQUE,
    arn                  TEXT NOT NULL,
    trust_policy         TEXT NOT NULL,
    description          TEXT,
    max_session_duration INTEGER NOT NULL,
    permissions_boundary TEXT,
    tags                 TEXT NOT NULL,
    create_date          INTEGER NOT NULL,
    PRIMARY KEY (account, name_key)
);
CREATE INDEX roles_boundary ON roles (permissions_boundary);

-- scope is 'aws' for AWS-managed policies, else the owning account id.
CREATE TABLE policies (
    scope              TEXT NOT NULL,
    name_key           TEXT NOT NULL,
    name               TEXT NOT NULL,
    path               TEXT NOT NULL,
    unique_id          TEXT NOT NULL UNIQUE,
    arn                TEXT NOT NULL UNIQUE,
    default_version_id TEXT NOT NULL,
    versions_created   INTEGER NOT NULL,
    description        TEXT,
    tags               TEXT NOT NULL,
    create_date        INTEGER NOT NULL,
    update_date        INTEGER NOT NULL,
    PRIMARY KEY (scope, name_key)
);

CREATE TABLE policy_versions (
    policy_arn  TEXT NOT NULL REFERENCES policies (arn) ON DELETE CASCADE,
    version_id  TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    document    TEXT NOT NULL,
    create_date INTEGER NOT NULL,
    PRIMARY KEY (policy_arn, version_id)
);

CREATE TABLE oidc_providers (
    arn         TEXT PRIMARY KEY NOT NULL,
    account     TEXT NOT NULL REFERENCES accounts (id),
    url         TEXT NOT NULL,
    client_ids  TEXT NOT NULL,
    thumbprints TEXT NOT NULL,
    tags        TEXT NOT NULL,
    create_date INTEGER NOT NULL
);
CREATE INDEX oidc_providers_account ON oidc_providers (account);
";

fn v2(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(V2)
}

const V2: &str = "
CREATE TABLE buckets (
    name                TEXT PRIMARY KEY NOT NULL,
    owner               TEXT NOT NULL REFERENCES accounts (id),
    region              TEXT NOT NULL,
    create_date         INTEGER NOT NULL,
    policy              TEXT,
    tags                TEXT NOT NULL,
    versioning          TEXT NOT NULL
        CHECK (versioning IN ('Unversioned', 'Enabled', 'Suspended')),
    ownership           TEXT NOT NULL
        CHECK (ownership IN ('BucketOwnerEnforced', 'BucketOwnerPreferred', 'ObjectWriter')),
    acl                 TEXT,
    -- JSON [BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets]
    public_access_block TEXT
);
CREATE INDEX buckets_owner ON buckets (owner, name);

-- id grows with every write, so a key's newest version has the greatest id. is_latest
-- marks it (at most one per key, enforced by object_versions_latest).
CREATE TABLE object_versions (
    id            INTEGER PRIMARY KEY,
    bucket        TEXT NOT NULL REFERENCES buckets (name),
    key           TEXT NOT NULL,
    version_id    TEXT NOT NULL,
    is_latest     INTEGER NOT NULL,
    delete_marker INTEGER NOT NULL,
    size          INTEGER NOT NULL,
    etag          TEXT NOT NULL,
    last_modified INTEGER NOT NULL,
    -- JSON [type, encoding, disposition, language, cache-control, expires], each or null
    headers       TEXT NOT NULL,
    metadata      TEXT NOT NULL,
    checksums     TEXT NOT NULL,
    tags          TEXT NOT NULL,
    owner         TEXT NOT NULL,
    storage_class TEXT NOT NULL,
    acl           TEXT,
    parts_count   INTEGER,
    UNIQUE (bucket, key, version_id)
);
CREATE UNIQUE INDEX object_versions_latest ON object_versions (bucket, key) WHERE is_latest;
CREATE INDEX object_versions_order ON object_versions (bucket, key, id DESC);

-- The blobs of a version's body, in order.
CREATE TABLE object_segments (
    object INTEGER NOT NULL REFERENCES object_versions (id) ON DELETE CASCADE,
    seq    INTEGER NOT NULL,
    blob   TEXT NOT NULL,
    size   INTEGER NOT NULL,
    PRIMARY KEY (object, seq)
);
CREATE INDEX object_segments_blob ON object_segments (blob);

CREATE TABLE uploads (
    id                 INTEGER PRIMARY KEY,
    upload_id          TEXT NOT NULL UNIQUE,
    bucket             TEXT NOT NULL REFERENCES buckets (name),
    key                TEXT NOT NULL,
    initiated          INTEGER NOT NULL,
    initiator          TEXT NOT NULL,
    owner              TEXT NOT NULL,
    headers            TEXT NOT NULL,
    metadata           TEXT NOT NULL,
    checksum_algorithm TEXT,
    tags               TEXT NOT NULL,
    storage_class      TEXT NOT NULL,
    acl                TEXT
);
CREATE INDEX uploads_order ON uploads (bucket, key, initiated, id);

CREATE TABLE parts (
    upload        INTEGER NOT NULL REFERENCES uploads (id) ON DELETE CASCADE,
    number        INTEGER NOT NULL CHECK (number BETWEEN 1 AND 10000),
    size          INTEGER NOT NULL,
    etag          TEXT NOT NULL,
    checksum      TEXT,
    blob          TEXT NOT NULL,
    last_modified INTEGER NOT NULL,
    PRIMARY KEY (upload, number)
);
CREATE INDEX parts_blob ON parts (blob);
";

fn v3(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        "ALTER TABLE object_segments ADD COLUMN data BLOB;
         ALTER TABLE parts ADD COLUMN data BLOB;",
    )
}

fn v4(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        "DROP INDEX object_segments_blob;
         CREATE INDEX object_segments_blob ON object_segments (blob) WHERE data IS NULL;
         DROP INDEX parts_blob;
         CREATE INDEX parts_blob ON parts (blob) WHERE data IS NULL;",
    )
}
