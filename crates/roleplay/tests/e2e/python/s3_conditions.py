"""Bucket policies conditioned on the S3 request itself, as AWS's own examples write them:
a cross-account writer must hand the bucket owner full control (`s3:x-amz-acl`), uploads
must ask for encryption (`s3:x-amz-server-side-encryption`), and presigned URLs are refused
(`s3:authType`). A condition holds only when the request carries what it names."""

import urllib.error
import urllib.request

import boto3
import botocore.config

import common
from common import A, A_ROOT, ALICE, B_ROOT, allow, bucket_policy, client, endpoint, equal, run, s3, user_policy

BUCKET = "conditions-b"
OBJECTS = "arn:aws:s3:::%s/*" % BUCKET
ALICE_ARN = "arn:aws:iam::%s:user/alice" % A


def outcome(call, **kwargs):
    """`allowed`, or the S3 error code of the refusal, of `call` on the bucket."""
    return common.outcome(call, Bucket=BUCKET, **kwargs)


def fetch(url):
    try:
        return urllib.request.urlopen(url).status
    except urllib.error.HTTPError as e:
        return e.code


def scenario():
    owner = s3(B_ROOT)
    owner.create_bucket(Bucket=BUCKET)
    user_policy(client("iam", A_ROOT), "alice", "write-b", [allow(["s3:PutObject", "s3:GetObject"], OBJECTS)])
    alice = s3(ALICE)
    put = lambda **kw: outcome(alice.put_object, Key="k", Body=b"x", **kw)

    # Cross-account uploads only with bucket-owner-full-control.
    bucket_policy(owner, BUCKET, [{
        "Effect": "Allow", "Principal": {"AWS": ALICE_ARN}, "Action": "s3:PutObject",
        "Resource": OBJECTS,
        "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
    }])
    facts = {"acl: none": put(), "acl: bucket-owner-full-control": put(ACL="bucket-owner-full-control"),
             "acl: private": put(ACL="private")}
    equal(facts, {"acl: none": "AccessDenied", "acl: bucket-owner-full-control": "allowed",
                  "acl: private": "AccessDenied"}, "s3:x-amz-acl")
    # A denied upload is answered before its body is sent (botocore asks for 100 Continue);
    # the connection must not carry that answer over to the next upload on it.
    turns = [(put(), put(ACL="bucket-owner-full-control")) for _ in range(6)]
    equal(turns, [("AccessDenied", "allowed")] * 6, "denied then allowed, one connection")

    # Uploads must ask for SSE-S3 (the pattern from before default encryption).
    bucket_policy(owner, BUCKET, [
        {"Effect": "Allow", "Principal": {"AWS": ALICE_ARN}, "Action": ["s3:PutObject", "s3:GetObject"],
         "Resource": OBJECTS},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": OBJECTS,
         "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "AES256"}}},
    ])
    sse = {"sse: none": put(), "sse: AES256": put(ServerSideEncryption="AES256")}
    equal(sse, {"sse: none": "AccessDenied", "sse: AES256": "allowed"}, "s3:x-amz-server-side-encryption")
    facts.update(sse)

    # No presigned URLs: the same GetObject signed in the header passes.
    bucket_policy(owner, BUCKET, [
        {"Effect": "Allow", "Principal": {"AWS": ALICE_ARN}, "Action": "s3:GetObject", "Resource": OBJECTS},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": OBJECTS,
         "Condition": {"StringEquals": {"s3:authType": "REST-QUERY-STRING"}}},
    ])
    v4 = boto3.client("s3", endpoint_url=endpoint(), region_name="us-east-1",
                      aws_access_key_id=ALICE[0], aws_secret_access_key=ALICE[1],
                      config=botocore.config.Config(signature_version="s3v4",
                                                    s3={"addressing_style": "path"}))
    url = v4.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "k"}, ExpiresIn=300)
    auth = {"header": outcome(alice.get_object, Key="k"), "presigned": fetch(url)}
    equal(auth, {"header": "allowed", "presigned": 403}, "s3:authType")
    facts.update(auth)
    return facts


if __name__ == "__main__":
    run(scenario)
