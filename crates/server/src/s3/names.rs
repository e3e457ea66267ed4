//! The names of the `x-amz-*` headers S3 reads on every write or read, parsed once: a lookup
//! by `&str` parses and lower-cases the name each time, and a PutObject makes about thirty.

use axum::http::HeaderName;

macro_rules! names {
    ($($(#[$doc:meta])* $id:ident = $name:literal;)*) => {
        $($(#[$doc])* pub(crate) const $id: HeaderName = HeaderName::from_static($name);)*
    };
}

names! {
    X_AMZ_ACL = "x-amz-acl";
    X_AMZ_GRANT_FULL_CONTROL = "x-amz-grant-full-control";
    X_AMZ_GRANT_READ = "x-amz-grant-read";
    X_AMZ_GRANT_WRITE = "x-amz-grant-write";
    X_AMZ_GRANT_READ_ACP = "x-amz-grant-read-acp";
    X_AMZ_GRANT_WRITE_ACP = "x-amz-grant-write-acp";
    X_AMZ_CHECKSUM_CRC32 = "x-amz-checksum-crc32";
    X_AMZ_CHECKSUM_CRC32C = "x-amz-checksum-crc32c";
    X_AMZ_CHECKSUM_SHA1 = "x-amz-checksum-sha1";
    X_AMZ_CHECKSUM_SHA256 = "x-amz-checksum-sha256";
    X_AMZ_TRAILER = "x-amz-trailer";
    X_AMZ_DECODED_CONTENT_LENGTH = "x-amz-decoded-content-length";
    X_AMZ_COPY_SOURCE = "x-amz-copy-source";
    X_AMZ_TAGGING = "x-amz-tagging";
    X_AMZ_REQUEST_ID = "x-amz-request-id";
    X_AMZ_ID_2 = "x-amz-id-2";
    X_AMZ_SERVER_SIDE_ENCRYPTION = "x-amz-server-side-encryption";
    X_AMZ_CHECKSUM_MODE = "x-amz-checksum-mode";
    X_AMZ_VERSION_ID = "x-amz-version-id";
    X_AMZ_TAGGING_COUNT = "x-amz-tagging-count";
    CONTENT_MD5 = "content-md5";
}
