//! Query decoding: scalars, lists, maps, `+`, bad encodings, limits, and no panics.

use proptest::prelude::*;
use roleplay_wire::query::{Limits, Params, QueryError, Violations, encode_form};

fn parse(s: &str) -> Result<Params, QueryError> {
    Params::from_form(s.as_bytes(), &Limits::default())
}

#[test]
fn decodes_an_assume_role_body_as_botocore_sends_it() {
    let body = "Action=AssumeRole&Version=2011-06-15\
        &RoleArn=arn%3Aaws%3Aiam%3A%3A345345345345%3Arole%2Faccounta\
        &RoleSessionName=botocore-session-1&DurationSeconds=900\
        &Tags.member.1.Key=team&Tags.member.1.Value=red+blue\
        &Tags.member.2.Key=cost&Tags.member.2.Value=\
        &TransitiveTagKeys.member.1=team\
        &PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess";
    let p = parse(body).unwrap();
    assert_eq!(p.action().unwrap(), "AssumeRole");
    assert_eq!(
        p.required("RoleArn").unwrap(),
        "arn:aws:iam::345345345345:role/accounta"
    );
    assert_eq!(p.optional_i64("DurationSeconds").unwrap(), Some(900));
    assert_eq!(p.optional("ExternalId"), None);

    let tags = p.structs("Tags").unwrap();
    let tags: Vec<(&str, Option<&str>)> = tags
        .iter()
        .map(|t| (t.required("Key").unwrap(), t.optional("Value")))
        .collect();
    assert_eq!(tags, [("team", Some("red blue")), ("cost", Some(""))]);
    assert_eq!(p.list("TransitiveTagKeys").unwrap(), ["team"]);
    let arns = p.structs("PolicyArns").unwrap();
    assert_eq!(arns.len(), 1);
    assert_eq!(
        arns[0].required("arn").unwrap(),
        "arn:aws:iam::aws:policy/ReadOnlyAccess"
    );
    assert_eq!(arns[0].index(), 1);
    assert_eq!(arns[0].name("arn"), "PolicyArns.member.1.arn");
}

#[test]
fn round_trips_encode_form() {
    let pairs = [
        ("Action", "CreateRole"),
        (
            "AssumeRolePolicyDocument",
            r#"{"Statement": [{"Effect": "Allow"}]}"#,
        ),
        ("Description", "a+b c&d=e%f é"),
    ];
    let p = parse(&encode_form(pairs)).unwrap();
    for (name, value) in pairs {
        assert_eq!(p.get(name), Some(value));
    }
}

#[test]
fn plus_is_space_and_percent_2b_is_plus() {
    let p = parse("A=a+b%2Bc%20d&B+C=1").unwrap();
    assert_eq!(p.get("A"), Some("a b+c d"));
    assert_eq!(p.get("B C"), Some("1"));
}

#[test]
fn lower_and_upper_hex_both_decode() {
    assert_eq!(parse("A=%2f%2F").unwrap().get("A"), Some("//"));
}

#[test]
fn list_members_come_back_in_numeric_order() {
    let body: String = (1..=12)
        .rev()
        .map(|i| format!("ClientIDList.member.{i}=c{i}&"))
        .collect();
    let p = parse(&body).unwrap();
    let expected: Vec<String> = (1..=12).map(|i| format!("c{i}")).collect();
    assert_eq!(p.list("ClientIDList").unwrap(), expected);
}

#[test]
fn empty_lists_absent_or_sent_as_name_equals_nothing() {
    let p = parse("Action=TagRole&Tags=").unwrap();
    assert!(p.structs("Tags").unwrap().is_empty());
    assert!(p.list("ClientIDList").unwrap().is_empty());
    assert!(p.contains("Tags"));
    assert!(!p.contains("ClientIDList"));
    assert!(parse("Tags.member.1.Key=k").unwrap().contains("Tags"));
}

#[test]
fn list_shape_errors_name_the_parameter() {
    let cases = [
        (
            "Tags.member.2.Key=k",
            "Tags",
            QueryError::ListGap {
                name: "Tags".into(),
                index: 1,
            },
        ),
        (
            "Tags.member.1.Key=k&Tags.member.3.Key=k",
            "Tags",
            QueryError::ListGap {
                name: "Tags".into(),
                index: 2,
            },
        ),
        (
            "Tags.member.0.Key=k",
            "Tags",
            QueryError::BadMember {
                name: "Tags.member.0.Key".into(),
            },
        ),
        (
            "Tags.member.01.Key=k",
            "Tags",
            QueryError::BadMember {
                name: "Tags.member.01.Key".into(),
            },
        ),
        (
            "Tags.member.x.Key=k",
            "Tags",
            QueryError::BadMember {
                name: "Tags.member.x.Key".into(),
            },
        ),
        (
            "Tags.member.1=k",
            "Tags",
            QueryError::BadMember {
                name: "Tags.member.1".into(),
            },
        ),
        (
            "Tags.member.1.=k",
            "Tags",
            QueryError::BadMember {
                name: "Tags.member.1.".into(),
            },
        ),
        (
            "Tags.entry.1.Key=k",
            "Tags",
            QueryError::BadMember {
                name: "Tags.entry.1.Key".into(),
            },
        ),
        (
            "Tags=x",
            "Tags",
            QueryError::BadMember {
                name: "Tags".into(),
            },
        ),
    ];
    for (body, list, expected) in cases {
        let err = parse(body).unwrap().structs(list).unwrap_err();
        assert_eq!(err, expected, "{body}");
        assert_eq!(err.code(), "InvalidParameterValue");
    }
    let err = parse("TransitiveTagKeys.member.1.Key=k")
        .unwrap()
        .list("TransitiveTagKeys")
        .unwrap_err();
    assert_eq!(err.parameter(), Some("TransitiveTagKeys.member.1.Key"));
}

#[test]
fn missing_struct_field_is_a_validation_error_at_the_member_path() {
    let p = parse("Tags.member.1.Value=v").unwrap();
    let tags = p.structs("Tags").unwrap();
    let err = tags[0].required("Key").unwrap_err();
    assert_eq!(err.code(), "ValidationError");
    assert_eq!(
        err.aws_message(),
        "1 validation error detected: Value null at 'tags.1.member.key' failed to satisfy constraint: Member must not be null"
    );
}

#[test]
fn maps_use_entry_key_value() {
    let p = parse(
        "Attributes.entry.2.key=b&Attributes.entry.2.value=2&Attributes.entry.1.key=a&Attributes.entry.1.value=1",
    )
    .unwrap();
    assert_eq!(p.map("Attributes").unwrap(), [("a", "1"), ("b", "2")]);
    assert!(p.map("Other").unwrap().is_empty());

    let half = parse("Attributes.entry.1.key=a").unwrap();
    assert_eq!(
        half.map("Attributes").unwrap_err(),
        QueryError::Missing {
            name: "Attributes.entry.1.value".into()
        }
    );
    let odd =
        parse("Attributes.entry.1.key=a&Attributes.entry.1.value=1&Attributes.entry.1.Kind=x")
            .unwrap();
    assert_eq!(
        odd.map("Attributes").unwrap_err(),
        QueryError::BadMember {
            name: "Attributes.entry.1.Kind".into()
        }
    );
}

#[test]
fn scalars_and_their_errors() {
    let p = parse("MaxItems=10&Neg=-5&Bad=ten&Flag=TRUE&No=false&Maybe=yes&Empty=").unwrap();
    assert_eq!(p.required_i64("MaxItems").unwrap(), 10);
    assert_eq!(p.optional_i64("Neg").unwrap(), Some(-5));
    assert_eq!(p.optional_i64("Absent").unwrap(), None);
    assert!(p.required_bool("Flag").unwrap());
    assert_eq!(p.optional_bool("No").unwrap(), Some(false));
    assert_eq!(p.required("Empty").unwrap(), "");

    let err = p.optional_i64("Bad").unwrap_err();
    assert_eq!(err.code(), "InvalidParameterValue");
    assert_eq!(err.parameter(), Some("Bad"));
    assert_eq!(err.to_string(), "`Bad` is not an integer: `ten`");
    assert_eq!(
        p.optional_bool("Maybe").unwrap_err().code(),
        "InvalidParameterValue"
    );
    assert_eq!(
        p.optional_i64("Empty").unwrap_err().code(),
        "InvalidParameterValue"
    );

    let missing = p.required("UserName").unwrap_err();
    assert_eq!(missing.code(), "ValidationError");
    assert_eq!(missing.parameter(), Some("UserName"));
    assert_eq!(missing.to_string(), "missing parameter `UserName`");
    assert_eq!(
        missing.aws_message(),
        "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null"
    );
    assert_eq!(
        p.required_i64("DurationSeconds").unwrap_err().code(),
        "ValidationError"
    );
}

#[test]
fn action_is_required_and_non_empty() {
    assert_eq!(
        parse("Version=2010-05-08").unwrap().action(),
        Err(QueryError::MissingAction)
    );
    assert_eq!(
        parse("Action=").unwrap().action(),
        Err(QueryError::MissingAction)
    );
    assert_eq!(QueryError::MissingAction.code(), "MissingAction");
}

#[test]
fn bad_encodings_are_errors() {
    for (body, name) in [
        ("A=%", "A"),
        ("A=%4", "A"),
        ("A=%zz", "A"),
        ("A=%4g", "A"),
        ("A%=1", "A%"),
        ("A%G1=1", "A%G1"),
    ] {
        let err = parse(body).unwrap_err();
        assert_eq!(err, QueryError::BadEncoding { name: name.into() }, "{body}");
        assert_eq!(err.code(), "MalformedQueryString");
    }
    assert_eq!(
        parse("A=%C3%28").unwrap_err(),
        QueryError::InvalidUtf8 { name: "A".into() }
    );
    assert_eq!(
        Params::from_form(b"A=\xff", &Limits::default()).unwrap_err(),
        QueryError::InvalidUtf8 { name: "A".into() }
    );
    assert_eq!(
        Params::from_form(b"\xff=1", &Limits::default()).unwrap_err(),
        QueryError::InvalidUtf8 {
            name: "\u{FFFD}".into()
        }
    );
    assert_eq!(parse("=1").unwrap_err(), QueryError::EmptyName);
}

#[test]
fn duplicates_are_errors_within_and_across_query_and_body() {
    assert_eq!(
        parse("A=1&A=2").unwrap_err(),
        QueryError::Duplicate { name: "A".into() }
    );
    assert_eq!(
        parse("A=1&%41=2").unwrap_err(),
        QueryError::Duplicate { name: "A".into() }
    );
    let limits = Limits::default();
    let both =
        Params::from_query_and_form(b"Action=GetCallerIdentity", b"Version=2011-06-15", &limits)
            .unwrap();
    assert_eq!(both.len(), 2);
    assert_eq!(
        Params::from_query_and_form(b"Action=A", b"Action=A", &limits).unwrap_err(),
        QueryError::Duplicate {
            name: "Action".into()
        }
    );
}

#[test]
fn limits_are_enforced() {
    let limits = Limits {
        max_parameters: 3,
        max_name_bytes: 8,
        max_value_bytes: 4,
    };
    assert_eq!(Params::from_form(b"a=1&b=2&c=3", &limits).unwrap().len(), 3);
    assert_eq!(
        Params::from_form(b"a=1&b=2&c=3&d=4", &limits).unwrap_err(),
        QueryError::TooManyParameters { limit: 3 }
    );
    assert_eq!(
        Params::from_query_and_form(b"a=1&b=2", b"c=3&d=4", &limits).unwrap_err(),
        QueryError::TooManyParameters { limit: 3 }
    );
    assert_eq!(
        Params::from_form(b"abcdefghi=1", &limits).unwrap_err(),
        QueryError::NameTooLong {
            name: "abcdefghi".into(),
            limit: 8
        }
    );
    assert_eq!(
        Params::from_form(b"a=12345", &limits).unwrap_err(),
        QueryError::ValueTooLong {
            name: "a".into(),
            limit: 4
        }
    );
    assert_eq!(
        Params::from_form(b"a=%31%32%33%34", &limits)
            .unwrap()
            .get("a"),
        Some("1234")
    );
}

#[test]
fn validation_errors_through_query_error() {
    let p = parse("RoleSessionName=a+b&DurationSeconds=100").unwrap();
    let mut v = Violations::new();
    v.pattern(
        "RoleSessionName",
        p.required("RoleSessionName").unwrap(),
        r"[\w+=,.@-]*",
    );
    v.check_range(
        "DurationSeconds",
        p.required_i64("DurationSeconds").unwrap(),
        900,
        43200,
    );
    let err = v.into_result().unwrap_err();
    assert_eq!(err.code(), "ValidationError");
    assert_eq!(
        err.aws_message(),
        r"2 validation errors detected: Value 'a b' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*; Value '100' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"
    );
}

proptest! {
    #[test]
    fn decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let limits = Limits { max_parameters: 8, max_name_bytes: 16, max_value_bytes: 32 };
        if let Ok(p) = Params::from_form(&bytes, &limits) {
            let _ = p.action();
            let _ = p.list("A");
            let _ = p.structs("A");
            let _ = p.map("A");
        }
        let _ = Params::from_query_and_form(&bytes, &bytes, &limits);
    }

    #[test]
    fn structured_noise_never_panics(s in "([A-Za-z]{1,3}(\\.(member|entry|[0-9]{1,3}|key|value|Key)){0,4}(=[%+a-z0-9]{0,4})?&?){0,10}") {
        if let Ok(p) = Params::from_form(s.as_bytes(), &Limits::default()) {
            for name in ["A", "a", "Ab", "Key"] {
                let _ = p.list(name);
                let _ = p.map(name);
                if let Ok(members) = p.structs(name) {
                    for m in members {
                        let _ = m.required("Key");
                        let _ = m.list("key");
                    }
                }
            }
        }
    }

    #[test]
    fn encode_then_decode_is_identity(
        pairs in proptest::collection::btree_map("[^\\x00]{1,12}", "\\PC{0,24}", 0..8)
    ) {
        let body = encode_form(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let p = Params::from_form(body.as_bytes(), &Limits::default()).unwrap();
        let decoded: Vec<(&str, &str)> = p.iter().collect();
        let expected: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        prop_assert_eq!(decoded, expected);
    }
}
