//! Changes to existing users and roles.

use crate::common::{NOW, allow, assert_denied, assert_error, env};
use roleplay_engine::ErrorCode;
use roleplay_engine::iam::Owner;

const READONLY: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";

#[test]
fn update_role_and_description() {
    let env = env();
    let (e, root, info) = (&env.engine, &env.root, &env.info);
    let r = e
        .update_role(
            root,
            info,
            "accounta",
            Some("cross".into()),
            Some(7200),
            false,
        )
        .unwrap();
    assert_eq!(
        (r.description.as_deref(), r.max_session_duration),
        (Some("cross"), 7200)
    );
    let r = e
        .update_role(root, info, "ACCOUNTA", Some("d2".into()), None, true)
        .unwrap();
    assert_eq!(
        (r.description.as_deref(), r.max_session_duration),
        (Some("d2"), 7200)
    );
    let stored = e.get_role(root, info, "accounta").unwrap();
    assert_eq!(stored.description.as_deref(), Some("d2"));
    assert_error(
        e.update_role(root, info, "nope", None, Some(3600), false),
        ErrorCode::NoSuchEntity,
        "The role with name nope cannot be found.",
    );
}

#[test]
fn permissions_boundaries() {
    let env = env();
    let (e, root, info) = (&env.engine, &env.root, &env.info);
    e.put_permissions_boundary(root, info, Owner::Role, "accounta", READONLY)
        .unwrap();
    let role = e.get_role(root, info, "accounta").unwrap();
    assert_eq!(role.permissions_boundary.unwrap().to_string(), READONLY);
    e.delete_permissions_boundary(root, info, Owner::Role, "accounta")
        .unwrap();
    assert!(
        e.get_role(root, info, "accounta")
            .unwrap()
            .permissions_boundary
            .is_none()
    );

    e.create_user(root, info, "u", None, None, Vec::new())
        .unwrap();
    let missing = "arn:aws:iam::345345345345:policy/missing";
    assert_error(
        e.put_permissions_boundary(root, info, Owner::User, "u", missing),
        ErrorCode::NoSuchEntity,
        &format!("Scope ARN: {missing} does not exist or is not attachable."),
    );
    e.put_permissions_boundary(root, info, Owner::User, "u", READONLY)
        .unwrap();
    let u = e.get_user(root, info, Some("u")).unwrap();
    assert_eq!(u.permissions_boundary.unwrap().to_string(), READONLY);
    assert_eq!(
        e.get_policy(root, info, READONLY)
            .unwrap()
            .boundary_usage_count,
        1
    );
    e.delete_permissions_boundary(root, info, Owner::User, "u")
        .unwrap();
    assert!(
        e.get_user(root, info, Some("u"))
            .unwrap()
            .permissions_boundary
            .is_none()
    );
    assert_error(
        e.put_permissions_boundary(root, info, Owner::User, "ghost", READONLY),
        ErrorCode::NoSuchEntity,
        "The user with name ghost cannot be found.",
    );
}

#[test]
fn a_boundary_caps_the_user_and_its_condition_key_is_checked() {
    let env = env();
    let (e, root, info) = (&env.engine, &env.root, &env.info);
    let admin = env.user(
        "admin",
        Some(
            r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"iam:*","Resource":"*"},
            {"Effect":"Deny","Action":"iam:PutUserPermissionsBoundary","Resource":"*",
             "Condition":{"StringNotEquals":{"iam:PermissionsBoundary":"arn:aws:iam::aws:policy/ReadOnlyAccess"}}}]}"#,
        ),
    );
    let s3_all = "arn:aws:iam::345345345345:policy/s3-all";
    assert_denied(
        e.put_permissions_boundary(&admin, info, Owner::User, "admin", s3_all),
        "iam:PutUserPermissionsBoundary",
    );
    // ReadOnlyAccess allows iam:List* and iam:Get* only.
    e.put_permissions_boundary(&admin, info, Owner::User, "admin", READONLY)
        .unwrap();
    let admin = e
        .authenticate(&admin.access_key_id, None, NOW)
        .unwrap()
        .identity;
    e.get_role(&admin, info, "accounta").unwrap();
    assert_denied(
        e.update_role(&admin, info, "accounta", None, Some(3600), false),
        "iam:UpdateRole",
    );
    e.delete_permissions_boundary(root, info, Owner::User, "admin")
        .unwrap();
}

#[test]
fn rename_user_keeps_keys_groups_and_policies() {
    let env = env();
    let (e, root, info) = (&env.engine, &env.root, &env.info);
    let bob = env.user("bob", Some(&allow("iam:GetUser")));
    e.create_group(root, info, "g", None).unwrap();
    e.add_user_to_group(root, info, "g", "bob").unwrap();
    e.create_user(root, info, "carol", None, None, Vec::new())
        .unwrap();
    assert_error(
        e.update_user(root, info, "bob", Some("CAROL"), None),
        ErrorCode::EntityAlreadyExists,
        "User with name CAROL already exists.",
    );
    e.update_user(root, info, "bob", Some("robert"), Some("/ops/".into()))
        .unwrap();
    let robert = e.get_user(root, info, Some("robert")).unwrap();
    assert_eq!(
        robert.arn.to_string(),
        "arn:aws:iam::345345345345:user/ops/robert"
    );
    assert_error(
        e.get_user(root, info, Some("bob")),
        ErrorCode::NoSuchEntity,
        "The user with name bob cannot be found.",
    );
    // The key now authenticates robert, with his policy and group.
    let robert_id = e
        .authenticate(&bob.access_key_id, None, NOW)
        .unwrap()
        .identity;
    assert_eq!(robert_id.arn(), robert.arn.to_string());
    e.get_user(&robert_id, info, None).unwrap();
    let groups = e
        .list_groups_for_user(root, info, "robert", &Default::default())
        .unwrap();
    assert_eq!(groups.items.len(), 1);
    // Only a path change.
    e.update_user(root, info, "robert", None, Some("/".into()))
        .unwrap();
    assert_eq!(e.get_user(root, info, Some("robert")).unwrap().path, "/");
    assert_denied(
        e.update_user(&robert_id, info, "robert", Some("bobby"), None),
        "iam:UpdateUser",
    );
    assert_error(
        e.update_user(root, info, "ghost", Some("x"), None),
        ErrorCode::NoSuchEntity,
        "The user with name ghost cannot be found.",
    );
}

#[test]
fn updates_are_authorized() {
    let env = env();
    let (e, info) = (&env.engine, &env.info);
    let nobody = env.user("nobody", None);
    assert_denied(
        e.update_role(&nobody, info, "accounta", Some("x".into()), None, true),
        "iam:UpdateRoleDescription",
    );
    assert_denied(
        e.put_permissions_boundary(&nobody, info, Owner::Role, "accounta", READONLY),
        "iam:PutRolePermissionsBoundary",
    );
    assert_denied(
        e.delete_permissions_boundary(&nobody, info, Owner::Role, "accounta"),
        "iam:DeleteRolePermissionsBoundary",
    );
}

/// Decisions follow IAM changes at once, although who a key belongs to and which policies
/// apply are kept between requests.
#[test]
fn permission_changes_apply_to_the_next_request() {
    let env = env();
    let e = &env.engine;
    let user = env.user("cached", Some(&allow("iam:ListUsers")));
    let key_id = user.access_key_id.clone();
    let paging = crate::common::paging(10, None);
    let list = || e.list_users(&user, &env.info, &paging);
    list().unwrap();
    list().unwrap();
    e.delete_inline_policy(&env.root, &env.info, Owner::User, "cached", "p")
        .unwrap();
    assert_denied(list(), "iam:ListUsers");
    let read_only = "arn:aws:iam::aws:policy/IAMReadOnlyAccess";
    e.attach_policy(&env.root, &env.info, Owner::User, "cached", read_only)
        .unwrap();
    list().unwrap();
    e.detach_policy(&env.root, &env.info, Owner::User, "cached", read_only)
        .unwrap();
    assert_denied(list(), "iam:ListUsers");
    e.create_group(&env.root, &env.info, "listers", None)
        .unwrap();
    e.put_inline_policy(
        &env.root,
        &env.info,
        Owner::Group,
        "listers",
        "g",
        &allow("iam:ListUsers"),
    )
    .unwrap();
    assert_denied(list(), "iam:ListUsers");
    e.add_user_to_group(&env.root, &env.info, "listers", "cached")
        .unwrap();
    list().unwrap();

    e.authenticate(&key_id, None, NOW).unwrap();
    e.update_access_key(
        &env.root,
        &env.info,
        Some("cached"),
        &key_id,
        roleplay_store::KeyStatus::Inactive,
    )
    .unwrap();
    let refused = e.authenticate(&key_id, None, NOW).unwrap_err();
    assert_eq!(refused.code, ErrorCode::InvalidClientTokenId);
}
