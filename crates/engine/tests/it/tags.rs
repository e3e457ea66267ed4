//! Tags of users, roles and managed policies.

use crate::common::{assert_denied, assert_error, env, one_by_one};
use roleplay_engine::ErrorCode;
use roleplay_engine::iam::{Paging, TagTarget};
use roleplay_store::Tag;

fn tag(k: &str, v: &str) -> Tag {
    Tag {
        key: k.into(),
        value: v.into(),
    }
}

#[test]
fn tag_untag_and_list_every_kind() {
    let env = env();
    let (e, root, info) = (&env.engine, &env.root, &env.info);
    e.create_user(root, info, "u", None, None, vec![tag("team", "a")])
        .unwrap();
    let policy = "arn:aws:iam::345345345345:policy/s3-all";
    for target in [
        TagTarget::User("u"),
        TagTarget::Role("accounta"),
        TagTarget::Policy(policy),
    ] {
        e.tag_resource(root, info, target, &[tag("env", "dev"), tag("Team", "b")])
            .unwrap();
        // Keys are unique regardless of case: a tag replaces the one with the same key.
        e.tag_resource(root, info, target, &[tag("ENV", "prod")])
            .unwrap();
        let mut tags = one_by_one(|pg| e.list_resource_tags(root, info, target, &pg));
        tags.sort_by(|a, b| a.key.cmp(&b.key));
        assert_eq!(tags, [tag("ENV", "prod"), tag("Team", "b")]);
        e.untag_resource(root, info, target, &["env".into(), "absent".into()])
            .unwrap();
        let tags = e
            .list_resource_tags(root, info, target, &Paging::default())
            .unwrap();
        assert_eq!(tags.items, [tag("Team", "b")]);
        assert!(!tags.is_truncated);
    }
    assert_eq!(
        e.get_user(root, info, Some("u")).unwrap().tags,
        [tag("Team", "b")]
    );
}

#[test]
fn tag_errors() {
    let env = env();
    let (e, root, info) = (&env.engine, &env.root, &env.info);
    let user = TagTarget::User("accounta-user");
    assert_error(
        e.tag_resource(root, info, user, &[tag("a", "")]),
        ErrorCode::NoSuchEntity,
        "The user with name accounta-user cannot be found.",
    );
    assert_error(
        e.list_resource_tags(root, info, TagTarget::Role("nope"), &Paging::default()),
        ErrorCode::NoSuchEntity,
        "The role with name nope cannot be found.",
    );
    let role = TagTarget::Role("accounta");
    assert_error(
        e.tag_resource(root, info, role, &[tag("a", "1"), tag("A", "2")]),
        ErrorCode::InvalidInput,
        "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
    );
    let many: Vec<Tag> = (0..50).map(|i| tag(&format!("k{i}"), "v")).collect();
    e.tag_resource(root, info, role, &many).unwrap();
    // Replacing a key at the cap is fine; a 51st key is not.
    e.tag_resource(root, info, role, &[tag("K0", "w")]).unwrap();
    assert_error(
        e.tag_resource(root, info, role, &[tag("new", "v")]),
        ErrorCode::LimitExceeded,
        "Cannot exceed quota for TagsPerRole: 50",
    );
    assert_error(
        e.tag_resource(
            root,
            info,
            TagTarget::Policy("arn:aws:iam::aws:policy/ReadOnlyAccess"),
            &[tag("a", "b")],
        ),
        ErrorCode::InvalidInput,
        "ARN arn:aws:iam::aws:policy/ReadOnlyAccess is not valid.",
    );
}

#[test]
fn request_tags_and_tag_keys_reach_the_conditions() {
    let env = env();
    let (e, info) = (&env.engine, &env.info);
    let policy = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"iam:TagRole","Resource":"*",
         "Condition":{"StringEquals":{"aws:RequestTag/team":"blue"}}},
        {"Effect":"Allow","Action":"iam:UntagRole","Resource":"*",
         "Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}}]}"#;
    let tagger = env.user("tagger", Some(policy));
    let role = TagTarget::Role("accounta");
    e.tag_resource(&tagger, info, role, &[tag("team", "blue")])
        .unwrap();
    assert_denied(
        e.tag_resource(&tagger, info, role, &[tag("team", "red")]),
        "iam:TagRole",
    );
    assert_denied(
        e.untag_resource(&tagger, info, role, &["owner".into()]),
        "iam:UntagRole",
    );
    e.untag_resource(&tagger, info, role, &["team".into()])
        .unwrap();
    assert_denied(
        e.list_resource_tags(&tagger, info, role, &Paging::default()),
        "iam:ListRoleTags",
    );
    assert_denied(
        e.tag_resource(
            &tagger,
            info,
            TagTarget::User("tagger"),
            &[tag("team", "blue")],
        ),
        "iam:TagUser",
    );
}

#[test]
fn principal_tag_conditions_follow_the_callers_tags_across_cached_requests() {
    use crate::common::NOW;
    use roleplay_engine::iam::Owner;

    let env = env();
    let (e, root, info) = (&env.engine, &env.root, &env.info);
    e.create_user(root, info, "t", None, None, vec![tag("team", "red")])
        .unwrap();
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser",
        "Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue","aws:username":"t"}}}]}"#;
    e.put_inline_policy(root, info, Owner::User, "t", "p", policy)
        .unwrap();
    let key = e.create_access_key(root, info, Some("t")).unwrap().key.id;
    let caller = || e.authenticate(&key, None, NOW).unwrap().identity;

    assert_denied(e.get_user(&caller(), info, None), "iam:GetUser");
    e.tag_resource(root, info, TagTarget::User("t"), &[tag("team", "blue")])
        .unwrap();
    // The cached identity (and the condition keys built for it) gave way to the new tags;
    // every later request of the key shares the new one.
    for _ in 0..3 {
        let id = caller();
        assert_eq!(id.arn(), "arn:aws:iam::345345345345:user/t");
        assert_eq!(e.get_user(&id, info, None).unwrap().name, "t");
    }
    e.untag_resource(root, info, TagTarget::User("t"), &["team".into()])
        .unwrap();
    assert_denied(e.get_user(&caller(), info, None), "iam:GetUser");
}
