//! Verifying a typical STS `GetCallerIdentity` POST (form body, six signed
//! headers), payload hash precomputed: with a warm signing-key cache, and
//! with a cold one (key derived on every request); and an S3 `GetObject`
//! as SDKs send it (path-style key, `x-amz-content-sha256`), warm cache.

#![allow(missing_docs, reason = "criterion macros generate undocumented items")]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use roleplay_sigv4::{
    Credentials, KeyCache, RequestView, SessionTokenMode, SigningParams, SigningSettings, parse,
    parse_amz_date, sha256_hex, sign_request, verify,
};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const GET_PATH: &str = "/bench-bucket/objects/obj-000042.bin";

/// `view` signed for `service` under `settings`: its headers and the signature's.
fn signed(
    view: &RequestView<'_>,
    service: &str,
    settings: SigningSettings,
) -> Vec<(String, String)> {
    let params = SigningParams {
        credentials: Credentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE",
            secret_access_key: SECRET,
            session_token: None,
        },
        region: "us-east-1",
        service,
        time: parse_amz_date("20260127T120000Z").unwrap_or(time::OffsetDateTime::UNIX_EPOCH),
        settings,
        session_token_mode: SessionTokenMode::Signed,
    };
    let Ok(signed) = sign_request(view, &params) else {
        return Vec::new();
    };
    let mut all: Vec<(String, String)> = view
        .headers
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    all.extend(signed.headers);
    all
}

fn signed_request() -> (Vec<(String, String)>, String) {
    let body = b"Action=GetCallerIdentity&Version=2011-06-15";
    let payload_hash = sha256_hex(body);
    let headers = [
        ("Host", "sts.us-east-1.amazonaws.com"),
        (
            "Content-Type",
            "application/x-www-form-urlencoded; charset=utf-8",
        ),
        ("Content-Length", "43"),
        (
            "User-Agent",
            "aws-cli/1.45.11 md/Botocore#1.43.11 ua/2.1 os/linux#6.8 md/arch#x86_64 lang/python#3.12.3",
        ),
        (
            "amz-sdk-invocation-id",
            "0e4b4c7a-7a3f-4f0e-9d1b-2b8a0f8e5c11",
        ),
        ("amz-sdk-request", "attempt=1"),
    ];
    let view = RequestView {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        payload_hash: &payload_hash,
    };
    (signed(&view, "sts", SigningSettings::QUERY), payload_hash)
}

fn signed_get_object() -> Vec<(String, String)> {
    let headers = [
        ("host", "127.0.0.1:4566"),
        (
            "user-agent",
            "Boto3/1.42.11 md/Botocore#1.42.11 ua/2.1 os/linux#6.8 md/arch#x86_64 lang/python#3.11.2",
        ),
        (
            "amz-sdk-invocation-id",
            "0e4b4c7a-7a3f-4f0e-9d1b-2b8a0f8e5c11",
        ),
        ("amz-sdk-request", "attempt=1"),
    ];
    let view = RequestView {
        method: "GET",
        path: GET_PATH,
        query: "",
        headers: &headers,
        payload_hash: "UNSIGNED-PAYLOAD",
    };
    signed(&view, "s3", SigningSettings::S3)
}

fn bench(c: &mut Criterion) {
    let (headers, payload_hash) = signed_request();
    let refs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let view = RequestView {
        method: "POST",
        path: "/",
        query: "",
        headers: &refs,
        payload_hash: &payload_hash,
    };
    let settings = SigningSettings::QUERY;
    let now = parse_amz_date("20260127T120100Z").unwrap_or(time::OffsetDateTime::UNIX_EPOCH);

    let warm = KeyCache::default();
    let run = |cache: &KeyCache| {
        let claims = parse(black_box(&view), &settings).ok()?;
        verify(claims, &view, black_box(SECRET), now, cache, &settings).ok()
    };
    assert!(run(&warm).is_some(), "the benchmark request must verify");

    c.bench_function("verify_sts_warm_cache", |b| b.iter(|| run(&warm)));
    let cold = KeyCache::new(0);
    c.bench_function("verify_sts_cold_cache", |b| b.iter(|| run(&cold)));

    let headers = signed_get_object();
    let refs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let view = RequestView {
        method: "GET",
        path: GET_PATH,
        query: "",
        headers: &refs,
        payload_hash: "UNSIGNED-PAYLOAD",
    };
    let settings = SigningSettings::S3;
    let run = |cache: &KeyCache| {
        let claims = parse(black_box(&view), &settings).ok()?;
        let hash = claims.s3_payload_hash().to_owned();
        let view = RequestView {
            payload_hash: &hash,
            ..view
        };
        verify(claims, &view, black_box(SECRET), now, cache, &settings).ok()
    };
    assert!(run(&warm).is_some(), "the S3 benchmark request must verify");
    c.bench_function("verify_s3_get_warm_cache", |b| b.iter(|| run(&warm)));
}

criterion_group!(benches, bench);
criterion_main!(benches);
