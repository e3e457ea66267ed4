//! The bad-input suite: signed requests over a plain TCP socket that S3 answers with an error,
//! each with AWS's status and code, and the server still serving afterwards.

use crate::harness::*;
use crate::raw::*;
use roleplay_sigv4::sha256_hex;
use std::io::Write;
use std::net::Shutdown;

#[test]
fn bad_input_gets_s3_errors_and_the_server_keeps_serving() {
    let server = Server::start(&three_accounts());
    let port = server.port;
    expect_ok(port, &Raw::new("PUT", "/bad-input"));
    expect_ok(
        port,
        &Raw::new("PUT", "/bad-input/ten.txt").body(b"0123456789"),
    );
    // Object subresources roleplay does not serve are refused, never taken for the plain
    // operation: a retention document must not replace the object's bytes.
    expect(
        port,
        &Raw::new("PUT", "/bad-input/ten.txt")
            .query("retention")
            .body(b"<Retention><Mode>GOVERNANCE</Mode></Retention>"),
        501,
        "NotImplemented",
    );
    expect(
        port,
        &Raw::new("GET", "/bad-input/ten.txt").query("attributes"),
        501,
        "NotImplemented",
    );
    assert_eq!(
        expect_ok(port, &Raw::new("GET", "/bad-input/ten.txt")),
        "0123456789"
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
