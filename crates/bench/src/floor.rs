//! The floor: an HTTP/1.1 server that reads each request's body and answers 200 at once,
//! with no signature check, authorization, storage or log. The same load against it shows
//! what the load tool, hyper and loopback TCP cost on this machine, and so the highest rate
//! any server built the same way could reach beside the load tool: the ceiling of every
//! ratio `bench/compare` prints.
//!
//! Answers are about the size of the real ones for the small operations: 4 KiB for a GET
//! (GetObject of the 4 KiB object), 1 KiB for a POST (an STS answer), nothing otherwise
//! (PutObject). A ListObjectsV2 of 1,000 keys answers far more than 4 KiB, so the floor
//! says nothing about listing.

use std::convert::Infallible;
use std::io;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::header::{ETAG, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;

/// The bytes answers are cut from.
static FILLER: [u8; 4096] = [b'x'; 4096];

/// How many bytes the floor answers `method` with.
#[must_use]
pub fn answer_len(method: &Method) -> usize {
    match *method {
        Method::GET => 4096,
        Method::POST => 1024,
        _ => 0,
    }
}

/// Serves the floor on `listener` until the task is dropped. Accept errors (a full file
/// table, say) are skipped, not fatal.
pub async fn serve(listener: tokio::net::TcpListener) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service_fn(answer))
                .await;
        });
    }
}

/// Drains the body frame by frame (a 1 GiB upload is never held), then answers.
async fn answer(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let len = answer_len(req.method());
    let mut body = req.into_body();
    while let Some(frame) = body.frame().await {
        if frame.is_err() {
            break;
        }
    }
    let mut resp = Response::new(Full::new(Bytes::from_static(
        FILLER.get(..len).unwrap_or_default(),
    )));
    resp.headers_mut().insert(
        ETAG,
        HeaderValue::from_static("\"d41d8cd98f00b204e9800998ecf8427e\""),
    );
    Ok(resp)
}

/// Binds `addr` (which must be loopback) for [`serve`].
pub async fn bind(addr: std::net::SocketAddr) -> io::Result<tokio::net::TcpListener> {
    if !addr.ip().is_loopback() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("the floor listens on loopback only, not {addr}"),
        ));
    }
    tokio::net::TcpListener::bind(addr).await
}
