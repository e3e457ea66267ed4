//! The project's one timestamp formatter and parser, for the formats AWS puts on the wire:
//!
//! - ISO 8601 UTC with `Z`, as IAM, STS and S3 bodies use (`2026-11-27T19:43:17Z`, or with
//!   milliseconds `2026-11-27T19:43:17.123Z`);
//! - the HTTP date of RFC 7231 (IMF-fixdate, `Fri, 27 Nov 2026 19:43:17 GMT`), for `Date`,
//!   `Last-Modified`, `Expires` and the conditional headers;
//! - the `x-amz-date` basic format (`20261127T194317Z`).
//!
//! Every formatter converts its input to UTC first and writes four-digit years (a negative year
//! gets a sign); the parsers accept four-digit years only.

use ::time::format_description::well_known::Rfc3339;
use ::time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset, Weekday};
use std::fmt::Write as _;

/// A timestamp that does not have the expected format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimeError {
    /// Not an ISO 8601 / RFC 3339 date-time.
    #[error("`{0}` is not an ISO 8601 date-time")]
    Iso8601(String),
    /// Not an RFC 7231 HTTP date.
    #[error("`{0}` is not an HTTP date")]
    HttpDate(String),
    /// Not an `x-amz-date` basic-format timestamp.
    #[error("`{0}` is not an x-amz-date timestamp")]
    AmzDate(String),
}

/// `2026-11-27T19:43:17Z`: ISO 8601 in UTC, whole seconds (any fraction is dropped).
#[must_use]
pub fn format_iso8601(t: OffsetDateTime) -> String {
    iso8601(t, None)
}

/// `2026-11-27T19:43:17.123456Z`: ISO 8601 in UTC with microseconds (the server's log).
#[must_use]
pub fn format_iso8601_micros(t: OffsetDateTime) -> String {
    // A fraction of a second is the same in every offset.
    iso8601(t, Some((t.microsecond(), 6)))
}

/// `2026-11-27T19:43:17.123Z`: ISO 8601 in UTC with exactly three fraction digits (truncated).
#[must_use]
pub fn format_iso8601_millis(t: OffsetDateTime) -> String {
    iso8601(t, Some((u32::from(t.millisecond()), 3)))
}

/// ISO 8601 in UTC, with `fraction`'s digits (its value and how many) after the seconds.
fn iso8601(t: OffsetDateTime, fraction: Option<(u32, u32)>) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    let mut out = String::with_capacity(27);
    write_date(&mut out, t.date(), "-");
    out.push('T');
    write_time(&mut out, t, ":");
    if let Some((value, digits)) = fraction {
        out.push('.');
        push_digits(&mut out, value, digits);
    }
    out.push('Z');
    out
}

/// `Fri, 27 Nov 2026 19:43:17 GMT`: the RFC 7231 IMF-fixdate (RFC 1123 form) in GMT.
#[must_use]
pub fn format_http_date(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    let mut out = String::with_capacity(29);
    out.push_str(weekday_name(t.weekday()));
    out.push_str(", ");
    push_digits(&mut out, u32::from(t.day()), 2);
    out.push(' ');
    out.push_str(month_name(t.month()));
    out.push(' ');
    write_year(&mut out, t.year());
    out.push(' ');
    write_time(&mut out, t, ":");
    out.push_str(" GMT");
    out
}

/// `20261127T194317Z`: the `x-amz-date` (ISO 8601 basic) format in UTC.
#[must_use]
pub fn format_amz_date(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    let mut out = String::with_capacity(16);
    write_date(&mut out, t.date(), "");
    out.push('T');
    write_time(&mut out, t, "");
    out.push('Z');
    out
}

/// Parses an RFC 3339 date-time (`2026-11-27T19:43:17Z`, `2026-11-27T19:43:17.5Z`,
/// `2026-11-27T20:43:17+01:00`; RFC 3339 also allows a space for the `T`) and returns it in UTC.
pub fn parse_iso8601(value: &str) -> Result<OffsetDateTime, TimeError> {
    OffsetDateTime::parse(value, &Rfc3339)
        .map(|t| t.to_offset(UtcOffset::UTC))
        .map_err(|_| TimeError::Iso8601(value.to_owned()))
}

/// Parses an RFC 7231 IMF-fixdate (`Fri, 27 Nov 2026 19:43:17 GMT`). The weekday must match
/// the date.
pub fn parse_http_date(value: &str) -> Result<OffsetDateTime, TimeError> {
    let err = || TimeError::HttpDate(value.to_owned());
    let b = value.as_bytes();
    let [
        w0,
        w1,
        w2,
        b',',
        b' ',
        d0,
        d1,
        b' ',
        m0,
        m1,
        m2,
        b' ',
        y0,
        y1,
        y2,
        y3,
        b' ',
        h0,
        h1,
        b':',
        mi0,
        mi1,
        b':',
        s0,
        s1,
        b' ',
        b'G',
        b'M',
        b'T',
    ] = *b
    else {
        return Err(err());
    };
    let month = (1..=12u8)
        .filter_map(|n| Month::try_from(n).ok())
        .find(|m| month_name(*m).as_bytes() == [m0, m1, m2])
        .ok_or_else(err)?;
    let year = digits(&[y0, y1, y2, y3]).ok_or_else(err)?;
    let day = digits(&[d0, d1]).ok_or_else(err)?;
    let t = build(
        year,
        month,
        day,
        digits(&[h0, h1]).ok_or_else(err)?,
        digits(&[mi0, mi1]).ok_or_else(err)?,
        digits(&[s0, s1]).ok_or_else(err)?,
    )
    .ok_or_else(err)?;
    if weekday_name(t.weekday()).as_bytes() != [w0, w1, w2] {
        return Err(err());
    }
    Ok(t)
}

/// Parses an `x-amz-date` basic-format timestamp (`20261127T194317Z`).
pub fn parse_amz_date(value: &str) -> Result<OffsetDateTime, TimeError> {
    let err = || TimeError::AmzDate(value.to_owned());
    let b = value.as_bytes();
    let [
        y0,
        y1,
        y2,
        y3,
        mo0,
        mo1,
        d0,
        d1,
        b'T',
        h0,
        h1,
        mi0,
        mi1,
        s0,
        s1,
        b'Z',
    ] = *b
    else {
        return Err(err());
    };
    let month = digits(&[mo0, mo1])
        .and_then(|m| u8::try_from(m).ok())
        .and_then(|m| Month::try_from(m).ok())
        .ok_or_else(err)?;
    build(
        digits(&[y0, y1, y2, y3]).ok_or_else(err)?,
        month,
        digits(&[d0, d1]).ok_or_else(err)?,
        digits(&[h0, h1]).ok_or_else(err)?,
        digits(&[mi0, mi1]).ok_or_else(err)?,
        digits(&[s0, s1]).ok_or_else(err)?,
    )
    .ok_or_else(err)
}

fn digits(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0u32, |acc, b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

fn build(
    year: u32,
    month: Month,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
) -> Option<OffsetDateTime> {
    let date =
        Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?).ok()?;
    let time = Time::from_hms(
        u8::try_from(hour).ok()?,
        u8::try_from(minute).ok()?,
        u8::try_from(second).ok()?,
    )
    .ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

/// `n`'s last `width` decimal digits, zero-padded. Pushed rather than formatted: the
/// server writes a time into every log line and many answers.
fn push_digits(out: &mut String, n: u32, width: u32) {
    for p in (0..width).rev() {
        let digit = (n / 10u32.pow(p)) % 10;
        out.push(char::from_digit(digit, 10).unwrap_or('0'));
    }
}

fn write_year(out: &mut String, year: i32) {
    match u32::try_from(year) {
        Ok(year) if year <= 9999 => push_digits(out, year, 4),
        _ => {
            let _ = write!(out, "{year:04}");
        }
    }
}

fn write_date(out: &mut String, date: Date, sep: &str) {
    write_year(out, date.year());
    out.push_str(sep);
    push_digits(out, u32::from(u8::from(date.month())), 2);
    out.push_str(sep);
    push_digits(out, u32::from(date.day()), 2);
}

/// `19:43:17`, `sep` between the fields.
fn write_time(out: &mut String, t: OffsetDateTime, sep: &str) {
    push_digits(out, u32::from(t.hour()), 2);
    out.push_str(sep);
    push_digits(out, u32::from(t.minute()), 2);
    out.push_str(sep);
    push_digits(out, u32::from(t.second()), 2);
}

fn weekday_name(w: Weekday) -> &'static str {
    match w {
        Weekday::Monday => "Mon",
        Weekday::Tuesday => "Tue",
        Weekday::Wednesday => "Wed",
        Weekday::Thursday => "Thu",
        Weekday::Friday => "Fri",
        Weekday::Saturday => "Sat",
        Weekday::Sunday => "Sun",
    }
}

fn month_name(m: Month) -> &'static str {
    match m {
        Month::January => "Jan",
        Month::February => "Feb",
        Month::March => "Mar",
        Month::April => "Apr",
        Month::May => "May",
        Month::June => "Jun",
        Month::July => "Jul",
        Month::August => "Aug",
        Month::September => "Sep",
        Month::October => "Oct",
        Month::November => "Nov",
        Month::December => "Dec",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::time::macros::datetime;

    #[test]
    fn formats_every_style() {
        let t = datetime!(2026-11-27 19:43:17.123456 UTC);
        assert_eq!(format_iso8601(t), "2026-11-27T19:43:17Z");
        assert_eq!(format_iso8601_millis(t), "2026-11-27T19:43:17.123Z");
        assert_eq!(format_http_date(t), "Fri, 27 Nov 2026 19:43:17 GMT");
        assert_eq!(format_amz_date(t), "20261127T194317Z");
        assert_eq!(format_iso8601_micros(t), "2026-11-27T19:43:17.123456Z");
        let early = datetime!(2026-01-02 03:04:05.000007 UTC);
        assert_eq!(format_iso8601_micros(early), "2026-01-02T03:04:05.000007Z");
        assert_eq!(format_iso8601_millis(early), "2026-01-02T03:04:05.000Z");
        assert_eq!(format_http_date(early), "Fri, 02 Jan 2026 03:04:05 GMT");
    }

    #[test]
    fn formats_in_utc_whatever_the_offset() {
        let t = datetime!(2026-11-28 01:13:17 +05:30);
        assert_eq!(format_iso8601(t), "2026-11-27T19:43:17Z");
        assert_eq!(format_http_date(t), "Fri, 27 Nov 2026 19:43:17 GMT");
    }

    #[test]
    fn pads_small_years() {
        let t = datetime!(0099-01-02 03:04:05 UTC);
        assert_eq!(format_iso8601(t), "0099-01-02T03:04:05Z");
        assert_eq!(format_amz_date(t), "00990102T030405Z");
        let t = datetime!(-0001-01-02 03:04:05 UTC);
        assert_eq!(format_iso8601(t), "-001-01-02T03:04:05Z");
    }

    #[test]
    fn http_date_rejects_wrong_weekday_and_month() {
        assert!(parse_http_date("Thu, 27 Nov 2026 19:43:17 GMT").is_err());
        assert!(parse_http_date("Fri, 27 Nox 2026 19:43:17 GMT").is_err());
        assert!(parse_http_date("Fri, 27 Nov 2026 19:43:17 UTC").is_err());
    }

    #[test]
    fn amz_date_rejects_out_of_range_fields() {
        assert!(parse_amz_date("20261327T194317Z").is_err());
        assert!(parse_amz_date("20261127T244317Z").is_err());
        assert!(parse_amz_date("20261127T194317").is_err());
    }
}
