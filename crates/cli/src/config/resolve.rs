//! The selected profile → a [`Chain`] (base credentials, then role hops), botocore's
//! `create_credential_resolver` and `AssumeRoleProvider` step for step; and the region and
//! endpoints of the active profile. Pure: the files are already values, the environment comes
//! through [`Env`].

use crate::config::normalize::{Config, Props};
use crate::config::parse::Value;
use crate::config::{Args, Error};
use crate::{Env, python};
use serde::Serialize;

/// Base credentials, then the roles to assume in order (the first with the base credentials,
/// each next one with the previous hop's session).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Chain {
    pub base: Base,
    pub hops: Vec<Hop>,
}

/// Where a chain's first credentials come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Base {
    /// Keys read from the environment or one of the files.
    Static {
        source: StaticSource,
        /// The profile whose keys these are (`None` for the environment).
        profile: Option<String>,
        access_key_id: String,
        secret_access_key: String,
        session_token: Option<String>,
    },
    /// `credential_process` of `profile`, run when the chain is executed.
    Process { profile: String, command: String },
    /// `credential_source = Ec2InstanceMetadata` (not reachable on a laptop; kept exact).
    Ec2InstanceMetadata { profile: String },
    /// `credential_source = EcsContainer`.
    EcsContainer { profile: String },
}

/// The botocore provider that found static keys (its `METHOD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum StaticSource {
    #[serde(rename = "env")]
    Env,
    #[serde(rename = "shared-credentials-file")]
    SharedCredentialsFile,
    #[serde(rename = "config-file")]
    ConfigFile,
}

/// One AssumeRole call, with the parameters the profile configures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hop {
    /// The profile whose `role_arn` this is.
    pub profile: String,
    pub role_arn: String,
    /// `role_session_name` when configured and not empty; otherwise the client generates
    /// `botocore-session-<epoch seconds>` (and the cache key leaves it out).
    pub role_session_name: Option<String>,
    pub external_id: Option<String>,
    /// `mfa_serial`: the client prompts `Enter MFA code for <serial>: `.
    pub mfa_serial: Option<String>,
    /// `duration_seconds` when Python's `int()` accepts it (otherwise silently ignored).
    pub duration_seconds: Option<i64>,
}

/// Which profile is active and how it was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    pub name: Option<String>,
    pub explicit: bool,
}

impl Selection {
    /// `--profile`, then `AWS_DEFAULT_PROFILE` (which beats `AWS_PROFILE`), then
    /// `AWS_PROFILE`.
    pub fn of(env: &dyn Env, args: &Args) -> Selection {
        if let Some(p) = &args.profile {
            return Selection {
                name: Some(p.clone()),
                explicit: true,
            };
        }
        Selection {
            name: env
                .var("AWS_DEFAULT_PROFILE")
                .or_else(|| env.var("AWS_PROFILE")),
            explicit: false,
        }
    }

    /// The profile name the credential providers use.
    pub fn effective(&self) -> &str {
        match self.name.as_deref() {
            Some(n) if !n.is_empty() => n,
            _ => "default",
        }
    }
}

/// The active profile's options (`get_scoped_config`): a selected profile must exist; the
/// implicit `default` may be absent.
pub fn scoped<'c>(config: &'c Config, selection: &Selection) -> Result<Option<&'c Props>, Error> {
    if let Some(file) = config.parse_error() {
        return Err(Error::ConfigParse {
            path: file.path.clone(),
        });
    }
    match &selection.name {
        None => Ok(config.profiles.get("default")),
        Some(name) => config
            .profiles
            .get(name)
            .map(Some)
            .ok_or_else(|| Error::ProfileNotFound {
                profile: name.clone(),
            }),
    }
}

/// The credential chain of the selected profile.
pub fn credentials(config: &Config, env: &dyn Env, args: &Args) -> Result<Chain, Error> {
    let selection = Selection::of(env, args);
    scoped(config, &selection)?;
    let profile = selection.effective().to_owned();
    let mut resolver = Resolver {
        config,
        env,
        visited: vec![profile.clone()],
        hops: Vec::new(),
    };
    // The environment provider: first, unless the profile was given explicitly.
    if !selection.explicit
        && let Some(base) = env_credentials(env)?
    {
        return Ok(Chain {
            base,
            hops: Vec::new(),
        });
    }
    let props = config.profiles.get(&profile);
    let base = if let Some(p) = props.filter(|p| has_assume_role_vars(p)) {
        let _ = p;
        resolver.assume_role(&profile)?
    } else {
        match resolver.profile_providers(&profile, !selection.explicit)? {
            Some(base) => base,
            None => return Err(Error::NoCredentials),
        }
    };
    Ok(Chain {
        base,
        hops: resolver.hops,
    })
}

struct Resolver<'a> {
    config: &'a Config,
    env: &'a dyn Env,
    visited: Vec<String>,
    hops: Vec<Hop>,
}

impl Resolver<'_> {
    fn props(&self, name: &str) -> Option<&Props> {
        self.config.profiles.get(name)
    }

    /// `_load_creds_via_assume_role`: validate, resolve the source, then this hop.
    fn assume_role(&mut self, name: &str) -> Result<Base, Error> {
        let props = self.props(name).cloned().unwrap_or_default();
        let text = |key: &str| -> Result<Option<String>, Error> {
            match props.get(key).map(|e| &e.value) {
                None => Ok(None),
                Some(Value::Text(t)) => Ok(Some(t.clone())),
                Some(Value::Nested(_)) => Err(Error::NotText {
                    profile: name.to_owned(),
                    key: key.to_owned(),
                }),
            }
        };
        let role_arn = text("role_arn")?.unwrap_or_default();
        let source_profile = text("source_profile")?;
        let credential_source = text("credential_source")?;
        let hop = Hop {
            profile: name.to_owned(),
            role_arn,
            role_session_name: text("role_session_name")?.filter(|s| !s.is_empty()),
            external_id: text("external_id")?,
            mfa_serial: text("mfa_serial")?,
            duration_seconds: text("duration_seconds")?.and_then(|d| python::int(&d)),
        };
        let base = match (source_profile, credential_source) {
            (Some(_), Some(_)) => {
                return Err(Error::BothSources {
                    profile: name.to_owned(),
                });
            }
            (None, None) => {
                return Err(Error::PartialCredentials {
                    provider: "assume-role".to_owned(),
                    missing: "source_profile or credential_source".to_owned(),
                });
            }
            (None, Some(source)) => self.credential_source(name, &source)?,
            (Some(source), None) => {
                self.validate_source_profile(name, &source)?;
                self.visited.push(source.clone());
                self.source_credentials(&source)?
            }
        };
        self.hops.push(hop);
        Ok(base)
    }

    fn credential_source(&self, profile: &str, source: &str) -> Result<Base, Error> {
        match source {
            "Environment" => env_credentials(self.env)?.ok_or(Error::CredentialSourceEmpty {
                source: source.to_owned(),
                profile: profile.to_owned(),
            }),
            "Ec2InstanceMetadata" => Ok(Base::Ec2InstanceMetadata {
                profile: profile.to_owned(),
            }),
            "EcsContainer" => Ok(Base::EcsContainer {
                profile: profile.to_owned(),
            }),
            _ => Err(Error::InvalidCredentialSource {
                source: source.to_owned(),
                profile: profile.to_owned(),
            }),
        }
    }

    fn validate_source_profile(&self, parent: &str, source: &str) -> Result<(), Error> {
        let Some(props) = self.props(source) else {
            return Err(Error::SourceProfileNotFound {
                source: source.to_owned(),
                profile: parent.to_owned(),
            });
        };
        if !self.visited.iter().any(|v| v == source) {
            return Ok(());
        }
        // Only a profile naming itself, with static keys, may be visited again.
        if source != parent || !has_static(props) {
            return Err(Error::InfiniteLoop {
                source: source.to_owned(),
                visited: self.visited.clone(),
            });
        }
        Ok(())
    }

    /// `_resolve_credentials_from_profile`: static keys of the source win over its role.
    fn source_credentials(&mut self, name: &str) -> Result<Base, Error> {
        let props = self.props(name).cloned().unwrap_or_default();
        if has_static(&props) || !has_assume_role_vars(&props) {
            return self.profile_providers(name, false)?.ok_or_else(|| {
                Error::SourceWithoutCredentials {
                    source: name.to_owned(),
                }
            });
        }
        self.assume_role(name)
    }

    /// `ProfileProviderBuilder.providers`: web identity, SSO, the credentials file, login,
    /// `credential_process`, the config file.
    fn profile_providers(&self, name: &str, env_allowed: bool) -> Result<Option<Base>, Error> {
        let merged = self.props(name);
        let has = |key: &str| merged.is_some_and(|p| p.contains_key(key));
        let env_web_identity = env_allowed && self.env.var("AWS_WEB_IDENTITY_TOKEN_FILE").is_some();
        if has("web_identity_token_file") || env_web_identity {
            return Err(Error::Unsupported {
                profile: name.to_owned(),
                what: "web identity (web_identity_token_file)".to_owned(),
            });
        }
        if has("sso_session") || has("sso_start_url") {
            return Err(Error::Unsupported {
                profile: name.to_owned(),
                what: "IAM Identity Center (sso_session / sso_start_url)".to_owned(),
            });
        }
        if let Some(base) = static_keys(
            self.config.credentials_profiles.get(name),
            name,
            StaticSource::SharedCredentialsFile,
        )? {
            return Ok(Some(base));
        }
        if has("login_session") {
            return Err(Error::Unsupported {
                profile: name.to_owned(),
                what: "aws login (login_session)".to_owned(),
            });
        }
        if let Some(entry) = merged.and_then(|p| p.get("credential_process")) {
            let command = entry.value.text().ok_or_else(|| Error::NotText {
                profile: name.to_owned(),
                key: "credential_process".to_owned(),
            })?;
            return Ok(Some(Base::Process {
                profile: name.to_owned(),
                command: command.to_owned(),
            }));
        }
        static_keys(
            self.config.config_profiles.get(name),
            name,
            StaticSource::ConfigFile,
        )
    }
}

/// The `env` provider: `AWS_ACCESS_KEY_ID` (non-empty) needs `AWS_SECRET_ACCESS_KEY`; the
/// token is `AWS_SECURITY_TOKEN`, else `AWS_SESSION_TOKEN`.
fn env_credentials(env: &dyn Env) -> Result<Option<Base>, Error> {
    let non_empty = |n: &str| env.var(n).filter(|v| !v.is_empty());
    let Some(access_key_id) = non_empty("AWS_ACCESS_KEY_ID") else {
        return Ok(None);
    };
    let secret_access_key =
        non_empty("AWS_SECRET_ACCESS_KEY").ok_or_else(|| Error::PartialCredentials {
            provider: "env".to_owned(),
            missing: "AWS_SECRET_ACCESS_KEY".to_owned(),
        })?;
    Ok(Some(Base::Static {
        source: StaticSource::Env,
        profile: None,
        access_key_id,
        secret_access_key,
        session_token: non_empty("AWS_SECURITY_TOKEN").or_else(|| non_empty("AWS_SESSION_TOKEN")),
    }))
}

/// The `shared-credentials-file` and `config-file` providers.
fn static_keys(
    props: Option<&Props>,
    name: &str,
    source: StaticSource,
) -> Result<Option<Base>, Error> {
    let Some(props) = props else {
        return Ok(None);
    };
    let Some(key) = props.get("aws_access_key_id") else {
        return Ok(None);
    };
    let provider = match source {
        StaticSource::SharedCredentialsFile => "shared-credentials-file",
        StaticSource::ConfigFile => "config-file",
        StaticSource::Env => "env",
    };
    let secret = props
        .get("aws_secret_access_key")
        .ok_or_else(|| Error::PartialCredentials {
            provider: provider.to_owned(),
            missing: "aws_secret_access_key".to_owned(),
        })?;
    let text = |v: &Value, key: &str| {
        v.text().map(str::to_owned).ok_or_else(|| Error::NotText {
            profile: name.to_owned(),
            key: key.to_owned(),
        })
    };
    let token = match props
        .get("aws_security_token")
        .or_else(|| props.get("aws_session_token"))
    {
        Some(e) => Some(text(&e.value, "aws_session_token")?),
        None => None,
    };
    Ok(Some(Base::Static {
        source,
        profile: Some(name.to_owned()),
        access_key_id: text(&key.value, "aws_access_key_id")?,
        secret_access_key: text(&secret.value, "aws_secret_access_key")?,
        session_token: token,
    }))
}

/// Either key present counts (botocore's `_has_static_credentials`).
pub fn has_static(props: &Props) -> bool {
    props.contains_key("aws_access_key_id") || props.contains_key("aws_secret_access_key")
}

/// `role_arn` present and no `web_identity_token_file`.
pub fn has_assume_role_vars(props: &Props) -> bool {
    props.contains_key("role_arn") && !props.contains_key("web_identity_token_file")
}

/// The region: `--region`, `AWS_DEFAULT_REGION`, then (beyond the aws CLI v1, as v2 and the
/// SDKs do) `AWS_REGION`, then the active profile's `region`. No inheritance from `[default]`
/// or from source profiles.
pub fn region(config: &Config, env: &dyn Env, args: &Args) -> Result<Option<String>, Error> {
    let scoped = scoped(config, &Selection::of(env, args))?;
    let from_profile = scoped
        .and_then(|p| p.get("region"))
        .and_then(|e| e.value.text())
        .map(str::to_owned);
    Ok([
        args.region.clone(),
        env.var("AWS_DEFAULT_REGION"),
        env.var("AWS_REGION"),
        from_profile,
    ]
    .into_iter()
    .flatten()
    .find(|r| !r.is_empty()))
}

/// The endpoint of one service (`sts`, `iam`, `s3`): `--endpoint-url`, then (unless
/// `ignore_configured_endpoint_urls`) `AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL`, the
/// `[services x]` section the profile names, the profile's `endpoint_url`. `None`: AWS's own.
pub fn endpoint(
    config: &Config,
    env: &dyn Env,
    args: &Args,
    service: &str,
) -> Result<Option<String>, Error> {
    let scoped = scoped(config, &Selection::of(env, args))?;
    if let Some(url) = &args.endpoint_url {
        return Ok(Some(url.clone()));
    }
    let text = |key: &str| {
        scoped
            .and_then(|p| p.get(key))
            .and_then(|e| e.value.text())
            .map(str::to_owned)
    };
    let ignore = env
        .var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .or_else(|| text("ignore_configured_endpoint_urls"))
        .is_some_and(|v| v.to_lowercase() == "true");
    if ignore {
        return Ok(None);
    }
    let id = service.replace('-', "_");
    for name in [
        format!("AWS_ENDPOINT_URL_{}", id.to_uppercase()),
        "AWS_ENDPOINT_URL".to_owned(),
    ] {
        if let Some(url) = env.var(&name).filter(|u| !u.is_empty()) {
            return Ok(Some(url));
        }
    }
    if let Some(section_name) = text("services") {
        let section = config
            .services
            .get(&section_name)
            .filter(|s| !s.is_empty())
            .ok_or(Error::ServicesSectionMissing {
                name: section_name.clone(),
            })?;
        if let Some(Value::Nested(block)) = section.get(&id.to_lowercase()).map(|e| &e.value)
            && let Some(url) = block.get("endpoint_url").filter(|u| !u.is_empty())
        {
            return Ok(Some(url.clone()));
        }
    }
    Ok(text("endpoint_url").filter(|u| !u.is_empty()))
}
