//! Error envelopes, byte for byte: entity errors, validation, unknown actions and the
//! authentication failures that happen before any operation runs.

use crate::golden::{A_ROOT, ALICE, B_ROOT, Call, Golden, Keys};

#[tokio::test]
async fn no_such_entity() {
    let g = Golden::new();
    g.assert_matches(
        "iam/GetRole/no-such-entity",
        &Call::iam("GetRole", &[("RoleName", "no-such-role")]).by(&B_ROOT),
    )
    .await;
}

#[tokio::test]
async fn entity_already_exists() {
    let g = Golden::new();
    g.assert_matches(
        "iam/CreateUser/entity-already-exists",
        &Call::iam("CreateUser", &[("UserName", "alice")]).by(&A_ROOT),
    )
    .await;
}

#[tokio::test]
async fn malformed_policy_document() {
    let g = Golden::new();
    g.assert_matches(
        "iam/CreatePolicy/malformed-policy-document",
        &Call::iam(
            "CreatePolicy",
            &[
                ("PolicyName", "broken"),
                (
                    "PolicyDocument",
                    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*"}]}"#,
                ),
            ],
        )
        .by(&B_ROOT),
    )
    .await;
}

#[tokio::test]
async fn validation_error() {
    let g = Golden::new();
    g.assert_matches(
        "iam/CreateUser/validation-error",
        &Call::iam("CreateUser", &[("UserName", "bad name!")]).by(&B_ROOT),
    )
    .await;
}

#[tokio::test]
async fn access_denied_iam() {
    let g = Golden::new();
    g.assert_matches(
        "iam/ListUsers/access-denied",
        &Call::iam("ListUsers", &[]).by(&ALICE),
    )
    .await;
}

#[tokio::test]
async fn invalid_action() {
    let g = Golden::new();
    g.assert_matches(
        "iam/DescribeUsers/invalid-action",
        &Call::iam("DescribeUsers", &[]).by(&B_ROOT),
    )
    .await;
}

#[tokio::test]
async fn missing_authentication_token() {
    let g = Golden::new();
    g.assert_matches(
        "iam/ListUsers/missing-authentication-token",
        &Call::iam("ListUsers", &[]),
    )
    .await;
}

#[tokio::test]
async fn signature_does_not_match() {
    let g = Golden::new();
    g.assert_matches(
        "sts/GetCallerIdentity/signature-does-not-match",
        &Call::sts("GetCallerIdentity", &[])
            .by(&ALICE.with_secret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY")),
    )
    .await;
}

#[tokio::test]
async fn invalid_client_token_id() {
    let g = Golden::new();
    g.assert_matches(
        "sts/GetCallerIdentity/invalid-client-token-id",
        &Call::sts("GetCallerIdentity", &[]).by(&Keys::new(
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
        )),
    )
    .await;
}
