//! Policy values of each operator family, typed once at compile time, and their comparison
//! with a request value (always text in the request context).

use super::Cmp;
use crate::arn_pattern::ArnPattern;
use crate::context::Context;
use crate::template::Template;
use base64::Engine as _;
use ipnet::IpNet;
use std::net::IpAddr;
use time::OffsetDateTime;
use time::format_description::well_known::{Iso8601, Rfc3339};

/// The value family of an operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    String,
    Numeric,
    Date,
    Bool,
    Binary,
    Ip,
    Arn,
    Null,
}

/// One policy value of a condition. `None` payloads are values that never match (a
/// non-number under a Numeric operator, ...): IAM does not reject them at save time.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum CondValue {
    String(Template),
    Numeric(Option<f64>),
    /// Unix time in nanoseconds.
    Date(Option<i128>),
    Bool(Option<bool>),
    Binary(Option<Vec<u8>>),
    Ip(Option<IpNet>),
    Arn(ArnPattern),
}

impl CondValue {
    /// Types `text` for `family`. Dates that do not parse are an error, as in IAM.
    pub(crate) fn new(family: Family, text: &str, variables: bool) -> Result<Self, ()> {
        Ok(match family {
            Family::String => CondValue::String(Template::new(text, variables)),
            Family::Numeric => CondValue::Numeric(parse_number(text)),
            Family::Date => CondValue::Date(Some(parse_date(text).ok_or(())?)),
            Family::Bool | Family::Null => CondValue::Bool(parse_bool(text)),
            Family::Binary => CondValue::Binary(decode_base64(text)),
            Family::Ip => CondValue::Ip(parse_cidr(text)),
            Family::Arn => CondValue::Arn(ArnPattern::new(text, variables, variables)),
        })
    }

    /// Whether `request` compares as `cmp` with this value (the positive form of the operator).
    pub(crate) fn compare(&self, request: &str, cmp: Cmp, ctx: &Context) -> bool {
        match self {
            CondValue::String(t) => match cmp {
                Cmp::Like => t.pattern(ctx).is_some_and(|p| p.matches(request, false)),
                Cmp::EqualsIgnoreCase => t
                    .text(ctx)
                    .is_some_and(|p| p.to_lowercase() == request.to_lowercase()),
                _ => t.text(ctx).is_some_and(|p| p == request),
            },
            CondValue::Numeric(p) => match (p, parse_number(request)) {
                (Some(p), Some(r)) => ordered(r.partial_cmp(p), cmp),
                _ => false,
            },
            CondValue::Date(p) => match (p, parse_date(request)) {
                (Some(p), Some(r)) => ordered(Some(r.cmp(p)), cmp),
                _ => false,
            },
            CondValue::Bool(p) => p.is_some() && *p == parse_bool(request),
            CondValue::Binary(p) => p.is_some() && *p == decode_base64(request),
            CondValue::Ip(p) => match (p, request.trim().parse::<IpAddr>()) {
                (Some(net), Ok(addr)) => net.contains(&addr),
                _ => false,
            },
            CondValue::Arn(p) => p.matches(request, ctx),
        }
    }
}

fn ordered(o: Option<std::cmp::Ordering>, cmp: Cmp) -> bool {
    use std::cmp::Ordering::*;
    match (o, cmp) {
        (None, _) => false,
        (Some(o), Cmp::Equals | Cmp::EqualsIgnoreCase | Cmp::Like) => o == Equal,
        (Some(o), Cmp::Lt) => o == Less,
        (Some(o), Cmp::Le) => o != Greater,
        (Some(o), Cmp::Gt) => o == Greater,
        (Some(o), Cmp::Ge) => o != Less,
    }
}

fn parse_number(s: &str) -> Option<f64> {
    let s = s.trim();
    let valid = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'));
    valid
        .then(|| s.parse::<f64>().ok())
        .flatten()
        .filter(|f| f.is_finite())
}

fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn decode_base64(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .ok()
}

fn parse_cidr(s: &str) -> Option<IpNet> {
    let s = s.trim();
    s.parse::<IpNet>()
        .ok()
        .or_else(|| s.parse::<IpAddr>().ok().map(IpNet::from))
        .map(|n| n.trunc())
}

/// Parses a date as IAM does: ISO 8601 (with or without time, fraction and offset) or epoch
/// seconds. Returns Unix time in nanoseconds.
pub(crate) fn parse_date(s: &str) -> Option<i128> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        let secs: i128 = s.parse().ok()?;
        return secs.checked_mul(1_000_000_000);
    }
    let parsed = OffsetDateTime::parse(s, &Rfc3339)
        .or_else(|_| OffsetDateTime::parse(s, &Iso8601::DEFAULT))
        .ok()
        .or_else(|| date_only(s))
        .or_else(|| without_seconds(s))?;
    Some(parsed.unix_timestamp_nanos())
}

/// `2020-01-02` is midnight UTC.
fn date_only(s: &str) -> Option<OffsetDateTime> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::Date::parse(s, &fmt).ok()?;
    Some(d.midnight().assume_utc())
}

/// `2020-01-02T03:04Z` (minutes precision).
fn without_seconds(s: &str) -> Option<OffsetDateTime> {
    let body = s.strip_suffix('Z').or_else(|| s.strip_suffix('z'))?;
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let dt = time::PrimitiveDateTime::parse(body, &fmt).ok()?;
    Some(dt.assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        let t = parse_date("2020-01-01T00:00:00Z").unwrap();
        assert_eq!(parse_date("1577836800"), Some(t));
        assert_eq!(parse_date("2020-01-01"), Some(t));
        assert_eq!(parse_date("2020-01-01T00:00Z"), Some(t));
        assert_eq!(parse_date("2020-01-01T01:00:00+01:00"), Some(t));
        assert_eq!(
            parse_date("2020-01-01T00:00:00.500Z"),
            Some(t + 500_000_000)
        );
        assert!(parse_date("yesterday").is_none());
        assert!(parse_date("2020-13-01T00:00:00Z").is_none());
    }

    #[test]
    fn numbers_bools_ips() {
        assert_eq!(parse_number("10"), Some(10.0));
        assert_eq!(parse_number("1.5"), Some(1.5));
        assert_eq!(parse_number("ten"), None);
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_bool("TRUE"), Some(true));
        let net = parse_cidr("203.0.113.0/24").unwrap();
        assert!(net.contains(&"203.0.113.9".parse::<IpAddr>().unwrap()));
        let one = parse_cidr("203.0.113.9").unwrap();
        assert!(!one.contains(&"203.0.113.8".parse::<IpAddr>().unwrap()));
        let v6 = parse_cidr("2001:DB8:1234:5678::/64").unwrap();
        assert!(v6.contains(&"2001:db8:1234:5678::1".parse::<IpAddr>().unwrap()));
    }
}
