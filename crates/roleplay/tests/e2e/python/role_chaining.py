"""Role chaining: a session of role `first` assumes role `second`. A chained session is capped
at one hour whatever the role's MaxSessionDuration; SourceIdentity, once set, sticks along the
chain (visible to conditions as aws:SourceIdentity) and cannot be changed."""

import datetime

from common import A, B, A_ROOT, ALICE, B_ROOT, allow, check, client, equal, error, policy, run, trust

SET = ("sts:AssumeRole", "sts:SetSourceIdentity")


def scenario():
    b = client("iam", B_ROOT)
    client("iam", A_ROOT).put_user_policy(
        UserName="alice",
        PolicyName="assume-b",
        PolicyDocument=policy(allow(list(SET), "arn:aws:iam::%s:role/*" % B)),
    )
    b.create_role(
        RoleName="first",
        AssumeRolePolicyDocument=trust("arn:aws:iam::%s:root" % A, SET),
        MaxSessionDuration=7200,
    )
    b.put_role_policy(
        RoleName="first",
        PolicyName="next",
        PolicyDocument=policy(allow(list(SET), "arn:aws:iam::%s:role/second" % B)),
    )
    b.create_role(
        RoleName="second",
        AssumeRolePolicyDocument=trust("arn:aws:iam::%s:role/first" % B, SET),
        MaxSessionDuration=7200,
    )
    b.put_role_policy(
        RoleName="second",
        PolicyName="list-if-alice",
        PolicyDocument=policy(
            allow("iam:ListRoles", condition={"StringEquals": {"aws:SourceIdentity": "alice-laptop"}})
        ),
    )
    b.create_role(
        RoleName="no-source-identity",
        AssumeRolePolicyDocument=trust("arn:aws:iam::%s:root" % A),
    )
    sts = client("sts", ALICE)

    # SourceIdentity needs sts:SetSourceIdentity in the trust policy.
    message = error(
        "AccessDenied",
        sts.assume_role,
        RoleArn="arn:aws:iam::%s:role/no-source-identity" % B,
        RoleSessionName="si",
        SourceIdentity="alice-laptop",
    )
    check("sts:SetSourceIdentity" in message, "the denial names sts:SetSourceIdentity", message)

    # alice -> first, for two hours (allowed: not chained, first's maximum is 7200).
    first = sts.assume_role(
        RoleArn="arn:aws:iam::%s:role/first" % B,
        RoleSessionName="first",
        SourceIdentity="alice-laptop",
        DurationSeconds=7200,
    )
    equal(first.get("SourceIdentity"), "alice-laptop", "SourceIdentity of the first session")
    first_sts = client("sts", first["Credentials"])

    # first -> second above one hour: the chaining cap, not the role's maximum.
    message = error(
        "ValidationError",
        first_sts.assume_role,
        RoleArn="arn:aws:iam::%s:role/second" % B,
        RoleSessionName="second",
        DurationSeconds=3601,
    )
    equal(
        message,
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
        "chaining cap message",
    )

    # A different SourceIdentity along the chain is refused.
    error(
        "AccessDenied",
        first_sts.assume_role,
        RoleArn="arn:aws:iam::%s:role/second" % B,
        RoleSessionName="second",
        SourceIdentity="mallory",
    )

    # first -> second: one hour, and the source identity comes along unasked.
    second = first_sts.assume_role(
        RoleArn="arn:aws:iam::%s:role/second" % B, RoleSessionName="second"
    )
    equal(second.get("SourceIdentity"), "alice-laptop", "inherited SourceIdentity")
    expiration = second["Credentials"]["Expiration"]
    now = datetime.datetime.now(datetime.timezone.utc)
    lifetime = (expiration - now).total_seconds()
    check(3500 < lifetime <= 3600 + 5, "a chained session lasts one hour by default", lifetime)
    # Passing the same value again is fine.
    first_sts.assume_role(
        RoleArn="arn:aws:iam::%s:role/second" % B,
        RoleSessionName="again",
        SourceIdentity="alice-laptop",
    )

    identity = client("sts", second["Credentials"]).get_caller_identity()
    equal(identity["Arn"], "arn:aws:sts::%s:assumed-role/second/second" % B, "chained ARN")
    check(identity["UserId"].endswith(":second"), "UserId is ROLEID:session", identity)
    # The source identity is a condition key of every later request.
    roles = [r["RoleName"] for r in client("iam", second["Credentials"]).list_roles()["Roles"]]
    check("second" in roles, "second session lists roles (aws:SourceIdentity matched)", roles)

    # The cap applies to any temporary caller: GetSessionToken credentials count as chaining.
    session_token = sts.get_session_token(DurationSeconds=900)["Credentials"]
    message = error(
        "ValidationError",
        client("sts", session_token).assume_role,
        RoleArn="arn:aws:iam::%s:role/first" % B,
        RoleSessionName="from-session-token",
        DurationSeconds=7200,
    )
    check("role chaining" in message, "GetSessionToken credentials are chained", message)

    return {
        "source_identity": second["SourceIdentity"],
        "chained_arn": identity["Arn"],
        "chained_lifetime_seconds": int(lifetime),
    }


run(scenario)
