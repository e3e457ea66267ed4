//! An ordered JSON value: objects keep their members in the order the response parser made
//! them (the model's order, as botocore's dicts do), and the aws CLI's `json.dumps(indent=4,
//! ensure_ascii=False)` rendering.

use std::fmt::Write as _;

#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// The member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Removes the member `key` of an object.
    pub fn remove(&mut self, key: &str) -> Option<Json> {
        match self {
            Json::Object(members) => {
                let at = members.iter().position(|(k, _)| k == key)?;
                Some(members.remove(at).1)
            }
            _ => None,
        }
    }

    /// As serde_json's value (objects sorted by key).
    pub fn to_value(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Int(i) => Value::from(*i),
            Json::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Json::Str(s) => Value::String(s.clone()),
            Json::List(items) => Value::Array(items.iter().map(Json::to_value).collect()),
            Json::Object(members) => Value::Object(
                members
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_value()))
                    .collect(),
            ),
        }
    }

    /// From serde_json's value; object members are ordered by where their keys first appear
    /// in `order` (a query result keeps the response's order), the others after, sorted.
    pub fn from_value(value: &serde_json::Value, order: &[String]) -> Json {
        use serde_json::Value;
        match value {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => Json::Int(i),
                None => Json::Float(n.as_f64().unwrap_or_default()),
            },
            Value::String(s) => Json::Str(s.clone()),
            Value::Array(items) => {
                Json::List(items.iter().map(|v| Json::from_value(v, order)).collect())
            }
            Value::Object(map) => {
                let mut members: Vec<(String, Json)> = map
                    .iter()
                    .map(|(k, v)| (k.clone(), Json::from_value(v, order)))
                    .collect();
                members
                    .sort_by_key(|(k, _)| order.iter().position(|o| o == k).unwrap_or(usize::MAX));
                Json::Object(members)
            }
        }
    }

    /// Every object key, depth first, in order of first appearance.
    pub fn key_order(&self) -> Vec<String> {
        fn walk(v: &Json, out: &mut Vec<String>) {
            match v {
                Json::List(items) => items.iter().for_each(|i| walk(i, out)),
                Json::Object(members) => {
                    for (k, v) in members {
                        if !out.contains(k) {
                            out.push(k.clone());
                        }
                        walk(v, out);
                    }
                }
                _ => {}
            }
        }
        let mut out = Vec::new();
        walk(self, &mut out);
        out
    }

    /// `json.dumps(value, indent=4, ensure_ascii=False)`.
    pub fn pretty(&self) -> String {
        let mut out = String::new();
        self.write_pretty(&mut out, 0);
        out
    }

    fn write_pretty(&self, out: &mut String, level: usize) {
        let pad = |out: &mut String, level: usize| {
            out.push('\n');
            out.extend(std::iter::repeat_n(' ', level * 4));
        };
        match self {
            Json::List(items) if !items.is_empty() => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    pad(out, level + 1);
                    item.write_pretty(out, level + 1);
                }
                pad(out, level);
                out.push(']');
            }
            Json::Object(members) if !members.is_empty() => {
                out.push('{');
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    pad(out, level + 1);
                    write_str(k, out);
                    out.push_str(": ");
                    v.write_pretty(out, level + 1);
                }
                pad(out, level);
                out.push('}');
            }
            other => other.write_scalar(out),
        }
    }

    fn write_scalar(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(true) => out.push_str("true"),
            Json::Bool(false) => out.push_str("false"),
            Json::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Json::Float(f) => out.push_str(&python_float(*f)),
            Json::Str(s) => write_str(s, out),
            Json::List(_) => out.push_str("[]"),
            Json::Object(_) => out.push_str("{}"),
        }
    }

    /// Python's `str()` of the value, as the text output prints scalars.
    pub fn python_str(&self) -> String {
        match self {
            Json::Null => "None".to_owned(),
            Json::Bool(true) => "True".to_owned(),
            Json::Bool(false) => "False".to_owned(),
            Json::Int(i) => i.to_string(),
            Json::Float(f) => python_float(*f),
            Json::Str(s) => s.clone(),
            other => {
                let mut out = String::new();
                other.write_pretty(&mut out, 0);
                out
            }
        }
    }
}

/// Parses JSON text keeping object members in document order (Python's `json.loads`);
/// `None` for text that is not JSON.
pub fn parse(text: &str) -> Option<Json> {
    let mut p = Parser {
        s: text.as_bytes(),
        at: 0,
        depth: 0,
    };
    let v = p.value()?;
    p.ws();
    (p.at == p.s.len()).then_some(v)
}

struct Parser<'a> {
    s: &'a [u8],
    at: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, word: &str) -> Option<()> {
        let end = self.at + word.len();
        (self.s.get(self.at..end)? == word.as_bytes()).then(|| self.at = end)
    }

    fn value(&mut self) -> Option<Json> {
        self.ws();
        self.depth += 1;
        if self.depth > 128 {
            return None;
        }
        let v = match self.peek()? {
            b'{' => {
                self.at += 1;
                let mut members = Vec::new();
                self.ws();
                if self.peek() == Some(b'}') {
                    self.at += 1;
                } else {
                    loop {
                        self.ws();
                        let Json::Str(k) = self.string()? else {
                            return None;
                        };
                        self.ws();
                        self.eat(":")?;
                        let v = self.value()?;
                        // Python keeps the last of duplicate keys, in the first one's place.
                        match members
                            .iter_mut()
                            .find(|(n, _): &&mut (String, Json)| *n == k)
                        {
                            Some(slot) => slot.1 = v,
                            None => members.push((k, v)),
                        }
                        self.ws();
                        match self.peek()? {
                            b',' => self.at += 1,
                            b'}' => {
                                self.at += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                }
                Json::Object(members)
            }
            b'[' => {
                self.at += 1;
                let mut items = Vec::new();
                self.ws();
                if self.peek() == Some(b']') {
                    self.at += 1;
                } else {
                    loop {
                        items.push(self.value()?);
                        self.ws();
                        match self.peek()? {
                            b',' => self.at += 1,
                            b']' => {
                                self.at += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                }
                Json::List(items)
            }
            b'"' => self.string()?,
            b't' => self.eat("true").map(|()| Json::Bool(true))?,
            b'f' => self.eat("false").map(|()| Json::Bool(false))?,
            b'n' => self.eat("null").map(|()| Json::Null)?,
            _ => self.number()?,
        };
        self.depth -= 1;
        Some(v)
    }

    fn number(&mut self) -> Option<Json> {
        let start = self.at;
        while matches!(
            self.peek(),
            Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
        ) {
            self.at += 1;
        }
        let text = std::str::from_utf8(self.s.get(start..self.at)?).ok()?;
        match text.parse::<i64>() {
            Ok(i) => Some(Json::Int(i)),
            Err(_) => text.parse::<f64>().ok().map(Json::Float),
        }
    }

    fn string(&mut self) -> Option<Json> {
        if self.peek()? != b'"' {
            return None;
        }
        self.at += 1;
        let mut out = String::new();
        loop {
            let start = self.at;
            while !matches!(self.peek()?, b'"' | b'\\') {
                self.at += 1;
            }
            out.push_str(std::str::from_utf8(self.s.get(start..self.at)?).ok()?);
            if self.peek()? == b'"' {
                self.at += 1;
                return Some(Json::Str(out));
            }
            self.at += 1;
            let c = match self.peek()? {
                b'"' => '"',
                b'\\' => '\\',
                b'/' => '/',
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'n' => '\n',
                b'r' => '\r',
                b't' => '\t',
                b'u' => {
                    let hex = |p: &mut Self| -> Option<u32> {
                        let h = std::str::from_utf8(p.s.get(p.at + 1..p.at + 5)?).ok()?;
                        p.at += 4;
                        u32::from_str_radix(h, 16).ok()
                    };
                    let hi = hex(self)?;
                    let code = if (0xD800..0xDC00).contains(&hi)
                        && self.s.get(self.at + 1..self.at + 3) == Some(b"\\u")
                    {
                        self.at += 2;
                        let lo = hex(self)?;
                        0x10000 + ((hi - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF)
                    } else {
                        hi
                    };
                    char::from_u32(code).unwrap_or('\u{fffd}')
                }
                _ => return None,
            };
            out.push(c);
            self.at += 1;
        }
    }
}

/// Python's `repr` of a float.
fn python_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    let s = format!("{f:?}");
    if s.contains('.') || s.contains('e') {
        s
    } else {
        format!("{s}.0")
    }
}

fn write_str(s: &str, out: &mut String) {
    crate::python::write_json_string(s, false, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_as_python_json_dumps_indent_4() {
        let v = Json::Object(vec![
            ("B".into(), Json::Str("é\"\n".into())),
            ("A".into(), Json::List(vec![Json::Int(1), Json::Bool(true)])),
            ("E".into(), Json::List(vec![])),
            ("O".into(), Json::Object(vec![])),
        ]);
        assert_eq!(
            v.pretty(),
            "{\n    \"B\": \"é\\\"\\n\",\n    \"A\": [\n        1,\n        true\n    ],\n    \"E\": [],\n    \"O\": {}\n}"
        );
    }

    #[test]
    fn parse_keeps_document_order() {
        let v = parse(r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "A": [1, 2.5, true, null, "\u00e9\n"]}]}"#).unwrap();
        assert_eq!(
            v.pretty(),
            "{\n    \"Version\": \"2012-10-17\",\n    \"Statement\": [\n        {\n            \"Effect\": \"Allow\",\n            \"A\": [\n                1,\n                2.5,\n                true,\n                null,\n                \"é\\n\"\n            ]\n        }\n    ]\n}"
        );
        assert_eq!(parse("{\"a\": 1,}"), None);
        assert_eq!(parse("[1] x"), None);
    }

    #[test]
    fn query_results_keep_the_response_order() {
        let doc = Json::Object(vec![
            ("UserId".into(), Json::Str("u".into())),
            ("Account".into(), Json::Str("a".into())),
        ]);
        let back = Json::from_value(&doc.to_value(), &doc.key_order());
        assert_eq!(back, doc);
    }
}
