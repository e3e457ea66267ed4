use std::collections::BTreeMap;
use std::time::Duration;

use roleplay_bench::load::{human_size, parse_size};
use roleplay_bench::report::{
    OpReport, error_code, format_errors, format_kib, format_latency, format_table, format_tsv,
};
use roleplay_bench::stats::Summary;

fn sample() -> Vec<OpReport> {
    vec![
        OpReport {
            op: "GetCallerIdentity".into(),
            elapsed: Duration::from_secs(10),
            latency: Summary {
                count: 300_000,
                p50: 1800,
                p99: 4200,
                p999: 12_500,
                max: 31_000,
                mean: 2000,
            },
            errors: BTreeMap::new(),
            rss_kib: Some(20_480),
            peak_rss_kib: Some(22_528),
            rss_before_kib: Some(10_240),
            bytes: None,
            server_cpu_us: Some(9_000_000),
        },
        OpReport {
            op: "PutObject 1GiB".into(),
            elapsed: Duration::from_secs(2),
            latency: Summary {
                count: 1,
                p50: 2_000_000,
                p99: 2_000_000,
                p999: 2_000_000,
                max: 2_000_000,
                mean: 2_000_000,
            },
            errors: BTreeMap::from([("SlowDown".to_owned(), 2), ("io".to_owned(), 1)]),
            rss_kib: None,
            peak_rss_kib: None,
            rss_before_kib: None,
            bytes: Some(1 << 30),
            server_cpu_us: None,
        },
    ]
}

#[test]
fn latency_units() {
    assert_eq!(format_latency(850), "850µs");
    assert_eq!(format_latency(1234), "1.23ms");
    assert_eq!(format_latency(12_345), "12.3ms");
    assert_eq!(format_latency(2_500_000), "2.50s");
    assert_eq!(format_kib(Some(1536)), "1.5MiB");
    assert_eq!(format_kib(None), "-");
}

#[test]
fn errors_by_code() {
    assert_eq!(format_errors(&BTreeMap::new()), "0");
    let errors = BTreeMap::from([("io".to_owned(), 1), ("AccessDenied".to_owned(), 3)]);
    assert_eq!(format_errors(&errors), "AccessDenied=3 io=1");
    let body = b"<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code></Error></ErrorResponse>";
    assert_eq!(error_code(403, body), "AccessDenied");
    assert_eq!(error_code(503, b""), "HTTP 503");
    assert_eq!(error_code(500, b"<Code></Code>"), "HTTP 500");
}

#[test]
fn table_is_aligned() {
    let table = format_table(&sample());
    let expected = "\
operation          requests/s  server CPU/req     p50     p99   p99.9     max  MB/s  server RSS (end/peak)  errors
GetCallerIdentity       30000            30µs  1.80ms  4.20ms  12.5ms  31.0ms     -        20.0MiB/22.0MiB  0
PutObject 1GiB              0               -   2.00s   2.00s   2.00s   2.00s   537                    -/-  SlowDown=2 io=1
";
    assert_eq!(table, expected);
}

#[test]
fn tsv_lines() {
    let tsv = format_tsv(&sample());
    assert_eq!(
        tsv,
        "GetCallerIdentity\t30000.0\t1800\t4200\t12500\t31000\t-\t20480\t22528\t0\t30\n\
         PutObject 1GiB\t0.5\t2000000\t2000000\t2000000\t2000000\t536.9\t-\t-\t3\t-\n"
    );
}

#[test]
fn sizes() {
    assert_eq!(parse_size("1GiB"), Ok(1 << 30));
    assert_eq!(parse_size("256MiB"), Ok(256 << 20));
    assert_eq!(parse_size("4k"), Ok(4096));
    assert_eq!(parse_size("1000"), Ok(1000));
    assert!(parse_size("1TB").is_err());
    assert!(parse_size("GiB").is_err());
    assert_eq!(human_size(1 << 30), "1GiB");
    assert_eq!(human_size(3 << 20), "3MiB");
    assert_eq!(human_size(1000), "1000B");
}
