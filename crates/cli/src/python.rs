//! The few Python behaviours botocore's results depend on, reproduced exactly: `str.isspace`
//! and `strip`, `str.splitlines`, `shlex.split`, `int()`, `repr()` of a list of strings,
//! `json.dumps(..., sort_keys=True)` and `os.path.expandvars`/`expanduser`.

use serde_json::Value;
use std::collections::BTreeMap;

/// Python's `str.isspace` for one character (Rust's `is_whitespace` plus the four
/// information separators U+001C..U+001F).
pub fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

pub fn strip(s: &str) -> &str {
    s.trim_matches(is_space)
}

pub fn rstrip(s: &str) -> &str {
    s.trim_end_matches(is_space)
}

/// `str.splitlines()`.
pub fn splitlines(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let breaks = matches!(
            c,
            '\n' | '\r'
                | '\u{0b}'
                | '\u{0c}'
                | '\u{1c}'
                | '\u{1d}'
                | '\u{1e}'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        );
        if breaks {
            out.push(s.get(start..i).unwrap_or_default());
            let mut end = i + c.len_utf8();
            if c == '\r' && chars.peek().map(|&(_, n)| n) == Some('\n') {
                chars.next();
                end += 1;
            }
            start = end;
        }
    }
    if start < s.len() {
        out.push(s.get(start..).unwrap_or_default());
    }
    out
}

/// The lines of a file as Python's text mode reads them (universal newlines: `\n`, `\r\n`
/// and `\r`).
pub fn file_lines(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes.get(i) {
            Some(b'\n') => {
                out.push(s.get(start..i).unwrap_or_default());
                i += 1;
                start = i;
            }
            Some(b'\r') => {
                out.push(s.get(start..i).unwrap_or_default());
                i += if bytes.get(i + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                start = i;
            }
            _ => i += 1,
        }
    }
    if start < s.len() {
        out.push(s.get(start..).unwrap_or_default());
    }
    out
}

/// `shlex.split(s)` (POSIX mode, no comments); `None` where Python raises `ValueError`.
pub fn shlex_split(s: &str) -> Option<Vec<String>> {
    const WHITESPACE: &[char] = &[' ', '\t', '\r', '\n'];
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if WHITESPACE.contains(&c) {
            if in_word {
                words.push(std::mem::take(&mut word));
                in_word = false;
            }
        } else if c == '\\' {
            word.push(chars.next()?);
            in_word = true;
        } else if c == '\'' {
            in_word = true;
            loop {
                match chars.next()? {
                    '\'' => break,
                    q => word.push(q),
                }
            }
        } else if c == '"' {
            in_word = true;
            loop {
                match chars.next()? {
                    '"' => break,
                    '\\' => {
                        let n = chars.next()?;
                        if !matches!(n, '\\' | '"' | '$' | '`' | '\n') {
                            word.push('\\');
                        }
                        word.push(n);
                    }
                    q => word.push(q),
                }
            }
        } else {
            word.push(c);
            in_word = true;
        }
    }
    if in_word {
        words.push(word);
    }
    Some(words)
}

/// `int(s)` for a decimal string; `None` where Python raises `ValueError` (or the value does
/// not fit an `i64`).
pub fn int(s: &str) -> Option<i64> {
    let t = strip(s);
    let (negative, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return None;
    }
    let mut value: i64 = 0;
    for c in digits.chars().filter(|&c| c != '_') {
        let d = i64::from(c.to_digit(10)?);
        value = value.checked_mul(10)?.checked_add(d)?;
    }
    Some(if negative { -value } else { value })
}

/// `repr(s)` for a `str`.
pub fn repr_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::new();
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// `repr(list_of_str)`.
pub fn repr_list(items: &[String]) -> String {
    let parts: Vec<String> = items.iter().map(|s| repr_str(s)).collect();
    format!("[{}]", parts.join(", "))
}

/// `json.dumps(value, sort_keys=True)`: separators `", "` and `": "`, non-ASCII escaped.
pub fn json_dumps_sorted(value: &Value) -> String {
    let mut out = String::new();
    write_json(value, &mut out);
    out
}

fn write_json(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_json_string(s, true, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let sorted: BTreeMap<&String, &Value> = map.iter().collect();
            out.push('{');
            for (i, (k, v)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_json_string(k, true, out);
                out.push_str(": ");
                write_json(v, out);
            }
            out.push('}');
        }
    }
}

/// A JSON string as `json.dumps` writes it: with `ensure_ascii` (the default) every
/// character outside printable ASCII is a `\\uXXXX` escape; without, only control characters.
pub fn write_json_string(s: &str, ensure_ascii: bool, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            c if !ensure_ascii && u32::from(c) >= 0x20 => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
}

/// `os.path.expandvars` then `os.path.expanduser`, as botocore expands file paths.
pub fn expand_path(
    path: &str,
    var: &dyn Fn(&str) -> Option<String>,
    home: Option<String>,
) -> String {
    expand_user(&expand_vars(path, var), home)
}

fn expand_vars(path: &str, var: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(pos) = rest.find('$') {
        out.push_str(rest.get(..pos).unwrap_or_default());
        let after = rest.get(pos + 1..).unwrap_or_default();
        let (name, consumed) = if let Some(braced) = after.strip_prefix('{') {
            match braced.find('}') {
                Some(end) => (braced.get(..end).unwrap_or_default(), end + 2),
                None => ("", 0),
            }
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (after.get(..end).unwrap_or_default(), end)
        };
        if consumed == 0 || (name.is_empty() && !after.starts_with('{')) {
            out.push('$');
            rest = after;
            continue;
        }
        match var(name) {
            Some(v) => out.push_str(&v),
            None => out.push_str(rest.get(pos..pos + 1 + consumed).unwrap_or_default()),
        }
        rest = after.get(consumed..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}

fn expand_user(path: &str, home: Option<String>) -> String {
    let Some(rest) = path.strip_prefix('~') else {
        return path.to_owned();
    };
    let (user, tail) = match rest.find('/') {
        Some(i) => (
            rest.get(..i).unwrap_or_default(),
            rest.get(i..).unwrap_or_default(),
        ),
        None => (rest, ""),
    };
    if !user.is_empty() {
        return path.to_owned();
    }
    let Some(home) = home else {
        return path.to_owned();
    };
    let home = home.trim_end_matches('/');
    let joined = format!("{home}{tail}");
    if joined.is_empty() {
        "/".to_owned()
    } else {
        joined
    }
}

/// `json.dumps(value)` (default separators, non-ASCII escaped) for a serializable value, in
/// its field order.
pub fn dumps<T: serde::Serialize>(value: &T) -> String {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, PythonFormatter);
    match value.serialize(&mut ser) {
        Ok(()) => String::from_utf8(out).unwrap_or_default(),
        Err(_) => String::new(),
    }
}

struct PythonFormatter;

impl serde_json::ser::Formatter for PythonFormatter {
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
    ) -> std::io::Result<()> {
        writer.write_all(b": ")
    }

    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        for c in fragment.chars() {
            if (' '..='~').contains(&c) {
                writer.write_all(&[c as u8])?;
            } else {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write!(writer, "\\u{unit:04x}")?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shlex_like_python() {
        assert_eq!(shlex_split("profile a").unwrap(), ["profile", "a"]);
        assert_eq!(shlex_split("profile \"a b\"").unwrap(), ["profile", "a b"]);
        assert_eq!(shlex_split("profile 'x\\y'").unwrap(), ["profile", "x\\y"]);
        assert_eq!(shlex_split("profile \"a"), None);
        assert_eq!(shlex_split("a\\"), None);
        assert_eq!(shlex_split("profile ''").unwrap(), ["profile", ""]);
    }

    #[test]
    fn int_like_python() {
        assert_eq!(int(" 42 "), Some(42));
        assert_eq!(int("+7"), Some(7));
        assert_eq!(int("-7"), Some(-7));
        assert_eq!(int("1_000"), Some(1000));
        assert_eq!(int("1__0"), None);
        assert_eq!(int("3600.0"), None);
        assert_eq!(int("0x10"), None);
        assert_eq!(int(""), None);
    }

    #[test]
    fn repr_like_python() {
        assert_eq!(repr_list(&["a".into(), "b".into()]), "['a', 'b']");
        assert_eq!(repr_str("it's"), "\"it's\"");
        assert_eq!(repr_str("a'\""), "'a\\'\"'");
    }

    #[test]
    fn json_like_python() {
        let v = serde_json::json!({"RoleArn": "x", "DurationSeconds": 3600, "ExternalId": "é\u{1F600}"});
        assert_eq!(
            json_dumps_sorted(&v),
            r#"{"DurationSeconds": 3600, "ExternalId": "\u00e9\ud83d\ude00", "RoleArn": "x"}"#
        );
    }

    #[test]
    fn expand_like_python() {
        let var = |n: &str| (n == "X").then(|| "/x".to_owned());
        assert_eq!(expand_path("$X/c", &var, None), "/x/c");
        assert_eq!(expand_path("${X}/c", &var, None), "/x/c");
        assert_eq!(expand_path("$Y/c", &var, None), "$Y/c");
        assert_eq!(expand_path("~/c", &var, Some("/h/".into())), "/h/c");
        assert_eq!(expand_path("~bob/c", &var, Some("/h".into())), "~bob/c");
    }
}
