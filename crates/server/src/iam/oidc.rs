//! OpenID Connect identity providers.

use super::{any_char, parse_tags, respond, respond_empty, tags};
use crate::query::{Checks, Failure};
use roleplay_engine::iam::CreateOidcProviderInput;
use roleplay_engine::{Engine, Identity, RequestInfo};
use roleplay_wire::query::Params;

/// A list of strings, each `min..=max` characters.
fn strings(
    p: &Params,
    c: &mut Checks<'_>,
    name: &str,
    min: usize,
    max: usize,
) -> Result<Vec<String>, Failure> {
    let items = p.list(name)?;
    for (i, v) in items.iter().enumerate() {
        c.violations
            .check_length(&format!("{name}.member.{}", i + 1), v, min, max);
    }
    Ok(items.into_iter().map(str::to_owned).collect())
}

pub(super) fn handle(
    engine: &Engine,
    id: &Identity,
    info: &RequestInfo,
    p: &Params,
    action: &str,
    rid: &str,
) -> Option<Result<String, Failure>> {
    let run = || -> Result<String, Failure> {
        let mut c = Checks::new(p);
        match action {
            "CreateOpenIDConnectProvider" => {
                let url = c.required("Url", 1, 255, any_char, "");
                let client_ids = strings(p, &mut c, "ClientIDList", 1, 255)?;
                let thumbprints = strings(p, &mut c, "ThumbprintList", 40, 40)?;
                let t = parse_tags(p, &mut c)?;
                c.finish()?;
                let provider = engine.create_oidc_provider(
                    id,
                    info,
                    CreateOidcProviderInput {
                        url,
                        client_ids,
                        thumbprints,
                        tags: t,
                    },
                )?;
                Ok(respond(action, rid, |w| {
                    w.text_element("OpenIDConnectProviderArn", &provider.arn.to_string());
                    tags(w, &provider.tags);
                }))
            }
            "ListOpenIDConnectProviders" => {
                c.finish()?;
                let list = engine.list_oidc_providers(id, info)?;
                Ok(respond(action, rid, |w| {
                    w.member_list("OpenIDConnectProviderList", &list, |w, provider| {
                        w.text_element("Arn", &provider.arn.to_string());
                    });
                }))
            }
            _ => {
                let arn = c.required("OpenIDConnectProviderArn", 20, 2048, any_char, "");
                match action {
                    "GetOpenIDConnectProvider" => {
                        c.finish()?;
                        let provider = engine.get_oidc_provider(id, info, &arn)?;
                        let url = provider
                            .url
                            .strip_prefix("https://")
                            .unwrap_or(&provider.url);
                        Ok(respond(action, rid, |w| {
                            w.text_element("Url", url)
                                .text_member_list("ClientIDList", &provider.client_ids)
                                .text_member_list("ThumbprintList", &provider.thumbprints)
                                .timestamp_element("CreateDate", provider.create_date);
                            tags(w, &provider.tags);
                        }))
                    }
                    "DeleteOpenIDConnectProvider" => {
                        c.finish()?;
                        engine.delete_oidc_provider(id, info, &arn)?;
                        Ok(respond_empty(action, rid))
                    }
                    "UpdateOpenIDConnectProviderThumbprint" => {
                        if !p.contains("ThumbprintList") {
                            c.violations.missing("ThumbprintList");
                        }
                        let thumbprints = strings(p, &mut c, "ThumbprintList", 40, 40)?;
                        c.finish()?;
                        engine.update_oidc_thumbprints(id, info, &arn, &thumbprints)?;
                        Ok(respond_empty(action, rid))
                    }
                    _ => {
                        let client = c.required("ClientID", 1, 255, any_char, "");
                        c.finish()?;
                        if action == "AddClientIDToOpenIDConnectProvider" {
                            engine.add_oidc_client_id(id, info, &arn, &client)?;
                        } else {
                            engine.remove_oidc_client_id(id, info, &arn, &client)?;
                        }
                        Ok(respond_empty(action, rid))
                    }
                }
            }
        }
    };
    match action {
        "CreateOpenIDConnectProvider"
        | "GetOpenIDConnectProvider"
        | "ListOpenIDConnectProviders"
        | "DeleteOpenIDConnectProvider"
        | "AddClientIDToOpenIDConnectProvider"
        | "RemoveClientIDFromOpenIDConnectProvider"
        | "UpdateOpenIDConnectProviderThumbprint" => Some(run()),
        _ => None,
    }
}
