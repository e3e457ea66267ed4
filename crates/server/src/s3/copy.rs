//! `CopyObject`: `x-amz-copy-source` parsed, both sides authorized by the engine, the
//! copy sharing the source's blobs; `CopyObjectResult` XML.

use super::{Ctx, S3_NS, header_str, internal, xml_response};
use axum::http::HeaderValue;
use axum::http::request::Parts;
use axum::response::Response;
use roleplay_engine::s3::ObjectMeta;
use roleplay_engine::s3::S3Error;
use roleplay_engine::s3::copy::{CopySource, MetadataDirective};
use roleplay_engine::{Identity, RequestInfo};
use roleplay_store::NULL_VERSION;
use roleplay_wire::xml::XmlWriter;

/// The headers, user metadata and tags a write request gives its object.
pub(super) fn request_meta(parts: &Parts) -> ObjectMeta {
    ObjectMeta {
        headers: roleplay_store::ContentHeaders {
            content_type: header_str(parts, "content-type").map(str::to_owned),
            content_encoding: header_str(parts, "content-encoding")
                .filter(|e| !e.contains("aws-chunked"))
                .map(str::to_owned),
            content_disposition: header_str(parts, "content-disposition").map(str::to_owned),
            content_language: header_str(parts, "content-language").map(str::to_owned),
            cache_control: header_str(parts, "cache-control").map(str::to_owned),
            expires: header_str(parts, "expires").map(str::to_owned),
        },
        metadata: parts
            .headers
            .iter()
            .filter_map(|(k, v)| {
                Some((
                    k.as_str().strip_prefix("x-amz-meta-")?.to_owned(),
                    v.to_str().ok()?.to_owned(),
                ))
            })
            .collect(),
        checksums: Default::default(),
        tags: Vec::new(),
    }
}

fn bad_source() -> S3Error {
    S3Error::new(
        "InvalidArgument",
        400,
        "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
    )
    .with_argument("x-amz-copy-source")
}

trait WithArgument {
    fn with_argument(self, name: &str) -> Self;
}

impl WithArgument for S3Error {
    fn with_argument(mut self, name: &str) -> Self {
        self.extra.push(("ArgumentName", name.to_owned()));
        self
    }
}

/// `x-amz-copy-source`: `[/]bucket/key[?versionId=V]`, URL-encoded.
pub(super) fn copy_source(parts: &Parts) -> Result<CopySource, S3Error> {
    let raw = header_str(parts, "x-amz-copy-source").ok_or_else(bad_source)?;
    let (path, version_id) = match raw.split_once('?') {
        Some((p, q)) => {
            let v = q
                .split('&')
                .find_map(|kv| kv.strip_prefix("versionId="))
                .ok_or_else(bad_source)?;
            let v = roleplay_wire::s3_route::percent_decode_path(v).map_err(|_| bad_source())?;
            (p, Some(v))
        }
        None => (raw, None),
    };
    let decoded = roleplay_wire::s3_route::percent_decode_path(path).map_err(|_| bad_source())?;
    let decoded = decoded.strip_prefix('/').unwrap_or(&decoded);
    let (bucket, key) = decoded.split_once('/').ok_or_else(bad_source)?;
    if bucket.is_empty() || key.is_empty() {
        return Err(bad_source());
    }
    Ok(CopySource {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        version_id,
    })
}

pub(super) async fn copy_object(
    ctx: &Ctx<'_>,
    id: Option<Identity>,
    info: RequestInfo,
    parts: &Parts,
    (bucket, key): (&str, &str),
) -> Result<Response, S3Error> {
    if key.len() > 1024 {
        return Err(S3Error::new("KeyTooLongError", 400, "Your key is too long"));
    }
    let src = copy_source(parts)?;
    let directive = match header_str(parts, "x-amz-metadata-directive") {
        None | Some("COPY") => MetadataDirective::Copy,
        Some("REPLACE") => MetadataDirective::Replace(Box::new(request_meta(parts))),
        Some(_) => {
            return Err(
                S3Error::new("InvalidArgument", 400, "Unknown metadata directive.")
                    .with_argument("x-amz-metadata-directive"),
            );
        }
    };
    let engine = ctx.state.engine.clone();
    let (bucket, key, rid) = (bucket.to_owned(), key.to_owned(), ctx.rid.to_owned());
    tokio::task::spawn_blocking(move || {
        let (version, source, released) =
            engine.copy_object(id.as_ref(), &info, &src, (&bucket, &key), &directive)?;
        if let Err(e) = engine.blobs().delete_all(&released) {
            tracing::warn!(error = %e, "deleting replaced blobs failed");
        }
        let mut w = XmlWriter::with_declaration();
        w.element_with_attributes("CopyObjectResult", &[("xmlns", S3_NS)], |w| {
            w.timestamp_millis_element("LastModified", version.last_modified)
                .text_element("ETag", &version.etag);
        });
        let mut r = xml_response(w.finish(), &rid);
        let h = r.headers_mut();
        if source.version_id != NULL_VERSION
            && let Ok(v) = HeaderValue::from_str(&source.version_id)
        {
            h.insert("x-amz-copy-source-version-id", v);
        }
        if version.version_id != NULL_VERSION
            && let Ok(v) = HeaderValue::from_str(&version.version_id)
        {
            h.insert("x-amz-version-id", v);
        }
        Ok(r)
    })
    .await
    .map_err(|_| internal())?
}
