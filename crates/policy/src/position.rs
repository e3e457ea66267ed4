//! Where each statement sits in a policy's text, as the IAM policy simulator reports it.
//!
//! IAM's positions are 1-based lines and columns taken just after the statement's opening
//! brace (start) and just after its closing brace (end): for
//! `{"Version":"2012-10-17","Statement":{...}}` the statement starts at line 1, column 38.
//! Columns count characters; a line ends at `\n`, `\r\n` or a lone `\r`.

/// A line and column of a policy's text, both 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// The line.
    pub line: u32,
    /// The column.
    pub column: u32,
}

/// Where one statement starts and ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Just after the statement's `{`.
    pub start: Position,
    /// Just after the statement's `}`.
    pub end: Position,
}

/// The spans of the statements of `text`, in document order: the elements of the top-level
/// `Statement` array, or the single statement object. Empty when the text is not a JSON object
/// with such a member; an element that is not an object gets no span.
pub fn statement_spans(text: &str) -> Vec<Span> {
    let mut s = Scanner::new(text);
    let mut out = Vec::new();
    s.skip_ws();
    if s.next() != Some('{') {
        return out;
    }
    loop {
        s.skip_ws();
        let Some(key) = s.string() else {
            return out;
        };
        s.skip_ws();
        if s.next() != Some(':') {
            return out;
        }
        s.skip_ws();
        if key == "Statement" {
            match s.peek() {
                Some('{') => out.extend(s.object_span()),
                Some('[') => {
                    s.next();
                    loop {
                        s.skip_ws();
                        if s.peek() == Some('{') {
                            match s.object_span() {
                                Some(span) => out.push(span),
                                None => return out,
                            }
                        } else if !s.value() {
                            return out;
                        }
                        s.skip_ws();
                        match s.next() {
                            Some(',') => {}
                            _ => break,
                        }
                    }
                }
                _ => {
                    s.value();
                }
            }
        } else if !s.value() {
            return out;
        }
        s.skip_ws();
        if s.next() != Some(',') {
            return out;
        }
    }
}

struct Scanner<'t> {
    chars: std::iter::Peekable<std::str::Chars<'t>>,
    line: u32,
    column: u32,
    /// The previous character was `\r`: a following `\n` ends the same line.
    after_cr: bool,
}

impl<'t> Scanner<'t> {
    fn new(text: &'t str) -> Self {
        Self {
            chars: text.chars().peekable(),
            line: 1,
            column: 1,
            after_cr: false,
        }
    }

    fn position(&self) -> Position {
        Position {
            line: self.line,
            column: self.column,
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.chars.peek().copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        match c {
            '\n' if self.after_cr => {}
            '\n' | '\r' => {
                self.line = self.line.saturating_add(1);
                self.column = 1;
            }
            _ => self.column = self.column.saturating_add(1),
        }
        self.after_cr = c == '\r';
        Some(c)
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t' | '\n' | '\r')) {
            self.next();
        }
    }

    /// A string starting at the current `"`, unescaped only as far as needed to compare
    /// member names.
    fn string(&mut self) -> Option<String> {
        if self.next() != Some('"') {
            return None;
        }
        let mut out = String::new();
        loop {
            match self.next()? {
                '"' => return Some(out),
                '\\' => {
                    let e = self.next()?;
                    out.push('\\');
                    out.push(e);
                }
                c => out.push(c),
            }
        }
    }

    /// Skips one value; false at malformed input.
    fn value(&mut self) -> bool {
        match self.peek() {
            Some('"') => self.string().is_some(),
            Some('{' | '[') => self.nested(),
            Some(_) => {
                while let Some(c) = self.peek() {
                    if matches!(c, ',' | '}' | ']') || c.is_whitespace() {
                        break;
                    }
                    self.next();
                }
                true
            }
            None => false,
        }
    }

    /// Skips an object or array, strings included, by depth.
    fn nested(&mut self) -> bool {
        let mut depth = 0usize;
        loop {
            match self.peek() {
                Some('"') => {
                    if self.string().is_none() {
                        return false;
                    }
                    continue;
                }
                Some('{' | '[') => depth += 1,
                Some('}' | ']') => depth = depth.saturating_sub(1),
                Some(_) => {}
                None => return false,
            }
            self.next();
            if depth == 0 {
                return true;
            }
        }
    }

    fn object_span(&mut self) -> Option<Span> {
        self.next();
        let start = self.position();
        let mut depth = 1usize;
        loop {
            match self.peek()? {
                '"' => {
                    self.string()?;
                    continue;
                }
                '{' | '[' => depth += 1,
                '}' | ']' => depth -= 1,
                _ => {}
            }
            self.next();
            if depth == 0 {
                return Some(Span {
                    start,
                    end: self.position(),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, column: u32) -> Position {
        Position { line, column }
    }

    #[test]
    fn single_statement_on_one_line_as_iam_reports_it() {
        // The example of `aws iam simulate-custom-policy`: start 1:38, end 1:167.
        let text = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}"#;
        assert_eq!(
            statement_spans(text),
            vec![Span {
                start: pos(1, 38),
                end: pos(1, 167)
            }]
        );
    }

    #[test]
    fn statements_of_an_array_over_several_lines() {
        let text = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Sid\": \"a}{\\\"\",\n      \"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": [\"*\"]\n    },\r\n    {\"Effect\": \"Deny\", \"Action\": \"s3:Get*\", \"Resource\": \"*\"}\n  ]\n}";
        assert_eq!(
            statement_spans(text),
            vec![
                Span {
                    start: pos(4, 6),
                    end: pos(7, 6)
                },
                Span {
                    start: pos(8, 6),
                    end: pos(8, 61)
                },
            ]
        );
    }

    #[test]
    fn statement_after_other_members_and_nested_statement_keys() {
        let text = r#"{"Id":"x","Other":{"Statement":{}},"Statement":[{"Effect":"Allow"}]}"#;
        let spans = statement_spans(text);
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0].start, pos(1, 50));
    }

    #[test]
    fn malformed_text_gives_what_was_found() {
        assert!(statement_spans("").is_empty());
        assert!(statement_spans("[1]").is_empty());
        assert!(statement_spans(r#"{"Statement":[{"Effect":"#).is_empty());
        assert_eq!(
            statement_spans(r#"{"Statement":[{"Effect":"Allow"},{"#).len(),
            1
        );
    }
}
