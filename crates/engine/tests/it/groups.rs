//! Groups and membership.

use crate::common::{allow, assert_denied, assert_error, env, one_by_one, paging};
use roleplay_engine::ErrorCode;
use roleplay_engine::iam::{Owner, Paging};

#[test]
fn create_get_list_and_page_one_by_one() {
    let env = env();
    let (e, root, info) = (&env.engine, &env.root, &env.info);
    let g = e.create_group(root, info, "Devs", None).unwrap();
    assert_eq!(g.arn.to_string(), "arn:aws:iam::345345345345:group/Devs");
    assert!(g.unique_id.starts_with("AGPA"));
    e.create_group(root, info, "admins", Some("/ops/".into()))
        .unwrap();
    assert_error(
        e.create_group(root, info, "DEVS", None),
        ErrorCode::EntityAlreadyExists,
        "Group with name DEVS already exists.",
    );
    for u in ["carol", "Alice", "bob"] {
        e.create_user(root, info, u, None, None, Vec::new())
            .unwrap();
        e.add_user_to_group(root, info, "devs", u).unwrap();
    }
    // Adding a member again changes nothing.
    e.add_user_to_group(root, info, "Devs", "bob").unwrap();

    let members = one_by_one(|pg| e.get_group(root, info, "devs", &pg).map(|(_, p)| p));
    let names: Vec<_> = members.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, ["Alice", "bob", "carol"]);
    let (group, page) = e.get_group(root, info, "devs", &Paging::default()).unwrap();
    assert_eq!(group.name, "Devs");
    assert_eq!(page.items.len(), 3);
    assert!(!page.is_truncated);

    let groups = one_by_one(|pg| e.list_groups(root, info, &pg));
    let names: Vec<_> = groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["admins", "Devs"]);
    let ops = e
        .list_groups(
            root,
            info,
            &Paging {
                path_prefix: Some("/ops/".into()),
                ..Paging::default()
            },
        )
        .unwrap();
    assert_eq!(ops.items.len(), 1);

    e.add_user_to_group(root, info, "admins", "bob").unwrap();
    let of_bob = one_by_one(|pg| e.list_groups_for_user(root, info, "BOB", &pg));
    let names: Vec<_> = of_bob.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["admins", "Devs"]);

    assert_error(
        e.get_group(root, info, "devs", &paging(1, Some("x".into()))),
        ErrorCode::InvalidInput,
        "Invalid Marker.",
    );
    assert_error(
        e.get_group(root, info, "nope", &Paging::default()),
        ErrorCode::NoSuchEntity,
        "The group with name nope cannot be found.",
    );
    assert_error(
        e.list_groups_for_user(root, info, "nobody", &Paging::default()),
        ErrorCode::NoSuchEntity,
        "The user with name nobody cannot be found.",
    );
}

#[test]
fn membership_errors_and_quota() {
    let env = env();
    let (e, root, info) = (&env.engine, &env.root, &env.info);
    e.create_group(root, info, "g", None).unwrap();
    e.create_user(root, info, "u", None, None, Vec::new())
        .unwrap();
    assert_error(
        e.add_user_to_group(root, info, "g", "ghost"),
        ErrorCode::NoSuchEntity,
        "The user with name ghost cannot be found.",
    );
    assert_error(
        e.add_user_to_group(root, info, "ghost", "u"),
        ErrorCode::NoSuchEntity,
        "The group with name ghost cannot be found.",
    );
    assert_error(
        e.remove_user_from_group(root, info, "g", "u"),
        ErrorCode::NoSuchEntity,
        "User u is not in group g.",
    );
    for i in 0..10 {
        let name = format!("g{i}");
        e.create_group(root, info, &name, None).unwrap();
        e.add_user_to_group(root, info, &name, "u").unwrap();
    }
    assert_error(
        e.add_user_to_group(root, info, "g", "u"),
        ErrorCode::LimitExceeded,
        "Cannot exceed quota for GroupsPerUser: 10",
    );
    e.remove_user_from_group(root, info, "g0", "u").unwrap();
    e.add_user_to_group(root, info, "g", "u").unwrap();
}

#[test]
fn delete_waits_for_members_and_policies() {
    let env = env();
    let (e, root, info) = (&env.engine, &env.root, &env.info);
    e.create_group(root, info, "g", None).unwrap();
    e.create_user(root, info, "u", None, None, Vec::new())
        .unwrap();
    e.add_user_to_group(root, info, "g", "u").unwrap();
    assert_error(
        e.delete_group(root, info, "g"),
        ErrorCode::DeleteConflict,
        "Cannot delete entity, must remove users from group first.",
    );
    e.remove_user_from_group(root, info, "g", "u").unwrap();

    e.put_inline_policy(root, info, Owner::Group, "g", "p", &allow("s3:*"))
        .unwrap();
    assert_eq!(
        e.get_inline_policy(root, info, Owner::Group, "g", "p")
            .unwrap()
            .document,
        allow("s3:*")
    );
    assert_eq!(
        e.list_inline_policies(root, info, Owner::Group, "g")
            .unwrap(),
        ["p"]
    );
    assert_error(
        e.delete_group(root, info, "g"),
        ErrorCode::DeleteConflict,
        "Cannot delete entity, must delete policies first.",
    );
    e.delete_inline_policy(root, info, Owner::Group, "g", "p")
        .unwrap();

    let readonly = "arn:aws:iam::aws:policy/ReadOnlyAccess";
    e.attach_policy(root, info, Owner::Group, "g", readonly)
        .unwrap();
    assert_eq!(
        e.list_attached_policies(root, info, Owner::Group, "g")
            .unwrap()
            .len(),
        1
    );
    assert_error(
        e.delete_group(root, info, "g"),
        ErrorCode::DeleteConflict,
        "Cannot delete entity, must detach all policies first.",
    );
    e.detach_policy(root, info, Owner::Group, "g", readonly)
        .unwrap();
    e.delete_group(root, info, "g").unwrap();
    assert_error(
        e.delete_group(root, info, "g"),
        ErrorCode::NoSuchEntity,
        "The group with name g cannot be found.",
    );
}

#[test]
fn group_policies_authorize_members_and_strangers_are_denied() {
    let env = env();
    let (e, root, info) = (&env.engine, &env.root, &env.info);
    let member = env.user("member", None);
    assert_denied(
        e.list_groups(&member, info, &Paging::default()),
        "iam:ListGroups",
    );
    e.create_group(root, info, "readers", None).unwrap();
    e.put_inline_policy(
        root,
        info,
        Owner::Group,
        "readers",
        "p",
        &allow("iam:ListGroups"),
    )
    .unwrap();
    e.add_user_to_group(root, info, "readers", "member")
        .unwrap();
    let member = e
        .authenticate(&member.access_key_id, None, info.now)
        .unwrap()
        .identity;
    assert_eq!(
        e.list_groups(&member, info, &Paging::default())
            .unwrap()
            .items
            .len(),
        1
    );
    assert_denied(e.create_group(&member, info, "x", None), "iam:CreateGroup");
    assert_denied(e.delete_group(&member, info, "readers"), "iam:DeleteGroup");
    assert_denied(
        e.add_user_to_group(&member, info, "readers", "member"),
        "iam:AddUserToGroup",
    );
    assert_denied(
        e.get_group(&member, info, "readers", &Paging::default()),
        "iam:GetGroup",
    );
}
