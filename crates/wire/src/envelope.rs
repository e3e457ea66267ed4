//! The response envelopes, each written exactly once:
//!
//! - the query-protocol success envelope of IAM and STS, with or without a `{Op}Result`
//!   ([`query_response`], [`query_response_empty`]);
//! - the query-protocol error envelope ([`query_error`]);
//! - the S3 error body ([`s3_error`]).
//!
//! Shapes follow AWS's responses and botocore's `QueryParser` / `RestXMLParser`
//! (<https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html>,
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html>).

use crate::xml::XmlWriter;

/// The XML namespace of IAM responses (API version `2010-05-08`).
pub const IAM_NAMESPACE: &str = "https://iam.amazonaws.com/doc/2010-05-08/";
/// The XML namespace of STS responses (API version `2011-06-15`).
pub const STS_NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
/// The XML namespace of S3 success bodies (S3 error bodies have none).
pub const S3_NAMESPACE: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// Who is at fault for a query-protocol error: the `<Type>` of the error envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The caller's request is wrong (HTTP 4xx).
    Sender,
    /// The service failed (HTTP 5xx).
    Receiver,
}

impl Fault {
    /// The `<Type>` text: `Sender` or `Receiver`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sender => "Sender",
            Self::Receiver => "Receiver",
        }
    }
}

/// The query success envelope of an operation with output:
///
/// `<{op}Response xmlns="{namespace}"><{op}Result>…</{op}Result><ResponseMetadata><RequestId>…</RequestId></ResponseMetadata></{op}Response>`,
/// with `result` writing the members of the result.
#[must_use]
pub fn query_response(
    operation: &str,
    namespace: &str,
    request_id: &str,
    result: impl FnOnce(&mut XmlWriter),
) -> String {
    query_envelope(operation, namespace, request_id, Some(result))
}

/// The query success envelope of an operation without output (IAM `DeleteUser`): as
/// [`query_response`] without the `{op}Result` element.
#[must_use]
pub fn query_response_empty(operation: &str, namespace: &str, request_id: &str) -> String {
    query_envelope::<fn(&mut XmlWriter)>(operation, namespace, request_id, None)
}

fn query_envelope<F: FnOnce(&mut XmlWriter)>(
    operation: &str,
    namespace: &str,
    request_id: &str,
    result: Option<F>,
) -> String {
    let mut w = XmlWriter::new();
    w.element_with_attributes(
        &[operation, "Response"].concat(),
        &[("xmlns", namespace)],
        |w| {
            if let Some(result) = result {
                w.element(&[operation, "Result"].concat(), result);
            }
            w.element("ResponseMetadata", |w| {
                w.text_element("RequestId", request_id);
            });
        },
    );
    w.finish()
}

/// A query-protocol error, for [`query_error`].
#[derive(Debug, Clone, Copy)]
pub struct ErrorResponse<'a> {
    /// The service's namespace ([`IAM_NAMESPACE`], [`STS_NAMESPACE`]).
    pub namespace: &'a str,
    /// `Sender` for 4xx, `Receiver` for 5xx.
    pub fault: Fault,
    /// The error code (`AccessDenied`, `NoSuchEntity`).
    pub code: &'a str,
    /// The human-readable message.
    pub message: &'a str,
    /// The request id, also sent as `x-amzn-RequestId`.
    pub request_id: &'a str,
}

/// The query error envelope:
///
/// `<ErrorResponse xmlns="{namespace}"><Error><Type>{fault}</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>…</RequestId></ErrorResponse>`.
#[must_use]
pub fn query_error(error: &ErrorResponse<'_>) -> String {
    let mut w = XmlWriter::new();
    w.element_with_attributes("ErrorResponse", &[("xmlns", error.namespace)], |w| {
        w.element("Error", |w| {
            w.text_element("Type", error.fault.as_str())
                .text_element("Code", error.code)
                .text_element("Message", error.message);
        })
        .text_element("RequestId", error.request_id);
    });
    w.finish()
}

/// An S3 error body, for [`s3_error`].
#[derive(Debug, Clone, Copy)]
pub struct S3Error<'a> {
    /// The error code (`NoSuchBucket`).
    pub code: &'a str,
    /// The human-readable message (`The specified bucket does not exist`).
    pub message: &'a str,
    /// Extra elements written between `Message` and `RequestId`, in order
    /// (`[("BucketName", "b")]`, `[("Key", "k")]`, `[("Resource", "/b/k")]`).
    pub extra: &'a [(&'a str, &'a str)],
    /// The `x-amz-request-id` of the response.
    pub request_id: &'a str,
    /// The `x-amz-id-2` of the response.
    pub host_id: &'a str,
}

/// The S3 error body:
///
/// `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>…</Code><Message>…</Message>{extra}<RequestId>…</RequestId><HostId>…</HostId></Error>`.
#[must_use]
pub fn s3_error(error: &S3Error<'_>) -> String {
    let mut w = XmlWriter::with_declaration();
    w.element("Error", |w| {
        w.text_element("Code", error.code)
            .text_element("Message", error.message);
        for (name, value) in error.extra {
            w.text_element(name, value);
        }
        w.text_element("RequestId", error.request_id)
            .text_element("HostId", error.host_id);
    });
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_response_has_no_result() {
        assert_eq!(
            query_response_empty("DeleteUser", IAM_NAMESPACE, "r"),
            "<DeleteUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
             <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DeleteUserResponse>"
        );
    }

    #[test]
    fn error_message_is_escaped() {
        let body = query_error(&ErrorResponse {
            namespace: STS_NAMESPACE,
            fault: Fault::Sender,
            code: "ValidationError",
            message: "a<b",
            request_id: "r",
        });
        assert!(body.contains("<Message>a&lt;b</Message>"));
    }
}
