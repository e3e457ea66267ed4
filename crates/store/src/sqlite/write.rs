//! The writes. Keys and references are checked by the schema's constraints, whose
//! violations become [`WriteError`]s naming the entity concerned.

use super::SqliteTx;
use super::codec::{constraint, list_json, millis, tags_json};
use super::read::tables;
use crate::error::{Entity, WriteError};
use crate::model::{
    AccessKey, Account, Group, InlinePolicy, KeyOwner, ManagedPolicy, OidcProvider, PolicyScope,
    PolicyVersion, PrincipalKind, PrincipalRef, Role, User, name_key,
};
use crate::s3::{BlobId, Bucket, MultipartUpload, ObjectVersion, Part};
use crate::transaction::{ReadTx, WriteTx};
use roleplay_types::{AccountId, Arn};
use rusqlite::{Params, params};

fn principal_entity(kind: PrincipalKind) -> Entity {
    match kind {
        PrincipalKind::User => Entity::User,
        PrincipalKind::Group => Entity::Group,
        PrincipalKind::Role => Entity::Role,
    }
}

impl SqliteTx<'_> {
    /// Runs a statement and returns how many rows it changed.
    fn run(&self, sql: &str, params: impl Params) -> rusqlite::Result<usize> {
        self.conn.prepare_cached(sql)?.execute(params)
    }

    /// Runs a statement meant to change one existing row; `NotFound(entity)` if none.
    fn change_one(&self, sql: &str, params: impl Params, entity: Entity) -> Result<(), WriteError> {
        match self.run(sql, params)? {
            0 => Err(WriteError::NotFound(entity)),
            _ => Ok(()),
        }
    }

    /// Deletes one row; `NotFound` if absent, `Conflict` while referred to.
    fn delete_one(&self, sql: &str, params: impl Params, entity: Entity) -> Result<(), WriteError> {
        match self.run(sql, params) {
            Ok(0) => Err(WriteError::NotFound(entity)),
            Ok(_) => Ok(()),
            Err(e) => Err(constraint(
                e,
                || WriteError::Conflict(entity),
                || WriteError::Conflict(entity),
            )),
        }
    }

    /// Runs a multi-statement write so that it applies wholly or not at all, even when the
    /// caller goes on with the transaction after an error.
    pub(super) fn atomic<T>(
        &self,
        f: impl FnOnce(&Self) -> Result<T, WriteError>,
    ) -> Result<T, WriteError> {
        super::exec(self.conn.begun()?, "SAVEPOINT op")?;
        let result = f(self);
        if result.is_err() {
            super::exec(self.conn.begun()?, "ROLLBACK TO op")?;
        }
        super::exec(self.conn.begun()?, "RELEASE op")?;
        result
    }

    fn exists(&self, sql: &str, params: impl Params) -> rusqlite::Result<bool> {
        self.conn.prepare_cached(sql)?.exists(params)
    }

    fn principal_exists(&self, owner: &PrincipalRef) -> rusqlite::Result<bool> {
        let sql = format!(
            "SELECT 1 FROM {} WHERE account = ?1 AND name_key = ?2",
            tables(owner.kind).principals
        );
        self.exists(&sql, [owner.account.as_str(), &name_key(&owner.name)])
    }

    fn insert_version(&self, arn: &str, seq: u32, v: &PolicyVersion) -> Result<(), WriteError> {
        self.run(
            "INSERT INTO policy_versions (policy_arn, version_id, seq, document, create_date) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![arn, v.version_id, seq, v.document, millis(v.create_date)],
        )
        .map(drop)
        .map_err(|e| {
            constraint(
                e,
                || WriteError::AlreadyExists(Entity::PolicyVersion),
                || WriteError::NotFound(Entity::Policy),
            )
        })
    }
}

impl WriteTx for SqliteTx<'_> {
    fn create_account(&mut self, account: &Account) -> Result<(), WriteError> {
        self.run(
            "INSERT INTO accounts (id, alias, email, create_date) VALUES (?1, ?2, ?3, ?4)",
            params![
                account.id.as_str(),
                account.alias,
                account.email,
                millis(account.create_date)
            ],
        )
        .map(drop)
        .map_err(|e| {
            constraint(
                e,
                || WriteError::AlreadyExists(Entity::Account),
                || WriteError::NotFound(Entity::Account),
            )
        })
    }

    fn update_account(&mut self, account: &Account) -> Result<(), WriteError> {
        self.change_one(
            "UPDATE accounts SET alias = ?2, email = ?3 WHERE id = ?1",
            params![account.id.as_str(), account.alias, account.email],
            Entity::Account,
        )
    }

    fn delete_account(&mut self, id: &AccountId) -> Result<(), WriteError> {
        let owns_policies =
            self.exists("SELECT 1 FROM policies WHERE scope = ?1", [id.as_str()])?;
        if owns_policies {
            return Err(WriteError::Conflict(Entity::Account));
        }
        self.delete_one(
            "DELETE FROM accounts WHERE id = ?1",
            [id.as_str()],
            Entity::Account,
        )
    }

    fn create_user(&mut self, user: &User) -> Result<(), WriteError> {
        self.run(
            "INSERT INTO users (account, name_key, name, path, unique_id, arn, create_date, \
             permissions_boundary, tags) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                user.account.as_str(),
                name_key(&user.name),
                user.name,
                user.path,
                user.unique_id,
                user.arn.to_string(),
                millis(user.create_date),
                user.permissions_boundary.as_ref().map(Arn::to_string),
                tags_json(&user.tags)?,
            ],
        )
        .map(drop)
        .map_err(|e| {
            constraint(
                e,
                || WriteError::AlreadyExists(Entity::User),
                || WriteError::NotFound(Entity::Account),
            )
        })
    }

    fn update_user(&mut self, name: &str, user: &User) -> Result<(), WriteError> {
        self.run(
            "UPDATE users SET name_key = ?3, name = ?4, path = ?5, arn = ?6, \
             permissions_boundary = ?7, tags = ?8 WHERE account = ?1 AND name_key = ?2",
            params![
                user.account.as_str(),
                name_key(name),
                name_key(&user.name),
                user.name,
                user.path,
                user.arn.to_string(),
                user.permissions_boundary.as_ref().map(Arn::to_string),
                tags_json(&user.tags)?,
            ],
        )
        .map_err(|e| {
            constraint(
                e,
                || WriteError::AlreadyExists(Entity::User),
                || WriteError::NotFound(Entity::User),
            )
        })
        .and_then(|n| match n {
            0 => Err(WriteError::NotFound(Entity::User)),
            _ => Ok(()),
        })
    }

    fn delete_user(&mut self, account: &AccountId, name: &str) -> Result<(), WriteError> {
        self.delete_one(
            "DELETE FROM users WHERE account = ?1 AND name_key = ?2",
            [account.as_str(), &name_key(name)],
            Entity::User,
        )
    }

    fn create_access_key(&mut self, key: &AccessKey) -> Result<(), WriteError> {
        let (user_key, missing) = match &key.owner {
            KeyOwner::Root => (None, Entity::Account),
            KeyOwner::User(name) => (Some(name_key(name)), Entity::User),
        };
        let last_used = key.last_used.as_ref();
        self.run(
            "INSERT INTO access_keys (id, account, user_key, secret, status, create_date, \
             last_used_date, last_used_service, last_used_region) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                key.id,
                key.account.as_str(),
                user_key,
                key.secret,
                key.status.as_str(),
                millis(key.create_date),
                last_used.map(|u| millis(u.date)),
                last_used.map(|u| &u.service),
                last_used.map(|u| &u.region),
            ],
        )
        .map(drop)
        .map_err(|e| {
            constraint(
                e,
                || WriteError::AlreadyExists(Entity::AccessKey),
                || WriteError::NotFound(missing),
            )
        })
    }

    fn update_access_key(&mut self, key: &AccessKey) -> Result<(), WriteError> {
        let last_used = key.last_used.as_ref();
        self.change_one(
            "UPDATE access_keys SET status = ?2, last_used_date = ?3, last_used_service = ?4, \
             last_used_region = ?5 WHERE id = ?1",
            params![
                key.id,
                key.status.as_str(),
                last_used.map(|u| millis(u.date)),
                last_used.map(|u| &u.service),
                last_used.map(|u| &u.region),
            ],
            Entity::AccessKey,
        )
    }

    fn delete_access_key(&mut self, id: &str) -> Result<(), WriteError> {
        self.delete_one(
            "DELETE FROM access_keys WHERE id = ?1",
            [id],
            Entity::AccessKey,
        )
    }

    fn create_group(&mut self, group: &Group) -> Result<(), WriteError> {
        self.run(
            "INSERT INTO iam_groups (account, name_key, name, path, unique_id, arn, create_date) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                group.account.as_str(),
                name_key(&group.name),
                group.name,
                group.path,
                group.unique_id,
                group.arn.to_string(),
                millis(group.create_date),
            ],
        )
        .map(drop)
        .map_err(|e| {
            constraint(
                e,
                || WriteError::AlreadyExists(Entity::Group),
                || WriteError::NotFound(Entity::Account),
            )
        })
    }

    fn update_group(&mut self, name: &str, group: &Group) -> Result<(), WriteError> {
        self.run(
            "UPDATE iam_groups SET name_key = ?3, name = ?4, path = ?5, arn = ?6 \
             WHERE account = ?1 AND name_key = ?2",
            params![
                group.account.as_str(),
                name_key(name),
                name_key(&group.name),
                group.name,
                group.path,
                group.arn.to_string(),
            ],
        )
        .map_err(|e| {
            constraint(
                e,
                || WriteError::AlreadyExists(Entity::Group),
                || WriteError::NotFound(Entity::Group),
            )
        })
        .and_then(|n| match n {
            0 => Err(WriteError::NotFound(Entity::Group)),
            _ => Ok(()),
        })
    }

    fn delete_group(&mut self, account: &AccountId, name: &str) -> Result<(), WriteError> {
        self.delete_one(
            "DELETE FROM iam_groups WHERE account = ?1 AND name_key = ?2",
            [account.as_str(), &name_key(name)],
            Entity::Group,
        )
    }

    fn add_user_to_group(
        &mut self,
        account: &AccountId,
        group: &str,
        user: &str,
    ) -> Result<(), WriteError> {
        if !self.principal_exists(&PrincipalRef::group(account, group))? {
            return Err(WriteError::NotFound(Entity::Group));
        }
        if !self.principal_exists(&PrincipalRef::user(account, user))? {
            return Err(WriteError::NotFound(Entity::User));
        }
        self.run(
            "INSERT INTO group_members (account, group_key, user_key) VALUES (?1, ?2, ?3)",
            [account.as_str(), &name_key(group), &name_key(user)],
        )
        .map(drop)
        .map_err(|e| {
            constraint(
                e,
                || WriteError::AlreadyExists(Entity::GroupMembership),
                || WriteError::NotFound(Entity::User),
            )
        })
    }

    fn remove_user_from_group(
        &mut self,
        account: &AccountId,
        group: &str,
        user: &str,
    ) -> Result<(), WriteError> {
        self.delete_one(
            "DELETE FROM group_members WHERE account = ?1 AND group_key = ?2 AND user_key = ?3",
            [account.as_str(), &name_key(group), &name_key(user)],
            Entity::GroupMembership,
        )
    }

    fn create_role(&mut self, role: &Role) -> Result<(), WriteError> {
        self.run(
            "INSERT INTO roles (account, name_key, name, path, unique_id, arn, trust_policy, \
             description, max_session_duration, permissions_boundary, tags, create_date) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                role.account.as_str(),
                name_key(&role.name),
                role.name,
                role.path,
                role.unique_id,
                role.arn.to_string(),
                role.trust_policy,
                role.description,
                role.max_session_duration,
                role.permissions_boundary.as_ref().map(Arn::to_string),
                tags_json(&role.tags)?,
                millis(role.create_date),
            ],
        )
        .map(drop)
        .map_err(|e| {
            constraint(
                e,
                || WriteError::AlreadyExists(Entity::Role),
                || WriteError::NotFound(Entity::Account),
            )
        })
    }

    fn update_role(&mut self, role: &Role) -> Result<(), WriteError> {
        self.change_one(
            "UPDATE roles SET trust_policy = ?3, description = ?4, max_session_duration = ?5, \
             permissions_boundary = ?6, tags = ?7 WHERE account = ?1 AND name_key = ?2",
            params![
                role.account.as_str(),
                name_key(&role.name),
                role.trust_policy,
                role.description,
                role.max_session_duration,
                role.permissions_boundary.as_ref().map(Arn::to_string),
                tags_json(&role.tags)?,
            ],
            Entity::Role,
        )
    }

    fn delete_role(&mut self, account: &AccountId, name: &str) -> Result<(), WriteError> {
        self.delete_one(
            "DELETE FROM roles WHERE account = ?1 AND name_key = ?2",
            [account.as_str(), &name_key(name)],
            Entity::Role,
        )
    }

    fn create_policy(&mut self, policy: &ManagedPolicy) -> Result<(), WriteError> {
        if let PolicyScope::Account(id) = &policy.scope
            && self.get_account(id)?.is_none()
        {
            return Err(WriteError::NotFound(Entity::Account));
        }
        if policy.default_version().is_none() {
            return Err(WriteError::NotFound(Entity::PolicyVersion));
        }
        let arn = policy.arn.to_string();
        let created = u32::try_from(policy.versions.len()).unwrap_or(u32::MAX);
        self.atomic(|tx| {
            tx.run(
                "INSERT INTO policies (scope, name_key, name, path, unique_id, arn, \
             default_version_id, versions_created, description, tags, create_date, update_date) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                params![
                    policy.scope.as_str(),
                    name_key(&policy.name),
                    policy.name,
                    policy.path,
                    policy.unique_id,
                    arn,
                    policy.default_version_id,
                    created,
                    policy.description,
                    tags_json(&policy.tags)?,
                    millis(policy.create_date),
                    millis(policy.update_date),
                ],
            )
            .map_err(|e| {
                constraint(
                    e,
                    || WriteError::AlreadyExists(Entity::Policy),
                    || WriteError::NotFound(Entity::Account),
                )
            })?;
            for (seq, version) in (1..).zip(&policy.versions) {
                tx.insert_version(&arn, seq, version)?;
            }
            Ok(())
        })
    }

    fn update_policy(&mut self, policy: &ManagedPolicy) -> Result<(), WriteError> {
        let arn = policy.arn.to_string();
        let has_default = self.exists(
            "SELECT 1 FROM policy_versions WHERE policy_arn = ?1 AND version_id = ?2",
            [&arn, &policy.default_version_id],
        )?;
        if !has_default {
            let policy_exists = self.exists("SELECT 1 FROM policies WHERE arn = ?1", [&arn])?;
            return Err(WriteError::NotFound(if policy_exists {
                Entity::PolicyVersion
            } else {
                Entity::Policy
            }));
        }
        self.change_one(
            "UPDATE policies SET default_version_id = ?2, description = ?3, tags = ?4, \
             update_date = ?5 WHERE arn = ?1",
            params![
                arn,
                policy.default_version_id,
                policy.description,
                tags_json(&policy.tags)?,
                millis(policy.update_date),
            ],
            Entity::Policy,
        )
    }

    fn delete_policy(&mut self, arn: &Arn) -> Result<(), WriteError> {
        self.delete_one(
            "DELETE FROM policies WHERE arn = ?1",
            [arn.to_string()],
            Entity::Policy,
        )
    }

    fn create_policy_version(
        &mut self,
        arn: &Arn,
        version: &PolicyVersion,
    ) -> Result<(), WriteError> {
        let arn = arn.to_string();
        self.atomic(|tx| {
            let seq: Option<u32> = tx
                .conn
                .prepare_cached(
                    "UPDATE policies SET versions_created = versions_created + 1 WHERE arn = ?1 \
                 RETURNING versions_created",
                )?
                .query_row([&arn], |r| r.get(0))
                .map(Some)
                .or_else(|e| match e {
                    rusqlite::Error::QueryReturnedNoRows => Ok(None),
                    other => Err(other),
                })?;
            let seq = seq.ok_or(WriteError::NotFound(Entity::Policy))?;
            tx.insert_version(&arn, seq, version)
        })
    }

    fn delete_policy_version(&mut self, arn: &Arn, version_id: &str) -> Result<(), WriteError> {
        let arn = arn.to_string();
        let is_default = self.exists(
            "SELECT 1 FROM policies WHERE arn = ?1 AND default_version_id = ?2",
            [&arn, version_id],
        )?;
        if is_default {
            return Err(WriteError::Conflict(Entity::PolicyVersion));
        }
        self.delete_one(
            "DELETE FROM policy_versions WHERE policy_arn = ?1 AND version_id = ?2",
            [&arn, version_id],
            Entity::PolicyVersion,
        )
    }

    fn put_inline_policy(
        &mut self,
        owner: &PrincipalRef,
        policy: &InlinePolicy,
    ) -> Result<(), WriteError> {
        let sql = format!(
            "INSERT INTO {} (account, owner_key, name_key, name, document) \
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (account, owner_key, name_key) \
             DO UPDATE SET name = excluded.name, document = excluded.document",
            tables(owner.kind).policies
        );
        let entity = principal_entity(owner.kind);
        self.run(
            &sql,
            [
                owner.account.as_str(),
                &name_key(&owner.name),
                &name_key(&policy.name),
                &policy.name,
                &policy.document,
            ],
        )
        .map(drop)
        .map_err(|e| {
            constraint(
                e,
                || WriteError::AlreadyExists(Entity::InlinePolicy),
                || WriteError::NotFound(entity),
            )
        })
    }

    fn delete_inline_policy(&mut self, owner: &PrincipalRef, name: &str) -> Result<(), WriteError> {
        let sql = format!(
            "DELETE FROM {} WHERE account = ?1 AND owner_key = ?2 AND name_key = ?3",
            tables(owner.kind).policies
        );
        self.delete_one(
            &sql,
            [
                owner.account.as_str(),
                &name_key(&owner.name),
                &name_key(name),
            ],
            Entity::InlinePolicy,
        )
    }

    fn attach_policy(&mut self, owner: &PrincipalRef, arn: &Arn) -> Result<(), WriteError> {
        if !self.principal_exists(owner)? {
            return Err(WriteError::NotFound(principal_entity(owner.kind)));
        }
        let sql = format!(
            "INSERT INTO {} (account, owner_key, policy_arn) VALUES (?1, ?2, ?3)",
            tables(owner.kind).attachments
        );
        self.run(
            &sql,
            [
                owner.account.as_str(),
                &name_key(&owner.name),
                &arn.to_string(),
            ],
        )
        .map(drop)
        .map_err(|e| {
            constraint(
                e,
                || WriteError::AlreadyExists(Entity::Attachment),
                || WriteError::NotFound(Entity::Policy),
            )
        })
    }

    fn detach_policy(&mut self, owner: &PrincipalRef, arn: &Arn) -> Result<(), WriteError> {
        let sql = format!(
            "DELETE FROM {} WHERE account = ?1 AND owner_key = ?2 AND policy_arn = ?3",
            tables(owner.kind).attachments
        );
        self.delete_one(
            &sql,
            [
                owner.account.as_str(),
                &name_key(&owner.name),
                &arn.to_string(),
            ],
            Entity::Attachment,
        )
    }

    fn create_oidc_provider(&mut self, provider: &OidcProvider) -> Result<(), WriteError> {
        self.run(
            "INSERT INTO oidc_providers (arn, account, url, client_ids, thumbprints, tags, \
             create_date) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                provider.arn.to_string(),
                provider.account.as_str(),
                provider.url,
                list_json(&provider.client_ids)?,
                list_json(&provider.thumbprints)?,
                tags_json(&provider.tags)?,
                millis(provider.create_date),
            ],
        )
        .map(drop)
        .map_err(|e| {
            constraint(
                e,
                || WriteError::AlreadyExists(Entity::OidcProvider),
                || WriteError::NotFound(Entity::Account),
            )
        })
    }

    fn update_oidc_provider(&mut self, provider: &OidcProvider) -> Result<(), WriteError> {
        self.change_one(
            "UPDATE oidc_providers SET client_ids = ?2, thumbprints = ?3, tags = ?4 WHERE arn = ?1",
            params![
                provider.arn.to_string(),
                list_json(&provider.client_ids)?,
                list_json(&provider.thumbprints)?,
                tags_json(&provider.tags)?,
            ],
            Entity::OidcProvider,
        )
    }

    fn delete_oidc_provider(&mut self, arn: &Arn) -> Result<(), WriteError> {
        self.delete_one(
            "DELETE FROM oidc_providers WHERE arn = ?1",
            [arn.to_string()],
            Entity::OidcProvider,
        )
    }

    fn create_bucket(&mut self, bucket: &Bucket) -> Result<(), WriteError> {
        self.s3_create_bucket(bucket)
    }

    fn update_bucket(&mut self, bucket: &Bucket) -> Result<(), WriteError> {
        self.s3_update_bucket(bucket)
    }

    fn delete_bucket(&mut self, name: &str) -> Result<(), WriteError> {
        self.s3_delete_bucket(name)
    }

    fn put_object_version(&mut self, version: &ObjectVersion) -> Result<Vec<BlobId>, WriteError> {
        self.bucket_exists(&version.bucket)?;
        self.objects.write(|w| w.put_version(version))?
    }

    fn update_object_version(&mut self, version: &ObjectVersion) -> Result<(), WriteError> {
        self.objects.write(|w| w.update_version(version))?
    }

    fn delete_object_version(
        &mut self,
        bucket: &str,
        key: &str,
        version_id: &str,
    ) -> Result<Vec<BlobId>, WriteError> {
        self.objects
            .write(|w| w.delete_version(bucket, key, version_id))?
    }

    fn create_upload(&mut self, upload: &MultipartUpload) -> Result<(), WriteError> {
        self.bucket_exists(&upload.bucket)?;
        self.objects.write(|w| w.create_upload(upload))?
    }

    fn put_part(
        &mut self,
        bucket: &str,
        upload_id: &str,
        part: &Part,
    ) -> Result<Vec<BlobId>, WriteError> {
        self.objects
            .write(|w| w.put_part(bucket, upload_id, part))?
    }

    fn complete_upload(
        &mut self,
        bucket: &str,
        upload_id: &str,
        parts: &[u32],
        object: &ObjectVersion,
    ) -> Result<Vec<BlobId>, WriteError> {
        self.objects
            .write(|w| w.complete_upload(bucket, upload_id, parts, object))?
    }

    fn abort_upload(&mut self, bucket: &str, upload_id: &str) -> Result<Vec<BlobId>, WriteError> {
        self.objects.write(|w| w.abort_upload(bucket, upload_id))?
    }
}
