"""Session policies: Policy and PolicyArns narrow what a role session may do. An action the
role allows but no session policy does is AccessDenied "because no session policy allows";
a session policy never grants more than the role."""

from common import A, B, A_ROOT, ALICE, B_ROOT, allow, check, client, equal, error, policy, run, trust


def scenario():
    b = client("iam", B_ROOT)
    client("iam", A_ROOT).put_user_policy(
        UserName="alice",
        PolicyName="assume-b",
        PolicyDocument=policy(allow("sts:AssumeRole", "arn:aws:iam::%s:role/*" % B)),
    )
    b.create_role(RoleName="wide", AssumeRolePolicyDocument=trust("arn:aws:iam::%s:root" % A))
    b.put_role_policy(
        RoleName="wide",
        PolicyName="read-iam",
        PolicyDocument=policy(allow(["iam:ListUsers", "iam:ListRoles", "iam:GetRole"])),
    )
    list_roles_arn = b.create_policy(
        PolicyName="only-list-roles", PolicyDocument=policy(allow("iam:ListRoles"))
    )["Policy"]["Arn"]
    role_arn = "arn:aws:iam::%s:role/wide" % B
    sts = client("sts", ALICE)

    # Without a session policy the role's permissions apply whole.
    full = client("iam", sts.assume_role(RoleArn=role_arn, RoleSessionName="full")["Credentials"])
    full.list_users()
    full.list_roles()

    # 1. Inline session policy: ListUsers only.
    answer = sts.assume_role(
        RoleArn=role_arn,
        RoleSessionName="inline",
        Policy=policy(allow("iam:ListUsers")),
    )
    check(answer.get("PackedPolicySize", 0) > 0, "a session policy reports PackedPolicySize", answer)
    inline = client("iam", answer["Credentials"])
    inline.list_users()
    message = error("AccessDenied", inline.list_roles)
    expected = (
        "User: arn:aws:sts::%s:assumed-role/wide/inline is not authorized to perform: "
        "iam:ListRoles on resource: arn:aws:iam::%s:role/ because no session policy allows "
        "the iam:ListRoles action" % (B, B)
    )
    equal(message, expected, "AccessDenied text for the inline session policy")

    # 2. Managed session policy: ListRoles only.
    managed = client(
        "iam",
        sts.assume_role(
            RoleArn=role_arn,
            RoleSessionName="managed",
            PolicyArns=[{"arn": list_roles_arn}],
        )["Credentials"],
    )
    managed.list_roles()
    message = error("AccessDenied", managed.list_users)
    check("because no session policy allows the iam:ListUsers action" in message, "session policy named", message)

    # 3. Both: either session policy may allow; the role still bounds them.
    both = client(
        "iam",
        sts.assume_role(
            RoleArn=role_arn,
            RoleSessionName="both",
            Policy=policy(allow(["iam:ListUsers", "iam:CreateUser"])),
            PolicyArns=[{"arn": list_roles_arn}],
        )["Credentials"],
    )
    both.list_users()
    both.list_roles()
    message = error("AccessDenied", both.get_role, RoleName="wide")
    check("because no session policy allows the iam:GetRole action" in message, "GetRole needs a session allow", message)
    message = error("AccessDenied", both.create_user, UserName="nobody")
    check(
        "because no identity-based policy allows the iam:CreateUser action" in message,
        "a session policy grants nothing the role does not",
        message,
    )

    # 4. An AWS managed policy as a session policy.
    aws_managed = client(
        "iam",
        sts.assume_role(
            RoleArn=role_arn,
            RoleSessionName="aws-managed",
            PolicyArns=[{"arn": "arn:aws:iam::aws:policy/IAMReadOnlyAccess"}],
        )["Credentials"],
    )
    aws_managed.get_role(RoleName="wide")

    # 5. An invalid session policy is refused before any session exists.
    error(
        "MalformedPolicyDocument",
        sts.assume_role,
        RoleArn=role_arn,
        RoleSessionName="broken",
        Policy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers"}]}',
    )

    return {"inline_denial": expected, "packed_policy_size": answer["PackedPolicySize"]}


run(scenario)
