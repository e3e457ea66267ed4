//! Parse and validate policy documents into compiled [`Policy`] values.
//!
//! Errors accumulate with their JSON location; [`ValidationErrors::aws_message`] renders the one
//! AWS would report. The checks follow IAM's order: syntax, version, principal placement,
//! legacy parsing (effect case, dates, ARN segments), Sids, actions, resources, ARN formats,
//! action vendors.

use crate::arn_pattern::ArnPattern;
use crate::condition::{CondValue, Condition, Operator};
use crate::document::{
    ActionBlock, AwsPrincipal, AwsPrincipalForm, Effect, Policy, PolicyKind, PrincipalBlock,
    PrincipalSet, ResourceBlock, ResourcePattern, Statement, Version,
};
use crate::error::{ErrorKind, ValidationError, ValidationErrors};
use crate::json::Json;
use crate::wildcard::Pattern;

/// Options beyond the policy kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParseOptions {
    /// Require `"Version": "2012-10-17"`, as managed policies (CreatePolicy) do.
    pub require_current_version: bool,
}

impl Policy {
    /// Parses and validates `text` as a policy of `kind`.
    pub fn parse(text: &str, kind: PolicyKind) -> Result<Policy, ValidationErrors> {
        Self::parse_with(text, kind, ParseOptions::default())
    }

    /// Parses and validates `text` as a policy of `kind` with `options`.
    pub fn parse_with(
        text: &str,
        kind: PolicyKind,
        options: ParseOptions,
    ) -> Result<Policy, ValidationErrors> {
        let mut p = Parser {
            kind,
            errors: Vec::new(),
        };
        let policy = match Json::parse(text) {
            Ok(json) => p.document(&json, options),
            Err(e) => {
                p.error("", ErrorKind::NotJson(e.to_string()));
                None
            }
        };
        match policy {
            Some(policy) if p.errors.is_empty() => Ok(policy),
            _ => Err(ValidationErrors::new(kind, p.errors)),
        }
    }
}

/// The size AWS counts against policy limits: characters other than whitespace.
pub fn policy_size(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}

/// Whether `text` uses only the characters IAM accepts in policy documents
/// (TAB, LF, CR and U+0020 to U+00FF).
pub fn has_valid_characters(text: &str) -> bool {
    text.chars()
        .all(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}'))
}

const PARTITIONS: &[&str] = &["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b"];

const IAM_RESOURCE_TYPES: &[&str] = &[
    "user/",
    "federated-user/",
    "role/",
    "group/",
    "instance-profile/",
    "mfa/",
    "server-certificate/",
    "policy/",
    "sms-mfa/",
    "saml-provider/",
    "oidc-provider/",
    "report/",
    "access-report/",
];

struct Parser {
    kind: PolicyKind,
    errors: Vec<ValidationError>,
}

/// Where a member lives, as `Statement[1].Condition`.
fn at(base: &str, member: &str) -> String {
    if base.is_empty() {
        member.to_owned()
    } else {
        format!("{base}.{member}")
    }
}

impl Parser {
    fn error(&mut self, location: &str, kind: ErrorKind) {
        self.errors.push(ValidationError {
            location: location.to_owned(),
            kind,
        });
    }

    fn wrong_type(&mut self, location: &str, expected: &'static str, found: &Json) {
        self.error(
            location,
            ErrorKind::WrongType {
                expected,
                found: found.type_name(),
            },
        );
    }

    fn document(&mut self, json: &Json, options: ParseOptions) -> Option<Policy> {
        let Json::Object(members) = json else {
            self.wrong_type("", "an object", json);
            return None;
        };
        let mut version = Version::Absent;
        let mut document_id = None;
        let mut statements_json: Option<(String, Vec<&Json>, bool)> = None;
        for (name, value) in members {
            match name.as_str() {
                "Version" => match value {
                    Json::String(v) if v == "2012-10-17" => version = Version::V2012_10_17,
                    Json::String(v) if v == "2008-10-17" => version = Version::V2008_10_17,
                    Json::String(v) => self.error("Version", ErrorKind::UnknownVersion(v.clone())),
                    other => self.wrong_type("Version", "a string", other),
                },
                "Id" => match value {
                    Json::String(v) => document_id = Some(v.clone()),
                    other => self.wrong_type("Id", "a string", other),
                },
                "Statement" => match value {
                    Json::Object(_) => {
                        statements_json = Some(("Statement".into(), vec![value], false));
                    }
                    Json::Array(items) => {
                        statements_json = Some(("Statement".into(), items.iter().collect(), true));
                    }
                    other => self.wrong_type("Statement", "an object or an array", other),
                },
                other => self.error(other, ErrorKind::UnknownElement(other.to_owned())),
            }
        }
        if options.require_current_version && version != Version::V2012_10_17 {
            self.error("Version", ErrorKind::VersionRequired);
        }
        let mut statements = Vec::new();
        let mut locations = Vec::new();
        match statements_json {
            Some((_, items, _)) if items.is_empty() => {
                self.error("Statement", ErrorKind::MissingStatement);
            }
            Some((base, items, indexed)) => {
                for (i, s) in items.iter().enumerate() {
                    let loc = if indexed {
                        format!("{base}[{i}]")
                    } else {
                        base.clone()
                    };
                    if let Some(stmt) = self.statement(&loc, s, version) {
                        statements.push(stmt);
                        locations.push(loc);
                    }
                }
            }
            None => self.error("Statement", ErrorKind::MissingStatement),
        }
        self.check_sids(&statements, &locations);
        Some(Policy {
            id: String::new(),
            kind: self.kind,
            version,
            document_id,
            statements,
        })
    }

    fn check_sids(&mut self, statements: &[Statement], locations: &[String]) {
        let mut seen: Vec<&str> = Vec::new();
        for (s, loc) in statements.iter().zip(locations) {
            let Some(sid) = s.sid.as_deref().filter(|s| !s.is_empty()) else {
                continue;
            };
            if seen.contains(&sid) {
                self.error(&at(loc, "Sid"), ErrorKind::DuplicateSid(sid.to_owned()));
            } else {
                seen.push(sid);
            }
        }
    }

    fn statement(&mut self, loc: &str, json: &Json, version: Version) -> Option<Statement> {
        let Json::Object(members) = json else {
            self.wrong_type(loc, "an object", json);
            return None;
        };
        let get = |name: &str| members.iter().find(|(k, _)| k == name).map(|(_, v)| v);
        for (name, _) in members {
            if !matches!(
                name.as_str(),
                "Sid"
                    | "Effect"
                    | "Principal"
                    | "NotPrincipal"
                    | "Action"
                    | "NotAction"
                    | "Resource"
                    | "NotResource"
                    | "Condition"
            ) {
                self.error(&at(loc, name), ErrorKind::UnknownElement(name.clone()));
            }
        }
        let before = self.errors.len();

        let sid = match get("Sid") {
            None => None,
            Some(Json::String(s)) => {
                let iam_rules = self.kind != PolicyKind::Resource;
                if iam_rules && !s.chars().all(|c| c.is_ascii_alphanumeric()) {
                    self.error(&at(loc, "Sid"), ErrorKind::InvalidSid(s.clone()));
                }
                Some(s.clone())
            }
            Some(other) => {
                self.wrong_type(&at(loc, "Sid"), "a string", other);
                None
            }
        };

        let effect = match get("Effect") {
            None => {
                self.error(&at(loc, "Effect"), ErrorKind::MissingEffect);
                None
            }
            Some(Json::String(e)) => match e.as_str() {
                "Allow" => Some(Effect::Allow),
                "Deny" => Some(Effect::Deny),
                e if e.eq_ignore_ascii_case("allow") || e.eq_ignore_ascii_case("deny") => {
                    self.error(&at(loc, "Effect"), ErrorKind::EffectCase(e.to_owned()));
                    None
                }
                e => {
                    self.error(&at(loc, "Effect"), ErrorKind::InvalidEffect(e.to_owned()));
                    None
                }
            },
            Some(other) => {
                self.wrong_type(&at(loc, "Effect"), "a string", other);
                None
            }
        };

        let principal = self.principal_element(loc, get("Principal"), get("NotPrincipal"));
        let action = self.action_element(loc, get("Action"), get("NotAction"));
        let resource = self.resource_element(loc, get("Resource"), get("NotResource"), version);
        let conditions = match get("Condition") {
            None => Vec::new(),
            Some(c) => self.conditions(&at(loc, "Condition"), c, version),
        };

        if self.errors.len() != before {
            return None;
        }
        Some(Statement {
            sid,
            effect: effect?,
            principal,
            action: action?,
            resource,
            conditions,
        })
    }

    fn strings(&mut self, loc: &str, json: &Json) -> Option<Vec<String>> {
        match json {
            Json::String(s) => Some(vec![s.clone()]),
            Json::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Json::String(s) => out.push(s.clone()),
                        other => {
                            self.wrong_type(&format!("{loc}[{i}]"), "a string", other);
                            return None;
                        }
                    }
                }
                Some(out)
            }
            other => {
                self.wrong_type(loc, "a string or an array of strings", other);
                None
            }
        }
    }

    fn action_element(
        &mut self,
        loc: &str,
        action: Option<&Json>,
        not_action: Option<&Json>,
    ) -> Option<ActionBlock> {
        let (negated, name, json) = match (action, not_action) {
            (Some(_), Some(_)) => {
                self.error(loc, ErrorKind::Both("Action"));
                return None;
            }
            (Some(a), None) => (false, "Action", a),
            (None, Some(a)) => (true, "NotAction", a),
            (None, None) => {
                self.error(&at(loc, "Action"), ErrorKind::MissingAction);
                return None;
            }
        };
        let loc = at(loc, name);
        let actions = self.strings(&loc, json)?;
        if actions.is_empty() {
            self.error(&loc, ErrorKind::MissingAction);
            return None;
        }
        for a in &actions {
            if let Some(kind) = action_error(a) {
                self.error(&loc, kind);
            } else if self.kind == PolicyKind::Trust && !is_trust_action(a) {
                self.error(&loc, ErrorKind::TrustAction(a.clone()));
            }
        }
        Some(ActionBlock {
            negated,
            patterns: actions.iter().map(|a| Pattern::wild(a)).collect(),
        })
    }

    fn resource_element(
        &mut self,
        loc: &str,
        resource: Option<&Json>,
        not_resource: Option<&Json>,
        version: Version,
    ) -> Option<ResourceBlock> {
        if self.kind == PolicyKind::Trust {
            if resource.is_some() {
                self.error(&at(loc, "Resource"), ErrorKind::ProhibitedField("Resource"));
            }
            if not_resource.is_some() {
                self.error(
                    &at(loc, "NotResource"),
                    ErrorKind::ProhibitedField("NotResource"),
                );
            }
            return None;
        }
        let (negated, name, json) = match (resource, not_resource) {
            (Some(_), Some(_)) => {
                self.error(loc, ErrorKind::Both("Resource"));
                return None;
            }
            (Some(r), None) => (false, "Resource", r),
            (None, Some(r)) => (true, "NotResource", r),
            (None, None) => {
                self.error(&at(loc, "Resource"), ErrorKind::MissingResource);
                return None;
            }
        };
        let loc = at(loc, name);
        let resources = self.strings(&loc, json)?;
        if resources.is_empty() {
            self.error(&loc, ErrorKind::MissingResource);
            return None;
        }
        let mut patterns = Vec::with_capacity(resources.len());
        for r in &resources {
            if r == "*" {
                patterns.push(ResourcePattern::Any);
                continue;
            }
            if let Some(kind) = resource_error(r) {
                self.error(&loc, kind);
                continue;
            }
            patterns.push(ResourcePattern::Arn(ArnPattern::new(
                r,
                false,
                version.has_variables(),
            )));
        }
        Some(ResourceBlock { negated, patterns })
    }

    fn principal_element(
        &mut self,
        loc: &str,
        principal: Option<&Json>,
        not_principal: Option<&Json>,
    ) -> Option<PrincipalBlock> {
        if !self.kind.has_principal() {
            if principal.is_some() {
                self.error(
                    &at(loc, "Principal"),
                    ErrorKind::PrincipalNotAllowed("Principal"),
                );
            }
            if not_principal.is_some() {
                self.error(
                    &at(loc, "NotPrincipal"),
                    ErrorKind::PrincipalNotAllowed("NotPrincipal"),
                );
            }
            return None;
        }
        let (negated, name, json) = match (principal, not_principal) {
            (Some(_), Some(_)) => {
                self.error(loc, ErrorKind::Both("Principal"));
                return None;
            }
            (Some(p), None) => (false, "Principal", p),
            (None, Some(_)) if self.kind == PolicyKind::Trust => {
                self.error(
                    &at(loc, "NotPrincipal"),
                    ErrorKind::ProhibitedField("NotPrincipal"),
                );
                return None;
            }
            (None, Some(p)) => (true, "NotPrincipal", p),
            (None, None) => {
                self.error(&at(loc, "Principal"), ErrorKind::MissingPrincipal);
                return None;
            }
        };
        let loc = at(loc, name);
        let set = self.principal_set(&loc, json)?;
        Some(if negated {
            PrincipalBlock::NotPrincipal(set)
        } else {
            PrincipalBlock::Principal(set)
        })
    }

    fn principal_set(&mut self, loc: &str, json: &Json) -> Option<PrincipalSet> {
        let mut set = PrincipalSet::default();
        let members = match json {
            Json::String(s) if s == "*" => {
                set.any = true;
                return Some(set);
            }
            Json::String(s) => {
                self.error(loc, ErrorKind::InvalidPrincipal(format!("\"{s}\"")));
                return None;
            }
            Json::Object(m) if !m.is_empty() => m,
            other => {
                self.wrong_type(loc, "\"*\" or an object", other);
                return None;
            }
        };
        for (key, value) in members {
            let loc = at(loc, key);
            let values = self.strings(&loc, value)?;
            for v in values {
                let invalid = |v: &str| ErrorKind::InvalidPrincipal(format!("\"{key}\":\"{v}\""));
                match key.as_str() {
                    "AWS" => match classify_aws_principal(&v) {
                        Some(None) => set.any = true,
                        Some(Some(form)) => set.aws.push(AwsPrincipal { text: v, form }),
                        None => self.error(&loc, invalid(&v)),
                    },
                    "Service" if !v.is_empty() && !v.contains('*') => set.service.push(v),
                    "Federated" if !v.is_empty() && !v.contains('*') => set.federated.push(v),
                    "CanonicalUser"
                        if v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()) =>
                    {
                        set.canonical.push(v.to_ascii_lowercase())
                    }
                    "Service" | "Federated" | "CanonicalUser" => self.error(&loc, invalid(&v)),
                    _ => {
                        self.error(&loc, invalid(&v));
                    }
                }
            }
        }
        Some(set)
    }

    fn conditions(&mut self, loc: &str, json: &Json, version: Version) -> Vec<Condition> {
        let Json::Object(operators) = json else {
            self.wrong_type(loc, "an object", json);
            return Vec::new();
        };
        let mut out = Vec::new();
        for (op_name, block) in operators {
            let op_loc = at(loc, op_name);
            let Json::Object(keys) = block else {
                self.wrong_type(&op_loc, "an object", block);
                continue;
            };
            let Some(op) = Operator::parse(op_name) else {
                // IAM tolerates an unknown operator whose block is empty.
                if !keys.is_empty() {
                    self.error(&op_loc, ErrorKind::UnknownOperator(op_name.clone()));
                }
                continue;
            };
            let (family, _, _) = op.base.shape();
            for (key, values) in keys {
                let key_loc = at(&op_loc, key);
                let texts: Vec<String> = match values {
                    Json::Array(items) => items
                        .iter()
                        .enumerate()
                        .filter_map(|(i, v)| self.scalar(&format!("{key_loc}[{i}]"), v))
                        .collect(),
                    v => self.scalar(&key_loc, v).into_iter().collect(),
                };
                let mut typed = Vec::with_capacity(texts.len());
                for t in &texts {
                    match CondValue::new(family, t, version.has_variables()) {
                        Ok(v) => typed.push(v),
                        Err(()) => self.error(&key_loc, ErrorKind::InvalidDate(t.clone())),
                    }
                }
                out.push(Condition {
                    op,
                    key: key.to_ascii_lowercase(),
                    written_key: key.clone(),
                    values: typed,
                    texts,
                });
            }
        }
        out
    }

    /// A condition value: strings, and numbers and booleans as their JSON text.
    fn scalar(&mut self, loc: &str, json: &Json) -> Option<String> {
        match json {
            Json::String(s) => Some(s.clone()),
            Json::Number(n) => Some(n.to_string()),
            Json::Bool(b) => Some(b.to_string()),
            other => {
                self.wrong_type(loc, "a string, number or boolean", other);
                None
            }
        }
    }
}

/// `Some(None)` for `*`, `Some(Some(form))` for a valid principal, `None` when invalid.
fn classify_aws_principal(v: &str) -> Option<Option<AwsPrincipalForm>> {
    if v == "*" {
        return Some(None);
    }
    if v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Some(AwsPrincipalForm::Account(v.to_owned())));
    }
    if v.contains('*') || v.contains('?') {
        return None;
    }
    if let Some(rest) = v.strip_prefix("arn:") {
        let parts: Vec<&str> = rest.splitn(5, ':').collect();
        let [partition, service, region, account, resource] = parts.as_slice() else {
            return None;
        };
        let account_ok = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
        if !PARTITIONS.contains(partition) || !region.is_empty() || !account_ok {
            return None;
        }
        let form = match (*service, *resource) {
            ("iam", "root") => AwsPrincipalForm::Account((*account).to_owned()),
            ("iam", r) if r.starts_with("user/") && r.len() > 5 => AwsPrincipalForm::User,
            ("iam", r) if r.starts_with("role/") && r.len() > 5 => AwsPrincipalForm::Role,
            ("sts", r) if r.starts_with("assumed-role/") && r.matches('/').count() == 2 => {
                AwsPrincipalForm::Session
            }
            ("sts", r) if r.starts_with("federated-user/") && r.len() > 15 => {
                AwsPrincipalForm::FederatedUser
            }
            _ => return None,
        };
        return Some(Some(form));
    }
    let unique_id = v.len() >= 16
        && v.len() <= 128
        && v.starts_with('A')
        && v.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    unique_id.then_some(Some(AwsPrincipalForm::UniqueId))
}

fn action_error(a: &str) -> Option<ErrorKind> {
    if a == "*" {
        return None;
    }
    let mut parts = a.split(':');
    let vendor = parts.next().unwrap_or("");
    match (parts.next(), parts.next()) {
        (None, _) => Some(ErrorKind::ActionWithoutVendor(a.to_owned())),
        (Some(_), Some(_)) => Some(ErrorKind::ActionColons(a.to_owned())),
        (Some(_), None) => {
            let ok = vendor == "*"
                || (!vendor.is_empty()
                    && vendor
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'));
            (!ok).then(|| ErrorKind::InvalidVendor(vendor.to_owned()))
        }
    }
}

/// Trust policies may only name STS role-assumption actions.
fn is_trust_action(a: &str) -> bool {
    a == "*"
        || a.split_once(':')
            .is_some_and(|(vendor, _)| vendor.eq_ignore_ascii_case("sts") || vendor == "*")
}

fn resource_error(r: &str) -> Option<ErrorKind> {
    let Some(rest) = r.strip_prefix("arn:") else {
        return Some(ErrorKind::ResourceNotArn(r.to_owned()));
    };
    if r.contains("::") && r.matches(':').count() < 5 {
        return Some(ErrorKind::ResourceSegments(r.to_owned()));
    }
    let mut parts = rest.splitn(5, ':');
    let partition = parts.next().unwrap_or("");
    if !PARTITIONS.contains(&partition) {
        return Some(ErrorKind::InvalidPartition {
            partition: partition.to_owned(),
            resource: r.to_owned(),
        });
    }
    let service = parts.next().unwrap_or("");
    if service.is_empty() || service.contains(['*', '?']) {
        return Some(ErrorKind::ResourceVendor(r.to_owned()));
    }
    let region = parts.next();
    if matches!(service, "iam" | "s3") && region.is_none_or(|reg| !reg.is_empty()) {
        return Some(ErrorKind::ResourceRegion(r.to_owned()));
    }
    let _account = parts.next();
    if service == "iam" {
        let resource = parts.next().unwrap_or("");
        let known = resource == "*"
            || resource == "root"
            || IAM_RESOURCE_TYPES.iter().any(|t| resource.starts_with(t));
        if !known {
            return Some(ErrorKind::IamResourceType(r.to_owned()));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str, kind: PolicyKind) -> String {
        Policy::parse(text, kind).unwrap_err().aws_message()
    }

    #[test]
    fn seed_policies_parse() {
        let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
            "Principal":{"AWS":"arn:aws:iam::123123123123:root"},"Action":"sts:AssumeRole",
            "Condition":{}}]}"#;
        let p = Policy::parse(trust, PolicyKind::Trust).unwrap();
        assert_eq!(p.statements().len(), 1);
        assert_eq!(
            p.aws_principals().collect::<Vec<_>>(),
            ["arn:aws:iam::123123123123:root"]
        );
        let s3 = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#;
        Policy::parse(s3, PolicyKind::Identity).unwrap();
    }

    #[test]
    fn reports_first_error_in_aws_order_with_location() {
        let e = Policy::parse(
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},
                {"Effect":"Allow","Action":"x","Resource":"*","Condition":{"Foo":{"a":"b"}}}]}"#,
            PolicyKind::Identity,
        )
        .unwrap_err();
        assert_eq!(e.aws_message(), "Syntax errors in policy.");
        assert_eq!(e.first().unwrap().location, "Statement[1].Condition.Foo");
        assert_eq!(e.all().len(), 2);
    }

    #[test]
    fn messages() {
        use PolicyKind::*;
        assert_eq!(err("nope", Identity), "This policy contains invalid Json");
        assert_eq!(
            err(
                r#"{"Statement":{"Effect":"allow","Action":"s3:*","Resource":"*"}}"#,
                Identity
            ),
            "The policy failed legacy parsing"
        );
        assert_eq!(
            err(
                r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}"#,
                Identity
            ),
            "Policy document should not specify a principal."
        );
        assert_eq!(
            err(
                r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}}"#,
                Trust
            ),
            "Has prohibited field Resource."
        );
        assert_eq!(
            err(
                r#"{"Statement":{"Effect":"Allow","Action":"s3:*"}}"#,
                Identity
            ),
            "Policy statement must contain resources."
        );
        assert_eq!(
            err(
                r#"{"Statement":{"Effect":"Allow","Action":"s3","Resource":"*"}}"#,
                Identity
            ),
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
        );
        assert_eq!(
            err(
                r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"bucket"}}"#,
                Identity
            ),
            "Resource bucket must be in ARN format or \"*\"."
        );
        assert_eq!(
            err(
                r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::*:root"},"Action":"sts:AssumeRole"}}"#,
                Trust
            ),
            "Invalid principal in policy: \"AWS\":\"arn:aws:iam::*:root\""
        );
        let managed = Policy::parse_with(
            r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
            Identity,
            ParseOptions {
                require_current_version: true,
            },
        );
        assert_eq!(
            managed.unwrap_err().aws_message(),
            "Policy document must be version 2012-10-17 or greater."
        );
    }

    #[test]
    fn size_counts_non_whitespace() {
        assert_eq!(policy_size("{ \"a\" :\n\t1 }"), 7);
        assert!(has_valid_characters("{\"a\":\"é\"}"));
        assert!(!has_valid_characters("{\"a\":\"€\"}"));
    }
}
