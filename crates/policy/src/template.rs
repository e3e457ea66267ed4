//! Policy variables: `${aws:username}`, the escapes `${*}`, `${?}`, `${$}`, and defaults
//! `${aws:PrincipalTag/team, 'company-wide'}`.
//!
//! See <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html>.
//! Variables are substituted only in `2012-10-17` documents. A substituted value is literal
//! text: its `*` and `?` are not wildcards. A variable whose key is absent (and has no default)
//! makes the value match nothing.

use crate::context::Context;
use crate::wildcard::{Pattern, PatternBuilder};
use std::borrow::Cow;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    /// Policy text: `*` and `?` are wildcards where the operator uses them.
    Text(String),
    /// Text from an escape: always literal.
    Escaped(char),
    /// A context key (lower-cased) and its default.
    Var {
        key: String,
        default: Option<String>,
    },
}

/// A policy string value that may contain variables, compiled once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    parts: Vec<Part>,
    /// The pattern when the value has no variable.
    fixed_pattern: Option<Pattern>,
    /// The exact text when the value has no variable.
    fixed_text: Option<String>,
}

impl Template {
    /// Compiles `text`; with `variables` false (2008-10-17 documents) `${...}` is plain text.
    pub(crate) fn new(text: &str, variables: bool) -> Self {
        let parts = if variables {
            split(text)
        } else {
            vec![Part::Text(text.to_owned())]
        };
        let has_var = parts.iter().any(|p| matches!(p, Part::Var { .. }));
        let mut t = Template {
            parts,
            fixed_pattern: None,
            fixed_text: None,
        };
        if !has_var {
            let empty = Context::default();
            t.fixed_pattern = t.build_pattern(&empty);
            t.fixed_text = t.build_text(&empty);
        }
        t
    }

    /// The wildcard pattern for this value in `ctx`, or `None` when a variable is unresolved.
    pub(crate) fn pattern<'a>(&'a self, ctx: &Context) -> Option<Cow<'a, Pattern>> {
        match &self.fixed_pattern {
            Some(p) => Some(Cow::Borrowed(p)),
            None => self.build_pattern(ctx).map(Cow::Owned),
        }
    }

    /// The exact text of this value in `ctx`, or `None` when a variable is unresolved.
    pub(crate) fn text<'a>(&'a self, ctx: &Context) -> Option<Cow<'a, str>> {
        match &self.fixed_text {
            Some(t) => Some(Cow::Borrowed(t.as_str())),
            None => self.build_text(ctx).map(Cow::Owned),
        }
    }

    fn build_pattern(&self, ctx: &Context) -> Option<Pattern> {
        let mut b = PatternBuilder::default();
        for part in &self.parts {
            match part {
                Part::Text(t) => b.push_wild(t),
                Part::Escaped(c) => b.push_literal(c.encode_utf8(&mut [0; 4])),
                Part::Var { key, default } => b.push_literal(resolve(ctx, key, default)?),
            }
        }
        Some(b.build())
    }

    fn build_text(&self, ctx: &Context) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Escaped(c) => out.push(*c),
                Part::Var { key, default } => out.push_str(resolve(ctx, key, default)?),
            }
        }
        Some(out)
    }
}

fn resolve<'a>(ctx: &'a Context, key: &str, default: &'a Option<String>) -> Option<&'a str> {
    ctx.single_lower(key).or(default.as_deref())
}

fn split(text: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut plain = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let (before, from) = rest.split_at(start);
        plain.push_str(before);
        let inner_and_after = from.get(2..).unwrap_or("");
        let Some(end) = inner_and_after.find('}') else {
            // An unterminated `${` is plain text.
            plain.push_str(from);
            rest = "";
            break;
        };
        let (inner, after) = inner_and_after.split_at(end);
        rest = after.get(1..).unwrap_or("");
        let part = match inner {
            "*" => Part::Escaped('*'),
            "?" => Part::Escaped('?'),
            "$" => Part::Escaped('$'),
            _ => variable(inner),
        };
        if !plain.is_empty() {
            parts.push(Part::Text(std::mem::take(&mut plain)));
        }
        parts.push(part);
    }
    plain.push_str(rest);
    if !plain.is_empty() || parts.is_empty() {
        parts.push(Part::Text(plain));
    }
    parts
}

fn variable(inner: &str) -> Part {
    let (key, default) = match inner.split_once(',') {
        Some((key, default)) => {
            let d = default.trim();
            let d = d
                .strip_prefix('\'')
                .and_then(|d| d.strip_suffix('\''))
                .unwrap_or(d);
            (key, Some(d.to_owned()))
        }
        None => (inner, None),
    };
    Part::Var {
        key: key.trim().to_ascii_lowercase(),
        default,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        let mut c = Context::default();
        c.insert("aws:username", "alice");
        c.insert("s3:prefix", "a*b");
        c
    }

    #[test]
    fn substitutes_and_escapes() {
        let c = ctx();
        let t = Template::new("home/${aws:username}/*", true);
        assert_eq!(t.text(&c).unwrap(), "home/alice/*");
        assert!(t.pattern(&c).unwrap().matches("home/alice/x", false));
        assert!(!t.pattern(&c).unwrap().matches("home/bob/x", false));
        let t = Template::new("${*}${?}${$}", true);
        assert_eq!(t.text(&c).unwrap(), "*?$");
        assert!(!t.pattern(&c).unwrap().matches("x?$", false));
        assert!(t.pattern(&c).unwrap().matches("*?$", false));
    }

    #[test]
    fn substituted_values_are_literal() {
        let t = Template::new("${s3:prefix}", true);
        let c = ctx();
        assert!(t.pattern(&c).unwrap().matches("a*b", false));
        assert!(!t.pattern(&c).unwrap().matches("axxb", false));
    }

    #[test]
    fn defaults_and_missing_keys() {
        let c = ctx();
        let t = Template::new("${aws:PrincipalTag/team, 'company-wide'}", true);
        assert_eq!(t.text(&c).unwrap(), "company-wide");
        assert!(
            Template::new("${aws:PrincipalTag/team}", true)
                .text(&c)
                .is_none()
        );
        assert_eq!(
            Template::new("${aws:username}", false).text(&c).unwrap(),
            "${aws:username}"
        );
        assert_eq!(Template::new("a${b", true).text(&c).unwrap(), "a${b");
        assert_eq!(Template::new("", true).text(&c).unwrap(), "");
    }
}
