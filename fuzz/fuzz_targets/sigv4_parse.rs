//! A request from lines (method, path, query, then `name: value` headers), parsed with S3's
//! and the query services' settings; and the bytes as an aws-chunked body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use roleplay_sigv4::{
    ChunkedDecoder, ChunkedLimits, ContentSha256, RequestView, SigningSettings, parse,
};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let mut lines = text.split('\n');
        let method = lines.next().unwrap_or("GET");
        let path = lines.next().unwrap_or("/");
        let query = lines.next().unwrap_or("");
        let headers: Vec<(&str, &str)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim(), v.trim()))
            .collect();
        for settings in [SigningSettings::S3, SigningSettings::QUERY] {
            let view = RequestView {
                method,
                path,
                query,
                headers: &headers,
                payload_hash: "UNSIGNED-PAYLOAD",
            };
            if let Err(e) = parse(&view, &settings) {
                let _ = (e.code(settings.dialect), e.message(settings.dialect));
            }
        }
    }
    if let Ok(mut decoder) = ChunkedDecoder::new(
        &ContentSha256::StreamingUnsignedTrailer,
        None,
        ChunkedLimits::default(),
    ) {
        let mut out = Vec::new();
        let half = data.len() / 2;
        let (a, b) = data.split_at(half);
        if decoder.feed(a, &mut out).is_ok() && decoder.feed(b, &mut out).is_ok() {
            let _ = decoder.finish();
        }
    }
});
