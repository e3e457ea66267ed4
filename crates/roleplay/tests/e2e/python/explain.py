"""Every denial kind says why in AWS's words, and the decision log holds one record for each
authorization, found by the request id the client was given, with the same reason."""

import json
import urllib.parse
import urllib.request

from common import A, B, A_ROOT, ALICE, B_ROOT, Failed, allow, check, client, endpoint, equal, policy, run, trust

import botocore.exceptions


def denied(call, **kwargs):
    """Calls and requires AccessDenied; returns (message, request id)."""
    try:
        result = call(**kwargs)
    except botocore.exceptions.ClientError as e:
        equal(e.response["Error"]["Code"], "AccessDenied", call.__name__)
        return e.response["Error"].get("Message", ""), e.response["ResponseMetadata"]["RequestId"]
    raise Failed("%s: expected AccessDenied, got %r" % (call.__name__, result))


def decisions(**query):
    url = endpoint() + "/_roleplay/decisions?" + urllib.parse.urlencode(query)
    with urllib.request.urlopen(url) as r:
        return json.loads(r.read())["decisions"]


def only_record(rid):
    records = decisions(request_id=rid)
    equal(len(records), 1, "decision records for request %s" % rid)
    return records[0]


def what_if(keys, action, resource, fmt="json"):
    """Asks the server, signed with `keys`, whether their owner may do `action` on `resource`."""
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials

    body = urllib.parse.urlencode({"ActionName": action, "ResourceArn": resource, "Format": fmt})
    request = botocore.awsrequest.AWSRequest(
        method="POST", url=endpoint() + "/_roleplay/explain", data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(*keys), "iam", "us-east-1").add_auth(request)
    prepared = request.prepare()
    http = urllib.request.Request(prepared.url, data=prepared.body.encode() if isinstance(prepared.body, str) else prepared.body,
                                  headers=dict(prepared.headers), method="POST")
    with urllib.request.urlopen(http) as r:
        text = r.read().decode()
    return json.loads(text) if fmt == "json" else text


def user(iam_root, name, inline=None, boundary=None):
    iam_root.create_user(UserName=name)
    if inline:
        iam_root.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=inline)
    if boundary:
        iam_root.put_user_permissions_boundary(UserName=name, PermissionsBoundary=boundary)
    key = iam_root.create_access_key(UserName=name)["AccessKey"]
    return (key["AccessKeyId"], key["SecretAccessKey"])


def scenario():
    b = client("iam", B_ROOT)
    facts = {}
    texts = {}
    texts_rid = {}

    def expect(kind, message, rid, text, decision):
        equal(message, text, "AccessDenied text (%s)" % kind)
        record = only_record(rid)
        equal(record["decision"], decision, "logged decision (%s)" % kind)
        equal(record["reason"].replace('"', ""), message.replace('"', ""), "logged reason (%s)" % kind)
        texts[kind] = message
        texts_rid[kind] = rid
        return record

    # 1. No identity policy.
    nobody = client("iam", user(b, "nobody"))
    message, rid = denied(nobody.list_users)
    arn = "arn:aws:iam::%s:user/nobody" % B
    expect("implicit identity", message, rid,
           "User: %s is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::%s:user/ "
           "because no identity-based policy allows the iam:ListUsers action" % (arn, B), "ImplicitDeny")

    # 2. Explicit deny in an identity policy.
    denier = client("iam", user(b, "denier", policy(
        allow("iam:*"), {"Sid": "NoRoles", "Effect": "Deny", "Action": "iam:ListRoles", "Resource": "*"})))
    message, rid = denied(denier.list_roles)
    record = expect("explicit identity", message, rid,
                    "User: arn:aws:iam::%s:user/denier is not authorized to perform: iam:ListRoles on resource: "
                    "arn:aws:iam::%s:role/ with an explicit deny in an identity-based policy" % (B, B), "ExplicitDeny")
    equal([(s["policy"], s["sid"]) for s in record["statements"]], [("inline:user/denier/p", "NoRoles")],
          "deciding statement")

    # 3. Permissions boundary without the action.
    boundary_arn = b.create_policy(PolicyName="only-users", PolicyDocument=policy(allow("iam:ListUsers")))["Policy"]["Arn"]
    bounded = client("iam", user(b, "bounded", policy(allow("iam:*")), boundary_arn))
    bounded.list_users()
    message, rid = denied(bounded.list_roles)
    record = expect("boundary", message, rid,
                    "User: arn:aws:iam::%s:user/bounded is not authorized to perform: iam:ListRoles on resource: "
                    "arn:aws:iam::%s:role/ because no permissions boundary allows the iam:ListRoles action" % (B, B),
                    "ImplicitDeny")
    equal(record["denied_by"], "boundary", "boundary named")
    equal(record["no_allow_in"], ["boundary"], "kinds without an allow")

    # 4. Session policy.
    b.create_role(RoleName="reader", AssumeRolePolicyDocument=trust("arn:aws:iam::%s:root" % A))
    b.put_role_policy(RoleName="reader", PolicyName="iam-read", PolicyDocument=policy(allow(["iam:List*"])))
    client("iam", A_ROOT).put_user_policy(UserName="alice", PolicyName="assume-any",
                                          PolicyDocument=policy(allow("sts:AssumeRole", "*")))
    sts = client("sts", ALICE)
    narrowed = client("iam", sts.assume_role(RoleArn="arn:aws:iam::%s:role/reader" % B, RoleSessionName="sess",
                                             Policy=policy(allow("iam:ListUsers")))["Credentials"])
    message, rid = denied(narrowed.list_roles)
    record = expect("session", message, rid,
                    "User: arn:aws:sts::%s:assumed-role/reader/sess is not authorized to perform: iam:ListRoles on "
                    "resource: arn:aws:iam::%s:role/ because no session policy allows the iam:ListRoles action" % (B, B),
                    "ImplicitDeny")
    equal(record["session"]["principal"], "arn:aws:iam::%s:role/reader" % B, "session's role")
    equal(record["session"]["name"], "sess", "session name")
    equal(record["session"]["session_policy"], True, "session policy flagged")

    # 5. AssumeRole refused by the trust policy: STS keeps the classic text; the log says why.
    b.create_role(RoleName="closed", AssumeRolePolicyDocument=trust("arn:aws:iam::333333333333:root"))
    message, rid = denied(sts.assume_role, RoleArn="arn:aws:iam::%s:role/closed" % B, RoleSessionName="xx")
    equal(message, "User: arn:aws:iam::%s:user/alice is not authorized to perform: sts:AssumeRole on resource: "
                   "arn:aws:iam::%s:role/closed" % (A, B), "AssumeRole text")
    record = only_record(rid)
    equal(record["denied_by"], "trust", "trust policy named in the log")
    check(record["reason"].endswith("because no role trust policy allows the sts:AssumeRole action"),
          "logged trust reason", record["reason"])
    trust_statements = [s for p in record["policies"] if p["policy_type"] == "trust" for s in p["statements"]]
    equal([s["why"] for s in trust_statements], ["Principal does not name the caller"], "trust statement verdict")

    # 6. S3, same account: the reason with the resource in quotes.
    s3_root = client("s3", B_ROOT)
    s3_root.create_bucket(Bucket="explain-same")
    s3_nobody = client("s3", user(b, "s3-nobody"))
    message, rid = denied(s3_nobody.list_objects_v2, Bucket="explain-same")
    expect("s3 same account", message, rid,
           'User: arn:aws:iam::%s:user/s3-nobody is not authorized to perform: s3:ListBucket on resource: '
           '"arn:aws:s3:::explain-same" because no identity-based policy allows the s3:ListBucket action' % B,
           "ImplicitDeny")

    # 7. S3, explicit deny in the bucket policy, same account.
    s3_user = client("s3", user(b, "s3-user", policy(allow("s3:*"))))
    s3_root.put_bucket_policy(Bucket="explain-same", Policy=policy({
        "Sid": "NoDeletes", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject",
        "Resource": "arn:aws:s3:::explain-same/*"}))
    s3_user.put_object(Bucket="explain-same", Key="k", Body=b"x")
    message, rid = denied(s3_user.delete_object, Bucket="explain-same", Key="k")
    record = expect("s3 bucket policy deny", message, rid,
                    'User: arn:aws:iam::%s:user/s3-user is not authorized to perform: s3:DeleteObject on resource: '
                    '"arn:aws:s3:::explain-same/k" with an explicit deny in a resource-based policy' % B,
                    "ExplicitDeny")
    equal([(s["policy"], s["sid"]) for s in record["statements"]], [("explain-same#policy", "NoDeletes")],
          "deciding bucket statement")

    # 8. S3, another account: plain "Access Denied" on the wire, the reason in the log.
    s3_alice = client("s3", ALICE)
    message, rid = denied(s3_alice.list_objects_v2, Bucket="explain-same")
    equal(message, "Access Denied", "cross-account S3 text")
    record = only_record(rid)
    equal(record["principal"], "arn:aws:iam::%s:user/alice" % A, "logged principal")
    check("resource" in record["no_allow_in"], "cross-account: no resource grant", record)

    # Allowed requests are logged too, one record per authorization.
    answer = s3_user.get_object(Bucket="explain-same", Key="k")
    record = only_record(answer["ResponseMetadata"]["RequestId"])
    equal(record["decision"], "Allow", "allowed GetObject logged")
    equal(record["action"], "s3:GetObject", "logged action")

    # Each denial carries an encoded authorization message that the denied account can decode.
    encoded = only_record(texts_rid["implicit identity"])["encoded_message"]
    denied(client("sts", user(b, "no-decode")).decode_authorization_message, EncodedMessage=encoded)
    decoded = json.loads(client("sts", B_ROOT).decode_authorization_message(EncodedMessage=encoded)["DecodedMessage"])
    equal(decoded["allowed"], False, "decoded: allowed")
    equal(decoded["explicitDeny"], False, "decoded: explicitDeny")
    equal(decoded["context"]["principal"]["arn"], arn, "decoded principal")
    equal(decoded["context"]["action"], "iam:ListUsers", "decoded action")
    for other, bad in ((A_ROOT, encoded), (B_ROOT, "not-a-message")):
        try:
            client("sts", other).decode_authorization_message(EncodedMessage=bad)
            raise Failed("decoding %r should fail" % bad[:20])
        except botocore.exceptions.ClientError as e:
            equal(e.response["Error"]["Code"], "InvalidAuthorizationMessageException", "undecodable message")

    # What-if, signed as the caller: the how-to's hop is allowed, the closed role is not.
    ok = what_if(ALICE, "sts:AssumeRole", "arn:aws:iam::%s:role/reader" % B)
    equal(ok["decision"], "Allow", "what-if: alice may assume reader")
    closed = what_if(ALICE, "sts:AssumeRole", "arn:aws:iam::%s:role/closed" % B)
    equal(closed["decision"], "ImplicitDeny", "what-if: alice may not assume closed")
    equal(closed["denied_by"], "trust", "what-if names the trust policy")
    words = what_if(ALICE, "sts:AssumeRole", "arn:aws:iam::%s:role/closed" % B, "text")
    check("trust policy of arn:aws:iam::%s:role/closed" % B in words and "Principal does not name the caller" in words,
          "what-if in words", words)
    s3_whatif = what_if(ALICE, "s3:ListBucket", "arn:aws:s3:::explain-same")
    equal(s3_whatif["resource_account"], B, "what-if finds the bucket's owner")
    before = len(decisions(limit=10000))
    what_if(ALICE, "iam:ListUsers", "*")
    equal(len(decisions(limit=10000)), before, "a what-if is not filed as a decision")

    # Filters.
    denials = decisions(principal="arn:aws:iam::%s:user/alice" % A, decision="Deny")
    check(len(denials) >= 2 and all(d["decision"] != "Allow" for d in denials), "filtered denials", denials)
    facts["denial_texts"] = texts
    facts["records_logged"] = len(decisions(limit=10000))
    return facts


run(scenario)
