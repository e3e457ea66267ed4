//! OpenID Connect providers.

use crate::common::{assert_denied, assert_error, env};
use roleplay_engine::ErrorCode;
use roleplay_engine::iam::CreateOidcProviderInput;
use roleplay_store::Tag;

const URL: &str = "https://token.actions.githubusercontent.com";
const ARN: &str = "arn:aws:iam::345345345345:oidc-provider/token.actions.githubusercontent.com";

fn input(url: &str) -> CreateOidcProviderInput {
    CreateOidcProviderInput {
        url: url.into(),
        client_ids: vec!["sts.amazonaws.com".into()],
        thumbprints: vec!["6938fd4d98bab03faadb97b34396831e3780aea1".into()],
        tags: vec![Tag {
            key: "ci".into(),
            value: "gh".into(),
        }],
    }
}

#[test]
fn create_change_and_delete() {
    let env = env();
    let (e, root, info) = (&env.engine, &env.root, &env.info);
    let p = e.create_oidc_provider(root, info, input(URL)).unwrap();
    assert_eq!(p.arn.to_string(), ARN);
    assert_error(
        e.create_oidc_provider(root, info, input(URL)),
        ErrorCode::EntityAlreadyExists,
        &format!("Provider with url {URL} already exists."),
    );
    assert_error(
        e.create_oidc_provider(root, info, input("http://example.com")),
        ErrorCode::InvalidInput,
        "Invalid URL: the URL must begin with https://",
    );
    e.add_oidc_client_id(root, info, ARN, "other").unwrap();
    e.add_oidc_client_id(root, info, ARN, "other").unwrap();
    e.remove_oidc_client_id(root, info, ARN, "sts.amazonaws.com")
        .unwrap();
    e.remove_oidc_client_id(root, info, ARN, "absent").unwrap();
    let thumbs: Vec<String> = ["1", "2"].iter().map(|d| d.repeat(40)).collect();
    e.update_oidc_thumbprints(root, info, ARN, &thumbs).unwrap();
    let got = e.get_oidc_provider(root, info, ARN).unwrap();
    assert_eq!(got.client_ids, ["other"]);
    assert_eq!(got.thumbprints, thumbs);
    assert_eq!(got.tags.len(), 1);
    let six: Vec<String> = (0..6).map(|d| d.to_string().repeat(40)).collect();
    assert_error(
        e.update_oidc_thumbprints(root, info, ARN, &six),
        ErrorCode::LimitExceeded,
        "Cannot exceed quota for ThumbprintsPerOpenIdConnectProvider: 5",
    );
    e.create_oidc_provider(root, info, input("https://accounts.example.com/tenant"))
        .unwrap();
    let listed: Vec<String> = e
        .list_oidc_providers(root, info)
        .unwrap()
        .iter()
        .map(|p| p.arn.to_string())
        .collect();
    assert_eq!(
        listed,
        [
            "arn:aws:iam::345345345345:oidc-provider/accounts.example.com/tenant",
            ARN
        ]
    );
    e.delete_oidc_provider(root, info, ARN).unwrap();
    let gone = format!("OpenIDConnect Provider not found for arn {ARN}");
    assert_error(
        e.get_oidc_provider(root, info, ARN),
        ErrorCode::NoSuchEntity,
        &gone,
    );
    assert_error(
        e.delete_oidc_provider(root, info, ARN),
        ErrorCode::NoSuchEntity,
        &gone,
    );
    assert_error(
        e.add_oidc_client_id(root, info, ARN, "x"),
        ErrorCode::NoSuchEntity,
        &gone,
    );
}

#[test]
fn providers_are_per_account_and_authorized() {
    let env = env();
    let (e, root, info) = (&env.engine, &env.root, &env.info);
    e.create_oidc_provider(root, info, input(URL)).unwrap();
    let nobody = env.user("nobody", None);
    assert_denied(
        e.create_oidc_provider(&nobody, info, input("https://x.example.com")),
        "iam:CreateOpenIDConnectProvider",
    );
    assert_denied(
        e.get_oidc_provider(&nobody, info, ARN),
        "iam:GetOpenIDConnectProvider",
    );
    assert_denied(
        e.list_oidc_providers(&nobody, info),
        "iam:ListOpenIDConnectProviders",
    );
    assert_denied(
        e.delete_oidc_provider(&nobody, info, ARN),
        "iam:DeleteOpenIDConnectProvider",
    );
    // The root of account A does not see B's provider.
    let a_root = e
        .authenticate("AKIARZKVVYOZUEQH746Y", None, info.now)
        .unwrap()
        .identity;
    assert!(e.list_oidc_providers(&a_root, info).unwrap().is_empty());
    assert_error(
        e.get_oidc_provider(&a_root, info, ARN),
        ErrorCode::NoSuchEntity,
        &format!("OpenIDConnect Provider not found for arn {ARN}"),
    );
}
