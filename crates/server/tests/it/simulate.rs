//! The policy simulator's answers, byte for byte.

use crate::golden::{A_ROOT, B_ROOT, Call, Golden, xml_text};

const ALICE_ARN: &str = "arn:aws:iam::123123123123:user/alice";
const ROLE: &str = "arn:aws:iam::345345345345:role/accounta";

/// Two statements on separate lines, so the positions show.
const CONDITIONAL: &str = "{\"Version\":\"2012-10-17\",\"Statement\":[\n  {\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\",\n   \"Condition\":{\"IpAddress\":{\"aws:SourceIp\":\"203.0.113.0/24\"}}},\n  {\"Effect\":\"Deny\",\"Action\":\"s3:DeleteObject\",\"Resource\":\"*\"}\n]}";

#[tokio::test]
async fn principal_policy_assume_role_through_the_trust_policy() {
    let g = Golden::new();
    // Across accounts: alice's identity policy and role accounta's trust policy both allow.
    g.assert_matches(
        "iam/SimulatePrincipalPolicy/assume-role",
        &Call::iam(
            "SimulatePrincipalPolicy",
            &[
                ("PolicySourceArn", ALICE_ARN),
                ("ActionNames.member.1", "sts:AssumeRole"),
                ("ResourceArns.member.1", ROLE),
            ],
        )
        .by(&A_ROOT),
    )
    .await;
}

#[tokio::test]
async fn principal_policy_of_a_role_on_every_resource() {
    let g = Golden::new();
    g.assert_matches(
        "iam/SimulatePrincipalPolicy/role",
        &Call::iam(
            "SimulatePrincipalPolicy",
            &[
                ("PolicySourceArn", ROLE),
                ("ActionNames.member.1", "s3:GetObject"),
                ("ActionNames.member.2", "iam:ListUsers"),
            ],
        )
        .by(&B_ROOT),
    )
    .await;
}

#[tokio::test]
async fn custom_policy_context_entries_and_pages() {
    let g = Golden::new();
    let params = |marker: Option<&str>| {
        let mut p = vec![
            ("PolicyInputList.member.1", CONDITIONAL.to_owned()),
            ("ActionNames.member.1", "s3:GetObject".to_owned()),
            ("ActionNames.member.2", "s3:DeleteObject".to_owned()),
            (
                "ResourceArns.member.1",
                "arn:aws:s3:::account-b-data/reports/hello.txt".to_owned(),
            ),
            (
                "ContextEntries.member.1.ContextKeyName",
                "aws:SourceIp".to_owned(),
            ),
            (
                "ContextEntries.member.1.ContextKeyValues.member.1",
                "203.0.113.7".to_owned(),
            ),
            ("ContextEntries.member.1.ContextKeyType", "ip".to_owned()),
            ("MaxItems", "1".to_owned()),
        ];
        if let Some(m) = marker {
            p.push(("Marker", m.to_owned()));
        }
        p
    };
    let call = |p: &[(&str, String)]| {
        let refs: Vec<(&str, &str)> = p.iter().map(|(k, v)| (*k, v.as_str())).collect();
        Call::iam("SimulateCustomPolicy", &refs).by(&B_ROOT)
    };
    let first = g
        .assert_matches("iam/SimulateCustomPolicy/first-page", &call(&params(None)))
        .await;
    let marker = xml_text(&first.body, "Marker");
    g.assert_matches(
        "iam/SimulateCustomPolicy/last-page",
        &call(&params(Some(&marker))),
    )
    .await;
}

#[tokio::test]
async fn simulator_errors() {
    let g = Golden::new();
    g.assert_matches(
        "iam/SimulatePrincipalPolicy/missing-action-names",
        &Call::iam("SimulatePrincipalPolicy", &[("PolicySourceArn", ROLE)]).by(&B_ROOT),
    )
    .await;
    g.assert_matches(
        "iam/SimulateCustomPolicy/short-action-name",
        &Call::iam(
            "SimulateCustomPolicy",
            &[
                ("PolicyInputList.member.1", CONDITIONAL),
                ("ActionNames.member.1", "s3:GetObject"),
                ("ActionNames.member.2", "s3"),
                ("ContextEntries.member.1.ContextKeyName", "aws:SourceIp"),
                ("ContextEntries.member.1.ContextKeyType", "address"),
            ],
        )
        .by(&B_ROOT),
    )
    .await;
    g.assert_matches(
        "iam/SimulatePrincipalPolicy/no-such-user",
        &Call::iam(
            "SimulatePrincipalPolicy",
            &[
                ("PolicySourceArn", "arn:aws:iam::345345345345:user/nobody"),
                ("ActionNames.member.1", "s3:GetObject"),
            ],
        )
        .by(&B_ROOT),
    )
    .await;
    g.assert_matches(
        "iam/SimulateCustomPolicy/resource-policy-without-caller",
        &Call::iam(
            "SimulateCustomPolicy",
            &[
                ("PolicyInputList.member.1", CONDITIONAL),
                ("ActionNames.member.1", "s3:GetObject"),
                (
                    "ResourcePolicy",
                    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}"#,
                ),
            ],
        )
        .by(&B_ROOT),
    )
    .await;
}
