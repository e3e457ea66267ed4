//! Malformed and failing requests map to the AWS error they deserve.

use roleplay_sigv4::{
    Dialect, KeyCache, RequestView, SigV4Error, SigningSettings, parse, presign_request,
    sign_request, verify,
};

use crate::support::{SECRET, amz, creds, params};

const HOST: (&str, &str) = ("host", "iam.amazonaws.com");
const DATE: (&str, &str) = ("x-amz-date", "20150830T123600Z");
const CRED: &str = "Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request";
const SH: &str = "SignedHeaders=host;x-amz-date";
const SIG: &str = "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

fn view<'a>(headers: &'a [(&'a str, &'a str)], query: &'a str) -> RequestView<'a> {
    RequestView {
        method: "GET",
        path: "/",
        query,
        headers,
        payload_hash: roleplay_sigv4::EMPTY_SHA256,
    }
}

fn parse_err(headers: &[(&str, &str)], query: &str, settings: &SigningSettings) -> SigV4Error {
    parse(&view(headers, query), settings).expect_err("must not parse")
}

fn codes(e: &SigV4Error) -> (&'static str, &'static str) {
    (e.code(Dialect::Query), e.code(Dialect::S3))
}

#[test]
fn no_authentication_is_missing_token_or_anonymous() {
    let e = parse_err(&[HOST, DATE], "", &SigningSettings::QUERY);
    assert_eq!(e, SigV4Error::MissingAuthentication);
    assert_eq!(codes(&e), ("MissingAuthenticationToken", "AccessDenied"));
    assert_eq!(
        e.message(Dialect::Query),
        "Request is missing Authentication Token"
    );
}

#[test]
fn each_missing_header_component_is_incomplete_signature() {
    for (auth, missing) in [
        (format!("AWS4-HMAC-SHA256 {SH}, {SIG}"), "Credential"),
        (format!("AWS4-HMAC-SHA256 {CRED}, {SIG}"), "SignedHeaders"),
        (format!("AWS4-HMAC-SHA256 {CRED}, {SH}"), "Signature"),
    ] {
        let e = parse_err(
            &[HOST, DATE, ("authorization", &auth)],
            "",
            &SigningSettings::QUERY,
        );
        assert!(
            matches!(&e, SigV4Error::MissingComponents { missing: m, .. } if m == &[missing]),
            "{e:?}"
        );
        assert_eq!(
            codes(&e),
            ("IncompleteSignature", "AuthorizationHeaderMalformed")
        );
        assert_eq!(
            e.message(Dialect::Query),
            format!("Authorization header requires '{missing}' parameter.")
        );
    }
}

#[test]
fn missing_date_is_incomplete_signature() {
    let auth = format!("AWS4-HMAC-SHA256 {CRED}, {SH}, {SIG}");
    let e = parse_err(
        &[HOST, ("authorization", &auth)],
        "",
        &SigningSettings::QUERY,
    );
    assert_eq!(e, SigV4Error::MissingDate);
    assert_eq!(codes(&e), ("IncompleteSignature", "AccessDenied"));
}

#[test]
fn http_date_header_is_accepted() {
    let auth = format!("AWS4-HMAC-SHA256 {CRED}, SignedHeaders=date;host, {SIG}");
    let headers = [
        HOST,
        ("date", "Sun, 30 Aug 2015 12:36:00 GMT"),
        ("authorization", &auth),
    ];
    let claims = parse(&view(&headers, ""), &SigningSettings::QUERY).unwrap();
    assert_eq!(claims.amz_date(), "20150830T123600Z");
}

#[test]
fn malformed_credentials_and_signed_headers() {
    for cred in [
        "Credential=AKIDEXAMPLE/20150830/us-east-1/iam",
        "Credential=AKIDEXAMPLE/2015083/us-east-1/iam/aws4_request",
        "Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_reque",
        "Credential=/20150830/us-east-1/iam/aws4_request",
        "Credential=A/B/20150830/us-east-1/iam/aws4_request",
    ] {
        let auth = format!("AWS4-HMAC-SHA256 {cred}, {SH}, {SIG}");
        let e = parse_err(
            &[HOST, DATE, ("authorization", &auth)],
            "",
            &SigningSettings::QUERY,
        );
        assert!(
            matches!(e, SigV4Error::MalformedCredential { .. }),
            "{cred}: {e:?}"
        );
        assert_eq!(
            codes(&e),
            ("IncompleteSignature", "AuthorizationHeaderMalformed")
        );
    }
    let auth = format!("AWS4-HMAC-SHA256 {CRED}, SignedHeaders=x-amz-date, {SIG}");
    let e = parse_err(
        &[HOST, DATE, ("authorization", &auth)],
        "",
        &SigningSettings::QUERY,
    );
    assert!(
        matches!(e, SigV4Error::MalformedSignedHeaders { .. }),
        "{e:?}"
    );
    assert_eq!(
        e.message(Dialect::Query),
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
    );
}

#[test]
fn other_algorithms_are_rejected() {
    for auth in ["AWS4-ECDSA-P256-SHA256 Credential=x", "Bearer token"] {
        let e = parse_err(
            &[HOST, DATE, ("authorization", auth)],
            "",
            &SigningSettings::S3,
        );
        assert!(
            matches!(e, SigV4Error::UnsupportedAlgorithm { .. }),
            "{auth}: {e:?}"
        );
        assert_eq!(codes(&e), ("IncompleteSignature", "InvalidArgument"));
    }
}

/// S3 refuses Signature Version 2 by name (`InvalidRequest`, as for any bucket created
/// since June 2020), in the header and in a presigned URL; the query services answer as
/// they did before SigV2 was recognised.
#[test]
fn signature_version_2_is_refused_by_name() {
    let s3_message = "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.";
    let header = parse_err(
        &[
            HOST,
            DATE,
            ("authorization", "AWS AKIDEXAMPLE:c2lnbmF0dXJl"),
        ],
        "",
        &SigningSettings::S3,
    );
    assert!(
        matches!(header, SigV4Error::SignatureV2 { .. }),
        "{header:?}"
    );
    assert_eq!(codes(&header), ("IncompleteSignature", "InvalidRequest"));
    assert_eq!(header.message(Dialect::S3), s3_message);
    assert_eq!(
        header.message(Dialect::Query),
        "Unsupported AWS 'algorithm': 'AWS'."
    );
    let query = parse_err(
        &[HOST],
        "AWSAccessKeyId=AKIDEXAMPLE&Signature=c2lnbmF0dXJl&Expires=1795951034",
        &SigningSettings::S3,
    );
    assert!(matches!(query, SigV4Error::SignatureV2 { .. }), "{query:?}");
    assert_eq!(
        codes(&query),
        ("MissingAuthenticationToken", "InvalidRequest")
    );
    assert_eq!(query.message(Dialect::S3), s3_message);
    // Either parameter alone is just a query parameter: the request is anonymous.
    for alone in ["AWSAccessKeyId=AKIDEXAMPLE", "Signature=c2lnbmF0dXJl"] {
        assert_eq!(
            parse_err(&[HOST], alone, &SigningSettings::S3),
            SigV4Error::MissingAuthentication
        );
    }
}

#[test]
fn header_and_query_authentication_together_are_rejected() {
    let auth = format!("AWS4-HMAC-SHA256 {CRED}, {SH}, {SIG}");
    let e = parse_err(
        &[HOST, DATE, ("authorization", &auth)],
        "X-Amz-Algorithm=AWS4-HMAC-SHA256",
        &SigningSettings::S3,
    );
    assert_eq!(e, SigV4Error::MultipleAuthMechanisms);
    assert_eq!(e.code(Dialect::S3), "InvalidArgument");
}

#[test]
fn scope_date_must_match_request_date() {
    let auth = format!("AWS4-HMAC-SHA256 {CRED}, {SH}, {SIG}");
    let e = parse_err(
        &[
            HOST,
            ("x-amz-date", "20150831T000000Z"),
            ("authorization", &auth),
        ],
        "",
        &SigningSettings::QUERY,
    );
    assert_eq!(
        codes(&e),
        ("SignatureDoesNotMatch", "AuthorizationHeaderMalformed")
    );
    assert_eq!(
        e.message(Dialect::Query),
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20150830' != '20150831', from '20150831T000000Z'."
    );
}

#[test]
fn s3_requires_content_sha256() {
    let auth = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=00";
    let e = parse_err(
        &[HOST, DATE, ("authorization", auth)],
        "",
        &SigningSettings::S3,
    );
    assert_eq!(e, SigV4Error::MissingContentSha256);
    assert_eq!(e.code(Dialect::S3), "InvalidRequest");
    let e = parse_err(
        &[
            HOST,
            DATE,
            ("authorization", auth),
            ("x-amz-content-sha256", "nope"),
        ],
        "",
        &SigningSettings::S3,
    );
    assert_eq!(e.code(Dialect::S3), "InvalidArgument");
}

#[test]
fn presigned_parameter_errors() {
    let base = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Signature=00";
    let e = parse_err(&[HOST], base, &SigningSettings::S3);
    assert!(
        matches!(&e, SigV4Error::MissingComponents { missing, .. } if missing == &["X-Amz-Expires"]),
        "{e:?}"
    );
    assert_eq!(
        codes(&e),
        ("IncompleteSignature", "AuthorizationQueryParametersError")
    );

    let e = parse_err(
        &[HOST],
        &format!("{base}&X-Amz-Expires=604801"),
        &SigningSettings::S3,
    );
    assert_eq!(e.code(Dialect::S3), "AuthorizationQueryParametersError");
    assert_eq!(
        e.message(Dialect::S3),
        "X-Amz-Expires must be less than a week (in seconds) that is 604800"
    );
    let e = parse_err(
        &[HOST],
        &format!("{base}&X-Amz-Expires=-1"),
        &SigningSettings::S3,
    );
    assert_eq!(e.message(Dialect::S3), "X-Amz-Expires must be non-negative");
    let e = parse_err(
        &[HOST],
        &format!("{base}&X-Amz-Expires=0"),
        &SigningSettings::S3,
    );
    assert!(matches!(e, SigV4Error::InvalidExpires { .. }));
    assert!(
        parse(
            &view(&[HOST], &format!("{base}&X-Amz-Expires=604800")),
            &SigningSettings::S3
        )
        .is_ok()
    );
}

fn signed_iam(region: &str, secret: &str, time: &str) -> (Vec<(String, String)>, String) {
    let headers = [
        HOST,
        (
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        ),
    ];
    let body_hash = roleplay_sigv4::sha256_hex(b"Action=GetUser&Version=2010-05-08");
    let v = RequestView {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        payload_hash: &body_hash,
    };
    let signed = sign_request(
        &v,
        &params(
            creds(secret),
            region,
            "iam",
            amz(time),
            SigningSettings::QUERY,
        ),
    )
    .unwrap();
    let mut all: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    all.extend(signed.headers);
    (all, body_hash)
}

fn check(
    headers: &[(String, String)],
    hash: &str,
    secret: &str,
    now: &str,
    settings: &SigningSettings,
) -> Result<(), SigV4Error> {
    let refs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let v = RequestView {
        method: "POST",
        path: "/",
        query: "",
        headers: &refs,
        payload_hash: hash,
    };
    let claims = parse(&v, settings)?;
    verify(claims, &v, secret, amz(now), &KeyCache::default(), settings).map(|_| ())
}

#[test]
fn empty_region_scope_verifies() {
    let (headers, hash) = signed_iam("", SECRET, "20150830T123600Z");
    let auth = &headers
        .iter()
        .find(|(n, _)| n == "authorization")
        .unwrap()
        .1;
    assert!(
        auth.contains("Credential=AKIDEXAMPLE/20150830//iam/aws4_request"),
        "{auth}"
    );
    check(
        &headers,
        &hash,
        SECRET,
        "20150830T123600Z",
        &SigningSettings::QUERY,
    )
    .unwrap();
}

#[test]
fn wrong_secret_is_signature_does_not_match() {
    let (headers, hash) = signed_iam("us-east-1", SECRET, "20150830T123600Z");
    let e = check(
        &headers,
        &hash,
        "another secret",
        "20150830T123600Z",
        &SigningSettings::QUERY,
    )
    .unwrap_err();
    assert_eq!(
        codes(&e),
        ("SignatureDoesNotMatch", "SignatureDoesNotMatch")
    );
    assert!(
        e.message(Dialect::Query)
            .starts_with("The request signature we calculated does not match")
    );
    let SigV4Error::SignatureDoesNotMatch {
        canonical_request,
        string_to_sign,
    } = e
    else {
        unreachable!()
    };
    assert!(canonical_request.starts_with("POST\n/\n\ncontent-type:"));
    assert!(
        string_to_sign.starts_with(
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n"
        )
    );
}

#[test]
fn clock_skew_texts() {
    let (headers, hash) = signed_iam("us-east-1", SECRET, "20160609T184512Z");
    // 15 minutes either way is fine.
    check(
        &headers,
        &hash,
        SECRET,
        "20160609T190012Z",
        &SigningSettings::QUERY,
    )
    .unwrap();
    check(
        &headers,
        &hash,
        SECRET,
        "20160609T183012Z",
        &SigningSettings::QUERY,
    )
    .unwrap();
    let e = check(
        &headers,
        &hash,
        SECRET,
        "20160610T014508Z",
        &SigningSettings::QUERY,
    )
    .unwrap_err();
    assert_eq!(codes(&e), ("SignatureDoesNotMatch", "RequestTimeTooSkewed"));
    assert_eq!(
        e.message(Dialect::Query),
        "Signature expired: 20160609T184512Z is now earlier than 20160610T013008Z (20160610T014508Z - 15 min.)"
    );
    assert_eq!(
        e.message(Dialect::S3),
        "The difference between the request time and the current time is too large."
    );
    let e = check(
        &headers,
        &hash,
        SECRET,
        "20160609T182000Z",
        &SigningSettings::QUERY,
    )
    .unwrap_err();
    assert_eq!(
        e.skew_message().unwrap(),
        "Signature not yet current: 20160609T184512Z is still later than 20160609T183500Z (20160609T182000Z + 15 min.)"
    );
}

#[test]
fn missing_signed_header_fails() {
    let (mut headers, hash) = signed_iam("us-east-1", SECRET, "20150830T123600Z");
    headers.retain(|(n, _)| n != "content-type");
    let e = check(
        &headers,
        &hash,
        SECRET,
        "20150830T123600Z",
        &SigningSettings::QUERY,
    )
    .unwrap_err();
    assert_eq!(
        e,
        SigV4Error::SignedHeaderMissing {
            name: "content-type".into()
        }
    );
    assert_eq!(e.code(Dialect::Query), "SignatureDoesNotMatch");
}

#[test]
fn presigned_expiry_window() {
    let headers = [("host", "bucket.s3.amazonaws.com")];
    let v = RequestView {
        method: "GET",
        path: "/key",
        query: "",
        headers: &headers,
        payload_hash: "UNSIGNED-PAYLOAD",
    };
    let p = presign_request(
        &v,
        &params(
            creds(SECRET),
            "us-east-1",
            "s3",
            amz("20150830T123600Z"),
            SigningSettings::S3,
        ),
        60,
    )
    .unwrap();
    let signed = RequestView {
        query: &p.query,
        ..v
    };
    let claims = parse(&signed, &SigningSettings::S3).unwrap();
    let cache = KeyCache::default();
    let at = |t: &str| {
        verify(
            claims.clone(),
            &signed,
            SECRET,
            amz(t),
            &cache,
            &SigningSettings::S3,
        )
    };
    at("20150830T123600Z").unwrap();
    at("20150830T123700Z").unwrap();
    let e = at("20150830T123701Z").unwrap_err();
    assert!(
        matches!(e, SigV4Error::PresignedExpired { expires: 60, .. }),
        "{e:?}"
    );
    assert_eq!(
        (e.code(Dialect::S3), e.message(Dialect::S3).as_str()),
        ("AccessDenied", "Request has expired")
    );
    let e = at("20150830T120000Z").unwrap_err();
    assert!(
        matches!(e, SigV4Error::PresignedNotYetValid { .. }),
        "{e:?}"
    );
    assert!(
        presign_request(
            &v,
            &params(
                creds(SECRET),
                "us-east-1",
                "s3",
                amz("20150830T123600Z"),
                SigningSettings::S3
            ),
            604_801
        )
        .is_err()
    );
}

#[test]
fn debug_output_redacts_tokens_and_keys() {
    let token = "SESSIONTOKENVALUE";
    let headers = [HOST];
    let v = RequestView {
        method: "GET",
        path: "/",
        query: "",
        headers: &headers,
        payload_hash: roleplay_sigv4::EMPTY_SHA256,
    };
    let c = roleplay_sigv4::Credentials {
        access_key_id: "AKIDEXAMPLE",
        secret_access_key: SECRET,
        session_token: Some(token),
    };
    let signed = sign_request(
        &v,
        &params(
            c,
            "us-east-1",
            "iam",
            amz("20150830T123600Z"),
            SigningSettings::QUERY,
        ),
    )
    .unwrap();
    let mut all: Vec<(&str, &str)> = headers.to_vec();
    all.extend(signed.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    let v = RequestView { headers: &all, ..v };
    let claims = parse(&v, &SigningSettings::QUERY).unwrap();
    assert_eq!(claims.security_token(), Some(token));
    let verified = verify(
        claims.clone(),
        &v,
        SECRET,
        amz("20150830T123600Z"),
        &KeyCache::default(),
        &SigningSettings::QUERY,
    )
    .unwrap();
    let shown = format!("{claims:?} {verified:?} {c:?}");
    assert!(!shown.contains(token) && !shown.contains(SECRET), "{shown}");
}

#[test]
fn s3_refuses_unsigned_amz_headers() {
    let headers = [("host", "bucket.s3.amazonaws.com")];
    let v = RequestView {
        method: "PUT",
        path: "/key",
        query: "",
        headers: &headers,
        payload_hash: "UNSIGNED-PAYLOAD",
    };
    let p = presign_request(
        &v,
        &params(
            creds(SECRET),
            "us-east-1",
            "s3",
            amz("20150830T123600Z"),
            SigningSettings::S3,
        ),
        60,
    )
    .unwrap();
    let added = [
        ("host", "bucket.s3.amazonaws.com"),
        ("X-Amz-Tagging", "a=b"),
        ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
    ];
    let tampered = RequestView {
        query: &p.query,
        headers: &added,
        ..v
    };
    let e = parse(&tampered, &SigningSettings::S3).unwrap_err();
    assert_eq!(
        e,
        SigV4Error::HeadersNotSigned {
            names: vec!["x-amz-tagging".into()]
        }
    );
    assert_eq!(
        (e.code(Dialect::S3), e.message(Dialect::S3).as_str()),
        (
            "AccessDenied",
            "There were headers present in the request which were not signed"
        )
    );
    // Other services do not check.
    assert!(parse(&tampered, &SigningSettings::QUERY).is_ok());
}
