use roleplay_bench::target::{is_loopback, parse_endpoint};
use std::net::SocketAddr;

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

#[test]
fn loopback_endpoints_are_accepted() {
    let e = parse_endpoint("http://127.0.0.1:4566").unwrap();
    assert_eq!(e.addr, addr("127.0.0.1:4566"));
    assert_eq!(e.host, "127.0.0.1:4566");
    assert_eq!(
        parse_endpoint("http://127.1.2.3:80/").unwrap().addr,
        addr("127.1.2.3:80")
    );
    assert_eq!(
        parse_endpoint("http://[::1]:5000").unwrap().addr,
        addr("[::1]:5000")
    );
    let local = parse_endpoint("http://localhost:9000").unwrap();
    assert_eq!(local.addr, addr("127.0.0.1:9000"));
    assert_eq!(local.host, "localhost:9000");
    assert_eq!(
        parse_endpoint("http://127.0.0.1").unwrap().addr,
        addr("127.0.0.1:80")
    );
}

#[test]
fn other_targets_are_refused() {
    for url in [
        "http://10.0.0.1:4566",
        "http://192.168.1.1:80",
        "http://0.0.0.0:4566",
        "http://128.0.0.1:4566",
        "http://[::2]:4566",
        "http://[::ffff:127.0.0.1]:4566",
        "http://s3.amazonaws.com",
        "http://example.com:4566",
        "https://127.0.0.1:4566",
        "127.0.0.1:4566",
        "http://127.0.0.1:4566/path",
        "http://user@127.0.0.1:4566",
        "http://127.0.0.1:notaport",
        "http://::1:4566",
        "http://",
    ] {
        assert!(parse_endpoint(url).is_err(), "{url} was accepted");
    }
    let msg = parse_endpoint("http://10.0.0.1:4566").unwrap_err();
    assert!(msg.contains("non-loopback"), "{msg}");
}

#[test]
fn loopback_is_127_slash_8_and_colon_colon_1() {
    assert!(is_loopback("127.0.0.1".parse().unwrap()));
    assert!(is_loopback("127.255.255.254".parse().unwrap()));
    assert!(is_loopback("::1".parse().unwrap()));
    assert!(!is_loopback("126.255.255.255".parse().unwrap()));
    assert!(!is_loopback("::".parse().unwrap()));
}
