//! Property tests: sign-then-verify round trips, tampering fails, parsers never panic.

use proptest::prelude::*;
use roleplay_sigv4::{
    Credentials, KeyCache, RequestView, SessionTokenMode, SigningParams, SigningSettings,
    canonical_query_string, canonical_uri, parse, parse_amz_date, parse_http_date, presign_request,
    sign_request, verify,
};
use time::OffsetDateTime;

/// A random request, held as owned parts; `path` and `query` are wire-encoded.
#[derive(Debug, Clone)]
struct Req {
    method: String,
    path: String,
    query_pairs: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    payload_hash: String,
    secret: String,
    token: Option<String>,
    region: String,
    service: String,
    time: OffsetDateTime,
}

fn wire_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) || (keep_slash && b == b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Req {
    fn query(&self) -> String {
        self.query_pairs
            .iter()
            .map(|(k, v)| format!("{}={}", wire_encode(k, false), wire_encode(v, false)))
            .collect::<Vec<_>>()
            .join("&")
    }

    fn settings(&self) -> SigningSettings {
        SigningSettings::for_service(&self.service)
    }

    fn params(&self) -> SigningParams<'_> {
        SigningParams {
            credentials: Credentials {
                access_key_id: "AKIDEXAMPLE",
                secret_access_key: &self.secret,
                session_token: self.token.as_deref(),
            },
            region: &self.region,
            service: &self.service,
            time: self.time,
            settings: self.settings(),
            session_token_mode: SessionTokenMode::Signed,
        }
    }
}

fn arb_req() -> impl Strategy<Value = Req> {
    let method = prop::sample::select(vec!["GET", "PUT", "POST", "DELETE", "HEAD"]);
    let segment = "[a-zA-Z0-9 ._~!$&'()*+,;=:@%-]{0,8}";
    let path = prop::collection::vec(segment, 0..4);
    let query = prop::collection::vec(
        ("[a-zA-Z0-9 _.~&=+%/-]{1,6}", "[a-zA-Z0-9 _.~&=+%/-]{0,6}"),
        0..4,
    );
    let header = ("x-[a-z]{1,6}", "[ -~]{0,12}");
    let headers = prop::collection::vec(header, 0..4);
    let service = prop::sample::select(vec!["s3", "iam", "sts", "service"]);
    let region = prop::sample::select(vec!["us-east-1", "", "eu-west-3"]);
    let token = prop::option::of("[A-Za-z0-9/+=]{8,40}");
    (
        method,
        path,
        query,
        headers,
        "[0-9a-f]{64}",
        "[A-Za-z0-9/+]{40}",
        token,
        region,
        service,
        0i64..2_000_000_000,
    )
        .prop_map(
            |(method, path, query, headers, hash, secret, token, region, service, secs)| Req {
                method: method.into(),
                path: format!(
                    "/{}",
                    path.iter()
                        .map(|s| wire_encode(s, false))
                        .collect::<Vec<_>>()
                        .join("/")
                ),
                query_pairs: query,
                headers: headers
                    .into_iter()
                    .filter(|(n, _)| !n.starts_with("x-amz"))
                    .chain([("host".to_owned(), "example.amazonaws.com".to_owned())])
                    .collect(),
                payload_hash: hash,
                secret,
                token,
                region: region.into(),
                service: service.into(),
                time: OffsetDateTime::from_unix_timestamp(secs).unwrap(),
            },
        )
}

/// Signs with headers, then returns the request as the server would see it.
fn sign_headers(req: &Req) -> Vec<(String, String)> {
    let query = req.query();
    let base: Vec<(&str, &str)> = req
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let view = RequestView {
        method: &req.method,
        path: &req.path,
        query: &query,
        headers: &base,
        payload_hash: &req.payload_hash,
    };
    let signed = sign_request(&view, &req.params()).unwrap();
    let mut all = req.headers.clone();
    all.extend(signed.headers);
    all
}

/// Verifies a request as received; `Ok` when it authenticates.
fn check(
    req: &Req,
    query: &str,
    headers: &[(String, String)],
    secret: &str,
    now: OffsetDateTime,
) -> Result<(), String> {
    let refs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let view = RequestView {
        method: &req.method,
        path: &req.path,
        query,
        headers: &refs,
        payload_hash: &req.payload_hash,
    };
    let settings = req.settings();
    let claims = parse(&view, &settings).map_err(|e| format!("parse: {e:?}"))?;
    verify(claims, &view, secret, now, &KeyCache::default(), &settings)
        .map(|_| ())
        .map_err(|e| format!("verify: {e:?}"))
}

#[derive(Debug, Clone, Copy)]
enum Tamper {
    Method,
    Path,
    QueryValue,
    SignedHeader,
    PayloadHash,
    Date,
    Secret,
}

fn arb_tamper() -> impl Strategy<Value = Tamper> {
    prop::sample::select(vec![
        Tamper::Method,
        Tamper::Path,
        Tamper::QueryValue,
        Tamper::SignedHeader,
        Tamper::PayloadHash,
        Tamper::Date,
        Tamper::Secret,
    ])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn header_signing_round_trips(req in arb_req()) {
        let headers = sign_headers(&req);
        prop_assert_eq!(check(&req, &req.query(), &headers, &req.secret, req.time), Ok(()));
    }

    #[test]
    fn presigning_round_trips(req in arb_req(), expires in 1u32..=604_800) {
        let query = req.query();
        let base: Vec<(&str, &str)> = req.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let view = RequestView { method: &req.method, path: &req.path, query: &query, headers: &base, payload_hash: &req.payload_hash };
        let presigned = presign_request(&view, &req.params(), expires).unwrap();
        let later = req.time + time::Duration::seconds(i64::from(expires));
        prop_assert_eq!(check(&req, &presigned.query, &req.headers, &req.secret, later), Ok(()));
        prop_assert!(check(&req, &presigned.query, &req.headers, &req.secret, later + time::Duration::seconds(1)).is_err());
    }

    #[test]
    fn changing_a_signed_part_fails(req in arb_req(), tamper in arb_tamper()) {
        let mut headers = sign_headers(&req);
        let mut changed = req.clone();
        let mut secret = req.secret.clone();
        let mut query = req.query();
        match tamper {
            Tamper::Method => changed.method = format!("{}X", req.method),
            Tamper::Path => changed.path = format!("{}x", req.path),
            Tamper::QueryValue => {
                match changed.query_pairs.first_mut() {
                    Some((_, v)) => v.push('x'),
                    None => changed.query_pairs.push(("x".into(), "1".into())),
                }
                query = changed.query();
            }
            Tamper::SignedHeader => {
                let (_, v) = headers.iter_mut().find(|(n, _)| n == "host").unwrap();
                v.push('x');
            }
            Tamper::PayloadHash => {
                changed.payload_hash = format!("{}0", &req.payload_hash[..63]);
                if changed.payload_hash == req.payload_hash {
                    changed.payload_hash = format!("{}1", &req.payload_hash[..63]);
                }
                if let Some((_, v)) = headers.iter_mut().find(|(n, _)| n == "x-amz-content-sha256") {
                    v.clone_from(&changed.payload_hash);
                }
            }
            Tamper::Date => {
                let (_, v) = headers.iter_mut().find(|(n, _)| n == "x-amz-date").unwrap();
                *v = roleplay_sigv4::format_amz_date(req.time + time::Duration::seconds(1));
            }
            Tamper::Secret => secret.push('x'),
        }
        prop_assert!(check(&changed, &query, &headers, &secret, req.time).is_err(), "{:?} still verifies", tamper);
    }

    #[test]
    fn parsers_never_panic(
        auth in "\\PC{0,200}",
        query in "\\PC{0,200}",
        date in "\\PC{0,24}",
        path in "\\PC{0,64}",
        sha in "\\PC{0,70}",
    ) {
        let headers = [("host", "h"), ("authorization", auth.as_str()), ("x-amz-date", date.as_str()), ("x-amz-content-sha256", sha.as_str())];
        for settings in [SigningSettings::S3, SigningSettings::QUERY] {
            let view = RequestView { method: "GET", path: &path, query: &query, headers: &headers, payload_hash: "" };
            if let Err(e) = parse(&view, &settings) {
                let _ = (e.code(settings.dialect), e.message(settings.dialect));
            }
            let no_header = RequestView { headers: &headers[2..], ..view };
            let _ = parse(&no_header, &settings);
            let _ = canonical_uri(&path, &settings);
        }
        let _ = canonical_query_string(&query, true);
        let _ = parse_amz_date(&date);
        let _ = parse_http_date(&date);
    }

    #[test]
    fn presigned_query_parser_never_panics(
        cred in "[A-Za-z0-9/%_-]{0,60}",
        date in "[0-9TZ]{0,18}",
        expires in "-?[0-9]{0,8}",
        signed in "[a-z;%-]{0,20}",
    ) {
        let query = format!("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={cred}&X-Amz-Date={date}&X-Amz-Expires={expires}&X-Amz-SignedHeaders={signed}&X-Amz-Signature=00");
        let headers = [("host", "h")];
        let view = RequestView { method: "GET", path: "/", query: &query, headers: &headers, payload_hash: "UNSIGNED-PAYLOAD" };
        if let Ok(claims) = parse(&view, &SigningSettings::S3) {
            prop_assert!(verify(claims.clone(), &view, "s", claims.timestamp, &KeyCache::default(), &SigningSettings::S3).is_err());
        }
    }
}
