//! Configuration: files found (`source`), parsed (`parse`), turned into profile maps
//! (`normalize`), and the selected profile resolved into credentials, region and endpoints
//! (`resolve`).

pub mod normalize;
pub mod parse;
pub mod resolve;
pub mod source;

use crate::{Env, Fs, python};
pub use normalize::{Config, Props};
pub use source::{File, FileState};

/// What the command line says about profiles, regions and endpoints.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Args {
    /// `--profile`: selects the profile *explicitly*, which also turns off the environment
    /// credentials (botocore's `Session(profile=...)`).
    pub profile: Option<String>,
    /// `--region`.
    pub region: Option<String>,
    /// `--endpoint-url`. Unlike the aws CLI, it also carries the AssumeRole calls of a chain.
    pub endpoint_url: Option<String>,
}

/// Reads and normalizes both files (the `source`, `parse` and `normalize` stages).
pub fn load(env: &dyn Env, fs: &dyn Fs) -> Config {
    let files = source::read(env, fs);
    normalize::normalize(files)
}

/// Everything the client needs to know before its first request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The profile selected (`--profile`, `AWS_DEFAULT_PROFILE`, `AWS_PROFILE`), or `None`
    /// for the implicit `default`.
    pub profile: Option<String>,
    /// Selected with `--profile` (environment credentials are then ignored).
    pub explicit: bool,
    pub chain: resolve::Chain,
    pub region: Option<String>,
    /// Where the AssumeRole calls of the chain go (`None`: AWS's own STS endpoint).
    pub sts_endpoint: Option<String>,
}

/// Resolves credentials, region and the STS endpoint of the chain, in botocore's order of
/// checks (a broken file, then the selected profile, then the credential chain).
pub fn resolve(config: &Config, env: &dyn Env, args: &Args) -> Result<Resolved, Error> {
    let chain = resolve::credentials(config, env, args)?;
    let selection = resolve::Selection::of(env, args);
    let region = resolve::region(config, env, args)?;
    let sts_endpoint = resolve::endpoint(config, env, args, "sts")?;
    Ok(Resolved {
        profile: selection.name,
        explicit: selection.explicit,
        chain,
        region,
        sts_endpoint,
    })
}

/// A configuration that cannot produce credentials, with botocore's text (section 7.7 of
/// the reference) where botocore has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// `ConfigParseError`.
    ConfigParse { path: String },
    /// `ProfileNotFound`.
    ProfileNotFound { profile: String },
    /// `InvalidConfigError`: a `source_profile` that names no profile.
    SourceProfileNotFound { source: String, profile: String },
    /// `PartialCredentialsError`.
    PartialCredentials { provider: String, missing: String },
    /// `InvalidConfigError`: both `source_profile` and `credential_source`.
    BothSources { profile: String },
    /// `InvalidConfigError`: a source profile without credentials.
    SourceWithoutCredentials { source: String },
    /// `InfiniteLoopConfigError`.
    InfiniteLoop {
        source: String,
        visited: Vec<String>,
    },
    /// `InvalidConfigError`: an unknown `credential_source`.
    InvalidCredentialSource { source: String, profile: String },
    /// `CredentialRetrievalError`: `credential_source = Environment` with no keys there.
    CredentialSourceEmpty { source: String, profile: String },
    /// `NoCredentialsError`.
    NoCredentials,
    /// `InvalidConfigError`: `services = X` without a `[services X]` section.
    ServicesSectionMissing { name: String },
    /// A credential provider botocore has and roleplay does not (web identity, SSO, login).
    Unsupported { profile: String, what: String },
    /// A key whose value is a nested block where text is needed (botocore fails later, at
    /// parameter validation).
    NotText { profile: String, key: String },
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::ConfigParse { path } => write!(f, "Unable to parse config file: {path}"),
            Error::ProfileNotFound { profile } => {
                write!(f, "The config profile ({profile}) could not be found")
            }
            Error::SourceProfileNotFound { source, profile } => write!(
                f,
                "The source_profile \"{source}\" referenced in the profile \"{profile}\" does not exist."
            ),
            Error::PartialCredentials { provider, missing } => write!(
                f,
                "Partial credentials found in {provider}, missing: {missing}"
            ),
            Error::BothSources { profile } => write!(
                f,
                "The profile \"{profile}\" contains both source_profile and credential_source."
            ),
            Error::SourceWithoutCredentials { source } => {
                write!(f, "The source profile \"{source}\" must have credentials.")
            }
            Error::InfiniteLoop { source, visited } => write!(
                f,
                "Infinite loop in credential configuration detected. Attempting to load from profile {source} which has already been visited. Visited profiles: {}",
                python::repr_list(visited)
            ),
            Error::InvalidCredentialSource { source, profile } => write!(
                f,
                "The credential source \"{source}\" referenced in profile \"{profile}\" is not valid."
            ),
            Error::CredentialSourceEmpty { source, profile } => write!(
                f,
                "Error when retrieving credentials from {source}: No credentials found in credential_source referenced in profile {profile}"
            ),
            Error::NoCredentials => write!(f, "Unable to locate credentials"),
            Error::ServicesSectionMissing { name } => write!(
                f,
                "The profile is configured to use the services section but the \"{name}\" services configuration does not exist."
            ),
            Error::Unsupported { profile, what } => write!(
                f,
                "The profile \"{profile}\" uses {what}, which roleplay does not support yet."
            ),
            Error::NotText { profile, key } => write!(
                f,
                "The value of {key} in the profile \"{profile}\" is a nested block, not text."
            ),
        }
    }
}

impl std::error::Error for Error {}
