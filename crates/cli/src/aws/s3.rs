//! S3's REST protocol for the `s3` commands: requests addressed path-style to a configured
//! endpoint (virtual-hosted at AWS), signed for `s3` with the payload's SHA-256, errors read
//! from S3's `<Error>` bodies; and presigned GET URLs.

use crate::aws::http::{Request, Response};
use crate::aws::query;
use crate::aws::session::{CallError, Credentials, Session, split_url};
use roleplay_sigv4::{
    Credentials as SigCredentials, RequestView, SessionTokenMode, SigningParams, SigningSettings,
    presign_request, sha256_hex, sign_request,
};
use roleplay_wire::xml_read::{self, Element, Limits};
use time::OffsetDateTime;

/// One S3 request before addressing and signing.
#[derive(Debug, Clone, Default)]
pub struct S3Request {
    pub method: &'static str,
    pub bucket: Option<String>,
    pub key: Option<String>,
    /// Query parameters, unencoded (`("uploads", "")`, `("list-type", "2")`).
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// One page of a ListObjectsV2 walk.
#[derive(Debug, Clone, Default)]
pub struct Listed {
    /// `CommonPrefixes` (with a delimiter).
    pub prefixes: Vec<String>,
    /// Key, `LastModified` as sent, size.
    pub objects: Vec<(String, String, u64)>,
}

const LIST_LIMITS: Limits = Limits {
    max_bytes: 64 * 1024 * 1024,
    max_depth: 16,
    max_elements: 1_000_000,
};

/// Percent-encodes as S3 expects in paths and queries (`/` kept in keys when `keep_slash`).
pub fn encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A bucket name usable as a DNS label (virtual-hosted addressing at AWS).
fn dns_compatible(bucket: &str) -> bool {
    (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !bucket.starts_with('-')
        && !bucket.ends_with('-')
}

/// The URL (without query) and signing region of a request.
fn address(
    session: &Session<'_>,
    bucket: Option<&str>,
    key: Option<&str>,
) -> Result<(String, String), CallError> {
    let region = session.region().unwrap_or("us-east-1").to_owned();
    let key_path = key
        .map(|k| format!("/{}", encode(k, true)))
        .unwrap_or_default();
    let url = match (session.configured_endpoint("s3")?, bucket) {
        (Some(endpoint), Some(b)) => format!(
            "{}/{}{key_path}",
            endpoint.trim_end_matches('/'),
            encode(b, false)
        ),
        (Some(endpoint), None) => format!("{}/", endpoint.trim_end_matches('/')),
        (None, Some(b)) if dns_compatible(b) => format!(
            "https://{b}.s3.{region}.amazonaws.com{}",
            if key_path.is_empty() { "/" } else { &key_path }
        ),
        (None, Some(b)) => format!(
            "https://s3.{region}.amazonaws.com/{}{key_path}",
            encode(b, false)
        ),
        (None, None) => format!("https://s3.{region}.amazonaws.com/"),
    };
    Ok((url, region))
}

fn query_string(query: &[(String, String)]) -> String {
    query
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k, false), encode(v, false)))
        .collect::<Vec<_>>()
        .join("&")
}

fn signing<'c>(
    credentials: &'c Credentials,
    region: &'c str,
    now: OffsetDateTime,
) -> SigningParams<'c> {
    SigningParams {
        credentials: SigCredentials {
            access_key_id: &credentials.access_key_id,
            secret_access_key: &credentials.secret_access_key,
            session_token: credentials.session_token.as_deref(),
        },
        region,
        service: "s3",
        time: now,
        settings: SigningSettings::S3,
        session_token_mode: SessionTokenMode::Signed,
    }
}

impl Session<'_> {
    fn s3_signed(&self, req: &S3Request) -> Result<Request, CallError> {
        let (url, region) = address(self, req.bucket.as_deref(), req.key.as_deref())?;
        let (host, path) = split_url(&url)
            .ok_or_else(|| CallError::Validation(format!("Invalid endpoint: {url}")))?;
        let query = query_string(&req.query);
        let payload_hash = sha256_hex(&req.body);
        let mut headers: Vec<(&str, &str)> = vec![("host", host.as_str())];
        headers.extend(req.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let view = RequestView {
            method: req.method,
            path: &path,
            query: &query,
            headers: &headers,
            payload_hash: &payload_hash,
        };
        let mut all: Vec<(String, String)> = headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        if !self.is_unsigned() {
            let credentials = self.credentials()?.clone();
            let signed = sign_request(&view, &signing(&credentials, &region, self.io().now()))
                .map_err(|e| CallError::Validation(e.to_string()))?;
            all.extend(signed.headers);
        }
        let url = if query.is_empty() {
            url
        } else {
            format!("{url}?{query}")
        };
        Ok(Request {
            method: req.method.to_owned(),
            url,
            headers: all,
            body: req.body.clone(),
        })
    }

    /// Sends an S3 request; an error status becomes S3's error for `operation`.
    pub fn s3(&self, req: &S3Request, operation: &str) -> Result<Response, CallError> {
        let request = self.s3_signed(req)?;
        self.io()
            .debug(&format!("{} {} ({operation})", request.method, request.url));
        let response = self.io().send(&request).map_err(CallError::Connect)?;
        self.io().debug(&format!("HTTP {}", response.status));
        check(response, operation)
    }

    /// Sends an S3 request whose successful body goes to `sink` as it arrives.
    pub fn s3_to(
        &self,
        req: &S3Request,
        operation: &str,
        sink: &mut dyn std::io::Write,
    ) -> Result<Response, CallError> {
        let request = self.s3_signed(req)?;
        self.io()
            .debug(&format!("{} {} ({operation})", request.method, request.url));
        let response = self
            .io()
            .send_to(&request, sink)
            .map_err(CallError::Connect)?;
        check(response, operation)
    }

    /// Lists a bucket with ListObjectsV2, page by page (`/` as delimiter when asked).
    pub fn s3_list(
        &self,
        bucket: &str,
        prefix: &str,
        delimiter: bool,
        mut page: impl FnMut(Listed),
    ) -> Result<(), CallError> {
        let mut token: Option<String> = None;
        loop {
            let mut query = vec![("list-type".to_owned(), "2".to_owned())];
            if let Some(t) = &token {
                query.push(("continuation-token".into(), t.clone()));
            }
            if delimiter {
                query.push(("delimiter".into(), "/".into()));
            }
            query.push(("prefix".into(), prefix.to_owned()));
            let req = S3Request {
                method: "GET",
                bucket: Some(bucket.to_owned()),
                query,
                ..S3Request::default()
            };
            let body = self.s3(&req, "ListObjectsV2")?.body;
            let root = xml_read::parse(&body, &LIST_LIMITS).map_err(|e| {
                CallError::Response(format!(
                    "Unable to parse response ({e}), invalid XML received"
                ))
            })?;
            let text = |e: &Element, n: &str| e.child_text(n).unwrap_or_default().to_owned();
            page(Listed {
                prefixes: root
                    .children_named("CommonPrefixes")
                    .map(|p| text(p, "Prefix"))
                    .collect(),
                objects: root
                    .children_named("Contents")
                    .map(|c| {
                        (
                            text(c, "Key"),
                            text(c, "LastModified"),
                            text(c, "Size").parse().unwrap_or(0),
                        )
                    })
                    .collect(),
            });
            token = root.child_text("NextContinuationToken").map(str::to_owned);
            if root.child_text("IsTruncated") != Some("true") || token.is_none() {
                return Ok(());
            }
        }
    }

    /// A presigned GET URL for an object, valid for `expires` seconds.
    pub fn s3_presign(&self, bucket: &str, key: &str, expires: u32) -> Result<String, CallError> {
        let credentials = self.credentials()?.clone();
        let (url, region) = address(self, Some(bucket), Some(key))?;
        let (host, path) = split_url(&url)
            .ok_or_else(|| CallError::Validation(format!("Invalid endpoint: {url}")))?;
        let headers = [("host", host.as_str())];
        let view = RequestView {
            method: "GET",
            path: &path,
            query: "",
            headers: &headers,
            payload_hash: "UNSIGNED-PAYLOAD",
        };
        let presigned = presign_request(
            &view,
            &signing(&credentials, &region, self.io().now()),
            expires,
        )
        .map_err(|e| CallError::Validation(e.to_string()))?;
        Ok(format!("{url}?{}", presigned.query))
    }
}

fn check(response: Response, operation: &str) -> Result<Response, CallError> {
    if (200..300).contains(&response.status) {
        return Ok(response);
    }
    Err(CallError::Service {
        operation: operation.to_owned(),
        error: query::parse_error(response.status, &response.body),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_encode_as_s3_paths() {
        assert_eq!(encode("reports/a b+c.txt", true), "reports/a%20b%2Bc.txt");
        assert_eq!(encode("a/b", false), "a%2Fb");
        assert!(dns_compatible("account-b-data"));
        assert!(!dns_compatible("Account_B"));
    }
}
