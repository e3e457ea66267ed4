//! Hostile input: malformed HTTP, lying lengths, slow clients, bad encodings, policy and XML
//! bombs, traversal, parameter floods. Each gets its error (AWS's where AWS defines one; for
//! HTTP that does not parse, the bare status of the HTTP layer), and after each a normal
//! request is still served.

use crate::harness::*;
use crate::ops::action_form;
use crate::raw::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// The server's idle limit in these tests (`serve --io-timeout`).
const IO_TIMEOUT: Duration = Duration::from_secs(1);

fn server() -> Server {
    Server::start_with(&three_accounts(), &["--io-timeout", "1"])
}

/// A normal signed request still works.
fn still_serving(port: u16) {
    let body = expect_ok(
        port,
        &Raw::query_call("sts", "Action=GetCallerIdentity&Version=2011-06-15"),
    );
    assert!(body.contains("<Account>123123123123</Account>"), "{body}");
}

/// Sends raw bytes and returns the answer (a status and body, or a close).
fn raw_bytes(port: u16, bytes: &[u8]) -> Answer {
    let mut s = connect(port);
    let _ = s.write_all(bytes);
    read_answer(s)
}

fn status_of(a: &Answer) -> Option<u16> {
    match a {
        Answer::Status(s, _) => Some(*s),
        _ => None,
    }
}

#[test]
fn malformed_and_oversized_heads_get_http_errors() {
    let server = server();
    let port = server.port;
    let cases: Vec<(&str, Vec<u8>, u16)> =
        vec![
        (
            "a header line without a colon",
            b"GET / HTTP/1.1\r\nhost: x\r\nthis is not a header\r\n\r\n".to_vec(),
            400,
        ),
        (
            "a request line that is not HTTP",
            b"HELLO THERE\r\n\r\n".to_vec(),
            400,
        ),
        (
            "a one-megabyte header",
            format!(
                "GET / HTTP/1.1\r\nhost: x\r\nx-big: {}\r\n\r\n",
                "a".repeat(1 << 20)
            )
            .into_bytes(),
            431,
        ),
        (
            "five hundred headers",
            format!(
                "GET / HTTP/1.1\r\nhost: x\r\n{}\r\n",
                (0..500).map(|i| format!("x-h{i}: v\r\n")).collect::<String>()
            )
            .into_bytes(),
            431,
        ),
        (
            "a Content-Length that is no number",
            b"PUT /b/k HTTP/1.1\r\nhost: x\r\ncontent-length: lots\r\n\r\n".to_vec(),
            400,
        ),
        (
            "a Content-Length past u64",
            b"PUT /b/k HTTP/1.1\r\nhost: x\r\ncontent-length: 99999999999999999999999999\r\n\r\n"
                .to_vec(),
            400,
        ),
        (
            "two different Content-Lengths",
            b"PUT /b/k HTTP/1.1\r\nhost: x\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nab"
                .to_vec(),
            400,
        ),
        (
            "a control character in the path",
            b"GET /b/\x01k HTTP/1.1\r\nhost: x\r\n\r\n".to_vec(),
            400,
        ),
    ];
    for (what, bytes, status) in cases {
        let got = raw_bytes(port, &bytes);
        assert_eq!(status_of(&got), Some(status), "{what}: {got:?}");
        still_serving(port);
    }
}

#[test]
fn oversized_user_metadata_is_metadata_too_large() {
    let server = server();
    let port = server.port;
    expect_ok(port, &Raw::new("PUT", "/meta"));
    // S3 allows 2 KB of user metadata (names without the prefix, and values).
    let at_limit = "v".repeat(2048 - 4);
    expect_ok(
        port,
        &Raw::new("PUT", "/meta/fits")
            .header("x-amz-meta-name", &at_limit)
            .body(b"x"),
    );
    let over = "v".repeat(2048 - 3);
    for req in [
        Raw::new("PUT", "/meta/big")
            .header("x-amz-meta-name", &over)
            .body(b"x"),
        Raw::new("POST", "/meta/big")
            .query("uploads=")
            .header("x-amz-meta-name", &over),
        Raw::new("PUT", "/meta/big")
            .header("x-amz-copy-source", "/meta/fits")
            .header("x-amz-metadata-directive", "REPLACE")
            .header("x-amz-meta-name", &over),
    ] {
        let body = expect(port, &req, 400, "MetadataTooLarge");
        assert!(
            body.contains("exceed the maximum allowed metadata size"),
            "{body}"
        );
        still_serving(port);
    }
    let listing = expect_ok(port, &Raw::new("GET", "/meta").query("list-type=2"));
    assert_eq!(elements(&listing, "Key"), ["fits"]);
}

#[test]
fn lying_lengths_are_refused_and_nothing_is_stored() {
    let server = server();
    let port = server.port;
    expect_ok(port, &Raw::new("PUT", "/lengths"));

    // More body than declared: the signed hash covers all of it, the server reads only the
    // declared bytes, and they do not match the hash.
    let mut longer = Raw::new("PUT", "/lengths/longer.txt").body(b"0123456789");
    longer.content_length = Some(5);
    expect(port, &longer, 400, "XAmzContentSHA256Mismatch");
    still_serving(port);

    // Less body than declared, the client then stalling: S3's RequestTimeout after the idle
    // limit, for S3 and for the query services alike.
    for (req, code) in [
        (
            Raw::new("PUT", "/lengths/shorter.txt").body(b"short"),
            "RequestTimeout",
        ),
        (
            Raw::query_call("iam", "Action=CreateUser&UserName=stall&Version=2010-05-08"),
            "RequestTimeout",
        ),
    ] {
        let mut req = req;
        req.content_length = Some(req.body.len() as u64 + 100);
        let started = Instant::now();
        let body = expect(port, &req, 400, code);
        assert!(
            body.contains("not read from or written to within the timeout period"),
            "{body}"
        );
        assert!(
            started.elapsed() < IO_TIMEOUT * 10,
            "{:?}",
            started.elapsed()
        );
        still_serving(port);
    }

    // Less body than declared, the client then ending its side: IncompleteBody, not the
    // RequestEntityTooLarge it once was.
    let mut short = Raw::query_call("iam", "Action=CreateUser&UserName=cut&Version=2010-05-08");
    short.content_length = Some(short.body.len() as u64 + 100);
    let bytes = short.bytes(port);
    let mut s = connect(port);
    s.write_all(&bytes).unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    match read_answer(s) {
        Answer::Status(s, body) => assert!(
            s == 400 && body.contains("<Code>IncompleteBody</Code>"),
            "{s} {body}"
        ),
        other => panic!("a short query body: {other:?}"),
    }
    still_serving(port);

    // An absurd declared length for the query services: refused before reading.
    let mut huge = Raw::query_call("iam", "Action=ListUsers&Version=2010-05-08");
    huge.content_length = Some(1 << 40);
    expect(port, &huge, 413, "RequestEntityTooLarge");
    still_serving(port);

    let listing = expect_ok(port, &Raw::new("GET", "/lengths").query("list-type=2"));
    assert!(!listing.contains("<Key>"), "{listing}");
    let users = expect_ok(
        port,
        &Raw::query_call("iam", "Action=ListUsers&Version=2010-05-08"),
    );
    assert!(!users.contains("stall"), "{users}");
}

/// Reads until the server closes the connection; how long that took.
fn time_to_close(mut s: TcpStream) -> Duration {
    let started = Instant::now();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return started.elapsed(),
            Ok(_) => {}
        }
    }
}

#[test]
fn slow_clients_are_cut_off_and_cannot_exhaust_the_server() {
    let server = server();
    let port = server.port;
    expect_ok(port, &Raw::new("PUT", "/slow"));
    let big = vec![b'x'; 8 << 20];
    expect_ok(port, &Raw::new("PUT", "/slow/big.bin").body(&big));

    // Forty connections at once: idle ones, ones that trickle a head, ones that stop mid-body
    // and ones that never read a large response.
    let mut idle = Vec::new();
    let mut trickling = Vec::new();
    let mut stalled_bodies = Vec::new();
    let mut unread = Vec::new();
    for i in 0..10 {
        idle.push(connect(port));
        let mut t = connect(port);
        t.write_all(b"GET /slow/big.bin HTTP/1.1\r\nhost: x\r\n")
            .unwrap();
        trickling.push(t);
        let mut b = connect(port);
        let key = format!("/slow/partial-{i}");
        let mut req = Raw::new("PUT", &key).body(b"partial");
        req.content_length = Some(1000);
        b.write_all(&req.bytes(port)).unwrap();
        stalled_bodies.push(b);
        let mut u = connect(port);
        u.write_all(&Raw::new("GET", "/slow/big.bin").bytes(port))
            .unwrap();
        unread.push(u);
    }
    // Meanwhile everyone else is served at once.
    for _ in 0..5 {
        let started = Instant::now();
        still_serving(port);
        assert!(started.elapsed() < IO_TIMEOUT, "{:?}", started.elapsed());
    }
    // The trickling heads keep sending a byte at a time, yet are closed: the head has a
    // deadline, not an idle limit.
    let started = Instant::now();
    let mut open = trickling.len();
    while open > 0 && started.elapsed() < IO_TIMEOUT * 10 {
        open = 0;
        for t in &mut trickling {
            if t.write_all(b"x").is_ok() {
                open += 1;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut closed_after = started.elapsed();
    for s in idle {
        closed_after = closed_after.max(time_to_close(s));
    }
    for s in trickling {
        closed_after = closed_after.max(time_to_close(s));
    }
    for s in stalled_bodies {
        match read_answer(s) {
            Answer::Status(400, body) => {
                assert!(body.contains("<Code>RequestTimeout</Code>"), "{body}")
            }
            other => panic!("a stalled body: {other:?}"),
        }
    }
    // An unread 8 MiB response fills the socket buffers and then the write deadline ends it:
    // reading now gets less than the whole object.
    std::thread::sleep(IO_TIMEOUT * 3);
    for mut u in unread {
        u.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut got = Vec::new();
        let _ = u.read_to_end(&mut got);
        assert!(
            got.len() < big.len(),
            "an unread response was kept open ({} bytes)",
            got.len()
        );
    }
    assert!(closed_after < IO_TIMEOUT * 10, "{closed_after:?}");
    still_serving(port);
    let listing = expect_ok(port, &Raw::new("GET", "/slow").query("list-type=2"));
    assert!(!listing.contains("partial"), "{listing}");
}

#[test]
fn bad_encodings_get_aws_errors() {
    let server = server();
    let port = server.port;
    expect_ok(port, &Raw::new("PUT", "/encodings"));
    // Percent-encoded bytes that are not UTF-8 in an S3 key.
    expect(
        port,
        &Raw::new("PUT", "/encodings/%FF%FE").body(b"x"),
        400,
        "InvalidURI",
    );
    still_serving(port);
    // Invalid percent-encoding and invalid UTF-8 in query-protocol parameters.
    expect(
        port,
        &Raw::query_call("iam", "Action=CreateUser&UserName=a%zz&Version=2010-05-08"),
        400,
        "MalformedQueryString",
    );
    still_serving(port);
    expect(
        port,
        &Raw::query_call("iam", "Action=CreateUser&UserName=a%FF&Version=2010-05-08"),
        400,
        "MalformedQueryString",
    );
    still_serving(port);
    // Raw bytes above ASCII in a header value are not valid SigV4 input.
    let mut s = connect(port);
    let mut head = Raw::new("GET", "/encodings").head(port);
    let at = head.len() - 2;
    head.splice(at..at, b"x-amz-meta-bad: \xff\xfe\r\n".iter().copied());
    s.write_all(&head).unwrap();
    let got = read_answer(s);
    assert!(
        matches!(status_of(&got), Some(400 | 403)),
        "raw non-ASCII header: {got:?}"
    );
    still_serving(port);
}

#[test]
fn policy_bombs_and_parameter_floods_are_refused() {
    let server = server();
    let port = server.port;
    let user = action_form("iam", "CreateUser", &[("UserName", "target")]);
    expect_ok(port, &Raw::query_call("iam", &user));

    let put = |doc: &str| {
        action_form(
            "iam",
            "PutUserPolicy",
            &[
                ("UserName", "target"),
                ("PolicyName", "p"),
                ("PolicyDocument", doc),
            ],
        )
    };
    // Nested 10,000 deep (within the length limit): refused without exhausting the stack.
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let deep = put(&format!(r#"{{"Version":"2012-10-17","Statement":{deep}}}"#));
    expect(
        port,
        &Raw::query_call("iam", &deep),
        400,
        "MalformedPolicyDocument",
    );
    still_serving(port);
    // Larger than IAM's 2,048-character inline user policy quota.
    let statement = r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#;
    let huge = format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        vec![statement; 1000].join(",")
    );
    let huge = put(&huge);
    expect(port, &Raw::query_call("iam", &huge), 409, "LimitExceeded");
    still_serving(port);
    // Longer than the parameter's 131,072 characters.
    let longest = put(&format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        vec![statement; 3000].join(",")
    ));
    expect(
        port,
        &Raw::query_call("iam", &longest),
        400,
        "ValidationError",
    );
    still_serving(port);
    // Larger than the body limit.
    let enormous = put(&"x".repeat(2 << 20));
    expect(
        port,
        &Raw::query_call("iam", &enormous),
        413,
        "RequestEntityTooLarge",
    );
    still_serving(port);

    // Thousands of parameters, in the form and in an S3 query string.
    let many: String = (0..5000).map(|i| format!("&p{i}=v")).collect::<String>();
    let flood = format!("Action=ListUsers&Version=2010-05-08{many}");
    let body = send(port, &Raw::query_call("iam", &flood));
    assert!(
        matches!(&body, Answer::Status(400, b) if b.contains("<Code>")),
        "{body:?}"
    );
    still_serving(port);
    expect_ok(port, &Raw::new("PUT", "/flood"));
    let q = format!("list-type=2{many}");
    let got = send(port, &Raw::new("GET", "/flood").query(&q));
    assert!(matches!(status_of(&got), Some(200 | 400 | 414)), "{got:?}");
    still_serving(port);
}

#[test]
fn xml_bombs_are_malformed_xml() {
    let server = server();
    let port = server.port;
    expect_ok(port, &Raw::new("PUT", "/xml"));
    expect_ok(port, &Raw::new("PUT", "/xml/a").body(b"a"));
    let lol = br#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<Delete><Object><Key>&lol3;</Key></Object></Delete>"#;
    let external = br#"<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<Delete><Object><Key>&x;</Key></Object></Delete>"#;
    let undeclared = b"<Delete><Object><Key>&nope;</Key></Object></Delete>".to_vec();
    let deep = format!(
        "<Delete>{}{}</Delete>",
        "<Object>".repeat(50_000),
        "</Object>".repeat(50_000)
    );
    for body in [&lol[..], &external[..], &undeclared[..], deep.as_bytes()] {
        let md5 = md5_b64(body);
        expect(
            port,
            &Raw::new("POST", "/xml")
                .query("delete=")
                .header("content-md5", &md5)
                .body(body),
            400,
            "MalformedXML",
        );
        still_serving(port);
    }
    let created = expect_ok(port, &Raw::new("POST", "/xml/mp").query("uploads="));
    let upload = element(&created, "UploadId").unwrap();
    let q = format!("uploadId={upload}");
    expect(
        port,
        &Raw::new("POST", "/xml/mp").query(&q).body(
            br#"<!DOCTYPE c [<!ENTITY e "1">]><CompleteMultipartUpload><Part><PartNumber>&e;</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>"#,
        ),
        400,
        "MalformedXML",
    );
    still_serving(port);
    // The object the bombs named by entity is untouched.
    assert_eq!(expect_ok(port, &Raw::new("GET", "/xml/a")), "a");
}

fn md5_b64(b: &[u8]) -> String {
    use base64::Engine as _;
    use md5::Digest as _;
    base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(b))
}

#[test]
fn traversal_in_keys_and_bucket_names_stays_inside_the_store() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("scenario.toml"), three_accounts()).unwrap();
    let server = Server::start_on_disk(dir);
    let port = server.port;
    expect_ok(port, &Raw::new("PUT", "/trav"));
    let keys = [
        "/trav/../../../../../../tmp/roleplay-escape",
        "/trav/..%2F..%2F..%2Fserver.key",
        "/trav/%2E%2E/%2E%2E/escape",
        "/trav/a/./b/../c",
    ];
    for k in keys {
        expect_ok(port, &Raw::new("PUT", k).body(b"traversal"));
        assert_eq!(expect_ok(port, &Raw::new("GET", k)), "traversal", "{k}");
    }
    let listing = expect_ok(port, &Raw::new("GET", "/trav").query("list-type=2"));
    assert_eq!(elements(&listing, "Key").len(), keys.len(), "{listing}");
    assert!(!std::path::Path::new("/tmp/roleplay-escape").exists());
    // The server key was not overwritten: a session token still opens after the writes.
    let data = server.dir.path().join("data");
    assert_eq!(std::fs::read(data.join("server.key")).unwrap().len(), 32);
    for name in ["..", ".", "%2E%2E", "a%2Fb", "..%2F..%2Fdata"] {
        let got = send(port, &Raw::new("PUT", &format!("/{name}")));
        // `a%2Fb` is bucket `a`, key `b`: NoSuchBucket.
        assert!(
            matches!(&got, Answer::Status(400 | 404, b) if b.contains("<Code>InvalidBucketName</Code>") || b.contains("<Code>NoSuchBucket</Code>")),
            "{name}: {got:?}"
        );
        still_serving(port);
    }
    // Everything written is inside the data folder, under names the store chose.
    let mut stack = vec![data];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            assert!(
                !name.contains("escape") && !name.contains("traversal"),
                "{p:?}"
            );
            if p.is_dir() {
                stack.push(p);
            }
        }
    }
}

/// An IAM action roleplay lacks is `NotImplemented`, so the caller knows the request is
/// right; an action IAM does not have is AWS's `InvalidAction`.
#[test]
fn missing_actions_are_not_implemented_and_unknown_ones_invalid() {
    let server = server();
    let lacking = expect(
        server.port,
        &Raw::query_call(
            "iam",
            "Action=CreateInstanceProfile&InstanceProfileName=web&Version=2010-05-08",
        ),
        501,
        "NotImplemented",
    );
    assert!(
        lacking.contains("CreateInstanceProfile is not implemented by roleplay yet."),
        "{lacking}"
    );
    let unknown = expect(
        server.port,
        &Raw::query_call("iam", "Action=CreateInstanceProfiles&Version=2010-05-08"),
        400,
        "InvalidAction",
    );
    assert!(
        unknown.contains("Could not find operation CreateInstanceProfiles for version 2010-05-08"),
        "{unknown}"
    );
    still_serving(server.port);
}
