//! botocore's `build_profile_map` and `Session.full_config`: in the config file `[profile x]`
//! (split as `shlex.split` does) and `[default]` are profiles, `[services x]` and
//! `[sso-session x]` are their own kinds, anything else is not a profile; in the credentials
//! file every section is a profile by its literal name, and its keys overlay the config's.

use crate::config::parse::{Entry, Section};
use crate::config::source::{File, FileState, Files};
use crate::python;
use std::collections::BTreeMap;

/// A profile's (or services section's) options.
pub type Props = BTreeMap<String, Entry>;

/// Both files, normalized.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Config {
    pub config_file: Option<File>,
    pub credentials_file: Option<File>,
    /// The session's profile map: config profiles with the credentials file's sections
    /// overlaid key by key.
    pub profiles: BTreeMap<String, Props>,
    /// The config file's profiles alone (botocore's `config-file` provider reads these).
    pub config_profiles: BTreeMap<String, Props>,
    /// The credentials file's sections alone (the `shared-credentials-file` provider).
    pub credentials_profiles: BTreeMap<String, Props>,
    /// `[services x]` sections by name.
    pub services: BTreeMap<String, Props>,
    /// Config-file sections that are none of the above, with their lines (`[accounta]`).
    pub other_sections: Vec<(String, usize)>,
}

impl Config {
    /// The path of the first file botocore refuses, if any.
    pub fn parse_error(&self) -> Option<&File> {
        [&self.config_file, &self.credentials_file]
            .into_iter()
            .flatten()
            .find(|f| matches!(f.state, FileState::Invalid(_)))
    }
}

pub fn normalize(files: Files) -> Config {
    let mut config = Config::default();
    if let FileState::Parsed(sections) = &files.config.state {
        for section in sections {
            classify(&mut config, section);
        }
    }
    config.profiles = config.config_profiles.clone();
    if let FileState::Parsed(sections) = &files.credentials.state {
        for section in sections {
            config
                .credentials_profiles
                .insert(section.name.clone(), section.options.clone());
            let merged = config.profiles.entry(section.name.clone()).or_default();
            for (k, v) in &section.options {
                merged.insert(k.clone(), v.clone());
            }
        }
    }
    config.config_file = Some(files.config);
    config.credentials_file = Some(files.credentials);
    config
}

fn classify(config: &mut Config, section: &Section) {
    let name = section.name.as_str();
    let second_word = || match python::shlex_split(name) {
        Some(parts) if parts.len() == 2 => parts.into_iter().nth(1),
        _ => None,
    };
    if name.starts_with("profile") {
        if let Some(p) = second_word() {
            config.config_profiles.insert(p, section.options.clone());
        }
    } else if name.starts_with("sso-session") {
        // SSO sessions: not supported yet; kept out of the profile map as botocore does.
    } else if name.starts_with("services") {
        if let Some(s) = second_word() {
            config.services.insert(s, section.options.clone());
        }
    } else if name == "default" {
        config
            .config_profiles
            .insert(name.to_owned(), section.options.clone());
    } else {
        config.other_sections.push((name.to_owned(), section.line));
    }
}
