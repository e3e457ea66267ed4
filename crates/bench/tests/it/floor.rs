use bytes::Bytes;
use http_body_util::Full;
use roleplay_bench::client::{self, Call, Keys};
use roleplay_bench::floor;

fn call(method: &'static str, len: usize) -> Call {
    Call {
        method,
        path: "/bucket/key".into(),
        query: String::new(),
        service: "s3",
        content_type: None,
        payload_hash: "UNSIGNED-PAYLOAD".into(),
        content_length: len as u64,
    }
}

/// The floor reads whole bodies and answers each method with its fixed size, on one
/// kept-alive connection, as the load drives it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_floor_answers_every_request_at_once() {
    let listener = floor::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(floor::serve(listener));
    let host = addr.to_string();
    let keys = Keys {
        id: "AKIDEXAMPLE".into(),
        secret: "secret".into(),
    };
    let mut conn = client::Conn::<Full<Bytes>>::new(addr);
    for (method, body_len, answer_len) in [
        ("PUT", 3 << 20, 0),
        ("GET", 0, 4096),
        ("POST", 44, 1024),
        ("PUT", 4096, 0),
    ] {
        let c = call(method, body_len);
        let signed = client::sign(
            &c,
            &host,
            &keys,
            "us-east-1",
            time::OffsetDateTime::now_utc(),
        )
        .unwrap();
        let req = client::request(
            &c,
            &host,
            &signed,
            Full::new(Bytes::from(vec![7u8; body_len])),
        )
        .unwrap();
        let (status, body) = conn.send(req).await.unwrap();
        assert_eq!((status, body.len()), (200, answer_len), "{method}");
    }
    server.abort();
}

#[tokio::test]
async fn the_floor_listens_on_loopback_only() {
    let err = floor::bind("0.0.0.0:0".parse().unwrap()).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}
