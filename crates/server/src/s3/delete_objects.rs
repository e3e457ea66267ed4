//! `DeleteObjects` (`POST /bucket?delete`): a `Delete` XML body of up to 1000 keys, which
//! S3 requires to carry `Content-MD5` or an `x-amz-checksum-*` header (or trailer); each
//! key decided on its own, failures reported per key, `Quiet` leaving out the successes.

use super::body::receive_small;
use super::{Ctx, S3_NS, header_str, internal, malformed_xml, xml_response};
use axum::body::Body;
use axum::http::request::Parts;
use axum::response::Response;
use roleplay_engine::s3::S3Error;
use roleplay_engine::s3::delete_objects::{DeleteOutcome, ObjectToDelete};
use roleplay_engine::{Identity, RequestInfo};
use roleplay_sigv4::Verified;
use roleplay_wire::xml::XmlWriter;
use roleplay_wire::xml_read;

const MAX_KEYS: usize = 1000;
/// 1000 keys of 1024 bytes, escaped, with version ids.
const MAX_BODY: u64 = 8 * 1024 * 1024;

fn has_integrity_header(parts: &Parts) -> bool {
    header_str(parts, "content-md5").is_some()
        || parts
            .headers
            .keys()
            .any(|k| k.as_str().starts_with("x-amz-checksum-") && k != "x-amz-checksum-algorithm")
        || header_str(parts, "x-amz-trailer").is_some_and(|t| t.contains("x-amz-checksum-"))
}

fn parse_delete(body: &[u8]) -> Result<(Vec<ObjectToDelete>, bool), S3Error> {
    let limits = xml_read::Limits {
        max_bytes: MAX_BODY as usize,
        max_depth: 4,
        max_elements: 2 + MAX_KEYS * 6,
    };
    let doc = xml_read::parse(body, &limits).map_err(|_| malformed_xml())?;
    if doc.name != "Delete" {
        return Err(malformed_xml());
    }
    let mut quiet = false;
    let mut objects = Vec::new();
    for c in &doc.children {
        match c.name.as_str() {
            "Quiet" => {
                quiet = match c.text.trim() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(malformed_xml()),
                }
            }
            "Object" => {
                let key = c.child_text("Key").ok_or_else(malformed_xml)?;
                objects.push(ObjectToDelete {
                    key: key.to_owned(),
                    version_id: c
                        .child_text("VersionId")
                        .filter(|v| !v.is_empty())
                        .map(str::to_owned),
                });
            }
            _ => return Err(malformed_xml()),
        }
    }
    if objects.is_empty() || objects.len() > MAX_KEYS {
        return Err(malformed_xml());
    }
    Ok((objects, quiet))
}

pub(super) async fn delete_objects(
    ctx: &Ctx<'_>,
    id: Option<Identity>,
    info: RequestInfo,
    parts: &Parts,
    body: Body,
    bucket: &str,
    verified: Option<Verified>,
) -> Result<Response, S3Error> {
    if !has_integrity_header(parts) {
        return Err(S3Error::new(
            "InvalidRequest",
            400,
            "Missing required header for this request: Content-MD5",
        ));
    }
    let engine = ctx.state.engine.clone();
    let blobs = engine.blobs().clone();
    let raw = receive_small(&blobs, parts, body, verified.as_ref(), MAX_BODY).await?;
    let (objects, quiet) = parse_delete(&raw)?;
    let bucket = bucket.to_owned();
    let rid = ctx.rid.to_owned();
    tokio::task::spawn_blocking(move || {
        let (outcomes, released) = engine.delete_objects(id.as_ref(), &info, &bucket, &objects)?;
        if let Err(e) = blobs.delete_all(&released) {
            tracing::warn!(error = %e, "deleting released blobs failed");
        }
        let mut w = XmlWriter::with_declaration();
        w.element_with_attributes("DeleteResult", &[("xmlns", S3_NS)], |w| {
            for (o, outcome) in objects.iter().zip(&outcomes) {
                match outcome {
                    DeleteOutcome::Deleted {
                        version_id,
                        delete_marker_version_id,
                    } if !quiet => {
                        w.element("Deleted", |w| {
                            w.text_element("Key", &o.key)
                                .optional_text_element("VersionId", version_id.as_deref());
                            if let Some(m) = delete_marker_version_id {
                                w.text_element("DeleteMarker", "true")
                                    .text_element("DeleteMarkerVersionId", m);
                            }
                        });
                    }
                    DeleteOutcome::Deleted { .. } => {}
                    DeleteOutcome::Failed(e) => {
                        w.element("Error", |w| {
                            w.text_element("Key", &o.key)
                                .optional_text_element("VersionId", o.version_id.as_deref())
                                .text_element("Code", e.code)
                                .text_element("Message", &e.message);
                        });
                    }
                }
            }
        });
        Ok(xml_response(w.finish(), &rid))
    })
    .await
    .map_err(|_| internal())?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_delete_bodies() {
        let (objects, quiet) = parse_delete(
            b"<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Object><Key>a&amp;b</Key></Object><Object><Key>c</Key><VersionId>v1</VersionId></Object><Quiet>true</Quiet></Delete>",
        )
        .unwrap();
        assert!(quiet);
        assert_eq!(objects.len(), 2);
        assert_eq!(objects[0].key, "a&b");
        assert_eq!(objects[1].version_id.as_deref(), Some("v1"));
        for bad in [
            &b"<Delete></Delete>"[..],
            b"<Delete><Object></Object></Delete>",
            b"<Delete><Object><Key>a</Key></Object><Quiet>maybe</Quiet></Delete>",
            b"<Other><Object><Key>a</Key></Object></Other>",
            b"<Delete><Object><Key>a</Key></Object>",
        ] {
            assert_eq!(parse_delete(bad).unwrap_err().code, "MalformedXML");
        }
        let many: String = (0..1001)
            .map(|i| format!("<Object><Key>{i}</Key></Object>"))
            .collect();
        assert_eq!(
            parse_delete(format!("<Delete>{many}</Delete>").as_bytes())
                .unwrap_err()
                .code,
            "MalformedXML"
        );
    }
}
