//! A request body streamed into a blob, verified on the way: the signed payload hash,
//! aws-chunked chunk signatures and trailers, `x-amz-decoded-content-length`, `Content-MD5`
//! and the `x-amz-checksum-*` headers or trailer. Memory stays bounded by one frame.

use super::{
    chunk_code, computed_checksum, decoder_declared_mismatch, header_str, internal, names,
};
use axum::body::Body;
use axum::http::header;
use axum::http::request::Parts;
use base64::Engine as _;
use bytes::Bytes;
use http_body_util::BodyExt;
use roleplay_engine::s3::S3Error;
use roleplay_sigv4::{ChunkedDecoder, ChunkedLimits, ContentSha256, Verified};
use roleplay_store::{BlobStore, Checksums, CommittedBlob};
use std::collections::BTreeMap;

/// A verified body, durable in the blob store.
pub(crate) struct Received {
    pub(crate) blob: CommittedBlob,
    /// The checksums the client sent and that matched, by upper-case algorithm.
    pub(crate) checksums: BTreeMap<String, String>,
}

fn too_large() -> S3Error {
    S3Error::new(
        "EntityTooLarge",
        400,
        "Your proposed upload exceeds the maximum allowed size",
    )
}

fn incomplete() -> S3Error {
    S3Error::new(
        "IncompleteBody",
        400,
        "You did not provide the number of bytes specified by the Content-Length HTTP header",
    )
}

/// S3's answer to a client that stopped sending its body.
pub(crate) fn request_timeout() -> S3Error {
    S3Error::new(
        "RequestTimeout",
        400,
        "Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.",
    )
}

/// A body that could not be read: the client stalled, or ended it early.
pub(crate) fn read_failure(e: &axum::Error) -> S3Error {
    if crate::conn::timed_out(e) {
        request_timeout()
    } else {
        incomplete()
    }
}

fn checksum_headers(parts: &Parts) -> Vec<(String, String)> {
    [
        ("crc32", names::X_AMZ_CHECKSUM_CRC32),
        ("crc32c", names::X_AMZ_CHECKSUM_CRC32C),
        ("sha1", names::X_AMZ_CHECKSUM_SHA1),
        ("sha256", names::X_AMZ_CHECKSUM_SHA256),
    ]
    .iter()
    .filter_map(|(a, h)| header_str(parts, h).map(|v| ((*a).to_owned(), v.to_owned())))
    .collect()
}

/// Streams `body` into a new blob and verifies it; on any failure the blob is gone.
/// `defer_md5`: the MD5 of a small body is left to the caller (unless `Content-MD5` asks
/// for it to be checked here).
pub(crate) async fn receive_body(
    blobs: &BlobStore,
    parts: &Parts,
    body: Body,
    verified: Option<&Verified>,
    max: u64,
    defer_md5: bool,
) -> Result<Received, S3Error> {
    let declared: Option<u64> =
        header_str(parts, header::CONTENT_LENGTH).and_then(|v| v.parse().ok());
    if declared.is_some_and(|n| n > max) {
        return Err(too_large());
    }
    let payload = verified.and_then(|v| v.claims.content_sha256.clone());
    let mut decoder = match &payload {
        Some(
            p @ (ContentSha256::StreamingSigned
            | ContentSha256::StreamingSignedTrailer
            | ContentSha256::StreamingUnsignedTrailer),
        ) => Some(
            ChunkedDecoder::new(p, verified, ChunkedLimits::default())
                .map_err(|e| S3Error::new("InvalidRequest", 400, e.to_string()))?,
        ),
        _ => None,
    };
    let expected_sha256 = match &payload {
        Some(ContentSha256::Sha256(h)) => Some(h.clone()),
        _ => None,
    };
    let claimed = checksum_headers(parts);
    let trailer_algorithm = header_str(parts, names::X_AMZ_TRAILER)
        .map(|t| t.trim().trim_start_matches("x-amz-checksum-").to_owned());
    let wanted =
        |a: &str| claimed.iter().any(|(k, _)| k == a) || trailer_algorithm.as_deref() == Some(a);
    let checksums = Checksums {
        sha256: expected_sha256.is_some() || wanted("sha256"),
        sha1: wanted("sha1"),
        crc32: wanted("crc32"),
        crc32c: wanted("crc32c"),
        defer_md5: defer_md5 && header_str(parts, names::CONTENT_MD5).is_none(),
    };
    let mut writer = blobs.begin(checksums).map_err(|_| internal())?;
    if decoder.is_none()
        && let Some(n) = declared
    {
        writer.expect(n);
    }

    let mut body = body;
    let mut total: u64 = 0;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| read_failure(&e))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        let bytes = match decoder.as_mut() {
            Some(d) => {
                let mut decoded = Vec::new();
                d.feed(&data, &mut decoded)
                    .map_err(|e| S3Error::new(chunk_code(e.code()), 400, e.to_string()))?;
                Bytes::from(decoded)
            }
            None => data,
        };
        total += bytes.len() as u64;
        if total > max {
            return Err(too_large());
        }
        // Writes land in a 256 KiB buffer; the file write is brief. A large body is hashed
        // on another thread meanwhile.
        writer.write_bytes(bytes).map_err(|_| internal())?;
    }
    let trailers = match decoder {
        Some(d) => d
            .finish()
            .map_err(|e| S3Error::new(chunk_code(e.code()), 400, e.to_string()))?,
        None => Vec::new(),
    };
    if decoder_declared_mismatch(parts, total) {
        return Err(incomplete());
    }
    // A file commit syncs, away from the connections' threads; an inline or memory commit is
    // a move.
    let blob = if !writer.commit_blocks() {
        writer.commit()
    } else {
        tokio::task::spawn_blocking(move || writer.commit())
            .await
            .map_err(|_| internal())?
    }
    .map_err(|_| internal())?;
    let fail = |e: S3Error| {
        let _ = blobs.delete(&blob.id);
        Err(e)
    };
    if let (Some(expected), Some(actual)) = (&expected_sha256, blob.sha256)
        && *expected != hex::encode(actual)
    {
        return fail(S3Error::new(
            "XAmzContentSHA256Mismatch",
            400,
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        ));
    }
    if let Some(md5) = header_str(parts, names::CONTENT_MD5) {
        let ok = base64::engine::general_purpose::STANDARD
            .decode(md5.trim())
            .ok()
            .is_some_and(|d| blob.md5.is_some_and(|md5| d == md5));
        if !ok {
            return fail(S3Error::new(
                "BadDigest",
                400,
                "The Content-MD5 you specified did not match what we received.",
            ));
        }
    }
    let mut stored = BTreeMap::new();
    let trailer_claims = trailers.iter().filter_map(|t| {
        t.name
            .strip_prefix("x-amz-checksum-")
            .map(|a| (a.to_owned(), t.value.clone()))
    });
    for (algorithm, value) in claimed.into_iter().chain(trailer_claims) {
        match computed_checksum(&blob, &algorithm) {
            Some(actual) if actual == value => {
                stored.insert(algorithm.to_ascii_uppercase(), actual);
            }
            _ => {
                return fail(S3Error::new(
                    "BadDigest",
                    400,
                    format!(
                        "The {} you specified did not match the calculated checksum.",
                        algorithm.to_ascii_uppercase()
                    ),
                ));
            }
        }
    }
    Ok(Received {
        blob,
        checksums: stored,
    })
}

/// A small request body (an XML document), verified as [`receive_body`] verifies, in memory.
pub(crate) async fn receive_small(
    blobs: &BlobStore,
    parts: &Parts,
    body: Body,
    verified: Option<&Verified>,
    max: u64,
) -> Result<Vec<u8>, S3Error> {
    let received = receive_body(blobs, parts, body, verified, max, true)
        .await
        .map_err(|e| {
            if e.code == "EntityTooLarge" {
                S3Error::new("MaxMessageLengthExceeded", 400, "Your request was too big.")
            } else {
                e
            }
        })?;
    let id = received.blob.id.clone();
    let segments = [received.blob.segment()];
    let blobs2 = blobs.clone();
    let read = tokio::task::spawn_blocking(move || {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut blobs2.open_body(&segments)?, &mut out).map(|_| out)
    })
    .await;
    let _ = blobs.delete(&id);
    read.map_err(|_| internal())?.map_err(|_| internal())
}
