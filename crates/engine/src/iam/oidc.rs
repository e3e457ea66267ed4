//! OpenID Connect identity providers.

use super::parse_arn;
use crate::error::{ApiError, ErrorCode};
use crate::identity::Identity;
use crate::{Engine, RequestInfo, write_error};
use roleplay_store::{OidcProvider, ReadTx, StoreExt, Tag, WriteError};
use roleplay_types::Arn;

/// Audiences of one provider (quota ClientIdsPerOpenIdConnectProvider).
const CLIENT_IDS: usize = 100;
/// Thumbprints of one provider (quota ThumbprintsPerOpenIdConnectProvider).
const THUMBPRINTS: usize = 5;
/// Providers per account (quota OpenIdConnectProvidersPerAccount).
const PROVIDERS: usize = 100;

/// Input of `CreateOpenIDConnectProvider`.
#[derive(Debug, Clone, Default)]
pub struct CreateOidcProviderInput {
    /// `Url`: `https://` and the issuer's host and path.
    pub url: String,
    /// `ClientIDList`.
    pub client_ids: Vec<String>,
    /// `ThumbprintList`.
    pub thumbprints: Vec<String>,
    /// `Tags`.
    pub tags: Vec<Tag>,
}

fn not_found(arn: &str) -> ApiError {
    ApiError::new(
        ErrorCode::NoSuchEntity,
        format!("OpenIDConnect Provider not found for arn {arn}"),
    )
}

fn quotas(p: &OidcProvider) -> Result<(), ApiError> {
    let exceeded = |what: &str, n: usize| {
        ApiError::new(
            ErrorCode::LimitExceeded,
            format!("Cannot exceed quota for {what}: {n}"),
        )
    };
    if p.client_ids.len() > CLIENT_IDS {
        return Err(exceeded("ClientIdsPerOpenIdConnectProvider", CLIENT_IDS));
    }
    if p.thumbprints.len() > THUMBPRINTS {
        return Err(exceeded("ThumbprintsPerOpenIdConnectProvider", THUMBPRINTS));
    }
    Ok(())
}

fn dedup(items: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for i in items {
        if !out.contains(i) {
            out.push(i.clone());
        }
    }
    out
}

impl Engine {
    fn provider(
        &self,
        tx: &dyn ReadTx,
        id: &Identity,
        arn: &str,
    ) -> Result<OidcProvider, ApiError> {
        let parsed = parse_arn(arn, "OpenIDConnectProviderArn")?;
        tx.get_oidc_provider(&parsed)?
            .filter(|p| p.account == id.account)
            .ok_or_else(|| not_found(arn))
    }

    /// `CreateOpenIDConnectProvider`.
    pub fn create_oidc_provider(
        &self,
        id: &Identity,
        info: &RequestInfo,
        input: CreateOidcProviderInput,
    ) -> Result<OidcProvider, ApiError> {
        let Some(rest) = input.url.strip_prefix("https://") else {
            return Err(ApiError::new(
                ErrorCode::InvalidInput,
                "Invalid URL: the URL must begin with https://",
            ));
        };
        let host_path = rest.trim_end_matches('/');
        if host_path.is_empty() || host_path.contains(['?', '#']) {
            return Err(ApiError::new(ErrorCode::InvalidInput, "Invalid URL"));
        }
        let arn = Arn {
            partition: "aws".to_owned(),
            service: "iam".to_owned(),
            region: String::new(),
            account: id.account.to_string(),
            resource: format!("oidc-provider/{host_path}"),
        };
        self.store.write(|tx| {
            self.iam_check(
                tx,
                id,
                info,
                "iam:CreateOpenIDConnectProvider",
                &arn.to_string(),
                &input.tags,
            )?;
            let exists = || {
                ApiError::new(
                    ErrorCode::EntityAlreadyExists,
                    format!("Provider with url {} already exists.", input.url),
                )
            };
            if tx.get_oidc_provider(&arn)?.is_some() {
                return Err(exists());
            }
            if tx.list_oidc_providers(&id.account)?.len() >= PROVIDERS {
                return Err(ApiError::new(
                    ErrorCode::LimitExceeded,
                    format!(
                        "Cannot exceed quota for OpenIdConnectProvidersPerAccount: {PROVIDERS}"
                    ),
                ));
            }
            let provider = OidcProvider {
                account: id.account.clone(),
                arn: arn.clone(),
                url: input.url.clone(),
                client_ids: dedup(&input.client_ids),
                thumbprints: dedup(&input.thumbprints),
                tags: input.tags.clone(),
                create_date: info.now,
            };
            quotas(&provider)?;
            tx.create_oidc_provider(&provider).map_err(|e| match e {
                WriteError::AlreadyExists(_) => exists(),
                other => write_error(other),
            })?;
            Ok(provider)
        })
    }

    /// `GetOpenIDConnectProvider`.
    pub fn get_oidc_provider(
        &self,
        id: &Identity,
        info: &RequestInfo,
        arn: &str,
    ) -> Result<OidcProvider, ApiError> {
        self.store.read(|tx| {
            self.iam_check(tx, id, info, "iam:GetOpenIDConnectProvider", arn, &[])?;
            self.provider(tx, id, arn)
        })
    }

    /// `ListOpenIDConnectProviders`.
    pub fn list_oidc_providers(
        &self,
        id: &Identity,
        info: &RequestInfo,
    ) -> Result<Vec<OidcProvider>, ApiError> {
        self.store.read(|tx| {
            self.iam_check(tx, id, info, "iam:ListOpenIDConnectProviders", "*", &[])?;
            Ok(tx.list_oidc_providers(&id.account)?)
        })
    }

    /// `DeleteOpenIDConnectProvider`.
    pub fn delete_oidc_provider(
        &self,
        id: &Identity,
        info: &RequestInfo,
        arn: &str,
    ) -> Result<(), ApiError> {
        self.store.write(|tx| {
            self.iam_check(tx, id, info, "iam:DeleteOpenIDConnectProvider", arn, &[])?;
            let p = self.provider(tx, id, arn)?;
            tx.delete_oidc_provider(&p.arn).map_err(|e| match e {
                WriteError::NotFound(_) => not_found(arn),
                other => write_error(other),
            })
        })
    }

    /// `AddClientIDToOpenIDConnectProvider`; adding a present client id changes nothing.
    pub fn add_oidc_client_id(
        &self,
        id: &Identity,
        info: &RequestInfo,
        arn: &str,
        client_id: &str,
    ) -> Result<(), ApiError> {
        self.change_provider(
            id,
            info,
            "iam:AddClientIDToOpenIDConnectProvider",
            arn,
            &|p| p.client_ids.push(client_id.to_owned()),
        )
    }

    /// `RemoveClientIDFromOpenIDConnectProvider`; removing an absent client id changes
    /// nothing.
    pub fn remove_oidc_client_id(
        &self,
        id: &Identity,
        info: &RequestInfo,
        arn: &str,
        client_id: &str,
    ) -> Result<(), ApiError> {
        self.change_provider(
            id,
            info,
            "iam:RemoveClientIDFromOpenIDConnectProvider",
            arn,
            &|p| p.client_ids.retain(|c| c != client_id),
        )
    }

    /// `UpdateOpenIDConnectProviderThumbprint`: replaces the thumbprints.
    pub fn update_oidc_thumbprints(
        &self,
        id: &Identity,
        info: &RequestInfo,
        arn: &str,
        thumbprints: &[String],
    ) -> Result<(), ApiError> {
        self.change_provider(
            id,
            info,
            "iam:UpdateOpenIDConnectProviderThumbprint",
            arn,
            &|p| p.thumbprints = thumbprints.to_vec(),
        )
    }

    fn change_provider(
        &self,
        id: &Identity,
        info: &RequestInfo,
        action: &str,
        arn: &str,
        change: &dyn Fn(&mut OidcProvider),
    ) -> Result<(), ApiError> {
        self.store.write(|tx| {
            self.iam_check(tx, id, info, action, arn, &[])?;
            let mut p = self.provider(tx, id, arn)?;
            change(&mut p);
            p.client_ids = dedup(&p.client_ids);
            p.thumbprints = dedup(&p.thumbprints);
            quotas(&p)?;
            tx.update_oidc_provider(&p).map_err(|e| match e {
                WriteError::NotFound(_) => not_found(arn),
                other => write_error(other),
            })
        })
    }
}
