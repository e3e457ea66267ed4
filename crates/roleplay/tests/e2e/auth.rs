//! Authentication and isolation attacks: forged, altered, expired and cross-account-swapped
//! session tokens, another account's secret, presigned URLs past expiry or altered, sessions
//! of deleted or re-trusted roles, listings across accounts, and secrets kept out of logs and
//! error texts.

use crate::harness::*;
use crate::ops::*;
use crate::raw::*;
use roleplay_sigv4::{
    Credentials, RequestView, SessionTokenMode, SigningParams, SigningSettings, presign_request,
};
use time::OffsetDateTime;

/// A server whose clock the test moves; requests are signed at the server's time.
struct Clocked {
    server: Server,
    offset: i64,
}

impl Clocked {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + time::Duration::seconds(self.offset)
    }

    fn advance(&mut self, seconds: i64) {
        let mut r = Raw::new("POST", "/_roleplay/clock").query("");
        let q = format!("advance={seconds}");
        r.query = &q;
        r.unsigned = true;
        expect_status(self.server.port, &r, 200);
        self.offset += seconds;
    }

    fn port(&self) -> u16 {
        self.server.port
    }

    /// An IAM or STS action signed by `key` at the server's time.
    fn action(&self, key: &Key, service: &str, action: &str, params: &[(&str, &str)]) -> Response {
        let form = action_form(service, action, params);
        let mut r = Raw::query_call(service, &form).key(key);
        r.time = Some(self.now());
        call(self.port(), &r).unwrap()
    }

    fn s3(&self, key: &Key, method: &str, path: &str, body: &[u8]) -> Response {
        let mut r = Raw::new(method, path).body(body).key(key);
        r.time = Some(self.now());
        call(self.port(), &r).unwrap()
    }
}

fn expect_status(port: u16, r: &Raw<'_>, status: u16) -> Response {
    let resp = call(port, r).unwrap();
    assert_eq!(resp.status, status, "{}", resp.text());
    resp
}

fn assert_code(r: &Response, status: u16, code: &str) {
    assert_eq!(
        (r.status, r.code().as_deref()),
        (status, Some(code)),
        "{}",
        r.text()
    );
}

fn ok_text(r: Response) -> String {
    assert!(
        (200..300).contains(&r.status) && !r.text().contains("<Error>"),
        "{} {}",
        r.status,
        r.text()
    );
    r.text()
}

const TRUST_A_ROOT: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123123123123:root"},"Action":"sts:AssumeRole"}]}"#;
const TRUST_NOBODY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}"#;
const READ_VAULT: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::vault","arn:aws:s3:::vault/*"]}]}"#;

/// Account A's user `caller` (who may assume roles) and the role `reader` in account A.
fn setup(c: &Clocked, a_root: &Key) -> Key {
    ok_text(c.action(a_root, "iam", "CreateUser", &[("UserName", "caller")]));
    let k = ok_text(c.action(a_root, "iam", "CreateAccessKey", &[("UserName", "caller")]));
    let caller = Key::new(
        &element(&k, "AccessKeyId").unwrap(),
        &element(&k, "SecretAccessKey").unwrap(),
    );
    ok_text(c.action(
        a_root,
        "iam",
        "PutUserPolicy",
        &[
            ("UserName", "caller"),
            ("PolicyName", "assume"),
            (
                "PolicyDocument",
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#,
            ),
        ],
    ));
    create_reader(c, a_root);
    ok_text(c.s3(a_root, "PUT", "/vault", b""));
    ok_text(c.s3(a_root, "PUT", "/vault/secret.txt", b"the contents"));
    caller
}

fn create_reader(c: &Clocked, a_root: &Key) {
    ok_text(c.action(
        a_root,
        "iam",
        "CreateRole",
        &[
            ("RoleName", "reader"),
            ("AssumeRolePolicyDocument", TRUST_A_ROOT),
        ],
    ));
    ok_text(c.action(
        a_root,
        "iam",
        "PutRolePolicy",
        &[
            ("RoleName", "reader"),
            ("PolicyName", "read"),
            ("PolicyDocument", READ_VAULT),
        ],
    ));
}

fn assume(c: &Clocked, caller: &Key, role: &str, session: &str) -> Key {
    let r = c.action(
        caller,
        "sts",
        "AssumeRole",
        &[
            ("RoleArn", role),
            ("RoleSessionName", session),
            ("DurationSeconds", "900"),
        ],
    );
    Key::from_credentials_xml(&ok_text(r))
}

/// Flips one character in the middle of `s`.
fn altered(s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    let i = chars.len() / 2;
    chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
    chars.into_iter().collect()
}

#[test]
fn forged_altered_swapped_and_expired_credentials_are_refused() {
    let server = Server::start(&three_accounts());
    let mut c = Clocked { server, offset: 0 };
    let a_root = Key::new(A_ROOT.0, A_ROOT.1);
    let b_root = Key::new(B_ROOT.0, B_ROOT.1);
    let caller = setup(&c, &a_root);
    let session = assume(&c, &caller, "arn:aws:iam::123123123123:role/reader", "s1");
    assert_eq!(
        c.s3(&session, "GET", "/vault/secret.txt", b"").body,
        b"the contents"
    );

    // Another account's secret under A's key id.
    let wrong_secret = Key::new(A_ROOT.0, B_ROOT.1);
    assert_code(
        &c.action(&wrong_secret, "sts", "GetCallerIdentity", &[]),
        403,
        "SignatureDoesNotMatch",
    );
    assert_code(
        &c.s3(&wrong_secret, "GET", "/vault/secret.txt", b""),
        403,
        "SignatureDoesNotMatch",
    );

    // A forged token: an ASIA key and a token the server never issued.
    let forged = Key {
        id: "ASIAZZZZZZZZZZZZZZZZ".into(),
        secret: "forgedforgedforgedforgedforgedforgedforg".into(),
        token: Some("IQoJb3JpZ2luX2VjEBogZm9yZ2VkIHRva2Vu".repeat(8)),
    };
    assert_code(
        &c.action(&forged, "sts", "GetCallerIdentity", &[]),
        403,
        "InvalidClientTokenId",
    );
    let r = c.s3(&forged, "GET", "/vault/secret.txt", b"");
    assert!(
        matches!(
            r.code().as_deref(),
            Some("InvalidToken" | "InvalidAccessKeyId")
        ) && r.status >= 400,
        "{}",
        r.text()
    );

    // The real token with one character changed.
    let mut tampered = session.clone();
    tampered.token = Some(altered(session.token.as_deref().unwrap()));
    assert_code(
        &c.action(&tampered, "sts", "GetCallerIdentity", &[]),
        403,
        "InvalidClientTokenId",
    );
    let r = c.s3(&tampered, "GET", "/vault/secret.txt", b"");
    assert!(r.status == 400 || r.status == 403, "{}", r.text());
    assert_ne!(r.body, b"the contents");

    // A session of account B (a role B's root may assume) swapped in: B's token with A's
    // session key and secret, and A's token with B's session key and secret.
    ok_text(c.action(
        &b_root,
        "iam",
        "CreateRole",
        &[
            ("RoleName", "b-role"),
            (
                "AssumeRolePolicyDocument",
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123123123123:user/caller"},"Action":"sts:AssumeRole"}]}"#,
            ),
        ],
    ));
    let b_session = assume(&c, &caller, "arn:aws:iam::345345345345:role/b-role", "s2");
    for swapped in [
        Key {
            token: b_session.token.clone(),
            ..session.clone()
        },
        Key {
            token: session.token.clone(),
            ..b_session.clone()
        },
    ] {
        assert_code(
            &c.action(&swapped, "sts", "GetCallerIdentity", &[]),
            403,
            "InvalidClientTokenId",
        );
        let r = c.s3(&swapped, "GET", "/vault/secret.txt", b"");
        assert!(r.status == 400 || r.status == 403, "{}", r.text());
        assert_ne!(r.body, b"the contents");
    }
    // A session key without its token.
    let tokenless = Key {
        token: None,
        ..session.clone()
    };
    assert_code(
        &c.action(&tokenless, "sts", "GetCallerIdentity", &[]),
        403,
        "InvalidClientTokenId",
    );

    // Replayed after expiry: the session was for 900 seconds.
    c.advance(901);
    assert_code(
        &c.action(&session, "sts", "GetCallerIdentity", &[]),
        403,
        "ExpiredToken",
    );
    assert_code(
        &c.s3(&session, "GET", "/vault/secret.txt", b""),
        400,
        "ExpiredToken",
    );
    // The long-term key still works, signed at the server's new time.
    ok_text(c.action(&caller, "sts", "GetCallerIdentity", &[]));
}

/// A presigned GET of `path`, signed at `t`, valid `expires` seconds.
fn presign(port: u16, key: &Key, path: &str, t: OffsetDateTime, expires: u32) -> String {
    let host = format!("127.0.0.1:{port}");
    let headers = [("host", host.as_str())];
    let view = RequestView {
        method: "GET",
        path,
        query: "",
        headers: &headers,
        payload_hash: "UNSIGNED-PAYLOAD",
    };
    presign_request(
        &view,
        &SigningParams {
            credentials: Credentials {
                access_key_id: &key.id,
                secret_access_key: &key.secret,
                session_token: key.token.as_deref(),
            },
            region: "us-east-1",
            service: "s3",
            time: t,
            settings: SigningSettings::S3,
            session_token_mode: SessionTokenMode::Signed,
        },
        expires,
    )
    .unwrap()
    .query
}

fn get_presigned(port: u16, path: &str, query: &str) -> Response {
    let mut r = Raw::new("GET", path).query(query);
    r.unsigned = true;
    call(port, &r).unwrap()
}

#[test]
fn presigned_urls_past_expiry_or_altered_are_refused() {
    let server = Server::start(&three_accounts());
    let mut c = Clocked { server, offset: 0 };
    let a_root = Key::new(A_ROOT.0, A_ROOT.1);
    let caller = setup(&c, &a_root);
    ok_text(c.s3(&a_root, "PUT", "/vault/other.txt", b"other contents"));
    let port = c.port();
    let q = presign(port, &a_root, "/vault/secret.txt", c.now(), 60);
    assert_eq!(
        get_presigned(port, "/vault/secret.txt", &q).body,
        b"the contents"
    );

    // The same signature for another key, a longer expiry, or another signer.
    assert_code(
        &get_presigned(port, "/vault/other.txt", &q),
        403,
        "SignatureDoesNotMatch",
    );
    let longer = q.replace("X-Amz-Expires=60", "X-Amz-Expires=604800");
    assert_code(
        &get_presigned(port, "/vault/secret.txt", &longer),
        403,
        "SignatureDoesNotMatch",
    );
    let other_signer = q.replace(A_ROOT.0, B_ROOT.0);
    assert_code(
        &get_presigned(port, "/vault/secret.txt", &other_signer),
        403,
        "SignatureDoesNotMatch",
    );
    let extra = format!("{q}&response-content-type=text%2Fhtml");
    assert_code(
        &get_presigned(port, "/vault/secret.txt", &extra),
        403,
        "SignatureDoesNotMatch",
    );

    // Past its expiry.
    c.advance(61);
    let r = get_presigned(port, "/vault/secret.txt", &q);
    assert_code(&r, 403, "AccessDenied");
    assert!(r.text().contains("Request has expired"), "{}", r.text());
    // Signed by a 15-minute session for an hour: it fails once the session has expired.
    let session = assume(
        &c,
        &caller,
        "arn:aws:iam::123123123123:role/reader",
        "presigner",
    );
    let q = presign(port, &session, "/vault/secret.txt", c.now(), 3600);
    assert_eq!(
        get_presigned(port, "/vault/secret.txt", &q).body,
        b"the contents"
    );
    c.advance(901);
    assert_code(
        &get_presigned(port, "/vault/secret.txt", &q),
        400,
        "ExpiredToken",
    );
}

#[test]
fn role_sessions_outlive_trust_changes_but_not_the_roles_permissions() {
    let server = Server::start(&three_accounts());
    let c = Clocked { server, offset: 0 };
    let a_root = Key::new(A_ROOT.0, A_ROOT.1);
    let caller = setup(&c, &a_root);
    let role = "arn:aws:iam::123123123123:role/reader";
    let session = assume(&c, &caller, role, "before");

    // The trust policy changes to refuse everyone: new sessions are refused, the existing one
    // keeps working until it expires, as at AWS.
    ok_text(c.action(
        &a_root,
        "iam",
        "UpdateAssumeRolePolicy",
        &[("RoleName", "reader"), ("PolicyDocument", TRUST_NOBODY)],
    ));
    let refused = c.action(
        &caller,
        "sts",
        "AssumeRole",
        &[("RoleArn", role), ("RoleSessionName", "after")],
    );
    assert_code(&refused, 403, "AccessDenied");
    assert_eq!(
        c.s3(&session, "GET", "/vault/secret.txt", b"").body,
        b"the contents"
    );

    // The role's permissions are evaluated at each request: removing its policy removes them.
    ok_text(c.action(
        &a_root,
        "iam",
        "DeleteRolePolicy",
        &[("RoleName", "reader"), ("PolicyName", "read")],
    ));
    assert_code(
        &c.s3(&session, "GET", "/vault/secret.txt", b""),
        403,
        "AccessDenied",
    );

    // Deleted: the session still authenticates (GetCallerIdentity needs no permission) but
    // may do nothing.
    ok_text(c.action(&a_root, "iam", "DeleteRole", &[("RoleName", "reader")]));
    let me = ok_text(c.action(&session, "sts", "GetCallerIdentity", &[]));
    assert!(me.contains("assumed-role/reader/before"), "{me}");
    assert_code(
        &c.s3(&session, "GET", "/vault/secret.txt", b""),
        403,
        "AccessDenied",
    );
    // Recreated under the same name with the same permissions: a new role (a new unique id),
    // so the old session still gets nothing.
    create_reader(&c, &a_root);
    assert_code(
        &c.s3(&session, "GET", "/vault/secret.txt", b""),
        403,
        "AccessDenied",
    );
    let fresh = assume(&c, &caller, role, "fresh");
    assert_eq!(
        c.s3(&fresh, "GET", "/vault/secret.txt", b"").body,
        b"the contents"
    );
}

#[test]
fn listings_never_show_another_accounts_resources_and_secrets_stay_out_of_logs() {
    let server = Server::start(&three_accounts());
    let c = Clocked { server, offset: 0 };
    let a_root = Key::new(A_ROOT.0, A_ROOT.1);
    let b_root = Key::new(B_ROOT.0, B_ROOT.1);
    let caller = setup(&c, &a_root);
    let session = assume(
        &c,
        &caller,
        "arn:aws:iam::123123123123:role/reader",
        "logged",
    );
    ok_text(c.s3(&b_root, "PUT", "/b-bucket", b""));
    ok_text(c.action(&b_root, "iam", "CreateUser", &[("UserName", "b-user")]));

    let a_buckets = ok_text(c.s3(&a_root, "GET", "/", b""));
    let b_buckets = ok_text(c.s3(&b_root, "GET", "/", b""));
    assert_eq!(elements(&a_buckets, "Name"), ["vault"]);
    assert_eq!(elements(&b_buckets, "Name"), ["b-bucket"]);
    let b_users = ok_text(c.action(&b_root, "iam", "ListUsers", &[]));
    assert_eq!(elements(&b_users, "UserName"), ["b-user"]);
    let b_roles = ok_text(c.action(&b_root, "iam", "ListRoles", &[]));
    assert!(!b_roles.contains("123123123123"), "{b_roles}");
    let a_users = ok_text(c.action(&a_root, "iam", "ListUsers", &[]));
    assert_eq!(elements(&a_users, "UserName"), ["caller"]);
    // Another account's resources by name: refused, not revealed.
    let r = c.s3(&b_root, "GET", "/vault/secret.txt", b"");
    assert_code(&r, 403, "AccessDenied");
    let r = c.action(&b_root, "iam", "GetUser", &[("UserName", "caller")]);
    assert_code(&r, 404, "NoSuchEntity");

    // Failures that involve secrets: a wrong secret, an altered token, an expired one.
    let mut errors = Vec::new();
    errors.push(
        c.s3(&Key::new(A_ROOT.0, B_ROOT.1), "GET", "/vault", b"")
            .text(),
    );
    errors.push(
        c.action(
            &Key::new(A_ROOT.0, B_ROOT.1),
            "sts",
            "GetCallerIdentity",
            &[],
        )
        .text(),
    );
    let mut tampered = session.clone();
    tampered.token = Some(altered(session.token.as_deref().unwrap()));
    errors.push(c.s3(&tampered, "GET", "/vault/secret.txt", b"").text());
    errors.push(c.action(&tampered, "sts", "GetCallerIdentity", &[]).text());
    let new_key = ok_text(c.action(&a_root, "iam", "CreateAccessKey", &[("UserName", "caller")]));
    let new_secret = element(&new_key, "SecretAccessKey").unwrap();

    let secrets = [
        A_ROOT.1.to_owned(),
        B_ROOT.1.to_owned(),
        caller.secret.clone(),
        session.secret.clone(),
        session.token.clone().unwrap(),
        new_secret,
    ];
    let log = c.server.log();
    assert!(
        log.lines().count() > 20,
        "the server logged no requests: {log}"
    );
    let mut decisions = Raw::new("GET", "/_roleplay/decisions").query("limit=1000");
    decisions.unsigned = true;
    let decisions = expect_status(c.port(), &decisions, 200).text();
    assert!(decisions.contains("s3:GetObject"), "{decisions}");
    for s in &secrets {
        assert!(!log.contains(s.as_str()), "a secret is in the log");
        assert!(
            !decisions.contains(s.as_str()),
            "a secret is in the decision log"
        );
        for e in &errors {
            assert!(!e.contains(s.as_str()), "a secret is in an error text: {e}");
        }
    }
}
