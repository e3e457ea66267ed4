//! Encoding a 1,000-key ListObjectsV2 body, decoding an AssumeRole form body, and the JSON
//! strings of a decision record.

#![allow(clippy::unwrap_used, reason = "bench setup fails loudly")]

use criterion::{Criterion, criterion_group, criterion_main};
use roleplay_wire::envelope::S3_NAMESPACE;
use roleplay_wire::query::{Limits, Params};
use roleplay_wire::xml::XmlWriter;
use std::hint::black_box;
use time::macros::datetime;

fn list_objects_v2(keys: &[String]) -> String {
    let modified = datetime!(2026-11-27 19:43:17 UTC);
    let mut w = XmlWriter::with_declaration();
    w.element_with_attributes("ListBucketResult", &[("xmlns", S3_NAMESPACE)], |w| {
        w.text_element("Name", "bucket")
            .text_element("Prefix", "")
            .display_element("KeyCount", keys.len())
            .display_element("MaxKeys", 1000)
            .display_element("IsTruncated", false)
            .flattened_list("Contents", keys, |w, key| {
                w.text_element("Key", key)
                    .timestamp_millis_element("LastModified", modified)
                    .text_element("ETag", "\"d41d8cd98f00b204e9800998ecf8427e\"")
                    .display_element("Size", 1024)
                    .text_element("StorageClass", "STANDARD");
            });
    });
    w.finish()
}

fn bench(c: &mut Criterion) {
    let keys: Vec<String> = (0..1000)
        .map(|i| format!("photos/2026/11/{i:04} & <friends>.jpg"))
        .collect();
    c.bench_function("list_objects_v2_1000_keys", |b| {
        b.iter(|| list_objects_v2(black_box(&keys)));
    });

    // An AssumeRole answer is mostly its session token: about 1 KiB of base64.
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let token: String = alphabet.chars().cycle().step_by(7).take(1100).collect();
    c.bench_function("escape_session_token", |b| {
        b.iter(|| roleplay_wire::xml::escape_text(black_box(&token)));
    });

    let body = "Action=AssumeRole&Version=2011-06-15\
        &RoleArn=arn%3Aaws%3Aiam%3A%3A345345345345%3Arole%2Faccounta&RoleSessionName=s1\
        &Tags.member.1.Key=team&Tags.member.1.Value=red+blue&TransitiveTagKeys.member.1=team";
    let limits = Limits::default();
    c.bench_function("decode_assume_role", |b| {
        b.iter(|| {
            let p = Params::from_form(black_box(body.as_bytes()), &limits).unwrap();
            p.structs("Tags").unwrap().len()
        });
    });
}

/// The strings of a decision record: mostly short (an action, an account, an ARN, a
/// condition key and its value), none needing an escape.
fn json_strings(c: &mut Criterion) {
    let fields = [
        "s3:PutObject",
        "345345345345",
        "arn:aws:sts::345345345345:assumed-role/accounta/botocore-session-1764412345",
        "arn:aws:s3:::account-b-data/put/w12-34567",
        "aws:SecureTransport",
        "false",
        "s3:x-amz-content-sha256",
        "7b502c3a1f48c8609ae212cdfb639dee39673f5e",
    ];
    c.bench_function("json_strings_of_a_decision", |b| {
        let mut out = Vec::with_capacity(1024);
        b.iter(|| {
            out.clear();
            for f in black_box(&fields) {
                roleplay_wire::json::string(&mut out, f);
            }
            out.len()
        });
    });
}

criterion_group!(benches, bench, json_strings);
criterion_main!(benches);
