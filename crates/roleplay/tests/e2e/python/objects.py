"""Objects as S3 answers about them, through boto3.

First, on one connection, an empty upload and then others: botocore sends every upload with
`Expect: 100-continue`, and a server that answers an empty one without `100 Continue` leaves
botocore parsing the next response with a stale status line until its read timeout.

Then ETags under concurrent uploads: clients on several threads put bodies of many sizes
(empty, inline, past the 64 KiB the store keeps inline), some with Content-MD5, some with a
SHA-256 checksum, into one bucket at once; each PutObject answers the MD5 of its own body,
and HeadObject, GetObject and ListObjectsV2 agree with it afterwards. The checksums stored
come back when asked, the encryption every object has (SSE-S3) is stated, owners are
canonical ids without DisplayName, object subresources roleplay does not serve are refused
without touching the object, and conditional writes hold under a race."""

import base64
import hashlib
import struct
import threading
import time
import zlib

import boto3
import botocore.config
import botocore.exceptions

from common import A_ROOT, B_ROOT, check, endpoint, equal, error, run, s3

THREADS = 12
PER_THREAD = 20


def body(n):
    size = (n * 7919) % (80 * 1024) if n % 7 else 0
    return bytes((i * 31 + n) % 256 for i in range(size % 4096)) * (size // 4096) + bytes(
        (n + i) % 256 for i in range(size % 4096)
    )


checksums = {}
encrypted = {}


def put(client, n, answers):
    data = body(n)
    args = dict(Bucket="etags", Key="k%04d" % n, Body=data)
    if n % 3 == 1:
        args["ContentMD5"] = base64.b64encode(hashlib.md5(data).digest()).decode()
    elif n % 3 == 2:
        args["ChecksumAlgorithm"] = "SHA256"
    put = client.put_object(**args)
    answers[n] = put["ETag"]
    checksums[n] = {k: v for k, v in put.items() if k.startswith("Checksum")}
    encrypted[n] = put.get("ServerSideEncryption")


def empty_then_more():
    quick = boto3.client(
        "s3",
        endpoint_url=endpoint(),
        region_name="us-east-1",
        aws_access_key_id=A_ROOT[0],
        aws_secret_access_key=A_ROOT[1],
        config=botocore.config.Config(
            retries={"total_max_attempts": 1},
            s3={"addressing_style": "path"},
            read_timeout=5,
        ),
    )
    started = time.time()
    for n, data in enumerate([b"", b"after empty", b"", b"", b"x" * 5000]):
        etag = quick.put_object(Bucket="etags", Key="seq%d" % n, Body=data)["ETag"]
        equal(etag, '"%s"' % hashlib.md5(data).hexdigest(), "upload %d of the sequence" % n)
    equal(quick.get_object(Bucket="etags", Key="seq1")["Body"].read(), b"after empty", "seq1")
    return round(time.time() - started, 3)


def scenario():
    s3(A_ROOT).create_bucket(Bucket="etags")
    sequence_seconds = empty_then_more()
    answers, failures = {}, []

    def worker(t):
        client = s3(A_ROOT)
        try:
            for n in range(t, THREADS * PER_THREAD, THREADS):
                put(client, n, answers)
        except Exception as e:  # reported below, with the thread's number
            failures.append("thread %d: %r" % (t, e))

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(not failures, "uploads failed", *failures)
    total = THREADS * PER_THREAD
    want = {n: '"%s"' % hashlib.md5(body(n)).hexdigest() for n in range(total)}
    for n in range(total):
        equal(answers.get(n), want[n], "PutObject ETag of k%04d (%d bytes)" % (n, len(body(n))))
    client = s3(A_ROOT)
    listed = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket="etags"):
        for o in page.get("Contents", []):
            listed[o["Key"]] = (o["ETag"], o["Size"])
    for n in range(total):
        equal(listed.get("k%04d" % n), (want[n], len(body(n))), "listed k%04d" % n)
    for n in range(0, total, 17):
        equal(client.head_object(Bucket="etags", Key="k%04d" % n)["ETag"], want[n], "head k%04d" % n)
        got = client.get_object(Bucket="etags", Key="k%04d" % n)
        equal((got["ETag"], got["Body"].read()), (want[n], body(n)), "get k%04d" % n)
    # Operations on object subresources roleplay does not serve are refused, and leave the
    # object as it was (a retention document once replaced its bytes).
    error("NotImplemented", client.put_object_retention, Bucket="etags", Key="k0001",
          Retention={"Mode": "GOVERNANCE", "RetainUntilDate": "2030-01-01T00:00:00Z"})
    error("NotImplemented", client.get_object_attributes, Bucket="etags", Key="k0001",
          ObjectAttributes=["ETag"])
    equal(client.get_object(Bucket="etags", Key="k0001")["Body"].read(), body(1), "k0001 after")
    # The checksums each upload stored come back on request, whole objects only, and in
    # listings; botocore checks a returned checksum against the body it reads.
    for n in range(0, total, 11):
        stored = checksums[n]
        check(stored.get("ChecksumType") == "FULL_OBJECT", "PutObject checksum type", stored)
        if "ChecksumCRC32" in stored:
            crc = base64.b64encode(struct.pack(">I", zlib.crc32(body(n)))).decode()
            equal(stored["ChecksumCRC32"], crc, "CRC32 of k%04d" % n)
        head = client.head_object(Bucket="etags", Key="k%04d" % n, ChecksumMode="ENABLED")
        equal({k: v for k, v in head.items() if k.startswith("Checksum")}, stored, "head k%04d" % n)
        plain = client.head_object(Bucket="etags", Key="k%04d" % n)
        equal([k for k in plain if k.startswith("Checksum")], [], "head k%04d without mode" % n)
        got = client.get_object(Bucket="etags", Key="k%04d" % n, ChecksumMode="ENABLED")
        equal(got["Body"].read(), body(n), "checked get k%04d" % n)
        if len(body(n)) > 10:
            part = client.get_object(Bucket="etags", Key="k%04d" % n, Range="bytes=0-9",
                                     ChecksumMode="ENABLED")
            equal([k for k in part if k.startswith("Checksum")], [], "ranged get k%04d" % n)
    for page in client.get_paginator("list_objects_v2").paginate(Bucket="etags", Prefix="k"):
        for o in page.get("Contents", []):
            n = int(o["Key"][1:])
            algorithms = sorted(k[len("Checksum"):] for k in checksums[n] if k != "ChecksumType")
            equal((o.get("ChecksumAlgorithm", []), o.get("ChecksumType")),
                  (algorithms, "FULL_OBJECT" if algorithms else None), "listed " + o["Key"])
    # Every object is encrypted at rest with SSE-S3 (S3's default since January 2023), and
    # the answers about objects say so.
    equal(set(encrypted.values()), {"AES256"}, "PutObject ServerSideEncryption")
    said = [client.head_object(Bucket="etags", Key="k0003")["ServerSideEncryption"]]
    said.append(client.get_object(Bucket="etags", Key="k0003")["ServerSideEncryption"])
    copied = client.copy_object(Bucket="etags", Key="copy", CopySource="etags/k0003")
    said.append(copied["ServerSideEncryption"])
    upload = client.create_multipart_upload(Bucket="etags", Key="mpu")
    said.append(upload["ServerSideEncryption"])
    part = client.upload_part(Bucket="etags", Key="mpu", UploadId=upload["UploadId"],
                              PartNumber=1, Body=b"part")
    said.append(part["ServerSideEncryption"])
    done = client.complete_multipart_upload(
        Bucket="etags", Key="mpu", UploadId=upload["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    said.append(done["ServerSideEncryption"])
    equal(said, ["AES256"] * 6, "Head, Get, Copy, Create, UploadPart, Complete")
    rules = client.get_bucket_encryption(Bucket="etags")["ServerSideEncryptionConfiguration"]
    equal(rules["Rules"], [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                            "BucketKeyEnabled": False}], "GetBucketEncryption")
    # Another account reads it only if the bucket's policy lets it.
    error("AccessDenied", s3(B_ROOT).get_bucket_encryption, Bucket="etags")
    versions = client.list_object_versions(Bucket="etags", Prefix="k0002")["Versions"]
    equal([(v["ChecksumAlgorithm"], v["ChecksumType"]) for v in versions],
          [(sorted(k[len("Checksum"):] for k in checksums[2] if k != "ChecksumType"),
            "FULL_OBJECT")], "versions of k0002")
    # S3 stopped returning owners' DisplayName on 2025-11-21; owners are canonical ids.
    owners = [client.list_buckets()["Owner"], client.get_bucket_acl(Bucket="etags")["Owner"]]
    owners += [g["Grantee"] for g in client.get_bucket_acl(Bucket="etags")["Grants"]]
    owners += [v["Owner"] for v in versions]
    # ListObjects names each object's owner, ListObjectsV2 only with FetchOwner.
    v1 = client.list_objects(Bucket="etags", MaxKeys=3)["Contents"]
    v2 = client.list_objects_v2(Bucket="etags", MaxKeys=3)["Contents"]
    fetched = client.list_objects_v2(Bucket="etags", MaxKeys=3, FetchOwner=True)["Contents"]
    check(all("Owner" not in o for o in v2), "ListObjectsV2 without FetchOwner", v2)
    bucket_owner = client.get_bucket_acl(Bucket="etags")["Owner"]["ID"]
    equal({o["Owner"]["ID"] for o in v1 + fetched}, {bucket_owner}, "listed owners")
    owners += [o["Owner"] for o in v1 + fetched]
    for o in owners:
        check("DisplayName" not in o and len(o.get("ID", "")) == 64, "an owner as S3 shows it", o)
    # Conditional writes, checked in the commit: of twelve racing If-None-Match uploads of one
    # key exactly one lands (Terraform's S3 state lock relies on it), and If-Match needs the
    # current ETag.
    won, lost = [], []

    def race(t):
        try:
            s3(A_ROOT).put_object(Bucket="etags", Key="lock", Body=b"%d" % t, IfNoneMatch="*")
            won.append(t)
        except botocore.exceptions.ClientError as e:
            lost.append(e.response["Error"]["Code"])

    racers = [threading.Thread(target=race, args=(t,)) for t in range(12)]
    for t in racers:
        t.start()
    for t in racers:
        t.join()
    equal((len(won), sorted(set(lost))), (1, ["PreconditionFailed"]), "If-None-Match race")
    equal(client.get_object(Bucket="etags", Key="lock")["Body"].read(), b"%d" % won[0], "lock holder")
    lock_etag = client.head_object(Bucket="etags", Key="lock")["ETag"]
    error("PreconditionFailed", client.put_object, Bucket="etags", Key="lock", Body=b"x",
          IfMatch='"0123456789abcdef0123456789abcdef"')
    error("NoSuchKey", client.put_object, Bucket="etags", Key="no-lock", Body=b"x", IfMatch=lock_etag)
    error("NotImplemented", client.put_object, Bucket="etags", Key="lock", Body=b"x", IfNoneMatch=lock_etag)
    client.put_object(Bucket="etags", Key="lock", Body=b"released", IfMatch=lock_etag)
    equal(client.get_object(Bucket="etags", Key="lock")["Body"].read(), b"released", "If-Match write")
    client.delete_object(Bucket="etags", Key="lock")
    client.put_object(Bucket="etags", Key="lock", Body=b"again", IfNoneMatch="*")
    sizes = [len(body(n)) for n in range(total)]
    return {
        "sequence_seconds": sequence_seconds,
        "objects": total,
        "largest": max(sizes),
        "past_inline": sum(s > 64 * 1024 for s in sizes),
        "empty": sizes.count(0),
    }


if __name__ == "__main__":
    run(scenario)
