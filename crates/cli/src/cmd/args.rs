//! The aws CLI's global options, accepted anywhere on the command line.

/// `--profile`, `--region`, `--endpoint-url`, `--output`, `--query`, `--debug`, ...
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Globals {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    pub output: Option<String>,
    pub query: Option<String>,
    pub debug: bool,
    pub no_paginate: bool,
    pub no_sign_request: bool,
    pub color: Option<String>,
    pub connect_timeout: Option<u64>,
    pub read_timeout: Option<u64>,
}

const VALUED: &[&str] = &[
    "--profile",
    "--region",
    "--endpoint-url",
    "--output",
    "--query",
    "--color",
    "--cli-read-timeout",
    "--cli-connect-timeout",
];
const FLAGS: &[&str] = &[
    "--debug",
    "--no-paginate",
    "--no-sign-request",
    "--no-cli-pager",
];
/// Accepted by the aws CLI, refused here rather than silently ignored.
const UNSUPPORTED: &[&str] = &["--no-verify-ssl", "--ca-bundle"];

impl Globals {
    /// Takes the global options out of `argv`; the rest is the command's.
    pub fn parse(argv: &[String]) -> Result<(Globals, Vec<String>), String> {
        let mut g = Globals::default();
        let mut rest = Vec::new();
        let mut it = argv.iter();
        let mut after_dashes = false;
        while let Some(arg) = it.next() {
            if after_dashes {
                rest.push(arg.clone());
                continue;
            }
            if arg == "--" {
                after_dashes = true;
                rest.push(arg.clone());
                continue;
            }
            let (name, inline) = match arg.split_once('=') {
                Some((n, v)) if n.starts_with("--") => (n, Some(v.to_owned())),
                _ => (arg.as_str(), None),
            };
            if UNSUPPORTED.contains(&name) {
                return Err(format!("argument {name}: not supported by roleplay"));
            }
            if FLAGS.contains(&name) && inline.is_none() {
                match name {
                    "--debug" => g.debug = true,
                    "--no-paginate" => g.no_paginate = true,
                    "--no-sign-request" => g.no_sign_request = true,
                    _ => {}
                }
                continue;
            }
            if !VALUED.contains(&name) {
                rest.push(arg.clone());
                continue;
            }
            let value = match inline {
                Some(v) => v,
                None => it
                    .next()
                    .cloned()
                    .ok_or_else(|| format!("argument {name}: expected one argument"))?,
            };
            let number = |v: &str| {
                v.parse::<u64>()
                    .map_err(|_| format!("argument {name}: invalid int value: '{v}'"))
            };
            match name {
                "--profile" => g.profile = Some(value),
                "--region" => g.region = Some(value),
                "--endpoint-url" => g.endpoint_url = Some(value),
                "--output" => {
                    if !["json", "text", "table"].contains(&value.as_str()) {
                        return Err(format!(
                            "argument --output: Invalid choice, valid choices are:\n\njson | text | table\n(got '{value}')"
                        ));
                    }
                    g.output = Some(value);
                }
                "--query" => g.query = Some(value),
                "--color" => g.color = Some(value),
                "--cli-read-timeout" => g.read_timeout = Some(number(&value)?),
                "--cli-connect-timeout" => g.connect_timeout = Some(number(&value)?),
                _ => {}
            }
        }
        Ok((g, rest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globals_anywhere() {
        let argv: Vec<String> = [
            "get-caller-identity",
            "--profile",
            "b",
            "--output=text",
            "--debug",
        ]
        .map(String::from)
        .to_vec();
        let (g, rest) = Globals::parse(&argv).unwrap();
        assert_eq!(g.profile.as_deref(), Some("b"));
        assert_eq!(g.output.as_deref(), Some("text"));
        assert!(g.debug);
        assert_eq!(rest, ["get-caller-identity"]);
        assert!(Globals::parse(&["--output".to_owned(), "yaml".to_owned()]).is_err());
    }
}
