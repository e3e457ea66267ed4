"""Writes the compact service models the client is driven by, from botocore's own.

    python3 crates/cli/models/generate.py        # rewrites sts.json, iam.json and s3.json here

The models are botocore's (Apache-2.0, Amazon.com, Inc.), reduced to what the client reads:
operation input/output shapes and result wrappers, the CLI names (`xform_name`), shapes without documentation, members in
model order (the order the aws CLI prints them), and the paginators; for S3's rest-xml protocol
also the HTTP bindings (method and URI, member locations, payload members, streaming blobs, XML
names and namespaces), whether a checksum is required, and which member asks for the
response's checksums to be validated.
"""
import gzip
import json
import os

import botocore
from botocore import xform_name

DATA = os.path.join(os.path.dirname(botocore.__file__), "data")
HERE = os.path.dirname(os.path.abspath(__file__))


def ref(m):
    out = {"shape": m["shape"]}
    for k in ("locationName", "flattened", "location", "streaming", "xmlAttribute"):
        if k in m:
            out[k] = m[k]
    if "xmlNamespace" in m:
        out["xmlNamespace"] = m["xmlNamespace"]["uri"]
    return out


def compact(service, paginators):
    inputs = {op["input"]["shape"] for op in service["operations"].values() if "input" in op}
    meta = service["metadata"]
    out = {
        "metadata": {k: meta[k] for k in ("apiVersion", "signingName", "endpointPrefix", "globalEndpoint", "serviceId") if k in meta},
        "operations": {},
        "shapes": {},
        "paginators": paginators,
    }
    for name, op in service["operations"].items():
        o = {}
        if "input" in op:
            o["input"] = op["input"]["shape"]
        if "output" in op:
            o["output"] = op["output"]["shape"]
            if "resultWrapper" in op["output"]:
                o["resultWrapper"] = op["output"]["resultWrapper"]
        o["cli"] = xform_name(name, "-")
        if service["metadata"]["protocol"] == "rest-xml":
            o["http"] = {"method": op["http"]["method"], "requestUri": op["http"]["requestUri"]}
            if op.get("httpChecksumRequired") or op.get("httpChecksum", {}).get("requestChecksumRequired"):
                o["checksumRequired"] = True
            if "requestAlgorithmMember" in op.get("httpChecksum", {}):
                o["checksumAlgorithmMember"] = op["httpChecksum"]["requestAlgorithmMember"]
            if "requestValidationModeMember" in op.get("httpChecksum", {}):
                o["validationModeMember"] = op["httpChecksum"]["requestValidationModeMember"]
        out["operations"][name] = o
    for name, s in service["shapes"].items():
        c = {"type": s["type"]}
        for k in ("required", "flattened", "min", "max", "timestampFormat", "payload", "locationName"):
            if k in s:
                c[k] = s[k]
        if "xmlNamespace" in s:
            c["xmlNamespace"] = s["xmlNamespace"]["uri"]
            if "prefix" in s["xmlNamespace"]:
                c["xmlPrefix"] = s["xmlNamespace"]["prefix"]
        if "members" in s:
            c["members"] = [[mn, ref(mv)] for mn, mv in s["members"].items()]
            if name in inputs:
                for mn, mv in c["members"]:
                    mv["cli"] = xform_name(mn, "-")
        for k in ("member", "key", "value"):
            if k in s:
                c[k] = ref(s[k])
        out["shapes"][name] = c
    return out


for svc in ("sts", "iam", "s3"):
    version = sorted(os.listdir(os.path.join(DATA, svc)))[-1]
    folder = os.path.join(DATA, svc, version)
    with gzip.open(os.path.join(folder, "service-2.json.gz")) as f:
        service = json.load(f)
    pag_path = os.path.join(folder, "paginators-1.json")
    paginators = {}
    if os.path.exists(pag_path):
        with open(pag_path) as f:
            paginators = json.load(f).get("pagination", {})
    extras_path = os.path.join(folder, "paginators-1.sdk-extras.json")
    if os.path.exists(extras_path):
        with open(extras_path) as f:
            for name, extra in json.load(f).get("merge", {}).get("pagination", {}).items():
                paginators.setdefault(name, {}).update(extra)
    with open(os.path.join(HERE, f"{svc}.json"), "w") as f:
        json.dump(compact(service, paginators), f, separators=(",", ":"))
        f.write("\n")
