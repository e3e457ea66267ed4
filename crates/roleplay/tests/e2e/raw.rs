//! Signed HTTP/1.1 requests over a plain TCP socket, byte for byte as written here: for
//! inputs no SDK would send, and for many clients at once without spawning a CLI each.

use roleplay_sigv4::{
    Credentials, RequestView, SessionTokenMode, SigningParams, SigningSettings, sha256_hex,
    sign_request,
};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Who signs: an access key, its secret and, for temporary credentials, the session token.
#[derive(Debug, Clone)]
pub struct Key {
    pub id: String,
    pub secret: String,
    pub token: Option<String>,
}

impl Key {
    pub fn new(id: &str, secret: &str) -> Key {
        Key {
            id: id.to_owned(),
            secret: secret.to_owned(),
            token: None,
        }
    }

    /// The `Credentials` of an AssumeRole answer in the query protocol's XML.
    pub fn from_credentials_xml(xml: &str) -> Key {
        Key {
            id: element(xml, "AccessKeyId").unwrap_or_else(|| panic!("no key in {xml}")),
            secret: element(xml, "SecretAccessKey").unwrap_or_else(|| panic!("no secret")),
            token: Some(element(xml, "SessionToken").unwrap_or_else(|| panic!("no token"))),
        }
    }
}

/// The text of the first `<name>` element.
pub fn element(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    xml.split_once(&open)
        .and_then(|(_, r)| r.split_once(&close))
        .map(|(v, _)| v.to_owned())
}

/// The texts of every `<name>` element.
pub fn elements(xml: &str, name: &str) -> Vec<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    xml.split(&open)
        .skip(1)
        .filter_map(|r| r.split_once(&close).map(|(v, _)| v.to_owned()))
        .collect()
}

/// One raw request: what is signed, and what is put on the wire.
pub struct Raw<'a> {
    pub method: &'a str,
    /// The path exactly as sent (already percent-encoded, or deliberately not).
    pub path: &'a str,
    pub query: &'a str,
    pub headers: Vec<(&'a str, String)>,
    pub body: &'a [u8],
    /// Signed as `x-amz-content-sha256` instead of the body's real hash.
    pub payload_hash: Option<String>,
    /// Sent as `Content-Length` instead of the body's real length.
    pub content_length: Option<u64>,
    /// The signer; the root of account A unless set.
    pub key: Key,
    /// `s3`, `iam` or `sts`.
    pub service: &'a str,
    /// The signing time; now unless set (a test that moves the server's clock signs at its
    /// time).
    pub time: Option<time::OffsetDateTime>,
    /// Sent without an `Authorization` header.
    pub unsigned: bool,
}

impl<'a> Raw<'a> {
    pub fn new(method: &'a str, path: &'a str) -> Self {
        Raw {
            method,
            path,
            query: "",
            headers: Vec::new(),
            body: b"",
            payload_hash: None,
            content_length: None,
            key: Key::new(crate::harness::A_ROOT.0, crate::harness::A_ROOT.1),
            service: "s3",
            time: None,
            unsigned: false,
        }
    }

    /// A query-protocol call (`POST /` with a form body) to IAM or STS.
    pub fn query_call(service: &'a str, form: &'a str) -> Self {
        let mut r = Raw::new("POST", "/").body(form.as_bytes());
        r.service = service;
        r.header(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )
    }

    pub fn query(mut self, q: &'a str) -> Self {
        self.query = q;
        self
    }

    pub fn header(mut self, name: &'a str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }

    pub fn body(mut self, body: &'a [u8]) -> Self {
        self.body = body;
        self
    }

    pub fn key(mut self, key: &Key) -> Self {
        self.key = key.clone();
        self
    }

    /// The signed head (request line and headers, ending in the blank line).
    pub fn head(&self, port: u16) -> Vec<u8> {
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
        let settings = if self.service == "s3" {
            SigningSettings::S3
        } else {
            SigningSettings::QUERY
        };
        let signed = if self.unsigned {
            Vec::new()
        } else {
            sign_request(
                &view,
                &SigningParams {
                    credentials: Credentials {
                        access_key_id: &self.key.id,
                        secret_access_key: &self.key.secret,
                        session_token: self.key.token.as_deref(),
                    },
                    region: "us-east-1",
                    service: self.service,
                    time: self.time.unwrap_or_else(time::OffsetDateTime::now_utc),
                    settings,
                    session_token_mode: SessionTokenMode::Signed,
                },
            )
            .unwrap()
            .headers
        };
        let target = if self.query.is_empty() {
            self.path.to_owned()
        } else {
            format!("{}?{}", self.path, self.query)
        };
        let mut head = format!("{} {target} HTTP/1.1\r\n", self.method);
        for (k, v) in headers
            .iter()
            .map(|(k, v)| (*k, *v))
            .chain(signed.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("connection: close\r\n\r\n");
        head.into_bytes()
    }

    /// The bytes of the signed request (head and body).
    pub fn bytes(&self, port: u16) -> Vec<u8> {
        let mut out = self.head(port);
        out.extend_from_slice(self.body);
        out
    }
}

/// What came back: the status and body, or nothing (a closed connection, or a timeout).
#[derive(Debug)]
pub enum Answer {
    Status(u16, String),
    Closed,
    TimedOut,
}

/// A response: status, lower-cased headers, body.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The S3 or query-protocol error code of an error answer.
    pub fn code(&self) -> Option<String> {
        element(&self.text(), "Code")
    }
}

/// Reads until the server closes; `None` if nothing came before the read timeout.
pub fn read_response(stream: &mut TcpStream) -> Result<Response, Answer> {
    let mut got = Vec::new();
    let mut buf = [0u8; 65536];
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
                    return Err(Answer::TimedOut);
                }
                break;
            }
            Err(_) => break,
        }
    }
    let Some(split) = got.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Err(Answer::Closed);
    };
    let head = String::from_utf8_lossy(&got[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let Some(status) = lines
        .next()
        .and_then(|l| l.strip_prefix("HTTP/1.1 "))
        .and_then(|r| r.get(..3))
        .and_then(|s| s.parse().ok())
    else {
        return Err(Answer::Closed);
    };
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = got[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Ok(Response {
        status,
        headers,
        body,
    })
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = b.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&b[..end])
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next().unwrap_or("").trim(), 16).ok())
            .unwrap_or(0);
        if size == 0 || b.len() < end + 2 + size {
            break;
        }
        out.extend_from_slice(&b[end + 2..end + 2 + size]);
        b = &b[(end + 4 + size).min(b.len())..];
    }
    out
}

pub fn read_answer(mut stream: TcpStream) -> Answer {
    match read_response(&mut stream) {
        Ok(r) => Answer::Status(r.status, r.text()),
        Err(a) => a,
    }
}

pub fn connect(port: u16) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(30))).unwrap();
    s
}

pub fn send(port: u16, req: &Raw<'_>) -> Answer {
    // Signed before connecting: hashing a large body must not count against the server's
    // header timeout.
    let bytes = req.bytes(port);
    let mut s = connect(port);
    // The server may answer (and close) before the whole body is written.
    let _ = s.write_all(&bytes);
    read_answer(s)
}

/// Sends `req`; an I/O failure (the server gone) is an `Err`.
pub fn call(port: u16, req: &Raw<'_>) -> Result<Response, String> {
    let bytes = req.bytes(port);
    let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(60)))
        .map_err(|e| e.to_string())?;
    s.write_all(&bytes).map_err(|e| e.to_string())?;
    read_response(&mut s).map_err(|a| format!("{a:?}"))
}

/// Asserts an error answer with this status and code; returns its body.
pub fn expect(port: u16, req: &Raw<'_>, status: u16, code: &str) -> String {
    let got = match send(port, req) {
        // Keep failure messages readable when the request echoes a huge input.
        Answer::Status(s, b) if b.len() > 4000 && !b.contains(&format!("<Code>{code}</Code>")) => {
            Answer::Status(s, b.chars().take(4000).collect())
        }
        other => other,
    };
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
    body.clone()
}

pub fn expect_ok(port: u16, req: &Raw<'_>) -> String {
    match send(port, req) {
        Answer::Status(200 | 204, body) => body,
        other => panic!("{} {}: expected 200, got {other:?}", req.method, req.path),
    }
}
