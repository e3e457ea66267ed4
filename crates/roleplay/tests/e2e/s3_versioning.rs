//! Versioning, tagging, Object Ownership with ACLs and the public access block through the
//! real aws CLI.

use crate::harness::*;
use serde_json::Value;

/// The three test accounts, A and B with e-mail addresses for grants.
fn accounts_with_email() -> String {
    three_accounts()
        .replacen(
            &format!("id = \"{A}\"\n"),
            &format!("id = \"{A}\"\nemail = \"a@example.com\"\n"),
            1,
        )
        .replacen(
            &format!("id = \"{B}\"\n"),
            &format!("id = \"{B}\"\nemail = \"b@example.com\"\n"),
            1,
        )
}

fn setup() -> (Server, Sandbox) {
    let server = Server::start(&accounts_with_email());
    let mut sb = Sandbox::new(&server);
    sb.keys("b", B_ROOT.0, B_ROOT.1)
        .keys("a", A_ROOT.0, A_ROOT.1);
    (server, sb)
}

/// `aws s3api OP ARGS --profile PROFILE`.
fn s3api(sb: &Sandbox, profile: &str, op: &str, args: &[&str]) -> Run {
    let mut all = vec!["s3api", op];
    all.extend_from_slice(args);
    all.extend(["--profile", profile]);
    sb.aws(&all)
}

fn put(sb: &Sandbox, profile: &str, bucket: &str, key: &str, body: &str, extra: &[&str]) -> Run {
    let file = sb.home.path().join("body.txt");
    std::fs::write(&file, body).unwrap();
    let mut args = vec![
        "--bucket",
        bucket,
        "--key",
        key,
        "--body",
        file.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    s3api(sb, profile, "put-object", &args)
}

fn get(sb: &Sandbox, profile: &str, bucket: &str, key: &str, extra: &[&str]) -> (Run, String) {
    let out = sb.home.path().join("out.txt");
    let _ = std::fs::remove_file(&out);
    let mut args = vec!["--bucket", bucket, "--key", key];
    args.extend_from_slice(extra);
    args.push(out.to_str().unwrap());
    let run = s3api(sb, profile, "get-object", &args);
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    (run, text)
}

/// The status of an unsigned GET.
fn anonymous_get(url: &str) -> u16 {
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(format!(
            "import urllib.request, urllib.error\ntry:\n    print(urllib.request.urlopen('{url}').status)\nexcept urllib.error.HTTPError as e:\n    print(e.code)"
        ))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

fn versions(sb: &Sandbox, bucket: &str, extra: &[&str]) -> Value {
    let mut args = vec!["--bucket", bucket];
    args.extend_from_slice(extra);
    s3api(sb, "b", "list-object-versions", &args).json()
}

#[test]
fn versions_are_kept_listed_read_and_deleted() {
    let (_server, sb) = setup();
    s3api(&sb, "b", "create-bucket", &["--bucket", "vers"]).json();
    let state = s3api(&sb, "b", "get-bucket-versioning", &["--bucket", "vers"]);
    assert_eq!(state.code, 0, "{}", state.stderr);
    assert!(state.json().get("Status").is_none(), "{}", state.stdout);

    // Written while unversioned: the `null` version.
    let first = put(&sb, "b", "vers", "k", "one", &[]).json();
    assert!(first.get("VersionId").is_none(), "{first}");
    let v = versions(&sb, "vers", &[]);
    assert_eq!(v["Versions"][0]["VersionId"], "null");
    assert_eq!(v["Versions"][0]["IsLatest"], true);
    assert_eq!(v["Versions"][0]["Owner"]["ID"].as_str().unwrap().len(), 64);

    s3api(
        &sb,
        "b",
        "put-bucket-versioning",
        &[
            "--bucket",
            "vers",
            "--versioning-configuration",
            "Status=Enabled",
        ],
    )
    .json();
    let state = s3api(&sb, "b", "get-bucket-versioning", &["--bucket", "vers"]).json();
    assert_eq!(state["Status"], "Enabled");
    // Never back to unversioned.
    s3api(
        &sb,
        "b",
        "put-bucket-versioning",
        &[
            "--bucket",
            "vers",
            "--versioning-configuration",
            "Status=Unversioned",
        ],
    )
    .error("MalformedXML");

    let second = put(&sb, "b", "vers", "k", "two", &[]).json();
    let third = put(&sb, "b", "vers", "k", "three", &[]).json();
    let v2 = second["VersionId"].as_str().unwrap().to_owned();
    let v3 = third["VersionId"].as_str().unwrap().to_owned();
    assert_ne!(v2, v3);
    let v = versions(&sb, "vers", &[]);
    let ids: Vec<&str> = v["Versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["VersionId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [v3.as_str(), v2.as_str(), "null"]);
    assert_eq!(v["Versions"][0]["IsLatest"], true);
    assert_eq!(v["Versions"][1]["IsLatest"], false);

    // Reads by version.
    let (run, text) = get(&sb, "b", "vers", "k", &["--version-id", &v2]);
    assert_eq!(run.json()["VersionId"], v2.as_str());
    assert_eq!(text, "two");
    let (run, text) = get(&sb, "b", "vers", "k", &["--version-id", "null"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(text, "one");
    let head = s3api(
        &sb,
        "b",
        "head-object",
        &["--bucket", "vers", "--key", "k", "--version-id", &v2],
    )
    .json();
    assert_eq!(head["ContentLength"], 3);
    get(
        &sb,
        "b",
        "vers",
        "k",
        &["--version-id", "0123456789abcdef0123456789abcdef"],
    )
    .0
    .error("NoSuchVersion");

    // A delete writes a marker; the key reads as missing, its versions stay.
    let del = s3api(
        &sb,
        "b",
        "delete-object",
        &["--bucket", "vers", "--key", "k"],
    )
    .json();
    assert_eq!(del["DeleteMarker"], true);
    let marker = del["VersionId"].as_str().unwrap().to_owned();
    let (run, _) = get(&sb, "b", "vers", "k", &[]);
    run.error("NoSuchKey");
    let (run, _) = get(&sb, "b", "vers", "k", &["--version-id", &marker]);
    run.error("MethodNotAllowed");
    let v = versions(&sb, "vers", &[]);
    assert_eq!(v["DeleteMarkers"][0]["VersionId"], marker.as_str());
    assert_eq!(v["DeleteMarkers"][0]["IsLatest"], true);
    assert_eq!(v["Versions"].as_array().unwrap().len(), 3);
    let listed = s3api(&sb, "b", "list-objects-v2", &["--bucket", "vers"]).json();
    assert!(listed.get("Contents").is_none(), "{listed}");

    // Deleting the marker brings the object back.
    let undo = s3api(
        &sb,
        "b",
        "delete-object",
        &["--bucket", "vers", "--key", "k", "--version-id", &marker],
    )
    .json();
    assert_eq!(undo["DeleteMarker"], true);
    assert_eq!(undo["VersionId"], marker.as_str());
    assert_eq!(get(&sb, "b", "vers", "k", &[]).1, "three");

    // Deleting a version removes it for good.
    let gone = s3api(
        &sb,
        "b",
        "delete-object",
        &["--bucket", "vers", "--key", "k", "--version-id", &v3],
    )
    .json();
    assert_eq!(gone["VersionId"], v3.as_str());
    assert_eq!(get(&sb, "b", "vers", "k", &[]).1, "two");

    // Markers, prefixes and pagination.
    put(&sb, "b", "vers", "dir/a", "a", &[]).json();
    put(&sb, "b", "vers", "dir/b", "b", &[]).json();
    let v = versions(&sb, "vers", &["--delimiter", "/", "--prefix", ""]);
    assert_eq!(v["CommonPrefixes"][0]["Prefix"], "dir/");
    let page = versions(&sb, "vers", &["--max-items", "1", "--prefix", "dir/"]);
    assert_eq!(page["Versions"].as_array().unwrap().len(), 1);
    assert!(page["NextToken"].is_string(), "{page}");
    let raw = s3api(
        &sb,
        "b",
        "list-object-versions",
        &["--bucket", "vers", "--key-marker", "dir/b"],
    )
    .json();
    let keys: Vec<&str> = raw["Versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["Key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["k", "k"]);
    let raw = s3api(
        &sb,
        "b",
        "list-object-versions",
        &[
            "--bucket",
            "vers",
            "--key-marker",
            "k",
            "--version-id-marker",
            &v2,
        ],
    )
    .json();
    assert_eq!(raw["Versions"][0]["VersionId"], "null");

    // Suspended: new writes replace the `null` version; deletes write a `null` marker.
    s3api(
        &sb,
        "b",
        "put-bucket-versioning",
        &[
            "--bucket",
            "vers",
            "--versioning-configuration",
            "Status=Suspended",
        ],
    )
    .json();
    let s = put(&sb, "b", "vers", "k", "four", &[]).json();
    assert_eq!(s["VersionId"].as_str().unwrap_or("null"), "null");
    let v = versions(&sb, "vers", &["--prefix", "k"]);
    let ids: Vec<&str> = v["Versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["VersionId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["null", v2.as_str()]);
    let del = s3api(
        &sb,
        "b",
        "delete-object",
        &["--bucket", "vers", "--key", "k"],
    )
    .json();
    assert_eq!(del["DeleteMarker"], true);
    assert_eq!(del["VersionId"], "null");
    let v = versions(&sb, "vers", &["--prefix", "k"]);
    assert_eq!(v["Versions"].as_array().unwrap().len(), 1);
    assert_eq!(v["DeleteMarkers"][0]["VersionId"], "null");
}

#[test]
fn tags_are_stored_and_decide_with_existing_and_request_tags() {
    let (_server, sb) = setup();
    s3api(&sb, "b", "create-bucket", &["--bucket", "tagged"]).json();
    put(
        &sb,
        "b",
        "tagged",
        "blue.txt",
        "blue",
        &["--tagging", "team=blue&cost=1"],
    )
    .json();
    put(&sb, "b", "tagged", "plain.txt", "plain", &[]).json();
    let tags = s3api(
        &sb,
        "b",
        "get-object-tagging",
        &["--bucket", "tagged", "--key", "blue.txt"],
    )
    .json();
    assert_eq!(tags["TagSet"][0]["Key"], "team");
    assert_eq!(tags["TagSet"][0]["Value"], "blue");
    assert_eq!(tags["TagSet"].as_array().unwrap().len(), 2);
    let head = s3api(
        &sb,
        "b",
        "head-object",
        &["--bucket", "tagged", "--key", "blue.txt"],
    )
    .json();
    assert_eq!(head["TagCount"], 2);

    // Object tagging round trip.
    s3api(
        &sb,
        "b",
        "put-object-tagging",
        &[
            "--bucket",
            "tagged",
            "--key",
            "plain.txt",
            "--tagging",
            "TagSet=[{Key=team,Value=red}]",
        ],
    )
    .json();
    let t = s3api(
        &sb,
        "b",
        "get-object-tagging",
        &["--bucket", "tagged", "--key", "plain.txt"],
    )
    .json();
    assert_eq!(t["TagSet"][0]["Value"], "red");
    s3api(
        &sb,
        "b",
        "delete-object-tagging",
        &["--bucket", "tagged", "--key", "plain.txt"],
    )
    .json();
    let t = s3api(
        &sb,
        "b",
        "get-object-tagging",
        &["--bucket", "tagged", "--key", "plain.txt"],
    )
    .json();
    assert_eq!(t["TagSet"].as_array().unwrap().len(), 0);

    // Bucket tagging.
    s3api(&sb, "b", "get-bucket-tagging", &["--bucket", "tagged"]).error("NoSuchTagSet");
    s3api(
        &sb,
        "b",
        "put-bucket-tagging",
        &[
            "--bucket",
            "tagged",
            "--tagging",
            "TagSet=[{Key=env,Value=test}]",
        ],
    )
    .json();
    let t = s3api(&sb, "b", "get-bucket-tagging", &["--bucket", "tagged"]).json();
    assert_eq!(t["TagSet"][0]["Key"], "env");
    s3api(&sb, "b", "delete-bucket-tagging", &["--bucket", "tagged"]).json();
    s3api(&sb, "b", "get-bucket-tagging", &["--bucket", "tagged"]).error("NoSuchTagSet");
    s3api(
        &sb,
        "b",
        "put-bucket-tagging",
        &[
            "--bucket",
            "tagged",
            "--tagging",
            "TagSet=[{Key=env,Value=a},{Key=env,Value=b}]",
        ],
    )
    .error("InvalidTag");

    // Account A may read objects tagged team=blue and write objects it tags team=blue.
    let policy = sb.file(
        "tags.json",
        &format!(
            r#"{{"Version":"2012-10-17","Statement":[
            {{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{A}:root"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::tagged/*","Condition":{{"StringEquals":{{"s3:ExistingObjectTag/team":"blue"}}}}}},
            {{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{A}:root"}},"Action":["s3:PutObject","s3:PutObjectTagging"],"Resource":"arn:aws:s3:::tagged/*","Condition":{{"StringEquals":{{"s3:RequestObjectTag/team":"blue"}},"ForAllValues:StringEquals":{{"s3:RequestObjectTagKeys":["team"]}}}}}}]}}"#
        ),
    );
    s3api(
        &sb,
        "b",
        "put-bucket-policy",
        &["--bucket", "tagged", "--policy", &policy],
    )
    .json();
    let (run, text) = get(&sb, "a", "tagged", "blue.txt", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(text, "blue");
    get(&sb, "a", "tagged", "plain.txt", &[])
        .0
        .error("AccessDenied");
    put(
        &sb,
        "a",
        "tagged",
        "new.txt",
        "n",
        &["--tagging", "team=blue"],
    )
    .json();
    put(
        &sb,
        "a",
        "tagged",
        "new.txt",
        "n",
        &["--tagging", "team=red"],
    )
    .error("AccessDenied");
    put(
        &sb,
        "a",
        "tagged",
        "new.txt",
        "n",
        &["--tagging", "team=blue&extra=1"],
    )
    .error("AccessDenied");
    put(&sb, "a", "tagged", "new.txt", "n", &[]).error("AccessDenied");
    // Retagging the object changes the decision.
    s3api(
        &sb,
        "b",
        "put-object-tagging",
        &[
            "--bucket",
            "tagged",
            "--key",
            "blue.txt",
            "--tagging",
            "TagSet=[{Key=team,Value=green}]",
        ],
    )
    .json();
    get(&sb, "a", "tagged", "blue.txt", &[])
        .0
        .error("AccessDenied");
}

#[test]
fn acls_are_off_by_default_and_decide_once_ownership_allows_them() {
    let (server, sb) = setup();
    s3api(&sb, "b", "create-bucket", &["--bucket", "acl-b"]).json();
    let own = s3api(
        &sb,
        "b",
        "get-bucket-ownership-controls",
        &["--bucket", "acl-b"],
    )
    .json();
    assert_eq!(
        own["OwnershipControls"]["Rules"][0]["ObjectOwnership"],
        "BucketOwnerEnforced"
    );
    put(&sb, "b", "acl-b", "o.txt", "x", &["--acl", "public-read"])
        .error("AccessControlListNotSupported");
    put(
        &sb,
        "b",
        "acl-b",
        "o.txt",
        "x",
        &["--acl", "bucket-owner-full-control"],
    )
    .json();
    s3api(
        &sb,
        "b",
        "put-bucket-acl",
        &["--bucket", "acl-b", "--acl", "public-read"],
    )
    .error("AccessControlListNotSupported");
    let acl = s3api(&sb, "b", "get-bucket-acl", &["--bucket", "acl-b"]).json();
    let b_id = acl["Owner"]["ID"].as_str().unwrap().to_owned();
    assert_eq!(b_id.len(), 64);
    assert_eq!(acl["Grants"].as_array().unwrap().len(), 1);
    assert_eq!(acl["Grants"][0]["Permission"], "FULL_CONTROL");
    assert_eq!(acl["Grants"][0]["Grantee"]["ID"], b_id.as_str());
    assert_eq!(acl["Grants"][0]["Grantee"]["Type"], "CanonicalUser");

    // ACLs enabled: a public-read object is readable without signing.
    s3api(
        &sb,
        "b",
        "put-bucket-ownership-controls",
        &[
            "--bucket",
            "acl-b",
            "--ownership-controls",
            "Rules=[{ObjectOwnership=BucketOwnerPreferred}]",
        ],
    )
    .json();
    // New buckets block public ACLs until the block is lifted.
    let public_put = ["--acl", "public-read"];
    put(&sb, "b", "acl-b", "public.txt", "hi", &public_put).error("AccessDenied");
    s3api(
        &sb,
        "b",
        "delete-public-access-block",
        &["--bucket", "acl-b"],
    )
    .json();
    put(&sb, "b", "acl-b", "public.txt", "hi", &public_put).json();
    let url = format!("{}/acl-b/public.txt", server.endpoint());
    assert_eq!(anonymous_get(&url), 200);
    assert_eq!(
        anonymous_get(&format!("{}/acl-b/o.txt", server.endpoint())),
        403
    );
    let oacl = s3api(
        &sb,
        "b",
        "get-object-acl",
        &["--bucket", "acl-b", "--key", "public.txt"],
    )
    .json();
    let group = oacl["Grants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["Grantee"]["Type"] == "Group")
        .unwrap();
    assert_eq!(
        group["Grantee"]["URI"],
        "http://acs.amazonaws.com/groups/global/AllUsers"
    );
    assert_eq!(group["Permission"], "READ");
    s3api(
        &sb,
        "b",
        "put-object-acl",
        &[
            "--bucket",
            "acl-b",
            "--key",
            "public.txt",
            "--acl",
            "private",
        ],
    )
    .json();
    assert_eq!(anonymous_get(&url), 403);

    // A grant by e-mail to account A lets A list the bucket.
    s3api(&sb, "a", "list-objects-v2", &["--bucket", "acl-b"]).error("AccessDenied");
    let full = format!("id={b_id}");
    s3api(
        &sb,
        "b",
        "put-bucket-acl",
        &[
            "--bucket",
            "acl-b",
            "--grant-read",
            "emailAddress=a@example.com",
            "--grant-full-control",
            &full,
        ],
    )
    .json();
    let listed = s3api(&sb, "a", "list-objects-v2", &["--bucket", "acl-b"]).json();
    assert_eq!(listed["Contents"].as_array().unwrap().len(), 2);
    let acl = s3api(&sb, "b", "get-bucket-acl", &["--bucket", "acl-b"]).json();
    let a_grant = acl["Grants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["Permission"] == "READ")
        .unwrap();
    assert_eq!(a_grant["Grantee"]["ID"].as_str().unwrap().len(), 64);
    assert_ne!(a_grant["Grantee"]["ID"], b_id.as_str());
    s3api(
        &sb,
        "b",
        "put-bucket-acl",
        &[
            "--bucket",
            "acl-b",
            "--grant-read",
            "emailAddress=nobody@example.com",
        ],
    )
    .error("UnresolvableGrantByEmailAddress");

    // Back to enforced: refused while the ACL grants others, then ACLs stop counting.
    s3api(
        &sb,
        "b",
        "put-bucket-ownership-controls",
        &[
            "--bucket",
            "acl-b",
            "--ownership-controls",
            "Rules=[{ObjectOwnership=BucketOwnerEnforced}]",
        ],
    )
    .error("InvalidBucketAclWithObjectOwnership");
    s3api(
        &sb,
        "b",
        "put-bucket-acl",
        &["--bucket", "acl-b", "--acl", "private"],
    )
    .json();
    s3api(
        &sb,
        "b",
        "put-object-acl",
        &[
            "--bucket",
            "acl-b",
            "--key",
            "public.txt",
            "--acl",
            "public-read",
        ],
    )
    .json();
    assert_eq!(anonymous_get(&url), 200);
    s3api(
        &sb,
        "b",
        "put-bucket-ownership-controls",
        &[
            "--bucket",
            "acl-b",
            "--ownership-controls",
            "Rules=[{ObjectOwnership=BucketOwnerEnforced}]",
        ],
    )
    .json();
    assert_eq!(anonymous_get(&url), 403);

    // CreateBucket: an ACL needs ownership that allows it.
    s3api(
        &sb,
        "b",
        "create-bucket",
        &["--bucket", "acl-c", "--acl", "public-read"],
    )
    .error("InvalidBucketAclWithObjectOwnership");
    s3api(
        &sb,
        "b",
        "create-bucket",
        &[
            "--bucket",
            "acl-c",
            "--object-ownership",
            "ObjectWriter",
            "--acl",
            "authenticated-read",
        ],
    )
    .error("InvalidBucketAclWithBlockPublicAccessError");
    s3api(
        &sb,
        "b",
        "create-bucket",
        &["--bucket", "acl-c", "--object-ownership", "ObjectWriter"],
    )
    .json();
    s3api(
        &sb,
        "b",
        "delete-public-access-block",
        &["--bucket", "acl-c"],
    )
    .json();
    s3api(
        &sb,
        "b",
        "put-bucket-acl",
        &["--bucket", "acl-c", "--acl", "authenticated-read"],
    )
    .json();
    let own = s3api(
        &sb,
        "b",
        "get-bucket-ownership-controls",
        &["--bucket", "acl-c"],
    )
    .json();
    assert_eq!(
        own["OwnershipControls"]["Rules"][0]["ObjectOwnership"],
        "ObjectWriter"
    );
    // AuthenticatedUsers: any signed caller, not anonymous ones.
    s3api(&sb, "a", "list-objects-v2", &["--bucket", "acl-c"]).json();
    assert_eq!(anonymous_get(&format!("{}/acl-c", server.endpoint())), 403);
}

#[test]
fn the_public_access_block_refuses_and_restricts_public_policies() {
    let (server, sb) = setup();
    s3api(&sb, "b", "create-bucket", &["--bucket", "pab-b"]).json();
    put(&sb, "b", "pab-b", "o.txt", "hello", &[]).json();
    // New buckets block public access.
    let got = s3api(&sb, "b", "get-public-access-block", &["--bucket", "pab-b"]).json();
    for flag in [
        "BlockPublicAcls",
        "IgnorePublicAcls",
        "BlockPublicPolicy",
        "RestrictPublicBuckets",
    ] {
        assert_eq!(got["PublicAccessBlockConfiguration"][flag], true, "{flag}");
    }
    s3api(
        &sb,
        "b",
        "delete-public-access-block",
        &["--bucket", "pab-b"],
    )
    .json();
    s3api(&sb, "b", "get-public-access-block", &["--bucket", "pab-b"])
        .error("NoSuchPublicAccessBlockConfiguration");
    s3api(
        &sb,
        "b",
        "put-public-access-block",
        &[
            "--bucket",
            "pab-b",
            "--public-access-block-configuration",
            "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true",
        ],
    )
    .json();
    let got = s3api(&sb, "b", "get-public-access-block", &["--bucket", "pab-b"]).json();
    assert_eq!(
        got["PublicAccessBlockConfiguration"]["BlockPublicPolicy"],
        true
    );
    let public = sb.file(
        "public.json",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pab-b/*"}]}"#,
    );
    let message = s3api(
        &sb,
        "b",
        "put-bucket-policy",
        &["--bucket", "pab-b", "--policy", &public],
    )
    .error("AccessDenied");
    assert!(message.contains("BlockPublicPolicy"), "{message}");

    // Naming an account or fixing the principal's account is not public.
    let fixed = sb.file(
        "fixed.json",
        &format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pab-b/*","Condition":{{"StringEquals":{{"aws:PrincipalAccount":"{A}"}}}}}}]}}"#
        ),
    );
    s3api(
        &sb,
        "b",
        "put-bucket-policy",
        &["--bucket", "pab-b", "--policy", &fixed],
    )
    .json();
    let status = s3api(&sb, "b", "get-bucket-policy-status", &["--bucket", "pab-b"]).json();
    assert_eq!(status["PolicyStatus"]["IsPublic"], false);

    // Without BlockPublicPolicy the public policy goes in; RestrictPublicBuckets keeps it
    // to the owner's account.
    s3api(
        &sb,
        "b",
        "put-public-access-block",
        &[
            "--bucket",
            "pab-b",
            "--public-access-block-configuration",
            "BlockPublicPolicy=false,RestrictPublicBuckets=true",
        ],
    )
    .json();
    s3api(
        &sb,
        "b",
        "put-bucket-policy",
        &["--bucket", "pab-b", "--policy", &public],
    )
    .json();
    let status = s3api(&sb, "b", "get-bucket-policy-status", &["--bucket", "pab-b"]).json();
    assert_eq!(status["PolicyStatus"]["IsPublic"], true);
    let url = format!("{}/pab-b/o.txt", server.endpoint());
    assert_eq!(anonymous_get(&url), 403);
    get(&sb, "a", "pab-b", "o.txt", &[]).0.error("AccessDenied");
    s3api(
        &sb,
        "b",
        "delete-public-access-block",
        &["--bucket", "pab-b"],
    )
    .json();
    assert_eq!(anonymous_get(&url), 200);
    let (run, text) = get(&sb, "a", "pab-b", "o.txt", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(text, "hello");
}
