"""Shared helpers of the boto3 scenarios: clients on the built-in scenario's keys, checks that
stop the scenario with a clear message, and the JSON summary printed on success.

Each scenario runs as `python3 SCRIPT.py ENDPOINT` against a fresh `roleplay serve`.
"""

import json
import sys

try:
    import boto3
    import botocore
    import botocore.config
    import botocore.exceptions
except ImportError as e:  # a missing boto3 is a failure, never a skip
    sys.stderr.write("boto3 is not importable (pip install -r .ci/requirements.txt): %s\n" % e)
    sys.exit(3)

A = "123123123123"
B = "345345345345"
A_ROOT = ("AKIARZKVVYOZUEQH746Y", "Yt7Gbck+bq4JgYUL4uY8pez2aI37mbOqiywd2Jz1")
B_ROOT = ("AKIAVA2BPY5AXIX6EA6Q", "6bJPw7rP+KQcDFcNQlX01dfLvZb8gkb6YlF9SQ1g")
ALICE = ("AKIARZKVVYOZRFFXKTQN", "StVXxl2FXw4dQKGX4cS+09IfLqwY23yRVuaJel3Q")

_CONFIG = botocore.config.Config(retries={"total_max_attempts": 1})


class Failed(Exception):
    """A scenario step did not behave as AWS does."""


def endpoint():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: %s ENDPOINT_URL\n" % sys.argv[0])
        sys.exit(2)
    return sys.argv[1]


def client(service, keys):
    """A boto3 client for `service` with `keys` (id, secret) or session `Credentials`."""
    if isinstance(keys, dict):
        key_id, secret, token = keys["AccessKeyId"], keys["SecretAccessKey"], keys["SessionToken"]
    else:
        key_id, secret, token = keys[0], keys[1], None
    return boto3.client(
        service,
        endpoint_url=endpoint(),
        region_name="us-east-1",
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        aws_session_token=token,
        config=_CONFIG,
    )


def check(condition, message, *details):
    if not condition:
        raise Failed(message + "".join("\n  " + repr(d) for d in details))


def equal(actual, expected, what):
    check(actual == expected, "%s: expected %r, got %r" % (what, expected, actual))


def error(code, call, *args, **kwargs):
    """Calls `call` and requires a ClientError with `code`; returns its message."""
    try:
        result = call(*args, **kwargs)
    except botocore.exceptions.ClientError as e:
        got = e.response["Error"]["Code"]
        message = e.response["Error"].get("Message", "")
        check(got == code, "%s: expected %s, got %s: %s" % (call.__name__, code, got, message))
        return message
    raise Failed("%s: expected %s, but it succeeded: %r" % (call.__name__, code, result))


def s3(keys):
    """A path-style S3 client on `keys` (id, secret) or session `Credentials`, or an unsigned
    one for `None`."""
    options = dict(retries={"total_max_attempts": 1}, s3={"addressing_style": "path"})
    if keys is None:
        return boto3.client(
            "s3",
            endpoint_url=endpoint(),
            region_name="us-east-1",
            config=botocore.config.Config(signature_version=botocore.UNSIGNED, **options),
        )
    if isinstance(keys, dict):
        key_id, secret, token = keys["AccessKeyId"], keys["SecretAccessKey"], keys["SessionToken"]
    else:
        key_id, secret, token = keys[0], keys[1], None
    return boto3.client(
        "s3",
        endpoint_url=endpoint(),
        region_name="us-east-1",
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        aws_session_token=token,
        config=botocore.config.Config(**options),
    )


def outcome(call, **kwargs):
    """`allowed`, or the error code of the refusal."""
    try:
        call(**kwargs)
        return "allowed"
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]


def user_policy(iam, user, name, statements):
    """Sets inline policy `name` of `user` to `statements`, or deletes it when there are none."""
    if statements:
        iam.put_user_policy(UserName=user, PolicyName=name, PolicyDocument=policy(*statements))
    else:
        iam.delete_user_policy(UserName=user, PolicyName=name)


def bucket_policy(s3_client, bucket, statements):
    """Sets the policy of `bucket` to `statements`, or deletes it when there are none."""
    if statements:
        s3_client.put_bucket_policy(Bucket=bucket, Policy=policy(*statements))
    else:
        s3_client.delete_bucket_policy(Bucket=bucket)


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(actions, resource="*", condition=None):
    statement = {"Effect": "Allow", "Action": actions, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


def trust(principal, actions=("sts:AssumeRole",)):
    return policy(
        {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": list(actions)}
    )


def run(scenario):
    """Runs `scenario()` (which returns a dict of facts) and reports as the Rust test expects."""
    endpoint()
    try:
        facts = scenario()
    except Failed as e:
        sys.stderr.write("FAILED: %s\n" % e)
        sys.exit(1)
    except botocore.exceptions.ClientError as e:
        sys.stderr.write("FAILED: unexpected %s\n" % e)
        sys.exit(1)
    print(json.dumps({"scenario": sys.argv[0].rsplit("/", 1)[-1], "ok": True, **facts}, indent=2, default=str))
