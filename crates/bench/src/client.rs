//! A bare HTTP/1.1 keep-alive client (hyper's connection API, one connection per worker)
//! and SigV4 signing of each request with `roleplay_sigv4::sign_request`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use anyhow::Context as _;
use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt as _;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use roleplay_sigv4::{
    Credentials, RequestView, SessionTokenMode, SigningParams, SigningSettings, sign_request,
};
use time::OffsetDateTime;

/// An access key pair.
#[derive(Clone)]
pub struct Keys {
    /// Access key id.
    pub id: String,
    /// Secret access key.
    pub secret: String,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// One request to sign and send, without its body.
#[derive(Debug, Clone)]
pub struct Call {
    /// HTTP method.
    pub method: &'static str,
    /// Path as sent (already percent-encoded).
    pub path: String,
    /// Query as sent, without `?`.
    pub query: String,
    /// Credential-scope service: `sts` or `s3`.
    pub service: &'static str,
    /// `content-type`, signed when present.
    pub content_type: Option<&'static str>,
    /// Hex SHA-256 of the body, or `UNSIGNED-PAYLOAD` (S3 only).
    pub payload_hash: String,
    /// Body length.
    pub content_length: u64,
}

/// Signs `call` for `host` at `now`; returns the headers to send besides `host`,
/// `content-type` and `content-length`.
pub fn sign(
    call: &Call,
    host: &str,
    keys: &Keys,
    region: &str,
    now: OffsetDateTime,
) -> anyhow::Result<Vec<(String, String)>> {
    let mut headers: Vec<(&str, &str)> = vec![("host", host)];
    if let Some(ct) = call.content_type {
        headers.push(("content-type", ct));
    }
    let view = RequestView {
        method: call.method,
        path: &call.path,
        query: &call.query,
        headers: &headers,
        payload_hash: &call.payload_hash,
    };
    let settings = if call.service == "s3" {
        SigningSettings::S3
    } else {
        SigningSettings::QUERY
    };
    let signed = sign_request(
        &view,
        &SigningParams {
            credentials: Credentials {
                access_key_id: &keys.id,
                secret_access_key: &keys.secret,
                session_token: None,
            },
            region,
            service: call.service,
            time: now,
            settings,
            session_token_mode: SessionTokenMode::Signed,
        },
    )
    .map_err(|e| anyhow::anyhow!("signing: {e}"))?;
    Ok(signed.headers)
}

/// Builds the HTTP request for `call` with its signed headers and `body`.
pub fn request<B>(
    call: &Call,
    host: &str,
    signed: &[(String, String)],
    body: B,
) -> anyhow::Result<hyper::Request<B>> {
    let uri = if call.query.is_empty() {
        call.path.clone()
    } else {
        format!("{}?{}", call.path, call.query)
    };
    let mut builder = hyper::Request::builder()
        .method(call.method)
        .uri(uri)
        .header("host", host)
        .header("content-length", call.content_length);
    if let Some(ct) = call.content_type {
        builder = builder.header("content-type", ct);
    }
    for (name, value) in signed {
        builder = builder.header(name.as_str(), value.as_str());
    }
    builder.body(body).context("building a request")
}

/// Opens a keep-alive HTTP/1.1 connection (`TCP_NODELAY`) and drives it on a task.
pub async fn connect<B>(addr: SocketAddr) -> anyhow::Result<SendRequest<B>>
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .with_context(|| format!("connecting to {addr}"))?;
    stream.set_nodelay(true)?;
    let (sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

/// Whether the server keeps the connection open after `resp` (HTTP/1.1 without
/// `connection: close`). moto's development server answers HTTP/1.0 and closes.
fn reusable<T>(resp: &hyper::Response<T>) -> bool {
    resp.version() == hyper::Version::HTTP_11
        && !resp
            .headers()
            .get_all(hyper::header::CONNECTION)
            .iter()
            .any(|v| v.as_bytes().eq_ignore_ascii_case(b"close"))
}

/// A keep-alive connection that reconnects when the server closed it.
#[derive(Debug)]
pub struct Conn<B> {
    addr: SocketAddr,
    sender: Option<SendRequest<B>>,
}

impl<B> Conn<B>
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    /// A connection to `addr`, opened on first use.
    #[must_use]
    pub fn new(addr: SocketAddr) -> Self {
        Self { addr, sender: None }
    }

    async fn ready(&mut self) -> anyhow::Result<&mut SendRequest<B>> {
        if self.sender.as_ref().is_none_or(SendRequest::is_closed) {
            self.sender = Some(connect(self.addr).await?);
        }
        let sender = self.sender.as_mut().context("no connection")?;
        sender.ready().await?;
        Ok(sender)
    }

    /// Sends `req` and reads the whole response body. On any error the connection is
    /// dropped and the next request opens a new one.
    pub async fn send(&mut self, req: hyper::Request<B>) -> anyhow::Result<(u16, Bytes)> {
        let result = async {
            let resp = self.ready().await?.send_request(req).await?;
            let keep = reusable(&resp);
            let status = resp.status().as_u16();
            let body = resp.into_body().collect().await?.to_bytes();
            anyhow::Ok((status, body, keep))
        }
        .await;
        match result {
            Ok((status, body, keep)) => {
                if !keep {
                    self.sender = None;
                }
                Ok((status, body))
            }
            Err(e) => {
                self.sender = None;
                Err(e)
            }
        }
    }

    /// Sends `req` and counts the response body's bytes without keeping them; returns the
    /// status, the count and the body's first KiB (for an error code).
    pub async fn send_counting(
        &mut self,
        req: hyper::Request<B>,
    ) -> anyhow::Result<(u16, u64, Bytes)> {
        let result = async {
            let resp = self.ready().await?.send_request(req).await?;
            let keep = reusable(&resp);
            let status = resp.status().as_u16();
            let mut body = resp.into_body();
            let mut count = 0u64;
            let mut head = Bytes::new();
            while let Some(frame) = body.frame().await {
                if let Ok(data) = frame?.into_data() {
                    count += data.len() as u64;
                    if head.is_empty() {
                        head = data.slice(..data.len().min(1024));
                    }
                }
            }
            anyhow::Ok((status, count, head, keep))
        }
        .await;
        match result {
            Ok((status, count, head, keep)) => {
                if !keep {
                    self.sender = None;
                }
                Ok((status, count, head))
            }
            Err(e) => {
                self.sender = None;
                Err(e)
            }
        }
    }

    /// Forgets the connection (after a timeout, say).
    pub fn reset(&mut self) {
        self.sender = None;
    }
}

/// A body of `remaining` bytes made of one repeated chunk, never held whole in memory.
#[derive(Debug)]
pub struct RepeatBody {
    chunk: Bytes,
    remaining: u64,
}

impl RepeatBody {
    /// `len` bytes of `chunk` repeated (the last piece cut short).
    #[must_use]
    pub fn new(chunk: Bytes, len: u64) -> Self {
        Self {
            chunk,
            remaining: len,
        }
    }
}

impl Body for RepeatBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        if this.remaining == 0 || this.chunk.is_empty() {
            return Poll::Ready(None);
        }
        let n = usize::try_from(this.remaining)
            .unwrap_or(usize::MAX)
            .min(this.chunk.len());
        this.remaining -= n as u64;
        Poll::Ready(Some(Ok(Frame::data(this.chunk.slice(..n)))))
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

/// Percent-encodes a form value (everything but unreserved characters).
#[must_use]
pub fn form_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
