//! Managed policy versions and the entities using a policy.

use crate::common::{B, allow, assert_denied, assert_error, env, one_by_one};
use roleplay_engine::ErrorCode;
use roleplay_engine::iam::{CreatePolicyInput, EntityFilter, Owner, Paging, PolicyUsage};
use roleplay_store::PrincipalKind;

const S3_ALL: &str = "arn:aws:iam::345345345345:policy/s3-all";

#[test]
fn versions_are_numbered_capped_and_listed_newest_first() {
    let env = env();
    let (e, root, info) = (&env.engine, &env.root, &env.info);
    let doc = allow("s3:GetObject");
    let (v2, default) = e
        .create_policy_version(root, info, S3_ALL, &doc, false)
        .unwrap();
    assert_eq!((v2.version_id.as_str(), default), ("v2", false));
    assert_eq!(
        e.get_policy(root, info, S3_ALL).unwrap().default_version_id,
        "v1"
    );
    let (v3, default) = e
        .create_policy_version(root, info, S3_ALL, &doc, true)
        .unwrap();
    assert_eq!((v3.version_id.as_str(), default), ("v3", true));
    assert_eq!(
        e.get_policy(root, info, S3_ALL).unwrap().default_version_id,
        "v3"
    );
    e.create_policy_version(root, info, S3_ALL, &doc, false)
        .unwrap();
    e.create_policy_version(root, info, S3_ALL, &doc, false)
        .unwrap();
    assert_error(
        e.create_policy_version(root, info, S3_ALL, &doc, false),
        ErrorCode::LimitExceeded,
        "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.",
    );
    assert_error(
        e.delete_policy_version(root, info, S3_ALL, "v3"),
        ErrorCode::DeleteConflict,
        "Cannot delete the default version of a policy.",
    );
    e.delete_policy_version(root, info, S3_ALL, "v2").unwrap();
    assert_error(
        e.delete_policy_version(root, info, S3_ALL, "v2"),
        ErrorCode::NoSuchEntity,
        "Policy arn:aws:iam::345345345345:policy/s3-all version v2 does not exist or is not attachable.",
    );
    // Ids are never reused.
    let (v6, _) = e
        .create_policy_version(root, info, S3_ALL, &doc, false)
        .unwrap();
    assert_eq!(v6.version_id, "v6");
    e.set_default_policy_version(root, info, S3_ALL, "v6")
        .unwrap();
    assert_eq!(
        e.get_policy(root, info, S3_ALL).unwrap().default_version_id,
        "v6"
    );
    assert_error(
        e.set_default_policy_version(root, info, S3_ALL, "v9"),
        ErrorCode::NoSuchEntity,
        "Policy arn:aws:iam::345345345345:policy/s3-all version v9 does not exist or is not attachable.",
    );
    let listed = one_by_one(|pg| {
        e.list_policy_versions(root, info, S3_ALL, &pg)
            .map(|(_, p)| p)
    });
    let ids: Vec<_> = listed.iter().map(|v| v.version_id.as_str()).collect();
    assert_eq!(ids, ["v6", "v5", "v4", "v3", "v1"]);
    // The old default can go now.
    e.delete_policy_version(root, info, S3_ALL, "v3").unwrap();
}

#[test]
fn version_errors() {
    let env = env();
    let (e, root, info) = (&env.engine, &env.root, &env.info);
    assert_error(
        e.create_policy_version(root, info, S3_ALL, r#"{"Statement":[]}"#, false),
        ErrorCode::MalformedPolicyDocument,
        "Syntax errors in policy.",
    );
    let readonly = "arn:aws:iam::aws:policy/ReadOnlyAccess";
    assert_error(
        e.create_policy_version(root, info, readonly, &allow("s3:*"), true),
        ErrorCode::InvalidInput,
        "ARN arn:aws:iam::aws:policy/ReadOnlyAccess is not valid.",
    );
    let missing = format!("arn:aws:iam::{B}:policy/missing");
    assert_error(
        e.list_policy_versions(root, info, &missing, &Paging::default()),
        ErrorCode::NoSuchEntity,
        &format!("Policy {missing} does not exist or is not attachable."),
    );
    // AWS-managed policies list their versions.
    let (_, page) = e
        .list_policy_versions(root, info, readonly, &Paging::default())
        .unwrap();
    assert_eq!(page.items.len(), 1);
}

#[test]
fn entities_for_policy() {
    let env = env();
    let (e, root, info) = (&env.engine, &env.root, &env.info);
    for u in ["zed", "amy"] {
        e.create_user(root, info, u, Some("/team/".into()), None, Vec::new())
            .unwrap();
        e.attach_policy(root, info, Owner::User, u, S3_ALL).unwrap();
    }
    e.create_group(root, info, "g", None).unwrap();
    e.attach_policy(root, info, Owner::Group, "g", S3_ALL)
        .unwrap();
    e.create_user(root, info, "bounded", None, Some(S3_ALL.into()), Vec::new())
        .unwrap();

    let all = one_by_one(|pg| {
        e.list_entities_for_policy(root, info, S3_ALL, EntityFilter::All, PolicyUsage::Any, &pg)
    });
    let names: Vec<_> = all.iter().map(|x| (x.kind, x.name.as_str())).collect();
    assert_eq!(
        names,
        [
            (PrincipalKind::User, "amy"),
            (PrincipalKind::User, "bounded"),
            (PrincipalKind::User, "zed"),
            (PrincipalKind::Group, "g"),
            (PrincipalKind::Role, "accounta"),
        ]
    );
    assert!(all.iter().all(|x| x.id.len() == 21));
    let roles = e
        .list_entities_for_policy(
            root,
            info,
            S3_ALL,
            EntityFilter::Role,
            PolicyUsage::PermissionsPolicy,
            &Paging::default(),
        )
        .unwrap();
    assert_eq!(roles.items.len(), 1);
    let boundaries = e
        .list_entities_for_policy(
            root,
            info,
            S3_ALL,
            EntityFilter::All,
            PolicyUsage::PermissionsBoundary,
            &Paging::default(),
        )
        .unwrap();
    assert_eq!(boundaries.items.len(), 1);
    assert_eq!(boundaries.items[0].name, "bounded");
    let team = e
        .list_entities_for_policy(
            root,
            info,
            S3_ALL,
            EntityFilter::All,
            PolicyUsage::Any,
            &Paging {
                path_prefix: Some("/team/".into()),
                ..Paging::default()
            },
        )
        .unwrap();
    assert_eq!(team.items.len(), 2);
}

#[test]
fn version_operations_are_authorized() {
    let env = env();
    let (e, root, info) = (&env.engine, &env.root, &env.info);
    let reader = env.user("reader", Some(&allow("iam:ListPolicyVersions")));
    e.list_policy_versions(&reader, info, S3_ALL, &Paging::default())
        .unwrap();
    assert_denied(
        e.create_policy_version(&reader, info, S3_ALL, &allow("s3:*"), true),
        "iam:CreatePolicyVersion",
    );
    assert_denied(
        e.set_default_policy_version(&reader, info, S3_ALL, "v1"),
        "iam:SetDefaultPolicyVersion",
    );
    assert_denied(
        e.delete_policy_version(&reader, info, S3_ALL, "v1"),
        "iam:DeletePolicyVersion",
    );
    assert_denied(
        e.list_entities_for_policy(
            &reader,
            info,
            S3_ALL,
            EntityFilter::All,
            PolicyUsage::Any,
            &Paging::default(),
        ),
        "iam:ListEntitiesForPolicy",
    );
    // Creating a policy still works with versions around.
    e.create_policy(
        root,
        info,
        CreatePolicyInput {
            policy_name: "other".into(),
            policy_document: allow("s3:*"),
            ..CreatePolicyInput::default()
        },
    )
    .unwrap();
}
