//! `roleplay s3api` against the server: the S3 operations end to end, and the same stdout,
//! stderr and exit code as the aws CLI's `s3api` for the same calls.

use crate::harness::*;
use serde_json::Value;

fn sandbox(server: &Server) -> Sandbox {
    let mut sb = Sandbox::new(server);
    sb.keys("b-root", B_ROOT.0, B_ROOT.1)
        .keys("a-root", A_ROOT.0, A_ROOT.1);
    sb
}

fn rp(sb: &Sandbox, args: &[&str]) -> Value {
    let mut all = vec!["s3api"];
    all.extend(args);
    all.extend(["--profile", "b-root"]);
    let run = sb.roleplay(&all);
    assert_eq!(run.code, 0, "{args:?}: {}{}", run.stdout, run.stderr);
    if run.stdout.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&run.stdout).unwrap()
    }
}

#[test]
fn s3api_operations_work_end_to_end() {
    let server = Server::start(&three_accounts());
    let sb = sandbox(&server);
    let created = rp(&sb, &["create-bucket", "--bucket", "api-data"]);
    assert_eq!(created["Location"], "/api-data");
    assert_eq!(
        rp(&sb, &["head-bucket", "--bucket", "api-data"])["BucketRegion"],
        "us-east-1"
    );
    let buckets = rp(&sb, &["list-buckets", "--query", "Buckets[].Name"]);
    assert_eq!(buckets, serde_json::json!(["api-data"]));
    assert_eq!(
        rp(&sb, &["get-bucket-location", "--bucket", "api-data"]),
        serde_json::json!({"LocationConstraint": null})
    );

    let file = sb.file("hello.txt", "hello s3api\n").replace("file://", "");
    let put = rp(
        &sb,
        &[
            "put-object",
            "--bucket",
            "api-data",
            "--key",
            "dir/a b.txt",
            "--body",
            &file,
            "--metadata",
            "team=red",
        ],
    );
    let etag = put["ETag"].as_str().unwrap().to_owned();
    assert_eq!(etag.len(), 34, "{put}");
    let head = rp(
        &sb,
        &[
            "head-object",
            "--bucket",
            "api-data",
            "--key",
            "dir/a b.txt",
        ],
    );
    assert_eq!(
        (head["ContentLength"].as_i64(), &head["ETag"]),
        (Some(12), &Value::String(etag.clone()))
    );
    assert_eq!(head["Metadata"]["team"], "red");
    let out = sb.home.path().join("out.txt");
    let got = rp(
        &sb,
        &[
            "get-object",
            "--bucket",
            "api-data",
            "--key",
            "dir/a b.txt",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(got["ContentLength"], 12);
    assert!(got.get("Body").is_none(), "{got}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "hello s3api\n");
    // A failed download leaves the file as it was.
    let missing = sb.roleplay(&[
        "s3api",
        "get-object",
        "--bucket",
        "api-data",
        "--key",
        "nope",
        out.to_str().unwrap(),
        "--profile",
        "b-root",
    ]);
    assert_eq!(missing.code, 255, "{}", missing.stderr);
    assert!(missing.stderr.contains("(NoSuchKey)"), "{}", missing.stderr);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "hello s3api\n");

    let copied = rp(
        &sb,
        &[
            "copy-object",
            "--bucket",
            "api-data",
            "--key",
            "copy.txt",
            "--copy-source",
            "api-data/dir/a b.txt",
        ],
    );
    assert_eq!(copied["CopyObjectResult"]["ETag"], Value::String(etag));

    // Pagination: pages of one key, merged; --max-items leaves a token.
    let listed = rp(
        &sb,
        &[
            "list-objects-v2",
            "--bucket",
            "api-data",
            "--page-size",
            "1",
        ],
    );
    let keys: Vec<&str> = listed["Contents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["Key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["copy.txt", "dir/a b.txt"]);
    let first = rp(
        &sb,
        &[
            "list-objects-v2",
            "--bucket",
            "api-data",
            "--max-items",
            "1",
        ],
    );
    assert_eq!(first["Contents"].as_array().unwrap().len(), 1);
    let token = first["NextToken"].as_str().unwrap().to_owned();
    let rest = rp(
        &sb,
        &[
            "list-objects-v2",
            "--bucket",
            "api-data",
            "--starting-token",
            &token,
            "--query",
            "Contents[].Key",
        ],
    );
    assert_eq!(rest, serde_json::json!(["dir/a b.txt"]));
    let folders = rp(
        &sb,
        &[
            "list-objects-v2",
            "--bucket",
            "api-data",
            "--delimiter",
            "/",
            "--query",
            "CommonPrefixes[].Prefix",
        ],
    );
    assert_eq!(folders, serde_json::json!(["dir/"]));

    rp(
        &sb,
        &[
            "put-object-tagging",
            "--bucket",
            "api-data",
            "--key",
            "copy.txt",
            "--tagging",
            "TagSet=[{Key=stage,Value=prod}]",
        ],
    );
    let tags = rp(
        &sb,
        &[
            "get-object-tagging",
            "--bucket",
            "api-data",
            "--key",
            "copy.txt",
        ],
    );
    assert_eq!(
        tags["TagSet"],
        serde_json::json!([{"Key": "stage", "Value": "prod"}])
    );

    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{A}:root"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::api-data/*"}}]}}"#
    );
    let policy_file = sb.file("policy.json", &policy);
    assert_eq!(
        rp(
            &sb,
            &[
                "put-bucket-policy",
                "--bucket",
                "api-data",
                "--policy",
                &policy_file
            ]
        ),
        Value::Null
    );
    let got = rp(&sb, &["get-bucket-policy", "--bucket", "api-data"]);
    let doc: Value = serde_json::from_str(got["Policy"].as_str().unwrap()).unwrap();
    assert_eq!(doc["Statement"][0]["Action"], "s3:GetObject");
    rp(&sb, &["delete-bucket-policy", "--bucket", "api-data"]);
    let gone = sb.roleplay(&[
        "s3api",
        "get-bucket-policy",
        "--bucket",
        "api-data",
        "--profile",
        "b-root",
    ]);
    assert_eq!(gone.code, 255);
    assert!(
        gone.stderr
            .contains("(NoSuchBucketPolicy) when calling the GetBucketPolicy operation"),
        "{}",
        gone.stderr
    );

    // Versioning on a bucket of its own: deleted objects would leave delete markers.
    rp(&sb, &["create-bucket", "--bucket", "api-versions"]);
    assert_eq!(
        rp(&sb, &["get-bucket-versioning", "--bucket", "api-versions"]),
        Value::Null
    );
    for status in ["Enabled", "Suspended"] {
        let config = format!("Status={status}");
        rp(
            &sb,
            &[
                "put-bucket-versioning",
                "--bucket",
                "api-versions",
                "--versioning-configuration",
                &config,
            ],
        );
        assert_eq!(
            rp(&sb, &["get-bucket-versioning", "--bucket", "api-versions"])["Status"],
            status
        );
    }

    let deleted = rp(
        &sb,
        &[
            "delete-objects",
            "--bucket",
            "api-data",
            "--delete",
            r#"{"Objects":[{"Key":"copy.txt"}]}"#,
        ],
    );
    assert_eq!(deleted["Deleted"][0]["Key"], "copy.txt");
    rp(
        &sb,
        &[
            "delete-object",
            "--bucket",
            "api-data",
            "--key",
            "dir/a b.txt",
        ],
    );
    assert_eq!(
        rp(
            &sb,
            &[
                "list-objects-v2",
                "--bucket",
                "api-data",
                "--query",
                "Contents"
            ]
        ),
        Value::Null
    );
    assert_eq!(
        rp(&sb, &["delete-bucket", "--bucket", "api-data"]),
        Value::Null
    );
    assert_eq!(
        rp(&sb, &["list-buckets", "--query", "Buckets[].Name"]),
        serde_json::json!(["api-versions"])
    );
}

/// roleplay and the aws CLI, same call: same stdout, stderr and exit status.
fn same(sb: &Sandbox, call: &str) {
    let args: Vec<&str> = call.split_whitespace().collect();
    let ours = sb.roleplay(&args);
    let theirs = sb.run("aws", &args, &[]);
    assert_eq!(
        (ours.code, &ours.stdout, &ours.stderr),
        (theirs.code, &theirs.stdout, &theirs.stderr),
        "roleplay and aws differ for {call}"
    );
}

#[test]
fn s3api_prints_what_the_aws_cli_prints() {
    let server = Server::start(&three_accounts());
    let sb = sandbox(&server);
    let file = sb.file("f.txt", "twelve bytes").replace("file://", "");
    let b = "--profile b-root";
    rp(&sb, &["create-bucket", "--bucket", "same-data"]);
    for key in ["a.txt", "b/c.txt", "b/d e.txt"] {
        rp(
            &sb,
            &[
                "put-object",
                "--bucket",
                "same-data",
                "--key",
                key,
                "--body",
                &file,
            ],
        );
    }
    rp(
        &sb,
        &[
            "put-object-tagging",
            "--bucket",
            "same-data",
            "--key",
            "a.txt",
            "--tagging",
            "TagSet=[{Key=k,Value=v}]",
        ],
    );
    // ACLs enabled, then a grant written with XML attributes (the grantee's xsi:type).
    rp(
        &sb,
        &[
            "put-bucket-ownership-controls",
            "--bucket",
            "same-data",
            "--ownership-controls",
            "Rules=[{ObjectOwnership=ObjectWriter}]",
        ],
    );
    let owner = rp(
        &sb,
        &[
            "get-bucket-acl",
            "--bucket",
            "same-data",
            "--query",
            "Owner.ID",
        ],
    );
    let acl = format!(
        r#"{{"Owner":{{"ID":{owner}}},"Grants":[{{"Grantee":{{"ID":{owner},"Type":"CanonicalUser"}},"Permission":"FULL_CONTROL"}},{{"Grantee":{{"ID":{owner},"Type":"CanonicalUser"}},"Permission":"READ"}}]}}"#
    );
    rp(
        &sb,
        &[
            "put-bucket-acl",
            "--bucket",
            "same-data",
            "--access-control-policy",
            &acl,
        ],
    );
    let grants = rp(
        &sb,
        &[
            "get-bucket-acl",
            "--bucket",
            "same-data",
            "--query",
            "Grants[].[Grantee.Type,Permission]",
        ],
    );
    assert_eq!(
        grants,
        serde_json::json!([["CanonicalUser", "FULL_CONTROL"], ["CanonicalUser", "READ"]])
    );
    let out = sb.home.path().join("got.txt");
    let out = out.to_str().unwrap();
    for call in [
        format!("s3api list-buckets {b}"),
        format!("s3api list-buckets {b} --output text"),
        format!("s3api list-objects-v2 --bucket same-data {b}"),
        format!("s3api list-objects-v2 --bucket same-data --page-size 1 --max-items 2 {b}"),
        format!("s3api list-objects-v2 --bucket same-data --delimiter / {b} --output table"),
        format!(
            "s3api list-objects-v2 --bucket same-data {b} --query Contents[].[Key,Size] --output text"
        ),
        format!("s3api head-object --bucket same-data --key b/c.txt {b}"),
        format!("s3api get-object --bucket same-data --key a.txt {out} {b}"),
        format!("s3api get-object-tagging --bucket same-data --key a.txt {b}"),
        format!("s3api get-bucket-location --bucket same-data {b}"),
        format!("s3api get-bucket-versioning --bucket same-data {b}"),
        format!("s3api get-object-tagging --bucket same-data --key a.txt {b} --output table"),
        format!("s3api list-objects-v2 --bucket same-data --page-size 1 {b} --output text"),
        format!(
            "s3api list-objects-v2 --bucket same-data --prefix b/ --delimiter / {b} --output text"
        ),
        format!("s3api list-buckets {b} --output table"),
        format!("s3api list-object-versions --bucket same-data {b}"),
        format!("s3api list-objects --bucket same-data {b}"),
        // Multi-token and expression-token paginators.
        format!("s3api list-object-versions --bucket same-data --page-size 1 --max-items 2 {b}"),
        format!("s3api list-objects --bucket same-data --page-size 1 --max-items 2 {b}"),
        format!("s3api list-objects --bucket same-data --page-size 2 --query Contents[].Key {b}"),
        format!("s3api head-bucket --bucket same-data {b}"),
        format!(
            "s3api get-object --bucket same-data --key a.txt --range bytes=0-5 {out}.range {b}"
        ),
        format!("s3api copy-object --bucket same-data --key z --copy-source same-data/nope {b}"),
        format!("s3api get-bucket-acl --bucket same-data {b}"),
        format!("s3api get-object-acl --bucket same-data --key a.txt {b}"),
        format!("s3api get-public-access-block --bucket same-data {b}"),
        format!("s3api get-bucket-ownership-controls --bucket same-data {b}"),
        format!("s3api get-bucket-tagging --bucket same-data {b}"),
        format!("s3api list-multipart-uploads --bucket same-data {b}"),
        format!("s3api head-object --bucket same-data --key b/c.txt {b} --output text"),
        // Conditions: timestamps sent as HTTP dates; 304 and 412 without a body.
        format!(
            "s3api head-object --bucket same-data --key a.txt --if-modified-since 2100-01-01T00:00:00Z {b}"
        ),
        format!(
            "s3api head-object --bucket same-data --key a.txt --if-unmodified-since 2000-01-01T00:00:00Z {b}"
        ),
        format!(
            "s3api head-object --bucket same-data --key a.txt --if-modified-since 2000-01-01T00:00:00Z {b}"
        ),
        format!(
            "s3api get-object --bucket same-data --key a.txt --if-none-match \"c91fa94e14cf2fa5474beceff788c0dc\" {out}.304 {b}"
        ),
        // Writes that answer the same each time.
        format!("s3api put-object --bucket same-data --key a.txt --body {file} {b}"),
        format!(
            "s3api put-object-tagging --bucket same-data --key a.txt --tagging TagSet=[{{Key=k,Value=v}}] {b}"
        ),
        format!("s3api delete-objects --bucket same-data --delete Objects=[{{Key=gone}}] {b}"),
        format!("s3api delete-object --bucket same-data --key gone {b}"),
        format!("s3api create-bucket --bucket same-data {b}"),
        format!("s3api put-object --bucket same-data --key x --body {file} --profile a-root"),
        format!("s3api put-object --bucket same-data --key x --body {file}.nope {b}"),
        format!("s3api head-object --bucket same-data --key a.txt --part-number x {b}"),
        // Errors: the service's (AccessDenied across accounts, 404 without a body), usage.
        "s3api list-objects-v2 --bucket same-data --profile a-root".to_owned(),
        format!("s3api get-object --bucket same-data --key nope {out} {b}"),
        format!("s3api head-object --bucket same-data --key nope {b}"),
        format!("s3api get-bucket-policy --bucket same-data {b}"),
        format!("s3api head-bucket --bucket nope-bucket {b}"),
    ] {
        same(&sb, &call);
    }
    // Usage errors: the exit status and the message after the program's own usage lines.
    for call in [
        format!("s3api get-object --bucket same-data --key a.txt {b}"),
        format!("s3api get-object-tagging --bucket same-data {b}"),
        format!("s3api get-object --bucket same-data --key a.txt {out} extra {b}"),
        format!("s3api list-buckets --bogus 1 {b}"),
    ] {
        let args: Vec<&str> = call.split_whitespace().collect();
        let (ours, theirs) = (sb.roleplay(&args), sb.run("aws", &args, &[]));
        let last = |r: &Run| {
            r.stderr
                .lines()
                .last()
                .unwrap_or_default()
                .replace("aws:", "roleplay:")
        };
        assert_eq!(
            (ours.code, last(&ours)),
            (theirs.code, last(&theirs)),
            "{call}"
        );
    }
    assert_eq!(std::fs::read_to_string(out).unwrap(), "twelve bytes");
}
