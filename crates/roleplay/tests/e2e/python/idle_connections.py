"""Real clients and the server's I/O timeout (here 1 second): boto3 keeps connections alive
between calls; after the server has closed the idle ones, the next calls still succeed
without a retry (retries are off), and uploads and downloads that keep data moving are never
cut off however long they take in total."""

import io
import time

from common import A_ROOT, check, client, equal, run


def scenario():
    sts = client("sts", A_ROOT)
    s3 = client("s3", A_ROOT)
    equal(sts.get_caller_identity()["Account"], "123123123123", "before idling")
    s3.create_bucket(Bucket="idle")
    calls = 0
    for round in range(3):
        # Longer than the server's idle limit: the pooled connections are closed meanwhile.
        time.sleep(1.5)
        equal(sts.get_caller_identity()["Account"], "123123123123", "after idling %d" % round)
        s3.put_object(Bucket="idle", Key="k%d" % round, Body=b"x" * 1024)
        got = s3.get_object(Bucket="idle", Key="k%d" % round)["Body"].read()
        equal(got, b"x" * 1024, "object after idling %d" % round)
        calls += 4
    # 24 MiB in 8 MiB parts: several seconds in all, never idle for a second.
    body = bytes(range(256)) * (24 * 4096)
    s3.upload_fileobj(io.BytesIO(body), "idle", "big")
    out = io.BytesIO()
    s3.download_fileobj("idle", "big", out)
    check(out.getvalue() == body, "the large object came back different")
    return {"calls_after_idle": calls, "large_bytes": len(body)}


if __name__ == "__main__":
    run(scenario)
