//! Canonical request and string to sign.
//!
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html>

use std::borrow::Cow;

use sha2::{Digest, Sha256};

use crate::error::SigV4Error;
use crate::fields::fields;
use crate::settings::{SigningSettings, UriEncoding};
use crate::view::RequestView;

/// Hex SHA-256 of the empty string, the payload hash of an empty body.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Lowercase hex SHA-256 of `data`.
#[must_use]
pub fn sha256_hex(data: &[u8]) -> String {
    let mut out = String::with_capacity(64);
    push_sha256_hex(&mut out, data);
    out
}

/// Appends the lowercase hex SHA-256 of `data` to `out`.
pub(crate) fn push_sha256_hex(out: &mut String, data: &[u8]) {
    let mut buf = [0u8; 64];
    // 32 bytes always fit in 64 hex digits.
    if hex::encode_to_slice(Sha256::digest(data), &mut buf).is_ok() {
        out.push_str(std::str::from_utf8(&buf).unwrap_or_default());
    }
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

fn hex_upper(n: u8) -> char {
    let n = n & 0x0f;
    char::from(if n < 10 { b'0' + n } else { b'A' + n - 10 })
}

fn push_encoded_byte(out: &mut String, b: u8) {
    out.push('%');
    out.push(hex_upper(b >> 4));
    out.push(hex_upper(b));
}

/// Appends `bytes` percent-encoded with the SigV4 rules: everything except
/// `A-Z a-z 0-9 - _ . ~` (and `/` when `keep_slash`) becomes `%XX`.
pub(crate) fn encode_into(out: &mut String, bytes: &[u8], keep_slash: bool) {
    // Runs of bytes that stay as they are go in whole: they are ASCII, so always text.
    let push_run = |out: &mut String, run: Option<&[u8]>| {
        out.push_str(std::str::from_utf8(run.unwrap_or_default()).unwrap_or_default());
    };
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !(is_unreserved(b) || (keep_slash && b == b'/')) {
            push_run(out, bytes.get(start..i));
            push_encoded_byte(out, b);
            start = i + 1;
        }
    }
    push_run(out, bytes.get(start..));
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes `%XX` escapes (invalid escapes stay literal); `+` stays `+`.
pub(crate) fn decode_bytes(s: &str) -> Cow<'_, [u8]> {
    percent_encoding::percent_decode_str(s).into()
}

/// Decodes a query component to text (lossy for invalid UTF-8).
pub(crate) fn decode_component(s: &str) -> String {
    String::from_utf8_lossy(&decode_bytes(s)).into_owned()
}

/// Decodes then re-encodes a path once, keeping `/` and an encoded `%2F` as they are.
fn reencode_path(out: &mut String, path: &str) {
    let bytes = path.as_bytes();
    // Bytes between escapes are encoded a run at a time.
    let (mut i, mut start) = (0, 0);
    while let Some(&b) = bytes.get(i) {
        let escape = (b == b'%')
            .then(|| {
                let hi = bytes.get(i + 1).copied().and_then(hex_value)?;
                let lo = bytes.get(i + 2).copied().and_then(hex_value)?;
                Some((hi << 4) | lo)
            })
            .flatten();
        let Some(decoded) = escape else {
            i += 1;
            continue;
        };
        encode_into(out, bytes.get(start..i).unwrap_or_default(), true);
        if decoded == b'/' {
            out.push_str("%2F");
        } else {
            encode_into(out, &[decoded], false);
        }
        i += 3;
        start = i;
    }
    encode_into(out, bytes.get(start..).unwrap_or_default(), true);
}

/// Removes `.` and `..` segments and empty segments (`//`), keeping a trailing slash.
fn normalize_path(path: &str) -> Cow<'_, str> {
    let needs = path
        .split('/')
        .skip(1)
        .any(|s| s.is_empty() || s == "." || s == "..")
        && path != "/";
    if !needs && path.starts_with('/') {
        return Cow::Borrowed(path);
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let trailing = path.ends_with('/') || path.ends_with("/.") || path.ends_with("/..");
    let mut out = String::with_capacity(path.len());
    for s in &segments {
        out.push('/');
        out.push_str(s);
    }
    if trailing || segments.is_empty() {
        out.push('/');
    }
    Cow::Owned(out)
}

/// The canonical URI of a path as received, under `settings`.
#[must_use]
pub fn canonical_uri(raw_path: &str, settings: &SigningSettings) -> String {
    let mut out = String::with_capacity(raw_path.len() + 8);
    write_canonical_uri(&mut out, raw_path, settings);
    out
}

/// Appends the canonical URI of a path as received, under `settings`.
fn write_canonical_uri(out: &mut String, raw_path: &str, settings: &SigningSettings) {
    let path = if raw_path.is_empty() { "/" } else { raw_path };
    let path = if settings.normalize_path {
        normalize_path(path)
    } else {
        Cow::Borrowed(path)
    };
    match settings.uri_encoding {
        UriEncoding::Double => encode_into(out, path.as_bytes(), true),
        UriEncoding::Single => reencode_path(out, &path),
    }
}

/// The canonical query string of a raw query: each name and value decoded
/// then re-encoded, pairs sorted by encoded name then value. With
/// `exclude_signature`, `X-Amz-Signature` is left out (presigned requests).
#[must_use]
pub fn canonical_query_string(raw_query: &str, exclude_signature: bool) -> String {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for piece in raw_query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
        let mut key = String::with_capacity(k.len());
        encode_into(&mut key, &decode_bytes(k), false);
        if exclude_signature && key == "X-Amz-Signature" {
            continue;
        }
        let mut value = String::with_capacity(v.len());
        encode_into(&mut value, &decode_bytes(v), false);
        pairs.push((key, value));
    }
    pairs.sort_unstable();
    let mut out = String::with_capacity(raw_query.len());
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// Appends a header value with ends trimmed and inner whitespace runs
/// (including obsolete line folding) collapsed to one space.
fn push_trimmed(out: &mut String, value: &str) {
    // Most values are already canonical: no whitespace at the ends, single spaces inside.
    let mut after_space = true;
    let canonical = value.bytes().all(|b| {
        let space = b.is_ascii_whitespace();
        let fine = !space || (b == b' ' && !after_space);
        after_space = space;
        fine
    }) && (!after_space || value.is_empty());
    if canonical {
        out.push_str(value);
        return;
    }
    let mut first = true;
    for word in value.split_ascii_whitespace() {
        if !first {
            out.push(' ');
        }
        out.push_str(word);
        first = false;
    }
}

/// Appends the canonical request of `view` to `out`, the path encoded in place.
///
/// `signed_headers` is the `;`-separated list of lowercase names in signing
/// order; a signed header absent from `view.headers` is an error. Repeated
/// headers join with `,`. With `presigned`, `X-Amz-Signature` stays out of the query.
pub(crate) fn write_canonical_request(
    out: &mut String,
    view: &RequestView<'_>,
    signed_headers: &str,
    settings: &SigningSettings,
    presigned: bool,
) -> Result<(), SigV4Error> {
    out.push_str(view.method);
    out.push('\n');
    write_canonical_uri(out, view.path, settings);
    out.push('\n');
    out.push_str(&canonical_query_string(view.query, presigned));
    out.push('\n');
    write_canonical_headers(out, view.headers, signed_headers, view.payload_hash)
}

/// The rest of a canonical request after the query: headers, signed list, payload hash.
fn write_canonical_headers(
    out: &mut String,
    headers: &[(&str, &str)],
    signed_headers: &str,
    payload_hash: &str,
) -> Result<(), SigV4Error> {
    for name in fields(signed_headers, b';') {
        out.push_str(name);
        out.push(':');
        let mut found = false;
        for (n, v) in headers {
            if n.eq_ignore_ascii_case(name) {
                if found {
                    out.push(',');
                }
                push_trimmed(out, v);
                found = true;
            }
        }
        if !found {
            return Err(SigV4Error::SignedHeaderMissing {
                name: name.to_owned(),
            });
        }
        out.push('\n');
    }
    out.push('\n');
    out.push_str(signed_headers);
    out.push('\n');
    out.push_str(payload_hash);
    Ok(())
}

/// The string to sign for a canonical request.
pub(crate) fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    let mut out = String::with_capacity(crate::ALGORITHM.len() + amz_date.len() + scope.len() + 68);
    out.push_str(crate::ALGORITHM);
    out.push('\n');
    out.push_str(amz_date);
    out.push('\n');
    out.push_str(scope);
    out.push('\n');
    push_sha256_hex(&mut out, canonical_request.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_are_trimmed_and_collapsed() {
        for value in [
            "",
            " ",
            "a",
            "a b",
            " a",
            "a ",
            "a  b",
            "a\tb",
            "a \t b",
            "a\n b",
            "\x0ca",
            "aws-cli/1.45 md/Botocore#1.43 ua/2.1",
            "  x  y  ",
        ] {
            let mut out = String::new();
            push_trimmed(&mut out, value);
            let want = value.split_ascii_whitespace().collect::<Vec<_>>().join(" ");
            assert_eq!(out, want, "{value:?}");
        }
    }

    #[test]
    fn normalize_cases() {
        for (input, want) in [
            ("/", "/"),
            ("//", "/"),
            ("/./", "/"),
            ("/example/..", "/"),
            ("/example1/example2/../..", "/"),
            ("/./example", "/example"),
            ("//example//", "/example/"),
            ("/a/b/../c/.", "/a/c/"),
            ("/a/../../b", "/b"),
            ("/a/b", "/a/b"),
            ("relative", "/relative"),
        ] {
            assert_eq!(normalize_path(input), want, "{input}");
        }
    }

    #[test]
    fn uri_encodings_differ_on_escapes() {
        let path = "/test/@connections/JBDvjfGEIAMCERw%3D";
        assert_eq!(
            canonical_uri(path, &SigningSettings::QUERY),
            "/test/%40connections/JBDvjfGEIAMCERw%253D"
        );
        assert_eq!(
            canonical_uri(path, &SigningSettings::S3),
            "/test/%40connections/JBDvjfGEIAMCERw%3D"
        );
        assert_eq!(
            canonical_uri("/a%2fb%20c+d", &SigningSettings::S3),
            "/a%2Fb%20c%2Bd"
        );
        assert_eq!(canonical_uri("/bad%zz", &SigningSettings::S3), "/bad%25zz");
        assert_eq!(canonical_uri("", &SigningSettings::S3), "/");
    }

    #[test]
    fn query_sorting_and_encoding() {
        assert_eq!(
            canonical_query_string("Param-3=Value3&Param=Value2&%E1%88%B4=Value1", false),
            "%E1%88%B4=Value1&Param=Value2&Param-3=Value3"
        );
        assert_eq!(
            canonical_query_string("b=2&a&a=1&c=x y+z", false),
            "a=&a=1&b=2&c=x%20y%2Bz"
        );
        assert_eq!(
            canonical_query_string("X-Amz-Signature=abc&x=1", true),
            "x=1"
        );
    }
}
