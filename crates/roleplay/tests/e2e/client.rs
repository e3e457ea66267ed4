//! The `roleplay` client against the server: the how-to with `roleplay` commands only, the
//! same JSON and error texts as the aws CLI for the same calls, one credential cache shared
//! both ways, refresh before expiry, `configure export-credentials` and `exec`.

use crate::harness::*;
use crate::story::{S3_ALL, TRUST_A_ROOT};
use serde_json::Value;

const ASSUME_B: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::345345345345:role/*"}]}"#;
const ROLE: &str = "arn:aws:iam::345345345345:role/accounta";

fn ok(run: &Run) -> Value {
    assert_eq!(run.code, 0, "roleplay failed: {}{}", run.stdout, run.stderr);
    serde_json::from_str(&run.stdout).unwrap_or(Value::Null)
}

/// The how-to's steps 1–3 with `roleplay` alone; returns the sandbox with `[account-a]`
/// (alice's new keys) and `[profile accountb]`.
fn how_to(server: &Server) -> Sandbox {
    let mut sb = Sandbox::new(server);
    sb.keys("b-root", B_ROOT.0, B_ROOT.1)
        .keys("a-root", A_ROOT.0, A_ROOT.1);
    let trust = sb.file("trust.json", TRUST_A_ROOT);
    let role = ok(&sb.roleplay(&[
        "iam",
        "create-role",
        "--role-name",
        "accounta",
        "--assume-role-policy-document",
        &trust,
        "--profile",
        "b-root",
    ]));
    assert_eq!(role["Role"]["Arn"], ROLE);
    assert_eq!(
        role["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"],
        "arn:aws:iam::123123123123:root"
    );
    let policy = sb.file("s3.json", S3_ALL);
    let created = ok(&sb.roleplay(&[
        "iam",
        "create-policy",
        "--policy-name",
        "s3-all",
        "--policy-document",
        &policy,
        "--profile",
        "b-root",
    ]));
    let policy_arn = created["Policy"]["Arn"].as_str().unwrap().to_owned();
    let attach = sb.roleplay(&[
        "iam",
        "attach-role-policy",
        "--role-name",
        "accounta",
        "--policy-arn",
        &policy_arn,
        "--profile",
        "b-root",
    ]);
    assert_eq!(
        (attach.code, attach.stdout.as_str()),
        (0, ""),
        "{}",
        attach.stderr
    );
    ok(&sb.roleplay(&[
        "iam",
        "create-user",
        "--user-name",
        "alice",
        "--profile",
        "a-root",
    ]));
    let key = ok(&sb
        .roleplay(&[
            "iam",
            "create-access-key",
            "--user-name",
            "alice",
            "--profile",
            "a-root",
            "--query",
            "AccessKey.[AccessKeyId,SecretAccessKey]",
            "--output",
            "text",
        ])
        .with_json_text());
    let (id, secret) = (
        key[0].as_str().unwrap().to_owned(),
        key[1].as_str().unwrap().to_owned(),
    );
    let allow = sb.file("assume.json", ASSUME_B);
    let put = sb.roleplay(&[
        "iam",
        "put-user-policy",
        "--user-name",
        "alice",
        "--policy-name",
        "assume-b",
        "--policy-document",
        &allow,
        "--profile",
        "a-root",
    ]);
    assert_eq!(put.code, 0, "{}", put.stderr);
    sb.keys("account-a", &id, &secret)
        .role("accountb", ROLE, "account-a", "");
    sb
}

impl Run {
    /// `--output text` of one row as a JSON array of its fields.
    fn with_json_text(&self) -> Run {
        let fields: Vec<&str> = self.stdout.trim_end().split('\t').collect();
        Run {
            code: self.code,
            stdout: serde_json::to_string(&fields).unwrap(),
            stderr: self.stderr.clone(),
        }
    }
}

#[test]
fn the_how_to_with_roleplay_alone() {
    let server = Server::start(&three_accounts());
    let sb = how_to(&server);
    let who = ok(&sb.roleplay(&["sts", "get-caller-identity", "--profile", "accountb"]));
    assert_eq!(who["Account"], B);
    let arn = who["Arn"].as_str().unwrap();
    assert!(
        arn.starts_with("arn:aws:sts::345345345345:assumed-role/accounta/botocore-session-"),
        "{arn}"
    );
    // The role's session may do what its policy allows and nothing else, with AWS's text.
    let denied = sb.roleplay(&["iam", "list-users", "--profile", "accountb"]);
    assert_eq!(denied.code, 255);
    assert!(
        denied.stderr.starts_with(
            "\nAn error occurred (AccessDenied) when calling the ListUsers operation: User: arn:aws:sts::345345345345:assumed-role/accounta/"
        ),
        "{}",
        denied.stderr
    );
    // A's root may not assume the role (AWS's text), and alice's name is what A sees.
    let root = sb.roleplay(&[
        "sts",
        "assume-role",
        "--role-arn",
        ROLE,
        "--role-session-name",
        "root-try",
        "--profile",
        "a-root",
    ]);
    assert_eq!(root.code, 255);
    assert!(
        root.stderr
            .contains("Roles may not be assumed by root accounts."),
        "{}",
        root.stderr
    );
    // --debug shows the calls of the chain, never the secrets in their answers.
    std::fs::remove_dir_all(sb.cache_dir()).unwrap();
    let debug = sb.roleplay(&[
        "sts",
        "get-caller-identity",
        "--profile",
        "accountb",
        "--debug",
    ]);
    assert_eq!(debug.code, 0, "{}", debug.stderr);
    assert!(
        debug.stderr.contains("(AssumeRole)") && debug.stderr.contains("(GetCallerIdentity)"),
        "{}",
        debug.stderr
    );
    let (_, entry) = cache_entry(&sb);
    for secret in ["SecretAccessKey", "SessionToken"] {
        let value = entry["Credentials"][secret].as_str().unwrap();
        assert!(!debug.stderr.contains(value), "{secret} in --debug output");
    }
    let alice = sb.roleplay(&[
        "sts",
        "get-caller-identity",
        "--profile",
        "account-a",
        "--query",
        "Arn",
        "--output",
        "text",
    ]);
    assert_eq!(alice.stdout, "arn:aws:iam::123123123123:user/alice\n");
}

/// The same call through both tools: byte-identical stdout, stderr and exit status.
fn same(sb: &Sandbox, args: &[&str]) -> Run {
    let ours = sb.roleplay(args);
    let theirs = sb.run("aws", args, &[]);
    assert_eq!(
        (ours.code, &ours.stdout, &ours.stderr),
        (theirs.code, &theirs.stdout, &theirs.stderr),
        "roleplay and aws differ for {args:?}"
    );
    ours
}

#[test]
fn roleplay_prints_what_the_aws_cli_prints() {
    let server = Server::start(&three_accounts());
    let sb = how_to(&server);
    let calls = [
        "iam get-role --role-name accounta --profile b-root",
        "iam list-roles --profile b-root",
        "iam list-roles --profile b-root --output text",
        "iam list-attached-role-policies --role-name accounta --profile b-root",
        "iam get-user-policy --user-name alice --policy-name assume-b --profile a-root",
        "iam list-policies --scope Local --profile b-root --query Policies[].[PolicyName,AttachmentCount]",
        "iam get-account-summary --profile a-root --output text",
        "sts get-caller-identity --profile account-a",
        "sts get-caller-identity --profile account-a --output table",
        "iam get-role --role-name accounta --profile b-root --output table",
        // Pagination: pages of 2, --max-items with its NextToken, resuming from it, per page
        // in text.
        "iam list-policies --page-size 2 --profile b-root --query Policies[].Arn",
        "iam list-policies --max-items 3 --page-size 2 --profile b-root",
        "iam list-policies --max-items 3 --page-size 2 --profile b-root --output text",
        "iam list-policies --max-items 1 --profile b-root --output table",
        "iam list-policies --starting-token eyJNYXJrZXIiOiBudWxsLCAiYm90b190cnVuY2F0ZV9hbW91bnQiOiAzfQ== --max-items 2 --profile b-root",
        "sts get-caller-identity --profile account-a --output text",
        "sts get-access-key-info --access-key-id AKIARZKVVYOZUEQH746Y --profile account-a",
        // Errors: the service's, client-side validation, a missing profile, no answer.
        "sts assume-role --role-arn arn:aws:iam::345345345345:role/nope --role-session-name s1 --profile account-a",
        "sts assume-role --role-arn arn:aws:iam::345345345345:role/accounta --role-session-name s --profile account-a",
        "sts assume-role --role-arn arn:aws:iam::345345345345:role/accounta --role-session-name s1 --duration-seconds 100 --profile account-a",
        "iam get-role --role-name nope --profile b-root",
        "sts get-caller-identity --profile nope",
        "sts get-caller-identity --profile account-a --endpoint-url http://127.0.0.1:9",
        "sts get-caller-identity --profile account-a --no-sign-request",
    ];
    for call in calls {
        let args: Vec<&str> = call.split_whitespace().collect();
        same(&sb, &args);
    }
}

fn cache_entry(sb: &Sandbox) -> (String, Value) {
    let entries: Vec<_> = std::fs::read_dir(sb.cache_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let text = std::fs::read_to_string(&entries[0]).unwrap();
    let name = entries[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    (name, serde_json::from_str(&text).unwrap())
}

#[test]
fn one_cache_shared_both_ways() {
    let server = Server::start(&three_accounts());
    let sb = how_to(&server);
    let args = ["sts", "get-caller-identity", "--profile", "accountb"];

    // aws first: roleplay reuses its session (same session name) and leaves the entry as is.
    let theirs = sb.run("aws", &args, &[]);
    let (name, entry) = cache_entry(&sb);
    assert_eq!(name, "db7ccf74ddac68bc7f3ad6b5cdd5e2595ce4b8ca.json");
    let ours = sb.roleplay(&args);
    assert_eq!((ours.code, &ours.stdout), (theirs.code, &theirs.stdout));
    assert_eq!(cache_entry(&sb), (name.clone(), entry));

    // roleplay first: aws reuses roleplay's entry.
    std::fs::remove_dir_all(sb.cache_dir()).unwrap();
    let ours = sb.roleplay(&args);
    let (name2, entry) = cache_entry(&sb);
    assert_eq!(name2, name);
    assert_eq!(entry["Credentials"]["AccountId"], B);
    let theirs = sb.run("aws", &args, &[]);
    assert_eq!((theirs.code, &theirs.stdout), (ours.code, &ours.stdout));
    assert_eq!(cache_entry(&sb).1, entry);
}

#[test]
fn sessions_are_refreshed_before_they_expire() {
    let server = Server::start(&three_accounts());
    let sb = how_to(&server);
    let args = [
        "sts",
        "get-caller-identity",
        "--profile",
        "accountb",
        "--query",
        "Arn",
    ];
    ok(&sb.roleplay(&args));
    let (name, mut entry) = cache_entry(&sb);
    let old_key = entry["Credentials"]["AccessKeyId"].clone();
    // Ten minutes left is inside the aws CLI's 15-minute window: the next call assumes again.
    let soon = time::OffsetDateTime::now_utc() + time::Duration::minutes(10);
    let soon = soon
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    entry["Credentials"]["Expiration"] = Value::String(soon.clone());
    std::fs::write(sb.cache_dir().join(&name), entry.to_string()).unwrap();
    ok(&sb.roleplay(&args));
    let (_, refreshed) = cache_entry(&sb);
    assert_ne!(refreshed["Credentials"]["AccessKeyId"], old_key);
    assert_ne!(refreshed["Credentials"]["Expiration"], Value::String(soon));
}

#[test]
fn the_endpoint_url_carries_the_chains_assume_role() {
    let server = Server::start(&three_accounts());
    let mut sb = how_to(&server);
    // A role profile without any endpoint: only --endpoint-url points at the server.
    sb.config_lines(&format!(
        "[profile bare]\nrole_arn = {ROLE}\nsource_profile = account-a\nrole_session_name = bare-session\n"
    ));
    let who = ok(&sb.roleplay(&[
        "sts",
        "get-caller-identity",
        "--profile",
        "bare",
        "--endpoint-url",
        &server.endpoint(),
        "--region",
        "us-east-1",
    ]));
    assert_eq!(
        who["Arn"],
        "arn:aws:sts::345345345345:assumed-role/accounta/bare-session"
    );
}

#[test]
fn export_credentials_and_exec() {
    let server = Server::start(&three_accounts());
    let mut sb = how_to(&server);
    let process = ok(&sb.roleplay(&["configure", "export-credentials", "--profile", "accountb"]));
    assert_eq!(process["Version"], 1);
    assert!(process["AccessKeyId"].as_str().unwrap().starts_with("ASIA"));
    assert!(process["Expiration"].as_str().unwrap().ends_with("+00:00"));
    let env = sb.roleplay(&[
        "configure",
        "export-credentials",
        "--profile",
        "accountb",
        "--format",
        "env",
    ]);
    assert!(
        env.stdout.starts_with(&format!(
            "export AWS_ACCESS_KEY_ID={}\n",
            process["AccessKeyId"].as_str().unwrap()
        )),
        "{}",
        env.stdout
    );

    // The aws CLI takes roleplay as its credential_process.
    sb.config_lines(&format!(
        "[profile via-process]\ncredential_process = {} configure export-credentials --profile accountb\nregion = us-east-1\nendpoint_url = {}\n",
        env!("CARGO_BIN_EXE_roleplay"),
        server.endpoint()
    ));
    let theirs = sb.run(
        "aws",
        &[
            "sts",
            "get-caller-identity",
            "--profile",
            "via-process",
            "--query",
            "Arn",
        ],
        &[],
    );
    let ours = sb.roleplay(&[
        "sts",
        "get-caller-identity",
        "--profile",
        "accountb",
        "--query",
        "Arn",
    ]);
    assert_eq!(
        (theirs.code, &theirs.stdout),
        (0, &ours.stdout),
        "{}",
        theirs.stderr
    );

    // exec: the program sees the role's credentials, region and endpoint.
    let run = sb.roleplay(&[
        "exec",
        "--profile",
        "accountb",
        "--",
        "aws",
        "sts",
        "get-caller-identity",
        "--query",
        "Arn",
    ]);
    assert_eq!((run.code, &run.stdout), (0, &ours.stdout), "{}", run.stderr);
    let status = sb.roleplay(&["exec", "--profile", "accountb", "--", "sh", "-c", "exit 7"]);
    assert_eq!(status.code, 7);
}

#[test]
fn the_how_tos_bucket_with_roleplay_s3() {
    let server = Server::start(&three_accounts());
    let sb = how_to(&server);
    let mb = sb.roleplay(&["s3", "mb", "s3://account-b-data", "--profile", "b-root"]);
    assert_eq!(
        (mb.code, mb.stdout.as_str()),
        (0, "make_bucket: account-b-data\n"),
        "{}",
        mb.stderr
    );
    let hello = sb.home.path().join("hello.txt");
    std::fs::write(&hello, "Hello from account B.\n").unwrap();
    let up = sb.roleplay(&[
        "s3",
        "cp",
        hello.to_str().unwrap(),
        "s3://account-b-data/reports/hello.txt",
        "--profile",
        "accountb",
    ]);
    assert_eq!(up.code, 0, "{}", up.stderr);
    assert!(
        up.stdout.starts_with("upload: ")
            && up
                .stdout
                .ends_with(" to s3://account-b-data/reports/hello.txt\n"),
        "{}",
        up.stdout
    );

    // The how-to's last step, and its denial for account A's user, exactly as aws prints them.
    for call in [
        "s3 ls s3://account-b-data --recursive --profile accountb",
        "s3 ls s3://account-b-data --profile accountb",
        "s3 ls s3://account-b-data --recursive --human-readable --summarize --profile accountb",
        "s3 ls s3://account-b-data/nothing-here --profile accountb",
        "s3 ls s3://account-b-data --profile account-a",
        "s3 ls s3://account-b-data --no-sign-request --profile accountb",
        "s3 ls --profile b-root",
    ] {
        let args: Vec<&str> = call.split_whitespace().collect();
        same(&sb, &args);
    }

    // A 9 MiB file goes up in parts and comes back whole, through either tool.
    let big: Vec<u8> = (0..9 * 1024 * 1024u32)
        .map(|i| (i * 7 % 251) as u8)
        .collect();
    let path = sb.home.path().join("big.bin");
    std::fs::write(&path, &big).unwrap();
    let up = sb.roleplay(&[
        "s3",
        "cp",
        path.to_str().unwrap(),
        "s3://account-b-data/big.bin",
        "--profile",
        "accountb",
    ]);
    assert_eq!(up.code, 0, "{}", up.stderr);
    let back = sb.home.path().join("back.bin");
    let down = sb.run(
        "aws",
        &[
            "s3",
            "cp",
            "s3://account-b-data/big.bin",
            back.to_str().unwrap(),
            "--profile",
            "accountb",
        ],
        &[],
    );
    assert_eq!(down.code, 0, "{}", down.stderr);
    assert!(std::fs::read(&back).unwrap() == big);
    let ours = sb.home.path().join("ours.bin");
    let down = sb.roleplay(&[
        "s3",
        "cp",
        "s3://account-b-data/big.bin",
        ours.to_str().unwrap(),
        "--profile",
        "accountb",
    ]);
    assert_eq!(down.code, 0, "{}", down.stderr);
    assert!(std::fs::read(&ours).unwrap() == big);

    // Account A's user may not write there: the aws CLI's failure line and status 1.
    let denied = sb.roleplay(&[
        "s3",
        "cp",
        hello.to_str().unwrap(),
        "s3://account-b-data/x.txt",
        "--profile",
        "account-a",
    ]);
    assert_eq!(denied.code, 1);
    assert!(denied.stderr.starts_with("upload failed: ") && denied.stderr.ends_with(" An error occurred (AccessDenied) when calling the PutObject operation: Access Denied\n"), "{}", denied.stderr);

    // A presigned URL opens with no credentials at all.
    let url = sb.roleplay(&[
        "s3",
        "presign",
        "s3://account-b-data/reports/hello.txt",
        "--profile",
        "accountb",
    ]);
    assert_eq!(url.code, 0, "{}", url.stderr);
    let body = std::process::Command::new("python3")
        .args(["-c", "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())", url.stdout.trim()])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&body.stdout),
        "Hello from account B.\n"
    );

    // sync both ways; afterwards the aws CLI finds nothing left to copy, and --delete prunes.
    let dir = sb.home.path().join("site");
    std::fs::create_dir_all(dir.join("css")).unwrap();
    std::fs::write(dir.join("index.html"), "<p>hi</p>").unwrap();
    std::fs::write(dir.join("css/site.css"), "p{}").unwrap();
    let copy = sb.home.path().join("copy");
    let (site, copy_dir) = (dir.to_str().unwrap(), copy.to_str().unwrap());
    let bucket_site = "s3://account-b-data/site";
    for (from, to, copied) in [
        (site, bucket_site, "upload: "),
        (bucket_site, copy_dir, "download: "),
    ] {
        let sync = sb.roleplay(&["s3", "sync", from, to, "--profile", "accountb"]);
        assert_eq!(sync.code, 0, "{}", sync.stderr);
        assert_eq!(
            sync.stdout
                .lines()
                .filter(|l| l.starts_with(copied))
                .count(),
            2,
            "{}",
            sync.stdout
        );
        let again = sb.run(
            "aws",
            &["s3", "sync", from, to, "--profile", "accountb"],
            &[],
        );
        assert_eq!(
            (again.code, again.stdout.as_str()),
            (0, ""),
            "{}",
            again.stderr
        );
    }
    assert_eq!(
        std::fs::read_to_string(copy.join("css/site.css")).unwrap(),
        "p{}"
    );
    std::fs::remove_file(dir.join("index.html")).unwrap();
    let pruned = sb.roleplay(&[
        "s3",
        "sync",
        site,
        bucket_site,
        "--delete",
        "--profile",
        "accountb",
    ]);
    assert_eq!(
        pruned.stdout, "delete: s3://account-b-data/site/index.html\n",
        "{}",
        pruned.stderr
    );

    // rm and rb --force empty and remove the bucket.
    let rb = sb.roleplay(&[
        "s3",
        "rb",
        "s3://account-b-data",
        "--force",
        "--profile",
        "b-root",
    ]);
    assert_eq!(rb.code, 0, "{}", rb.stderr);
    assert!(
        rb.stdout.ends_with("remove_bucket: account-b-data\n"),
        "{}",
        rb.stdout
    );
    let gone = sb.roleplay(&["s3", "ls", "s3://account-b-data", "--profile", "b-root"]);
    assert!(gone.stderr.contains("(NoSuchBucket)"), "{}", gone.stderr);
}

#[test]
fn doctor_live_tries_every_hop() {
    let server = Server::start(&three_accounts());
    let mut sb = how_to(&server);
    sb.role("as-root", ROLE, "a-root", "")
        .config_lines("[profile offline]\nregion = us-east-1\nendpoint_url = http://127.0.0.1:9\naws_access_key_id = AKIARZKVVYOZUEQH746Y\naws_secret_access_key = x\n");
    let run = sb.roleplay(&["doctor", "--live"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    let has = |want: &str| lines.contains(&want);
    assert!(
        has("ok: profile accountb: live: the source keys are arn:aws:iam::123123123123:user/alice"),
        "{}",
        run.stdout
    );
    assert!(
        has(
            "ok: profile accountb: live: hop 1 may assume arn:aws:iam::345345345345:role/accounta (as arn:aws:sts::345345345345:assumed-role/accounta/roleplay-doctor)"
        ),
        "{}",
        run.stdout
    );
    assert!(
        has(
            "error: profile as-root: live: hop 1 to arn:aws:iam::345345345345:role/accounta (profile as-root) is refused: An error occurred (AccessDenied) when calling the AssumeRole operation: Roles may not be assumed by root accounts."
        ),
        "{}",
        run.stdout
    );
    assert!(
        has(
            "error: profile offline: live: the source keys: Could not connect to the endpoint URL: \"http://127.0.0.1:9/\""
        ),
        "{}",
        run.stdout
    );
    // Nothing was cached by the checks.
    assert!(!sb.cache_dir().exists());
}

#[test]
fn the_demo_walks_the_how_to_in_process() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_roleplay"))
        .arg("demo")
        .env("HOME", tempfile::tempdir().unwrap().path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for want in [
        "\"AWS\": \"arn:aws:iam::123123123123:root\"",
        "\"Action\": \"s3:*\"",
        "\"Resource\": \"arn:aws:iam::345345345345:role/accounta\"",
        "source_profile = account-a",
        "\"Arn\": \"arn:aws:sts::345345345345:assumed-role/accounta/botocore-session-",
        "         22 reports/hello.txt",
        "An error occurred (AccessDenied) when calling the CreateUser operation: User: arn:aws:sts::345345345345:assumed-role/accounta/",
        "because no identity-based policy allows the iam:CreateUser action",
        // The denial's trace from the decision log.
        "    Decision: ImplicitDeny, decided by the identity-based policies",
        "        - #0 (Allow): Action does not include iam:CreateUser",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
    assert_eq!(text.matches("== Step ").count(), 7);
}
