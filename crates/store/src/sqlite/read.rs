//! The reads, and how rows become records.

use super::SqliteTx;
use super::codec::{
    account_at, arn_at, limit, list_at, opt_arn_at, opt_time_at, tags_at, time_at, u32_at,
};
use crate::error::StoreError;
use crate::model::{
    AccessKey, Account, AttachedPolicy, Group, InlinePolicy, KeyLastUsed, KeyOwner, KeyStatus,
    ManagedPolicy, OidcProvider, PolicyScope, PolicyVersion, PrincipalKind, PrincipalRef, Role,
    User, name_key,
};
use crate::objects;
use crate::s3::{
    BlobId, Bucket, MultipartUpload, ObjectListing, ObjectQuery, ObjectVersion, PartListing,
    UploadListing, UploadQuery, VersionListing, VersionQuery,
};
use crate::transaction::{ListQuery, Page, PolicyFilter, PolicyListScope, ReadTx};
use roleplay_types::{AccountId, Arn};
use rusqlite::{OptionalExtension, Params, Row, ToSql};

/// The tables of one kind of principal.
pub(super) struct Tables {
    pub(super) principals: &'static str,
    pub(super) policies: &'static str,
    pub(super) attachments: &'static str,
}

pub(super) fn tables(kind: PrincipalKind) -> Tables {
    match kind {
        PrincipalKind::User => Tables {
            principals: "users",
            policies: "user_policies",
            attachments: "user_attachments",
        },
        PrincipalKind::Group => Tables {
            principals: "iam_groups",
            policies: "group_policies",
            attachments: "group_attachments",
        },
        PrincipalKind::Role => Tables {
            principals: "roles",
            policies: "role_policies",
            attachments: "role_attachments",
        },
    }
}

const ACCOUNT_COLS: &str = "a.id, a.alias, a.email, a.create_date";

fn account_row(r: &Row<'_>) -> rusqlite::Result<Account> {
    Ok(Account {
        id: account_at(r, 0)?,
        alias: r.get(1)?,
        email: r.get(2)?,
        create_date: time_at(r, 3)?,
    })
}

const USER_COLS: &str =
    "u.account, u.name, u.path, u.unique_id, u.arn, u.create_date, u.permissions_boundary, u.tags";

fn user_row(r: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        account: account_at(r, 0)?,
        name: r.get(1)?,
        path: r.get(2)?,
        unique_id: r.get(3)?,
        arn: arn_at(r, 4)?,
        create_date: time_at(r, 5)?,
        permissions_boundary: opt_arn_at(r, 6)?,
        tags: tags_at(r, 7)?,
    })
}

const KEY_COLS: &str = "k.id, k.secret, k.account, k.user_key, u.name, k.status, k.create_date, \
     k.last_used_date, k.last_used_service, k.last_used_region";
const KEY_FROM: &str =
    "access_keys k LEFT JOIN users u ON u.account = k.account AND u.name_key = k.user_key";

fn key_row(r: &Row<'_>) -> rusqlite::Result<AccessKey> {
    let user_key: Option<String> = r.get(3)?;
    let owner = match (user_key, r.get::<_, Option<String>>(4)?) {
        (None, _) => KeyOwner::Root,
        (Some(_), Some(name)) => KeyOwner::User(name),
        (Some(key), None) => return Err(invalid(3, format!("no user `{key}`"))),
    };
    let status = match r.get_ref(5)?.as_str()? {
        "Active" => KeyStatus::Active,
        "Inactive" => KeyStatus::Inactive,
        other => return Err(invalid(5, format!("status `{other}`"))),
    };
    let last_used = match opt_time_at(r, 7)? {
        None => None,
        Some(date) => Some(KeyLastUsed {
            date,
            service: r.get::<_, Option<String>>(8)?.unwrap_or_default(),
            region: r.get::<_, Option<String>>(9)?.unwrap_or_default(),
        }),
    };
    Ok(AccessKey {
        id: r.get(0)?,
        secret: r.get(1)?,
        account: account_at(r, 2)?,
        owner,
        status,
        create_date: time_at(r, 6)?,
        last_used,
    })
}

const GROUP_COLS: &str = "g.account, g.name, g.path, g.unique_id, g.arn, g.create_date";

fn group_row(r: &Row<'_>) -> rusqlite::Result<Group> {
    Ok(Group {
        account: account_at(r, 0)?,
        name: r.get(1)?,
        path: r.get(2)?,
        unique_id: r.get(3)?,
        arn: arn_at(r, 4)?,
        create_date: time_at(r, 5)?,
    })
}

const ROLE_COLS: &str = "r.account, r.name, r.path, r.unique_id, r.arn, r.trust_policy, \
     r.description, r.max_session_duration, r.permissions_boundary, r.tags, r.create_date";

fn role_row(r: &Row<'_>) -> rusqlite::Result<Role> {
    Ok(Role {
        account: account_at(r, 0)?,
        name: r.get(1)?,
        path: r.get(2)?,
        unique_id: r.get(3)?,
        arn: arn_at(r, 4)?,
        trust_policy: r.get(5)?,
        description: r.get(6)?,
        max_session_duration: u32_at(r, 7)?,
        permissions_boundary: opt_arn_at(r, 8)?,
        tags: tags_at(r, 9)?,
        create_date: time_at(r, 10)?,
    })
}

const POLICY_COLS: &str = "p.scope, p.name, p.path, p.unique_id, p.arn, p.default_version_id, \
     p.versions_created, p.description, p.tags, p.create_date, p.update_date, \
     (SELECT count(*) FROM user_attachments x WHERE x.policy_arn = p.arn) \
     + (SELECT count(*) FROM group_attachments x WHERE x.policy_arn = p.arn) \
     + (SELECT count(*) FROM role_attachments x WHERE x.policy_arn = p.arn), \
     (SELECT count(*) FROM users x WHERE x.permissions_boundary = p.arn) \
     + (SELECT count(*) FROM roles x WHERE x.permissions_boundary = p.arn)";

fn policy_row(r: &Row<'_>) -> rusqlite::Result<ManagedPolicy> {
    let scope = match r.get_ref(0)?.as_str()? {
        "aws" => PolicyScope::Aws,
        _ => PolicyScope::Account(account_at(r, 0)?),
    };
    Ok(ManagedPolicy {
        scope,
        name: r.get(1)?,
        path: r.get(2)?,
        unique_id: r.get(3)?,
        arn: arn_at(r, 4)?,
        default_version_id: r.get(5)?,
        versions: Vec::new(),
        versions_created: u32_at(r, 6)?,
        description: r.get(7)?,
        tags: tags_at(r, 8)?,
        create_date: time_at(r, 9)?,
        update_date: time_at(r, 10)?,
        attachment_count: u32_at(r, 11)?,
        boundary_usage_count: u32_at(r, 12)?,
    })
}

const OIDC_COLS: &str =
    "o.account, o.arn, o.url, o.client_ids, o.thumbprints, o.tags, o.create_date";

fn oidc_row(r: &Row<'_>) -> rusqlite::Result<OidcProvider> {
    Ok(OidcProvider {
        account: account_at(r, 0)?,
        arn: arn_at(r, 1)?,
        url: r.get(2)?,
        client_ids: list_at(r, 3)?,
        thumbprints: list_at(r, 4)?,
        tags: tags_at(r, 5)?,
        create_date: time_at(r, 6)?,
    })
}

fn invalid(column: usize, what: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        column,
        rusqlite::types::Type::Text,
        Box::<dyn std::error::Error + Send + Sync>::from(what),
    )
}

/// The filter and order shared by the listings of users, groups and roles (`alias`).
fn principal_page_sql(cols: &str, table: &str, alias: &str) -> String {
    format!(
        "SELECT {cols} FROM {table} {alias} WHERE {alias}.account = ?1 \
         AND (?2 IS NULL OR substr({alias}.path, 1, length(?2)) = ?2) \
         AND (?3 IS NULL OR {alias}.name_key > ?3) \
         ORDER BY {alias}.name_key LIMIT ?4"
    )
}

impl SqliteTx<'_> {
    fn one<T>(
        &self,
        sql: &str,
        params: impl Params,
        map: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Option<T>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(sql)?
            .query_row(params, map)
            .optional()?)
    }

    fn all<T>(
        &self,
        sql: &str,
        params: impl Params,
        map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(params, map)?;
        Ok(rows.collect::<rusqlite::Result<Vec<T>>>()?)
    }

    fn principal_page<T>(
        &self,
        sql: &str,
        account: &AccountId,
        query: &ListQuery,
        map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
        name: impl Fn(&T) -> &str,
    ) -> Result<Page<T>, StoreError> {
        let marker = query.marker.as_deref().map(name_key);
        let items = self.all(
            sql,
            rusqlite::params![
                account.as_str(),
                query.path_prefix,
                marker,
                limit(query.max_items)
            ],
            map,
        )?;
        Ok(paginate(items, query.max_items, |item| {
            name_key(name(item))
        }))
    }

    fn policy_versions(&self, policy: &mut ManagedPolicy) -> Result<(), StoreError> {
        policy.versions = self.all(
            "SELECT version_id, document, create_date FROM policy_versions \
             WHERE policy_arn = ?1 ORDER BY seq",
            [policy.arn.to_string()],
            |r| {
                Ok(PolicyVersion {
                    version_id: r.get(0)?,
                    document: r.get(1)?,
                    create_date: time_at(r, 2)?,
                })
            },
        )?;
        Ok(())
    }

    /// The display names of `kind` principals in `account` that have `arn` attached.
    fn attached_to(
        &self,
        kind: PrincipalKind,
        account: &AccountId,
        arn: &str,
    ) -> Result<Vec<PrincipalRef>, StoreError> {
        let t = tables(kind);
        let sql = format!(
            "SELECT o.name FROM {} a JOIN {} o ON o.account = a.account AND o.name_key = a.owner_key \
             WHERE a.account = ?1 AND a.policy_arn = ?2 ORDER BY o.name_key",
            t.attachments, t.principals
        );
        self.all(&sql, [account.as_str(), arn], |r| {
            Ok(PrincipalRef {
                account: account.clone(),
                kind,
                name: r.get(0)?,
            })
        })
    }
}

/// Cuts the extra row fetched by [`limit`] and sets the marker to the last item's position.
fn paginate<T>(mut items: Vec<T>, max_items: usize, position: impl Fn(&T) -> String) -> Page<T> {
    let is_truncated = items.len() > max_items;
    items.truncate(max_items);
    let marker = if is_truncated {
        items.last().map(position)
    } else {
        None
    };
    Page {
        items,
        is_truncated,
        marker,
    }
}

/// A policy's position in listings: its name, then AWS-managed (`0`) before local (`1`).
fn policy_position(policy: &ManagedPolicy) -> String {
    let local = u8::from(policy.scope != PolicyScope::Aws);
    format!("{}|{local}", name_key(&policy.name))
}

fn parse_policy_marker(marker: &str) -> (String, i64) {
    match marker.rsplit_once('|') {
        Some((name, "0")) => (name_key(name), 0),
        Some((name, _)) => (name_key(name), 1),
        None => (name_key(marker), 1),
    }
}

impl ReadTx for SqliteTx<'_> {
    fn iam_generation(&self) -> Option<u64> {
        self.generation
    }

    fn object_generation(&self) -> Option<u64> {
        self.object_generation
    }

    fn get_account(&self, id: &AccountId) -> Result<Option<Account>, StoreError> {
        self.one(
            &format!("SELECT {ACCOUNT_COLS} FROM accounts a WHERE a.id = ?1"),
            [id.as_str()],
            account_row,
        )
    }

    fn list_accounts(&self) -> Result<Vec<Account>, StoreError> {
        self.all(
            &format!("SELECT {ACCOUNT_COLS} FROM accounts a ORDER BY a.id"),
            [],
            account_row,
        )
    }

    fn get_user(&self, account: &AccountId, name: &str) -> Result<Option<User>, StoreError> {
        self.one(
            &format!("SELECT {USER_COLS} FROM users u WHERE u.account = ?1 AND u.name_key = ?2"),
            [account.as_str(), &name_key(name)],
            user_row,
        )
    }

    fn list_users(&self, account: &AccountId, query: &ListQuery) -> Result<Page<User>, StoreError> {
        let sql = principal_page_sql(USER_COLS, "users", "u");
        self.principal_page(&sql, account, query, user_row, |u| &u.name)
    }

    fn get_access_key(&self, id: &str) -> Result<Option<AccessKey>, StoreError> {
        self.one(
            &format!("SELECT {KEY_COLS} FROM {KEY_FROM} WHERE k.id = ?1"),
            [id],
            key_row,
        )
    }

    fn list_access_keys(
        &self,
        account: &AccountId,
        owner: &KeyOwner,
    ) -> Result<Vec<AccessKey>, StoreError> {
        let user_key = match owner {
            KeyOwner::Root => None,
            KeyOwner::User(name) => Some(name_key(name)),
        };
        self.all(
            &format!(
                "SELECT {KEY_COLS} FROM {KEY_FROM} WHERE k.account = ?1 AND k.user_key IS ?2 \
                 ORDER BY k.create_date, k.id"
            ),
            rusqlite::params![account.as_str(), user_key],
            key_row,
        )
    }

    fn get_group(&self, account: &AccountId, name: &str) -> Result<Option<Group>, StoreError> {
        self.one(
            &format!(
                "SELECT {GROUP_COLS} FROM iam_groups g WHERE g.account = ?1 AND g.name_key = ?2"
            ),
            [account.as_str(), &name_key(name)],
            group_row,
        )
    }

    fn list_groups(
        &self,
        account: &AccountId,
        query: &ListQuery,
    ) -> Result<Page<Group>, StoreError> {
        let sql = principal_page_sql(GROUP_COLS, "iam_groups", "g");
        self.principal_page(&sql, account, query, group_row, |g| &g.name)
    }

    fn list_group_members(
        &self,
        account: &AccountId,
        group: &str,
    ) -> Result<Vec<User>, StoreError> {
        self.all(
            &format!(
                "SELECT {USER_COLS} FROM group_members m \
                 JOIN users u ON u.account = m.account AND u.name_key = m.user_key \
                 WHERE m.account = ?1 AND m.group_key = ?2 ORDER BY u.name_key"
            ),
            [account.as_str(), &name_key(group)],
            user_row,
        )
    }

    fn list_groups_for_user(
        &self,
        account: &AccountId,
        user: &str,
    ) -> Result<Vec<Group>, StoreError> {
        self.all(
            &format!(
                "SELECT {GROUP_COLS} FROM group_members m \
                 JOIN iam_groups g ON g.account = m.account AND g.name_key = m.group_key \
                 WHERE m.account = ?1 AND m.user_key = ?2 ORDER BY g.name_key"
            ),
            [account.as_str(), &name_key(user)],
            group_row,
        )
    }

    fn get_role(&self, account: &AccountId, name: &str) -> Result<Option<Role>, StoreError> {
        self.one(
            &format!("SELECT {ROLE_COLS} FROM roles r WHERE r.account = ?1 AND r.name_key = ?2"),
            [account.as_str(), &name_key(name)],
            role_row,
        )
    }

    fn list_roles(&self, account: &AccountId, query: &ListQuery) -> Result<Page<Role>, StoreError> {
        let sql = principal_page_sql(ROLE_COLS, "roles", "r");
        self.principal_page(&sql, account, query, role_row, |r| &r.name)
    }

    fn get_policy(&self, arn: &Arn) -> Result<Option<ManagedPolicy>, StoreError> {
        let found = self.one(
            &format!("SELECT {POLICY_COLS} FROM policies p WHERE p.arn = ?1"),
            [arn.to_string()],
            policy_row,
        )?;
        match found {
            None => Ok(None),
            Some(mut policy) => {
                self.policy_versions(&mut policy)?;
                Ok(Some(policy))
            }
        }
    }

    fn list_policies(
        &self,
        filter: &PolicyFilter,
        query: &ListQuery,
    ) -> Result<Page<ManagedPolicy>, StoreError> {
        let scope = match filter.scope {
            PolicyListScope::All => "all",
            PolicyListScope::Aws => "aws",
            PolicyListScope::Local => "local",
        };
        let (marker_name, marker_local) = match query.marker.as_deref() {
            Some(m) => {
                let (name, local) = parse_policy_marker(m);
                (Some(name), local)
            }
            None => (None, 0),
        };
        let attached = |table: &str| {
            format!(
                "EXISTS (SELECT 1 FROM {table} x WHERE x.account = ?2 AND x.policy_arn = p.arn)"
            )
        };
        let sql = format!(
            "SELECT {POLICY_COLS} FROM policies p WHERE \
             (CASE ?1 WHEN 'all' THEN p.scope IN ('aws', ?2) \
                      WHEN 'aws' THEN p.scope = 'aws' ELSE p.scope = ?2 END) \
             AND (?3 = 0 OR {} OR {} OR {}) \
             AND (?4 IS NULL OR substr(p.path, 1, length(?4)) = ?4) \
             AND (?5 IS NULL OR (p.name_key, p.scope <> 'aws') > (?5, ?6)) \
             ORDER BY p.name_key, p.scope <> 'aws' LIMIT ?7",
            attached("user_attachments"),
            attached("group_attachments"),
            attached("role_attachments"),
        );
        let params: [&dyn ToSql; 7] = [
            &scope,
            &filter.account.as_str(),
            &filter.only_attached,
            &query.path_prefix,
            &marker_name,
            &marker_local,
            &limit(query.max_items),
        ];
        let items = self.all(&sql, params.as_slice(), policy_row)?;
        let mut page = paginate(items, query.max_items, policy_position);
        for policy in &mut page.items {
            self.policy_versions(policy)?;
        }
        Ok(page)
    }

    fn get_inline_policy(
        &self,
        owner: &PrincipalRef,
        name: &str,
    ) -> Result<Option<InlinePolicy>, StoreError> {
        let sql = format!(
            "SELECT name, document FROM {} WHERE account = ?1 AND owner_key = ?2 AND name_key = ?3",
            tables(owner.kind).policies
        );
        self.one(
            &sql,
            [
                owner.account.as_str(),
                &name_key(&owner.name),
                &name_key(name),
            ],
            |r| {
                Ok(InlinePolicy {
                    name: r.get(0)?,
                    document: r.get(1)?,
                })
            },
        )
    }

    fn list_inline_policies(&self, owner: &PrincipalRef) -> Result<Vec<InlinePolicy>, StoreError> {
        let sql = format!(
            "SELECT name, document FROM {} WHERE account = ?1 AND owner_key = ?2 ORDER BY name_key",
            tables(owner.kind).policies
        );
        self.all(
            &sql,
            [owner.account.as_str(), &name_key(&owner.name)],
            |r| {
                Ok(InlinePolicy {
                    name: r.get(0)?,
                    document: r.get(1)?,
                })
            },
        )
    }

    fn list_attached_policies(
        &self,
        owner: &PrincipalRef,
    ) -> Result<Vec<AttachedPolicy>, StoreError> {
        let sql = format!(
            "SELECT p.name, p.arn FROM {} a JOIN policies p ON p.arn = a.policy_arn \
             WHERE a.account = ?1 AND a.owner_key = ?2 ORDER BY p.name_key, p.arn",
            tables(owner.kind).attachments
        );
        self.all(
            &sql,
            [owner.account.as_str(), &name_key(&owner.name)],
            |r| {
                Ok(AttachedPolicy {
                    name: r.get(0)?,
                    arn: arn_at(r, 1)?,
                })
            },
        )
    }

    fn list_policy_attachments(
        &self,
        account: &AccountId,
        arn: &Arn,
    ) -> Result<Vec<PrincipalRef>, StoreError> {
        let arn = arn.to_string();
        let mut found = Vec::new();
        for kind in [
            PrincipalKind::User,
            PrincipalKind::Group,
            PrincipalKind::Role,
        ] {
            found.extend(self.attached_to(kind, account, &arn)?);
        }
        Ok(found)
    }

    fn get_oidc_provider(&self, arn: &Arn) -> Result<Option<OidcProvider>, StoreError> {
        self.one(
            &format!("SELECT {OIDC_COLS} FROM oidc_providers o WHERE o.arn = ?1"),
            [arn.to_string()],
            oidc_row,
        )
    }

    fn list_oidc_providers(&self, account: &AccountId) -> Result<Vec<OidcProvider>, StoreError> {
        self.all(
            &format!(
                "SELECT {OIDC_COLS} FROM oidc_providers o WHERE o.account = ?1 ORDER BY o.arn"
            ),
            [account.as_str()],
            oidc_row,
        )
    }

    fn get_bucket(&self, name: &str) -> Result<Option<Bucket>, StoreError> {
        match &self.buckets {
            Some(memo) => memo.bucket(name, || self.s3_get_bucket(name), Option::clone),
            None => self.s3_get_bucket(name),
        }
    }

    fn list_buckets(&self, owner: &AccountId) -> Result<Vec<Bucket>, StoreError> {
        self.s3_list_buckets(owner)
    }

    fn get_object(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<Option<ObjectVersion>, StoreError> {
        self.objects.get_object(bucket, key, version_id)
    }

    fn list_objects(&self, bucket: &str, query: &ObjectQuery) -> Result<ObjectListing, StoreError> {
        self.objects
            .read(|view| objects::list_objects(view, bucket, query))
    }

    fn list_object_versions(
        &self,
        bucket: &str,
        query: &VersionQuery,
    ) -> Result<VersionListing, StoreError> {
        self.objects
            .read(|view| objects::list_object_versions(view, bucket, query))
    }

    fn get_upload(
        &self,
        bucket: &str,
        upload_id: &str,
    ) -> Result<Option<MultipartUpload>, StoreError> {
        Ok(self
            .objects
            .read(|view| objects::get_upload(view, bucket, upload_id)))
    }

    fn list_uploads(&self, bucket: &str, query: &UploadQuery) -> Result<UploadListing, StoreError> {
        Ok(self
            .objects
            .read(|view| objects::list_uploads(view, bucket, query)))
    }

    fn list_parts(
        &self,
        bucket: &str,
        upload_id: &str,
        after: u32,
        max_parts: usize,
    ) -> Result<PartListing, StoreError> {
        Ok(self
            .objects
            .read(|view| objects::list_parts(view, bucket, upload_id, after, max_parts)))
    }

    fn blob_in_use(&self, blob: &BlobId) -> Result<bool, StoreError> {
        Ok(self.objects.read(|view| objects::blob_in_use(view, blob)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_markers_order_aws_before_local() {
        assert_eq!(
            parse_policy_marker("readonly|0"),
            ("readonly".to_owned(), 0)
        );
        assert_eq!(
            parse_policy_marker("ReadOnly|1"),
            ("readonly".to_owned(), 1)
        );
        // A bare name starts after every policy of that name.
        assert_eq!(parse_policy_marker("ReadOnly"), ("readonly".to_owned(), 1));
    }

    #[test]
    fn pages_cut_the_probe_row_and_mark_the_last_item() {
        let page = paginate(vec!["a", "b", "c"], 2, |s| s.to_uppercase());
        assert_eq!(page.items, ["a", "b"]);
        assert!(page.is_truncated);
        assert_eq!(page.marker.as_deref(), Some("B"));
        let page = paginate(vec!["a", "b"], 2, |s| s.to_uppercase());
        assert!(!page.is_truncated);
        assert_eq!(page.marker, None);
    }
}
