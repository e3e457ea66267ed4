//! S3 through the real aws CLI: the how-to's last step, bucket policies across accounts,
//! anonymous access, ranges.

use crate::harness::*;

fn built_in() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/cross-account-s3.toml"
    ))
    .unwrap()
}

const ALICE: (&str, &str) = (
    "AKIARZKVVYOZRFFXKTQN",
    "StVXxl2FXw4dQKGX4cS+09IfLqwY23yRVuaJel3Q",
);

/// The how-to's setup: the built-in scenario, alice's keys as `account-a`, and `accountb`
/// assuming B's role `accounta` from them, with `extra` lines in its profile.
fn how_to(extra: &str) -> (Server, Sandbox) {
    let server = Server::start(&built_in());
    let mut sb = Sandbox::new(&server);
    sb.keys("account-a", ALICE.0, ALICE.1);
    sb.role(
        "accountb",
        "arn:aws:iam::345345345345:role/accounta",
        "account-a",
        extra,
    );
    (server, sb)
}

#[test]
fn the_how_to_reaches_the_bucket_through_the_role() {
    let (_server, sb) = how_to("");

    let ls = sb.aws(&["s3", "ls", "--profile", "accountb"]);
    assert_eq!(ls.code, 0, "{}", ls.stderr);
    assert!(ls.stdout.contains("account-b-data"), "{}", ls.stdout);
    let ls = sb.aws(&[
        "s3",
        "ls",
        "s3://account-b-data",
        "--recursive",
        "--profile",
        "accountb",
    ]);
    assert_eq!(ls.code, 0, "{}", ls.stderr);
    assert!(ls.stdout.contains("reports/hello.txt"), "{}", ls.stdout);

    let hello = sb.aws(&[
        "s3",
        "cp",
        "s3://account-b-data/reports/hello.txt",
        "-",
        "--profile",
        "accountb",
    ]);
    assert_eq!(hello.code, 0, "{}", hello.stderr);
    assert_eq!(hello.stdout, "Hello from account B.\n");

    // Upload, read back, delete; keys are just keys.
    let file = sb.home.path().join("up.bin");
    let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&file, &data).unwrap();
    let key = "s3://account-b-data/dir/../odd key+%.bin";
    let up = sb.aws(&[
        "s3",
        "cp",
        file.to_str().unwrap(),
        key,
        "--profile",
        "accountb",
    ]);
    assert_eq!(up.code, 0, "{}", up.stderr);
    let back = sb.home.path().join("back.bin");
    let down = sb.aws(&[
        "s3",
        "cp",
        key,
        back.to_str().unwrap(),
        "--profile",
        "accountb",
    ]);
    assert_eq!(down.code, 0, "{}", down.stderr);
    assert_eq!(std::fs::read(&back).unwrap(), data);
    let head = sb
        .aws(&[
            "s3api",
            "head-object",
            "--bucket",
            "account-b-data",
            "--key",
            "dir/../odd key+%.bin",
            "--profile",
            "accountb",
        ])
        .json();
    assert_eq!(head["ContentLength"], 200_000);
    let rm = sb.aws(&["s3", "rm", key, "--profile", "accountb"]);
    assert_eq!(rm.code, 0, "{}", rm.stderr);
    sb.aws(&[
        "s3api",
        "get-object",
        "--bucket",
        "account-b-data",
        "--key",
        "dir/../odd key+%.bin",
        "out",
        "--profile",
        "accountb",
    ])
    .error("NoSuchKey");

    // A range.
    let part = sb.home.path().join("part.txt");
    let ranged = sb
        .aws(&[
            "s3api",
            "get-object",
            "--bucket",
            "account-b-data",
            "--key",
            "reports/hello.txt",
            "--range",
            "bytes=6-9",
            part.to_str().unwrap(),
            "--profile",
            "accountb",
        ])
        .json();
    assert_eq!(ranged["ContentRange"], "bytes 6-9/22");
    assert_eq!(std::fs::read_to_string(&part).unwrap(), "from");

    // Alice in A has no grant on B's bucket and no identity allow for S3.
    sb.aws(&[
        "s3api",
        "list-objects-v2",
        "--bucket",
        "account-b-data",
        "--profile",
        "account-a",
    ])
    .error("AccessDenied");
    // Nor may she list buckets: her identity policy allows only sts:AssumeRole.
    sb.aws(&["s3api", "list-buckets", "--profile", "account-a"])
        .error("AccessDenied");
}

#[test]
fn bucket_policies_decide_across_accounts_and_for_anonymous_callers() {
    let server = Server::start(&three_accounts());
    let mut sb = Sandbox::new(&server);
    sb.keys("b-root", B_ROOT.0, B_ROOT.1)
        .keys("a-root", A_ROOT.0, A_ROOT.1);
    sb.aws(&[
        "s3api",
        "create-bucket",
        "--bucket",
        "shared-b",
        "--profile",
        "b-root",
    ])
    .json();
    let obj = sb.home.path().join("o.txt");
    std::fs::write(&obj, "shared").unwrap();
    sb.aws(&[
        "s3api",
        "put-object",
        "--bucket",
        "shared-b",
        "--key",
        "o.txt",
        "--body",
        obj.to_str().unwrap(),
        "--profile",
        "b-root",
    ])
    .json();

    // A user in A with an identity policy for the bucket.
    sb.aws(&[
        "iam",
        "create-user",
        "--user-name",
        "reader",
        "--profile",
        "a-root",
    ])
    .json();
    let allow = sb.file(
        "reader.json",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::shared-b","arn:aws:s3:::shared-b/*"]}]}"#,
    );
    sb.aws(&[
        "iam",
        "put-user-policy",
        "--user-name",
        "reader",
        "--policy-name",
        "read",
        "--policy-document",
        &allow,
        "--profile",
        "a-root",
    ])
    .json();
    let key = sb
        .aws(&[
            "iam",
            "create-access-key",
            "--user-name",
            "reader",
            "--profile",
            "a-root",
        ])
        .json();
    sb.keys(
        "reader",
        key["AccessKey"]["AccessKeyId"].as_str().unwrap(),
        key["AccessKey"]["SecretAccessKey"].as_str().unwrap(),
    );
    let get = [
        "s3api",
        "get-object",
        "--bucket",
        "shared-b",
        "--key",
        "o.txt",
    ];
    let out = sb.home.path().join("got.txt");
    let mut args: Vec<&str> = get.to_vec();
    args.extend([out.to_str().unwrap(), "--profile", "reader"]);

    // No bucket policy: B's side does not allow.
    sb.aws(&args).error("AccessDenied");

    // A bucket policy naming the user: both sides allow.
    let grant = sb.file(
        "grant.json",
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"Reader","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123123123123:user/reader"},"Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::shared-b","arn:aws:s3:::shared-b/*"]}]}"#,
    );
    sb.aws(&[
        "s3api",
        "put-bucket-policy",
        "--bucket",
        "shared-b",
        "--policy",
        &grant,
        "--profile",
        "b-root",
    ]);
    let got = sb.aws(&args);
    assert_eq!(got.code, 0, "{}", got.stderr);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "shared");

    // Without its own identity allow, the grant alone is not enough across accounts.
    sb.aws(&[
        "iam",
        "delete-user-policy",
        "--user-name",
        "reader",
        "--policy-name",
        "read",
        "--profile",
        "a-root",
    ])
    .json();
    sb.aws(&args).error("AccessDenied");

    // A policy naming a user that does not exist is refused.
    let ghost = sb.file(
        "ghost.json",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123123123123:user/ghost"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::shared-b/*"}]}"#,
    );
    let msg = sb
        .aws(&[
            "s3api",
            "put-bucket-policy",
            "--bucket",
            "shared-b",
            "--policy",
            &ghost,
            "--profile",
            "b-root",
        ])
        .error("MalformedPolicy");
    assert!(msg.contains("Invalid principal in policy"), "{msg}");

    // Anonymous callers get in only where the bucket policy grants "*".
    let url = format!("{}/shared-b/o.txt", server.endpoint());
    assert_eq!(anonymous_get(&url), 403);
    let public = sb.file(
        "public.json",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::shared-b/*"}]}"#,
    );
    // New buckets block public policies, as at S3.
    sb.aws(&[
        "s3api",
        "delete-public-access-block",
        "--bucket",
        "shared-b",
        "--profile",
        "b-root",
    ])
    .json();
    sb.aws(&[
        "s3api",
        "put-bucket-policy",
        "--bucket",
        "shared-b",
        "--policy",
        &public,
        "--profile",
        "b-root",
    ]);
    assert_eq!(anonymous_get(&url), 200);

    // The bucket name is global: another account cannot take it.
    sb.aws(&[
        "s3api",
        "create-bucket",
        "--bucket",
        "shared-b",
        "--profile",
        "a-root",
    ])
    .error("BucketAlreadyExists");
    // Not empty, not deleted.
    sb.aws(&[
        "s3api",
        "delete-bucket",
        "--bucket",
        "shared-b",
        "--profile",
        "b-root",
    ])
    .error("BucketNotEmpty");
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

/// `aws s3 sync` of a tree with empty files among others, up through the role and back:
/// every upload goes out with `Expect: 100-continue`, and the empty ones must not leave the
/// pooled connection stalled for the next request. One connection, one attempt and a 5 s
/// read timeout make such a stall fail the sync instead of costing a retry.
#[test]
fn sync_of_a_tree_with_empty_files_goes_up_and_back() {
    let (_server, sb) = how_to("max_attempts = 1\ns3 =\n  max_concurrent_requests = 1");
    let src = sb.home.path().join("tree");
    std::fs::create_dir_all(src.join("sub")).unwrap();
    for i in 0..12 {
        std::fs::write(src.join(format!("empty{i}")), b"").unwrap();
        std::fs::write(src.join(format!("note{i}.txt")), format!("note {i}\n")).unwrap();
    }
    // Past the CLI's 8 MiB multipart threshold: parts follow empty uploads too.
    let big: Vec<u8> = (0..9_500_000u32).map(|i| (i * 13 % 251) as u8).collect();
    std::fs::write(src.join("sub").join("big.bin"), &big).unwrap();
    std::fs::write(src.join("sub").join("empty"), b"").unwrap();
    let up = sb.aws(&[
        "s3",
        "sync",
        src.to_str().unwrap(),
        "s3://account-b-data/tree/",
        "--profile",
        "accountb",
        "--only-show-errors",
        "--cli-read-timeout",
        "5",
    ]);
    assert_eq!(up.code, 0, "{}", up.stderr);
    let back = sb.home.path().join("back");
    let down = sb.aws(&[
        "s3",
        "sync",
        "s3://account-b-data/tree/",
        back.to_str().unwrap(),
        "--profile",
        "accountb",
        "--only-show-errors",
        "--cli-read-timeout",
        "5",
    ]);
    assert_eq!(down.code, 0, "{}", down.stderr);
    for i in 0..12 {
        assert_eq!(std::fs::read(back.join(format!("empty{i}"))).unwrap(), b"");
        assert_eq!(
            std::fs::read_to_string(back.join(format!("note{i}.txt"))).unwrap(),
            format!("note {i}\n")
        );
    }
    assert_eq!(
        std::fs::read(back.join("sub").join("big.bin")).unwrap(),
        big
    );
    assert_eq!(std::fs::read(back.join("sub").join("empty")).unwrap(), b"");
}
