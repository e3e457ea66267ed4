//! Tags of users, roles and managed policies. Keys are unique regardless of case; tagging
//! an existing key replaces it.

use super::{Paging, no_such};
use crate::error::{ApiError, ErrorCode};
use crate::identity::Identity;
use crate::{Engine, RequestInfo, write_error};
use roleplay_store::{Page, ReadTx, StoreExt, Tag, WriteTx};

/// Tags one entity may carry.
const TAGS_PER_ENTITY: usize = 50;

/// What a tag operation addresses.
#[derive(Debug, Clone, Copy)]
pub enum TagTarget<'a> {
    /// A user, by name.
    User(&'a str),
    /// A role, by name.
    Role(&'a str),
    /// A customer-managed policy, by ARN.
    Policy(&'a str),
}

impl TagTarget<'_> {
    fn noun(self) -> &'static str {
        match self {
            TagTarget::User(_) => "User",
            TagTarget::Role(_) => "Role",
            TagTarget::Policy(_) => "Policy",
        }
    }
}

fn duplicate_keys() -> ApiError {
    ApiError::new(
        ErrorCode::InvalidInput,
        "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
    )
}

impl Engine {
    /// The ARN authorizing an operation on `target`.
    fn tag_target_arn(
        &self,
        tx: &dyn ReadTx,
        id: &Identity,
        target: TagTarget<'_>,
    ) -> Result<String, ApiError> {
        match target {
            TagTarget::User(n) => self.existing_user_arn(tx, id, n),
            TagTarget::Role(n) => self.existing_role_arn(tx, id, n),
            TagTarget::Policy(arn) => Ok(arn.to_owned()),
        }
    }

    fn current_tags(
        &self,
        tx: &dyn ReadTx,
        id: &Identity,
        target: TagTarget<'_>,
    ) -> Result<Vec<Tag>, ApiError> {
        match target {
            TagTarget::User(n) => Ok(tx
                .get_user(&id.account, n)?
                .ok_or_else(|| no_such("user", n))?
                .tags),
            TagTarget::Role(n) => Ok(tx
                .get_role(&id.account, n)?
                .ok_or_else(|| no_such("role", n))?
                .tags),
            TagTarget::Policy(arn) => Ok(self.own_policy(tx, id, arn)?.tags),
        }
    }

    fn store_tags(
        &self,
        tx: &mut dyn WriteTx,
        id: &Identity,
        target: TagTarget<'_>,
        tags: Vec<Tag>,
    ) -> Result<(), ApiError> {
        match target {
            TagTarget::User(n) => {
                let mut user = tx
                    .get_user(&id.account, n)?
                    .ok_or_else(|| no_such("user", n))?;
                let name = user.name.clone();
                user.tags = tags;
                tx.update_user(&name, &user).map_err(write_error)
            }
            TagTarget::Role(n) => {
                let mut role = tx
                    .get_role(&id.account, n)?
                    .ok_or_else(|| no_such("role", n))?;
                role.tags = tags;
                tx.update_role(&role).map_err(write_error)
            }
            TagTarget::Policy(arn) => {
                let mut policy = self.own_policy(tx, id, arn)?;
                policy.tags = tags;
                tx.update_policy(&policy).map_err(write_error)
            }
        }
    }

    /// `TagUser`, `TagRole`, `TagPolicy`.
    pub fn tag_resource(
        &self,
        id: &Identity,
        info: &RequestInfo,
        target: TagTarget<'_>,
        tags: &[Tag],
    ) -> Result<(), ApiError> {
        let action = format!("iam:Tag{}", target.noun());
        self.store.write(|tx| {
            let arn = self.tag_target_arn(tx, id, target)?;
            self.iam_check(tx, id, info, &action, &arn, tags)?;
            let mut current = self.current_tags(tx, id, target)?;
            for (i, t) in tags.iter().enumerate() {
                if tags
                    .iter()
                    .skip(i + 1)
                    .any(|o| o.key.eq_ignore_ascii_case(&t.key))
                {
                    return Err(duplicate_keys());
                }
            }
            for t in tags {
                match current
                    .iter_mut()
                    .find(|c| c.key.eq_ignore_ascii_case(&t.key))
                {
                    Some(c) => *c = t.clone(),
                    None => current.push(t.clone()),
                }
            }
            if current.len() > TAGS_PER_ENTITY {
                return Err(ApiError::new(
                    ErrorCode::LimitExceeded,
                    format!(
                        "Cannot exceed quota for TagsPer{}: {TAGS_PER_ENTITY}",
                        target.noun()
                    ),
                ));
            }
            self.store_tags(tx, id, target, current)
        })
    }

    /// `UntagUser`, `UntagRole`, `UntagPolicy`; absent keys are ignored.
    pub fn untag_resource(
        &self,
        id: &Identity,
        info: &RequestInfo,
        target: TagTarget<'_>,
        keys: &[String],
    ) -> Result<(), ApiError> {
        let action = format!("iam:Untag{}", target.noun());
        self.store.write(|tx| {
            let arn = self.tag_target_arn(tx, id, target)?;
            let mut ctx = self.context(id, info);
            if !keys.is_empty() {
                ctx.insert_multi("aws:TagKeys", keys.to_vec());
            }
            self.iam_check_with(tx, id, &action, &arn, &ctx)?;
            let mut current = self.current_tags(tx, id, target)?;
            let before = current.len();
            current.retain(|t| !keys.iter().any(|k| k.eq_ignore_ascii_case(&t.key)));
            if current.len() == before {
                return Ok(());
            }
            self.store_tags(tx, id, target, current)
        })
    }

    /// `ListUserTags`, `ListRoleTags`, `ListPolicyTags`: the tags in the order they were set.
    pub fn list_resource_tags(
        &self,
        id: &Identity,
        info: &RequestInfo,
        target: TagTarget<'_>,
        paging: &Paging,
    ) -> Result<Page<Tag>, ApiError> {
        let action = format!("iam:List{}Tags", target.noun());
        self.store.read(|tx| {
            let arn = self.tag_target_arn(tx, id, target)?;
            self.iam_check(tx, id, info, &action, &arn, &[])?;
            let tags = match target {
                TagTarget::Policy(arn) => self.visible_policy(tx, id, arn)?.tags,
                other => self.current_tags(tx, id, other)?,
            };
            paging.page(tags)
        })
    }
}
