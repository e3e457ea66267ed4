//! Executing chains through a recording `Io`: one AssumeRole per hop, in order, at the
//! chain's endpoint, each signed with the previous hop's session and carrying the profile's
//! external id, duration, MFA serial and code; the aws CLI's cache filled, reused, renewed.

use roleplay_cli::aws::http::{Request, Response, TransportError};
use roleplay_cli::aws::{Io, Session};
use roleplay_cli::cache::{self, Entry};
use roleplay_cli::process::ProcessCredentials;
use roleplay_cli::{Args, Hop};
use std::cell::RefCell;
use std::collections::BTreeMap;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

struct Recorder {
    now: OffsetDateTime,
    requests: RefCell<Vec<Request>>,
    cache: RefCell<BTreeMap<String, Entry>>,
    prompts: RefCell<Vec<String>>,
}

impl Recorder {
    fn new() -> Recorder {
        Recorder {
            now: OffsetDateTime::parse("2026-11-27T22:00:00Z", &Rfc3339).unwrap(),
            requests: RefCell::default(),
            cache: RefCell::default(),
            prompts: RefCell::default(),
        }
    }

    fn form(&self, i: usize) -> BTreeMap<String, String> {
        let body = String::from_utf8(self.requests.borrow()[i].body.clone()).unwrap();
        body.split('&')
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap();
                (decode(k), decode(v))
            })
            .collect()
    }

    fn header(&self, i: usize, name: &str) -> Option<String> {
        self.requests.borrow()[i]
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }
}

fn decode(s: &str) -> String {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            out.push(
                u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap(), 16).unwrap(),
            );
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

impl Io for Recorder {
    fn now(&self) -> OffsetDateTime {
        self.now
    }

    fn send(&self, request: &Request) -> Result<Response, TransportError> {
        self.requests.borrow_mut().push(request.clone());
        let n = self.requests.borrow().len();
        let body = String::from_utf8_lossy(&request.body);
        let xml = if body.contains("Action=AssumeRole") {
            format!(
                "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIAHOP{n}</AccessKeyId>\
                 <SecretAccessKey>secret{n}</SecretAccessKey><SessionToken>token{n}</SessionToken>\
                 <Expiration>2026-11-27T23:00:00Z</Expiration></Credentials><AssumedRoleUser>\
                 <AssumedRoleId>AROA:s{n}</AssumedRoleId><Arn>arn:aws:sts::345345345345:assumed-role/r/s{n}</Arn>\
                 </AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>req-{n}</RequestId>\
                 </ResponseMetadata></AssumeRoleResponse>"
            )
        } else {
            "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>a</Arn><UserId>u</UserId>\
             <Account>1</Account></GetCallerIdentityResult></GetCallerIdentityResponse>"
                .to_owned()
        };
        Ok(Response {
            status: 200,
            headers: Vec::new(),
            body: xml.into_bytes(),
        })
    }

    fn cache_read(&self, key: &str) -> Option<Entry> {
        self.cache.borrow().get(key).cloned()
    }

    fn cache_write(&self, key: &str, entry: &Entry) {
        self.cache
            .borrow_mut()
            .insert(key.to_owned(), entry.clone());
    }

    fn mfa_code(&self, serial: &str) -> Result<String, String> {
        self.prompts.borrow_mut().push(serial.to_owned());
        Ok("123456".to_owned())
    }

    fn run_process(&self, _command: &str) -> Result<ProcessCredentials, String> {
        Err("no processes here".to_owned())
    }
}

const CONFIG: &str = "\
[profile mid]
role_arn = arn:aws:iam::222222222222:role/mid
source_profile = base
external_id = ext-1
duration_seconds = 900
mfa_serial = arn:aws:iam::111111111111:mfa/alice

[profile top]
role_arn = arn:aws:iam::345345345345:role/top
source_profile = mid
role_session_name = top-session
region = eu-west-1
endpoint_url = http://127.0.0.1:4566
";
const CREDENTIALS: &str =
    "[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = basesecret\n";

fn files() -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let env: BTreeMap<String, String> = [
        ("AWS_CONFIG_FILE", "/c"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/k"),
        ("HOME", "/home"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let fs: BTreeMap<String, String> = [("/c", CONFIG), ("/k", CREDENTIALS)]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    (env, fs)
}

fn top() -> Args {
    Args {
        profile: Some("top".into()),
        ..Args::default()
    }
}

#[test]
fn each_hop_is_one_assume_role_with_the_previous_session() {
    let (env, fs) = files();
    let io = Recorder::new();
    let session = Session::new(&env, &fs, &io, top()).unwrap();
    let creds = session.credentials().unwrap();
    assert_eq!(creds.access_key_id, "ASIAHOP2");
    assert_eq!(creds.session_token.as_deref(), Some("token2"));

    let requests = io.requests.borrow().clone();
    assert_eq!(requests.len(), 2);
    // Both go to the active profile's endpoint, signed for its region.
    assert!(requests.iter().all(|r| r.url == "http://127.0.0.1:4566/"));
    let first = io.form(0);
    assert_eq!(first["Action"], "AssumeRole");
    assert_eq!(first["RoleArn"], "arn:aws:iam::222222222222:role/mid");
    assert_eq!(first["ExternalId"], "ext-1");
    assert_eq!(first["DurationSeconds"], "900");
    assert_eq!(first["SerialNumber"], "arn:aws:iam::111111111111:mfa/alice");
    assert_eq!(first["TokenCode"], "123456");
    assert_eq!(
        first["RoleSessionName"],
        format!("botocore-session-{}", io.now.unix_timestamp())
    );
    assert!(
        io.header(0, "authorization")
            .unwrap()
            .contains("Credential=AKIABASE/20261127/eu-west-1/sts/aws4_request")
    );
    assert_eq!(io.header(0, "x-amz-security-token"), None);
    let second = io.form(1);
    assert_eq!(second["RoleArn"], "arn:aws:iam::345345345345:role/top");
    assert_eq!(second["RoleSessionName"], "top-session");
    assert!(!second.contains_key("ExternalId") && !second.contains_key("SerialNumber"));
    assert!(
        io.header(1, "authorization")
            .unwrap()
            .contains("Credential=ASIAHOP1/")
    );
    assert_eq!(
        io.header(1, "x-amz-security-token").as_deref(),
        Some("token1")
    );
    assert_eq!(
        *io.prompts.borrow(),
        ["arn:aws:iam::111111111111:mfa/alice"]
    );

    // Each hop is cached under the aws CLI's key for its own parameters.
    let hops = &session.resolved().chain.hops;
    let keys: Vec<String> = hops.iter().map(cache::key).collect();
    let cached: Vec<String> = io.cache.borrow().keys().cloned().collect();
    let mut expected = keys.clone();
    expected.sort();
    assert_eq!(cached, expected);
    let top_entry = io.cache.borrow()[&cache::key(hops.last().unwrap())].clone();
    assert_eq!(top_entry.credentials.access_key_id, "ASIAHOP2");
    assert_eq!(
        top_entry.credentials.account_id.as_deref(),
        Some("345345345345")
    );
}

#[test]
fn cached_sessions_are_reused_then_renewed_near_expiry() {
    let (env, fs) = files();
    let io = Recorder::new();
    Session::new(&env, &fs, &io, top())
        .unwrap()
        .credentials()
        .unwrap();
    assert_eq!(io.requests.borrow().len(), 2);

    // A second command within the hour: no AssumeRole, no MFA prompt.
    let session = Session::new(&env, &fs, &io, top()).unwrap();
    assert_eq!(session.credentials().unwrap().access_key_id, "ASIAHOP2");
    assert_eq!(io.requests.borrow().len(), 2);
    assert_eq!(io.prompts.borrow().len(), 1);

    // Fourteen minutes left on the last hop's session: it is assumed again (with the first
    // hop's cached session), as the aws CLI does under its 15-minute window.
    let mut late = Recorder::new();
    late.now = OffsetDateTime::parse("2026-11-27T22:46:00Z", &Rfc3339).unwrap();
    *late.cache.borrow_mut() = io.cache.borrow().clone();
    let hops: Vec<Hop> = session.resolved().chain.hops.clone();
    let mid_key = cache::key(&hops[0]);
    late.cache
        .borrow_mut()
        .get_mut(&mid_key)
        .unwrap()
        .credentials
        .expiration = "2026-11-27T23:30:00Z".into();
    let renewed = Session::new(&env, &fs, &late, top()).unwrap();
    assert_eq!(renewed.credentials().unwrap().access_key_id, "ASIAHOP1");
    assert_eq!(late.requests.borrow().len(), 1);
    assert_eq!(
        late.form(0)["RoleArn"],
        "arn:aws:iam::345345345345:role/top"
    );
    assert!(late.prompts.borrow().is_empty());
}

#[test]
fn calls_are_signed_with_the_chains_session() {
    let (env, fs) = files();
    let io = Recorder::new();
    let session = Session::new(&env, &fs, &io, top()).unwrap();
    let out = session
        .call("sts", "GetCallerIdentity", &serde_json::json!({}))
        .unwrap();
    assert_eq!(
        out.result.get("Account").and_then(|a| a.as_str()),
        Some("1")
    );
    assert!(
        io.header(2, "authorization")
            .unwrap()
            .contains("Credential=ASIAHOP2/20261127/eu-west-1/sts/aws4_request")
    );
    assert_eq!(io.form(2)["Action"], "GetCallerIdentity");
}
