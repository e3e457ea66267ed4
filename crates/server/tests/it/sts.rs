//! STS answers, byte for byte.

use crate::golden::{A_ROOT, ALICE, B_ROOT, Call, Golden, Keys};

const ACCOUNTA: &str = "arn:aws:iam::345345345345:role/accounta";

/// alice of account A in role `accounta` of account B, as the how-to does it.
async fn alice_in_accounta(g: &Golden) -> Keys {
    let body = g
        .ok(&Call::sts(
            "AssumeRole",
            &[("RoleArn", ACCOUNTA), ("RoleSessionName", "setup")],
        )
        .by(&ALICE))
        .await;
    Keys::from_answer(&body)
}

#[tokio::test]
async fn get_caller_identity_user() {
    let g = Golden::new();
    g.assert_matches(
        "sts/GetCallerIdentity/user",
        &Call::sts("GetCallerIdentity", &[]).by(&ALICE),
    )
    .await;
}

#[tokio::test]
async fn get_caller_identity_root() {
    let g = Golden::new();
    g.assert_matches(
        "sts/GetCallerIdentity/root",
        &Call::sts("GetCallerIdentity", &[]).by(&B_ROOT),
    )
    .await;
}

#[tokio::test]
async fn get_caller_identity_role_session() {
    let g = Golden::new();
    let session = alice_in_accounta(&g).await;
    g.assert_matches(
        "sts/GetCallerIdentity/role-session",
        &Call::sts("GetCallerIdentity", &[]).by(&session),
    )
    .await;
}

#[tokio::test]
async fn assume_role_success() {
    let g = Golden::new();
    g.assert_matches(
        "sts/AssumeRole/success",
        &Call::sts(
            "AssumeRole",
            &[
                ("RoleArn", ACCOUNTA),
                ("RoleSessionName", "golden-session"),
                ("DurationSeconds", "900"),
            ],
        )
        .by(&ALICE),
    )
    .await;
}

#[tokio::test]
async fn assume_role_session_policy() {
    // With a session policy the answer carries PackedPolicySize (roleplay's estimate).
    let g = Golden::new();
    g.assert_matches(
        "sts/AssumeRole/session-policy",
        &Call::sts(
            "AssumeRole",
            &[
                ("RoleArn", ACCOUNTA),
                ("RoleSessionName", "golden-session"),
                (
                    "Policy",
                    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#,
                ),
            ],
        )
        .by(&ALICE),
    )
    .await;
}

#[tokio::test]
async fn assume_role_access_denied() {
    // A role that does not exist is an AccessDenied like any other, never NoSuchEntity.
    let g = Golden::new();
    g.assert_matches(
        "sts/AssumeRole/access-denied",
        &Call::sts(
            "AssumeRole",
            &[
                ("RoleArn", "arn:aws:iam::345345345345:role/no-such-role"),
                ("RoleSessionName", "golden-session"),
            ],
        )
        .by(&ALICE),
    )
    .await;
}

#[tokio::test]
async fn assume_role_root_denied() {
    let g = Golden::new();
    g.assert_matches(
        "sts/AssumeRole/root",
        &Call::sts(
            "AssumeRole",
            &[("RoleArn", ACCOUNTA), ("RoleSessionName", "golden-session")],
        )
        .by(&A_ROOT),
    )
    .await;
}

#[tokio::test]
async fn get_session_token() {
    let g = Golden::new();
    g.assert_matches(
        "sts/GetSessionToken/user",
        &Call::sts("GetSessionToken", &[("DurationSeconds", "900")]).by(&ALICE),
    )
    .await;
}

#[tokio::test]
async fn get_access_key_info() {
    let g = Golden::new();
    g.assert_matches(
        "sts/GetAccessKeyInfo/other-account",
        &Call::sts("GetAccessKeyInfo", &[("AccessKeyId", ALICE.id.as_ref())]).by(&B_ROOT),
    )
    .await;
}
