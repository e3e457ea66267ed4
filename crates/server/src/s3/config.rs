//! Versioning, tagging, ACL, Object Ownership and public access block requests: their XML
//! bodies and headers in, their XML out.

use super::{
    MAX_CONFIG_BODY, S3_NS, empty, header_str, malformed_xml, names, read_small, xml_response,
};
use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use roleplay_engine::s3::{
    ALL_USERS, AUTHENTICATED_USERS, AclRequest, AclView, Grantee, GranteeSpec, PutExtras, S3Error,
    canonical_id,
};
use roleplay_engine::{Engine, Identity, RequestInfo};
use roleplay_store::{
    ListEntry, NULL_VERSION, ObjectOwnership, ObjectVersion, PublicAccessBlock, Tag, VersionQuery,
    Versioning,
};
use roleplay_wire::s3_route::S3Op;
use roleplay_wire::xml::XmlWriter;
use std::sync::Arc;

const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// The operations this module serves.
pub(super) fn handles(op: S3Op) -> bool {
    use S3Op::*;
    matches!(
        op,
        PutBucketVersioning
            | GetBucketVersioning
            | ListObjectVersions
            | PutBucketTagging
            | GetBucketTagging
            | DeleteBucketTagging
            | PutObjectTagging
            | GetObjectTagging
            | DeleteObjectTagging
            | GetBucketAcl
            | PutBucketAcl
            | GetObjectAcl
            | PutObjectAcl
            | GetBucketOwnershipControls
            | PutBucketOwnershipControls
            | GetPublicAccessBlock
            | PutPublicAccessBlock
            | DeletePublicAccessBlock
            | GetBucketPolicyStatus
            | GetBucketEncryption
    )
}

/// One request addressed to this module.
pub(super) struct Request {
    pub op: S3Op,
    pub engine: Arc<Engine>,
    pub id: Option<Identity>,
    pub info: RequestInfo,
    pub bucket: String,
    pub key: String,
    pub query: Vec<(String, String)>,
    pub rid: String,
}

impl Request {
    fn q(&self, name: &str) -> Option<String> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }
}

/// Serves a request of [`handles`].
pub(super) async fn serve(r: Request, parts: &Parts, body: Body) -> Result<Response, S3Error> {
    let needs_body = matches!(
        r.op,
        S3Op::PutBucketVersioning
            | S3Op::PutBucketTagging
            | S3Op::PutObjectTagging
            | S3Op::PutBucketAcl
            | S3Op::PutObjectAcl
            | S3Op::PutBucketOwnershipControls
            | S3Op::PutPublicAccessBlock
    );
    let text = if needs_body {
        let raw = read_small(body, MAX_CONFIG_BODY).await?;
        String::from_utf8(raw.to_vec()).map_err(|_| malformed_xml())?
    } else {
        String::new()
    };
    let acl = if matches!(r.op, S3Op::PutBucketAcl | S3Op::PutObjectAcl) {
        Some(match acl_from_headers(parts)? {
            Some(a) => a,
            None => acl_from_body(&text)?,
        })
    } else {
        None
    };
    tokio::task::spawn_blocking(move || blocking(&r, &text, acl))
        .await
        .unwrap_or_else(|_| {
            Err(S3Error::new(
                "InternalError",
                500,
                "We encountered an internal error. Please try again.",
            ))
        })
}

fn blocking(r: &Request, text: &str, acl: Option<AclRequest>) -> Result<Response, S3Error> {
    let (engine, info, bucket, key) = (&r.engine, &r.info, r.bucket.as_str(), r.key.as_str());
    let id = r.id.as_ref();
    let need_id = || id.ok_or_else(S3Error::access_denied);
    let version = r.q("versionId");
    let version = version.as_deref();
    let mut w = XmlWriter::with_declaration();
    let ok = |status| empty(status, &r.rid);
    match r.op {
        S3Op::PutBucketVersioning => {
            let status = element(text, "Status").ok_or_else(malformed_xml)?;
            let state = match status.as_str() {
                "Enabled" => Versioning::Enabled,
                "Suspended" => Versioning::Suspended,
                _ => return Err(malformed_xml()),
            };
            engine.put_bucket_versioning(need_id()?, info, bucket, state)?;
            Ok(ok(StatusCode::OK))
        }
        S3Op::GetBucketVersioning => {
            let b = engine.bucket_action(id, info, bucket, "s3:GetBucketVersioning")?;
            w.element_with_attributes("VersioningConfiguration", &[("xmlns", S3_NS)], |w| {
                if b.versioning != Versioning::Unversioned {
                    w.text_element("Status", b.versioning.as_str());
                }
            });
            Ok(xml_response(w.finish(), &r.rid))
        }
        S3Op::ListObjectVersions => list_versions(r),
        S3Op::PutBucketTagging => {
            engine.put_bucket_tagging(need_id()?, info, bucket, tags_from_body(text)?)?;
            Ok(ok(StatusCode::NO_CONTENT))
        }
        S3Op::DeleteBucketTagging => {
            engine.delete_bucket_tagging(need_id()?, info, bucket)?;
            Ok(ok(StatusCode::NO_CONTENT))
        }
        S3Op::GetBucketTagging => {
            let tags = engine.get_bucket_tagging(need_id()?, info, bucket)?;
            write_tagging(&mut w, &tags);
            Ok(xml_response(w.finish(), &r.rid))
        }
        S3Op::GetObjectTagging => {
            let o = engine.get_object_tagging(id, info, bucket, key, version)?;
            write_tagging(&mut w, &o.tags);
            let mut resp = xml_response(w.finish(), &r.rid);
            version_header(&mut resp, &o);
            Ok(resp)
        }
        S3Op::PutObjectTagging | S3Op::DeleteObjectTagging => {
            let put = r.op == S3Op::PutObjectTagging;
            let tags = if put {
                Some(tags_from_body(text)?)
            } else {
                None
            };
            let o = engine.put_object_tagging(id, info, bucket, key, version, tags)?;
            let mut resp = ok(if put {
                StatusCode::OK
            } else {
                StatusCode::NO_CONTENT
            });
            version_header(&mut resp, &o);
            Ok(resp)
        }
        S3Op::GetBucketAcl => {
            let view = engine.get_bucket_acl(id, info, bucket)?;
            write_acl(&mut w, &view);
            Ok(xml_response(w.finish(), &r.rid))
        }
        S3Op::GetObjectAcl => {
            let (o, view) = engine.get_object_acl(id, info, bucket, key, version)?;
            write_acl(&mut w, &view);
            let mut resp = xml_response(w.finish(), &r.rid);
            version_header(&mut resp, &o);
            Ok(resp)
        }
        S3Op::PutBucketAcl => {
            let acl = acl.ok_or_else(malformed_xml)?;
            engine.put_bucket_acl(id, info, bucket, &acl)?;
            Ok(ok(StatusCode::OK))
        }
        S3Op::PutObjectAcl => {
            let acl = acl.ok_or_else(malformed_xml)?;
            let o = engine.put_object_acl(id, info, bucket, key, version, &acl)?;
            let mut resp = ok(StatusCode::OK);
            version_header(&mut resp, &o);
            Ok(resp)
        }
        S3Op::GetBucketOwnershipControls => {
            let b = engine.bucket_action(id, info, bucket, "s3:GetBucketOwnershipControls")?;
            w.element_with_attributes("OwnershipControls", &[("xmlns", S3_NS)], |w| {
                w.element("Rule", |w| {
                    w.text_element("ObjectOwnership", b.ownership.as_str());
                });
            });
            Ok(xml_response(w.finish(), &r.rid))
        }
        S3Op::PutBucketOwnershipControls => {
            let ownership = match element(text, "ObjectOwnership").as_deref() {
                Some("BucketOwnerEnforced") => ObjectOwnership::BucketOwnerEnforced,
                Some("BucketOwnerPreferred") => ObjectOwnership::BucketOwnerPreferred,
                Some("ObjectWriter") => ObjectOwnership::ObjectWriter,
                _ => return Err(malformed_xml()),
            };
            engine.put_ownership_controls(need_id()?, info, bucket, ownership)?;
            Ok(ok(StatusCode::OK))
        }
        S3Op::PutPublicAccessBlock => {
            if !text.contains("PublicAccessBlockConfiguration") {
                return Err(malformed_xml());
            }
            let flag = |name: &str| -> Result<bool, S3Error> {
                match element(text, name).as_deref().map(str::trim) {
                    None => Ok(false),
                    Some("true") => Ok(true),
                    Some("false") => Ok(false),
                    Some(_) => Err(malformed_xml()),
                }
            };
            let block = PublicAccessBlock {
                block_public_acls: flag("BlockPublicAcls")?,
                ignore_public_acls: flag("IgnorePublicAcls")?,
                block_public_policy: flag("BlockPublicPolicy")?,
                restrict_public_buckets: flag("RestrictPublicBuckets")?,
            };
            engine.put_public_access_block(need_id()?, info, bucket, Some(block))?;
            Ok(ok(StatusCode::OK))
        }
        S3Op::DeletePublicAccessBlock => {
            engine.put_public_access_block(need_id()?, info, bucket, None)?;
            Ok(ok(StatusCode::NO_CONTENT))
        }
        S3Op::GetPublicAccessBlock => {
            let p = engine.get_public_access_block(need_id()?, info, bucket)?;
            let b = |v: bool| if v { "true" } else { "false" };
            w.element_with_attributes("PublicAccessBlockConfiguration", &[("xmlns", S3_NS)], |w| {
                w.text_element("BlockPublicAcls", b(p.block_public_acls))
                    .text_element("IgnorePublicAcls", b(p.ignore_public_acls))
                    .text_element("BlockPublicPolicy", b(p.block_public_policy))
                    .text_element("RestrictPublicBuckets", b(p.restrict_public_buckets));
            });
            Ok(xml_response(w.finish(), &r.rid))
        }
        S3Op::GetBucketEncryption => {
            engine.get_bucket_encryption(need_id()?, info, bucket)?;
            w.element_with_attributes(
                "ServerSideEncryptionConfiguration",
                &[("xmlns", S3_NS)],
                |w| {
                    w.element("Rule", |w| {
                        w.element("ApplyServerSideEncryptionByDefault", |w| {
                            w.text_element("SSEAlgorithm", "AES256");
                        })
                        .text_element("BucketKeyEnabled", "false");
                    });
                },
            );
            Ok(xml_response(w.finish(), &r.rid))
        }
        S3Op::GetBucketPolicyStatus => {
            let public = engine.get_bucket_policy_status(need_id()?, info, bucket)?;
            w.element_with_attributes("PolicyStatus", &[("xmlns", S3_NS)], |w| {
                w.text_element("IsPublic", if public { "true" } else { "false" });
            });
            Ok(xml_response(w.finish(), &r.rid))
        }
        _ => Err(S3Error::new(
            "NotImplemented",
            501,
            "A header you provided implies functionality that is not implemented",
        )),
    }
}

fn version_header(resp: &mut Response, o: &ObjectVersion) {
    if o.version_id != NULL_VERSION
        && let Ok(v) = HeaderValue::from_str(&o.version_id)
    {
        resp.headers_mut().insert(names::X_AMZ_VERSION_ID, v);
    }
}

fn list_versions(r: &Request) -> Result<Response, S3Error> {
    let max_keys = match r.q("max-keys") {
        Some(m) => m.parse::<usize>().map_err(|_| {
            S3Error::new(
                "InvalidArgument",
                400,
                "Provided max-keys not an integer or within integer range",
            )
        })?,
        None => 1000,
    }
    .min(1000);
    let key_marker = r.q("key-marker").filter(|k| !k.is_empty());
    let version_id_marker = r.q("version-id-marker").filter(|k| !k.is_empty());
    if version_id_marker.is_some() && key_marker.is_none() {
        return Err(S3Error::new(
            "InvalidArgument",
            400,
            "A version-id marker cannot be specified without a key marker.",
        ));
    }
    let query = VersionQuery {
        prefix: r.q("prefix").unwrap_or_default(),
        delimiter: r.q("delimiter").filter(|d| !d.is_empty()),
        key_marker: key_marker.clone(),
        version_id_marker: version_id_marker.clone(),
        max_keys,
    };
    let url = r.q("encoding-type").as_deref() == Some("url");
    let enc = |s: &str| {
        if url {
            roleplay_wire::query::percent_encode(s).replace("%2F", "/")
        } else {
            s.to_owned()
        }
    };
    let listing = r
        .engine
        .list_object_versions(r.id.as_ref(), &r.info, &r.bucket, &query)?;
    let mut w = XmlWriter::with_declaration();
    w.element_with_attributes("ListVersionsResult", &[("xmlns", S3_NS)], |w| {
        w.text_element("Name", &r.bucket)
            .text_element("Prefix", &enc(&query.prefix))
            .text_element("KeyMarker", &enc(key_marker.as_deref().unwrap_or("")))
            .text_element(
                "VersionIdMarker",
                version_id_marker.as_deref().unwrap_or(""),
            );
        if listing.is_truncated {
            w.optional_text_element(
                "NextKeyMarker",
                listing.next_key_marker.as_deref().map(enc).as_deref(),
            )
            .optional_text_element(
                "NextVersionIdMarker",
                listing.next_version_id_marker.as_deref(),
            );
        }
        w.display_element("MaxKeys", max_keys)
            .optional_text_element("Delimiter", query.delimiter.as_deref().map(enc).as_deref());
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
        for e in &listing.entries {
            match e {
                ListEntry::Item(v) if v.delete_marker => {
                    w.element("DeleteMarker", |w| {
                        owner(w, "Owner", &v.owner);
                        w.text_element("Key", &enc(&v.key))
                            .text_element("VersionId", &v.version_id)
                            .text_element("IsLatest", if v.is_latest { "true" } else { "false" })
                            .timestamp_millis_element("LastModified", v.last_modified);
                    });
                }
                ListEntry::Item(v) => {
                    w.element("Version", |w| {
                        w.text_element("Key", &enc(&v.key))
                            .text_element("VersionId", &v.version_id)
                            .text_element("IsLatest", if v.is_latest { "true" } else { "false" })
                            .timestamp_millis_element("LastModified", v.last_modified)
                            .text_element("ETag", &v.etag);
                        super::checksum_elements(w, &v.checksums);
                        w.display_element("Size", v.size);
                        owner(w, "Owner", &v.owner);
                        w.text_element("StorageClass", &v.storage_class);
                    });
                }
                ListEntry::CommonPrefix(p) => {
                    w.element("CommonPrefixes", |w| {
                        w.text_element("Prefix", &enc(p));
                    });
                }
            }
        }
    });
    Ok(xml_response(w.finish(), &r.rid))
}

/// An owner by canonical id: S3 stopped returning `DisplayName` anywhere on 2025-11-21.
fn owner(w: &mut XmlWriter, name: &str, account: &roleplay_types::AccountId) {
    w.element(name, |w| {
        w.text_element("ID", &canonical_id(account));
    });
}

fn write_tagging(w: &mut XmlWriter, tags: &[Tag]) {
    w.element_with_attributes("Tagging", &[("xmlns", S3_NS)], |w| {
        w.element("TagSet", |w| {
            for t in tags {
                w.element("Tag", |w| {
                    w.text_element("Key", &t.key)
                        .text_element("Value", &t.value);
                });
            }
        });
    });
}

fn write_acl(w: &mut XmlWriter, view: &AclView) {
    w.element_with_attributes("AccessControlPolicy", &[("xmlns", S3_NS)], |w| {
        owner(w, "Owner", &view.owner);
        w.element("AccessControlList", |w| {
            for g in &view.grants {
                w.element("Grant", |w| {
                    match &g.grantee {
                        Grantee::CanonicalUser(c) => {
                            w.element_with_attributes(
                                "Grantee",
                                &[("xmlns:xsi", XSI), ("xsi:type", "CanonicalUser")],
                                |w| {
                                    w.text_element("ID", c);
                                },
                            );
                        }
                        Grantee::Group(u) => {
                            w.element_with_attributes(
                                "Grantee",
                                &[("xmlns:xsi", XSI), ("xsi:type", "Group")],
                                |w| {
                                    w.text_element("URI", u);
                                },
                            );
                        }
                    }
                    w.text_element("Permission", &g.permission);
                });
            }
        });
    });
}

/// Inner texts of every `<name>`/`<name attr…>` element, not nested in itself.
fn elements<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    let open = format!("<{name}");
    let close = format!("</{name}>");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(&open) {
        let after = rest.get(i + open.len()..).unwrap_or("");
        // `<TagSet` must not match `<Tag`.
        if !after.starts_with(['>', ' ', '\t', '\n', '\r', '/']) {
            rest = after;
            continue;
        }
        let Some(gt) = after.find('>') else { break };
        if after.get(..gt).is_some_and(|a| a.ends_with('/')) {
            out.push("");
            rest = after.get(gt + 1..).unwrap_or("");
            continue;
        }
        let body = after.get(gt + 1..).unwrap_or("");
        let Some(end) = body.find(&close) else { break };
        out.push(body.get(..end).unwrap_or(""));
        rest = body.get(end + close.len()..).unwrap_or("");
    }
    out
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(rest.get(..i).unwrap_or(""));
        let after = rest.get(i..).unwrap_or("");
        let Some(semi) = after.find(';') else {
            out.push_str(after);
            return out;
        };
        let entity = after.get(1..semi).unwrap_or("");
        let c = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e => e
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| e.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match c {
            Some(c) => out.push(c),
            None => out.push_str(after.get(..=semi).unwrap_or("")),
        }
        rest = after.get(semi + 1..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

fn element(text: &str, name: &str) -> Option<String> {
    elements(text, name).first().map(|s| unescape(s.trim()))
}

/// The tags of a `Tagging` body.
pub(super) fn tags_from_body(text: &str) -> Result<Vec<Tag>, S3Error> {
    if elements(text, "Tagging").is_empty() || elements(text, "TagSet").is_empty() {
        return Err(malformed_xml());
    }
    elements(text, "Tag")
        .into_iter()
        .map(|t| {
            Ok(Tag {
                key: element(t, "Key").ok_or_else(malformed_xml)?,
                value: element(t, "Value").ok_or_else(malformed_xml)?,
            })
        })
        .collect()
}

/// The tags of an `x-amz-tagging` header (URL query form).
pub(super) fn tags_from_header(value: &str) -> Vec<Tag> {
    value
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let dec = |s: &str| {
                roleplay_wire::s3_route::percent_decode_path(&s.replace('+', " "))
                    .unwrap_or_else(|_| s.to_owned())
            };
            Tag {
                key: dec(k),
                value: dec(v),
            }
        })
        .collect()
}

const GRANT_HEADERS: [(HeaderName, &str); 5] = [
    (names::X_AMZ_GRANT_FULL_CONTROL, "FULL_CONTROL"),
    (names::X_AMZ_GRANT_READ, "READ"),
    (names::X_AMZ_GRANT_WRITE, "WRITE"),
    (names::X_AMZ_GRANT_READ_ACP, "READ_ACP"),
    (names::X_AMZ_GRANT_WRITE_ACP, "WRITE_ACP"),
];

/// An ACL set by `x-amz-acl` or `x-amz-grant-*` headers, if any.
pub(super) fn acl_from_headers(parts: &Parts) -> Result<Option<AclRequest>, S3Error> {
    let canned = header_str(parts, names::X_AMZ_ACL);
    let mut grants = Vec::new();
    for (header, permission) in GRANT_HEADERS {
        let Some(value) = header_str(parts, header) else {
            continue;
        };
        for item in value.split(',') {
            let (kind, v) = item.trim().split_once('=').ok_or_else(|| {
                S3Error::new("InvalidArgument", 400, "Argument format not recognized")
            })?;
            let v = v.trim().trim_matches('"').to_owned();
            let spec = match kind.trim() {
                "id" => GranteeSpec::Id(v),
                "emailAddress" => GranteeSpec::Email(v),
                "uri" => GranteeSpec::Uri(v),
                _ => {
                    return Err(S3Error::new(
                        "InvalidArgument",
                        400,
                        "Argument format not recognized",
                    ));
                }
            };
            grants.push((permission.to_owned(), spec));
        }
    }
    match (canned, grants.is_empty()) {
        (Some(_), false) => Err(S3Error::new(
            "InvalidRequest",
            400,
            "Specifying both Canned ACLs and Header Grants is not allowed",
        )),
        (Some(c), true) => Ok(Some(AclRequest::Canned(c.trim().to_owned()))),
        (None, false) => Ok(Some(AclRequest::Grants(grants))),
        (None, true) => Ok(None),
    }
}

/// The grants of an `AccessControlPolicy` body.
fn acl_from_body(text: &str) -> Result<AclRequest, S3Error> {
    if elements(text, "AccessControlPolicy").is_empty() {
        return Err(malformed_xml());
    }
    let mut grants = Vec::new();
    for g in elements(text, "Grant") {
        let permission = element(g, "Permission").ok_or_else(malformed_xml)?;
        let grantee = elements(g, "Grantee")
            .first()
            .copied()
            .ok_or_else(malformed_xml)?;
        let spec = if let Some(id) = element(grantee, "ID") {
            GranteeSpec::Id(id)
        } else if let Some(e) = element(grantee, "EmailAddress") {
            GranteeSpec::Email(e)
        } else if let Some(u) = element(grantee, "URI") {
            GranteeSpec::Uri(u)
        } else {
            return Err(malformed_xml());
        };
        grants.push((permission, spec));
    }
    Ok(AclRequest::Grants(grants))
}

/// What a `PutObject`'s headers set besides the body.
pub(super) fn put_extras(parts: &Parts) -> Result<PutExtras, S3Error> {
    Ok(PutExtras {
        tags: header_str(parts, names::X_AMZ_TAGGING)
            .map(tags_from_header)
            .unwrap_or_default(),
        acl: acl_from_headers(parts)?,
    })
}

/// Object Ownership and an ACL a `CreateBucket` sets.
pub(super) struct CreateExtras {
    ownership: Option<ObjectOwnership>,
    acl: Option<AclRequest>,
}

/// Reads `x-amz-object-ownership` and the ACL headers of a `CreateBucket`; an ACL that
/// grants anything is refused up front when ACLs would be disabled.
pub(super) fn create_extras(parts: &Parts) -> Result<CreateExtras, S3Error> {
    let ownership = match header_str(parts, "x-amz-object-ownership") {
        None => None,
        Some("BucketOwnerEnforced") => Some(ObjectOwnership::BucketOwnerEnforced),
        Some("BucketOwnerPreferred") => Some(ObjectOwnership::BucketOwnerPreferred),
        Some("ObjectWriter") => Some(ObjectOwnership::ObjectWriter),
        Some(other) => {
            return Err(S3Error::new(
                "InvalidArgument",
                400,
                format!("Invalid x-amz-object-ownership header: {other}"),
            ));
        }
    };
    let acl = acl_from_headers(parts)?;
    let enforced = ownership.is_none_or(|o| o == ObjectOwnership::BucketOwnerEnforced);
    let harmless = match &acl {
        None => true,
        Some(AclRequest::Canned(c)) => c == "private" || c == "bucket-owner-full-control",
        Some(AclRequest::Grants(_)) => false,
    };
    if enforced && !harmless {
        return Err(S3Error::new(
            "InvalidBucketAclWithObjectOwnership",
            400,
            "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
        ));
    }
    // A new bucket blocks public access, so a public ACL cannot come with it.
    let public = match &acl {
        Some(AclRequest::Canned(c)) => {
            matches!(c.as_str(), "public-read" | "public-read-write" | "authenticated-read")
        }
        Some(AclRequest::Grants(g)) => g.iter().any(|(_, spec)| {
            matches!(spec, GranteeSpec::Uri(u) if u == ALL_USERS || u == AUTHENTICATED_USERS)
        }),
        None => false,
    };
    if public {
        return Err(S3Error::new(
            "InvalidBucketAclWithBlockPublicAccessError",
            400,
            "Bucket cannot have public ACLs set with BlockPublicAccess enabled",
        ));
    }
    Ok(CreateExtras { ownership, acl })
}

/// Applies what [`create_extras`] read to the bucket just created.
pub(super) fn apply_create_extras(
    engine: &Engine,
    id: &Identity,
    info: &RequestInfo,
    bucket: &str,
    extras: CreateExtras,
) -> Result<(), S3Error> {
    if let Some(o) = extras.ownership {
        engine.put_ownership_controls(id, info, bucket, o)?;
    }
    if let (Some(acl), Some(o)) = (extras.acl, extras.ownership)
        && o != ObjectOwnership::BucketOwnerEnforced
    {
        engine.put_bucket_acl(Some(id), info, bucket, &acl)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_bodies() {
        let t = tags_from_body(
            r#"<Tagging xmlns="x"><TagSet><Tag><Key>a&amp;b</Key><Value>1</Value></Tag><Tag><Key>c</Key><Value></Value></Tag></TagSet></Tagging>"#,
        )
        .unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].key, "a&b");
        assert_eq!(t[1].value, "");
        assert!(tags_from_body("<nope/>").is_err());
        let h = tags_from_header("k1=v%201&k2=");
        assert_eq!(h[0].value, "v 1");
        assert_eq!(h[1].key, "k2");
    }

    #[test]
    fn acl_bodies() {
        let a = acl_from_body(
            r#"<AccessControlPolicy><Owner><ID>o</ID></Owner><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>"#,
        )
        .unwrap();
        assert_eq!(
            a,
            AclRequest::Grants(vec![(
                "READ".into(),
                GranteeSpec::Uri("http://acs.amazonaws.com/groups/global/AllUsers".into())
            )])
        );
    }
}
