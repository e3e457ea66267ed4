//! Splitting on one ASCII byte: short fields with a plain loop, long ones (an
//! `Authorization` value) with `memchr` a vector at a time. `str::split(char)` pays for a
//! general character searcher and a `memchr` call on every field, however short.

/// The fields of `s` between occurrences of the ASCII byte `sep`, as `str::split` yields them.
pub(crate) fn fields(s: &str, sep: u8) -> Fields<'_> {
    debug_assert!(sep.is_ascii());
    Fields { rest: Some(s), sep }
}

/// `s` split at the first `sep` (ASCII), both sides without it.
pub(crate) fn split_once(s: &str, sep: u8) -> Option<(&str, &str)> {
    let bytes = s.as_bytes();
    let at = if bytes.len() < 32 {
        bytes.iter().position(|&b| b == sep)?
    } else {
        memchr::memchr(sep, bytes)?
    };
    // An ASCII byte is always a character boundary, on both sides.
    Some((s.get(..at)?, s.get(at + 1..)?))
}

/// Iterator returned by [`fields`].
pub(crate) struct Fields<'a> {
    rest: Option<&'a str>,
    sep: u8,
}

impl<'a> Iterator for Fields<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        match split_once(rest, self.sep) {
            Some((field, after)) => {
                self.rest = Some(after);
                Some(field)
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_match_str_split() {
        for s in ["", ";", "a", "a;b", ";a;;b;", "host;x-amz-date", "é;ü;;"] {
            assert_eq!(
                fields(s, b';').collect::<Vec<_>>(),
                s.split(';').collect::<Vec<_>>(),
                "{s:?}"
            );
            assert_eq!(split_once(s, b';'), s.split_once(';'), "{s:?}");
        }
    }
}
