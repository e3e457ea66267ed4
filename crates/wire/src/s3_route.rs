//! S3 request routing: which bucket and key a request addresses (path-style or
//! virtual-hosted-style) and which operation its method and subresources name.
//!
//! See <https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html>. The key is
//! the percent-decoded rest of the path, taken byte for byte: `../` and `%2F` are just
//! characters of a key.

/// The S3 operations roleplay routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum S3Op {
    /// `GET /`.
    ListBuckets,
    /// `PUT /bucket`.
    CreateBucket,
    /// `HEAD /bucket`.
    HeadBucket,
    /// `DELETE /bucket`.
    DeleteBucket,
    /// `GET /bucket?location`.
    GetBucketLocation,
    /// `GET /bucket?list-type=2`.
    ListObjectsV2,
    /// `GET /bucket`.
    ListObjects,
    /// `GET /bucket?versions`.
    ListObjectVersions,
    /// `PUT /bucket?policy`.
    PutBucketPolicy,
    /// `GET /bucket?policy`.
    GetBucketPolicy,
    /// `DELETE /bucket?policy`.
    DeleteBucketPolicy,
    /// `GET /bucket?policyStatus`.
    GetBucketPolicyStatus,
    /// `GET /bucket?encryption`.
    GetBucketEncryption,
    /// `PUT /bucket?versioning`.
    PutBucketVersioning,
    /// `GET /bucket?versioning`.
    GetBucketVersioning,
    /// `PUT /bucket?tagging`.
    PutBucketTagging,
    /// `GET /bucket?tagging`.
    GetBucketTagging,
    /// `DELETE /bucket?tagging`.
    DeleteBucketTagging,
    /// `GET /bucket?uploads`.
    ListMultipartUploads,
    /// `POST /bucket?delete`.
    DeleteObjects,
    /// `PUT /bucket/key`.
    PutObject,
    /// `PUT /bucket/key` with `x-amz-copy-source`.
    CopyObject,
    /// `GET /bucket/key`.
    GetObject,
    /// `HEAD /bucket/key`.
    HeadObject,
    /// `DELETE /bucket/key`.
    DeleteObject,
    /// `PUT /bucket/key?tagging`.
    PutObjectTagging,
    /// `GET /bucket/key?tagging`.
    GetObjectTagging,
    /// `DELETE /bucket/key?tagging`.
    DeleteObjectTagging,
    /// `POST /bucket/key?uploads`.
    CreateMultipartUpload,
    /// `PUT /bucket/key?partNumber=N&uploadId=U`.
    UploadPart,
    /// `PUT /bucket/key?partNumber=N&uploadId=U` with `x-amz-copy-source`.
    UploadPartCopy,
    /// `POST /bucket/key?uploadId=U`.
    CompleteMultipartUpload,
    /// `DELETE /bucket/key?uploadId=U`.
    AbortMultipartUpload,
    /// `GET /bucket/key?uploadId=U`.
    ListParts,
    /// `GET /bucket?acl`.
    GetBucketAcl,
    /// `PUT /bucket?acl`.
    PutBucketAcl,
    /// `GET /bucket/key?acl`.
    GetObjectAcl,
    /// `PUT /bucket/key?acl`.
    PutObjectAcl,
    /// `GET /bucket?ownershipControls`.
    GetBucketOwnershipControls,
    /// `PUT /bucket?ownershipControls`.
    PutBucketOwnershipControls,
    /// `GET /bucket?publicAccessBlock`.
    GetPublicAccessBlock,
    /// `PUT /bucket?publicAccessBlock`.
    PutPublicAccessBlock,
    /// `DELETE /bucket?publicAccessBlock`.
    DeletePublicAccessBlock,
}

impl S3Op {
    /// The operation's name as AWS writes it.
    pub fn name(self) -> &'static str {
        use S3Op::*;
        match self {
            ListBuckets => "ListBuckets",
            CreateBucket => "CreateBucket",
            HeadBucket => "HeadBucket",
            DeleteBucket => "DeleteBucket",
            GetBucketLocation => "GetBucketLocation",
            ListObjectsV2 => "ListObjectsV2",
            ListObjects => "ListObjects",
            ListObjectVersions => "ListObjectVersions",
            PutBucketPolicy => "PutBucketPolicy",
            GetBucketPolicy => "GetBucketPolicy",
            DeleteBucketPolicy => "DeleteBucketPolicy",
            GetBucketPolicyStatus => "GetBucketPolicyStatus",
            GetBucketEncryption => "GetBucketEncryption",
            PutBucketVersioning => "PutBucketVersioning",
            GetBucketVersioning => "GetBucketVersioning",
            PutBucketTagging => "PutBucketTagging",
            GetBucketTagging => "GetBucketTagging",
            DeleteBucketTagging => "DeleteBucketTagging",
            ListMultipartUploads => "ListMultipartUploads",
            DeleteObjects => "DeleteObjects",
            PutObject => "PutObject",
            CopyObject => "CopyObject",
            GetObject => "GetObject",
            HeadObject => "HeadObject",
            DeleteObject => "DeleteObject",
            PutObjectTagging => "PutObjectTagging",
            GetObjectTagging => "GetObjectTagging",
            DeleteObjectTagging => "DeleteObjectTagging",
            CreateMultipartUpload => "CreateMultipartUpload",
            UploadPart => "UploadPart",
            UploadPartCopy => "UploadPartCopy",
            CompleteMultipartUpload => "CompleteMultipartUpload",
            AbortMultipartUpload => "AbortMultipartUpload",
            ListParts => "ListParts",
            GetBucketAcl => "GetBucketAcl",
            PutBucketAcl => "PutBucketAcl",
            GetObjectAcl => "GetObjectAcl",
            PutObjectAcl => "PutObjectAcl",
            GetBucketOwnershipControls => "GetBucketOwnershipControls",
            PutBucketOwnershipControls => "PutBucketOwnershipControls",
            GetPublicAccessBlock => "GetPublicAccessBlock",
            PutPublicAccessBlock => "PutPublicAccessBlock",
            DeletePublicAccessBlock => "DeletePublicAccessBlock",
        }
    }
}

/// A routed S3 request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Route {
    /// The operation.
    pub op: S3Op,
    /// The bucket, if the request addresses one.
    pub bucket: Option<String>,
    /// The object key, if the request addresses one.
    pub key: Option<String>,
}

/// Why a request could not be routed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// The path is not valid percent-encoded UTF-8.
    #[error("the request path is not valid percent-encoded UTF-8")]
    BadPath,
    /// Method and subresources name no operation roleplay serves.
    #[error("no S3 operation for {method} with these subresources")]
    NotImplemented {
        /// The HTTP method.
        method: String,
    },
    /// Method not allowed on this resource.
    #[error("method {0} is not allowed on this resource")]
    MethodNotAllowed(String),
}

/// The bucket named by a virtual-hosted-style `Host`: `BUCKET.localhost[:port]`,
/// `BUCKET.s3.REGION.amazonaws.com`, `BUCKET.s3.amazonaws.com`, or `BUCKET.s3.anything`.
pub fn bucket_from_host(host: &str) -> Option<&str> {
    let host = host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    if host.parse::<std::net::IpAddr>().is_ok() {
        return None;
    }
    if let Some(bucket) = host.strip_suffix(".localhost") {
        return (!bucket.is_empty()).then_some(bucket);
    }
    if let Some(i) = host.find(".s3.").or_else(|| host.find(".s3-")) {
        let bucket = host.get(..i)?;
        return (!bucket.is_empty()).then_some(bucket);
    }
    None
}

/// Decodes `%XX` in a URL path; `+` stays `+` (it is not a form body).
pub fn percent_decode_path(raw: &str) -> Result<String, RouteError> {
    let mut out = Vec::with_capacity(raw.len());
    let mut bytes = raw.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hi = bytes.next().and_then(|h| char::from(h).to_digit(16));
            let lo = bytes.next().and_then(|l| char::from(l).to_digit(16));
            match (hi, lo) {
                (Some(hi), Some(lo)) => {
                    out.push(u8::try_from(hi * 16 + lo).map_err(|_| RouteError::BadPath)?)
                }
                _ => return Err(RouteError::BadPath),
            }
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).map_err(|_| RouteError::BadPath)
}

fn has(query: &[(String, String)], name: &str) -> bool {
    query.iter().any(|(k, _)| k == name)
}

fn value<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Routes a request. `query` holds the decoded query parameters; `copy_source` says whether
/// an `x-amz-copy-source` header is present.
pub fn route(
    method: &str,
    host: Option<&str>,
    raw_path: &str,
    query: &[(String, String)],
    copy_source: bool,
) -> Result<S3Route, RouteError> {
    let path = percent_decode_path(raw_path)?;
    let path = path.strip_prefix('/').unwrap_or(&path);
    let (bucket, key) = match host.and_then(bucket_from_host) {
        Some(b) => (
            Some(b.to_owned()),
            (!path.is_empty()).then(|| path.to_owned()),
        ),
        None => match path.split_once('/') {
            Some((b, k)) => (Some(b.to_owned()), (!k.is_empty()).then(|| k.to_owned())),
            None if path.is_empty() => (None, None),
            None => (Some(path.to_owned()), None),
        },
    };
    let q = |name: &str| has(query, name);
    use S3Op::*;
    let op = match (bucket.is_some(), key.is_some(), method) {
        (false, _, "GET") => ListBuckets,
        (true, false, "PUT") if q("policy") => PutBucketPolicy,
        (true, false, "GET") if q("policy") => GetBucketPolicy,
        (true, false, "DELETE") if q("policy") => DeleteBucketPolicy,
        (true, false, "GET") if q("policyStatus") => GetBucketPolicyStatus,
        (true, false, "GET") if q("encryption") => GetBucketEncryption,
        (true, false, "PUT") if q("versioning") => PutBucketVersioning,
        (true, false, "GET") if q("versioning") => GetBucketVersioning,
        (true, false, "PUT") if q("tagging") => PutBucketTagging,
        (true, false, "GET") if q("tagging") => GetBucketTagging,
        (true, false, "DELETE") if q("tagging") => DeleteBucketTagging,
        (true, false, "GET") if q("acl") => GetBucketAcl,
        (true, false, "PUT") if q("acl") => PutBucketAcl,
        (true, false, "GET") if q("ownershipControls") => GetBucketOwnershipControls,
        (true, false, "PUT") if q("ownershipControls") => PutBucketOwnershipControls,
        (true, false, "GET") if q("publicAccessBlock") => GetPublicAccessBlock,
        (true, false, "PUT") if q("publicAccessBlock") => PutPublicAccessBlock,
        (true, false, "DELETE") if q("publicAccessBlock") => DeletePublicAccessBlock,
        (true, false, "GET") if q("location") => GetBucketLocation,
        (true, false, "GET") if q("versions") => ListObjectVersions,
        (true, false, "GET") if q("uploads") => ListMultipartUploads,
        (true, false, "POST") if q("delete") => DeleteObjects,
        (true, false, "GET") if value(query, "list-type") == Some("2") => ListObjectsV2,
        (true, false, "GET") if query.iter().all(|(k, _)| is_list_param(k)) => ListObjects,
        (true, false, "PUT") if query.is_empty() => CreateBucket,
        (true, false, "HEAD") => HeadBucket,
        (true, false, "DELETE") if query.is_empty() => DeleteBucket,
        (true, true, "GET") if q("acl") => GetObjectAcl,
        (true, true, "PUT") if q("acl") => PutObjectAcl,
        (true, true, "PUT") if q("tagging") => PutObjectTagging,
        (true, true, "GET") if q("tagging") => GetObjectTagging,
        (true, true, "DELETE") if q("tagging") => DeleteObjectTagging,
        (true, true, "POST") if q("uploads") => CreateMultipartUpload,
        (true, true, "PUT") if q("uploadId") && q("partNumber") && copy_source => UploadPartCopy,
        (true, true, "PUT") if q("uploadId") && q("partNumber") => UploadPart,
        (true, true, "POST") if q("uploadId") => CompleteMultipartUpload,
        (true, true, "DELETE") if q("uploadId") => AbortMultipartUpload,
        (true, true, "GET") if q("uploadId") => ListParts,
        // An object subresource roleplay does not serve names another operation: answering
        // it as the plain one would overwrite an object with a retention document, or
        // serve a body to a client expecting attributes.
        (true, true, m) if query.iter().any(|(k, _)| is_object_subresource(k)) => {
            return Err(RouteError::NotImplemented {
                method: m.to_owned(),
            });
        }
        (true, true, "PUT") if copy_source => CopyObject,
        (true, true, "PUT") => PutObject,
        (true, true, "GET") => GetObject,
        (true, true, "HEAD") => HeadObject,
        (true, true, "DELETE") => DeleteObject,
        (_, _, m) => {
            return Err(RouteError::NotImplemented {
                method: m.to_owned(),
            });
        }
    };
    Ok(S3Route { op, bucket, key })
}

/// Parameters of a plain (v1) listing and the response overrides of GETs.
/// Object subresources of S3 operations (botocore's S3 model) other than the plain object
/// operations' own parameters (`versionId`, `partNumber`, `response-*`, `x-id`); S3 ignores
/// other unknown query parameters, and so does roleplay.
fn is_object_subresource(name: &str) -> bool {
    matches!(
        name,
        "acl"
            | "attributes"
            | "legal-hold"
            | "retention"
            | "tagging"
            | "torrent"
            | "restore"
            | "select"
            | "select-type"
            | "renameObject"
            | "uploads"
            | "uploadId"
    )
}

fn is_list_param(name: &str) -> bool {
    matches!(
        name,
        "prefix" | "delimiter" | "marker" | "max-keys" | "encoding-type" | "x-id"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routed(
        method: &str,
        host: Option<&str>,
        path: &str,
        query: &[(&str, &str)],
        copy: bool,
    ) -> Result<S3Route, RouteError> {
        let q: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        route(method, host, path, &q, copy)
    }

    fn r(method: &str, host: Option<&str>, path: &str, query: &[(&str, &str)]) -> S3Route {
        routed(method, host, path, query, false).unwrap()
    }

    #[test]
    fn path_style() {
        assert_eq!(
            r("GET", Some("127.0.0.1:4566"), "/", &[]).op,
            S3Op::ListBuckets
        );
        let x = r("PUT", Some("localhost:4566"), "/b/a/../c%20d%2Fe", &[]);
        assert_eq!(x.op, S3Op::PutObject);
        assert_eq!(x.bucket.as_deref(), Some("b"));
        assert_eq!(x.key.as_deref(), Some("a/../c d/e"));
        assert_eq!(
            r("GET", None, "/b", &[("list-type", "2"), ("prefix", "")]).op,
            S3Op::ListObjectsV2
        );
        assert_eq!(
            r("GET", None, "/b/", &[("prefix", "x")]).op,
            S3Op::ListObjects
        );
        assert_eq!(r("PUT", None, "/b", &[]).op, S3Op::CreateBucket);
        assert_eq!(
            r("GET", None, "/b", &[("policy", "")]).op,
            S3Op::GetBucketPolicy
        );
        assert_eq!(
            r("GET", None, "/b", &[("encryption", "")]).op,
            S3Op::GetBucketEncryption
        );
        assert_eq!(
            r(
                "PUT",
                None,
                "/b/k",
                &[("partNumber", "1"), ("uploadId", "u")]
            )
            .op,
            S3Op::UploadPart
        );
    }

    #[test]
    fn virtual_hosted_style() {
        let x = r("GET", Some("my-bucket.localhost:4566"), "/dir/key", &[]);
        assert_eq!(x.bucket.as_deref(), Some("my-bucket"));
        assert_eq!(x.key.as_deref(), Some("dir/key"));
        let x = r(
            "GET",
            Some("my.bucket.s3.us-east-1.amazonaws.com"),
            "/",
            &[("list-type", "2")],
        );
        assert_eq!(x.bucket.as_deref(), Some("my.bucket"));
        assert_eq!(x.op, S3Op::ListObjectsV2);
        assert_eq!(bucket_from_host("s3.amazonaws.com"), None);
        assert_eq!(bucket_from_host("127.0.0.1:9000"), None);
    }

    #[test]
    fn bad_paths_and_unknown_operations() {
        assert_eq!(
            route("GET", None, "/b/%ff", &[], false),
            Err(RouteError::BadPath)
        );
        assert_eq!(
            route("GET", None, "/b/%4", &[], false),
            Err(RouteError::BadPath)
        );
        assert_eq!(r("GET", None, "/b/a+b", &[]).key.as_deref(), Some("a+b"));
        assert!(route("PATCH", None, "/b/k", &[], false).is_err());
    }

    #[test]
    fn unserved_object_subresources_are_not_the_plain_operations() {
        let not_implemented = |method: &str, query: &[(&str, &str)], copy: bool| {
            matches!(
                routed(method, None, "/b/k", query, copy),
                Err(RouteError::NotImplemented { .. })
            )
        };
        for (method, sub) in [
            ("GET", "attributes"),
            ("GET", "retention"),
            ("GET", "legal-hold"),
            ("GET", "torrent"),
            ("HEAD", "retention"),
            ("PUT", "retention"),
            ("PUT", "legal-hold"),
            ("PUT", "renameObject"),
            ("POST", "restore"),
            ("POST", "select"),
            ("DELETE", "retention"),
        ] {
            assert!(
                not_implemented(method, &[(sub, "")], false),
                "{method} ?{sub}"
            );
            assert!(
                not_implemented(method, &[("versionId", "v"), (sub, "")], false),
                "{method} ?versionId&{sub}"
            );
        }
        assert!(not_implemented("PUT", &[("retention", "")], true));
        // The plain operations' own parameters, and parameters S3 ignores.
        for (method, query, op) in [
            ("GET", vec![("versionId", "v")], S3Op::GetObject),
            ("GET", vec![("partNumber", "1")], S3Op::GetObject),
            (
                "GET",
                vec![("response-content-type", "a/b")],
                S3Op::GetObject,
            ),
            ("GET", vec![("x-id", "GetObject")], S3Op::GetObject),
            ("GET", vec![("cache-buster", "7")], S3Op::GetObject),
            ("HEAD", vec![("versionId", "v")], S3Op::HeadObject),
            ("PUT", vec![("x-id", "PutObject")], S3Op::PutObject),
            ("DELETE", vec![("versionId", "v")], S3Op::DeleteObject),
        ] {
            assert_eq!(r(method, None, "/b/k", &query).op, op, "{method} {query:?}");
        }
        // Subresources served keep their operations.
        assert_eq!(
            r("GET", None, "/b/k", &[("tagging", "")]).op,
            S3Op::GetObjectTagging
        );
        assert_eq!(
            r("PUT", None, "/b/k", &[("acl", "")]).op,
            S3Op::PutObjectAcl
        );
        assert_eq!(
            r("GET", None, "/b/k", &[("uploadId", "u")]).op,
            S3Op::ListParts
        );
    }
}
