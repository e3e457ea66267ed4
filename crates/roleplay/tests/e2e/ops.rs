//! A typed client over [`crate::raw`] for the load and crash tests: S3 object operations,
//! multipart uploads and IAM/STS calls, each returning the response or the I/O failure
//! (a server that went away), plus a small seeded generator.

use crate::raw::*;
use roleplay_sigv4::sha256_hex;

/// xorshift64*: reproducible from the printed seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    /// A seed from the clock, printed by the caller so that a failure can be replayed.
    pub fn seed() -> u64 {
        std::env::var("ROLEPLAY_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
            })
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// `len` bytes that differ from run to run and from object to object.
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            out.extend_from_slice(&self.next().to_le_bytes());
        }
        out.truncate(len);
        out
    }
}

/// One client: a port and a signer.
#[derive(Clone)]
pub struct Client {
    pub port: u16,
    pub key: Key,
}

pub type Reply = Result<Response, String>;

/// Percent-encodes a query-protocol value.
pub fn pct(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The form body of an IAM or STS action, with the service's API version.
pub fn action_form(service: &str, action: &str, params: &[(&str, &str)]) -> String {
    let version = if service == "sts" {
        "2011-06-15"
    } else {
        "2010-05-08"
    };
    let mut form = format!("Action={action}&Version={version}");
    for (k, v) in params {
        form.push_str(&format!("&{k}={}", pct(v)));
    }
    form
}

impl Client {
    pub fn new(port: u16, key: &Key) -> Client {
        Client {
            port,
            key: key.clone(),
        }
    }

    fn s3(&self, method: &str, path: &str, query: &str, body: &[u8]) -> Reply {
        call(
            self.port,
            &Raw::new(method, path)
                .query(query)
                .body(body)
                .key(&self.key),
        )
    }

    /// An IAM (`service` "iam") or STS ("sts") action with its parameters.
    pub fn action(&self, service: &str, action: &str, params: &[(&str, &str)]) -> Reply {
        let form = action_form(service, action, params);
        call(self.port, &Raw::query_call(service, &form).key(&self.key))
    }

    pub fn create_bucket(&self, bucket: &str) -> Reply {
        self.s3("PUT", &format!("/{bucket}"), "", b"")
    }

    pub fn put(&self, bucket: &str, key: &str, body: &[u8]) -> Reply {
        self.s3("PUT", &format!("/{bucket}/{key}"), "", body)
    }

    pub fn get(&self, bucket: &str, key: &str) -> Reply {
        self.s3("GET", &format!("/{bucket}/{key}"), "", b"")
    }

    pub fn delete(&self, bucket: &str, key: &str) -> Reply {
        self.s3("DELETE", &format!("/{bucket}/{key}"), "", b"")
    }

    /// Every key under `prefix`, following continuation tokens.
    pub fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<String>, String> {
        let mut keys = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut q = format!("list-type=2&prefix={}", pct(prefix));
            if let Some(t) = &token {
                q.push_str(&format!("&continuation-token={}", pct(t)));
            }
            let r = self.s3("GET", &format!("/{bucket}"), &q, b"")?;
            if r.status != 200 {
                return Err(format!("ListObjectsV2: {} {}", r.status, r.text()));
            }
            let text = r.text();
            keys.extend(elements(&text, "Key"));
            token = element(&text, "NextContinuationToken");
            if token.is_none() {
                return Ok(keys);
            }
        }
    }

    /// A multipart upload of `parts` in order; the completed object's ETag-independent
    /// content is their concatenation. `Ok(None)` if the server refused a step.
    pub fn multipart(
        &self,
        bucket: &str,
        key: &str,
        parts: &[&[u8]],
    ) -> Result<Option<Response>, String> {
        let path = format!("/{bucket}/{key}");
        let created = self.s3("POST", &path, "uploads=", b"")?;
        let Some(upload) = element(&created.text(), "UploadId") else {
            return Ok(None);
        };
        let mut complete = String::from("<CompleteMultipartUpload>");
        for (i, part) in parts.iter().enumerate() {
            let n = i + 1;
            let q = format!("partNumber={n}&uploadId={}", pct(&upload));
            let r = self.s3("PUT", &path, &q, part)?;
            let Some(etag) = r.header("etag").map(str::to_owned) else {
                return Ok(None);
            };
            complete.push_str(&format!(
                "<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag></Part>"
            ));
        }
        complete.push_str("</CompleteMultipartUpload>");
        let q = format!("uploadId={}", pct(&upload));
        self.s3("POST", &path, &q, complete.as_bytes()).map(Some)
    }
}

/// The hex SHA-256 of a body.
pub fn hash(b: &[u8]) -> String {
    sha256_hex(b)
}

/// Whether a reply is a 2xx answer.
pub fn ok(r: &Reply) -> bool {
    matches!(r, Ok(resp) if (200..300).contains(&resp.status) && !resp.text().contains("<Error>"))
}
