//! Multipart uploads, CopyObject, DeleteObjects and presigned URLs through the real aws CLI,
//! python's urllib and boto3.

use crate::harness::*;
use sha2::{Digest, Sha256};
use std::process::Command;

fn sb_with_roots(server: &Server) -> Sandbox {
    let mut sb = Sandbox::new(server);
    sb.keys("a", A_ROOT.0, A_ROOT.1);
    sb.keys("b", B_ROOT.0, B_ROOT.1);
    sb
}

fn ok(run: &Run) {
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
}

fn python(script: &str, args: &[&str]) -> String {
    let mut cmd = Command::new("python3");
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") {
            cmd.env_remove(k);
        }
    }
    let out = cmd
        .arg("-c")
        .arg(script)
        .args(args)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn keys_of(sb: &Sandbox, profile: &str, bucket: &str) -> Vec<String> {
    let out = sb
        .aws(&[
            "s3api",
            "list-objects-v2",
            "--bucket",
            bucket,
            "--profile",
            profile,
        ])
        .json();
    out["Contents"]
        .as_array()
        .map(|c| {
            c.iter()
                .map(|o| o["Key"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn large_files_go_up_in_parts_and_move_by_copy() {
    let server = Server::start(&three_accounts());
    let sb = sb_with_roots(&server);
    ok(&sb.aws(&["s3", "mb", "s3://mp-one", "--profile", "b"]));
    ok(&sb.aws(&["s3", "mb", "s3://mp-two", "--profile", "b"]));

    // 20 MiB: above the CLI's 8 MiB multipart threshold, so three parts.
    let big = sb.home.path().join("big.bin");
    let mut data = Vec::with_capacity(20 << 20);
    let mut x: u32 = 0x1234_5678;
    while data.len() < 20 << 20 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        data.extend_from_slice(&x.to_le_bytes());
    }
    std::fs::write(&big, &data).unwrap();
    let digest = Sha256::digest(&data);
    ok(&sb.aws(&[
        "s3",
        "cp",
        big.to_str().unwrap(),
        "s3://mp-one/dir/big.bin",
        "--profile",
        "b",
    ]));
    let head = sb
        .aws(&[
            "s3api",
            "head-object",
            "--bucket",
            "mp-one",
            "--key",
            "dir/big.bin",
            "--profile",
            "b",
        ])
        .json();
    assert_eq!(head["ContentLength"], 20 << 20);
    assert!(head["ETag"].as_str().unwrap().ends_with("-3\""), "{head}");
    // Nothing left in progress.
    let uploads = sb
        .aws(&[
            "s3api",
            "list-multipart-uploads",
            "--bucket",
            "mp-one",
            "--profile",
            "b",
        ])
        .json();
    assert!(uploads.get("Uploads").is_none(), "{uploads}");

    // `mv` of a large object copies it in parts (UploadPartCopy) and deletes the source.
    ok(&sb.aws(&[
        "s3",
        "mv",
        "s3://mp-one/dir/big.bin",
        "s3://mp-one/moved/big.bin",
        "--profile",
        "b",
    ]));
    let back = sb.home.path().join("back.bin");
    ok(&sb.aws(&[
        "s3",
        "cp",
        "s3://mp-one/moved/big.bin",
        back.to_str().unwrap(),
        "--profile",
        "b",
    ]));
    assert_eq!(Sha256::digest(std::fs::read(&back).unwrap()), digest);
    assert_eq!(keys_of(&sb, "b", "mp-one"), ["moved/big.bin"]);

    // Small objects move by CopyObject, within and between buckets; metadata comes along.
    let small = sb.file("small.txt", "small and plain\n");
    ok(&sb.aws(&[
        "s3api",
        "put-object",
        "--bucket",
        "mp-one",
        "--key",
        "small.txt",
        "--body",
        small.trim_start_matches("file://"),
        "--content-type",
        "text/plain",
        "--metadata",
        "colour=blue",
        "--profile",
        "b",
    ]));
    ok(&sb.aws(&[
        "s3",
        "mv",
        "s3://mp-one/small.txt",
        "s3://mp-one/renamed.txt",
        "--profile",
        "b",
    ]));
    ok(&sb.aws(&[
        "s3",
        "mv",
        "s3://mp-one/renamed.txt",
        "s3://mp-two/elsewhere.txt",
        "--profile",
        "b",
    ]));
    assert_eq!(keys_of(&sb, "b", "mp-one"), ["moved/big.bin"]);
    let head = sb
        .aws(&[
            "s3api",
            "head-object",
            "--bucket",
            "mp-two",
            "--key",
            "elsewhere.txt",
            "--profile",
            "b",
        ])
        .json();
    assert_eq!(head["ContentType"], "text/plain");
    assert_eq!(head["Metadata"]["colour"], "blue");
    let cat = sb.aws(&[
        "s3",
        "cp",
        "s3://mp-two/elsewhere.txt",
        "-",
        "--profile",
        "b",
    ]);
    ok(&cat);
    assert_eq!(cat.stdout, "small and plain\n");

    // CopyObject with REPLACE; copying onto itself without it is refused.
    let copied = sb
        .aws(&[
            "s3api",
            "copy-object",
            "--bucket",
            "mp-two",
            "--key",
            "elsewhere.txt",
            "--copy-source",
            "mp-two/elsewhere.txt",
            "--metadata-directive",
            "REPLACE",
            "--content-type",
            "application/x-new",
            "--profile",
            "b",
        ])
        .json();
    let etag = copied["CopyObjectResult"]["ETag"]
        .as_str()
        .unwrap()
        .to_owned();
    // The source conditions.
    for (header, value) in [
        ("--copy-source-if-match", "\"0123\""),
        ("--copy-source-if-none-match", etag.as_str()),
    ] {
        sb.aws(&[
            "s3api",
            "copy-object",
            "--bucket",
            "mp-two",
            "--key",
            "conditional.txt",
            "--copy-source",
            "mp-two/elsewhere.txt",
            header,
            value,
            "--profile",
            "b",
        ])
        .error("PreconditionFailed");
    }
    sb.aws(&[
        "s3api",
        "copy-object",
        "--bucket",
        "mp-two",
        "--key",
        "conditional.txt",
        "--copy-source",
        "mp-two/elsewhere.txt",
        "--copy-source-if-match",
        &etag,
        "--profile",
        "b",
    ])
    .json();
    sb.aws(&[
        "s3api",
        "copy-object",
        "--bucket",
        "mp-two",
        "--key",
        "elsewhere.txt",
        "--copy-source",
        "mp-two/elsewhere.txt",
        "--profile",
        "b",
    ])
    .error("InvalidRequest");
    // Tags: replaced on request, else copied with the object.
    ok(&sb.aws(&[
        "s3api",
        "copy-object",
        "--bucket",
        "mp-two",
        "--key",
        "tagged.txt",
        "--copy-source",
        "mp-two/elsewhere.txt",
        "--tagging-directive",
        "REPLACE",
        "--tagging",
        "team=blue",
        "--profile",
        "b",
    ]));
    ok(&sb.aws(&[
        "s3api",
        "copy-object",
        "--bucket",
        "mp-two",
        "--key",
        "tagged-copy.txt",
        "--copy-source",
        "mp-two/tagged.txt",
        "--profile",
        "b",
    ]));
    let tags = sb
        .aws(&[
            "s3api",
            "get-object-tagging",
            "--bucket",
            "mp-two",
            "--key",
            "tagged-copy.txt",
            "--profile",
            "b",
        ])
        .json();
    assert_eq!(tags["TagSet"][0]["Value"], "blue", "{tags}");
    sb.aws(&[
        "s3api",
        "copy-object",
        "--bucket",
        "mp-two",
        "--key",
        "x",
        "--copy-source",
        "mp-two/missing",
        "--profile",
        "b",
    ])
    .error("NoSuchKey");
}

#[test]
fn sync_and_recursive_removal_page_through_listings() {
    let server = Server::start(&three_accounts());
    let sb = sb_with_roots(&server);
    ok(&sb.aws(&["s3", "mb", "s3://sync-b", "--profile", "b"]));
    let dir = sb.home.path().join("tree");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    for i in 0..7 {
        std::fs::write(dir.join(format!("f{i}.txt")), format!("file {i}\n")).unwrap();
    }
    std::fs::write(dir.join("sub/deep.txt"), "deep\n").unwrap();
    let d = dir.to_str().unwrap();
    ok(&sb.aws(&["s3", "sync", d, "s3://sync-b/t/", "--profile", "b"]));
    assert_eq!(keys_of(&sb, "b", "sync-b").len(), 8);

    // A second sync with small pages changes nothing; with --delete it removes what went.
    std::fs::remove_file(dir.join("f3.txt")).unwrap();
    std::fs::write(dir.join("f0.txt"), "changed, and longer\n").unwrap();
    let again = sb.aws(&[
        "s3",
        "sync",
        d,
        "s3://sync-b/t/",
        "--delete",
        "--page-size",
        "2",
        "--profile",
        "b",
    ]);
    ok(&again);
    assert!(
        again.stdout.contains("delete: s3://sync-b/t/f3.txt"),
        "{}",
        again.stdout
    );
    assert!(again.stdout.contains("upload: "), "{}", again.stdout);
    let keys = keys_of(&sb, "b", "sync-b");
    assert_eq!(keys.len(), 7, "{keys:?}");
    assert!(!keys.contains(&"t/f3.txt".to_owned()));

    // Download the other way.
    let down = sb.home.path().join("down");
    ok(&sb.aws(&[
        "s3",
        "sync",
        "s3://sync-b/t/",
        down.to_str().unwrap(),
        "--profile",
        "b",
    ]));
    assert_eq!(
        std::fs::read_to_string(down.join("sub/deep.txt")).unwrap(),
        "deep\n"
    );

    let rm = sb.aws(&[
        "s3",
        "rm",
        "s3://sync-b/",
        "--recursive",
        "--page-size",
        "3",
        "--profile",
        "b",
    ]);
    ok(&rm);
    assert_eq!(rm.stdout.matches("delete: ").count(), 7, "{}", rm.stdout);
    assert!(keys_of(&sb, "b", "sync-b").is_empty());
    ok(&sb.aws(&["s3", "rb", "s3://sync-b", "--profile", "b"]));
}

#[test]
fn delete_objects_reports_each_key() {
    let server = Server::start(&three_accounts());
    let sb = sb_with_roots(&server);
    ok(&sb.aws(&["s3", "mb", "s3://del-b", "--profile", "b"]));
    let f = sb.file("x.txt", "x");
    for k in ["one", "two", "keep/three"] {
        ok(&sb.aws(&[
            "s3",
            "cp",
            f.trim_start_matches("file://"),
            &format!("s3://del-b/{k}"),
            "--profile",
            "b",
        ]));
    }
    // Nobody, not even the owner, may delete under keep/.
    let policy = sb.file(
        "deny.json",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::del-b/keep/*"}]}"#,
    );
    ok(&sb.aws(&[
        "s3api",
        "put-bucket-policy",
        "--bucket",
        "del-b",
        "--policy",
        &policy,
        "--profile",
        "b",
    ]));
    let out = sb
        .aws(&[
            "s3api",
            "delete-objects",
            "--bucket",
            "del-b",
            "--delete",
            r#"{"Objects":[{"Key":"one"},{"Key":"keep/three"},{"Key":"never-was"}]}"#,
            "--profile",
            "b",
        ])
        .json();
    let deleted: Vec<&str> = out["Deleted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["Key"].as_str().unwrap())
        .collect();
    assert_eq!(deleted, ["one", "never-was"], "{out}");
    assert_eq!(out["Errors"][0]["Key"], "keep/three");
    assert_eq!(out["Errors"][0]["Code"], "AccessDenied");

    // Quiet: only the failures.
    let out = sb
        .aws(&[
            "s3api",
            "delete-objects",
            "--bucket",
            "del-b",
            "--delete",
            r#"{"Objects":[{"Key":"two"},{"Key":"keep/three"}],"Quiet":true}"#,
            "--profile",
            "b",
        ])
        .json();
    assert!(out.get("Deleted").is_none(), "{out}");
    assert_eq!(out["Errors"].as_array().unwrap().len(), 1);
    assert_eq!(keys_of(&sb, "b", "del-b"), ["keep/three"]);

    // Another account's caller gets AccessDenied per key, not for the request.
    let out = sb
        .aws(&[
            "s3api",
            "delete-objects",
            "--bucket",
            "del-b",
            "--delete",
            r#"{"Objects":[{"Key":"keep/three"}]}"#,
            "--profile",
            "a",
        ])
        .json();
    assert_eq!(out["Errors"][0]["Code"], "AccessDenied", "{out}");
    sb.aws(&[
        "s3api",
        "delete-objects",
        "--bucket",
        "no-such-bucket-here",
        "--delete",
        r#"{"Objects":[{"Key":"k"}]}"#,
        "--profile",
        "b",
    ])
    .error("NoSuchBucket");

    // Without Content-MD5 or a checksum, or with a malformed or hostile body: refused.
    let raw = python(
        r#"
import sys, base64, hashlib, botocore.session
from botocore.awsrequest import AWSRequest
from botocore.auth import S3SigV4Auth
from botocore.credentials import Credentials
import urllib.request, urllib.error
endpoint, key, secret = sys.argv[1:4]
def send(body, md5=True):
    headers = {}
    if md5:
        headers["Content-MD5"] = base64.b64encode(hashlib.md5(body).digest()).decode()
    req = AWSRequest(method="POST", url=endpoint + "/del-b?delete", data=body, headers=headers)
    S3SigV4Auth(Credentials(key, secret), "s3", "us-east-1").add_auth(req)
    r = urllib.request.Request(req.url, data=body, headers=dict(req.headers.items()), method="POST")
    try:
        return urllib.request.urlopen(r).read().decode()
    except urllib.error.HTTPError as e:
        return e.read().decode()
ok = b"<Delete><Object><Key>none</Key></Object></Delete>"
lol = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><Delete><Object><Key>&b;</Key></Object></Delete>'
for body, md5 in [(ok, False), (b"<Delete><Object>", True), (lol, True), (ok, True)]:
    print(send(body, md5).replace("\n", ""))
"#,
        &[&server.endpoint(), B_ROOT.0, B_ROOT.1],
    );
    let lines: Vec<&str> = raw.lines().collect();
    assert!(lines[0].contains("<Code>InvalidRequest</Code>"), "{raw}");
    assert!(lines[0].contains("Content-MD5"), "{raw}");
    assert!(lines[1].contains("<Code>MalformedXML</Code>"), "{raw}");
    assert!(lines[2].contains("<Code>MalformedXML</Code>"), "{raw}");
    assert!(
        lines[3].contains("<Deleted><Key>none</Key></Deleted>"),
        "{raw}"
    );
}

#[test]
fn presigned_urls_work_with_plain_http_clients() {
    let server = Server::start(&three_accounts());
    let sb = sb_with_roots(&server);
    ok(&sb.aws(&["s3", "mb", "s3://pre-b", "--profile", "b"]));
    let f = sb.file("p.txt", "presigned body\n");
    ok(&sb.aws(&[
        "s3",
        "cp",
        f.trim_start_matches("file://"),
        "s3://pre-b/p.txt",
        "--profile",
        "b",
    ]));
    // The CLI v1 presigns with SigV2 unless told otherwise, and S3 refuses SigV2 for buckets
    // created after June 2020, by name; AWS's documented remedy is this setting.
    let v2 = sb.aws(&["s3", "presign", "s3://pre-b/p.txt", "--profile", "b"]);
    ok(&v2);
    assert!(v2.stdout.contains("AWSAccessKeyId="), "{}", v2.stdout);
    let refused = python(
        "import sys, urllib.request, urllib.error\ntry:\n    urllib.request.urlopen(sys.argv[1]); print(200)\nexcept urllib.error.HTTPError as e:\n    print(e.code, e.read().decode())",
        &[v2.stdout.trim()],
    );
    assert!(refused.starts_with("400 "), "{refused}");
    assert!(
        refused.contains("<Code>InvalidRequest</Code><Message>The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.</Message>"),
        "{refused}"
    );
    ok(&sb.aws(&["configure", "set", "profile.b.s3.signature_version", "s3v4"]));
    let url = sb.aws(&[
        "s3",
        "presign",
        "s3://pre-b/p.txt",
        "--expires-in",
        "600",
        "--profile",
        "b",
    ]);
    ok(&url);
    assert!(url.stdout.contains("X-Amz-Signature="), "{}", url.stdout);
    let got = python(
        "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode(), end='')",
        &[url.stdout.trim()],
    );
    assert_eq!(got, "presigned body\n");
    // Tampering with the key breaks the signature.
    let tampered = url.stdout.trim().replace("p.txt", "q.txt");
    let code = python(
        "import sys, urllib.request, urllib.error\ntry:\n    urllib.request.urlopen(sys.argv[1]); print(200)\nexcept urllib.error.HTTPError as e:\n    print(e.code)",
        &[&tampered],
    );
    assert_eq!(code.trim(), "403");

    // boto3's presigned PUT (SigV4, as above), sent by urllib, then read back with the CLI.
    let out = python(
        r#"
import sys, boto3, urllib.request
from botocore.config import Config
endpoint, key, secret = sys.argv[1:4]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                  aws_access_key_id=key, aws_secret_access_key=secret,
                  config=Config(signature_version="s3v4"))
url = s3.generate_presigned_url("put_object", Params={"Bucket": "pre-b", "Key": "up/loaded.txt"}, ExpiresIn=300)
req = urllib.request.Request(url, data=b"put by url\n", method="PUT")
print(urllib.request.urlopen(req).status)
"#,
        &[&server.endpoint(), B_ROOT.0, B_ROOT.1],
    );
    assert_eq!(out.trim(), "200");
    let cat = sb.aws(&[
        "s3",
        "cp",
        "s3://pre-b/up/loaded.txt",
        "-",
        "--profile",
        "b",
    ]);
    ok(&cat);
    assert_eq!(cat.stdout, "put by url\n");

    // SigV2 in the Authorization header (botocore's `s3` signer) is refused the same way.
    let out = python(
        r#"
import sys, boto3, botocore.exceptions
from botocore.config import Config
endpoint, key, secret = sys.argv[1:4]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                  aws_access_key_id=key, aws_secret_access_key=secret,
                  config=Config(signature_version="s3", retries={"total_max_attempts": 1}))
try:
    s3.get_object(Bucket="pre-b", Key="p.txt")
    print("allowed")
except botocore.exceptions.ClientError as e:
    print(e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"])
"#,
        &[&server.endpoint(), B_ROOT.0, B_ROOT.1],
    );
    assert_eq!(out.trim(), "400 InvalidRequest");
}

#[test]
fn completing_an_upload_enforces_order_size_and_etags() {
    let server = Server::start(&three_accounts());
    let sb = sb_with_roots(&server);
    ok(&sb.aws(&["s3", "mb", "s3://parts-b", "--profile", "b"]));
    let small = sb.home.path().join("small.bin");
    std::fs::write(&small, vec![b'x'; 1024]).unwrap();
    let small = small.to_str().unwrap();
    let create = |key: &str| {
        sb.aws(&[
            "s3api",
            "create-multipart-upload",
            "--bucket",
            "parts-b",
            "--key",
            key,
            "--profile",
            "b",
        ])
        .json()["UploadId"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let upload_part = |key: &str, id: &str, n: &str| {
        sb.aws(&[
            "s3api",
            "upload-part",
            "--bucket",
            "parts-b",
            "--key",
            key,
            "--upload-id",
            id,
            "--part-number",
            n,
            "--body",
            small,
            "--profile",
            "b",
        ])
        .json()["ETag"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let complete = |key: &str, id: &str, parts: &str| {
        sb.aws(&[
            "s3api",
            "complete-multipart-upload",
            "--bucket",
            "parts-b",
            "--key",
            key,
            "--upload-id",
            id,
            "--multipart-upload",
            parts,
            "--profile",
            "b",
        ])
    };
    let id = create("k");
    assert!(
        id.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "{id}"
    );
    let e1 = upload_part("k", &id, "1");
    let e2 = upload_part("k", &id, "2");
    let parts = |a: (&str, &str), b: (&str, &str)| {
        serde_json::json!({"Parts": [
            {"PartNumber": a.0.parse::<u32>().unwrap(), "ETag": a.1},
            {"PartNumber": b.0.parse::<u32>().unwrap(), "ETag": b.1},
        ]})
        .to_string()
    };
    let msg = complete("k", &id, &parts(("1", &e1), ("2", &e2))).error("EntityTooSmall");
    assert!(
        msg.contains("smaller than the minimum allowed size"),
        "{msg}"
    );
    complete("k", &id, &parts(("2", &e2), ("1", &e1))).error("InvalidPartOrder");
    complete("k", &id, &parts(("1", &e1), ("3", &e2))).error("InvalidPart");
    complete(
        "k",
        &id,
        &parts(("1", "\"00000000000000000000000000000000\""), ("2", &e2)),
    )
    .error("InvalidPart");

    let listed = sb
        .aws(&[
            "s3api",
            "list-parts",
            "--bucket",
            "parts-b",
            "--key",
            "k",
            "--upload-id",
            &id,
            "--profile",
            "b",
        ])
        .json();
    assert_eq!(listed["Parts"].as_array().unwrap().len(), 2, "{listed}");
    assert_eq!(listed["Parts"][1]["Size"], 1024);
    let uploads = sb
        .aws(&[
            "s3api",
            "list-multipart-uploads",
            "--bucket",
            "parts-b",
            "--profile",
            "b",
        ])
        .json();
    assert_eq!(uploads["Uploads"][0]["UploadId"], id.as_str(), "{uploads}");

    // Another account may not touch the upload.
    sb.aws(&[
        "s3api",
        "abort-multipart-upload",
        "--bucket",
        "parts-b",
        "--key",
        "k",
        "--upload-id",
        &id,
        "--profile",
        "a",
    ])
    .error("AccessDenied");
    ok(&sb.aws(&[
        "s3api",
        "abort-multipart-upload",
        "--bucket",
        "parts-b",
        "--key",
        "k",
        "--upload-id",
        &id,
        "--profile",
        "b",
    ]));
    sb.aws(&[
        "s3api",
        "list-parts",
        "--bucket",
        "parts-b",
        "--key",
        "k",
        "--upload-id",
        &id,
        "--profile",
        "b",
    ])
    .error("NoSuchUpload");

    // A single small part is a valid (last) part; tags given at creation land on the object.
    let id = sb
        .aws(&[
            "s3api",
            "create-multipart-upload",
            "--bucket",
            "parts-b",
            "--key",
            "single",
            "--tagging",
            "stage=final",
            "--profile",
            "b",
        ])
        .json()["UploadId"]
        .as_str()
        .unwrap()
        .to_owned();
    let e1 = upload_part("single", &id, "1");
    let done = complete(
        "single",
        &id,
        &serde_json::json!({"Parts": [{"PartNumber": 1, "ETag": e1}]}).to_string(),
    )
    .json();
    assert!(done["ETag"].as_str().unwrap().ends_with("-1\""), "{done}");
    let head = sb
        .aws(&[
            "s3api",
            "head-object",
            "--bucket",
            "parts-b",
            "--key",
            "single",
            "--profile",
            "b",
        ])
        .json();
    assert_eq!(head["ContentLength"], 1024);
    let tags = sb
        .aws(&[
            "s3api",
            "get-object-tagging",
            "--bucket",
            "parts-b",
            "--key",
            "single",
            "--profile",
            "b",
        ])
        .json();
    assert_eq!(tags["TagSet"][0]["Key"], "stage", "{tags}");
    assert_eq!(tags["TagSet"][0]["Value"], "final", "{tags}");

    // CopyObject makes a one-piece object: its ETag is the MD5 of the bytes, not "-N".
    let copied = sb
        .aws(&[
            "s3api",
            "copy-object",
            "--bucket",
            "parts-b",
            "--key",
            "single-copy",
            "--copy-source",
            "parts-b/single",
            "--profile",
            "b",
        ])
        .json();
    // md5 of 1024 'x' bytes.
    assert_eq!(
        copied["CopyObjectResult"]["ETag"],
        format!("\"{}\"", md5_of_1024_x()),
        "{copied}"
    );
}

fn md5_of_1024_x() -> String {
    python(
        "import hashlib; print(hashlib.md5(b'x' * 1024).hexdigest(), end='')",
        &[],
    )
}

#[test]
fn cross_account_copy_needs_the_source_bucket_policy() {
    let server = Server::start(&three_accounts());
    let sb = sb_with_roots(&server);
    ok(&sb.aws(&["s3", "mb", "s3://src-of-b", "--profile", "b"]));
    ok(&sb.aws(&["s3", "mb", "s3://dst-of-a", "--profile", "a"]));
    let f = sb.file("s.txt", "secret of B\n");
    ok(&sb.aws(&[
        "s3",
        "cp",
        f.trim_start_matches("file://"),
        "s3://src-of-b/s.txt",
        "--profile",
        "b",
    ]));
    let copy = || {
        sb.aws(&[
            "s3api",
            "copy-object",
            "--bucket",
            "dst-of-a",
            "--key",
            "copied.txt",
            "--copy-source",
            "src-of-b/s.txt",
            "--profile",
            "a",
        ])
    };
    // A's root may do anything in A, but B's bucket policy grants A nothing.
    copy().error("AccessDenied");
    assert!(keys_of(&sb, "a", "dst-of-a").is_empty());

    let policy = sb.file(
        "grant.json",
        &format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{A}:root"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::src-of-b/*"}}]}}"#
        ),
    );
    ok(&sb.aws(&[
        "s3api",
        "put-bucket-policy",
        "--bucket",
        "src-of-b",
        "--policy",
        &policy,
        "--profile",
        "b",
    ]));
    copy().json();
    let cat = sb.aws(&[
        "s3",
        "cp",
        "s3://dst-of-a/copied.txt",
        "-",
        "--profile",
        "a",
    ]);
    ok(&cat);
    assert_eq!(cat.stdout, "secret of B\n");
    // The grant is for reading: B's bucket still refuses A's copy into it.
    sb.aws(&[
        "s3api",
        "copy-object",
        "--bucket",
        "src-of-b",
        "--key",
        "back.txt",
        "--copy-source",
        "dst-of-a/copied.txt",
        "--profile",
        "a",
    ])
    .error("AccessDenied");
}
