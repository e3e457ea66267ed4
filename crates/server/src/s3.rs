//! The S3 adapter (REST-XML): authentication with S3's rules and error codes, routing, and
//! streaming bodies to and from the blob store with bounded memory.
//!
//! A PUT is authorized before its body is read; the body goes to a blob (verifying the
//! signed payload hash, aws-chunked signatures, `Content-MD5` and `x-amz-checksum-*`), and
//! only then is the object's metadata committed.

use crate::AppState;
use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use base64::Engine as _;
use bytes::Bytes;
use http_body_util::BodyExt;
use roleplay_engine::s3::{
    ListInput, ObjectMeta, S3Error, WriteCondition, canonical_id, etag_matches,
};
use roleplay_engine::{ApiError, ErrorCode, Identity, RequestInfo};
use roleplay_sigv4::{RequestView, SigV4Error, SigningSettings, Verified, parse, verify};
use roleplay_store::{CommittedBlob, ObjectVersion, Segment};
use roleplay_wire::s3_route::{RouteError, S3Op, route};
use roleplay_wire::xml::XmlWriter;
use std::io::{Read, Seek, SeekFrom};
use std::net::SocketAddr;
use std::sync::Arc;

mod body;
mod config;
mod copy;
mod delete_objects;
mod multipart;
mod names;

const S3_NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";
/// Bodies of bucket-level requests (configuration XML, policies).
const MAX_CONFIG_BODY: usize = 64 * 1024;
/// The largest single PUT S3 accepts.
const MAX_PUT: u64 = 5 * 1024 * 1024 * 1024;
const READ_CHUNK: usize = 64 * 1024;

struct Ctx<'a> {
    state: &'a Arc<AppState>,
    rid: &'a str,
}

fn error_response(e: &S3Error, rid: &str, head: bool) -> Response {
    let is_header = |k: &str| k.starts_with(|c: char| c.is_ascii_lowercase());
    let extra: Vec<(&str, &str)> = e
        .extra
        .iter()
        .filter(|(k, _)| !is_header(k))
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    let body = roleplay_wire::envelope::s3_error(&roleplay_wire::envelope::S3Error {
        code: e.code,
        message: &e.message,
        extra: &extra,
        request_id: rid,
        host_id: rid,
    });
    let mut r = Response::new(if head {
        Body::empty()
    } else {
        Body::from(body)
    });
    *r.status_mut() = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml"),
    );
    request_headers(r.headers_mut(), rid);
    for (name, value) in e.extra.iter().filter(|(k, _)| is_header(k)) {
        if let Ok(v) = HeaderValue::from_str(value) {
            r.headers_mut().insert(*name, v);
        }
    }
    r
}

fn request_headers(h: &mut HeaderMap, rid: &str) {
    // Every answer starts here: room for the dozen headers an object's answer carries, so
    // the map does not grow (and rehash) as they are added.
    h.reserve(16);
    if let Ok(v) = HeaderValue::from_str(rid) {
        h.insert(names::X_AMZ_REQUEST_ID, v.clone());
        h.insert(names::X_AMZ_ID_2, v);
    }
}

/// Every object S3 stores is encrypted at rest (SSE-S3 by default since January 2023), and
/// the answers about one say so: PutObject, CopyObject, GetObject, HeadObject (which set it
/// with their other headers) and the multipart operations carry
/// `x-amz-server-side-encryption: AES256`.
pub(crate) fn sse_default(r: &mut Response) {
    r.headers_mut().insert(
        names::X_AMZ_SERVER_SIDE_ENCRYPTION,
        HeaderValue::from_static("AES256"),
    );
}

fn xml_response(body: String, rid: &str) -> Response {
    let mut r = Response::new(Body::from(body));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml"),
    );
    request_headers(r.headers_mut(), rid);
    r
}

fn empty(status: StatusCode, rid: &str) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = status;
    request_headers(r.headers_mut(), rid);
    r
}

/// S3's words for authentication failures.
fn auth_error(e: &ApiError, access_key_id: &str) -> S3Error {
    match e.code {
        ErrorCode::ExpiredToken => {
            S3Error::new("ExpiredToken", 400, "The provided token has expired.")
        }
        ErrorCode::InvalidClientTokenId if access_key_id.starts_with("ASIA") => S3Error::new(
            "InvalidToken",
            400,
            "The provided token is malformed or otherwise invalid.",
        ),
        ErrorCode::InvalidClientTokenId => S3Error::new(
            "InvalidAccessKeyId",
            403,
            "The AWS Access Key Id you provided does not exist in our records.",
        ),
        _ => S3Error::new(
            "InternalError",
            500,
            "We encountered an internal error. Please try again.",
        ),
    }
}

fn sigv4_error(e: &SigV4Error) -> S3Error {
    let code = e.code(roleplay_sigv4::Dialect::S3);
    let status = match code {
        "SignatureDoesNotMatch"
        | "AccessDenied"
        | "RequestTimeTooSkewed"
        | "InvalidAccessKeyId" => 403,
        "NotImplemented" => 501,
        _ => 400,
    };
    let static_code: &'static str = match code {
        "SignatureDoesNotMatch" => "SignatureDoesNotMatch",
        "AccessDenied" => "AccessDenied",
        "RequestTimeTooSkewed" => "RequestTimeTooSkewed",
        "AuthorizationHeaderMalformed" => "AuthorizationHeaderMalformed",
        "AuthorizationQueryParametersError" => "AuthorizationQueryParametersError",
        "MissingSecurityHeader" => "MissingSecurityHeader",
        "InvalidArgument" => "InvalidArgument",
        "NotImplemented" => "NotImplemented",
        "XAmzContentSHA256Mismatch" => "XAmzContentSHA256Mismatch",
        _ => "InvalidRequest",
    };
    S3Error::new(static_code, status, e.message(roleplay_sigv4::Dialect::S3))
}

fn decode_query(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let dec = |s: &str| {
                roleplay_wire::s3_route::percent_decode_path(&s.replace('+', " "))
                    .unwrap_or_else(|_| s.to_owned())
            };
            (dec(k), dec(v))
        })
        .collect()
}

fn header_str(parts: &Parts, name: impl header::AsHeaderName) -> Option<&str> {
    parts.headers.get(name).and_then(|v| v.to_str().ok())
}

/// Handles one S3 request.
pub(crate) async fn handle(
    state: &Arc<AppState>,
    peer: SocketAddr,
    parts: Parts,
    body: Body,
    rid: &str,
) -> (Response, Option<String>, String) {
    let head = parts.method == axum::http::Method::HEAD;
    match serve(state, peer, &parts, body, rid).await {
        Ok((r, who, op)) => (r, who, op),
        Err((e, who, op)) => (error_response(&e, rid, head), who, op),
    }
}

type Failure = (S3Error, Option<String>, String);

async fn serve(
    state: &Arc<AppState>,
    peer: SocketAddr,
    parts: &Parts,
    body: Body,
    rid: &str,
) -> Result<(Response, Option<String>, String), Failure> {
    let ctx = Ctx { state, rid };
    let headers = crate::pipeline::header_texts(&parts.headers);
    let header_refs: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_ref())).collect();
    let raw_query = parts.uri.query().unwrap_or("");
    let placeholder = String::new();
    let settings = SigningSettings::S3;
    let view0 = RequestView {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: raw_query,
        headers: &header_refs,
        payload_hash: &placeholder,
    };
    let query = decode_query(raw_query);
    let routed = route(
        parts.method.as_str(),
        header_str(parts, header::HOST),
        parts.uri.path(),
        &query,
        parts.headers.contains_key(names::X_AMZ_COPY_SOURCE),
    );
    let op_name = routed
        .as_ref()
        .map(|r| r.op.name().to_owned())
        .unwrap_or_else(|_| "-".into());
    let fail = |e: S3Error, who: Option<String>| (e, who, op_name.clone());

    // Authentication: S3 lets unsigned requests through as anonymous.
    let now = state.clock.now();
    let (identity, verified) = match parse(&view0, &settings) {
        Err(SigV4Error::MissingAuthentication) => (None, None),
        Err(e) => return Err(fail(sigv4_error(&e), None)),
        Ok(claims) => {
            // Inline: a cached key, or one indexed read, costs less than a thread hand-off.
            let auth = state
                .engine
                .authenticate(claims.access_key_id(), claims.security_token(), now)
                .map_err(|e| fail(auth_error(&e, claims.access_key_id()), None))?;
            let payload_hash = claims.s3_payload_hash().to_owned();
            let view = RequestView {
                payload_hash: &payload_hash,
                ..view0
            };
            let v = verify(
                claims,
                &view,
                auth.secret.expose(),
                now,
                &state.keys,
                &settings,
            )
            .map_err(|e| fail(sigv4_error(&e), Some(auth.identity.arn())))?;
            (Some(auth.identity), Some(v))
        }
    };
    let who = identity.as_ref().map(Identity::arn);
    let route = routed.map_err(|e| match e {
        RouteError::BadPath => fail(
            S3Error::new("InvalidURI", 400, "Couldn't parse the specified URI."),
            who.clone(),
        ),
        RouteError::MethodNotAllowed(_) => fail(
            S3Error::new(
                "MethodNotAllowed",
                405,
                "The specified method is not allowed against this resource.",
            ),
            who.clone(),
        ),
        RouteError::NotImplemented { .. } => fail(
            S3Error::new(
                "NotImplemented",
                501,
                "A header you provided implies functionality that is not implemented",
            ),
            who.clone(),
        ),
    })?;
    let info = RequestInfo {
        request_id: rid.to_owned(),
        now,
        source_ip: Some(peer.ip()),
        region: verified
            .as_ref()
            .map(|v| v.claims.scope.region().to_owned())
            .unwrap_or_else(|| "us-east-1".into()),
        secure: false,
        user_agent: header_str(parts, header::USER_AGENT).map(str::to_owned),
        s3_keys: request_keys(parts, verified.as_ref()),
    };
    let bucket = route.bucket.clone().unwrap_or_default();
    let key = route.key.clone().unwrap_or_default();
    let engine = state.engine.clone();
    let id = identity.clone();
    let need_id = || {
        id.clone()
            .ok_or_else(|| fail(S3Error::access_denied(), None))
    };
    let blocking = |f: Box<dyn FnOnce() -> Result<Response, S3Error> + Send>| async {
        tokio::task::spawn_blocking(f).await.unwrap_or_else(|_| {
            Err(S3Error::new(
                "InternalError",
                500,
                "We encountered an internal error. Please try again.",
            ))
        })
    };
    let rid_s = rid.to_owned();
    let response = match route.op {
        S3Op::ListBuckets => {
            let id = need_id()?;
            blocking(Box::new(move || {
                let buckets = engine.list_buckets(&id, &info)?;
                let mut w = XmlWriter::with_declaration();
                w.element_with_attributes("ListAllMyBucketsResult", &[("xmlns", S3_NS)], |w| {
                    w.element("Owner", |w| {
                        w.text_element("ID", &canonical_id(&id.account));
                    });
                    w.element("Buckets", |w| {
                        for b in &buckets {
                            w.element("Bucket", |w| {
                                w.text_element("Name", &b.name)
                                    .timestamp_millis_element("CreationDate", b.create_date);
                            });
                        }
                    });
                });
                Ok(xml_response(w.finish(), &rid_s))
            }))
            .await
        }
        S3Op::CreateBucket => {
            let id = need_id()?;
            let config = read_small(body, MAX_CONFIG_BODY)
                .await
                .map_err(|e| fail(e, who.clone()))?;
            let region = location_constraint(&config).map_err(|e| fail(e, who.clone()))?;
            let extras = config::create_extras(parts).map_err(|e| fail(e, who.clone()))?;
            blocking(Box::new(move || {
                let region = region.unwrap_or_else(|| "us-east-1".into());
                engine.create_bucket(&id, &info, &bucket, &region)?;
                config::apply_create_extras(&engine, &id, &info, &bucket, extras)?;
                let mut r = empty(StatusCode::OK, &rid_s);
                if let Ok(v) = HeaderValue::from_str(&format!("/{bucket}")) {
                    r.headers_mut().insert(header::LOCATION, v);
                }
                Ok(r)
            }))
            .await
        }
        S3Op::HeadBucket | S3Op::GetBucketLocation => {
            let op = route.op;
            blocking(Box::new(move || {
                let action = if op == S3Op::HeadBucket {
                    "s3:ListBucket"
                } else {
                    "s3:GetBucketLocation"
                };
                let b = engine.bucket_action(id.as_ref(), &info, &bucket, action)?;
                if op == S3Op::HeadBucket {
                    let mut r = empty(StatusCode::OK, &rid_s);
                    if let Ok(v) = HeaderValue::from_str(&b.region) {
                        r.headers_mut().insert("x-amz-bucket-region", v);
                    }
                    return Ok(r);
                }
                let mut w = XmlWriter::with_declaration();
                let region = if b.region == "us-east-1" {
                    String::new()
                } else {
                    b.region.clone()
                };
                w.element_with_attributes("LocationConstraint", &[("xmlns", S3_NS)], |w| {
                    w.text(&region);
                });
                Ok(xml_response(w.finish(), &rid_s))
            }))
            .await
        }
        S3Op::DeleteBucket => {
            let id = need_id()?;
            blocking(Box::new(move || {
                engine.delete_bucket(&id, &info, &bucket)?;
                Ok(empty(StatusCode::NO_CONTENT, &rid_s))
            }))
            .await
        }
        S3Op::PutBucketPolicy | S3Op::GetBucketPolicy | S3Op::DeleteBucketPolicy => {
            let id = need_id()?;
            let op = route.op;
            let text = if op == S3Op::PutBucketPolicy {
                let raw = read_small(body, MAX_CONFIG_BODY)
                    .await
                    .map_err(|e| fail(e, who.clone()))?;
                String::from_utf8(raw.to_vec()).map_err(|_| {
                    fail(
                        S3Error::new(
                            "MalformedPolicy",
                            400,
                            "Policies must be valid JSON and the first byte must be '{'",
                        ),
                        who.clone(),
                    )
                })?
            } else {
                String::new()
            };
            blocking(Box::new(move || match op {
                S3Op::PutBucketPolicy => {
                    engine.put_bucket_policy(&id, &info, &bucket, &text)?;
                    Ok(empty(StatusCode::NO_CONTENT, &rid_s))
                }
                S3Op::GetBucketPolicy => {
                    let policy = engine.get_bucket_policy(&id, &info, &bucket)?;
                    let mut r = Response::new(Body::from(policy));
                    r.headers_mut().insert(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/json"),
                    );
                    request_headers(r.headers_mut(), &rid_s);
                    Ok(r)
                }
                _ => {
                    engine.delete_bucket_policy(&id, &info, &bucket)?;
                    Ok(empty(StatusCode::NO_CONTENT, &rid_s))
                }
            }))
            .await
        }
        S3Op::ListObjectsV2 | S3Op::ListObjects => {
            let v2 = route.op == S3Op::ListObjectsV2;
            let q = |name: &str| {
                query
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
            };
            let max_keys = match q("max-keys") {
                Some(m) => m.parse::<usize>().map_err(|_| {
                    fail(
                        S3Error::new(
                            "InvalidArgument",
                            400,
                            "Provided max-keys not an integer or within integer range",
                        ),
                        who.clone(),
                    )
                })?,
                None => 1000,
            }
            .min(1000);
            let url = q("encoding-type").as_deref() == Some("url");
            let token = q("continuation-token");
            let start_after = if v2 {
                match &token {
                    Some(t) => Some(
                        base64::engine::general_purpose::STANDARD
                            .decode(t)
                            .ok()
                            .and_then(|b| String::from_utf8(b).ok())
                            .ok_or_else(|| {
                                fail(
                                    S3Error::new(
                                        "InvalidArgument",
                                        400,
                                        "The continuation token provided is incorrect",
                                    ),
                                    who.clone(),
                                )
                            })?,
                    ),
                    None => q("start-after"),
                }
            } else {
                q("marker")
            };
            let input = ListInput {
                prefix: q("prefix").unwrap_or_default(),
                delimiter: q("delimiter").filter(|d| !d.is_empty()),
                start_after,
                max_keys,
            };
            // ListObjects names each object's owner; ListObjectsV2 when asked.
            let with_owner = !v2 || q("fetch-owner").as_deref() == Some("true");
            let start_after_param = q("start-after");
            let marker_param = q("marker");
            blocking(Box::new(move || {
                let listing = engine.list_objects(id.as_ref(), &info, &bucket, &input)?;
                let enc = |s: &str| {
                    if url {
                        roleplay_wire::query::percent_encode(s).replace("%2F", "/")
                    } else {
                        s.to_owned()
                    }
                };
                let mut w = XmlWriter::with_declaration();
                w.element_with_attributes("ListBucketResult", &[("xmlns", S3_NS)], |w| {
                    w.text_element("Name", &bucket)
                        .text_element("Prefix", &enc(&input.prefix));
                    if v2 {
                        w.optional_text_element(
                            "StartAfter",
                            start_after_param.as_deref().map(enc).as_deref(),
                        );
                        w.optional_text_element("ContinuationToken", token.as_deref());
                        let count = listing.entries.len();
                        w.display_element("KeyCount", count);
                    } else {
                        w.text_element("Marker", &enc(marker_param.as_deref().unwrap_or("")));
                    }
                    w.display_element("MaxKeys", input.max_keys);
                    w.optional_text_element(
                        "Delimiter",
                        input.delimiter.as_deref().map(enc).as_deref(),
                    );
                    if url {
                        w.text_element("EncodingType", "url");
                    }
                    w.text_element(
                        "IsTruncated",
                        if listing.is_truncated {
                            "true"
                        } else {
                            "false"
                        },
                    );
                    if listing.is_truncated
                        && let Some(next) = &listing.next_start_after
                    {
                        if v2 {
                            w.text_element(
                                "NextContinuationToken",
                                &base64::engine::general_purpose::STANDARD.encode(next),
                            );
                        } else if input.delimiter.is_some() {
                            w.text_element("NextMarker", &enc(next));
                        }
                    }
                    for e in &listing.entries {
                        match e {
                            roleplay_store::ListEntry::Item(o) => {
                                w.element("Contents", |w| {
                                    w.text_element("Key", &enc(&o.key))
                                        .timestamp_millis_element("LastModified", o.last_modified)
                                        .text_element("ETag", &o.etag);
                                    checksum_elements(w, &o.checksums);
                                    w.display_element("Size", o.size)
                                        .text_element("StorageClass", &o.storage_class);
                                    if with_owner {
                                        w.element("Owner", |w| {
                                            w.text_element("ID", &canonical_id(&o.owner));
                                        });
                                    }
                                });
                            }
                            roleplay_store::ListEntry::CommonPrefix(p) => {
                                w.element("CommonPrefixes", |w| {
                                    w.text_element("Prefix", &enc(p));
                                });
                            }
                        }
                    }
                });
                Ok(xml_response(w.finish(), &rid_s))
            }))
            .await
        }
        S3Op::PutObject => put_object(&ctx, id, info, parts, body, &bucket, &key, verified).await,
        S3Op::GetObject | S3Op::HeadObject => {
            let head = route.op == S3Op::HeadObject;
            let version = query
                .iter()
                .find(|(k, _)| k == "versionId")
                .map(|(_, v)| v.clone());
            let range = header_str(parts, header::RANGE).map(str::to_owned);
            let conditions = Conditions::from(parts);
            let blobs = engine.blobs().clone();
            let overrides: Vec<(String, String)> = query
                .iter()
                .filter(|(k, _)| k.starts_with("response-"))
                .cloned()
                .collect();
            // Inline: a read transaction and, for a small body, one read of its blob; larger
            // bodies stream from their own thread.
            engine
                .get_object(id.as_ref(), &info, &bucket, &key, version.as_deref())
                .and_then(|o| {
                    get_response(
                        &o,
                        &blobs,
                        range.as_deref(),
                        &conditions,
                        head,
                        &overrides,
                        &rid_s,
                    )
                })
        }
        S3Op::DeleteObject => {
            let blobs = engine.blobs().clone();
            let version = query
                .iter()
                .find(|(k, _)| k == "versionId")
                .map(|(_, v)| v.clone());
            blocking(Box::new(move || {
                let done = engine.delete_object_version(
                    id.as_ref(),
                    &info,
                    &bucket,
                    &key,
                    version.as_deref(),
                )?;
                if let Err(e) = blobs.delete_all(&done.released) {
                    tracing::warn!(error = %e, "deleting released blobs failed");
                }
                let mut r = empty(StatusCode::NO_CONTENT, &rid_s);
                if let Some(v) = done.version_id.and_then(|v| HeaderValue::from_str(&v).ok()) {
                    r.headers_mut().insert(names::X_AMZ_VERSION_ID, v);
                }
                if done.delete_marker {
                    r.headers_mut()
                        .insert("x-amz-delete-marker", HeaderValue::from_static("true"));
                }
                Ok(r)
            }))
            .await
        }
        op if config::handles(op) => {
            let request = config::Request {
                op,
                engine,
                id,
                info,
                bucket,
                key,
                query,
                rid: rid_s,
            };
            config::serve(request, parts, body).await
        }
        S3Op::CreateMultipartUpload
        | S3Op::UploadPart
        | S3Op::UploadPartCopy
        | S3Op::CompleteMultipartUpload
        | S3Op::AbortMultipartUpload
        | S3Op::ListParts
        | S3Op::ListMultipartUploads => {
            multipart::handle(multipart::Request {
                ctx: &ctx,
                op: route.op,
                id,
                info,
                parts,
                body,
                bucket: &bucket,
                key: &key,
                query: &query,
                verified,
            })
            .await
        }
        S3Op::CopyObject => copy::copy_object(&ctx, id, info, parts, (&bucket, &key)).await,
        S3Op::DeleteObjects => {
            delete_objects::delete_objects(&ctx, id, info, parts, body, &bucket, verified).await
        }
        _ => Err(S3Error::new(
            "NotImplemented",
            501,
            "A header you provided implies functionality that is not implemented",
        )),
    };
    match response {
        Ok(r) => Ok((r, who, op_name)),
        Err(e) => Err((e, who, op_name)),
    }
}

async fn read_small(body: Body, limit: usize) -> Result<Bytes, S3Error> {
    http_body_util::Limited::new(body, limit)
        .collect()
        .await
        .map(|c| c.to_bytes())
        .map_err(|e| {
            if e.is::<http_body_util::LengthLimitError>() {
                S3Error::new("MaxMessageLengthExceeded", 400, "Your request was too big.")
            } else if crate::conn::timed_out(e.as_ref()) {
                body::request_timeout()
            } else {
                S3Error::new(
                    "IncompleteBody",
                    400,
                    "You did not provide the number of bytes specified by the Content-Length HTTP header",
                )
            }
        })
}

/// The `LocationConstraint` of a `CreateBucketConfiguration` body, if any; a body that is not
/// well-formed XML, or not that document, is `MalformedXML`.
fn location_constraint(body: &[u8]) -> Result<Option<String>, S3Error> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let limits = roleplay_wire::xml_read::Limits {
        max_bytes: MAX_CONFIG_BODY,
        ..roleplay_wire::xml_read::Limits::default()
    };
    let doc = roleplay_wire::xml_read::parse(body, &limits).map_err(|_| malformed_xml())?;
    if doc.name != "CreateBucketConfiguration" {
        return Err(malformed_xml());
    }
    let Some(region) = doc.child_text("LocationConstraint") else {
        return Ok(None);
    };
    let region = region.trim();
    if region.is_empty()
        || !region
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(S3Error::new(
            "InvalidLocationConstraint",
            400,
            "The specified location-constraint is not valid",
        ));
    }
    Ok(Some(region.to_owned()))
}

fn malformed_xml() -> S3Error {
    S3Error::new(
        "MalformedXML",
        400,
        "The XML you provided was not well-formed or did not validate against our published schema",
    )
}

/// The `If-*` headers of a GET or HEAD.
struct Conditions {
    if_match: Option<String>,
    if_none_match: Option<String>,
    if_modified_since: Option<time::OffsetDateTime>,
    if_unmodified_since: Option<time::OffsetDateTime>,
    /// `x-amz-checksum-mode: ENABLED`: the answer carries the object's checksums.
    checksum_mode: bool,
}

impl From<&Parts> for Conditions {
    fn from(parts: &Parts) -> Self {
        let date = |n: HeaderName| {
            header_str(parts, n).and_then(|v| roleplay_wire::time::parse_http_date(v).ok())
        };
        Conditions {
            if_match: header_str(parts, header::IF_MATCH).map(str::to_owned),
            if_none_match: header_str(parts, header::IF_NONE_MATCH).map(str::to_owned),
            if_modified_since: date(header::IF_MODIFIED_SINCE),
            if_unmodified_since: date(header::IF_UNMODIFIED_SINCE),
            checksum_mode: header_str(parts, names::X_AMZ_CHECKSUM_MODE)
                .is_some_and(|m| m.eq_ignore_ascii_case("ENABLED")),
        }
    }
}

fn get_response(
    o: &ObjectVersion,
    blobs: &roleplay_store::BlobStore,
    range: Option<&str>,
    c: &Conditions,
    head: bool,
    overrides: &[(String, String)],
    rid: &str,
) -> Result<Response, S3Error> {
    // Seconds precision, as Last-Modified carries.
    let modified = o
        .last_modified
        .replace_nanosecond(0)
        .unwrap_or(o.last_modified);
    if let Some(m) = &c.if_match {
        if !etag_matches(m, &o.etag) {
            return Err(S3Error::precondition_failed("If-Match"));
        }
    } else if c.if_unmodified_since.is_some_and(|t| modified > t) {
        return Err(S3Error::precondition_failed("If-Unmodified-Since"));
    }
    let not_modified = match &c.if_none_match {
        Some(m) => etag_matches(m, &o.etag),
        None => c.if_modified_since.is_some_and(|t| modified <= t),
    };
    let mut r = Response::new(Body::empty());
    let h = r.headers_mut();
    request_headers(h, rid);
    // Names parsed once (a `&str` name is parsed and validated on every insert).
    let mut set = |name: HeaderName, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(name, v);
        }
    };
    set(header::ETAG, &o.etag);
    set(
        header::LAST_MODIFIED,
        &roleplay_wire::time::format_http_date(o.last_modified),
    );
    set(header::ACCEPT_RANGES, "bytes");
    if o.version_id != roleplay_store::NULL_VERSION {
        set(names::X_AMZ_VERSION_ID, &o.version_id);
    }
    if !o.tags.is_empty() {
        set(
            names::X_AMZ_TAGGING_COUNT,
            itoa::Buffer::new().format(o.tags.len()),
        );
    }
    if not_modified {
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        return Ok(r);
    }
    set(names::X_AMZ_SERVER_SIDE_ENCRYPTION, "AES256");
    let hd = &o.headers;
    set(
        header::CONTENT_TYPE,
        hd.content_type.as_deref().unwrap_or("binary/octet-stream"),
    );
    for (name, value) in [
        (header::CONTENT_ENCODING, &hd.content_encoding),
        (header::CONTENT_DISPOSITION, &hd.content_disposition),
        (header::CONTENT_LANGUAGE, &hd.content_language),
        (header::CACHE_CONTROL, &hd.cache_control),
        (header::EXPIRES, &hd.expires),
    ] {
        if let Some(v) = value {
            set(name, v);
        }
    }
    for (k, v) in overrides {
        if let Some(name) = k.strip_prefix("response-")
            && let Ok(n) = axum::http::HeaderName::from_bytes(name.as_bytes())
            && let Ok(v) = HeaderValue::from_str(v)
        {
            r.headers_mut().insert(n, v);
        }
    }
    let h = r.headers_mut();
    for (k, v) in &o.metadata {
        if let (Ok(n), Ok(v)) = (
            axum::http::HeaderName::from_bytes(format!("x-amz-meta-{k}").as_bytes()),
            HeaderValue::from_str(v),
        ) {
            h.insert(n, v);
        }
    }
    let size = o.size;
    let whole = !matches!(
        range.map(|r| parse_range(r, size)),
        Some(RangeSpec::Bytes(..) | RangeSpec::Unsatisfiable)
    );
    if c.checksum_mode && whole {
        // The checksums of the whole object, so not with a part of it.
        checksum_headers(h, &o.checksums);
    }
    let (start, end, partial) = match range.map(|r| parse_range(r, size)) {
        None | Some(RangeSpec::Ignore) => (0, size, false),
        Some(RangeSpec::Unsatisfiable) => {
            return Err(S3Error::new(
                "InvalidRange",
                416,
                "The requested range is not satisfiable",
            )
            .with_range(size));
        }
        Some(RangeSpec::Bytes(a, b)) => (a, b + 1, true),
    };
    if partial {
        *r.status_mut() = StatusCode::PARTIAL_CONTENT;
        if let Ok(v) =
            HeaderValue::from_str(&format!("bytes {start}-{}/{size}", end.saturating_sub(1)))
        {
            r.headers_mut().insert(header::CONTENT_RANGE, v);
        }
    }
    if let Ok(v) = HeaderValue::from_str(&(end - start).to_string()) {
        r.headers_mut().insert(header::CONTENT_LENGTH, v);
    }
    if head {
        return Ok(r);
    }
    if let [
        Segment {
            inline: Some(bytes),
            ..
        },
    ] = o.body.as_slice()
    {
        // A small body came with the version: no reader, no copy.
        let range = usize::try_from(start).unwrap_or(usize::MAX)
            ..usize::try_from(end).unwrap_or(usize::MAX);
        let slice = bytes.get(range.clone()).map(|_| bytes.slice(range));
        *r.body_mut() = Body::from(slice.ok_or_else(internal)?);
        return Ok(r);
    }
    let mut reader = blobs.open_body(&o.body).map_err(|_| internal())?;
    if start > 0 {
        reader
            .seek(SeekFrom::Start(start))
            .map_err(|_| internal())?;
    }
    let mut remaining = end - start;
    if remaining <= READ_CHUNK as u64 {
        // One chunk: read it here rather than start a thread for it.
        let mut buf = Vec::with_capacity(usize::try_from(remaining).unwrap_or(READ_CHUNK));
        std::io::Read::take(&mut reader, remaining)
            .read_to_end(&mut buf)
            .map_err(|_| internal())?;
        *r.body_mut() = Body::from(buf);
        return Ok(r);
    }
    // The reading thread runs up to 2 MiB ahead of the socket, so the disk's reads (1 MiB
    // at a time for a large blob) overlap the sends instead of alternating with them.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(32);
    std::thread::spawn(move || {
        let mut buf = vec![0u8; READ_CHUNK];
        while remaining > 0 {
            let want = usize::try_from(remaining.min(READ_CHUNK as u64)).unwrap_or(READ_CHUNK);
            let Some(slice) = buf.get_mut(..want) else {
                break;
            };
            match reader.read(slice) {
                Ok(0) => break,
                Ok(n) => {
                    remaining -= n as u64;
                    let chunk = Bytes::copy_from_slice(slice.get(..n).unwrap_or_default());
                    if tx.blocking_send(Ok(chunk)).is_err() {
                        break;
                    }
                }
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    break;
                }
            }
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    *r.body_mut() = Body::from_stream(stream);
    Ok(r)
}

trait WithRange {
    fn with_range(self, size: u64) -> Self;
}

impl WithRange for S3Error {
    fn with_range(mut self, size: u64) -> Self {
        self.extra.push(("ActualObjectSize", size.to_string()));
        self
    }
}

fn internal() -> S3Error {
    S3Error::new(
        "InternalError",
        500,
        "We encountered an internal error. Please try again.",
    )
}

enum RangeSpec {
    Ignore,
    Unsatisfiable,
    Bytes(u64, u64),
}

/// `bytes=a-b`, `bytes=a-`, `bytes=-n`; anything else is ignored, as S3 does.
fn parse_range(value: &str, size: u64) -> RangeSpec {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return RangeSpec::Ignore;
    };
    if spec.contains(',') {
        return RangeSpec::Ignore;
    }
    let Some((a, b)) = spec.split_once('-') else {
        return RangeSpec::Ignore;
    };
    let (a, b) = (a.trim(), b.trim());
    match (a.parse::<u64>().ok(), b.parse::<u64>().ok()) {
        (Some(a), _) if a >= size => RangeSpec::Unsatisfiable,
        (Some(a), Some(b)) if b >= a => RangeSpec::Bytes(a, b.min(size - 1)),
        (Some(_), Some(_)) => RangeSpec::Ignore,
        (Some(a), None) if b.is_empty() => RangeSpec::Bytes(a, size - 1),
        (None, Some(n)) if a.is_empty() => {
            if n == 0 || size == 0 {
                RangeSpec::Unsatisfiable
            } else {
                RangeSpec::Bytes(size - n.min(size), size - 1)
            }
        }
        _ => RangeSpec::Ignore,
    }
}

/// S3's condition keys named after request headers, and the ones saying how the request was
/// signed, as S3 sets them for its policies: only those the request has.
fn request_keys(parts: &Parts, verified: Option<&Verified>) -> Vec<(&'static str, String)> {
    let mut keys: Vec<(&'static str, String)> = Vec::new();
    // One pass over the headers (their names are lower case), not a lookup per key.
    for (name, value) in &parts.headers {
        let key = match name.as_str() {
            "x-amz-acl" => "s3:x-amz-acl",
            "x-amz-grant-read" => "s3:x-amz-grant-read",
            "x-amz-grant-write" => "s3:x-amz-grant-write",
            "x-amz-grant-read-acp" => "s3:x-amz-grant-read-acp",
            "x-amz-grant-write-acp" => "s3:x-amz-grant-write-acp",
            "x-amz-grant-full-control" => "s3:x-amz-grant-full-control",
            "x-amz-server-side-encryption" => "s3:x-amz-server-side-encryption",
            "x-amz-server-side-encryption-aws-kms-key-id" => {
                "s3:x-amz-server-side-encryption-aws-kms-key-id"
            }
            "x-amz-storage-class" => "s3:x-amz-storage-class",
            "x-amz-copy-source" => "s3:x-amz-copy-source",
            "x-amz-metadata-directive" => "s3:x-amz-metadata-directive",
            "x-amz-website-redirect-location" => "s3:x-amz-website-redirect-location",
            "x-amz-content-sha256" => "s3:x-amz-content-sha256",
            "x-amz-object-lock-mode" => "s3:object-lock-mode",
            "x-amz-object-lock-retain-until-date" => "s3:object-lock-retain-until-date",
            "x-amz-object-lock-legal-hold" => "s3:object-lock-legal-hold",
            "if-none-match" => "s3:if-none-match",
            _ => continue,
        };
        if let Ok(value) = value.to_str()
            && !keys.iter().any(|(k, _)| *k == key)
        {
            keys.push((key, value.to_owned()));
        }
    }
    if let Some(v) = verified {
        keys.push(("s3:signatureversion", "AWS4-HMAC-SHA256".to_owned()));
        let auth_type = match v.claims.kind {
            roleplay_sigv4::AuthKind::Header => "REST-HEADER",
            _ => "REST-QUERY-STRING",
        };
        keys.push(("s3:authtype", auth_type.to_owned()));
    }
    keys
}

/// How an object's stored checksums cover it: a single PUT's or a copy's checksum is of the
/// whole object (multipart uploads keep none).
const CHECKSUM_TYPE: &str = "FULL_OBJECT";

/// An object's checksums as `x-amz-checksum-*` headers, with their type.
fn checksum_headers(
    h: &mut axum::http::HeaderMap,
    checksums: &std::collections::BTreeMap<String, String>,
) {
    for (algorithm, value) in checksums {
        if let (Ok(n), Ok(v)) = (
            axum::http::HeaderName::from_bytes(
                format!("x-amz-checksum-{}", algorithm.to_ascii_lowercase()).as_bytes(),
            ),
            HeaderValue::from_str(value),
        ) {
            h.insert(n, v);
        }
    }
    if !checksums.is_empty() {
        h.insert(
            "x-amz-checksum-type",
            HeaderValue::from_static(CHECKSUM_TYPE),
        );
    }
}

/// A listed object's checksum algorithms and their type, as ListObjects and
/// ListObjectVersions give them.
pub(crate) fn checksum_elements(
    w: &mut roleplay_wire::xml::XmlWriter,
    checksums: &std::collections::BTreeMap<String, String>,
) {
    for algorithm in checksums.keys() {
        w.text_element("ChecksumAlgorithm", algorithm);
    }
    if !checksums.is_empty() {
        w.text_element("ChecksumType", CHECKSUM_TYPE);
    }
}

fn computed_checksum(blob: &CommittedBlob, algorithm: &str) -> Option<String> {
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    match algorithm {
        "crc32" => blob.crc32.map(|v| b64(&v.to_be_bytes())),
        "crc32c" => blob.crc32c.map(|v| b64(&v.to_be_bytes())),
        "sha1" => blob.sha1.map(|v| b64(&v)),
        "sha256" => blob.sha256.map(|v| b64(&v)),
        _ => None,
    }
}

#[allow(clippy::too_many_arguments, reason = "the request's pieces")]
async fn put_object(
    ctx: &Ctx<'_>,
    id: Option<Identity>,
    info: RequestInfo,
    parts: &Parts,
    body: Body,
    bucket: &str,
    key: &str,
    verified: Option<Verified>,
) -> Result<Response, S3Error> {
    copy::check_write(key, parts, true)?;
    let declared: Option<u64> =
        header_str(parts, header::CONTENT_LENGTH).and_then(|v| v.parse().ok());
    if declared.is_some_and(|n| n > MAX_PUT) {
        return Err(S3Error::new(
            "EntityTooLarge",
            400,
            "Your proposed upload exceeds the maximum allowed size",
        ));
    }
    // A conditional write (S3 takes only `*` for If-None-Match).
    let condition = match (
        header_str(parts, header::IF_NONE_MATCH),
        header_str(parts, header::IF_MATCH),
    ) {
        (Some(v), _) if v.trim() == "*" => Some(WriteCondition::IfNoneMatch),
        (Some(_), _) => {
            return Err(S3Error::new(
                "NotImplemented",
                501,
                "A header you provided implies functionality that is not implemented",
            ));
        }
        (None, Some(list)) => Some(WriteCondition::IfMatch(list.to_owned())),
        (None, None) => None,
    };
    // Authorized before a byte of the body is read.
    let engine = ctx.state.engine.clone();
    let extras = config::put_extras(parts)?;
    let object_tags = extras.tags.clone();
    // Inline: authorization only reads.
    let grants = engine.authorize_put(id.as_ref(), &info, bucket, key, &extras)?;
    let blobs = engine.blobs().clone();
    let body::Received {
        blob,
        checksums: stored,
    } = body::receive_body(&blobs, parts, body, verified.as_ref(), MAX_PUT, true).await?;
    let discard = |blobs: &roleplay_store::BlobStore, blob: &CommittedBlob| {
        let _ = blobs.delete(&blob.id);
    };
    let meta = ObjectMeta {
        checksums: stored.clone(),
        tags: object_tags,
        ..copy::request_meta(parts)
    };
    // A small body's MD5 is left to the store's writer, which hashes the bodies it commits
    // together side by side.
    let etag = blob.etag();
    let (bucket_s, key_s, rid) = (bucket.to_owned(), key.to_owned(), ctx.rid.to_owned());
    let segment = blob.segment();
    let new = engine
        .new_object(id.as_ref(), &info, &bucket_s, &key_s, segment, etag, meta)
        .only_if(condition);
    // Queued on the store's writer, which commits a burst of them together (with one sync
    // on disk). In memory too: committing here would hold a runtime thread while it waits
    // for the writer, and under concurrent PUTs the threads would take turns waiting.
    let committed = {
        let (tx, rx) = tokio::sync::oneshot::channel();
        engine.commit_object_then(new, move |outcome| {
            let _ = tx.send(outcome);
        });
        rx.await.map_err(|_| internal())?
    };
    let (version, released) = match committed {
        Ok(v) => v,
        Err(e) => {
            discard(&blobs, &blob);
            return Err(e);
        }
    };
    if let Err(e) = blobs.delete_all(&released) {
        tracing::warn!(error = %e, "deleting replaced blobs failed");
    }
    if let Some(grants) = grants {
        let (engine, bucket, key, v) = (
            engine.clone(),
            bucket.to_owned(),
            key.to_owned(),
            version.version_id.clone(),
        );
        tokio::task::spawn_blocking(move || engine.set_object_acl(&bucket, &key, &v, &grants))
            .await
            .map_err(|_| internal())??;
    }
    let mut r = empty(StatusCode::OK, &rid);
    sse_default(&mut r);
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&version.etag) {
        h.insert(header::ETAG, v);
    }
    if version.version_id != roleplay_store::NULL_VERSION
        && let Ok(v) = HeaderValue::from_str(&version.version_id)
    {
        h.insert(names::X_AMZ_VERSION_ID, v);
    }
    checksum_headers(h, &stored);
    Ok(r)
}

fn chunk_code(code: &str) -> &'static str {
    match code {
        "SignatureDoesNotMatch" => "SignatureDoesNotMatch",
        "IncompleteBody" => "IncompleteBody",
        "EntityTooLarge" => "EntityTooLarge",
        "NotImplemented" => "NotImplemented",
        _ => "InvalidRequest",
    }
}

/// `x-amz-decoded-content-length` must equal the decoded size of an aws-chunked body.
fn decoder_declared_mismatch(parts: &Parts, total: u64) -> bool {
    header_str(parts, names::X_AMZ_DECODED_CONTENT_LENGTH)
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|declared| declared != total)
}
