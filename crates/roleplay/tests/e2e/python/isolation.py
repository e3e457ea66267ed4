"""Multi-account isolation: each account's ListUsers shows only its own users, and a user of
account A cannot read account B's users, whatever its policies say."""

from common import A, B, A_ROOT, ALICE, B_ROOT, allow, check, client, equal, error, policy, run


def user_names(iam):
    return sorted(u["UserName"] for u in iam.list_users()["Users"])


def scenario():
    a, b = client("iam", A_ROOT), client("iam", B_ROOT)
    for name in ("a-one", "a-two"):
        a.create_user(UserName=name)
    b.create_user(UserName="b-one")

    # Each account sees its own users and only those, with its own account in the ARNs.
    equal(user_names(a), ["a-one", "a-two", "alice"], "users of A")
    equal(user_names(b), ["b-one"], "users of B")
    check(all(":%s:" % A in u["Arn"] for u in a.list_users()["Users"]), "ARNs of A")
    check(all(":%s:" % B in u["Arn"] for u in b.list_users()["Users"]), "ARNs of B")
    # Names are per account: B may have its own alice.
    b.create_user(UserName="alice")
    equal(user_names(b), ["alice", "b-one"], "users of B after B's alice")
    error("NoSuchEntity", a.get_user, UserName="b-one")
    b.delete_user(UserName="alice")

    # alice of A with no IAM permission: AccessDenied, naming her own account's resource.
    alice = client("iam", ALICE)
    message = error("AccessDenied", alice.list_users)
    equal(
        message,
        "User: arn:aws:iam::%s:user/alice is not authorized to perform: iam:ListUsers on resource: "
        "arn:aws:iam::%s:user/ because no identity-based policy allows the iam:ListUsers action" % (A, A),
        "AccessDenied text",
    )

    # A policy naming B's users gives alice nothing: IAM calls act on the caller's account.
    a.put_user_policy(
        UserName="alice",
        PolicyName="read-b-users",
        PolicyDocument=policy(allow(["iam:ListUsers", "iam:GetUser"], "arn:aws:iam::%s:user/*" % B)),
    )
    error("AccessDenied", alice.list_users)
    message = error("AccessDenied", alice.get_user, UserName="b-one")
    check("arn:aws:iam::%s:user/b-one" % A in message, "the resource is in alice's own account", message)

    # Through the scenario's role in B (S3 only), B's users stay out of reach.
    session = client("sts", ALICE).assume_role(
        RoleArn="arn:aws:iam::%s:role/accounta" % B, RoleSessionName="isolation"
    )["Credentials"]
    message = error("AccessDenied", client("iam", session).list_users)
    check(
        "assumed-role/accounta/isolation" in message and "arn:aws:iam::%s:user/" % B in message,
        "the role session is denied on B's users",
        message,
    )

    # With iam:ListUsers on everything, alice still sees only A's users.
    a.put_user_policy(
        UserName="alice", PolicyName="read-users", PolicyDocument=policy(allow("iam:ListUsers"))
    )
    equal(user_names(alice), ["a-one", "a-two", "alice"], "users alice sees")

    return {"users_of_a": user_names(a), "users_of_b": user_names(b)}


run(scenario)
