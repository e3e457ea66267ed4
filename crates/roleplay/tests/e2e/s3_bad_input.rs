//! The bad-input suite: signed requests over a plain TCP socket that S3 answers with an error,
//! each with AWS's status and code, and the server still serving afterwards.

use crate::harness::*;
use roleplay_sigv4::{
    Credentials, RequestView, SessionTokenMode, SigningParams, SigningSettings, sha256_hex,
    sign_request,
};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

/// One raw request: what is signed, and what is put on the wire.
struct Raw<'a> {
    method: &'a str,
    /// The path exactly as sent (already percent-encoded, or deliberately not).
    path: &'a str,
    query: &'a str,
    headers: Vec<(&'a str, String)>,
    body: &'a [u8],
    /// Signed as `x-amz-content-sha256` instead of the body's real hash.
    payload_hash: Option<String>,
    /// Sent as `Content-Length` instead of the body's real length.
    content_length: Option<u64>,
}

impl<'a> Raw<'a> {
    fn new(method: &'a str, path: &'a str) -> Self {
        Raw {
            method,
            path,
            query: "",
            headers: Vec::new(),
            body: b"",
            payload_hash: None,
            content_length: None,
        }
    }

    fn query(mut self, q: &'a str) -> Self {
        self.query = q;
        self
    }

    fn header(mut self, name: &'a str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }

    fn body(mut self, body: &'a [u8]) -> Self {
        self.body = body;
        self
    }

    /// The bytes of the signed request (head and body).
    fn bytes(&self, port: u16) -> Vec<u8> {
        let host = format!("127.0.0.1:{port}");
        let payload_hash = self
            .payload_hash
            .clone()
            .unwrap_or_else(|| sha256_hex(self.body));
        let length = self
            .content_length
            .unwrap_or(self.body.len() as u64)
            .to_string();
        let mut headers: Vec<(&str, &str)> = vec![("host", &host), ("content-length", &length)];
        headers.extend(self.headers.iter().map(|(k, v)| (*k, v.as_str())));
        let view = RequestView {
            method: self.method,
            path: self.path,
            query: self.query,
            headers: &headers,
            payload_hash: &payload_hash,
        };
        let signed = sign_request(
            &view,
            &SigningParams {
                credentials: Credentials {
                    access_key_id: A_ROOT.0,
                    secret_access_key: A_ROOT.1,
                    session_token: None,
                },
                region: "us-east-1",
                service: "s3",
                time: time::OffsetDateTime::now_utc(),
                settings: SigningSettings::S3,
                session_token_mode: SessionTokenMode::Signed,
            },
        )
        .unwrap();
        let target = if self.query.is_empty() {
            self.path.to_owned()
        } else {
            format!("{}?{}", self.path, self.query)
        };
        let mut head = format!("{} {target} HTTP/1.1\r\n", self.method);
        for (k, v) in headers
            .iter()
            .map(|(k, v)| (*k, *v))
            .chain(signed.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("connection: close\r\n\r\n");
        let mut out = head.into_bytes();
        out.extend_from_slice(self.body);
        out
    }
}

/// What came back: the status and body, or nothing (a closed connection, or a timeout).
#[derive(Debug)]
enum Answer {
    Status(u16, String),
    Closed,
    TimedOut,
}

fn read_answer(mut stream: TcpStream) -> Answer {
    let mut got = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                if got.is_empty() {
                    return Answer::TimedOut;
                }
                break;
            }
            Err(_) => break,
        }
    }
    let text = String::from_utf8_lossy(&got).into_owned();
    let Some(status) = text
        .strip_prefix("HTTP/1.1 ")
        .and_then(|r| r.get(..3))
        .and_then(|s| s.parse().ok())
    else {
        return Answer::Closed;
    };
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Answer::Status(status, body)
}

fn connect(port: u16) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

fn send(port: u16, req: &Raw<'_>) -> Answer {
    let mut s = connect(port);
    // The server may answer (and close) before the whole body is written.
    let _ = s.write_all(&req.bytes(port));
    read_answer(s)
}

/// Asserts an S3 error with this status and code.
fn expect(port: u16, req: &Raw<'_>, status: u16, code: &str) {
    let got = send(port, req);
    let Answer::Status(s, body) = &got else {
        panic!(
            "{} {}: expected {status} {code}, got {got:?}",
            req.method, req.path
        );
    };
    assert_eq!(
        *s, status,
        "{} {}: expected {code}, got {body}",
        req.method, req.path
    );
    assert!(
        body.contains(&format!("<Code>{code}</Code>")),
        "{} {}: expected {code}, got {body}",
        req.method,
        req.path
    );
}

fn expect_ok(port: u16, req: &Raw<'_>) -> String {
    match send(port, req) {
        Answer::Status(200, body) => body,
        other => panic!("{} {}: expected 200, got {other:?}", req.method, req.path),
    }
}

#[test]
fn bad_input_gets_s3_errors_and_the_server_keeps_serving() {
    let server = Server::start(&three_accounts());
    let port = server.port;
    expect_ok(port, &Raw::new("PUT", "/bad-input"));
    expect_ok(
        port,
        &Raw::new("PUT", "/bad-input/ten.txt").body(b"0123456789"),
    );

    // A connection that declares a body longer than it sends, and stalls: the others are served
    // meanwhile.
    let mut stalled = connect(port);
    let mut stalled_req = Raw::new("PUT", "/bad-input/stalled.txt").body(b"short");
    stalled_req.content_length = Some(100);
    stalled.write_all(&stalled_req.bytes(port)).unwrap();

    // Malformed XML bodies.
    expect(
        port,
        &Raw::new("PUT", "/bad-xml-bucket").body(b"<CreateBucketConfiguration><Location"),
        400,
        "MalformedXML",
    );
    expect(
        port,
        &Raw::new("PUT", "/bad-xml-bucket").body(b"this is not xml at all"),
        400,
        "MalformedXML",
    );
    let created = expect_ok(
        port,
        &Raw::new("POST", "/bad-input/mp.bin").query("uploads="),
    );
    let upload_id = created
        .split_once("<UploadId>")
        .and_then(|(_, r)| r.split_once("</UploadId>"))
        .map(|(id, _)| id.to_owned())
        .unwrap_or_else(|| panic!("no UploadId in {created}"));
    let q = format!("uploadId={upload_id}");
    expect(
        port,
        &Raw::new("POST", "/bad-input/mp.bin")
            .query(&q)
            .body(b"<CompleteMultipartUpload><Part><PartNumber>1</Part>"),
        400,
        "MalformedXML",
    );

    // Content-MD5 of other bytes (the MD5 of the empty string).
    expect(
        port,
        &Raw::new("PUT", "/bad-input/md5.txt")
            .header("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg==")
            .body(b"hello"),
        400,
        "BadDigest",
    );
    // A CRC32 of other bytes (the CRC32 of the empty string).
    expect(
        port,
        &Raw::new("PUT", "/bad-input/crc.txt")
            .header("x-amz-checksum-crc32", "AAAAAA==")
            .body(b"hello"),
        400,
        "BadDigest",
    );
    // x-amz-content-sha256 of other bytes.
    let mut wrong_sha = Raw::new("PUT", "/bad-input/sha.txt").body(b"hello");
    wrong_sha.payload_hash = Some(sha256_hex(b"goodbye"));
    expect(port, &wrong_sha, 400, "XAmzContentSHA256Mismatch");

    // A range that starts past the end of a 10-byte object.
    expect(
        port,
        &Raw::new("GET", "/bad-input/ten.txt").header("range", "bytes=20-30"),
        416,
        "InvalidRange",
    );

    // An absurd declared length, refused before the body is read.
    let mut huge = Raw::new("PUT", "/bad-input/huge.bin").body(b"tiny");
    huge.content_length = Some(99_999_999_999_999);
    expect(port, &huge, 400, "EntityTooLarge");

    // Invalid bucket names.
    for name in ["Bad_Name", "ab", "a..b", "192.168.1.1"] {
        expect(
            port,
            &Raw::new("PUT", &format!("/{name}")),
            400,
            "InvalidBucketName",
        );
    }

    // Keys longer than 1024 bytes.
    let long_key = format!("/bad-input/{}", "k".repeat(1025));
    expect(
        port,
        &Raw::new("PUT", &long_key).body(b"x"),
        400,
        "KeyTooLongError",
    );

    // Invalid percent-encoding in the path.
    expect(port, &Raw::new("GET", "/bad-input/%zz"), 400, "InvalidURI");

    // A declared length longer than the body, the client then ending its side: an error or a
    // closed connection, never a hang.
    let mut short = connect(port);
    let mut short_req = Raw::new("PUT", "/bad-input/short.txt").body(b"short");
    short_req.content_length = Some(100);
    short.write_all(&short_req.bytes(port)).unwrap();
    short.shutdown(Shutdown::Write).unwrap();
    match read_answer(short) {
        Answer::Status(s, body) => assert!(
            s == 400 && body.contains("<Code>IncompleteBody</Code>"),
            "{s} {body}"
        ),
        Answer::Closed => {}
        Answer::TimedOut => panic!("a short body left the connection hanging"),
    }

    // After all of it, normal requests still work, and nothing bad was stored.
    expect_ok(
        port,
        &Raw::new("PUT", "/bad-input/after.txt").body(b"still here"),
    );
    assert_eq!(
        expect_ok(port, &Raw::new("GET", "/bad-input/after.txt")),
        "still here"
    );
    let listing = expect_ok(port, &Raw::new("GET", "/bad-input").query("list-type=2"));
    for bad in [
        "md5.txt",
        "crc.txt",
        "sha.txt",
        "huge.bin",
        "short.txt",
        "mp.bin",
    ] {
        assert!(!listing.contains(bad), "{bad} was stored: {listing}");
    }
    drop(stalled);
}
