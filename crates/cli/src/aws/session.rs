//! A session: the selected profile resolved (credentials chain, region, endpoints), its
//! chain executed on first use (each hop an STS AssumeRole, reusing and filling the aws CLI's
//! cache), and signed calls to query services (IAM, STS) that return the parsed result or
//! AWS's error.

use crate::aws::http::{Request, Response, TransportError};
use crate::aws::json::Json;
use crate::aws::model::{self, Model};
use crate::aws::query::{self, ServiceError};
use crate::cache::{self, Entry};
use crate::config::resolve::{Base, Hop};
use crate::config::{self, Args, Config, Resolved};
use crate::process::ProcessCredentials;
use crate::{Env, Fs};
use roleplay_sigv4::{
    Credentials as SigCredentials, RequestView, SessionTokenMode, SigningParams, SigningSettings,
    sha256_hex, sign_request,
};
use std::cell::OnceCell;
use time::OffsetDateTime;

/// Credentials a request is signed with. `Debug` redacts the secrets.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    /// When temporary credentials expire, as the service wrote it.
    pub expiration: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "** redacted **"),
            )
            .field("expiration", &self.expiration)
            .finish()
    }
}

impl Credentials {
    fn from_entry(entry: &Entry) -> Credentials {
        Credentials {
            access_key_id: entry.credentials.access_key_id.clone(),
            secret_access_key: entry.credentials.secret_access_key.clone(),
            session_token: Some(entry.credentials.session_token.clone()),
            expiration: Some(entry.credentials.expiration.clone()),
        }
    }
}

/// Why a call produced no result. `Display` is the aws CLI's text for each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// The configuration cannot produce credentials (botocore's texts).
    Config(config::Error),
    /// A chain step outside AWS failed (`credential_process`, the MFA prompt).
    Credentials(String),
    /// AWS answered with an error.
    Service {
        operation: String,
        error: ServiceError,
    },
    /// No answer at all.
    Connect(TransportError),
    /// The parameters do not fit the operation's input shape.
    Validation(String),
    /// An answer that could not be read.
    Response(String),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Config(e) => write!(f, "{e}"),
            CallError::Credentials(e) | CallError::Response(e) => write!(f, "{e}"),
            CallError::Service { operation, error } => write!(
                f,
                "An error occurred ({}) when calling the {operation} operation: {}",
                error.code, error.message
            ),
            CallError::Connect(e) => {
                write!(f, "Could not connect to the endpoint URL: \"{}\"", e.url)
            }
            CallError::Validation(e) => write!(f, "Parameter validation failed:\n{e}"),
        }
    }
}

impl std::error::Error for CallError {}

impl From<config::Error> for CallError {
    fn from(e: config::Error) -> Self {
        CallError::Config(e)
    }
}

/// What a session needs from the world besides configuration: the clock, the network, the
/// credential cache, the terminal and processes. `OsIo` is the real one.
pub trait Io {
    fn now(&self) -> OffsetDateTime;
    fn send(&self, request: &Request) -> Result<Response, TransportError>;
    fn cache_read(&self, key: &str) -> Option<Entry>;
    fn cache_write(&self, key: &str, entry: &Entry);
    /// Asks for the MFA code of `serial` (`Enter MFA code for SERIAL: `).
    fn mfa_code(&self, serial: &str) -> Result<String, String>;
    fn run_process(&self, command: &str) -> Result<ProcessCredentials, String>;
    /// Like `send`, but a successful body is written to `sink` as it arrives (the response's
    /// own body is then empty); an error body is kept.
    fn send_to(
        &self,
        request: &Request,
        sink: &mut dyn std::io::Write,
    ) -> Result<Response, TransportError> {
        let mut response = self.send(request)?;
        if (200..300).contains(&response.status) {
            sink.write_all(&response.body).map_err(|e| TransportError {
                url: request.url.clone(),
                detail: e.to_string(),
            })?;
            response.body.clear();
        }
        Ok(response)
    }
    /// A `--debug` line; dropped unless debugging.
    fn debug(&self, _line: &str) {}
}

/// The answer to one call.
#[derive(Debug, Clone)]
pub struct Output {
    /// The result, read by the operation's output shape (empty object when it has none).
    pub result: Json,
    pub request_id: Option<String>,
}

/// The selected profile, ready to call services.
pub struct Session<'a> {
    env: &'a dyn Env,
    io: &'a dyn Io,
    args: Args,
    config: Config,
    resolved: Resolved,
    credentials: OnceCell<Credentials>,
    /// `--no-sign-request`: requests go out anonymous.
    unsigned: bool,
}

impl<'a> Session<'a> {
    /// Reads the files and resolves the selected profile; nothing is called yet.
    pub fn new(
        env: &'a dyn Env,
        fs: &dyn Fs,
        io: &'a dyn Io,
        args: Args,
    ) -> Result<Session<'a>, CallError> {
        let config = config::load(env, fs);
        let resolved = config::resolve(&config, env, &args)?;
        Ok(Session {
            env,
            io,
            args,
            config,
            resolved,
            credentials: OnceCell::new(),
            unsigned: false,
        })
    }

    /// Sends every request unsigned (`--no-sign-request`): no credentials are looked for.
    #[must_use]
    pub fn unsigned(mut self) -> Self {
        self.unsigned = true;
        self
    }

    /// Whether requests go out unsigned.
    pub fn is_unsigned(&self) -> bool {
        self.unsigned
    }

    /// The profile, chain, region and STS endpoint.
    pub fn resolved(&self) -> &Resolved {
        &self.resolved
    }

    /// A text option of the active profile (`output`, `cli_pager`, ...).
    pub fn profile_value(&self, key: &str) -> Option<String> {
        let selection = config::resolve::Selection::of(self.env, &self.args);
        config::resolve::scoped(&self.config, &selection)
            .ok()
            .flatten()
            .and_then(|p| p.get(key))
            .and_then(|e| e.value.text())
            .map(str::to_owned)
    }

    /// The world the session works in.
    pub fn io(&self) -> &dyn Io {
        self.io
    }

    /// The environment the session reads.
    pub fn env(&self) -> &dyn Env {
        self.env
    }

    /// The region, if any place names one.
    pub fn region(&self) -> Option<&str> {
        self.resolved.region.as_deref()
    }

    /// The configured endpoint of `service`, or `None` for AWS's own.
    pub fn configured_endpoint(&self, service: &str) -> Result<Option<String>, CallError> {
        Ok(config::resolve::endpoint(
            &self.config,
            self.env,
            &self.args,
            service,
        )?)
    }

    /// Where calls to `service` go, and the region they are signed for.
    pub fn endpoint(&self, service: &str) -> Result<(String, String), CallError> {
        let configured = self.configured_endpoint(service)?;
        Ok(endpoint_for(service, configured, self.region()))
    }

    /// The credentials at the end of the chain, executing it on first use.
    pub fn credentials(&self) -> Result<&Credentials, CallError> {
        if let Some(c) = self.credentials.get() {
            return Ok(c);
        }
        let c = self.execute_chain()?;
        Ok(self.credentials.get_or_init(|| c))
    }

    fn execute_chain(&self) -> Result<Credentials, CallError> {
        let mut current = self.base_credentials()?;
        for hop in &self.resolved.chain.hops {
            current = self.assume_hop(hop, &current)?;
        }
        Ok(current)
    }

    /// The chain's first credentials (static keys, or `credential_process` run now).
    pub fn base_credentials(&self) -> Result<Credentials, CallError> {
        Ok(match &self.resolved.chain.base {
            Base::Static {
                access_key_id,
                secret_access_key,
                session_token,
                ..
            } => Credentials {
                access_key_id: access_key_id.clone(),
                secret_access_key: secret_access_key.clone(),
                session_token: session_token.clone(),
                expiration: None,
            },
            Base::Process { command, .. } => {
                let p = self
                    .io
                    .run_process(command)
                    .map_err(CallError::Credentials)?;
                Credentials {
                    access_key_id: p.access_key_id,
                    secret_access_key: p.secret_access_key,
                    session_token: p.session_token,
                    expiration: p.expiration,
                }
            }
            Base::Ec2InstanceMetadata { profile } | Base::EcsContainer { profile } => {
                return Err(CallError::Config(config::Error::Unsupported {
                    profile: profile.clone(),
                    what: "credential_source = Ec2InstanceMetadata / EcsContainer".to_owned(),
                }));
            }
        })
    }

    /// One AssumeRole for `hop` with `source`, bypassing the cache (nothing is written):
    /// whether the hop would be allowed now. Returns the session and the assumed-role ARN.
    pub fn try_hop(
        &self,
        hop: &Hop,
        source: &Credentials,
        session_name: &str,
    ) -> Result<(Credentials, String), CallError> {
        let entry = self.assume(hop, source, session_name)?;
        let arn = entry
            .assumed_role_user
            .as_ref()
            .map(|u| u.arn.clone())
            .unwrap_or_default();
        Ok((Credentials::from_entry(&entry), arn))
    }

    /// AssumeRole for a hop at the chain's STS endpoint; the answer as a cache entry.
    fn assume(
        &self,
        hop: &Hop,
        source: &Credentials,
        session_name: &str,
    ) -> Result<Entry, CallError> {
        let params = self.hop_params(hop, session_name)?;
        let (url, region) = endpoint_for("sts", self.resolved.sts_endpoint.clone(), self.region());
        let out = self.call_with("sts", "AssumeRole", &params, source, &url, &region)?;
        entry_of(&out).ok_or_else(|| {
            CallError::Response("AssumeRole answered without credentials".to_owned())
        })
    }

    /// The identity behind credentials (`GetCallerIdentity` at the chain's STS endpoint).
    pub fn whoami(&self, credentials: &Credentials) -> Result<String, CallError> {
        let (url, region) = endpoint_for("sts", self.resolved.sts_endpoint.clone(), self.region());
        let out = self.call_with(
            "sts",
            "GetCallerIdentity",
            &serde_json::json!({}),
            credentials,
            &url,
            &region,
        )?;
        Ok(out
            .result
            .get("Arn")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_owned())
    }

    /// AssumeRole's parameters for a hop (prompting for the MFA code when it has a serial).
    fn hop_params(&self, hop: &Hop, session_name: &str) -> Result<serde_json::Value, CallError> {
        let mut params = serde_json::Map::new();
        params.insert("RoleArn".into(), hop.role_arn.clone().into());
        params.insert("RoleSessionName".into(), session_name.into());
        if let Some(v) = &hop.external_id {
            params.insert("ExternalId".into(), v.clone().into());
        }
        if let Some(serial) = &hop.mfa_serial {
            let code = self.io.mfa_code(serial).map_err(CallError::Credentials)?;
            params.insert("SerialNumber".into(), serial.clone().into());
            params.insert("TokenCode".into(), code.into());
        }
        if let Some(d) = hop.duration_seconds {
            params.insert("DurationSeconds".into(), d.into());
        }
        Ok(serde_json::Value::Object(params))
    }

    /// One hop: the cached session if at least 15 minutes remain, else AssumeRole (written
    /// to the cache under the aws CLI's key).
    fn assume_hop(&self, hop: &Hop, source: &Credentials) -> Result<Credentials, CallError> {
        let key = cache::key(hop);
        let now = self.io.now();
        if let Some(entry) = self.io.cache_read(&key).filter(|e| e.is_fresh(now)) {
            self.io.debug(&format!(
                "credentials for {} from the cache entry {key}",
                hop.role_arn
            ));
            return Ok(Credentials::from_entry(&entry));
        }
        let session_name = hop
            .role_session_name
            .clone()
            .unwrap_or_else(|| format!("botocore-session-{}", now.unix_timestamp()));
        let entry = self.assume(hop, source, &session_name)?;
        self.io.cache_write(&key, &entry);
        Ok(Credentials::from_entry(&entry))
    }

    /// A plain GET of `url` (roleplay's own `/_roleplay/...` pages), unsigned.
    pub fn get(&self, url: &str) -> Result<Response, CallError> {
        self.io
            .send(&Request {
                method: "GET".to_owned(),
                url: url.to_owned(),
                headers: Vec::new(),
                body: Vec::new(),
            })
            .map_err(CallError::Connect)
    }

    /// A form POST to `url`, signed for `service` with the session's credentials (its chain
    /// executed first), as a query-protocol call would be.
    pub fn post_signed(
        &self,
        service: &str,
        url: &str,
        form: &[(String, String)],
    ) -> Result<Response, CallError> {
        let model = model::get(service)
            .ok_or_else(|| CallError::Validation(format!("unknown service {service}")))?;
        let credentials = self.credentials()?.clone();
        let (_, region) = self.endpoint(service)?;
        let body = query::form_body(form).into_bytes();
        let request = signed_request(model, url, &region, Some(&credentials), body, self.io.now())?;
        self.io.debug(&format!("POST {url}"));
        self.io.send(&request).map_err(CallError::Connect)
    }

    /// Calls `operation` of a query service (`sts`, `iam`) with the session's credentials.
    pub fn call(
        &self,
        service: &str,
        operation: &str,
        params: &serde_json::Value,
    ) -> Result<Output, CallError> {
        let (url, region) = self.endpoint(service)?;
        if self.unsigned {
            return self.send_query(service, operation, params, None, &url, &region);
        }
        let credentials = self.credentials()?.clone();
        self.call_with(service, operation, params, &credentials, &url, &region)
    }

    /// Calls `operation` with given credentials at a given endpoint.
    pub fn call_with(
        &self,
        service: &str,
        operation: &str,
        params: &serde_json::Value,
        credentials: &Credentials,
        url: &str,
        region: &str,
    ) -> Result<Output, CallError> {
        self.send_query(service, operation, params, Some(credentials), url, region)
    }

    fn send_query(
        &self,
        service: &str,
        operation: &str,
        params: &serde_json::Value,
        credentials: Option<&Credentials>,
        url: &str,
        region: &str,
    ) -> Result<Output, CallError> {
        let model = model::get(service)
            .ok_or_else(|| CallError::Validation(format!("unknown service {service}")))?;
        let form = query::serialize(model, operation, params).map_err(CallError::Validation)?;
        let body = query::form_body(&form);
        let request = signed_request(
            model,
            url,
            region,
            credentials,
            body.into_bytes(),
            self.io.now(),
        )?;
        self.io
            .debug(&format!("{} {} ({operation})", request.method, request.url));
        let response = self.io.send(&request).map_err(CallError::Connect)?;
        // Bodies are not logged: answers such as AssumeRole's carry secrets.
        self.io.debug(&format!(
            "HTTP {} ({} bytes)",
            response.status,
            response.body.len()
        ));
        read_answer(model, operation, &response)
    }
}

/// Builds and signs a query-protocol POST (unsigned without credentials).
fn signed_request(
    model: &Model,
    url: &str,
    region: &str,
    credentials: Option<&Credentials>,
    body: Vec<u8>,
    now: OffsetDateTime,
) -> Result<Request, CallError> {
    let (host, path) =
        split_url(url).ok_or_else(|| CallError::Validation(format!("Invalid endpoint: {url}")))?;
    let payload_hash = sha256_hex(&body);
    let content_type = "application/x-www-form-urlencoded; charset=utf-8";
    let headers: Vec<(&str, &str)> = vec![("host", host.as_str()), ("content-type", content_type)];
    let view = RequestView {
        method: "POST",
        path: &path,
        query: "",
        headers: &headers,
        payload_hash: &payload_hash,
    };
    let mut out: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    if let Some(credentials) = credentials {
        let params = SigningParams {
            credentials: SigCredentials {
                access_key_id: &credentials.access_key_id,
                secret_access_key: &credentials.secret_access_key,
                session_token: credentials.session_token.as_deref(),
            },
            region,
            service: model.signing_name(),
            time: now,
            settings: SigningSettings::QUERY,
            session_token_mode: SessionTokenMode::Signed,
        };
        let signed =
            sign_request(&view, &params).map_err(|e| CallError::Validation(e.to_string()))?;
        out.extend(signed.headers);
    }
    let full = if path == "/" && !url.ends_with('/') {
        format!("{url}/")
    } else {
        url.to_owned()
    };
    Ok(Request {
        method: "POST".to_owned(),
        url: full,
        headers: out,
        body,
    })
}

/// `http://host:port/path` → (`host:port`, `/path`).
pub(crate) fn split_url(url: &str) -> Option<(String, String)> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (rest.get(..i)?, rest.get(i..)?),
        None => (rest, "/"),
    };
    if authority.is_empty() {
        return None;
    }
    let authority = authority
        .strip_suffix(":443")
        .filter(|_| url.starts_with("https://"))
        .or_else(|| {
            authority
                .strip_suffix(":80")
                .filter(|_| url.starts_with("http://"))
        })
        .unwrap_or(authority);
    Some((authority.to_owned(), path.to_owned()))
}

fn read_answer(model: &Model, operation: &str, response: &Response) -> Result<Output, CallError> {
    if !(200..300).contains(&response.status) {
        return Err(CallError::Service {
            operation: operation.to_owned(),
            error: query::parse_error(response.status, &response.body),
        });
    }
    let (result, request_id) =
        query::parse_response(model, operation, &response.body).map_err(CallError::Response)?;
    Ok(Output { result, request_id })
}

/// The endpoint and signing region of `service`: the configured endpoint, else AWS's (IAM is
/// global and signed for us-east-1; STS is regional when a region is known).
pub fn endpoint_for(
    service: &str,
    configured: Option<String>,
    region: Option<&str>,
) -> (String, String) {
    let model_region = region.unwrap_or("us-east-1").to_owned();
    match (service, configured) {
        ("iam", Some(url)) => (url, "us-east-1".to_owned()),
        (_, Some(url)) => (url, model_region),
        ("iam", None) => (
            "https://iam.amazonaws.com".to_owned(),
            "us-east-1".to_owned(),
        ),
        (s, None) => match region {
            Some(r) => (format!("https://{s}.{r}.amazonaws.com"), r.to_owned()),
            None => (format!("https://{s}.amazonaws.com"), "us-east-1".to_owned()),
        },
    }
}

/// An AssumeRole answer as the aws CLI caches it.
fn entry_of(out: &Output) -> Option<Entry> {
    let c = out.result.get("Credentials")?;
    let u = out.result.get("AssumedRoleUser")?;
    let text = |v: &Json, k: &str| v.get(k).and_then(Json::as_str).map(str::to_owned);
    let mut entry = Entry::new(
        cache::Credentials {
            access_key_id: text(c, "AccessKeyId")?,
            secret_access_key: text(c, "SecretAccessKey")?,
            session_token: text(c, "SessionToken")?,
            expiration: text(c, "Expiration")?,
            account_id: None,
        },
        cache::AssumedRoleUser {
            assumed_role_id: text(u, "AssumedRoleId")?,
            arn: text(u, "Arn")?,
        },
        out.request_id.as_deref().unwrap_or_default(),
    );
    if let Some(Json::Int(size)) = out.result.get("PackedPolicySize") {
        entry.packed_policy_size = Some(*size);
    }
    Some(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_host_and_path() {
        assert_eq!(
            split_url("http://127.0.0.1:4566"),
            Some(("127.0.0.1:4566".into(), "/".into()))
        );
        assert_eq!(
            split_url("https://sts.amazonaws.com:443/"),
            Some(("sts.amazonaws.com".into(), "/".into()))
        );
        assert_eq!(split_url("ftp://x"), None);
    }

    #[test]
    fn default_endpoints() {
        assert_eq!(
            endpoint_for("iam", None, Some("eu-west-1")),
            ("https://iam.amazonaws.com".into(), "us-east-1".into())
        );
        assert_eq!(
            endpoint_for("sts", None, Some("eu-west-1")),
            (
                "https://sts.eu-west-1.amazonaws.com".into(),
                "eu-west-1".into()
            )
        );
        assert_eq!(
            endpoint_for("sts", None, None),
            ("https://sts.amazonaws.com".into(), "us-east-1".into())
        );
    }
}
