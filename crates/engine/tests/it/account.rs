//! Account aliases, the account summary and access key last use.

use crate::common::{B_ROOT_KEY, NOW, assert_denied, assert_error, env, one_by_one};
use roleplay_engine::ErrorCode;
use roleplay_engine::iam::{Owner, Paging};
use time::Duration;

#[test]
fn aliases_come_from_the_scenario() {
    let env = env();
    let (e, root, info) = (&env.engine, &env.root, &env.info);
    let aliases = one_by_one(|pg| e.list_account_aliases(root, info, &pg));
    assert_eq!(aliases, ["account-b"]);
    let nobody = env.user("nobody", None);
    assert_denied(
        e.list_account_aliases(&nobody, info, &Paging::default()),
        "iam:ListAccountAliases",
    );
}

#[test]
fn summary_counts_the_account() {
    let env = env();
    let (e, root, info) = (&env.engine, &env.root, &env.info);
    let get = |key: &str| {
        let summary = e.get_account_summary(root, info).unwrap();
        summary
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
            .unwrap()
    };
    assert_eq!(
        (get("Users"), get("Roles"), get("Groups"), get("Policies")),
        (0, 1, 0, 1)
    );
    assert_eq!(get("AccessKeysPerUserQuota"), 2);
    assert_eq!(get("AccountAccessKeysPresent"), 1);
    assert_eq!(get("PolicyVersionsInUse"), 1);
    let nobody = env.user("nobody", None);
    e.create_group(root, info, "g", None).unwrap();
    e.attach_policy(
        root,
        info,
        Owner::Group,
        "g",
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
    )
    .unwrap();
    assert_eq!(
        (get("Users"), get("Groups"), get("PolicyVersionsInUse")),
        (1, 1, 2)
    );
    assert_denied(
        e.get_account_summary(&nobody, info),
        "iam:GetAccountSummary",
    );
}

#[test]
fn last_use_is_recorded_once_a_minute() {
    let env = env();
    let (e, root, info) = (&env.engine, &env.root, &env.info);
    let unused = e.get_access_key_last_used(root, info, B_ROOT_KEY).unwrap();
    assert!(unused.user_name.is_none());
    assert!(unused.last_used.is_none());

    e.record_key_use(root, "iam", "us-east-1", NOW).unwrap();
    let used = e.get_access_key_last_used(root, info, B_ROOT_KEY).unwrap();
    let last = used.last_used.unwrap();
    assert_eq!(
        (last.date, last.service.as_str(), last.region.as_str()),
        (NOW, "iam", "us-east-1")
    );
    // Within the same minute nothing is written.
    e.record_key_use(root, "sts", "eu-west-1", NOW + Duration::seconds(30))
        .unwrap();
    let same = e.get_access_key_last_used(root, info, B_ROOT_KEY).unwrap();
    assert_eq!(same.last_used.unwrap().date, NOW);
    let later = NOW + Duration::seconds(61);
    e.record_key_use(root, "sts", "eu-west-1", later).unwrap();
    let moved = e
        .get_access_key_last_used(root, info, B_ROOT_KEY)
        .unwrap()
        .last_used
        .unwrap();
    assert_eq!((moved.date, moved.service.as_str()), (later, "sts"));

    let bob = env.user("bob", None);
    let of_bob = e
        .get_access_key_last_used(root, info, &bob.access_key_id)
        .unwrap();
    assert_eq!(of_bob.user_name.as_deref(), Some("bob"));
    assert_denied(
        e.get_access_key_last_used(&bob, info, &bob.access_key_id),
        "iam:GetAccessKeyLastUsed",
    );
    assert_error(
        e.get_access_key_last_used(root, info, "AKIAAAAAAAAAAAAAAAAA"),
        ErrorCode::NoSuchEntity,
        "The Access Key with id AKIAAAAAAAAAAAAAAAAA cannot be found.",
    );
    // Keys of another account are not found either.
    assert_error(
        e.get_access_key_last_used(root, info, "AKIARZKVVYOZRFFXKTQN"),
        ErrorCode::NoSuchEntity,
        "The Access Key with id AKIARZKVVYOZRFFXKTQN cannot be found.",
    );
}
