//! S3 operations of the engine.

use crate::common::env;

#[test]
fn upload_ids_never_read_as_options() {
    use roleplay_engine::s3::ObjectMeta;
    let e = env();
    e.engine
        .create_bucket(&e.root, &e.info, "uploads", "us-east-1")
        .unwrap();
    // One id in 64 would start with '-' in plain base64url, and the aws CLI would take it
    // for an option.
    for i in 0..256 {
        let u = e
            .engine
            .create_multipart_upload(
                Some(&e.root),
                &e.info,
                "uploads",
                &format!("k{i}"),
                ObjectMeta::default(),
                None,
                None,
            )
            .unwrap();
        assert!(!u.upload_id.starts_with('-'), "{}", u.upload_id);
    }
}
