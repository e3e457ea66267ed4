//! Multipart uploads on the wire: create, upload part (streamed like `PutObject`), upload
//! part copy (`x-amz-copy-source-range`), complete (XML body), abort, list parts, list
//! uploads.

use super::body::{receive_body, receive_small};
use super::{Ctx, MAX_PUT, S3_NS, empty, header_str, internal, malformed_xml, xml_response};
use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use roleplay_engine::s3::multipart::{CompletedPart, MAX_PART_NUMBER};
use roleplay_engine::s3::{ObjectMeta, S3Error, canonical_id};
use roleplay_engine::{Identity, RequestInfo};
use roleplay_sigv4::Verified;
use roleplay_store::{BlobStore, Checksums, MultipartUpload, NULL_VERSION, Part, UploadQuery};
use roleplay_wire::s3_route::S3Op;
use roleplay_wire::xml::XmlWriter;
use roleplay_wire::xml_read;
use std::io::{Read, Seek, SeekFrom, Write};

/// A `CompleteMultipartUpload` body for 10,000 parts with checksums fits.
const MAX_COMPLETE_BODY: u64 = 4 * 1024 * 1024;
const COPY_CHUNK: usize = 256 * 1024;

/// One multipart request.
pub(super) struct Request<'a> {
    pub(super) ctx: &'a Ctx<'a>,
    pub(super) op: S3Op,
    pub(super) id: Option<Identity>,
    pub(super) info: RequestInfo,
    pub(super) parts: &'a Parts,
    pub(super) body: Body,
    pub(super) bucket: &'a str,
    pub(super) key: &'a str,
    pub(super) query: &'a [(String, String)],
    pub(super) verified: Option<Verified>,
}

impl Request<'_> {
    fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn invalid_argument(message: &str, name: &str, value: &str) -> S3Error {
    let mut e = S3Error::new("InvalidArgument", 400, message);
    e.extra.push(("ArgumentName", name.to_owned()));
    e.extra.push(("ArgumentValue", value.to_owned()));
    e
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, S3Error> + Send + 'static,
) -> Result<T, S3Error> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| internal())?
}

fn set(r: &mut Response, name: &str, value: &str) {
    if let (Ok(n), Ok(v)) = (
        HeaderName::from_bytes(name.as_bytes()),
        HeaderValue::from_str(value),
    ) {
        r.headers_mut().insert(n, v);
    }
}

fn forget(blobs: &BlobStore, released: &[roleplay_store::BlobId]) {
    if let Err(e) = blobs.delete_all(released) {
        tracing::warn!(error = %e, "deleting released blobs failed");
    }
}

pub(super) async fn handle(req: Request<'_>) -> Result<Response, S3Error> {
    match req.op {
        S3Op::CreateMultipartUpload => create(req).await,
        S3Op::UploadPart | S3Op::UploadPartCopy => upload_part(req).await,
        S3Op::CompleteMultipartUpload => complete(req).await,
        S3Op::AbortMultipartUpload => abort(req).await,
        S3Op::ListParts => list_parts(req).await,
        S3Op::ListMultipartUploads => list_uploads(req).await,
        _ => Err(internal()),
    }
}

fn checksum_algorithm(parts: &Parts) -> Result<Option<String>, S3Error> {
    match header_str(parts, "x-amz-checksum-algorithm") {
        None => Ok(None),
        Some(a) => {
            let upper = a.to_ascii_uppercase();
            if ["CRC32", "CRC32C", "SHA1", "SHA256"].contains(&upper.as_str()) {
                Ok(Some(upper))
            } else {
                Err(invalid_argument(
                    "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, SHA1, SHA256]",
                    "x-amz-checksum-algorithm",
                    a,
                ))
            }
        }
    }
}

async fn create(req: Request<'_>) -> Result<Response, S3Error> {
    super::copy::check_write(req.key, req.parts, true)?;
    let extras = super::config::put_extras(req.parts)?;
    let meta = ObjectMeta {
        tags: extras.tags.clone(),
        ..super::copy::request_meta(req.parts)
    };
    let algorithm = checksum_algorithm(req.parts)?;
    let engine = req.ctx.state.engine.clone();
    let (id, info) = (req.id, req.info);
    let (bucket, key) = (req.bucket.to_owned(), req.key.to_owned());
    // Tags and an ACL are authorized as on PutObject and land on the completed object.
    let upload = blocking(move || {
        let grants = engine.authorize_put(id.as_ref(), &info, &bucket, &key, &extras)?;
        engine.create_multipart_upload(
            id.as_ref(),
            &info,
            &bucket,
            &key,
            meta,
            algorithm,
            grants.as_deref(),
        )
    })
    .await?;
    let mut w = XmlWriter::with_declaration();
    w.element_with_attributes("InitiateMultipartUploadResult", &[("xmlns", S3_NS)], |w| {
        w.text_element("Bucket", &upload.bucket)
            .text_element("Key", &upload.key)
            .text_element("UploadId", &upload.upload_id);
    });
    let mut r = xml_response(w.finish(), req.ctx.rid);
    super::sse_default(&mut r);
    if let Some(a) = &upload.checksum_algorithm {
        set(&mut r, "x-amz-checksum-algorithm", a);
    }
    Ok(r)
}

fn part_number(req: &Request<'_>) -> Result<u32, S3Error> {
    let raw = req.param("partNumber").unwrap_or("");
    raw.parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_PART_NUMBER).contains(n))
        .ok_or_else(|| {
            invalid_argument(
                "Part number must be an integer between 1 and 10000, inclusive",
                "partNumber",
                raw,
            )
        })
}

/// `bytes=a-b` of `x-amz-copy-source-range`, inclusive, within `size`.
fn copy_range(value: Option<&str>, size: u64) -> Result<(u64, u64), S3Error> {
    let Some(value) = value else {
        return Ok((0, size));
    };
    let bad = || {
        invalid_argument(
            &format!("Range specified is not valid for source object of size: {size}"),
            "x-amz-copy-source-range",
            value,
        )
    };
    let (a, b) = value
        .trim()
        .strip_prefix("bytes=")
        .and_then(|s| s.split_once('-'))
        .ok_or_else(|| {
            invalid_argument(
                "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
                "x-amz-copy-source-range",
                value,
            )
        })?;
    let (a, b) = (a.trim().parse::<u64>(), b.trim().parse::<u64>());
    match (a, b) {
        (Ok(a), Ok(b)) if a <= b && b < size => Ok((a, b + 1)),
        _ => Err(bad()),
    }
}

fn wanted_checksums(algorithm: Option<&str>) -> Checksums {
    let mut c = Checksums::NONE;
    match algorithm {
        Some("CRC32") => c.crc32 = true,
        Some("CRC32C") => c.crc32c = true,
        Some("SHA1") => c.sha1 = true,
        Some("SHA256") => c.sha256 = true,
        _ => {}
    }
    c
}

async fn upload_part(req: Request<'_>) -> Result<Response, S3Error> {
    let number = part_number(&req)?;
    let upload_id = req.param("uploadId").unwrap_or("").to_owned();
    let engine = req.ctx.state.engine.clone();
    let blobs = engine.blobs().clone();
    let (bucket, key) = (req.bucket.to_owned(), req.key.to_owned());
    let copy = req.op == S3Op::UploadPartCopy;
    let source = if copy {
        Some(super::copy::copy_source(req.parts)?)
    } else {
        None
    };
    let check = super::copy::source_conditions(req.parts);
    // Both sides authorized before a byte moves.
    let (upload, source_version) = {
        let (engine, id, info) = (engine.clone(), req.id.clone(), req.info.clone());
        let (bucket, key, upload_id) = (bucket.clone(), key.clone(), upload_id.clone());
        blocking(move || {
            let upload =
                engine.authorize_upload_part(id.as_ref(), &info, &bucket, &key, &upload_id)?;
            let source = match &source {
                Some(s) => Some(engine.authorize_copy_source(id.as_ref(), &info, s, &check)?),
                None => None,
            };
            Ok((upload, source))
        })
        .await?
    };
    let algorithm = upload.checksum_algorithm.clone();
    let (blob, checksums) = match &source_version {
        None => {
            let received = receive_body(
                &blobs,
                req.parts,
                req.body,
                req.verified.as_ref(),
                MAX_PUT,
                false,
            )
            .await?;
            (received.blob, received.checksums)
        }
        Some(src) => {
            let (start, end) =
                copy_range(header_str(req.parts, "x-amz-copy-source-range"), src.size)?;
            let segments = src.body.clone();
            let blobs2 = blobs.clone();
            let wanted = wanted_checksums(algorithm.as_deref());
            let blob = blocking(move || {
                let copy = || -> std::io::Result<_> {
                    let mut reader = blobs2.open_body(&segments)?;
                    reader.seek(SeekFrom::Start(start))?;
                    let mut writer = blobs2.begin(wanted)?;
                    let mut remaining = end - start;
                    let mut buf = vec![0u8; COPY_CHUNK];
                    while remaining > 0 {
                        let want =
                            usize::try_from(remaining.min(COPY_CHUNK as u64)).unwrap_or(COPY_CHUNK);
                        let slice = buf.get_mut(..want).unwrap_or_default();
                        let n = reader.read(slice)?;
                        if n == 0 {
                            return Err(std::io::ErrorKind::UnexpectedEof.into());
                        }
                        writer.write_all(slice.get(..n).unwrap_or_default())?;
                        remaining -= n as u64;
                    }
                    writer.commit()
                };
                copy().map_err(|_| internal())
            })
            .await?;
            (blob, Default::default())
        }
    };
    let part_checksum = algorithm.as_deref().and_then(|a| {
        checksums
            .get(a)
            .cloned()
            .or_else(|| super::computed_checksum(&blob, &a.to_ascii_lowercase()))
    });
    let part = Part {
        number,
        size: blob.size,
        etag: blob.etag().ok_or_else(super::internal)?,
        checksum: part_checksum,
        blob: blob.id.clone(),
        inline: blob.inline.clone(),
        last_modified: req.info.now,
    };
    let committed = {
        let (engine, id, info, part) = (engine.clone(), req.id, req.info, part.clone());
        blocking(move || engine.commit_part(id.as_ref(), &info, (&bucket, &key, &upload_id), &part))
            .await
    };
    let released = match committed {
        Ok(r) => r,
        Err(e) => {
            let _ = blobs.delete(&blob.id);
            return Err(e);
        }
    };
    forget(&blobs, &released);
    let mut r = if copy {
        let mut w = XmlWriter::with_declaration();
        w.element_with_attributes("CopyPartResult", &[("xmlns", S3_NS)], |w| {
            w.timestamp_millis_element("LastModified", part.last_modified)
                .text_element("ETag", &part.etag);
        });
        let mut r = xml_response(w.finish(), req.ctx.rid);
        if let Some(src) = &source_version
            && src.version_id != NULL_VERSION
        {
            set(&mut r, "x-amz-copy-source-version-id", &src.version_id);
        }
        r
    } else {
        let mut r = empty(StatusCode::OK, req.ctx.rid);
        set(&mut r, "etag", &part.etag);
        r
    };
    super::sse_default(&mut r);
    for (a, v) in &checksums {
        set(
            &mut r,
            &format!("x-amz-checksum-{}", a.to_ascii_lowercase()),
            v,
        );
    }
    Ok(r)
}

fn parse_complete(body: &[u8]) -> Result<Vec<CompletedPart>, S3Error> {
    let limits = xml_read::Limits {
        max_bytes: MAX_COMPLETE_BODY as usize,
        max_depth: 4,
        max_elements: 1 + 10_000 * 8,
    };
    let doc = xml_read::parse(body, &limits).map_err(|_| malformed_xml())?;
    if doc.name != "CompleteMultipartUpload" {
        return Err(malformed_xml());
    }
    let mut parts = Vec::new();
    for p in &doc.children {
        if p.name != "Part" {
            return Err(malformed_xml());
        }
        let number = p
            .child_text("PartNumber")
            .and_then(|n| n.trim().parse::<u32>().ok())
            .ok_or_else(malformed_xml)?;
        let etag = p.child_text("ETag").ok_or_else(malformed_xml)?.to_owned();
        let checksum = [
            "ChecksumCRC32",
            "ChecksumCRC32C",
            "ChecksumSHA1",
            "ChecksumSHA256",
        ]
        .iter()
        .find_map(|n| p.child_text(n))
        .map(|v| v.trim().to_owned());
        parts.push(CompletedPart {
            number,
            etag,
            checksum,
        });
    }
    if parts.is_empty() || parts.len() > MAX_PART_NUMBER as usize {
        return Err(malformed_xml());
    }
    Ok(parts)
}

async fn complete(req: Request<'_>) -> Result<Response, S3Error> {
    let upload_id = req.param("uploadId").unwrap_or("").to_owned();
    let engine = req.ctx.state.engine.clone();
    let blobs = engine.blobs().clone();
    let raw = receive_small(
        &blobs,
        req.parts,
        req.body,
        req.verified.as_ref(),
        MAX_COMPLETE_BODY,
    )
    .await?;
    let requested = parse_complete(&raw)?;
    let (bucket, key) = (req.bucket.to_owned(), req.key.to_owned());
    let (id, info) = (req.id, req.info);
    let (version, released) = {
        let (bucket, key) = (bucket.clone(), key.clone());
        blocking(move || {
            engine.complete_multipart_upload(
                id.as_ref(),
                &info,
                (&bucket, &key, &upload_id),
                &requested,
            )
        })
        .await?
    };
    forget(&blobs, &released);
    let host = header_str(req.parts, "host").unwrap_or("localhost");
    let location = format!(
        "http://{host}/{bucket}/{}",
        roleplay_wire::query::percent_encode(&key).replace("%2F", "/")
    );
    let mut w = XmlWriter::with_declaration();
    w.element_with_attributes("CompleteMultipartUploadResult", &[("xmlns", S3_NS)], |w| {
        w.text_element("Location", &location)
            .text_element("Bucket", &bucket)
            .text_element("Key", &key)
            .text_element("ETag", &version.etag);
    });
    let mut r = xml_response(w.finish(), req.ctx.rid);
    super::sse_default(&mut r);
    if version.version_id != NULL_VERSION {
        set(&mut r, "x-amz-version-id", &version.version_id);
    }
    Ok(r)
}

async fn abort(req: Request<'_>) -> Result<Response, S3Error> {
    let upload_id = req.param("uploadId").unwrap_or("").to_owned();
    let engine = req.ctx.state.engine.clone();
    let (bucket, key) = (req.bucket.to_owned(), req.key.to_owned());
    let (id, info) = (req.id, req.info);
    let blobs = engine.blobs().clone();
    let released = blocking(move || {
        engine.abort_multipart_upload(id.as_ref(), &info, (&bucket, &key, &upload_id))
    })
    .await?;
    forget(&blobs, &released);
    Ok(empty(StatusCode::NO_CONTENT, req.ctx.rid))
}

fn max_param(req: &Request<'_>, name: &str) -> Result<usize, S3Error> {
    match req.param(name) {
        None => Ok(1000),
        Some(v) => v.parse::<usize>().map(|n| n.min(1000)).map_err(|_| {
            invalid_argument(
                &format!("Provided {name} not an integer or within integer range"),
                name,
                v,
            )
        }),
    }
}

/// `Initiator` and `Owner` of an upload (without `DisplayName`, which S3 stopped returning
/// on 2025-11-21).
fn people(w: &mut XmlWriter, u: &MultipartUpload) {
    w.element("Initiator", |w| {
        w.text_element("ID", &u.initiator);
    });
    w.element("Owner", |w| {
        w.text_element("ID", &canonical_id(&u.owner));
    });
}

async fn list_parts(req: Request<'_>) -> Result<Response, S3Error> {
    let upload_id = req.param("uploadId").unwrap_or("").to_owned();
    let max_parts = max_param(&req, "max-parts")?;
    let marker = match req.param("part-number-marker") {
        None | Some("") => 0,
        Some(v) => v.parse::<u32>().map_err(|_| {
            invalid_argument(
                "Provided part-number-marker not an integer or within integer range",
                "part-number-marker",
                v,
            )
        })?,
    };
    let engine = req.ctx.state.engine.clone();
    let (bucket, key) = (req.bucket.to_owned(), req.key.to_owned());
    let (id, info) = (req.id, req.info);
    let (upload, listing) = {
        let (bucket, key, upload_id) = (bucket.clone(), key.clone(), upload_id.clone());
        blocking(move || {
            engine.list_parts(
                id.as_ref(),
                &info,
                (&bucket, &key, &upload_id),
                marker,
                max_parts,
            )
        })
        .await?
    };
    let mut w = XmlWriter::with_declaration();
    w.element_with_attributes("ListPartsResult", &[("xmlns", S3_NS)], |w| {
        w.text_element("Bucket", &bucket)
            .text_element("Key", &key)
            .text_element("UploadId", &upload_id);
        people(w, &upload);
        w.text_element("StorageClass", &upload.storage_class)
            .display_element("PartNumberMarker", marker);
        let next = listing
            .next_part_number_marker
            .or_else(|| listing.parts.last().map(|p| p.number))
            .unwrap_or(0);
        w.display_element("NextPartNumberMarker", next)
            .display_element("MaxParts", max_parts)
            .text_element(
                "IsTruncated",
                if listing.is_truncated {
                    "true"
                } else {
                    "false"
                },
            );
        if let Some(a) = &upload.checksum_algorithm {
            w.text_element("ChecksumAlgorithm", a);
        }
        for p in &listing.parts {
            w.element("Part", |w| {
                w.display_element("PartNumber", p.number)
                    .timestamp_millis_element("LastModified", p.last_modified)
                    .text_element("ETag", &p.etag)
                    .display_element("Size", p.size);
                if let (Some(a), Some(c)) = (&upload.checksum_algorithm, &p.checksum) {
                    w.text_element(&format!("Checksum{a}"), c);
                }
            });
        }
    });
    Ok(xml_response(w.finish(), req.ctx.rid))
}

async fn list_uploads(req: Request<'_>) -> Result<Response, S3Error> {
    let query = UploadQuery {
        prefix: req.param("prefix").unwrap_or("").to_owned(),
        key_marker: req
            .param("key-marker")
            .filter(|m| !m.is_empty())
            .map(str::to_owned),
        upload_id_marker: req
            .param("upload-id-marker")
            .filter(|m| !m.is_empty())
            .map(str::to_owned),
        max_uploads: max_param(&req, "max-uploads")?,
    };
    let engine = req.ctx.state.engine.clone();
    let bucket = req.bucket.to_owned();
    let (id, info) = (req.id, req.info);
    let listing = {
        let (bucket, query) = (bucket.clone(), query.clone());
        blocking(move || engine.list_multipart_uploads(id.as_ref(), &info, &bucket, &query)).await?
    };
    let mut w = XmlWriter::with_declaration();
    w.element_with_attributes("ListMultipartUploadsResult", &[("xmlns", S3_NS)], |w| {
        w.text_element("Bucket", &bucket)
            .text_element("KeyMarker", query.key_marker.as_deref().unwrap_or(""))
            .text_element(
                "UploadIdMarker",
                query.upload_id_marker.as_deref().unwrap_or(""),
            );
        let last = listing.uploads.last();
        w.text_element(
            "NextKeyMarker",
            listing
                .next_key_marker
                .as_deref()
                .or(last.map(|u| u.key.as_str()))
                .unwrap_or(""),
        )
        .text_element(
            "NextUploadIdMarker",
            listing
                .next_upload_id_marker
                .as_deref()
                .or(last.map(|u| u.upload_id.as_str()))
                .unwrap_or(""),
        );
        if !query.prefix.is_empty() {
            w.text_element("Prefix", &query.prefix);
        }
        w.display_element("MaxUploads", query.max_uploads)
            .text_element(
                "IsTruncated",
                if listing.is_truncated {
                    "true"
                } else {
                    "false"
                },
            );
        for u in &listing.uploads {
            w.element("Upload", |w| {
                w.text_element("Key", &u.key)
                    .text_element("UploadId", &u.upload_id);
                people(w, u);
                w.text_element("StorageClass", &u.storage_class)
                    .timestamp_millis_element("Initiated", u.initiated);
                if let Some(a) = &u.checksum_algorithm {
                    w.text_element("ChecksumAlgorithm", a);
                }
            });
        }
    });
    Ok(xml_response(w.finish(), req.ctx.rid))
}
