//! botocore as the oracle, offline, with the installed service models. Responses: our envelopes
//! go through botocore's own parser with the operation's output shape, and the parsed fields
//! must be what we wrote (botocore is lenient about unknown elements, so this complements the
//! exact goldens in `envelope.rs`). Requests: bodies botocore serializes and encodes must decode
//! to the parameters it was given, and our encoder must produce the same bytes.
//!
//! Needs `python3` with botocore. Missing either is a test failure, not a skip.

use crate::fixtures;
use roleplay_wire::query::{Limits, Params, encode_form};
use serde_json::{Value, json};
use std::io::Write as _;
use std::process::{Command, Stdio};

const PARSE: &str = r#"
import json, sys
try:
    import botocore.handlers
    import botocore.parsers
    import botocore.session
except ImportError as e:
    sys.stderr.write("botocore is not importable: %s\n" % e)
    sys.exit(3)
service, operation, status = sys.argv[1], sys.argv[2], int(sys.argv[3])
body = sys.stdin.buffer.read()
model = botocore.session.get_session().get_service_model(service).operation_model(operation)
parser = botocore.parsers.create_parser(model.metadata["protocol"])
parsed = parser.parse({"body": body, "headers": {}, "status_code": status}, model.output_shape)
if status < 300:
    botocore.handlers.json_decode_policies(parsed, model)
json.dump(parsed, sys.stdout, default=str, sort_keys=True)
"#;

const SERIALIZE: &str = r#"
import json, sys
try:
    import botocore.awsrequest
    import botocore.serialize
    import botocore.session
except ImportError as e:
    sys.stderr.write("botocore is not importable: %s\n" % e)
    sys.exit(3)
service, operation = sys.argv[1], sys.argv[2]
params = json.load(sys.stdin)
model = botocore.session.get_session().get_service_model(service).operation_model(operation)
request = botocore.serialize.create_serializer("query").serialize_to_request(params, model)
pairs = [[k, str(v)] for k, v in request["body"].items()]
botocore.awsrequest.prepare_request_dict(request, endpoint_url="https://example.com")
body = botocore.awsrequest.create_request_object(request).prepare().body
json.dump({"pairs": pairs, "body": body}, sys.stdout)
"#;

/// Runs one of the scripts above with `stdin`, failing loudly without python3 or botocore.
fn python(script: &str, args: &[&str], stdin: &[u8]) -> Value {
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("the botocore oracle needs `python3` with botocore installed (pip install botocore): cannot run python3: {e}")
        });
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin)
        .expect("write to python3");
    let out = child.wait_with_output().expect("wait for python3");
    assert!(
        out.status.success(),
        "the botocore oracle needs `python3` with botocore installed (pip install botocore); python3 failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("python3 prints JSON")
}

/// What botocore makes of `body` as the response of `service`'s `operation`.
fn botocore_parse(service: &str, operation: &str, status: u16, body: &str) -> Value {
    python(
        PARSE,
        &[service, operation, &status.to_string()],
        body.as_bytes(),
    )
}

/// The pairs botocore serializes for `params`, and the form body it sends.
fn botocore_serialize(
    service: &str,
    operation: &str,
    params: &Value,
) -> (Vec<(String, String)>, String) {
    let out = python(
        SERIALIZE,
        &[service, operation],
        params.to_string().as_bytes(),
    );
    let pairs = out["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p[0].as_str().unwrap().to_owned(),
                p[1].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    (pairs, out["body"].as_str().unwrap().to_owned())
}

fn request_id(parsed: &Value) -> &Value {
    &parsed["ResponseMetadata"]["RequestId"]
}

#[test]
fn iam_get_user() {
    let parsed = botocore_parse("iam", "GetUser", 200, &fixtures::get_user());
    assert_eq!(
        parsed["User"],
        json!({
            "Path": "/",
            "UserName": "alice",
            "UserId": "AIDAEXAMPLEALICE00001",
            "Arn": "arn:aws:iam::123123123123:user/alice",
            "CreateDate": "2026-11-27 19:43:17+00:00",
            "Tags": [{"Key": "team", "Value": "a&b <c>"}],
        })
    );
    assert_eq!(request_id(&parsed), fixtures::REQUEST_ID);
}

#[test]
fn iam_create_role_policy_document_decodes_to_the_submitted_json() {
    let parsed = botocore_parse("iam", "CreateRole", 200, &fixtures::create_role());
    let role = &parsed["Role"];
    let submitted: Value = serde_json::from_str(fixtures::TRUST_POLICY).unwrap();
    assert_eq!(role["AssumeRolePolicyDocument"], submitted);
    assert_eq!(role["RoleName"], "accounta");
    assert_eq!(role["MaxSessionDuration"], 3600);
    assert_eq!(role["CreateDate"], "2026-11-27 19:43:17+00:00");
}

#[test]
fn iam_list_users_with_marker() {
    let parsed = botocore_parse("iam", "ListUsers", 200, &fixtures::list_users());
    let names: Vec<&str> = parsed["Users"]
        .as_array()
        .expect("Users is a list")
        .iter()
        .map(|u| u["UserName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alice", "bob"]);
    assert_eq!(parsed["IsTruncated"], true);
    assert_eq!(parsed["Marker"], "bob");
}

#[test]
fn iam_delete_user_without_result() {
    let parsed = botocore_parse("iam", "DeleteUser", 200, &fixtures::delete_user());
    assert_eq!(request_id(&parsed), fixtures::REQUEST_ID);
}

#[test]
fn sts_get_caller_identity() {
    let parsed = botocore_parse(
        "sts",
        "GetCallerIdentity",
        200,
        &fixtures::get_caller_identity(),
    );
    assert_eq!(parsed["UserId"], "AROAEXAMPLEROLE000001:botocore-session-1");
    assert_eq!(parsed["Account"], "345345345345");
    assert_eq!(
        parsed["Arn"],
        "arn:aws:sts::345345345345:assumed-role/accounta/botocore-session-1"
    );
}

#[test]
fn sts_assume_role() {
    let parsed = botocore_parse("sts", "AssumeRole", 200, &fixtures::assume_role());
    assert_eq!(
        parsed["Credentials"],
        json!({
            "AccessKeyId": "ASIAEXAMPLEKEY000001",
            "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "SessionToken": "c2Vzc2lvbg+/=",
            "Expiration": "2026-11-27 19:43:17+00:00",
        })
    );
    assert_eq!(
        parsed["AssumedRoleUser"],
        json!({
            "AssumedRoleId": "AROAEXAMPLEROLE000001:s1",
            "Arn": "arn:aws:sts::345345345345:assumed-role/accounta/s1",
        })
    );
    assert_eq!(parsed["PackedPolicySize"], 6);
    assert_eq!(parsed["SourceIdentity"], "alice");
}

#[test]
fn sts_error_envelope() {
    let parsed = botocore_parse("sts", "AssumeRole", 403, &fixtures::sts_error());
    assert_eq!(parsed["Error"]["Type"], "Sender");
    assert_eq!(parsed["Error"]["Code"], "AccessDenied");
    assert!(
        parsed["Error"]["Message"]
            .as_str()
            .unwrap()
            .starts_with("User: arn:aws:iam::123123123123:user/alice is not authorized")
    );
    assert_eq!(request_id(&parsed), fixtures::REQUEST_ID);
}

#[test]
fn escaped_text_survives_expat() {
    let nasty: String = "<a href=\"x\">Tom & 'Jerry'</a>\r\n\tend"
        .chars()
        .chain((0u8..0x20).map(char::from))
        .collect();
    let body = roleplay_wire::envelope::query_response(
        "GetUser",
        roleplay_wire::envelope::IAM_NAMESPACE,
        "r",
        |w| {
            w.element("User", |w| {
                w.text_element("UserName", &nasty);
            });
        },
    );
    let parsed = botocore_parse("iam", "GetUser", 200, &body);
    let expected: String = nasty
        .chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if c < ' ' => '\u{FFFD}',
            c => c,
        })
        .collect();
    assert_eq!(parsed["User"]["UserName"], expected.as_str());
}

#[test]
fn s3_error_body() {
    let body = roleplay_wire::envelope::s3_error(&roleplay_wire::envelope::S3Error {
        code: "NoSuchBucket",
        message: "The specified bucket does not exist",
        extra: &[("BucketName", "my-bucket")],
        request_id: "4442587FB7D0A2F9",
        host_id: "aGVsbG8=",
    });
    let parsed = botocore_parse("s3", "GetObject", 404, &body);
    assert_eq!(parsed["Error"]["Code"], "NoSuchBucket");
    assert_eq!(
        parsed["Error"]["Message"],
        "The specified bucket does not exist"
    );
    assert_eq!(parsed["Error"]["BucketName"], "my-bucket");
}

#[test]
fn decodes_and_encodes_an_assume_role_request_as_botocore() {
    let (pairs, body) = botocore_serialize(
        "sts",
        "AssumeRole",
        &json!({
            "RoleArn": "arn:aws:iam::345345345345:role/accounta",
            "RoleSessionName": "s 1+2",
            "DurationSeconds": 900,
            "ExternalId": "x/y:z",
            "Tags": [{"Key": "team", "Value": "ü&= ~"}, {"Key": "cost", "Value": ""}],
            "TransitiveTagKeys": ["team"],
            "PolicyArns": [{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}],
        }),
    );
    let encoded = encode_form(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    assert_eq!(encoded, body);

    let p = Params::from_form(body.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(p.len(), pairs.len());
    for (name, value) in &pairs {
        assert_eq!(p.get(name), Some(value.as_str()), "{name}");
    }
    assert_eq!(p.action().unwrap(), "AssumeRole");
    assert_eq!(p.required("RoleSessionName").unwrap(), "s 1+2");
    assert_eq!(p.required_i64("DurationSeconds").unwrap(), 900);
    let tags: Vec<(&str, &str)> = p
        .structs("Tags")
        .unwrap()
        .iter()
        .map(|t| (t.required("Key").unwrap(), t.required("Value").unwrap()))
        .collect();
    assert_eq!(tags, [("team", "ü&= ~"), ("cost", "")]);
    assert_eq!(p.list("TransitiveTagKeys").unwrap(), ["team"]);
    assert_eq!(
        p.structs("PolicyArns").unwrap()[0].required("arn").unwrap(),
        "arn:aws:iam::aws:policy/ReadOnlyAccess"
    );
}

#[test]
fn decodes_empty_lists_and_policy_documents_as_botocore_sends_them() {
    let (_, body) = botocore_serialize(
        "iam",
        "CreateOpenIDConnectProvider",
        &json!({"Url": "https://example.com", "ClientIDList": [], "ThumbprintList": ["a".repeat(40)]}),
    );
    let p = Params::from_form(body.as_bytes(), &Limits::default()).unwrap();
    assert!(p.contains("ClientIDList"));
    assert!(p.list("ClientIDList").unwrap().is_empty());
    assert_eq!(p.list("ThumbprintList").unwrap(), ["a".repeat(40)]);

    let (_, body) = botocore_serialize(
        "iam",
        "CreateRole",
        &json!({"RoleName": "accounta", "AssumeRolePolicyDocument": fixtures::TRUST_POLICY, "MaxSessionDuration": 7200}),
    );
    let p = Params::from_form(body.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(
        p.required("AssumeRolePolicyDocument").unwrap(),
        fixtures::TRUST_POLICY
    );
    assert_eq!(p.optional_i64("MaxSessionDuration").unwrap(), Some(7200));
}

#[test]
fn iam_empty_member_list() {
    let body = roleplay_wire::envelope::query_response(
        "ListUsers",
        roleplay_wire::envelope::IAM_NAMESPACE,
        "r",
        |w| {
            w.member_list("Users", Vec::<&str>::new(), |_, _| {})
                .display_element("IsTruncated", false);
        },
    );
    let parsed = botocore_parse("iam", "ListUsers", 200, &body);
    assert_eq!(parsed["Users"], json!([]));
    assert_eq!(parsed["IsTruncated"], false);
}
