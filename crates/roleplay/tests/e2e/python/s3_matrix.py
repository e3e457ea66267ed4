"""Cross-account S3 authorization matrix: alice of account A, role sessions of A and of B, and
anonymous callers on B's bucket, GetObject and ListBucket (ListObjectsV2) in every cell.

Across accounts both the caller's identity policy and the bucket policy must allow; inside the
bucket's account either suffices; an explicit Deny on either side beats every allow; a bucket
policy granting an account delegates to that account's identity policies; a session policy
narrows a role session; anonymous callers get only what a bucket policy grants to `*`, once the
public access block (on by default for new buckets) is gone."""


import common
from common import A, B, A_ROOT, ALICE, B_ROOT, allow, bucket_policy, check, client, equal, error, policy, run, s3, trust, user_policy

BUCKET = "matrix-b"
KEY = "cell/object.txt"
BODY = b"matrix\n"
BUCKET_ARN = "arn:aws:s3:::%s" % BUCKET
OBJECT_ARN = "arn:aws:s3:::%s/*" % BUCKET
ALICE_ARN = "arn:aws:iam::%s:user/alice" % A
READ = ["s3:GetObject", "s3:ListBucket"]

def grant(principal, actions=READ, effect="Allow"):
    """A bucket policy statement on the bucket and its objects."""
    return {
        "Effect": effect,
        "Principal": principal if principal == "*" else {"AWS": principal},
        "Action": actions,
        "Resource": [BUCKET_ARN, OBJECT_ARN],
    }


def outcome(call, **kwargs):
    """`allowed`, or the S3 error code of the refusal, of `call` on the bucket."""
    return common.outcome(call, Bucket=BUCKET, **kwargs)


class Matrix:
    def __init__(self):
        self.cells = {}

    def expect(self, name, caller, get, list_):
        """Requires GetObject and ListObjectsV2 by `caller` to have the outcomes `get`, `list_`."""
        got = outcome(caller.get_object, Key=KEY)
        listed = outcome(caller.list_objects_v2)
        equal(got, get, "%s: GetObject" % name)
        equal(listed, list_, "%s: ListBucket" % name)
        check(name not in self.cells, "cell named twice", name)
        self.cells[name] = {"GetObject": got, "ListBucket": listed}


def scenario():
    a_iam, b_iam = client("iam", A_ROOT), client("iam", B_ROOT)
    owner = s3(B_ROOT)
    owner.create_bucket(Bucket=BUCKET)
    owner.put_object(Bucket=BUCKET, Key=KEY, Body=BODY)
    alice = s3(ALICE)
    m = Matrix()

    def identity(statements):
        """alice's own policy: `statements`, or none."""
        user_policy(a_iam, "alice", "matrix", statements)

    def bucket(*statements):
        bucket_policy(owner, BUCKET, statements)

    read_b = allow(READ, [BUCKET_ARN, OBJECT_ARN])
    deny_read_b = dict(allow(READ, [BUCKET_ARN, OBJECT_ARN]), Effect="Deny")

    # 1. User of A, no bucket policy: cross-account needs the bucket's grant too.
    m.expect("A user, no identity allow, no bucket policy", alice, "AccessDenied", "AccessDenied")
    identity([read_b])
    m.expect("A user, identity allow, no bucket policy", alice, "AccessDenied", "AccessDenied")

    # 2. Bucket policy naming alice's ARN: both sides needed.
    bucket(grant(ALICE_ARN))
    m.expect("A user, identity allow, bucket grants user ARN", alice, "allowed", "allowed")
    identity(None)
    m.expect("A user, no identity allow, bucket grants user ARN", alice, "AccessDenied", "AccessDenied")

    # 3. Bucket policy naming account A: A's identity policies decide.
    bucket(grant(A))
    m.expect("A user, no identity allow, bucket grants account A", alice, "AccessDenied", "AccessDenied")
    identity([read_b])
    m.expect("A user, identity allow, bucket grants account A", alice, "allowed", "allowed")
    identity([allow("s3:GetObject", OBJECT_ARN)])
    m.expect("A user, identity allows GetObject only, bucket grants account A", alice, "allowed", "AccessDenied")
    identity([read_b])
    bucket(grant(A, ["s3:ListBucket"]))
    m.expect("A user, identity allow, bucket grants account A ListBucket only", alice, "AccessDenied", "allowed")

    # 4. Explicit Deny in the bucket policy beats both allows.
    bucket(grant(ALICE_ARN), grant(ALICE_ARN, READ, "Deny"))
    m.expect("A user, identity allow, bucket allows and denies user ARN", alice, "AccessDenied", "AccessDenied")
    bucket(grant(A), grant(ALICE_ARN, ["s3:GetObject"], "Deny"))
    m.expect("A user, identity allow, bucket grants account A, denies user GetObject", alice, "AccessDenied", "allowed")

    # 5. Explicit Deny in alice's identity policy beats both allows.
    bucket(grant(ALICE_ARN), grant(A))
    identity([read_b, deny_read_b])
    m.expect("A user, identity allow and deny, bucket grants user and account", alice, "AccessDenied", "AccessDenied")
    identity([allow("s3:*"), dict(allow("s3:ListBucket", BUCKET_ARN), Effect="Deny")])
    m.expect("A user, identity s3:* but denies ListBucket, bucket grants", alice, "allowed", "AccessDenied")

    # 6. Bucket policy naming a role session of A.
    a_iam.create_role(RoleName="reader", AssumeRolePolicyDocument=trust("arn:aws:iam::%s:root" % A))
    a_iam.put_role_policy(RoleName="reader", PolicyName="read-b", PolicyDocument=policy(read_b))
    identity([allow("sts:AssumeRole", "arn:aws:iam::%s:role/reader" % A)])
    sts = client("sts", ALICE)
    reader_arn = "arn:aws:iam::%s:role/reader" % A
    granted = s3(sts.assume_role(RoleArn=reader_arn, RoleSessionName="granted")["Credentials"])
    other = s3(sts.assume_role(RoleArn=reader_arn, RoleSessionName="other")["Credentials"])
    session_arn = "arn:aws:sts::%s:assumed-role/reader/granted" % A
    bucket(grant(session_arn))
    identity([allow("sts:AssumeRole", reader_arn), read_b])
    m.expect("A role session, bucket grants that session ARN", granted, "allowed", "allowed")
    m.expect("A role session of another name, bucket grants a session ARN", other, "AccessDenied", "AccessDenied")
    m.expect("A user with identity allow, bucket grants a session ARN", alice, "AccessDenied", "AccessDenied")
    bucket(grant(A))
    m.expect("A role session, bucket grants account A", other, "allowed", "allowed")
    bucket(grant(A), grant(session_arn, ["s3:GetObject"], "Deny"))
    m.expect("A role session, bucket grants account A, denies the session GetObject", granted, "AccessDenied", "allowed")
    m.expect("A role session of another name, same policy", other, "allowed", "allowed")

    # 7. B's own role session (the scenario's role `accounta`, s3:*): same account, identity alone.
    bucket()
    role_b = "arn:aws:iam::%s:role/accounta" % B
    identity([allow("sts:AssumeRole", role_b)])
    b_session = s3(sts.assume_role(RoleArn=role_b, RoleSessionName="b-session")["Credentials"])
    m.expect("B role session, no bucket policy", b_session, "allowed", "allowed")
    narrowed = s3(
        sts.assume_role(
            RoleArn=role_b,
            RoleSessionName="narrowed",
            Policy=policy(allow("s3:ListBucket", BUCKET_ARN)),
        )["Credentials"]
    )
    m.expect("B role session, session policy allows ListBucket only", narrowed, "AccessDenied", "allowed")
    bucket(grant("arn:aws:sts::%s:assumed-role/accounta/b-session" % B, ["s3:GetObject"], "Deny"))
    m.expect("B role session, bucket denies the session GetObject", b_session, "AccessDenied", "allowed")

    # 8. Anonymous: nothing without a grant to `*`; the public access block refuses that grant.
    bucket()
    anonymous = s3(None)
    m.expect("anonymous, no bucket policy", anonymous, "AccessDenied", "AccessDenied")
    error("AccessDenied", owner.put_bucket_policy, Bucket=BUCKET, Policy=policy(grant("*")))
    owner.delete_public_access_block(Bucket=BUCKET)
    bucket(grant(ALICE_ARN))
    m.expect("anonymous, bucket grants only alice", anonymous, "AccessDenied", "AccessDenied")
    bucket(grant("*"))
    m.expect("anonymous, bucket grants *", anonymous, "allowed", "allowed")
    body = anonymous.get_object(Bucket=BUCKET, Key=KEY)["Body"].read()
    equal(body, BODY, "anonymous GetObject body")
    bucket(grant("*", ["s3:GetObject"]))
    m.expect("anonymous, bucket grants * GetObject only", anonymous, "allowed", "AccessDenied")
    # A grant to `*` reaches signed callers of other accounts too, but not past their own policies.
    identity(None)
    m.expect("A user, no identity allow, bucket grants * GetObject", alice, "AccessDenied", "AccessDenied")

    return {"bucket": BUCKET, "cells": m.cells}


run(scenario)
