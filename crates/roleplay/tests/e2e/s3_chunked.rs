//! aws-chunked uploads through the server: chunk signatures verified on the way in, a
//! tampered chunk refused, the decoded object stored.

use crate::harness::*;
use roleplay_sigv4::{
    ChunkSigner, Credentials, RequestView, SessionTokenMode, SigningKey, SigningParams,
    SigningSettings, sign_request,
};
use std::io::{Read, Write};
use std::net::TcpStream;

const CHUNK: usize = 64 * 1024;

/// Sends a PutObject whose body is aws-chunked with chunk signatures; `tamper` flips a byte
/// of the second chunk's data after signing. Returns the status line.
fn chunked_put(port: u16, key: &str, data: &[u8], tamper: bool) -> String {
    let host = format!("127.0.0.1:{port}");
    let chunks: Vec<&[u8]> = data.chunks(CHUNK).collect();
    // Each chunk: hex size, ";chunk-signature=", 64 hex digits, CRLF, data, CRLF.
    let framed = |n: usize| format!("{n:x}").len() + 17 + 64 + 2 + n + 2;
    let encoded: usize = chunks.iter().map(|c| framed(c.len())).sum::<usize>() + framed(0);
    let decoded = data.len().to_string();
    let length = encoded.to_string();
    let path = format!("/chunked-b/{key}");
    let headers: Vec<(&str, &str)> = vec![
        ("host", &host),
        ("content-length", &length),
        ("content-encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", &decoded),
    ];
    let now = time::OffsetDateTime::now_utc();
    let view = RequestView {
        method: "PUT",
        path: &path,
        query: "",
        headers: &headers,
        payload_hash: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    };
    let signed = sign_request(
        &view,
        &SigningParams {
            credentials: Credentials {
                access_key_id: B_ROOT.0,
                secret_access_key: B_ROOT.1,
                session_token: None,
            },
            region: "us-east-1",
            service: "s3",
            time: now,
            settings: SigningSettings::S3,
            session_token_mode: SessionTokenMode::Signed,
        },
    )
    .unwrap();
    let amz_date = signed
        .headers
        .iter()
        .find(|(k, _)| k == "x-amz-date")
        .map(|(_, v)| v.clone())
        .unwrap();
    let date = &amz_date[..8];
    let scope = format!("{date}/us-east-1/s3/aws4_request");
    let key = SigningKey::derive(B_ROOT.1, date, "us-east-1", "s3");
    let mut signer = ChunkSigner::new(key, &amz_date, &scope, &signed.signature);
    let mut body = Vec::with_capacity(encoded);
    for (i, c) in chunks.iter().enumerate() {
        let sig = signer.sign_chunk(c);
        body.extend_from_slice(format!("{:x};chunk-signature={sig}\r\n", c.len()).as_bytes());
        let start = body.len();
        body.extend_from_slice(c);
        if tamper && i == 1 {
            body[start] ^= 1;
        }
        body.extend_from_slice(b"\r\n");
    }
    let last = signer.sign_chunk(&[]);
    body.extend_from_slice(format!("0;chunk-signature={last}\r\n\r\n").as_bytes());
    assert_eq!(body.len(), encoded);

    let mut head = format!("PUT {path} HTTP/1.1\r\n");
    for (k, v) in headers
        .iter()
        .map(|(k, v)| (*k, *v))
        .chain(signed.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("connection: close\r\n\r\n");
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer).into_owned();
    text.lines().next().unwrap_or_default().to_owned()
}

#[test]
fn aws_chunked_uploads_are_verified_chunk_by_chunk() {
    let server = Server::start(&three_accounts());
    let mut sb = Sandbox::new(&server);
    sb.keys("b-root", B_ROOT.0, B_ROOT.1);
    sb.aws(&[
        "s3api",
        "create-bucket",
        "--bucket",
        "chunked-b",
        "--profile",
        "b-root",
    ])
    .json();
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();

    let status = chunked_put(server.port, "good.bin", &data, false);
    assert!(status.contains(" 200 "), "{status}");
    let back = sb.home.path().join("good.bin");
    sb.aws(&[
        "s3api",
        "get-object",
        "--bucket",
        "chunked-b",
        "--key",
        "good.bin",
        back.to_str().unwrap(),
        "--profile",
        "b-root",
    ])
    .json();
    assert_eq!(std::fs::read(&back).unwrap(), data);

    // One flipped byte in the second chunk: its signature no longer matches.
    let status = chunked_put(server.port, "bad.bin", &data, true);
    assert!(
        status.contains(" 403 ") || status.contains(" 400 "),
        "{status}"
    );
    sb.aws(&[
        "s3api",
        "head-object",
        "--bucket",
        "chunked-b",
        "--key",
        "bad.bin",
        "--profile",
        "b-root",
    ])
    .error("404");
}
