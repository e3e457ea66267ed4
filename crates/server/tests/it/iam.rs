//! IAM answers, byte for byte.

use crate::golden::{A_ROOT, B_ROOT, Call, Golden, xml_text};

/// A trust policy with whitespace and punctuation, so the URL encoding of the answer shows.
const TRUST: &str = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Principal\": { \"AWS\": \"arn:aws:iam::123123123123:root\" },\n      \"Action\": \"sts:AssumeRole\"\n    }\n  ]\n}";

const READ_USERS: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"ReadUsers","Effect":"Allow","Action":["iam:GetUser","iam:ListUsers"],"Resource":"*"}]}"#;

#[tokio::test]
async fn create_user() {
    let g = Golden::new();
    g.assert_matches(
        "iam/CreateUser/success",
        &Call::iam(
            "CreateUser",
            &[("UserName", "bob"), ("Path", "/engineering/")],
        )
        .by(&B_ROOT),
    )
    .await;
}

#[tokio::test]
async fn get_user_root() {
    let g = Golden::new();
    g.assert_matches("iam/GetUser/root", &Call::iam("GetUser", &[]).by(&B_ROOT))
        .await;
}

#[tokio::test]
async fn get_user_named() {
    let g = Golden::new();
    g.assert_matches(
        "iam/GetUser/user",
        &Call::iam("GetUser", &[("UserName", "alice")]).by(&A_ROOT),
    )
    .await;
}

#[tokio::test]
async fn list_users_one_per_page() {
    let g = Golden::new();
    // Sorted by name regardless of case: alice2, Bob, carol.
    for name in ["carol", "Bob", "alice2"] {
        g.ok(&Call::iam("CreateUser", &[("UserName", name)]).by(&B_ROOT))
            .await;
    }
    let first = g
        .assert_matches(
            "iam/ListUsers/max-items-1",
            &Call::iam("ListUsers", &[("MaxItems", "1")]).by(&B_ROOT),
        )
        .await;
    let marker = xml_text(&first.body, "Marker");
    let second = g
        .assert_matches(
            "iam/ListUsers/marker",
            &Call::iam("ListUsers", &[("MaxItems", "1"), ("Marker", &marker)]).by(&B_ROOT),
        )
        .await;
    let marker = xml_text(&second.body, "Marker");
    g.assert_matches(
        "iam/ListUsers/last-page",
        &Call::iam("ListUsers", &[("MaxItems", "1"), ("Marker", &marker)]).by(&B_ROOT),
    )
    .await;
}

#[tokio::test]
async fn create_role() {
    let g = Golden::new();
    g.assert_matches(
        "iam/CreateRole/success",
        &Call::iam(
            "CreateRole",
            &[
                ("RoleName", "golden-role"),
                ("AssumeRolePolicyDocument", TRUST),
                ("Description", "Trusted by account A & its users"),
            ],
        )
        .by(&B_ROOT),
    )
    .await;
}

#[tokio::test]
async fn get_role() {
    let g = Golden::new();
    g.assert_matches(
        "iam/GetRole/success",
        &Call::iam("GetRole", &[("RoleName", "accounta")]).by(&B_ROOT),
    )
    .await;
}

#[tokio::test]
async fn create_policy() {
    let g = Golden::new();
    g.assert_matches(
        "iam/CreatePolicy/success",
        &Call::iam(
            "CreatePolicy",
            &[
                ("PolicyName", "read-users"),
                ("PolicyDocument", READ_USERS),
                ("Description", "Read IAM users"),
            ],
        )
        .by(&B_ROOT),
    )
    .await;
}

#[tokio::test]
async fn attach_role_policy() {
    let g = Golden::new();
    g.assert_matches(
        "iam/AttachRolePolicy/success",
        &Call::iam(
            "AttachRolePolicy",
            &[
                ("RoleName", "accounta"),
                ("PolicyArn", "arn:aws:iam::aws:policy/IAMReadOnlyAccess"),
            ],
        )
        .by(&B_ROOT),
    )
    .await;
}

#[tokio::test]
async fn get_role_policy() {
    let g = Golden::new();
    g.ok(&Call::iam(
        "PutRolePolicy",
        &[
            ("RoleName", "accounta"),
            ("PolicyName", "read-users"),
            ("PolicyDocument", READ_USERS),
        ],
    )
    .by(&B_ROOT))
        .await;
    g.assert_matches(
        "iam/GetRolePolicy/success",
        &Call::iam(
            "GetRolePolicy",
            &[("RoleName", "accounta"), ("PolicyName", "read-users")],
        )
        .by(&B_ROOT),
    )
    .await;
}
