//! Properties of parsing and deciding that must hold for every input.

use proptest::prelude::*;
use roleplay_policy::{
    Caller, Decision, Policy, PolicyKind, PolicySet, Principal, Request, decide,
};
use serde_json::{Value, json};

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        prop::sample::select(vec![
            "Version",
            "2012-10-17",
            "Allow",
            "Deny",
            "*",
            "s3:*",
            "sts:AssumeRole",
            "arn:aws:s3:::b/*",
            "arn:aws:iam::111111111111:root",
            "StringLike",
            "${aws:username}",
            "aws:SourceIp",
            "10.0.0.0/8",
            "ForAnyValue:StringEquals",
            "NullIfExists",
            "",
        ])
        .prop_map(|s| Value::String(s.into())),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop::sample::select(vec![
                        "Version",
                        "Id",
                        "Statement",
                        "Sid",
                        "Effect",
                        "Principal",
                        "NotPrincipal",
                        "Action",
                        "NotAction",
                        "Resource",
                        "NotResource",
                        "Condition",
                        "AWS",
                        "Service",
                        "StringEquals",
                        "DateLessThan",
                        "IpAddress",
                        "Null",
                        "aws:username",
                        "other",
                    ]),
                    inner
                ),
                0..6
            )
            .prop_map(|members| Value::Object(
                members
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect()
            )),
        ]
    })
}

const KINDS: [PolicyKind; 5] = [
    PolicyKind::Identity,
    PolicyKind::Resource,
    PolicyKind::Trust,
    PolicyKind::PermissionsBoundary,
    PolicyKind::Session,
];

proptest! {
    #[test]
    fn parsing_arbitrary_json_never_panics(doc in arb_json()) {
        let text = doc.to_string();
        for kind in KINDS {
            if let Err(e) = Policy::parse(&text, kind) {
                prop_assert!(!e.aws_message().is_empty());
                prop_assert!(e.first().is_some());
            }
        }
    }

    #[test]
    fn parsing_arbitrary_text_never_panics(text in ".{0,200}") {
        for kind in KINDS {
            let _ = Policy::parse(&text, kind);
        }
    }
}

/// An abstract statement: all fields drawn from small pools so that matches are frequent.
#[derive(Debug, Clone)]
struct Stmt {
    allow: bool,
    action: &'static str,
    resource: &'static str,
    principal: &'static str,
    condition: Option<Value>,
}

impl Stmt {
    fn to_json(&self, with_principal: bool) -> Value {
        let mut s = json!({
            "Effect": if self.allow { "Allow" } else { "Deny" },
            "Action": self.action,
            "Resource": self.resource,
        });
        if with_principal {
            s["Principal"] = json!({ "AWS": self.principal });
        }
        if let Some(c) = &self.condition {
            s["Condition"] = c.clone();
        }
        s
    }
}

fn arb_stmt() -> impl Strategy<Value = Stmt> {
    (
        any::<bool>(),
        prop::sample::select(vec![
            "s3:GetObject",
            "s3:*",
            "s3:Put*",
            "iam:*",
            "*",
            "S3:get?bject",
        ]),
        prop::sample::select(vec![
            "*",
            "arn:aws:s3:::b/*",
            "arn:aws:s3:::other/*",
            "arn:aws:s3:::b/k",
        ]),
        prop::sample::select(vec![
            "*",
            "111111111111",
            "222222222222",
            "arn:aws:iam::111111111111:user/alice",
            "arn:aws:iam::111111111111:role/r",
            "arn:aws:sts::111111111111:assumed-role/r/s",
        ]),
        prop::option::of(prop::sample::select(vec![
            json!({"StringEquals": {"aws:PrincipalAccount": "111111111111"}}),
            json!({"Bool": {"aws:SecureTransport": "true"}}),
            json!({"StringLike": {"aws:userid": "AIDA*"}}),
            json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
        ])),
    )
        .prop_map(|(allow, action, resource, principal, condition)| Stmt {
            allow,
            action,
            resource,
            principal,
            condition,
        })
}

#[derive(Debug, Clone)]
struct Scenario {
    caller: usize,
    resource_account: &'static str,
    action: &'static str,
    source_ip: &'static str,
    identity: Vec<Vec<Stmt>>,
    resource: Option<Vec<Stmt>>,
    boundary: Option<Vec<Stmt>>,
    session: Option<Vec<Stmt>>,
}

fn arb_policy() -> impl Strategy<Value = Vec<Stmt>> {
    prop::collection::vec(arb_stmt(), 1..5)
}

fn arb_scenario() -> impl Strategy<Value = Scenario> {
    (
        0usize..3,
        prop::sample::select(vec!["111111111111", "222222222222"]),
        prop::sample::select(vec!["s3:GetObject", "s3:PutObject", "iam:CreateUser"]),
        prop::sample::select(vec!["10.1.2.3", "192.0.2.1"]),
        prop::collection::vec(arb_policy(), 0..3),
        prop::option::of(arb_policy()),
        prop::option::of(arb_policy()),
        prop::option::of(arb_policy()),
    )
        .prop_map(
            |(
                caller,
                resource_account,
                action,
                source_ip,
                identity,
                resource,
                boundary,
                session,
            )| {
                Scenario {
                    caller,
                    resource_account,
                    action,
                    source_ip,
                    identity,
                    resource,
                    boundary,
                    session,
                }
            },
        )
}

fn callers() -> [Caller; 3] {
    [
        Caller::new(Principal::User {
            arn: "arn:aws:iam::111111111111:user/alice".into(),
            id: "AIDAALICE0000000000A".into(),
        }),
        Caller::new(Principal::RoleSession {
            arn: "arn:aws:sts::111111111111:assumed-role/r/s".into(),
            role_arn: "arn:aws:iam::111111111111:role/r".into(),
            role_id: "AROAROLE00000000000R".into(),
        }),
        Caller::new(Principal::Root {
            account: "111111111111".into(),
        }),
    ]
}

fn build(stmts: &[Stmt], kind: PolicyKind, id: &str) -> Option<Policy> {
    if stmts.is_empty() {
        return None;
    }
    let with_principal = kind.has_principal();
    let doc = json!({
        "Version": "2012-10-17",
        "Statement": stmts.iter().map(|s| s.to_json(with_principal)).collect::<Vec<_>>(),
    });
    Some(
        Policy::parse(&doc.to_string(), kind)
            .expect("generated policies are valid")
            .with_id(id),
    )
}

/// Decides a scenario; `edit` may change every policy's statements first.
fn run(
    sc: &Scenario,
    edit: &dyn Fn(&[Stmt]) -> Vec<Stmt>,
    reverse: bool,
) -> (Decision, Option<PolicyKind>) {
    let callers = callers();
    let caller = callers.get(sc.caller).unwrap();
    let mut ctx = caller.context();
    ctx.insert("aws:SecureTransport", "false");
    ctx.insert("aws:SourceIp", sc.source_ip);
    let mut identity: Vec<Policy> = sc
        .identity
        .iter()
        .enumerate()
        .filter_map(|(i, p)| build(&edit(p), PolicyKind::Identity, &format!("id{i}")))
        .collect();
    if reverse {
        identity.reverse();
    }
    let resource = sc
        .resource
        .as_ref()
        .and_then(|p| build(&edit(p), PolicyKind::Resource, "res"));
    let boundary = sc
        .boundary
        .as_ref()
        .map(|p| build(&edit(p), PolicyKind::PermissionsBoundary, "pb"));
    let session = sc
        .session
        .as_ref()
        .map(|p| build(&edit(p), PolicyKind::Session, "sp"));
    // A boundary or session policy whose statements were all removed still exists and allows
    // nothing; model it with a statement that matches nothing.
    let nothing = Policy::parse(
        r#"{"Statement":{"Effect":"Allow","Action":"none:None","Resource":"*"}}"#,
        PolicyKind::Session,
    )
    .unwrap();
    let boundary_ref = boundary.as_ref().map(|b| b.as_ref().unwrap_or(&nothing));
    let session_list: Option<Vec<&Policy>> = session
        .as_ref()
        .map(|s| vec![s.as_ref().unwrap_or(&nothing)]);
    let identity_refs: Vec<&Policy> = identity.iter().collect();
    let request = Request {
        caller,
        action: sc.action,
        resource: "arn:aws:s3:::b/k",
        resource_account: Some(sc.resource_account),
        context: &ctx,
    };
    let set = PolicySet {
        identity: &identity_refs,
        resource: resource.as_ref(),
        boundary: boundary_ref,
        session: session_list.as_deref(),
    };
    let out = decide(&request, &set);
    (out.decision, out.denied_by)
}

fn same(p: &[Stmt]) -> Vec<Stmt> {
    p.to_vec()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn order_of_statements_and_policies_does_not_matter(sc in arb_scenario()) {
        let forward = run(&sc, &same, false);
        let backward = run(&sc, &|p: &[Stmt]| p.iter().rev().cloned().collect(), true);
        prop_assert_eq!(forward, backward);
    }

    #[test]
    fn a_matching_deny_never_allows(sc in arb_scenario(), kind in 0usize..2) {
        let mut sc = sc;
        let deny = Stmt {
            allow: false,
            action: sc.action,
            resource: "*",
            principal: "*",
            condition: None,
        };
        if kind == 0 || sc.resource.is_none() {
            sc.identity.push(vec![deny]);
        } else if let Some(r) = sc.resource.as_mut() {
            r.push(deny);
        }
        let (decision, _) = run(&sc, &same, false);
        prop_assert_eq!(decision, Decision::ExplicitDeny);
    }

    #[test]
    fn without_allows_nothing_is_allowed_except_root_at_home(sc in arb_scenario()) {
        let (decision, _) = run(&sc, &|p: &[Stmt]| p.iter().filter(|s| !s.allow).cloned().collect(), false);
        let root_at_home = sc.caller == 2 && sc.resource_account == "111111111111";
        if !root_at_home {
            prop_assert_ne!(decision, Decision::Allow);
        }
    }
}
