//! Python's `configparser.RawConfigParser` as botocore's `raw_config_parse` uses it: `=` and
//! `:` delimiters, option names lowercased, section names kept as written, `#`/`;` comments
//! on their own line only, values continued on lines indented deeper than their key, a
//! `[DEFAULT]` section whose options every section inherits, duplicate sections and options
//! refused; then botocore's one level of nesting for values that start on the next line.

use crate::python;
use std::collections::BTreeMap;

/// An option's value: text, or the nested block of a key whose value starts on the next line
/// (`s3 =\n  addressing_style = path`; nested keys keep their case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Text(String),
    Nested(BTreeMap<String, String>),
}

impl Value {
    pub fn text(&self) -> Option<&str> {
        match self {
            Value::Text(t) => Some(t),
            Value::Nested(_) => None,
        }
    }
}

/// One option with the line its key is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub value: Value,
    pub line: usize,
}

/// A section: its name as written between the brackets, its line, its options (those of
/// `[DEFAULT]` included unless the section sets them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub name: String,
    pub line: usize,
    pub options: BTreeMap<String, Entry>,
}

/// A file botocore refuses as a whole (`ConfigParseError`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

struct RawSection {
    name: String,
    line: usize,
    options: Vec<(String, Vec<String>, usize)>,
}

/// Parses one file's text. Sections come back in file order.
pub fn parse(text: &str) -> Result<Vec<Section>, ParseError> {
    let mut sections: Vec<RawSection> = Vec::new();
    let mut defaults = RawSection {
        name: "DEFAULT".to_owned(),
        line: 0,
        options: Vec::new(),
    };
    // Which section is current: None before the first header, Some(None) for DEFAULT.
    let mut current: Option<Option<usize>> = None;
    let mut option: Option<usize> = None;
    let mut indent_level = 0usize;
    let mut first_error: Option<ParseError> = None;

    for (index, line) in python::file_lines(text).into_iter().enumerate() {
        let lineno = index + 1;
        let comment = {
            let s = python::strip(line);
            s.starts_with('#') || s.starts_with(';')
        };
        let value = if comment { "" } else { python::strip(line) };
        if value.is_empty() {
            if !comment && let (Some(cur), Some(opt)) = (current, option) {
                let target = match cur {
                    Some(i) => sections.get_mut(i),
                    None => Some(&mut defaults),
                };
                if let Some(entry) = target.and_then(|s| s.options.get_mut(opt)) {
                    entry.1.push(String::new());
                }
            }
            continue;
        }
        let cur_indent = line.chars().take_while(|&c| python::is_space(c)).count();
        if let (Some(cur), Some(opt)) = (current, option)
            && cur_indent > indent_level
        {
            let target = match cur {
                Some(i) => sections.get_mut(i),
                None => Some(&mut defaults),
            };
            if let Some(entry) = target.and_then(|s| s.options.get_mut(opt)) {
                entry.1.push(value.to_owned());
            }
            continue;
        }
        indent_level = cur_indent;
        if let Some(name) = section_header(value) {
            if name == "DEFAULT" {
                current = Some(None);
            } else if sections.iter().any(|s| s.name == name) {
                return Err(ParseError {
                    line: lineno,
                    message: format!("section {} already exists", python::repr_str(name)),
                });
            } else {
                sections.push(RawSection {
                    name: name.to_owned(),
                    line: lineno,
                    options: Vec::new(),
                });
                current = Some(Some(sections.len() - 1));
            }
            option = None;
            continue;
        }
        let Some(cur) = current else {
            return Err(ParseError {
                line: lineno,
                message: "file contains no section headers".to_owned(),
            });
        };
        let target = match cur {
            Some(i) => match sections.get_mut(i) {
                Some(s) => s,
                None => continue,
            },
            None => &mut defaults,
        };
        match value.find(['=', ':']) {
            Some(pos) => {
                let name = python::rstrip(value.get(..pos).unwrap_or_default()).to_lowercase();
                let text = python::strip(value.get(pos + 1..).unwrap_or_default());
                if name.is_empty() && first_error.is_none() {
                    first_error = Some(ParseError {
                        line: lineno,
                        message: format!("a line without an option name: {line}"),
                    });
                }
                if target.options.iter().any(|(n, _, _)| *n == name) {
                    return Err(ParseError {
                        line: lineno,
                        message: format!(
                            "option {} in section {} already exists",
                            python::repr_str(&name),
                            python::repr_str(&target.name)
                        ),
                    });
                }
                target.options.push((name, vec![text.to_owned()], lineno));
                option = Some(target.options.len() - 1);
            }
            None => {
                if first_error.is_none() {
                    first_error = Some(ParseError {
                        line: lineno,
                        message: format!(
                            "a line that is neither a section, an option nor a comment: {line}"
                        ),
                    });
                }
            }
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }

    let join = |parts: &[String]| python::rstrip(&parts.join("\n")).to_owned();
    let mut out = Vec::new();
    for raw in &sections {
        let mut options = BTreeMap::new();
        for (name, parts, line) in defaults.options.iter().chain(raw.options.iter()) {
            let text = join(parts);
            let value = if text.starts_with('\n') {
                Value::Nested(nested(&text).ok_or_else(|| ParseError {
                    line: *line,
                    message: format!("the nested value of {name} has a line without '='"),
                })?)
            } else {
                Value::Text(text)
            };
            options.insert(name.clone(), Entry { value, line: *line });
        }
        out.push(Section {
            name: raw.name.clone(),
            line: raw.line,
            options,
        });
    }
    Ok(out)
}

/// `[name]` as Python's `\[(?P<header>.+)\]` matches it at the start of the stripped line:
/// everything up to the last `]`, at least one character.
fn section_header(value: &str) -> Option<&str> {
    let rest = value.strip_prefix('[')?;
    let end = rest.rfind(']')?;
    if end == 0 {
        return None;
    }
    rest.get(..end)
}

/// botocore's `_parse_nested`.
fn nested(text: &str) -> Option<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for line in python::splitlines(text) {
        let line = python::strip(line);
        if line.is_empty() {
            continue;
        }
        let (k, v) = line.split_once('=')?;
        out.insert(python::strip(k).to_owned(), python::strip(v).to_owned());
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text<'a>(s: &'a [Section], section: &str, key: &str) -> Option<&'a str> {
        s.iter()
            .find(|x| x.name == section)?
            .options
            .get(key)?
            .value
            .text()
    }

    #[test]
    fn options_comments_and_continuations() {
        let s = parse(
            "# c\n[profile a]\nRegion = us-east-1\nrole_arn: arn:aws:iam::1:role/r # not a comment\n  more\n\n  after blank\n; c\nendpoint_url = http://h:1\n",
        )
        .unwrap();
        assert_eq!(text(&s, "profile a", "region"), Some("us-east-1"));
        assert_eq!(
            text(&s, "profile a", "role_arn"),
            Some("arn:aws:iam::1:role/r # not a comment\nmore\n\nafter blank")
        );
        assert_eq!(text(&s, "profile a", "endpoint_url"), Some("http://h:1"));
    }

    #[test]
    fn nested_and_default() {
        let s = parse("[DEFAULT]\nregion = eu-west-1\n[services x]\nsts =\n  endpoint_url = http://h\n[a]\nregion = us-east-1\n").unwrap();
        assert_eq!(s.len(), 2);
        let sx = &s[0].options["sts"].value;
        assert_eq!(
            sx,
            &Value::Nested([("endpoint_url".to_owned(), "http://h".to_owned())].into())
        );
        assert_eq!(text(&s, "services x", "region"), Some("eu-west-1"));
        assert_eq!(text(&s, "a", "region"), Some("us-east-1"));
    }

    #[test]
    fn refusals() {
        assert!(parse("region = x\n").is_err());
        assert!(parse("[a]\n[a]\n").is_err());
        assert!(parse("[a]\nx = 1\nX = 2\n").is_err());
        assert!(parse("[a]\njust words\n").is_err());
        assert!(parse("[a]\nk =\n  no equals\n").is_err());
        assert_eq!(parse("[a] trailing\nk=v\n").unwrap()[0].name, "a");
        assert_eq!(parse("[a]b]\n").unwrap()[0].name, "a]b");
    }
}
