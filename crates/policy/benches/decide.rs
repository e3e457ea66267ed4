//! Decision latency: the seed's cross-account AssumeRole and S3 access, and a heavy policy set.
//!
//! Run: `cargo bench -p roleplay-policy --bench decide`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code fails loudly"
)]

use criterion::{Criterion, criterion_group, criterion_main};
use roleplay_policy::{Caller, Policy, PolicyKind, PolicySet, Principal, Request, decide};
use std::hint::black_box;

fn parse(text: &str, kind: PolicyKind) -> Policy {
    Policy::parse(text, kind).expect("bench policy parses")
}

fn seed(c: &mut Criterion) {
    let trust = parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
        "Principal":{"AWS":"arn:aws:iam::123123123123:root"},"Action":"sts:AssumeRole","Condition":{}}]}"#,
        PolicyKind::Trust,
    );
    let assume = parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole",
        "Resource":"arn:aws:iam::345345345345:role/accounta"}]}"#,
        PolicyKind::Identity,
    );
    let s3_all = parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
        PolicyKind::Identity,
    );
    let user = Caller::new(Principal::User {
        arn: "arn:aws:iam::123123123123:user/alice".into(),
        id: "AIDAALICE0000000000A".into(),
    });
    let user_ctx = user.context();
    let session = Caller::new(Principal::RoleSession {
        arn: "arn:aws:sts::345345345345:assumed-role/accounta/botocore-session-1".into(),
        role_arn: "arn:aws:iam::345345345345:role/accounta".into(),
        role_id: "AROAACCOUNTA0000000R".into(),
    });
    let session_ctx = session.context();

    c.bench_function("seed/assume_role_cross_account", |b| {
        let identity = [&assume];
        let set = PolicySet {
            identity: &identity,
            resource: Some(&trust),
            ..Default::default()
        };
        b.iter(|| {
            let req = Request {
                caller: &user,
                action: "sts:AssumeRole",
                resource: "arn:aws:iam::345345345345:role/accounta",
                resource_account: Some("345345345345"),
                context: &user_ctx,
            };
            black_box(decide(black_box(&req), &set).decision)
        })
    });

    c.bench_function("seed/s3_get_object_as_role_session", |b| {
        let identity = [&s3_all];
        let set = PolicySet {
            identity: &identity,
            ..Default::default()
        };
        b.iter(|| {
            let req = Request {
                caller: &session,
                action: "s3:GetObject",
                resource: "arn:aws:s3:::bucket-b/reports/2026/11.csv",
                resource_account: Some("345345345345"),
                context: &session_ctx,
            };
            black_box(decide(black_box(&req), &set).decision)
        })
    });

    c.bench_function("seed/caller_context", |b| {
        b.iter(|| black_box(session.context()))
    });
}

/// 10 policies x 20 statements with conditions and wildcards; the request matches late.
fn heavy(c: &mut Criterion) {
    let mut policies = Vec::new();
    for p in 0..10 {
        let mut statements = Vec::new();
        for s in 0..20 {
            let n = p * 20 + s;
            statements.push(format!(
                r#"{{"Sid":"S{n}","Effect":"Allow",
                "Action":["s3:Get*Tagging","s3:List*","ec2:Describe*{n}","iam:*Role{n}"],
                "Resource":["arn:aws:s3:::bucket-{n}/*","arn:aws:s3:::shared/team-{n}/*","arn:aws:iam::*:role/r{n}-*"],
                "Condition":{{"StringLike":{{"aws:PrincipalTag/team":["team-{n}","ops-*"]}},
                  "IpAddress":{{"aws:SourceIp":["10.{p}.0.0/16","192.168.{s}.0/24"]}},
                  "DateLessThan":{{"aws:CurrentTime":"2030-01-01T00:00:00Z"}},
                  "ForAnyValue:StringEquals":{{"aws:TagKeys":["k{n}","owner"]}}}}}}"#
            ));
        }
        // The last policy's last statement allows the request.
        if p == 9 {
            statements.push(
                r#"{"Sid":"Hit","Effect":"Allow","Action":"s3:GetObject",
                "Resource":"arn:aws:s3:::data-*/home/${aws:username}/*",
                "Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue"},"Bool":{"aws:SecureTransport":"false"}}}"#
                    .to_owned(),
            );
        }
        let doc = format!(
            r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
            statements.join(",")
        );
        policies.push(parse(&doc, PolicyKind::Identity).with_id(format!("p{p}")));
    }
    let mut caller = Caller::new(Principal::User {
        arn: "arn:aws:iam::111111111111:user/alice".into(),
        id: "AIDAALICE0000000000A".into(),
    });
    caller.tags.push(("team".into(), "blue".into()));
    let mut ctx = caller.context();
    ctx.insert("aws:SourceIp", "172.16.0.1");
    ctx.insert("aws:CurrentTime", "2026-11-27T12:00:00Z");
    ctx.insert("aws:SecureTransport", "false");
    let refs: Vec<&Policy> = policies.iter().collect();
    let set = PolicySet {
        identity: &refs,
        ..Default::default()
    };
    c.bench_function("heavy/10x20_with_conditions", |b| {
        b.iter(|| {
            let req = Request {
                caller: &caller,
                action: "s3:GetObject",
                resource: "arn:aws:s3:::data-eu/home/alice/file.txt",
                resource_account: None,
                context: &ctx,
            };
            let out = decide(black_box(&req), &set);
            assert!(out.is_allowed());
            black_box(out.decision)
        })
    });
}

criterion_group!(benches, seed, heavy);
criterion_main!(benches);
