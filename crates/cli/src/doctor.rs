//! `roleplay doctor`: the config and credentials files and every profile chain checked
//! offline, one finding a line, each broken chain with botocore's own error text and, where a
//! name is mistyped, the profile it probably meant.

use crate::config::resolve::{self, Base, Chain, StaticSource};
use crate::config::{Args, Config, Error, FileState};
use crate::{Env, Fs, cache};
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Ok,
    Warning,
    Error,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    pub message: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tag = match self.severity {
            Severity::Ok => "ok",
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(f, "{tag}: {}", self.message)
    }
}

/// All findings, in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
}

impl Report {
    /// Something would fail: `doctor` exits non-zero.
    pub fn broken(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    pub fn push(&mut self, severity: Severity, message: String) {
        self.findings.push(Finding { severity, message });
    }
}

/// Checks the files and the chain of `profile` (every profile when `None`); `now` judges the
/// cached role sessions in `~/.aws/cli/cache`.
pub fn check(env: &dyn Env, fs: &dyn Fs, profile: Option<&str>, now: OffsetDateTime) -> Report {
    let config = crate::config::load(env, fs);
    let mut report = Report::default();
    check_files(&config, &mut report);
    check_environment(env, &mut report);
    let names: Vec<String> = match profile {
        Some(p) => vec![p.to_owned()],
        None => config.profiles.keys().cloned().collect(),
    };
    if names.is_empty() && config.parse_error().is_none() {
        report.push(Severity::Warning, "no profiles are configured".to_owned());
    }
    for name in names {
        check_profile(&config, env, &name, &mut report);
        check_cache(&config, env, fs, &name, now, &mut report);
    }
    report
}

fn check_files(config: &Config, report: &mut Report) {
    let files = [
        ("config file", &config.config_file),
        ("credentials file", &config.credentials_file),
    ];
    for (what, file) in files {
        let Some(file) = file else { continue };
        match &file.state {
            FileState::Missing => report.push(
                Severity::Warning,
                format!("{what} {}: not found (read as empty)", file.path),
            ),
            FileState::Unreadable(e) => report.push(
                Severity::Error,
                format!(
                    "{what} {}: cannot be read ({e}); the aws CLI silently ignores it",
                    file.path
                ),
            ),
            FileState::Invalid(e) => report.push(
                Severity::Error,
                format!(
                    "{}:{}: {}; every command fails with \"Unable to parse config file: {}\"",
                    file.path, e.line, e.message, file.path
                ),
            ),
            FileState::Parsed(sections) => report.push(
                Severity::Ok,
                format!(
                    "{what} {}: {} section{}",
                    file.path,
                    sections.len(),
                    if sections.len() == 1 { "" } else { "s" }
                ),
            ),
        }
    }
    let path = config
        .config_file
        .as_ref()
        .map(|f| f.path.clone())
        .unwrap_or_default();
    for (name, line) in &config.other_sections {
        if matches!(name.as_str(), "plugins" | "preview" | "cli") {
            continue;
        }
        report.push(
            Severity::Warning,
            format!(
                "{path}:{line}: [{name}] is not a profile in the config file; a profile there is written [profile {name}]"
            ),
        );
    }
}

fn check_environment(env: &dyn Env, report: &mut Report) {
    let default = env.var("AWS_DEFAULT_PROFILE");
    let profile = env.var("AWS_PROFILE");
    if let (Some(d), Some(p)) = (&default, &profile)
        && d != p
    {
        report.push(
            Severity::Warning,
            format!("AWS_DEFAULT_PROFILE ({d}) and AWS_PROFILE ({p}) differ; the aws CLI uses AWS_DEFAULT_PROFILE"),
        );
    }
    if (default.is_some() || profile.is_some())
        && env.var("AWS_ACCESS_KEY_ID").is_some_and(|k| !k.is_empty())
    {
        report.push(
            Severity::Warning,
            "AWS_ACCESS_KEY_ID is set: without --profile, the environment keys win over AWS_PROFILE".to_owned(),
        );
    }
}

fn check_profile(config: &Config, env: &dyn Env, name: &str, report: &mut Report) {
    let args = Args {
        profile: Some(name.to_owned()),
        ..Args::default()
    };
    match resolve::credentials(config, env, &args) {
        Err(e) => {
            let hint = suggestion(config, &e);
            let text = e.to_string();
            let stop = if hint.is_empty() || text.ends_with('.') {
                ""
            } else {
                "."
            };
            report.push(
                Severity::Error,
                format!("profile {name}: {text}{stop}{hint}"),
            );
        }
        Ok(chain) => {
            report.push(
                Severity::Ok,
                format!("profile {name}: {}", describe(&chain)),
            );
            if let Ok(None) = resolve::region(config, env, &args) {
                report.push(
                    Severity::Warning,
                    format!("profile {name}: no region (set region in the profile, or AWS_DEFAULT_REGION)"),
                );
            }
            if !chain.hops.is_empty()
                && let Ok(None) = resolve::endpoint(config, env, &args, "sts")
            {
                let elsewhere = chain
                    .hops
                    .iter()
                    .map(|h| h.profile.as_str())
                    .chain(match &chain.base {
                        Base::Static {
                            profile: Some(p), ..
                        } => Some(p.as_str()),
                        _ => None,
                    })
                    .find(|p| {
                        *p != name
                            && config
                                .profiles
                                .get(*p)
                                .is_some_and(|props| props.contains_key("endpoint_url"))
                    });
                if let Some(other) = elsewhere {
                    report.push(
                        Severity::Warning,
                        format!(
                            "profile {name}: no endpoint_url, so the aws CLI sends its AssumeRole calls to AWS even though profile {other} sets one"
                        ),
                    );
                }
            }
        }
    }
}

/// The cached sessions of a working chain's hops (the aws CLI's and ours are the same files).
fn check_cache(
    config: &Config,
    env: &dyn Env,
    fs: &dyn Fs,
    name: &str,
    now: OffsetDateTime,
    report: &mut Report,
) {
    let args = Args {
        profile: Some(name.to_owned()),
        ..Args::default()
    };
    let (Ok(chain), Some(home)) = (resolve::credentials(config, env, &args), env.home()) else {
        return;
    };
    let dir = format!("{}/.aws/cli/cache", home.trim_end_matches('/'));
    for hop in &chain.hops {
        let path = format!("{dir}/{}", cache::file_name(hop));
        let Ok(Some(bytes)) = fs.read(&path) else {
            continue;
        };
        let entry = String::from_utf8(bytes)
            .ok()
            .and_then(|t| cache::Entry::from_json(&t));
        let Some(entry) = entry else {
            report.push(
                Severity::Warning,
                format!(
                    "profile {name}: the cached session {path} is not readable; it will be replaced"
                ),
            );
            continue;
        };
        let until = entry.credentials.expiration.clone();
        match entry.expiration() {
            Some(end) if entry.is_fresh(now) => report.push(
                Severity::Ok,
                format!(
                    "profile {name}: cached session for {} until {until} ({} min left)",
                    hop.role_arn,
                    (end - now).whole_minutes()
                ),
            ),
            Some(end) if end > now => report.push(
                Severity::Warning,
                format!(
                    "profile {name}: the cached session for {} ends at {until}, under 15 minutes away; the next command assumes the role again",
                    hop.role_arn
                ),
            ),
            _ => report.push(
                Severity::Warning,
                format!(
                    "profile {name}: the cached session for {} expired at {until}; the next command assumes the role again",
                    hop.role_arn
                ),
            ),
        }
    }
}

/// One line for a working chain.
pub fn describe(chain: &Chain) -> String {
    let base = match &chain.base {
        Base::Static {
            source,
            profile,
            access_key_id,
            ..
        } => {
            let from = match source {
                StaticSource::Env => "the environment".to_owned(),
                StaticSource::SharedCredentialsFile => format!(
                    "the credentials file [{}]",
                    profile.as_deref().unwrap_or_default()
                ),
                StaticSource::ConfigFile => format!(
                    "the config file [profile {}]",
                    profile.as_deref().unwrap_or_default()
                ),
            };
            format!("key {access_key_id} from {from}")
        }
        Base::Process { profile, command } => {
            format!("credential_process of profile {profile} ({command})")
        }
        Base::Ec2InstanceMetadata { .. } => "the EC2 instance metadata service".to_owned(),
        Base::EcsContainer { .. } => "the ECS container credentials endpoint".to_owned(),
    };
    let mut out = base;
    for hop in &chain.hops {
        out.push_str(&format!(", then assume {} ({})", hop.role_arn, hop.profile));
    }
    out
}

/// " Did you mean ...?" for a mistyped profile name.
fn suggestion(config: &Config, error: &Error) -> String {
    let (wanted, referrer) = match error {
        Error::SourceProfileNotFound { source, profile } => (source, Some(profile)),
        Error::ProfileNotFound { profile } => (profile, None),
        _ => return String::new(),
    };
    let mut hint = String::new();
    let candidates = config
        .profiles
        .keys()
        .map(String::as_str)
        .filter(|c| Some(*c) != referrer.map(String::as_str));
    if let Some(best) = closest(wanted, candidates) {
        hint.push_str(&format!(" Did you mean \"{best}\"?"));
    }
    if config.other_sections.iter().any(|(n, _)| n == wanted) {
        hint.push_str(&format!(
            " [{wanted}] in the config file is not a profile; write [profile {wanted}]."
        ));
    }
    hint
}

/// The candidate nearest to `wanted` by edit distance, if it is near enough.
pub fn closest<'a>(wanted: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (wanted.chars().count() / 3).max(2);
    candidates
        .filter(|c| *c != wanted)
        .map(|c| {
            let d = edit_distance(&wanted.to_lowercase(), &c.to_lowercase());
            (d, c)
        })
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

/// Levenshtein distance over characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = Vec::with_capacity(b.len() + 1);
        cur.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let substitute =
                prev.get(j).copied().unwrap_or(usize::MAX / 2) + usize::from(ca != *cb);
            let delete = prev.get(j + 1).copied().unwrap_or(usize::MAX / 2) + 1;
            let insert = cur.get(j).copied().unwrap_or(usize::MAX / 2) + 1;
            cur.push(substitute.min(delete).min(insert));
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_and_suggestion() {
        assert_eq!(edit_distance("accounta", "account-a"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(
            closest("accounta", ["accountb", "account-a", "default"].into_iter()),
            Some("account-a")
        );
        assert_eq!(closest("zzz", ["accountb"].into_iter()), None);
    }
}
