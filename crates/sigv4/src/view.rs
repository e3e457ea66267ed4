//! The request as this crate sees it: borrowed, raw, unparsed.

/// A borrowed view of an HTTP request, as received on the wire.
///
/// The server builds it from its HTTP request; tests build it from text.
#[derive(Debug, Clone, Copy)]
pub struct RequestView<'a> {
    /// HTTP method, e.g. `GET`.
    pub method: &'a str,
    /// Path exactly as received, still percent-encoded, without the query.
    pub path: &'a str,
    /// Raw query string without the leading `?` (empty if none).
    pub query: &'a str,
    /// Header names and values in arrival order, duplicates preserved.
    pub headers: &'a [(&'a str, &'a str)],
    /// The payload hash that goes into the canonical request: the value of
    /// `x-amz-content-sha256` for S3 (or `UNSIGNED-PAYLOAD` for presigned S3
    /// URLs), the lowercase hex SHA-256 of the body for other services.
    pub payload_hash: &'a str,
}

impl<'a> RequestView<'a> {
    /// The first value of a header, matched case-insensitively.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|&(_, v)| v)
    }

    /// Raw `(key, value)` pairs of the query string, still percent-encoded.
    /// A bare `key` yields an empty value.
    pub fn raw_query_pairs(&self) -> impl Iterator<Item = (&'a str, &'a str)> + use<'a> {
        self.query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| p.split_once('=').unwrap_or((p, "")))
    }

    /// The percent-decoded value of the first query parameter whose decoded
    /// name equals `name` (case-sensitive, as AWS treats parameter names).
    #[must_use]
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.raw_query_pairs()
            .find(|(k, _)| crate::canonical::decode_component(k) == name)
            .map(|(_, v)| crate::canonical::decode_component(v))
    }
}
