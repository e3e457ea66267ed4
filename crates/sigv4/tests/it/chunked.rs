//! aws-chunked decoding: AWS's documented example, random slicing, tampering, trailers.

use proptest::prelude::*;
use roleplay_sigv4::{
    ChunkSigner, ChunkedDecoder, ChunkedError, ChunkedLimits, ContentSha256, KeyCache, RequestView,
    SigningKey, SigningSettings, Trailer, Verified, parse, verify,
};

use crate::support::amz;

// The example of docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html:
// a 66560-byte object of `a` sent as chunks of 65536, 1024 and 0 bytes.
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const SEED: &str = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
const CHUNK_1: &str = "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648";
const CHUNK_2: &str = "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497";
const CHUNK_FINAL: &str = "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9";
const SCOPE: &str = "20130524/us-east-1/s3/aws4_request";
const DATE: &str = "20130524T000000Z";

/// A request signed by our own signer with the example's credentials.
fn verified_own(payload: &str) -> Verified {
    let headers = [
        ("host", "s3.amazonaws.com"),
        ("content-encoding", "aws-chunked"),
    ];
    let view = RequestView {
        method: "PUT",
        path: "/bucket/key",
        query: "",
        headers: &headers,
        payload_hash: payload,
    };
    let creds = roleplay_sigv4::Credentials {
        access_key_id: "AKIAIOSFODNN7EXAMPLE",
        secret_access_key: SECRET,
        session_token: None,
    };
    let signed = roleplay_sigv4::sign_request(
        &view,
        &crate::support::params(creds, "us-east-1", "s3", amz(DATE), SigningSettings::S3),
    )
    .unwrap();
    let mut all: Vec<(&str, &str)> = headers.to_vec();
    all.extend(signed.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    let view = RequestView {
        headers: &all,
        ..view
    };
    let claims = parse(&view, &SigningSettings::S3).unwrap();
    verify(
        claims,
        &view,
        SECRET,
        amz(DATE),
        &KeyCache::default(),
        &SigningSettings::S3,
    )
    .unwrap()
}

fn verified_example(payload: &str) -> Verified {
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/{SCOPE},SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature={SEED}"
    );
    let headers = [
        ("Host", "s3.amazonaws.com"),
        ("x-amz-date", DATE),
        ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ("Authorization", auth.as_str()),
        ("x-amz-content-sha256", payload),
        ("Content-Encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", "66560"),
        ("Content-Length", "66824"),
    ];
    let view = RequestView {
        method: "PUT",
        path: "/examplebucket/chunkObject.txt",
        query: "",
        headers: &headers,
        payload_hash: payload,
    };
    let claims = parse(&view, &SigningSettings::S3).unwrap();
    verify(
        claims,
        &view,
        SECRET,
        amz(DATE),
        &KeyCache::default(),
        &SigningSettings::S3,
    )
    .unwrap()
}

fn example_body() -> Vec<u8> {
    let mut body = Vec::new();
    for (size, sig) in [(65536usize, CHUNK_1), (1024, CHUNK_2), (0, CHUNK_FINAL)] {
        body.extend_from_slice(format!("{size:x};chunk-signature={sig}\r\n").as_bytes());
        body.extend(std::iter::repeat_n(b'a', size));
        body.extend_from_slice(b"\r\n");
    }
    body
}

fn decode(
    decoder: &mut ChunkedDecoder,
    body: &[u8],
    cuts: &[usize],
) -> Result<Vec<u8>, ChunkedError> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (body.len() + 1)).collect();
    cuts.sort_unstable();
    for cut in cuts.into_iter().chain([body.len()]) {
        decoder.feed(&body[start..cut], &mut out)?;
        start = cut;
    }
    Ok(out)
}

fn example_decoder() -> ChunkedDecoder {
    let verified = verified_example("STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
    ChunkedDecoder::new(
        &ContentSha256::StreamingSigned,
        Some(&verified),
        ChunkedLimits::default(),
    )
    .unwrap()
}

#[test]
fn aws_documented_example_verifies_and_decodes() {
    let body = example_body();
    assert_eq!(
        body.len(),
        66824,
        "Content-Length of the documented request"
    );
    let mut decoder = example_decoder();
    let out = decode(&mut decoder, &body, &[]).unwrap();
    assert_eq!(out.len(), 66560);
    assert!(out.iter().all(|&b| b == b'a'));
    assert_eq!(decoder.decoded_len(), 66560);
    assert!(decoder.finish().unwrap().is_empty());
}

#[test]
fn client_chunk_signer_reproduces_the_example() {
    let key = SigningKey::derive(SECRET, "20130524", "us-east-1", "s3");
    let mut signer = ChunkSigner::new(key, DATE, SCOPE, SEED);
    assert_eq!(signer.sign_chunk(&[b'a'; 65536]), CHUNK_1);
    assert_eq!(signer.sign_chunk(&[b'a'; 1024]), CHUNK_2);
    assert_eq!(signer.sign_chunk(&[]), CHUNK_FINAL);
}

#[test]
fn tampered_chunk_is_rejected() {
    let mut body = example_body();
    let at = body.len() - 200;
    body[at] = b'b';
    let err = decode(&mut example_decoder(), &body, &[]).unwrap_err();
    assert_eq!(err, ChunkedError::ChunkSignatureMismatch { index: 1 });
    assert_eq!(err.code(), "SignatureDoesNotMatch");
}

#[test]
fn wrong_final_signature_and_truncation_are_rejected() {
    let body = example_body();
    let mut bad = body.clone();
    let at = bad.len() - 5;
    bad[at] = if bad[at] == b'0' { b'1' } else { b'0' };
    assert!(decode(&mut example_decoder(), &bad, &[]).is_err());

    let mut decoder = example_decoder();
    decode(&mut decoder, &body[..body.len() - 2], &[]).unwrap();
    assert_eq!(decoder.finish().unwrap_err(), ChunkedError::Incomplete);

    let mut decoder = example_decoder();
    let mut extra = body.clone();
    extra.push(b'x');
    assert_eq!(
        decode(&mut decoder, &extra, &[]).unwrap_err(),
        ChunkedError::TrailingData
    );
}

#[test]
fn missing_chunk_signature_is_malformed() {
    let body = b"5\r\nhello\r\n0\r\n\r\n";
    assert!(matches!(
        decode(&mut example_decoder(), body, &[]),
        Err(ChunkedError::Malformed { .. })
    ));
}

#[test]
fn limits_are_enforced() {
    let limits = ChunkedLimits {
        max_line_len: 64,
        max_trailer_bytes: 64,
        max_chunk_size: 1024,
    };
    let unsigned = |limits| {
        ChunkedDecoder::new(&ContentSha256::StreamingUnsignedTrailer, None, limits).unwrap()
    };
    let long_line = format!("1{}\r\n", ";x".repeat(100));
    assert_eq!(
        decode(&mut unsigned(limits), long_line.as_bytes(), &[]).unwrap_err(),
        ChunkedError::LineTooLong
    );
    assert_eq!(
        decode(&mut unsigned(limits), b"801\r\n", &[]).unwrap_err(),
        ChunkedError::ChunkTooLarge
    );
    let big_trailer = format!("0\r\nx-amz-checksum-crc32:{}\r\n\r\n", "A".repeat(100));
    assert!(matches!(
        decode(&mut unsigned(limits), big_trailer.as_bytes(), &[]),
        Err(ChunkedError::MalformedTrailer { .. })
    ));
    assert!(ChunkedDecoder::new(&ContentSha256::Unsigned, None, limits).is_err());
    assert!(ChunkedDecoder::new(&ContentSha256::StreamingSigned, None, limits).is_err());
}

#[test]
fn unsigned_trailer_body_yields_trailers() {
    let body = b"5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
    for cut in 0..body.len() {
        let mut decoder = ChunkedDecoder::new(
            &ContentSha256::StreamingUnsignedTrailer,
            None,
            ChunkedLimits::default(),
        )
        .unwrap();
        assert_eq!(decode(&mut decoder, body, &[cut]).unwrap(), b"hello world");
        let trailers = decoder.finish().unwrap();
        assert_eq!(
            trailers,
            vec![Trailer {
                name: "x-amz-checksum-crc32".into(),
                value: "DUoRhQ==".into()
            }]
        );
    }
    // Tolerated: a CRLF closing the final chunk before the trailers, and a
    // trailer-less body.
    for (body, count) in [
        (
            &b"5\r\nhello\r\n0\r\n\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n"[..],
            1,
        ),
        (&b"5\r\nhello\r\n0\r\n\r\n"[..], 0),
        (&b"5\r\nhello\r\n0\r\n\r\n\r\n"[..], 0),
    ] {
        let mut decoder = ChunkedDecoder::new(
            &ContentSha256::StreamingUnsignedTrailer,
            None,
            ChunkedLimits::default(),
        )
        .unwrap();
        assert_eq!(decode(&mut decoder, body, &[]).unwrap(), b"hello");
        assert_eq!(decoder.finish().unwrap().len(), count);
    }
    // Tolerated: the closing empty line missing after the last trailer.
    let mut decoder = ChunkedDecoder::new(
        &ContentSha256::StreamingUnsignedTrailer,
        None,
        ChunkedLimits::default(),
    )
    .unwrap();
    decode(&mut decoder, &body[..body.len() - 2], &[]).unwrap();
    assert_eq!(decoder.finish().unwrap().len(), 1);
}

fn signed_trailer_body(
    verified: &Verified,
    data: &[u8],
    trailers: &[Trailer],
    sign_trailers_over: &[Trailer],
) -> Vec<u8> {
    let mut signer = ChunkSigner::new(
        verified.signing_key().clone(),
        DATE,
        SCOPE,
        verified.claims.signature(),
    );
    let mut body = Vec::new();
    for chunk in data.chunks(8192) {
        let sig = signer.sign_chunk(chunk);
        body.extend_from_slice(format!("{:x};chunk-signature={sig}\r\n", chunk.len()).as_bytes());
        body.extend_from_slice(chunk);
        body.extend_from_slice(b"\r\n");
    }
    let sig = signer.sign_chunk(&[]);
    body.extend_from_slice(format!("0;chunk-signature={sig}\r\n").as_bytes());
    for t in trailers {
        body.extend_from_slice(format!("{}:{}\r\n", t.name, t.value).as_bytes());
    }
    let trailer_sig = signer.sign_trailers(sign_trailers_over);
    body.extend_from_slice(format!("x-amz-trailer-signature:{trailer_sig}\r\n\r\n").as_bytes());
    body
}

#[test]
fn signed_trailer_round_trip_and_tampering() {
    let verified = verified_own("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER");
    let data: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
    let trailers = vec![Trailer {
        name: "x-amz-checksum-crc32".into(),
        value: "AAAAAA==".into(),
    }];
    let new = || {
        ChunkedDecoder::new(
            &ContentSha256::StreamingSignedTrailer,
            Some(&verified),
            ChunkedLimits::default(),
        )
        .unwrap()
    };

    let body = signed_trailer_body(&verified, &data, &trailers, &trailers);
    let mut decoder = new();
    assert_eq!(
        decode(&mut decoder, &body, &[7, 9000, 20_100]).unwrap(),
        data
    );
    assert_eq!(decoder.finish().unwrap(), trailers);

    let other = vec![Trailer {
        name: "x-amz-checksum-crc32".into(),
        value: "BBBBBB==".into(),
    }];
    let forged = signed_trailer_body(&verified, &data, &other, &trailers);
    assert_eq!(
        decode(&mut new(), &forged, &[]).unwrap_err(),
        ChunkedError::TrailerSignatureMismatch
    );

    // A signed-trailer body without its trailer signature.
    let unsigned_end = body.len() - "x-amz-trailer-signature:".len() - 64 - 4;
    let mut stripped = body[..unsigned_end].to_vec();
    stripped.extend_from_slice(b"\r\n");
    assert!(matches!(
        decode(&mut new(), &stripped, &[]),
        Err(ChunkedError::MalformedTrailer { .. })
    ));
}

#[test]
fn trailer_signature_matches_aws_crt_vector() {
    // aws-crt-swift's chunked-signing test chains three trailers after the
    // documented example's final chunk.
    let key = SigningKey::derive(SECRET, "20130524", "us-east-1", "s3");
    let signer = ChunkSigner::new(key, DATE, SCOPE, CHUNK_FINAL);
    let trailers: Vec<Trailer> = [("first", "1st"), ("second", "2nd"), ("third", "3rd")]
        .iter()
        .map(|(n, v)| Trailer {
            name: (*n).into(),
            value: (*v).into(),
        })
        .collect();
    assert_eq!(
        signer.sign_trailers(&trailers),
        "df5735bd9f3295cd9386572292562fefc93ba94e80a0a1ddcbd652c4e0a75e6c"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_slicing_gives_the_same_output(cuts in proptest::collection::vec(0usize..70_000, 0..12)) {
        let body = example_body();
        let mut decoder = example_decoder();
        let out = decode(&mut decoder, &body, &cuts).unwrap();
        prop_assert_eq!(out.len(), 66560);
        prop_assert!(decoder.finish().is_ok());
    }

    #[test]
    fn decoder_never_panics(body in proptest::collection::vec(any::<u8>(), 0..512), cut in 0usize..512) {
        let verified = verified_own("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER");
        for kind in [ContentSha256::StreamingSigned, ContentSha256::StreamingSignedTrailer, ContentSha256::StreamingUnsignedTrailer] {
            let mut decoder = ChunkedDecoder::new(&kind, Some(&verified), ChunkedLimits::default()).unwrap();
            let _ = decode(&mut decoder, &body, &[cut]);
            let _ = decoder.finish();
        }
    }
}
