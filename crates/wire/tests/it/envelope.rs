//! Golden envelopes: the exact bytes the server will send.

use crate::fixtures;
use roleplay_wire::envelope::{self, ErrorResponse, Fault, IAM_NAMESPACE, S3Error};

#[test]
fn get_user_golden() {
    assert_eq!(
        fixtures::get_user(),
        concat!(
            r#"<GetUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">"#,
            "<GetUserResult><User><Path>/</Path><UserName>alice</UserName>",
            "<UserId>AIDAEXAMPLEALICE00001</UserId>",
            "<Arn>arn:aws:iam::123123123123:user/alice</Arn>",
            "<CreateDate>2026-11-27T19:43:17Z</CreateDate>",
            "<Tags><member><Key>team</Key><Value>a&amp;b &lt;c&gt;</Value></member></Tags>",
            "</User></GetUserResult>",
            "<ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ResponseMetadata>",
            "</GetUserResponse>"
        )
    );
}

#[test]
fn create_role_policy_document_is_url_encoded() {
    let body = fixtures::create_role();
    assert!(body.contains(concat!(
        "<AssumeRolePolicyDocument>",
        "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22",
        "%2C%22Principal%22%3A%7B%22AWS%22%3A%22arn%3Aaws%3Aiam%3A%3A123123123123%3Aroot%22%7D",
        "%2C%22Action%22%3A%22sts%3AAssumeRole%22%2C%22Condition%22%3A%7B%7D%7D%5D%7D",
        "</AssumeRolePolicyDocument>"
    )));
}

#[test]
fn list_users_golden() {
    assert_eq!(
        fixtures::list_users(),
        concat!(
            r#"<ListUsersResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListUsersResult>"#,
            "<Users><member><Path>/</Path><UserName>alice</UserName><UserId>AIDAEXAMPLEALICE00001</UserId>",
            "<Arn>arn:aws:iam::123123123123:user/alice</Arn><CreateDate>2026-11-27T19:43:17Z</CreateDate></member>",
            "<member><Path>/</Path><UserName>bob</UserName><UserId>AIDAEXAMPLEBOB0000001</UserId>",
            "<Arn>arn:aws:iam::123123123123:user/bob</Arn><CreateDate>2026-11-27T19:43:17Z</CreateDate></member></Users>",
            "<IsTruncated>true</IsTruncated><Marker>bob</Marker></ListUsersResult>",
            "<ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ResponseMetadata>",
            "</ListUsersResponse>"
        )
    );
}

#[test]
fn delete_user_golden_has_no_result() {
    assert_eq!(
        fixtures::delete_user(),
        concat!(
            r#"<DeleteUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">"#,
            "<ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ResponseMetadata>",
            "</DeleteUserResponse>"
        )
    );
}

#[test]
fn get_caller_identity_golden() {
    assert_eq!(
        fixtures::get_caller_identity(),
        concat!(
            r#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>"#,
            "<UserId>AROAEXAMPLEROLE000001:botocore-session-1</UserId><Account>345345345345</Account>",
            "<Arn>arn:aws:sts::345345345345:assumed-role/accounta/botocore-session-1</Arn>",
            "</GetCallerIdentityResult>",
            "<ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ResponseMetadata>",
            "</GetCallerIdentityResponse>"
        )
    );
}

#[test]
fn query_error_golden() {
    assert_eq!(
        fixtures::sts_error(),
        concat!(
            r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">"#,
            "<Error><Type>Sender</Type><Code>AccessDenied</Code>",
            "<Message>User: arn:aws:iam::123123123123:user/alice is not authorized to perform: ",
            "sts:AssumeRole on resource: arn:aws:iam::345345345345:role/accounta</Message></Error>",
            "<RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ErrorResponse>"
        )
    );
}

#[test]
fn receiver_fault_for_service_failures() {
    let body = envelope::query_error(&ErrorResponse {
        namespace: IAM_NAMESPACE,
        fault: Fault::Receiver,
        code: "ServiceFailure",
        message: "We encountered an internal error. Please try again.",
        request_id: "r",
    });
    assert_eq!(
        body,
        concat!(
            r#"<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">"#,
            "<Error><Type>Receiver</Type><Code>ServiceFailure</Code>",
            "<Message>We encountered an internal error. Please try again.</Message></Error>",
            "<RequestId>r</RequestId></ErrorResponse>"
        )
    );
}

#[test]
fn s3_error_golden() {
    let body = envelope::s3_error(&S3Error {
        code: "NoSuchKey",
        message: "The specified key does not exist.",
        extra: &[("Key", "a&b.txt")],
        request_id: "4442587FB7D0A2F9",
        host_id: "aGVsbG8=",
    });
    assert_eq!(
        body,
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>",
            "<Key>a&amp;b.txt</Key><RequestId>4442587FB7D0A2F9</RequestId><HostId>aGVsbG8=</HostId></Error>"
        )
    );
}

#[test]
fn s3_error_without_extra_fields() {
    let body = envelope::s3_error(&S3Error {
        code: "AccessDenied",
        message: "Access Denied",
        extra: &[],
        request_id: "R",
        host_id: "H",
    });
    assert!(body.ends_with(
        "<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>R</RequestId><HostId>H</HostId></Error>"
    ));
}
