"""botocore as the oracle for the profile vectors.

Reads a JSON list of cases on stdin ({id, env, files, args, services, region}) and prints one
result per case: the credential chain botocore would run (or its error text), the region, and
each service's endpoint. No network: AssumeRole is replaced by a recorder that hands out
fake session keys, credential_process by a recorder, and instance metadata is disabled.
"""

import copy
import json
import os
import sys
import tempfile

import botocore.credentials as bc
import botocore.session

HOME = "/home/user"
records = []
stack = []

_orig_load_via = bc.AssumeRoleProvider._load_creds_via_assume_role


def _load_via(self, profile_name):
    stack.append(profile_name)
    try:
        return _orig_load_via(self, profile_name)
    finally:
        stack.pop()


bc.AssumeRoleProvider._load_creds_via_assume_role = _load_via

_orig_fetcher_init = bc.AssumeRoleCredentialFetcher.__init__


def _fetcher_init(self, *a, **kw):
    _orig_fetcher_init(self, *a, **kw)
    self._rp_profile = stack[-1] if stack else None


bc.AssumeRoleCredentialFetcher.__init__ = _fetcher_init


def _fake_get_credentials(self):
    self._source_credentials.get_frozen_credentials()
    kwargs = copy.deepcopy(self._assume_kwargs)
    if self._using_default_session_name:
        del kwargs["RoleSessionName"]
    n = len(records)
    records.append(
        {"profile": self._rp_profile, "kwargs": kwargs, "source": self._source_credentials,
         "cache_key": self._cache_key}
    )
    return {
        "Credentials": {
            "AccessKeyId": f"ASIAHOP{n}",
            "SecretAccessKey": "hop-secret",
            "SessionToken": "hop-token",
            "Expiration": "2099-01-01T00:00:00Z",
        }
    }


bc.AssumeRoleCredentialFetcher._get_credentials = _fake_get_credentials


def _tagging(cls):
    orig = cls.load

    def load(self):
        creds = orig(self)
        if creds is not None:
            creds._rp_profile = self._profile_name
        return creds

    cls.load = load


for _cls in (bc.SharedCredentialProvider, bc.ConfigProvider, bc.ProcessProvider):
    _tagging(_cls)


def _fake_process(self, command):
    self._rp_command = command
    return {"access_key": "PROCESS", "secret_key": "process", "token": None,
            "expiry_time": None, "account_id": None}


bc.ProcessProvider._retrieve_credentials_using = _fake_process
_orig_process_load = bc.ProcessProvider.load


def _process_load(self):
    creds = _orig_process_load(self)
    if creds is not None:
        creds._rp_command = self._credential_process
    return creds


bc.ProcessProvider.load = _process_load


def base_of(creds):
    if creds.method == "custom-process":
        return {"kind": "process", "profile": creds._rp_profile, "command": creds._rp_command}
    frozen = creds.get_frozen_credentials()
    out = {"kind": "static", "source": creds.method,
           "access_key_id": frozen.access_key, "secret_access_key": frozen.secret_key}
    profile = getattr(creds, "_rp_profile", None)
    if profile is not None:
        out["profile"] = profile
    if frozen.token is not None:
        out["session_token"] = frozen.token
    return out


def hop_of(record):
    kw = record["kwargs"]
    hop = {"profile": record["profile"], "role_arn": kw["RoleArn"]}
    for ours, theirs in [("role_session_name", "RoleSessionName"), ("external_id", "ExternalId"),
                         ("mfa_serial", "SerialNumber"), ("duration_seconds", "DurationSeconds")]:
        if theirs in kw:
            hop[ours] = kw[theirs]
    return hop


def run(case, home):
    def real(s):
        return s.replace(HOME, home)

    def virtual(s):
        return s.replace(home, HOME)

    os.environ.clear()
    for k, v in case["env"].items():
        os.environ[k] = real(v)
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    for path, text in case["files"].items():
        p = real(path)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
    records.clear()
    args = case["args"]
    out = {}
    session = botocore.session.Session(profile=args.get("profile"))
    if args.get("region") is not None:
        session.set_config_variable("region", args["region"])
    try:
        session.get_scoped_config()
        creds = session.get_credentials()
        if creds is None:
            raise botocore.exceptions.NoCredentialsError()
        creds.get_frozen_credentials()
        base = base_of(records[0]["source"]) if records else base_of(creds)
        out["chain"] = {"base": base, "hops": [hop_of(r) for r in records]}
        out["cache_keys"] = [r["cache_key"] for r in records]
    except Exception as e:  # botocore's error text is what we compare
        out["error"] = virtual(str(e))
    if case["region"]:
        try:
            out["region"] = session.get_config_variable("region")
        except Exception as e:
            out["region"] = {"error": virtual(str(e))}
    endpoints = {}
    for service in case["services"]:
        try:
            client = session.create_client(
                service, region_name=out.get("region") if isinstance(out.get("region"), str) else "us-east-1",
                endpoint_url=args.get("endpoint_url"),
                aws_access_key_id="AKIAORACLE", aws_secret_access_key="oracle")
            url = client.meta.endpoint_url
            endpoints[service] = None if url.endswith(".amazonaws.com") else virtual(url)
        except Exception as e:
            endpoints[service] = {"error": virtual(str(e))}
    if case["services"]:
        out["endpoints"] = endpoints
    return out


def main():
    cases = json.load(sys.stdin)
    saved = dict(os.environ)
    results = []
    for case in cases:
        with tempfile.TemporaryDirectory() as home:
            results.append(run(case, home))
    os.environ.clear()
    os.environ.update(saved)
    json.dump(results, sys.stdout)


main()
