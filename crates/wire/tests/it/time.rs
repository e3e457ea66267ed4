//! Timestamps: every format round-trips, and the parsers refuse near misses.

use proptest::prelude::*;
use roleplay_wire::time::{
    format_amz_date, format_http_date, format_iso8601, format_iso8601_millis, parse_amz_date,
    parse_http_date, parse_iso8601,
};
use time::OffsetDateTime;
use time::macros::datetime;

#[test]
fn parses_the_documented_examples() {
    let t = datetime!(2026-11-27 19:43:17 UTC);
    assert_eq!(parse_iso8601("2026-11-27T19:43:17Z").unwrap(), t);
    assert_eq!(parse_iso8601("2026-11-27T20:43:17+01:00").unwrap(), t);
    assert_eq!(
        parse_iso8601("2026-11-27T19:43:17.250Z").unwrap(),
        datetime!(2026-11-27 19:43:17.25 UTC)
    );
    assert_eq!(parse_http_date("Fri, 27 Nov 2026 19:43:17 GMT").unwrap(), t);
    assert_eq!(parse_amz_date("20261127T194317Z").unwrap(), t);
}

#[test]
fn parsers_refuse_near_misses() {
    for bad in [
        "2026-11-27",
        "2026-11-27T19:43:17",
        "2026-11-27T19:43Z",
        "27 Nov 2026",
        "",
    ] {
        assert!(parse_iso8601(bad).is_err(), "{bad}");
    }
    for bad in [
        "Fri, 27 Nov 2026 19:43:17",
        "Friday, 27-Nov-26 19:43:17 GMT",
        "Fri Nov 27 19:43:17 2026",
        "Fri, 31 Nov 2026 19:43:17 GMT",
        "Fri,  27 Nov 2026 19:43:17 GMT",
    ] {
        assert!(parse_http_date(bad).is_err(), "{bad}");
    }
    for bad in [
        "2026-11-27T19:43:17Z",
        "20261127T1943Z",
        "2026112xT194317Z",
        "20260230T000000Z",
    ] {
        assert!(parse_amz_date(bad).is_err(), "{bad}");
    }
}

#[test]
fn errors_name_the_input() {
    let err = parse_amz_date("nope").unwrap_err();
    assert_eq!(err.to_string(), "`nope` is not an x-amz-date timestamp");
}

proptest! {
    #[test]
    fn every_format_round_trips(secs in 0i64..253_402_300_799, millis in 0i64..1000) {
        let t = OffsetDateTime::from_unix_timestamp(secs).unwrap();
        prop_assert_eq!(parse_iso8601(&format_iso8601(t)).unwrap(), t);
        prop_assert_eq!(parse_http_date(&format_http_date(t)).unwrap(), t);
        prop_assert_eq!(parse_amz_date(&format_amz_date(t)).unwrap(), t);
        let precise = t + time::Duration::milliseconds(millis);
        prop_assert_eq!(parse_iso8601(&format_iso8601_millis(precise)).unwrap(), precise);
    }

    #[test]
    fn parsers_never_panic(s in "\\PC{0,40}") {
        let _ = parse_iso8601(&s);
        let _ = parse_http_date(&s);
        let _ = parse_amz_date(&s);
    }
}
