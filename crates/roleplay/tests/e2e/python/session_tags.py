"""Session tags: AssumeRole with Tags needs sts:TagSession in the trust policy (and, across
accounts, in the caller's identity policy); the role's policies then see them as
aws:PrincipalTag; TransitiveTagKeys carry them into a chained session."""

from common import A, B, A_ROOT, ALICE, B_ROOT, allow, check, client, equal, error, policy, run, trust

LIST_USERS_IF_BLUE = allow(
    "iam:ListUsers", condition={"StringEquals": {"aws:PrincipalTag/team": "blue"}}
)


def scenario():
    b = client("iam", B_ROOT)
    a = client("iam", A_ROOT)
    # alice may assume, and tag sessions of, every role of B (the identity side).
    a.put_user_policy(
        UserName="alice",
        PolicyName="assume-b",
        PolicyDocument=policy(
            allow(["sts:AssumeRole", "sts:TagSession"], "arn:aws:iam::%s:role/*" % B)
        ),
    )
    b.create_role(
        RoleName="untaggable",
        AssumeRolePolicyDocument=trust("arn:aws:iam::%s:root" % A),
    )
    b.put_role_policy(
        RoleName="untaggable", PolicyName="list", PolicyDocument=policy(LIST_USERS_IF_BLUE)
    )
    b.create_role(
        RoleName="tagged",
        AssumeRolePolicyDocument=trust(
            "arn:aws:iam::%s:root" % A, ("sts:AssumeRole", "sts:TagSession")
        ),
    )
    b.put_role_policy(
        RoleName="tagged",
        PolicyName="list-if-blue",
        PolicyDocument=policy(
            LIST_USERS_IF_BLUE,
            allow(["sts:AssumeRole", "sts:TagSession"], "arn:aws:iam::%s:role/chained" % B),
        ),
    )
    b.create_role(
        RoleName="chained",
        AssumeRolePolicyDocument=trust(
            "arn:aws:iam::%s:role/tagged" % B, ("sts:AssumeRole", "sts:TagSession")
        ),
    )
    b.put_role_policy(
        RoleName="chained", PolicyName="list-if-blue", PolicyDocument=policy(LIST_USERS_IF_BLUE)
    )
    b.create_user(UserName="visible")

    sts = client("sts", ALICE)
    blue = [{"Key": "team", "Value": "blue"}]

    # 1. Tags without sts:TagSession in the trust policy: AccessDenied.
    message = error(
        "AccessDenied",
        sts.assume_role,
        RoleArn="arn:aws:iam::%s:role/untaggable" % B,
        RoleSessionName="tags",
        Tags=blue,
    )
    check("sts:TagSession" in message, "the denial names sts:TagSession", message)
    # Without tags the same role is fine, and its tag condition does not match.
    plain = sts.assume_role(
        RoleArn="arn:aws:iam::%s:role/untaggable" % B, RoleSessionName="plain"
    )["Credentials"]
    error("AccessDenied", client("iam", plain).list_users)

    # 2. Tagged session: aws:PrincipalTag/team is blue.
    answer = sts.assume_role(
        RoleArn="arn:aws:iam::%s:role/tagged" % B,
        RoleSessionName="blue",
        Tags=blue,
        TransitiveTagKeys=["team"],
    )
    check("PackedPolicySize" in answer, "tags count toward PackedPolicySize", answer)
    session = answer["Credentials"]
    users = [u["UserName"] for u in client("iam", session).list_users()["Users"]]
    equal(users, ["visible"], "users of B seen by the blue session")

    # 3. Another value does not match the condition.
    red = sts.assume_role(
        RoleArn="arn:aws:iam::%s:role/tagged" % B,
        RoleSessionName="red",
        Tags=[{"Key": "team", "Value": "red"}],
    )["Credentials"]
    message = error("AccessDenied", client("iam", red).list_users)
    check("iam:ListUsers" in message, "the denial names iam:ListUsers", message)

    # 4. Chained: the transitive tag arrives without being passed again.
    chained = client("sts", session).assume_role(
        RoleArn="arn:aws:iam::%s:role/chained" % B, RoleSessionName="chained"
    )
    identity = client("sts", chained["Credentials"]).get_caller_identity()
    equal(
        identity["Arn"],
        "arn:aws:sts::%s:assumed-role/chained/chained" % B,
        "chained session ARN",
    )
    users = [u["UserName"] for u in client("iam", chained["Credentials"]).list_users()["Users"]]
    equal(users, ["visible"], "users of B seen by the chained session")

    # 5. A chained session without the transitive key does not carry the tag.
    red_chained = client("sts", red).assume_role(
        RoleArn="arn:aws:iam::%s:role/chained" % B, RoleSessionName="red-chained"
    )["Credentials"]
    error("AccessDenied", client("iam", red_chained).list_users)

    return {
        "denied_without_tag_session": True,
        "packed_policy_size": answer["PackedPolicySize"],
        "chained_arn": identity["Arn"],
    }


run(scenario)
