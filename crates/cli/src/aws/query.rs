//! The AWS query protocol (IAM, STS) as botocore speaks it: parameters serialized from the
//! input shape (`Name.member.N`, `Name.entry.N.key`, `Struct.Field`), responses read by the
//! output shape into ordered JSON (timestamps left as sent, as the aws CLI v1 prints them),
//! and error bodies read into code, message and request id.

use crate::aws::json::Json;
use crate::aws::model::{Kind, Model, Ref, Shape};
use roleplay_wire::xml_read::{self, Element, Limits};
use serde_json::Value;

/// Responses up to this size are read (IAM's largest answers are policy lists).
const RESPONSE_LIMITS: Limits = Limits {
    max_bytes: 64 * 1024 * 1024,
    max_depth: 64,
    max_elements: 4_000_000,
};

/// The form body of `operation` with `params` (a JSON object of input members):
/// `Action`, `Version`, then the parameters in serialization order.
pub fn serialize(
    model: &Model,
    operation: &str,
    params: &Value,
) -> Result<Vec<(String, String)>, String> {
    let mut out = vec![
        ("Action".to_owned(), operation.to_owned()),
        ("Version".to_owned(), model.metadata.api_version.clone()),
    ];
    let op = model
        .operations
        .get(operation)
        .ok_or_else(|| format!("unknown operation {operation}"))?;
    if let Some(input) = &op.input {
        let shape = shape(model, input)?;
        structure(model, shape, params, "", &mut out)?;
    }
    Ok(out)
}

fn shape<'m>(model: &'m Model, name: &str) -> Result<&'m Shape, String> {
    model
        .shape(name)
        .ok_or_else(|| format!("the model lacks shape {name}"))
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

fn structure(
    model: &Model,
    s: &Shape,
    value: &Value,
    prefix: &str,
    out: &mut Vec<(String, String)>,
) -> Result<(), String> {
    let Value::Object(map) = value else {
        return Err(format!(
            "Invalid type for parameter {prefix}, value: {value}, type: <class '{}'>, valid types: <class 'dict'>",
            python_type(value)
        ));
    };
    for (name, member) in map {
        let Some((_, r)) = s.members.iter().find(|(n, _)| n == name) else {
            return Err(format!(
                "Unknown parameter in input: \"{name}\", must be one of: {}",
                s.members
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        };
        let key = join(prefix, r.location_name.as_deref().unwrap_or(name));
        serialize_ref(model, r, member, &key, out)?;
    }
    Ok(())
}

fn python_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_i64() => "int",
        Value::Number(_) => "float",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

fn serialize_ref(
    model: &Model,
    r: &Ref,
    value: &Value,
    key: &str,
    out: &mut Vec<(String, String)>,
) -> Result<(), String> {
    let s = shape(model, &r.shape)?;
    match s.kind {
        Kind::Structure => structure(model, s, value, key, out),
        Kind::List => {
            let Value::Array(items) = value else {
                return Err(format!(
                    "Invalid type for parameter {key}, value: {value}, type: <class '{}'>, valid types: <class 'list'>, <class 'tuple'>",
                    python_type(value)
                ));
            };
            if items.is_empty() {
                out.push((key.to_owned(), String::new()));
                return Ok(());
            }
            let element = s.member.as_ref().ok_or("a list shape without a member")?;
            let prefix = if s.flattened || r.flattened {
                key.to_owned()
            } else {
                format!(
                    "{key}.{}",
                    element.location_name.as_deref().unwrap_or("member")
                )
            };
            for (i, item) in items.iter().enumerate() {
                serialize_ref(model, element, item, &format!("{prefix}.{}", i + 1), out)?;
            }
            Ok(())
        }
        Kind::Map => {
            let Value::Object(map) = value else {
                return Err(format!(
                    "Invalid type for parameter {key}, value: {value}, type: <class '{}'>, valid types: <class 'dict'>",
                    python_type(value)
                ));
            };
            let (k, v) = (
                s.key.as_ref().ok_or("a map without a key")?,
                s.value.as_ref().ok_or("a map without a value")?,
            );
            let prefix = if s.flattened {
                key.to_owned()
            } else {
                format!("{key}.entry")
            };
            for (i, (mk, mv)) in map.iter().enumerate() {
                let entry = format!("{prefix}.{}", i + 1);
                out.push((
                    format!("{entry}.{}", k.location_name.as_deref().unwrap_or("key")),
                    mk.clone(),
                ));
                serialize_ref(
                    model,
                    v,
                    mv,
                    &format!("{entry}.{}", v.location_name.as_deref().unwrap_or("value")),
                    out,
                )?;
            }
            Ok(())
        }
        Kind::Boolean => match value {
            Value::Bool(b) => {
                out.push((key.to_owned(), b.to_string()));
                Ok(())
            }
            other => Err(format!(
                "Invalid type for parameter {key}, value: {other}, type: <class '{}'>, valid types: <class 'bool'>",
                python_type(other)
            )),
        },
        Kind::Integer | Kind::Long => match value {
            Value::Number(n) if n.is_i64() => {
                out.push((key.to_owned(), n.to_string()));
                Ok(())
            }
            other => Err(format!(
                "Invalid type for parameter {key}, value: {other}, type: <class '{}'>, valid types: <class 'int'>",
                python_type(other)
            )),
        },
        Kind::Float | Kind::Double => match value {
            Value::Number(n) => {
                out.push((key.to_owned(), n.to_string()));
                Ok(())
            }
            other => Err(format!(
                "Invalid type for parameter {key}, value: {other}, type: <class '{}'>, valid types: <class 'float'>, <class 'decimal.Decimal'>, <class 'int'>",
                python_type(other)
            )),
        },
        Kind::String | Kind::Timestamp | Kind::Blob => match value {
            Value::String(text) => {
                out.push((key.to_owned(), text.clone()));
                Ok(())
            }
            other => Err(format!(
                "Invalid type for parameter {key}, value: {other}, type: <class '{}'>, valid types: <class 'str'>",
                python_type(other)
            )),
        },
    }
}

/// The form body as sent: `application/x-www-form-urlencoded` with botocore's quoting (only
/// unreserved characters left as they are).
pub fn form_body(params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", quote(k), quote(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A successful response read by the operation's output shape; the request id beside it.
pub fn parse_response(
    model: &Model,
    operation: &str,
    body: &[u8],
) -> Result<(Json, Option<String>), String> {
    let op = model
        .operations
        .get(operation)
        .ok_or_else(|| format!("unknown operation {operation}"))?;
    let root = xml_read::parse(body, &RESPONSE_LIMITS)
        .map_err(|e| format!("Unable to parse response ({e}), invalid XML received"))?;
    let request_id = root
        .child("ResponseMetadata")
        .and_then(|m| m.child_text("RequestId"))
        .map(str::to_owned);
    let Some(output) = &op.output else {
        return Ok((Json::Object(Vec::new()), request_id));
    };
    let start = match &op.result_wrapper {
        Some(w) => root.child(w),
        None => Some(&root),
    };
    let mut parsed = match start {
        Some(node) => parse_shape(model, shape(model, output)?, node)?,
        None => Json::Object(Vec::new()),
    };
    if model.metadata.endpoint_prefix == "iam" {
        decode_policies(model, output, &mut parsed);
    }
    Ok((parsed, request_id))
}

/// A node read by a shape (structures by their members' XML names).
pub(crate) fn parse_node(model: &Model, s: &Shape, node: &Element) -> Result<Json, String> {
    parse_shape(model, s, node)
}

fn parse_shape(model: &Model, s: &Shape, node: &Element) -> Result<Json, String> {
    Ok(match s.kind {
        Kind::Structure => {
            let mut members = Vec::new();
            for (name, r) in &s.members {
                let xml_name = r.location_name.as_deref().unwrap_or(name);
                let ms = shape(model, &r.shape)?;
                if r.xml_attribute {
                    // By local name (`xsi:type` → `type`).
                    let local = xml_name.rsplit(':').next().unwrap_or(xml_name);
                    if let Some((_, v)) = node.attributes.iter().find(|(n, _)| n == local) {
                        members.push((name.clone(), Json::Str(v.clone())));
                    }
                } else if ms.kind == Kind::List && (ms.flattened || r.flattened) {
                    let items: Vec<&Element> = node.children_named(xml_name).collect();
                    if !items.is_empty() {
                        members.push((name.clone(), list_items(model, ms, &items)?));
                    }
                } else if let Some(child) = node.child(xml_name) {
                    members.push((name.clone(), parse_shape(model, ms, child)?));
                }
            }
            Json::Object(members)
        }
        Kind::List => {
            let element = s.member.as_ref().ok_or("a list shape without a member")?;
            let name = element.location_name.as_deref().unwrap_or("member");
            let items: Vec<&Element> = node.children_named(name).collect();
            list_items(model, s, &items)?
        }
        Kind::Map => {
            let (k, v) = (
                s.key.as_ref().ok_or("a map without a key")?,
                s.value.as_ref().ok_or("a map without a value")?,
            );
            let (kn, vn) = (
                k.location_name.as_deref().unwrap_or("key"),
                v.location_name.as_deref().unwrap_or("value"),
            );
            let vs = shape(model, &v.shape)?;
            let entries: Vec<&Element> = if s.flattened {
                vec![node]
            } else {
                node.children_named("entry").collect()
            };
            let mut members = Vec::new();
            for e in entries {
                let key = e.child_text(kn).unwrap_or_default().to_owned();
                let value = match e.child(vn) {
                    Some(vnode) => parse_shape(model, vs, vnode)?,
                    None => Json::Null,
                };
                members.push((key, value));
            }
            Json::Object(members)
        }
        Kind::String | Kind::Timestamp | Kind::Blob => Json::Str(node.text.clone()),
        Kind::Boolean => Json::Bool(node.text.trim() == "true"),
        Kind::Integer | Kind::Long => Json::Int(
            node.text
                .trim()
                .parse()
                .map_err(|_| format!("not an integer: {}", node.text))?,
        ),
        Kind::Float | Kind::Double => Json::Float(
            node.text
                .trim()
                .parse()
                .map_err(|_| format!("not a number: {}", node.text))?,
        ),
    })
}

/// botocore's `json_decode_policies` for IAM: every `policyDocumentType` string member of
/// a structure (reached through structures and lists) is URL-decoded and parsed as JSON.
pub fn decode_policies(model: &Model, shape_name: &str, value: &mut Json) {
    let Some(s) = model.shape(shape_name) else {
        return;
    };
    match (s.kind, value) {
        (Kind::Structure, Json::Object(members)) => {
            for (name, v) in members.iter_mut() {
                let Some((_, r)) = s.members.iter().find(|(n, _)| n == name) else {
                    continue;
                };
                let is_policy = r.shape == "policyDocumentType"
                    && model
                        .shape(&r.shape)
                        .is_some_and(|m| m.kind == Kind::String);
                match v {
                    Json::Str(text) if is_policy => {
                        if let Some(doc) = crate::aws::json::parse(&percent_decode(text)) {
                            *v = doc;
                        }
                    }
                    other => decode_policies(model, &r.shape, other),
                }
            }
        }
        (Kind::List, Json::List(items)) => {
            if let Some(m) = &s.member {
                for item in items {
                    decode_policies(model, &m.shape, item);
                }
            }
        }
        _ => {}
    }
}

/// `urllib.parse.unquote`: `%XX` sequences decoded as UTF-8 (invalid ones replaced).
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn list_items(model: &Model, s: &Shape, items: &[&Element]) -> Result<Json, String> {
    let element = s.member.as_ref().ok_or("a list shape without a member")?;
    let es = shape(model, &element.shape)?;
    Ok(Json::List(
        items
            .iter()
            .map(|i| parse_shape(model, es, i))
            .collect::<Result<_, _>>()?,
    ))
}

/// An error answer: AWS's code and message, the request id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub request_id: Option<String>,
}

/// Reads an error body (`<ErrorResponse><Error><Code>`); a body that is not one gives the
/// HTTP status as the code, as botocore does.
pub fn parse_error(status: u16, body: &[u8]) -> ServiceError {
    let fallback = || ServiceError {
        status,
        code: status.to_string(),
        message: http_reason(status).to_owned(),
        request_id: None,
    };
    let Ok(root) = xml_read::parse(body, &RESPONSE_LIMITS) else {
        return fallback();
    };
    let error = (root.name == "Error")
        .then_some(&root)
        .or_else(|| root.child("Error"))
        .or_else(|| root.child("Errors").and_then(|e| e.child("Error")));
    let Some(error) = error else {
        return fallback();
    };
    ServiceError {
        status,
        code: error.child_text("Code").unwrap_or_default().to_owned(),
        message: error.child_text("Message").unwrap_or_default().to_owned(),
        request_id: root
            .child_text("RequestId")
            .or_else(|| root.child_text("RequestID"))
            .map(str::to_owned),
    }
}

fn http_reason(status: u16) -> &'static str {
    match status {
        304 => "Not Modified",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        412 => "Precondition Failed",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::model;

    #[test]
    fn lists_and_structures_serialize_as_botocore() {
        let sts = model::get("sts").unwrap();
        let params = serde_json::json!({
            "RoleArn": "arn:aws:iam::1:role/r",
            "RoleSessionName": "s",
            "PolicyArns": [{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}],
            "Tags": [{"Key": "k", "Value": "v"}],
            "DurationSeconds": 900
        });
        let out = serialize(sts, "AssumeRole", &params).unwrap();
        let text = form_body(&out);
        assert!(
            text.starts_with("Action=AssumeRole&Version=2011-06-15&"),
            "{text}"
        );
        assert!(
            text.contains(
                "PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess"
            ),
            "{text}"
        );
        assert!(
            text.contains("Tags.member.1.Key=k&Tags.member.1.Value=v"),
            "{text}"
        );
        assert!(text.contains("DurationSeconds=900"), "{text}");
    }

    #[test]
    fn responses_read_by_the_output_shape() {
        let sts = model::get("sts").unwrap();
        let body = br#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult><Arn>arn:aws:iam::1:user/a</Arn><UserId>AIDA</UserId><Account>1</Account></GetCallerIdentityResult>
  <ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>"#;
        let (json, id) = parse_response(sts, "GetCallerIdentity", body).unwrap();
        assert_eq!(id.as_deref(), Some("r-1"));
        assert_eq!(
            json.pretty(),
            "{\n    \"UserId\": \"AIDA\",\n    \"Account\": \"1\",\n    \"Arn\": \"arn:aws:iam::1:user/a\"\n}"
        );
        let iam = model::get("iam").unwrap();
        let body = br#"<ListUsersResponse><ListUsersResult><IsTruncated>false</IsTruncated><Users><member><UserName>a</UserName><Path>/</Path></member></Users></ListUsersResult></ListUsersResponse>"#;
        let (json, _) = parse_response(iam, "ListUsers", body).unwrap();
        assert_eq!(json.get("IsTruncated"), Some(&Json::Bool(false)));
        assert_eq!(
            json.get("Users").unwrap().pretty(),
            "[\n    {\n        \"Path\": \"/\",\n        \"UserName\": \"a\"\n    }\n]"
        );
    }

    #[test]
    fn error_bodies() {
        let e = parse_error(403, b"<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>no</Message></Error><RequestId>r</RequestId></ErrorResponse>");
        assert_eq!(
            (e.code.as_str(), e.message.as_str(), e.request_id.as_deref()),
            ("AccessDenied", "no", Some("r"))
        );
        let e = parse_error(503, b"busy");
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("503", "Service Unavailable")
        );
    }
}
