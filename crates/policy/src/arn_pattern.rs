//! ARN matching, segment by segment, for `Resource` and the `Arn*` condition operators.
//!
//! An ARN is `arn:partition:service:region:account:resource`. Each of the first five
//! colon-separated segments is matched on its own, so a wildcard there never crosses a colon;
//! the resource part (after the fifth colon) is matched as a whole, so `*` there spans `/` and
//! `:`. A pattern with fewer segments matches its last segment against the rest of the ARN.
//! See <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html>.

use crate::context::Context;
use crate::template::Template;

const SEGMENTS: usize = 6;

/// A compiled ARN pattern (`*` alone is handled by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ArnPattern {
    segments: Vec<Template>,
    /// A short pattern whose last segment ends in `*` may swallow the remaining segments.
    open_end: bool,
}

impl ArnPattern {
    /// Compiles `text`. `head_variables` allows policy variables in the first five segments
    /// (condition values); `tail_variables` in the resource part.
    pub(crate) fn new(text: &str, head_variables: bool, tail_variables: bool) -> Self {
        let parts = split_segments(text);
        let last = parts.len().saturating_sub(1);
        let segments = parts
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let vars = if i == SEGMENTS - 1 || i == last {
                    tail_variables
                } else {
                    head_variables
                };
                Template::new(p, vars)
            })
            .collect();
        let open_end = parts.len() < SEGMENTS && text.ends_with('*');
        Self { segments, open_end }
    }

    /// Whether `value` matches in `ctx`.
    pub(crate) fn matches(&self, value: &str, ctx: &Context) -> bool {
        let n = self.segments.len();
        // The value's first n-1 colon-separated fields, then the rest, as `splitn(n, ':')`
        // gives them; fields are short, so a byte loop finds each colon.
        let mut rest = value;
        for (i, seg) in self.segments.iter().enumerate() {
            let part = if i + 1 == n {
                if n < SEGMENTS && !self.open_end && rest.contains(':') {
                    return false;
                }
                rest
            } else {
                let Some(at) = rest.bytes().position(|b| b == b':') else {
                    return false;
                };
                let (part, tail) = rest.split_at(at);
                rest = tail.get(1..).unwrap_or_default();
                part
            };
            match seg.pattern(ctx) {
                Some(p) if p.matches(part, false) => {}
                _ => return false,
            }
        }
        true
    }
}

/// Splits on the first five colons that are not inside a `${...}` variable
/// (`${aws:PrincipalAccount}` holds a colon).
fn split_segments(text: &str) -> Vec<&str> {
    let mut parts = Vec::with_capacity(SEGMENTS);
    let mut start = 0;
    let mut depth = 0usize;
    let mut prev = '\0';
    for (i, c) in text.char_indices() {
        match c {
            '{' if prev == '$' => depth += 1,
            '}' if depth > 0 => depth -= 1,
            ':' if depth == 0 && parts.len() < SEGMENTS - 1 => {
                parts.push(text.get(start..i).unwrap_or(""));
                start = i + 1;
            }
            _ => {}
        }
        prev = c;
    }
    parts.push(text.get(start..).unwrap_or(""));
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, v: &str) -> bool {
        ArnPattern::new(p, false, true).matches(v, &Context::default())
    }

    /// Matching as first written, on `splitn(n, ':')`: the reference for the byte loop.
    fn m_splitn(p: &str, v: &str) -> bool {
        let pattern = ArnPattern::new(p, false, true);
        let ctx = Context::default();
        let n = pattern.segments.len();
        let mut parts = v.splitn(n, ':');
        pattern.segments.iter().enumerate().all(|(i, seg)| {
            parts.next().is_some_and(|part| {
                !(i + 1 == n && n < SEGMENTS && !pattern.open_end && part.contains(':'))
                    && seg.pattern(&ctx).is_some_and(|t| t.matches(part, false))
            })
        })
    }

    #[test]
    fn fields_split_as_splitn_splits_them() {
        let patterns = [
            "arn:aws:s3:::bucket/*",
            "arn:aws:iam::*:role/*",
            "arn:aws:logs:*:*",
            "arn:aws:logs:*",
            "arn:*",
            "arn:aws:iam::123:user/a:b",
            "arn:aws:s3:::b",
            "*:*:*:*:*:*",
            "a:b",
        ];
        let values = [
            "arn:aws:s3:::bucket/a/b:c",
            "arn:aws:s3:::bucket",
            "arn:aws:iam::123:role/x",
            "arn:aws:iam::123:user/a:b",
            "arn:aws:logs:us-east-1:1:log-group:x",
            "arn:aws:logs:us-east-1",
            "arn:aws",
            "arn",
            "",
            ":::::",
            "a:b:c:d:e:f:g:h",
            "arn:aws:s3:::b",
        ];
        for p in patterns {
            for v in values {
                assert_eq!(m(p, v), m_splitn(p, v), "{p} against {v}");
            }
        }
    }

    #[test]
    fn segment_rules() {
        assert!(m("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b/c"));
        assert!(!m("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket"));
        assert!(!m("arn:aws:s3:::bucket", "arn:aws:s3:::bucket/x"));
        assert!(m(
            "arn:aws:iam::*:role/*",
            "arn:aws:iam::123123123123:role/a/b"
        ));
        assert!(!m(
            "arn:aws:iam::*:role/*",
            "arn:aws:iam::123123123123:user/a"
        ));
        assert!(m(
            "arn:aws:iam::1*:user/dev-*",
            "arn:aws:iam::123:user/dev-x"
        ));
        // Only a segment's trailing `*` crosses the colons after it.
        assert!(m(
            "arn:aws:logs:*:*",
            "arn:aws:logs:us-east-1:1:log-group:x"
        ));
        assert!(!m(
            "arn:aws:logs:*:*x",
            "arn:aws:logs:us-east-1:1:log-group:x"
        ));
        assert!(!m("arn:aws:logs:u*2:*:*", "arn:aws:logs:us-east-1:1:x"));
        assert!(m("arn:aws:logs:us-*:*:*", "arn:aws:logs:us-east-1:1:x"));
        assert!(m(
            "arn:aws:logs:*:*:*",
            "arn:aws:logs:us-east-1:1:log-group:x:*"
        ));
        assert!(m("arn:aws:s3:*", "arn:aws:s3:::bucket/x"));
        assert!(!m("arn:aws:s3:::Bucket", "arn:aws:s3:::bucket"));
        assert!(!m("arn:aws:s3:::b", "arn:aws:s3"));
    }

    #[test]
    fn variables_keep_their_colons() {
        let mut ctx = Context::default();
        ctx.insert("aws:PrincipalAccount", "111111111111");
        let p = ArnPattern::new("arn:aws:sns:*:${aws:PrincipalAccount}:*", true, true);
        assert!(p.matches("arn:aws:sns:us-east-1:111111111111:t", &ctx));
        assert!(!p.matches("arn:aws:sns:us-east-1:222222222222:t", &ctx));
    }
}
