//! S3's rest-xml protocol driven by the model, as botocore's `RestXMLSerializer` and
//! `RestXMLParser`: URI labels (`{Bucket}`, `{Key+}`) and the URI's literal query, members
//! bound to query strings, headers and prefixed header maps, the payload member as an XML
//! document or as the raw body; answers read from headers first, then from the body, in model
//! order (the order the aws CLI prints them). Timestamps stay as sent, as the aws CLI v1 prints
//! them.

use crate::aws::http::Response;
use crate::aws::json::Json;
use crate::aws::model;
use crate::aws::model::{Kind, Location, Model, Ref, Shape};
use crate::aws::query;
use crate::aws::s3::S3Request;
use crate::aws::session::{CallError, Session};
use roleplay_wire::xml_read::{self, Limits};
use serde_json::Value;

const RESPONSE_LIMITS: Limits = Limits {
    max_bytes: 64 * 1024 * 1024,
    max_depth: 32,
    max_elements: 1_000_000,
};

fn shape<'m>(model: &'m Model, name: &str) -> Result<&'m Shape, String> {
    model
        .shape(name)
        .ok_or_else(|| format!("the model lacks the shape {name}"))
}

/// Text of a scalar parameter as sent in a URI, query string or header.
fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        other => other.to_string(),
    }
}

/// The request of `operation` with `params`; `body` is the streaming payload, if any.
pub fn serialize(
    model: &Model,
    operation: &str,
    params: &Value,
    body: Option<Vec<u8>>,
) -> Result<S3Request, String> {
    let op = model
        .operations
        .get(operation)
        .ok_or_else(|| format!("unknown operation {operation}"))?;
    let http = op
        .http
        .as_ref()
        .ok_or_else(|| format!("{operation} has no HTTP binding"))?;
    let method: &'static str = match http.method.as_str() {
        "GET" => "GET",
        "PUT" => "PUT",
        "POST" => "POST",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        other => return Err(format!("unsupported method {other}")),
    };
    let (path, literal_query) = http
        .request_uri
        .split_once('?')
        .unwrap_or((http.request_uri.as_str(), ""));
    let mut req = S3Request {
        method,
        ..S3Request::default()
    };
    for part in literal_query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        req.query.push((k.to_owned(), v.to_owned()));
    }
    let mut map = params.as_object().cloned().unwrap_or_default();
    // botocore's `response_checksum_validation = when_supported`: an operation that can
    // return the object's checksums is asked to (GetObject's `x-amz-checksum-mode`).
    if let Some(member) = &op.validation_mode_member
        && !map.contains_key(member)
    {
        map.insert(member.clone(), Value::String("ENABLED".to_owned()));
    }
    let map = &map;
    let input = match &op.input {
        Some(i) => Some(shape(model, i)?),
        None => None,
    };
    let members: &[(String, Ref)] = input.map(|s| s.members.as_slice()).unwrap_or_default();
    for (name, r) in members {
        let Some(value) = map.get(name) else { continue };
        let wire = r.location_name.as_deref().unwrap_or(name);
        match r.location {
            Some(Location::Uri) => {
                let text = scalar_text(value);
                if path.contains(&format!("{{{wire}+}}")) {
                    req.key = Some(text);
                } else if path.contains(&format!("{{{wire}}}")) {
                    req.bucket = Some(text);
                }
            }
            Some(Location::Querystring) => match value {
                Value::Array(items) => {
                    for i in items {
                        req.query.push((wire.to_owned(), scalar_text(i)));
                    }
                }
                Value::Object(entries) => {
                    for (k, v) in entries {
                        req.query.push((k.clone(), scalar_text(v)));
                    }
                }
                v => req.query.push((wire.to_owned(), scalar_text(v))),
            },
            Some(Location::Header) if shape(model, &r.shape)?.kind == Kind::Timestamp => {
                let text = scalar_text(value);
                req.headers.push((
                    wire.to_ascii_lowercase(),
                    http_timestamp(&text).unwrap_or(text),
                ));
            }
            Some(Location::Header) => match value {
                Value::Array(items) => req.headers.push((
                    wire.to_ascii_lowercase(),
                    items.iter().map(scalar_text).collect::<Vec<_>>().join(","),
                )),
                v => req
                    .headers
                    .push((wire.to_ascii_lowercase(), scalar_text(v))),
            },
            Some(Location::Headers) => {
                if let Value::Object(entries) = value {
                    for (k, v) in entries {
                        req.headers
                            .push((format!("{wire}{k}").to_ascii_lowercase(), scalar_text(v)));
                    }
                }
            }
            Some(Location::StatusCode) | None => {}
        }
    }
    if !path.starts_with("/{Bucket}") && path != "/" {
        return Err(format!("{operation} is not addressable path-style"));
    }
    let payload = input.and_then(|s| s.payload.as_deref());
    if let Some(body) = body {
        req.body = body;
    } else if let Some(p) = payload
        && let Some(value) = map.get(p)
        && let Some((_, r)) = members.iter().find(|(n, _)| n == p)
    {
        let s = shape(model, &r.shape)?;
        req.body = match s.kind {
            Kind::Structure => {
                let root = r
                    .location_name
                    .as_deref()
                    .or(s.location_name.as_deref())
                    .unwrap_or(p);
                let mut out = String::new();
                xml_value(model, s, value, root, r.xml_namespace.as_deref(), &mut out)?;
                out.into_bytes()
            }
            _ => scalar_text(value).into_bytes(),
        };
    }
    add_checksum(op, map, &mut req)?;
    Ok(req)
}

/// A timestamp given on the command line (ISO 8601, an HTTP date or epoch seconds) as
/// botocore sends it in a header: an HTTP date.
fn http_timestamp(text: &str) -> Option<String> {
    use time::format_description::well_known::Rfc3339;
    let t = time::OffsetDateTime::parse(text.trim(), &Rfc3339)
        .ok()
        .or_else(|| roleplay_sigv4::parse_http_date(text.trim()))
        .or_else(|| {
            text.trim()
                .parse::<i64>()
                .ok()
                .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        })?;
    Some(roleplay_wire::time::format_http_date(t))
}

/// botocore's flexible checksums (`when_supported`): a body checksum header for operations
/// that require one or name an algorithm member, CRC32 unless `--checksum-algorithm` says
/// otherwise, and the algorithm in `x-amz-sdk-checksum-algorithm`.
fn add_checksum(
    op: &model::Operation,
    params: &serde_json::Map<String, Value>,
    req: &mut S3Request,
) -> Result<(), String> {
    use base64::Engine as _;
    if req
        .headers
        .iter()
        .any(|(k, _)| k.starts_with("x-amz-checksum-"))
    {
        return Ok(());
    }
    let member = op.checksum_algorithm_member.as_deref();
    let chosen = member.and_then(|m| params.get(m)).and_then(Value::as_str);
    if chosen.is_none() && !op.checksum_required && member.is_none() {
        return Ok(());
    }
    let algorithm = chosen.unwrap_or("CRC32").to_ascii_uppercase();
    let digest: Vec<u8> = match algorithm.as_str() {
        "CRC32" => crc32fast::hash(&req.body).to_be_bytes().to_vec(),
        "SHA1" => {
            use sha1::Digest as _;
            sha1::Sha1::digest(&req.body).to_vec()
        }
        "SHA256" => hex::decode(roleplay_sigv4::sha256_hex(&req.body)).unwrap_or_default(),
        other => {
            return Err(format!(
                "Unsupported checksum algorithm: {}",
                other.to_lowercase()
            ));
        }
    };
    req.headers.push((
        format!("x-amz-checksum-{}", algorithm.to_ascii_lowercase()),
        base64::engine::general_purpose::STANDARD.encode(digest),
    ));
    if chosen.is_none() && member.is_some() {
        req.headers
            .push(("x-amz-sdk-checksum-algorithm".to_owned(), algorithm));
    }
    Ok(())
}

fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

/// One value as the XML element `name` (botocore's `_serialize`); `ns` is the namespace the
/// referring member declares.
fn xml_value(
    model: &Model,
    s: &Shape,
    value: &Value,
    name: &str,
    ns: Option<&str>,
    out: &mut String,
) -> Result<(), String> {
    let bad = || format!("Invalid type for parameter {name}, value: {value}");
    let mut attributes: Vec<(String, String)> = Vec::new();
    if let Some(ns) = ns.or(s.xml_namespace.as_deref()) {
        let key = match &s.xml_prefix {
            Some(prefix) => format!("xmlns:{prefix}"),
            None => "xmlns".to_owned(),
        };
        attributes.push((key, ns.to_owned()));
    }
    let mut inner = String::new();
    match s.kind {
        Kind::Structure => {
            let Value::Object(map) = value else {
                return Err(bad());
            };
            for (member, r) in &s.members {
                let Some(v) = map.get(member) else { continue };
                let ms = shape(model, &r.shape)?;
                let element = r.location_name.as_deref().unwrap_or(member);
                if r.xml_attribute {
                    attributes.push((element.to_owned(), scalar_text(v)));
                } else if ms.kind == Kind::List && (ms.flattened || r.flattened) {
                    let Value::Array(items) = v else {
                        return Err(format!("Invalid type for parameter {member}, value: {v}"));
                    };
                    let es = ms.member.as_ref().ok_or("a list shape without a member")?;
                    let e = shape(model, &es.shape)?;
                    for item in items {
                        xml_value(model, e, item, element, None, &mut inner)?;
                    }
                } else {
                    xml_value(
                        model,
                        ms,
                        v,
                        element,
                        r.xml_namespace.as_deref(),
                        &mut inner,
                    )?;
                }
            }
        }
        Kind::List => {
            let Value::Array(items) = value else {
                return Err(bad());
            };
            let es = s.member.as_ref().ok_or("a list shape without a member")?;
            let e = shape(model, &es.shape)?;
            let element = es.location_name.as_deref().unwrap_or("member");
            for item in items {
                xml_value(model, e, item, element, None, &mut inner)?;
            }
        }
        Kind::Map => {
            let Value::Object(entries) = value else {
                return Err(bad());
            };
            let (k, v) = (
                s.key.as_ref().ok_or("a map without a key")?,
                s.value.as_ref().ok_or("a map without a value")?,
            );
            let vs = shape(model, &v.shape)?;
            let key_name = k.location_name.as_deref().unwrap_or("key");
            for (key, val) in entries {
                inner.push_str("<entry><");
                inner.push_str(key_name);
                inner.push('>');
                escape(key, &mut inner);
                inner.push_str("</");
                inner.push_str(key_name);
                inner.push('>');
                let value_name = v.location_name.as_deref().unwrap_or("value");
                xml_value(model, vs, val, value_name, None, &mut inner)?;
                inner.push_str("</entry>");
            }
        }
        _ => escape(&scalar_text(value), &mut inner),
    }
    out.push('<');
    out.push_str(name);
    for (k, v) in &attributes {
        out.push(' ');
        out.push_str(k);
        out.push_str("=\"");
        escape(v, out);
        out.push('"');
    }
    out.push('>');
    out.push_str(&inner);
    out.push_str("</");
    out.push_str(name);
    out.push('>');
    Ok(())
}

fn header<'r>(response: &'r Response, name: &str) -> Option<&'r str> {
    response
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn header_value(kind: Kind, text: &str) -> Json {
    match kind {
        Kind::Integer | Kind::Long => text
            .trim()
            .parse()
            .map_or_else(|_| Json::Str(text.to_owned()), Json::Int),
        Kind::Boolean => Json::Bool(text.trim().eq_ignore_ascii_case("true")),
        Kind::Float | Kind::Double => text
            .trim()
            .parse()
            .map_or_else(|_| Json::Str(text.to_owned()), Json::Float),
        _ => Json::Str(text.to_owned()),
    }
}

/// A successful answer read by the operation's output shape (a streaming payload is left
/// out: it went to a file).
pub fn parse_response(model: &Model, operation: &str, response: &Response) -> Result<Json, String> {
    let op = model
        .operations
        .get(operation)
        .ok_or_else(|| format!("unknown operation {operation}"))?;
    let Some(output) = &op.output else {
        return Ok(Json::Object(Vec::new()));
    };
    let out = shape(model, output)?;
    let mut members = Vec::new();
    for (name, r) in &out.members {
        let ms = shape(model, &r.shape)?;
        let wire = r.location_name.as_deref().unwrap_or(name);
        match r.location {
            Some(Location::Header) => {
                if let Some(v) = header(response, wire) {
                    members.push((name.clone(), header_value(ms.kind, v)));
                }
            }
            Some(Location::Headers) => {
                let prefix = wire.to_ascii_lowercase();
                let entries: Vec<(String, Json)> = response
                    .headers
                    .iter()
                    .filter_map(|(k, v)| {
                        let lower = k.to_ascii_lowercase();
                        lower
                            .strip_prefix(&prefix)
                            .map(|rest| (rest.to_owned(), Json::Str(v.clone())))
                    })
                    .collect();
                if !entries.is_empty() || ms.kind == Kind::Map {
                    members.push((name.clone(), Json::Object(entries)));
                }
            }
            Some(Location::StatusCode) => {
                members.push((name.clone(), Json::Int(i64::from(response.status))));
            }
            _ => {}
        }
    }
    if operation == "GetBucketLocation" {
        // Not modelled: the document's root text is the region (botocore's
        // `parse_get_bucket_location`).
        let root = xml_read::parse(&response.body, &RESPONSE_LIMITS).map_err(bad_xml)?;
        let text = if root.text.is_empty() {
            Json::Null
        } else {
            Json::Str(root.text)
        };
        members.push(("LocationConstraint".to_owned(), text));
        return Ok(Json::Object(members));
    }
    if let Some(p) = &out.payload {
        let Some((_, r)) = out.members.iter().find(|(n, _)| n == p) else {
            return Ok(Json::Object(members));
        };
        let ps = shape(model, &r.shape)?;
        match ps.kind {
            _ if r.streaming => {}
            Kind::Structure => {
                if !response.body.is_empty() {
                    let root =
                        xml_read::parse(&response.body, &RESPONSE_LIMITS).map_err(bad_xml)?;
                    members.push((p.clone(), query::parse_node(model, ps, &root)?));
                }
            }
            _ => members.push((
                p.clone(),
                Json::Str(String::from_utf8_lossy(&response.body).into_owned()),
            )),
        }
    } else if !response.body.is_empty() {
        let root = xml_read::parse(&response.body, &RESPONSE_LIMITS).map_err(bad_xml)?;
        if let Json::Object(body) = query::parse_node(model, out, &root)? {
            members.extend(body);
        }
    }
    Ok(Json::Object(members))
}

fn bad_xml(e: impl std::fmt::Display) -> String {
    format!("Unable to parse response ({e}), invalid XML received")
}

/// An S3 error carried in a 200 answer (CopyObject, CompleteMultipartUpload, UploadPartCopy).
fn embedded_error(operation: &str, response: &Response) -> Option<query::ServiceError> {
    if !matches!(
        operation,
        "CopyObject" | "CompleteMultipartUpload" | "UploadPartCopy"
    ) {
        return None;
    }
    let root = xml_read::parse(&response.body, &RESPONSE_LIMITS).ok()?;
    (root.name == "Error").then(|| query::parse_error(500, &response.body))
}

impl Session<'_> {
    /// Calls an S3 operation of the model with `params` (botocore's names); `body` is the
    /// streaming payload (PutObject's `Body`), `sink` receives a streaming answer (GetObject's).
    pub fn s3_call(
        &self,
        operation: &str,
        params: &Value,
        body: Option<Vec<u8>>,
        sink: Option<&mut dyn std::io::Write>,
    ) -> Result<Json, CallError> {
        let model = model::get("s3")
            .ok_or_else(|| CallError::Validation("the S3 model is missing".to_owned()))?;
        let mut params = params.clone();
        let auto_encoding =
            url_encoded_members(operation).is_some() && params.get("EncodingType").is_none();
        if auto_encoding && let Value::Object(map) = &mut params {
            map.insert("EncodingType".to_owned(), Value::String("url".to_owned()));
        }
        let req = serialize(model, operation, &params, body).map_err(CallError::Validation)?;
        let response = match sink {
            Some(sink) => self.s3_to(&req, operation, sink)?,
            None => self.s3(&req, operation)?,
        };
        if let Some(error) = embedded_error(operation, &response) {
            return Err(CallError::Service {
                operation: operation.to_owned(),
                error,
            });
        }
        let mut result =
            parse_response(model, operation, &response).map_err(CallError::Response)?;
        if auto_encoding {
            decode_listing(operation, &mut result);
        }
        Ok(result)
    }
}

/// Top-level members, and (list, member) pairs, of a listing.
pub type EncodedMembers = (
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
);

/// The list operations the aws CLI sends with `encoding-type=url` (unless asked otherwise)
/// and whose keys it decodes: the top-level members and the nested (list, member) ones.
pub fn url_encoded_members(operation: &str) -> Option<EncodedMembers> {
    match operation {
        "ListObjects" => Some((
            &["Delimiter", "Marker", "NextMarker"],
            &[("Contents", "Key"), ("CommonPrefixes", "Prefix")],
        )),
        "ListObjectsV2" => Some((
            &["Delimiter", "Prefix", "StartAfter"],
            &[("Contents", "Key"), ("CommonPrefixes", "Prefix")],
        )),
        "ListObjectVersions" => Some((
            &["KeyMarker", "NextKeyMarker", "Prefix", "Delimiter"],
            &[
                ("Versions", "Key"),
                ("DeleteMarkers", "Key"),
                ("CommonPrefixes", "Prefix"),
            ],
        )),
        _ => None,
    }
}

/// Decodes the url-encoded members of a list answer (botocore's `_decode_list_object`).
pub fn decode_listing(operation: &str, result: &mut Json) {
    let Some((top, nested)) = url_encoded_members(operation) else {
        return;
    };
    if result.get("EncodingType").and_then(Json::as_str) != Some("url") {
        return;
    }
    let Json::Object(members) = result else {
        return;
    };
    for (name, value) in members.iter_mut() {
        if top.contains(&name.as_str())
            && let Json::Str(s) = value
        {
            *s = unquote_plus(s);
        }
        for (list, key) in nested {
            if name == list
                && let Json::List(items) = value
            {
                for item in items {
                    if let Json::Object(fields) = item {
                        for (k, v) in fields.iter_mut() {
                            if k == key
                                && let Json::Str(s) = v
                            {
                                *s = unquote_plus(s);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `urllib.parse.unquote_plus`.
fn unquote_plus(s: &str) -> String {
    query::percent_decode(&s.replace('+', " "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::model;

    #[test]
    fn requests_follow_the_http_bindings() {
        let s3 = model::get("s3").unwrap();
        let req = serialize(
            s3,
            "PutObjectTagging",
            &serde_json::json!({"Bucket": "b", "Key": "a/b c", "Tagging": {"TagSet": [{"Key": "k", "Value": "v"}]}}),
            None,
        )
        .unwrap();
        assert_eq!(
            (req.method, req.bucket.as_deref(), req.key.as_deref()),
            ("PUT", Some("b"), Some("a/b c"))
        );
        assert_eq!(req.query, [("tagging".to_owned(), String::new())]);
        assert_eq!(
            String::from_utf8(req.body).unwrap(),
            "<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>"
        );
        assert!(req.headers.iter().any(|(k, _)| k == "x-amz-checksum-crc32"));
        let req = serialize(
            s3,
            "DeleteObjects",
            &serde_json::json!({"Bucket": "b", "Delete": {"Objects": [{"Key": "x"}, {"Key": "y"}], "Quiet": true}}),
            None,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(req.body).unwrap(),
            "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Object><Key>x</Key></Object><Object><Key>y</Key></Object><Quiet>true</Quiet></Delete>"
        );
    }

    #[test]
    fn attributes_and_prefixed_namespaces() {
        let s3 = model::get("s3").unwrap();
        let req = serialize(
            s3,
            "PutBucketAcl",
            &serde_json::json!({"Bucket": "b", "AccessControlPolicy": {"Grants": [{"Grantee": {"ID": "c", "Type": "CanonicalUser"}, "Permission": "READ"}]}}),
            None,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(req.body).unwrap(),
            "<AccessControlPolicy xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><AccessControlList><Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\"><ID>c</ID></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>"
        );
    }

    #[test]
    fn every_operation_of_the_model_serializes() {
        let s3 = model::get("s3").unwrap();
        for (name, op) in &s3.operations {
            let input = s3.shape(op.input.as_deref().unwrap()).unwrap();
            let mut params = serde_json::Map::new();
            for r in &input.required {
                let (_, m) = input.members.iter().find(|(n, _)| n == r).unwrap();
                let value = match s3.shape(&m.shape).unwrap().kind {
                    Kind::Structure | Kind::Map => serde_json::json!({}),
                    Kind::List => serde_json::json!([]),
                    Kind::Integer | Kind::Long => serde_json::json!(1),
                    Kind::Boolean => serde_json::json!(true),
                    _ => serde_json::json!("x"),
                };
                params.insert(r.clone(), value);
            }
            let result = serialize(s3, name, &Value::Object(params), None);
            if name == "WriteGetObjectResponse" {
                assert!(result.is_err());
            } else {
                let req = result.unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(req.method, op.http.as_ref().unwrap().method, "{name}");
            }
        }
    }

    #[test]
    fn answers_read_headers_then_body() {
        let s3 = model::get("s3").unwrap();
        let response = Response {
            status: 200,
            headers: vec![("x-amz-version-id".into(), "v1".into())],
            body: b"<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>"
                .to_vec(),
        };
        let json = parse_response(s3, "GetObjectTagging", &response).unwrap();
        assert_eq!(
            json.pretty(),
            "{\n    \"VersionId\": \"v1\",\n    \"TagSet\": [\n        {\n            \"Key\": \"k\",\n            \"Value\": \"v\"\n        }\n    ]\n}"
        );
        let mut listing = Json::Object(vec![
            (
                "Contents".into(),
                Json::List(vec![Json::Object(vec![(
                    "Key".into(),
                    Json::Str("a%20b+c".into()),
                )])]),
            ),
            ("EncodingType".into(), Json::Str("url".into())),
        ]);
        decode_listing("ListObjectsV2", &mut listing);
        assert_eq!(
            listing.get("Contents").unwrap().pretty(),
            "[\n    {\n        \"Key\": \"a b c\"\n    }\n]"
        );
    }
}
