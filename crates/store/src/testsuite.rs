//! The conformance suite every [`Store`] backend must pass (feature `testsuite`).
//!
//! Each check works in accounts of its own, so the suite can run on a fresh or a shared
//! store. [`populate`] and [`check_populated`] bracket a reopen of a persistent backend.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs,
    reason = "a test suite fails by panicking"
)]

use crate::{
    AccessKey, Account, Group, InlinePolicy, KeyLastUsed, KeyOwner, KeyStatus, ListQuery,
    ManagedPolicy, OidcProvider, Page, PolicyFilter, PolicyListScope, PolicyScope, PolicyVersion,
    PrincipalKind, PrincipalRef, ReadTx, Role, Store, StoreError, StoreExt, Tag, User, WriteError,
    WriteTx,
};
use roleplay_types::{AccountId, Arn};
use time::OffsetDateTime;

pub mod s3;

/// Runs every check.
pub fn conformance(store: &dyn Store) {
    accounts(store);
    users(store);
    access_keys(store);
    groups(store);
    roles(store);
    managed_policies(store);
    inline_policies(store);
    oidc_providers(store);
    listings(store);
    policy_listings(store);
    failed_transactions(store);
    s3::conformance(store);
}

// ---- fixtures ----

pub fn account_id(n: u64) -> AccountId {
    format!("{n:012}").parse().unwrap()
}

pub fn at(seconds: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_700_000_000 + seconds).unwrap()
}

pub fn account(id: &AccountId) -> Account {
    Account {
        id: id.clone(),
        alias: Some(format!("alias-{id}")),
        email: Some(format!("root@{id}.example")),
        create_date: at(0),
    }
}

pub fn user(account: &AccountId, name: &str, path: &str) -> User {
    User {
        account: account.clone(),
        name: name.to_owned(),
        path: path.to_owned(),
        unique_id: format!("AIDA{}{}", account, name.to_uppercase()),
        arn: Arn::iam_user(account.as_str(), path, name),
        create_date: at(1),
        permissions_boundary: None,
        tags: vec![tag("team", "blue"), tag("cost", "")],
    }
}

pub fn group(account: &AccountId, name: &str, path: &str) -> Group {
    Group {
        account: account.clone(),
        name: name.to_owned(),
        path: path.to_owned(),
        unique_id: format!("AGPA{}{}", account, name.to_uppercase()),
        arn: Arn::iam_group(account.as_str(), path, name),
        create_date: at(2),
    }
}

pub fn role(account: &AccountId, name: &str, path: &str) -> Role {
    Role {
        account: account.clone(),
        name: name.to_owned(),
        path: path.to_owned(),
        unique_id: format!("AROA{}{}", account, name.to_uppercase()),
        arn: Arn::iam_role(account.as_str(), path, name),
        trust_policy: r#"{"Version":"2012-10-17","Statement":[]}"#.to_owned(),
        description: Some("a role".to_owned()),
        max_session_duration: 3600,
        permissions_boundary: None,
        tags: vec![tag("k", "v")],
        create_date: at(3),
    }
}

pub fn policy(scope: &PolicyScope, name: &str, path: &str) -> ManagedPolicy {
    let owner = scope.as_str();
    ManagedPolicy {
        scope: scope.clone(),
        name: name.to_owned(),
        path: path.to_owned(),
        unique_id: format!("ANPA{}{}", owner.to_uppercase(), name.to_uppercase()),
        arn: Arn::iam_policy(owner, path, name),
        default_version_id: "v1".to_owned(),
        versions: vec![version("v1", 4)],
        versions_created: 1,
        attachment_count: 0,
        boundary_usage_count: 0,
        description: None,
        tags: Vec::new(),
        create_date: at(4),
        update_date: at(4),
    }
}

pub fn version(id: &str, seconds: i64) -> PolicyVersion {
    PolicyVersion {
        version_id: id.to_owned(),
        document: format!(
            "{{\"Version\":\"2012-10-17\",\"Statement\":{{\"Sid\":\"{id}\",\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"}}}}"
        ),
        create_date: at(seconds),
    }
}

pub fn key(account: &AccountId, id: &str, owner: KeyOwner) -> AccessKey {
    AccessKey {
        id: id.to_owned(),
        secret: format!("secret-of-{id}-0123456789012345678901234"),
        account: account.clone(),
        owner,
        status: KeyStatus::Active,
        create_date: at(5),
        last_used: None,
    }
}

pub fn tag(key: &str, value: &str) -> Tag {
    Tag {
        key: key.to_owned(),
        value: value.to_owned(),
    }
}

fn write<T>(
    store: &dyn Store,
    f: impl FnMut(&mut dyn WriteTx) -> Result<T, WriteError>,
) -> Result<T, WriteError> {
    store.write(f)
}

fn read<T>(store: &dyn Store, f: impl FnMut(&dyn ReadTx) -> Result<T, StoreError>) -> T {
    store.read(f).expect("read transaction")
}

fn new_account(store: &dyn Store, n: u64) -> AccountId {
    let id = account_id(n);
    write(store, |tx| tx.create_account(&account(&id))).expect("create account");
    id
}

#[track_caller]
fn assert_err<T: std::fmt::Debug>(result: Result<T, WriteError>, expected: &str) {
    let found = match &result {
        Err(WriteError::AlreadyExists(e)) => format!("AlreadyExists({e:?})"),
        Err(WriteError::NotFound(e)) => format!("NotFound({e:?})"),
        Err(WriteError::Conflict(e)) => format!("Conflict({e:?})"),
        other => format!("{other:?}"),
    };
    assert_eq!(found, expected, "unexpected outcome");
}

// ---- checks ----

pub fn accounts(store: &dyn Store) {
    let id = new_account(store, 100_000_000_001);
    assert_eq!(
        read(store, |tx| tx.get_account(&id)),
        Some(account(&id)),
        "an account reads back as written"
    );
    assert_err(
        write(store, |tx| tx.create_account(&account(&id))),
        "AlreadyExists(Account)",
    );
    let mut changed = account(&id);
    changed.alias = None;
    changed.email = Some("other@example.com".to_owned());
    write(store, |tx| tx.update_account(&changed)).unwrap();
    assert_eq!(read(store, |tx| tx.get_account(&id)), Some(changed));
    assert!(
        read(store, |tx| tx.list_accounts())
            .iter()
            .any(|a| a.id == id)
    );
    let missing = account_id(100_000_000_999);
    assert_err(
        write(store, |tx| tx.update_account(&account(&missing))),
        "NotFound(Account)",
    );
    assert_eq!(read(store, |tx| tx.get_account(&missing)), None);

    write(store, |tx| tx.create_user(&user(&id, "u", "/"))).unwrap();
    assert_err(
        write(store, |tx| tx.delete_account(&id)),
        "Conflict(Account)",
    );
    write(store, |tx| tx.delete_user(&id, "u")).unwrap();
    write(store, |tx| tx.delete_account(&id)).unwrap();
    assert_eq!(read(store, |tx| tx.get_account(&id)), None);
}

pub fn users(store: &dyn Store) {
    let a = new_account(store, 100_000_000_002);
    let b = new_account(store, 100_000_000_003);
    let alice = user(&a, "Alice", "/dev/");
    write(store, |tx| tx.create_user(&alice)).unwrap();
    assert_eq!(
        read(store, |tx| tx.get_user(&a, "aLiCe")),
        Some(alice.clone()),
        "names match regardless of case and keep their display case"
    );
    assert_err(
        write(store, |tx| {
            let mut clash = user(&a, "ALICE", "/");
            clash.unique_id = "AIDAOTHER".to_owned();
            tx.create_user(&clash)
        }),
        "AlreadyExists(User)",
    );
    // The same name in another account is another user.
    write(store, |tx| tx.create_user(&user(&b, "alice", "/"))).unwrap();
    assert_eq!(
        read(store, |tx| tx.get_user(&b, "ALICE")).unwrap().name,
        "alice"
    );
    assert_err(
        write(store, |tx| {
            tx.create_user(&user(&account_id(100_000_000_998), "x", "/"))
        }),
        "NotFound(Account)",
    );

    // A rename carries keys, memberships and policies along.
    let owner = PrincipalRef::user(&a, "alice");
    write(store, |tx| {
        tx.create_access_key(&key(
            &a,
            "AKIAUSERS00000000001",
            KeyOwner::User("alice".into()),
        ))?;
        tx.create_group(&group(&a, "devs", "/"))?;
        tx.add_user_to_group(&a, "devs", "ALICE")?;
        tx.put_inline_policy(&owner, &inline("p", "{}"))?;
        tx.create_policy(&policy(&PolicyScope::Account(a.clone()), "UsersPol", "/"))?;
        tx.attach_policy(&owner, &policy_arn(&a, "UsersPol"))
    })
    .unwrap();
    let mut renamed = alice.clone();
    renamed.name = "Alicia".to_owned();
    renamed.path = "/ops/".to_owned();
    renamed.arn = Arn::iam_user(a.as_str(), "/ops/", "Alicia");
    renamed.permissions_boundary = Some(policy_arn(&a, "UsersPol"));
    renamed.tags = vec![tag("only", "one")];
    write(store, |tx| tx.update_user("alice", &renamed)).unwrap();
    assert_eq!(read(store, |tx| tx.get_user(&a, "alice")), None);
    assert_eq!(read(store, |tx| tx.get_user(&a, "alicia")), Some(renamed));
    let key = read(store, |tx| tx.get_access_key("AKIAUSERS00000000001")).unwrap();
    assert_eq!(key.owner, KeyOwner::User("Alicia".to_owned()));
    let members = read(store, |tx| tx.list_group_members(&a, "devs"));
    assert_eq!(names(&members, |u| &u.name), ["Alicia"]);
    let now = PrincipalRef::user(&a, "alicia");
    assert_eq!(read(store, |tx| tx.list_inline_policies(&now)).len(), 1);
    assert_eq!(read(store, |tx| tx.list_attached_policies(&now)).len(), 1);

    write(store, |tx| tx.create_user(&user(&a, "bob", "/"))).unwrap();
    assert_err(
        write(store, |tx| {
            let mut clash = user(&a, "BOB", "/");
            clash.unique_id = "AIDARENAMED".to_owned();
            tx.update_user("alicia", &clash)
        }),
        "AlreadyExists(User)",
    );
    assert_err(
        write(store, |tx| {
            tx.update_user("nobody", &user(&a, "nobody", "/"))
        }),
        "NotFound(User)",
    );

    // Dependents block deletion, one kind after another.
    assert_err(
        write(store, |tx| tx.delete_user(&a, "alicia")),
        "Conflict(User)",
    );
    write(store, |tx| tx.delete_access_key("AKIAUSERS00000000001")).unwrap();
    assert_err(
        write(store, |tx| tx.delete_user(&a, "alicia")),
        "Conflict(User)",
    );
    write(store, |tx| tx.remove_user_from_group(&a, "devs", "alicia")).unwrap();
    assert_err(
        write(store, |tx| tx.delete_user(&a, "alicia")),
        "Conflict(User)",
    );
    write(store, |tx| tx.delete_inline_policy(&now, "P")).unwrap();
    assert_err(
        write(store, |tx| tx.delete_user(&a, "alicia")),
        "Conflict(User)",
    );
    write(store, |tx| {
        tx.detach_policy(&now, &policy_arn(&a, "UsersPol"))
    })
    .unwrap();
    write(store, |tx| tx.delete_user(&a, "ALICIA")).unwrap();
    assert_eq!(read(store, |tx| tx.get_user(&a, "alicia")), None);
    assert_err(
        write(store, |tx| tx.delete_user(&a, "alicia")),
        "NotFound(User)",
    );
}

pub fn access_keys(store: &dyn Store) {
    let a = new_account(store, 100_000_000_004);
    write(store, |tx| tx.create_user(&user(&a, "Carol", "/"))).unwrap();
    let root = key(&a, "AKIAROOT000000000001", KeyOwner::Root);
    let first = key(&a, "AKIACAROL00000000001", KeyOwner::User("carol".into()));
    let mut second = key(&a, "AKIACAROL00000000002", KeyOwner::User("CAROL".into()));
    second.create_date = at(50);
    write(store, |tx| {
        tx.create_access_key(&root)?;
        tx.create_access_key(&second)?;
        tx.create_access_key(&first)
    })
    .unwrap();

    let found = read(store, |tx| tx.get_access_key("AKIAROOT000000000001")).unwrap();
    assert_eq!(found, root, "the global index finds root keys");
    let found = read(store, |tx| tx.get_access_key("AKIACAROL00000000001")).unwrap();
    assert_eq!(found.owner, KeyOwner::User("Carol".to_owned()));
    assert_eq!(found.secret, first.secret);
    assert!(
        !format!("{found:?}").contains(&first.secret),
        "Debug hides the secret"
    );
    let listed = read(store, |tx| {
        tx.list_access_keys(&a, &KeyOwner::User("carol".into()))
    });
    assert_eq!(
        names(&listed, |k| &k.id),
        ["AKIACAROL00000000001", "AKIACAROL00000000002"],
        "oldest first"
    );
    let roots = read(store, |tx| tx.list_access_keys(&a, &KeyOwner::Root));
    assert_eq!(names(&roots, |k| &k.id), ["AKIAROOT000000000001"]);

    assert_err(
        write(store, |tx| {
            tx.create_access_key(&key(&a, "AKIAROOT000000000001", KeyOwner::Root))
        }),
        "AlreadyExists(AccessKey)",
    );
    assert_err(
        write(store, |tx| {
            tx.create_access_key(&key(
                &a,
                "AKIANOBODY0000000001",
                KeyOwner::User("nobody".into()),
            ))
        }),
        "NotFound(User)",
    );
    assert_err(
        write(store, |tx| {
            tx.create_access_key(&key(
                &account_id(100_000_000_997),
                "AKIANOACCOUNT0000001",
                KeyOwner::Root,
            ))
        }),
        "NotFound(Account)",
    );

    let mut used = first.clone();
    used.status = KeyStatus::Inactive;
    used.last_used = Some(KeyLastUsed {
        date: at(99),
        service: "s3".to_owned(),
        region: "eu-west-1".to_owned(),
    });
    write(store, |tx| tx.update_access_key(&used)).unwrap();
    let found = read(store, |tx| tx.get_access_key(&used.id)).unwrap();
    assert_eq!(found.status, KeyStatus::Inactive);
    assert_eq!(found.last_used, used.last_used);
    assert_err(
        write(store, |tx| {
            tx.update_access_key(&key(&a, "AKIAGONE", KeyOwner::Root))
        }),
        "NotFound(AccessKey)",
    );

    write(store, |tx| tx.delete_access_key(&used.id)).unwrap();
    assert_eq!(read(store, |tx| tx.get_access_key(&used.id)), None);
    assert_err(
        write(store, |tx| tx.delete_access_key(&used.id)),
        "NotFound(AccessKey)",
    );
}

pub fn groups(store: &dyn Store) {
    let a = new_account(store, 100_000_000_005);
    let admins = group(&a, "Admins", "/it/");
    write(store, |tx| {
        tx.create_group(&admins)?;
        tx.create_group(&group(&a, "readers", "/"))?;
        tx.create_user(&user(&a, "dave", "/"))?;
        tx.create_user(&user(&a, "Erin", "/"))
    })
    .unwrap();
    assert_eq!(
        read(store, |tx| tx.get_group(&a, "ADMINS")),
        Some(admins.clone())
    );
    assert_err(
        write(store, |tx| tx.create_group(&group(&a, "admins", "/"))),
        "AlreadyExists(Group)",
    );

    write(store, |tx| {
        tx.add_user_to_group(&a, "admins", "erin")?;
        tx.add_user_to_group(&a, "admins", "Dave")?;
        tx.add_user_to_group(&a, "readers", "dave")
    })
    .unwrap();
    assert_err(
        write(store, |tx| tx.add_user_to_group(&a, "ADMINS", "DAVE")),
        "AlreadyExists(GroupMembership)",
    );
    assert_err(
        write(store, |tx| tx.add_user_to_group(&a, "nogroup", "dave")),
        "NotFound(Group)",
    );
    assert_err(
        write(store, |tx| tx.add_user_to_group(&a, "admins", "nouser")),
        "NotFound(User)",
    );
    let members = read(store, |tx| tx.list_group_members(&a, "admins"));
    assert_eq!(names(&members, |u| &u.name), ["dave", "Erin"]);
    let of_dave = read(store, |tx| tx.list_groups_for_user(&a, "DAVE"));
    assert_eq!(names(&of_dave, |g| &g.name), ["Admins", "readers"]);

    let mut renamed = admins.clone();
    renamed.name = "Operators".to_owned();
    renamed.arn = Arn::iam_group(a.as_str(), "/it/", "Operators");
    write(store, |tx| tx.update_group("admins", &renamed)).unwrap();
    let members = read(store, |tx| tx.list_group_members(&a, "operators"));
    assert_eq!(members.len(), 2, "members follow a renamed group");
    assert_err(
        write(store, |tx| {
            tx.update_group("operators", &group(&a, "Readers", "/"))
        }),
        "AlreadyExists(Group)",
    );

    assert_err(
        write(store, |tx| tx.delete_group(&a, "operators")),
        "Conflict(Group)",
    );
    write(store, |tx| {
        tx.remove_user_from_group(&a, "operators", "dave")?;
        tx.remove_user_from_group(&a, "operators", "erin")
    })
    .unwrap();
    assert_err(
        write(store, |tx| {
            tx.remove_user_from_group(&a, "operators", "erin")
        }),
        "NotFound(GroupMembership)",
    );
    write(store, |tx| tx.delete_group(&a, "operators")).unwrap();
    assert_eq!(read(store, |tx| tx.get_group(&a, "operators")), None);
    assert_err(
        write(store, |tx| tx.delete_group(&a, "operators")),
        "NotFound(Group)",
    );
}

pub fn roles(store: &dyn Store) {
    let a = new_account(store, 100_000_000_006);
    let r = role(&a, "AccountA", "/service/");
    write(store, |tx| tx.create_role(&r)).unwrap();
    assert_eq!(
        read(store, |tx| tx.get_role(&a, "accounta")),
        Some(r.clone())
    );
    assert_err(
        write(store, |tx| tx.create_role(&role(&a, "ACCOUNTA", "/"))),
        "AlreadyExists(Role)",
    );

    let mut changed = r.clone();
    changed.trust_policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny"}]}"#.into();
    changed.description = None;
    changed.max_session_duration = 43_200;
    changed.permissions_boundary = Some(Arn::iam_policy("aws", "/", "ReadOnlyAccess"));
    changed.tags = Vec::new();
    write(store, |tx| tx.update_role(&changed)).unwrap();
    assert_eq!(read(store, |tx| tx.get_role(&a, "AccountA")), Some(changed));
    assert_err(
        write(store, |tx| tx.update_role(&role(&a, "ghost", "/"))),
        "NotFound(Role)",
    );

    let owner = PrincipalRef::role(&a, "accounta");
    let arn = policy_arn(&a, "RolePol");
    write(store, |tx| {
        tx.create_policy(&policy(&PolicyScope::Account(a.clone()), "RolePol", "/"))?;
        tx.attach_policy(&owner, &arn)?;
        tx.put_inline_policy(&owner, &inline("inline", "{}"))
    })
    .unwrap();
    assert_err(
        write(store, |tx| tx.delete_role(&a, "accounta")),
        "Conflict(Role)",
    );
    write(store, |tx| tx.detach_policy(&owner, &arn)).unwrap();
    assert_err(
        write(store, |tx| tx.delete_role(&a, "accounta")),
        "Conflict(Role)",
    );
    write(store, |tx| tx.delete_inline_policy(&owner, "inline")).unwrap();
    write(store, |tx| tx.delete_role(&a, "ACCOUNTA")).unwrap();
    assert_eq!(read(store, |tx| tx.get_role(&a, "accounta")), None);
    assert_err(
        write(store, |tx| tx.delete_role(&a, "accounta")),
        "NotFound(Role)",
    );
}

pub fn managed_policies(store: &dyn Store) {
    let a = new_account(store, 100_000_000_007);
    let b = new_account(store, 100_000_000_008);
    let local = PolicyScope::Account(a.clone());
    let mut created = policy(&local, "S3All", "/app/");
    created.description = Some("all of S3".to_owned());
    created.tags = vec![tag("owner", "me")];
    let arn = created.arn.clone();
    write(store, |tx| tx.create_policy(&created)).unwrap();
    assert_eq!(read(store, |tx| tx.get_policy(&arn)), Some(created.clone()));
    assert_eq!(
        read(store, |tx| tx.get_policy(&arn))
            .unwrap()
            .default_version()
            .unwrap()
            .document,
        version("v1", 4).document
    );
    assert_err(
        write(store, |tx| {
            let mut clash = policy(&local, "s3all", "/other/");
            clash.unique_id = "ANPACLASH".to_owned();
            tx.create_policy(&clash)
        }),
        "AlreadyExists(Policy)",
    );
    assert_err(
        write(store, |tx| {
            tx.create_policy(&policy(
                &PolicyScope::Account(account_id(100_000_000_996)),
                "P",
                "/",
            ))
        }),
        "NotFound(Account)",
    );
    assert_err(
        write(store, |tx| {
            let mut broken = policy(&local, "NoDefault", "/");
            broken.default_version_id = "v9".to_owned();
            tx.create_policy(&broken)
        }),
        "NotFound(PolicyVersion)",
    );

    // Versions: added, made default, deleted; the counter never goes back.
    write(store, |tx| {
        tx.create_policy_version(&arn, &version("v2", 10))?;
        tx.create_policy_version(&arn, &version("v3", 11))
    })
    .unwrap();
    assert_err(
        write(store, |tx| {
            tx.create_policy_version(&arn, &version("v2", 12))
        }),
        "AlreadyExists(PolicyVersion)",
    );
    let mut p = read(store, |tx| tx.get_policy(&arn)).unwrap();
    assert_eq!(p.versions_created, 3, "a refused version is not counted");
    assert_eq!(names(&p.versions, |v| &v.version_id), ["v1", "v2", "v3"]);
    p.default_version_id = "v3".to_owned();
    p.update_date = at(20);
    write(store, |tx| tx.update_policy(&p)).unwrap();
    assert_err(
        write(store, |tx| tx.delete_policy_version(&arn, "v3")),
        "Conflict(PolicyVersion)",
    );
    write(store, |tx| tx.delete_policy_version(&arn, "v2")).unwrap();
    assert_err(
        write(store, |tx| tx.delete_policy_version(&arn, "v2")),
        "NotFound(PolicyVersion)",
    );
    write(store, |tx| {
        tx.create_policy_version(&arn, &version("v4", 21))
    })
    .unwrap();
    let p = read(store, |tx| tx.get_policy(&arn)).unwrap();
    assert_eq!(p.versions_created, 4);
    assert_eq!(p.default_version_id, "v3");
    assert_eq!(p.update_date, at(20));
    assert_eq!(names(&p.versions, |v| &v.version_id), ["v1", "v3", "v4"]);
    assert_err(
        write(store, |tx| {
            let mut bad = p.clone();
            bad.default_version_id = "v2".to_owned();
            tx.update_policy(&bad)
        }),
        "NotFound(PolicyVersion)",
    );
    let ghost = policy_arn(&a, "Ghost");
    assert_err(
        write(store, |tx| {
            tx.create_policy_version(&ghost, &version("v1", 0))
        }),
        "NotFound(Policy)",
    );
    assert_err(
        write(store, |tx| tx.update_policy(&policy(&local, "Ghost", "/"))),
        "NotFound(Policy)",
    );

    // An AWS-managed policy is attachable from every account; counts span accounts.
    let aws = policy(&PolicyScope::Aws, "ConformanceReadOnly", "/");
    let aws_arn = aws.arn.clone();
    write(store, |tx| {
        tx.create_policy(&aws)?;
        tx.create_user(&user(&a, "frank", "/"))?;
        tx.create_group(&group(&a, "g", "/"))?;
        tx.create_role(&role(&a, "r", "/"))?;
        tx.create_role(&role(&b, "r", "/"))?;
        tx.attach_policy(&PrincipalRef::role(&a, "R"), &aws_arn)?;
        tx.attach_policy(&PrincipalRef::user(&a, "Frank"), &aws_arn)?;
        tx.attach_policy(&PrincipalRef::group(&a, "G"), &aws_arn)?;
        tx.attach_policy(&PrincipalRef::role(&b, "r"), &aws_arn)?;
        tx.attach_policy(&PrincipalRef::user(&a, "frank"), &arn)
    })
    .unwrap();
    assert_eq!(
        read(store, |tx| tx.get_policy(&aws_arn))
            .unwrap()
            .attachment_count,
        4
    );
    assert_eq!(
        read(store, |tx| tx.get_policy(&arn))
            .unwrap()
            .attachment_count,
        1
    );
    write(store, |tx| {
        let mut bounded = role(&b, "bounded", "/");
        bounded.permissions_boundary = Some(aws_arn.clone());
        tx.create_role(&bounded)?;
        let mut frank = tx.get_user(&a, "frank")?.unwrap();
        frank.permissions_boundary = Some(aws_arn.clone());
        tx.update_user("frank", &frank)
    })
    .unwrap();
    let p = read(store, |tx| tx.get_policy(&aws_arn)).unwrap();
    assert_eq!((p.attachment_count, p.boundary_usage_count), (4, 2));
    let entities = read(store, |tx| tx.list_policy_attachments(&a, &aws_arn));
    let kinds: Vec<_> = entities.iter().map(|e| (e.kind, e.name.as_str())).collect();
    assert_eq!(
        kinds,
        [
            (PrincipalKind::User, "frank"),
            (PrincipalKind::Group, "g"),
            (PrincipalKind::Role, "r")
        ]
    );
    assert_eq!(
        read(store, |tx| tx.list_policy_attachments(&b, &aws_arn)).len(),
        1
    );
    let attached = read(store, |tx| {
        tx.list_attached_policies(&PrincipalRef::user(&a, "FRANK"))
    });
    assert_eq!(
        names(&attached, |p| &p.name),
        ["ConformanceReadOnly", "S3All"]
    );
    assert_eq!(attached[1].arn, arn);

    assert_err(
        write(store, |tx| {
            tx.attach_policy(&PrincipalRef::user(&a, "frank"), &arn)
        }),
        "AlreadyExists(Attachment)",
    );
    assert_err(
        write(store, |tx| {
            tx.attach_policy(&PrincipalRef::user(&a, "nobody"), &arn)
        }),
        "NotFound(User)",
    );
    assert_err(
        write(store, |tx| {
            tx.attach_policy(&PrincipalRef::role(&a, "nobody"), &arn)
        }),
        "NotFound(Role)",
    );
    assert_err(
        write(store, |tx| {
            tx.attach_policy(&PrincipalRef::user(&a, "frank"), &ghost)
        }),
        "NotFound(Policy)",
    );
    assert_err(
        write(store, |tx| {
            tx.detach_policy(&PrincipalRef::group(&a, "g"), &arn)
        }),
        "NotFound(Attachment)",
    );

    assert_err(
        write(store, |tx| tx.delete_policy(&arn)),
        "Conflict(Policy)",
    );
    write(store, |tx| {
        tx.detach_policy(&PrincipalRef::user(&a, "frank"), &arn)
    })
    .unwrap();
    write(store, |tx| tx.delete_policy(&arn)).unwrap();
    assert_eq!(read(store, |tx| tx.get_policy(&arn)), None);
    assert_err(
        write(store, |tx| tx.delete_policy(&arn)),
        "NotFound(Policy)",
    );
    // Its name is free again, with new versions.
    write(store, |tx| {
        tx.create_policy(&policy(&local, "S3All", "/app/"))
    })
    .unwrap();
    let again = read(store, |tx| tx.get_policy(&arn)).unwrap();
    assert_eq!(names(&again.versions, |v| &v.version_id), ["v1"]);
}

pub fn inline_policies(store: &dyn Store) {
    let a = new_account(store, 100_000_000_009);
    write(store, |tx| {
        tx.create_user(&user(&a, "gina", "/"))?;
        tx.create_group(&group(&a, "gina", "/"))?;
        tx.create_role(&role(&a, "gina", "/"))
    })
    .unwrap();
    for kind in [
        PrincipalKind::User,
        PrincipalKind::Group,
        PrincipalKind::Role,
    ] {
        let owner = PrincipalRef {
            account: a.clone(),
            kind,
            name: "Gina".to_owned(),
        };
        write(store, |tx| {
            tx.put_inline_policy(&owner, &inline("Zeta", "{\"z\":1}"))?;
            tx.put_inline_policy(&owner, &inline("alpha", "{\"a\":1}"))
        })
        .unwrap();
        // Same name in another case replaces the document and the display name.
        write(store, |tx| {
            tx.put_inline_policy(&owner, &inline("ZETA", "{\"z\":2}"))
        })
        .unwrap();
        let listed = read(store, |tx| tx.list_inline_policies(&owner));
        assert_eq!(
            listed,
            [inline("alpha", "{\"a\":1}"), inline("ZETA", "{\"z\":2}")]
        );
        assert_eq!(
            read(store, |tx| tx.get_inline_policy(&owner, "zeta")),
            Some(inline("ZETA", "{\"z\":2}"))
        );
        assert_eq!(read(store, |tx| tx.get_inline_policy(&owner, "none")), None);
        write(store, |tx| tx.delete_inline_policy(&owner, "Alpha")).unwrap();
        assert_err(
            write(store, |tx| tx.delete_inline_policy(&owner, "alpha")),
            "NotFound(InlinePolicy)",
        );
        let ghost = PrincipalRef {
            name: "ghost".to_owned(),
            ..owner.clone()
        };
        let expected = match kind {
            PrincipalKind::User => "NotFound(User)",
            PrincipalKind::Group => "NotFound(Group)",
            PrincipalKind::Role => "NotFound(Role)",
        };
        assert_err(
            write(store, |tx| tx.put_inline_policy(&ghost, &inline("p", "{}"))),
            expected,
        );
    }
    // Owners of different kinds with one name keep their policies apart.
    assert_eq!(
        read(store, |tx| tx
            .list_inline_policies(&PrincipalRef::role(&a, "gina")))
        .len(),
        1
    );
}

pub fn oidc_providers(store: &dyn Store) {
    let a = new_account(store, 100_000_000_010);
    let provider = OidcProvider {
        account: a.clone(),
        arn: format!("arn:aws:iam::{a}:oidc-provider/token.example.com/id")
            .parse()
            .unwrap(),
        url: "https://token.example.com/id".to_owned(),
        client_ids: vec!["sts.amazonaws.com".to_owned()],
        thumbprints: vec!["9e99a48a9960b14926bb7f3b02e22da2b0ab7280".to_owned()],
        tags: vec![tag("k", "v")],
        create_date: at(6),
    };
    write(store, |tx| tx.create_oidc_provider(&provider)).unwrap();
    assert_eq!(
        read(store, |tx| tx.get_oidc_provider(&provider.arn)),
        Some(provider.clone())
    );
    assert_err(
        write(store, |tx| tx.create_oidc_provider(&provider)),
        "AlreadyExists(OidcProvider)",
    );
    let mut changed = provider.clone();
    changed.client_ids.push("app".to_owned());
    changed.thumbprints.clear();
    changed.tags.clear();
    write(store, |tx| tx.update_oidc_provider(&changed)).unwrap();
    assert_eq!(
        read(store, |tx| tx.list_oidc_providers(&a)),
        [changed.clone()]
    );
    write(store, |tx| tx.delete_oidc_provider(&provider.arn)).unwrap();
    assert_eq!(read(store, |tx| tx.list_oidc_providers(&a)), []);
    assert_err(
        write(store, |tx| tx.delete_oidc_provider(&provider.arn)),
        "NotFound(OidcProvider)",
    );
    assert_err(
        write(store, |tx| tx.update_oidc_provider(&changed)),
        "NotFound(OidcProvider)",
    );
}

/// Users, groups and roles list by name regardless of case, filter by path prefix, and page
/// down to one item per page.
pub fn listings(store: &dyn Store) {
    let a = new_account(store, 100_000_000_011);
    let other = new_account(store, 100_000_000_012);
    let entries = [
        ("bravo", "/"),
        ("Alpha", "/team/"),
        ("charlie", "/team/a/"),
        ("ALPHA2", "/"),
        ("Delta", "/team/"),
        ("echo", "/Team/"),
    ];
    write(store, |tx| {
        for (name, path) in entries {
            tx.create_user(&user(&a, name, path))?;
            tx.create_group(&group(&a, name, path))?;
            tx.create_role(&role(&a, name, path))?;
        }
        tx.create_user(&user(&other, "aardvark", "/"))
    })
    .unwrap();
    let sorted = ["Alpha", "ALPHA2", "bravo", "charlie", "Delta", "echo"];
    let team = ["Alpha", "charlie", "Delta"];
    for (prefix, expected) in [(None, &sorted[..]), (Some("/team/"), &team[..])] {
        for max_items in [1, 2, 4, 100] {
            let users = collect(max_items, prefix, |q| {
                read(store, |tx| tx.list_users(&a, q))
            });
            assert_eq!(
                users, expected,
                "users, page size {max_items}, prefix {prefix:?}"
            );
            let groups = collect(max_items, prefix, |q| {
                read(store, |tx| tx.list_groups(&a, q))
            });
            assert_eq!(groups, expected, "groups, page size {max_items}");
            let roles = collect(max_items, prefix, |q| {
                read(store, |tx| tx.list_roles(&a, q))
            });
            assert_eq!(roles, expected, "roles, page size {max_items}");
        }
    }
    // A marker in another case is the same position.
    let page = read(store, |tx| {
        tx.list_users(
            &a,
            &ListQuery {
                marker: Some("BRAVO".to_owned()),
                ..ListQuery::default()
            },
        )
    });
    assert_eq!(
        names(&page.items, |u| &u.name),
        ["charlie", "Delta", "echo"]
    );
    assert!(!page.is_truncated);
    assert_eq!(page.marker, None);
    let empty = read(store, |tx| {
        tx.list_roles(
            &a,
            &ListQuery {
                path_prefix: Some("/nowhere/".to_owned()),
                ..ListQuery::default()
            },
        )
    });
    assert!(empty.items.is_empty() && !empty.is_truncated);
}

/// `ListPolicies`: scopes, attached only, paging across AWS-managed and local policies.
pub fn policy_listings(store: &dyn Store) {
    let a = new_account(store, 100_000_000_013);
    let b = new_account(store, 100_000_000_014);
    let local = PolicyScope::Account(a.clone());
    write(store, |tx| {
        tx.create_policy(&policy(&PolicyScope::Aws, "ZzListAws", "/"))?;
        tx.create_policy(&policy(&PolicyScope::Aws, "zzlistboth", "/job/"))?;
        tx.create_policy(&policy(&local, "ZZLISTBOTH", "/"))?;
        tx.create_policy(&policy(&local, "zzListLocal", "/job/"))?;
        tx.create_policy(&policy(
            &PolicyScope::Account(b.clone()),
            "zzListOther",
            "/",
        ))?;
        tx.create_role(&role(&a, "r", "/"))?;
        tx.attach_policy(
            &PrincipalRef::role(&a, "r"),
            &Arn::iam_policy("aws", "/job/", "zzlistboth"),
        )
    })
    .unwrap();
    let list = |scope, only_attached, max_items, prefix: Option<&str>| {
        let filter = PolicyFilter {
            account: a.clone(),
            scope,
            only_attached,
        };
        let mut query = ListQuery {
            path_prefix: prefix.map(str::to_owned),
            marker: None,
            max_items,
        };
        let mut seen = Vec::new();
        loop {
            let page = read(store, |tx| tx.list_policies(&filter, &query));
            assert!(page.items.len() <= max_items);
            for p in &page.items {
                assert!(
                    !p.versions.is_empty(),
                    "listed policies carry their versions"
                );
                // Other tests' AWS-managed policies may share the store; keep ours.
                if p.name.to_lowercase().starts_with("zzlist") {
                    seen.push(format!("{}:{}", p.scope.as_str(), p.name));
                }
            }
            if !page.is_truncated {
                break;
            }
            query.marker = page.marker;
        }
        seen
    };
    for max_items in [1, 2, 100] {
        let all = list(PolicyListScope::All, false, max_items, None);
        assert_eq!(
            all,
            [
                "aws:ZzListAws".to_owned(),
                "aws:zzlistboth".to_owned(),
                format!("{a}:ZZLISTBOTH"),
                format!("{a}:zzListLocal"),
            ],
            "page size {max_items}"
        );
    }
    assert_eq!(
        list(PolicyListScope::Aws, false, 1, None),
        ["aws:ZzListAws", "aws:zzlistboth"]
    );
    assert_eq!(
        list(PolicyListScope::Local, false, 1, None),
        [format!("{a}:ZZLISTBOTH"), format!("{a}:zzListLocal")]
    );
    assert_eq!(
        list(PolicyListScope::All, true, 1, None),
        ["aws:zzlistboth"]
    );
    assert_eq!(
        list(PolicyListScope::All, false, 1, Some("/job/")),
        ["aws:zzlistboth".to_owned(), format!("{a}:zzListLocal")]
    );
}

/// A transaction whose closure fails leaves nothing behind, and a refused operation inside a
/// transaction that goes on is not half-applied.
pub fn failed_transactions(store: &dyn Store) {
    let a = new_account(store, 100_000_000_015);
    let result: Result<(), WriteError> = write(store, |tx| {
        tx.create_user(&user(&a, "henry", "/"))?;
        tx.create_role(&role(&a, "henry", "/"))?;
        tx.create_user(&user(&a, "HENRY", "/"))
    });
    assert_err(result, "AlreadyExists(User)");
    assert_eq!(read(store, |tx| tx.get_user(&a, "henry")), None);
    assert_eq!(read(store, |tx| tx.get_role(&a, "henry")), None);

    #[derive(Debug)]
    struct Refused;
    impl From<StoreError> for Refused {
        fn from(_: StoreError) -> Self {
            Self
        }
    }
    let result: Result<(), Refused> = store.write(|tx| {
        tx.create_user(&user(&a, "ivy", "/")).map_err(|_| Refused)?;
        Err(Refused)
    });
    assert!(result.is_err());
    assert_eq!(read(store, |tx| tx.get_user(&a, "ivy")), None);

    // The caller goes on after refused operations and commits.
    let local = PolicyScope::Account(a.clone());
    let arn = policy_arn(&a, "Twice");
    write(store, |tx| {
        let mut twice = policy(&local, "Twice", "/");
        twice.versions.push(version("v1", 9));
        assert_err(tx.create_policy(&twice), "AlreadyExists(PolicyVersion)");
        assert_eq!(tx.get_policy(&arn)?, None, "the refused policy left no row");
        tx.create_policy(&policy(&local, "Twice", "/"))?;
        assert_err(
            tx.create_policy_version(&arn, &version("v1", 10)),
            "AlreadyExists(PolicyVersion)",
        );
        tx.create_user(&user(&a, "jack", "/"))
    })
    .unwrap();
    let p = read(store, |tx| tx.get_policy(&arn)).unwrap();
    assert_eq!(p.versions_created, 1, "the refused version did not count");
    assert!(read(store, |tx| tx.get_user(&a, "jack")).is_some());

    // Reads inside a write see the transaction's own changes.
    write(store, |tx| {
        tx.create_group(&group(&a, "kilo", "/"))?;
        assert!(tx.get_group(&a, "KILO")?.is_some());
        Ok(())
    })
    .unwrap();
}

/// Writes a known state in account `100000000100` for [`check_populated`].
pub fn populate(store: &dyn Store) {
    let a = new_account(store, 100_000_000_100);
    let local = PolicyScope::Account(a.clone());
    write(store, |tx| {
        tx.create_user(&user(&a, "Persisted", "/p/"))?;
        tx.create_access_key(&key(
            &a,
            "AKIAPERSISTED0000001",
            KeyOwner::User("persisted".into()),
        ))?;
        tx.create_access_key(&key(&a, "AKIAPERSISTEDROOT001", KeyOwner::Root))?;
        tx.create_group(&group(&a, "PGroup", "/"))?;
        tx.add_user_to_group(&a, "pgroup", "persisted")?;
        tx.create_role(&role(&a, "PRole", "/"))?;
        tx.create_policy(&policy(&local, "PPolicy", "/"))?;
        tx.create_policy_version(&policy_arn(&a, "PPolicy"), &version("v2", 7))?;
        tx.attach_policy(&PrincipalRef::role(&a, "prole"), &policy_arn(&a, "PPolicy"))?;
        tx.put_inline_policy(&PrincipalRef::user(&a, "persisted"), &inline("Pin", "{}"))
    })
    .unwrap();
    s3::populate(store, &a);
}

/// Checks the state [`populate`] wrote.
pub fn check_populated(store: &dyn Store) {
    let a = account_id(100_000_000_100);
    assert_eq!(read(store, |tx| tx.get_account(&a)), Some(account(&a)));
    assert_eq!(
        read(store, |tx| tx.get_user(&a, "persisted")),
        Some(user(&a, "Persisted", "/p/"))
    );
    let k = read(store, |tx| tx.get_access_key("AKIAPERSISTED0000001")).unwrap();
    assert_eq!(
        k,
        key(
            &a,
            "AKIAPERSISTED0000001",
            KeyOwner::User("Persisted".into())
        )
    );
    assert!(read(store, |tx| tx.get_access_key("AKIAPERSISTEDROOT001")).is_some());
    let members = read(store, |tx| tx.list_group_members(&a, "PGROUP"));
    assert_eq!(names(&members, |u| &u.name), ["Persisted"]);
    assert_eq!(
        read(store, |tx| tx.get_role(&a, "prole")),
        Some(role(&a, "PRole", "/"))
    );
    let p = read(store, |tx| tx.get_policy(&policy_arn(&a, "PPolicy"))).unwrap();
    assert_eq!(p.versions.len(), 2);
    assert_eq!(p.attachment_count, 1);
    assert_eq!(
        read(store, |tx| tx.get_inline_policy(
            &PrincipalRef::user(&a, "Persisted"),
            "pin"
        )),
        Some(inline("Pin", "{}"))
    );
    s3::check_populated(store, &a);
}

// ---- helpers ----

fn inline(name: &str, document: &str) -> InlinePolicy {
    InlinePolicy {
        name: name.to_owned(),
        document: document.to_owned(),
    }
}

fn policy_arn(account: &AccountId, name: &str) -> Arn {
    Arn::iam_policy(account.as_str(), "/", name)
}

fn names<T>(items: &[T], name: impl Fn(&T) -> &String) -> Vec<String> {
    items.iter().map(|i| name(i).clone()).collect()
}

/// Walks every page of a listing and returns the names in order.
fn collect<T: Named>(
    max_items: usize,
    prefix: Option<&str>,
    mut list: impl FnMut(&ListQuery) -> Page<T>,
) -> Vec<String> {
    let mut query = ListQuery {
        path_prefix: prefix.map(str::to_owned),
        marker: None,
        max_items,
    };
    let mut out = Vec::new();
    for _ in 0..100 {
        let page = list(&query);
        assert!(
            page.items.len() <= max_items,
            "a page holds at most max_items"
        );
        out.extend(page.items.iter().map(|i| i.name().to_owned()));
        if !page.is_truncated {
            assert_eq!(page.marker, None);
            return out;
        }
        assert!(!page.items.is_empty(), "a truncated page is not empty");
        query.marker = Some(page.marker.expect("a truncated page has a marker"));
    }
    panic!("paging did not end");
}

trait Named {
    fn name(&self) -> &str;
}

impl Named for User {
    fn name(&self) -> &str {
        &self.name
    }
}

impl Named for Group {
    fn name(&self) -> &str {
        &self.name
    }
}

impl Named for Role {
    fn name(&self) -> &str {
        &self.name
    }
}
