//! The aws-query request encoding of IAM and STS: `application/x-www-form-urlencoded` bodies
//! and URL query strings (`Action=AssumeRole&Version=2011-06-15&Tags.member.1.Key=k`), decoded
//! strictly into [`Params`], and encoded for the client side with [`encode_form`] exactly as
//! botocore encodes them.
//!
//! Decoding: pairs are separated by `&`; `+` is a space; `%XX` is a byte; a bad `%` sequence,
//! invalid UTF-8, an empty name, a repeated name or a parameter over the [`Limits`] is an
//! error, never a panic. Lists are `Name.member.N[.Field]` with `N` from 1 without gaps (an
//! empty list is sent as `Name=`), maps are `Name.entry.N.key` / `Name.entry.N.value`
//! (<https://smithy.io/2.0/aws/protocols/aws-query-protocol.html>).

mod error;
mod validation;

pub use error::QueryError;
pub use validation::{Violation, Violations, field_path};

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

/// Bounds on what one request may carry. The body size itself is the server's to bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most parameters in one request (query string and body together).
    pub max_parameters: usize,
    /// Longest decoded parameter name, in bytes.
    pub max_name_bytes: usize,
    /// Longest decoded value, in bytes.
    pub max_value_bytes: usize,
}

impl Default for Limits {
    /// 1,000 parameters, 256-byte names, 512 KiB values (room for IAM's 131,072-character
    /// policy documents in any UTF-8).
    fn default() -> Self {
        Self {
            max_parameters: 1000,
            max_name_bytes: 256,
            max_value_bytes: 512 * 1024,
        }
    }
}

/// The decoded parameters of one query-protocol request, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    map: BTreeMap<String, String>,
}

impl Params {
    /// Decodes a form body (or a query string without its `?`).
    pub fn from_form(form: &[u8], limits: &Limits) -> Result<Self, QueryError> {
        let mut params = Self::default();
        params.decode(form, limits)?;
        Ok(params)
    }

    /// Decodes the URL query string and the form body of one request together; a name may
    /// appear in only one of them.
    pub fn from_query_and_form(
        query: &[u8],
        form: &[u8],
        limits: &Limits,
    ) -> Result<Self, QueryError> {
        let mut params = Self::default();
        params.decode(query, limits)?;
        params.decode(form, limits)?;
        Ok(params)
    }

    fn decode(&mut self, input: &[u8], limits: &Limits) -> Result<(), QueryError> {
        for pair in input.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
            if self.map.len() >= limits.max_parameters {
                return Err(QueryError::TooManyParameters {
                    limit: limits.max_parameters,
                });
            }
            let (raw_name, raw_value) = match pair.iter().position(|b| *b == b'=') {
                Some(eq) => (pair.get(..eq), pair.get(eq + 1..)),
                None => (Some(pair), None),
            };
            let raw_name = raw_name.unwrap_or_default();
            let raw_value = raw_value.unwrap_or_default();
            let lossy = || String::from_utf8_lossy(truncate(raw_name, 64)).into_owned();
            if raw_name.is_empty() {
                return Err(QueryError::EmptyName);
            }
            let name_bytes = percent_decode(raw_name, limits.max_name_bytes)
                .map_err(|e| e.into_error(lossy(), limits.max_name_bytes, true))?;
            let name = String::from_utf8(name_bytes)
                .map_err(|_| QueryError::InvalidUtf8 { name: lossy() })?;
            let value_bytes = percent_decode(raw_value, limits.max_value_bytes)
                .map_err(|e| e.into_error(name.clone(), limits.max_value_bytes, false))?;
            let value = String::from_utf8(value_bytes)
                .map_err(|_| QueryError::InvalidUtf8 { name: name.clone() })?;
            if self.map.contains_key(&name) {
                return Err(QueryError::Duplicate { name });
            }
            self.map.insert(name, value);
        }
        Ok(())
    }

    /// How many parameters there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// All parameters, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.map.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The value of `name`, if present (possibly empty).
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.map.get(name).map(String::as_str)
    }

    /// The `Action` parameter; absent or empty is [`QueryError::MissingAction`].
    pub fn action(&self) -> Result<&str, QueryError> {
        self.get("Action")
            .filter(|a| !a.is_empty())
            .ok_or(QueryError::MissingAction)
    }

    /// The value of a required string parameter; absent is [`QueryError::Missing`]. An empty
    /// value is returned as it is, for the length check to judge.
    pub fn required(&self, name: &str) -> Result<&str, QueryError> {
        self.get(name).ok_or_else(|| missing(name))
    }

    /// The value of an optional string parameter.
    #[must_use]
    pub fn optional(&self, name: &str) -> Option<&str> {
        self.get(name)
    }

    /// A required integer parameter.
    pub fn required_i64(&self, name: &str) -> Result<i64, QueryError> {
        self.optional_i64(name)?.ok_or_else(|| missing(name))
    }

    /// An optional integer parameter (decimal, optional sign).
    pub fn optional_i64(&self, name: &str) -> Result<Option<i64>, QueryError> {
        self.get(name)
            .map(|v| {
                v.parse::<i64>().map_err(|_| QueryError::NotInteger {
                    name: name.to_owned(),
                    value: v.to_owned(),
                })
            })
            .transpose()
    }

    /// A required boolean parameter.
    pub fn required_bool(&self, name: &str) -> Result<bool, QueryError> {
        self.optional_bool(name)?.ok_or_else(|| missing(name))
    }

    /// An optional boolean parameter: `true` or `false`, in any case.
    pub fn optional_bool(&self, name: &str) -> Result<Option<bool>, QueryError> {
        self.get(name)
            .map(|v| {
                if v.eq_ignore_ascii_case("true") {
                    Ok(true)
                } else if v.eq_ignore_ascii_case("false") {
                    Ok(false)
                } else {
                    Err(QueryError::NotBoolean {
                        name: name.to_owned(),
                        value: v.to_owned(),
                    })
                }
            })
            .transpose()
    }

    /// Whether list, map or scalar `name` was sent at all (as `Name`, or any `Name.…`).
    #[must_use]
    pub fn contains(&self, name: &str) -> bool {
        self.map.contains_key(name) || self.names_under(&format!("{name}.")).next().is_some()
    }

    /// A list of strings: `Name.member.1`, `Name.member.2`, … (`TransitiveTagKeys`,
    /// `ClientIDList`). Absent or sent as `Name=` is an empty list.
    pub fn list(&self, name: &str) -> Result<Vec<&str>, QueryError> {
        let count = self.count(name, "member", false)?;
        (1..=count)
            .map(|i| self.required(&format!("{name}.member.{i}")))
            .collect()
    }

    /// A list of structures: `Name.member.N.Field` (`Tags.member.1.Key`,
    /// `PolicyArns.member.1.arn`). Absent or sent as `Name=` is an empty list.
    pub fn structs(&self, name: &str) -> Result<Vec<Member<'_>>, QueryError> {
        let count = self.count(name, "member", true)?;
        Ok((1..=count)
            .map(|index| Member {
                params: self,
                prefix: format!("{name}.member.{index}."),
                index,
            })
            .collect())
    }

    /// A map: `Name.entry.N.key` and `Name.entry.N.value`, as pairs in index order. Each entry
    /// needs both; other fields are [`QueryError::BadMember`].
    pub fn map(&self, name: &str) -> Result<Vec<(&str, &str)>, QueryError> {
        let count = self.count(name, "entry", true)?;
        let prefix = format!("{name}.entry.");
        for key in self.names_under(&prefix) {
            let field = key
                .strip_prefix(&prefix)
                .and_then(|rest| rest.split_once('.'))
                .map(|(_, field)| field);
            if !matches!(field, Some("key" | "value")) {
                return Err(QueryError::BadMember {
                    name: key.to_owned(),
                });
            }
        }
        (1..=count)
            .map(|i| {
                Ok((
                    self.required(&format!("{prefix}{i}.key"))?,
                    self.required(&format!("{prefix}{i}.value"))?,
                ))
            })
            .collect()
    }

    fn names_under<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.map
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .map(|(k, _)| k.as_str())
            .take_while(move |k| k.starts_with(prefix))
    }

    /// Checks the members of list or map `name` and returns how many there are.
    fn count(&self, name: &str, word: &str, nested: bool) -> Result<usize, QueryError> {
        if let Some(value) = self.get(name)
            && !value.is_empty()
        {
            return Err(QueryError::BadMember {
                name: name.to_owned(),
            });
        }
        // Most requests have none of the lists looked for (every AssumeRole looks for
        // three): answered before any prefix is built.
        if !self
            .names_under(name)
            .any(|k| k.as_bytes().get(name.len()) == Some(&b'.'))
        {
            return Ok(0);
        }
        // `Name.word.`, whose first part is `Name.`: one allocation, no formatting.
        let member_prefix = [name, ".", word, "."].concat();
        let list_prefix = member_prefix.get(..=name.len()).unwrap_or(&member_prefix);
        let mut indices = BTreeSet::new();
        for key in self.names_under(list_prefix) {
            let bad = || QueryError::BadMember {
                name: key.to_owned(),
            };
            let rest = key.strip_prefix(&member_prefix).ok_or_else(bad)?;
            let (index, field) = match rest.split_once('.') {
                Some((index, field)) => (index, Some(field)),
                None => (rest, None),
            };
            if nested != field.is_some() || field == Some("") {
                return Err(bad());
            }
            indices.insert(parse_index(index).ok_or_else(bad)?);
        }
        for (expected, index) in (1..).zip(&indices) {
            if *index != expected {
                return Err(QueryError::ListGap {
                    name: name.to_owned(),
                    index: expected,
                });
            }
        }
        Ok(indices.len())
    }
}

/// One structure of a list of structures (`Tags.member.2.`), for reading its fields.
#[derive(Debug, Clone)]
pub struct Member<'a> {
    params: &'a Params,
    prefix: String,
    index: usize,
}

impl<'a> Member<'a> {
    /// The member's 1-based index.
    #[must_use]
    pub fn index(&self) -> usize {
        self.index
    }

    /// The full parameter name of `field` (`Tags.member.2.Key`), for messages.
    #[must_use]
    pub fn name(&self, field: &str) -> String {
        format!("{}{field}", self.prefix)
    }

    /// A required field (`Key`); absent is [`QueryError::Missing`] naming the full parameter.
    pub fn required(&self, field: &str) -> Result<&'a str, QueryError> {
        self.params.required(&self.name(field))
    }

    /// An optional field (`Value`).
    #[must_use]
    pub fn optional(&self, field: &str) -> Option<&'a str> {
        self.params.get(&self.name(field))
    }

    /// A list of strings nested in this structure.
    pub fn list(&self, field: &str) -> Result<Vec<&'a str>, QueryError> {
        self.params.list(&self.name(field))
    }
}

/// Percent-encodes `value` per RFC 3986: ASCII letters, digits and `-_.~` stay, every other
/// byte is `%XX` (uppercase hex; a space is `%20`). IAM returns policy documents this way
/// (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRolePolicy.html>).
#[must_use]
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    encode_into(&mut out, value, false);
    out
}

/// Encodes pairs as a form body or query string in the order given, byte for byte as botocore
/// does (Python's `urlencode`): as [`percent_encode`], but a space is `+`
/// (`Action=GetUser&UserName=a+b%26c`).
#[must_use]
pub fn encode_form<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (name, value) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        encode_into(&mut out, name, true);
        out.push('=');
        encode_into(&mut out, value, true);
    }
    out
}

fn encode_into(out: &mut String, value: &str, form: bool) {
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else if form && b == b' ' {
            out.push('+');
        } else {
            out.push('%');
            out.push(hex_digit(b >> 4));
            out.push(hex_digit(b & 0x0f));
        }
    }
}

fn missing(name: &str) -> QueryError {
    QueryError::Missing {
        name: name.to_owned(),
    }
}

/// `1`, `2`, … : decimal, no sign, no leading zero, at most nine digits.
fn parse_index(s: &str) -> Option<usize> {
    if s.is_empty() || s.len() > 9 || s.starts_with('0') || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn truncate(bytes: &[u8], max: usize) -> &[u8] {
    bytes.get(..max).unwrap_or(bytes)
}

#[derive(Debug, PartialEq)]
enum DecodeError {
    Encoding,
    TooLong,
}

impl DecodeError {
    fn into_error(self, name: String, limit: usize, is_name: bool) -> QueryError {
        match (self, is_name) {
            (Self::Encoding, _) => QueryError::BadEncoding { name },
            (Self::TooLong, true) => QueryError::NameTooLong { name, limit },
            (Self::TooLong, false) => QueryError::ValueTooLong { name, limit },
        }
    }
}

/// Form-decodes `raw` (`+` is a space, `%XX` a byte), failing past `max` output bytes.
/// Runs with nothing to decode are copied whole.
fn percent_decode(raw: &[u8], max: usize) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::with_capacity(raw.len().min(max));
    let mut rest = raw;
    loop {
        let at = memchr::memchr2(b'%', b'+', rest).unwrap_or(rest.len());
        let (clean, tail) = rest.split_at(at);
        out.extend_from_slice(clean);
        if out.len() > max {
            return Err(DecodeError::TooLong);
        }
        let (decoded, used) = match tail {
            [] => return Ok(out),
            [b'+', ..] => (b' ', 1),
            [b'%', hi, lo, ..] => match (hex_value(*hi), hex_value(*lo)) {
                (Some(hi), Some(lo)) => ((hi << 4) | lo, 3),
                _ => return Err(DecodeError::Encoding),
            },
            _ => return Err(DecodeError::Encoding),
        };
        if out.len() >= max {
            return Err(DecodeError::TooLong);
        }
        out.push(decoded);
        rest = tail.get(used..).unwrap_or_default();
    }
}

fn hex_value(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

fn hex_digit(n: u8) -> char {
    char::from_digit(u32::from(n), 16)
        .map(|c| c.to_ascii_uppercase())
        .unwrap_or('0')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The decoder as first written, a byte at a time: the reference for the fast one.
    fn percent_decode_bytewise(raw: &[u8], max: usize) -> Result<Vec<u8>, DecodeError> {
        let mut out = Vec::new();
        let mut bytes = raw.iter();
        while let Some(&b) = bytes.next() {
            let decoded = match b {
                b'+' => b' ',
                b'%' => {
                    let hi = bytes.next().and_then(|h| hex_value(*h));
                    let lo = bytes.next().and_then(|l| hex_value(*l));
                    match (hi, lo) {
                        (Some(hi), Some(lo)) => (hi << 4) | lo,
                        _ => return Err(DecodeError::Encoding),
                    }
                }
                b => b,
            };
            if out.len() >= max {
                return Err(DecodeError::TooLong);
            }
            out.push(decoded);
        }
        Ok(out)
    }

    #[test]
    fn decoding_runs_whole_gives_what_decoding_bytes_does() {
        // Every string of up to five symbols from an alphabet of the cases, at every limit.
        let alphabet: [&[u8]; 7] = [b"a", b"+", b"%41", b"%4", b"%", b"%zz", b"\xc3"];
        let mut inputs: Vec<Vec<u8>> = vec![Vec::new()];
        for _ in 0..5 {
            let longer: Vec<Vec<u8>> = inputs
                .iter()
                .flat_map(|s| alphabet.iter().map(move |a| [s.as_slice(), a].concat()))
                .collect();
            inputs.extend(longer);
        }
        inputs.sort();
        inputs.dedup();
        for raw in &inputs {
            for max in 0..=raw.len() + 1 {
                assert_eq!(
                    percent_decode(raw, max),
                    percent_decode_bytewise(raw, max),
                    "{:?} at most {max}",
                    String::from_utf8_lossy(raw)
                );
            }
        }
    }

    fn parse(s: &str) -> Result<Params, QueryError> {
        Params::from_form(s.as_bytes(), &Limits::default())
    }

    #[test]
    fn pairs_without_value_are_empty() {
        let p = parse("Action=ListUsers&Marker&&").unwrap();
        assert_eq!(p.get("Marker"), Some(""));
        assert_eq!(p.len(), 2);
    }

    #[test]
    fn index_rules() {
        assert_eq!(parse_index("1"), Some(1));
        assert_eq!(parse_index("10"), Some(10));
        assert_eq!(parse_index("0"), None);
        assert_eq!(parse_index("01"), None);
        assert_eq!(parse_index("+1"), None);
        assert_eq!(parse_index("1234567890"), None);
    }

    #[test]
    fn encodes_like_botocore() {
        assert_eq!(percent_encode("a b+c/~é"), "a%20b%2Bc%2F~%C3%A9");
        assert_eq!(
            encode_form([("Action", "GetUser"), ("UserName", "a&b=c d")]),
            "Action=GetUser&UserName=a%26b%3Dc+d"
        );
    }

    #[test]
    fn value_limit_counts_decoded_bytes() {
        let limits = Limits {
            max_value_bytes: 3,
            ..Limits::default()
        };
        assert!(Params::from_form(b"A=%41%42%43", &limits).is_ok());
        assert_eq!(
            Params::from_form(b"A=abcd", &limits),
            Err(QueryError::ValueTooLong {
                name: "A".into(),
                limit: 3
            })
        );
    }
}
