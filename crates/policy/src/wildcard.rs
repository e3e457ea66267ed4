//! `*` and `?` matching for actions, resources and `Like` conditions.
//!
//! A pattern is a sequence of tokens so that text coming from policy variables and from the
//! `${*}`, `${?}` and `${$}` escapes stays literal while the policy's own `*` and `?` are
//! wildcards. `?` matches exactly one character (not one byte).

/// One element of a compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Token {
    /// Literal text.
    Lit(Box<str>),
    /// `*`: any run of characters, possibly empty.
    Star,
    /// `?`: exactly one character.
    One,
}

/// A compiled wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    tokens: Vec<Token>,
}

impl Pattern {
    /// Compiles text whose `*` and `?` are wildcards.
    pub(crate) fn wild(text: &str) -> Self {
        let mut p = PatternBuilder::default();
        p.push_wild(text);
        p.build()
    }

    /// A pattern matching exactly `text`.
    #[cfg(test)]
    pub(crate) fn literal(text: &str) -> Self {
        let mut p = PatternBuilder::default();
        p.push_literal(text);
        p.build()
    }

    /// Matches `s`; with `fold_case`, ASCII letters compare case-insensitively.
    pub(crate) fn matches(&self, s: &str, fold_case: bool) -> bool {
        match self.tokens.as_slice() {
            [] => s.is_empty(),
            [Token::Star] => true,
            [Token::Lit(l)] => eq(l, s, fold_case),
            _ => glob(&self.tokens, s, fold_case),
        }
    }
}

fn eq(a: &str, b: &str, fold_case: bool) -> bool {
    if fold_case {
        a.eq_ignore_ascii_case(b)
    } else {
        a == b
    }
}

/// Iterative matching with one backtrack point (the last `*` seen), linear in practice.
fn glob(tokens: &[Token], s: &str, fold_case: bool) -> bool {
    let mut ti = 0usize;
    let mut si = 0usize;
    let mut backtrack: Option<(usize, usize)> = None;
    loop {
        let advanced = match tokens.get(ti) {
            None if si == s.len() => return true,
            None => None,
            Some(Token::Star) => {
                backtrack = Some((ti + 1, si));
                Some((ti + 1, si))
            }
            Some(Token::One) => s
                .get(si..)
                .and_then(|rest| rest.chars().next())
                .map(|c| (ti + 1, si + c.len_utf8())),
            Some(Token::Lit(l)) => s
                .get(si..si + l.len())
                .filter(|part| eq(l, part, fold_case))
                .map(|_| (ti + 1, si + l.len())),
        };
        match advanced {
            Some((t, i)) => {
                ti = t;
                si = i;
            }
            None => {
                // Let the last `*` swallow one more character and retry from there.
                let Some((bt, bs)) = backtrack else {
                    return false;
                };
                let Some(c) = s.get(bs..).and_then(|rest| rest.chars().next()) else {
                    return false;
                };
                let next = bs + c.len_utf8();
                backtrack = Some((bt, next));
                ti = bt;
                si = next;
            }
        }
    }
}

/// Builds a pattern from wildcard text and literal pieces.
#[derive(Default)]
pub(crate) struct PatternBuilder {
    tokens: Vec<Token>,
    lit: String,
}

impl PatternBuilder {
    pub(crate) fn push_wild(&mut self, text: &str) {
        for c in text.chars() {
            match c {
                '*' => {
                    self.flush();
                    // Consecutive stars are one star.
                    if self.tokens.last() != Some(&Token::Star) {
                        self.tokens.push(Token::Star);
                    }
                }
                '?' => {
                    self.flush();
                    self.tokens.push(Token::One);
                }
                c => self.lit.push(c),
            }
        }
    }

    pub(crate) fn push_literal(&mut self, text: &str) {
        self.lit.push_str(text);
    }

    fn flush(&mut self) {
        if !self.lit.is_empty() {
            let lit = std::mem::take(&mut self.lit);
            self.tokens.push(Token::Lit(lit.into_boxed_str()));
        }
    }

    pub(crate) fn build(mut self) -> Pattern {
        self.flush();
        Pattern {
            tokens: self.tokens,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        let m = |p: &str, s: &str| Pattern::wild(p).matches(s, false);
        assert!(m("*", ""));
        assert!(m("a*", "a"));
        assert!(m("a*c", "abbbc"));
        assert!(!m("a*c", "abbbd"));
        assert!(m("a?c", "abc"));
        assert!(!m("a?c", "ac"));
        assert!(m("a?c", "aéc"));
        assert!(m("*a*b*", "xxaxxbxx"));
        assert!(!m("*a*b", "xxbxxa"));
        assert!(m("s3:Get*", "s3:GetObject"));
        assert!(!m("s3:get*", "s3:GetObject"));
        assert!(Pattern::wild("s3:get*").matches("S3:GETOBJECT", true));
        assert!(Pattern::literal("a*").matches("a*", false));
        assert!(!Pattern::literal("a*").matches("ab", false));
    }
}
