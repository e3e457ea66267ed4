//! `CopyObject`: `x-amz-copy-source` parsed, both sides authorized by the engine, the
//! copy sharing the source's blobs; `CopyObjectResult` XML.

use super::{Ctx, S3_NS, etag_matches, header_str, internal, xml_response};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use md5::{Digest, Md5};
use roleplay_engine::s3::S3Error;
use roleplay_engine::s3::copy::{CopySource, MetadataDirective, WholeEtag};
use roleplay_engine::s3::{ObjectMeta, PutExtras};
use roleplay_engine::{Identity, RequestInfo};
use roleplay_store::{NULL_VERSION, ObjectVersion};
use roleplay_wire::xml::XmlWriter;

/// S3's bound on user metadata: the UTF-8 bytes of every `x-amz-meta-` name (without the
/// prefix) and value together.
const MAX_USER_METADATA: usize = 2 * 1024;

/// Refuses a key longer than S3's 1,024 bytes and, when `metadata` is set, user metadata over
/// 2 KB, before any body is read.
pub(super) fn check_write(key: &str, parts: &Parts, metadata: bool) -> Result<(), S3Error> {
    if key.len() > 1024 {
        return Err(S3Error::new("KeyTooLongError", 400, "Your key is too long"));
    }
    let size: usize = parts
        .headers
        .iter()
        .filter_map(|(k, v)| Some(k.as_str().strip_prefix("x-amz-meta-")?.len() + v.len()))
        .sum();
    if metadata && size > MAX_USER_METADATA {
        return Err(S3Error::new(
            "MetadataTooLarge",
            400,
            "Your metadata headers exceed the maximum allowed metadata size.",
        ));
    }
    Ok(())
}

/// The headers, user metadata and tags a write request gives its object.
pub(super) fn request_meta(parts: &Parts) -> ObjectMeta {
    ObjectMeta {
        headers: roleplay_store::ContentHeaders {
            content_type: header_str(parts, header::CONTENT_TYPE).map(str::to_owned),
            content_encoding: header_str(parts, header::CONTENT_ENCODING)
                .filter(|e| !e.contains("aws-chunked"))
                .map(str::to_owned),
            content_disposition: header_str(parts, header::CONTENT_DISPOSITION).map(str::to_owned),
            content_language: header_str(parts, header::CONTENT_LANGUAGE).map(str::to_owned),
            cache_control: header_str(parts, header::CACHE_CONTROL).map(str::to_owned),
            expires: header_str(parts, header::EXPIRES).map(str::to_owned),
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

/// The `x-amz-copy-source-if-*` headers, checked against the source version as S3 combines
/// them: a matching `if-match` overrides `if-unmodified-since`, a failing `if-none-match`
/// overrides `if-modified-since`.
pub(super) fn source_conditions(
    parts: &Parts,
) -> impl Fn(&ObjectVersion) -> Result<(), S3Error> + Sync + Send + 'static {
    let text = |n: &str| header_str(parts, n).map(str::to_owned);
    let date =
        |n: &str| header_str(parts, n).and_then(|v| roleplay_wire::time::parse_http_date(v).ok());
    let if_match = text("x-amz-copy-source-if-match");
    let if_none_match = text("x-amz-copy-source-if-none-match");
    let unmodified_since = date("x-amz-copy-source-if-unmodified-since");
    let modified_since = date("x-amz-copy-source-if-modified-since");
    move |o: &ObjectVersion| {
        let modified = o
            .last_modified
            .replace_nanosecond(0)
            .unwrap_or(o.last_modified);
        let first = match &if_match {
            Some(m) => (!etag_matches(m, &o.etag)).then_some("x-amz-copy-source-If-Match"),
            None => unmodified_since
                .is_some_and(|t| modified > t)
                .then_some("x-amz-copy-source-If-Unmodified-Since"),
        };
        let second = match &if_none_match {
            Some(m) => etag_matches(m, &o.etag).then_some("x-amz-copy-source-If-None-Match"),
            None => modified_since
                .is_some_and(|t| modified <= t)
                .then_some("x-amz-copy-source-If-Modified-Since"),
        };
        match first.or(second) {
            None => Ok(()),
            Some(condition) => Err(S3Error::precondition_failed(condition)),
        }
    }
}

/// For a multipart source, the MD5 of its bytes (read once, as S3 reads them to copy).
fn whole_etag(
    engine: &roleplay_engine::Engine,
    id: Option<&Identity>,
    info: &RequestInfo,
    src: &CopySource,
    check: &(dyn Fn(&ObjectVersion) -> Result<(), S3Error> + Sync),
) -> Result<Option<WholeEtag>, S3Error> {
    let source = engine.authorize_copy_source(id, info, src, check)?;
    if source.parts_count.is_none() {
        return Ok(None);
    }
    let mut reader = engine
        .blobs()
        .open_body(&source.body)
        .map_err(|_| internal())?;
    let mut md5 = Md5::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = std::io::Read::read(&mut reader, &mut buf).map_err(|_| internal())?;
        if n == 0 {
            break;
        }
        md5.update(buf.get(..n).unwrap_or_default());
    }
    Ok(Some(WholeEtag {
        source_etag: source.etag,
        etag: roleplay_store::etag_of(&md5.finalize().into()),
    }))
}

pub(super) async fn copy_object(
    ctx: &Ctx<'_>,
    id: Option<Identity>,
    info: RequestInfo,
    parts: &Parts,
    (bucket, key): (&str, &str),
) -> Result<Response, S3Error> {
    let replace = header_str(parts, "x-amz-metadata-directive") == Some("REPLACE");
    check_write(key, parts, replace)?;
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
    let extras = super::config::put_extras(parts)?;
    let tags = match header_str(parts, "x-amz-tagging-directive") {
        None | Some("COPY") => None,
        Some("REPLACE") => Some(extras.tags.clone()),
        Some(_) => {
            return Err(
                S3Error::new("InvalidArgument", 400, "Unknown tagging directive.")
                    .with_argument("x-amz-tagging-directive"),
            );
        }
    };
    let check = source_conditions(parts);
    let engine = ctx.state.engine.clone();
    let (bucket, key, rid) = (bucket.to_owned(), key.to_owned(), ctx.rid.to_owned());
    tokio::task::spawn_blocking(move || {
        // New tags and an ACL are authorized as on PutObject.
        let grants = if tags.is_some() || extras.acl.is_some() {
            let extras = PutExtras {
                tags: tags.clone().unwrap_or_default(),
                acl: extras.acl,
            };
            engine.authorize_put(id.as_ref(), &info, &bucket, &key, &extras)?
        } else {
            None
        };
        let whole = whole_etag(&engine, id.as_ref(), &info, &src, &check)?;
        let (version, source, released) = engine.copy_object(
            id.as_ref(),
            &info,
            &src,
            (&bucket, &key),
            &directive,
            tags.as_deref(),
            &check,
            whole.as_ref(),
        )?;
        if let Some(grants) = grants {
            engine.set_object_acl(&bucket, &key, &version.version_id, &grants)?;
        }
        if let Err(e) = engine.blobs().delete_all(&released) {
            tracing::warn!(error = %e, "deleting replaced blobs failed");
        }
        let mut w = XmlWriter::with_declaration();
        w.element_with_attributes("CopyObjectResult", &[("xmlns", S3_NS)], |w| {
            w.timestamp_millis_element("LastModified", version.last_modified)
                .text_element("ETag", &version.etag);
        });
        let mut r = xml_response(w.finish(), &rid);
        super::sse_default(&mut r);
        let h = r.headers_mut();
        if source.version_id != NULL_VERSION
            && let Ok(v) = HeaderValue::from_str(&source.version_id)
        {
            h.insert("x-amz-copy-source-version-id", v);
        }
        if version.version_id != NULL_VERSION
            && let Ok(v) = HeaderValue::from_str(&version.version_id)
        {
            h.insert(super::names::X_AMZ_VERSION_ID, v);
        }
        Ok(r)
    })
    .await
    .map_err(|_| internal())?
}
