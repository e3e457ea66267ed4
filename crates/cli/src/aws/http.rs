//! The HTTP transport: one blocking request at a time over `ureq` (rustls for real AWS
//! endpoints, plain HTTP for local ones). Status codes are answers, not errors.

use std::time::Duration;

/// A request to send; the headers include `host` and the signature.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// A failure to get any answer (the aws CLI's "Could not connect to the endpoint URL").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError {
    pub url: String,
    pub detail: String,
}

/// Largest response body read.
const MAX_BODY: u64 = 64 * 1024 * 1024;

/// An HTTP agent (keeps connections for the calls of one command).
pub struct Agent {
    agent: ureq::Agent,
}

impl Agent {
    /// `connect` and `read` are the aws CLI's `--cli-connect-timeout` and
    /// `--cli-read-timeout` (60 s each by default).
    pub fn new(connect: Duration, read: Duration) -> Agent {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(concat!("roleplay/", env!("CARGO_PKG_VERSION")))
            .timeout_connect(Some(connect))
            .timeout_recv_response(Some(read))
            .timeout_recv_body(Some(read))
            .build();
        Agent {
            agent: config.into(),
        }
    }

    pub fn send(&self, req: &Request) -> Result<Response, TransportError> {
        self.exchange(req, None)
    }

    /// Sends, writing a successful body to `sink` as it arrives.
    pub fn send_to(
        &self,
        req: &Request,
        sink: &mut dyn std::io::Write,
    ) -> Result<Response, TransportError> {
        self.exchange(req, Some(sink))
    }

    fn exchange(
        &self,
        req: &Request,
        sink: Option<&mut dyn std::io::Write>,
    ) -> Result<Response, TransportError> {
        let fail = |e: ureq::Error| TransportError {
            url: req.url.clone(),
            detail: e.to_string(),
        };
        let mut builder = ureq::http::Request::builder()
            .method(req.method.as_str())
            .uri(req.url.as_str());
        for (k, v) in &req.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        let request = builder.body(req.body.clone()).map_err(|e| TransportError {
            url: req.url.clone(),
            detail: e.to_string(),
        })?;
        let mut response = self.agent.run(request).map_err(fail)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = match sink {
            Some(sink) if (200..300).contains(&status) => {
                let mut reader = response.body_mut().as_reader();
                std::io::copy(&mut reader, sink).map_err(|e| TransportError {
                    url: req.url.clone(),
                    detail: e.to_string(),
                })?;
                Vec::new()
            }
            _ => response
                .body_mut()
                .with_config()
                .limit(MAX_BODY)
                .read_to_vec()
                .map_err(fail)?,
        };
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

impl Default for Agent {
    fn default() -> Self {
        Agent::new(Duration::from_secs(60), Duration::from_secs(60))
    }
}
