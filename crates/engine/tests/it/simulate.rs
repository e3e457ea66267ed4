//! The policy simulator: decisions as live requests make them, statements with positions,
//! the trust policy of a role for `sts:AssumeRole`, and AWS's input errors.

use crate::common::{NOW, allow, assert_denied, assert_error, env};
use roleplay_engine::iam::{
    ContextEntry, CreatePolicyInput, EvaluationResult, Owner, SimulateInput, SourcePolicyType,
};
use roleplay_engine::{ErrorCode, Identity};
use roleplay_policy::{Decision, Position};

const A_ROOT_KEY: &str = "AKIARZKVVYOZUEQH746Y";
const ALICE: &str = "arn:aws:iam::123123123123:user/alice";
const ROLE: &str = "arn:aws:iam::345345345345:role/accounta";

fn actions(names: &[&str]) -> SimulateInput {
    SimulateInput {
        action_names: names.iter().map(|s| (*s).to_owned()).collect(),
        ..SimulateInput::default()
    }
}

fn on(mut input: SimulateInput, resources: &[&str]) -> SimulateInput {
    input.resource_arns = resources.iter().map(|s| (*s).to_owned()).collect();
    input
}

fn pos(line: u32, column: u32) -> Option<Position> {
    Some(Position { line, column })
}

fn only(results: Vec<EvaluationResult>) -> EvaluationResult {
    assert_eq!(results.len(), 1, "{results:?}");
    results.into_iter().next().unwrap()
}

fn a_root(env: &crate::common::Env) -> Identity {
    env.engine
        .authenticate(A_ROOT_KEY, None, NOW)
        .unwrap()
        .identity
}

#[test]
fn assume_role_is_decided_with_the_trust_policy() {
    let env = env();
    let a = a_root(&env);
    let r = only(
        env.engine
            .simulate_principal_policy(
                &a,
                &env.info,
                ALICE,
                &on(actions(&["sts:AssumeRole"]), &[ROLE]),
            )
            .unwrap(),
    );
    assert_eq!(r.result.decision, Decision::Allow);
    let ids: Vec<_> = r
        .result
        .matched
        .iter()
        .map(|m| (m.source_policy_id.as_str(), m.source_policy_type))
        .collect();
    assert_eq!(
        ids,
        [
            (ROLE, SourcePolicyType::Resource),
            ("assume-accounta", SourcePolicyType::User)
        ]
    );
    // The scenario's documents: each statement opens on line 4 at column 5; IAM reports the
    // position just after each brace.
    let spans: Vec<_> = r.result.matched.iter().map(|m| (m.start, m.end)).collect();
    assert_eq!(spans, [(pos(4, 6), pos(9, 6)), (pos(4, 6), pos(8, 6))]);
    assert_eq!(
        r.result.details,
        [
            ("IAM Policy", Decision::Allow),
            ("Resource Policy", Decision::Allow)
        ]
    );
    assert_eq!(r.resource_specific.len(), 1);

    // A role that does not trust account A: the identity policy alone is not enough.
    let b = &env.root;
    env.engine
        .create_role(
            b,
            &env.info,
            roleplay_engine::iam::CreateRoleInput {
                role_name: "closed".into(),
                assume_role_policy_document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::345345345345:root"},"Action":"sts:AssumeRole"}]}"#.into(),
                ..Default::default()
            },
        )
        .unwrap();
    env.engine
        .put_inline_policy(
            &a,
            &env.info,
            Owner::User,
            "alice",
            "all",
            &allow("sts:AssumeRole"),
        )
        .unwrap();
    let r = only(
        env.engine
            .simulate_principal_policy(
                &a,
                &env.info,
                ALICE,
                &on(
                    actions(&["sts:AssumeRole"]),
                    &["arn:aws:iam::345345345345:role/closed"],
                ),
            )
            .unwrap(),
    );
    assert_eq!(r.result.decision, Decision::ImplicitDeny);
    assert!(r.result.matched.is_empty());
    assert_eq!(
        r.result.details,
        [
            ("IAM Policy", Decision::Allow),
            ("Resource Policy", Decision::ImplicitDeny)
        ]
    );
}

#[test]
fn input_policies_boundaries_and_explicit_denies() {
    let env = env();
    let (e, b, info) = (&env.engine, &env.root, &env.info);
    e.create_policy(
        b,
        info,
        CreatePolicyInput {
            policy_name: "only-s3".into(),
            policy_document: allow("s3:*"),
            ..Default::default()
        },
    )
    .unwrap();
    e.create_user(
        b,
        info,
        "bounded",
        None,
        Some("arn:aws:iam::345345345345:policy/only-s3".into()),
        Vec::new(),
    )
    .unwrap();
    e.put_inline_policy(b, info, Owner::User, "bounded", "all", &allow("*"))
        .unwrap();
    let arn = "arn:aws:iam::345345345345:user/bounded";
    let results = e
        .simulate_principal_policy(b, info, arn, &actions(&["s3:GetObject", "iam:ListUsers"]))
        .unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0].result.decision, Decision::Allow);
    assert_eq!(results[0].result.allowed_by_boundary, Some(true));
    assert_eq!(results[1].result.decision, Decision::ImplicitDeny);
    assert_eq!(results[1].result.allowed_by_boundary, Some(false));
    // `*` inside one account: no per-resource results, no decision details.
    assert!(results[0].resource_specific.is_empty());
    assert!(!results[0].has_details);

    // A given boundary replaces the entity's; an input policy's Deny wins and is the only
    // statement reported.
    let mut input = actions(&["s3:GetObject"]);
    input.permissions_boundary_policy_input_list = vec![allow("iam:*")];
    let r = only(e.simulate_principal_policy(b, info, arn, &input).unwrap());
    assert_eq!(r.result.decision, Decision::ImplicitDeny);
    assert_eq!(r.result.allowed_by_boundary, Some(false));
    let mut input = actions(&["s3:GetObject"]);
    input.policy_input_list = vec![
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},
  {"Effect":"Deny","Action":"s3:Get*","Resource":"*"}]}"#
            .into(),
    ];
    let r = only(e.simulate_principal_policy(b, info, arn, &input).unwrap());
    assert_eq!(r.result.decision, Decision::ExplicitDeny);
    assert_eq!(r.result.matched.len(), 1);
    let m = &r.result.matched[0];
    assert_eq!(m.source_policy_id, "PolicyInputList.1");
    assert_eq!(m.source_policy_type, SourcePolicyType::None);
    assert_eq!((m.start, m.end), (pos(2, 4), pos(2, 54)));
}

#[test]
fn context_entries_and_missing_keys() {
    let env = env();
    let (e, b, info) = (&env.engine, &env.root, &env.info);
    let policy = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"},"Bool":{"aws:MultiFactorAuthPresent":"true"}}}}"#;
    let mut input = on(
        actions(&["s3:GetObject"]),
        &["arn:aws:s3:::bucket/key", "*"],
    );
    input.policy_input_list = vec![policy.into()];
    let results = e.simulate_custom_policy(b, info, &input).unwrap();
    assert_eq!(results.len(), 2);
    // A named resource reports missing keys per resource; `*` at the top.
    let named = &results[0];
    assert_eq!(named.result.decision, Decision::ImplicitDeny);
    assert!(named.result.missing.is_empty());
    assert_eq!(
        named.resource_specific[0].missing,
        ["aws:SourceIp", "aws:MultiFactorAuthPresent"]
    );
    assert_eq!(results[1].result.missing.len(), 2);

    input.context_entries = vec![
        ContextEntry {
            name: "aws:SourceIp".into(),
            values: vec!["203.0.113.9".into()],
            key_type: Some("ip".into()),
        },
        ContextEntry {
            name: "aws:MultiFactorAuthPresent".into(),
            values: vec!["true".into()],
            key_type: Some("boolean".into()),
        },
    ];
    let results = e.simulate_custom_policy(b, info, &input).unwrap();
    assert!(results.iter().all(|r| r.result.decision == Decision::Allow));
    assert!(results[0].resource_specific[0].missing.is_empty());
    let m = &results[1].result.matched[0];
    assert_eq!((m.start, m.end), (pos(1, 38), pos(1, 199)));

    input.context_entries[0].values = vec!["not-an-ip".into()];
    assert_error(
        e.simulate_custom_policy(b, info, &input),
        ErrorCode::InvalidInput,
        "Invalid value not-an-ip for context key aws:SourceIp of type ip.",
    );
}

#[test]
fn resource_policy_needs_a_caller_and_decides_across_accounts() {
    let env = env();
    let (e, b, info) = (&env.engine, &env.root, &env.info);
    let bucket_policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123123123123:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::account-b-data/*"}]}"#;
    let mut input = on(
        actions(&["s3:GetObject"]),
        &["arn:aws:s3:::account-b-data/reports/hello.txt"],
    );
    input.policy_input_list = vec![allow("s3:GetObject")];
    input.resource_policy = Some(bucket_policy.into());
    assert_error(
        e.simulate_custom_policy(b, info, &input),
        ErrorCode::InvalidInput,
        "CallerArn is required when a ResourcePolicy is given.",
    );
    input.caller_arn = Some(ALICE.into());
    input.resource_owner = Some("arn:aws:iam::345345345345:root".into());
    let r = only(e.simulate_custom_policy(b, info, &input).unwrap());
    assert_eq!(r.result.decision, Decision::Allow);
    assert_eq!(r.result.matched.len(), 2);
    assert!(r.has_details);

    // Without the identity side, the cross-account request is denied.
    input.policy_input_list = vec![allow("s3:PutObject")];
    let r = only(e.simulate_custom_policy(b, info, &input).unwrap());
    assert_eq!(r.result.decision, Decision::ImplicitDeny);
    assert_eq!(
        r.result.details,
        [
            ("IAM Policy", Decision::ImplicitDeny),
            ("Resource Policy", Decision::Allow)
        ]
    );

    input.resource_owner = Some("B".into());
    assert_error(
        e.simulate_custom_policy(b, info, &input),
        ErrorCode::InvalidInput,
        "'B' is not a valid as a Resource Owner.",
    );
}

#[test]
fn sources_authorization_and_errors() {
    let env = env();
    let (e, b, info) = (&env.engine, &env.root, &env.info);
    let input = actions(&["s3:ListBucket"]);
    assert_error(
        e.simulate_principal_policy(
            b,
            info,
            "arn:aws:sts::345345345345:assumed-role/accounta/s",
            &input,
        ),
        ErrorCode::InvalidInput,
        "Invalid Entity Arn: arn:aws:sts::345345345345:assumed-role/accounta/s",
    );
    assert_error(
        e.simulate_principal_policy(b, info, "arn:aws:iam::345345345345:user/nobody", &input),
        ErrorCode::NoSuchEntity,
        "The user with name nobody cannot be found.",
    );
    // A role: its managed policy, evaluated for a session of the role.
    let r = only(e.simulate_principal_policy(b, info, ROLE, &input).unwrap());
    assert_eq!(r.result.decision, Decision::Allow);
    assert_eq!(r.result.matched[0].source_policy_id, "s3-all");
    assert_eq!(
        r.result.matched[0].source_policy_type,
        SourcePolicyType::UserManaged
    );
    let mut with_policy = input.clone();
    with_policy.resource_policy = Some(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}"#.into(),
    );
    assert_error(
        e.simulate_principal_policy(b, info, ROLE, &with_policy),
        ErrorCode::InvalidInput,
        "CallerArn is required when a ResourcePolicy is given and the PolicySourceArn is not an IAM user.",
    );
    // A group's policies, each a `group` source.
    e.create_group(b, info, "readers", None).unwrap();
    e.put_inline_policy(b, info, Owner::Group, "readers", "list", &allow("s3:List*"))
        .unwrap();
    let r = only(
        e.simulate_principal_policy(b, info, "arn:aws:iam::345345345345:group/readers", &input)
            .unwrap(),
    );
    assert_eq!(r.result.decision, Decision::Allow);
    assert_eq!(
        r.result.matched[0].source_policy_type,
        SourcePolicyType::Group
    );

    assert_error(
        e.simulate_custom_policy(b, info, &on(input.clone(), &["bucket"])),
        ErrorCode::InvalidInput,
        "ResourceNames are not in a valid ARN format: bucket.",
    );

    let many = vec!["*"; 10_001];
    assert_error(
        e.simulate_custom_policy(b, info, &on(input.clone(), &many)),
        ErrorCode::InvalidInput,
        "The simulation would decide 10001 action and resource pairs; at most 10000 are allowed.",
    );

    // A scenario of several resources: one result per action, the strongest denial deciding.
    let mut scenario = on(
        actions(&["s3:ListBucket"]),
        &["arn:aws:s3:::a", "arn:aws:s3:::b"],
    );
    scenario.policy_input_list = vec![allow("s3:*"), r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::b"}}"#.into()];
    scenario.resource_handling_option = Some("EC2-VPC-EBS".into());
    let r = only(e.simulate_custom_policy(b, info, &scenario).unwrap());
    assert_eq!(r.result.decision, Decision::ExplicitDeny);
    let each: Vec<_> = r.resource_specific.iter().map(|x| x.decision).collect();
    assert_eq!(each, [Decision::Allow, Decision::ExplicitDeny]);
    scenario.resource_handling_option = Some("EC2-Classic".into());
    assert_error(
        e.simulate_custom_policy(b, info, &scenario),
        ErrorCode::InvalidInput,
        "Invalid ResourceHandlingOption: EC2-Classic.",
    );

    // The simulator is itself authorized.
    let carol = env.user("carol", Some(&allow("iam:SimulateCustomPolicy")));
    let mut custom = input.clone();
    custom.policy_input_list = vec![allow("s3:*")];
    assert!(e.simulate_custom_policy(&carol, info, &custom).is_ok());
    assert_denied(
        e.simulate_principal_policy(&carol, info, ROLE, &input),
        "iam:SimulatePrincipalPolicy",
    );
}
