"""The policy simulator against live requests: for each cell of a matrix, the live request is
made, then SimulatePrincipalPolicy (and SimulateCustomPolicy) is asked about the same action,
resource and policies, and both must agree.

Cells: same account and across accounts, bucket policies (grants to a user, to an account,
explicit denies), identity-policy denies, a permissions boundary, conditions answered by
context entries (and reported as missing when not given), and the how-to's AssumeRole decided
by the role's trust policy, which the simulator evaluates (AWS's cannot)."""

import botocore.exceptions

from common import A, B, A_ROOT, ALICE, B_ROOT, allow, bucket_policy, check, client, equal, error, policy, run, s3, trust, user_policy

BUCKET = "simulated-b"
KEY = "cell/object.txt"
BUCKET_ARN = "arn:aws:s3:::%s" % BUCKET
OBJECT_ARN = "arn:aws:s3:::%s/%s" % (BUCKET, KEY)
ALICE_ARN = "arn:aws:iam::%s:user/alice" % A
BOB_ARN = "arn:aws:iam::%s:user/bob" % B
ROLE_ARN = "arn:aws:iam::%s:role/accounta" % B
READ = ["s3:GetObject", "s3:ListBucket"]
READ_B = allow(READ, [BUCKET_ARN, BUCKET_ARN + "/*"])


def live(call, **kwargs):
    """`allowed` or `denied` for a live request."""
    try:
        call(**kwargs)
        return "allowed"
    except botocore.exceptions.ClientError as e:
        code = e.response["Error"]["Code"]
        check(code == "AccessDenied", "unexpected live error", code, e.response["Error"].get("Message"))
        return "denied"


def grant(principal, actions=READ, effect="Allow"):
    return {
        "Effect": effect,
        "Principal": {"AWS": principal},
        "Action": actions,
        "Resource": [BUCKET_ARN, BUCKET_ARN + "/*"],
    }


class Matrix:
    def __init__(self, b_iam, owner):
        self.b_iam = b_iam
        self.owner = owner
        self.cells = {}

    def bucket_policy(self):
        try:
            return self.owner.get_bucket_policy(Bucket=BUCKET)["Policy"]
        except botocore.exceptions.ClientError as e:
            check(e.response["Error"]["Code"] == "NoSuchBucketPolicy", "GetBucketPolicy", e.response)
            return None

    def agree(self, name, iam, source, caller, expected, **extra):
        """Makes each live request of `caller`, simulates it for `source` with the bucket's
        policy, and requires the same decision, `expected` being {action: EvalDecision}."""
        requests = {
            "s3:GetObject": (caller.get_object, {"Bucket": BUCKET, "Key": KEY}, OBJECT_ARN),
            "s3:ListBucket": (caller.list_objects_v2, {"Bucket": BUCKET}, BUCKET_ARN),
        }
        cell = {}
        for action, want in expected.items():
            call, kwargs, resource = requests[action]
            got_live = live(call, **kwargs)
            params = dict(
                PolicySourceArn=source,
                ActionNames=[action],
                ResourceArns=[resource],
                ResourceOwner=B,
                **extra,
            )
            text = self.bucket_policy()
            if text:
                params["ResourcePolicy"] = text
            result = iam.simulate_principal_policy(**params)["EvaluationResults"]
            equal(len(result), 1, "%s %s: results" % (name, action))
            decision = result[0]["EvalDecision"]
            equal(decision, want, "%s %s: simulated decision" % (name, action))
            equal(got_live, "allowed" if want == "allowed" else "denied", "%s %s: live decision" % (name, action))
            specific = result[0]["ResourceSpecificResults"]
            equal([r["EvalResourceDecision"] for r in specific], [decision], "%s %s: per resource" % (name, action))
            cell[action] = {"live": got_live, "simulated": decision}
        check(name not in self.cells, "cell named twice", name)
        self.cells[name] = cell
        return cell


def scenario():
    a_iam, b_iam = client("iam", A_ROOT), client("iam", B_ROOT)
    owner = s3(B_ROOT)
    owner.create_bucket(Bucket=BUCKET)
    owner.put_object(Bucket=BUCKET, Key=KEY, Body=b"simulated\n")
    alice = s3(ALICE)
    m = Matrix(b_iam, owner)

    def identity(*statements):
        user_policy(a_iam, "alice", "matrix", statements)

    def bucket(*statements):
        bucket_policy(owner, BUCKET, statements)

    allowed, implicit, explicit = "allowed", "implicitDeny", "explicitDeny"
    both = lambda d: {"s3:GetObject": d, "s3:ListBucket": d}

    # Across accounts: alice of A on B's bucket.
    identity(READ_B)
    m.agree("A user, identity allow, no bucket policy", a_iam, ALICE_ARN, alice, both(implicit))
    bucket(grant(ALICE_ARN))
    cell = m.agree("A user, identity allow, bucket grants user ARN", a_iam, ALICE_ARN, alice, both(allowed))
    identity(allow("s3:GetObject", BUCKET_ARN + "/*"))
    bucket(grant(A))
    m.agree(
        "A user, identity allows GetObject, bucket grants account A",
        a_iam, ALICE_ARN, alice, {"s3:GetObject": allowed, "s3:ListBucket": implicit},
    )
    identity(READ_B)
    bucket(grant(A), grant(ALICE_ARN, ["s3:GetObject"], "Deny"))
    m.agree(
        "A user, bucket grants account A, denies the user GetObject",
        a_iam, ALICE_ARN, alice, {"s3:GetObject": explicit, "s3:ListBucket": allowed},
    )
    bucket(grant(ALICE_ARN))
    identity(READ_B, dict(allow("s3:ListBucket", BUCKET_ARN), Effect="Deny"))
    m.agree(
        "A user, identity denies ListBucket, bucket grants user",
        a_iam, ALICE_ARN, alice, {"s3:GetObject": allowed, "s3:ListBucket": explicit},
    )

    # The details across accounts: each side on its own.
    identity()
    result = a_iam.simulate_principal_policy(
        PolicySourceArn=ALICE_ARN, ActionNames=["s3:GetObject"], ResourceArns=[OBJECT_ARN],
        ResourceOwner=B, ResourcePolicy=m.bucket_policy(),
    )["EvaluationResults"][0]
    equal(result["EvalDecision"], implicit, "no identity allow across accounts")
    equal(result["EvalDecisionDetails"], {"IAM Policy": implicit, "Resource Policy": allowed}, "details")

    # Same account: bob of B, with a permissions boundary, then conditions.
    bucket()
    b_iam.create_user(UserName="bob")
    key = b_iam.create_access_key(UserName="bob")["AccessKey"]
    bob = s3((key["AccessKeyId"], key["SecretAccessKey"]))
    b_iam.put_user_policy(UserName="bob", PolicyName="read", PolicyDocument=policy(READ_B))
    m.agree("B user, identity allow, no bucket policy", b_iam, BOB_ARN, bob, both(allowed))
    boundary = b_iam.create_policy(PolicyName="list-only", PolicyDocument=policy(allow("s3:ListBucket")))
    b_iam.put_user_permissions_boundary(UserName="bob", PermissionsBoundary=boundary["Policy"]["Arn"])
    m.agree(
        "B user, boundary allows ListBucket only",
        b_iam, BOB_ARN, bob, {"s3:GetObject": implicit, "s3:ListBucket": allowed},
    )
    result = b_iam.simulate_principal_policy(
        PolicySourceArn=BOB_ARN, ActionNames=["s3:GetObject"], ResourceArns=[OBJECT_ARN]
    )["EvaluationResults"][0]
    equal(result["PermissionsBoundaryDecisionDetail"], {"AllowedByPermissionsBoundary": False}, "boundary detail")
    b_iam.delete_user_permissions_boundary(UserName="bob")

    # Conditions: the simulated request carries the keys a live one does (aws:SourceIp of this
    # client, 127.0.0.1); context entries replace them.
    loopback = {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}
    b_iam.put_user_policy(UserName="bob", PolicyName="read", PolicyDocument=policy(allow(READ, "*", loopback)))
    m.agree("B user, allowed from loopback", b_iam, BOB_ARN, bob, both(allowed))
    elsewhere = [{"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["203.0.113.9"], "ContextKeyType": "ip"}]
    result = b_iam.simulate_principal_policy(
        PolicySourceArn=BOB_ARN, ActionNames=["s3:GetObject"], ResourceArns=[OBJECT_ARN], ContextEntries=elsewhere
    )["EvaluationResults"][0]
    equal(result["EvalDecision"], implicit, "from elsewhere")
    tagged = {"StringEquals": {"aws:PrincipalTag/team": "data"}}
    b_iam.put_user_policy(UserName="bob", PolicyName="read", PolicyDocument=policy(allow(READ, "*", tagged)))
    m.agree("B user, condition on a tag bob lacks", b_iam, BOB_ARN, bob, both(implicit))
    result = b_iam.simulate_principal_policy(
        PolicySourceArn=BOB_ARN, ActionNames=["s3:GetObject"], ResourceArns=[OBJECT_ARN]
    )["EvaluationResults"][0]
    equal(result["ResourceSpecificResults"][0]["MissingContextValues"], ["aws:PrincipalTag/team"], "missing key")
    entry = [{"ContextKeyName": "aws:PrincipalTag/team", "ContextKeyValues": ["data"], "ContextKeyType": "string"}]
    result = b_iam.simulate_principal_policy(
        PolicySourceArn=BOB_ARN, ActionNames=["s3:GetObject"], ResourceArns=[OBJECT_ARN], ContextEntries=entry
    )["EvaluationResults"][0]
    equal(result["EvalDecision"], allowed, "with the tag as a context entry")
    b_iam.tag_user(UserName="bob", Tags=[{"Key": "team", "Value": "data"}])
    m.agree("B user, tagged team=data", b_iam, BOB_ARN, bob, both(allowed))

    # The same through SimulateCustomPolicy: the policies given as text, alice as the caller.
    bucket(grant(A), grant(ALICE_ARN, ["s3:ListBucket"], "Deny"))
    custom = a_iam.simulate_custom_policy(
        PolicyInputList=[policy(READ_B)],
        ActionNames=READ,
        ResourceArns=[OBJECT_ARN],
        ResourcePolicy=m.bucket_policy(),
        ResourceOwner="arn:aws:iam::%s:root" % B,
        CallerArn=ALICE_ARN,
    )["EvaluationResults"]
    decisions = {r["EvalActionName"]: r["EvalDecision"] for r in custom}
    equal(decisions, {"s3:GetObject": allowed, "s3:ListBucket": explicit}, "custom policy")
    identity(READ_B)
    equal(live(alice.get_object, Bucket=BUCKET, Key=KEY), "allowed", "live GetObject")
    equal(live(alice.list_objects_v2, Bucket=BUCKET), "denied", "live ListBucket")
    matched = [s for r in custom for s in r["MatchedStatements"]]
    check(all("StartPosition" in s and "EndPosition" in s for s in matched), "positions", matched)

    # The how-to: alice assumes B's role `accounta`, decided by its trust policy.
    identity()
    sts = client("sts", ALICE)
    sts.assume_role(RoleArn=ROLE_ARN, RoleSessionName="howto")
    result = a_iam.simulate_principal_policy(
        PolicySourceArn=ALICE_ARN, ActionNames=["sts:AssumeRole"], ResourceArns=[ROLE_ARN]
    )["EvaluationResults"][0]
    equal(result["EvalDecision"], allowed, "AssumeRole simulated")
    sources = [(s["SourcePolicyId"], s["SourcePolicyType"]) for s in result["MatchedStatements"]]
    equal(sources, [(ROLE_ARN, "resource"), ("assume-accounta", "user")], "AssumeRole statements")
    # A role that trusts only its own account: the identity allow is not enough.
    b_iam.create_role(RoleName="closed", AssumeRolePolicyDocument=trust("arn:aws:iam::%s:root" % B))
    closed = "arn:aws:iam::%s:role/closed" % B
    identity(allow("sts:AssumeRole", closed))
    error("AccessDenied", sts.assume_role, RoleArn=closed, RoleSessionName="closed")
    result = a_iam.simulate_principal_policy(
        PolicySourceArn=ALICE_ARN, ActionNames=["sts:AssumeRole"], ResourceArns=[closed]
    )["EvaluationResults"][0]
    equal(result["EvalDecision"], implicit, "AssumeRole of an untrusting role")
    # A trust policy that denies alice by name.
    b_iam.update_assume_role_policy(
        RoleName="closed",
        PolicyDocument=policy(
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:root" % A}, "Action": "sts:AssumeRole"},
            {"Effect": "Deny", "Principal": {"AWS": ALICE_ARN}, "Action": "sts:AssumeRole"},
        ),
    )
    error("AccessDenied", sts.assume_role, RoleArn=closed, RoleSessionName="closed")
    result = a_iam.simulate_principal_policy(
        PolicySourceArn=ALICE_ARN, ActionNames=["sts:AssumeRole"], ResourceArns=[closed]
    )["EvaluationResults"][0]
    equal(result["EvalDecision"], explicit, "AssumeRole denied by the trust policy")
    equal([s["SourcePolicyId"] for s in result["MatchedStatements"]], [closed], "the Deny statement")

    # Pages through botocore's paginator; the simulator is itself authorized.
    pages = list(
        b_iam.get_paginator("simulate_principal_policy").paginate(
            PolicySourceArn=BOB_ARN,
            ActionNames=["s3:GetObject", "s3:ListBucket", "s3:PutObject"],
            PaginationConfig={"PageSize": 1},
        )
    )
    equal([len(p["EvaluationResults"]) for p in pages], [1, 1, 1], "pages")
    equal([p["EvaluationResults"][0]["EvalActionName"] for p in pages], ["s3:GetObject", "s3:ListBucket", "s3:PutObject"], "paged actions")
    message = error("AccessDenied", client("iam", ALICE).simulate_principal_policy, PolicySourceArn=ALICE_ARN, ActionNames=["s3:GetObject"])
    check("iam:SimulatePrincipalPolicy" in message, "denial names the action", message)
    error("NoSuchEntity", b_iam.simulate_principal_policy, PolicySourceArn="arn:aws:iam::%s:user/nobody" % B, ActionNames=["s3:GetObject"])
    error("InvalidInput", b_iam.simulate_principal_policy, PolicySourceArn=ROLE_ARN, ActionNames=["s3:GetObject"], ResourcePolicy=policy(grant(A)))

    return {"bucket": BUCKET, "cells": m.cells, "example": cell}


run(scenario)
