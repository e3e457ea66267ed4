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
        let mut parts = value.splitn(n, ':');
        for (i, seg) in self.segments.iter().enumerate() {
            let Some(part) = parts.next() else {
                return false;
            };
            if i + 1 == n && n < SEGMENTS && !self.open_end && part.contains(':') {
                return false;
            }
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
