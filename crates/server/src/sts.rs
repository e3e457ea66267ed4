//! The STS adapter: decode and check parameters, call the engine, write the XML.

use crate::query::{Checks, Failure, name_char, policy_char};
use roleplay_engine::sts::{AssumeRoleInput, Credentials};
use roleplay_engine::{Engine, Identity, RequestInfo};
use roleplay_wire::envelope::{STS_NAMESPACE, query_response};
use roleplay_wire::query::Params;
use roleplay_wire::xml::XmlWriter;

fn iso(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .map(roleplay_wire::time::format_iso8601)
        .unwrap_or_default()
}

fn credentials(w: &mut XmlWriter, c: &Credentials) {
    w.element("Credentials", |w| {
        w.text_element("AccessKeyId", &c.access_key_id)
            .text_element("SecretAccessKey", &c.secret_access_key)
            .text_element("SessionToken", &c.session_token)
            .text_element("Expiration", &iso(c.expiration));
    });
}

fn external_id_char(c: char) -> bool {
    name_char(c) || c == ':' || c == '/'
}

fn serial_char(c: char) -> bool {
    name_char(c) || c == ':' || c == '/'
}

fn tag_char(c: char) -> bool {
    c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c)
}

fn any_char(_: char) -> bool {
    true
}

/// Runs one STS action.
pub(crate) fn handle(
    engine: &Engine,
    id: &Identity,
    info: &RequestInfo,
    p: &Params,
    action: &str,
    rid: &str,
) -> Result<String, Failure> {
    match action {
        "GetCallerIdentity" => {
            let c = engine.get_caller_identity(id);
            // AWS's order (STS API reference, GetCallerIdentity sample response).
            Ok(query_response(action, STS_NAMESPACE, rid, |w| {
                w.text_element("Arn", &c.arn)
                    .text_element("UserId", &c.user_id)
                    .text_element("Account", &c.account);
            }))
        }
        "DecodeAuthorizationMessage" => {
            let mut c = Checks::new(p);
            let encoded = c.required("EncodedMessage", 1, 10_240, |_| true, ".*");
            c.finish()?;
            let decoded = engine.decode_authorization_message(id, info, &encoded)?;
            Ok(query_response(action, STS_NAMESPACE, rid, |w| {
                w.text_element("DecodedMessage", &decoded);
            }))
        }
        "GetAccessKeyInfo" => {
            let mut c = Checks::new(p);
            let key = c.required(
                "AccessKeyId",
                16,
                128,
                |ch| ch.is_ascii_alphanumeric() || ch == '_',
                "[\\w]*",
            );
            c.finish()?;
            let account = engine.get_access_key_info(id, info, &key)?;
            Ok(query_response(action, STS_NAMESPACE, rid, |w| {
                w.text_element("Account", &account);
            }))
        }
        "GetSessionToken" => {
            let mut c = Checks::new(p);
            let duration = c.int("DurationSeconds", 900, 129_600)?;
            c.optional("SerialNumber", 9, 256, serial_char, "[\\w+=/:,.@-]*");
            c.optional("TokenCode", 6, 6, |ch| ch.is_ascii_digit(), "[\\d]*");
            c.finish()?;
            let creds = engine.get_session_token(id, info, duration)?;
            Ok(query_response(action, STS_NAMESPACE, rid, |w| {
                credentials(w, &creds)
            }))
        }
        "AssumeRole" => {
            let input = assume_role_input(p)?;
            let out = engine.assume_role(id, info, &input)?;
            // AWS's order (STS API reference, AssumeRole sample response).
            Ok(query_response(action, STS_NAMESPACE, rid, |w| {
                w.optional_text_element("SourceIdentity", out.source_identity.as_deref());
                w.element("AssumedRoleUser", |w| {
                    w.text_element("Arn", &out.arn)
                        .text_element("AssumedRoleId", &out.assumed_role_id);
                });
                credentials(w, &out.credentials);
                if let Some(size) = out.packed_policy_size {
                    w.display_element("PackedPolicySize", size);
                }
            }))
        }
        "AssumeRoleWithWebIdentity" | "AssumeRoleWithSAML" | "GetFederationToken" => {
            Err(Failure::new(
                "NotImplemented",
                501,
                format!("{action} is not implemented by roleplay yet."),
            ))
        }
        other => Err(Failure::new(
            "InvalidAction",
            400,
            format!("Could not find operation {other} for version 2011-06-15"),
        )),
    }
}

fn assume_role_input(p: &Params) -> Result<AssumeRoleInput, Failure> {
    let mut c = Checks::new(p);
    let role_arn = c.required("RoleArn", 20, 2048, any_char, "");
    let role_session_name = c.required("RoleSessionName", 2, 64, name_char, "[\\w+=,.@-]*");
    let duration_seconds = c.int("DurationSeconds", 900, 43_200)?;
    let policy = c.optional(
        "Policy",
        1,
        100_000,
        policy_char,
        "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
    );
    let external_id = c.optional("ExternalId", 2, 1224, external_id_char, "[\\w+=,.@:\\/-]*");
    let serial_number = c.optional("SerialNumber", 9, 256, serial_char, "[\\w+=/:,.@-]*");
    let token_code = c.optional("TokenCode", 6, 6, |ch| ch.is_ascii_digit(), "[\\d]*");
    let source_identity = c.optional("SourceIdentity", 2, 64, name_char, "[\\w+=,.@-]*");
    let mut tags = Vec::new();
    for m in p.structs("Tags")? {
        let key = m.required("Key")?;
        let value = m.optional("Value").unwrap_or("");
        let kn = m.name("Key");
        if c.violations.check_length(&kn, key, 1, 128) && !key.chars().all(tag_char) {
            c.violations
                .pattern(&kn, key, "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+");
        }
        c.violations.check_length(&m.name("Value"), value, 0, 256);
        tags.push((key.to_owned(), value.to_owned()));
    }
    if tags.len() > 50 {
        c.violations.push(
            "Tags",
            None,
            "Member must have length less than or equal to 50",
        );
    }
    let policy_arns: Vec<String> = p
        .structs("PolicyArns")?
        .iter()
        .map(|m| m.required("arn").map(str::to_owned))
        .collect::<Result<_, _>>()?;
    if policy_arns.len() > 10 {
        c.violations.push(
            "PolicyArns",
            None,
            "Member must have length less than or equal to 10",
        );
    }
    let transitive_tag_keys: Vec<String> = p
        .list("TransitiveTagKeys")?
        .into_iter()
        .map(str::to_owned)
        .collect();
    c.finish()?;
    if source_identity
        .as_deref()
        .is_some_and(|s| s.to_ascii_lowercase().starts_with("aws:"))
    {
        return Err(Failure::new(
            "ValidationError",
            400,
            "SourceIdentity cannot start with 'aws:'",
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for (k, _) in &tags {
        if !seen.insert(k.to_ascii_lowercase()) {
            return Err(Failure::new(
                "InvalidParameterValue",
                400,
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            ));
        }
        if k.to_ascii_lowercase().starts_with("aws:") {
            return Err(Failure::new(
                "InvalidParameterValue",
                400,
                "Tag keys cannot start with 'aws:'.",
            ));
        }
    }
    Ok(AssumeRoleInput {
        role_arn,
        role_session_name,
        duration_seconds,
        policy,
        policy_arns,
        tags,
        transitive_tag_keys,
        external_id,
        source_identity,
        serial_number,
        token_code,
    })
}
