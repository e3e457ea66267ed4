//! Where the files are (`AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`, `~/.aws/...`, with
//! `$VAR` and `~` expanded as botocore does) and what is in them.

use crate::config::parse::{self, ParseError, Section};
use crate::{Env, Fs, python};

/// One of the two files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// The path after expansion, as botocore's messages print it.
    pub path: String,
    pub state: FileState,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileState {
    /// No file there: botocore reads it as empty.
    Missing,
    /// A file that cannot be read: botocore silently reads it as empty.
    Unreadable(String),
    /// Refused by the parser (or not UTF-8): every resolution fails with `ConfigParseError`.
    Invalid(ParseError),
    Parsed(Vec<Section>),
}

/// Both files, read through the shims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Files {
    pub config: File,
    pub credentials: File,
}

pub fn read(env: &dyn Env, fs: &dyn Fs) -> Files {
    Files {
        config: read_one(env, fs, "AWS_CONFIG_FILE", "~/.aws/config"),
        credentials: read_one(env, fs, "AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"),
    }
}

/// The expanded path of the config (`AWS_CONFIG_FILE`) or credentials file.
pub fn path(env: &dyn Env, variable: &str, default: &str) -> String {
    let raw = env.var(variable).unwrap_or_else(|| default.to_owned());
    python::expand_path(&raw, &|name| env.var(name), env.home())
}

fn read_one(env: &dyn Env, fs: &dyn Fs, variable: &str, default: &str) -> File {
    let path = path(env, variable, default);
    let state = match fs.read(&path) {
        Ok(None) => FileState::Missing,
        Err(e) => FileState::Unreadable(e),
        Ok(Some(bytes)) => match String::from_utf8(bytes) {
            Err(e) => FileState::Invalid(ParseError {
                line: 0,
                message: format!("not UTF-8: {e}"),
            }),
            Ok(text) => match parse::parse(&text) {
                Ok(sections) => FileState::Parsed(sections),
                Err(e) => FileState::Invalid(e),
            },
        },
    };
    File { path, state }
}
