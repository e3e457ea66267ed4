//! The how-to this project comes from, step by step with the real aws CLI, and every way it
//! goes wrong, each failing with AWS's error code.

use crate::harness::*;

pub const TRUST_A_ROOT: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": { "AWS": "arn:aws:iam::123123123123:root" },
      "Action": "sts:AssumeRole",
      "Condition": {}
    }
  ]
}"#;

pub const S3_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;

const ASSUME_ACCOUNTA: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::345345345345:role/*"}]}"#;

/// Steps 1 to 3 of the how-to: B creates the role and its policy, A creates the user.
/// Returns the sandbox with `[account-a]` (alice's keys) and `[profile accountb]`.
fn set_up(server: &Server) -> Sandbox {
    let mut sb = Sandbox::new(server);
    sb.keys("b-root", B_ROOT.0, B_ROOT.1)
        .keys("a-root", A_ROOT.0, A_ROOT.1);

    // 1. B: the role `accounta`, trusted by A's root.
    let trust = sb.file("trust.json", TRUST_A_ROOT);
    let role = sb
        .aws(&[
            "iam",
            "create-role",
            "--role-name",
            "accounta",
            "--assume-role-policy-document",
            &trust,
            "--profile",
            "b-root",
        ])
        .json();
    assert_eq!(
        role["Role"]["Arn"],
        "arn:aws:iam::345345345345:role/accounta"
    );
    // The trust policy comes back as submitted (botocore decodes the URL-encoded document).
    assert_eq!(
        role["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"],
        "arn:aws:iam::123123123123:root"
    );

    // 2. B: a policy allowing s3:*, attached to the role.
    let policy = sb.file("s3.json", S3_ALL);
    let created = sb
        .aws(&[
            "iam",
            "create-policy",
            "--policy-name",
            "s3-all",
            "--policy-document",
            &policy,
            "--profile",
            "b-root",
        ])
        .json();
    let policy_arn = created["Policy"]["Arn"].as_str().unwrap().to_owned();
    assert_eq!(policy_arn, "arn:aws:iam::345345345345:policy/s3-all");
    sb.aws(&[
        "iam",
        "attach-role-policy",
        "--role-name",
        "accounta",
        "--policy-arn",
        &policy_arn,
        "--profile",
        "b-root",
    ])
    .json();

    // 3. A: a user with keys and the identity policy to assume roles in B.
    sb.aws(&[
        "iam",
        "create-user",
        "--user-name",
        "alice",
        "--profile",
        "a-root",
    ])
    .json();
    let key = sb
        .aws(&[
            "iam",
            "create-access-key",
            "--user-name",
            "alice",
            "--profile",
            "a-root",
        ])
        .json();
    let id = key["AccessKey"]["AccessKeyId"].as_str().unwrap().to_owned();
    let secret = key["AccessKey"]["SecretAccessKey"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(id.starts_with("AKIA") && id.len() == 20, "{id}");
    assert_eq!(secret.len(), 40);
    let allow = sb.file("assume.json", ASSUME_ACCOUNTA);
    sb.aws(&[
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
    ])
    .json();
    sb.keys("account-a", &id, &secret);
    sb.role(
        "accountb",
        "arn:aws:iam::345345345345:role/accounta",
        "account-a",
        "",
    );
    sb
}

#[test]
fn the_how_to_works_with_the_aws_cli() {
    let server = Server::start(&three_accounts());
    let sb = set_up(&server);

    // 4. The caller identity through the role profile.
    let me = sb
        .aws(&["sts", "get-caller-identity", "--profile", "accountb"])
        .json();
    assert_eq!(me["Account"], B);
    let arn = me["Arn"].as_str().unwrap();
    let session = arn
        .strip_prefix("arn:aws:sts::345345345345:assumed-role/accounta/botocore-session-")
        .unwrap_or_else(|| panic!("unexpected ARN {arn}"));
    assert!(
        !session.is_empty() && session.bytes().all(|b| b.is_ascii_digit()),
        "{arn}"
    );
    let user_id = me["UserId"].as_str().unwrap();
    let (role_id, name) = user_id.split_once(':').unwrap();
    assert!(role_id.starts_with("AROA"), "{user_id}");
    assert!(name.starts_with("botocore-session-"), "{user_id}");

    // The source profile is alice in A.
    let alice = sb
        .aws(&["sts", "get-caller-identity", "--profile", "account-a"])
        .json();
    assert_eq!(alice["Arn"], "arn:aws:iam::123123123123:user/alice");
    assert!(alice["UserId"].as_str().unwrap().starts_with("AIDA"));

    // The root answers with the account id twice.
    let root = sb
        .aws(&["sts", "get-caller-identity", "--profile", "b-root"])
        .json();
    assert_eq!(root["UserId"], B);
    assert_eq!(root["Arn"], "arn:aws:iam::345345345345:root");

    // GetAccessKeyInfo reads the account from the key id.
    let info = sb
        .aws(&[
            "sts",
            "get-access-key-info",
            "--access-key-id",
            B_ROOT.0,
            "--profile",
            "a-root",
        ])
        .json();
    assert_eq!(info["Account"], B);
}

#[test]
fn every_way_the_how_to_goes_wrong_fails_as_at_aws() {
    let server = Server::start(&three_accounts());
    let mut sb = set_up(&server);
    let role = "arn:aws:iam::345345345345:role/accounta";

    // The root of A may not assume roles.
    let msg = sb
        .aws(&[
            "sts",
            "assume-role",
            "--role-arn",
            role,
            "--role-session-name",
            "s1",
            "--profile",
            "a-root",
        ])
        .error("AccessDenied");
    assert!(
        msg.contains("Roles may not be assumed by root accounts."),
        "{msg}"
    );

    // A role that does not exist is AccessDenied, not NoSuchEntity.
    let msg = sb
        .aws(&[
            "sts",
            "assume-role",
            "--role-arn",
            "arn:aws:iam::345345345345:role/nope",
            "--role-session-name",
            "s1",
            "--profile",
            "account-a",
        ])
        .error("AccessDenied");
    assert!(msg.contains("is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::345345345345:role/nope"), "{msg}");

    // Above the role's MaxSessionDuration.
    let msg = sb
        .aws(&[
            "sts",
            "assume-role",
            "--role-arn",
            role,
            "--role-session-name",
            "s1",
            "--duration-seconds",
            "7200",
            "--profile",
            "account-a",
        ])
        .error("ValidationError");
    assert!(
        msg.contains(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
        ),
        "{msg}"
    );

    // A wrong secret.
    sb.keys(
        "wrong-secret",
        A_ROOT.0,
        "0000000000000000000000000000000000000000",
    );
    sb.aws(&["sts", "get-caller-identity", "--profile", "wrong-secret"])
        .error("SignatureDoesNotMatch");
    // An unknown key.
    sb.keys("unknown-key", "AKIARZKVVYOZAAAAAAAA", A_ROOT.1);
    sb.aws(&["sts", "get-caller-identity", "--profile", "unknown-key"])
        .error("InvalidClientTokenId");

    // A user of a third account, even with an identity policy allowing it.
    let allow = sb.file("assume.json", ASSUME_ACCOUNTA);
    sb.keys("c-root", C_ROOT.0, C_ROOT.1);
    sb.aws(&[
        "iam",
        "create-user",
        "--user-name",
        "mallory",
        "--profile",
        "c-root",
    ])
    .json();
    sb.aws(&[
        "iam",
        "put-user-policy",
        "--user-name",
        "mallory",
        "--policy-name",
        "assume-b",
        "--policy-document",
        &allow,
        "--profile",
        "c-root",
    ])
    .json();
    let key = sb
        .aws(&[
            "iam",
            "create-access-key",
            "--user-name",
            "mallory",
            "--profile",
            "c-root",
        ])
        .json();
    sb.keys(
        "mallory",
        key["AccessKey"]["AccessKeyId"].as_str().unwrap(),
        key["AccessKey"]["SecretAccessKey"].as_str().unwrap(),
    );
    sb.role("mallory-b", role, "mallory", "");
    sb.aws(&["sts", "get-caller-identity", "--profile", "mallory-b"])
        .error("AccessDenied");

    // The user without its identity policy: B's trust alone is not enough across accounts.
    sb.aws(&[
        "iam",
        "delete-user-policy",
        "--user-name",
        "alice",
        "--policy-name",
        "assume-b",
        "--profile",
        "a-root",
    ])
    .json();
    let msg = sb
        .aws(&["sts", "get-caller-identity", "--profile", "accountb"])
        .error("AccessDenied");
    assert!(msg.contains("User: arn:aws:iam::123123123123:user/alice is not authorized to perform: sts:AssumeRole"), "{msg}");
}

#[test]
fn external_ids_and_role_chaining_follow_aws_rules() {
    let server = Server::start(&three_accounts());
    let mut sb = set_up(&server);

    // A role that demands an ExternalId, and one that trusts the accounta role (for chaining).
    let trust = sb.file(
        "trust-ext.json",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"123123123123"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"secret-123"}}}]}"#,
    );
    sb.aws(&[
        "iam",
        "create-role",
        "--role-name",
        "partner",
        "--assume-role-policy-document",
        &trust,
        "--profile",
        "b-root",
    ])
    .json();
    let chain_trust = sb.file(
        "trust-chain.json",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::345345345345:role/accounta"},"Action":"sts:AssumeRole"}]}"#,
    );
    sb.aws(&[
        "iam",
        "create-role",
        "--role-name",
        "second",
        "--max-session-duration",
        "7200",
        "--assume-role-policy-document",
        &chain_trust,
        "--profile",
        "b-root",
    ])
    .json();

    let partner = "arn:aws:iam::345345345345:role/partner";
    sb.aws(&[
        "sts",
        "assume-role",
        "--role-arn",
        partner,
        "--role-session-name",
        "p1",
        "--profile",
        "account-a",
    ])
    .error("AccessDenied");
    sb.aws(&[
        "sts",
        "assume-role",
        "--role-arn",
        partner,
        "--role-session-name",
        "p1",
        "--external-id",
        "wrong-id",
        "--profile",
        "account-a",
    ])
    .error("AccessDenied");
    let ok = sb
        .aws(&[
            "sts",
            "assume-role",
            "--role-arn",
            partner,
            "--role-session-name",
            "p1",
            "--external-id",
            "secret-123",
            "--profile",
            "account-a",
        ])
        .json();
    assert_eq!(
        ok["AssumedRoleUser"]["Arn"],
        "arn:aws:sts::345345345345:assumed-role/partner/p1"
    );
    // The same through a profile with external_id.
    sb.role("partner", partner, "account-a", "external_id = secret-123");
    let me = sb
        .aws(&["sts", "get-caller-identity", "--profile", "partner"])
        .json();
    assert_eq!(me["Account"], B);

    // Role chaining: a profile whose source is the accounta role profile.
    sb.role(
        "second",
        "arn:aws:iam::345345345345:role/second",
        "accountb",
        "",
    );
    let me = sb
        .aws(&["sts", "get-caller-identity", "--profile", "second"])
        .json();
    assert!(
        me["Arn"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:sts::345345345345:assumed-role/second/")
    );
    sb.role(
        "second-long",
        "arn:aws:iam::345345345345:role/second",
        "accountb",
        "duration_seconds = 7200",
    );
    let msg = sb
        .aws(&["sts", "get-caller-identity", "--profile", "second-long"])
        .error("ValidationError");
    assert!(
        msg.contains("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."),
        "{msg}"
    );
}

#[test]
fn session_tokens_expire_and_cannot_be_altered() {
    let server = Server::start(&three_accounts());
    let sb = set_up(&server);
    let creds = sb
        .aws(&[
            "sts",
            "assume-role",
            "--role-arn",
            "arn:aws:iam::345345345345:role/accounta",
            "--role-session-name",
            "tok",
            "--duration-seconds",
            "900",
            "--profile",
            "account-a",
        ])
        .json();
    assert!(
        creds["Credentials"]["AccessKeyId"]
            .as_str()
            .unwrap()
            .starts_with("ASIA")
    );
    let env = session_env(&creds);
    let me = sb.aws_env(&["sts", "get-caller-identity"], &env).json();
    assert_eq!(
        me["Arn"],
        "arn:aws:sts::345345345345:assumed-role/accounta/tok"
    );

    // One character of the token changed.
    let mut altered = env.clone();
    let token = altered[2].1.clone();
    let mid = token.len() / 2;
    let flipped = if token.as_bytes()[mid] == b'A' {
        "B"
    } else {
        "A"
    };
    altered[2].1 = format!("{}{}{}", &token[..mid], flipped, &token[mid + 1..]);
    sb.aws_env(&["sts", "get-caller-identity"], &altered)
        .error("InvalidClientTokenId");
    // No token at all for a temporary key.
    let without: Vec<(&'static str, String)> = env[..2].to_vec();
    sb.aws_env(&["sts", "get-caller-identity"], &without)
        .error("InvalidClientTokenId");

    // Once the session is over.
    server.advance_clock(901);
    let msg = sb
        .aws_env(&["sts", "get-caller-identity"], &env)
        .error("ExpiredToken");
    assert!(
        msg.contains("The security token included in the request is expired"),
        "{msg}"
    );
}
