//! Shared helpers: raw HTTP request text to a `RequestView`, and signing shortcuts.

use roleplay_sigv4::{Credentials, RequestView, SessionTokenMode, SigningParams, SigningSettings};
use time::OffsetDateTime;

/// An HTTP/1.1 request parsed from the suite's text format.
#[derive(Debug, Clone, Default)]
pub struct RawRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawRequest {
    /// Parses `METHOD target HTTP/1.1`, `Name:value` lines (continuation lines
    /// start with whitespace and are kept, joined by a newline), a blank line,
    /// then the body. The target may contain spaces (`get-space-*`).
    pub fn parse(text: &str) -> Self {
        let (head, body) = match text.split_once("\n\n") {
            Some((h, b)) => (h, b),
            None => (text.trim_end_matches('\n'), ""),
        };
        let mut lines = head.lines();
        let request_line = lines.next().unwrap_or_default();
        let (method, rest) = request_line.split_once(' ').unwrap_or((request_line, ""));
        let target = rest.rsplit_once(' ').map_or(rest, |(t, _)| t);
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in lines {
            if line.starts_with([' ', '\t']) {
                if let Some((_, value)) = headers.last_mut() {
                    value.push('\n');
                    value.push_str(line);
                }
            } else if let Some((name, value)) = line.split_once(':') {
                headers.push((name.to_owned(), value.to_owned()));
            }
        }
        Self {
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.to_owned(),
            headers,
            body: body.as_bytes().to_vec(),
        }
    }

    pub fn header_refs(&self) -> Vec<(&str, &str)> {
        self.headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect()
    }

    pub fn view<'a>(
        &'a self,
        headers: &'a [(&'a str, &'a str)],
        payload_hash: &'a str,
    ) -> RequestView<'a> {
        RequestView {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers,
            payload_hash,
        }
    }
}

pub const AKID: &str = "AKIDEXAMPLE";
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

pub fn amz(s: &str) -> OffsetDateTime {
    roleplay_sigv4::parse_amz_date(s).expect("valid amz date")
}

pub fn params<'a>(
    credentials: Credentials<'a>,
    region: &'a str,
    service: &'a str,
    time: OffsetDateTime,
    settings: SigningSettings,
) -> SigningParams<'a> {
    SigningParams {
        credentials,
        region,
        service,
        time,
        settings,
        session_token_mode: SessionTokenMode::Signed,
    }
}

pub fn creds(secret: &str) -> Credentials<'_> {
    Credentials {
        access_key_id: AKID,
        secret_access_key: secret,
        session_token: None,
    }
}
