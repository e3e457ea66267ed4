//! The aws CLI's shorthand syntax for structures and maps: `Key=a,Value=b`, lists as
//! `[x,y]`, nested structures as `{k=v}`, values quoted with `"` or `'`.

use crate::aws::model::{Kind, Model, Shape};
use serde_json::Value;

/// Splits at commas outside brackets, braces and quotes.
pub fn split_top(s: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut current = String::new();
    for c in s.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => {
                quote = None;
                current.push(c);
            }
            (Some(_), c) => current.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                current.push(c);
            }
            (None, '[' | '{') => {
                depth += 1;
                current.push(c);
            }
            (None, ']' | '}') => {
                depth -= 1;
                current.push(c);
            }
            (None, ',') if depth == 0 => parts.push(std::mem::take(&mut current)),
            (None, c) => current.push(c),
        }
    }
    parts.push(current);
    parts.into_iter().map(|p| unquote(p.trim())).collect()
}

fn unquote(s: &str) -> String {
    for q in ['"', '\''] {
        if let Some(inner) = s.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner.to_owned();
        }
    }
    s.to_owned()
}

/// A structure or map from shorthand text, typed by `shape`.
pub fn parse(model: &Model, shape: &Shape, text: &str) -> Result<Value, String> {
    let mut out = serde_json::Map::new();
    // `Key=a,b` continues a list value; remember the last key for bare parts.
    let mut last: Option<String> = None;
    for part in split_top(text) {
        if part.is_empty() {
            continue;
        }
        let Some((k, v)) = part.split_once('=') else {
            match last.as_ref().and_then(|k| out.get_mut(k)) {
                Some(Value::Array(items)) => {
                    items.push(Value::String(part));
                    continue;
                }
                Some(existing @ Value::String(_)) => {
                    let first = existing.take();
                    *existing = Value::Array(vec![first, Value::String(part)]);
                    continue;
                }
                _ => return Err(format!("Expected: '=', received: 'EOF' for input:\n{text}")),
            }
        };
        let (k, v) = (k.trim().to_owned(), v.trim());
        let value = match shape.kind {
            Kind::Map => {
                let vs = shape.value.as_ref().and_then(|r| model.shape(&r.shape));
                typed(model, vs, v)?
            }
            _ => {
                let member = shape.members.iter().find(|(n, _)| *n == k).ok_or_else(|| {
                    format!(
                        "Unknown key '{k}', valid choices are: {}",
                        shape
                            .members
                            .iter()
                            .map(|(n, _)| n.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })?;
                typed(model, model.shape(&member.1.shape), v)?
            }
        };
        out.insert(k.clone(), value);
        last = Some(k);
    }
    Ok(Value::Object(out))
}

fn typed(model: &Model, shape: Option<&Shape>, v: &str) -> Result<Value, String> {
    let Some(shape) = shape else {
        return Ok(Value::String(unquote(v)));
    };
    match shape.kind {
        Kind::List => {
            let inner = v
                .strip_prefix('[')
                .and_then(|r| r.strip_suffix(']'))
                .unwrap_or(v);
            let element = shape.member.as_ref().and_then(|m| model.shape(&m.shape));
            split_top(inner)
                .into_iter()
                .filter(|p| !p.is_empty())
                .map(|p| typed(model, element, &p))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
        Kind::Structure | Kind::Map => {
            let inner = v
                .strip_prefix('{')
                .and_then(|r| r.strip_suffix('}'))
                .unwrap_or(v);
            parse(model, shape, inner)
        }
        kind => super::service::scalar(kind, &unquote(v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::model;

    #[test]
    fn tags_and_lists() {
        let sts = model::get("sts").unwrap();
        let tag = sts.shape("Tag").unwrap();
        assert_eq!(
            parse(sts, tag, "Key=team,Value=a b").unwrap(),
            serde_json::json!({"Key": "team", "Value": "a b"})
        );
        assert_eq!(split_top("a,'b,c',[d,e]"), ["a", "b,c", "[d,e]"]);
        assert!(
            parse(sts, tag, "Nope=1")
                .unwrap_err()
                .starts_with("Unknown key 'Nope'")
        );
    }
}
